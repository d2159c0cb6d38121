// After its creates, apply looks once more for duplicates of the jobs it touched: two
// applies of one spec started together both create every job. Each sweep keeps the
// record the shared rule in plan/keep.ts prefers and cancels the other live ones; the
// apply that sweeps last has seen every create of the other, so when both have exited
// each key has exactly one live job.

import { keepOrder, satisfies } from "../plan/keep.js";
import { MARKERS } from "../identity/markers.js";
import type { DesiredJob } from "../desired/types.js";
import type { StudioClient } from "../studio/client.js";
import { isLive, isRun } from "../studio/status.js";
import type { JobOutput } from "../studio/types.js";

export interface DuplicateToCancel {
  key: string;
  team: string;
  live: JobOutput;
  /** The record kept in its place. */
  keptId: string;
}

/** The live duplicates of `jobs`, listed afresh: one listing per team. */
export async function sweepDuplicates(client: StudioClient, jobs: readonly DesiredJob[]): Promise<DuplicateToCancel[]> {
  const byTeam = new Map<string, DesiredJob[]>();
  for (const job of jobs) byTeam.set(job.team, [...(byTeam.get(job.team) ?? []), job]);
  const found: DuplicateToCancel[] = [];
  for (const [team, wanted] of byTeam) {
    const stack = wanted[0]?.stack;
    const records = await client.listAllJobs(team, { keep: (r) => !isRun(r) && r.environment[MARKERS.stack] === stack });
    found.push(...findDuplicates(team, wanted, records));
  }
  return found;
}

/** Pure: for each desired job, the live records that satisfy it other than the one kept. */
export function findDuplicates(team: string, jobs: readonly DesiredJob[], records: readonly JobOutput[]): DuplicateToCancel[] {
  const found: DuplicateToCancel[] = [];
  for (const job of jobs) {
    const matching = records
      .filter((r) => r.environment[MARKERS.stack] === job.stack && r.environment[MARKERS.key] === job.key)
      .filter((r) => satisfies(r, r.environment[MARKERS.fingerprint], job))
      .sort(keepOrder);
    const [kept, ...rest] = matching;
    if (kept === undefined) continue;
    for (const other of rest) if (isLive(other.status)) found.push({ key: job.key, team, live: other, keptId: kept.id });
  }
  return found;
}
