// `status` as data: the stack's jobs in Studio, whether each is as the spec wants it, and
// its last and next runs. Pure: listings and the time are passed in, and
// render/status.ts writes the result out. It judges records by the planner's own rules
// (classify, satisfies), so status and plan never disagree about a job.

import { appendAll } from "../append-all.js";
import type { AppliedRecord, DesiredJob } from "../desired/types.js";
import { classify, type LiveJob, type ManagedJob } from "../identity/classify.js";
import { nextRunDates, runsFrom } from "../run-times.js";
import { isLive, isSchedule } from "../studio/job-status.js";
import { newestFirst, studioTimeOrder } from "../studio/time.js";
import type { JobOutput } from "../studio/types.js";
import { satisfies, satisfyingInKeepOrder, statusMaySatisfy } from "./keep.js";
import { inUnknownStatus, unknownStatusWarnings } from "./team-records.js";
import { byCodeUnits } from "../code-unit-order.js";

/**
 * in-spec: as the spec wants it; changed: the spec wants something else; not-in-spec: apply
 * would cancel it; left-alone: it carries the stack's markers, but the plan leaves it alone
 * (a copy made in Studio under another name, a record without a key); unknown: the spec's
 * job reads an `${env:...}` not set here, so whether it is as the spec wants it cannot be told.
 */
export type SpecMatch = "in-spec" | "changed" | "not-in-spec" | "left-alone" | "unknown";

/** One job as status shows it. */
export interface StatusRow {
  key: string;
  team: string;
  jobId: string;
  status: string;
  spec: SpecMatch;
  /** The newest run of a schedule; its time as Studio sent it. */
  lastRun: { jobId: string; status: string; createdAt: string } | undefined;
  /**
   * The next firings of the live schedule: by the expression recorded on it when it was
   * applied (a job whose spec changed, or left the spec, fires as it is until apply), else
   * by the spec's. None for a record that is not a schedule.
   */
  nextRuns: Date[];
  url: string;
}

export interface StackStatus {
  stack: string;
  /** Every team looked at, in order. */
  teams: string[];
  /** Sorted by team, then key. */
  jobs: StatusRow[];
  /** `team/key` of each desired job no record is shown as (in-spec or changed), sorted: apply creates them. */
  notInStudio: string[];
  /**
   * `team/key` of each desired job whose name a live job not of the stack holds (made by hand,
   * or a copy of another of its jobs), sorted: plan reports a conflict, and --adopt replaces it.
   * Not in notInStudio: apply does not create such a job until then.
   */
  conflicts: string[];
  /** Of records in a status this tool does not know, counted as live: plan's warnings of them. */
  warnings: string[];
}

/**
 * What status needs of a desired job; `unsetEnv`, the `${env:...}` it reads that are not set
 * here (its fingerprint was made with them empty), when there are any.
 */
export type StatusDesired = Pick<DesiredJob, "key" | "team" | "cron" | "fingerprint"> & { unsetEnv?: readonly string[] };

/**
 * When a live record runs next: a schedule's next three firings from now or its later
 * start_after, and never before it was made nor at or before its last run (this machine's
 * clock may be behind Studio's: a firing Studio already ran, or that came before the job
 * existed, is not a next run); a one-off job waiting for a start_after still to come, that
 * moment.
 */
function upcomingRuns(
  status: string,
  applied: AppliedRecord | undefined,
  wantedCron: string | undefined,
  now: Date,
  studioNowMs: number,
): Date[] {
  // Studio's start_after is not read (src/studio/types.ts): the job's own record says it.
  const from = runsFrom(now, applied?.start_after);
  if (isSchedule(status)) return nextRunDates(applied?.cron ?? wantedCron, studioNowMs > from.getTime() ? new Date(studioNowMs) : from);
  return isLive(status) && from > now ? [from] : [];
}

/**
 * The key a record of the stack is shown under, its fingerprint, and whether a desired job
 * of that key can claim it; undefined for any other record.
 */
function stackRecord(job: LiveJob): { key: string; fingerprint: string | undefined; claimable: boolean } | undefined {
  switch (job.kind) {
    case "managed":
      return { key: job.key, fingerprint: job.fingerprint, claimable: true };
    case "managed-without-key":
    case "misnamed":
      // The planner leaves it alone, and no desired job can claim it (classify.ts): status
      // still shows it, under its name in Studio, never as the spec's job of that name.
      return { key: job.record.name, fingerprint: undefined, claimable: false };
    case "run":
    case "other-stack":
    case "unmanaged":
      return undefined;
    default: {
      const never: never = job;
      return never;
    }
  }
}

/** A row that is the spec's job of its key, whatever its settings. */
function isShownAsDesired(spec: SpecMatch): boolean {
  return spec === "in-spec" || spec === "changed" || spec === "unknown";
}

export function computeStatus(
  desired: readonly StatusDesired[],
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  stack: string,
  teams: readonly string[],
  now: Date,
): StackStatus {
  const wanted = new Map(desired.map((job) => [`${job.team}\u0000${job.key}`, job]));
  const jobs: StatusRow[] = [];
  const held = new Set<string>();
  const warnings: string[] = [];
  for (const team of teams) {
    const desiredOf = (key: string) => wanted.get(`${team}\u0000${key}`);
    appendAll(jobs, teamStatus(team, listings.get(team) ?? [], stack, desiredOf, now, held, warnings));
  }
  jobs.sort((a, b) => byCodeUnits(a.team, b.team) || byCodeUnits(a.key, b.key));
  // A key shown only as not-in-spec or left-alone (a record without a key, say) is still one apply creates.
  const shown = new Set(jobs.filter((job) => isShownAsDesired(job.spec)).map((job) => `${job.team}\u0000${job.key}`));
  const id = (job: StatusDesired) => `${job.team}\u0000${job.key}`;
  const conflicts = desired
    .filter((job) => held.has(id(job)))
    .map((job) => `${job.team}/${job.key}`)
    .sort();
  const notInStudio = desired
    .filter((job) => !shown.has(id(job)) && !held.has(id(job)))
    .map((job) => `${job.team}/${job.key}`)
    .sort();
  return { stack, teams: [...teams], jobs, notInStudio, conflicts, warnings };
}

