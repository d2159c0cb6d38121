// Everything Studio sends is checked here, once, against the wire types, before any other
// code acts on it: a record that does not fit stops the command instead of being guessed at.
//
// The rules. Strict on what the tool relies on: a job's id, status, name, team and
// created_at (it orders by it) are strings, ids and statuses non-empty, none of them with
// control characters (they are printed); environment values are strings, and the tool's
// own markers in them are well-formed; parent_job_id, which decides whether a record is a
// run that is never touched, is null or absent (not a run) or a non-empty string (a run),
// and anything else (0, "", false) is refused rather than read one way or the other.
// Liberal where the API reference leaves room: optional text fields (url, python_version,
// requirements, repository) may be null or absent; a listing may be a bare array or the
// older {"jobs": [...]} wrapper. Silent about fields the tool never reads (created_by,
// finished_at, exit_code, error_message). Values are never quoted in a problem, only their
// kind: they may be secrets.
//
// Hand-written rather than a JSON Schema and ajv: a listing holds up to a million records,
// so the per-record check must cost next to nothing; the messages must name the job id
// and field; and nothing has to be compiled or loaded when the CLI starts.

import { MARKERS } from "../spec/markers.js";
import type { Cluster, JobOutput, UploadReply } from "./types.js";

/** What does not fit, said for a person: `job 42: field "status" must be a string, got a number`. */
export class WireError extends Error {
  override readonly name = "WireError";
}

type Fields = Record<string, unknown>;

function kind(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value === "") return "an empty string";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function problem(label: string, field: string, wanted: string, value: unknown): WireError {
  return new WireError(
    value === undefined ? `${label}: field "${field}" is missing` : `${label}: field "${field}" must be ${wanted}, got ${kind(value)}`,
  );
}

/** A string printed as is: a name, a status, an id. */
function text(record: Fields, field: string, label: string, nonEmpty: boolean): string {
  const value = record[field];
  if (typeof value !== "string" || (nonEmpty && value === "")) {
    throw problem(label, field, nonEmpty ? "a non-empty string" : "a string", value);
  }
  if (CONTROL.test(value)) throw new WireError(`${label}: field "${field}" holds control characters`);
  return value;
}

function anyString(record: Fields, field: string, label: string): string {
  const value = record[field];
  if (typeof value !== "string") throw problem(label, field, "a string", value);
  return value;
}

/** An optional text field: null or absent becomes `absent`. */
function optionalString<T extends string | null>(record: Fields, field: string, label: string, absent: T): string | T {
  const value = record[field];
  if (value === undefined || value === null) return absent;
  if (typeof value !== "string") throw problem(label, field, "a string or null", value);
  return value;
}

function integer(record: Fields, field: string, label: string, min: number): number {
  const value = record[field];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw problem(label, field, min === 0 ? "a whole number of at least 0" : `a whole number of at least ${min}`, value);
  }
  return value;
}

function boolean(record: Fields, field: string, label: string): boolean {
  const value = record[field];
  if (typeof value !== "boolean") throw problem(label, field, "true or false", value);
  return value;
}

function jobLabel(raw: Fields, index: number | undefined): string {
  const id = raw["id"];
  if (typeof id === "string" && id !== "" && !CONTROL.test(id) && id.length <= 200) return `job ${id}`;
  return index === undefined ? "the job record" : `item ${index}`;
}

/** The shape of one job record; markers are checked apart, only on records that are kept. */
function checkJobShape(raw: unknown, index: number | undefined): JobOutput {
  if (!isObject(raw)) {
    throw new WireError(`${index === undefined ? "the reply" : `item ${index}`}: expected a job record (an object), got ${kind(raw)}`);
  }
  const label = jobLabel(raw, index);
  text(raw, "id", label, true);
  text(raw, "status", label, true);
  text(raw, "name", label, false);
  text(raw, "team", label, false);
  text(raw, "created_at", label, false);
  anyString(raw, "query", label);
  text(raw, "query_type", label, false);
  integer(raw, "workers", label, 0);
  raw["url"] = optionalString(raw, "url", label, "");
  raw["python_version"] = optionalString(raw, "python_version", label, null);
  raw["requirements"] = optionalString(raw, "requirements", label, "");
  raw["repository"] = optionalString(raw, "repository", label, null);

  const env = raw["environment"];
  if (env === undefined || env === null) {
    raw["environment"] = {};
  } else if (!isObject(env)) {
    throw problem(label, "environment", "an object of strings", env);
  } else {
    for (const key in env) {
      if (typeof env[key] !== "string") throw problem(label, `environment.${key}`, "a string", env[key]);
    }
  }

  const parent = raw["parent_job_id"];
  if (parent === undefined || parent === null) {
    raw["parent_job_id"] = null;
  } else if (typeof parent !== "string" || parent === "" || CONTROL.test(parent)) {
    throw problem(label, "parent_job_id", "null or the id of a job (a non-empty string)", parent);
  }
  return raw as unknown as JobOutput;
}

