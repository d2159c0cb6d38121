// Everything that interprets job statuses and runs lives here, so that if Studio
// reports them differently only this module changes (docs/architecture.md, "Modules").

import { JOB_STATUSES, type JobOutput, type JobStatus } from "./types.js";

const KNOWN = new Set<string>(JOB_STATUSES);

/** Studio's `ACTIVE` pseudo-status. */
export const ACTIVE_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>([
  "CREATED",
  "SCHEDULED",
  "QUEUED",
  "INIT",
  "RUNNING",
  "CANCELING_SCHEDULED",
  "CANCELING",
]);

/** Statuses after which a record will never run again: it is not live for planning. */
const NOT_LIVE: ReadonlySet<string> = new Set(["COMPLETE", "FAILED", "CANCELED", "CANCELING", "CANCELING_SCHEDULED"]);

/** Statuses that mean a cancel was asked for. */
const CANCELLED: ReadonlySet<string> = new Set(["CANCELED", "CANCELING", "CANCELING_SCHEDULED"]);

export function isKnownStatus(status: string): status is JobStatus {
  return KNOWN.has(status);
}

/** Live = may still run. An unknown status counts as live: it is safer to keep it. */
export function isLive(status: string): boolean {
  return !NOT_LIVE.has(status);
}

/** Running or about to run: cancelling it stops work in progress (a schedule waiting for its time does not). */
const UNDERWAY: ReadonlySet<string> = new Set(["CREATED", "QUEUED", "INIT", "PROVISIONING", "PENDING", "RUNNING"]);

export function isUnderway(status: string): boolean {
  return UNDERWAY.has(status);
}

export function isCancelled(status: string): boolean {
  return CANCELLED.has(status);
}

/** A run is one firing of a schedule: it belongs to Studio, never to the plan. */
export function isRun(job: Pick<JobOutput, "parent_job_id">): boolean {
  return runParentId(job) !== undefined;
}

/** The id of the schedule a run fired from; undefined for a record that is not a run. */
export function runParentId(job: Pick<JobOutput, "parent_job_id">): string | undefined {
  const parent = job.parent_job_id;
  return parent === null || parent === undefined || parent === "" ? undefined : parent;
}

/** A schedule record (a cron job) has status TASK; its firings are separate records. */
export function isSchedule(status: string): boolean {
  return status === "TASK";
}

/** A one-off job waiting for its start_after, which Studio does not return: it has not run yet. */
export function isWaitingToStart(status: string): boolean {
  return status === "SCHEDULED";
}

/** Match a record's status against a listing filter: a status name or ACTIVE/INACTIVE. */
export function matchesStatusFilter(status: string, filter: string): boolean {
  const wanted = filter.toUpperCase();
  if (wanted === "ACTIVE") return ACTIVE_STATUSES.has(status as JobStatus);
  if (wanted === "INACTIVE") return !ACTIVE_STATUSES.has(status as JobStatus);
  return status === wanted;
}

export function isValidStatusFilter(filter: string): boolean {
  const wanted = filter.toUpperCase();
  return wanted === "ACTIVE" || wanted === "INACTIVE" || KNOWN.has(wanted);
}
