// From loaded spec files to DesiredJobs: defaults merged, ${...} interpolated, local
// files read and hashed, cron checked, markers and fingerprint computed. Every problem
// of every job is gathered, so that one run of `validate` says everything at once.

import { realpath } from "node:fs/promises";
import { dirname } from "node:path";
import { appendAll } from "../append-all.js";
import { SpecError, type SpecIssue } from "../errors.js";
import { unicodeEscaped, withoutInvisible } from "../invisible.js";
import { isTeamName, TEAM_NAME_RULE, teamFold } from "../studio/team-name.js";
import { FIELD_NAMES, JOB_FIELDS, type FieldName, type JobField, type JobValues } from "./fields.js";
import { FileCache, type UploadRequest } from "./files.js";
import { interpolate, referenceIssues } from "./interpolate.js";
import { createDesiredJob } from "./job.js";
import { findRepositoryRoot, isInside, type LoadedSpecFile } from "./load.js";
import { ownSettings, readField, readReplace } from "./read-field.js";
import { asRecord, checkedFiles, SpecFileReader, stringEntries, type CheckedFiles, type JobReader, type Raw } from "./reader.js";
import type { DesiredJob, ResolvedSpec } from "./types.js";
import { formatPath, showKey, type DocPath } from "./yaml-source.js";
import { byCodeUnits } from "../code-unit-order.js";

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  /** --var name=value (and --var-file), over the files' own vars. */
  vars: Readonly<Record<string, string>>;
  /** The team for jobs that name none: --team, DATACHAIN_STUDIO_TEAM or datachain's config. */
  defaultTeam: string | undefined;
  /**
   * What an unset ${env:NAME} without default is: an error for plan and apply, which send
   * the value; a note for validate, which is run where production secrets are not.
   */
  unsetEnv?: "error" | "note";
  /**
   * Find every problem but build nothing to send: no request bodies, markers or
   * fingerprints, and uploads are not hashed. What validate needs, at a fraction of the cost.
   */
  checkOnly?: boolean;
}

/** What a valid spec holds, in numbers: enough to say so. */
export interface SpecSummary {
  stack: string;
  jobs: number;
  teams: string[];
  files: string[];
}

/** Everything a check of the spec found; `summary` is set when there is no error, `spec` too unless checkOnly. */
export interface SpecCheck {
  summary: SpecSummary | undefined;
  spec: ResolvedSpec | undefined;
  errors: SpecIssue[];
  notes: SpecIssue[];
}

/** Every problem of every job, with its notes; throws nothing for a problem in the spec. */
export async function checkSpecFiles(
  files: readonly LoadedSpecFile[],
  options: ResolveOptions,
  priorIssues: readonly SpecIssue[] = [],
): Promise<SpecCheck> {
  const errors: SpecIssue[] = [...priorIssues];
  const notes: SpecIssue[] = [];

  const first = files[0];
  if (first === undefined) {
    if (errors.length === 0) errors.push({ location: { file: "(none)", line: 1, column: 1 }, path: "", message: "no spec files given" });
    return { summary: undefined, spec: undefined, errors: tidyIssues(errors), notes: [] };
  }
  const stack = String(asRecord(first.source.data)["stack"]);
  checkOneStack(files, stack, errors);
  const resolved = await resolveJobs(files, stack, options, { errors, notes });
  const declared = declaredTeams(files, options, errors);
  checkTeamSpellings(resolved, declared, errors);
  if (errors.length > 0) return { summary: undefined, spec: undefined, errors: tidyIssues(errors), notes: tidyIssues(notes) };
  const teams = [...new Set([...resolved.map((j) => j.team), ...declared.keys()])].sort();
  const summary = { stack, jobs: resolved.length, teams, files: files.map((f) => f.display) };
  const jobs = resolved.map((j) => j.job).filter((j): j is DesiredJob => j !== undefined);
  return {
    summary,
    spec: options.checkOnly === true ? undefined : { stack, jobs, teams, declaredTeams: [...declared.keys()].sort(), files: summary.files },
    errors: [],
    notes: tidyIssues(notes),
  };
}

