// A parsed YAML spec file that remembers where everything came from, so every
// problem can be reported as file:line:column.

import { createRequire } from "node:module";
import type * as YamlLibrary from "yaml";
import type { Document, Node, Pair } from "yaml";
import { CORE_SCHEMA, load as loadYaml } from "js-yaml";
import type { SourceLocation, SpecIssue } from "../errors.js";

export type DocPath = readonly (string | number)[];

export interface YamlSource {
  file: string;
  /** The document as plain data. */
  data: unknown;
  /** Where the value at `path` is; with `key`, where its key is. Falls back to the nearest ancestor. */
  locate(path: DocPath, options?: { key?: boolean }): SourceLocation;
}

// The careful parser is loaded only when it is needed: a valid spec never needs it to plan.
const require = createRequire(import.meta.url);
let yamlLibrary: typeof YamlLibrary | undefined;
function careful(): typeof YamlLibrary {
  yamlLibrary ??= require("yaml") as typeof YamlLibrary;
  return yamlLibrary;
}

/** Aliases allowed before expansion is refused: a billion-laughs document is refused, real specs fit easily. */
const MAX_ALIAS_COUNT = 100;

/** A key as shown in messages: long ones cut, odd characters escaped. */
export function showKey(key: string): string {
  const cut = key.length > 60 ? `${key.slice(0, 40)}…(${key.length} characters)` : key;
  return JSON.stringify(cut).slice(1, -1);
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

/** Anchors and aliases: documents with them take the careful path, which bounds their expansion. */
const ANCHOR_OR_ALIAS = /(^|[\s[{,:-])[&*][^\s,\]}]/m;

/**
 * Parse YAML text; returns the source or the problems found (syntax, duplicate keys, aliases).
 * A plain, valid document is read by js-yaml, an order of magnitude faster; positions then
 * come from the careful parse, made only when something needs locating (a problem to report).
 */
export function parseYamlSource(file: string, text: string): { source: YamlSource } | { issues: SpecIssue[] } {
  if (!ANCHOR_OR_ALIAS.test(text)) {
    let data: unknown;
    let fast = true;
    try {
      // CORE_SCHEMA is YAML 1.2's, as the careful parser reads it: dates stay strings.
      data = loadYaml(text, { schema: CORE_SCHEMA, filename: file });
    } catch {
      fast = false; // let the careful parser say what is wrong, with its positions
    }
    if (fast) {
      let careful: YamlSource | undefined;
      return {
        source: {
          file,
          data,
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
  }
  return parseCarefully(file, text);
}

function parseCarefully(file: string, text: string): { source: YamlSource } | { issues: SpecIssue[] } {
  const { LineCounter, parseDocument } = careful();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, strict: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };

  const issues: SpecIssue[] = [];
  for (const error of doc.errors) {
    issues.push({ location: at(error.pos[0]), path: "", message: yamlMessage(error.message) });
  }
  if (issues.length > 0) return { issues };

  issues.push(...findDuplicateKeys(doc, at));
  if (issues.length > 0) return { issues };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = (error as Error).message;
    return {
      issues: [
        {
          location: at(0),
          path: "",
          message: /alias/i.test(message)
            ? `too many YAML aliases (more than ${MAX_ALIAS_COUNT}): the document would expand without bound; write the values out`
            : `the YAML cannot be read: ${message}`,
        },
      ],
    };
  }

  return {
    source: {
      file,
      data,
      locate(path, options = {}) {
        const found = walk(doc, path);
        const node = options.key === true && found.pair !== undefined ? (found.pair.key as Node | null) : found.node;
        const range = node?.range ?? found.fallback?.range;
        return at(range?.[0] ?? 0);
      },
    },
  };
}

function yamlMessage(message: string): string {
  // yaml's messages end with a code excerpt on later lines; keep the first line.
  const first = message.split("\n")[0] ?? message;
  return `invalid YAML: ${first.replace(/ at line \d+, column \d+:?$/, "")}`;
}

interface Found {
  node: Node | undefined;
  pair: Pair | undefined;
  /** The deepest node reached, when the path goes further than the document. */
  fallback: Node | undefined;
}

/** Each mapping's keys indexed once: a spec with thousands of jobs is located in linear time. */
const keyIndex = new WeakMap<object, Map<string, Pair>>();

function pairFor(map: { items: Pair[] }, key: string): Pair | undefined {
  let index = keyIndex.get(map);
  if (index === undefined) {
    index = new Map();
    for (const item of map.items) {
      // The first occurrence wins, as it does when the document is read.
      if (careful().isScalar(item.key) && !index.has(String(item.key.value))) index.set(String(item.key.value), item);
    }
    keyIndex.set(map, index);
  }
  return index.get(key);
}

function walk(doc: Document, path: DocPath): Found {
  const { isMap, isScalar, isSeq } = careful();
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let fallback = doc.contents as Node | undefined;
  for (const segment of path) {
    pair = undefined;
    if (isMap(node)) {
      const match = pairFor(node, String(segment));
      if (match === undefined) return { node: undefined, pair: undefined, fallback };
      pair = match;
      node = match.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
    } else {
      return { node: undefined, pair: undefined, fallback };
    }
    if (node !== null && node !== undefined && typeof node === "object" && "range" in node) fallback = node as Node;
    else if (pair !== undefined && isScalar(pair.key)) fallback = pair.key;
  }
  return { node: node as Node | undefined, pair, fallback };
}

function findDuplicateKeys(doc: Document, at: (offset: number) => SourceLocation): SpecIssue[] {
  const { isMap, isPair, isScalar, isSeq } = careful();
  const issues: SpecIssue[] = [];
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      const seen = new Map<string, SourceLocation>();
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key)) continue;
        const key = String(item.key.value);
        const here = at(item.key.range?.[0] ?? 0);
        const first = seen.get(key);
        if (first !== undefined) {
          const what = path.length === 1 && path[0] === "jobs" ? `job "${key}" is defined twice` : `key "${key}" appears twice`;
          issues.push({
            location: here,
            path: formatPath([...path, key]),
            message: `${what}: first at ${first.file}:${first.line}:${first.column}, again here; keep one`,
          });
        } else {
          seen.set(key, here);
        }
        visit(item.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    }
  };
  visit(doc.contents, []);
  return issues;
}
