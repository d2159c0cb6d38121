// Reading spec files from disk: one or more files or directories, refused early when
// they are too large, binary, not UTF-8 or empty; then parsed and schema-checked.

import { realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { appendAll } from "../append-all.js";
import type { SpecIssue } from "../errors.js";
import { decodeText } from "./decode-text.js";
import { InvalidPaths } from "./invalid-paths.js";
import { isOtherMapping, isOtherYaml, NOT_A_SPEC } from "./not-a-spec.js";
import { sizePast } from "./files.js";
import { describeKind, LINK_LOOP, readRegularFile, type CappedRead } from "./read-file.js";
import { validateAgainstSchema } from "./schema.js";
import { expandGlob, findYamlFiles, globProblem, isGlob } from "./walk.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";

/** The spec a command reads when it is given no path. */
export const DEFAULT_SPEC_FILE = "studio-jobs.yaml";

/** A spec file (or var file) larger than this is refused, unread: real specs are far smaller. */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;

export interface LoadedSpecFile {
  /** Absolute path. */
  path: string;
  /** The path as shown to the user: relative to the working directory when inside it. */
  display: string;
  source: YamlSource;
  /** Where the schema found problems: the jobs under them are not resolved further. */
  invalidPaths: InvalidPaths;
}

export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  // `..odd/s.yaml` is below cwd: only `..` itself, or `..` and a separator, climbs out of it.
  const climbs = rel === ".." || rel.startsWith(`..${sep}`);
  return rel !== "" && !climbs && !isAbsolute(rel) ? rel : path;
}

export function issueAt(file: string, message: string, line = 1, column = 1): SpecIssue {
  return { location: { file, line, column }, path: "", message };
}

async function expand(paths: readonly string[], cwd: string, issues: SpecIssue[]): Promise<string[]> {
  const files: string[] = [];
  // Only then can one file be named by two paths.
  let linked = paths.length > 1;
  for (const given of paths) {
    // resolve() reads "" as the working directory: an unset variable would read the whole tree.
    if (given === "") {
      issues.push(issueAt('""', "the path is empty (an unset variable?); give a spec file, a directory or a quoted glob"));
      continue;
    }
    const absolute = resolve(cwd, given);
    let info;
    try {
      info = await stat(absolute);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ELOOP") {
        issues.push(issueAt(given, `this is ${LINK_LOOP}`));
        continue;
      }
      // A quoted glob reaches us unexpanded; a path that exists is taken as written, brackets and all.
      if (isGlob(given)) {
        const problem = globProblem(given);
        if (problem !== undefined) {
          issues.push(issueAt(given, problem));
          continue;
        }
        const { files: matches, unreadable, linked: viaLinks, outside, broken, notFiles } = await expandGlob(given, cwd, repositoryOf);
        linked ||= viaLinks;
        linkedOut(outside, broken, cwd, issues);
        await noFiles(notFiles, cwd, issues);
        if (matches.length === 0 && unreadable.length === 0 && outside.length === 0 && notFiles.length === 0)
          issues.push(issueAt(given, "no file matches this pattern"));
        appendAll(files, matches);
        await cannotRead(unreadable, cwd, issues);
        continue;
      }
      const hint = given === DEFAULT_SPEC_FILE ? "; give the spec files or a directory as arguments" : "";
      issues.push(issueAt(given, given.includes("\ufffd") ? NAME_NOT_UTF8 : `no such file or directory${hint}`));
      continue;
    }
    if (info.isDirectory()) {
      const { files: entries, unreadable, linked: viaLinks, outside, broken, notFiles } = await findYamlFiles(absolute, repositoryOf);
      linked ||= viaLinks;
      linkedOut(outside, broken, cwd, issues);
      await noFiles(notFiles, cwd, issues);
      if (entries.length === 0 && unreadable.length === 0 && outside.length === 0 && notFiles.length === 0) {
        issues.push(issueAt(given, "the directory has no .yaml or .yml files, in it or below it"));
      }
      appendAll(files, entries);
      await cannotRead(unreadable, cwd, issues);
    } else {
      files.push(absolute);
    }
  }
  return linked ? onceEach(files) : [...new Set(files)];
}

