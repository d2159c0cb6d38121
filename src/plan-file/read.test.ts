// Reading saved plans: telling one from a spec, and each way a file is refused before
// anything relies on it, with the sentence the user sees.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLUSTERS, desired, options } from "../../test/plan-fixtures.js";
import { canonicalJson } from "../identity/fingerprint.js";
import { computePlan } from "../plan/compute.js";
import { planDocument } from "./document.js";
import { isPlanFile, MAX_PLAN_BYTES, MAX_PLAN_DEPTH, readPlanFile } from "./read.js";
import { deriveDigestKey } from "./secret-digest.js";
import { savedPlanDocument } from "./write.js";

const key = deriveDigestKey("token", "studio-token-a", "00112233445566778899aabbccddeeff");
const plan = computePlan([desired({ key: "nightly" })], new Map([["demo", []]]), CLUSTERS, options());

function fileWith(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "studio-jobs-read-")), name);
  writeFileSync(path, content);
  return path;
}

async function refusal(path: string): Promise<string> {
  const error = await readPlanFile(path, "plan.json").then(
    () => undefined,
    (e: unknown) => e as Error & { hint?: string },
  );
  if (error === undefined) throw new Error("the file was read");
  return error.message;
}

describe("isPlanFile", () => {
  it("tells a saved plan from a spec, a JSON spec and a missing file by the first bytes", async () => {
    const saved = JSON.stringify(savedPlanDocument(plan, "1.0.0", "/", key), null, 2);
    expect(await isPlanFile(fileWith("plan.json", saved))).toBe(true);
    expect(await isPlanFile(fileWith("plan.json", `\n  ${saved}`))).toBe(true);
    expect(await isPlanFile(fileWith("plan.yaml", saved))).toBe(false);
    expect(await isPlanFile(fileWith("spec.json", JSON.stringify({ version: 1, stack: "s", jobs: {} })))).toBe(false);
    expect(await isPlanFile(fileWith("list.json", `["format_version"]`))).toBe(false);
    expect(await isPlanFile(join(tmpdir(), "studio-jobs-no-such-dir", "plan.json"))).toBe(false);
  });
});

describe("a saved plan reformatted with its keys sorted (jq -S)", () => {
  it("is still told from a spec and read, though its start no longer names format_version", async () => {
    // Found in review: such a plan, whose seal still holds, was "not a saved plan".
    const saved = savedPlanDocument(plan, "1.0.0", "/", key);
    const sorted = canonicalJson(saved);
    expect(sorted.slice(0, 256)).not.toContain("format_version");
    expect(await isPlanFile(fileWith("plan.json", sorted))).toBe(true);
    expect(await readPlanFile(fileWith("plan.json", sorted))).toEqual(JSON.parse(JSON.stringify(saved)));
    const spec = canonicalJson({ version: 1, stack: "s", jobs: { a: { query: "format_version" } } });
    expect(await isPlanFile(fileWith("spec.json", spec))).toBe(false);
  });
});

