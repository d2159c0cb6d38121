// After its steps, apply lists the teams it covers once more, for two things another apply
// running at the same time may have done (docs/architecture.md, "Planning"):
// - duplicates: two applies of one spec both create every job. Each sweep keeps the record
//   the shared rule in plan/keep.ts prefers and cancels the other live ones; the apply that
//   sweeps last has seen every create of the other, so when both have exited each key has
//   exactly one live job.
// - another version: two applies of different specs (two merges close together) each put
//   their own version in place, and neither's is a duplicate of the other's. Which spec
//   should win, no apply can tell, so none cancels the other's; the one that looks last has
//   seen every change of the other, and says each job it finds made or cancelled meanwhile,
//   as a failed step. A job made meanwhile with this spec's settings but other recorded
//   teams is such a change too: the other apply's spec covers a team this plan does not
//   list, so what it did there this sweep cannot see.

import { managedAs, type ManagedJob } from "../identity/classify.js";
import { satisfies, satisfyingInKeepOrder } from "../plan/keep.js";
import type { DesiredJob } from "../desired/types.js";
import type { StudioClient } from "../studio/client.js";
import { isCancelled, isLive } from "../studio/job-status.js";
import type { JobOutput } from "../studio/types.js";
import { byCodeUnits } from "../code-unit-order.js";

export interface DuplicateToCancel {
  key: string;
  team: string;
  live: JobOutput;
  /** The record kept in its place. */
  keptId: string;
}

/** A key whose jobs another apply changed while this one ran. */
export interface ChangedMeanwhile {
  key: string;
  team: string;
  /** Live records of the key made meanwhile, not by this apply, that are not what this spec wants. */
  made: JobOutput[];
  /**
   * Live records of the key made meanwhile, not by this apply, with this spec's settings but
   * recording other teams than this plan covers: made by an apply whose spec covers others.
   */
  otherTeams: { record: JobOutput; teams: readonly string[] }[];
  /** Whether the plan has a job of the key in the team. */
  inSpec: boolean;
  /** Whether the spec's job, kept or created by this apply, is no longer there. */
  lost: boolean;
}

/** What a team should hold after the apply, as far as this apply can tell. */
export interface TeamIntent {
  /** The desired job of each key the plan keeps or puts in the team (noop, create, replace). */
  desired: ReadonlyMap<string, DesiredJob>;
  /** Jobs this apply created: their duplicates are cancelled. */
  created: readonly DesiredJob[];
  /** The record each key counts on: the one the plan keeps, or the one this apply created. */
  expected: ReadonlyMap<string, string>;
}

export interface SweepScope {
  stack: string;
  /** Every team the plan covers: what the jobs this apply made record (docs/architecture.md, "Identity"). */
  covered: readonly string[];
  /** Each team the plan covers: those it acts in, and those that should hold none of its keys. */
  teams: ReadonlyMap<string, TeamIntent>;
  /** Whether a key is within the plan: every key, or those of --target. */
  wanted: (key: string) => boolean;
  /** Every record listed when the plan was made. */
  knownIds: ReadonlySet<string>;
  /** The records this apply created. */
  ownIds: ReadonlySet<string>;
}

export interface SweepResult {
  duplicates: DuplicateToCancel[];
  changed: ChangedMeanwhile[];
  /** Teams whose listing failed: their duplicates, if any, are not known. */
  failed: { team: string; error: unknown }[];
}

/**
 * The teams' records listed afresh, once each and all at once (as a plan lists them: every
 * covered team is looked at, not only those acted in), said in the teams' order: a team
 * that cannot be listed is said, not thrown.
 */
