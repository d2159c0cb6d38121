// From loaded spec files to DesiredJobs: defaults merged, ${...} interpolated, local
// files read and hashed, cron checked, markers and fingerprint computed. Every problem
// of every job is gathered, so that one run of `validate` says everything at once.

import { realpath } from "node:fs/promises";
import { basename, dirname, extname, resolve } from "node:path";
import { checkCron } from "../cron.js";
import { SpecError, type SourceLocation, type SpecIssue } from "../errors.js";
import type { JobInput, QueryType } from "../studio/types.js";
import { FileCache, type FileRead, type FileRequest } from "./files.js";
import { computeJobFingerprint, credentialsDigest } from "../identity/fingerprint.js";
import { interpolate } from "./interpolate.js";
import { findRepositoryRoot, isInside, type LoadedSpecFile } from "./load.js";
import { formatEnvironment, MARKER_PREFIX, markerEnvironment } from "../identity/markers.js";
import type { AppliedRecord, ClusterRef, DesiredFile, DesiredJob, ReplaceStrategy, ResolvedSpec } from "./types.js";
import { formatPath, showKey, type DocPath } from "./yaml-source.js";

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

type Raw = Record<string, unknown>;

/** Fields whose value may come from ${env:...}; the others are shown in plans and may not. */
const SENSITIVE_CAPABLE = new Set(["query", "requirements", "environment", "credentials", "repository", "python_version"]);

/** A value of the spec and where it is written. */
class Origin {
  constructor(
    readonly value: unknown,
    private readonly parent: DocPath,
    private readonly last: string | number,
    /** The schema has already reported this value: use it for nothing, report nothing more. */
    readonly spoiled: boolean,
  ) {}

  /** Made only when a problem is reported: most values never need it. */
  get path(): DocPath {
    return [...this.parent, this.last];
  }
}

const DEFAULTS: DocPath = ["defaults"];

function isPrefix(prefix: DocPath, path: DocPath): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (String(prefix[i]) !== String(path[i])) return false;
  return true;
}

/** Whether a schema problem sits at, above or below `path`: the value there cannot be trusted. */
function touches(invalid: readonly DocPath[], path: DocPath): boolean {
  return invalid.some((bad) => bad.length > 0 && (isPrefix(bad, path) || isPrefix(path, bad)));
}

function asRecord(value: unknown): Raw {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Raw) : {};
}

