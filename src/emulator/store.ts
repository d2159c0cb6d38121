// The emulator's state: jobs, uploaded files and clusters, and the job lifecycle
// driven by an injectable clock. No HTTP here; server.ts speaks the protocol.

import { randomUUID } from "node:crypto";
import { latestCronRun, nextCronRun } from "../cron.js";
import { matchesStatusFilter } from "../studio/job-status.js";
import type { Cluster, JobOutput, UploadedFile } from "../studio/types.js";
import type { Clock } from "./clock.js";

/** How long each lifecycle step takes on the emulator's clock. */
export const LIFECYCLE_MS = {
  queued: 2_000, // QUEUED -> RUNNING
  running: 30_000, // RUNNING -> COMPLETE
  canceling: 1_000, // CANCELING(_SCHEDULED) -> CANCELED
} as const;

/** What the emulator keeps of a job: what it returns, plus what Studio keeps but does not return. */
export interface JobRecord {
  seq: number;
  id: string;
  team: string;
  status: string;
  name: string;
  query: string;
  query_type: string;
  workers: number;
  python_version: string | null;
  requirements: string;
  repository: string | null;
  environment: Record<string, string>;
  created_at: number;
  created_by: string;
  finished_at: number | null;
  exit_code: number | null;
  error_message: string;
  parent_job_id: string | null;
  cron_expression: string | null;
  start_after: number | null;
  priority: number | null;
  cluster_id: number | null;
  credentials_name: string | null;
  files: string[];
  /** When the next lifecycle step is due; null when the record will not change by itself. */
  next_at: number | null;
}

export interface FileRecord extends UploadedFile {
  team: string;
  sha256: string;
}

export interface NewJob {
  team: string;
  createdBy: string;
  name: string;
  query: string;
  queryType: string;
  workers: number;
  pythonVersion: string | null;
  requirements: string;
  repository: string | null;
  environment: Record<string, string>;
  cron: string | null;
  startAfter: number | null;
  priority: number | null;
  clusterId: number | null;
  credentialsName: string | null;
  files: string[];
}

export type CancelOutcome =
  | { kind: "cancelled"; record: JobRecord }
  | { kind: "already-cancelling"; record: JobRecord }
  | { kind: "finished"; record: JobRecord }
  | { kind: "not-found" };

/**
 * Told of every change before the store makes it (the journal): a throw refuses the change,
 * and the store is left as it was, so what it holds is always what the journal holds.
 */
export interface StoreListener {
  /** Records kept together or not at all: a schedule's firing and the run it makes. */
  job(...records: JobRecord[]): void;
  file(record: FileRecord): void;
  /** Everything is about to be cleared (the admin reset). */
  cleared?(): void;
}

/** A change the listener could not keep (the journal's disk is full): the store did not make it. */
export class PersistError extends Error {}

export const DEFAULT_CLUSTERS: readonly Cluster[] = [
  {
    id: 1,
    name: "default",
    status: "ACTIVE",
    cloud_provider: "AWS",
    cloud_credentials: null,
    is_active: true,
    default: true,
    max_workers: 8,
  },
  {
    id: 2,
    name: "gpu-pool",
    status: "ACTIVE",
    cloud_provider: "AWS",
    cloud_credentials: "aws-prod",
    is_active: true,
    default: false,
    max_workers: 32,
  },
  {
    id: 3,
    name: "legacy",
    status: "INACTIVE",
    cloud_provider: "GCP",
    cloud_credentials: null,
    is_active: false,
    default: false,
    max_workers: 4,
  },
];

