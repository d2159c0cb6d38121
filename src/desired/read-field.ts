// Reading each field of a job from the spec, as its entry in the table of job fields
// (fields.ts) says: plain settings the same way, the others by a step of their own.

import { extname } from "node:path";
import { checkCron } from "../cron.js";
import { unfilled } from "./fill-in.js";
import { MARKER_PREFIX } from "../identity/markers.js";
import { isTeamName, TEAM_NAME_RULE } from "../studio/team-name.js";
import { isOneLine, isOneSentLine } from "./environment-name.js";
import type { FieldSource, JobField } from "./fields.js";
import type { JobReader, Origin, QueryRead } from "./reader.js";
import type { ClusterRef, DesiredFile, ReplaceStrategy } from "./types.js";
import { showKey } from "./yaml-source.js";

/** A FILL-IN import wrote, reported where it is written (fill-in.ts). */
function isUnfilled(reader: JobReader, origin: Origin, setting: string, value: string): boolean {
  const problem = unfilled(setting, value);
  if (problem !== undefined) reader.problem(origin.path, problem);
  return problem !== undefined;
}

/** A field's value, or undefined when the spec leaves it out or it has a problem (reported). */
export function readField(reader: JobReader, field: JobField): unknown {
  const sensitiveAs = field.mayBeSensitive ? field.label : undefined;
  const source: FieldSource = field.source;
  switch (source.read) {
    case "key":
      return reader.key;
    case "team":
      return readTeam(reader, source.setting);
    case "query":
      return readQuery(reader).text;
    case "query_type": {
      const explicit = reader.setting(source.setting);
      if (explicit !== undefined && !explicit.spoiled) return explicit.value;
      return readQuery(reader).inferred;
    }
    case "text": {
      const origin = reader.setting(source.setting);
      return origin === undefined ? undefined : filled(reader, origin, reader.text(origin, sensitiveAs), field.label);
    }
    case "number":
      return reader.setting(source.setting)?.value;
    case "boolean":
      return reader.setting(source.setting)?.value === true;
    case "cron":
      return readCron(reader, source.setting);
    case "date-time":
      return readDateTime(reader, source.setting);
    case "cluster":
      return readCluster(reader, source.setting);
    case "requirements":
      return readRequirements(reader, sensitiveAs);
    case "files":
      // Most jobs upload nothing: they share one empty list.
      return reader.setting(source.setting) === undefined ? NO_FILES : readFiles(reader, source.setting);
    case "environment":
      return readEnvironment(reader, source.setting, sensitiveAs);
    default:
      return source satisfies never;
  }
}

/**
 * The job's own settings (top-level keys) a field reads. A job that sets none of them gets
 * the field exactly as its file's defaults give it, the same for every such job (see
 * `SpecFileReader.shared`). Undefined: the field is read for each job (its key, its query).
 */
export function ownSettings(source: FieldSource): readonly string[] | undefined {
  switch (source.read) {
    case "key":
    case "query":
    case "query_type":
      return undefined;
    case "requirements":
      return ["requirements", "requirements_file"];
    case "team":
    case "text":
    case "number":
    case "boolean":
    case "cron":
    case "date-time":
    case "cluster":
    case "files":
    case "environment":
      return [source.setting.split(".")[0] ?? source.setting];
    default:
      return source satisfies never;
  }
}

/** How a changed job is replaced: not sent, not in the fingerprint, so not a field of the table. */
export function readReplace(reader: JobReader): ReplaceStrategy {
  const replace = reader.setting("schedule.replace");
  return replace !== undefined && !replace.spoiled ? (replace.value as ReplaceStrategy) : "create-first";
}

const NO_FILES: readonly DesiredFile[] = Object.freeze([]);

function readTeam(reader: JobReader, setting: string): string | undefined {
  const origin = reader.setting(setting);
  if (origin !== undefined) {
    // The schema checked the text as written; a ${var:...} in it is checked for what it gives.
    const team = reader.text(origin, undefined);
    if (team !== undefined && !isTeamName(team)) {
      reader.problem(origin.path, `"${showKey(String(origin.value))}" gives "${showKey(team)}": must be ${TEAM_NAME_RULE}`);
    }
    return team;
  }
  if (reader.defaultTeam !== undefined) return reader.defaultTeam;
  reader.problem(
    reader.jobPath,
    `job "${showKey(reader.key)}" has no team: set team in the job or under defaults, or pass --team (or DATACHAIN_STUDIO_TEAM)`,
    true,
  );
  return undefined;
}

