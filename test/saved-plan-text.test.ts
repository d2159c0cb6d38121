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
async function savedPlan(): Promise<{ dir: string; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-plan-text-"));
  mkdirSync(join(dir, ".git"));
  writeSpec(dir, "text", { nightly: { query: "print('real')", schedule: { cron: "0 2 * * *" } } });
  expect((await cli(dir, ["plan", "--out", "plan.json"])).code).toBe(0);
  return { dir, text: readFileSync(join(dir, "plan.json"), "utf8") };
}

/** 1-based line and column of `offset` in `text`, counted by hand for the test. */
function placeOf(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${(before.at(-1) ?? "").length + 1}`;
}

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
    const second = placeOf(edited, real + decoy.length);
    const first = placeOf(edited, real); // the decoy comes first
    const refusal = {
      code: 1,
      stdout: "",
      stderr:
        `Error: dup.json:${second}: key "query" appears twice in one object: first at dup.json:${first}, again here. ` +
        "studio-jobs never writes that: the saved plan was changed after it was made, and a reader of the file may take the value apply would not. Nothing was changed.\n" +
        "Make it again with `studio-jobs plan --out FILE` and apply that.\n",
    };

    expect(await spawnCli(["show", "dup.json"], { cwd: dir, env })).toEqual(refusal);
    expect(await spawnCli(["apply", "dup.json"], { cwd: dir, env })).toEqual(refusal);
    expect(studio.emulator.store.allJobs()).toEqual([]);

    // The file as plan --out wrote it is applied.
    expect((await spawnCli(["apply", "plan.json"], { cwd: dir, env })).code).toBe(0);
    expect(studio.emulator.store.allJobs().map((job) => job.query)).toEqual(["print('real')"]);
  });

  it("counts an escaped key by what it says: a second job entry written as \\u006eightly is refused", async () => {
    const { dir, text } = await savedPlan();
    const jobs = text.indexOf(`"jobs": {`) + `"jobs": {`.length;
    const entry = text.indexOf(`"nightly": {`, jobs);
    const decoy = `"\\u006eightly": {"team": "demo"},\n    `;
    const edited = `${text.slice(0, entry)}${decoy}${text.slice(entry)}`;
    writeFileSync(join(dir, "dup.json"), edited);
    const result = await spawnCli(["apply", "dup.json"], { cwd: dir, env });
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr.split("\n")[0]).toBe(
      `Error: dup.json:${placeOf(edited, entry + decoy.length)}: key "nightly" appears twice in one object: first at dup.json:${placeOf(edited, entry)}, again here. ` +
        "studio-jobs never writes that: the saved plan was changed after it was made, and a reader of the file may take the value apply would not. Nothing was changed.",
    );
    expect(studio.emulator.store.allJobs()).toEqual([]);
  });
});