/** Every problem of every job, with its notes; throws nothing for a problem in the spec. */
export async function checkSpecFiles(
  files: readonly LoadedSpecFile[],
  options: ResolveOptions,
  priorIssues: readonly SpecIssue[] = [],
): Promise<SpecCheck> {
  const errors: SpecIssue[] = [...priorIssues];
  const notes: SpecIssue[] = [];
  const cache = new FileCache();
  const roots = new Map<string, string>();

  const first = files[0];
  if (first === undefined) {
    if (errors.length === 0) errors.push({ location: { file: "(none)", line: 1, column: 1 }, path: "", message: "no spec files given" });
    return { summary: undefined, spec: undefined, errors: tidyIssues(errors), notes: [] };
  }
  const stack = String(asRecord(first.source.data)["stack"]);
  for (const file of files.slice(1)) {
    const other = String(asRecord(file.source.data)["stack"]);
    if (other !== stack && !touches(file.invalidPaths, ["stack"]) && !touches(first.invalidPaths, ["stack"])) {
      errors.push({
        location: file.source.locate(["stack"]),
        path: "stack",
        message: `stack "${showKey(other)}" differs from "${showKey(stack)}" in ${first.display}; all files of one spec belong to one stack`,
      });
    }
  }

  // Each file's context, once: its repository root, vars and defaults.
  const contexts: FileContext[] = [];
  for (const file of files) {
    const data = asRecord(file.source.data);
    let root = roots.get(dirname(file.path));
    if (root === undefined) {
      root = await realpath(await findRepositoryRoot(file.path));
      roots.set(dirname(file.path), root);
    }
    contexts.push({
      file,
      root,
      jobs: asRecord(data["jobs"]),
      vars: { ...stringEntries(data["vars"]), ...options.vars },
      defaults: asRecord(data["defaults"]),
      paths: new Map(),
    });
  }

  // Every file the jobs name is looked up and read at once, so that each job then resolves
  // synchronously: ten thousand jobs are ten thousand calls, not a hundred thousand awaits.
  const requests = new Map<string, FileRequest>();
  for (const context of contexts) requestFiles(context, options, requests);
  await cache.fetch(requests.values(), isInside);

  // Where each key was first defined; located only when a second definition is found.
  const seen = new Map<string, LoadedSpecFile>();
  const checkOnly = options.checkOnly === true;
  const resolved: ResolvedJob[] = [];
  const sink: Sink = { errors, notes };
  for (const context of contexts) {
    const { file } = context;
    for (const key of Object.keys(context.jobs)) {
      const locate = () => file.source.locate(["jobs", key], { key: true });
      const previousFile = seen.get(key);
      if (previousFile !== undefined) {
        const previous = previousFile.source.locate(["jobs", key], { key: true });
        errors.push({
          location: locate(),
          path: formatPath(["jobs", key]),
          message: `job "${showKey(key)}" is defined twice: at ${previous.file}:${previous.line}:${previous.column} and here; keep one`,
        });
        continue;
      }
      seen.set(key, file);
      // A job that is not a mapping at all has been reported; each of its fields is judged on its own.
      if (file.invalidPaths.length > 0 && file.invalidPaths.some((bad) => bad.length > 0 && isPrefix(bad, ["jobs", key]))) continue;
      const job = resolveJob(new JobReader(context, key, options, sink), cache, locate, stack, checkOnly);
      if (job !== undefined) resolved.push(job);
    }
  }
  const declared = declaredTeams(files, options, errors);
  if (errors.length > 0) return { summary: undefined, spec: undefined, errors: tidyIssues(errors), notes: tidyIssues(notes) };
  const teams = [...new Set([...resolved.map((j) => j.team), ...declared])].sort();
  const summary = { stack, jobs: resolved.length, teams, files: files.map((f) => f.display) };
  const jobs = resolved.map((j) => j.job).filter((j): j is DesiredJob => j !== undefined);
  return {
    summary,
    spec: options.checkOnly === true ? undefined : { stack, jobs, teams, files: summary.files },
    errors: [],
    notes: tidyIssues(notes),
  };
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
function declaredTeams(files: readonly LoadedSpecFile[], options: ResolveOptions, issues?: SpecIssue[]): string[] {
  const teams = new Set<string>();
  for (const file of files) {
    const data = file.source.data as Raw;
    const listed = data["teams"];
    if (!Array.isArray(listed) || touches(file.invalidPaths, ["teams"])) continue;
    const vars = { ...((data["vars"] ?? {}) as Record<string, string>), ...options.vars };
    for (const [i, raw] of listed.entries()) {
      const written = String(raw);
      const team = interpolate(written, { env: {}, vars });
      if (team.ok && !team.sensitive) {
        teams.add(team.value);
        continue;
      }
      const path = ["teams", i];
      const message = /\$\{env:/.test(written) ? "${env:...} is not allowed here: plans print team names; use ${var:...}" : team.ok ? "" : team.message;
      issues?.push({ location: file.source.locate(path), path: formatPath(path), message });
    }
  }
  return [...teams];
}

/**
 * The teams the jobs will run in, read ahead of full resolution so that listing Studio can
 * start early. A team that cannot be read yet is left out: resolution reports it.
 */
export function peekTeams(files: readonly LoadedSpecFile[], options: ResolveOptions): string[] {
  const teams = new Set<string>();
  for (const file of files) {
    const data = asRecord(file.source.data);
    const defaults = asRecord(data["defaults"]);
    const vars = { ...stringEntries(data["vars"]), ...options.vars };
    for (const job of Object.values(asRecord(data["jobs"]))) {
      const raw = asRecord(job)["team"] ?? defaults["team"];
      if (typeof raw !== "string") {
        if (options.defaultTeam !== undefined) teams.add(options.defaultTeam);
        continue;
      }
      const team = interpolate(raw, { env: options.env, vars });
      if (team.ok && !team.sensitive) teams.add(team.value);
    }
  }
  for (const team of declaredTeams(files, options)) teams.add(team);
  return [...teams].sort();
}

/** Whether some job names no team, itself or in its file's defaults, and so takes the configured one. */
export function needsDefaultTeam(files: readonly LoadedSpecFile[]): boolean {
  return files.some((file) => {
    const data = asRecord(file.source.data);
    if (asRecord(data["defaults"])["team"] !== undefined) return false;
    return Object.values(asRecord(data["jobs"])).some((job) => asRecord(job)["team"] === undefined);
  });
}

function stringEntries(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(asRecord(value))) if (typeof v === "string") out[name] = v;
  return out;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Sorted by place, each on one line: a message quoting a value with a line break would break the format. */
export function tidyIssues(issues: SpecIssue[]): SpecIssue[] {
  const oneLine = (text: string) => text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return issues
    .map((issue) => ({
      ...issue,
      location: { ...issue.location, file: oneLine(issue.location.file) },
      path: oneLine(issue.path),
      message: oneLine(issue.message),
    }))
    .sort(
      (a, b) =>
        a.location.file.localeCompare(b.location.file) || a.location.line - b.location.line || a.location.column - b.location.column,
    );
}

/** A spec file and what its jobs share. */
interface FileContext {
  file: LoadedSpecFile;
  /** The repository its paths may not leave. */
  root: string;
  jobs: Raw;
  vars: Record<string, string>;
  defaults: Raw;
  /** Paths as written -> absolute: thousands of jobs name the same few files. */
  paths: Map<string, string>;
}

/** Where problems and notes of every job go. */
interface Sink {
  errors: SpecIssue[];
  notes: SpecIssue[];
}

/**
 * What every step of resolving one job uses: its settings (the job's own over the
 * defaults'), interpolation, local files, and where to report. One object per job with
 * its methods shared: ten thousand jobs are resolved in one synchronous pass.
 */
class JobReader {
  readonly jobPath: DocPath;
  readonly vars: Record<string, string>;
  private readonly context: FileContext;
  private readonly file: LoadedSpecFile;
  private readonly root: string;
  private readonly job: Raw;
  private readonly defaults: Raw;
  /** Fields whose values came from ${env:...}, and how each was written; made when needed. */
  private sensitiveFields: Map<string, string> | undefined;
  private count = 0;

  constructor(
    context: FileContext,
    readonly key: string,
    private readonly options: ResolveOptions,
    private readonly sink: Sink,
  ) {
    this.context = context;
    this.file = context.file;
    this.root = context.root;
    this.job = asRecord(context.jobs[key]);
    this.defaults = context.defaults;
    this.vars = context.vars;
    this.jobPath = ["jobs", key];
  }

  get sensitive(): Map<string, string> {
    this.sensitiveFields ??= new Map();
    return this.sensitiveFields;
  }

  isSensitive(field: string): boolean {
    return this.sensitiveFields?.has(field) === true;
  }

  sensitiveNames(): string[] {
    return this.sensitiveFields === undefined ? [] : [...this.sensitiveFields.keys()].sort();
  }

  get defaultTeam(): string | undefined {
    return this.options.defaultTeam;
  }

  /** How many problems this job has had so far. */
  problems(): number {
    return this.count;
  }

  origin(value: unknown, parent: DocPath, last: string | number): Origin {
    const invalid = this.file.invalidPaths;
    return new Origin(value, parent, last, invalid.length > 0 && touches(invalid, [...parent, last]));
  }

  /** A field of the job itself (query, query_file: never from defaults). */
  own(name: string): Origin | undefined {
    const value = this.job[name];
    return value === undefined ? undefined : this.origin(value, this.jobPath, name);
  }

  /** The job's own value, else the default's. */
  setting(name: string): Origin | undefined {
    if (this.job[name] !== undefined) return this.origin(this.job[name], this.jobPath, name);
    if (this.defaults[name] !== undefined) return this.origin(this.defaults[name], DEFAULTS, name);
    return undefined;
  }

  /** A nested mapping merged key by key: the job's keys over the defaults'. */
  mergedMap(name: string): Map<string, Origin> {
    const out = new Map<string, Origin>();
    const fromDefaults = this.defaults[name];
    const own = this.job[name];
    if (fromDefaults !== null && typeof fromDefaults === "object" && !Array.isArray(fromDefaults)) {
      const parent = ["defaults", name];
      for (const [k, v] of Object.entries(fromDefaults)) out.set(k, this.origin(v, parent, k));
    }
    if (own !== null && typeof own === "object" && !Array.isArray(own)) {
      const parent = [...this.jobPath, name];
      for (const [k, v] of Object.entries(own)) out.set(k, this.origin(v, parent, k));
    }
    return out;
  }

  problem(path: DocPath, message: string, onKey = false): void {
    this.count += 1;
    this.sink.errors.push(this.issue(path, message, onKey));
  }

  private issue(path: DocPath, message: string, onKey = false): SpecIssue {
    return { location: this.file.source.locate(path, { key: onKey }), path: formatPath(path), message };
  }

  /** A variable the schema refused is not "unknown" where it is used: that was said once already. */
  private spoiledVar(name: string): boolean {
    return !Object.hasOwn(this.options.vars, name) && touches(this.file.invalidPaths, ["vars", name]);
  }

  /** Interpolate one string; `field` names it for sensitivity (undefined: ${env} not allowed). */
  text(from: Origin, field: string | undefined): string | undefined {
    if (from.spoiled) return undefined;
    const result = interpolate(String(from.value), { env: this.options.env, vars: this.vars, lenientEnv: this.options.unsetEnv === "note" });
    if (!result.ok) {
      if (result.unknownVar === undefined || !this.spoiledVar(result.unknownVar)) this.problem(from.path, result.message);
      return undefined;
    }
    if (result.sensitive) {
      if (field === undefined || !SENSITIVE_CAPABLE.has(field.split(".")[0] ?? "")) {
        this.problem(from.path, `\${env:...} is not allowed here: this value is shown in plans; use \${var:...} or write it out`);
        return undefined;
      }
      this.sensitive.set(field, String(from.value));
    }
    for (const name of result.unsetEnv) {
      this.sink.notes.push(this.issue(from.path, `environment variable ${showKey(name)} is not set here; plan and apply will need it (or give a default: \${env:${showKey(name)}:-value})`));
    }
    return result.value;
  }

  private absolute(written: string): string {
    return absoluteIn(this.context, written);
  }

  /** A local file the spec names, checked: it exists, it is a file, it is inside the repository. */
  localFile(from: Origin, what: string, cache: FileCache, want: "text" | "hash"): { absolute: string; read: FileRead | undefined } | undefined {
    const written = this.text(from, undefined);
    if (written === undefined) return undefined;
    const found = cache.lookup(this.absolute(written));
    if (found === undefined) {
      this.problem(from.path, `${what} "${showKey(written)}" does not exist (paths are relative to the YAML file)`);
      return undefined;
    }
    if (!isInside(this.root, found.real)) {
      this.problem(from.path, `${what} "${showKey(written)}" is outside the repository; keep job files inside it`);
      return undefined;
    }
    if (!found.isFile) {
      this.problem(from.path, `${what} "${showKey(written)}" is not a file`);
      return undefined;
    }
    if (want === "hash" && this.options.checkOnly === true) return { absolute: found.real, read: undefined };
    const read = cache.read(found.real, want);
    if (read === undefined) this.problem(from.path, `${what} "${showKey(written)}" cannot be read; check its permissions`);
    return read === undefined ? undefined : { absolute: found.real, read };
  }
}

/** Where a path written in a file's spec is. */
function absoluteIn(context: FileContext, written: string): string {
  let absolute = context.paths.get(written);
  if (absolute === undefined) {
    absolute = resolve(dirname(context.file.path), written);
    context.paths.set(written, absolute);
  }
  return absolute;
}

/**
 * Adds the local files a file's jobs name to those fetched before the jobs are resolved.
 * Nothing is reported here (resolving reports); a value that is not a usable path is
 * skipped, and one the schema refused costs at most a needless look-up.
 */
function requestFiles(context: FileContext, options: ResolveOptions, into: Map<string, FileRequest>): void {
  // Thousands of jobs name the same few files: each text written is looked at once.
  const written = { text: new Set<string>(), hash: new Set<string>(), exists: new Set<string>() };
  const add = (value: unknown, want: FileRequest["want"]) => {
    if (typeof value !== "string" || written[want].has(value)) return;
    written[want].add(value);
    const path = interpolate(value, { env: options.env, vars: context.vars });
    if (!path.ok || path.sensitive) return;
    const absolute = absoluteIn(context, path.value);
    const id = `${want}:${absolute}`;
    if (!into.has(id)) into.set(id, { absolute, want, root: context.root });
  };
  // Checking only, an upload need only exist: its digest goes into nothing.
  const upload = options.checkOnly === true ? "exists" : "hash";
  for (const value of Object.values(context.jobs)) {
    const job = asRecord(value);
    add(job["query_file"], "text");
    add(job["requirements_file"] ?? context.defaults["requirements_file"], "text");
    const files = job["files"] ?? context.defaults["files"];
    if (Array.isArray(files)) for (const entry of files) add(entry, upload);
  }
}

/** A job without problems: its team, and unless checking only, the job itself. */
interface ResolvedJob {
  team: string;
  job: DesiredJob | undefined;
}

function resolveJob(reader: JobReader, cache: FileCache, locate: () => SourceLocation, stack: string, checkOnly: boolean): ResolvedJob | undefined {
  const team = resolveTeam(reader);
  const { query, queryType } = resolveQuery(reader, cache);
  const requirements = resolveRequirements(reader, cache);
  const files = resolveFiles(reader, cache);
  const environment = resolveEnvironment(reader);
  const schedule = resolveSchedule(reader);
  const cluster = resolveCluster(reader);
  const optionalText = (name: string): string | undefined => {
    const origin = reader.setting(name);
    return origin === undefined ? undefined : reader.text(origin, name);
  };
  const fields: JobFields = {
    team: team ?? "",
    query: query ?? "",
    queryType,
    requirements,
    files,
    environment,
    ...schedule,
    cluster,
    pythonVersion: optionalText("python_version"),
    credentials: optionalText("credentials"),
    repository: optionalText("repository"),
    workers: reader.setting("workers")?.value as number | undefined,
    priority: reader.setting("priority")?.value as number | undefined,
    protect: reader.setting("protect")?.value === true,
  };
  // A job with any problem, or a field the schema refused, is not assembled: the spec is invalid anyway.
  if (reader.problems() > 0 || query === undefined || team === undefined) return undefined;
  return { team, job: checkOnly ? undefined : assembleJob(reader, fields, stack, locate) };
}

function resolveTeam(reader: JobReader): string | undefined {
  const origin = reader.setting("team");
  if (origin !== undefined) return reader.text(origin, undefined);
  if (reader.defaultTeam !== undefined) return reader.defaultTeam;
  reader.problem(
    reader.jobPath,
    `job "${showKey(reader.key)}" has no team: set team in the job or under defaults, or pass --team (or DATACHAIN_STUDIO_TEAM)`,
    true,
  );
  return undefined;
}

function resolveQuery(reader: JobReader, cache: FileCache): { query: string | undefined; queryType: QueryType } {
  const inline = reader.own("query");
  const fromFile = reader.own("query_file");
  let query: string | undefined;
  let inferred: QueryType = "PYTHON";
  if (inline !== undefined && fromFile !== undefined) {
    reader.problem(fromFile.path, "give query or query_file, not both", true);
  } else if (inline === undefined && fromFile === undefined) {
    reader.problem(reader.jobPath, `job "${showKey(reader.key)}" has no query: give query (inline) or query_file`, true);
  } else if (inline !== undefined) {
    query = reader.text(inline, "query");
  } else if (fromFile !== undefined) {
    const found = reader.localFile(fromFile, "query_file", cache, "text");
    query = found?.read?.text;
    if (found !== undefined) inferred = extname(found.absolute).toLowerCase() === ".py" ? "PYTHON" : "SHELL";
    if (query !== undefined && query.trim() === "") reader.problem(fromFile.path, `query_file "${showKey(String(fromFile.value))}" is empty`);
  }
  const type = reader.setting("query_type");
  return { query, queryType: type !== undefined && !type.spoiled ? (type.value as QueryType) : inferred };
}

function resolveRequirements(reader: JobReader, cache: FileCache): string | undefined {
  const list = reader.setting("requirements");
  const file = reader.setting("requirements_file");
  if (list !== undefined && file !== undefined) {
    reader.problem(file.path, "give requirements or requirements_file, not both", true);
    return undefined;
  }
  if (list !== undefined) {
    if (list.spoiled) return undefined;
    const items = list.value as unknown[];
    const parent = list.path;
    const lines = items.map((line, i) => reader.text(reader.origin(line, parent, i), "requirements"));
    // The whole list is one sensitive field: its template is every line as written.
    if (reader.isSensitive("requirements")) reader.sensitive.set("requirements", items.map(String).join("\n"));
    return lines.every((l) => l !== undefined) ? lines.join("\n") : undefined;
  }
  if (file !== undefined) return reader.localFile(file, "requirements_file", cache, "text")?.read?.text;
  return undefined;
}

function resolveFiles(reader: JobReader, cache: FileCache): DesiredFile[] {
  const setting = reader.setting("files");
  if (setting === undefined || setting.spoiled) return [];
  const files: DesiredFile[] = [];
  const names = new Map<string, string>();
  const parent = setting.path;
  for (const [i, entry] of (setting.value as unknown[]).entries()) {
    const origin = reader.origin(entry, parent, i);
    const found = reader.localFile(origin, "file", cache, "hash");
    if (found === undefined) continue;
    const name = basename(found.absolute);
    const clash = names.get(name);
    if (clash !== undefined) {
      reader.problem(origin.path, `"${showKey(String(entry))}" and "${showKey(clash)}" would both be uploaded as ${showKey(name)}; rename one`);
      continue;
    }
    names.set(name, String(entry));
    files.push({ path: String(entry), absolute: found.absolute, name, sha256: found.read?.sha256 ?? "", size: found.read?.size ?? 0 });
  }
  return files;
}

function resolveEnvironment(reader: JobReader): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, origin] of reader.mergedMap("environment")) {
    if (name.startsWith(MARKER_PREFIX)) {
      reader.problem(origin.path, `environment key ${showKey(name)} is reserved: keys starting with ${MARKER_PREFIX} mark the jobs studio-jobs manages; rename it`, true);
      continue;
    }
    const value = reader.text(origin, `environment.${name}`);
    if (value === undefined) continue;
    if (value.includes("\n")) {
      reader.problem(origin.path, "environment values must be one line: Studio takes KEY=VALUE lines");
      continue;
    }
    environment[name] = value;
  }
  return environment;
}

