// Whose a listed record is, decided in one place. Every reader of Studio's records — the
// planner and its remote digest, apply's look-up after a failed create and its sweep,
// status, import, field diffs, the teams a stack recorded — asks classify(), so no two of
// them can disagree about which records are ours. Pure: it reads the record and nothing else.

import type { AppliedRecord } from "../desired/types.js";
import { runParentId } from "../studio/job-status.js";
import type { JobOutput } from "../studio/types.js";
import { decodeApplied, decodeTeams, MARKERS } from "./markers.js";

/** One firing of a schedule: Studio's, never planned against or cancelled (it may carry its schedule's markers). */
export interface RunJob {
  kind: "run";
  record: JobOutput;
  /** The schedule it fired from. */
  parentId: string;
}

/** A record of this stack, with its key: the plan decides about it. */
export interface ManagedJob {
  kind: "managed";
  record: JobOutput;
  key: string;
  /** Undefined only when the marker was lost: then no desired job is satisfied by the record. */
  fingerprint: string | undefined;
  protect: boolean;
  /** What Studio does not return, as the tool recorded it; undefined when absent or written by another version. */
  readonly applied: AppliedRecord | undefined;
  /** The teams the plan that created it covered: later plans list them too. */
  readonly teams: readonly string[];
}

/** Marked for this stack but without a key: no desired job can claim it, so it is left alone. */
export interface ManagedWithoutKeyJob {
  kind: "managed-without-key";
  record: JobOutput;
}

/**
 * Marked for this stack as job `key`, but named otherwise in Studio. The tool names every job
 * it makes by its key (and refuses a create whose reply is named otherwise), so this one was
 * copied in Studio, whose copy keeps the environment and with it the markers, or made by
 * hand: it stands in for no desired job. Left alone, unless it holds the name of a desired
 * job: then it conflicts with it, as a job no stack claims would (adopted with --adopt).
 */
export interface MisnamedJob {
  kind: "misnamed";
  record: JobOutput;
  key: string;
  /** The protect marker it carries, honoured as a hand-made job's is when it is adopted. */
  protect: boolean;
}

/** Another stack's record: never touched, whatever its name. */
export interface OtherStackJob {
  kind: "other-stack";
  record: JobOutput;
  stack: string;
}

/** A record no stack claims: made by hand or by another tool. It conflicts with a desired job of its name. */
export interface UnmanagedJob {
  kind: "unmanaged";
  record: JobOutput;
  /**
   * A protect marker set by hand is honoured too: adopting the job (--adopt) replaces it,
   * and that takes --allow-protected like any protected job.
   */
  protect: boolean;
}

/** A live record that holds a desired job's name and is not the stack's job of that key: a conflict, or adopted with --adopt. */
export type NameHolder = UnmanagedJob | MisnamedJob;

/** A listed record as one stack sees it, whatever its status (whether it is live is src/studio/job-status.ts's to say). */
export type LiveJob = RunJob | ManagedJob | ManagedWithoutKeyJob | MisnamedJob | OtherStackJob | UnmanagedJob;

const NOT_DECODED = Symbol("not decoded");

/**
 * A managed record decodes its applied record and teams on first read: a plan reads them for
 * the few records it replaces or cancels, not for the thousands it leaves as they are.
 */
class ManagedRecord implements ManagedJob {
  readonly kind = "managed";
  readonly fingerprint: string | undefined;
  readonly protect: boolean;
  #applied: AppliedRecord | undefined | typeof NOT_DECODED = NOT_DECODED;
  #teams: readonly string[] | undefined;

  constructor(
    readonly record: JobOutput,
    readonly key: string,
    private readonly environment: Readonly<Record<string, string>>,
  ) {
    this.fingerprint = environment[MARKERS.fingerprint];
    this.protect = environment[MARKERS.protect] === "1";
  }

  get applied(): AppliedRecord | undefined {
    if (this.#applied === NOT_DECODED) this.#applied = decodeApplied(this.environment[MARKERS.applied]);
    return this.#applied;
  }

  get teams(): readonly string[] {
    return (this.#teams ??= decodeTeams(this.environment[MARKERS.teams]));
  }
}

/**
 * A listed record as `stack` sees it. A run is a run whatever markers it carries (it
 * inherits its schedule's); otherwise STUDIO_JOBS_STACK decides: absent or empty, nobody's; another
 * stack's, never touched; this stack's, managed under STUDIO_JOBS_KEY when the record bears
 * that name (docs/architecture.md, "Identity").
 */
export function classify(record: JobOutput, stack: string): LiveJob {
  const parentId = runParentId(record);
  if (parentId !== undefined) return { kind: "run", record, parentId };
  // Checked at the wire boundary; a record built in a test may still leave it out.
  const environment: Readonly<Record<string, string>> = record.environment ?? {};
  const owner = environment[MARKERS.stack];
  // An empty stack marker names no stack (the spec refuses an empty stack): nobody's.
  if (owner === undefined || owner === "") return { kind: "unmanaged", record, protect: environment[MARKERS.protect] === "1" };
  if (owner !== stack) return { kind: "other-stack", record, stack: owner };
  const key = environment[MARKERS.key];
  if (key === undefined) return { kind: "managed-without-key", record };
  if (record.name !== key) return { kind: "misnamed", record, key, protect: environment[MARKERS.protect] === "1" };
  return new ManagedRecord(record, key, environment);
}

/** The record of `stack` with this key, if `record` is one. */
export function managedAs(record: JobOutput, stack: string): ManagedJob | undefined {
  const job = classify(record, stack);
  return job.kind === "managed" ? job : undefined;
}

/** Whether cancelling or replacing the record takes --allow-protected. */
export function isProtected(job: LiveJob): boolean {
  switch (job.kind) {
    case "managed":
    case "unmanaged":
    case "misnamed":
      return job.protect;
    case "run":
    case "managed-without-key":
    case "other-stack":
      // Never cancelled or replaced at all.
      return false;
    default: {
      const never: never = job;
      return never;
    }
  }
}

/**
 * What studio-jobs recorded on the record when it made it for this stack. A record made
 * elsewhere has no record worth trusting: its settings Studio does not return are unknown.
 */
export function recordedSettings(job: LiveJob): AppliedRecord | undefined {
  switch (job.kind) {
    case "managed":
      return job.applied;
    case "run":
    case "managed-without-key":
    case "misnamed":
    case "other-stack":
    case "unmanaged":
      return undefined;
    default: {
      const never: never = job;
      return never;
    }
  }
}
