// A saved plan back as the Plan that apply carries out: verified first (./verify.ts), then
// each action tied to the job it sends and the live record it acts on, as listed now. The
// record an action acts on must be one the planner could have chosen for it (see
// docs/architecture.md, "The plan file"): an id written into the file is never trusted alone.

import { canonicalJson } from "../identity/fingerprint.js";
import { classify, isProtected, type LiveJob, type ManagedJob } from "../identity/classify.js";
import { computeChanges } from "../plan/diff.js";
import { PlanRefusedError, UsageError } from "../errors.js";
import { registerJobSecrets } from "../redact.js";
import type { DesiredJob } from "../desired/types.js";
import { SENSITIVE } from "../redact.js";
import { summarizeActions, type Plan, type PlanAction, type PlanSummary, type SecretFields } from "../plan/types.js";
import { isLive } from "../studio/job-status.js";
import type { JobOutput } from "../studio/types.js";
import type { ActionDocument, PlanDocument } from "./document.js";
import { mayStillKeep } from "./stale.js";
import { MAKE_IT_AGAIN, PLAN_CHANGED, verifyPlanFile, type PlanCheckContext } from "./verify.js";

/**
 * The saved plan as a Plan, checked against Studio as listed now, the environment's
 * sensitive values and the local files. Throws PlanRefusedError when anything differs,
 * before any request that changes something.
 */
export async function restorePlan(doc: PlanDocument, context: PlanCheckContext): Promise<Plan> {
  const jobs = await verifyPlanFile(doc, context);
  // Registered before anything is printed: apply's output must not show them.
  if (context.secrets !== undefined) registerJobSecrets(context.secrets, [...jobs.values()], context.env);
  const listed = indexListings(context.listings);
  const actions: PlanAction[] = [];
  const problems: string[] = [];
  for (const action of doc.actions) {
    const restored = restoreAction(action, jobs, (wanted) => liveRecordOf(wanted, doc.stack, listed), {
      createdAt: new Date(doc.created_at),
      teams: doc.teams,
    });
    if (typeof restored === "string") problems.push(restored);
    else if (restored !== undefined) actions.push(restored);
  }
  problems.push(...checkCancelReasons(doc.actions));
  // What apply and show go by (hasChanges, the closing line) is counted from the actions.
  const summary = summarizeActions(doc.actions);
  if ((Object.keys(summary) as (keyof PlanSummary)[]).some((kind) => summary[kind] !== doc.summary[kind])) {
    problems.push("The saved plan's summary does not count its actions.");
  }
  if (problems.length > 0) throw new PlanRefusedError("PLAN_CHANGED", [...problems, PLAN_CHANGED], MAKE_IT_AGAIN);
  return {
    stack: doc.stack,
    teams: doc.teams,
    targets: doc.targets,
    actions,
    summary,
    errors: [],
    warnings: doc.warnings,
    remoteDigest: doc.remote_digest,
    createdAt: doc.created_at,
  };
}

/** Each team's records by id: a record counts only in the listing of its own team. */
function indexListings(listings: ReadonlyMap<string, readonly JobOutput[]>): Map<string, Map<string, JobOutput>> {
  const index = new Map<string, Map<string, JobOutput>>();
  for (const [team, records] of listings) index.set(team, new Map(records.map((record) => [record.id, record])));
  return index;
}

/**
 * The action to carry out; undefined for those that change nothing (noop, conflict); a
 * sentence when the live record it names is not one it may act on.
 */
