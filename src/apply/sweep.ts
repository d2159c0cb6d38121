// After its creates, apply looks once more for duplicates of the jobs it touched: two
// applies of one spec started together both create every job. Each sweep keeps the
// record the shared rule in plan/keep.ts prefers and cancels the other live ones; the
// apply that sweeps last has seen every create of the other, so when both have exited
// each key has exactly one live job.

import { managedAs, type ManagedJob } from "../identity/classify.js";
import { satisfyingInKeepOrder } from "../plan/keep.js";
import type { DesiredJob } from "../desired/types.js";
import type { StudioClient } from "../studio/client.js";
import { isLive } from "../studio/status.js";
import type { JobOutput } from "../studio/types.js";

export interface DuplicateToCancel {
  key: string;
  team: string;
  live: JobOutput;
  /** The record kept in its place. */
  keptId: string;
}

export interface SweepResult {
  duplicates: DuplicateToCancel[];
  /** Teams whose listing failed: their duplicates, if any, are not known. */
  failed: { team: string; error: unknown }[];
}

/** The live duplicates of `jobs`, listed afresh: one listing per team; a team that cannot be listed is said, not thrown. */
export async function sweepDuplicates(client: StudioClient, jobs: readonly DesiredJob[]): Promise<SweepResult> {
  const byTeam = new Map<string, DesiredJob[]>();
  for (const job of jobs) {
    const team = byTeam.get(job.team);
    if (team === undefined) byTeam.set(job.team, [job]);
    else team.push(job);
  }
  const result: SweepResult = { duplicates: [], failed: [] };
  for (const [team, wanted] of byTeam) {
    const stack = wanted[0]?.stack ?? "";
    try {
      // Only the stack's own records take part; the rest are dropped as the listing streams in.
      const records = await client.listAllJobs(team, { keep: (r) => managedAs(r, stack) !== undefined, stack });
      result.duplicates.push(...findDuplicates(team, wanted, records));
    } catch (error) {
      result.failed.push({ team, error });
    }
  }
  return result;
}

/** Pure: for each desired job, the live records that satisfy it other than the one kept. */
export function findDuplicates(team: string, jobs: readonly DesiredJob[], records: readonly JobOutput[]): DuplicateToCancel[] {
  // The records of each (stack, key), sorted out once: a spec has one stack and many keys.
  const byKey = new Map<string, ManagedJob[]>();
  for (const stack of new Set(jobs.map((job) => job.stack))) {
    for (const record of records) {
      const job = managedAs(record, stack);
      if (job === undefined) continue;
      const id = `${stack}\u0000${job.key}`;
      const same = byKey.get(id);
      if (same === undefined) byKey.set(id, [job]);
      else same.push(job);
    }
  }
  const found: DuplicateToCancel[] = [];
  for (const job of jobs) {
    const [kept, ...rest] = satisfyingInKeepOrder(byKey.get(`${job.stack}\u0000${job.key}`) ?? [], job);
    if (kept === undefined) continue;
    for (const other of rest)
      if (isLive(other.record.status)) found.push({ key: job.key, team, live: other.record, keptId: kept.record.id });
  }
  return found;
}
