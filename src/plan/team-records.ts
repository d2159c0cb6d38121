// A team's listed records as a plan sees them, grouped once. The planner decides from these
// groups and the remote digest hashes exactly their records, so a saved plan's staleness
// check rests on the very records its decisions did.

import { appendAll } from "../append-all.js";
import { classify, type LiveJob, type ManagedJob, type NameHolder, type OtherStackJob } from "../identity/classify.js";
import { MARKERS } from "../identity/markers.js";
import { firstFew } from "../word-lists.js";
import { isKnownStatus, isLive } from "../studio/job-status.js";
import type { JobOutput } from "../studio/types.js";

export interface TeamScope {
  team: string;
  stack: string;
  /** The keys of the desired jobs in this team that the plan covers. */
  desiredKeys: ReadonlySet<string>;
  /** Whether a key is within the plan: every key, or those of --target (withinTargets). */
  wanted: (key: string) => boolean;
}

/** Whether a key is within a plan of these --target keys: every key when there are none. */
export function withinTargets(targets: Iterable<string>): (key: string) => boolean {
  const keys = new Set(targets);
  return (key) => keys.size === 0 || keys.has(key);
}

export interface TeamRecords {
  /** The stack's records of the keys the plan covers, by key, in every status: a finished one-off job still satisfies its spec. */
  managed: Map<string, ManagedJob[]>;
  /**
   * Live records that hold a desired job's name without being the stack's job of that key, by
   * name: those no stack claims, and copies of another of the stack's jobs (classify.ts).
   * Conflicts, or adopted with --adopt.
   */
  conflicting: Map<string, NameHolder[]>;
  /**
   * A record that ended (finished or cancelled), not the stack's job of that key, of each
   * desired job's name: a one-off job made by hand and imported, say, that ran since.
   */
  endedNamesakes: Map<string, JobOutput>;
  /** About records the plan leaves alone, and statuses this tool does not know. */
  warnings: string[];
  /** Live records of other stacks named like a desired job: left alone, and said (compute.ts). */
  sameNameElsewhere: OtherStackJob[];
  /** The stack's live records of every key, --target or not: what "every job of the stack" counts. */
  liveManaged: number;
  /** Whether the stack has any record here, in any status: a stack with none is new, or renamed in its spec. */
  anyManaged: boolean;
  /** The stack's live records of keys --target leaves out: they stay as they are, recording what they record. */
  leftOut: ManagedJob[];
}

/** `item` added to the list of `name` in `groups`, the list made when it is the first. */
export function add<T>(groups: Map<string, T[]>, name: string, item: T): void {
  const list = groups.get(name);
  if (list === undefined) groups.set(name, [item]);
  else list.push(item);
}

export function groupTeamRecords(records: readonly JobOutput[], scope: TeamScope): TeamRecords {
  const { team, stack, desiredKeys } = scope;
  const managed = new Map<string, ManagedJob[]>();
  const conflicting = new Map<string, NameHolder[]>();
  const endedNamesakes = new Map<string, JobOutput>();
  const warnings: string[] = [];
  const leftOut: ManagedJob[] = [];
  const sameNameElsewhere: OtherStackJob[] = [];
  /** Records the plan decides about whose status this tool does not know. */
  const unknown: JobOutput[] = [];
  let liveManaged = 0;
  let anyManaged = false;
  for (const record of records) {
    const job = classify(record, stack);
    const live = isLive(record.status);
    if (inUnknownStatus(job, desiredKeys)) unknown.push(record);
    switch (job.kind) {
      case "run":
        break;
      case "managed":
        anyManaged = true;
        if (live) liveManaged += 1;
        if (scope.wanted(job.key)) add(managed, job.key, job);
        else if (live) leftOut.push(job);
        break;
      case "managed-without-key":
        warnings.push(`Job ${record.id} in team ${team} is marked for stack ${stack} but has no ${MARKERS.key}; it is left alone.`);
        break;
      case "misnamed":
        if (live && desiredKeys.has(record.name)) add(conflicting, record.name, job);
        else if (live) warnings.push(misnamed(job.key, record, stack, team));
        else if (desiredKeys.has(record.name) && !endedNamesakes.has(record.name)) endedNamesakes.set(record.name, record);
        break;
      case "other-stack":
        if (live && desiredKeys.has(record.name)) sameNameElsewhere.push(job);
        break;
      case "unmanaged":
        if (live && desiredKeys.has(record.name)) add(conflicting, record.name, job);
        else if (!live && desiredKeys.has(record.name) && !endedNamesakes.has(record.name)) endedNamesakes.set(record.name, record);
        break;
      default: {
        const never: never = job;
        return never;
      }
    }
  }
  appendAll(warnings, unknownStatusWarnings(unknown, team));
  return { managed, conflicting, endedNamesakes, warnings, sameNameElsewhere, liveManaged, anyManaged, leftOut };
}

/** About a live record carrying the stack's markers under a name other than its key (classify.ts). */
function misnamed(key: string, record: JobOutput, stack: string, team: string): string {
  return `Job ${record.id} ("${record.name}") in team ${team} carries the markers of stack ${stack}'s job "${key}" under another name: studio-jobs names every job it makes by its key, so it was copied or made by hand. It is left alone; cancel it in Studio if it is not wanted.`;
}

/** How many records a warning names; a new status Studio adds may hold every job of a team. */
const NAMED = 3;

/**
 * Whether a record the plan decides about (the stack's, or a live one holding a desired job's
 * name) is in a status this tool does not know: it counts as live, and is warned of, by plan
 * and by status alike.
 */
export function inUnknownStatus(job: LiveJob, desiredKeys: { has(key: string): boolean }): boolean {
  const { record } = job;
  if (!isLive(record.status) || isKnownStatus(record.status)) return false;
  return job.kind === "managed" || ((job.kind === "unmanaged" || job.kind === "misnamed") && desiredKeys.has(record.name));
}

/** One warning for each status this tool does not know, naming a few of the team's records in it. */
export function unknownStatusWarnings(records: readonly JobOutput[], team: string): string[] {
  const byStatus = new Map<string, JobOutput[]>();
  for (const record of records) add(byStatus, record.status, record);
  return [...byStatus].map(([status, held]) => unknownStatus(status, held, team));
}

/** One warning for the records in a status this tool does not know: they count as live. */
function unknownStatus(status: string, held: readonly JobOutput[], team: string): string {
  const named = held.map((record) => `${record.id} ("${record.name}")`);
  const which = held.length === 1 ? `Job ${named[0] ?? ""}` : `${held.length} jobs (${firstFew(named, NAMED)})`;
  return `${which} in team ${team} ${held.length === 1 ? "has" : "have"} status "${status}", which this tool does not know; ${held.length === 1 ? "it is" : "they are"} treated as live.`;
}
