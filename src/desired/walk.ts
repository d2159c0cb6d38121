// Finding spec files: a directory's YAML files with its subdirectories', and quoted
// globs (`'jobs/**/*.yaml'`) expanded the way a shell would. Node 20 has no stable
// fs.glob; the dialect a spec path needs (*, **, ?, [...], {a,b}) is small enough to
// match here, which keeps the tool free of a dependency for it.

import type { Dirent, Stats } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { showKey } from "./yaml-source.js";

/** Names never searched: version control, dependencies, and hidden directories such as .github. */
function skipped(name: string): boolean {
  return name.startsWith(".") || name === "node_modules";
}

export function isYamlName(name: string): boolean {
  const ext = extname(name).toLowerCase();
  return ext === ".yaml" || ext === ".yml";
}

/** What a walk found: the files, sorted, and the directories it could not read. */
export interface Walk {
  files: string[];
  /** Whether it took any symbolic link: then one file may have been found by two paths. */
  linked: boolean;
  /**
   * Links to files out of the repository, not taken: a spec file is read and quoted in
   * messages, and a link in a pull request could point at any file of the machine CI runs on.
   */
  outside: string[];
  /** Links named like a spec file whose target is missing, unreadable or a loop: a spec file may be gone. */
  broken: string[];
  /** A spec file in one would be missed, and plan would cancel its jobs: each is a problem. */
  unreadable: string[];
  /** Named like a spec file but no file (a FIFO, a device, a socket, or a link to one): never read, each a problem. */
  notFiles: string[];
}

/** Whether `path` is `root` or below it; both real, absolute paths. */
export function isInside(root: string, path: string): boolean {
  // Called for every file every job names: no string is built.
  if (!path.startsWith(root)) return false;
  return path.length === root.length || root.endsWith(sep) || path.startsWith(sep, root.length);
}

/** The file system calls a walk makes: a test passes its own to make a directory unreadable, which root cannot do. */
export interface WalkFs {
  readdir: (path: string) => Promise<Dirent[]>;
  realpath: (path: string) => Promise<string>;
  stat: (path: string) => Promise<Stats>;
}

const REAL_FS: WalkFs = { readdir: (path) => readdir(path, { withFileTypes: true }), realpath, stat };

/**
 * Every file under `dir` whose path relative to it (with `/`) passes `keep`, at most
 * `maxDepth` directories down. Symbolic links are followed, as a shell's glob does: to
 * files, and to directories, except one out of the repository (`repository()`, a real
 * path; undefined outside one), such as a dataset linked into the tree, and one that holds
 * the walked root (it would take the whole tree again). A directory reached by links is
 * entered once, by its real path, so a link cycle cannot make the walk endless; a file
 * found by two paths is the caller's to take once (`linked`). Real paths are looked up
 * only for links: a tree without any costs nothing more than its listings.
 */
export async function walkFiles(
  dir: string,
  keep: (relative: string) => boolean,
  repository: () => Promise<string | undefined>,
  maxDepth = Number.POSITIVE_INFINITY,
  fs: WalkFs = REAL_FS,
): Promise<Walk> {
  const found: string[] = [];
  const unreadable: string[] = [];
  const outside: string[] = [];
  const broken: string[] = [];
  const notFiles: string[] = [];
  const entered = new Set<string>();
  let linked = false;
  let bounds: Promise<{ top: string; repository: string | undefined }> | undefined;
  const boundsOfWalk = () =>
    (bounds ??= Promise.all([fs.realpath(dir).catch(() => dir), repository()]).then(([top, repo]) => ({ top, repository: repo })));
  /** The real path of a link to a directory the walk enters, or undefined. */
  const followed = async (link: string): Promise<string | undefined> => {
    const { top, repository: repo } = await boundsOfWalk();
    const real = await fs.realpath(link).catch(() => undefined);
    if (real === undefined || (repo !== undefined && !isInside(repo, real)) || isInside(real, top) || entered.has(real)) return undefined;
    entered.add(real);
    return real;
  };
  const pending: { dir: string; relative: string; depth: number }[] = [{ dir, relative: "", depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(next.dir);
    } catch {
      unreadable.push(next.dir);
      continue;
    }
    for (const entry of entries) {
      if (skipped(entry.name)) continue;
      const absolute = join(next.dir, entry.name);
      const relative = next.relative === "" ? entry.name : `${next.relative}/${entry.name}`;
      const link = entry.isSymbolicLink();
      if (link) linked = true;
      const kind = link ? await kindOf(absolute, fs) : entry.isDirectory() ? "directory" : entry.isFile() ? "file" : "other";
      if (kind === "directory") {
        if (next.depth < maxDepth && (!link || (await followed(absolute)) !== undefined)) {
          pending.push({ dir: absolute, relative, depth: next.depth + 1 });
        }
      } else if (kind === "nowhere" && keep(relative)) {
        broken.push(absolute);
      } else if (kind === "file" && keep(relative)) {
        if (link && !(await inRepository(absolute))) outside.push(absolute);
        else found.push(absolute);
      } else if (kind === "other" && keep(relative)) {
        notFiles.push(absolute);
      }
    }
  }
  return {
    files: found.sort(),
    unreadable: unreadable.sort(),
    linked,
    outside: outside.sort(),
    broken: broken.sort(),
    notFiles: notFiles.sort(),
  };

  /** Whether a link to a file leads into the repository (any file, outside one). */
  async function inRepository(link: string): Promise<boolean> {
    const { repository: repo } = await boundsOfWalk();
    if (repo === undefined) return true;
    const real = await fs.realpath(link).catch(() => undefined);
    return real !== undefined && isInside(repo, real);
  }
}

