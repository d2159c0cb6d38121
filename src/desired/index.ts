// Spec loading in one call: files -> parsed and validated -> resolved DesiredJobs.

import { loadSpecFiles } from "./load.js";
import { resolveSpec, type ResolveOptions } from "./resolve.js";
import type { ResolvedSpec } from "./types.js";

export async function loadSpec(paths: readonly string[], cwd: string, options: ResolveOptions): Promise<ResolvedSpec> {
  const { files, issues } = await loadSpecFiles(paths, cwd);
  return resolveSpec(files, options, issues);
}

export { parseVarFlags, readVars } from "./var-files.js";
export type { DesiredJob, ResolvedSpec } from "./types.js";
export type { ResolveOptions, SpecCheck } from "./resolve.js";
