// The plan as data: `plan --format json` prints it, `plan --out` saves it with the jobs
// to create (./write.ts), and the renderers and `show` read it. Sensitive values appear as
// "(sensitive)"; a saved plan holds only keyed digests of them (see secret-digest.ts).
// The format, its versions and the API around it: docs/architecture.md, "The plan file".

import { classify, isProtected } from "../identity/classify.js";
import type { AppliedRecord, DesiredJob, ReplaceStrategy } from "../desired/types.js";
import type { JobInput } from "../studio/types.js";
import type { DigestKeyDocument } from "./secret-digest.js";
import { desiredSettings, liveSettings, type JobSettings, type LiveSettings } from "../plan/settings.js";
import type { CancelReason, FieldChange, Plan, PlanAction, PlanSummary } from "../plan/types.js";

/**
 * The version of the format, shared by `plan --format json` and saved plans. It changes
 * with any change to the file's shape or meaning, a new field included: the schema is
 * closed, so an older reader would take a new field for damage. A reader takes only its
 * own version (./read.ts).
 * 2: settings before/after on every action, keyed digests of sensitive values, no
 * fingerprint where it would cover a sensitive value.
 * 3: `seal`, a keyed HMAC of the whole saved plan (./seal.ts).
 * 4: a schedule change's `old_runs` and `new_runs` in ISO 8601 UTC, as every other time of
 * the JSON, not as the text shows them (`2026-12-01 02:00 UTC`).
 * 5: a saved plan's `spec_paths`, which the hints of a stale plan name.
 */
export const PLAN_FORMAT_VERSION = 5;

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
  /** Only in a saved plan: the keyed HMAC of everything else in it (./seal.ts). */
  seal?: string;
  /**
   * Saved plans only: the spec paths `plan` was given, as given (secrets hidden), so that a
   * refusal of a stale plan says the `plan --out` that makes it again.
   */
  spec_paths?: string[];
  /** Saved plans only: the Studio the plan was made against (no credentials), as studioLocation() writes it. */
  studio?: string;
}

/**
 * Whether a document is whole (`plan --format json`, saved plans) or holds only what the
 * renderers show: no fingerprints, and settings for creates only (a replace is shown by
 * its changes, a cancel or a conflict by its headline).
 */
interface DocumentOptions {
  whole: boolean;
}

/** The field of a change of a schedule's start. */
export const START_AFTER_CHANGE = "schedule.start_after";

function actionDocument(action: PlanAction, stack: string, options: DocumentOptions): ActionDocument {
  const fingerprintOf = (job: DesiredJob): { fingerprint?: string } =>
    options.whole && job.sensitive.length === 0 ? { fingerprint: job.fingerprint } : {};
  /** The settings beside a replace, cancel or conflict: only in a whole document. */
  const beside = (make: () => Pick<ActionDocument, "after" | "before">) => (options.whole ? make() : {});
  const base = { kind: action.kind, key: action.key, team: action.team };
  switch (action.kind) {
    case "create":
      return { ...base, ...fingerprintOf(action.desired), after: desiredSettings(action.desired) };
    case "noop":
      return {
        ...base,
        job_id: action.live.id,
        job_url: action.live.url,
        ...fingerprintOf(action.desired),
        after: desiredSettings(action.desired),
      };
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
        // A plan shown as it is made says when a moved start is past (render/details.ts): the settings it needs.
        ...(!options.whole && action.changes.some((change) => change.field === START_AFTER_CHANGE)
          ? { after: desiredSettings(action.desired) }
          : {}),
        ...beside(() => ({
          after: desiredSettings(action.desired),
          before: liveSettings(action.live, stack, action.desired, action.secretFields),
        })),
      };
    case "cancel":
      return {
        ...base,
        job_id: action.live.id,
        job_url: action.live.url,
        reason: action.reason,
        protected: isProtected(classify(action.live, stack)),
        ...beside(() => ({ after: null, before: liveSettings(action.live, stack, undefined, action.secretFields) })),
      };
    case "conflict":
      return {
        ...base,
        job_id: action.live.id,
        job_url: action.live.url,
        ...beside(() => ({
          after: desiredSettings(action.desired),
          before: liveSettings(action.live, stack, action.desired, action.secretFields),
        })),
      };
    default: {
      const never: never = action;
      return never;
    }
  }
}

export function planDocument(plan: Plan, toolVersion: string, options: DocumentOptions = { whole: true }): PlanDocument {
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
    actions: plan.actions.map((action) => actionDocument(action, plan.stack, options)),
  };
}

/**
 * A plan or its document: what the renderers take. Of a computed plan they are given what
 * they show: no fingerprints (a sha256 of each job's canonical JSON) and no settings but a
 * create's, which for a replace means decoding its live record's applied marker twice over.
 */
export function toPlanDocument(plan: Plan | PlanDocument): PlanDocument {
  return "format_version" in plan ? plan : planDocument(plan, "", { whole: false });
}
