// The table of job fields: every setting of a job described once. How the spec gives it,
// how it is sent to Studio, where its live value is read back from, and how a plan
// compares and shows it. The request body, the applied record, the fingerprint, the
// field diff, the settings a plan shows and a saved plan's sensitive values are derived
// from this table; docs/architecture.md, "Adding a `JobInput` field", says how to add one.

import type { JobInput, JobOutput, QueryType } from "../studio/types.js";
import type { AppliedRecord, ClusterRef, DesiredFile } from "./types.js";

/** A resolved job's value of every field, each stored once. Undefined: the spec leaves it to Studio. */
export interface JobValues {
  key: string;
  team: string;
  query_type: QueryType;
  query: string;
  cron: string | undefined;
  start_after: string | undefined;
  cluster: ClusterRef | undefined;
  workers: number | undefined;
  priority: number | undefined;
  python_version: string | undefined;
  requirements: string | undefined;
  credentials: string | undefined;
  repository: string | undefined;
  files: readonly DesiredFile[];
  environment: Readonly<Record<string, string>>;
  protect: boolean;
}

export type FieldName = keyof JobValues;

/**
 * How the spec gives a field. `setting` is where it is written; a job's own value wins
 * over the file's defaults (`schedule.cron` is key `cron` of `schedule`, merged key by key).
 * The plain kinds (text, number, boolean) need nothing more; the others are steps of their
 * own in read-field.ts.
 */
export type FieldSource =
  /** The job's key in the spec. */
  | { read: "key" }
  /** A setting, or --team, DATACHAIN_STUDIO_TEAM or datachain's config. */
  | { read: "team"; setting: string }
  /** The job's own `query` or `query_file`, never from defaults. */
  | { read: "query" }
  /** A setting, else inferred from query_file's extension. */
  | { read: "query_type"; setting: string }
  | { read: "text" | "number" | "boolean"; setting: string }
  /** Text checked as a cron expression. */
  | { read: "cron"; setting: string }
  /** Text checked as an ISO 8601 date-time with a timezone, sent in UTC. */
  | { read: "date-time"; setting: string }
  /** A name, or {id} / {name}. */
  | { read: "cluster"; setting: string }
  /** A list of lines, or `requirements_file`. */
  | { read: "requirements" }
  /** Local files, each checked to be inside the repository. */
  | { read: "files"; setting: string }
  /** A mapping merged key by key; reserved keys refused. */
  | { read: "environment"; setting: string };

/** How a field travels in the create request (JobInput). */
export type SendRule =
  /** As it is, under one key, when set. */
  | { as: Exclude<keyof JobInput, "environment" | "files" | "compute_cluster_id" | "compute_cluster_name"> }
  /** compute_cluster_id or compute_cluster_name, whichever the reference holds. */
  | "cluster"
  /** `KEY=VALUE` lines, the markers added. */
  | "environment"
  /** File ids, filled in by apply after the uploads. */
  | "uploads"
  /** Not a JobInput key: a marker in the environment says it. */
  | "marker";

/** Where a plan reads a field's live value from. */
export type LiveSource =
  /** Studio returns it in JobOutput under `key`; a live value equal to `studioDefault` is what Studio does without it. */
  | { from: "studio"; key: StudioKey; studioDefault?: string | number }
  /** Studio does not return it: read from the STUDIO_JOBS_APPLIED record (`record`). */
  | { from: "record" }
  /** A marker of its own (STUDIO_JOBS_PROTECT). */
  | { from: "marker"; marker: "protect" };

export type StudioKey = keyof JobOutputFields;

type JobOutputFields = Pick<
  JobOutput,
  "name" | "team" | "query" | "query_type" | "workers" | "python_version" | "requirements" | "repository" | "environment"
>;

/**
 * How a plan compares and shows a field, in a replace's changes, in `before`/`after` and in
 * a create's lines:
 * - identity: the job's key and team; another value is another job, never a change.
 * - text: one value, `field: old → new`.
 * - script: the query: a text diff; one line of preview in a create.
 * - lines: a text diff; in settings one entry a line.
 * - cron: a value with its next runs.
 * - cluster: a name, or `{id}`.
 * - files: names and digests.
 * - map: one change and one line per key, each key sensitive on its own.
 * - flag: shown in a create only when true.
 */
export type FieldShape = "identity" | "text" | "script" | "lines" | "cron" | "cluster" | "files" | "map" | "flag";

export interface JobField {
  /**
   * How plans name it (`schedule.cron`), and its place in a plan's settings (settings.schedule.cron).
   * A sensitive field is named the same way (`environment.NAME` for a key of a map).
   */
  label: string;
  source: FieldSource;
  /** Whether ${env:...} may give it: such a value is sensitive, never printed or saved. */
  mayBeSensitive: boolean;
  sends: SendRule;
  /** Recorded in STUDIO_JOBS_APPLIED under this key: what Studio does not return, and query_type. */
  record?: Exclude<keyof AppliedRecord, "v" | "sensitive">;
  live: LiveSource;
  shape: FieldShape;
  /** Always in a plan's settings, even when empty. */
  always?: true;
}

