// Inputs the way users keep them: directories with subdirectories, quoted globs, and
// --var-file per environment.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSpecIssue, SpecError } from "../src/errors.js";
import { loadSpecFiles } from "../src/desired/load.js";
import { readVars } from "../src/desired/var-files.js";
import { globToRegExp } from "../src/desired/walk.js";
import { runCli } from "./cli-helpers.js";
import { copyExample, useStudio, writeRepo } from "./helpers.js";

const job = (key: string) => `version: 1\nstack: s\ndefaults: {team: t}\njobs:\n  ${key}: {query: print(1)}\n`;

async function found(paths: string[], cwd: string): Promise<{ files: string[]; issues: string[] }> {
  const { files, issues } = await loadSpecFiles(paths, cwd);
  return { files: files.map((f) => f.display), issues: issues.map(formatSpecIssue) };
}

describe("a directory", () => {
  it("includes its subdirectories: the project's own example validates from its top", async () => {
    const result = await runCli(["validate", "."], { cwd: copyExample("ml-platform") });
    expect(result).toMatchObject({ code: 0, stdout: "Valid: 3 jobs in 2 files, stack ml-platform, team demo.\n", stderr: "" });
  });

  it("skips .git, node_modules and hidden directories, follows links, and enters a directory once (a link loop)", async () => {
    const dir = writeRepo({
      "a.yaml": job("a"),
      "jobs/b.yml": job("b"),
      "jobs/deeper/c.YAML": job("c"),
      "jobs/notes.txt": "not yaml",
      ".git/config.yaml": "not: a spec",
      ".github/workflows/ci.yaml": "on: push",
      "node_modules/pkg/x.yaml": "not: a spec",
      "jobs/node_modules/y.yaml": "not: a spec",
    });
    // A link to a file is followed; a second path to a file already read is not read again.
    mkdirSync(join(dir, ".shared"));
    writeFileSync(join(dir, ".shared", "d.yaml"), job("d"));
    symlinkSync(join(dir, ".shared", "d.yaml"), join(dir, "jobs", "link.yaml"));
    symlinkSync(join(dir, "a.yaml"), join(dir, "jobs", "again.yaml"));
    symlinkSync(dir, join(dir, "jobs", "loop"));
    expect(await found(["."], dir)).toEqual({ files: ["a.yaml", "jobs/b.yml", "jobs/deeper/c.YAML", "jobs/link.yaml"], issues: [] });
  });

  // Found by an adversarial tester: `studio-jobs apply "$SPEC"` with SPEC unset read the
  // working directory and everything below it, as if "." had been given.
  it("is not what an empty path means: an empty argument is refused, and the others are read", async () => {
    const dir = writeRepo({ "a.yaml": job("a"), "jobs/b.yaml": job("b") });
    expect(await found(["", "jobs"], dir)).toEqual({
      files: ["jobs/b.yaml"],
      issues: ['"":1:1: the path is empty (an unset variable?); give a spec file, a directory or a quoted glob'],
    });
  });

  it("says so when there is no YAML anywhere below it", async () => {
    const dir = writeRepo({ "docs/readme.txt": "x", ".hidden/a.yaml": job("a") });
    expect(await found(["docs"], dir)).toEqual({
      files: [],
      issues: ["docs:1:1: the directory has no .yaml or .yml files, in it or below it"],
    });
  });

  it("says a spec file's name that is not UTF-8 is why it cannot be read, found in a directory or given", async () => {
    // Found by an adversarial tester: jobs/b<0xff>.yaml was "cannot be read (ENOENT); check that it exists".
    const dir = writeRepo({ "jobs/a.yaml": job("a") });
    writeFileSync(Buffer.concat([Buffer.from(join(dir, "jobs", "b")), Buffer.from([0xff]), Buffer.from(".yaml")]), job("b"));
    const said =
      "jobs/b\ufffd.yaml:1:1: the file's name is not UTF-8 text (\ufffd marks the bytes that are not), and the file cannot be opened by it: rename it";
    expect(await found(["jobs"], dir)).toEqual({ files: ["jobs/a.yaml"], issues: [said] });
    // As the shell gives it, decoded as Node decodes the command line.
    expect(await found(["jobs/b\ufffd.yaml"], dir)).toEqual({ files: [], issues: [said] });
  });
});

