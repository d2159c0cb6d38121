// A parsed YAML spec file that remembers where everything came from, so every
// problem can be reported as file:line:column.

import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from "yaml";
import type { SourceLocation, SpecIssue } from "../errors.js";

export type DocPath = readonly (string | number)[];

export interface YamlSource {
  file: string;
  /** The document as plain data. */
  data: unknown;
  /** Where the value at `path` is; with `key`, where its key is. Falls back to the nearest ancestor. */
  locate(path: DocPath, options?: { key?: boolean }): SourceLocation;
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

/** Parse YAML text; returns the source or the problems found (syntax, duplicate keys, aliases). */
export function parseYamlSource(file: string, text: string): { source: YamlSource } | { issues: SpecIssue[] } {
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

function walk(doc: Document, path: DocPath): Found {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let fallback = doc.contents as Node | undefined;
  for (const segment of path) {
    pair = undefined;
    if (isMap(node)) {
      const match = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
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