export class EmulatorStore {
  readonly clusters: Cluster[];
  private readonly clock: Clock;
  private readonly byId = new Map<string, JobRecord>();
  /** Each team's records, oldest first: by created_at, then by seq (see listJobs). */
  private readonly byTeam = new Map<string, JobRecord[]>();
  /** Teams whose list took a record out of that order; sorted again before it is read. */
  private readonly unsorted = new Set<string>();
  private readonly files = new Map<string, FileRecord>();
  /** Records with a lifecycle step still to come. */
  private readonly pending = new Set<JobRecord>();
  private earliest = Number.POSITIVE_INFINITY;
  private seq = 0;
  private fileSeq = 0;
  /** Each record's JobOutput as JSON, made once per change: listings of 100,000 records stay cheap. */
  private readonly outputs = new WeakMap<JobRecord, Buffer>();
  /**
   * Per cron expression, the last next-firing computed: from `after` on, until `next`, the
   * answer is the same. Creates come in bursts on a clock that hardly moves, so nearly every
   * create of a TASK is a lookup instead of a croner walk.
   */
  private readonly firings = new Map<string, { after: number; next: number | null }>();
  private listener: StoreListener | undefined;

  constructor(clock: Clock, clusters: readonly Cluster[] = DEFAULT_CLUSTERS) {
    this.clock = clock;
    this.clusters = clusters.map((c) => ({ ...c }));
  }

  /** Journal hook: called before every change, with the whole record as it is to be. */
  setListener(listener: StoreListener | undefined): void {
    this.listener = listener;
  }

  now(): number {
    return this.clock.now();
  }

  findCluster(ref: { id?: number; name?: string }): Cluster | undefined {
    return this.clusters.find((c) => (ref.id !== undefined ? c.id === ref.id : c.name === ref.name));
  }

  defaultCluster(): Cluster | undefined {
    return this.clusters.find((c) => c.default);
  }

  getFile(team: string, id: string): FileRecord | undefined {
    const file = this.files.get(id);
    return file?.team === team ? file : undefined;
  }

  addFile(team: string, filename: string, size: number, sha256: string): FileRecord {
    // "pending" is the state Studio's API reference shows for a file just uploaded.
    const record: FileRecord = { id: this.fileSeq + 1, filename, size, state: "pending", error: null, team, sha256 };
    this.listener?.file(record);
    this.fileSeq = record.id;
    this.files.set(String(record.id), record);
    return record;
  }

  createJob(input: NewJob): JobRecord {
    const now = this.now();
    const record: JobRecord = {
      seq: this.seq + 1,
      id: randomUUID(),
      team: input.team,
      status: "QUEUED",
      name: input.name,
      query: input.query,
      query_type: input.queryType,
      workers: input.workers,
      python_version: input.pythonVersion,
      requirements: input.requirements,
      repository: input.repository,
      environment: input.environment,
      created_at: now,
      created_by: input.createdBy,
      finished_at: null,
      exit_code: null,
      error_message: "",
      parent_job_id: null,
      cron_expression: input.cron,
      start_after: input.startAfter,
      priority: input.priority,
      cluster_id: input.clusterId,
      credentials_name: input.credentialsName,
      files: input.files,
      next_at: null,
    };
    if (input.cron !== null) {
      record.status = "TASK";
      record.next_at = this.nextFiring(input.cron, Math.max(now, input.startAfter ?? now));
    } else if (input.startAfter !== null && input.startAfter > now) {
      record.status = "SCHEDULED";
      record.next_at = input.startAfter;
    } else {
      record.next_at = now + LIFECYCLE_MS.queued;
    }
    this.listener?.job(record);
    this.insert(record);
    return record;
  }

  /** Put records in as they are: journal replay and bulk seeding for benchmarks. */
  restore(record: JobRecord): void {
    const existing = this.byId.get(record.id);
    if (existing !== undefined) {
      this.outputs.delete(existing);
      Object.assign(existing, record);
      this.schedule(existing);
      return;
    }
    this.insert(record);
  }

  restoreFile(record: FileRecord): void {
    this.files.set(String(record.id), record);
    this.fileSeq = Math.max(this.fileSeq, record.id);
  }

