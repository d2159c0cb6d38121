// An in-memory StudioClient for unit tests of apply: it keeps the team's jobs in a list,
// writes down every call in the order it was made, and fails the calls a test scripts,
// before or after it acted. Integration tests use the emulator over HTTP instead.

import type { InterruptedError } from "../src/errors.js";
import { RemoteError } from "../src/errors.js";
import { parseEnvironment } from "../src/emulator/job-input.js";
import type { StudioClient } from "../src/studio/client.js";
import { isLive } from "../src/studio/job-status.js";
import type { JobInput, JobOutput } from "../src/studio/types.js";
import { CLUSTERS, NOW } from "./plan-fixtures.js";

export interface ScriptedFailure {
  /** The calls it hits, as `calls` writes them (`create demo/a`): a call that starts with this. */
  call: string;
  error: RemoteError | InterruptedError;
  /** Do the work, then fail: the server acted but its reply was lost. */
  afterActing?: boolean;
  /** How many matching calls fail; 1 by default. */
  times?: number;
}

export interface FakeStudio extends StudioClient {
  /** Every job and schedule, in the order they were created. */
  readonly jobs: JobOutput[];
  /** What each create sent, in order. */
  readonly sent: JobInput[];
  /**
   * Every call, in the order it started: `upload demo/labels.csv`, `create demo/a`,
   * `cancel demo/a job-0003`, `list demo` (a whole listing), `get demo/job-0003`.
   */
  readonly calls: string[];
  fail(failure: ScriptedFailure): void;
  /** Runs as each call starts, before it acts: a test can interrupt the apply there. */
  onCall: ((call: string) => void) | undefined;
}

/** An error as the client reports it: 5xx and no reply are ambiguous, 4xx are not. */
export function remoteError(status: number | undefined, options: { method?: string; ambiguous?: boolean } = {}): RemoteError {
  const method = options.method ?? "POST";
  return new RemoteError({
    method,
    path: "/api/datachain/jobs/",
    status,
    studioMessage: status === undefined ? undefined : `fake ${status}`,
    cause: status === undefined ? new Error("socket hang up") : undefined,
    ...(options.ambiguous === undefined ? {} : { ambiguous: options.ambiguous }),
  });
}

export function createFakeStudio(existing: readonly JobOutput[] = []): FakeStudio {
  const jobs: JobOutput[] = existing.map((job) => structuredClone(job));
  const sent: JobInput[] = [];
  const calls: string[] = [];
  const failures: (ScriptedFailure & { left: number })[] = [];
  let created = 0;
  let uploaded = 0;

  /** Note the call, then act, failing before or after as scripted. */
  async function call<T>(name: string, act: () => T): Promise<T> {
    calls.push(name);
    fake.onCall?.(name);
    await Promise.resolve(); // a reply is never synchronous
    const failure = failures.find((f) => f.left > 0 && name.startsWith(f.call));
    if (failure === undefined) return act();
    failure.left -= 1;
    if (failure.afterActing === true) act();
    throw failure.error;
  }

  const byId = (team: string, id: string) => jobs.find((j) => j.team === team && j.id === id);

  const fake: FakeStudio = {
    url: "http://fake-studio",
    jobs,
    sent,
    calls,
    onCall: undefined,
    fail(failure) {
      failures.push({ ...failure, left: failure.times ?? 1 });
    },
    listAllJobs(team, query = {}) {
      return call(`list ${team}`, () => jobs.filter((j) => j.team === team && (query.keep?.(j) ?? true)).map((j) => structuredClone(j)));
    },
    listJobs(team, query = {}) {
      return call(query.jobId === undefined ? `list ${team}` : `get ${team}/${query.jobId}`, () =>
        jobs.filter((j) => j.team === team && (query.jobId === undefined || j.id === query.jobId)).map((j) => structuredClone(j)),
      );
    },
    createJob(input) {
      return call(`create ${input.team_name}/${input.query_name}`, () => {
        created += 1;
        sent.push(input);
        const id = `fake-${created}`;
        const job: JobOutput = {
          id,
          url: `http://fake-studio/${input.team_name}/jobs/${id}`,
          status: input.cron_expression == null ? "QUEUED" : "TASK",
          name: input.query_name,
          query: input.query,
          query_type: input.query_type,
          team: input.team_name,
          workers: input.workers ?? 1,
          python_version: input.python_version ?? null,
          requirements: input.requirements ?? "",
          repository: input.repository ?? null,
          environment: parseEnvironment(input.environment),
          // After every record made before the test started (plan-fixtures dates those before NOW).
          created_at: new Date(NOW.getTime() + created * 1000).toISOString(),
          parent_job_id: null,
        };
        jobs.push(job);
        return structuredClone(job);
      });
    },
    cancelJob(team, jobId) {
      const job = byId(team, jobId);
      return call(`cancel ${team}/${job?.name ?? "?"} ${jobId}`, () => {
        // As Studio: a job that is not there is a 404, one that already ended a 400.
        if (job === undefined) throw remoteError(404, { method: "POST" });
        if (!isLive(job.status)) throw remoteError(400, { method: "POST" });
        job.status = job.status === "TASK" ? "CANCELING_SCHEDULED" : "CANCELED";
        return "cancel requested";
      });
    },
    uploadFile(team, filename) {
      return call(`upload ${team}/${filename}`, () => {
        uploaded += 1;
        return { id: uploaded };
      });
    },
    listClusters() {
      return call("clusters", () => structuredClone(CLUSTERS));
    },
    close() {
      return Promise.resolve();
    },
  };
  return fake;
}
