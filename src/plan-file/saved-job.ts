// One job of a saved plan, both ways: a DesiredJob written without its sensitive values
// (each kept as its template and a keyed digest), and the DesiredJob rebuilt from that
// once apply has read the values again. The two directions share the table of which
// request field holds which sensitive value, so they cannot drift apart.

import { relative, resolve } from "node:path";
import { computeJobFingerprint, credentialsDigest } from "../identity/fingerprint.js";
import { formatEnvironment, markerEnvironment } from "../identity/markers.js";
import type { AppliedRecord, DesiredJob } from "../desired/types.js";
import type { JobInput } from "../studio/types.js";
import type { SavedJob } from "./document.js";
import { digestSensitive, type DigestKey } from "./secret-digest.js";

const SENSITIVE_INPUT_FIELDS: Record<string, keyof JobInput> = {
  query: "query",
  requirements: "requirements",
  credentials: "credentials_name",
  repository: "repository",
  python_version: "python_version",
};

function sensitiveValue(job: DesiredJob, field: string): string {
  if (field.startsWith("environment.")) return job.environment[field.slice("environment.".length)] ?? "";
  const inputField = SENSITIVE_INPUT_FIELDS[field];
  const value = inputField === undefined ? undefined : job.input[inputField];
  return typeof value === "string" ? value : "";
}

/** A job for the plan file: sensitive values replaced by their keyed digest and template. */
export function saveJob(job: DesiredJob, cwd: string, key: DigestKey): SavedJob {
  const { environment: _sentEnvironment, ...input } = job.input;
  // Sensitive values are left empty, in place, so that the job comes back in its own order.
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(job.environment)) environment[name] = job.sensitive.includes(`environment.${name}`) ? "" : value;
  const saved: Omit<JobInput, "environment"> = { ...input };
  const sensitive: SavedJob["sensitive"] = {};
  for (const field of job.sensitive) {
    sensitive[field] = { digest: digestSensitive(key, field, sensitiveValue(job, field)), template: job.sensitiveTemplates[field] ?? "" };
    const inputField = SENSITIVE_INPUT_FIELDS[field];
    if (inputField !== undefined) (saved as Record<string, unknown>)[inputField] = "";
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
 * has checked their digests). Its fingerprint is computed again from them.
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
  for (const field of Object.keys(saved.sensitive)) {
    const value = sensitiveValues[field] ?? "";
    if (field.startsWith("environment.")) environment[field.slice("environment.".length)] = value;
    const inputField = SENSITIVE_INPUT_FIELDS[field];
    if (inputField !== undefined) (input as Record<string, unknown>)[inputField] = value;
  }
  const credentials = input.credentials_name ?? undefined;
  const applied: AppliedRecord =
    saved.sensitive["credentials"] !== undefined && credentials !== undefined ? { ...saved.applied, credentials: { sensitive: credentialsDigest(credentials) } } : saved.applied;
  const fingerprint = computeJobFingerprint({
    team: saved.team,
    key,
    query: input.query,
    query_type: input.query_type,
    environment,
    workers: input.workers ?? undefined,
    python_version: input.python_version ?? undefined,
    requirements: input.requirements ?? undefined,
    repository: input.repository ?? undefined,
    priority: input.priority ?? undefined,
    cluster: saved.cluster ?? undefined,
    credentials,
    cron: saved.cron ?? undefined,
    start_after: input.start_after ?? undefined,
    files: saved.files.map((f) => [f.name, f.sha256]),
    protect: saved.protect,
  });
  const markers = markerEnvironment({ stack, key, fingerprint, applied, protect: saved.protect });
  const templates: Record<string, string> = {};
  for (const [field, entry] of Object.entries(saved.sensitive)) templates[field] = entry.template;
  return {
    key,
    team: saved.team,
    stack,
    location: saved.location,
    input: { ...input, environment: formatEnvironment({ ...environment, ...markers }) },
    environment,
    files: saved.files.map((f) => ({ path: f.path, absolute: resolve(cwd, f.path), name: f.name, sha256: f.sha256, size: f.size })),
    cluster: saved.cluster ?? undefined,
    cron: saved.cron ?? undefined,
    protect: saved.protect,
    replace: saved.replace,
    sensitive: Object.keys(saved.sensitive).sort(),
    sensitiveTemplates: templates,
    vars: saved.vars,
    fingerprint,
    applied,
  };
}
