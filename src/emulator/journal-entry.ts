// What a journal line must be to be read back: an entry as the emulator writes it, every
// field of its record of the type the store keeps. A line edited by hand to hold another
// type would be taken, and every listing of its team then refused by the client, which
// blames Studio's reply: so it is refused at the start, naming the line and the field.

import type { FileRecord, JobRecord } from "./store.js";

export type JournalEntry = { t: "job"; r: JobRecord } | { t: "file"; r: FileRecord };

type Field = [key: string, expected: string, ok: (value: unknown) => boolean];

const isString = (value: unknown) => typeof value === "string";
const nonEmpty = (value: unknown) => typeof value === "string" && value !== "";
const whole = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
const integer = (value: unknown) => Number.isSafeInteger(value);
// A time the store computes with: a bad one would stop every schedule (a NaN next_at) or
// fail every listing of the team (an invalid finished_at).
const time = (value: unknown) => Number.isFinite(value) && Math.abs(value as number) <= 8.64e15;
const orNull =
  (ok: (value: unknown) => boolean) =>
  (value: unknown): boolean =>
    value === null || ok(value);
const strings = (value: unknown) =>
  value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every(isString);
const stringList = (value: unknown) => Array.isArray(value) && value.every(isString);

/** Every field of a JobRecord, in its order. */
const JOB_FIELDS: readonly Field[] = [
  ["seq", "a whole number", whole],
  ["id", "a string", nonEmpty],
  ["team", "a string", nonEmpty],
  ["status", "a string", nonEmpty],
  ["name", "a string", isString],
  ["query", "a string", isString],
  ["query_type", "a string", isString],
  ["workers", "a whole number", whole],
  ["python_version", "a string or null", orNull(isString)],
  ["requirements", "a string", isString],
  ["repository", "a string or null", orNull(isString)],
  ["environment", "an object of strings", strings],
  ["created_at", "a time in milliseconds", time],
  ["created_by", "a string", isString],
  ["finished_at", "a time in milliseconds or null", orNull(time)],
  ["exit_code", "an integer or null", orNull(integer)],
  ["error_message", "a string", isString],
  ["parent_job_id", "a string or null", orNull(isString)],
  ["cron_expression", "a string or null", orNull(isString)],
  ["start_after", "a time in milliseconds or null", orNull(time)],
  ["priority", "an integer or null", orNull(integer)],
  ["cluster_id", "an integer or null", orNull(integer)],
  ["credentials_name", "a string or null", orNull(isString)],
  ["files", "a list of strings", stringList],
  ["next_at", "a time in milliseconds or null", orNull(time)],
];

/** Every field of a FileRecord. */
const FILE_FIELDS: readonly Field[] = [
  ["id", "a whole number", whole],
  ["team", "a string", nonEmpty],
  ["filename", "a string", isString],
  ["size", "a whole number", whole],
  ["state", "a string", isString],
  ["error", "a string or null", orNull(isString)],
  ["sha256", "a string", isString],
];

/** What keeps a parsed line from being an entry this emulator writes, if anything. */
export function entryProblem(entry: unknown): string | undefined {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return "is not an object";
  const { t, r } = entry as { t?: unknown; r?: unknown };
  if (t !== "job" && t !== "file") return 'has no "t" of "job" or "file"';
  if (r === null || typeof r !== "object" || Array.isArray(r)) return 'has no record "r"';
  const record = r as Record<string, unknown>;
  for (const [key, expected, ok] of t === "job" ? JOB_FIELDS : FILE_FIELDS) {
    const value = record[key];
    if (value === undefined) return `is a ${t} without "${key}"`;
    if (!ok(value)) return `is a ${t} whose "${key}" is not ${expected}`;
  }
  return undefined;
}
