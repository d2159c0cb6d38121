// Reading YAML: which reader a document takes (exactly, never by a guess that sends
// every quoted cron down the slow path), nesting bounded before anything recursive runs,
// and merge keys with positions that still point where a value is written.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatSpecIssue } from "../src/errors.js";
import { parseCarefully } from "../src/desired/yaml-careful.js";
import { formatPath, needsCarefulReading, parseYamlSource, type ParsedYaml } from "../src/desired/yaml-source.js";
import { startCpuClock } from "./helpers.js";

function problems(parsed: ParsedYaml): string[] {
  return "issues" in parsed ? parsed.issues.map(formatSpecIssue) : [];
}

function data(parsed: ParsedYaml): unknown {
  if ("issues" in parsed) throw new Error(problems(parsed).join("\n"));
  return parsed.source.data;
}

describe("both readers read a document alike (YAML 1.2's core schema)", () => {
  const scalars: Record<string, string | number | boolean | null> = {
    "0b11": "0b11",
    "1_000": "1_000",
    "+0x1": "+0x1",
    "-0x1": "-0x1",
    "-0o7": "-0o7",
    "+0b1": "+0b1",
    "0x1F": 31,
    "0o17": 15,
    "017": 17,
    "+12": 12,
    "-0": -0,
    "3.10": 3.1,
    "+.5": 0.5,
    "+.1e1": 1,
    "1e3": 1000,
    "1.": 1,
    ".": ".",
    "-.inf": Number.NEGATIVE_INFINITY,
    ".NaN": NaN,
    ".nan.": ".nan.",
    "1:30": "1:30",
    "0x": "0x",
    "+": "+",
    null: null,
    "~": null,
    TRUE: true,
    yes: "yes",
  };
  it.each(Object.entries(scalars))("%s", (written, value) => {
    const plain = `v: ${written}\njobs:\n  a: 1\n`;
    const anchored = `x-a: &a 1\n${plain}`;
    expect(needsCarefulReading(plain)).toBe(false);
    expect(needsCarefulReading(anchored)).toBe(true);
    const quick = data(parseYamlSource("f.yaml", plain));
    expect(quick).toEqual({ v: value, jobs: { a: 1 } });
    expect(data(parseYamlSource("f.yaml", anchored))).toEqual({ "x-a": 1, ...(quick as object) });
  });

  // Found by an adversarial tester: `0x1F:` made a job named 31, and `0x1F:` beside `31:`
  // was "defined twice". A key is a name: text is kept as written, and the rest is refused,
  // by both readers alike, where it is written.
  it.each(Object.entries(scalars))("%s as a key", (written, value) => {
    const plain = `jobs:\n  ${written}: 1\n`;
    const careful = parseCarefully("f.yaml", plain);
    if (typeof value === "string") {
      expect(needsCarefulReading(plain)).toBe(false);
      expect(data(parseYamlSource("f.yaml", plain))).toEqual({ jobs: { [written]: 1 } });
      expect(data(careful)).toEqual({ jobs: { [written]: 1 } });
    } else {
      expect(needsCarefulReading(plain)).toBe(true);
      expect(problems(parseYamlSource("f.yaml", plain))).toEqual(problems(careful));
      expect(problems(careful)).toEqual([
        expect.stringMatching(new RegExp(`^f\\.yaml:2:3: job key \\S+ is read as .*; quote it: "\\S+": \\(at jobs`)),
      ]);
    }
  });
});

describe("choosing the reader", () => {
  const plain = {
    "a quoted cron ending in *": 'jobs:\n  a:\n    schedule:\n      cron: "1 1 * * *"\n',
    "a single-quoted cron": "cron: '*/5 * * * *'\n",
    "& and * inside quoted strings": 'a: "x &y *z"\nb: \'&a *b\'\nc: "[*, &]"\n',
    "& and * in comments": "a: 1 # &anchor *alias\n# <<: *base\nb: 2\n",
    "& and * inside plain scalars": "a: R&D *not an alias\nb: x*y\n",
    "* and ! in a block scalar": "query: |\n  x = [*a]\n  if not x != y: print('!!js')\n  <<: *base\n",
    "a quoted << key": '"<<": 1\n',
    "a ? inside words": "a: why? because\n",
  };
  it.each(Object.entries(plain))("reads %s quickly", (_name, text) => {
    expect(needsCarefulReading(text)).toBe(false);
    // The quick reader's data is what the careful one reads.
    expect(data(parseYamlSource("f.yaml", text))).toEqual(parse(text));
  });

  const careful = {
    "an anchor": "a: &x 1\nb: 2\n",
    "an anchor and an alias": "a: &x 1\nb: *x\n",
    "a merge key": "base: &b {x: 1}\nc:\n  <<: *b\n",
    "a merge key without an anchor": "c:\n  <<: {x: 1}\n",
    "a core tag": "a: !!str 3.10\n",
    "an unknown tag": "a: !!js/function 'f'\n",
    "a local tag": "a: !python x\n",
    "a directive": "%YAML 1.2\n---\na: 1\n",
    "a list as a key": "? [a, b]\n: 1\n",
    "a syntax error": "a: [1\n",
    "a duplicate key": "a: 1\na: 2\n",
    "two documents": "a: 1\n---\nb: 2\n",
  };
  it.each(Object.entries(careful))("reads %s carefully", (_name, text) => {
    expect(needsCarefulReading(text)).toBe(true);
  });
});

