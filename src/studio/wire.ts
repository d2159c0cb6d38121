// Everything Studio sends is checked here, once, against the wire types, before any other
// code acts on it: a record that does not fit stops the command instead of being guessed at.
//
// The rules. Strict on what the tool relies on: a job's id, status, team and created_at
// (it orders by it) are strings, ids and statuses non-empty, none of them with control
// characters (they are printed), and on a record that is kept created_at is an ISO 8601
// date-time (src/studio/time.ts); environment values are strings, and the tool's own
// markers in them are well-formed; parent_job_id, which decides whether a record is a run
// that is never touched, is null or absent (not a run) or a non-empty string (a run), and
// anything else (0, "", false) is refused rather than read one way or the other.
// Liberal where the API reference leaves room: optional text fields may be null or absent
// (url, python_version, requirements, repository, and name, which echoes JobInput's
// optional query_name: read as ""); a listing may be a bare array or the older
// {"jobs": [...]} wrapper. Silent about fields the tool never reads (created_by,
// finished_at, exit_code, error_message), which are not kept either. Values are never
// quoted in a problem, only their kind: they may be secrets.
//
// Hand-written rather than a JSON Schema and ajv: a listing holds up to a million records,
// so the per-record check must cost next to nothing; the messages must name the job id
// and field; and nothing has to be compiled or loaded when the CLI starts.

import { hasControlCharacters } from "../invisible.js";
import { APPLIED_VERSION, decodeAppliedJson, MARKERS, userEnvironment } from "../identity/markers.js";
import { isLive, isRun } from "./job-status.js";
import { isSameTeam } from "./team-name.js";
import { oneLine, shorten } from "./reply-text.js";
import { isStudioTime } from "./time.js";
import type { Cluster, JobOutput, UploadReply } from "./types.js";

/** What does not fit, said for a person: `job 42: field "status" must be a string, got a number`. */
export class WireError extends Error {
  override readonly name = "WireError";
  /** The id of the job whose studio-jobs markers are what does not fit: a person may have made or edited them. */
  markedJob: string | undefined;
  /**
   * Studio's own text that the message ends by quoting (cut short, unredacted: this module
   * knows no secrets), whole: the client shows it as `head: "text"`, its secrets hidden
   * before it is cut to `max` characters, as a cut first may leave the start of a secret
   * too short for the redactor to know it.
   */
  quoted: { head: string; text: string; max: number } | undefined;
}

type Fields = Record<string, unknown>;

function kind(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value === "") return "an empty string";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function problem(label: string, field: string, wanted: string, value: unknown): WireError {
  return new WireError(
    value === undefined ? `${label}: field "${field}" is missing` : `${label}: field "${field}" must be ${wanted}, got ${kind(value)}`,
  );
}

/** A string printed as is: a name, a status, an id. */
function text(record: Fields, field: string, label: string, nonEmpty: boolean): string {
  const value = record[field];
  if (typeof value !== "string" || (nonEmpty && value === "")) {
    throw problem(label, field, nonEmpty ? "a non-empty string" : "a string", value);
  }
  if (hasControlCharacters(value)) throw new WireError(`${label}: field "${field}" holds control characters`);
  return value;
}

function anyString(record: Fields, field: string, label: string): string {
  const value = record[field];
  if (typeof value !== "string") throw problem(label, field, "a string", value);
  return value;
}

/** An optional printed string: null or absent becomes null; control characters are refused. */
function optionalText(record: Fields, field: string, label: string): string | null {
  const value = optionalString(record, field, label, null);
  if (value !== null && hasControlCharacters(value)) throw new WireError(`${label}: field "${field}" holds control characters`);
  return value;
}

/** An optional text field: null or absent becomes `absent`. */
function optionalString<T extends string | null>(record: Fields, field: string, label: string, absent: T): string | T {
  const value = record[field];
  if (value === undefined || value === null) return absent;
  if (typeof value !== "string") throw problem(label, field, "a string or null", value);
  return value;
}

/**
 * A whole number the tool can hold exactly: past 2^53 - 1 JSON.parse has already rounded it
 * (2^53 + 1 reads as 2^53), and String() writes 1e300 as "1e+300". Either would be sent on
 * as another number than Studio meant (an upload's id goes into a create as text).
 */
