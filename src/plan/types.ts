// What a plan is made of: one action per job key and team, tagged by kind.

import type { DesiredJob, ReplaceStrategy } from "../desired/types.js";
import type { JobOutput } from "../studio/types.js";
import { UsageError } from "../errors.js";

/** One changed field of a replaced job, already redacted: sensitive values never get here. */
export type FieldChange =
  | { field: string; kind: "value"; old: string; new: string }
  | { field: string; kind: "text"; patch: string }
  /** `old_runs`, `new_runs`: the next firings of each, in ISO 8601 UTC. */
  | { field: string; kind: "cron"; old: string; new: string; old_runs: string[]; new_runs: string[] };

export type CancelReason = "removed" | "destroyed" | "duplicate" | "outdated" | "adopted";

export type PlanAction =
  | { kind: "create"; key: string; team: string; desired: DesiredJob }
  | { kind: "noop"; key: string; team: string; desired: DesiredJob; live: JobOutput }
  | {
      kind: "replace";
      key: string;
      team: string;
      desired: DesiredJob;
      live: JobOutput;
      strategy: ReplaceStrategy;
      changes: FieldChange[];
      /** The live job is not ours: --adopt is taking it over. */
      adopted: boolean;
      secretFields?: SecretFields;
    }
  | { kind: "cancel"; key: string; team: string; live: JobOutput; reason: CancelReason; secretFields?: SecretFields }
  | { kind: "conflict"; key: string; team: string; desired: DesiredJob; live: JobOutput; secretFields?: SecretFields };

/**
 * The fields of an action's live record whose value holds a secret the run knows (the token,
 * a ${env:...} value): shown and saved as (sensitive). Decided once, when the plan is made,
 * and read back from a saved plan's changes, so plan and apply hide the same fields whatever
 * secrets each of them knows.
 */
export type SecretFields = readonly string[];

export interface PlanOptions {
  stack: string;
  /** Every team the plan covers: the spec's teams, plus teams being emptied. */
  teams: readonly string[];
  /** The spec's `teams:`: covered by every plan, so no job need record them. */
  declaredTeams?: readonly string[];
  /** Only these keys, when given. */
  targets: readonly string[];
  adopt: boolean;
  allowEmpty: boolean;
  allowProtected: boolean;
  maxCancel: number;
  /** The moment the plan is made, for next cron runs. */
  now: Date;
  /** `destroy`: the stack's jobs are cancelled because the stack is retired, not because they left the spec. */
  destroying?: boolean;
  /** Whether a text holds a secret the run knows: such a live value is shown as (sensitive). */
  holdsSecret?: (text: string) => boolean;
  /** The spec paths as a shell takes them back (` jobs/`), for the commands messages suggest; "" for ./studio-jobs.yaml. */
  specArguments?: string;
}

export interface PlanSummary {
  create: number;
  replace: number;
  cancel: number;
  noop: number;
  conflict: number;
}

export interface Plan {
  stack: string;
  teams: string[];
  /** --target keys the plan was limited to; empty for all. */
  targets: string[];
  actions: PlanAction[];
  summary: PlanSummary;
  /** Problems that stop the plan from being applied, each a sentence saying how to proceed. */
  errors: string[];
  warnings: string[];
  /** sha256 over the live records the plan's decisions rest on (docs/architecture.md, "The plan file"). */
  remoteDigest: string;
  /** When the plan was made (ISO 8601); next cron runs are counted from it. */
  createdAt: string;
}

/** How many actions of each kind: what a plan's summary says. */
export function summarizeActions(actions: readonly { kind: PlanAction["kind"] }[]): PlanSummary {
  const summary: PlanSummary = { create: 0, replace: 0, cancel: 0, noop: 0, conflict: 0 };
  for (const action of actions) summary[action.kind] += 1;
  return summary;
}

/**
 * Refuses what is not a plan (computePlan's, or a saved plan's document), from a library caller
 * without type checks: a TypeError from deep inside a renderer names nothing the caller wrote.
 */
export function checkPlanArgument(caller: string, plan: unknown): void {
  const p = plan as Partial<Record<keyof Plan, unknown>> | null;
  if (
    typeof p !== "object" ||
    p === null ||
    typeof p.stack !== "string" ||
    !Array.isArray(p.teams) ||
    !Array.isArray(p.actions) ||
    !Array.isArray(p.errors) ||
    !Array.isArray(p.warnings) ||
    typeof p.summary !== "object" ||
    p.summary === null
  )
    throw new UsageError(`${caller}: the first argument must be a plan made by computePlan (or a saved plan's document).`);
}

export function hasChanges(plan: Plan): boolean {
  checkPlanArgument("hasChanges", plan);
  return plan.summary.create + plan.summary.replace + plan.summary.cancel > 0;
}
