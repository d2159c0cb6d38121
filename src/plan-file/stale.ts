// What changed in Studio since a saved plan was made, job by job where it can be told: the
// remote digest (plan/digest.ts) says only that something did. Read over the same records
// the digest covers (groupTeamRecords), against the job each action names.

import { managedAs } from "../identity/classify.js";
import { actedSlot, actedSlots } from "../plan/digest.js";
import { statusMaySatisfy } from "../plan/keep.js";
import { settingAt } from "../plan/settings.js";
import { add, groupTeamRecords, withinTargets } from "../plan/team-records.js";
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
 * live record of the plan's keys that no action names, so it was made since. A kept one-off
 * job's run ending is no change (the digest takes its live and finished states as one) unless
 * the plan also replaces or cancels a job of its key (a cancel beside it may then be of
 * another kind); a kept schedule's ending is. Empty when the change is none of these (say, a
 * record that was made and ended meanwhile).
 */
export function changesSincePlan(doc: PlanDocument, listings: ReadonlyMap<string, readonly JobOutput[]>): string[] {
  const named = new Set<string>();
  for (const action of doc.actions) if (action.job_id !== undefined) named.add(`${action.team}\u0000${action.job_id}`);
  const desiredKeys = plannedKeys(doc);
  const wanted = withinTargets(doc.targets);
  const found: string[] = [];
  const acted = actedSlots(doc.actions);
  /** A kept job that ended: a change, but for a one-off job's run where the plan neither replaces nor cancels its key (recordState). */
  const endedChanges = (record: JobOutput, team: string, key: string) =>
    !isLive(record.status) && (!isOneOff(record, doc.stack) || acted.has(actedSlot(team, key)));
  for (const team of doc.teams) {
    const records = listings.get(team) ?? [];
    const byId = new Map(records.map((record) => [record.id, record]));
    for (const action of doc.actions) {
      if (action.team !== team || action.job_id === undefined || action.kind === "conflict") continue;
      const which = `job ${action.job_id} of "${action.key}" in team ${team}, which the plan ${VERB[action.kind]},`;
      const now = byId.get(action.job_id);
      if (now === undefined) found.push(`${which} is no longer listed.`);
      else if (action.kind === "noop" ? isCancelled(now.status) || endedChanges(now, team, action.key) : !isLive(now.status))
        found.push(`${which} is ${now.status} now.`);
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
  return found;
}

/**
 * Whether Studio is as the plan leaves it, so that the change since it was made is its own
 * apply: every job it creates or replaces is live once, as it makes it (its fingerprint), every job it replaces or cancels has ended, every job it keeps is still
 * there, and no other live job of the stack (of the keys it covers, --target or all) or
 * holding one of its jobs' names runs in its teams. A plan with nothing to do is never so.
 */
export function appliedAlready(
  doc: PlanDocument,
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  /** Each job's fingerprint as the apply makes it: the saved plan leaves a sensitive job's out, so it is computed again. */
  fingerprintOf: (key: string) => string | undefined,
): boolean {
  if (!doc.actions.some((action) => action.kind !== "noop")) return false;
  const desiredKeys = plannedKeys(doc);
  const wanted = withinTargets(doc.targets);
  /** Live records of the stack, by team and key, and the ended ones (a one-off job's run). */
  const live = new Map<string, JobOutput[]>();
  const ended = new Map<string, JobOutput[]>();
  for (const team of doc.teams) {
    const groups = groupTeamRecords(listings.get(team) ?? [], {
      team,
      stack: doc.stack,
      desiredKeys: desiredKeys.get(team) ?? new Set<string>(),
      wanted,
    });
    // A live job holding a name the plan's jobs take, not the stack's job of it: made since,
    // or (named by a conflict or an adopt) not dealt with.
    if (groups.conflicting.size > 0) return false;
    for (const [key, jobs] of groups.managed)
      for (const { record } of jobs) add(isLive(record.status) ? live : ended, `${team}\u0000${key}`, record);
  }
  // By id, once: a scan of the listing per action is actions × records (10,000 × 100,000).
  const byId = new Map<string, Map<string, JobOutput>>();
  for (const team of doc.teams) byId.set(team, new Map((listings.get(team) ?? []).map((record) => [record.id, record])));
  const listed = (team: string, id: string | undefined) => (id === undefined ? undefined : byId.get(team)?.get(id));
  /** What the plan leaves live of each key it names: its create, replace or noop; a key only cancelled is absent. */
  const leaves = new Map<string, ActionDocument>();
  for (const action of doc.actions) {
    if (action.kind === "conflict") return false;
    if (action.kind === "noop") {
      const kept = listed(action.team, action.job_id);
      if (kept === undefined || !mayStillKeep(action, kept.status)) return false;
    } else {
      const old = listed(action.team, action.job_id);
      if (old !== undefined && isLive(old.status)) return false;
    }
    if (action.kind !== "cancel") leaves.set(`${action.team}\u0000${action.key}`, action);
  }
  // Every live job of the stack is one the plan leaves: a key it does not name, or only
  // cancels, has none (a live one was made since, by another apply or in Studio).
  for (const [slot, records] of live) {
    const action = leaves.get(slot);
    if (action === undefined) return false;
    if (action.kind === "noop") {
      if (records.some((record) => record.id !== action.job_id)) return false;
    } else if (records.length > 1 || !madeBy(doc.stack, fingerprintOf(action.key), records[0])) return false;
  }
  for (const [slot, action] of leaves) {
    if (action.kind === "noop") continue;
    if (doc.jobs?.[action.key]?.cron !== null) {
      if (!live.has(slot)) return false;
      continue;
    }
    // A one-off job made by the plan may have run and ended since: its record has its
    // fingerprint (an earlier version that ran before the plan was made has another). It
    // runs once: a live copy beside the one that ran is a second run.
    const ran = (ended.get(slot) ?? []).filter(
      (record) => record.id !== action.job_id && !isCancelled(record.status) && madeBy(doc.stack, fingerprintOf(action.key), record),
    );
    if (ran.length + (live.get(slot)?.length ?? 0) !== 1) return false;
  }
  return true;
}

/** Whether a record of a create's or replace's key is the job it makes: the fingerprint it makes it with. */
function madeBy(stack: string, fingerprint: string | undefined, record: JobOutput | undefined): boolean {
  return record !== undefined && fingerprint !== undefined && managedAs(record, stack)?.fingerprint === fingerprint;
}

/**
 * Whether a noop's record, in this status, is still one the planner may keep (keep.ts): never
 * cancelled, and live for a schedule (the noop's settings name its cron).
 */
export function mayStillKeep(action: ActionDocument, status: string): boolean {
  const schedule = action.after === undefined || action.after === null ? undefined : settingAt(action.after, "cron");
  return statusMaySatisfy(status, schedule !== undefined);
}

/** A record of the stack's one-off job (its applied marker names no schedule): its run ends by itself. */
function isOneOff(record: JobOutput, stack: string): boolean {
  const applied = managedAs(record, stack)?.applied;
  return applied !== undefined && applied.cron === undefined;
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