function checkOneStack(files: readonly LoadedSpecFile[], stack: string, errors: SpecIssue[]): void {
  const first = files[0];
  for (const file of files.slice(1)) {
    const other = String(asRecord(file.source.data)["stack"]);
    if (other !== stack && !file.invalidPaths.touches(["stack"]) && first !== undefined && !first.invalidPaths.touches(["stack"])) {
      errors.push({
        location: file.source.locate(["stack"]),
        path: "stack",
        message: `stack "${showKey(other)}" differs from "${showKey(stack)}" in ${first.display}; all files of one spec belong to one stack`,
      });
    }
  }
}

/**
 * Resolve every job of every file; a key defined twice is reported, its second definition
 * left out. Every upload the jobs name is hashed first, at once, so that each job then
 * resolves synchronously.
 */
async function resolveJobs(
  files: readonly LoadedSpecFile[],
  stack: string,
  options: ResolveOptions,
  sink: { errors: SpecIssue[]; notes: SpecIssue[] },
): Promise<ResolvedJob[]> {
  const cache = new FileCache();
  // What the spec files of one directory share: the repository's root, and the files checked.
  const places = new Map<string, { root: string; checked: CheckedFiles }>();
  const readers: SpecFileReader[] = [];
  for (const file of files) {
    let place = places.get(dirname(file.path));
    if (place === undefined) {
      place = { root: await realpath(await findRepositoryRoot(file.path)), checked: checkedFiles() };
      places.set(dirname(file.path), place);
    }
    readers.push(new SpecFileReader(file, place.root, options, cache, sink, place.checked));
  }
  const uploads = new Map<string, UploadRequest>();
  for (const fileReader of readers) fileReader.requestUploads(uploads);
  await cache.hashUploads(uploads.values(), isInside);

  // Where each key was first defined; located only when a second definition is found.
  const seen = new Map<string, LoadedSpecFile>();
  // The same for keys outside ASCII, by their NFC form without invisible characters: two
  // spellings of one name that read alike are one job.
  const seenAlike = new Map<string, { key: string; file: LoadedSpecFile }>();
  const resolved: ResolvedJob[] = [];
  const checkOnly = options.checkOnly === true;
  for (const fileReader of readers) {
    const { file } = fileReader;
    const shared = sharedValues(fileReader);
    for (const key of Object.keys(fileReader.jobs)) {
      const previousFile = seen.get(key);
      if (previousFile !== undefined) {
        const previous = previousFile.source.locate(["jobs", key], { key: true });
        sink.errors.push(
          fileReader.issue(
            ["jobs", key],
            `job "${showKey(key)}" is defined twice: at ${previous.file}:${previous.line}:${previous.column} and here; keep one`,
            true,
          ),
        );
        continue;
      }
      seen.set(key, file);
      if (NOT_ASCII.test(key)) {
        const seenAs = withoutInvisible(key.normalize("NFC"));
        // Another spelling seen before, or the plain key this one is with invisible characters added (`a\u200b` after `a`).
        const plain = seenAs === key ? undefined : seen.get(seenAs);
        const alike = seenAlike.get(seenAs) ?? (plain === undefined ? undefined : { key: seenAs, file: plain });
        if (alike !== undefined) {
          sink.errors.push(fileReader.issue(["jobs", key], definedAlike(alike.key, alike.file, key), true));
          continue;
        }
        seenAlike.set(seenAs, { key, file });
      } else if (seenAlike.size > 0) {
        // A plain key after a spelling of it with invisible characters.
        const alike = seenAlike.get(key);
        if (alike !== undefined) {
          sink.errors.push(fileReader.issue(["jobs", key], definedAlike(alike.key, alike.file, key), true));
          continue;
        }
      }
      // A job that is not a mapping at all has been reported; each of its fields is judged on its own.
      if (file.invalidPaths.covers(["jobs", key])) continue;
      const job = resolveJob(fileReader.job(key), shared, stack, checkOnly);
      if (job !== undefined) resolved.push({ ...job, at: () => teamLocation(fileReader, key) });
    }
  }
  return resolved;
}

const NOT_ASCII = /[^ -~]/;

