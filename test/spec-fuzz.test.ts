// Fuzzing the spec loader through `studio-jobs validate`: mutations of the examples and
// of the invalid-spec corpus (byte flips, YAML syntax characters, deep nesting, tags,
// anchors and aliases, several documents, huge scalars, control characters, invalid
// UTF-8, interpolations, var files). Every case must end as success, or as problems each
// on a line of its own at file:line:column, in whichever --format was asked; never a
// stack trace, and never a case that does not end within its time bound.
//
// `npm test` runs a few hundred cases with a fixed seed; `npm run test:fuzz` runs
// FUZZ_RUNS (10,000) cases with FUZZ_SEED (random unless given) and prints the figures.
// Cases run in a worker thread from the built tool, so that a case that never ends can
// be stopped; failing cases are written to dist/fuzz-failures/ to become fixtures.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FuzzCase, FuzzFormat, FuzzReply, FuzzWorkerData } from "./fuzz/worker.js";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 250);
/** Run only this case of the seeded sequence, to reproduce one: FUZZ_SEED=7 FUZZ_RUNS=10000 FUZZ_ONLY=123. */
const ONLY = process.env["FUZZ_ONLY"] === undefined ? undefined : Number(process.env["FUZZ_ONLY"]);
const SEED = Number(process.env["FUZZ_SEED"] ?? (process.env["FUZZ_RUNS"] === undefined ? 20_261_129 : Date.now() % 2 ** 31));
/**
 * Longest a case may take before it counts as a hang. The slowest real cases (4 MB files
 * that need the careful reader) take about a second of CPU; the margin is for a shared
 * machine, on which a busy second can take ten.
 */
const CASE_MS = Number(process.env["FUZZ_CASE_MS"] ?? 20_000);
/** The largest scalar inserted (past the 4 MiB file limit in the long run, smaller in `npm test`); nesting runs go to a 16th of it. */
const HUGE = RUNS > 1000 ? 5_000_000 : 200_000;

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER = new URL("../dist/test/fuzz/worker.js", import.meta.url);
const FAILURES = join(ROOT, "dist", "fuzz-failures");
const CORPUS: Record<string, string> = { examples: join(ROOT, "examples"), fixtures: join(ROOT, "test", "fixtures", "invalid") };

/** Every YAML file of the corpus, by its path under the worker's copy of it. */
function seedFiles(): { file: string; bytes: Uint8Array }[] {
  const seeds: { file: string; bytes: Uint8Array }[] = [];
  for (const [name, dir] of Object.entries(CORPUS)) {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
      const path = join(entry.parentPath, entry.name);
      seeds.push({ file: `${name}/${relative(dir, path)}`, bytes: readFileSync(path) });
    }
  }
  return seeds.sort((a, b) => a.file.localeCompare(b.file));
}

// --- mutations

type Op =
  | { kind: "flip"; at: number; byte: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "delete"; at: number; length: number }
  | { kind: "copy"; from: number; length: number; at: number }
  | { kind: "nest"; at: number; open: string; count: number; close: string }
  | { kind: "indent"; at: number; count: number }
  | { kind: "huge"; at: number; size: number; quote: string };

const encode = (text: string): number[] => [...Buffer.from(text, "utf8")];