function integer(record: Fields, field: string, label: string, min: number): number {
  const value = record[field];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw problem(label, field, `a whole number of at least ${min}`, value);
  }
  if (!Number.isSafeInteger(value)) {
    throw new WireError(`${label}: field "${field}" is a whole number too large to be read exactly (more than 2^53 - 1)`);
  }
  return value;
}

function boolean(record: Fields, field: string, label: string): boolean {
  const value = record[field];
  if (typeof value !== "boolean") throw problem(label, field, "true or false", value);
  return value;
}

function jobLabel(raw: Fields, index: number | undefined): string {
  const id = raw["id"];
  if (typeof id === "string" && id !== "" && !hasControlCharacters(id) && id.length <= 200) return `job ${id}`;
  return index === undefined ? "the job record" : `item ${index}`;
}

/** A printed string: present, a string, non-empty if asked, without control characters. */
function isPrintable(value: unknown, nonEmpty: boolean): value is string {
  return typeof value === "string" && !(nonEmpty && value === "") && !hasControlCharacters(value);
}

/**
 * The shape of one job record; markers are checked apart, only on records that are kept.
 * Written for speed, as it runs once per listed record: named property reads (the records
 * of one listing share a shape), and the work of saying what is wrong only when something is.
 */
function checkJobShape(raw: unknown, index: number | undefined): JobOutput {
  if (!isObject(raw)) {
    throw new WireError(`${index === undefined ? "the reply" : `item ${index}`}: expected a job record (an object), got ${kind(raw)}`);
  }
  const job = raw as Partial<Record<keyof JobOutput, unknown>>;
  if (
    !isPrintable(job.id, true) ||
    !isPrintable(job.status, true) ||
    typeof job.team !== "string" ||
    !isPrintable(job.created_at, true) ||
    typeof job.query !== "string" ||
    !isPrintable(job.query_type, false) ||
    typeof job.workers !== "number" ||
    !Number.isSafeInteger(job.workers) ||
    job.workers < 0
  ) {
    explainJob(raw, index);
  }
  const name = job.name;
  if (name === undefined || name === null) job.name = "";
  else if (!isPrintable(name, false)) explainJob(raw, index);
  const url = job.url;
  if (url === undefined || url === null) job.url = "";
  else if (!isPrintable(url, false)) explainJob(raw, index);
  if (job.python_version === undefined) job.python_version = null;
  else if (job.python_version !== null && typeof job.python_version !== "string") explainJob(raw, index);
  const requirements = job.requirements;
  if (requirements === undefined || requirements === null) job.requirements = "";
  else if (typeof requirements !== "string") explainJob(raw, index);
  if (job.repository === undefined) job.repository = null;
  else if (job.repository !== null && typeof job.repository !== "string") explainJob(raw, index);

  const env = job.environment;
  if (env === undefined || env === null) {
    job.environment = {};
  } else if (!isObject(env)) {
    explainJob(raw, index);
  } else {
    for (const key in env) if (typeof env[key] !== "string") explainJob(raw, index);
  }

  const parent = job.parent_job_id;
  if (parent === undefined) job.parent_job_id = null;
  else if (parent !== null && !isPrintable(parent, true)) explainJob(raw, index);
  return raw as unknown as JobOutput;
}

/** What is wrong with a job record that checkJobShape found wrong, field by field. */
function explainJob(raw: Fields, index: number | undefined): never {
  const label = jobLabel(raw, index);
  text(raw, "id", label, true);
  text(raw, "status", label, true);
  optionalText(raw, "name", label);
  anyString(raw, "team", label);
  text(raw, "created_at", label, true);
  anyString(raw, "query", label);
  text(raw, "query_type", label, false);
  integer(raw, "workers", label, 0);
  for (const field of ["url", "python_version", "requirements", "repository"]) optionalString(raw, field, label, null);
  if (typeof raw["url"] === "string") text(raw, "url", label, false);
  const env = raw["environment"];
  if (env !== undefined && env !== null) {
    if (!isObject(env)) throw problem(label, "environment", "an object of strings", env);
    for (const key in env) if (typeof env[key] !== "string") throw problem(label, `environment.${key}`, "a string", env[key]);
  }
  const parent = raw["parent_job_id"];
  if (parent !== undefined && parent !== null && !isPrintable(parent, true)) {
    if (typeof parent === "string" && parent !== "") throw new WireError(`${label}: field "parent_job_id" holds control characters`);
    throw problem(label, "parent_job_id", "null or the id of a job (a non-empty string)", parent);
  }
  throw new WireError(`${label}: the record does not fit`); // not reached: checkJobShape found a problem
}