describe("what is refused, with its place", () => {
  it("refuses unknown tags instead of dropping them, and keeps the core ones", () => {
    expect(problems(parseYamlSource("f.yaml", 'a: 1\nquery: !!js/function "function () {}"\n'))).toEqual([
      "f.yaml:2:8: unknown tag !!js/function: a spec uses only plain values, lists and mappings; remove the tag",
    ]);
    expect(problems(parseYamlSource("f.yaml", "a: !!binary aGVsbG8=\n"))).toEqual([
      "f.yaml:1:4: unknown tag !!binary: a spec uses only plain values, lists and mappings; remove the tag",
    ]);
    expect(data(parseYamlSource("f.yaml", "v: !!str 3.10\nn: !!int '7'\n"))).toEqual({ v: "3.10", n: 7 });
    // Found by an adversarial tester: a core tag on a value that does not fit it was called unknown.
    expect(problems(parseYamlSource("f.yaml", "a: !!bool 3\n"))).toEqual([
      "f.yaml:1:4: the value is not what its tag !!bool says; a spec needs no tags: remove it",
    ]);
  });

  it("refuses the non-specific tag !, which js-yaml read as null and the careful reader as text", () => {
    const refused = "the tag ! is not used in a spec: remove it (quote a value that must be text)";
    // Found by an adversarial tester: `A: !` was null, until an anchor elsewhere in the file made it "".
    expect(problems(parseYamlSource("f.yaml", "environment:\n  A: !\n"))).toEqual([`f.yaml:2:6: ${refused}`]);
    expect(problems(parseYamlSource("f.yaml", "x-a: &a 1\nenvironment:\n  A: !\n"))).toEqual([`f.yaml:3:6: ${refused}`]);
    expect(problems(parseYamlSource("f.yaml", "workers: ! 3\n"))).toEqual([`f.yaml:1:10: ${refused}`]);
    expect(problems(parseYamlSource("f.yaml", "a: [x, ! [1]]\n"))).toEqual([`f.yaml:1:8: ${refused}`]);
    // In its place among syntax problems.
    expect(problems(parseYamlSource("f.yaml", "a: [1\nb: !\n"))).toEqual([
      "f.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; a [list] continued on the next lines must have them indented past its key",
      `f.yaml:2:4: ${refused}`,
    ]);
    // A `!` in text is no tag.
    expect(data(parseYamlSource("f.yaml", "a: '!'\nb: x!\nc: |\n  !\nd: x # !\n"))).toEqual({ a: "!", b: "x!", c: "!\n", d: "x" });
  });

  it("reads a line starting --- and text as YAML 1.2 does, as text, and says why that is a problem", () => {
    // Found by an adversarial tester: js-yaml took `---# spec` for the start of the document, so
    // the spec below was valid until an anchor elsewhere sent it to the careful reader.
    const spec = "---# the nightly jobs\nversion: 1\nstack: s\njobs: {}\n";
    expect(needsCarefulReading(spec)).toBe(true);
    expect(problems(parseYamlSource("f.yaml", spec))).toEqual([
      "f.yaml:1:1: invalid YAML: Implicit keys need to be on a single line; --- starts the document only when a space or the line's end follows it: write --- # ..., or remove it",
    ]);
    expect(data(parseYamlSource("f.yaml", "---{a: 1}\n"))).toEqual({ "---{a": "1}" });
    // A marker followed by a space, a tab or the line's end starts the document.
    expect(data(parseYamlSource("f.yaml", "--- # the nightly jobs\na: 1\n"))).toEqual({ a: 1 });
    expect(data(parseYamlSource("f.yaml", "---\t\na: 1\n"))).toEqual({ a: 1 });
    expect(needsCarefulReading("---\na: 1\n")).toBe(false);
    // A no-break space is no YAML space: `---\u00a0# spec` is text too, and said so.
    expect(problems(parseYamlSource("f.yaml", spec.replace("---#", "---\u00a0#")))).toEqual([
      "f.yaml:1:1: invalid YAML: Implicit keys need to be on a single line; --- starts the document only when a space or the line's end follows it: write --- # ..., or remove it",
    ]);
  });

  it("refuses a second document and directives other than %YAML 1.2", () => {
    expect(problems(parseYamlSource("f.yaml", "a: 1\n---\nb: 2\n"))).toEqual([
      "f.yaml:2:1: a spec file holds one YAML document, and a second one starts here; split the file into two files",
    ]);
    expect(problems(parseYamlSource("f.yaml", "%TAG ! tag:x,2000:\n---\na: 1\n"))).toEqual([
      'f.yaml:1:1: the directive "%TAG ! tag:x,2000:" is not used in a spec; remove the line',
    ]);
    expect(data(parseYamlSource("f.yaml", "%YAML 1.2\n---\na: 1\n...\n"))).toEqual({ a: 1 });
  });

  // Found by the fuzzer (seed 7): a 4 MB key took seconds to compare with the allowed keys,
  // was quoted whole in the message, and was placed at 1:1 (the careful reader, which
  // locates, refuses keys over 1024 characters; js-yaml did not).
  it("refuses a key over 1024 characters where it is, in a short message, quickly", () => {
    const cpuMs = startCpuClock();
    const text = `version: 1\njobs:\n  ok:\n    ${"x".repeat(3_000_000)}: 1\n`;
    expect(problems(parseYamlSource("f.yaml", text))).toEqual([
      "f.yaml:4:5: invalid YAML: The : indicator must be at most 1024 chars after the start of an implicit block mapping key",
    ]);
    expect(cpuMs()).toBeLessThan(3000);
    // Looking for long keys walks every value, a list of half a million among them.
    expect((data(parseYamlSource("f.yaml", `list: [${"1,".repeat(500_000)}1]\n`)) as { list: number[] }).list).toHaveLength(500_001);
  });

  // Found by an adversarial tester: js-yaml read these (PyYAML does too), the careful reader
  // does not (YAML 1.2 wants the next lines indented past the key): the spec passed without
  // an anchor and failed with one, and any problem elsewhere in it was placed at 1:1.
  it("refuses a list, a mapping or quoted text continued on a line not indented past its key, with or without an anchor", () => {
    // The value as written (lines 4 and 5 of the spec), and its first problem: line, column, message.
    const continued: [string, number, number, string][] = [
      // Found walking the README: "sufficiently indented" said neither how far nor past what.
      [
        "    requirements: [numpy,\n    pandas]\n",
        5,
        5,
        "Flow sequence in block collection must be sufficiently indented and end with a ]; a [list] continued on the next lines must have them indented past its key",
      ],
      [
        "    environment: {A: x,\n    B: y}\n",
        5,
        5,
        "Flow map in block collection must be sufficiently indented and end with a }; a {mapping} continued on the next lines must have them indented past its key",
      ],
      [
        '    query: "print(1)\n  print(2)"\n',
        4,
        21,
        'Missing closing "quote; quoted text continued on the next lines must have them indented past its key',
      ],
    ];
    for (const [value, line, column, message] of continued) {
      const text = `version: 1\njobs:\n  a:\n${value}    workers: "1"\n`;
      expect(problems(parseYamlSource("f.yaml", text))[0]).toMatch(`f.yaml:${line}:${column}: invalid YAML: ${message}`);
      expect(problems(parseYamlSource("f.yaml", `x-a: &a 1\n${text}`))[0]).toMatch(
        `f.yaml:${line + 1}:${column}: invalid YAML: ${message}`,
      );
    }
    // Indented past the key, each is read, by either reader.
    const indented = 'jobs:\n  a:\n    requirements: [numpy,\n     pandas]\n    query: "x\n     y"\n';
    expect(needsCarefulReading(indented)).toBe(false);
    expect(data(parseYamlSource("f.yaml", indented))).toEqual(parse(indented));
  });

  // Found by the attacker of the spec reader: a line indented with a tab (an editor set to
  // keep tabs) was told "Tabs are not allowed", or in a block scalar only something about
  // "an explicit indentation indicator", and never what to do.
  it("says to indent with spaces where a tab indents a line, in a mapping or in a block scalar", () => {
    const tab = "; YAML indents with spaces only: replace the tab here with spaces";
    expect(problems(parseYamlSource("f.yaml", "version: 1\njobs:\n\ta: {query: x}\n"))).toEqual([
      `f.yaml:3:1: invalid YAML: Tabs are not allowed as indentation${tab}`,
    ]);
    expect(problems(parseYamlSource("f.yaml", "version: 1\njobs:\n  a:\n    query: |\n\tprint(1)\n"))[0]).toBe(
      `f.yaml:5:1: invalid YAML: Block scalars with more-indented leading empty lines must use an explicit indentation indicator${tab}`,
    );
    // A tab after the indentation's spaces, inside a value, is no problem.
    expect(data(parseYamlSource("f.yaml", "jobs:\n  a:\n    query:\tx\n"))).toEqual({ jobs: { a: { query: "x" } } });
  });

  // Found by an adversarial tester: js-yaml read past `"0 3 * * *"# nightly`, the careful
  // reader does not: valid without an anchor, refused with one, and a problem elsewhere was
  // placed at 1:1 (a top-level `"a"#c: 1` was the text "a", "found a single string" at 1:1).
  it("refuses a comment that touches quoted text or a closing bracket, with or without an anchor", () => {
    const touching: [string, number, number][] = [
      ['    schedule:\n      cron: "0 3 * * *"# nightly\n', 5, 24],
      ["    files: [a.csv]# the labels\n", 4, 19],
      ["    credentials: 'aws'#prod\n", 4, 23],
    ];
    for (const [value, line, column] of touching) {
      const text = `version: 1\njobs:\n  a:\n${value}    workers: "1"\n`;
      const message = "invalid YAML: Comments must be separated from other tokens by white space characters";
      expect(problems(parseYamlSource("f.yaml", text))).toEqual([`f.yaml:${line}:${column}: ${message}`]);
      expect(problems(parseYamlSource("f.yaml", `x-a: &a 1\n${text}`))).toEqual([`f.yaml:${line + 1}:${column}: ${message}`]);
    }
    expect(problems(parseYamlSource("f.yaml", '"a"#c: 1\n'))).toEqual([
      "f.yaml:1:4: invalid YAML: Comments must be separated from other tokens by white space characters",
    ]);
    // A # that is part of a value, or after a space, is read quickly.
    const plain = 'a: x#y\nb: "x" # c\nc: [x]  #c\nd: |\n  "q"\n# after a block\ne: "#"\n';
    expect(needsCarefulReading(plain)).toBe(false);
    expect(data(parseYamlSource("f.yaml", plain))).toEqual(parse(plain));
  });

  // Found by an adversarial tester: "a\ud83d" and "a\ud83e" were two jobs the plan showed
  // alike ("demo/a\ufffd"), and a value holding half a character was sent as JSON's
  // "\ud83d", which Studio's database cannot store.
  it("refuses an escape that gives half a character (an unpaired surrogate), in a key or a value, where it is", () => {
    const text = [
      "version: 1",
      "jobs:",
      '  "a\\ud83d": {query: x}',
      '  b: {query: "x\\uDC00y", environment: {K: "\\U0000D800"}}',
      '  "\\ud83d\\ude00": {query: "paired \\uD83D\\uDE00 is whole"}',
      "  c: {query: 'single quotes: \\ud83d is text'}",
      "",
    ].join("\n");
    const half = (escaped: string) =>
      `holds ${escaped}, half of a character (an unpaired surrogate), which Studio cannot store; write the character itself, or both of its halves as \\uD83D\\uDE00 does`;
    const expected = [
      `f.yaml:3:3: the key ${half("\\ud83d")} (at jobs["a\\ud83d"])`,
      `f.yaml:4:14: the text ${half("\\udc00")} (at jobs.b.query)`,
      `f.yaml:4:43: the text ${half("\\ud800")} (at jobs.b.environment.K)`,
    ];
    expect(needsCarefulReading(text)).toBe(true);
    expect(problems(parseYamlSource("f.yaml", text))).toEqual(expected);
    expect(problems(parseYamlSource("f.yaml", `x-a: &a 1\n${text}`))).toEqual(
      expected.map((e) => e.replace(/^f\.yaml:(\d+)/, (_, n) => `f.yaml:${Number(n) + 1}`)),
    );
  });

  // Found by an adversarial tester: a NUL byte in the file is refused (a binary file), but the
  // escape "\0" gave the same character and passed, in a query, an environment value (which a
  // process's environment ends at), credentials: Studio's database cannot store it either.
  it("refuses an escape that gives a NUL character, in a key or a value, where it is", () => {
    const text = [
      "version: 1",
      "jobs:",
      '  a: {query: "x\\0y", environment: {K: "\\x00", L: "\\u0000"}, credentials: "\\U00000000"}',
      "  b: {query: 'single quotes: \\0 is text'}",
      "",
    ].join("\n");
    const nul = "holds a NUL character, which no text holds and Studio cannot store; remove it";
    const expected = [
      `f.yaml:3:14: the text ${nul} (at jobs.a.query)`,
      `f.yaml:3:39: the text ${nul} (at jobs.a.environment.K)`,
      `f.yaml:3:50: the text ${nul} (at jobs.a.environment.L)`,
      `f.yaml:3:74: the text ${nul} (at jobs.a.credentials)`,
    ];
    expect(needsCarefulReading(text)).toBe(true);
    expect(problems(parseYamlSource("f.yaml", text))).toEqual(expected);
  });

  // A closing bracket on the key's own line start is common (prettier and people write it so):
  // js-yaml warns at each, and built a snippet of the whole text for every warning. A spec of
  // 10,000 such jobs took a minute to read; reading now stops at the first warning.
  it("reads quickly a spec whose many lists close at their key's indentation", () => {
    const jobs = Array.from({ length: 5000 }, (_, i) => `  job-${i}:\n    query: print(${i})\n    requirements: [\n      numpy,\n    ]\n`);
    const text = `version: 1\njobs:\n${jobs.join("")}`;
    const cpuMs = startCpuClock();
    const read = data(parseYamlSource("f.yaml", text)) as { jobs: Record<string, { requirements: string[] }> };
    expect(cpuMs()).toBeLessThan(3000);
    expect(Object.keys(read.jobs)).toHaveLength(5000);
    expect(read.jobs["job-4999"]?.requirements).toEqual(["numpy"]);
  });

  it("writes a key's invisible reordering characters as escapes in a message, as plans do", () => {
    expect(formatPath(["jobs", "ab\u202ecd\u2066\u009b\u200bz", "query"])).toBe('jobs["ab\\u202ecd\\u2066\\u009b\\u200bz"].query');
  });

  it("refuses a key that YAML reads as a number, a boolean or null: it would be renamed", () => {
    const jobs = ["0x1F", "31", "1.10", "007", ".inf", "-.0", "true", "null", "~"].map((key) => `  ${key}: {query: x}\n`).join("");
    expect(problems(parseYamlSource("f.yaml", `jobs:\n${jobs}  : {query: x}\n`))).toEqual([
      'f.yaml:2:3: job key 0x1F is read as the number 31; quote it: "0x1F": (at jobs.0x1F)',
      'f.yaml:3:3: job key 31 is read as the number 31; quote it: "31": (at jobs.31)',
      'f.yaml:4:3: job key 1.10 is read as the number 1.1; quote it: "1.10": (at jobs["1.10"])',
      'f.yaml:5:3: job key 007 is read as the number 7; quote it: "007": (at jobs.007)',
      'f.yaml:6:3: job key .inf is read as the number Infinity; quote it: ".inf": (at jobs[".inf"])',
      'f.yaml:7:3: job key -.0 is read as the number 0; quote it: "-.0": (at jobs["-.0"])',
      'f.yaml:8:3: job key true is read as the boolean true; quote it: "true": (at jobs.true)',
      'f.yaml:9:3: job key null is read as null; quote it: "null": (at jobs.null)',
      'f.yaml:10:3: job key ~ is read as null; quote it: "~": (at jobs["~"])',
      'f.yaml:11:3: a job key is empty, which YAML reads as null; give it a name (at jobs[""])',
    ]);
    // Any mapping's keys: environment variables and vars were renamed alike (TRUE to "true").
    expect(problems(parseYamlSource("f.yaml", "vars: {0o17: a}\njobs:\n  a:\n    environment: {TRUE: b, x1: 1.5}\n"))).toEqual([
      'f.yaml:1:8: key 0o17 is read as the number 15; quote it: "0o17": (at vars.0o17)',
      'f.yaml:4:19: key TRUE is read as the boolean true; quote it: "TRUE": (at jobs.a.environment.TRUE)',
    ]);
    // Through the careful reader too (an anchor), and a core tag that makes a key a number.
    expect(problems(parseYamlSource("f.yaml", "x-a: &a {1e3: x}\njobs:\n  !!int '7': *a\n"))).toEqual([
      'f.yaml:1:10: key 1e3 is read as the number 1000; quote it: "1e3": (at x-a.1e3)',
      "f.yaml:3:9: job key 7 is read as the number 7 because of its tag; remove the tag (at jobs.7)",
    ]);
    // An empty key in a flow collection, which js-yaml made the job or variable "null".
    expect(problems(parseYamlSource("f.yaml", "jobs: {: {query: x}}\n"))).toEqual([
      'f.yaml:1:8: a job key is empty, which YAML reads as null; give it a name (at jobs[""])',
    ]);
    expect(problems(parseYamlSource("f.yaml", "jobs:\n  a:\n    environment: {X: y,\n      : v}\n"))).toEqual([
      'f.yaml:4:7: a key is empty, which YAML reads as null; give it a name (at jobs.a.environment[""])',
    ]);
    expect(problems(parseYamlSource("f.yaml", "jobs:\n  a:\n    environment: {X: y, # why\n      # more\n      : v}\n"))).toEqual([
      'f.yaml:5:7: a key is empty, which YAML reads as null; give it a name (at jobs.a.environment[""])',
    ]);
    expect(problems(parseYamlSource("f.yaml", "jobs:\n  a:\n    files: [x, : v]\n"))).toEqual([
      'f.yaml:3:16: a key is empty, which YAML reads as null; give it a name (at jobs.a.files[1][""])',
    ]);
    // An empty value is no key.
    expect(data(parseYamlSource("f.yaml", "a: {x: , y: 1}\nb:\nc: [x, ]\n"))).toEqual({ a: { x: null, y: 1 }, b: null, c: ["x"] });
    // Quoted, they are names.
    expect(data(parseYamlSource("f.yaml", `jobs:\n  "0x1F": 1\n  '1.10': 2\n  !!str 007: 3\n  "": 4\n`))).toEqual({
      jobs: { "0x1F": 1, "1.10": 2, "007": 3, "": 4 },
    });
  });

  it("refuses an alias inside the value it names, and lists or mappings as keys", () => {
    expect(problems(parseYamlSource("f.yaml", "a: &x [1, *x]\n"))).toEqual([
      "f.yaml:1:11: the alias *x is inside the value it names: a spec cannot contain itself",
    ]);
    expect(problems(parseYamlSource("f.yaml", "[a, b]: 1\n"))).toEqual(["f.yaml:1:1: a key must be a plain name, not a list or a mapping"]);
  });

  // Found by an adversarial tester: an alias naming no anchor (misspelt, or written before its
  // anchor) was read as null, and the spec was told "must be a string, got null" or "<< merges
  // mappings", pointing away from the alias.
  it("refuses an alias that names no anchor before it, where the alias is", () => {
    const text = "jobs:\n  a: {query: *undefined}\n  b: {<<: *base, query: x}\nx-base: &base {workers: 2}\n";
    expect(problems(parseYamlSource("f.yaml", text))).toEqual([
      "f.yaml:2:14: the alias *undefined names no anchor: define &undefined on a value above it, or write the value out",
      "f.yaml:3:11: the alias *base names no anchor: define &base on a value above it, or write the value out",
    ]);
  });

  // Found by an adversarial tester: `*n : {query: x}` under jobs was read as the key "", said
  // to be "a job name must be 1 to 255 characters" at jobs[""], and a second alias key beside
  // it was not said to be defined twice.
  it("refuses an alias as a key, where it is, instead of reading it as an empty name", () => {
    const text = "x-n: &n nightly\njobs:\n  *n : {query: x}\n  ? *n\n  : {query: y}\n  env: {query: z, environment: {*n : v}}\n";
    expect(problems(parseYamlSource("f.yaml", text))).toEqual([
      "f.yaml:3:3: a key may not be an alias (*n): write the name out",
      "f.yaml:4:5: a key may not be an alias (*n): write the name out",
      "f.yaml:6:33: a key may not be an alias (*n): write the name out",
    ]);
    // An alias of a mapping, found so too: it was said to be "a list or a mapping", which the key as written is not.
    expect(problems(parseYamlSource("f.yaml", "x-c: &c {query: x}\njobs:\n  *c : {query: y}\n"))).toEqual([
      "f.yaml:3:3: a key may not be an alias (*c): write the name out",
    ]);
  });
});