/** What a symbolic link leads to: "nowhere" when its target is missing, cannot be read, or is a loop. */
async function kindOf(path: string, fs: WalkFs): Promise<"file" | "directory" | "other" | "nowhere"> {
  try {
    const info = await fs.stat(path);
    return info.isDirectory() ? "directory" : info.isFile() ? "file" : "other";
  } catch {
    return "nowhere";
  }
}

const GLOB_CHARS = /[*?[\]{}]/;

export function isGlob(path: string): boolean {
  return GLOB_CHARS.test(path);
}

/** The files a glob matches, relative to `cwd` unless absolute; sorted. */
export async function expandGlob(pattern: string, cwd: string, repositoryOf: (dir: string) => Promise<string | undefined>): Promise<Walk> {
  const segments = pattern.split("/");
  const firstGlob = segments.findIndex((segment) => isGlob(segment));
  const baseSegments = firstGlob === -1 ? segments : segments.slice(0, firstGlob);
  const rest = firstGlob === -1 ? [] : segments.slice(firstGlob);
  const base = resolve(cwd, baseSegments.join("/") || (pattern.startsWith("/") ? "/" : "."));
  const matcher = globToRegExp(rest.join("/"));
  // Without **, a pattern of n segments reaches n - 1 directories down.
  const depth = rest.includes("**") ? Number.POSITIVE_INFINITY : rest.length - 1;
  return walkFiles(
    base,
    (relative) => matcher.test(relative),
    () => repositoryOf(base),
    depth,
  );
}

/** A glob as a regular expression over `/`-separated relative paths; throws BackwardsRange. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${globBody(glob)}$`);
}

/** A range in `[...]` from high to low (`[z-a]`), which no regular expression takes. */
class BackwardsRange extends Error {
  constructor(readonly range: string) {
    super(`the range ${range} runs backwards`);
  }
}

/** Why a glob cannot be matched, said for the user, or undefined when it can. */
export function globProblem(glob: string): string | undefined {
  try {
    globToRegExp(glob);
    return undefined;
  } catch (error) {
    if (!(error instanceof BackwardsRange)) throw error;
    return `the range "${showKey(error.range)}" in this pattern runs backwards; write it low to high, as [a-z]`;
  }
}

/** The first range of a `[...]` set (its inside) that runs backwards, read as the regular expression reads it: unit by unit. */
function backwardsRange(set: string): string | undefined {
  for (let k = 0; k < set.length; k += 1) {
    if (set[k + 1] !== "-" || k + 2 >= set.length) continue;
    if (set.charCodeAt(k) > set.charCodeAt(k + 2)) return set.slice(k, k + 3);
    k += 2;
  }
  return undefined;
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function globBody(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? "";
    if (c === "*") {
      const segmentStart = i === 0 || glob[i - 1] === "/";
      if (glob[i + 1] === "*" && segmentStart && (glob[i + 2] === "/" || i + 2 === glob.length)) {
        // `**/` is any number of directories, a final `**` anything below.
        if (glob[i + 2] === "/") {
          out += "(?:[^/]+/)*";
          i += 2;
        } else {
          out += ".*";
          i += 1;
        }
      } else {
        while (glob[i + 1] === "*") i++;
        out += "[^/]*";
      }
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) {
        out += "\\[";
        continue;
      }
      let set = glob.slice(i + 1, end);
      const negate = set.startsWith("!") || set.startsWith("^");
      if (negate) set = set.slice(1);
      const backwards = backwardsRange(set);
      if (backwards !== undefined) throw new BackwardsRange(backwards);
      const body = [...set].map((ch) => (ch === "-" ? "-" : escapeChar(ch))).join("");
      out += negate ? `[^/${body}]` : `[${body}]`;
      i = end;
    } else if (c === "{") {
      const end = glob.indexOf("}", i + 1);
      if (end === -1) {
        out += "\\{";
        continue;
      }
      const choices = glob.slice(i + 1, end).split(",");
      out += `(?:${choices.map(globBody).join("|")})`;
      i = end;
    } else if (c === "\\" && i + 1 < glob.length) {
      out += escapeChar(glob[i + 1] ?? "");
      i += 1;
    } else {
      out += escapeChar(c);
    }
  }
  return out;
}

/** A directory's YAML files, its subdirectories' included. */
export function findYamlFiles(dir: string, repositoryOf: (dir: string) => Promise<string | undefined>): Promise<Walk> {
  return walkFiles(dir, isYamlName, () => repositoryOf(dir));
}
