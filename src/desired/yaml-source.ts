// A parsed YAML spec file that remembers where everything came from, so every
// problem can be reported as file:line:column.
//
// Two readers share the work. js-yaml reads every file first: it is an order of
// magnitude faster, bounds its own nesting, and tells exactly whether the document
// uses anchors, aliases, merge keys, tags or keys that are not text. A plain document is taken as js-yaml read
// it. Anything else (a feature that needs care, or an error to explain) is read by the
// `yaml` library, whose nodes carry positions (./yaml-careful.ts); a plain document is
// read by it too, but only when a problem has to be located.

import * as jsYaml from "js-yaml";
import { load as loadYaml, Schema, Type } from "js-yaml";
import type { SourceLocation, SpecIssue } from "../errors.js";
import { quoted } from "../invisible.js";
import { parseCarefully } from "./yaml-careful.js";

export type DocPath = readonly (string | number)[];

export interface LocateOptions {
  key?: boolean;
  occurrence?: { text: string; index: number };
}

/** Where a value's first `${` is written (in a block scalar, a line below its start). */
export const FIRST_REFERENCE: LocateOptions = { occurrence: { text: "${", index: 0 } };

export interface YamlSource {
  file: string;
  /** The document as plain data. */
  data: unknown;
  /**
   * Where the value at `path` is; with `key`, where its key is. Falls back to the nearest ancestor.
   * With `occurrence`, where the `index`-th (from 0) `text` of the text value at `path` is written,
   * inside a block scalar or a quoted or multi-line one, when that place is certain; else where the value starts.
   */
  locate(path: DocPath, options?: LocateOptions): SourceLocation;
}

/**
 * A file's document, or the problems that stop it from being read. `recovered`: problems
 * the document was read past (a merge key that merges no mapping, read as merging nothing),
 * reported beside whatever the rest of the file holds.
 */
export type ParsedYaml = { source: YamlSource; recovered: SpecIssue[] } | { issues: SpecIssue[] };

/** Nesting allowed in a spec: real specs use five or six levels; deeper is a mistake or an attack. */
export const MAX_NESTING = 64;

export function tooDeep(location: SourceLocation, how = "the document"): SpecIssue {
  return {
    location,
    path: "",
    message: `${how} nests more than ${MAX_NESTING} levels deep; a spec needs only a few levels (look for a run of [, { or - that is never closed)`,
  };
}

/** A value as YAML writes it: JSON writes .inf, -.inf and .nan as null, and String() as Infinity and NaN. */
export function showValue(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
  return JSON.stringify(value);
}

/**
 * A key as shown in messages: long ones cut, odd characters escaped: C0 controls by
 * JSON.stringify, DEL, C1 controls and the invisible ones that reorder a line as
 * everything the tool prints escapes them (src/invisible.ts).
 */
export function showKey(key: string): string {
  const cut = key.length > 60 ? `${key.slice(0, 40)}…(${key.length} characters)` : key;
  return quoted(cut).slice(1, -1);
}

/** `jobs.nightly.schedule.cron`, `files[1]`, and `jobs["odd name"]` for keys that are not plain words. */
export function formatPath(path: DocPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]{1,60}$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `["${showKey(segment)}"]`;
  }
  return out;
}

// js-yaml's core schema, arranged so that an explicit tag is noticed rather than applied:
// the implicit types keep their resolvers under private tag names, and one catch-all
// type per kind receives every explicit tag (`!!str`, `!foo`, `!<…>`) and records it.
let sawTag = false;
// js-yaml exports its types, but its type declarations do not say so.
const { types } = jsYaml as unknown as { types: Record<"null" | "bool", Type> };
// The resolvers are plain functions of their argument: passed on as they are, they cost
// nothing on every plain scalar of a large spec.
const implicit = (type: Type, name: string): Type =>
  // eslint-disable-next-line @typescript-eslint/unbound-method
  new Type(`tag:studio-jobs,implicit:${name}`, { kind: "scalar", resolve: type.resolve, construct: type.construct });
const anyTag = (kind: "scalar" | "sequence" | "mapping"): Type =>
  new Type("", {
    kind,
    multi: true,
    resolve: () => true,
    construct: (data: unknown) => {
      sawTag = true;
      return data;
    },
  });
/**
 * Integers and floats exactly as YAML 1.2's core schema reads them, which is what the careful
 * reader (the `yaml` library) does: js-yaml's own also take YAML 1.1 forms (0b11, 1_000,
 * +0x1), and refuse some of 1.2's (+.5), so a value read differently once an anchor was added.
 * A plain scalar is tested only when its first character can start a number.
 */