/** Read once for both fields that need it: the query, and the query type its file implies. */
function readQuery(reader: JobReader): QueryRead {
  return (reader.query ??= readQueryOnce(reader));
}

function readQueryOnce(reader: JobReader): QueryRead {
  const inline = reader.own("query");
  const fromFile = reader.own("query_file");
  if (inline !== undefined && fromFile !== undefined) {
    reader.problem(fromFile.path, "give query or query_file, not both", true);
  } else if (inline === undefined && fromFile === undefined) {
    reader.problem(reader.jobPath, `job "${showKey(reader.key)}" has no query: give query (inline) or query_file`, true);
  } else if (inline !== undefined) {
    const text = reader.text(inline, "query");
    // Only a ${var:...} or an ${env:...} can empty it (the schema refuses an empty text).
    if (text !== undefined && !/\S/.test(text) && !(reader.isSensitive("query") && reader.checksWithoutSecrets)) {
      reader.problem(inline.path, `"${showKey(String(inline.value))}" gives an empty query`);
    }
    return { text, inferred: "PYTHON" };
  } else if (fromFile !== undefined) {
    const found = reader.localFile(fromFile, "query_file", "text");
    const text = found?.read?.text;
    // Tested, not trimmed: trimming copies the whole query for every job that names it.
    if (text !== undefined && !/\S/.test(text)) reader.problem(fromFile.path, `query_file "${showKey(String(fromFile.value))}" is empty`);
    const inferred = found === undefined || extname(found.name).toLowerCase() === ".py" ? "PYTHON" : "SHELL";
    return { text, inferred };
  }
  return { text: undefined, inferred: "PYTHON" };
}

function readCron(reader: JobReader, setting: string): string | undefined {
  const origin = reader.setting(setting);
  if (origin === undefined) return undefined;
  const cron = reader.text(origin, undefined)?.trim();
  if (cron !== undefined && isUnfilled(reader, origin, "cron", cron)) return undefined;
  const problem = cron === undefined ? undefined : checkCron(cron);
  if (problem !== undefined) reader.problem(origin.path, problem);
  return cron;
}

function readDateTime(reader: JobReader, setting: string): string | undefined {
  const origin = reader.setting(setting);
  const raw = origin === undefined ? undefined : reader.text(origin, undefined);
  if (origin === undefined || raw === undefined) return undefined;
  if (isUnfilled(reader, origin, "start_after", raw)) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms) || !/(Z|[+-]\d\d:?\d\d)$/i.test(raw)) {
    reader.problem(
      origin.path,
      `"${showKey(raw)}" must be an ISO 8601 date-time of a real day and time, with a timezone, e.g. 2026-12-01T00:00:00Z`,
    );
    return undefined;
  }
  return new Date(ms).toISOString();
}

/**
 * A text setting that reads as blank is refused where it is written: it would be sent, while
 * a plan lists no blank setting (docs/architecture.md, "Job fields: one table"). The schema
 * refuses one written empty; this is one a ${var:...} or an ${env:...} empties, or written as
 * spaces. validate lets one from ${env:...} be: it may run where secrets are unset, or set
 * empty (a pull request from a fork), and the message says nothing a secret holds.
 */
function filled(reader: JobReader, origin: Origin, value: string | undefined, label: string): string | undefined {
  if (value !== undefined && !isOneLine(value)) {
    reader.problem(origin.path, `${label} must be one line: a line break of any kind (LF, CR, U+2028...) is no part of one; remove it`);
    return undefined;
  }
  if (value === undefined || /\S/.test(value) || (reader.isSensitive(label) && reader.checksWithoutSecrets)) return value;
  const written = String(origin.value);
  const what = written.includes("${") ? `"${showKey(written)}" gives an empty ${label}` : `${label} is blank`;
  reader.problem(origin.path, `${what}: give it a value, or leave ${label} out`);
  return undefined;
}

function readCluster(reader: JobReader, setting: string): ClusterRef | undefined {
  const origin = reader.setting(setting);
  if (origin === undefined || origin.spoiled) return undefined;
  if (typeof origin.value === "string") {
    return namedCluster(reader, origin);
  }
  const ref = origin.value as { id?: number; name?: string };
  if (ref.id !== undefined) return { id: ref.id };
  if (ref.name === undefined) return undefined;
  return namedCluster(reader, reader.origin(ref.name, origin.path, "name"));
}

