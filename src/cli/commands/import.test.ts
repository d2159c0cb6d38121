// The imported spec's text: every value holding a character that is not seen reads back the
// same through both YAML readers the tool uses, with no such character left as itself.

import { load } from "js-yaml";
import { Document, parse, parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { findUnseenInJson } from "../../invisible.js";
import { seenYaml } from "./import.js";

/** A small seeded generator, so that a failure names its input. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
}

const PIECES = [
  "a",
  "Z",
  " ",
  "\t",
  "\n",
  "\r\n",
  '"',
  "'",
  "\\",
  "#",
  ": ",
  "- ",
  "\u0001",
  "\u007f",
  "\u0085",
  "\u200b",
  "\u202e",
  "\u2028",
  "\ufeff",
  "\ufe0f",
  "\u26a0",
  "\u26a0\ufe0f",
  "\u{1F600}",
  "\u{E0041}",
  "\u{1D173}",
  "é",
  "日本",
  "${env:X}",
];

describe("seenYaml", () => {
  it("writes 2,000 random values so that both readers read them back exactly, with every unseen character escaped", () => {
    const next = random(7);
    // Fixed first: values of blank lines only, which the yaml library alone writes as a block
    // whose blanks read back as indentation (from review).
    const fixed = [" \n", " \n \n", "\t\n", "\n  ", ""];
    for (let n = 0; n < 2_000 + fixed.length; n++) {
      const length = 1 + Math.floor(next() * 8);
      const value = fixed[n] ?? Array.from({ length }, () => PIECES[Math.floor(next() * PIECES.length)] ?? "").join("");
      const doc = new Document({ jobs: { [`job-${n}`]: { query: value, environment: { V: value } } } });
      const text = seenYaml(doc);
      const expected = { jobs: { [`job-${n}`]: { query: value, environment: { V: value } } } };
      expect(parse(text), JSON.stringify(value)).toEqual(expected);
      expect(load(text), JSON.stringify(value)).toEqual(expected);
      // An emoji's presentation selector after a seen character may stay; nothing else unseen does.
      expect(findUnseenInJson(text.replace(/(?<=\P{Default_Ignorable_Code_Point})\ufe0f/gu, "")), JSON.stringify(value)).toBe(-1);
    }
  });

  it("writes a value with line breaks that a block cannot hold double-quoted line by line, as a mapping's value or a list's item", () => {
    // Found by importing a CRLF query: it was one double-quoted line of the spec, however long.
    const values = ["a\r\nb\r\n", "a\rb", "\r\n \r\n  x", "x\n\ty\u0001", " \u2028\n\n ", "\ufeff#\n- a: b\n", "a\\\r\n\\ b", '"\r\n"'];
    const expected = {
      jobs: { j: { query: "q", requirements: values, environment: Object.fromEntries(values.map((v, i) => [`V${i}`, v])) } },
    };
    const text = seenYaml(new Document(expected));
    expect(text).toContain('    requirements:\n      - "a\\r\\n\\\n        b\\r\\n"\n      - "a\\r\\\n        b"\n');
    expect(text).toContain('      V2: "\\r\\n\\\n        \\ \\r\\n\\\n        \\  x"\n');
    expect(parse(text)).toEqual(expected);
    expect(parse(text, { version: "1.1" })).toEqual(expected);
    expect(load(text)).toEqual(expected);
  });

  it("quotes a one-line value holding a tab, which PyYAML refuses in plain text, so that the file reads there too", () => {
    // Found by reading imported specs with PyYAML: a query `a\tb` or a requirement
    // `numpy\t# pinned` written plain stopped it at the tab, the whole file unread.
    const expected = { jobs: { "a\tb": { query: "x\ty", requirements: ["numpy\t# pinned"], environment: { V: "\t" } } } };
    const text = seenYaml(new Document(expected));
    expect(text).toBe(
      'jobs:\n  "a\\tb":\n    query: "x\\ty"\n    requirements:\n      - "numpy\\t# pinned"\n    environment:\n      V: "\\t"\n',
    );
    expect(parse(text)).toEqual(expected);
    expect(load(text)).toEqual(expected);
    // A block keeps its tabs, which every reader takes inside a block.
    expect(seenYaml(new Document({ query: "if x:\n\tprint(1)\n" }))).toBe("query: |\n  if x:\n  \tprint(1)\n");
  });

  it("writes a job key whose escapes make it longer than 1024 characters as an explicit key, which YAML allows", () => {
    // Found by importing a job named "a" and 200 U+200B: each escaped as \u200b, the key was
    // written as `"a\u200b…": ` on 1,206 characters; YAML's limit for `key:` is 1024, so the
    // yaml library (and the editor's language server) reported KEY_OVER_1024_CHARS and PyYAML
    // refused the file.
    const name = `a${"\u200b".repeat(200)}`;
    const expected = { jobs: { [name]: { query: "x" }, b: { query: "y" } } };
    const text = seenYaml(new Document(expected));
    expect(text).toContain(`  ? "a${String.raw`\u200b`.repeat(200)}"\n  : query: x\n  b:\n`);
    expect(parseDocument(text).errors).toEqual([]);
    expect(parse(text)).toEqual(expected);
    expect(load(text)).toEqual(expected);
  });

  it("quotes text a YAML 1.1 reader reads as a boolean, null, a number or a date, so that every reader reads the same spec", () => {
    // Found by importing jobs named yes, on and 2024-01-01 (and a variable named Y): written
    // plain, PyYAML and the YAML 1.1 tools built on it read the keys as true, true and a date.
    const texts = [
      "yes",
      "No",
      "on",
      "OFF",
      "y",
      "N",
      "~",
      "NULL",
      "0b101",
      "0755",
      "1_000",
      "0x1F",
      "1:20",
      "1:20.5",
      "1.",
      ".5",
      "1e3",
      "-.inf",
      ".NaN",
      "2024-01-01",
      "2001-12-14 21:59:43.10 -5",
      "=",
      "<<",
    ];
    const jobs = Object.fromEntries(texts.map((text) => [text, { query: text, environment: { [text]: "x" } }]));
    const text = seenYaml(new Document({ jobs }));
    for (const t of texts) expect(text).toContain(`  ${JSON.stringify(t)}:\n    query: ${JSON.stringify(t)}\n`);
    expect(parse(text, { version: "1.1" })).toEqual({ jobs });
    expect(parse(text)).toEqual({ jobs });
    expect(load(text)).toEqual({ jobs });
    // Text no YAML reader takes for anything else stays plain.
    expect(seenYaml(new Document({ jobs: { nightly: { query: "print(1)", python_version: "3.12" } } }))).toBe(
      'jobs:\n  nightly:\n    query: print(1)\n    python_version: "3.12"\n',
    );
  });
});
