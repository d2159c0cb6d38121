// remote_digest: what a plan's decisions rest on, so that a saved plan can tell
// whether Studio has changed under it.

import { sha256Hex } from "../identity/fingerprint.js";
import { isCancelled, isLive } from "../studio/job-status.js";
import type { JobOutput } from "../studio/types.js";
import { groupTeamRecords, withinTargets, type TeamRecords } from "./team-records.js";
import { byCodeUnits } from "../code-unit-order.js";

/** The state of a record that planning rests on; raw statuses move on by themselves. */
export function planningState(status: string): string {
  if (isCancelled(status)) return "cancelled";
  return isLive(status) ? "live" : "finished";
}

/**
 * sha256 over the sorted (id, planning state) of the records a plan decided from: the
 * stack's records of the keys it covers, and the unmanaged live records that share a name
 * with a desired job, grouped by the planner's own groupTeamRecords.
 *
 * Not the records' fingerprints: Studio cannot update a job, so an id stands for its
 * settings and a fingerprint would add nothing; but a fingerprint covers sensitive
 * values, and a digest over it, beside the settings a plan shows, would let a reader
 * confirm a guessed secret.
 */
export function digestRecords(groups: Iterable<TeamRecords>): string {
  const entries: [string, string][] = [];
  for (const { managed, conflicting } of groups) {
    for (const jobs of [...managed.values(), ...conflicting.values()]) {
      for (const { record } of jobs) entries.push([record.id, planningState(record.status)]);
    }
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
): string {
  const wanted = withinTargets(targets);
  const groups = [...listings].map(([team, records]) =>
    groupTeamRecords(records, {
      team,
      stack,
      desiredKeys: desiredKeys.get(team) ?? new Set<string>(),
      wanted,
    }),
  );
  return digestRecords(groups);
}