describe("a quoted glob", () => {
  const layout = {
    "jobs/a.yaml": job("a"),
    "jobs/team1/b.yaml": job("b"),
    "jobs/team1/deep/c.yaml": job("c"),
    "jobs/team2/d.yml": job("d"),
    "jobs/team2/e.yaml": job("e"),
    "other/f.yaml": job("f"),
  };

  it.each([
    ["jobs/**/*.yaml", ["jobs/a.yaml", "jobs/team1/b.yaml", "jobs/team1/deep/c.yaml", "jobs/team2/e.yaml"]],
    ["jobs/*/*.yaml", ["jobs/team1/b.yaml", "jobs/team2/e.yaml"]],
    ["jobs/*.yaml", ["jobs/a.yaml"]],
    ["jobs/team?/*.{yaml,yml}", ["jobs/team1/b.yaml", "jobs/team2/d.yml", "jobs/team2/e.yaml"]],
    ["jobs/team[2]/[!e]*", ["jobs/team2/d.yml"]],
    ["**/f.yaml", ["other/f.yaml"]],
  ])("expands %s", async (pattern, expected) => {
    const dir = writeRepo(layout);
    expect(await found([pattern], dir)).toEqual({ files: expected, issues: [] });
  });

  it("expands an absolute pattern, and says so when nothing matches", async () => {
    const dir = writeRepo(layout);
    const elsewhere = mkdtempSync(join(tmpdir(), "studio-jobs-elsewhere-"));
    expect((await found([join(dir, "jobs", "team2", "*.yml")], elsewhere)).files).toEqual([join(dir, "jobs/team2/d.yml")]);
    expect(await found(["jobs/**/*.json"], dir)).toEqual({ files: [], issues: ["jobs/**/*.json:1:1: no file matches this pattern"] });
  });

  it("says a pattern's directory is not there, rather than that it cannot be read (from a README walkthrough)", async () => {
    const dir = writeRepo(layout);
    expect(await found(["nope/**/*.yaml"], dir)).toEqual({ files: [], issues: ["nope:1:1: no such directory"] });
  });

  // Found by an adversarial tester: `[z-a]` made a regular expression V8 refuses, and the
  // command ended in "Internal error: this is a bug in studio-jobs" with a stack trace.
  it("refuses a range in [...] that runs backwards, where the pattern is given, and reads the rest", async () => {
    const dir = writeRepo(layout);
    const backwards = (pattern: string, range: string) =>
      `${pattern}:1:1: the range "${range}" in this pattern runs backwards; write it low to high, as [a-z]`;
    expect(await found(["jobs/[z-a].yaml", "jobs/team[2-1]/*", "**/[a-\\].yaml", "jobs/*.yaml"], dir)).toEqual({
      files: ["jobs/a.yaml"],
      issues: [backwards("jobs/[z-a].yaml", "z-a"), backwards("jobs/team[2-1]/*", "2-1"), backwards("**/[a-\\].yaml", "a-\\\\")],
    });
    const result = await runCli(["validate", "jobs/[z-a].yaml"], { cwd: dir });
    expect(result).toMatchObject({ code: 1, stderr: `Error: ${backwards("jobs/[z-a].yaml", "z-a")}\n1 problem found in the spec.\n` });
  });

  it("takes a path that exists as written, brackets and all", async () => {
    const dir = writeRepo({ "[prod].yaml": job("a") });
    expect(await found(["[prod].yaml"], dir)).toEqual({ files: ["[prod].yaml"], issues: [] });
  });

  it("matches like a shell: * stays in its directory, ** crosses them", () => {
    expect(globToRegExp("a/*.yaml").test("a/b/c.yaml")).toBe(false);
    expect(globToRegExp("a/**/c.yaml").test("a/c.yaml")).toBe(true);
    expect(globToRegExp("a/**/c.yaml").test("a/b/b/c.yaml")).toBe(true);
    expect(globToRegExp("a.yaml").test("aXyaml")).toBe(false);
    expect(globToRegExp("\\*.yaml").test("*.yaml")).toBe(true);
    expect(globToRegExp("\\*.yaml").test("x.yaml")).toBe(false);
  });
});

