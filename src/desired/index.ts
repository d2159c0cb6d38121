// Spec loading in one call: files -> parsed and validated -> resolved DesiredJobs.

import { UsageError } from "../errors.js";
import { loadSpecFiles } from "./load.js";
import { resolveSpec, type ResolveOptions } from "./resolve.js";
import type { ResolvedSpec } from "./types.js";

export async function loadSpec(paths: readonly string[], cwd: string, options: ResolveOptions): Promise<ResolvedSpec> {
  // For callers without type checks: a string was read as a list of one-letter files, and a missing cwd threw from node:path.
  if (!Array.isArray(paths) || !paths.every((path) => typeof path === "string"))
    throw new UsageError('loadSpec: the first argument must be an array of spec files or directories, such as ["studio-jobs.yaml"].');
  if (typeof cwd !== "string")
    throw new UsageError("loadSpec: the second argument must be the directory paths are relative to, such as process.cwd().");
  const { files, issues } = await loadSpecFiles(paths, cwd);
  return resolveSpec(files, options, issues);
}

export { parseVarFlags, readVars } from "./var-files.js";
export type { DesiredJob, ResolvedSpec } from "./types.js";
export type { ResolveOptions, SpecCheck } from "./resolve.js";
