// JSON read with the place of every value, for the emulator's --config file: a mistake in
// it, of syntax or of content, is said at its file:line:column (docs/architecture.md, "The
// emulator"). Messages never quote the text: a config holds tokens.

import { placeInText } from "../desired/decode-text.js";
import type { DocPath } from "../desired/yaml-source.js";

/** Text that is not JSON, or (`duplicate`) JSON that gives a key twice in one object, where a reader keeps either value. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly duplicate = false,
  ) {
    super(message);
  }
}

export interface LocatedJson {
  value: unknown;
  /** The offset of the value at `path`, or of its key when `key` is set; the nearest enclosing value's if it has none. */
  offsetOf(path: DocPath, key?: boolean): number;
}

/** Deeper than any config: a file nesting further is not one, and a deep one would overflow the stack. */
const MAX_DEPTH = 64;

/** Where a value starts, and its key in an object; its items or members by index or key. */
interface Place {
  at: number;
  keyAt?: number;
  inner?: Map<string | number, Place>;
}

/** A JSON number, read where the parser stands (sticky): linear, however long the number is. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parse `text` as JSON (RFC 8259), keeping where each value and key starts; throws JsonSyntaxError. */
export function parseLocatedJson(text: string): LocatedJson {
  // A tree of places, not a map keyed by each whole path: a path's text repeats every key
  // above it, and a long key over many values made that quadratic in the file's size.
  const root: Place = { at: 0 };
  let at = 0;

  const blank = () => {
    while (at < text.length && " \t\n\r".includes(text.charAt(at))) at++;
  };
  const fail = (message: string): never => {
    throw new JsonSyntaxError(at >= text.length ? `${message}, but the file ends` : message, at);
  };
  const readString = (what: string): string => {
    const start = at;
    at++;
    for (;;) {
      const c = text.charCodeAt(at);
      if (at >= text.length) {
        at = start;
        fail(`${what} opened here is not closed: add the closing "`);
      }
      if (c === 0x22) break;
      if (c < 0x20) fail(`a line break or control character inside ${what}: write it as an escape (\\n, \\t, \\u0001)`);
      if (c === 0x5c) {
        const next = text.charAt(at + 1);
        if (next === "u" ? !/^[0-9A-Fa-f]{4}$/.test(text.slice(at + 2, at + 6)) : !'"\\/bfnrt'.includes(next) || next === "") {
          fail(`a backslash inside ${what} starts no escape JSON knows: write \\\\ for a backslash`);
        }
        at += next === "u" ? 6 : 2;
      } else at++;
    }
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  /** After an item of a list or an object: true past its `close`, false past a ',' that more follows. */
  const endsAt = (close: string, what: string): boolean => {
    blank();
    const next = text.charAt(at);
    if (next === close || next === ",") at++;
    if (next === close) return true;
    if (next !== ",") fail(`expected ',' or '${close}' after the ${what}`);
    blank();
    if (text.charAt(at) === close) fail(`a ',' before '${close}': JSON takes no trailing comma; remove it`);
    return false;
  };
  const readValue = (depth: number, place: Place): unknown => {
    blank();
    if (depth > MAX_DEPTH) fail(`lists and objects nest more than ${MAX_DEPTH} levels deep here, which no config does`);
    place.at = at;
    const c = text.charAt(at);
    if (c === "{") {
      at++;
      const object: Record<string, unknown> = {};
      const members = new Map<string | number, Place>();
      place.inner = members;
      blank();
      if (text.charAt(at) === "}") {
        at++;
        return object;
      }
      for (;;) {
        blank();
        if (text.charAt(at) !== '"') fail('expected a key in double quotes ("name")');
        const keyAt = at;
        const key = readString("a key");
        const first = members.get(key)?.keyAt;
        if (first !== undefined) {
          const { line, column } = placeInText(text, first);
          throw new JsonSyntaxError(
            `this key is given twice in one object (first at line ${line}, column ${column}): give it once`,
            keyAt,
            true,
          );
        }
        const member: Place = { at: keyAt, keyAt };
        members.set(key, member);
        blank();
        if (text.charAt(at) !== ":") fail("expected ':' after the key");
        at++;
        Object.defineProperty(object, key, { value: readValue(depth + 1, member), enumerable: true, writable: true, configurable: true });
        if (endsAt("}", "value")) return object;
      }
    }
    if (c === "[") {
      at++;
      const list: unknown[] = [];
      const items = new Map<string | number, Place>();
      place.inner = items;
      blank();
      if (text.charAt(at) === "]") {
        at++;
        return list;
      }
      for (;;) {
        const item: Place = { at };
        items.set(list.length, item);
        list.push(readValue(depth + 1, item));
        if (endsAt("]", "item")) return list;
      }
    }
    if (c === '"') return readString("a string");
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (number !== null) {
      at += number[0].length;
      return Number(number[0]);
    }
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return value;
      }
    }
    return fail("expected a value: a string in double quotes, a number, true, false, null, a list [...] or an object {...}");
  };

  const value = readValue(0, root);
  blank();
  if (at < text.length) fail("more text after the JSON value ends: a file holds one value");
  return {
    value,
    offsetOf(path: DocPath, key = false): number {
      let parent = root;
      for (const [n, step] of path.entries()) {
        const place = parent.inner?.get(step);
        if (place === undefined) return parent.at;
        if (n === path.length - 1) return key ? (place.keyAt ?? parent.at) : place.at;
        parent = place;
      }
      return root.at;
    },
  };
}