function teamStatus(
  team: string,
  records: readonly JobOutput[],
  stack: string,
  desiredOf: (key: string) => StatusDesired | undefined,
  now: Date,
  held: Set<string>,
  warnings: string[],
): StatusRow[] {
  const classified = records.map((record) => classify(record, stack));
  const desiredKeys = { has: (key: string) => desiredOf(key) !== undefined };
  appendAll(
    warnings,
    unknownStatusWarnings(
      classified.filter((job) => inUnknownStatus(job, desiredKeys)).map((job) => job.record),
      team,
    ),
  );
  // A live job not of the stack that holds a desired job's name: plan's conflict (plan/team-records.ts).
  for (const { kind, record } of classified) {
    if ((kind === "unmanaged" || kind === "misnamed") && isLive(record.status) && desiredOf(record.name) !== undefined)
      held.add(`${team}\u0000${record.name}`);
  }
  // Compared as times, not as text: two offsets (`…Z`, `…+09:00`) order by the moment they
  // name. Parsed once a record, not at every comparison of the sort below.
  const times = new Map<JobOutput, number>();
  for (const { record } of classified) times.set(record, studioTimeOrder(record.created_at));
  const when = (record: JobOutput): number => times.get(record) ?? Number.NEGATIVE_INFINITY;
  const lastRun = new Map<string, JobOutput>();
  for (const job of classified) {
    if (job.kind !== "run") continue;
    const seen = lastRun.get(job.parentId);
    if (seen === undefined || when(seen) < when(job.record)) lastRun.set(job.parentId, job.record);
  }
  // The record plan keeps for each desired key (keep.ts's rules), or, when none does what the
  // spec asks, the newest live one, which plan replaces (plan/compute.ts): any other live
  // record of the key is one apply cancels, however well it matches.
  const desiredRecords = new Map<string, ManagedJob[]>();
  for (const job of classified) {
    if (job.kind !== "managed" || desiredOf(job.key) === undefined) continue;
    // Pushed, not copied: a copy per record took minutes for a key of 100,000 records.
    const group = desiredRecords.get(job.key);
    if (group === undefined) desiredRecords.set(job.key, [job]);
    else group.push(job);
  }
  const kept = new Map<string, JobOutput>();
  for (const [key, group] of desiredRecords) {
    const want = desiredOf(key);
    const satisfying = want === undefined ? undefined : satisfyingInKeepOrder(group, want)[0];
    const keeper = satisfying ?? group.filter((job) => isLive(job.record.status)).sort((a, b) => newestFirst(a.record, b.record))[0];
    if (keeper !== undefined) kept.set(key, keeper.record);
  }
  const rows: StatusRow[] = [];
  const shown = new Set<string>();
  // Newest first, so a one-off job shows its latest record.
  for (const job of classified.sort((a, b) => when(b.record) - when(a.record))) {
    const own = stackRecord(job);
    if (own === undefined) continue;
    const { record } = job;
    const want = own.claimable ? desiredOf(own.key) : undefined;
    const unknown = want?.unsetEnv !== undefined && want.unsetEnv.length > 0;
    const live = isLive(record.status);
    // A one-off job that ran with the spec's settings is done, not missing: show it too, once;
    // one whose settings cannot be told, as unknown, rather than as a job apply would create
    // (a cancelled record satisfies no job, whatever its settings).
    const ranOnce =
      want !== undefined &&
      want.cron === undefined &&
      (unknown ? !live && statusMaySatisfy(record.status, false) : satisfies({ record, fingerprint: own.fingerprint }, want));
    if (!live && !ranOnce) continue;
    if (ranOnce && shown.has(own.key)) continue;
    const keeper = kept.get(own.key);
    // Unknown before anything else of a desired key: a fingerprint made with a value empty
    // tells neither whether the record matches nor which of several live ones plan keeps.
    const spec: SpecMatch = !own.claimable
      ? "left-alone"
      : want === undefined
        ? "not-in-spec"
        : unknown
          ? "unknown"
          : live && keeper !== undefined && keeper !== record
            ? "not-in-spec"
            : want.fingerprint === own.fingerprint
              ? "in-spec"
              : "changed";
    if (spec === "in-spec" || spec === "unknown") shown.add(own.key);
    const run = lastRun.get(record.id);
    rows.push({
      key: own.key,
      team,
      jobId: record.id,
      status: record.status,
      spec,
      lastRun: run === undefined ? undefined : { jobId: run.id, status: run.status, createdAt: run.created_at },
      nextRuns: upcomingRuns(
        record.status,
        job.kind === "managed" ? job.applied : undefined,
        want?.cron,
        now,
        // The latest moment Studio is known to have reached: the newest of the record and its last run.
        Math.max(when(record), run === undefined ? Number.NEGATIVE_INFINITY : when(run)),
      ),
      url: record.url,
    });
  }
  return rows;
}
