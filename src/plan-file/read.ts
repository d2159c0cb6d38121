// Reading a saved plan: telling one from a spec by its first bytes, and reading it whole,
// checked against its version and schema. Past readPlanFile the file can be relied on.
// Only a regular file is read, and only so much of it: a named pipe or a device given as a
// plan would otherwise wait for ever or fill the memory.

import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { decodeText, describeTextProblem, placeInText } from "../desired/decode-text.js";
import { readCapped } from "../desired/read-file.js";
import { showKey } from "../desired/yaml-source.js";
import { PlanRefusedError, UsageError } from "../errors.js";
import { escapeCharacter, findUnseenInJson } from "../invisible.js";
import { PLAN_FORMAT_VERSION, type PlanDocument } from "./document.js";
import { findDuplicateKey } from "./duplicate-keys.js";
import { isPlanPath } from "./plan-path.js";
import { checkPlanSchema } from "./schema.js";
import { MAKE_IT_AGAIN } from "./verify.js";

/** How much of a file is read to tell a saved plan from a spec. */
const SNIFF_BYTES = 256;

/** A saved plan is parsed from one string, which holds less than 512 MiB (as a listing is: src/studio/client.ts). */
export const MAX_PLAN_BYTES = 500 * 1024 * 1024;

const NOT_A_PLAN_HINT = "Save one with `studio-jobs plan --out plan.json`; to see the plan of a spec, run `studio-jobs plan`.";

/** Whether the start of a file's text is that of a saved plan: an object with a format_version key (a BOM allowed). */
function looksLikePlan(head: string): boolean {
  return head.trimStart().startsWith("{") && /"format_version"\s*:/.test(head);
}

/**
 * Whether a JSON object's text is a saved plan's, when its start did not say: a plan
 * reformatted with its keys sorted (`jq -S`, which keeps its seal) has format_version far
 * down. Parsed, it has it at the top.
 */
function isPlanText(text: string): boolean {
  if (!text.trimStart().startsWith("{")) return false;
  try {
    const doc = JSON.parse(text) as unknown;
    return doc !== null && typeof doc === "object" && Object.hasOwn(doc, "format_version");
  } catch {
    return false;
  }
}

function cannotRead(shown: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new UsageError(`${shown} cannot be read${code === undefined ? "" : ` (${code})`}; check that it is a readable file.`);
}

/**
 * Open `path` if it is a regular file. Opening does not wait (O_NONBLOCK: a named pipe
 * would wait for a writer), and the open file itself is asked what it is, so nothing can
 * swap the path in between. Throws a UsageError saying what the path is otherwise.
 */
async function openRegularFile(path: string, shown: string): Promise<{ file: FileHandle; size: number }> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new UsageError(`${shown} does not exist.`, "Save a plan with `studio-jobs plan --out plan.json`.");
    throw cannotRead(shown, error);
  }
  const info = await file.stat();
  if (info.isFile()) return { file, size: info.size };
  await file.close();
  const what = info.isDirectory() ? "a directory" : info.isFIFO() ? "a named pipe" : info.isSocket() ? "a socket" : "a device";
  throw new UsageError(`${shown} is ${what}, not a saved plan file.`, NOT_A_PLAN_HINT);
}

/** Whether `path` holds a saved plan rather than a spec: a regular .json file whose object starts with format_version. */
export async function isPlanFile(path: string): Promise<boolean> {
  if (!isPlanPath(path)) return false;
  // Only the start is needed to tell: the whole file is read once, by readPlanFile.
  const opened = await openRegularFile(path, path).catch(() => undefined);
  if (opened === undefined) return false;
  try {
    const { buffer, bytesRead } = await opened.file.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    const head = buffer.toString("utf8", 0, bytesRead);
    if (looksLikePlan(head)) return true;
    if (!head.trimStart().startsWith("{")) return false;
  } catch {
    return false;
  } finally {
    await opened.file.close();
  }
  // An object whose start does not name format_version: read whole to tell.
  return isPlanText(await readPlanText(path, path).catch(() => ""));
}

