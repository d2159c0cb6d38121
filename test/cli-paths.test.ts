// How the CLI takes `-` and odd paths, and says them back: as a user of other command-line
// tools would expect, through the built CLI.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli, spawnCli } from "./cli-helpers.js";
import { copyExample, useStudio } from "./helpers.js";

const { env } = useStudio();

describe("-", () => {
  // `import --out -` wrote the spec to a file named "-" in the current directory.
  it("is standard output for import --out, as no --out is", async () => {
    const dir = copyExample("analytics");
    const before = readdirSync(dir).sort();
    const result = await spawnCli(["--team", "demo", "import", "--out", "-"], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect((parse(result.stdout) as { stack: string }).stack).toBe("imported");
    expect(result.stderr).toBe("Imported 0 jobs from team demo. No live job there is left unmanaged: there is nothing to fill in.\n");
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  // `plan --out -` was refused as "not a .json file", as if - were a file name.
  it("is refused as plan --out, whose standard output holds the plan as printed", async () => {
    const dir = copyExample("analytics");
    const result = await spawnCli(["plan", "--out", "-"], { cwd: dir, env });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "Error: --out - would write the saved plan to standard output, where plan prints the plan for reading: a saved plan is written to a file.\n" +
        "Give --out a path ending in .json, e.g. --out plan.json; for the plan as JSON on standard output, pass --format json.\n",
    });
  });

  // `show -`, `apply -`, `plan -` and `--var-file -` read a file named "-", and said it did not exist.
  it("is refused where a spec, a saved plan, a var file or the emulator's files are read, which are files only", async () => {
    const dir = copyExample("analytics");
    const refused = (what: string) =>
      `Error: - would be standard input, but a ${what} is read from a file, not from standard input.\nGive its path (./- names a file called -).\n`;
    const refusedValue = (option: string) =>
      `Error: option '${option} <file>' argument '-' is invalid. Give a file path: this option takes no standard input or output (./- names a file called -).\n(run with --help for usage)\n`;
    const cases: [string[], string][] = [
      [["show", "-"], refused("saved plan")],
      [["apply", "-"], refused("saved plan or spec")],
      [["plan", "-"], refused("spec")],
      [["validate", ".", "-"], refused("spec")],
      [["status", "-"], refused("spec")],
      [["destroy", "-"], refused("spec")],
      [["validate", "--var-file", "-"], refusedValue("--var-file")],
      // The emulator's journal would be a file named "-", and its config was said missing as one.
      [["emulator", "--data", "-"], refusedValue("--data")],
      [["emulator", "--config", "-"], refusedValue("--config")],
    ];
    for (const [args, stderr] of cases) {
      expect([args, await runCli(args, { cwd: dir, env })]).toEqual([args, { code: 1, stdout: "", stderr, questions: [] }]);
    }
  });
});

/** The last line of `text` (a plan of the example warns first that its jobs are not live yet). */
function saidLast(text: string): string {
  return `${text.trimEnd().split("\n").at(-1) ?? ""}\n`;
}

describe("paths said back", () => {
  // "Saved the plan to my dir/p'x.json. Apply exactly this plan with: studio-jobs apply my dir/p'x.json":
  // the command, copied, applied nothing; a name with a terminal escape was printed bare too.
  it("are quoted as a shell takes them back, and their control characters shown", async () => {
    const dir = copyExample("analytics");
    mkdirSync(join(dir, "my dir"));
    const spaced = await spawnCli(["plan", "--out", "my dir/p'x.json"], { cwd: dir, env });
    expect([spaced.code, saidLast(spaced.stderr)]).toEqual([
      0,
      "Saved the plan to 'my dir'/'p'\\''x.json'. Apply exactly this plan with: studio-jobs apply 'my dir'/'p'\\''x.json'\n",
    ]);
    const shown = await spawnCli(["show", "my dir/p'x.json"], { cwd: dir, env });
    expect(shown.stderr.split("\n")[0]).toMatch(/ Apply it with: studio-jobs apply 'my dir'\/'p'\\''x\.json'$/);
    const escaped = await spawnCli(["plan", "--out", "red\u001b[31m.json"], { cwd: dir, env });
    expect([escaped.code, saidLast(escaped.stderr)]).toEqual([
      0,
      "Saved the plan to 'red^[[31m.json'. Apply exactly this plan with: studio-jobs apply 'red^[[31m.json'\n",
    ]);
    expect(existsSync(join(dir, "red\u001b[31m.json"))).toBe(true);
    const missing = await spawnCli(["--team", "demo", "import", "--out", "no dir/a\nb.yaml"], { cwd: dir, env });
    expect([missing.code, missing.stderr]).toEqual([
      1,
      "Error: Cannot write 'no dir'/'a^Jb.yaml': the directory 'no dir' does not exist; nothing was written.\n" +
        "Give --out a file path, e.g. --out studio-jobs.yaml, in an existing directory you can write to.\n",
    ]);
  });
});

describe("an empty path", () => {
  // `show ""` said "Error:  is a directory, not a saved plan file.", the path shown as nothing.
  it("is said back as a shell word, ''", async () => {
    const result = await runCli(["show", ""], { cwd: copyExample("analytics"), env });
    expect([result.code, result.stderr.split("\n")[0]]).toEqual([1, "Error: '' is a directory, not a saved plan file."]);
  });
});

describe("a saved plan's spec_paths", () => {
  it("hold the spec paths as given, a secret in one hidden", async () => {
    const dir = copyExample("analytics");
    mkdirSync(join(dir, "x-dev-token"));
    writeFileSync(join(dir, "x-dev-token", "a.yaml"), "version: 1\nstack: other\ndefaults: {team: demo}\njobs:\n  a: {query: print(1)}\n");
    const made = await runCli(["plan", "x-dev-token/", "--out", "s.json"], { cwd: dir, env });
    expect(made.code).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, "s.json"), "utf8")) as { spec_paths: string[] }).spec_paths).toEqual(["x-***/"]);
  });
});

