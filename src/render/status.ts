// `status` written out: an aligned table for people, or JSON with every time in ISO 8601 UTC.

import type { SpecMatch, StackStatus } from "../plan/status.js";
import { jsonForReaders, printable } from "../invisible.js";
import { formatRunTime, shownRunTime } from "../run-times.js";
import { studioTimeMs } from "../studio/time.js";
import { formatTable } from "./table.js";
import { teamsNamed } from "../word-lists.js";

/** `status --format json`: one object per job, as scripts read it. */
interface StatusJobDocument {
  key: string;
  team: string;
  job_id: string;
  status: string;
  spec: SpecMatch;
  last_run: { job_id: string; status: string; created_at: string } | null;
  next_runs: string[];
  url: string;
}

/** A time Studio sent as ISO 8601 UTC; a value that is not a time is passed on as it came. */
function isoTime(value: string): string {
  const ms = studioTimeMs(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/**
 * `unreadable`: teams the stack used that the token could not read; `unfollowed`: teams its
 * records name past those a plan follows. The jobs of either are not shown.
 */
export function renderStatusJson(status: StackStatus, unreadable: readonly string[], unfollowed: readonly string[] = []): string {
  const jobs = status.jobs.map((job): StatusJobDocument => ({
    key: job.key,
    team: job.team,
    job_id: job.jobId,
    status: job.status,
    spec: job.spec,
    last_run:
      job.lastRun === undefined
        ? null
        : { job_id: job.lastRun.jobId, status: job.lastRun.status, created_at: isoTime(job.lastRun.createdAt) },
    next_runs: job.nextRuns.map((date) => date.toISOString()),
    url: job.url,
  }));
  return jsonForReaders({
    stack: status.stack,
    teams: status.teams,
    unreadable_teams: [...unreadable],
    unfollowed_teams: [...unfollowed],
    jobs,
    not_in_studio: status.notInStudio,
    conflicts: status.conflicts,
  });
}

export async function renderStatusText(status: StackStatus): Promise<string> {
  let out: string;
  if (status.jobs.length === 0) {
    out = `No live jobs of stack ${status.stack} in ${teamsNamed(status.teams)}.\n`;
  } else {
    out = await formatTable(
      ["JOB", "ID", "STATUS", "SPEC", "LAST RUN", "NEXT RUN"],
      status.jobs.map((job) => [
        `${job.team}/${job.key}`,
        job.jobId.slice(0, 8),
        job.status,
        job.spec,
        job.lastRun === undefined ? "-" : `${job.lastRun.status} ${shownRunTime(job.lastRun.createdAt)}`,
        job.nextRuns[0] === undefined ? "-" : formatRunTime(job.nextRuns[0]),
      ]),
    );
  }
  if (status.notInStudio.length > 0)
    out += `\nIn the spec but not live in Studio (apply creates them): ${status.notInStudio.map(printable).join(", ")}\n`;
  if (status.conflicts.length > 0)
    out += `\nIn the spec, with the name held by a job studio-jobs does not manage (plan refuses; --adopt replaces it): ${status.conflicts.map(printable).join(", ")}\n`;
  return out;
}
