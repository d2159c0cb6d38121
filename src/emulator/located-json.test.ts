import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { startCpuClock } from "../../test/helpers.js";
import { JsonSyntaxError, parseLocatedJson } from "./located-json.js";

/** What JSON.parse makes of `text`, or that it refuses it. */
function standard(text: string): { value: unknown } | "refused" {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return "refused";
  }
}

function located(text: string): { value: unknown } | "refused" | "duplicate" {
  try {
    return { value: parseLocatedJson(text).value };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return error.duplicate ? "duplicate" : "refused";
  }
}

// Pieces of JSON and of near-JSON: text made of them is often valid, and often wrong in one place.
const PIECES = ["{", "}", "[", "]", ",", ":", '"', "a", "\\", "u", "0", "1", "-", "+", ".", "e", " ", "\n", "\t", "\u00a0", "\r"];
const MORE = ["true", "false", "null", '"k"', '"v"', "12", "-0", "1e5", "0.5", "\\n", "\\u00e9", "\\x", "01", "\u2028"];

describe("parseLocatedJson", () => {
  it("reads what JSON.parse reads, to the same value, and refuses what it refuses", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES, ...MORE), { maxLength: 14 }), (pieces) => {
        const text = pieces.join("");
        const ours = located(text);
        // A key given twice is JSON that JSON.parse takes (keeping the last); a config refuses it.
        if (ours !== "duplicate") expect(ours).toEqual(standard(text));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, "\t"), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(located(text)).toEqual(standard(text));
      }),
    );
  });

  it("gives where each value and key starts, and the enclosing value's for a path it lacks", () => {
    const text = '{\n  "tokens": [\n    {"token": "t", "teams": ["a", ""]}\n  ]\n}';
    const json = parseLocatedJson(text);
    expect(json.offsetOf(["tokens", 0, "teams", 1])).toBe(text.indexOf('""'));
    expect(json.offsetOf(["tokens", 0, "teams"], true)).toBe(text.indexOf('"teams"'));
    expect(json.offsetOf(["tokens", 0, "scopes"])).toBe(text.indexOf('{"token"'));
    expect(json.offsetOf([])).toBe(0);
  });

  it("says a string not closed where it opens", () => {
    expect(() => parseLocatedJson('{"a": "abc')).toThrow(
      expect.objectContaining({ offset: 6, message: 'a string opened here is not closed: add the closing "' }),
    );
  });

  it("refuses nesting deeper than any config at its place, before the stack runs out", () => {
    const text = "[".repeat(100_000);
    expect(() => parseLocatedJson(text)).toThrow(expect.objectContaining({ offset: 65 }));
  });

  it("reads a number of any length, as JSON.parse does", () => {
    // Found by hostile input: a number was read from the next 400 characters only, so one of
    // 500 digits was refused as "expected ',' or ']' after the item", at its 401st digit.
    for (const text of ["1".repeat(500), `[0.${"0".repeat(500)}1, -${"9".repeat(450)}e-3]`]) expect(located(text)).toEqual(standard(text));
  });

  it("refuses every control character inside a string, U+001F too, and takes U+007F, as JSON.parse does", () => {
    for (const text of ['"\u0000"', '"a\u001f"', '{"k\u001f": 1}', '"\u007f"']) expect(located(text)).toEqual(standard(text));
    expect(located('"\u001f"')).toBe("refused");
  });

  it("keeps a key __proto__ as a member, as JSON.parse does, not as the object's prototype", () => {
    const value = parseLocatedJson('{"__proto__": {"token": "t"}}').value as object;
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, "__proto__")?.value).toEqual({ token: "t" });
  });

  it("reads in time linear in the text: a long key over many values", () => {
    // Found by hostile input: each value's place was kept under its whole path's text, which
    // repeats every key above it, so a 36 kB file of a 20,000-character key over 2,000 objects
    // took seconds of CPU, and one twice that size four times as long.
    const key = "k".repeat(20_000);
    const text = JSON.stringify({ [key]: Array.from({ length: 2_000 }, () => ({ a: 1 })) });
    const cpuMs = startCpuClock();
    const json = parseLocatedJson(text);
    expect(cpuMs()).toBeLessThan(2000);
    expect(json.offsetOf([key, 1_999, "a"])).toBe(text.lastIndexOf("1"));
    expect(json.offsetOf([key, 1_999, "a"], true)).toBe(text.lastIndexOf('"a"'));
    expect(json.offsetOf([key, 2_000, "a"], true)).toBe(text.indexOf("["));
  }, 90_000);
});
