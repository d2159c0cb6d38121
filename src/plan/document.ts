// The plan as data: `plan --format json` prints it, `plan --out` saves it with the
// jobs to create (DESIGN section 5). Sensitive values appear only as digests.

import { relative, resolve } from "node:path";
import { formatEnvironment, markerEnvironment } from "../spec/markers.js";
import type { DesiredJob } from "../spec/types.js";
import type { JobInput } from "../studio/types.js";
import type { FieldChange, Plan, PlanAction, PlanSummary } from "./types.js";

export const PLAN_FORMAT_VERSION = 1;

export interface ActionDocument {
  kind: PlanAction["kind"];
  key: string;
  team: string;
  /** The live job the action is about: replaced, cancelled, kept, or in conflict. */
  job_id?: string;
  job_url?: string;
  reason?: string;
  strategy?: string;
  adopted?: boolean;
  fingerprint?: string;
  changes?: FieldChange[];
}

/** A job to create, as saved: everything but its sensitive values. */
export interface SavedJob {
  team: string;
  location: DesiredJob["location"];
  fingerprint: string;
  /** The body to send, without sensitive values and without the environment (rebuilt on apply). */
  input: Omit<JobInput, "environment">;
  /** The job's own environment, without sensitive values. */
  environment: Record<string, string>;
  files: { path: string; name: string; sha256: string; size: number }[];
  cluster: DesiredJob["cluster"] | null;
  cron: string | null;
  protect: boolean;
  replace: DesiredJob["replace"];
  applied: DesiredJob["applied"];
  /** Each sensitive field: the digest of its value and the template to read it again from. */
  sensitive: Record<string, { digest: string; template: string }>;
  vars: Record<string, string>;
}

export interface PlanDocument {
  format_version: number;
  tool_version: string;
  created_at: string;
  stack: string;
  teams: string[];
  targets: string[];
  remote_digest: string;
  summary: PlanSummary;
  errors: string[];
  warnings: string[];
  actions: ActionDocument[];
  /** Only in a saved plan: the jobs its creates and replaces send. */
  jobs?: Record<string, SavedJob>;
}

function actionDocument(action: PlanAction): ActionDocument {
  const base = { kind: action.kind, key: action.key, team: action.team };
  switch (action.kind) {
    case "create":
      return { ...base, fingerprint: action.desired.fingerprint };
    case "noop":
      return { ...base, job_id: action.live.id, job_url: action.live.url, fingerprint: action.desired.fingerprint };
    case "replace":
      return {
        ...base,
        job_id: action.live.id,
        job_url: action.live.url,
        strategy: action.strategy,
        adopted: action.adopted,
        fingerprint: action.desired.fingerprint,
        changes: action.changes,
      };
    case "cancel":
      return { ...base, job_id: action.live.id, job_url: action.live.url, reason: action.reason };
    case "conflict":
      return { ...base, job_id: action.live.id, job_url: action.live.url };
    default: {
      const never: never = action;
      return never;
    }
  }
}

export function planDocument(plan: Plan, toolVersion: string): PlanDocument {
  return {
    format_version: PLAN_FORMAT_VERSION,
    tool_version: toolVersion,
    created_at: plan.createdAt,
    stack: plan.stack,
    teams: plan.teams,
    targets: plan.targets,
    remote_digest: plan.remoteDigest,
    summary: plan.summary,
    errors: plan.errors,
    warnings: plan.warnings,
    actions: plan.actions.map(actionDocument),
  };
}

const SENSITIVE_INPUT_FIELDS: Record<string, keyof JobInput> = {
  query: "query",
  requirements: "requirements",
  credentials: "credentials_name",
  repository: "repository",
  python_version: "python_version",
};

/** A job for the plan file: sensitive values replaced by their digest and template. */
export function saveJob(job: DesiredJob, cwd: string): SavedJob {
  const { environment: _sentEnvironment, ...input } = job.input;
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(job.environment)) {
    if (!job.sensitive.includes(`environment.${key}`)) environment[key] = value;
  }
  const saved: Omit<JobInput, "environment"> = { ...input };
  const sensitive: SavedJob["sensitive"] = {};
  for (const field of job.sensitive) {
    sensitive[field] = { digest: job.sensitiveDigests[field] ?? "", template: job.sensitiveTemplates[field] ?? "" };
    const inputField = SENSITIVE_INPUT_FIELDS[field];
    if (inputField !== undefined) (saved as Record<string, unknown>)[inputField] = "";
  }
  return {
    team: job.team,
    location: job.location,
    fingerprint: job.fingerprint,
    input: saved,
    environment,
    files: job.files.map((f) => ({ path: relative(cwd, f.absolute), name: f.name, sha256: f.sha256, size: f.size })),
    cluster: job.cluster ?? null,
    cron: job.cron ?? null,
    protect: job.protect,
    replace: job.replace,
    applied: job.applied,
    sensitive,
    vars: job.vars,
  };
}

/** The saved plan: the document plus every job that a create or replace sends. */
export function savedPlanDocument(plan: Plan, toolVersion: string, cwd: string): PlanDocument {
  const jobs: Record<string, SavedJob> = {};
  for (const action of plan.actions) {
    if (action.kind === "create" || action.kind === "replace") jobs[action.key] = saveJob(action.desired, cwd);
  }
  return { ...planDocument(plan, toolVersion), jobs };
}

/**
 * A DesiredJob back from a saved plan. `readSensitive` reads each sensitive field again
 * (from the environment); the caller has checked its digest.
 */
export function restoreJob(
  key: string,
  stack: string,
  saved: SavedJob,
  sensitiveValues: Readonly<Record<string, string>>,
  cwd: string,
): DesiredJob {
  const environment = { ...saved.environment };
  const input: Record<string, unknown> = { ...saved.input };
  for (const field of Object.keys(saved.sensitive)) {
    const value = sensitiveValues[field] ?? "";
    if (field.startsWith("environment.")) environment[field.slice("environment.".length)] = value;
    const inputField = SENSITIVE_INPUT_FIELDS[field];
    if (inputField !== undefined) input[inputField] = value;
  }
  const markers = markerEnvironment({ stack, key, fingerprint: saved.fingerprint, applied: saved.applied, protect: saved.protect });
  const digests: Record<string, string> = {};
  const templates: Record<string, string> = {};
  for (const [field, entry] of Object.entries(saved.sensitive)) {
    digests[field] = entry.digest;
    templates[field] = entry.template;
  }
  return {
    key,
    team: saved.team,
    stack,
    location: saved.location,
    input: { ...(input as Omit<JobInput, "environment">), environment: formatEnvironment({ ...environment, ...markers }) },
    environment,
    files: saved.files.map((f) => ({ path: f.path, absolute: resolve(cwd, f.path), name: f.name, sha256: f.sha256, size: f.size })),
    cluster: saved.cluster ?? undefined,
    cron: saved.cron ?? undefined,
    protect: saved.protect,
    replace: saved.replace,
    sensitive: Object.keys(saved.sensitive).sort(),
    sensitiveDigests: digests,
    sensitiveTemplates: templates,
    vars: saved.vars,
    fingerprint: saved.fingerprint,
    applied: saved.applied,
  };
}