/**
 * Whether `path` holds a plan this tool saved, of any format version: what `plan --out` may
 * write over. Stricter than isPlanFile: another tool's JSON that names format_version
 * (Terraform's `show -json` writes it, as a string) is not one. Every version has a number
 * for format_version, and tool_version and stack.
 */
export async function isSavedPlanFile(path: string): Promise<boolean> {
  // Read once, whole (within the size a plan may have): the fields decide, not the start.
  if (!isPlanPath(path)) return false;
  try {
    const doc = JSON.parse(await readPlanText(path, path)) as Record<string, unknown> | null;
    return (
      doc !== null &&
      typeof doc === "object" &&
      typeof doc.format_version === "number" &&
      typeof doc.tool_version === "string" &&
      typeof doc.stack === "string"
    );
  } catch {
    return false;
  }
}

/** The whole text of a regular file of at most MAX_PLAN_BYTES, counted as it is read (a file may grow, or say size 0 and have text). */
async function readPlanText(path: string, shown: string): Promise<string> {
  const { file, size } = await openRegularFile(path, shown);
  const tooLarge = () =>
    new UsageError(
      `${shown} is larger than ${MAX_PLAN_BYTES / 1024 / 1024} MiB, more than any saved plan; it is not one.`,
      NOT_A_PLAN_HINT,
    );
  try {
    if (size > MAX_PLAN_BYTES) throw tooLarge();
    const bytes = await readCapped(file, size, MAX_PLAN_BYTES);
    if (bytes === undefined) throw tooLarge();
    // UTF-8 only, as a spec: decoded with replacement, a byte that is not UTF-8 would be read
    // as U+FFFD, whatever a viewer of the file shows for it, and keep the seal. A BOM, as
    // some editors write, is taken like a spec's.
    const decoded = decodeText(bytes);
    if ("problem" in decoded) throw new UsageError(`${shown} is not a readable plan file: it ${describeTextProblem(decoded.problem)}.`);
    return decoded.text;
  } catch (error) {
    throw error instanceof UsageError ? error : cannotRead(shown, error);
  } finally {
    await file.close();
  }
}

/** Read and check a saved plan; `shown` is the path as the user gave it, for messages. */
export async function readPlanFile(path: string, shown: string = path): Promise<PlanDocument> {
  const text = await readPlanText(path, shown);
  const doc = parsePlanText(text, shown);
  checkSeenAsWritten(text, shown);
  checkKeysOnce(text, shown);
  checkVersion(doc, shown);
  checkPlanSchema(doc, shown);
  if (doc.errors.length > 0) throw new UsageError(`${shown} is a plan with errors; it cannot be applied.`);
  return doc;
}

/** `plan.json:12:5`: where `offset` of the plan's text is, for a message. */
function placeOf(text: string, shown: string, offset: number): string {
  const { line, column } = placeInText(text, offset);
  return `${shown}:${line}:${column}`;
}

/** Said of a plan whose text would read otherwise than it parses. */
const MISREAD = "so a reader of the file would not read what apply carries out. Nothing was changed.";

/**
 * Refuse text that reads otherwise than it parses, though its seal holds (it is the same
 * document): a character `plan --out` writes as an escape (escapeUnseenInJson) written as
 * itself, and a carriage return that ends no line (JSON takes it for a space; a terminal
 * goes back to the start of the line, and what follows hides what came before).
 */
