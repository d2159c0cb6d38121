// Building blocks for planner tests: desired jobs and live records, with real markers.

import { createDesiredJob } from "../src/desired/job.js";
import { MARKERS, markerEnvironment } from "../src/identity/markers.js";
import type { ClusterRef, DesiredFile, DesiredJob } from "../src/desired/types.js";
import type { Cluster, JobOutput } from "../src/studio/types.js";
import type { PlanOptions } from "../src/plan/types.js";

export const STACK = "analytics";
export const NOW = new Date("2026-11-01T00:00:00Z");

export interface DesiredSpec {
  key: string;
  team?: string;
  query?: string;
  cron?: string;
  startAfter?: string;
  workers?: number;
  cluster?: ClusterRef;
  /** One requirement a line, as the spec sends them. */
  requirements?: string;
  protect?: boolean;
  replace?: "create-first" | "cancel-first";
  environment?: Record<string, string>;
  sensitive?: string[];
  files?: DesiredFile[];
}

/** A desired job made the way the spec makes one: every field not given left to Studio. */
export function desired(spec: DesiredSpec): DesiredJob {
  const templates = Object.fromEntries((spec.sensitive ?? []).map((field) => [field, "${env:SECRET}"]));
  return createDesiredJob({
    stack: STACK,
    values: {
      key: spec.key,
      team: spec.team ?? "demo",
      query_type: "PYTHON",
      query: spec.query ?? `print("${spec.key}")\n`,
      cron: spec.cron,
      start_after: spec.startAfter,
      cluster: spec.cluster,
      workers: spec.workers,
      priority: undefined,
      python_version: undefined,
      requirements: spec.requirements,
      credentials: undefined,
      repository: undefined,
      files: spec.files ?? [],
      environment: spec.environment ?? {},
      protect: spec.protect ?? false,
    },
    replace: spec.replace ?? "create-first",
    sensitiveTemplates: templates,
    vars: {},
    location: { file: "studio-jobs.yaml", line: 1, column: 3 },
  });
}

// Test files share this module (vitest runs them without isolation): a record's id and
// url never depend on how many records other files made, only its created_at does.
let counter = 0;

/** A live record as Studio lists it. By default the record `job` would create. */
export function record(
  job: DesiredJob | { key: string; team?: string; stack?: string | null; fingerprint?: string; protect?: boolean; query?: string },
  overrides: Partial<JobOutput> & { stack?: string | null; fingerprint?: string; protect?: boolean } = {},
): JobOutput {
  counter += 1;
  const isDesired = "input" in job;
  const key = job.key;
  const team = job.team ?? "demo";
  let environment: Record<string, string>;
  if (isDesired) {
    const env = Object.fromEntries(job.input.environment.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    environment = env;
  } else {
    const stack = job.stack === undefined ? STACK : job.stack;
    environment =
      stack === null
        ? {}
        : markerEnvironment({
            stack,
            key,
            fingerprint: job.fingerprint ?? "old-fingerprint",
            applied: { v: 1, query_type: "PYTHON" },
            protect: job.protect ?? false,
          });
  }
  // As apply records it for a spec of one team.
  if (Object.hasOwn(environment, MARKERS.stack)) environment = { ...environment, [MARKERS.teams]: JSON.stringify([team]) };
  if (overrides.stack === null) environment = {};
  if (overrides.fingerprint !== undefined) environment = { ...environment, STUDIO_JOBS_FINGERPRINT: overrides.fingerprint };
  if (overrides.protect === true) environment = { ...environment, STUDIO_JOBS_PROTECT: "1" };
  const { stack: _s, fingerprint: _f, protect: _p, ...rest } = overrides;
  const id = overrides.id ?? `job-${String(counter).padStart(4, "0")}`;
  return {
    id,
    url: `http://studio/team/${team}/jobs/${id}`,
    status: isDesired && job.cron !== undefined ? "TASK" : "QUEUED",
    name: key,
    query: isDesired ? job.input.query : (job.query ?? "print(1)\n"),
    query_type: "PYTHON",
    team,
    workers: 1,
    python_version: null,
    requirements: "",
    repository: null,
    environment,
    created_at: new Date(NOW.getTime() - 1000 * (1000 - counter)).toISOString(),
    created_by: "dev",
    finished_at: null,
    exit_code: null,
    error_message: "",
    parent_job_id: null,
    ...rest,
  };
}

export const CLUSTERS: Cluster[] = [
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
    cloud_credentials: null,
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

export function options(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return {
    stack: STACK,
    teams: ["demo"],
    targets: [],
    adopt: false,
    allowEmpty: false,
    allowProtected: false,
    maxCancel: 10,
    now: NOW,
    ...overrides,
  };
}