describe("--target", () => {
  // `--target nightly-embedings` said only that it matches no job.
  it("naming no job suggests the key a typo away", async () => {
    const dir = copyExample("analytics");
    const result = await spawnCli(["plan", "--target", "nightly-embedings"], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error: --target nightly-embedings matches no job of the spec and no live job of stack analytics; did you mean --target nightly-embeddings?\n",
    );
  });
});

describe("a stale saved plan", () => {
  // A plan made with `plan 'sp ace/' --out s.json` and gone stale said "Make a new plan with
  // `studio-jobs plan --out FILE`", which plans ./studio-jobs.yaml: another stack here.
  it("says the plan that makes it again, with the spec paths it was made from", async () => {
    const dir = copyExample("analytics");
    mkdirSync(join(dir, "sp ace"));
    const spec = (query: string) =>
      writeFileSync(
        join(dir, "sp ace", "x.yaml"),
        `version: 1\nstack: spacey\ndefaults: {team: demo}\njobs:\n  a: {query: ${query}, schedule: {cron: '0 1 * * *'}}\n`,
      );
    spec("print(1)");
    expect((await runCli(["plan", "sp ace/", "--out", "s.json"], { cwd: dir, env })).code).toBe(0);
    // Studio changes under the plan (another query applied), and the spec is as it was.
    spec("print(2)");
    expect((await runCli(["apply", "sp ace/", "--yes"], { cwd: dir, env })).code).toBe(0);
    spec("print(1)");
    const stale = await runCli(["apply", "s.json"], { cwd: dir, env });
    expect([stale.code, stale.stderr.split("\n").at(-2)]).toEqual([
      1,
      "Make a new plan with `studio-jobs plan 'sp ace'/ --out FILE` and apply that.",
    ]);
    // Studio already as the plan leaves it.
    expect((await runCli(["plan", "sp ace/", "--out", "s.json"], { cwd: dir, env })).code).toBe(0);
    expect((await runCli(["apply", "sp ace/", "--yes"], { cwd: dir, env })).code).toBe(0);
    const done = await runCli(["apply", "s.json"], { cwd: dir, env });
    expect([done.code, done.stderr.split("\n").at(-2)]).toEqual([
      1,
      "Run `studio-jobs plan 'sp ace'/` to see whether anything is left to do.",
    ]);
    // A plan of ./studio-jobs.yaml names no path, as `plan` needs none.
    expect((await runCli(["plan", "--out", "d.json"], { cwd: dir, env })).code).toBe(0);
    expect((await runCli(["apply", "--yes"], { cwd: dir, env })).code).toBe(0);
    const bare = await runCli(["apply", "d.json"], { cwd: dir, env });
    expect([bare.code, bare.stderr.split("\n").at(-2)]).toEqual([1, "Run `studio-jobs plan` to see whether anything is left to do."]);
  });
});