/**
 * The tool's own markers: written by it, but read back from a server that may have mangled
 * them. `known` holds APPLIED records already found good in this reply: the runs of one
 * schedule all carry the same one.
 */
function checkMarkers(job: JobOutput, known?: Set<string>): void {
  try {
    checkMarkerValues(job, known);
  } catch (error) {
    if (error instanceof WireError) error.markedJob = job.id;
    throw error;
  }
}

/**
 * The record, its markers checked. A run, or a record that will never run again, whose
 * markers do not fit is kept without them instead: nothing acts on it (classify.ts), Studio
 * lists it for good and cannot change it, so a job made by hand with a mangled marker would
 * otherwise stop the stack's every command even once cancelled or finished. A live one still
 * stops them, and the error says to cancel it.
 */
function readableMarkers(job: JobOutput, known: Set<string>): JobOutput {
  try {
    checkMarkers(job, known);
    return job;
  } catch (error) {
    if (!(error instanceof WireError) || !(isRun(job) || !isLive(job.status))) throw error;
    return { ...job, environment: userEnvironment(job.environment) };
  }
}

function checkMarkerValues(job: JobOutput, known?: Set<string>): void {
  const env = job.environment;
  for (const name of [MARKERS.stack, MARKERS.key, MARKERS.fingerprint]) {
    if (env[name] === "") throw new WireError(`job ${job.id}: marker ${name} is empty`);
    // Printed as the job's key and stack: a terminal escape in one would reach the screen.
    if (env[name] !== undefined && hasControlCharacters(env[name]))
      throw new WireError(`job ${job.id}: marker ${name} holds control characters`);
  }
  const applied = env[MARKERS.applied];
  if (applied === undefined || known?.has(applied) === true) return;
  let decoded: unknown;
  try {
    decoded = decodeAppliedJson(applied);
  } catch {
    throw new WireError(`job ${job.id}: marker ${MARKERS.applied} is not base64url-encoded JSON`);
  }
  checkAppliedRecord(decoded, `job ${job.id}: marker ${MARKERS.applied}`);
  known?.add(applied);
}

/** The STUDIO_JOBS_APPLIED record, as decoded by identity/markers.ts; see AppliedRecord. */
function checkAppliedRecord(value: unknown, label: string): void {
  if (!isObject(value)) throw new WireError(`${label}: expected an object, got ${kind(value)}`);
  const version = value["v"];
  if (typeof version !== "number") throw problem(label, "v", "a number", version);
  // A record of another version is written by another version of the tool: it is not
  // read (the plan shows those fields as unknown), so its fields are not checked either.
  if (version !== APPLIED_VERSION) return;
  text(value, "query_type", label, true);
  const optional = (field: string, check: (v: unknown) => boolean, wanted: string) => {
    const v = value[field];
    if (v !== undefined && !check(v)) throw problem(label, field, wanted, v);
  };
  const isString = (v: unknown) => typeof v === "string";
  const isStringArray = (v: unknown) => Array.isArray(v) && v.every(isString);
  optional("cron", isString, "a string");
  optional("start_after", isString, "a string");
  optional("priority", (v) => typeof v === "number", "a number");
  optional(
    "cluster",
    (v) => isObject(v) && (typeof v["name"] === "string" || (typeof v["id"] === "number" && Number.isInteger(v["id"]))),
    '{"name": string} or {"id": number}',
  );
  optional(
    "credentials",
    (v) => typeof v === "string" || (isObject(v) && typeof v["sensitive"] === "string"),
    'a string or {"sensitive": string}',
  );
  optional(
    "files",
    (v) => Array.isArray(v) && v.every((f) => isStringArray(f) && (f as unknown[]).length === 2),
    "a list of [name, sha256] pairs",
  );
  optional("sensitive", isStringArray, "a list of strings");
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((key) => Object.hasOwn(b, key) && sameValue((a as Fields)[key], (b as Fields)[key]));
}

