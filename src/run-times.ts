// When a schedule fires, said for people: the next runs of a cron expression, and how a
// run time is written in plans and in status. Pure: the reference time is passed in.

import { nextCronRuns } from "./cron.js";
import { studioTimeMs } from "./studio/time.js";

/** How a run time is shown: `2026-11-01 03:00 UTC` (schedules fire on the minute, in UTC). */
export function formatRunTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A time written in ISO 8601 (Studio's, a plan's), as a run time is shown; a value that is not a time as it came. */
export function shownRunTime(value: string): string {
  const ms = studioTimeMs(value);
  return Number.isNaN(ms) ? value : formatRunTime(new Date(ms));
}

/**
 * From when a schedule's runs are counted: its `start_after` when that is later than `now`
 * (Studio fires nothing of it before), else `now`. One that names no time is left out.
 */
export function runsFrom(now: Date, startAfter: string | null | undefined): Date {
  if (startAfter === null || startAfter === undefined) return now;
  const at = studioTimeMs(startAfter);
  return at > now.getTime() ? new Date(at) : now;
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

const formatted = new Map<string, readonly string[]>();

/**
 * The next three firings after `now`, as formatRunTime writes them (`shown`), or in ISO 8601
 * UTC (`iso`), as JSON writes every time. A plan asks this of every schedule from one
 * reference time, and specs share a few expressions: each (expression, time) is formatted once.
 */
export function nextRuns(cron: string | undefined, now: Date, form: "shown" | "iso" = "shown"): string[] {
  if (cron === undefined) return [];
  const key = `${form}\u0000${cron}\u0000${now.getTime()}`;
  let runs = formatted.get(key);
  if (runs === undefined) {
    runs = nextRunDates(cron, now).map(form === "iso" ? (date) => date.toISOString() : formatRunTime);
    if (formatted.size >= 10_000) formatted.clear();
    formatted.set(key, runs);
  }
  return [...runs];
}
