// A saved plan's text means one thing: what a reviewer reads in plan.json is what `show`
// prints and `apply` carries out. Run as a process, as CI runs the approval and the apply.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliWith, spawnCli } from "./cli-helpers.js";
import { useStudio, writeSpec } from "./helpers.js";

const { studio, env } = useStudio();
const cli = cliWith(env);

/** A repository with a one-job spec and its saved plan, plan.json; returns the directory and the plan's text. */
async function savedPlan(query = "print('real')"): Promise<{ dir: string; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-plan-text-"));
  mkdirSync(join(dir, ".git"));
  writeSpec(dir, "text", { nightly: { query, schedule: { cron: "0 2 * * *" } } });
  expect((await cli(dir, ["plan", "--out", "plan.json"])).code).toBe(0);
  return { dir, text: readFileSync(join(dir, "plan.json"), "utf8") };
}

/** 1-based line and column of `offset` in `text`, counted by hand for the test. */
function placeOf(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${(before.at(-1) ?? "").length + 1}`;
}

/**
 * `show` and `apply` of `file` in `dir`, run as processes, each exit 1 saying `reason` and the
 * way out, and print nothing else; nothing is created. Then the plan as `plan --out` wrote it,
 * plan.json, is applied and sends `query`: what was refused was the edit.
 */
async function expectRefusedThenApplied(dir: string, file: string, reason: string, query: string): Promise<void> {
  const refusal = { code: 1, stdout: "", stderr: `Error: ${reason}\nMake it again with \`studio-jobs plan --out FILE\` and apply that.\n` };
  expect(await spawnCli(["show", file], { cwd: dir, env })).toEqual(refusal);
  expect(await spawnCli(["apply", file], { cwd: dir, env })).toEqual(refusal);
  expect(studio.emulator.store.allJobs()).toEqual([]);
  expect((await spawnCli(["apply", "plan.json"], { cwd: dir, env })).code).toBe(0);
  expect(studio.emulator.store.allJobs().map((job) => job.query)).toEqual([query]);
}

const TWICE =
  "studio-jobs never writes that: the saved plan was changed after it was made, and a reader of the file may take the value apply would not. Nothing was changed.";

describe("a saved plan with a key given twice in one object", () => {
  it("is refused by show and by apply, saying where, and nothing is created", async () => {
    // Found in review: JSON.parse keeps the last of two equal keys and the seal covers the
    // parsed document, so a decoy "query" written before the real one kept the seal valid:
    // the pull request showed print('harmless'), apply sent print('real').
    const { dir, text } = await savedPlan();
    const jobs = text.indexOf(`"jobs": {`);
    const real = text.indexOf(`"query": "print('real')"`, jobs);
    expect(jobs).toBeGreaterThan(0);
    expect(real).toBeGreaterThan(jobs);
    const indent = " ".repeat(real - text.lastIndexOf("\n", real) - 1);
    const decoy = `"query": "print('harmless')",\n${indent}`;
    const edited = `${text.slice(0, real)}${decoy}${text.slice(real)}`;
    writeFileSync(join(dir, "dup.json"), edited);
    // The decoy comes first; the key JSON.parse keeps is the second.
    const reason = `dup.json:${placeOf(edited, real + decoy.length)}: key "query" appears twice in one object: first at dup.json:${placeOf(edited, real)}, again here. ${TWICE}`;
    await expectRefusedThenApplied(dir, "dup.json", reason, "print('real')");
  });

  it("counts an escaped key by what it says: a second job entry written as \\u006eightly is refused", async () => {
    const { dir, text } = await savedPlan();
    const jobs = text.indexOf(`"jobs": {`) + `"jobs": {`.length;
    const entry = text.indexOf(`"nightly": {`, jobs);
    const decoy = `"\\u006eightly": {"team": "demo"},\n    `;
    const edited = `${text.slice(0, entry)}${decoy}${text.slice(entry)}`;
    writeFileSync(join(dir, "dup.json"), edited);
    const reason = `dup.json:${placeOf(edited, entry + decoy.length)}: key "nightly" appears twice in one object: first at dup.json:${placeOf(edited, entry)}, again here. ${TWICE}`;
    await expectRefusedThenApplied(dir, "dup.json", reason, "print('real')");
  });
});