function listOf(body: unknown, wrapper: string, what: string): unknown[] {
  if (Array.isArray(body)) return body;
  if (isObject(body) && Array.isArray(body[wrapper])) return body[wrapper] as unknown[];
  throw new WireError(`expected a list of ${what} (a JSON array), got ${kind(body)}`);
}

/** The records of a job listing: a bare array, or the older `{"jobs": [...]}` wrapper. */
export function jobListItems(body: unknown): unknown[] {
  return listOf(body, "jobs", "jobs");
}

/**
 * A job listing read record by record (as a streamed reply arrives, or from a parsed
 * body): each record checked; `keep` drops records the caller has no use for (their
 * markers are not even decoded). A record listed twice is kept once if the copies are
 * identical; copies that differ make the listing untrustworthy, and it is refused. That
 * includes a copy dropped and a copy kept (a run listed once more as a job of its own); two
 * copies that are both dropped are not compared, as they take part in nothing.
 */
export interface JobListReader {
  /** Check the record at `index` of the listing, and keep it unless `keep` says no. */
  add(raw: unknown, index: number): void;
  /** The kept records, once every record is in. */
  finish(): JobOutput[];
}

/** How a listing is read: the team it was asked for, and which records the caller keeps. */
export interface ListingOptions {
  /** Every record must be of this team: a server that ignores team_name is not believed. */
  team?: string;
  /** Records it says no to are checked, then dropped (their markers are not even decoded). */
  keep?: (job: JobOutput) => boolean;
  /**
   * The stack the caller acts for: only its records' markers are checked. Another stack's
   * record, or one of no stack, is never acted on past its stack's name (classify.ts), and
   * markers anyone could write on it must not stop the stack's every plan: a cancelled job
   * is listed for good. Without it, every kept record's markers are checked.
   */
  stack?: string;
}

export function createJobListReader(options: ListingOptions = {}): JobListReader {
  const { team, keep, stack } = options;
  const kept = new Map<string, JobOutput>();
  // Ids only, looked up once at the end: hashing into a set as large as the listing costs
  // a good part of what parsing it does. A dropped record is not held, only its id.
  const dropped: string[] = [];
  const knownApplied = new Set<string>();
  return {
    add(raw, index) {
      const job = checkJobShape(raw, index);
      if (team !== undefined && !isSameTeam(job.team, team)) throw otherTeam(job, team);
      if (keep !== undefined && !keep(job)) {
        dropped.push(job.id);
        return;
      }
      checkCreatedAt(job);
      const all = slimJob(job);
      const slim = stack === undefined || all.environment[MARKERS.stack] === stack ? readableMarkers(all, knownApplied) : all;
      const seen = kept.get(job.id);
      if (seen !== undefined) {
        if (!sameValue(seen, slim)) throw listedTwice(job.id);
        return;
      }
      kept.set(job.id, slim);
    },
    finish() {
      for (const id of dropped) if (kept.has(id)) throw listedTwice(id);
      return [...kept.values()];
    },
  };
}

/** A whole job listing: see createJobListReader. */
export function readJobList(body: unknown, options: ListingOptions = {}): JobOutput[] {
  const items = jobListItems(body);
  const reader = createJobListReader(options);
  for (let i = 0; i < items.length; i++) reader.add(items[i], i);
  return reader.finish();
}

/**
 * A checked record with only the fields the tool reads, all of them, in one order: what a
 * server adds (created_by, finished_at, ...) is not held for the life of the command, and
 * every kept record has the same shape.
 */
function slimJob(job: JobOutput): JobOutput {
  return {
    id: job.id,
    url: job.url,
    status: job.status,
    name: job.name,
    query: job.query,
    query_type: job.query_type,
    team: job.team,
    workers: job.workers,
    python_version: job.python_version,
    requirements: job.requirements,
    repository: job.repository,
    environment: job.environment,
    created_at: job.created_at,
    parent_job_id: job.parent_job_id,
  };
}