describe("readPlanFile", () => {
  it("reads back the saved plan it is given, unchanged", async () => {
    const saved = savedPlanDocument(plan, "1.0.0", "/", key);
    expect(await readPlanFile(fileWith("plan.json", JSON.stringify(saved)))).toEqual(JSON.parse(JSON.stringify(saved)));
  });

  it("refuses what is not JSON, has no format_version, or is a plan without its jobs", async () => {
    expect(await refusal(fileWith("plan.json", `{"format_version": 3, not json`))).toMatch(/^plan\.json is not a readable plan file: /);
    expect(await refusal(fileWith("plan.json", `{"stack": "s"}`))).toBe("plan.json is not a saved plan.");
    expect(await refusal(fileWith("plan.json", `{"stack": "s", "n": {"format_version": 3}}`))).toBe(
      "plan.json is not a plan file: it has no format_version.",
    );
    // The output of `plan --format json` has the version but not the jobs to send.
    expect(await refusal(fileWith("plan.json", JSON.stringify(planDocument(plan, "1.0.0"))))).toBe(
      "plan.json is not a saved plan of format_version 5; save one with `studio-jobs plan --out plan.json`.",
    );
  });

  it("refuses a number JSON cannot hold, which would be sealed as null", async () => {
    // Found by a reviewer: "cluster": 1e999 kept the seal of "cluster": null valid.
    const text = JSON.stringify(savedPlanDocument(plan, "1.0.0", "/", key)).replace('"created_at"', '"x": 1e999, "created_at"');
    expect(await refusal(fileWith("plan.json", text))).toBe("plan.json is not a readable plan file: it holds a number too large for JSON.");
    const deep = text.replace('"x": 1e999', '"x": [[{"y": [1, {"z": -1e400}]}]]');
    expect(await refusal(fileWith("plan.json", deep))).toBe("plan.json is not a readable plan file: it holds a number too large for JSON.");
  });

  it("says what a file nested deeper than the stack is, as a sentence", async () => {
    const depth = 200_000;
    const deep = `{"format_version": 3, "x": ${"[".repeat(depth)}1e999${"]".repeat(depth)}}`;
    expect(await refusal(fileWith("plan.json", deep))).toBe("plan.json is not a readable plan file: it holds a number too large for JSON.");
    const finite = deep.replace("1e999", "1");
    expect(await refusal(fileWith("plan.json", finite))).toBe(
      `plan.json is not a readable plan file: it nests arrays and objects more than ${MAX_PLAN_DEPTH} levels deep, which no saved plan does.`,
    );
  });

  it("refuses a free-form field of a saved job nested deeper than any plan, which overflowed the seal's stack", async () => {
    // Found by an adversarial test: a job's `input` (an open object in the schema) holding
    // 200,000 nested arrays passed the schema, and show and apply stopped on "Internal error:
    // RangeError: Maximum call stack size exceeded" in the seal's canonical JSON.
    const saved = savedPlanDocument(plan, "1.0.0", "/", key);
    const depth = 200_000;
    const text = JSON.stringify(saved).replace('"query_name":', `"x": ${"[".repeat(depth)}${"]".repeat(depth)}, "query_name":`);
    expect(await refusal(fileWith("plan.json", text))).toBe(
      `plan.json is not a readable plan file: it nests arrays and objects more than ${MAX_PLAN_DEPTH} levels deep, which no saved plan does.`,
    );
    // A plan nested to the limit, and no further, is read.
    const deepest = savedPlanDocument(plan, "1.0.0", "/", key);
    const nested = `${"[".repeat(MAX_PLAN_DEPTH - 4)}${"]".repeat(MAX_PLAN_DEPTH - 4)}`;
    const near = JSON.stringify(deepest).replace('"query_name":', `"x": ${nested}, "query_name":`);
    expect((await readPlanFile(fileWith("plan.json", near))).jobs?.["nightly"]?.input).toHaveProperty("x");
  });

  it("refuses a plan in which one object gives a key twice, at the second, whichever of the two JSON.parse would keep", async () => {
    // Found in review: JSON.parse keeps the last of two equal keys, and the seal covers the
    // parsed document, so a decoy written before the real value kept the seal valid.
    const text = JSON.stringify(savedPlanDocument(plan, "1.0.0", "/", key), null, 2);
    const real = text.indexOf(`"stack": `);
    const edited = `${text.slice(0, real)}"stack": "decoy",\n  ${text.slice(real)}`;
    const line = edited.slice(0, real).split("\n").length;
    expect(await refusal(fileWith("plan.json", edited))).toBe(
      `plan.json:${line + 1}:3: key "stack" appears twice in one object: first at plan.json:${line}:3, again here. ` +
        "studio-jobs never writes that: the saved plan was changed after it was made, and a reader of the file may take the value apply would not. Nothing was changed.",
    );
    // A key that cannot be printed as it is: shown escaped, as everything quoted from a plan is.
    const hidden = `${text.slice(0, -1)}, "a\\n\\u202eb": 1, "a\\u000a\\u202Eb": 2}`;
    expect(await refusal(fileWith("plan.json", hidden))).toMatch(/^plan\.json:\d+:\d+: key "a\\n\\u202eb" appears twice in one object: /);
  });

  it("refuses a character that is not seen or reorders the text around it, written as itself, and a carriage return that ends no line", async () => {
    // Found in review: each keeps the seal (it is the same document), and each makes the
    // file read otherwise than what apply carries out: `plan --out` writes neither.
    const query = "print('a\u202eb')";
    const odd = computePlan([desired({ key: "nightly", query })], new Map([["demo", []]]), CLUSTERS, options());
    const saved = savedPlanDocument(odd, "1.0.0", "/", key);
    const escaped = JSON.stringify(saved, null, 2).replaceAll("\u202e", "\\u202e");
    expect(escaped).toContain(String.raw`"query": "print('a\u202eb')"`);
    expect(await readPlanFile(fileWith("plan.json", escaped))).toEqual(JSON.parse(JSON.stringify(saved)));
    // CRLF line ends, as an editor on Windows writes them, are read.
    expect(await readPlanFile(fileWith("plan.json", escaped.replaceAll("\n", "\r\n")))).toEqual(JSON.parse(JSON.stringify(saved)));

    const raw = escaped.replace(String.raw`\u202e`, "\u202e");
    const at = raw.indexOf("\u202e");
    const line = raw.slice(0, at).split("\n").length;
    const column = at - raw.lastIndexOf("\n", at);
    expect(await refusal(fileWith("plan.json", raw))).toBe(
      `plan.json:${line}:${column}: U+202E is written as itself, where studio-jobs writes \\u202e: as itself it is not seen or changes how the text around it reads, ` +
        "so a reader of the file would not read what apply carries out. Nothing was changed.",
    );
    const cr = escaped.replace(`"stack": `, `\r"stack": `);
    const crLine = cr.slice(0, cr.indexOf("\r")).split("\n").length;
    expect(await refusal(fileWith("plan.json", cr))).toBe(
      `plan.json:${crLine}:3: a carriage return ends no line, where studio-jobs writes none: a terminal showing the file writes what follows it over the start of the line, ` +
        "so a reader of the file would not read what apply carries out. Nothing was changed.",
    );
  });

  it("names a character past U+FFFF written as itself by its code point and its two escapes (from review)", async () => {
    const odd = computePlan([desired({ key: "nightly", query: "print('a\u{E0041}b')" })], new Map([["demo", []]]), CLUSTERS, options());
    const escaped = JSON.stringify(savedPlanDocument(odd, "1.0.0", "/", key), null, 2).replaceAll("\u{E0041}", String.raw`\udb40\udc41`);
    const raw = escaped.replace(String.raw`\udb40\udc41`, "\u{E0041}");
    const at = raw.indexOf("\u{E0041}");
    const place = `${raw.slice(0, at).split("\n").length}:${at - raw.lastIndexOf("\n", at)}`;
    expect(await refusal(fileWith("plan.json", raw))).toBe(
      `plan.json:${place}: U+E0041 is written as itself, where studio-jobs writes \\udb40\\udc41: as itself it is not seen or changes how the text around it reads, ` +
        "so a reader of the file would not read what apply carries out. Nothing was changed.",
    );
  });

  it("refuses bytes that are not UTF-8, which apply reads as U+FFFD and a viewer of the file may show otherwise", async () => {
    // Found in review: a U+FFFD in a query, its three bytes replaced by one that is not
    // UTF-8, kept the seal (each is read as U+FFFD), and a viewer that took the file for
    // Windows-1252 showed another character where apply sent U+FFFD.
    const query = "print('\ufffd')";
    const odd = computePlan([desired({ key: "nightly", query })], new Map([["demo", []]]), CLUSTERS, options());
    const text = JSON.stringify(savedPlanDocument(odd, "1.0.0", "/", key), null, 2);
    expect(await readPlanFile(fileWith("plan.json", text))).toMatchObject({ jobs: { nightly: { input: { query } } } });
    const at = text.indexOf("\ufffd");
    const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at + 1))]);
    const line = text.slice(0, at).split("\n").length;
    const column = at - text.lastIndexOf("\n", at);
    const path = fileWith("plan.json", "");
    writeFileSync(path, bytes);
    expect(await refusal(path)).toBe(
      `plan.json is not a readable plan file: it is not UTF-8 text (byte 0xff at line ${line}, column ${column}); save it as UTF-8.`,
    );
  });

  it("refuses a plan with errors, and a file the schema rejects, saying where", async () => {
    const saved = savedPlanDocument(plan, "1.0.0", "/", key);
    expect(await refusal(fileWith("plan.json", JSON.stringify({ ...saved, errors: ["jobs.a: bad"] })))).toBe(
      "plan.json is a plan with errors; it cannot be applied.",
    );
    expect(await refusal(fileWith("plan.json", JSON.stringify({ ...saved, remote_digest: "nope" })))).toBe(
      'plan.json is not a valid plan file: at remote_digest, must match pattern "^[0-9a-f]{64}$".',
    );
    expect(await refusal(fileWith("plan.json", JSON.stringify({ ...saved, extra: 1 })))).toBe(
      "plan.json is not a valid plan file: at the top level, must NOT have additional properties.",
    );
  });
});