/** The tool's own markers: written by it, but read back from a server that may have mangled them. */
function checkMarkers(job: JobOutput): void {
  const env = job.environment;
  for (const name of [MARKERS.stack, MARKERS.key, MARKERS.fingerprint]) {
    if (env[name] === "") throw new WireError(`job ${job.id}: marker ${name} is empty`);
  }
  const applied = env[MARKERS.applied];
  if (applied === undefined) return;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(applied, "base64url").toString("utf8"));
  } catch {
    throw new WireError(`job ${job.id}: marker ${MARKERS.applied} is not base64url-encoded JSON`);
  }
  checkAppliedRecord(decoded, `job ${job.id}: marker ${MARKERS.applied}`);
}

/** The STUDIO_JOBS_APPLIED record, as decoded by spec/markers.ts; see AppliedRecord. */
function checkAppliedRecord(value: unknown, label: string): void {
  if (!isObject(value)) throw new WireError(`${label}: expected an object, got ${kind(value)}`);
  const version = value["v"];
  if (typeof version !== "number") throw problem(label, "v", "a number", version);
  // A record of another version is written by another version of the tool: it is not
  // read (the plan shows those fields as unknown), so its fields are not checked either.
  if (version !== 1) return;
  text(value, "query_type", label, true);
  const optional = (field: string, check: (v: unknown) => boolean, wanted: string) => {
    const v = value[field];
    if (v !== undefined && !check(v)) throw problem(label, field, wanted, v);
  };
  const isString = (v: unknown) => typeof v === "string";
  const isStringArray = (v: unknown) => Array.isArray(v) && v.every(isString);
  optional("cron", isString, "a string");
  optional("start_after", isString, "a string");
  optional("priority", (v) => typeof v === "number", "a number");
  optional(
    "cluster",
    (v) => isObject(v) && (typeof v["name"] === "string" || (typeof v["id"] === "number" && Number.isInteger(v["id"]))),
    '{"name": string} or {"id": number}',
  );
  optional("credentials", (v) => typeof v === "string" || (isObject(v) && typeof v["sensitive"] === "string"), 'a string or {"sensitive": string}');
  optional("files", (v) => Array.isArray(v) && v.every((f) => isStringArray(f) && (f as unknown[]).length === 2), "a list of [name, sha256] pairs");
  optional("sensitive", isStringArray, "a list of strings");
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((key) => Object.hasOwn(b, key) && sameValue((a as Fields)[key], (b as Fields)[key]));
}

function listOf(body: unknown, wrapper: string, what: string): unknown[] {
  if (Array.isArray(body)) return body;
  if (isObject(body) && Array.isArray(body[wrapper])) return body[wrapper] as unknown[];
  throw new WireError(`expected a list of ${what} (a JSON array), got ${kind(body)}`);
}

/**
 * A job listing: each record checked; `keep` drops records the caller has no use for
 * (their markers are not even decoded). A record listed twice is kept once if the copies
 * are identical; copies that differ make the listing untrustworthy, and it is refused.
 */
export function readJobList(body: unknown, keep?: (job: JobOutput) => boolean): JobOutput[] {
  const items = listOf(body, "jobs", "jobs");
  const kept = new Map<string, JobOutput>();
  const dropped = new Set<string>();
  const twice = (id: string) => new WireError(`job ${id} is listed twice with different contents; there is no telling which is true`);
  for (let i = 0; i < items.length; i++) {
    const job = checkJobShape(items[i], i);
    if (keep !== undefined && !keep(job)) {
      if (kept.has(job.id)) throw twice(job.id);
      dropped.add(job.id);
      continue;
    }
    const seen = kept.get(job.id);
    if (seen !== undefined) {
      if (!sameValue(seen, job)) throw twice(job.id);
      continue;
    }
    if (dropped.has(job.id)) throw twice(job.id);
    checkMarkers(job);
    kept.set(job.id, job);
  }
  return [...kept.values()];
}

/** The reply to a create: the job as Studio recorded it. */
export function readJob(body: unknown): JobOutput {
  const job = checkJobShape(body, undefined);
  checkMarkers(job);
  return job;
}

export function readClusterList(body: unknown): Cluster[] {
  return listOf(body, "clusters", "clusters").map((raw, i) => {
    if (!isObject(raw)) throw new WireError(`item ${i}: expected a cluster (an object), got ${kind(raw)}`);
    const label = Number.isInteger(raw["id"]) ? `cluster ${String(raw["id"])}` : `item ${i}`;
    integer(raw, "id", label, 0);
    text(raw, "name", label, true);
    boolean(raw, "is_active", label);
    boolean(raw, "default", label);
    integer(raw, "max_workers", label, 0);
    raw["status"] = optionalString(raw, "status", label, null);
    raw["cloud_provider"] = optionalString(raw, "cloud_provider", label, null);
    raw["cloud_credentials"] = optionalString(raw, "cloud_credentials", label, null);
    return raw as unknown as Cluster;
  });
}

export function readUploadReply(body: unknown): UploadReply {
  if (!isObject(body)) throw new WireError(`expected the uploaded file (an object), got ${kind(body)}`);
  integer(body, "id", "the uploaded file", 0);
  return body as unknown as UploadReply;
}

/** The reply to a cancel, `{"message": "..."}`; its message is only shown. */
export function readActionFeedback(body: unknown): string {
  if (!isObject(body)) throw new WireError(`expected {"message": ...} (an object), got ${kind(body)}`);
  return optionalString(body, "message", "the reply", "");
}