/**
 * A record of another team in a team's listing: the server did not list what it was asked
 * for, and a plan made from it would cancel the jobs it left out. A long name is not quoted
 * rather than cut: nothing is redacted here, and a cut would leave the first part of a
 * secret across it, which the redactor no longer knows.
 */
function otherTeam(job: JobOutput, team: string): WireError {
  const theirs = job.team.length > 60 ? `another team's name (${job.team.length} characters)` : JSON.stringify(job.team);
  return new WireError(
    `job ${job.id}: field "team" is ${theirs} in the listing of team ${JSON.stringify(team)}; a listing that mixes teams cannot be trusted`,
  );
}

function listedTwice(id: string): WireError {
  return new WireError(`job ${id} is listed twice with different contents; there is no telling which is true`);
}

/**
 * The reference's created_at is a date-time, and the tool orders a key's records by it (which
 * duplicate is kept, a schedule's newest run). Checked on kept records only: reading a time
 * costs as much as the rest of a record's checks, and a listing is mostly runs a plan drops.
 */
function checkCreatedAt(job: JobOutput): void {
  if (!isStudioTime(job.created_at)) {
    throw new WireError(`job ${job.id}: field "created_at" is not an ISO 8601 date-time, such as 2021-01-01T00:00:00Z`);
  }
}

/** The reply to a create: the job as Studio recorded it. */
export function readJob(body: unknown): JobOutput {
  const checked = checkJobShape(body, undefined);
  checkCreatedAt(checked);
  const job = slimJob(checked);
  checkMarkers(job);
  return job;
}

/**
 * The clusters, each with only the fields the tool reads, in the reference's order: what a
 * server adds is neither held nor printed (`clusters --format json` writes these records,
 * and an unknown field of any depth or size is the server's to send, not the tool's to show).
 */
export function readClusterList(body: unknown): Cluster[] {
  return listOf(body, "clusters", "clusters").map((raw, i) => {
    if (!isObject(raw)) throw new WireError(`item ${i}: expected a cluster (an object), got ${kind(raw)}`);
    const label = Number.isSafeInteger(raw["id"]) ? `cluster ${String(raw["id"])}` : `item ${i}`;
    return {
      id: integer(raw, "id", label, 0),
      name: text(raw, "name", label, true),
      status: optionalText(raw, "status", label),
      cloud_provider: optionalText(raw, "cloud_provider", label),
      cloud_credentials: optionalString(raw, "cloud_credentials", label, null),
      is_active: boolean(raw, "is_active", label),
      default: boolean(raw, "default", label),
      max_workers: integer(raw, "max_workers", label, 0),
    };
  });
}

/**
 * The reply to an upload: its id, which the tool sends on in the create. Where Studio says
 * more, it is held to it: a `size` other than the bytes sent is a file cut short or changed on
 * its way, and an `error` is an upload that failed; a job made with either would run with
 * another file than the spec's. Both are optional (a reply may give only the id).
 */
export function readUploadReply(body: unknown, sentBytes: number): UploadReply {
  if (!isObject(body)) throw new WireError(`expected the uploaded file (an object), got ${kind(body)}`);
  const label = "the uploaded file";
  const id = integer(body, "id", label, 0);
  const failed = optionalString(body, "error", label, "");
  if (failed !== "") {
    const quoted = { head: `${label}: Studio says the upload failed`, text: failed, max: 200 };
    const error = new WireError(`${quoted.head}: "${shorten(oneLine(failed), quoted.max)}"`);
    error.quoted = quoted;
    throw error;
  }
  if (body["size"] !== undefined && body["size"] !== null) {
    const size = integer(body, "size", label, 0);
    if (size !== sentBytes) {
      const sent = sentBytes === 1 ? "1 was sent" : `${sentBytes} were sent`;
      throw new WireError(`${label}: Studio holds ${size} byte${size === 1 ? "" : "s"} of it where ${sent}`);
    }
  }
  return { id };
}

/** The reply to a cancel, `{"message": "..."}`; its message is only shown. */
export function readActionFeedback(body: unknown): string {
  if (!isObject(body)) throw new WireError(`expected {"message": ...} (an object), got ${kind(body)}`);
  return optionalString(body, "message", "the reply", "");
}
