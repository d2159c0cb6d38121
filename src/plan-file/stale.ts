// What changed in Studio since a saved plan was made, job by job where it can be told: the
// remote digest (plan/digest.ts) says only that something did. Read over the same records
// the digest covers (groupTeamRecords), against the job each action names.

import type { ManagedJob } from "../identity/classify.js";
import { groupTeamRecords, withinTargets } from "../plan/team-records.js";
import { isCancelled, isLive } from "../studio/job-status.js";
import type { JobOutput } from "../studio/types.js";
import type { ActionDocument, PlanDocument } from "./document.js";

const VERB: Record<ActionDocument["kind"], string> = {
  create: "creates",
  noop: "keeps",
  replace: "replaces",
  cancel: "cancels",
  conflict: "conflicts with",
};

/**
 * Each change found, as a sentence: a job an action names that is gone or whose state moved
 * the wrong way (a job to replace or cancel that ended, a job kept that was cancelled), and a
 * live record of the plan's keys that no action names, so it was made since; failing these,
 * a job kept that has ended (a one-off job's run). Empty when the change is none of these
 * (say, a record that was made and ended meanwhile).
 */
export function changesSincePlan(doc: PlanDocument, listings: ReadonlyMap<string, readonly JobOutput[]>): string[] {
  const named = new Set<string>();
  for (const action of doc.actions) if (action.job_id !== undefined) named.add(`${action.team}\u0000${action.job_id}`);
  const desiredKeys = plannedKeys(doc);
  const wanted = withinTargets(doc.targets);
  const found: string[] = [];
  /** Jobs kept that have ended: a one-off job's run ending changes the digest, and may be all that did. */
  const ended: string[] = [];
  for (const team of doc.teams) {
    const records = listings.get(team) ?? [];
    const byId = new Map(records.map((record) => [record.id, record]));
    for (const action of doc.actions) {
      if (action.team !== team || action.job_id === undefined || action.kind === "conflict") continue;
      const which = `job ${action.job_id} of "${action.key}" in team ${team}, which the plan ${VERB[action.kind]},`;
      const now = byId.get(action.job_id);
      if (now === undefined) found.push(`${which} is no longer listed.`);
      else if (action.kind === "noop" ? isCancelled(now.status) : !isLive(now.status)) found.push(`${which} is ${now.status} now.`);
      else if (!isLive(now.status)) ended.push(`${which} is ${now.status} now: it may have ended since the plan was made.`);
    }
    const groups = groupTeamRecords(records, {
      team,
      stack: doc.stack,
      desiredKeys: desiredKeys.get(team) ?? new Set<string>(),
      wanted,
    });
    const unseen = (record: JobOutput) => isLive(record.status) && !named.has(`${team}\u0000${record.id}`);
    for (const [key, jobs] of groups.managed)
      for (const { record } of jobs)
        if (unseen(record)) found.push(`job ${record.id} of "${key}" in team ${team} was made since (by another apply, or in Studio).`);
    for (const [name, jobs] of groups.conflicting)
      for (const job of jobs) {
        if (!unseen(job.record)) continue;
        const whose = job.kind === "misnamed" ? `a copy of this stack's job "${job.key}"` : "managed by no stack";
        found.push(`job ${job.record.id} in team ${team}, named "${name}" and ${whose}, was made since.`);
      }
  }
  // Whether it was running when the plan was made, the plan does not say: named only when
  // nothing else explains the change.
  return found.length > 0 ? found : ended;
}

/**
 * Whether Studio is as the plan leaves it, so that the change since it was made is its own
 * apply: every job it creates or replaces is live once, as it makes it (its fingerprint, when
 * the plan holds one), every job it replaces or cancels has ended, every job it keeps is still
 * there, and no other live record the plan decided from runs in its teams (one of the stack's,
 * of any key within its targets; one holding a planned job's name that is not the stack's job
 * of it). A key's actions in a team are judged together (a duplicate cancelled beside the job
 * kept). A one-off job counts as run only by a record with its fingerprint: with a sensitive
 * value the plan holds none, and an earlier version that ended looks the same. Read over the
 * records the digest covers (groupTeamRecords). A plan with nothing to do is never so.
 */
export function appliedAlready(doc: PlanDocument, listings: ReadonlyMap<string, readonly JobOutput[]>): boolean {
  if (!doc.actions.some((action) => action.kind !== "noop")) return false;
  if (doc.actions.some((action) => action.kind === "conflict")) return false;
  const desiredKeys = plannedKeys(doc);
  const wanted = withinTargets(doc.targets);
  /** The stack's records of each key within the plan, in every status, by team and key. */
  const managed = new Map<string, ManagedJob[]>();
  for (const team of doc.teams) {
    const records = listings.get(team) ?? [];
    const groups = groupTeamRecords(records, { team, stack: doc.stack, desiredKeys: desiredKeys.get(team) ?? new Set<string>(), wanted });
    // A live record holding a planned job's name that is not the stack's job of it: a conflict a new plan shows.
    if (groups.conflicting.size > 0) return false;
    for (const [key, jobs] of groups.managed) managed.set(`${team}\u0000${key}`, jobs);
  }
  const slots = new Map<string, ActionDocument[]>();
  for (const action of doc.actions) {
    const where = `${action.team}\u0000${action.key}`;
    const actions = slots.get(where);
    if (actions === undefined) slots.set(where, [action]);
    else actions.push(action);
  }
  for (const [where, actions] of slots) {
    const jobs = managed.get(where) ?? [];
    const byId = new Map(jobs.map(({ record }) => [record.id, record]));
    let makes = 0;
    for (const action of actions) {
      const named = action.job_id === undefined ? undefined : byId.get(action.job_id);
      if (action.kind === "noop") {
        if (named === undefined || isCancelled(named.status)) return false;
      } else {
        // The job a replace or a cancel names has ended (or is gone); a create or a replace made one.
        if (named !== undefined && isLive(named.status)) return false;
        if (action.kind !== "cancel") makes++;
      }
    }
    if (makes > 1) return false;
    const fingerprint = doc.jobs?.[(actions[0] as ActionDocument).key]?.fingerprint ?? undefined;
    const cron = doc.jobs?.[(actions[0] as ActionDocument).key]?.cron;
    const namedIds = new Set(actions.map((action) => action.job_id));
    const others = jobs.filter(({ record }) => !namedIds.has(record.id));
    const liveOthers = others.filter(({ record }) => isLive(record.status));
    if (liveOthers.length > makes) return false;
    if (fingerprint !== undefined && liveOthers.some((job) => job.fingerprint !== fingerprint)) return false;
    // A one-off job made by the plan may have run and ended since: a record with its fingerprint.
    if (liveOthers.length < makes) {
      const ran =
        cron === null &&
        fingerprint !== undefined &&
        others.some((job) => !isCancelled(job.record.status) && job.fingerprint === fingerprint);
      if (!ran) return false;
    }
  }
  // A live record of the stack in a team and key no action names was made since: a new plan cancels it.
  for (const [where, jobs] of managed) if (!slots.has(where) && jobs.some(({ record }) => isLive(record.status))) return false;
  return true;
}

/** The keys each team of the plan wants (every action but a cancel), as the planner's remote digest covered them. */
export function plannedKeys(doc: PlanDocument): Map<string, Set<string>> {
  const desiredKeys = new Map<string, Set<string>>();
  for (const action of doc.actions) {
    if (action.kind === "cancel") continue;
    const keys = desiredKeys.get(action.team) ?? new Set<string>();
    keys.add(action.key);
    desiredKeys.set(action.team, keys);
  }
  return desiredKeys;
}