/** Where a job's team is written: its own `team`, its file's `defaults`, else its key (the configured team, which the spec does not write). */
function teamLocation(fileReader: SpecFileReader, key: string): TeamPlace {
  const { file } = fileReader;
  if (Object.hasOwn(asRecord(fileReader.jobs[key]), "team")) return writtenAt(file, ["jobs", key, "team"]);
  if (Object.hasOwn(fileReader.defaults, "team")) return writtenAt(file, ["defaults", "team"]);
  return { location: file.source.locate(["jobs", key], { key: true }), path: formatPath(["jobs", key]), configuredFor: key };
}

function writtenAt(file: LoadedSpecFile, path: DocPath): TeamPlace {
  return { location: file.source.locate(path), path: formatPath(path) };
}

/**
 * A key written twice in two Unicode forms (é as one character, or as e and a combining
 * accent; or with an invisible character added): Studio would hold two jobs, and plans
 * would show them alike. Each spelling is shown escaped, so the user can tell which is which.
 */
function definedAlike(firstKey: string, firstFile: LoadedSpecFile, key: string): string {
  const first = firstFile.source.locate(["jobs", firstKey], { key: true });
  const escaped = (text: string) => `"${unicodeEscaped(showKey(text))}"`;
  // Keys alike but for their Unicode form are one NFC text; any others differ by an invisible character.
  const how =
    firstKey.normalize("NFC") === key.normalize("NFC")
      ? "in two Unicode forms that look alike"
      : "in two spellings that look alike, one holding an invisible character";
  return `job "${showKey(firstKey)}" is defined twice, ${how} (${escaped(firstKey)} and ${escaped(key)}): at ${first.file}:${first.line}:${first.column} and here; keep one, or write both alike`;
}

/** Resolve the spec, or throw a SpecError with every problem in it. */
export async function resolveSpec(
  files: readonly LoadedSpecFile[],
  options: ResolveOptions,
  priorIssues: readonly SpecIssue[] = [],
): Promise<ResolvedSpec> {
  const { spec, errors } = await checkSpecFiles(files, { ...options, checkOnly: false }, priorIssues);
  if (spec === undefined) throw new SpecError(errors);
  return spec;
}

/**
 * The top-level `teams:` of every file: teams the stack owns even when no job of the
 * spec runs there any more. ${var:...} is allowed; ${env:...} is not, as plans print teams.
 */
