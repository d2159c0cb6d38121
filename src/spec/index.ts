// Spec loading in one call: files -> parsed and validated -> resolved DesiredJobs.

import { UsageError } from "../errors.js";
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

/** `--var name=value` flags into a map; a malformed one is a usage error. */
export function parseVarFlags(flags: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const flag of flags) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(flag);
    if (match === null) throw new UsageError(`--var "${flag}" is not name=value.`, "For example: --var env=prod");
    vars[match[1] ?? ""] = match[2] ?? "";
  }
  return vars;
}

export type { DesiredJob, ResolvedSpec } from "./types.js";
export type { ResolveOptions, SpecCheck } from "./resolve.js";