const SYNTAX = [
  ":",
  ": ",
  "-",
  "- ",
  "?",
  "? ",
  "[",
  "]",
  "{",
  "}",
  ",",
  "&",
  "*",
  "!",
  "|",
  ">",
  "'",
  '"',
  "%",
  "@",
  "`",
  "#",
  " #",
  "\t",
  "\n",
  "\r",
  "\r\n",
  " ",
  "  ",
  "---",
  "\n---\n",
  "...",
  "\n...\n",
  "\\",
  "~",
  "=",
  "$",
  "<<",
];
const TAGS = [
  "!!js/function ",
  "!!js/undefined ",
  "!foo ",
  "!!binary ",
  "!!timestamp ",
  "!!set ",
  "!<tag:example.com,2000:x> ",
  "!!str ",
  "!!int ",
  "!!float ",
  "!!map ",
  "!!seq ",
  "!!null ",
  "! ",
  "!!merge ",
];
const ANCHORS = [
  "&a ",
  "&b ",
  "*a",
  "*b",
  " *a",
  "<<: *a\n",
  "<<: [*a, *b]\n",
  "<<: *a",
  "x: &a [1, *a]\n",
  "x-a: &a {team: t, workers: 0}\n",
  "&a [lol, lol, lol, lol]\n",
  "[*a, *a, *a, *a, *a, *a, *a, *a]",
];
const DOCUMENTS = ["\n---\n", "---\n", "\n...\n", "%YAML 1.1\n---\n", "%YAML 1.2\n---\n", "%TAG ! tag:x,2000:\n---\n", "\n--- !!map\n"];
const INTERPOLATIONS = [
  "${env:HOME}",
  "${env:UNSET_VAR}",
  "${env:X:-d}",
  "${var:env}",
  "${var:constructor}",
  "${env:constructor}",
  "${var:__proto__}",
  "$${",
  "${",
  "${}",
  "${env:}",
  "}",
];
const KEYS = ["__proto__: ", "constructor: ", "toString: ", "hasOwnProperty: ", "<<: ", "? ", '"": ', "x-y: "];
const CONTROL = [
  "\u0000",
  "\u0001",
  "\u0007",
  "\u0008",
  "\u000b",
  "\u000c",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u2028",
  "\u2029",
  "\ufeff",
  "\ud7ff",
  "\ue000",
  "\u{10ffff}",
];
const INVALID_UTF8 = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8],
  [0xfe],
  [0xff, 0xfe],
];

const position = fc.nat({ max: 1_000_000 });
const texts = (list: string[]) => fc.constantFrom(...list).map(encode);

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("flip" as const), at: position, byte: fc.nat({ max: 255 }) }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at: position,
      bytes: fc.oneof(
        { arbitrary: texts(SYNTAX), weight: 6 },
        {
          arbitrary: fc.array(fc.constantFrom(...SYNTAX), { minLength: 2, maxLength: 6 }).map((parts) => encode(parts.join(""))),
          weight: 3,
        },
        { arbitrary: texts(TAGS), weight: 2 },
        { arbitrary: texts(ANCHORS), weight: 2 },
        { arbitrary: texts(DOCUMENTS), weight: 1 },
        { arbitrary: texts(INTERPOLATIONS), weight: 2 },
        { arbitrary: texts(KEYS), weight: 1 },
        { arbitrary: texts(CONTROL), weight: 2 },
        { arbitrary: fc.constantFrom(...INVALID_UTF8), weight: 1 },
        { arbitrary: fc.string({ unit: "binary", maxLength: 12 }).map(encode), weight: 2 },
        { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => [...bytes]), weight: 1 },
      ),
    }),
    weight: 10,
  },
  { arbitrary: fc.record({ kind: fc.constant("delete" as const), at: position, length: fc.integer({ min: 1, max: 200 }) }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant("copy" as const), from: position, length: fc.integer({ min: 1, max: 400 }), at: position }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("nest" as const),
      at: position,
      open: fc.constantFrom("[", "{", "{a: ", "[{a: ", "- ", "? ", "[ ", "{? "),
      count: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 60, max: 70 }), fc.integer({ min: 100, max: HUGE / 16 })),
      close: fc.constantFrom("", "]", "}", "]}"),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("indent" as const),
      at: position,
      count: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 100, max: 2500 })),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("huge" as const),
      at: position,
      size: fc.integer({ min: 1000, max: HUGE }),
      quote: fc.constantFrom("", '"', "'", "|\n  "),
    }),
    weight: 1,
  },
);

