// Reading one job of a loaded spec file: its settings over the file's defaults, ${...}
// interpolated, local files checked, every problem reported at its place. One reader a
// job; what a whole file shares (defaults, vars, where to report) is read once.

import { basename, dirname, relative, resolve, sep } from "node:path";
import { appendAll } from "../append-all.js";
import type { SourceLocation, SpecIssue } from "../errors.js";
import type { QueryType } from "../studio/types.js";
import { describeTextProblem } from "./decode-text.js";
import {
  MAX_TEXT_FILE_BYTES,
  MAX_UPLOAD_BYTES,
  missingPathHint,
  sizePast,
  type FileCache,
  type FileRead,
  type UploadRequest,
} from "./files.js";
import { interpolate, occurrenceAt, readSomeVars, referenceAt, referenceIssues, walkVarsRead } from "./interpolate.js";
import { isInside, type LoadedSpecFile } from "./load.js";
import { LINK_LOOP } from "./read-file.js";
import { formatPath, showKey, type DocPath } from "./yaml-source.js";
import { urlCredentialsSpans, urlCredentialsWrittenAt } from "../url-credentials.js";
import { joinWords } from "../word-lists.js";

export type Raw = Record<string, unknown>;

export function asRecord(value: unknown): Raw {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Raw) : {};
}

export function stringEntries(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(asRecord(value))) if (typeof v === "string") out[name] = v;
  return out;
}

/**
 * A value of the spec and where it is written: `base`, then `section` when the value sits
 * in a mapping of its own (`schedule` of `schedule.cron`), then `last`. The path is built
 * only when a problem is reported: most values never need it.
 */
export class Origin {
  constructor(
    readonly value: unknown,
    private readonly base: DocPath,
    private readonly section: string | undefined,
    /** Its key (or index) in the mapping (or list) that holds it. */
    readonly last: string | number,
    /** The schema has already reported this value: use it for nothing, report nothing more. */
    readonly spoiled: boolean,
  ) {}

  get path(): DocPath {
    return this.section === undefined ? [...this.base, this.last] : [...this.base, this.section, this.last];
  }
}

const DEFAULTS: DocPath = ["defaults"];

/** `schedule.cron` -> ["schedule", "cron"], split once per name: every job reads the same few. */
const DOTTED = new Map<string, readonly [string, string] | undefined>();
function splitSetting(name: string): readonly [string, string] | undefined {
  let split = DOTTED.get(name);
  if (split === undefined && !DOTTED.has(name)) {
    const dot = name.indexOf(".");
    split = dot < 0 ? undefined : [name.slice(0, dot), name.slice(dot + 1)];
    DOTTED.set(name, split);
  }
  return split;
}

/** A local file a job names, found inside the repository; `read` is undefined for an upload when checking only. */
export interface FoundFile {
  /** Its real path: what is read. */
  absolute: string;
  /** Its name as the spec writes it, a link's own and not its target's: what the job knows it by. */
  name: string;
  read: FileRead | undefined;
}

/**
 * Local files written as plain paths and found without a problem (as read, or only looked
 * up), for the spec files of one directory: thousands of jobs, in one file or many, name
 * the same few query files, and each path written is checked once. A problem is not
 * remembered: it is reported again, the same way, where each job names it.
 */
export interface CheckedFiles {
  text: Map<string, FoundFile>;
  hash: Map<string, FoundFile>;
}

export function checkedFiles(): CheckedFiles {
  return { text: new Map(), hash: new Map() };
}

/** A job's query, and the type its query_file's extension implies. */
export interface QueryRead {
  text: string | undefined;
  inferred: QueryType;
}

export interface ReaderOptions {
  env: NodeJS.ProcessEnv;
  vars: Readonly<Record<string, string>>;
  defaultTeam: string | undefined;
  unsetEnv?: "error" | "note";
  /** Find every problem but build nothing to send; uploads are looked up, not hashed. */
  checkOnly?: boolean;
}