function restoreAction(
  action: ActionDocument,
  jobs: ReadonlyMap<string, DesiredJob>,
  live: (action: ActionDocument) => JobOutput | string,
  shown: {
    /** When the plan was made: a replace's changes show the next runs from then. */
    createdAt: Date;
    /** The teams the plan covers: what a replaced job's successor records. */
    teams: readonly string[];
  },
): PlanAction | string | undefined {
  const desired = (): DesiredJob => {
    const job = jobs.get(action.key);
    if (job === undefined) throw new UsageError(`The plan file has no job "${action.key}" to ${action.kind}; it is damaged.`);
    return job;
  };
  const { key, team } = action;
  switch (action.kind) {
    case "create":
      return { kind: "create", key, team, desired: desired() };
    case "replace": {
      const job = desired();
      const old = live(action);
      if (typeof old === "string") return old;
      // A replace is shown by its changes: they must be those of the job it sends.
      // The fields plan hid because their live value held a secret it knew are hidden again,
      // whatever secrets this run knows: the changes must be those the plan showed.
      const secretFields = savedSecretFields(action);
      const changes = computeChanges(job, old, shown.createdAt, shown.teams, secretFields);
      if (canonicalJson(changes) !== canonicalJson(action.changes ?? []))
        return `The saved plan's replace of "${key}" in team ${team} shows changes other than those of the job it would send.`;
      return {
        kind: "replace",
        key,
        team,
        desired: job,
        live: old,
        strategy: job.replace,
        changes,
        adopted: action.adopted ?? false,
        secretFields,
      };
    }
    case "cancel": {
      const old = live(action);
      if (typeof old === "string") return old;
      return { kind: "cancel", key, team, live: old, reason: action.reason ?? "removed" };
    }
    case "noop": {
      // Changes nothing, but stands for the job kept, beside which a duplicate is cancelled.
      const kept = live(action);
      return typeof kept === "string" ? kept : undefined;
    }
    case "conflict":
      return undefined;
    default: {
      const never: never = action.kind;
      throw new UsageError(`The plan file has an action of unknown kind "${String(never)}".`);
    }
  }
}

/**
 * The record a replace or cancel acts on, or a noop keeps, as listed now in its team. The
 * planner gives such an action only this stack's record of the action's key, or, when
 * adopting (--adopt), a record that holds the key's name and is no stack's, or a copy of
 * another of the stack's jobs (team-records.ts, `conflicting`): anything else is
 * refused, with a sentence saying whose the record is. A noop's record must be one the
 * planner could keep, and a replace or cancel must show whether its record is protected.
 */
function liveRecordOf(
  action: ActionDocument,
  stack: string,
  listed: ReadonlyMap<string, ReadonlyMap<string, JobOutput>>,
): JobOutput | string {
  const record = action.job_id === undefined ? undefined : listed.get(action.team)?.get(action.job_id);
  if (record === undefined) {
    throw new PlanRefusedError("PLAN_STALE", [
      `Saved plan is stale: job ${String(action.job_id)} of "${action.key}" is no longer listed in team ${action.team}.`,
    ]);
  }
  const adopting = action.kind === "replace" ? action.adopted === true : action.reason === "adopted";
  const job = classify(record, stack);
  const expected = adopting
    ? `a job named "${action.key}" that is not the stack's job of that key`
    : `stack ${stack}'s job "${action.key}"`;
  const fits = adopting
    ? (job.kind === "unmanaged" || job.kind === "misnamed") && record.name === action.key
    : job.kind === "managed" && job.key === action.key;
  if (!fits)
    return `The saved plan's ${action.kind} of "${action.key}" in team ${action.team} names job ${record.id}, which is ${whose(job)}, not ${expected}.`;
  if (action.kind === "noop")
    return job.kind === "managed" && mayKeep(action, job)
      ? record
      : `The saved plan keeps job ${record.id} of "${action.key}" in team ${action.team}, which does not do what the plan shows.`;
  // The planner replaces or cancels only a live job, and the remote digest, checked before,
  // refuses a plan whose job has ended since: one that had ended before was written in. Apply
  // counts the cancel of an ended job as done, so a cancel moved from a running duplicate to
  // the run that ended would leave the job running twice.
  if (!isLive(record.status))
    return `The saved plan's ${action.kind} of "${action.key}" in team ${action.team} names job ${record.id}, which had ended (${record.status}) before the plan was made: the planner replaces and cancels only live jobs.`;
  // The planner marks every replace and cancel of a protected job (it takes --allow-protected),
  // and a job's protection never changes: a plan that hides the mark is not one it wrote.
  if ((action.protected === true) !== isProtected(job)) {
    const shown = action.protected === true ? "protected, which it is not" : "not protected, though it is";
    return `The saved plan's ${action.kind} of "${action.key}" in team ${action.team} shows job ${record.id} as ${shown}.`;
  }
  return record;
}

