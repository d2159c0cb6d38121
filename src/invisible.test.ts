import { describe, expect, it } from "vitest";
import {
  escapeUnseenInJson,
  findUnseenInJson,
  hasControlCharacters,
  jsonForReaders,
  printable,
  printableLines,
  quoted,
} from "./invisible.js";

describe("printable", () => {
  it("shows control characters and the characters that reorder or hide text as escapes", () => {
    expect(printable("a\u001b[2Jb\rc\u0085d\te")).toBe("a^[[2Jb^Mc\\x85d\te");
    expect(printable("exe\u202etxt\u2066x\u2069")).toBe("exe\\u202etxt\\u2066x\\u2069");
  });

  it("shows half of a surrogate pair alone, either half, which prints as U+FFFD, and leaves a whole pair", () => {
    expect(printable("a\ud83d|\ude00|\ud83d\ude00")).toBe("a\\ud83d|\\ude00|\ud83d\ude00");
  });

  it("keeps the line breaks of a message of several lines, and shows every other control character", () => {
    // Error messages and hints: a path or a reply from Studio in them cannot clear the terminal.
    expect(printableLines("a\u001b[2J\nb\r\u202e\n")).toBe("a^[[2J\nb^M\\u202e\n");
  });

  it("finds a C1 control character as it finds a C0 one: each is one that listed records may not hold", () => {
    expect(["ok é", "a\u0007", "a\u007f", "a\u0085", "a\u009f", "a\u00a0"].map(hasControlCharacters)).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("escapes the zero-width and blank characters an adversarial tester found passing: a key or value reads as another", () => {
    // `plain\u2060zero\ufeffwidth\u200d` was shown as `plainzerowidth`, and `eu → eu\u200d` as no change.
    expect(printable("plain\u2060zero\ufeffwidth\u200d")).toBe("plain\\u2060zero\\ufeffwidth\\u200d");
    const hidden = ["\u00ad", "\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180e", "\u200c", "\u2061", "\u2064", "\u3164", "\uffa0"];
    for (const c of hidden)
      expect(printable(`a${c}b`), c.charCodeAt(0).toString(16)).toBe(`a\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}b`);
  });

  it("escapes the default-ignorable and format characters a review found passing, past U+FFFF as their two halves", () => {
    // Tag characters spell hidden text ("ASCII smuggling"); the others are unseen format
    // controls: variation selectors, the Mongolian ones, deprecated format controls,
    // interlinear annotation marks, the shorthand and musical format controls.
    const cases: [string, string][] = [
      ["\u{E0041}", "\\udb40\\udc41"],
      ["\u{E0001}", "\\udb40\\udc01"],
      ["\u{E01EF}", "\\udb40\\uddef"],
      ["\ufe0f", "\\ufe0f"],
      ["\u180b", "\\u180b"],
      ["\u206a", "\\u206a"],
      ["\ufff9", "\\ufff9"],
      ["\u{1BCA0}", "\\ud82f\\udca0"],
      ["\u{1D173}", "\\ud834\\udd73"],
    ];
    for (const [c, escaped] of cases) expect(printable(`a${c}b`), escaped).toBe(`a${escaped}b`);
  });

  it("escapes each range past U+FFFF from its first to its last character, and none beside", () => {
    const edges: [number, boolean][] = [
      [0x1342f, false],
      [0x13430, true],
      [0x1343f, true],
      [0x13440, false],
      [0x1bc9f, false],
      [0x1bca0, true],
      [0x1bca3, true],
      [0x1bca4, false],
      [0x1d172, false],
      [0x1d173, true],
      [0x1d17a, true],
      [0x1d17b, false],
      [0xdffff, false],
      [0xe0000, true],
      [0xe0fff, true],
      [0xe1000, false],
    ];
    for (const [point, hidden] of edges) {
      const c = String.fromCodePoint(point);
      expect(printable(c) !== c, point.toString(16)).toBe(hidden);
    }
  });

  it("leaves seen characters past U+FFFF alone: an emoji, a musical symbol, a CJK extension character", () => {
    expect(printable("\u{1F600} \u{1D11E} \u{20000}")).toBe("\u{1F600} \u{1D11E} \u{20000}");
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

describe("JSON for readers", () => {
  it("escapes characters past U+FFFF that are not seen, and still parses to the same value", () => {
    const value = { query: "print('a\u{E0041}\u{E0042}b\u{1D173}')", name: "\u{1F600}" };
    const text = jsonForReaders(value);
    expect(text).toBe('{\n  "query": "print(\'a\\udb40\\udc41\\udb40\\udc42b\\ud834\\udd73\')",\n  "name": "\u{1F600}"\n}\n');
    expect(findUnseenInJson(text)).toBe(-1);
    expect(JSON.parse(text)).toEqual(value);
  });

  it("finds the first unseen character written as itself, or none", () => {
    expect(findUnseenInJson('{"a": "x\u200by"}')).toBe(8);
    expect(findUnseenInJson('{"a": "x\u{E0041}"}')).toBe(8);
    expect(findUnseenInJson(String.raw`{"a": "x\u200by"}`)).toBe(-1);
    expect(findUnseenInJson('{"a": "\u{1F600}"}')).toBe(-1);
  });
});

describe("quoted", () => {
  it("quotes as JSON does, a line break, a control and an unseen character each escaped", () => {
    // A bidi override or a C1 control, which JSON.stringify leaves as is, would reorder or hide the text around it.
    expect(quoted('a"b\n\u001b[2J\u202e\u0085\u200bz')).toBe('"a\\"b\\n\\u001b[2J\\u202e\\u0085\\u200bz"');
  });
});
