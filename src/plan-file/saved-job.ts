// One job of a saved plan, both ways: a DesiredJob written without its sensitive values
// (each kept as its template and a keyed digest), and the DesiredJob rebuilt from that
// once apply has read the values again. The two directions share the table of which
// request field holds which sensitive value, so they cannot drift apart.

import { relative, resolve } from "node:path";
import { SENSITIVE_INPUT_KEYS } from "../desired/fields.js";
import { createDesiredJob, readJobInput } from "../desired/job.js";
import type { DesiredJob } from "../desired/types.js";
import type { JobInput } from "../studio/types.js";
import type { SavedJob } from "./document.js";
import { digestSensitive, type DigestKey } from "./secret-digest.js";

function sensitiveValue(job: DesiredJob, field: string): string {
  if (field.startsWith("environment.")) return job.environment[field.slice("environment.".length)] ?? "";
  const inputKey = SENSITIVE_INPUT_KEYS.get(field);
  const value = inputKey === undefined ? undefined : job.input[inputKey];
  return typeof value === "string" ? value : "";
}

/** A job for the plan file: sensitive values replaced by their keyed digest and template. */
export function saveJob(job: DesiredJob, cwd: string, key: DigestKey): SavedJob {
  const { environment: _sentEnvironment, ...input } = job.input;
  // Sensitive values are left empty, in place, so that the job comes back in its own order.
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(job.environment))
    environment[name] = job.sensitive.includes(`environment.${name}`) ? "" : value;
  const saved: Omit<JobInput, "environment"> = { ...input };
  const sensitive: SavedJob["sensitive"] = {};
  for (const field of job.sensitive) {
    sensitive[field] = { digest: digestSensitive(key, field, sensitiveValue(job, field)), template: job.sensitiveTemplates[field] ?? "" };
    const inputKey = SENSITIVE_INPUT_KEYS.get(field);
    if (inputKey !== undefined) (saved as Record<string, unknown>)[inputKey] = "";
  }
  // A digest of sensitive credentials is a plain hash: left empty, apply derives it again.
  const applied = typeof job.applied.credentials === "object" ? { ...job.applied, credentials: { sensitive: "" } } : job.applied;
  return {
    team: job.team,
    location: job.location,
    fingerprint: job.sensitive.length === 0 ? job.fingerprint : null,
    input: saved,
    environment,
    files: job.files.map((f) => ({ path: relative(cwd, f.absolute), name: f.name, sha256: f.sha256, size: f.size })),
    cluster: job.cluster ?? null,
    cron: job.cron ?? null,
    protect: job.protect,
    replace: job.replace,
    applied,
    sensitive,
    vars: job.vars,
  };
}

/**
 * A DesiredJob back from a saved plan, with the sensitive values read again (the caller
 * has checked their digests). Its values are read back from the body it sends; its
 * fingerprint and applied record are derived from them again, as when it was planned.
 */
export function restoreJob(
  key: string,
  stack: string,
  saved: SavedJob,
  sensitiveValues: Readonly<Record<string, string>>,
  cwd: string,
): DesiredJob {
  const environment = { ...saved.environment };
  const input: Omit<JobInput, "environment"> = { ...saved.input };
  const templates: Record<string, string> = {};
  for (const [field, entry] of Object.entries(saved.sensitive)) {
    templates[field] = entry.template;
    const value = sensitiveValues[field] ?? "";
    if (field.startsWith("environment.")) environment[field.slice("environment.".length)] = value;
    const inputKey = SENSITIVE_INPUT_KEYS.get(field);
    if (inputKey !== undefined) (input as Record<string, unknown>)[inputKey] = value;
  }
  const files = saved.files.map((f) => ({ path: f.path, absolute: resolve(cwd, f.path), name: f.name, sha256: f.sha256, size: f.size }));
  return createDesiredJob({
    stack,
    values: readJobInput({ ...input, query_name: key, team_name: saved.team }, { environment, files, protect: saved.protect }),
    replace: saved.replace,
    sensitiveTemplates: templates,
    vars: saved.vars,
    location: saved.location,
  });
}