function apply(seed: Uint8Array, ops: readonly Op[]): Uint8Array {
  let bytes = Buffer.from(seed);
  const at = (n: number) => n % (bytes.length + 1);
  for (const o of ops) {
    switch (o.kind) {
      case "flip":
        if (bytes.length > 0) bytes[o.at % bytes.length] = o.byte;
        break;
      case "insert":
        bytes = Buffer.concat([bytes.subarray(0, at(o.at)), Buffer.from(o.bytes), bytes.subarray(at(o.at))]);
        break;
      case "delete":
        bytes = Buffer.concat([bytes.subarray(0, at(o.at)), bytes.subarray(at(o.at) + o.length)]);
        break;
      case "copy": {
        const from = at(o.from);
        const piece = Buffer.from(bytes.subarray(from, from + o.length));
        bytes = Buffer.concat([bytes.subarray(0, at(o.at)), piece, bytes.subarray(at(o.at))]);
        break;
      }
      case "nest": {
        const inner = o.open.repeat(o.count) + "x" + o.close.repeat(o.count);
        bytes = Buffer.concat([bytes.subarray(0, at(o.at)), Buffer.from(inner), bytes.subarray(at(o.at))]);
        break;
      }
      case "indent": {
        const lines = Array.from({ length: o.count }, (_, i) => `${" ".repeat(i + 1)}k${i}:`).join("\n");
        bytes = Buffer.concat([bytes.subarray(0, at(o.at)), Buffer.from(`\n${lines} x\n`), bytes.subarray(at(o.at))]);
        break;
      }
      case "huge": {
        const quote = o.quote.startsWith("|") ? "" : o.quote;
        const scalar = o.quote + "x".repeat(o.size) + quote;
        bytes = Buffer.concat([bytes.subarray(0, at(o.at)), Buffer.from(scalar), bytes.subarray(at(o.at))]);
        break;
      }
      default:
        o satisfies never;
    }
  }
  return bytes;
}

interface Plan {
  seed: number;
  ops: Op[];
  target: "file" | "directory";
  format: FuzzFormat;
}

function plans(seedCount: number): fc.Arbitrary<Plan> {
  return fc.record({
    seed: fc.nat({ max: seedCount - 1 }),
    ops: fc.array(op, { minLength: 1, maxLength: 4 }),
    target: fc.constantFrom("file" as const, "file" as const, "directory" as const),
    format: fc.constantFrom("text" as const, "text" as const, "json" as const, "github" as const),
  });
}

// --- judging what came out

const LOCATED = /^.+:\d+:\d+: \S/;
const STACK = /^\s+at .+[:(]\d+:\d+\)?$|Internal error|Maximum call stack|RangeError|TypeError|ReferenceError/m;

/** undefined when the case ended as it should; else what was wrong. */
function judge(format: FuzzFormat, reply: FuzzReply): string | undefined {
  if (reply.code !== 0 && reply.code !== 1) return `exit code ${reply.code}`;
  switch (format) {
    case "text": {
      const lines = reply.stderr === "" ? [] : reply.stderr.replace(/\n$/, "").split("\n");
      const notes = lines.filter((line) => / note: /.test(line) && LOCATED.test(line));
      const rest = lines.slice(notes.length);
      if (reply.code === 0) {
        if (!/^Valid: [^\n]*\n$/.test(reply.stdout)) return "exit 0 without the Valid: line";
        return rest.length === 0 ? undefined : "exit 0 with lines other than notes on stderr";
      }
      if (reply.stdout !== "") return "exit 1 with output on stdout";
      const last = rest.pop() ?? "";
      const first = rest.shift() ?? "";
      if (!/^\d+ problems? found in (?:the spec|the variables given)\.$/.test(last)) return "no problem count at the end";
      if (!first.startsWith("Error: ") || !LOCATED.test(first.slice(7))) return "the first problem is not at file:line:col";
      return rest.every((line) => LOCATED.test(line)) ? undefined : "a problem line not at file:line:col";
    }
    case "json": {
      let parsed: { valid?: unknown; problems?: unknown };
      try {
        parsed = JSON.parse(reply.stdout) as typeof parsed;
      } catch {
        return "stdout is not JSON";
      }
      if (reply.stderr !== "") return "JSON format wrote to stderr";
      if (parsed.valid !== (reply.code === 0)) return "valid does not match the exit code";
      if (!Array.isArray(parsed.problems)) return "no problems array";
      for (const p of parsed.problems as Record<string, unknown>[]) {
        const ok =
          typeof p["file"] === "string" &&
          Number.isInteger(p["line"]) &&
          (p["line"] as number) >= 1 &&
          Number.isInteger(p["column"]) &&
          (p["column"] as number) >= 1 &&
          (p["severity"] === "error" || p["severity"] === "note") &&
          typeof p["message"] === "string" &&
          p["message"] !== "" &&
          !/[\n\r]/.test(p["message"]);
        if (!ok) return `a malformed problem: ${JSON.stringify(p).slice(0, 200)}`;
      }
      if (reply.code === 1 && !(parsed.problems as { severity: string }[]).some((p) => p.severity === "error"))
        return "invalid without an error";
      return undefined;
    }
    case "github": {
      const lines = reply.stdout
        .replace(/\n$/, "")
        .split("\n")
        .filter((line) => line !== "");
      if (reply.code === 0 && /^Valid: /.test(lines.at(-1) ?? "")) lines.pop();
      const bad = lines.find((line) => !/^::(error|notice) file=[^,\n]*,line=\d+,col=\d+::[^\n]+$/.test(line));
      if (bad !== undefined) return `not a workflow command: ${bad.slice(0, 200)}`;
      if (reply.code === 1 && !/^\d+ problems? found in (?:the spec|the variables given)\.\n$/.test(reply.stderr))
        return "exit 1 without the count on stderr";
      if (reply.code === 1 && !lines.some((line) => line.startsWith("::error "))) return "exit 1 without an ::error";
      return undefined;
    }
    default:
      return format satisfies never;
  }
}

