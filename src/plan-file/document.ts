// The plan as data: `plan --format json` prints it, `plan --out` saves it with the jobs
// to create, and the renderers and `show` read it. Sensitive values appear as
// "(sensitive)"; a saved plan holds only keyed digests of them (see secret-digest.ts).

import { relative, resolve } from "node:path";
import { computeJobFingerprint, credentialsDigest } from "../identity/fingerprint.js";
import { classify, isProtected } from "../identity/classify.js";
import { formatEnvironment, markerEnvironment } from "../identity/markers.js";
import type { AppliedRecord, DesiredJob, ReplaceStrategy } from "../desired/types.js";
import type { JobInput } from "../studio/types.js";
import { describeDigestKey, digestSensitive, type DigestKey, type DigestKeyDocument } from "./secret-digest.js";
import { desiredSettings, liveSettings, type JobSettings, type LiveSettings } from "../plan/settings.js";
import type { CancelReason, FieldChange, Plan, PlanAction, PlanSummary } from "../plan/types.js";

/**
 * 2: settings before/after on every action, keyed digests of sensitive values, no
 * fingerprint where it would cover a sensitive value.
 */
export const PLAN_FORMAT_VERSION = 2;

export interface ActionDocument {
  kind: PlanAction["kind"];
  key: string;
  team: string;
  /** The live job the action is about: replaced, cancelled, kept, or in conflict. */
  job_id?: string;
  job_url?: string;
  reason?: CancelReason;
  strategy?: ReplaceStrategy;
  adopted?: boolean;
  /** The live job is protected: replacing or cancelling it takes --allow-protected. */
  protected?: boolean;
  /**
   * Only for a job without sensitive values: the fingerprint covers every value, so with
   * the settings beside it a reader could confirm a guessed secret.
   */
  fingerprint?: string;
  changes?: FieldChange[];
  /** The job as the spec wants it; null for a cancel. */
  after?: JobSettings | null;
  /** The job as it is live: for replaces, cancels and conflicts. */
  before?: LiveSettings;
}

/** A job to create, as saved: everything but its sensitive values. */
export interface SavedJob {
  team: string;
  location: DesiredJob["location"];
  /** Null when the job has sensitive values: apply recomputes it from the values it reads again. */
  fingerprint: string | null;
  /** The body to send, without sensitive values and without the environment (rebuilt on apply). */
  input: Omit<JobInput, "environment">;
  /** The job's own environment; sensitive values empty. */
  environment: Record<string, string>;
  files: { path: string; name: string; sha256: string; size: number }[];
  cluster: DesiredJob["cluster"] | null;
  cron: string | null;
  protect: boolean;
  replace: DesiredJob["replace"];
  /** The STUDIO_JOBS_APPLIED record; a digest of sensitive credentials empty. */
  applied: AppliedRecord;
  /** Each sensitive field: the keyed digest of its value and the template to read it again from. */
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
  /** Only in a saved plan: how its digests of sensitive values are keyed. */
  digest_key?: DigestKeyDocument;
  /** Only in a saved plan: the jobs its creates and replaces send. */
  jobs?: Record<string, SavedJob>;
}

function fingerprintOf(job: DesiredJob): { fingerprint?: string } {
  return job.sensitive.length === 0 ? { fingerprint: job.fingerprint } : {};
}

function actionDocument(action: PlanAction, stack: string): ActionDocument {
  const base = { kind: action.kind, key: action.key, team: action.team };
  switch (action.kind) {
    case "create":
      return { ...base, ...fingerprintOf(action.desired), after: desiredSettings(action.desired) };
    case "noop":
      return { ...base, job_id: action.live.id, job_url: action.live.url, ...fingerprintOf(action.desired), after: desiredSettings(action.desired) };
    case "replace":
      return {
        ...base,
        job_id: action.live.id,
        job_url: action.live.url,
        strategy: action.strategy,
        adopted: action.adopted,
        protected: isProtected(classify(action.live, stack)),
        ...fingerprintOf(action.desired),
        changes: action.changes,
        after: desiredSettings(action.desired),
        before: liveSettings(action.live, stack, action.desired),
      };
    case "cancel":
      return {
        ...base,
        job_id: action.live.id,
        job_url: action.live.url,
        reason: action.reason,
        protected: isProtected(classify(action.live, stack)),
        after: null,
        before: liveSettings(action.live, stack),
      };
    case "conflict":
      return { ...base, job_id: action.live.id, job_url: action.live.url, after: desiredSettings(action.desired), before: liveSettings(action.live, stack, action.desired) };
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
    actions: plan.actions.map((action) => actionDocument(action, plan.stack)),
  };
}

/** A plan or its document: what the renderers take. */
export function toPlanDocument(plan: Plan | PlanDocument): PlanDocument {
  return "format_version" in plan ? plan : planDocument(plan, "");
}

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

/** The saved plan: the document plus every job that a create or replace sends. */
export function savedPlanDocument(plan: Plan, toolVersion: string, cwd: string, key: DigestKey): PlanDocument {
  const jobs: Record<string, SavedJob> = {};
  for (const action of plan.actions) {
    if (action.kind === "create" || action.kind === "replace") jobs[action.key] = saveJob(action.desired, cwd, key);
  }
  return { ...planDocument(plan, toolVersion), digest_key: describeDigestKey(key), jobs };
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
