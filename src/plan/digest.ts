// remote_digest: what a plan's decisions rest on, so that a saved plan can tell
// whether Studio has changed under it.

import { sha256Hex } from "../identity/fingerprint.js";
import { isCancelled, isLive } from "../studio/job-status.js";
import type { JobOutput } from "../studio/types.js";
import type { ManagedJob } from "../identity/classify.js";
import { groupTeamRecords, withinTargets, type TeamRecords } from "./team-records.js";
import { byCodeUnits } from "../code-unit-order.js";

/** The state of a record that planning rests on; raw statuses move on by themselves. */
export function planningState(status: string): string {
  if (isCancelled(status)) return "cancelled";
  return isLive(status) ? "live" : "finished";
}

/**
 * A one-off job runs to its end by itself: a plan that keeps it, or makes its key anew, decides
 * alike whether it is queued, running or has run, and a saved plan must not go stale by its
 * run ending (a plan, an approval, an apply hours later). Where the plan replaces or cancels
 * the key, its ending is a change (the job to cancel is gone). Told from the record (its applied
 * marker names no schedule) and the keys the plan replaces or cancels, not from the plan's
 * job ids: a plan whose ids were edited is refused for the edit, not as stale.
 */
function recordState(job: ManagedJob, slot: string, acted: ReadonlySet<string>): string {
  const state = planningState(job.record.status);
  // The applied marker is decoded last: only for a record whose key the plan leaves be.
  if (state === "cancelled" || acted.has(slot) || job.applied === undefined || job.applied.cron !== undefined) return state;
  return "run";
}

/** The (team, key) a replace or a cancel acts on: `acted` of digestRecords. */
export function actedSlot(team: string, key: string): string {
  return `${team}\u0000${key}`;
}

/** The slots the replaces and cancels of a plan, or of its saved document, act on: digestRecords' `acted`. */
export function actedSlots(actions: Iterable<{ kind: string; team: string; key: string }>): Set<string> {
  const slots = new Set<string>();
  for (const action of actions) if (action.kind === "replace" || action.kind === "cancel") slots.add(actedSlot(action.team, action.key));
  return slots;
}

/**
 * sha256 over the sorted (id, planning state) of the records a plan decided from: the
 * stack's records of the keys it covers, and the unmanaged live records that share a name
 * with a desired job, grouped by the planner's own groupTeamRecords. A one-off job's record
 * has one state whether live or finished where the plan does not replace or cancel its key
 * (`acted`, actedSlot): recordState.
 *
 * Not the records' fingerprints: Studio cannot update a job, so an id stands for its
 * settings and a fingerprint would add nothing; but a fingerprint covers sensitive
 * values, and a digest over it, beside the settings a plan shows, would let a reader
 * confirm a guessed secret.
 */
export function digestRecords(groups: Iterable<readonly [team: string, records: TeamRecords]>, acted: ReadonlySet<string>): string {
  const entries: [string, string][] = [];
  for (const [team, { managed, conflicting }] of groups) {
    for (const [key, jobs] of managed) for (const job of jobs) entries.push([job.record.id, recordState(job, actedSlot(team, key), acted)]);
    for (const holders of conflicting.values()) for (const { record } of holders) entries.push([record.id, planningState(record.status)]);
  }
  entries.sort((a, b) => byCodeUnits(a[0], b[0]));
  // The canonical JSON of a list of string pairs is what JSON.stringify writes (nothing to
  // sort, nothing undefined), in one native call instead of a walk per string.
  return sha256Hex(JSON.stringify(entries));
}

/** The digest of listings as they are now, for a saved plan's check: the plan's keys per team, and its --target keys. */
export function computeRemoteDigest(
  stack: string,
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  desiredKeys: ReadonlyMap<string, ReadonlySet<string>>,
  targets: readonly string[],
  acted: ReadonlySet<string>,
): string {
  const wanted = withinTargets(targets);
  const groups = [...listings].map(
    ([team, records]) =>
      [
        team,
        groupTeamRecords(records, {
          team,
          stack,
          desiredKeys: desiredKeys.get(team) ?? new Set<string>(),
          wanted,
        }),
      ] as const,
  );
  return digestRecords(groups, acted);
}