const CORE_INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const CORE_FLOAT =
  /^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
function mayBeNumber(data: string): boolean {
  const c = data.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e; // 0-9 + - .
}
const coreInt = new Type("tag:studio-jobs,implicit:int", {
  kind: "scalar",
  resolve: (data: string) => mayBeNumber(data) && CORE_INT.test(data),
  construct: (data: string) =>
    data[1] === "o" ? parseInt(data.slice(2), 8) : data[1] === "x" ? parseInt(data.slice(2), 16) : parseInt(data, 10),
});
const coreFloat = new Type("tag:studio-jobs,implicit:float", {
  kind: "scalar",
  resolve: (data: string) => mayBeNumber(data) && CORE_FLOAT.test(data),
  construct: (data: string) => {
    const special = data.slice(-3).toLowerCase();
    if (special === "nan") return NaN;
    if (special === "inf") return data.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    return parseFloat(data);
  },
});

const SNIFFING_SCHEMA = new Schema({
  implicit: [implicit(types.null, "null"), implicit(types.bool, "bool"), coreInt, coreFloat],
  explicit: [anyTag("scalar"), anyTag("sequence"), anyTag("mapping")],
});

/** What js-yaml's listener shows of its state: enough to see merge keys, anchors and keys that are not text. */
interface ListenedState {
  kind: string | null;
  tag: string | null;
  result: unknown;
  anchorMap: Record<string, unknown>;
  input: string;
  position: number;
}

/** The tags the sniffing schema gives plain scalars that are not text. */
const NOT_TEXT = new Set(["null", "bool", "int", "float"].map((name) => `tag:studio-jobs,implicit:${name}`));

/**
 * Whether a scalar that is not text, or an empty node, is followed, on its line, by `:`:
 * then it is a key (js-yaml would make `0x1F:` the key "31", and the empty key of
 * `{: v}` the key "null"), which the careful reader refuses where it is. A value followed
 * by `:` is a syntax error, which goes to the careful reader anyway.
 */
function isNotTextKey(state: ListenedState): boolean {
  const empty = state.kind === null && state.tag === null;
  if (!empty && (state.tag === null || !NOT_TEXT.has(state.tag))) return false;
  let i = state.position;
  while (state.input[i] === " " || state.input[i] === "\t") i++;
  return state.input[i] === ":";
}

/**
 * Whether a node that has just closed right before a `#` was quoted text or a list or mapping
 * in brackets: YAML 1.2 and the careful reader want a space before a comment there
 * (`cron: "0 3 * * *"# nightly` is an error); js-yaml reads past it. A plain scalar never
 * closes before a `#`, which is part of it unless a space precedes it.
 */
function endsQuotedOrFlow(state: ListenedState): boolean {
  const c = state.input.charCodeAt(state.position - 1);
  return c === 0x22 || c === 0x27 || c === 0x5d || c === 0x7d; // " ' ] }
}

/** Thrown by js-yaml's warning handler to stop reading. */
const WARNED = new Error("js-yaml warned");

type QuickRead = { kind: "plain"; data: unknown } | { kind: "careful" };

/**
 * A directive (%YAML, %TAG) changes how the rest is read, a list or mapping used as a key
 * (`? [a, b]`, `[a, b]: x`) is quietly turned into text by js-yaml, and an escape of a
 * UTF-16 surrogate (`"\ud83d"`) may give half a character, one of NUL (`"\0"`) a character
 * no text holds; js-yaml takes `---` followed by text on its line (`---# spec`, `---{a: 1}`)
 * for the start of the document, where YAML 1.2 reads text: the careful reader judges all of
 * them. The patterns may also match inside a string, which only costs time.
 */
const NEEDS_CARE = /^%|^---\S|(?:^|[\s[{,])\?(?:[ \t]|$)|[\]}][ \t]*:(?:[ \t]|$)|\\(?:(?:u|U0000)[dD][89a-fA-F]|0|x00|u0000|U00000000)/m;