describe("a saved plan whose text reads otherwise than it parses", () => {
  it("is written with a character that reorders a line escaped, and refused by show and apply with that character as itself", async () => {
    // Found in review: a query holding U+202E (right-to-left override) was written as itself,
    // so plan.json in a pull request showed `print("safe")` for `print("efas")`. As itself
    // again, after plan --out, the seal still holds: the document is the same.
    const query = 'print("\u202eefas")';
    const { dir, text } = await savedPlan(query);
    expect(text).toContain(String.raw`"query": "print(\"\u202eefas\")"`);
    expect(text).not.toContain("\u202e");
    const raw = text.replace(String.raw`\u202e`, "\u202e");
    writeFileSync(join(dir, "raw.json"), raw);
    const reason =
      `raw.json:${placeOf(raw, raw.indexOf("\u202e"))}: U+202E is written as itself, where studio-jobs writes \\u202e: ` +
      "as itself it is not seen or changes how the text around it reads, so a reader of the file would not read what apply carries out. Nothing was changed.";
    await expectRefusedThenApplied(dir, "raw.json", reason, query);
  });
});

describe("a job whose requirements hold blank lines", () => {
  it("shows every line it sends, blank ones quoted, in plan, its JSON, and show of it saved; apply sends those lines", async () => {
    // Found in review: `requirements: [numpy, "", "  ", pandas, ""]` planned as `requirements:
    // numpy, pandas` and ["numpy","pandas"], blank lines dropped, while apply sent
    // "numpy\n\n  \npandas\n". The list's last "" is that final line break, not a line: not shown.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-plan-text-"));
    mkdirSync(join(dir, ".git"));
    writeSpec(dir, "text", {
      nightly: { query: "print(1)", requirements: ["numpy", "", "  ", "pandas", ""], schedule: { cron: "0 2 * * *" } },
    });
    const shown = '        requirements: numpy, "", "  ", pandas\n';
    const text = await cli(dir, ["plan"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(shown);
    const json = await cli(dir, ["plan", "--format", "json"]);
    const actions = (JSON.parse(json.stdout) as { actions: { after: { requirements: unknown } }[] }).actions;
    expect(actions.map((action) => action.after.requirements)).toEqual([["numpy", "", "  ", "pandas"]]);
    const markdown = await cli(dir, ["plan", "--format", "markdown"]);
    expect(markdown.stdout).toContain('requirements: numpy, "", "  ", pandas\n');
    expect((await cli(dir, ["plan", "--out", "plan.json"])).code).toBe(0);
    const show = await spawnCli(["show", "plan.json"], { cwd: dir, env });
    expect({ code: show.code, shown: show.stdout.includes(shown) }).toEqual({ code: 0, shown: true });
    expect((await spawnCli(["apply", "plan.json"], { cwd: dir, env })).code).toBe(0);
    expect(studio.emulator.store.allJobs().map((job) => job.requirements)).toEqual(["numpy\n\n  \npandas\n"]);
    // What is live reads as what was sent: planned again, nothing changes.
    expect((await cli(dir, ["plan", "--detailed-exitcode"])).code).toBe(0);
    // The live job's `before` reads its lines as `after` does.
    writeSpec(dir, "text", { nightly: { query: "print(1)", requirements: ["numpy", "", "pandas"], schedule: { cron: "0 2 * * *" } } });
    const replace = JSON.parse((await cli(dir, ["plan", "--format", "json"])).stdout) as {
      actions: { kind: string; before: { requirements: unknown }; after: { requirements: unknown } }[];
    };
    expect(replace.actions.map((a) => [a.kind, a.before.requirements, a.after.requirements])).toEqual([
      ["replace", ["numpy", "", "  ", "pandas"], ["numpy", "", "pandas"]],
    ]);
  });
});
