// The duplicate-key scan: which key, where both are, and what is not a key at all.

import { describe, expect, it } from "vitest";
import { startCpuClock } from "../../test/helpers.js";
import { placeInText } from "../desired/decode-text.js";
import { findDuplicateKey } from "./duplicate-keys.js";

/** The duplicate in `text` with its two offsets as the substrings from there, which the test reads more easily. */
function found(text: string): { key: string; first: string; second: string } | undefined {
  JSON.parse(text); // the scan is given only what JSON.parse accepts
  const duplicate = findDuplicateKey(text);
  return duplicate && { key: duplicate.key, first: text.slice(duplicate.first), second: text.slice(duplicate.second) };
}

describe("findDuplicateKey", () => {
  it("finds none in JSON whose objects each give their keys once", () => {
    for (const text of [
      `{}`,
      `[]`,
      `"a"`,
      `1`,
      `{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}`,
      `[{"a": 1}, {"a": 1}]`,
      `{"a": {}, "b": [], "c": [[], {}], "d": {"e": {"f": {}}}}`,
      `{"a": [1, "a", {"b": "a"}], "b": null}`,
    ]) {
      expect(found(text), text).toBeUndefined();
    }
  });

  it("finds a key given twice, at the top, deep down, or after a nested value", () => {
    expect(found(`{"a": 1, "a": 2}`)).toEqual({ key: "a", first: `"a": 1, "a": 2}`, second: `"a": 2}` });
    expect(found(`[1, {"x": [{"q": "safe", "q": "evil"}]}]`)).toEqual({
      key: "q",
      first: `"q": "safe", "q": "evil"}]}]`,
      second: `"q": "evil"}]}]`,
    });
    expect(found(`{"a": {"b": [1, {"c": {}}]}, "z": 0, "a": 3}`)).toEqual({
      key: "a",
      first: `"a": {"b": [1, {"c": {}}]}, "z": 0, "a": 3}`,
      second: `"a": 3}`,
    });
    // The first of several, in the order of the text.
    expect(found(`{"b": {"c": 1, "c": 2}, "b": 3}`)?.key).toBe("c");
  });

  it("takes a string value, however it reads, for a value and not a key", () => {
    expect(found(`{"a": "\\"a\\": 1", "b": 1}`)).toBeUndefined();
    expect(found(`{"a": "a", "b": ["a", "a"], "c": "a"}`)).toBeUndefined();
    // A value ending in escaped backslashes ends at its quote; the key after it counts.
    expect(found(`{"a": "x\\\\", "a": 2}`)).toMatchObject({ key: "a", second: `"a": 2}` });
    expect(found(`{"a": "x\\\\\\"", "b": "\\\\\\\\", "b": 1}`)).toMatchObject({ key: "b", second: `"b": 1}` });
  });

  it("compares keys by what they decode to", () => {
    expect(found(`{"a": 1, "\\u0061": 2}`)).toMatchObject({ key: "a", second: `"\\u0061": 2}` });
    expect(found(`{"\\u00e9": 1, "é": 2}`)?.key).toBe("é");
    expect(found(`{"a\\"b": 1, "a\\u0022b": 2}`)?.key).toBe('a"b');
    expect(found(`{"\\uD800": 1, "\\ud800": 2}`)?.key).toBe("\ud800");
    expect(found(`{"__proto__": 1, "__proto__": 2}`)?.key).toBe("__proto__");
    // Keys that differ only in form of writing are the same; keys that differ are not.
    expect(found(`{"a": 1, "A": 2, "a ": 3, "\\u0062": 4, "\\\\u0061": 5}`)).toBeUndefined();
  });
});

describe("findDuplicateKey on large and hostile text", () => {
  it("takes one pass: runs of escapes, a huge object, deep nesting, and a plan-sized text cost little", () => {
    const jobs = Object.fromEntries(
      Array.from({ length: 10_000 }, (_, i) => [`job-${i}`, { query: `print("${i}")\n`.repeat(100), environment: { A: "1", B: '"' } }]),
    );
    const hostile = [
      JSON.stringify({ a: '\\"'.repeat(1_000_000), b: "\\".repeat(1_000_000), c: 1 }),
      JSON.stringify(Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k${i}`, i]))),
      `${"[".repeat(300_000)}{"a": 1}${"]".repeat(300_000)}`,
      JSON.stringify({ jobs }, null, 2),
    ];
    const cpuMs = startCpuClock();
    for (const text of hostile) expect(findDuplicateKey(text)).toBeUndefined();
    expect(cpuMs()).toBeLessThan(2000);
    // A duplicate after all that is still found.
    const last = hostile.at(-1) ?? "";
    expect(findDuplicateKey(`${last.slice(0, -1)}, "jobs": 1}`)?.key).toBe("jobs");
  }, 90_000);
});

describe("placeInText", () => {
  it("counts lines as LF, CRLF or a lone CR, and columns in characters from 1", () => {
    const text = `{\n  "a": 1,\r\n  "b": 2,\r"c": 3}`;
    expect(placeInText(text, 0)).toEqual({ line: 1, column: 1 });
    expect(placeInText(text, text.indexOf(`"a"`))).toEqual({ line: 2, column: 3 });
    expect(placeInText(text, text.indexOf(`"b"`))).toEqual({ line: 3, column: 3 });
    expect(placeInText(text, text.indexOf(`"c"`))).toEqual({ line: 4, column: 1 });
  });
});