function checkSeenAsWritten(text: string, shown: string): void {
  const unseen = findUnseenInJson(text);
  if (unseen !== -1) {
    const point = text.codePointAt(unseen) ?? 0;
    const hex = point.toString(16).padStart(4, "0");
    const escapes = escapeCharacter(String.fromCodePoint(point));
    throw new PlanRefusedError(
      "PLAN_UNSEEN_TEXT",
      [
        `${placeOf(text, shown, unseen)}: U+${hex.toUpperCase()} is written as itself, where studio-jobs writes ${escapes}: ` +
          `as itself it is not seen or changes how the text around it reads, ${MISREAD}`,
      ],
      MAKE_IT_AGAIN,
    );
  }
  for (let cr = text.indexOf("\r"); cr !== -1; cr = text.indexOf("\r", cr + 1)) {
    if (text.charCodeAt(cr + 1) === 0x0a) continue;
    throw new PlanRefusedError(
      "PLAN_UNSEEN_TEXT",
      [
        `${placeOf(text, shown, cr)}: a carriage return ends no line, where studio-jobs writes none: ` +
          `a terminal showing the file writes what follows it over the start of the line, ${MISREAD}`,
      ],
      MAKE_IT_AGAIN,
    );
  }
}

/**
 * Refuse a file in which an object gives a key twice. JSON.parse keeps the last and the seal
 * covers what it kept, so an earlier decoy would be what a reader of the file takes (other
 * readers keep the first) while apply carries out the other. `plan --out` never writes one.
 */
function checkKeysOnce(text: string, shown: string): void {
  const duplicate = findDuplicateKey(text);
  if (duplicate === undefined) return;
  throw new PlanRefusedError(
    "PLAN_DUPLICATE_KEY",
    [
      `${placeOf(text, shown, duplicate.second)}: key "${showKey(duplicate.key)}" appears twice in one object: first at ${placeOf(text, shown, duplicate.first)}, again here. ` +
        "studio-jobs never writes that: the saved plan was changed after it was made, and a reader of the file may take the value apply would not. Nothing was changed.",
    ],
    MAKE_IT_AGAIN,
  );
}

/**
 * The parsed text of a saved plan, or why it is none: not one (its start does not say so and,
 * parsed, it has no format_version at the top: a plan reformatted with `jq -S` has it far
 * down), not JSON, or holding a number JSON cannot hold.
 */
function parsePlanText(text: string, shown: string): unknown {
  const looksLike = looksLikePlan(text.slice(0, SNIFF_BYTES));
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    if (!looksLike) throw new UsageError(`${shown} is not a saved plan.`, NOT_A_PLAN_HINT);
    throw new UsageError(`${shown} is not a readable plan file: ${(error as Error).message}`);
  }
  if (!looksLike && !(doc !== null && typeof doc === "object" && Object.hasOwn(doc, "format_version")))
    throw new UsageError(`${shown} is not a saved plan.`, NOT_A_PLAN_HINT);
  // A number JSON cannot hold (1e999 reads as Infinity) would be sealed as null: refused,
  // so that what is sealed is what was read. Nesting deeper than any saved plan would
  // overflow the stack of the seal's canonical JSON, which recurses once a level.
  const problem = findValueProblem(doc);
  if (problem === "non-finite") throw new UsageError(`${shown} is not a readable plan file: it holds a number too large for JSON.`);
  if (problem === "too-deep")
    throw new UsageError(
      `${shown} is not a readable plan file: it nests arrays and objects more than ${MAX_PLAN_DEPTH} levels deep, which no saved plan does.`,
      "Make a new plan with `studio-jobs plan --out FILE`.",
    );
  return doc;
}

/**
 * How deep a saved plan's arrays and objects may nest. `plan --out` writes 6 levels at most
 * (a job's applied record: its files, each a [name, sha256] pair); the seal's canonical
 * JSON recurses once a level, and a free-form field (a job's `input`) nested far deeper
 * overflowed its stack.
 */
export const MAX_PLAN_DEPTH = 64;

/**
 * What in a parsed value a saved plan cannot hold: a number that is not finite (reported
 * first, wherever it is), or arrays and objects nested more than MAX_PLAN_DEPTH deep. A walk
 * after the parse, not a reviver: that cost as much again as the parse (a call and a
 * property set a value), this a sixth of it; and a loop, not recursion, as a file may nest
 * deeper than the stack.
 */
