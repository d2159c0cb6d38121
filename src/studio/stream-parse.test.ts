import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createArraySplitter,
  createJobListStream,
  createWholeReplyStream,
  ReplySyntaxError,
  WHOLE_LISTING_CHARS,
  type ReplyStream,
} from "./stream-parse.js";
import { readJobList } from "./wire.js";
import { startCpuClock } from "../../test/helpers.js";

/**
 * Every element the splitter emits for `pieces`; or the whole body's text. `fastLimit`:
 * how much text the fast way gathers without a seam before the scanner takes over.
 */
function split(pieces: readonly string[], fastLimit?: number): { elements: unknown[]; whole?: string } {
  const elements: unknown[] = [];
  let whole: string | undefined;
  const splitter = createArraySplitter(
    {
      item(value, index) {
        expect(index).toBe(elements.length);
        elements.push(value);
      },
      whole(text) {
        whole = text;
      },
    },
    fastLimit,
  );
  for (const piece of pieces) splitter.write(piece);
  splitter.end();
  return whole === undefined ? { elements } : { elements, whole };
}

function feed<T>(stream: ReplyStream<T>, pieces: readonly string[]): T {
  for (const piece of pieces) stream.write(piece);
  return stream.end();
}

/** `text` cut at the given positions. */
function cut(text: string, at: readonly number[]): string[] {
  const points = [0, ...[...at].sort((a, b) => a - b), text.length];
  return points.slice(1).map((end, i) => text.slice(points[i], end));
}

function syntaxProblem(pieces: readonly string[]): string {
  try {
    split(pieces);
  } catch (error) {
    if (error instanceof ReplySyntaxError) return error.message;
    throw error;
  }
  throw new Error("no problem found");
}

const job = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: "j1",
  url: "https://studio/j1",
  status: "TASK",
  name: "nightly",
  query: "print(1)",
  query_type: "PYTHON",
  team: "demo",
  workers: 1,
  python_version: null,
  requirements: "",
  repository: null,
  environment: { A: "1" },
  created_at: "2026-01-01T00:00:00Z",
  parent_job_id: null,
  ...fields,
});

// Strings that look like structure: quotes, brackets, braces, commas and backslashes in
// every arrangement an escape can take, next to nested objects and arrays.
const TRICKY = [
  job({ id: "a", query: 'print("[{]},") \\', environment: { 'K"]': '\\"}{', B: "\\\\", C: "\\u005c" } }),
  job({ id: "b", name: "x\\", query: '\\\\\\"]', parent_job_id: "a" }),
  job({ id: "c", query: "\u00e9\u{1F600}\u2028", environment: {}, nested: { deep: [[{ a: [1, { "]": "[" }] }], "}"] } }),
];