// --- running cases in a worker that can be stopped

type Outcome = { kind: "reply"; reply: FuzzReply } | { kind: "hang" } | { kind: "died"; error: string };

class CaseRunner {
  private worker: Promise<Worker>;
  private settle: ((outcome: Outcome) => void) | undefined;

  constructor(private readonly data: FuzzWorkerData) {
    this.worker = this.start();
  }

  private start(): Promise<Worker> {
    const worker = new Worker(WORKER, { workerData: this.data, resourceLimits: { maxOldGenerationSizeMb: 1536 } });
    worker.on("message", (reply: FuzzReply) => this.settle?.({ kind: "reply", reply }));
    worker.on("error", (error) => {
      this.settle?.({ kind: "died", error: String(error.stack ?? error) });
      this.worker = this.start();
    });
    // Ready once it runs: the corpus is copied synchronously before it listens.
    return new Promise((resolve) => worker.once("online", () => resolve(worker)));
  }

  async run(fuzz: FuzzCase): Promise<Outcome> {
    const worker = await this.worker;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle = undefined;
        void worker.terminate();
        this.worker = this.start();
        resolve({ kind: "hang" });
      }, CASE_MS);
      this.settle = (outcome) => {
        clearTimeout(timer);
        this.settle = undefined;
        resolve(outcome);
      };
      worker.postMessage(fuzz);
    });
  }

  async close(): Promise<void> {
    await (await this.worker).terminate();
  }
}