/** What every job of one spec file shares. */
export class SpecFileReader {
  readonly data: Raw;
  readonly jobs: Raw;
  readonly defaults: Raw;
  /** The file's vars: under --var: the same object for every job of the file. */
  readonly vars: Readonly<Record<string, string>>;
  /** The values the file's vars: gives that --var and --var-file leave alone: written in the spec, in Git. Empty ones are none. */
  readonly #ownVars = new Map<string, string>();
  readonly baseDir: string;
  /** Where each path written in the file is, resolved once however many jobs name it. */
  readonly #paths = new Map<string, string>();

  constructor(
    readonly file: LoadedSpecFile,
    /** The repository's root: local files must be inside it. */
    readonly root: string,
    readonly options: ReaderOptions,
    readonly cache: FileCache,
    readonly sink: { errors: SpecIssue[]; notes: SpecIssue[] },
    /** Shared by the spec files of one directory. */
    readonly checked: CheckedFiles,
  ) {
    this.data = asRecord(file.source.data);
    this.jobs = asRecord(this.data["jobs"]);
    this.defaults = asRecord(this.data["defaults"]);
    const own = stringEntries(this.data["vars"]);
    this.vars = { ...own, ...options.vars };
    for (const [name, value] of Object.entries(own)) if (value !== "" && !Object.hasOwn(options.vars, name)) this.#ownVars.set(name, value);
    this.baseDir = dirname(file.path);
  }

  issue(path: DocPath, message: string, onKey = false): SpecIssue {
    return { location: this.file.source.locate(path, { key: onKey }), path: formatPath(path), message };
  }

  origin(value: unknown, parent: DocPath, last: string | number, section?: string): Origin {
    const invalid = this.file.invalidPaths;
    const spoiled = invalid.size > 0 && invalid.touches(section === undefined ? [...parent, last] : [...parent, section, last]);
    return new Origin(value, parent, section, last, spoiled);
  }

  /** The value of a variable the spec writes under vars: and nothing given replaces; undefined for any other. */
  ownVar(name: string): string | undefined {
    return this.#ownVars.get(name);
  }

  /** A variable the schema refused is not "unknown" where it is used: that was said once already. */
  spoiledVar(name: string): boolean {
    return !Object.hasOwn(this.options.vars, name) && this.file.invalidPaths.touches(["vars", name]);
  }

  /** Where a path written in the file's spec is. */
  absolute(written: string): string {
    let absolute = this.#paths.get(written);
    if (absolute === undefined) {
      absolute = resolve(this.baseDir, written);
      this.#paths.set(written, absolute);
    }
    return absolute;
  }

  /**
   * Adds the uploads the file's jobs name to those hashed before the jobs are read, so that
   * each job then reads synchronously. Nothing is reported here (reading reports); a value
   * that is not a usable path is skipped, and one the schema refused costs at most a needless
   * look-up. Checking only, an upload need only exist: its digest goes into nothing, and
   * nothing is hashed.
   */
  requestUploads(into: Map<string, UploadRequest>): void {
    if (this.options.checkOnly === true) return;
    // Thousands of jobs name the same few files: each text written is looked at once.
    const seen = new Set<string>();
    for (const value of Object.values(this.jobs)) {
      const files = asRecord(value)["files"] ?? this.defaults["files"];
      if (!Array.isArray(files)) continue;
      for (const entry of files) {
        if (typeof entry !== "string" || seen.has(entry)) continue;
        seen.add(entry);
        const written = interpolate(entry, { env: this.options.env, vars: this.vars });
        if (!written.ok || written.sensitive) continue;
        const absolute = this.absolute(written.value);
        if (!into.has(absolute)) into.set(absolute, { absolute, root: this.root });
      }
    }
  }

  job(key: string): JobReader {
    return new JobReader(this, key);
  }

  /** A job of this file that sets nothing itself, reporting into `sink`: what the defaults give. */
  withoutSettings(sink: { errors: SpecIssue[]; notes: SpecIssue[] }): JobReader {
    return new JobReader(this, "(defaults)", {}, sink);
  }
}

/**
 * Whether a file inside the repository is in a `.git` directory (the repository's own, or a
 * nested one's): Git's files, not the project's. A CI checkout keeps its token in .git/config,
 * and a job's query is shown in plans and sent to Studio. Asked once per path a spec writes.
 */
