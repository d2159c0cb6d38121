// Validation of a create-job body the way Studio's server does it: every check a
// client could trip, answered with a 400 and a message that names the field.

import { checkCron } from "../cron.js";
import { setOwn } from "../own-property.js";
import { studioTimeMs } from "../studio/time.js";
import type { EmulatorStore, NewJob } from "./store.js";

export class InputError extends Error {}

type Body = Record<string, unknown>;

function optionalString(body: Body, key: string): string | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new InputError(`${key}: expected a string, got ${typeName(value)}`);
  return value;
}

function optionalInteger(body: Body, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new InputError(`${key}: expected an integer, got ${typeName(value)}`);
  }
  if (value < min) throw new InputError(`${key}: must be at least ${min}, got ${value}`);
  if (value > max) throw new InputError(`${key}: must be at most ${max}, got ${value}`);
  return value;
}

/** Priorities as datachain's CLI documents them: 0 runs first, 5 (the default) last. */
export const PRIORITY = { min: 0, max: 5, default: 5 } as const;

// ISO 8601 as clients send it: datachain sends Python's isoformat(), with microseconds,
// and without an offset when its user gave none. Read as the client reads Studio's times.
function parseDateTime(key: string, text: string): number {
  const time = studioTimeMs(text);
  if (Number.isNaN(time)) throw new InputError(`${key}: "${text}" is not an ISO 8601 date-time`);
  return time;
}

export function typeName(value: unknown): string {
  if (value === undefined) return "nothing"; // a missing field: JSON has no undefined
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Parse `KEY=VALUE` lines as the server does; blank lines are skipped. */
export function parseEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new InputError(`environment: line "${line.slice(0, 40)}" is not KEY=VALUE`);
    // A key like any other: `__proto__=x` assigned plainly would set nothing and be lost.
    setOwn(env, line.slice(0, eq), line.slice(eq + 1));
  }
  return env;
}

export function parseJobInput(raw: unknown, team: string, createdBy: string, store: EmulatorStore): NewJob {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InputError("the body must be a JSON object");
  }
  const body = raw as Body;

  const query = body["query"];
  if (typeof query !== "string") throw new InputError(`query: required, expected a string, got ${typeName(query)}`);
  if (query.trim() === "") throw new InputError("query: must not be empty");

  const queryType = (optionalString(body, "query_type") ?? "PYTHON").toUpperCase();
  if (queryType !== "PYTHON" && queryType !== "SHELL") {
    throw new InputError(`query_type: "${queryType}" is not one of PYTHON, SHELL`);
  }

  const name = optionalString(body, "query_name") ?? "";
  // Characters, not UTF-16 units: the spec's schema counts them so, and a name it takes
  // (255 emoji) must not be refused here.
  if (name.length > 255 && [...name].length > 255) throw new InputError("query_name: at most 255 characters");
  if (CONTROL_CHARS.test(name)) throw new InputError("query_name: must not contain control characters");

  const environment = parseEnvironment(optionalString(body, "environment") ?? "");

  const clusterName = optionalString(body, "compute_cluster_name");
  const clusterIdValue = optionalInteger(body, "compute_cluster_id", 0);
  if (clusterName !== null && clusterIdValue !== null) {
    throw new InputError("compute_cluster_name and compute_cluster_id are mutually exclusive: give one");
  }
  let cluster = store.defaultCluster();
  if (clusterName !== null) {
    cluster = store.findCluster({ name: clusterName });
    if (cluster === undefined) throw new InputError(`compute_cluster_name: unknown cluster "${clusterName}"`);
  } else if (clusterIdValue !== null) {
    cluster = store.findCluster({ id: clusterIdValue });
    if (cluster === undefined) throw new InputError(`compute_cluster_id: unknown cluster ${clusterIdValue}`);
  }
  if (cluster !== undefined && !cluster.is_active) {
    throw new InputError(`cluster "${cluster.name}" is not active`);
  }

  const workers = optionalInteger(body, "workers", 1) ?? 1;
  if (cluster !== undefined && workers > cluster.max_workers) {
    throw new InputError(`workers: cluster "${cluster.name}" allows at most ${cluster.max_workers}, got ${workers}`);
  }

  const priority = optionalInteger(body, "priority", PRIORITY.min, PRIORITY.max) ?? PRIORITY.default;

  const cron = optionalString(body, "cron_expression");
  if (cron !== null) {
    const problem = checkCron(cron, { mustFire: false });
    if (problem !== undefined) throw new InputError(`cron_expression: ${problem}`);
  }

  const startAfterText = optionalString(body, "start_after");
  const startAfter = startAfterText === null ? null : parseDateTime("start_after", startAfterText);

  const filesValue = body["files"];
  let files: string[] = [];
  if (filesValue !== undefined && filesValue !== null) {
    if (!Array.isArray(filesValue) || filesValue.some((f) => typeof f !== "string")) {
      throw new InputError("files: expected a list of file ids as strings");
    }
    files = filesValue as string[];
    for (const id of files) {
      if (store.getFile(team, id) === undefined) throw new InputError(`files: unknown file id "${id}" for team ${team}`);
    }
  }

  const rerun = body["rerun_from_job_id"];
  if (rerun !== undefined && rerun !== null && typeof rerun !== "string" && typeof rerun !== "number") {
    throw new InputError(`rerun_from_job_id: expected a job id, got ${typeName(rerun)}`);
  }
  const reset = body["reset"];
  if (reset !== undefined && reset !== null && typeof reset !== "boolean") {
    throw new InputError(`reset: expected true or false, got ${typeName(reset)}`);
  }

  return {
    team,
    createdBy,
    name,
    query,
    queryType,
    workers,
    pythonVersion: optionalString(body, "python_version"),
    requirements: optionalString(body, "requirements") ?? "",
    repository: optionalString(body, "repository"),
    environment,
    cron,
    startAfter,
    priority,
    clusterId: cluster?.id ?? null,
    credentialsName: optionalString(body, "credentials_name"),
    files,
  };
}