/**
 * Each file once, by its real path: two links to one directory, or a link and its target
 * both given, would read its jobs twice ("defined twice"). Of the paths that name one file
 * the first in sorted order is taken, whatever order they came in: the spec's relative
 * paths are read from its directory, and must not depend on the order of the arguments.
 */
async function onceEach(files: readonly string[]): Promise<string[]> {
  const named = [...new Set(files)];
  if (named.length < 2) return named;
  const reals = await Promise.all(named.map((file) => realpath(file).catch(() => file)));
  const chosen = new Map<string, string>();
  named.forEach((file, i) => {
    const real = reals[i] as string;
    const taken = chosen.get(real);
    if (taken === undefined || file < taken) chosen.set(real, file);
  });
  return named.filter((file, i) => chosen.get(reals[i] as string) === file);
}

/**
 * The real path of the repository a directory is in: links out of it are not followed.
 * Undefined outside one (a build context or an archive has no .git): then every link is.
 * Looked for from where the directory really is: one named through a link lies in its
 * target's repository.
 */
export async function repositoryOf(dir: string): Promise<string | undefined> {
  return gitRootAbove(await realpath(dir).catch(() => resolve(dir)));
}

/** Links to spec files out of the repository (refused, never read), and links named like spec files that lead nowhere. */
function linkedOut(outside: readonly string[], broken: readonly string[], cwd: string, issues: SpecIssue[]): void {
  for (const file of outside) {
    issues.push(
      issueAt(
        displayPath(file, cwd),
        "this is a symbolic link to a file out of the repository; a spec file must be inside it: copy the file in",
      ),
    );
  }
  for (const file of broken) {
    issues.push(
      issueAt(
        displayPath(file, cwd),
        "this symbolic link leads nowhere (its target is missing, cannot be read, or is a loop): a spec file in it would be left out, and plan would cancel its jobs",
      ),
    );
  }
}

/**
 * Entries named like spec files that are no file: read, a FIFO would wait for a writer and a
 * device never end, and left out without a word, a spec file that became one (or a link
 * retargeted to /dev/null) would have plan cancel its jobs. Said as a spec file given so is.
 */
async function noFiles(paths: readonly string[], cwd: string, issues: SpecIssue[]): Promise<void> {
  for (const path of paths) {
    const kind = await stat(path).then(describeKind, () => "not a regular file");
    issues.push(
      issueAt(displayPath(path, cwd), `this is ${kind}, not a file; a spec file must be a regular file: move it out of the directory`),
    );
  }
}

/**
 * A directory the walk could not read: a spec file in it would be missed, and its jobs
 * planned away. One that is not there at all (the directory a glob starts from) is said so.
 */
async function cannotRead(directories: readonly string[], cwd: string, issues: SpecIssue[]): Promise<void> {
  for (const dir of directories) {
    const missing = await stat(dir).then(
      () => false,
      (error: NodeJS.ErrnoException) => error.code === "ENOENT" || error.code === "ENOTDIR",
    );
    issues.push(missing ? issueAt(displayPath(dir, cwd), "no such directory") : unreadableDirectory(dir, cwd));
  }
}

export function unreadableDirectory(dir: string, cwd: string): SpecIssue {
  return issueAt(
    displayPath(dir, cwd),
    "this directory cannot be read (check its permissions): a spec file in it would be left out, and plan would cancel its jobs",
  );
}

const NAME_NOT_UTF8 =
  "the file's name is not UTF-8 text (\ufffd marks the bytes that are not), and the file cannot be opened by it: rename it";

