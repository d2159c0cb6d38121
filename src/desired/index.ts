// Spec loading in one call: files -> parsed and validated -> resolved DesiredJobs.

import { loadSpecFiles } from "./load.js";
import { checkSpecFiles, resolveSpec, type ResolveOptions, type SpecCheck } from "./resolve.js";
import type { ResolvedSpec } from "./types.js";

export async function loadSpec(paths: readonly string[], cwd: string, options: ResolveOptions): Promise<ResolvedSpec> {
  const { files, issues } = await loadSpecFiles(paths, cwd);
  return resolveSpec(files, options, issues);
}

/** Every problem and note of a spec, without throwing for them: what `validate` reports. */
export async function checkSpec(paths: readonly string[], cwd: string, options: ResolveOptions): Promise<SpecCheck> {
  const { files, issues } = await loadSpecFiles(paths, cwd);
  return checkSpecFiles(files, options, issues);
}

export { parseVarFlags, readVars } from "./var-files.js";
export type { DesiredJob, ResolvedSpec } from "./types.js";
export type { ResolveOptions, SpecCheck } from "./resolve.js";