/** The fields, in the order plans show them. */
const TABLE = {
  key: {
    label: "key",
    source: { read: "key" },
    mayBeSensitive: false,
    sends: { as: "query_name" },
    live: { from: "studio", key: "name" },
    shape: "identity",
  },
  team: {
    label: "team",
    source: { read: "team", setting: "team" },
    mayBeSensitive: false,
    sends: { as: "team_name" },
    live: { from: "studio", key: "team" },
    shape: "identity",
  },
  query_type: {
    label: "query_type",
    source: { read: "query_type", setting: "query_type" },
    mayBeSensitive: false,
    sends: { as: "query_type" },
    record: "query_type",
    live: { from: "studio", key: "query_type" },
    shape: "text",
    always: true,
  },
  query: {
    label: "query",
    source: { read: "query" },
    mayBeSensitive: true,
    sends: { as: "query" },
    live: { from: "studio", key: "query" },
    shape: "script",
    always: true,
  },
  cron: {
    label: "schedule.cron",
    source: { read: "cron", setting: "schedule.cron" },
    mayBeSensitive: false,
    sends: { as: "cron_expression" },
    record: "cron",
    live: { from: "record" },
    shape: "cron",
  },
  start_after: {
    label: "schedule.start_after",
    source: { read: "date-time", setting: "schedule.start_after" },
    mayBeSensitive: false,
    sends: { as: "start_after" },
    record: "start_after",
    live: { from: "record" },
    shape: "text",
  },
  cluster: {
    label: "cluster",
    source: { read: "cluster", setting: "cluster" },
    mayBeSensitive: false,
    sends: "cluster",
    record: "cluster",
    live: { from: "record" },
    shape: "cluster",
  },
  workers: {
    label: "workers",
    source: { read: "number", setting: "workers" },
    mayBeSensitive: false,
    sends: { as: "workers" },
    live: { from: "studio", key: "workers", studioDefault: 1 },
    shape: "text",
  },
  priority: {
    label: "priority",
    source: { read: "number", setting: "priority" },
    mayBeSensitive: false,
    sends: { as: "priority" },
    record: "priority",
    live: { from: "record" },
    shape: "text",
  },
  python_version: {
    label: "python_version",
    source: { read: "text", setting: "python_version" },
    mayBeSensitive: true,
    sends: { as: "python_version" },
    live: { from: "studio", key: "python_version" },
    shape: "text",
  },
  requirements: {
    label: "requirements",
    source: { read: "requirements" },
    mayBeSensitive: true,
    sends: { as: "requirements" },
    live: { from: "studio", key: "requirements", studioDefault: "" },
    shape: "lines",
  },
  credentials: {
    label: "credentials",
    source: { read: "text", setting: "credentials" },
    mayBeSensitive: true,
    sends: { as: "credentials_name" },
    record: "credentials",
    live: { from: "record" },
    shape: "text",
  },
  repository: {
    label: "repository",
    source: { read: "text", setting: "repository" },
    mayBeSensitive: true,
    sends: { as: "repository" },
    live: { from: "studio", key: "repository" },
    shape: "text",
  },
  files: {
    label: "files",
    source: { read: "files", setting: "files" },
    mayBeSensitive: false,
    sends: "uploads",
    record: "files",
    live: { from: "record" },
    shape: "files",
  },
  environment: {
    label: "environment",
    source: { read: "environment", setting: "environment" },
    mayBeSensitive: true,
    sends: "environment",
    live: { from: "studio", key: "environment" },
    shape: "map",
  },
  protect: {
    label: "protect",
    source: { read: "boolean", setting: "protect" },
    mayBeSensitive: false,
    sends: "marker",
    live: { from: "marker", marker: "protect" },
    shape: "flag",
    always: true,
  },
} as const satisfies { [K in FieldName]: JobField };

// Every JobInput key is sent by some field: a key added to JobInput does not compile until
// the table says which field sends it.
type SentKeys<R> = R extends { as: infer K }
  ? K
  : R extends "cluster"
    ? "compute_cluster_id" | "compute_cluster_name"
    : R extends "environment"
      ? "environment"
      : R extends "uploads"
        ? "files"
        : never;
type Unsent = Exclude<keyof JobInput, SentKeys<(typeof TABLE)[FieldName]["sends"]>>;
const _everyInputKeySent: [Unsent] extends [never] ? true : { unsent: Unsent } = true;

/** The table of job fields. */
export const JOB_FIELDS: { readonly [K in FieldName]: JobField } = TABLE;

/** Field names in table order. */
export const FIELD_NAMES = Object.keys(TABLE) as FieldName[];

/** The fields a plan shows and compares: all but the job's identity. */
export const PLAN_FIELDS: readonly FieldName[] = FIELD_NAMES.filter((name) => JOB_FIELDS[name].shape !== "identity");

/** A sensitive field's name -> the JobInput key it is sent under (environment keys have none). */
export const SENSITIVE_INPUT_KEYS: ReadonlyMap<string, keyof JobInput> = new Map(
  FIELD_NAMES.flatMap((name) => {
    const field = JOB_FIELDS[name];
    return field.mayBeSensitive && typeof field.sends === "object" ? [[field.label, field.sends.as] as const] : [];
  }),
);

/** Files as the applied record and the fingerprint hold them: name and digest. */
export function fileDigests(files: readonly DesiredFile[]): [name: string, sha256: string][] {
  return files.map((file) => [file.name, file.sha256]);
}