function findValueProblem(root: unknown): "non-finite" | "too-deep" | undefined {
  const pending: unknown[] = [root];
  // The depth of each pending value, kept beside it rather than in a pair per value.
  const depths: number[] = [0];
  let tooDeep = false;
  while (pending.length > 0) {
    const value = pending.pop();
    const depth = (depths.pop() ?? 0) + 1;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return "non-finite";
    } else if (value !== null && typeof value === "object") {
      if (depth > MAX_PLAN_DEPTH) tooDeep = true;
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) {
          pending.push(item);
          depths.push(depth);
        }
      } else {
        for (const key in value) {
          pending.push((value as Record<string, unknown>)[key]);
          depths.push(depth);
        }
      }
    }
  }
  return tooDeep ? "too-deep" : undefined;
}

/** Why a plan of an older format_version is not applied: what was wrong with it. */
const OLDER_PLANS: Readonly<Record<number, string>> = {
  1: "held unkeyed digests of sensitive values",
  2: "were not sealed, so an edit made after the plan would have been applied",
  3: "wrote a schedule change's next runs as text, not in ISO 8601",
  4: "did not record the spec paths they were made from",
};

/**
 * A value of the file quoted in a refusal before the schema checked it: as JSON (a line break
 * or an escape shows as its escape, not obeyed) and cut at 40 characters.
 */
function quoted(value: unknown): string {
  const written = JSON.stringify(value) ?? String(value);
  return written.length > 40 ? `${written.slice(0, 40)}…` : written;
}

/** The tool_version of a plan refused for its format_version: as written when it reads as a version, else quoted(). */
function shownToolVersion(value: unknown): string {
  return typeof value === "string" && /^[0-9A-Za-z.+-]{1,40}$/.test(value) ? value : quoted(value);
}

/**
 * A reader takes only its own format_version, and says why not otherwise: a newer file may
 * hold what this version cannot check; an older one held unkeyed digests of sensitive values.
 * Saved plans live from a pull request to its merge, so an old one is made again, not converted.
 */
function checkVersion(doc: unknown, shown: string): void {
  const found = doc as Partial<PlanDocument> | null;
  if (found === null || typeof found !== "object" || Array.isArray(found) || found.format_version === undefined)
    throw new UsageError(`${shown} is not a plan file: it has no format_version.`);
  if (typeof found.format_version !== "number") {
    const given = quoted(found.format_version);
    throw new UsageError(
      `${shown} is not a valid plan file: its format_version must be a number, not ${typeof found.format_version === "string" ? `the string ${given}` : given}.`,
      "Make a new plan with `studio-jobs plan --out FILE`.",
    );
  }
  if (found.format_version > PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `${shown} has format_version ${found.format_version}, newer than this studio-jobs (${PLAN_FORMAT_VERSION}) reads.`,
      `It was made by studio-jobs ${shownToolVersion(found.tool_version)}; apply it with that version or newer.`,
    );
  }
  if (found.format_version < PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `${shown} has format_version ${found.format_version}, made by an older studio-jobs (${shownToolVersion(found.tool_version)}) whose plans ${OLDER_PLANS[found.format_version] ?? OLDER_PLANS[3]}.`,
      `Make a new plan with \`studio-jobs plan --out ${shown}\`, and delete the old one wherever it was kept.`,
    );
  }
  if (
    found.format_version !== PLAN_FORMAT_VERSION ||
    typeof found.stack !== "string" ||
    !Array.isArray(found.teams) ||
    !Array.isArray(found.actions) ||
    found.jobs === undefined
  ) {
    throw new UsageError(
      `${shown} is not a saved plan of format_version ${PLAN_FORMAT_VERSION}; save one with \`studio-jobs plan --out ${shown}\`.`,
    );
  }
}