describe("nesting", () => {
  // Each style at the limit and one past it; both readers give the same verdict at the same place.
  const styles: Record<string, (levels: number) => string> = {
    "flow sequences": (n) => `a: ${"[".repeat(n - 2)}x${"]".repeat(n - 2)}\n`,
    "flow mappings": (n) => `a: ${"{k: ".repeat(n - 2)}x${"}".repeat(n - 2)}\n`,
    "block mappings": (n) => `${Array.from({ length: n - 1 }, (_, i) => `${" ".repeat(i)}k:`).join("\n")} x\n`,
    "compact sequences": (n) => `${"- ".repeat(n - 1)}x\n`,
  };
  it.each(Object.keys(styles))("allows 64 levels of %s and refuses 65, in either reader", (style) => {
    const make = styles[style] ?? (() => "");
    for (const read of [parseYamlSource, parseCarefully]) {
      expect(problems(read("f.yaml", make(64)))).toEqual([]);
      const refused = problems(read("f.yaml", make(65)));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatch(/^f\.yaml:\d+:\d+: the document nests more than 64 levels deep; /);
    }
    expect(problems(parseYamlSource("f.yaml", make(65)))).toEqual(problems(parseCarefully("f.yaml", make(65))));
  });

  it("stops early on absurd nesting, even behind a syntax error that sends it to the careful reader", () => {
    const cpuMs = startCpuClock();
    for (const text of [
      `a: ${"[".repeat(2_000_000)}\n`,
      `a: b: c\nx: ${"{k: ".repeat(500_000)}\n`,
      `${"- ".repeat(1_000_000)}x\n`,
      `a: "unclosed\n${"[".repeat(1_000_000)}\n`,
    ]) {
      const found = problems(parseYamlSource("f.yaml", text));
      expect(found.length).toBeGreaterThan(0);
      for (const line of found) expect(line).toMatch(/^f\.yaml:\d+:\d+: \S/);
    }
    expect(cpuMs()).toBeLessThan(3000);
  });

  // Found by the fuzzer (seed 1): hundreds of thousands of tokens that fit nowhere gave as
  // many errors, each with a captured stack, for 5 to 15 seconds and 1.5 GB.
  it("says the first few of a flood of syntax errors, quickly", () => {
    const cpuMs = startCpuClock();
    for (const text of [
      `a:\n  b: "4"${"[".repeat(4_000_000)}\n`,
      `a: 1\n${": ] ".repeat(250_000)}\n`,
      `a: &a [1]\nb: [*a, *a? ${"? ".repeat(400_000)}]\n`,
      `a: 1\n \`x\n${"a: {".repeat(200_000)}\n`,
    ]) {
      const found = problems(parseYamlSource("f.yaml", text));
      expect(found.length).toBeLessThanOrEqual(11);
      expect(found.at(-1)).toMatch(
        /^f\.yaml:\d+:\d+: (and .*more YAML errors from here on; fix the ones above first|the document nests more than 64 levels)/,
      );
    }
    expect(cpuMs()).toBeLessThan(4000);
  });

  it("counts the levels an alias adds where it is used", () => {
    const deep = `${"[".repeat(40)}1${"]".repeat(40)}`;
    expect(problems(parseYamlSource("f.yaml", `a: &d ${deep}\nb: [[[*d]]]\n`))).toEqual([]);
    expect(problems(parseYamlSource("f.yaml", `a: &d ${deep}\nb: ${"[".repeat(30)}*d${"]".repeat(30)}\n`))).toEqual([
      "f.yaml:2:34: with the alias *d expanded, the document nests more than 64 levels deep; a spec needs only a few levels (look for a run of [, { or - that is never closed)",
    ]);
  });
});