function resolveSchedule(reader: JobReader): { cron: string | undefined; startAfter: string | undefined; replace: ReplaceStrategy } {
  const schedule = reader.mergedMap("schedule");
  const cronOrigin = schedule.get("cron");
  let cron: string | undefined;
  if (cronOrigin !== undefined) {
    cron = reader.text(cronOrigin, undefined)?.trim();
    const cronProblem = cron === undefined ? undefined : checkCron(cron);
    if (cronProblem !== undefined) reader.problem(cronOrigin.path, cronProblem);
  }
  const startOrigin = schedule.get("start_after");
  let startAfter: string | undefined;
  const raw = startOrigin === undefined ? undefined : reader.text(startOrigin, undefined);
  if (startOrigin !== undefined && raw !== undefined) {
    const ms = Date.parse(raw);
    if (Number.isNaN(ms) || !/(Z|[+-]\d\d:?\d\d)$/i.test(raw)) {
      reader.problem(startOrigin.path, `"${showKey(raw)}" must be an ISO 8601 date-time with a timezone, e.g. 2026-12-01T00:00:00Z`);
    } else {
      startAfter = new Date(ms).toISOString();
    }
  }
  const replace = schedule.get("replace");
  return { cron, startAfter, replace: replace !== undefined && !replace.spoiled ? (replace.value as ReplaceStrategy) : "create-first" };
}