function readQuickly(text: string): QuickRead {
  if (NEEDS_CARE.test(text)) return { kind: "careful" };
  sawTag = false;
  let mergeKey = false;
  let notTextKey = false;
  let commentTouches = false;
  let last: ListenedState | undefined;
  let data: unknown;
  try {
    data = loadYaml(text, {
      schema: SNIFFING_SCHEMA,
      // js-yaml counts every node, the innermost scalar included, and a few levels of block
      // sequences twice: what it refuses, the careful reader measures exactly.
      maxDepth: MAX_NESTING,
      // js-yaml reads past a list, a mapping or quoted text whose next line is not indented
      // past its key (`[a,` then `b]` under the key), with a warning; YAML 1.2 and the careful
      // reader do not. Read as js-yaml read it, the document would be located by nothing.
      // Reading stops at the first: js-yaml copies the whole text into each warning, and a
      // list closed at its key's indentation (which YAML 1.2 takes) warns once per job.
      onWarning() {
        throw WARNED;
      },
      listener(event, listened) {
        if (event !== "close") return;
        const state = listened as unknown as ListenedState;
        last = state;
        // `<<` as a plain scalar is a merge key (quoted, it is an ordinary key).
        if (state.tag === "?" && state.result === "<<" && state.kind === "scalar") mergeKey = true;
        // The non-specific tag `!` reaches no type, so the catch-all above does not see it.
        else if (state.tag === "!") sawTag = true;
        else if ((state.kind === "scalar" || state.kind === null) && isNotTextKey(state)) notTextKey = true;
        if (state.input.charCodeAt(state.position) === 0x23 && endsQuotedOrFlow(state)) commentTouches = true;
      },
    } as jsYaml.LoadOptions);
  } catch {
    // A warning, or an error: the careful reader says what is wrong, with its positions.
    return { kind: "careful" };
  }
  const anchors = last !== undefined && Object.keys(last.anchorMap).length > 0;
  if (sawTag || mergeKey || notTextKey || anchors || commentTouches) return { kind: "careful" };
  // Without anchors the data is a tree (js-yaml makes a cycle of an alias inside its own
  // anchor), so it can be walked. A long key needs a long line: lines are measured first.
  if (hasLongLine(text, LONG_KEY) && hasLongKey(data)) return { kind: "careful" };
  return { kind: "plain", data };
}

/** Keys longer than this go to the careful reader (YAML's limit is 1024 characters, a little more than this). */
const LONG_KEY = 1000;

function hasLongLine(text: string, length: number): boolean {
  for (let start = 0; ;) {
    const end = text.indexOf("\n", start);
    if ((end === -1 ? text.length : end) - start > length) return true;
    if (end === -1) return false;
    start = end + 1;
  }
}

/**
 * YAML limits a key written without `?` to 1024 characters; js-yaml does not. The careful
 * reader, which also locates problems, refuses such keys, so it has the say on them.
 */
function hasLongKey(data: unknown): boolean {
  const pending = [data];
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      // One by one: spreading a list of a million items into push() overflows the stack.
      for (const item of value as unknown[]) pending.push(item);
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key.length > LONG_KEY) return true;
      pending.push(child);
    }
  }
  return false;
}

/** Whether a document needs the careful reader: anchors, aliases, merge keys, tags, directives, keys that are not text, errors. */
export function needsCarefulReading(text: string): boolean {
  return readQuickly(text).kind === "careful";
}

/**
 * A lone CR (old Mac line ends) is a line break to YAML 1.2, and to js-yaml, but not to the
 * `yaml` library, which read such a file as one line and so located every problem at 1:1.
 * Each becomes a LF: the same length, so every offset stays, and the same document, as
 * YAML reads any line break in a value as a LF. CRLF is left as it is.
 */
function withLineFeeds(text: string): string {
  return LONE_CR.test(text) ? text.replace(LONE_CR_ALL, "\n") : text;
}
const LONE_CR = /\r(?!\n)/;
const LONE_CR_ALL = /\r(?!\n)/g;

/**
 * Parse YAML text; returns the source or the problems found: syntax, several documents,
 * unknown tags, duplicate keys, nesting or aliases without bound.
 */
export function parseYamlSource(file: string, written: string): ParsedYaml {
  const text = withLineFeeds(written);
  const quick = readQuickly(text);
  switch (quick.kind) {
    case "careful":
      return parseCarefully(file, text);
    case "plain": {
      let careful: YamlSource | undefined;
      return {
        recovered: [],
        source: {
          file,
          data: quick.data,
          locate(path, options) {
            if (careful === undefined) {
              const parsed = parseCarefully(file, text);
              if ("issues" in parsed) return { file, line: 1, column: 1 };
              careful = parsed.source;
            }
            return careful.locate(path, options);
          },
        },
      };
    }
    default:
      return quick satisfies never;
  }
}