describe("fuzzing validate", () => {
  it(
    `ends every one of ${RUNS} mutated specs as success or located problems (seed ${SEED})`,
    { timeout: RUNS * 200 + 60_000 },
    async () => {
      const seeds = seedFiles();
      // One case in ten also gives its bytes as a --var-file.
      const drawn = fc.sample(fc.tuple(plans(seeds.length), fc.nat({ max: 9 })), { seed: SEED, numRuns: RUNS });
      const runner = new CaseRunner({ corpus: CORPUS });
      rmSync(FAILURES, { recursive: true, force: true });
      const failures: string[] = [];
      let crashes = 0;
      let traces = 0;
      let hangs = 0;
      let slowest = { ms: 0, index: -1, file: "" };
      let valid = 0;
      const started = performance.now();
      try {
        for (const [index, [plan, dice]] of drawn.entries()) {
          if (ONLY !== undefined && index !== ONLY) continue;
          const seed = seeds[plan.seed] ?? seeds[0];
          if (seed === undefined) throw new Error("no seed files");
          const bytes = apply(seed.bytes, plan.ops);
          const fuzz: FuzzCase = {
            id: index,
            file: seed.file,
            bytes,
            target: plan.target,
            format: plan.format,
            varFile: dice === 0 ? bytes : undefined,
          };
          const outcome = await runner.run(fuzz);
          let problem: string | undefined;
          let output = "";
          if (outcome.kind === "hang") {
            hangs += 1;
            problem = `no end within ${CASE_MS} ms`;
          } else if (outcome.kind === "died") {
            crashes += 1;
            problem = "the worker died";
            output = outcome.error;
          } else {
            const { reply } = outcome;
            if (reply.ms > slowest.ms) slowest = { ms: reply.ms, index, file: seed.file };
            output = `exit ${reply.code}\n--- stdout\n${reply.stdout}\n--- stderr\n${reply.stderr}`;
            if (STACK.test(reply.stdout + reply.stderr)) traces += 1;
            problem = judge(plan.format, reply);
            if (problem !== undefined) crashes += 1;
            else if (reply.code === 0) valid += 1;
          }
          if (problem !== undefined) {
            const dir = join(FAILURES, `case-${index}`);
            mkdirSync(dir, { recursive: true });
            writeFileSync(join(dir, basename(seed.file)), bytes);
            writeFileSync(
              join(dir, "outcome.txt"),
              `${seed.file} ${JSON.stringify({ ...plan, ops: plan.ops.map((o) => ({ ...o, bytes: undefined })) })}\n${problem}\n${output}`,
            );
            failures.push(`case ${index} (${seed.file}, --format ${plan.format}): ${problem}\n${output.slice(0, 600)}`);
          }
        }
      } finally {
        await runner.close();
      }
      const seconds = (performance.now() - started) / 1000;
      const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
      console.log(
        [
          `fuzz seed ${SEED}: ${ONLY === undefined ? drawn.length : 1} cases run in ${seconds.toFixed(1)} s (${valid} valid; slowest case ${slowest.index}, ${slowest.file}, ${Math.round(slowest.ms)} ms)`,
          `crashes ${crashes}, stack traces ${traces}, hangs ${hangs} (bound ${CASE_MS} ms a case), peak memory ${peakMb} MB`,
        ].join("\n"),
      );
      expect(failures.slice(0, 5).join("\n\n")).toBe("");
      expect({ crashes, traces, hangs }).toEqual({ crashes: 0, traces: 0, hangs: 0 });
    },
  );

  it("tells a located problem from a crash", () => {
    const ok = { id: 0, ms: 1 };
    expect(
      judge("text", { ...ok, code: 1, stdout: "", stderr: "Error: f.yaml:1:2: bad\nf.yaml:3:4: worse\n2 problems found in the spec.\n" }),
    ).toBeUndefined();
    expect(
      judge("text", { ...ok, code: 0, stdout: "Valid: 1 job in 1 file, stack s, team t.\n", stderr: "f.yaml:1:2: note: unset\n" }),
    ).toBeUndefined();
    expect(
      judge("text", {
        ...ok,
        code: 1,
        stdout: "",
        stderr: "Internal error: this is a bug in studio-jobs, please report it.\nRangeError: x\n    at f (a.js:1:2)\n",
      }),
    ).toBe("no problem count at the end");
    expect(
      judge("text", {
        ...ok,
        code: 1,
        stdout: "",
        stderr: "Error: f.yaml:1:2: bad\nsecond line of a message\n1 problem found in the spec.\n",
      }),
    ).toBe("a problem line not at file:line:col");
    expect(
      judge("json", {
        ...ok,
        code: 1,
        stdout: '{"valid": false, "problems": [{"file": "f", "line": 0, "column": 1, "severity": "error", "message": "m"}]}',
        stderr: "",
      }),
    ).toMatch(/^a malformed problem/);
    expect(
      judge("github", { ...ok, code: 1, stdout: "::error file=f,line=1,col=1::m\n", stderr: "1 problem found in the spec.\n" }),
    ).toBeUndefined();
    expect(
      judge("github", { ...ok, code: 1, stdout: "::error file=f,line=1,col=1::m\nmore\n", stderr: "1 problem found in the spec.\n" }),
    ).toMatch(/^not a workflow command/);
    expect(STACK.test("    at parse (file:///x/y.js:10:5)")).toBe(true);
  });
});