  cancelJob(team: string, id: string): CancelOutcome {
    this.tick();
    const record = this.byId.get(id);
    if (record === undefined || record.team !== team) return { kind: "not-found" };
    if (record.status === "CANCELING" || record.status === "CANCELING_SCHEDULED") {
      return { kind: "already-cancelling", record };
    }
    if (record.status === "COMPLETE" || record.status === "FAILED" || record.status === "CANCELED") {
      return { kind: "finished", record };
    }
    this.update(record, {
      ...record,
      status: record.status === "TASK" || record.status === "SCHEDULED" ? "CANCELING_SCHEDULED" : "CANCELING",
      next_at: this.now() + LIFECYCLE_MS.canceling,
    });
    return { kind: "cancelled", record };
  }

  /** Newest first, as Studio lists them. */
  listJobs(team: string, filter: { status?: string; jobId?: string; limit: number }): JobRecord[] {
    this.tick();
    const records = this.byTeam.get(team) ?? [];
    // A run is dated when its schedule fired, which may be before records created since:
    // the clock jumped, or nothing asked until later. Sorted once here, not per run.
    if (this.unsorted.delete(team)) records.sort(byCreation);
    const out: JobRecord[] = [];
    for (let i = records.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const record = records[i];
      if (record === undefined) continue;
      if (filter.jobId !== undefined && record.id !== filter.jobId) continue;
      if (filter.status !== undefined && !matchesStatusFilter(record.status, filter.status)) continue;
      out.push(record);
    }
    return out;
  }

  allJobs(): JobRecord[] {
    this.tick();
    return [...this.byId.values()].sort((a, b) => a.seq - b.seq);
  }

  allFiles(): FileRecord[] {
    return [...this.files.values()];
  }

  clear(): void {
    this.listener?.cleared?.();
    this.byId.clear();
    this.byTeam.clear();
    this.unsorted.clear();
    this.files.clear();
    this.pending.clear();
    this.earliest = Number.POSITIVE_INFINITY;
    this.seq = 0;
    this.fileSeq = 0;
  }

  /**
   * Move every record whose next step is due; cheap when nothing is due. A step the listener
   * refuses throws, and is left due: the next tick takes it again.
   */
  tick(): void {
    const now = this.now();
    try {
      // Steps may spawn runs that are themselves due (the clock jumped): go round until none is.
      while (this.earliest <= now) {
        this.earliest = Number.POSITIVE_INFINITY;
        for (const record of [...this.pending]) {
          while (record.next_at !== null && record.next_at <= now) this.step(record, now);
          if (record.next_at === null) this.pending.delete(record);
          else this.earliest = Math.min(this.earliest, record.next_at);
        }
      }
    } catch (error) {
      // The pass was cut short: records it had not reached are still pending.
      for (const record of this.pending) this.earliest = Math.min(this.earliest, record.next_at ?? Number.POSITIVE_INFINITY);
      throw error;
    }
  }

  private step(current: JobRecord, now: number): void {
    const record = { ...current };
    const at = record.next_at ?? now;
    let run: JobRecord | undefined;
    switch (record.status) {
      case "TASK": {
        const cron = record.cron_expression ?? "";
        // A schedule that fell behind (the clock jumped) fires once, at the latest missed slot,
        // found at once rather than slot by slot (a minutely schedule a year behind blocked
        // the server for seconds).
        let fire = at;
        const next = this.nextFiring(cron, fire);
        if (next !== null && next <= now) fire = Math.max(next, latestCronRun(cron, new Date(now))?.getTime() ?? next);
        run = this.run(current, fire);
        record.next_at = this.nextFiring(cron, fire);
        break;
      }
      case "SCHEDULED":
        record.status = "QUEUED";
        record.next_at = at + LIFECYCLE_MS.queued;
        break;
      case "QUEUED":
        record.status = "RUNNING";
        record.next_at = at + LIFECYCLE_MS.running;
        break;
      case "RUNNING":
        record.status = "COMPLETE";
        record.finished_at = at;
        record.exit_code = 0;
        record.next_at = null;
        break;
      case "CANCELING":
      case "CANCELING_SCHEDULED":
        record.status = "CANCELED";
        record.finished_at = at;
        record.next_at = null;
        break;
      default:
        record.next_at = null;
    }
    this.update(current, record, run);
  }

