// --var-file FILE: values for ${var:name} kept per environment (prod.yaml, staging.json),
// read like spec files (YAML, of which JSON is a part) and checked with positions.

import { resolve } from "node:path";
import { SpecError, UsageError, type SourceLocation, type SpecIssue } from "../errors.js";
import { displayPath, readSpecText } from "./load.js";
import { tidyIssues } from "./resolve.js";
import { FIRST_REFERENCE, formatPath, parseYamlSource, showKey, showValue } from "./yaml-source.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NOT_A_NAME = "is not a variable name: use letters, digits and '_', not starting with a digit";
/** As in the spec's vars: (the schema): a plain object would take it as its prototype. */
const RESERVED = "__proto__";

/** Variables are substituted as written: a ${...} in one would be sent as text. */
const PLAIN_VALUE = "a variable's value is plain text, and ${...} is not read in it; use ${env:...} where the variable is used";

/**
 * `--var name=value` flags into a map; a malformed one is a usage error. A refusal never
 * quotes the flag: `--var "$TOKEN"` (the name left out) would put the token in a CI log, and
 * so would the text before an `=` in it (a base64 token's padding). It says which --var, by
 * its place among them, and the form expected.
 */
export function parseVarFlags(flags: readonly string[]): Record<string, string> {
  return readVarFlags(flags).values;
}

/** `--var`, or `--var #2 of 3`: a --var as a message names it without quoting it. */
function varFlagPlace(index: number, count: number): string {
  return count === 1 ? "--var" : `--var #${index + 1} of ${count}`;
}

/** The --var flags' values, and each name's place among them (the last that sets it). */
function readVarFlags(flags: readonly string[]): { values: Record<string, string>; places: Map<string, string> } {
  const vars: Record<string, string> = {};
  const places = new Map<string, string>();
  flags.forEach((flag, index) => {
    const which = varFlagPlace(index, flags.length);
    const match = /^([^=]*)=(.*)$/s.exec(flag);
    const name = match?.[1] ?? "";
    if (match === null || name === "") throw new UsageError(`${which} is not NAME=VALUE; ${NOT_SHOWN}.`, VAR_HINT);
    if (!NAME.test(name)) throw new UsageError(`${which}: the text before "=" ${NOT_A_NAME}; ${NOT_SHOWN}.`, VAR_HINT);
    const value = match[2] ?? "";
    if (value.includes("${")) throw new UsageError(`--var ${name}: ${PLAIN_VALUE}.`, "Pass the value itself.");
    if (name === RESERVED) throw new UsageError(`--var ${RESERVED}: ${RESERVED} cannot be used as a name here; choose another.`);
    vars[name] = value;
    places.set(name, which);
  });
  return { values: vars, places };
}

const NOT_SHOWN = "what it holds is not shown, as it may be a secret";
const VAR_HINT = "Write it as --var NAME=VALUE, e.g. --var env=prod.";

/** Where a variable's value was given: by a --var flag (`place`: which, as varFlagPlace says it), or at its key in a var file. */
export type VarSource = { from: "flag"; place: string } | { from: "file"; location: SourceLocation };

/** The variables in force, and where each was given (the last place that set it). */
export interface GivenVars {
  values: Record<string, string>;
  sources: ReadonlyMap<string, VarSource>;
}

/** The variables of every --var-file, later files over earlier ones; every problem of every file at once. */
export async function readVarFiles(paths: readonly string[], cwd: string): Promise<GivenVars> {
  const vars: Record<string, string> = {};
  const sources = new Map<string, VarSource>();
  const issues: SpecIssue[] = [];
  for (const given of paths) {
    const display = displayPath(resolve(cwd, given), cwd);
    const read = await readSpecText(resolve(cwd, given), display, true);
    if ("issue" in read) {
      issues.push(read.issue);
      continue;
    }
    const parsed = parseYamlSource(display, read.text);
    if ("issues" in parsed) {
      issues.push(...parsed.issues);
      continue;
    }
    issues.push(...parsed.recovered);
    const { data } = parsed.source;
    if (isSpec(data)) {
      // Each of its settings would be told to be text; what is wrong is the file.
      issues.push({ location: parsed.source.locate([]), path: "", message: SPEC_AS_VAR_FILE });
      continue;
    }
    // An empty file (or one of comments only) gives no variables, as an empty tfvars does.
    if (data === null || data === undefined) continue;
    if (typeof data !== "object" || Array.isArray(data)) {
      issues.push({
        location: parsed.source.locate([]),
        path: "",
        message: "a var file is a mapping of names to values, e.g. env: prod",
      });
      continue;
    }
    for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
      if (name === RESERVED) {
        issues.push({
          location: parsed.source.locate([name], { key: true }),
          path: formatPath([name]),
          message: `"${name}": ${RESERVED} cannot be used as a name here; choose another`,
        });
      } else if (!NAME.test(name)) {
        issues.push({
          location: parsed.source.locate([name], { key: true }),
          path: formatPath([name]),
          message: `"${showKey(name)}" ${NOT_A_NAME}`,
        });
      } else if (typeof value === "string" && value.includes("${")) {
        issues.push({
          location: parsed.source.locate([name], FIRST_REFERENCE),
          path: formatPath([name]),
          message: `the value of ${showKey(name)}: ${PLAIN_VALUE}`,
        });
      } else if (typeof value === "string") {
        vars[name] = value;
        sources.set(name, { from: "file", location: parsed.source.locate([name], { key: true }) });
      } else {
        // As in the spec's vars: (the schema): an unquoted 3.10 is the number 3.1, 0x10 is 16.
        issues.push({
          location: parsed.source.locate([name]),
          path: formatPath([name]),
          message: `the value of ${showKey(name)} must be a string, not ${describeValue(value)}; put the value in quotes, as written`,
        });
      }
    }
  }
  if (issues.length > 0) throw new SpecError(tidyIssues(issues), "the variables given");
  return { values: vars, sources };
}

const SPEC_AS_VAR_FILE =
  "this is a spec file, not a var file: give it as a path (studio-jobs plan FILE); a var file is a mapping of names to values, e.g. env: prod";

/**
 * A spec's own keys, `version` with `stack` or `jobs`, and a value that is no text (a spec's
 * `version: 1`, its `jobs:`): vars named version and stack, all text, are a var file.
 */
function isSpec(data: unknown): boolean {
  if (data === null || typeof data !== "object" || Array.isArray(data) || !Object.hasOwn(data, "version")) return false;
  if (!Object.hasOwn(data, "stack") && !Object.hasOwn(data, "jobs")) return false;
  return Object.values(data).some((value) => typeof value !== "string");
}

function describeValue(value: unknown): string {
  if (value === null) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number") return `the number ${showValue(value)}`;
  return typeof value === "boolean" ? String(value) : "a mapping";
}

/** The variables in force: --var-file values, then --var flags over them. */
export async function readVars(flags: readonly string[], files: readonly string[], cwd: string): Promise<GivenVars> {
  const fromFlags = readVarFlags(flags);
  const fromFiles = await readVarFiles(files, cwd);
  const sources = new Map(fromFiles.sources);
  for (const [name, place] of fromFlags.places) sources.set(name, { from: "flag", place });
  return { values: { ...fromFiles.values, ...fromFlags.values }, sources };
}