/** The text of a spec file, or of a var file (`varFile`), whose size is capped as a spec file's. */
export async function readSpecText(path: string, display: string, varFile = false): Promise<{ text: string } | { issue: SpecIssue }> {
  let read: CappedRead;
  try {
    read = await readRegularFile(path, MAX_SPEC_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (code === "ELOOP") return { issue: issueAt(display, `this is ${LINK_LOOP}`) };
    // A directory listing (and the command line) gives a name that is not UTF-8 with U+FFFD in place of its bytes: no file has that name.
    if (code === "ENOENT" && path.includes("\ufffd")) return { issue: issueAt(display, NAME_NOT_UTF8) };
    return { issue: issueAt(display, `the file cannot be read${code === "" ? "" : ` (${code})`}; check that it exists and is readable`) };
  }
  if ("notFile" in read) return { issue: issueAt(display, `this is ${read.notFile}, not a file; give a YAML file`) };
  if ("tooLarge" in read) {
    const cap = `${MAX_SPEC_BYTES / 1024 / 1024} MiB`;
    const size = read.tooLarge === undefined ? `more than ${cap}` : sizePast(read.tooLarge, MAX_SPEC_BYTES);
    const [kind, split] = varFile ? ["a var file", "its variables over several var files"] : ["a spec file", "its jobs over several files"];
    return { issue: issueAt(display, `the file is ${size}; ${kind} may be at most ${cap}: split ${split}`) };
  }
  const decoded = decodeText(read.bytes);
  if ("text" in decoded) return { text: decoded.text };
  const { problem } = decoded;
  switch (problem.kind) {
    case "binary":
      return { issue: issueAt(display, "this is a binary file, not YAML text", problem.line, problem.column) };
    case "not-utf8":
      return { issue: issueAt(display, "the file is not UTF-8 text here; save it as UTF-8", problem.line, problem.column) };
    case "utf-16":
      return { issue: issueAt(display, "the file is UTF-16; save it as UTF-8") };
    default:
      return problem satisfies never;
  }
}

/** Nothing but blank lines and comments: no line starts, after spaces, with anything but #. */
function isBlank(text: string): boolean {
  return !/^[ \t\r]*[^\s#]/m.test(text);
}

/** Spec files read ahead of the one being parsed: far below any file-descriptor limit. */
const READ_AHEAD = 16;

const SAVED_PLAN_NOT_SPEC =
  "this is a saved plan (`studio-jobs plan --out`), not a spec; to apply it, give it a name ending in .json, as `apply` reads any other path as a spec";

/**
 * Load and schema-check every spec file. Files that cannot be read or parsed are left
 * out; files with schema problems are kept, so that the rest of them can still be checked.
 */
export async function loadSpecFiles(paths: readonly string[], cwd: string): Promise<{ files: LoadedSpecFile[]; issues: SpecIssue[] }> {
  const issues: SpecIssue[] = [];
  const files = await expand(paths, cwd, issues);
  const loaded: LoadedSpecFile[] = [];
  // Files are read ahead, a few at a time, and parsed in turn: one file's disk wait is not
  // added to the next's, and a tree of thousands of files does not open them all at once
  // (which runs out of file descriptors). readSpecText never rejects; a file it cannot read
  // is an issue.
  const reads = new Map<number, { path: string; display: string; pending: ReturnType<typeof readSpecText> }>();
  const readAhead = (i: number) => {
    const path = files[i];
    if (path === undefined) return;
    const display = displayPath(path, cwd);
    reads.set(i, { path, display, pending: readSpecText(path, display) });
  };
  for (let i = 0; i < READ_AHEAD; i++) readAhead(i);
  for (let i = 0; i < files.length; i++) {
    const { path, display, pending } = reads.get(i) as { path: string; display: string; pending: ReturnType<typeof readSpecText> };
    const read = await pending;
    reads.delete(i);
    readAhead(i + READ_AHEAD);
    if ("issue" in read) {
      issues.push(read.issue);
      continue;
    }
    if (isBlank(read.text)) {
      issues.push(issueAt(display, "the file is empty; a spec needs version, stack and jobs"));
      continue;
    }
    const parsed = parseYamlSource(display, read.text);
    if ("issues" in parsed) {
      if (isOtherYaml(read.text)) issues.push(issueAt(display, NOT_A_SPEC));
      else if (!/\.ya?ml$/i.test(path) && parsed.issues[0] !== undefined) {
        // A file named on the command line that is no YAML (`validate queries/*.py`): its
        // first problem, and what is likely wrong, rather than a screenful of YAML errors.
        const [first] = parsed.issues;
        issues.push({ ...first, message: `${first.message}; a spec is a YAML file (.yaml or .yml): is ${display} one?` });
      } else appendAll(issues, parsed.issues);
      continue;
    }
    const data = parsed.source.data;
    if (isOtherMapping(data) && (parsed.recovered.length === 0 || isOtherYaml(read.text))) {
      issues.push({ location: parsed.source.locate([]), path: "", message: NOT_A_SPEC });
      continue;
    }
    appendAll(issues, parsed.recovered);
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      const found = Array.isArray(data) ? "a list" : data === null ? "nothing" : `a single ${typeof data}`;
      issues.push({
        location: parsed.source.locate([]),
        path: "",
        message: `the top level must be a mapping with version, stack and jobs; found ${found}`,
      });
      continue;
    }
    // A saved plan is JSON, and so YAML: one renamed off .json (plan.json.bak), which
    // saved-plan-paths.ts does not catch, would be reported key by key as a bad spec.
    if (Object.hasOwn(data, "format_version") && Object.hasOwn(data, "actions")) {
      issues.push({ location: parsed.source.locate([]), path: "", message: SAVED_PLAN_NOT_SPEC });
      continue;
    }
    const schema = validateAgainstSchema(parsed.source);
    appendAll(issues, schema.issues);
    loaded.push({ path, display, source: parsed.source, invalidPaths: new InvalidPaths(schema.paths) });
  }
  return { files: loaded, issues };
}

/**
 * The stack a spec file declares, read as the loader reads any spec file (size, encoding,
 * YAML) but without checking or resolving the rest. Undefined when the file is missing,
 * cannot be read or parsed, or has no `stack` text: then it cannot say.
 */
export async function readDeclaredStack(path: string, cwd: string): Promise<string | undefined> {
  const read = await readSpecData(path, displayPath(path, cwd));
  const data = read !== undefined && "data" in read ? read.data : undefined;
  const stack = data !== null && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>)["stack"] : undefined;
  return typeof stack === "string" ? stack : undefined;
}

/**
 * What a spec file holds, read as the loader reads any spec file (size, encoding, YAML) but
 * not checked against the schema: its data, or its text when the spec reader refuses it (for
 * a caller that reads it otherwise); undefined when it cannot be read. An empty file parses,
 * and holds undefined.
 */
export async function readSpecData(path: string, display: string): Promise<{ data: unknown } | { text: string } | undefined> {
  const read = await readSpecText(path, display);
  if ("issue" in read) return undefined;
  const parsed = parseYamlSource(display, read.text);
  return "issues" in parsed ? { text: read.text } : { data: parsed.source.data };
}

/** The repository a spec's paths may not leave: the nearest directory above it holding .git, or its own directory. */
export async function findRepositoryRoot(specPath: string): Promise<string> {
  return (await gitRootAbove(dirname(specPath))) ?? dirname(specPath);
}

/** The nearest directory at or above `dir` holding `.git` (a directory, or a worktree's file); undefined when none. */
async function gitRootAbove(dir: string): Promise<string | undefined> {
  for (let at = dir; ; at = dirname(at)) {
    try {
      await stat(join(at, ".git"));
      return at;
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
}

export { isInside } from "./walk.js";