function inGitDirectory(root: string, real: string): boolean {
  return real.includes(`${sep}.git`) && relative(root, real).split(sep).includes(".git");
}

const WRITTEN_CREDENTIALS =
  "a URL's credentials are written in the spec, where Git keeps them (plans show them as ***, and plan --out will not save them); read them from the environment, as ${env:NAME} in the URL (user:${env:DB_PASSWORD}@host)";

/** Everything resolving one job uses: its settings, and where to report. */
export class JobReader {
  readonly jobPath: DocPath;
  readonly #file: SpecFileReader;
  readonly #job: Raw;
  #problems = 0;
  /** Sensitive fields (values from ${env:...}) and how each was written; made on the first. */
  #templates: Record<string, string> | undefined;
  /** The query, read once for the two fields that need it (query and the query type inferred from its file). */
  query: QueryRead | undefined;

  readonly #sink: { errors: SpecIssue[]; notes: SpecIssue[] };

  constructor(
    file: SpecFileReader,
    readonly key: string,
    /** A job with no settings of its own reads what the file's defaults give (see SpecFileReader.withoutSettings). */
    job: Raw = asRecord(file.jobs[key]),
    sink = file.sink,
  ) {
    this.#file = file;
    this.#job = job;
    this.#sink = sink;
    this.jobPath = ["jobs", key];
  }