// Found by an adversarial tester: a file with lone CR line ends (old Mac) was read by
// js-yaml, for which a CR is a line break as YAML 1.2 says, but not by the yaml library,
// so every problem in it was located at 1:1.
describe("line ends", () => {
  const lines = [
    "version: 1",
    "jobs:",
    "  a:",
    "    query: |",
    "      x",
    "      y",
    '    schedule: {cron: "0 3 * * * *"}',
    '    environment: {A: "p',
    '      q"}',
    "",
  ];
  it.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["a lone CR", "\r"],
  ])("%s: the same document, located alike by either reader", (_name, end) => {
    const text = lines.join(end);
    for (const parsed of [parseYamlSource("f.yaml", text), parseYamlSource("f.yaml", `x-a: &a 1${end}${text}`)]) {
      if ("issues" in parsed) throw new Error(problems(parsed).join("\n"));
      expect(parsed.source.data).toMatchObject({ version: 1, jobs: { a: { query: "x\ny\n", environment: { A: "p q" } } } });
      const offset = "x-a" in (parsed.source.data as object) ? 1 : 0;
      expect(parsed.source.locate(["jobs", "a", "schedule", "cron"])).toEqual({ file: "f.yaml", line: 7 + offset, column: 22 });
      expect(parsed.source.locate(["jobs", "a", "environment"], { key: true })).toEqual({ file: "f.yaml", line: 8 + offset, column: 5 });
    }
  });

  it("a lone CR in a file of LF line ends is a line break too, to both readers", () => {
    const text = "a: 1\rb: 2\nc: 3 # note\rd: 4\n";
    expect(data(parseYamlSource("f.yaml", text))).toEqual({ a: 1, b: 2, c: 3, d: 4 });
    expect(data(parseYamlSource("f.yaml", `x: &x 0\n${text}`))).toEqual({ x: 0, a: 1, b: 2, c: 3, d: 4 });
  });
});