function resolveCluster(reader: JobReader): ClusterRef | undefined {
  const origin = reader.setting("cluster");
  if (origin === undefined || origin.spoiled) return undefined;
  if (typeof origin.value === "string") {
    const name = reader.text(origin, undefined);
    return name === undefined ? undefined : { name };
  }
  const ref = origin.value as { id?: number; name?: string };
  if (ref.id !== undefined) return { id: ref.id };
  if (ref.name === undefined) return undefined;
  const name = reader.text(reader.origin(ref.name, origin.path, "name"), undefined);
  return name === undefined ? undefined : { name };
}

interface JobFields {
  team: string;
  query: string;
  queryType: QueryType;
  requirements: string | undefined;
  files: DesiredFile[];
  environment: Record<string, string>;
  cron: string | undefined;
  startAfter: string | undefined;
  replace: ReplaceStrategy;
  cluster: ClusterRef | undefined;
  pythonVersion: string | undefined;
  credentials: string | undefined;
  repository: string | undefined;
  workers: number | undefined;
  priority: number | undefined;
  protect: boolean;
}

/** The resolved job: what is sent, the markers, the fingerprint, and what stays sensitive. */
function assembleJob(reader: JobReader, f: JobFields, stack: string, locate: () => SourceLocation): DesiredJob {
  const { key } = reader;
  const sensitive = reader.sensitiveNames();
  const fingerprint = computeJobFingerprint({
    team: f.team,
    key,
    query: f.query,
    query_type: f.queryType,
    environment: f.environment,
    workers: f.workers,
    python_version: f.pythonVersion,
    requirements: f.requirements,
    repository: f.repository,
    priority: f.priority,
    cluster: f.cluster,
    credentials: f.credentials,
    cron: f.cron,
    start_after: f.startAfter,
    files: f.files.map((file) => [file.name, file.sha256]),
    protect: f.protect,
  });
  const applied: AppliedRecord = {
    v: 1,
    query_type: f.queryType,
    ...(f.cron === undefined ? {} : { cron: f.cron }),
    ...(f.startAfter === undefined ? {} : { start_after: f.startAfter }),
    ...(f.cluster === undefined ? {} : { cluster: f.cluster }),
    ...(f.priority === undefined ? {} : { priority: f.priority }),
    ...(f.credentials === undefined
      ? {}
      : { credentials: reader.isSensitive("credentials") ? { sensitive: credentialsDigest(f.credentials) } : f.credentials }),
    ...(f.files.length === 0 ? {} : { files: f.files.map((file) => [file.name, file.sha256] as [string, string]) }),
    ...(sensitive.length === 0 ? {} : { sensitive }),
  };
  const input: JobInput = {
    query: f.query,
    query_type: f.queryType,
    query_name: key,
    team_name: f.team,
    environment: formatEnvironment({ ...f.environment, ...markerEnvironment({ stack, key, fingerprint, applied, protect: f.protect }) }),
    ...(f.workers === undefined ? {} : { workers: f.workers }),
    ...(f.pythonVersion === undefined ? {} : { python_version: f.pythonVersion }),
    ...(f.requirements === undefined ? {} : { requirements: f.requirements }),
    ...(f.repository === undefined ? {} : { repository: f.repository }),
    ...(f.priority === undefined ? {} : { priority: f.priority }),
    ...(f.cluster === undefined ? {} : "id" in f.cluster ? { compute_cluster_id: f.cluster.id } : { compute_cluster_name: f.cluster.name }),
    ...(f.startAfter === undefined ? {} : { start_after: f.startAfter }),
    ...(f.cron === undefined ? {} : { cron_expression: f.cron }),
    ...(f.credentials === undefined ? {} : { credentials_name: f.credentials }),
  };
  const templates: Record<string, string> = {};
  for (const field of sensitive) templates[field] = reader.sensitive.get(field) ?? "";
  let location: SourceLocation | undefined;
  return {
    key,
    team: f.team,
    stack,
    get location(): SourceLocation {
      location ??= locate();
      return location;
    },
    input,
    environment: f.environment,
    files: f.files,
    cluster: f.cluster,
    cron: f.cron,
    protect: f.protect,
    replace: f.replace,
    sensitive,
    sensitiveTemplates: templates,
    vars: reader.vars,
    fingerprint,
    applied,
  };
}