describe("splitting a JSON array as it streams", () => {
  const text = JSON.stringify(TRICKY);

  it("finds the same elements wherever the body is cut once", () => {
    for (let at = 0; at <= text.length; at++) {
      expect(split(cut(text, [at])).elements).toEqual(TRICKY);
    }
  });

  it("finds the same elements when every piece is a few characters long", () => {
    for (let size = 1; size <= 7; size++) {
      const pieces: string[] = [];
      for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
      expect(split(pieces).elements).toEqual(TRICKY);
    }
  });

  it("reads any array of JSON values, spaced and cut anywhere, as JSON.parse does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 6 }),
        fc.constantFrom(undefined, 1, "\t"),
        fc.array(fc.nat(), { maxLength: 6 }),
        (values, space, cuts) => {
          const body = ` ${JSON.stringify(values, null, space)}\n`;
          const { elements } = split(
            cut(
              body,
              cuts.map((c) => c % (body.length + 1)),
            ),
          );
          expect(elements).toEqual(JSON.parse(body));
        },
      ),
      { numRuns: 300, seed: 20261129 },
    );
  });

  // Records written compactly, as Studio does, whose strings and nested values hold what
  // the fast way cuts at: `},{"` in a string, objects one after another in a nested list.
  const seamy = fc.string({ unit: fc.constantFrom("},{", '},{"', "}", ",", "{", '"', "\\", "a", "[", "]"), maxLength: 8 });
  const seamyRecords = fc.array(
    fc.dictionary(
      seamy,
      fc.oneof(seamy, fc.array(fc.dictionary(seamy, seamy, { maxKeys: 2 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
      {
        maxKeys: 4,
      },
    ),
    { maxLength: 6 },
  );
  /** What the scanner alone makes of `body`: one character a piece never holds a seam. */
  const byScanner = (body: string): unknown => outcome(() => split([...body], 0).elements);
  const outcome = (read: () => unknown): unknown => {
    try {
      return read();
    } catch (error) {
      if (error instanceof ReplySyntaxError) return error.message;
      throw error;
    }
  };

  it("reads compact records with seams in their strings and nested lists, cut anywhere, as JSON.parse does", () => {
    fc.assert(
      fc.property(seamyRecords, fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom(undefined, 0, 8), (records, cuts, fastLimit) => {
        const body = JSON.stringify(records);
        const pieces = cut(
          body,
          cuts.map((c) => c % (body.length + 1)),
        );
        // What JSON.parse makes of the text, not the generated values: -0 is written as 0.
        expect(split(pieces, fastLimit).elements).toEqual(JSON.parse(body));
      }),
      { numRuns: 500, seed: 20261129 },
    );
  });

  it("says what is wrong with a broken body as the scanner alone says it, wherever the body is cut", () => {
    fc.assert(
      fc.property(
        seamyRecords,
        fc.nat(),
        fc.constantFrom("", ",", "}", "]", "{", '"', "x", "},{", '},{"'),
        fc.array(fc.nat(), { maxLength: 4 }),
        (records, at, insert, cuts) => {
          const good = JSON.stringify(records);
          const where = at % (good.length + 1);
          // Insert a character, or (with nothing to insert) drop one.
          const body = `${good.slice(0, where)}${insert}${good.slice(insert === "" ? where + 1 : where)}`;
          const pieces = cut(
            body,
            cuts.map((c) => c % (body.length + 1)),
          );
          expect(outcome(() => split(pieces).elements)).toEqual(byScanner(body));
        },
      ),
      { numRuns: 500, seed: 20261129 },
    );
  });

  it("reads an empty list, with or without spaces", () => {
    expect(split(["[]"]).elements).toEqual([]);
    expect(split([" \n[", " ", "]\r\n"]).elements).toEqual([]);
  });

  it("hands over whatever is not an array, whole", () => {
    const wrapped = JSON.stringify({ jobs: TRICKY });
    expect(split(cut(wrapped, [1, 20]))).toEqual({ elements: [], whole: wrapped });
    expect(split([])).toEqual({ elements: [], whole: "" });
    expect(split(["  ", "\n<html>"])).toEqual({ elements: [], whole: "  \n<html>" });
  });

  it.each([
    [['[{"a":1},', '{"a":2}'], "it ends inside the list, after item 0"],
    [["[", '{"a":"]'], "it ends inside the list, before its first item"],
    [["[1,2] ", "x"], "something follows the end of the list"],
    [["[1,2]]"], "something follows the end of the list"],
    [["[1,2][3]"], "something follows the end of the list"],
    [["[,1]"], "the list has an empty item before its first item"],
    [["[1,,2]"], "the list has an empty item after item 0"],
    [["[1,", " ]"], "the list has an empty item after item 0"],
    [["[1}"], 'the list is closed with "}" before its first item'],
  ])("refuses %j: %s", (pieces, message) => {
    expect(syntaxProblem(pieces)).toBe(message);
  });

  it("leaves each element to JSON.parse, which refuses a bad one", () => {
    expect(() => split(["[1 2]"])).toThrow(new ReplySyntaxError("item 0 of the list does not parse"));
    expect(() => split(['[{"a":1},{"b":2 3},{"c":3}', "]"])).toThrow(new ReplySyntaxError("item 1 of the list does not parse"));
    expect(() => feed(createJobListStream(), ['[{"id": }]'])).toThrow(new ReplySyntaxError("item 0 of the list does not parse"));
  });

  it("holds a long element in pieces, without copying it again for each piece", () => {
    const query = "q".repeat(4 * 1024 * 1024);
    const body = JSON.stringify([{ query }, 2]);
    const pieces: string[] = [];
    for (let i = 0; i < body.length; i += 1024) pieces.push(body.slice(i, i + 1024));
    const cpuMs = startCpuClock();
    const { elements } = split(pieces);
    expect(elements).toEqual([{ query }, 2]);
    // Copying the element again for each of 4,000 pieces would move some 8 GB.
    expect(cpuMs()).toBeLessThan(3_000);
  });
});

describe("a job listing read as it streams", () => {
  const notRun = (j: { parent_job_id: string | null }) => j.parent_job_id === null;

  it("keeps, checks and counts as readJobList does on the whole body, cut anywhere, streamed or not", () => {
    const text = JSON.stringify(TRICKY);
    const expected = readJobList(JSON.parse(text), { keep: notRun });
    expect(expected.map((j) => j.id)).toEqual(["a", "c"]);
    for (let at = 0; at <= text.length; at += 7) {
      for (const wholeUpTo of [0, 100, WHOLE_LISTING_CHARS]) {
        expect(feed(createJobListStream({ keep: notRun }, wholeUpTo), cut(text, [at, at + 3]))).toEqual({ jobs: expected, received: 3 });
      }
    }
  });

  it("says what is wrong with a small listing parsed whole as it would have streamed", () => {
    const good = JSON.stringify([job(), job({ id: "j2" })]);
    const problem = (wholeUpTo: number, body: string): string => {
      try {
        feed(createJobListStream({}, wholeUpTo), cut(body, [body.length >> 1]));
      } catch (error) {
        return `${(error as Error).message}${error instanceof ReplySyntaxError && error.body !== undefined ? ` [${error.body}]` : ""}`;
      }
      return "no problem";
    };
    const bodies = [
      good.slice(0, -30),
      `${good} []`,
      good.replace('"workers":1', '"workers":01'),
      good.replace("[{", "[,{"),
      JSON.stringify([job(), job({ workers: -1 })]),
      "<html>sign in</html>",
      "",
    ];
    const said = bodies.map((body) => problem(WHOLE_LISTING_CHARS, body));
    expect(said).toEqual([
      "it ends inside the list, after item 0",
      "something follows the end of the list",
      "item 0 of the list does not parse",
      "the list has an empty item before its first item",
      'job j1: field "workers" must be a whole number of at least 0, got a number',
      "it is not JSON [<html>sign in</html>]",
      "it is not JSON []",
    ]);
    expect(bodies.map((body) => problem(0, body))).toEqual(said);
  });

  it("reads the older {jobs: [...]} wrapper whole, with the same result", () => {
    const pieces = cut(JSON.stringify({ jobs: TRICKY }), [5, 50]);
    expect(feed(createJobListStream({ keep: notRun }), pieces)).toEqual({ jobs: readJobList(TRICKY, { keep: notRun }), received: 3 });
  });

  it("stops at the first record that does not fit, naming it and its field, once the record after it has begun", () => {
    const stream = createJobListStream({ keep: notRun }, 0);
    const bad = JSON.stringify(job({ id: "j2", workers: "2" }));
    const pieces = [`[${JSON.stringify(job())},${bad}`, `,${JSON.stringify(job({ id: "j3" }))},{"id":"j4"`, "never read"];
    let written = 0;
    expect(() => {
      for (const piece of pieces) {
        stream.write(piece);
        written++;
      }
    }).toThrow('job j2: field "workers" must be a whole number of at least 0, got a string');
    expect(written).toBe(1);
  });

  it("refuses a schedule listed again as a run, in either order, and a record that is not an object", () => {
    const run = job({ parent_job_id: "p" });
    expect(() => feed(createJobListStream({ keep: notRun }), [JSON.stringify([job(), run])])).toThrow(
      "job j1 is listed twice with different contents",
    );
    expect(() => feed(createJobListStream({ keep: notRun }), [JSON.stringify([run, job()])])).toThrow(
      "job j1 is listed twice with different contents",
    );
    expect(feed(createJobListStream({ keep: notRun }), [JSON.stringify([run, run])])).toEqual({ jobs: [], received: 2 });
    expect(() => feed(createJobListStream(), ["[3]"])).toThrow("item 0: expected a job record (an object), got a number");
  });

  it("says a whole body is not JSON and keeps its start, from its first character not blank, to describe it", () => {
    const notJson = (pieces: string[]) => {
      try {
        feed(
          createWholeReplyStream(() => 1),
          pieces,
        );
      } catch (e) {
        return e as ReplySyntaxError;
      }
      return undefined;
    };
    const short = notJson(["  \n<html>", "x".repeat(70_000)]);
    expect([short?.message, short?.body, short?.bodyCut]).toEqual(["it is not JSON", `<html>${"x".repeat(70_000)}`, false]);
    const long = notJson([" ".repeat(2000), "<html>", "x".repeat(1024 * 1024)]);
    expect([long?.body, long?.bodyCut]).toEqual([`<html>${"x".repeat(1024 * 1024 - 6)}`, true]);
  });
});
