// remote_digest: what a plan's decisions rest on, so that a saved plan can tell
// whether Studio has changed under it.

import { canonicalJson, sha256Hex } from "../identity/fingerprint.js";
import { MARKERS } from "../identity/markers.js";
import { isCancelled, isLive, isRun } from "../studio/status.js";
import type { JobOutput } from "../studio/types.js";

/** The state of a record that planning rests on; raw statuses move on by themselves. */
export function planningState(status: string): string {
  if (isCancelled(status)) return "cancelled";
  return isLive(status) ? "live" : "finished";
}

/**
 * sha256 over the sorted (id, planning state) of the stack's records and of the unmanaged
 * live records that share a name with a desired job, in the covered teams.
 *
 * Not the records' fingerprints: Studio cannot update a job, so an id stands for its
 * settings and a fingerprint would add nothing; but a fingerprint covers sensitive
 * values, and a digest over it, beside the settings a plan shows, would let a reader
 * confirm a guessed secret.
 */
export function computeRemoteDigest(
  stack: string,
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  desiredKeys: ReadonlyMap<string, ReadonlySet<string>>,
  targets: readonly string[],
): string {
  const wanted = new Set(targets);
  const entries: [string, string][] = [];
  for (const [team, jobs] of listings) {
    const keys = desiredKeys.get(team) ?? new Set<string>();
    for (const job of jobs) {
      if (isRun(job)) continue;
      const env = job.environment ?? {};
      const jobStack = env[MARKERS.stack];
      const key = env[MARKERS.key];
      const ours = jobStack === stack && key !== undefined && (wanted.size === 0 || wanted.has(key));
      const inConflict = jobStack === undefined && isLive(job.status) && keys.has(job.name);
      if (ours || inConflict) entries.push([job.id, planningState(job.status)]);
    }
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return sha256Hex(canonicalJson(entries));
}
