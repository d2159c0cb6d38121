// ${env:NAME}, ${env:NAME:-default} and ${var:name} in spec strings. `$${` is a literal `${`.

import type { SourceLocation, SpecIssue } from "../errors.js";
import { formatPath, showKey, type DocPath, type YamlSource } from "./yaml-source.js";

export interface InterpolationContext {
  env: NodeJS.ProcessEnv;
  vars: Readonly<Record<string, string>>;
  /**
   * Read an unset ${env:NAME} without default as empty and list it in `unsetEnv`, instead
   * of failing: `validate` is a lint, and a pull request's lint has no production secrets.
   */
  lenientEnv?: boolean;
}

/** One reference that cannot be read: what is wrong, and where its `${` is in the text. */
export interface InterpolationProblem {
  message: string;
  /** The index in the text of the reference's `${`. */
  offset: number;
  unknownVar?: string;
}

/** Every problem of a text is found, each reference on its own; `message` is the first's. */
export type Interpolated =
  | { ok: true; value: string; sensitive: boolean; unsetEnv: { name: string; offset: number }[] }
  | { ok: false; message: string; problems: InterpolationProblem[] };

/** Own properties only: `${var:constructor}` is not Object.prototype's constructor. */
function lookup(record: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

const LITERAL_HINT = "write $${ for a literal ${";

/** A reference as quoted in a message: a long one is cut. */
function quoted(reference: string): string {
  return `"${showKey(reference.length > 60 ? `${reference.slice(0, 40)}…` : reference)}"`;
}

/** `${var:NAME}` as interpolate() reads it; `$${` before it makes it text. */
const VAR_REFERENCE = /(?<!\$)\$\{var:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The names `text` reads as `${var:NAME}`. */
export function varsReadBy(text: string): string[] {
  if (!text.includes("${var:")) return [];
  return [...text.matchAll(VAR_REFERENCE)].map((match) => match[1] ?? "");
}

/** Where a variable's value stands in a text read by readSomeVars: `from` to `to` there, read from the reference at `at` of `length` in the text as written. */
export interface VarRead {
  name: string;
  from: number;
  to: number;
  at: number;
  length: number;
}

/** `text` with each `${var:NAME}` that `value(NAME)` gives a text for read as that text, the others kept; and where each value read stands. */
export function readSomeVars(text: string, value: (name: string) => string | undefined): { text: string; read: VarRead[] } {
  const read: VarRead[] = [];
  if (!text.includes("${var:")) return { text, read };
  let out = "";
  let copied = 0;
  for (const match of text.matchAll(VAR_REFERENCE)) {
    const name = match[1] ?? "";
    const given = value(name);
    if (given === undefined) continue;
    out += text.slice(copied, match.index);
    read.push({ name, from: out.length, to: out.length + given.length, at: match.index, length: match[0].length });
    out += given;
    copied = match.index + match[0].length;
  }
  return { text: out + text.slice(copied), read };
}

/**
 * A walk over a text read by readSomeVars, at places that never go back: for each, where it was
 * in the text as written (undefined when a value read stands there), the value that holds it,
 * and the values read into the span from `from` to `end`. Linear over the whole walk.
 */
export function walkVarsRead(
  read: readonly VarRead[],
): (at: number, from: number, end: number) => { writtenAt: number | undefined; holder: VarRead | undefined; into: VarRead[] } {
  let passed = 0;
  let shift = 0;
  return (at, from, end) => {
    for (let value = read[passed]; value !== undefined && value.to <= at; value = read[++passed])
      shift += value.length - (value.to - value.from);
    const next = read[passed];
    const holder = next !== undefined && next.from <= at ? next : undefined;
    const into: VarRead[] = [];
    for (let i = passed, value = read[i]; value !== undefined && value.from < end; value = read[++i]) if (value.to > from) into.push(value);
    return { writtenAt: holder === undefined ? at + shift : undefined, holder, into };
  };
}

/**
 * Every `${` starts a complete reference, `${...}` with no `${` inside, or is written `$${`:
 * a `${` left open would otherwise be sent as text, and a value meant to be sensitive
 * would not be (docs/architecture.md, "Job fields: one table": which fields may be sensitive).
 */
export function interpolate(text: string, ctx: InterpolationContext): Interpolated {
  if (!text.includes("${")) return { ok: true, value: text, sensitive: false, unsetEnv: [] };
  let sensitive = false;
  const problems: InterpolationProblem[] = [];
  const unsetEnv: { name: string; offset: number }[] = [];
  let value = "";
  let done = 0;
  for (let start = text.indexOf("${"); start !== -1; start = text.indexOf("${", done)) {
    if (start > done && text.charCodeAt(start - 1) === 0x24) {
      value += `${text.slice(done, start - 1)}\${`;
      done = start + 2;
      continue;
    }
    value += text.slice(done, start);
    const end = text.indexOf("}", start + 2);
    const inner = text.indexOf("${", start + 2);
    if (end === -1) {
      problems.push({ message: `${quoted(text.slice(start))} is not closed: end it with }, or ${LITERAL_HINT}`, offset: start });
      done = text.length;
      break;
    }
    if (inner !== -1 && inner < end) {
      problems.push({
        message: `${quoted(text.slice(start, inner))} is not closed before the next \${ (a reference cannot hold another, not even in its default): end it with }, or ${LITERAL_HINT}`,
        offset: start,
      });
      // The next `${` starts a reference of its own.
      done = inner;
      continue;
    }
    done = end + 1;
    const expr = text.slice(start + 2, end);
    const env = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(expr);
    if (env !== null) {
      const name = env[1] ?? "";
      sensitive = true;
      const found = lookup(ctx.env, name) ?? env[2];
      if (found !== undefined) value += found;
      else if (ctx.lenientEnv === true) unsetEnv.push({ name, offset: start });
      else
        problems.push({
          message: `environment variable ${showKey(name)} is not set; set it, or give a default: \${env:${showKey(name)}:-value}`,
          offset: start,
        });
      continue;
    }
    const variable = /^var:([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
    if (variable !== null) {
      const name = variable[1] ?? "";
      const found = lookup(ctx.vars, name);
      if (found !== undefined) value += found;
      else
        problems.push({
          message: `unknown variable "${showKey(name)}"; define it under vars: or pass --var ${showKey(name)}=value`,
          offset: start,
          unknownVar: name,
        });
      continue;
    }
    problems.push({
      message: `"\${${showKey(expr)}}" is not understood; use \${env:NAME}, \${env:NAME:-default} or \${var:name} (${LITERAL_HINT})`,
      offset: start,
    });
  }
  const first = problems[0];
  if (first !== undefined) return { ok: false, message: first.message, problems };
  return { ok: true, value: value + text.slice(done), sensitive, unsetEnv };
}

/** Where the reference at `offset` of the value `written` at `path` is written, when that is certain; else where the value is. */
export function referenceAt(source: YamlSource, path: DocPath, written: string, offset: number): SourceLocation {
  return occurrenceAt(source, path, written, "${", offset);
}

/** Where the `text` at `offset` of the value `written` at `path` is written, when that is certain; else where the value is. */
export function occurrenceAt(source: YamlSource, path: DocPath, written: string, text: string, offset: number): SourceLocation {
  const places = placesOf(written, text);
  // How many occurrences start before `offset`: the index of the one at it.
  let low = 0;
  let high = places.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((places[middle] as number) < offset) low = middle + 1;
    else high = middle;
  }
  return source.locate(path, { occurrence: { text, index: low } });
}

/** The last value's occurrences, found once: a value with N URLs noted asks N times in a row. */
let lastPlaces: { written: string; text: string; places: number[] } | undefined;

/** Where `text` occurs in `written`, not overlapping. */
function placesOf(written: string, text: string): number[] {
  if (lastPlaces?.written === written && lastPlaces.text === text) return lastPlaces.places;
  const places: number[] = [];
  for (let i = written.indexOf(text); i !== -1; i = written.indexOf(text, i + text.length)) places.push(i);
  lastPlaces = { written, text, places };
  return places;
}

/** A value's reference problems reported, each at its own place; past these, how many more. */
export const MAX_REFERENCE_PROBLEMS = 10;

/**
 * The issues of the value `written` at `path`: each problem at its `${` (where the source
 * says so for certain, else where the value starts), the first few, then how many more, at
 * the first of those.
 */
export function referenceIssues(
  source: YamlSource,
  path: DocPath,
  written: string,
  problems: readonly InterpolationProblem[],
): SpecIssue[] {
  const where = formatPath(path);
  const at = (offset: number) => referenceAt(source, path, written, offset);
  const issues: SpecIssue[] = problems
    .slice(0, MAX_REFERENCE_PROBLEMS)
    .map((problem) => ({ location: at(problem.offset), path: where, message: problem.message }));
  const next = problems[MAX_REFERENCE_PROBLEMS];
  if (next !== undefined) {
    const more = problems.length - MAX_REFERENCE_PROBLEMS;
    issues.push({
      location: at(next.offset),
      path: where,
      message: `and ${more} more problem${more === 1 ? "" : "s"} with \${...} in this value from here on; fix those above and validate again`,
      count: more,
    });
  }
  return issues;
}
