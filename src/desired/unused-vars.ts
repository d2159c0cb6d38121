// A variable given (--var, --var-file) that no spec file uses is most likely a misspelt
// name, and the spec then quietly takes its vars: default. As Terraform does, a --var
// flag the spec does not use is refused, and a var file's is a note: one var file may
// serve several stacks (docs/architecture.md, "Variables").

import { UsageError, type SpecIssue } from "../errors.js";
import type { LoadedSpecFile } from "./load.js";
import { varsReadBy } from "./interpolate.js";
import { looksGenerated } from "../secret-form.js";
import type { GivenVars } from "./var-files.js";
import { showKey } from "./yaml-source.js";

/**
 * The notes for var-file variables no spec file uses; throws a UsageError naming every
 * --var flag no spec file uses. A spec file uses a name by declaring it under `vars:` or
 * by reading it as `${var:NAME}` in any of its strings.
 */
export function checkVarsUsed(files: readonly LoadedSpecFile[], given: GivenVars): SpecIssue[] {
  if (given.sources.size === 0) return [];
  const used = varsUsedBy(files);
  /** Each as the refusal names it. */
  const unusedFlags: string[] = [];
  const notes: SpecIssue[] = [];
  for (const [name, source] of given.sources) {
    if (used.has(name)) continue;
    if (source.from === "flag") unusedFlags.push(flagNamed(name, source.place));
    else
      notes.push({
        location: source.location,
        path: name,
        message: `no spec file uses the variable ${showKey(name)} (none declares it under vars: or reads it as \${var:${showKey(name)}}); check its spelling`,
      });
  }
  if (unusedFlags.length > 0) {
    const flags = unusedFlags.join(", ");
    const known = [...used].sort().map(showKey);
    const one = unusedFlags.length === 1;
    throw new UsageError(
      `${flags}: no spec file uses ${one ? "a variable of that name; check its spelling" : "variables of these names; check their spelling"}.`,
      `${known.length === 0 ? "The spec uses no variables." : `The spec uses: ${known.join(", ")}.`} A spec file uses a variable by declaring it under vars: or reading it as \${var:NAME}.`,
    );
  }
  return notes;
}

/**
 * `--var NAME`; but a name with a secret's form by its place (`--var #2 of 3`): `--var "$TOKEN"`
 * of a base64 token is taken as the name before its padding (`dG9rZW4xMjM0NTY3ODkw=`), and
 * said back, would put the token in a CI log.
 */
function flagNamed(name: string, place: string): string {
  return looksGenerated(name) ? `${place} (its name not shown: it has a secret's form)` : `--var ${showKey(name)}`;
}

/** Every name declared under `vars:` or read as `${var:NAME}` in a string of any file. */
function varsUsedBy(files: readonly LoadedSpecFile[]): Set<string> {
  const used = new Set<string>();
  // Aliases share nodes: each is walked once, so a document of aliases of aliases costs its size.
  const walked = new Set<object>();
  const walk = (value: unknown): void => {
    if (typeof value === "string") {
      for (const name of varsReadBy(value)) used.add(name);
      return;
    }
    if (value === null || typeof value !== "object" || walked.has(value)) return;
    walked.add(value);
    for (const child of Object.values(value)) walk(child);
  };
  for (const file of files) {
    const data = file.source.data;
    if (data === null || typeof data !== "object" || Array.isArray(data)) continue;
    const declared = (data as Record<string, unknown>)["vars"];
    if (declared !== null && typeof declared === "object" && !Array.isArray(declared))
      for (const name of Object.keys(declared)) used.add(name);
    walk(data);
  }
  return used;
}