describe("--var-file", () => {
  it("reads YAML and JSON; later files win over earlier, --var over both", async () => {
    const dir = writeRepo({ "base.yaml": "env: staging\nregion: eu\nreplicas: '2'\n", "prod.json": '{"env": "prod", "debug": "false"}' });
    expect((await readVars([], ["base.yaml", "prod.json"], dir)).values).toEqual({
      env: "prod",
      region: "eu",
      replicas: "2",
      debug: "false",
    });
    const given = await readVars(["region=us"], ["base.yaml", "prod.json"], dir);
    expect(given.values).toEqual({ env: "prod", region: "us", replicas: "2", debug: "false" });
    // Where each was given last: what a note about an unused one points at.
    expect(Object.fromEntries(given.sources)).toEqual({
      env: { from: "file", location: { file: "prod.json", line: 1, column: 2 } },
      region: { from: "flag", place: "--var" },
      replicas: { from: "file", location: { file: "base.yaml", line: 3, column: 1 } },
      debug: { from: "file", location: { file: "prod.json", line: 1, column: 17 } },
    });
    // A value may span lines (a key's PEM text); a name given twice is placed at its last --var.
    const flags = await readVars(["key=-----BEGIN-----\nAB==\n-----END-----", "env=dev", "key=x\ny"], [], dir);
    expect(flags.values).toEqual({ key: "x\ny", env: "dev" });
    expect(Object.fromEntries(flags.sources)).toEqual({
      key: { from: "flag", place: "--var #3 of 3" },
      env: { from: "flag", place: "--var #2 of 3" },
    });
  });

  it("names each problem of each file by file:line:column", async () => {
    const dir = writeRepo({
      "bad.yaml": "env: [a, b]\n9lives: x\nok: fine\nnothing:\npy: 3.10\nhex: 0x10\ndebug: true\nbig: .inf\n",
      "list.yaml": "- a\n- b\n",
      "broken.json": '{"env": "prod",\n "x": [}\n',
    });
    const error = await readVars([], ["bad.yaml", "list.yaml", "broken.json", "missing.yaml"], dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    const lines = (error as SpecError).issues.map(formatSpecIssue);
    expect(lines).toEqual([
      "bad.yaml:1:6: the value of env must be a string, not a list; put the value in quotes, as written (at env)",
      "bad.yaml:2:1: \"9lives\" is not a variable name: use letters, digits and '_', not starting with a digit (at 9lives)",
      "bad.yaml:4:9: the value of nothing must be a string, not empty; put the value in quotes, as written (at nothing)",
      "bad.yaml:5:5: the value of py must be a string, not the number 3.1; put the value in quotes, as written (at py)",
      "bad.yaml:6:6: the value of hex must be a string, not the number 16; put the value in quotes, as written (at hex)",
      "bad.yaml:7:8: the value of debug must be a string, not true; put the value in quotes, as written (at debug)",
      "bad.yaml:8:6: the value of big must be a string, not the number .inf; put the value in quotes, as written (at big)",
      "broken.json:2:8: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; a [list] continued on the next lines must have them indented past its key",
      "broken.json:2:9: invalid YAML: Flow map must end with a }",
      "list.yaml:1:1: a var file is a mapping of names to values, e.g. env: prod",
      "missing.yaml:1:1: the file cannot be read (ENOENT); check that it exists and is readable",
    ]);
  });

  it("takes an empty var file, or one of comments only, as giving no variables", async () => {
    // It was refused as "not a mapping", where an empty tfvars file is fine.
    const dir = writeRepo({ "empty.yaml": "", "comments.yaml": "# region: eu\n", "null.yaml": "~\n", "base.yaml": "region: us\n" });
    const given = await readVars([], ["base.yaml", "empty.yaml", "comments.yaml", "null.yaml"], dir);
    expect(given.values).toEqual({ region: "us" });
  });

  it("refuses a merge key that merges no mapping, as a spec file does", async () => {
    // Found by a reviewer: once a bad merge became a problem read past, var files dropped it.
    const dir = writeRepo({ "vars.yaml": "env: &e prod\n<<: *e\n" });
    const error = await readVars([], ["vars.yaml"], dir).catch((e: unknown) => e);
    expect((error as SpecError).issues.map(formatSpecIssue)).toEqual([
      "vars.yaml:2:5: << merges mappings into this one: give it an alias of a mapping (<<: *base) or a list of them (<<: [*a, *b])",
    ]);
  });

  // Found by an adversarial tester: a var file past the size cap was told to "split its jobs".
  it("refuses a var file past the size cap as a var file, not as a spec of jobs", async () => {
    const dir = writeRepo({ "studio-jobs.yaml": job("a"), "huge.yaml": "" });
    truncateSync(join(dir, "huge.yaml"), 5 * 1024 * 1024);
    const vars = await runCli(["validate", "studio-jobs.yaml", "--var-file", "huge.yaml"], { cwd: dir });
    expect({ code: vars.code, stdout: vars.stdout, stderr: vars.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "Error: huge.yaml:1:1: the file is 5.0 MiB; a var file may be at most 4 MiB: split its variables over several var files\n1 problem found in the variables given.\n",
    });
  });

  it("refuses a FIFO or a device, as a spec file or a var file, at once", async () => {
    const dir = writeRepo({ "studio-jobs.yaml": job("a") });
    execFileSync("mkfifo", [join(dir, "fifo.yaml")]);
    symlinkSync("/dev/zero", join(dir, "zero.yaml"));
    const spec = await runCli(["validate", "fifo.yaml", "zero.yaml"], { cwd: dir });
    expect(spec).toMatchObject({ code: 1, stdout: "" });
    expect(spec.stderr).toBe(
      [
        "Error: fifo.yaml:1:1: this is a named pipe (FIFO), not a file; give a YAML file",
        "zero.yaml:1:1: this is a device, not a file; give a YAML file",
        "2 problems found in the spec.",
        "",
      ].join("\n"),
    );
    const vars = await runCli(["validate", "studio-jobs.yaml", "--var-file", "fifo.yaml", "--var-file", "zero.yaml"], { cwd: dir });
    expect(vars.code).toBe(1);
    expect(vars.stderr).toContain("fifo.yaml:1:1: this is a named pipe (FIFO), not a file; give a YAML file\n");
    expect(vars.stderr).toContain("zero.yaml:1:1: this is a device, not a file; give a YAML file\n");
  });

  // Found by an adversarial tester: a link loop was "no such file or directory" as a spec, "cannot be read (ELOOP)" as a var file.
  it("says a symbolic link loop is one, as a spec file or a var file", async () => {
    const dir = writeRepo({ "studio-jobs.yaml": job("a") });
    symlinkSync("loop2.yaml", join(dir, "loop.yaml"));
    symlinkSync("loop.yaml", join(dir, "loop2.yaml"));
    const loop = "loop.yaml:1:1: this is a symbolic link loop: a link on its path leads back to itself";
    const spec = await runCli(["validate", "studio-jobs.yaml", "loop.yaml"], { cwd: dir });
    expect({ code: spec.code, stderr: spec.stderr }).toEqual({ code: 1, stderr: `Error: ${loop}\n1 problem found in the spec.\n` });
    const vars = await runCli(["validate", "studio-jobs.yaml", "--var-file", "loop.yaml"], { cwd: dir });
    expect({ code: vars.code, stderr: vars.stderr }).toEqual({
      code: 1,
      stderr: `Error: ${loop}\n1 problem found in the variables given.\n`,
    });
  });

  // Found by an adversarial tester: a socket cannot be opened at all, and was "cannot be read (ENXIO)".
  it("refuses a socket, as a spec file or a var file, saying what it is", async () => {
    const dir = writeRepo({ "studio-jobs.yaml": job("a") });
    const server = createServer();
    await new Promise<void>((listening) => server.listen(join(dir, "sock.yaml"), listening));
    try {
      const spec = await runCli(["validate", "sock.yaml"], { cwd: dir });
      expect({ code: spec.code, stderr: spec.stderr }).toEqual({
        code: 1,
        stderr: "Error: sock.yaml:1:1: this is a socket, not a file; give a YAML file\n1 problem found in the spec.\n",
      });
      const vars = await runCli(["validate", "studio-jobs.yaml", "--var-file", "sock.yaml"], { cwd: dir });
      expect({ code: vars.code, stderr: vars.stderr }).toEqual({
        code: 1,
        stderr: "Error: sock.yaml:1:1: this is a socket, not a file; give a YAML file\n1 problem found in the variables given.\n",
      });
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });

  it("refuses ${ in a variable's value, from vars:, a var file or --var: it would be sent as text", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml":
        "version: 1\nstack: s\ndefaults: {team: t}\nvars:\n  k: ${env:S}\njobs:\n  a:\n    query: print(1)\n    environment: {K: '${var:k}', L: '${env:L'}\n",
      "prod.yaml": "x: ${env:S}\n",
    });
    const plain = "a variable's value is plain text, and ${...} is not read in it; use ${env:...} where the variable is used";
    const spec = await runCli(["validate", "studio-jobs.yaml"], { cwd: dir, env: { S: "s3cret" } });
    expect({ code: spec.code, stderr: spec.stderr }).toEqual({
      code: 1,
      stderr: [
        `Error: studio-jobs.yaml:5:6: ${plain} (at vars.k)`,
        'studio-jobs.yaml:9:38: "${env:L" is not closed: end it with }, or write $${ for a literal ${ (at jobs.a.environment.L)',
        "2 problems found in the spec.",
        "",
      ].join("\n"),
    });
    const file = await runCli(["validate", "studio-jobs.yaml", "--var-file", "prod.yaml"], { cwd: dir });
    expect(file.stderr).toContain(`prod.yaml:1:4: the value of x: ${plain} (at x)\n`);
    const flag = await runCli(["validate", "studio-jobs.yaml", "--var", "x=${env:S}"], { cwd: dir });
    expect({ code: flag.code, stderr: flag.stderr }).toEqual({
      code: 1,
      stderr: `Error: --var x: ${plain}.\nPass the value itself.\n`,
    });
  });

  it("refuses a variable named __proto__ from --var or a var file, which was dropped without a word", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": "version: 1\nstack: s\ndefaults: {team: t}\njobs:\n  a: {query: print(1)}\n",
      "v.json": '{"__proto__": "1", "x": "2"}',
    });
    const flag = await runCli(["validate", "studio-jobs.yaml", "--var", "__proto__=1"], { cwd: dir });
    expect({ code: flag.code, stderr: flag.stderr }).toEqual({
      code: 1,
      stderr: "Error: --var __proto__: __proto__ cannot be used as a name here; choose another.\n",
    });
    const file = await runCli(["validate", "studio-jobs.yaml", "--var-file", "v.json"], { cwd: dir });
    expect(file.stderr).toBe(
      'Error: v.json:1:2: "__proto__": __proto__ cannot be used as a name here; choose another (at __proto__)\n1 problem found in the variables given.\n',
    );
  });

  // `--var "$TOKEN"` (the name left out) was refused as `--var "<the token>" is not name=value`,
  // which put the token in the CI log; so did a base64 token's text before its padding.
  it("refuses a malformed --var without quoting it, naming it by its place", async () => {
    const dir = writeRepo({ "studio-jobs.yaml": job("a") });
    const hint = "Write it as --var NAME=VALUE, e.g. --var env=prod.\n";
    const shown = "what it holds is not shown, as it may be a secret";
    const said = async (...vars: string[]) => {
      const result = await runCli(["validate", "studio-jobs.yaml", ...vars.flatMap((v) => ["--var", v])], { cwd: dir });
      return { code: result.code, stdout: result.stdout, stderr: result.stderr };
    };
    expect(await said("ghp_abcdef0123456789SECRET")).toEqual({
      code: 1,
      stdout: "",
      stderr: `Error: --var is not NAME=VALUE; ${shown}.\n${hint}`,
    });
    expect(await said("env=prod", "=0123456789SECRET")).toEqual({
      code: 1,
      stdout: "",
      stderr: `Error: --var #2 of 2 is not NAME=VALUE; ${shown}.\n${hint}`,
    });
    expect(await said("env=prod", "x=1", "dGhp+c2lz/SECRET==")).toEqual({
      code: 1,
      stdout: "",
      stderr: `Error: --var #3 of 3: the text before "=" is not a variable name: use letters, digits and '_', not starting with a digit; ${shown}.\n${hint}`,
    });
  });

  // Found by an adversarial tester: `--var e.x=1` was "not name=value", and a spec given as a
  // var file had each of its settings told to be put in quotes.
  it("says a --var's name is what is wrong, and a spec given as a var file is one", async () => {
    const dir = writeRepo({ "studio-jobs.yaml": job("a") });
    const flag = await runCli(["validate", "studio-jobs.yaml", "--var", "e.x=1"], { cwd: dir });
    expect({ code: flag.code, stderr: flag.stderr }).toEqual({
      code: 1,
      stderr:
        "Error: --var: the text before \"=\" is not a variable name: use letters, digits and '_', not starting with a digit; what it holds is not shown, as it may be a secret.\nWrite it as --var NAME=VALUE, e.g. --var env=prod.\n",
    });
    const spec = await runCli(["validate", "studio-jobs.yaml", "--var-file", "studio-jobs.yaml"], { cwd: dir });
    expect({ code: spec.code, stderr: spec.stderr }).toEqual({
      code: 1,
      stderr:
        "Error: studio-jobs.yaml:1:1: this is a spec file, not a var file: give it as a path (studio-jobs plan FILE); a var file is a mapping of names to values, e.g. env: prod\n1 problem found in the variables given.\n",
    });
  });

  // A var file whose vars are named version and stack, all text, was refused as a spec file.
  it("takes a var file for a spec by version: with stack: or jobs: and a value not text, not otherwise", async () => {
    // isSpec in var-files.ts: each of its conditions, held alone.
    const dir = writeRepo({
      "studio-jobs.yaml": job("a"),
      "stack.yaml": "version: 1\nstack: ml\n",
      "jobs.yaml": "version: 1\njobs: {}\n",
      "no-stack.yaml": "version: 1\nretries: 3\n",
      "no-version.yaml": "stack: ml\nretries: 3\n",
    });
    const asSpec =
      "this is a spec file, not a var file: give it as a path (studio-jobs plan FILE); a var file is a mapping of names to values, e.g. env: prod";
    const said = async (file: string) => (await runCli(["validate", "studio-jobs.yaml", "--var-file", file], { cwd: dir })).stderr;
    expect(await Promise.all(["stack.yaml", "jobs.yaml", "no-stack.yaml", "no-version.yaml"].map(said))).toEqual([
      `Error: stack.yaml:1:1: ${asSpec}\n1 problem found in the variables given.\n`,
      `Error: jobs.yaml:1:1: ${asSpec}\n1 problem found in the variables given.\n`,
      "Error: no-stack.yaml:1:10: the value of version must be a string, not the number 1; put the value in quotes, as written (at version)\n" +
        "no-stack.yaml:2:10: the value of retries must be a string, not the number 3; put the value in quotes, as written (at retries)\n2 problems found in the variables given.\n",
      "Error: no-version.yaml:2:10: the value of retries must be a string, not the number 3; put the value in quotes, as written (at retries)\n1 problem found in the variables given.\n",
    ]);
  });

  it("reads a var file of vars named version and stack", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": "version: 1\nstack: s\ndefaults: {team: 'team-${var:stack}-${var:version}'}\njobs:\n  a: {query: print(1)}\n",
      "vars.yaml": 'version: "2"\nstack: prod\n',
    });
    const result = await runCli(["validate", "studio-jobs.yaml", "--var-file", "vars.yaml"], { cwd: dir });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 0,
      stdout: "Valid: 1 job in 1 file, stack s, team team-prod-2.\n",
      stderr: "",
    });
  });

  it("works on validate", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": "version: 1\nstack: s\ndefaults: {team: 'team-${var:env}'}\njobs:\n  a: {query: print(1)}\n",
      "vars/prod.yaml": "env: prod\n",
    });
    expect((await runCli(["validate", "studio-jobs.yaml"], { cwd: dir })).stderr).toContain('unknown variable "env"');
    const result = await runCli(["validate", "studio-jobs.yaml", "--var-file", "vars/prod.yaml"], { cwd: dir });
    expect(result).toMatchObject({ code: 0, stdout: "Valid: 1 job in 1 file, stack s, team team-prod.\n" });
    const bad = await runCli(
      ["validate", "studio-jobs.yaml", "--var-file", "vars/prod.yaml", "--var-file", "studio-jobs.yaml", "--format", "json"],
      { cwd: dir },
    );
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      valid: false,
      problems: [
        {
          file: "studio-jobs.yaml",
          line: 1,
          column: 1,
          path: "",
          severity: "error",
          message:
            "this is a spec file, not a var file: give it as a path (studio-jobs plan FILE); a var file is a mapping of names to values, e.g. env: prod",
        },
      ],
    });
  });

  describe("given but not used by the spec", () => {
    // A misspelt --var left the spec on its vars: default without a word: a staging value in production.
    const spec =
      "version: 1\nstack: s\ndefaults: {team: t}\nvars:\n  environment: dev\njobs:\n  a:\n    query: print(1)\n" +
      "    environment: {ENV: '${var:environment}', RAW: '$${var:region}', Q: '${var:queue}'}\n";
    const hint = "A spec file uses a variable by declaring it under vars: or reading it as ${var:NAME}.";

    it("refuses a --var no spec file uses, naming every one and those the spec uses", async () => {
      const dir = writeRepo({ "spec/studio-jobs.yaml": spec });
      const one = await runCli(["validate", "spec", "--var", "enviroment=prod", "--var", "queue=q"], { cwd: dir });
      expect(one).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `Error: --var enviroment: no spec file uses a variable of that name; check its spelling.\nThe spec uses: environment, queue. ${hint}\n`,
      });
      // $${var:region} is text, not a use of region.
      const two = await runCli(["validate", "spec", "--var", "region=eu", "--var", "zone=a", "--format", "json"], { cwd: dir });
      expect(two).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `Error: --var region, --var zone: no spec file uses variables of these names; check their spelling.\nThe spec uses: environment, queue. ${hint}\n`,
      });
      const used = await runCli(["validate", "spec", "--var", "environment=prod", "--var", "queue=q"], { cwd: dir });
      expect(used).toMatchObject({ code: 0, stdout: "Valid: 1 job in 1 file, stack s, team t.\n", stderr: "" });
    });

    // `--var "$TOKEN"` of a base64 token reads as the name before its padding, and an unused
    // --var was said back by its name: the token, in a CI log.
    it("refuses a --var no spec file uses by its place, not its name, when the name has a secret's form", async () => {
      const dir = writeRepo({ "spec/studio-jobs.yaml": spec });
      const token = "dG9rZW4xMjM0NTY3ODkwYWJjZGVm";
      const result = await runCli(["validate", "spec", "--var", "queue=q", "--var", `${token}==`, "--var", "zone=a"], { cwd: dir });
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: --var #2 of 3 (its name not shown: it has a secret's form), --var zone: no spec file uses variables of these names; check their spelling.\nThe spec uses: environment, queue. ${hint}\n`,
      });
    });

    it("notes a var file's variable no spec file uses, at its place, and goes on", async () => {
      const dir = writeRepo({ "spec/studio-jobs.yaml": spec, "prod.yaml": "environment: prod\nregoin: eu\nqueue: q\n" });
      const note = "no spec file uses the variable regoin (none declares it under vars: or reads it as ${var:regoin}); check its spelling";
      const text = await runCli(["validate", "spec", "--var-file", "prod.yaml"], { cwd: dir });
      expect(text).toMatchObject({
        code: 0,
        stdout: "Valid: 1 job in 1 file, stack s, team t.\n",
        stderr: `prod.yaml:2:1: note: ${note} (at regoin)\n`,
      });
      const json = await runCli(["validate", "spec", "--var-file", "prod.yaml", "--format", "json"], { cwd: dir });
      expect(JSON.parse(json.stdout)).toEqual({
        valid: true,
        problems: [{ file: "prod.yaml", line: 2, column: 1, path: "regoin", severity: "note", message: note }],
      });
      // A --var of the same name is the value in force, and is refused.
      const flag = await runCli(["validate", "spec", "--var-file", "prod.yaml", "--var", "regoin=us"], { cwd: dir });
      expect(flag.code).toBe(1);
      expect(flag.stderr).toContain("Error: --var regoin: no spec file uses a variable of that name");
    });

    it("stops plan and status before contacting Studio", async () => {
      const dir = writeRepo({ "spec/studio-jobs.yaml": spec });
      const env = { DATACHAIN_STUDIO_URL: "http://127.0.0.1:9", DATACHAIN_STUDIO_TOKEN: "t0ken" };
      for (const command of ["plan", "apply", "destroy", "status"]) {
        const result = await runCli([command, "spec", "--var", "enviroment=prod"], { cwd: dir, env });
        expect({ command, code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
          command,
          code: 1,
          stdout: "",
          stderr: `Error: --var enviroment: no spec file uses a variable of that name; check its spelling.\nThe spec uses: environment, queue. ${hint}\n`,
        });
      }
    });

    it("counts a use in a block that jobs merge in, and in a path", async () => {
      const dir = writeRepo({
        "spec/studio-jobs.yaml":
          "version: 1\nstack: s\ndefaults: {team: t}\nx-base: &base\n  environment: {TIER: '${var:tier}'}\njobs:\n" +
          "  a: {<<: *base, query_file: 'q-${var:flavour}.py'}\n",
        "spec/q-plain.py": "print(1)\n",
      });
      const result = await runCli(["validate", "spec", "--var", "tier=gold", "--var", "flavour=plain"], { cwd: dir });
      expect(result).toMatchObject({ code: 0, stdout: "Valid: 1 job in 1 file, stack s, team t.\n", stderr: "" });
    });
  });

  describe("on plan and apply", () => {
    const { env } = useStudio();
    const spec =
      "version: 1\nstack: vf\ndefaults: {team: demo}\njobs:\n  a:\n    query: print(1)\n    environment: {DEPLOY: '${var:env}'}\n";

    it("plans and applies with the file's values, --var over them, and a saved plan refuses the flag", async () => {
      const dir = writeRepo({ "studio-jobs.yaml": spec, "prod.yaml": "env: prod\n" });
      const without = await runCli(["plan", "studio-jobs.yaml"], { cwd: dir, env });
      expect(without.stderr).toContain('unknown variable "env"');
      const plan = await runCli(["plan", "studio-jobs.yaml", "--var-file", "prod.yaml", "--out", "plan.json"], { cwd: dir, env });
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain("Plan: 1 to create, 0 to replace, 0 to cancel, 0 unchanged.");
      const refused = await runCli(["apply", "plan.json", "--var-file", "prod.yaml"], { cwd: dir, env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("--var-file cannot change a saved plan");
      expect((await runCli(["apply", "studio-jobs.yaml", "--var-file", "prod.yaml", "--yes"], { cwd: dir, env })).code).toBe(0);
      const after = await runCli(["plan", "studio-jobs.yaml", "--var-file", "prod.yaml"], { cwd: dir, env });
      expect(after.stdout).toBe("No changes. Studio matches the spec in team demo.\n");
      const overridden = await runCli(["plan", "studio-jobs.yaml", "--var-file", "prod.yaml", "--var", "env=staging"], { cwd: dir, env });
      expect(overridden.stdout).toContain("environment.DEPLOY: prod → staging");
    });

    it("stops a plan on a bad var file before contacting Studio", async () => {
      const dir = writeRepo({ "studio-jobs.yaml": spec, "prod.yaml": "env: [prod]\n" });
      const plan = await runCli(["plan", "studio-jobs.yaml", "--var-file", "prod.yaml"], {
        cwd: dir,
        env: { ...env, DATACHAIN_STUDIO_URL: "http://127.0.0.1:9" },
      });
      expect(plan.code).toBe(1);
      expect(plan.stderr).toBe(
        "Error: prod.yaml:1:6: the value of env must be a string, not a list; put the value in quotes, as written (at env)\n1 problem found in the variables given.\n",
      );
    });

    it("counts a bad var file's problems as the variables', in validate's GitHub annotations too", async () => {
      const dir = writeRepo({ "studio-jobs.yaml": spec, "prod.yaml": "env: [prod]\n" });
      const github = await runCli(["validate", "studio-jobs.yaml", "--var-file", "prod.yaml", "--format", "github"], { cwd: dir });
      expect([github.code, github.stdout, github.stderr]).toEqual([
        1,
        "::error file=prod.yaml,line=1,col=6::the value of env must be a string, not a list; put the value in quotes, as written (at env)\n",
        "1 problem found in the variables given.\n",
      ]);
    });
  });
});
