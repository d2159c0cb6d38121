// When a schedule fires, said for people: the next runs of a cron expression, and how a
// run time is written in plans and in status. Pure: the reference time is passed in.

import { nextCronRuns } from "./cron.js";

/** How a run time is shown: `2026-11-01 03:00 UTC` (schedules fire on the minute, in UTC). */
export function formatRunTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The next three firings after `now`; none for a one-off job, or for an expression that does not parse. */
export function nextRunDates(cron: string | undefined, now: Date): Date[] {
  if (cron === undefined) return [];
  try {
    return nextCronRuns(cron, now, 3);
  } catch {
    return [];
  }
}

/** The next three firings after `now`, as formatRunTime writes them. */
export function nextRuns(cron: string | undefined, now: Date): string[] {
  return nextRunDates(cron, now).map(formatRunTime);
}
