// A saved plan back as the Plan that apply carries out: verified first (./verify.ts), then
// each action tied to the job it sends and the live record it acts on, as listed now.

import { PlanRefusedError, UsageError } from "../errors.js";
import type { DesiredJob } from "../desired/types.js";
import type { Plan, PlanAction } from "../plan/types.js";
import type { JobOutput } from "../studio/types.js";
import type { ActionDocument, PlanDocument } from "./document.js";
import { verifyPlanFile, type PlanCheckContext } from "./verify.js";

/**
 * The saved plan as a Plan, checked against Studio as listed now, the environment's
 * sensitive values and the local files. Throws PlanRefusedError when anything differs.
 */
export async function restorePlan(doc: PlanDocument, context: PlanCheckContext): Promise<Plan> {
  const jobs = await verifyPlanFile(doc, context);
  const byId = new Map<string, JobOutput>();
  for (const list of context.listings.values()) for (const job of list) byId.set(job.id, job);
  const actions: PlanAction[] = [];
  for (const action of doc.actions) {
    const restored = restoreAction(action, jobs, byId);
    if (restored !== undefined) actions.push(restored);
  }
  return {
    stack: doc.stack,
    teams: doc.teams,
    targets: doc.targets,
    actions,
    summary: doc.summary,
    errors: [],
    warnings: doc.warnings,
    remoteDigest: doc.remote_digest,
    createdAt: doc.created_at,
  };
}

/** The action to carry out; undefined for those that change nothing (noop, conflict). */
function restoreAction(
  action: ActionDocument,
  jobs: ReadonlyMap<string, DesiredJob>,
  byId: ReadonlyMap<string, JobOutput>,
): PlanAction | undefined {
  const desired = (): DesiredJob => {
    const job = jobs.get(action.key);
    if (job === undefined) throw new UsageError(`The plan file has no job "${action.key}" to ${action.kind}; it is damaged.`);
    return job;
  };
  const live = (): JobOutput => {
    const found = action.job_id === undefined ? undefined : byId.get(action.job_id);
    if (found === undefined)
      throw new PlanRefusedError("PLAN_STALE", [
        `Saved plan is stale: job ${String(action.job_id)} of "${action.key}" is no longer listed.`,
      ]);
    return found;
  };
  const { key, team } = action;
  switch (action.kind) {
    case "create":
      return { kind: "create", key, team, desired: desired() };
    case "replace": {
      const job = desired();
      return {
        kind: "replace",
        key,
        team,
        desired: job,
        live: live(),
        strategy: job.replace,
        changes: action.changes ?? [],
        adopted: action.adopted ?? false,
      };
    }
    case "cancel":
      return { kind: "cancel", key, team, live: live(), reason: action.reason ?? "removed" };
    case "noop":
    case "conflict":
      return undefined;
    default: {
      const never: never = action.kind;
      throw new UsageError(`The plan file has an action of unknown kind "${String(never)}".`);
    }
  }
}