/**
 * Whether a record of the noop's key (`job`) is one the planner could keep for it, by keep.ts's
 * rule: in a status that may satisfy the job (never cancelled; live for a schedule), and with
 * the noop's fingerprint where the plan shows it (not for a job with sensitive values).
 */
function mayKeep(action: ActionDocument, job: ManagedJob): boolean {
  return mayStillKeep(action, job.record.status) && (action.fingerprint === undefined || action.fingerprint === job.fingerprint);
}

/**
 * A cancel says why, and `show` prints it: a duplicate, an outdated version or an adopted job
 * is cancelled beside the job of its key that the plan keeps (a noop) or puts in place (a
 * replace), and a job removed from the spec has no action of its key in its team. And a job
 * the plan keeps is not cancelled. A plan sealed anew could otherwise show the cancel of a
 * key's only job as "another live job of this key, beside the one kept".
 */
function checkCancelReasons(actions: readonly ActionDocument[]): string[] {
  const place = (team: string, text: string) => `${team}\u0000${text}`;
  const keptKeys = new Set<string>();
  const wantedKeys = new Set<string>();
  const keptIds = new Set<string>();
  for (const action of actions) {
    if (action.kind === "cancel") continue;
    wantedKeys.add(place(action.team, action.key));
    if (action.kind === "noop" || action.kind === "replace") keptKeys.add(place(action.team, action.key));
    if (action.kind === "noop" && action.job_id !== undefined) keptIds.add(place(action.team, action.job_id));
  }
  const problems: string[] = [];
  for (const action of actions) {
    if (action.kind !== "cancel") continue;
    const where = `"${action.key}" in team ${action.team}`;
    if (action.job_id !== undefined && keptIds.has(place(action.team, action.job_id))) {
      problems.push(`The saved plan both keeps and cancels job ${action.job_id} of ${where}.`);
      continue;
    }
    const reason = action.reason ?? "removed";
    const beside = reason === "duplicate" || reason === "outdated" || reason === "adopted";
    if (beside && !keptKeys.has(place(action.team, action.key)))
      problems.push(`The saved plan's cancel of ${where} says it is ${reason}, but the plan keeps no job of that key there.`);
    if (!beside && wantedKeys.has(place(action.team, action.key)))
      problems.push(`The saved plan's cancel of ${where} says it is ${reason}, but the plan has that key there.`);
  }
  return problems;
}

/** Whose a listed record is, in words. */
function whose(job: LiveJob): string {
  switch (job.kind) {
    case "managed":
      return `this stack's job "${job.key}"`;
    case "run":
      return `a run of job ${job.parentId}`;
    case "managed-without-key":
      return "a job of this stack without a key";
    case "misnamed":
      return `a copy of this stack's job "${job.key}" named "${job.record.name}"`;
    case "other-stack":
      return `stack ${job.stack}'s job "${job.record.name}"`;
    case "unmanaged":
      return `a job no stack manages ("${job.record.name}")`;
    default: {
      const never: never = job;
      return never;
    }
  }
}

/**
 * The fields whose live value a saved replace shows as (sensitive): those plan hid, whatever
 * their new value (the spec may drop a variable a live secret was in: `(sensitive) → (not
 * set)`). Hiding one the planner hid for another reason (a ${env:...} value) again changes nothing.
 */
function savedSecretFields(action: ActionDocument): SecretFields {
  return (action.changes ?? []).filter((c) => c.kind === "value" && c.old === SENSITIVE).map((c) => c.field);
}