  /** The run of `schedule` its firing at `at` makes. */
  private run(schedule: JobRecord, at: number): JobRecord {
    return {
      ...schedule,
      seq: this.seq + 1,
      id: randomUUID(),
      status: "QUEUED",
      created_at: at,
      finished_at: null,
      exit_code: null,
      parent_job_id: schedule.id,
      cron_expression: null,
      start_after: null,
      environment: { ...schedule.environment },
      files: [...schedule.files],
      next_at: at + LIFECYCLE_MS.queued,
    };
  }

  /** Add a record the listener has been told of, or a restored one. */
  private insert(record: JobRecord): void {
    this.seq = Math.max(this.seq, record.seq);
    this.byId.set(record.id, record);
    let list = this.byTeam.get(record.team);
    if (list === undefined) {
      list = [];
      this.byTeam.set(record.team, list);
    }
    const last = list[list.length - 1];
    list.push(record);
    if (last !== undefined && byCreation(last, record) > 0) this.unsorted.add(record.team);
    this.schedule(record);
  }

  private schedule(record: JobRecord): void {
    if (record.next_at === null) {
      this.pending.delete(record);
      return;
    }
    this.pending.add(record);
    this.earliest = Math.min(this.earliest, record.next_at);
  }

  /** The record as Studio returns it, serialized to UTF-8 JSON. */
  outputJson(record: JobRecord, baseUrl: string): Buffer {
    let json = this.outputs.get(record);
    if (json === undefined) {
      json = Buffer.from(JSON.stringify(toJobOutput(record, baseUrl)), "utf8");
      this.outputs.set(record, json);
    }
    return json;
  }

  /** The first firing of `cron` strictly after `afterMs`, or null if it never fires again. */
  private nextFiring(cron: string, afterMs: number): number | null {
    const known = this.firings.get(cron);
    if (known !== undefined && known.after <= afterMs && (known.next === null || afterMs < known.next)) return known.next;
    const next = nextCronRun(cron, new Date(afterMs))?.getTime() ?? null;
    if (this.firings.size >= 10_000) this.firings.clear();
    this.firings.set(cron, { after: afterMs, next });
    return next;
  }

  /**
   * Make `record` what `updated` says, and add the `run` its firing made, once the listener
   * has kept both: a firing kept without its run would lose the run at a restart, and a run
   * kept without its firing would be made again.
   */
  private update(record: JobRecord, updated: JobRecord, run?: JobRecord): void {
    if (run === undefined) this.listener?.job(updated);
    else {
      this.listener?.job(run, updated);
      this.insert(run);
    }
    Object.assign(record, updated);
    this.outputs.delete(record);
    this.schedule(record);
  }
}

/** A JobOutput with its keys in the order of Studio's API reference, and parent_job_id (not in it) last. */
export function toJobOutput(record: JobRecord, baseUrl: string): JobOutput {
  return {
    id: record.id,
    // The shape of the link in Studio's API reference.
    url: `${baseUrl}/team/${encodeURIComponent(record.team)}/datasets/jobs/${record.id}`,
    status: record.status,
    created_at: new Date(record.created_at).toISOString(),
    created_by: record.created_by,
    finished_at: record.finished_at === null ? null : new Date(record.finished_at).toISOString(),
    query: record.query,
    query_type: record.query_type,
    team: record.team,
    name: record.name,
    workers: record.workers,
    python_version: record.python_version,
    requirements: record.requirements,
    repository: record.repository,
    environment: { ...record.environment },
    exit_code: record.exit_code,
    error_message: record.error_message,
    parent_job_id: record.parent_job_id,
  };
}

/** Oldest first: by creation time, and records of the same millisecond in the order they were made. */
function byCreation(a: JobRecord, b: JobRecord): number {
  return a.created_at - b.created_at || a.seq - b.seq;
}
