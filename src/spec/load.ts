// Reading spec files from disk: one or more files or directories, refused early when
// they are too large, binary, not UTF-8 or empty; then parsed and schema-checked.

import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { SpecIssue } from "../errors.js";
import { validateAgainstSchema } from "./schema.js";
import { parseYamlSource, type DocPath, type YamlSource } from "./yaml-source.js";

/** A spec file larger than this is refused before it is read: real specs are far smaller. */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;

export interface LoadedSpecFile {
  /** Absolute path. */
  path: string;
  /** The path as shown to the user: relative to the working directory when inside it. */
  display: string;
  source: YamlSource;
  /** Where the schema found problems: the jobs under them are not resolved further. */
  invalidPaths: readonly DocPath[];
}

export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

function issueAt(file: string, message: string, line = 1, column = 1): SpecIssue {
  return { location: { file, line, column }, path: "", message };
}

async function expand(paths: readonly string[], cwd: string, issues: SpecIssue[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    const absolute = resolve(cwd, given);
    let info;
    try {
      info = await stat(absolute);
    } catch {
      issues.push(issueAt(given, `no such file or directory${given === "studio-jobs.yaml" ? "; give the spec files or a directory as arguments" : ""}`));
      continue;
    }
    if (info.isDirectory()) {
      const entries = (await readdir(absolute)).filter((name) => [".yaml", ".yml"].includes(extname(name))).sort();
      if (entries.length === 0) issues.push(issueAt(given, "the directory has no .yaml or .yml files"));
      files.push(...entries.map((name) => join(absolute, name)));
    } else {
      files.push(absolute);
    }
  }
  return [...new Set(files)];
}

async function readSpecText(path: string, display: string): Promise<{ text: string } | { issue: SpecIssue }> {
  const info = await stat(path);
  if (info.size > MAX_SPEC_BYTES) {
    return { issue: issueAt(display, `the file is ${(info.size / 1024 / 1024).toFixed(1)} MiB; a spec file may be at most ${MAX_SPEC_BYTES / 1024 / 1024} MiB`) };
  }
  const bytes = await readFile(path);
  if (bytes.includes(0)) return { issue: issueAt(display, "this is a binary file, not YAML text") };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { issue: issueAt(display, "the file is not UTF-8 text; save it as UTF-8") };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text };
}

function isBlank(text: string): boolean {
  return text.split("\n").every((line) => line.trim() === "" || line.trim().startsWith("#"));
}

/**
 * Load and schema-check every spec file. Files that cannot be read or parsed are left
 * out; files with schema problems are kept, so that the rest of them can still be checked.
 */
export async function loadSpecFiles(paths: readonly string[], cwd: string): Promise<{ files: LoadedSpecFile[]; issues: SpecIssue[] }> {
  const issues: SpecIssue[] = [];
  const files = await expand(paths, cwd, issues);
  const loaded: LoadedSpecFile[] = [];
  for (const path of files) {
    const display = displayPath(path, cwd);
    const read = await readSpecText(path, display);
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
      issues.push(...parsed.issues);
      continue;
    }
    const data = parsed.source.data;
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      const found = Array.isArray(data) ? "a list" : data === null ? "nothing" : `a single ${typeof data}`;
      issues.push({ location: parsed.source.locate([]), path: "", message: `the top level must be a mapping with version, stack and jobs; found ${found}` });
      continue;
    }
    const schema = validateAgainstSchema(parsed.source);
    issues.push(...schema.issues);
    loaded.push({ path, display, source: parsed.source, invalidPaths: schema.paths });
  }
  return { files: loaded, issues };
}

/** The repository a spec's paths may not leave: the nearest directory above it holding .git, or its own directory. */
export async function findRepositoryRoot(specPath: string): Promise<string> {
  let dir = dirname(specPath);
  for (;;) {
    try {
      await stat(join(dir, ".git"));
      return dir;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return dirname(specPath);
      dir = parent;
    }
  }
}

export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