describe("aliases and merge keys", () => {
  it("merges <<: *base and <<: [*a, *b]: the mapping's own keys win, then earlier sources", () => {
    const text = ["a: &a {x: a, y: a}", "b: &b {x: b, y: b, z: b}", "one:", "  <<: *a", "  y: own", "two:", "  <<: [*a, *b]"].join("\n");
    expect(data(parseYamlSource("f.yaml", text))).toMatchObject({ one: { x: "a", y: "own" }, two: { x: "a", y: "a", z: "b" } });
  });

  it("reads anchored documents to the data the yaml library makes of them", () => {
    for (const text of [
      "a: &a {x: 1, y: [1, 2]}\nb: *a\nc: {<<: *a, x: 2}\n",
      "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {z: 0, <<: [*b, *a], x: 3}\n",
      "s: &s text\nt: [*s, *s]\n__proto__: {polluted: true}\nn: &n ~\nm: {o: *n, '1': one, 'true': yes}\n",
      "v: !!str 3.10\nw: &w [a, {b: c}]\nx: {<<: {k: v}, w: *w}\n",
    ]) {
      expect(needsCarefulReading(text)).toBe(true);
      expect(data(parseYamlSource("f.yaml", text))).toEqual(parse(text, { merge: true }));
    }
    expect(Object.getPrototypeOf(data(parseYamlSource("f.yaml", "__proto__: {polluted: true}\na: &a 1\n")))).toBe(Object.prototype);
  });

  it("locates a merged value where the base writes it, and an own value where the job does", () => {
    const text = ["base: &base", "  workers: 0", "  team: t", "job:", "  <<: *base", "  team: own"].join("\n");
    const parsed = parseYamlSource("f.yaml", text);
    if ("issues" in parsed) throw new Error("unexpected problems");
    expect(parsed.source.locate(["job", "workers"])).toEqual({ file: "f.yaml", line: 2, column: 12 });
    expect(parsed.source.locate(["job", "workers"], { key: true })).toEqual({ file: "f.yaml", line: 2, column: 3 });
    expect(parsed.source.locate(["job", "team"])).toEqual({ file: "f.yaml", line: 6, column: 9 });
  });

  it("follows an alias on the way to a value", () => {
    const parsed = parseYamlSource("f.yaml", "a: &j\n  query: x\nb: *j\n");
    if ("issues" in parsed) throw new Error("unexpected problems");
    expect(parsed.source.locate(["b", "query"])).toEqual({ file: "f.yaml", line: 2, column: 10 });
  });

  it("accepts a base merged into thousands of jobs, and refuses an expansion without bound", () => {
    const jobs = Array.from({ length: 2000 }, (_, i) => `  j${i}: {<<: *base, n: ${i}}`).join("\n");
    const many = data(parseYamlSource("f.yaml", `base: &base {team: t, workers: 2}\njobs:\n${jobs}\n`)) as {
      jobs: Record<string, unknown>;
    };
    expect(Object.keys(many.jobs)).toHaveLength(2000);
    expect(many.jobs["j1999"]).toEqual({ team: "t", workers: 2, n: 1999 });

    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      levels.push(
        `${"abcdefgh"[i]}: &${"abcdefgh"[i]} [${Array(10)
          .fill(`*${"abcdefgh"[i - 1]}`)
          .join(", ")}]`,
      );
    const bomb = problems(parseYamlSource("f.yaml", `${levels.join("\n")}\n`));
    expect(bomb).toHaveLength(1);
    expect(bomb[0]).toMatch(/^f\.yaml:6:\d+: the YAML aliases expand to more than 1,000,000 values: /);
  });

  // Found by an adversarial tester: each anchored file kept its nodes, several times its data,
  // for locating: a spec of many large files of merged jobs grew toward V8's heap limit. A
  // file's nodes are now read again only when a place is needed.
  it("keeps of an anchored file its data, not its nodes, until a problem needs a place", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const files = 5;
    const text = (f: number) =>
      `x-b: &b {query: x}\njobs:\n${Array.from({ length: 5000 }, (_, i) => `  f${f}j${i}: {<<: *b}`).join("\n")}\n`;
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = Array.from({ length: files }, (_, f) => parseYamlSource("f.yaml", text(f)));
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    // Their data is about 1.5 MB a file; their nodes were 7 MB more.
    expect(retained / files).toBeLessThan(4_000_000);
    // A place is still found, by reading the file again.
    const last = held[files - 1];
    if (last === undefined || "issues" in last) throw new Error("not read");
    expect(last.source.locate(["jobs", "f4j4999", "query"])).toEqual({ file: "f.yaml", line: 1, column: 17 });
    expect(last.source.locate(["jobs", "f4j4999"], { key: true })).toEqual({ file: "f.yaml", line: 5002, column: 3 });
  }, 90_000);
});
