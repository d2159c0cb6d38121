// Finding a key given twice in one JSON object. JSON.parse keeps the last of two equal keys
// without a word, and a saved plan's seal covers the parsed document, so a decoy written
// before the real value would keep the seal while a reader of the file takes the decoy
// (docs/architecture.md, "The plan file"). One pass over text JSON.parse has accepted:
// strings are skipped with indexOf, and keys compared by what they decode to.

import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "../json-codes.js";

/** A key given a second time in one object: its decoded text, and the offsets of the opening quotes of both. */
export interface DuplicateKey {
  key: string;
  first: number;
  second: number;
}

/** The first key given twice in one object of `text`, which JSON.parse must have accepted; undefined when there is none. */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  // The keys of each enclosing container, with where each was given; null for an array.
  const enclosing: (Map<string, number> | null)[] = [];
  let keys: Map<string, number> | null = null;
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (expectKey && keys !== null) {
        const key = decodeKey(text, i, end);
        const first = keys.get(key);
        if (first !== undefined) return { key, first, second: i };
        keys.set(key, i);
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      enclosing.push(keys);
      keys = c === OPEN_BRACE ? new Map() : null;
      expectKey = keys !== null;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      keys = enclosing.pop() ?? null;
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = keys !== null;
    }
    i++;
  }
  return undefined;
}

/** The offset of the quote that closes the string opening at `start`: the next one not escaped by an odd run of backslashes. */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}

/** The key whose quotes are at `start` and `end`, as JSON.parse reads it: `"\u0061"` is `a`. */
function decodeKey(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  return raw.includes("\\") ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
}