function namedCluster(reader: JobReader, origin: Origin): ClusterRef | undefined {
  const name = filled(reader, origin, reader.text(origin, undefined), "cluster");
  if (name === undefined || isUnfilled(reader, origin, "cluster", name)) return undefined;
  return { name };
}

/**
 * `requirements` and `requirements_file` are two spellings of one setting: a job that writes
 * either takes it, over whichever of them the defaults write.
 */
function readRequirements(reader: JobReader, sensitiveAs: string | undefined): string | undefined {
  const ownList = reader.own("requirements");
  const ownFile = reader.own("requirements_file");
  const own = ownList !== undefined || ownFile !== undefined;
  const list = own ? ownList : reader.setting("requirements");
  const file = own ? ownFile : reader.setting("requirements_file");
  if (list !== undefined && file !== undefined) {
    reader.problem(file.path, "give requirements or requirements_file, not both", true);
    return undefined;
  }
  if (list !== undefined) {
    if (list.spoiled) return undefined;
    const items = list.value as unknown[];
    const parent = list.path;
    const lines = items.map((line, i) => {
      const origin = reader.origin(line, parent, i);
      const text = reader.text(origin, sensitiveAs);
      // Sent as lines of one text: a break inside an item would make it two requirements. A
      // CR that ends one is half of a CRLF (as `import` writes Studio's CRLF text): still one.
      if (text === undefined || isOneSentLine(text)) return text;
      reader.problem(origin.path, "each requirement must be one line: a line break would make it two; write them as two items");
      return undefined;
    });
    // The whole list is one sensitive field: its template is every line as written.
    if (sensitiveAs !== undefined && reader.isSensitive(sensitiveAs)) reader.markSensitive(sensitiveAs, items.map(String).join("\n"));
    return lines.every((l) => l !== undefined) ? lines.join("\n") : undefined;
  }
  if (file !== undefined) return reader.localFile(file, "requirements_file", "text")?.read?.text;
  return undefined;
}

/**
 * What a multipart form (undici's FormData, as a browser's) writes otherwise in a filename:
 * `"` as %22, LF and CR as %0A and %0D. Studio would name the file other than the plan shows.
 */
const FORM_ESCAPED = /["\r\n]/;

function readFiles(reader: JobReader, setting: string): DesiredFile[] {
  const origin = reader.setting(setting);
  if (origin === undefined || origin.spoiled) return [];
  const files: DesiredFile[] = [];
  /** Each upload name taken: the entry as written, and the file it names. */
  const names = new Map<string, { written: string; absolute: string }>();
  const parent = origin.path;
  for (const [i, entry] of (origin.value as unknown[]).entries()) {
    const at = reader.origin(entry, parent, i);
    const found = reader.localFile(at, "file", "hash");
    if (found === undefined) continue;
    const name = found.name;
    if (FORM_ESCAPED.test(name)) {
      reader.problem(
        at.path,
        `file "${showKey(String(entry))}" cannot be uploaded under its name: an upload writes " as %22 and a line break as %0A or %0D; rename it`,
      );
      continue;
    }
    const clash = names.get(name);
    if (clash !== undefined) {
      const both = `"${showKey(String(entry))}" and "${showKey(clash.written)}"`;
      reader.problem(
        at.path,
        clash.absolute === found.absolute
          ? `${both} name the same file; remove one`
          : `${both} would both be uploaded as ${showKey(name)}; rename one`,
      );
      continue;
    }
    names.set(name, { written: String(entry), absolute: found.absolute });
    // Checking only, an upload is looked up but not hashed: its digest goes into nothing.
    files.push({ path: String(entry), absolute: found.absolute, name, sha256: found.read?.sha256 ?? "", size: found.read?.size ?? 0 });
  }
  return files;
}

function readEnvironment(reader: JobReader, setting: string, sensitiveAs: string | undefined): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const origin of reader.mergedMap(setting)) {
    const name = String(origin.last);
    if (name.startsWith(MARKER_PREFIX)) {
      reader.problem(
        origin.path,
        `environment key ${showKey(name)} is reserved: keys starting with ${MARKER_PREFIX} mark the jobs studio-jobs manages; rename it`,
        true,
      );
      continue;
    }
    const value = reader.text(origin, sensitiveAs === undefined ? undefined : `${sensitiveAs}.${name}`);
    if (value === undefined) continue;
    if (!isOneSentLine(value)) {
      reader.problem(
        origin.path,
        "environment values must be one line: Studio takes KEY=VALUE lines, and a line break of any kind (LF, CR, U+2028...) would start another",
      );
      continue;
    }
    environment[name] = value;
  }
  return environment;
}