describe("a saved plan's stack and tool_version", () => {
  // Found with "stack": "good --><img src=x onerror=alert(1)><!--", which `show --format
  // markdown` (where the seal is not checked) put into the comment's hidden first line.
  it("follow the spec's rule for a stack name, and a version's pattern", async () => {
    const saved = savedPlanDocument(plan, "1.0.0", "/", key);
    expect(await refusal(fileWith("plan.json", JSON.stringify({ ...saved, stack: "good --><img src=x onerror=alert(1)><!--" })))).toBe(
      'plan.json is not a valid plan file: at stack, must match pattern "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$".',
    );
    expect(await refusal(fileWith("plan.json", JSON.stringify({ ...saved, tool_version: "1.0.0 --><b>x</b>" })))).toMatch(
      /^plan\.json is not a valid plan file: at tool_version, must match pattern "\^/,
    );
    for (const version of ["0.1.0", "12.3.45", "1.0.0-rc.1", "1.0.0+build.7"]) {
      expect(await readPlanFile(fileWith("plan.json", JSON.stringify({ ...saved, tool_version: version })))).toMatchObject({
        tool_version: version,
      });
    }
  });

  it("a tool_version read before the schema is quoted when it is no version, in one line", async () => {
    // Found by an adversarial tester: a hand-edited plan of another format_version had its
    // tool_version printed as it was, so a line break in it added a line of its own choosing
    // ("FAKE: the plan is fine") under the refusal.
    const saved = savedPlanDocument(plan, "1.0.0", "/", key);
    const told = async (doc: object) => {
      const error = (await readPlanFile(fileWith("plan.json", JSON.stringify(doc)), "plan.json").catch((e: unknown) => e)) as Error & {
        hint?: string;
      };
      return `${error.message}\n${error.hint ?? ""}`;
    };
    const odd = "9.9.9\nFAKE: the plan is fine\u001b[2J";
    expect(await told({ ...saved, format_version: 6, tool_version: odd })).toBe(
      "plan.json has format_version 6, newer than this studio-jobs (5) reads.\n" +
        'It was made by studio-jobs "9.9.9\\nFAKE: the plan is fine\\u001b[2J"; apply it with that version or newer.',
    );
    expect((await told({ ...saved, format_version: 1, tool_version: odd })).split("\n")[0]).toBe(
      'plan.json has format_version 1, made by an older studio-jobs ("9.9.9\\nFAKE: the plan is fine\\u001b[2J") whose plans held unkeyed digests of sensitive values.',
    );
    expect(await told({ ...saved, format_version: 6, tool_version: "x".repeat(100) })).toContain(`studio-jobs "${"x".repeat(39)}…;`);
    expect(await told({ ...saved, format_version: 6, tool_version: "2.0.0-rc.1" })).toContain("made by studio-jobs 2.0.0-rc.1;");
  });

  it("take the stack rule of the spec's schema, the one home of that rule", () => {
    const read = (name: string) =>
      JSON.parse(readFileSync(new URL(`../../schema/${name}`, import.meta.url), "utf8")) as { properties: { stack: { pattern: string } } };
    expect(read("plan.schema.json").properties.stack.pattern).toBe(read("studio-jobs.schema.json").properties.stack.pattern);
  });
});