function declaredTeams(files: readonly LoadedSpecFile[], options: ResolveOptions, issues?: SpecIssue[]): Map<string, TeamWritten> {
  const teams = new Map<string, TeamWritten>();
  for (const file of files) {
    const data = file.source.data as Raw;
    const listed = data["teams"];
    if (!Array.isArray(listed) || file.invalidPaths.touches(["teams"])) continue;
    const vars = { ...((data["vars"] ?? {}) as Record<string, string>), ...options.vars };
    for (const [i, raw] of listed.entries()) {
      const written = String(raw);
      const team = interpolate(written, { env: {}, vars });
      const path = ["teams", i];
      if (team.ok && !team.sensitive && isTeamName(team.value)) {
        if (!teams.has(team.value)) teams.set(team.value, { team: team.value, at: () => writtenAt(file, path) });
        continue;
      }
      if (!team.ok && issues !== undefined && !/\$\{env:/.test(written)) {
        appendAll(issues, referenceIssues(file.source, path, written, team.problems));
        continue;
      }
      const message = /\$\{env:/.test(written)
        ? "${env:...} is not allowed here: plans print team names; use ${var:...}"
        : team.ok
          ? `"${showKey(written)}" gives "${showKey(team.value)}": must be ${TEAM_NAME_RULE}`
          : team.message;
      issues?.push({ location: file.source.locate(path), path: formatPath(path), message });
    }
  }
  return teams;
}

/**
 * Two teams of a spec whose names differ only in case (`ml` and `ML`): Studio may take them
 * for one team, as the client does a record's team (studio/team-name.ts), and then each
 * team's listing would hold the other's jobs, which a plan cancels as not of that team and
 * the next creates again. Refused where the second spelling is written.
 */
function checkTeamSpellings(resolved: readonly ResolvedJob[], declared: ReadonlyMap<string, TeamWritten>, errors: SpecIssue[]): void {
  const byFolded = new Map<string, TeamWritten>();
  const said = new Set<string>();
  for (const written of [...declared.values(), ...resolved]) {
    const folded = teamFold(written.team);
    const first = byFolded.get(folded);
    if (first === undefined) {
      byFolded.set(folded, written);
      continue;
    }
    if (first.team === written.team || said.has(written.team)) continue;
    said.add(written.team);
    const { location, path, configuredFor } = written.at();
    const earlier = first.at();
    const { file, line, column } = earlier.location;
    errors.push({
      location,
      path,
      message: `${teamNamed(written.team, configuredFor)} differs only in case from ${teamNamed(first.team, earlier.configuredFor)} at ${file}:${line}:${column}; Studio may take them for one team, and each plan would cancel the other's jobs there: write one spelling`,
    });
  }
}

/** A team as the message on two spellings names it: the configured team said to be one, with the job that takes it, as the spec does not write it. */
function teamNamed(team: string, configuredFor: string | undefined): string {
  if (configuredFor === undefined) return `team "${showKey(team)}"`;
  return `the default team "${showKey(team)}" (--team, DATACHAIN_STUDIO_TEAM or datachain's config), which job "${showKey(configuredFor)}" takes,`;
}

/** The stack of a spec whose files passed the schema, before it is resolved: its first file's (resolving checks the rest agree). */
export function peekStack(files: readonly LoadedSpecFile[]): string {
  return String(asRecord(files[0]?.source.data)["stack"]);
}

/**
 * The teams the jobs will run in, read ahead of full resolution so that listing Studio can
 * start early. A team that cannot be read yet is left out: resolution reports it.
 */
export function peekTeams(files: readonly LoadedSpecFile[], options: ResolveOptions): string[] {
  const teams = new Set<string>();
  for (const file of files) {
    forEachJobTeam(file.source.data, options, (_key, team) => {
      if (team !== undefined && isTeamName(team)) teams.add(team);
    });
  }
  for (const team of declaredTeams(files, options).keys()) teams.add(team);
  return [...teams].sort();
}

/**
 * Each job of a spec file's data, by key, with its team as plainTeam reads it ahead of
 * resolution, the file's vars under the given ones: the teams a plan lists early, and those
 * of the jobs of a spec file it was not given (unread-siblings.ts).
 */
export function forEachJobTeam(
  data: unknown,
  options: Pick<ResolveOptions, "env" | "vars" | "defaultTeam">,
  visit: (key: string, team: string | undefined) => void,
): void {
  const record = asRecord(data);
  const defaults = asRecord(record["defaults"]);
  const vars = { ...stringEntries(record["vars"]), ...options.vars };
  for (const [key, job] of Object.entries(asRecord(record["jobs"]))) {
    visit(key, plainTeam(job, defaults, { env: options.env, vars }, options.defaultTeam));
  }
}

/**
 * A job's team as its file gives it, read ahead of resolution: the configured team when
 * neither the job nor the file's defaults name one; undefined when it cannot be known yet
 * (not text, a variable that gives none, a sensitive value).
 */
function plainTeam(
  job: unknown,
  defaults: Readonly<Record<string, unknown>>,
  context: { env: NodeJS.ProcessEnv; vars: Readonly<Record<string, string>> },
  defaultTeam: string | undefined,
): string | undefined {
  const raw = asRecord(job)["team"] ?? defaults["team"];
  if (raw === undefined) return defaultTeam;
  if (typeof raw !== "string") return undefined;
  const team = interpolate(raw, context);
  return team.ok && !team.sensitive ? team.value : undefined;
}

/** Whether some job names no team, itself or in its file's defaults, and so takes the configured one. */
export function needsDefaultTeam(files: readonly LoadedSpecFile[]): boolean {
  return files.some((file) => {
    const data = asRecord(file.source.data);
    if (asRecord(data["defaults"])["team"] !== undefined) return false;
    return Object.values(asRecord(data["jobs"])).some((job) => asRecord(job)["team"] === undefined);
  });
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Sorted by place, each on one line (a message quoting a value with a line break would
 * break the format), and each said once: a problem with a default is found again in every
 * job that takes it, at the same place and in the same words, and so is one in a mapping
 * that jobs merge (`<<: *base`), though under each job's path: one place, one fix, said with
 * the first job's path.
 */
export function tidyIssues(issues: SpecIssue[]): SpecIssue[] {
  const oneLine = (text: string) => text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const said = new Set<string>();
  return issues
    .filter((issue) => {
      const { file, line, column } = issue.location;
      const key = `${file}\u0000${line}\u0000${column}\u0000${issue.message}`;
      if (said.has(key)) return false;
      said.add(key);
      return true;
    })
    .map((issue) => ({
      ...issue,
      location: { ...issue.location, file: oneLine(issue.location.file) },
      path: oneLine(issue.path),
      message: oneLine(issue.message),
    }))
    .sort(
      (a, b) => byCodeUnits(a.location.file, b.location.file) || a.location.line - b.location.line || a.location.column - b.location.column,
    );
}

/** A team as the spec gives it, and where: the `team` that gives it, else the job's key (the configured team). */
interface TeamWritten {
  team: string;
  at: () => TeamPlace;
}

/** Where a team is given; `configuredFor`: the job whose key stands for the configured team, which no `team` writes. */
type TeamPlace = Pick<SpecIssue, "location" | "path"> & { configuredFor?: string };

/** A job without problems: its team, and unless checking only, the job itself. */
interface ResolvedJob extends TeamWritten {
  job: DesiredJob | undefined;
}

/** The table's entries in order, and the job's own settings each reads (undefined: read for every job). */
const FIELDS: readonly { name: FieldName; field: JobField; own: readonly string[] | undefined }[] = FIELD_NAMES.map((name) => ({
  name,
  field: JOB_FIELDS[name],
  own: ownSettings(JOB_FIELDS[name].source),
}));

/** A field whose value is read for each job of a file. */
const EACH_JOB = Symbol("read for each job");

/**
 * Per field, in table order: its value for a job of this file that sets none of the field's
 * own settings, read once from the defaults, when that reading reports no problem or note and
 * meets no sensitive value; else EACH_JOB. Most jobs set a few fields and take the rest from
 * the defaults or leave them out: those are read once per file, not once per job.
 */
function sharedValues(file: SpecFileReader): unknown[] {
  return FIELDS.map(({ field, own }) => {
    if (own === undefined) return EACH_JOB;
    const scratch = { errors: [], notes: [] };
    const reader = file.withoutSettings(scratch);
    const value = readField(reader, field);
    return scratch.errors.length === 0 && scratch.notes.length === 0 && !reader.anySensitive() ? value : EACH_JOB;
  });
}

/**
 * One job: each field of the table read in turn (or taken as its file's defaults give it,
 * when the job sets none of its settings), then made into a DesiredJob. A job with any
 * problem, or a field the schema refused, is not made: the spec is invalid anyway.
 */
function resolveJob(reader: JobReader, shared: readonly unknown[], stack: string, checkOnly: boolean): Omit<ResolvedJob, "at"> | undefined {
  const values: Partial<Record<FieldName, unknown>> = {};
  for (let i = 0; i < FIELDS.length; i++) {
    const { name, field, own } = FIELDS[i] as (typeof FIELDS)[number];
    const value = shared[i];
    values[name] = value !== EACH_JOB && own !== undefined && !reader.setsAny(own) ? value : readField(reader, field);
  }
  const replace = readReplace(reader);
  if (reader.problems() > 0 || values.query === undefined || values.team === undefined) return undefined;
  const team = values.team as string;
  if (checkOnly) return { team, job: undefined };
  const job = createDesiredJob({
    stack,
    values: values as unknown as JobValues,
    replace,
    sensitiveTemplates: reader.templates(),
    vars: reader.vars,
    location: () => reader.locate(),
    locateSetting: (setting) => reader.locateSetting(setting),
  });
  return { team, job };
}
