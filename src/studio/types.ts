// The shapes of Studio's jobs API, as they travel on the wire (Studio's API reference).

export type QueryType = "PYTHON" | "SHELL";

/** The body of `POST /api/datachain/jobs/`. Optional fields may be sent as null. */
export interface JobInput {
  query: string;
  query_type: QueryType;
  query_name: string;
  team_name: string;
  /** `KEY=VALUE` lines joined by `\n`; empty string when none. */
  environment: string;
  workers?: number | null;
  files?: string[] | null;
  python_version?: string | null;
  requirements?: string | null;
  repository?: string | null;
  priority?: number | null;
  compute_cluster_name?: string | null;
  compute_cluster_id?: number | null;
  start_after?: string | null;
  cron_expression?: string | null;
  credentials_name?: string | null;
}

/** A job record as Studio returns it. It does not echo schedule, cluster, priority,
 * credentials or files: the tool keeps those in its own markers (docs/architecture.md, "Identity").
 * What a listed record is guaranteed to hold is decided in wire.ts, which checks it. */
export interface JobOutput {
  id: string;
  url: string;
  status: string;
  name: string;
  query: string;
  query_type: string;
  team: string;
  workers: number;
  python_version: string | null;
  requirements: string;
  repository: string | null;
  environment: Record<string, string>;
  created_at: string;
  /** Not read by the tool, so not checked (any value passes) and not kept in a listing. */
  created_by?: unknown;
  finished_at?: unknown;
  exit_code?: unknown;
  error_message?: unknown;
  /** Set on a run of a schedule: the schedule's id. */
  parent_job_id: string | null;
}

export interface Cluster {
  id: number;
  name: string;
  status: string | null;
  cloud_provider: string | null;
  cloud_credentials: string | null;
  is_active: boolean;
  default: boolean;
  max_workers: number;
}

/** What the tool reads of an upload's reply: the id that goes into JobInput.files. */
export type UploadReply = Pick<UploadedFile, "id">;

export interface UploadedFile {
  id: number;
  filename: string;
  size: number;
  state: string;
  error: string | null;
}

export const JOB_STATUSES = [
  "CREATED",
  "QUEUED",
  "INIT",
  "RUNNING",
  "COMPLETE",
  "FAILED",
  "CANCELING",
  "CANCELED",
  "CANCELING_SCHEDULED",
  "SCHEDULED",
  "TASK",
  "PROVISIONING",
  "PENDING",
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];