describe("readPlanFile: what is not a plan file at all", () => {
  function specialFiles(): Record<string, string> {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-read-"));
    mkdirSync(join(dir, "dir.json"));
    execFileSync("mkfifo", [join(dir, "fifo.json")]);
    symlinkSync("/dev/zero", join(dir, "zero.json"));
    // Sparse: as large as it says, without the disk space.
    writeFileSync(join(dir, "huge.json"), `{"format_version": 3}`);
    truncateSync(join(dir, "huge.json"), MAX_PLAN_BYTES + 1);
    return { dir: join(dir, "dir.json"), fifo: join(dir, "fifo.json"), zero: join(dir, "zero.json"), huge: join(dir, "huge.json") };
  }

  it("says that a file does not exist, and what a directory, a named pipe, a device or a huge file is, without waiting or reading it", async () => {
    const files = specialFiles();
    expect(await refusal(join(tmpdir(), "studio-jobs-no-such-dir", "nonexist.json"))).toBe("plan.json does not exist.");
    expect(await refusal(files.dir ?? "")).toBe("plan.json is a directory, not a saved plan file.");
    expect(await refusal(files.fifo ?? "")).toBe("plan.json is a named pipe, not a saved plan file.");
    expect(await refusal(files.zero ?? "")).toBe("plan.json is a device, not a saved plan file.");
    expect(await refusal(files.huge ?? "")).toBe("plan.json is larger than 500 MiB, more than any saved plan; it is not one.");
    // Telling a plan from a spec reads none of them either; a huge file is left to readPlanFile to refuse.
    for (const path of [files.dir, files.fifo, files.zero]) expect(await isPlanFile(path ?? ""), path).toBe(false);
  });

  it("takes a plan that starts with a BOM, and says a format_version written as a string must be a number", async () => {
    const saved = savedPlanDocument(plan, "1.0.0", "/", key);
    expect(await readPlanFile(fileWith("plan.json", `\uFEFF${JSON.stringify(saved, null, 2)}`))).toEqual(JSON.parse(JSON.stringify(saved)));
    expect(await isPlanFile(fileWith("plan.json", `\uFEFF${JSON.stringify(saved)}`))).toBe(true);
    expect(await refusal(fileWith("plan.json", JSON.stringify({ ...saved, format_version: "2" })))).toBe(
      'plan.json is not a valid plan file: its format_version must be a number, not the string "2".',
    );
  });
});
