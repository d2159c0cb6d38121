import { describe, expect, it } from "vitest";
import { escapeUnseenInJson, printable } from "./invisible.js";

describe("printable", () => {
  it("shows control characters and the characters that reorder or hide text as escapes", () => {
    expect(printable("a\u001b[2Jb\rc\u0085d\te")).toBe("a^[[2Jb^Mc\\x85d\te");
    expect(printable("exe\u202etxt\u2066x\u2069")).toBe("exe\\u202etxt\\u2066x\\u2069");
  });

  it("escapes the zero-width and blank characters an adversarial tester found passing: a key or value reads as another", () => {
    // `plain\u2060zero\ufeffwidth\u200d` was shown as `plainzerowidth`, and `eu → eu\u200d` as no change.
    expect(printable("plain\u2060zero\ufeffwidth\u200d")).toBe("plain\\u2060zero\\ufeffwidth\\u200d");
    const hidden = ["\u00ad", "\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180e", "\u200c", "\u2061", "\u2064", "\u3164", "\uffa0"];
    for (const c of hidden)
      expect(printable(`a${c}b`), c.charCodeAt(0).toString(16)).toBe(`a\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}b`);
  });

  it("leaves ordinary text alone, accents and other scripts included", () => {
    expect(printable("café Ελληνικά 日本語 ✓")).toBe("café Ελληνικά 日本語 ✓");
  });
});

describe("escapeUnseenInJson", () => {
  it("writes DEL, C1 controls and the invisible characters of JSON text as escapes, and leaves the rest, so it parses to the same", () => {
    const value = 'a\u202eb\u200bc\u0085d\u007fe\u2028f\ufeff é\n"';
    const json = escapeUnseenInJson(JSON.stringify({ [value]: value }));
    expect(json).toBe(String.raw`{"a\u202eb\u200bc\u0085d\u007fe\u2028f\ufeff é\n\"":"a\u202eb\u200bc\u0085d\u007fe\u2028f\ufeff é\n\""}`);
    expect(JSON.parse(json)).toEqual({ [value]: value });
  });
});