export async function sweep(client: StudioClient, scope: SweepScope): Promise<SweepResult> {
  const looks = await Promise.all(
    [...scope.teams].map(async ([team, intent]): Promise<SweepResult> => {
      try {
        // Only the stack's own records take part; the rest are dropped as the listing streams in.
        const records = await client.listAllJobs(team, { keep: (r) => managedAs(r, scope.stack) !== undefined, stack: scope.stack });
        const byKey = recordsByKey(records, scope.stack);
        return {
          duplicates: findDuplicates(team, intent.created, byKey),
          changed: findChangedMeanwhile(team, intent, byKey, scope),
          failed: [],
        };
      } catch (error) {
        return { duplicates: [], changed: [], failed: [{ team, error }] };
      }
    }),
  );
  return {
    duplicates: looks.flatMap((look) => look.duplicates),
    changed: looks.flatMap((look) => look.changed),
    failed: looks.flatMap((look) => look.failed),
  };
}

/** The stack's records, by key: what both looks after the steps read, sorted out once. */
function recordsByKey(records: readonly JobOutput[], stack: string): Map<string, ManagedJob[]> {
  const byKey = new Map<string, ManagedJob[]>();
  for (const record of records) {
    const job = managedAs(record, stack);
    if (job === undefined) continue;
    const same = byKey.get(job.key);
    if (same === undefined) byKey.set(job.key, [job]);
    else same.push(job);
  }
  return byKey;
}

/** Pure: for each desired job, the live records that satisfy it other than the one kept. */
function findDuplicates(team: string, jobs: readonly DesiredJob[], byKey: ReadonlyMap<string, ManagedJob[]>): DuplicateToCancel[] {
  const found: DuplicateToCancel[] = [];
  for (const job of jobs) {
    const [kept, ...rest] = satisfyingInKeepOrder(byKey.get(job.key) ?? [], job);
    if (kept === undefined) continue;
    for (const other of rest)
      if (isLive(other.record.status)) found.push({ key: job.key, team, live: other.record, keptId: kept.record.id });
  }
  return found;
}

/**
 * Pure: the keys of the team that another apply changed while this one ran: a live record
 * of the stack that was not listed when the plan was made, that this apply did not make, and
 * that does not do what the spec asks (a duplicate, which does, is the sweep's); and a key
 * whose job the plan kept or this apply made is cancelled, with no record left that does what
 * the spec asks.
 */
function findChangedMeanwhile(
  team: string,
  intent: TeamIntent,
  byKey: ReadonlyMap<string, ManagedJob[]>,
  scope: Pick<SweepScope, "wanted" | "knownIds" | "ownIds" | "covered">,
): ChangedMeanwhile[] {
  const found: ChangedMeanwhile[] = [];
  const covered = new Set(scope.covered);
  for (const key of new Set([...byKey.keys(), ...intent.expected.keys()])) {
    if (!scope.wanted(key)) continue;
    const jobs = byKey.get(key) ?? [];
    const want = intent.desired.get(key);
    const made: JobOutput[] = [];
    const otherTeams: ChangedMeanwhile["otherTeams"] = [];
    for (const job of jobs) {
      if (!isLive(job.record.status) || scope.knownIds.has(job.record.id) || scope.ownIds.has(job.record.id)) continue;
      if (want === undefined || job.fingerprint !== want.fingerprint) made.push(job.record);
      else if (!sameTeams(job.teams, covered)) otherTeams.push({ record: job.record, teams: job.teams });
    }
    // Said only of a record seen cancelled: one not listed (yet) says nothing either way.
    const counted = intent.expected.get(key);
    const lost =
      want !== undefined &&
      jobs.some((job) => job.record.id === counted && isCancelled(job.record.status)) &&
      !jobs.some((job) => satisfies(job, want));
    if (made.length > 0 || otherTeams.length > 0 || lost) found.push({ key, team, made, otherTeams, inSpec: want !== undefined, lost });
  }
  return found.sort((a, b) => byCodeUnits(a.key, b.key));
}

function sameTeams(teams: readonly string[], covered: ReadonlySet<string>): boolean {
  return new Set(teams).size === covered.size && teams.every((team) => covered.has(team));
}