  /** Whether the job itself sets any of these settings (top-level keys). */
  setsAny(settings: readonly string[]): boolean {
    for (const name of settings) if (this.#job[name] !== undefined) return true;
    return false;
  }

  /** Whether reading has met a sensitive value (from ${env:...}). */
  anySensitive(): boolean {
    return this.#templates !== undefined;
  }

  get vars(): Readonly<Record<string, string>> {
    return this.#file.vars;
  }
  get defaultTeam(): string | undefined {
    return this.#file.options.defaultTeam;
  }
  /** Whether the spec is checked where its secrets may be missing (validate): an ${env:...} value may come out empty there. */
  get checksWithoutSecrets(): boolean {
    return this.#file.options.unsetEnv === "note";
  }

  /** Where the job is defined: its key in the file. */
  locate(): SourceLocation {
    return this.#file.file.source.locate(this.jobPath, { key: true });
  }

  /** Where the setting the job takes is written (its own, or its defaults'); undefined when neither writes it. */
  locateSetting(name: string): SourceLocation | undefined {
    const origin = this.setting(name);
    return origin === undefined ? undefined : this.#file.file.source.locate(origin.path);
  }

  origin(value: unknown, parent: DocPath, last: string | number, section?: string): Origin {
    return this.#file.origin(value, parent, last, section);
  }

  /** A field of the job itself (query, query_file: never from defaults). */
  own(name: string): Origin | undefined {
    const value = this.#job[name];
    return value === undefined ? undefined : this.origin(value, this.jobPath, name);
  }

  /** The job's own value, else the default's; `schedule.cron` is key `cron` of `schedule`, merged key by key. */
  setting(name: string): Origin | undefined {
    const split = splitSetting(name);
    if (split === undefined) {
      const value = this.#job[name];
      if (value !== undefined) return this.origin(value, this.jobPath, name);
      const fallback = this.#file.defaults[name];
      return fallback === undefined ? undefined : this.origin(fallback, DEFAULTS, name);
    }
    const [map, entry] = split;
    const own = asRecord(this.#job[map])[entry];
    if (own !== undefined) return this.origin(own, this.jobPath, entry, map);
    const fallback = asRecord(this.#file.defaults[map])[entry];
    return fallback === undefined ? undefined : this.origin(fallback, DEFAULTS, entry, map);
  }

  /**
   * A mapping merged key by key, the job's keys over the defaults': each entry's origin, its
   * key in `last`. In the defaults' order, a key the job overrides in its place, then the
   * job's own keys. Each mapping walked once, without a Map or entry pairs: thousands of jobs pass here.
   */
  mergedMap(name: string): Origin[] {
    const out: Origin[] = [];
    const fromDefaults = this.#file.defaults[name];
    const own = this.#job[name];
    const defaults =
      fromDefaults !== null && typeof fromDefaults === "object" && !Array.isArray(fromDefaults) ? (fromDefaults as Raw) : undefined;
    const mine = own !== null && typeof own === "object" && !Array.isArray(own) ? (own as Raw) : undefined;
    if (defaults !== undefined) {
      for (const key of Object.keys(defaults)) {
        out.push(
          mine !== undefined && Object.hasOwn(mine, key)
            ? this.origin(mine[key], this.jobPath, key, name)
            : this.origin(defaults[key], DEFAULTS, key, name),
        );
      }
    }
    if (mine !== undefined) {
      for (const key of Object.keys(mine)) {
        if (defaults === undefined || !Object.hasOwn(defaults, key)) out.push(this.origin(mine[key], this.jobPath, key, name));
      }
    }
    return out;
  }

  /** Interpolate one string; `sensitiveAs` names the field when ${env:...} may give it (else it is refused). */
  text(from: Origin, sensitiveAs: string | undefined): string | undefined {
    if (from.spoiled) return undefined;
    const written = String(from.value);
    if (this.#file.options.checkOnly === true && (written.includes("://") || written.includes("${var:")))
      this.#noteUrlCredentials(from, written);
    if (!written.includes("${")) return written;
    const options = this.#file.options;
    const result = interpolate(written, { env: options.env, vars: this.vars, lenientEnv: options.unsetEnv === "note" });
    if (!result.ok) {
      const file = this.#file;
      const problems = result.problems.filter((p) => p.unknownVar === undefined || !file.spoiledVar(p.unknownVar));
      if (problems.length === 0) return undefined;
      this.#problems += 1;
      appendAll(this.#sink.errors, referenceIssues(file.file.source, from.path, written, problems));
      return undefined;
    }
    if (result.sensitive) {
      if (sensitiveAs === undefined) {
        this.problem(from.path, `\${env:...} is not allowed here: this value is shown in plans; use \${var:...} or write it out`);
        return undefined;
      }
      this.markSensitive(sensitiveAs, written);
    }
    for (const { name, offset } of result.unsetEnv) {
      this.#sink.notes.push({
        location: referenceAt(this.#file.file.source, from.path, written, offset),
        path: formatPath(from.path),
        message: `environment variable ${showKey(name)} is not set here; plan and apply will need it (or give a default: \${env:${showKey(name)}:-value})`,
      });
    }
    return result.value;
  }

  /**
   * A note at each URL that writes its credentials out, not at the value's first URL: written
   * in the URL itself, or in a default of the spec's vars: that the URL reads, as its
   * credentials (`https://${var:tok}@host`) or more (`${var:url}`, the whole URL): at its `://`
   * where the value writes it, else at the first such variable. A variable given by --var or
   * a var file is not in the spec.
   */
  #noteUrlCredentials(from: Origin, written: string): void {
    const file = this.#file;
    const note = (location: SourceLocation, message: string) => this.#sink.notes.push({ location, path: formatPath(from.path), message });
    const literal = urlCredentialsWrittenAt(written);
    for (const at of literal) note(occurrenceAt(file.file.source, from.path, written, "://", at), WRITTEN_CREDENTIALS);
    const { text, read } = readSomeVars(written, (name) => file.ownVar(name));
    if (read.length === 0) return;
    const noted = new Set(literal);
    const walk = walkVarsRead(read);
    for (const { at, end } of urlCredentialsSpans(text)) {
      // The variables read into its credentials (after its `://`, up to its `@`); none when a
      // variable gives only its scheme (`${var:scheme}://user:pw@host`), which hid the URL.
      const { writtenAt, holder, into } = walk(at, at + 3, end);
      if (writtenAt !== undefined && noted.has(writtenAt)) continue;
      const location =
        holder === undefined
          ? occurrenceAt(file.file.source, from.path, written, "://", writtenAt ?? 0)
          : referenceAt(file.file.source, from.path, written, holder.at);
      if (into.length === 0) {
        note(location, WRITTEN_CREDENTIALS);
        continue;
      }
      const names = [...new Set(into.map((value) => value.name))].map(showKey);
      const them = names.length === 1 ? "it" : "them";
      note(
        location,
        `a URL's credentials come from vars: ${joinWords(names)}, written in the spec, where Git keeps ${them} (plans show ${them} as ***, and plan --out will not save ${them}); leave ${them} out of vars: and give ${them} with --var from a secret, or read the credentials from the environment, as \${env:NAME} in the URL`,
      );
    }
  }

  /** Record a field as sensitive, with the template its value is read again from. */
  markSensitive(field: string, template: string): void {
    (this.#templates ??= {})[field] = template;
  }

  isSensitive(field: string): boolean {
    return this.#templates !== undefined && Object.hasOwn(this.#templates, field);
  }

  /** Every sensitive field and its template. */
  templates(): Record<string, string> {
    return this.#templates ?? {};
  }

  /** A local file the spec names, checked: it exists, it is a file, it is inside the repository. */
  localFile(from: Origin, what: string, want: "text" | "hash"): FoundFile | undefined {
    if (from.spoiled) return undefined;
    const written = String(from.value);
    // With ${...} the path may read differently in another file of the directory (its own vars).
    if (written.includes("${")) return this.#checkFile(from, what, want);
    const checked = this.#file.checked[want];
    let file = checked.get(written);
    if (file !== undefined) return file;
    const problems = this.#problems;
    file = this.#checkFile(from, what, want);
    if (file !== undefined && this.#problems === problems) checked.set(written, file);
    return file;
  }

  #checkFile(from: Origin, what: string, want: "text" | "hash"): FoundFile | undefined {
    const written = this.text(from, undefined);
    if (written === undefined) return undefined;
    const { cache, root } = this.#file;
    const absolute = this.#file.absolute(written);
    const found = cache.lookup(absolute);
    if (found === "missing") {
      const hint = missingPathHint(this.#file.baseDir, written);
      this.problem(from.path, `${what} "${showKey(written)}" does not exist (paths are relative to the YAML file)${hint}`);
      return undefined;
    }
    if (found === "loop") {
      this.problem(from.path, `${what} "${showKey(written)}" is ${LINK_LOOP}`);
      return undefined;
    }
    if (!isInside(root, found.real)) {
      this.problem(from.path, `${what} "${showKey(written)}" is outside the repository; keep job files inside it`);
      return undefined;
    }
    if (inGitDirectory(root, found.real)) {
      this.problem(
        from.path,
        `${what} "${showKey(written)}" is inside .git, which holds Git's own files (a checkout's credentials among them); keep job files in the working tree`,
      );
      return undefined;
    }
    if (!found.isFile) {
      this.problem(from.path, `${what} "${showKey(written)}" is not a file`);
      return undefined;
    }
    if (want === "hash" && found.size > MAX_UPLOAD_BYTES) {
      this.problem(
        from.path,
        `${what} "${showKey(written)}" is too large: ${sizePast(found.size, MAX_UPLOAD_BYTES)}; an upload may be at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB`,
      );
      return undefined;
    }
    const name = basename(absolute);
    if (want === "hash" && this.#file.options.checkOnly === true) return { absolute: found.real, name, read: undefined };
    const read = cache.read(found.real, want);
    if (read === undefined) {
      this.problem(from.path, `${what} "${showKey(written)}" cannot be read; check its permissions`);
      return undefined;
    }
    if ("notText" in read) {
      this.problem(from.path, `${what} "${showKey(written)}" ${describeTextProblem(read.notText)}`);
      return undefined;
    }
    if ("tooLarge" in read) {
      this.problem(
        from.path,
        `${what} "${showKey(written)}" is too large: ${sizePast(read.tooLarge, MAX_TEXT_FILE_BYTES)}; a query or requirements file may be at most ${MAX_TEXT_FILE_BYTES / 1024 / 1024} MiB`,
      );
      return undefined;
    }
    return { absolute: found.real, name, read };
  }

  problem(path: DocPath, message: string, onKey = false): void {
    this.#problems += 1;
    this.#sink.errors.push(this.#file.issue(path, message, onKey));
  }

  /** How many problems this job has had so far. */
  problems(): number {
    return this.#problems;
  }
}
