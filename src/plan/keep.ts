// Which record of a job key satisfies the spec, and which one is kept when several do.
// The planner, apply's post-create sweep and status all decide by these functions, so two
// applies running at once pick the same survivor without talking to each other, and status
// calls in the spec the record a plan keeps; a saved plan's noop is held to them too.

import type { ManagedJob } from "../identity/classify.js";
import { isCancelled, isLive } from "../studio/job-status.js";
import { studioTimeMs } from "../studio/time.js";
import type { JobOutput } from "../studio/types.js";
import { byCodeUnits } from "../code-unit-order.js";

/**
 * Whether a record of the job's key already does what the desired job asks. A cron job
 * needs a live schedule with its fingerprint; a one-off job runs once, so a record with
 * its fingerprint in any status but cancelled satisfies it.
 */
export function satisfies(
  have: Pick<ManagedJob, "record" | "fingerprint">,
  want: { fingerprint: string; cron: string | undefined },
): boolean {
  return have.fingerprint === want.fingerprint && statusMaySatisfy(have.record.status, want.cron !== undefined);
}

/**
 * Whether a record in this status can satisfy a job, its fingerprint aside: a schedule's only
 * while live, a one-off job's in any status but cancelled.
 */
export function statusMaySatisfy(status: string, schedule: boolean): boolean {
  return schedule ? isLive(status) : !isCancelled(status);
}

function createdMs(record: JobOutput): number {
  const ms = studioTimeMs(record.created_at);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/**
 * The order in which records are preferred for keeping: oldest first by `created_at`,
 * then by id. Oldest, because a record every concurrent apply can see is older than
 * one only some of them have seen yet; the id breaks ties the same way everywhere.
 */
export function keepOrder(a: JobOutput, b: JobOutput): number {
  const byTime = createdMs(a) - createdMs(b);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  return byCodeUnits(a.id, b.id);
}

/** The records of a key that satisfy the desired job, in the order they are kept: the first survives. */
export function satisfyingInKeepOrder<T extends Pick<ManagedJob, "record" | "fingerprint">>(
  records: readonly T[],
  want: { fingerprint: string; cron: string | undefined },
): T[] {
  return records.filter((r) => satisfies(r, want)).sort((a, b) => keepOrder(a.record, b.record));
}
