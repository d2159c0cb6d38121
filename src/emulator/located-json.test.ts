import fc from "fast-check";
import { describe, expect, it } from "vitest";
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

  it("refuses nesting deeper than any config at its place, before the stack runs out", () => {
    const text = "[".repeat(100_000);
    expect(() => parseLocatedJson(text)).toThrow(expect.objectContaining({ offset: 65 }));
  });
});
