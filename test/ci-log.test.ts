// What the CLI prints lands in CI logs, whose runner takes some lines for commands
// (src/workflow-commands.ts). Values from a spec and from Studio that spell one must be
// printed so that none is run, in every format, and mean the same in JSON and YAML.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CLI, runCli, runProcess, type CliResult } from "./cli-helpers.js";
import { handMade, useStudio, writeRepo, writeSpec } from "./helpers.js";

const { studio, env } = useStudio();

/** The lines of a run's output a GitHub (or Azure) runner would take for a command: `::` after blanks, `##[` or `##vso[` anywhere. */
function commandLines(result: CliResult): string[] {
  return `${result.stdout}\n${result.stderr}`
    .split(/[\r\n]/)
    .filter((line) => /^(?:\s|\u0085)*::/.test(line) || /##(?:vso)?\[/i.test(line));
}

const QUERY = "print(1)\n::add-mask::cancel\n  ::stop-commands::x\nprint(2)\n";

describe("output read by a CI runner", () => {
  it("runs no command a query line or an environment value spells, in a plan, its JSON and Markdown, and apply", async () => {
    const dir = writeRepo({ "q.py": QUERY });
    const jobs = { a: { query_file: "q.py", environment: { FOO: "##[error]a fake failure", BAR: "##vso[task.complete]" } } };
    writeSpec(dir, "ci", jobs);
    const run = (args: string[]) => runCli(args, { cwd: dir, env: { ...env, DATACHAIN_STUDIO_TEAM: "demo" } });
    expect((await run(["apply", "--yes"])).code).toBe(0);
    // A change beside them, so that the diff shows them as context lines.
    writeFileSync(join(dir, "q.py"), QUERY.replace("print(2)", "print(3)"));
    const text = await run(["plan"]);
    expect(text.stdout).toContain("          \\u003a:add-mask::cancel\n");
    const json = await run(["plan", "--format", "json"]);
    const markdown = await run(["plan", "--format", "markdown"]);
    const applied = await run(["apply", "--yes"]);
    expect([text, json, markdown, applied].map(commandLines)).toEqual([[], [], [], []]);
    expect([text.code, json.code, markdown.code, applied.code]).toEqual([0, 0, 0, 0]);
    const after = (JSON.parse(json.stdout) as { actions: { after: { query: string; environment: Record<string, string> } }[] }).actions[0]
      ?.after;
    expect([after?.query, after?.environment]).toEqual([QUERY.replace("print(2)", "print(3)"), jobs.a.environment]);
  });

  it("keeps a team's name from running a command in validate's summary, and keeps the annotations validate means", async () => {
    const dir = writeRepo({});
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      'version: 1\nstack: ci\ndefaults:\n  team: "##[stop-commands]t"\njobs:\n  a:\n    query: x\n',
    );
    const valid = await runCli(["validate", "--format", "github"], { cwd: dir });
    expect([valid.code, valid.stdout, commandLines(valid)]).toEqual([
      0,
      "Valid: 1 job in 1 file, stack ci, team ##\\u005bstop-commands]t.\n",
      [],
    ]);
    writeFileSync(join(dir, "studio-jobs.yaml"), "version: 1\nstack: ci\njobs:\n  a:\n    team: t\n    query: x\n    workers: 0\n");
    const invalid = await runCli(["validate", "--format", "github"], { cwd: dir });
    expect([invalid.code, invalid.stdout]).toEqual([
      1,
      "::error file=studio-jobs.yaml,line=7,col=14::must be at least 1, got 0 (at jobs.a.workers)\n",
    ]);
  });

  it("imports to stdout a spec whose values read back as Studio's, with no line a command", async () => {
    const environment = "A=##[error]x\nB=::add-mask::y";
    await studio.client.createJob(handMade("::add-mask::cancel", { query: QUERY, environment }));
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-import-"));
    mkdirSync(join(dir, ".git"));
    const imported = await runCli(["import", "--team", "demo"], { cwd: dir, env });
    expect([imported.code, commandLines(imported)]).toEqual([0, []]);
    const spec = parse(imported.stdout) as { jobs: Record<string, { query: string; environment: Record<string, string> }> };
    expect(spec.jobs["::add-mask::cancel"]).toMatchObject({ query: QUERY, environment: { A: "##[error]x", B: "::add-mask::y" } });
  });

  // Found by a secrets hunt: the Markdown diff escaped the `[` of `##[` before the output was
  // redacted, so a secret holding one was printed whole, as `##\u005b`, in a pull request.
  it("hides a secret holding what would be a command in a Markdown plan's diff, as in text and JSON", async () => {
    const secret = "s3cr3t-##[x-env91b2d4";
    const dir = writeRepo({ "q.py": `key = "${secret}"\nprint(1)\n` });
    writeSpec(dir, "ci-secret", { a: { query_file: "q.py", environment: { KEY: "${env:HUNT_SECRET}" } } });
    const shown = await Promise.all(
      ["text", "json", "markdown"].map((format) =>
        runCli(["plan", "--format", format], { cwd: dir, env: { ...env, DATACHAIN_STUDIO_TEAM: "demo", HUNT_SECRET: secret } }),
      ),
    );
    expect(shown.map((result) => result.code)).toEqual([0, 0, 0]);
    for (const result of shown) expect(`${result.stdout}${result.stderr}`).not.toContain("env91b2d4");
    expect(shown[2]?.stdout).toContain('+ query: key = "***" … (2 lines)');
  });

  it("keeps a Markdown plan under GitHub's comment limit once what would be a command is escaped", async () => {
    // Each "##[" grows by five characters where it is printed: measured after the limit, two
    // creates that fitted came to over 140,000 characters, which GitHub refuses as a comment,
    // and the pull request went on showing the plan before.
    const value = "##[".repeat(9_000);
    const dir = writeRepo({});
    writeSpec(dir, "ci", { a: { query: "x", environment: { V: value } }, b: { query: "y", environment: { V: value } } });
    const markdown = await runCli(["plan", "--format", "markdown"], { cwd: dir, env: { ...env, DATACHAIN_STUDIO_TEAM: "demo" } });
    expect([markdown.code, markdown.stdout.length <= 60_000, commandLines(markdown)]).toEqual([0, true, []]);
    expect(markdown.stdout).toContain("job details were left out to keep this comment under 60000 characters");
  });

  it("runs no command an internal error's text spells, caught by the process's last handler", async () => {
    // The handler for what escapes run() wrote its text redacted only (a review found it).
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-crash-"));
    const preload = join(dir, "crash.cjs");
    writeFileSync(preload, 'setTimeout(() => { throw new Error("boom\\n::add-mask::cancel ##[error]x"); }, 300);\n');
    const crashed = await runProcess(process.execPath, ["-r", preload, CLI, "emulator", "--port", "0"], {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "" },
    });
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toContain(
      "Internal error: this is a bug in studio-jobs, please report it.\nError: boom\n\\u003a:add-mask::cancel ##\\u005berror]x\n",
    );
    expect(commandLines(crashed)).toEqual([]);
  });
});
