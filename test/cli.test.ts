// The CLI as a user meets it: help, the emulator command, colour and progress on a terminal.

import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { startedByNpm } from "../src/cli/commands/emulator.js";
import { NODE_NEEDED, nodeTooOld } from "../src/cli/node-version.js";
import { startEmulator } from "../src/emulator/index.js";
import { CLI, firstLine, runCli, runProcess, spawnCli } from "./cli-helpers.js";
import { copyExample, JOURNAL_JOB, rawCall, startCpuClock, useStudio, writeRepo } from "./helpers.js";

describe("help and version", () => {
  it("pins the top-level help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "Usage: studio-jobs [options] [command]

      Manage DataChain Studio jobs as code: validate, plan and apply scheduled jobs
      from YAML.

      Options:
        -V, --version                  output the version number
        --url <url>                    Studio URL (default: DATACHAIN_STUDIO_URL,
                                       datachain config, https://studio.datachain.ai)
        --token <token>                Studio token (default: DATACHAIN_STUDIO_TOKEN
                                       or datachain config)
        --team <team>                  Studio team (default: DATACHAIN_STUDIO_TEAM or
                                       datachain config): for jobs whose spec names
                                       none; also planned when the spec no longer
                                       names it
        --no-color                     no ANSI colours
        --verbose                      more diagnostics, and stack traces for errors
        --insecure                     allow plain http:// to a host other than this
                                       machine
        --timeout <seconds>            the most one request to Studio may take
                                       (default: STUDIO_JOBS_TIMEOUT, or 60)
        -h, --help                     display help for command

      Commands:
        validate [options] [paths...]  check spec files offline: schema, references,
                                       cron
        plan [options] [paths...]      show what apply would change in Studio
        apply [options] [paths...]     make Studio match the spec, or carry out a
                                       saved plan
        show [options] <planfile>      print a saved plan, without contacting Studio
        destroy [options] [paths...]   cancel every job of the stack, in every team it
                                       covers
        status [options] [paths...]    the stack's jobs in Studio, whether they match
                                       the spec, and their last runs
        import [options]               write a spec for a team's live jobs that
                                       studio-jobs does not manage yet
        clusters [options]             list compute clusters
        completion <shell>             print a shell completion script
        emulator [options]             run a local Studio jobs API for trying the tool
                                       and for tests
        help [command]                 display help for command

      Examples:
        # check ./studio-jobs.yaml, then see what would change in Studio
        $ studio-jobs validate && studio-jobs plan
        # make Studio match it, after asking
        $ studio-jobs apply
        # the same, with the plan saved in between
        $ studio-jobs plan --out plan.json && studio-jobs apply plan.json
      "
    `);
  });

  it("prints the version and exits 0, alone (without loading the parser) or among other options", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    for (const argv of [["--version"], ["-V"], ["--no-color", "--version"]]) {
      expect(await spawnCli(argv)).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
    }
    expect((await runCli(["-V"])).stdout).toBe(`${version}\n`);
  });

  it("fails, exit 1, when its output cannot be written in full (a full disk: /dev/full), and when the reader goes away", async () => {
    // It exited 0 (or 2, "changes pending") with the plan or the imported spec cut short.
    /** The built CLI run with stdout to `stdout` (a file descriptor, or a pipe read once and closed). */
    const exitOf = (argv: string[], cwd: string, stdout: number | "read once") =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...argv], { cwd, stdio: ["ignore", stdout === "read once" ? "pipe" : stdout, "pipe"] });
        let stderr = "";
        child.stdout?.once("data", () => child.stdout?.destroy());
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stderr }));
      });
    const dir = copyExample("analytics");
    const full = openSync("/dev/full", "w");
    try {
      expect(await exitOf(["validate", ".", "--format", "json"], dir, full)).toEqual({
        code: 1,
        stderr:
          "Error: the output could not be written in full (ENOSPC: no space left on device, write); what was printed is cut short. The command itself succeeded, and would have exited 0.\n",
      });
      // --version answers without loading the rest: it too says so, instead of a stack trace.
      expect(await exitOf(["--version"], dir, full)).toEqual({
        code: 1,
        stderr: "Error: the output could not be written in full (ENOSPC: no space left on device, write); what was printed is cut short.\n",
      });
    } finally {
      closeSync(full);
    }
    // A reader that reads a little and leaves, as `| head -c 100` does: the rest of a long
    // output (here some 400 KB of problems, more than a pipe holds) is cut.
    const jobs = Array.from({ length: 2000 }, (_, i) => `  j${i}: {query: x, workers: many}`).join("\n");
    const many = writeRepo({ "studio-jobs.yaml": `version: 1\nstack: s\ndefaults: {team: t}\njobs:\n${jobs}\n` });
    expect(await exitOf(["validate", ".", "--format", "json"], many, "read once")).toEqual({
      code: 1,
      stderr:
        "Error: the output could not be written in full (the reader closed the pipe); what was printed is cut short. The command itself failed as well.\n",
    });
  });

  it("help read only in part (`--help | head -1`) is no failure: exit 0, nothing said", async () => {
    // It said "the output could not be written in full" and exited 1, for help a reader had
    // read as far as it wanted (a newcomer's walk-through).
    for (const argv of [["--help"], ["help", "plan"], ["apply", "-h"]]) {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stdout.once("data", () => child.stdout.destroy());
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stderr }));
      });
      expect(result, argv.join(" ")).toEqual({ code: 0, stderr: "" });
    }
  });

  it("writes all of a long stderr to a pipe before it exits", async () => {
    // Only stdout was waited for: the process exited with what the pipe held (some 200 KB)
    // of the 12,000 problems written to stderr, and the rest, the closing count included, was lost.
    const jobs = Array.from({ length: 12000 }, (_, i) => `  j${i}: {query: x, workers: many}`).join("\n");
    const many = writeRepo({ "studio-jobs.yaml": `version: 1\nstack: s\ndefaults: {team: t}\njobs:\n${jobs}\n` });
    const { code, stderr } = await spawnCli(["validate", "."], { cwd: many });
    expect(code).toBe(1);
    const lines = stderr.split("\n");
    expect(lines.slice(-3)).toEqual([
      'studio-jobs.yaml:12004:31: must be an integer, got the string "many" (at jobs.j11999.workers)',
      "12000 problems found in the spec.",
      "",
    ]);
    expect(lines).toHaveLength(12002);
  }, 90_000);

  it("says a command asked help for is unknown, exit 1, as it does for the command itself", async () => {
    // `help nope` printed the whole help on stderr, exit 1, without saying why.
    for (const argv of [["help", "nope"], ["nope"]]) {
      const result = await runCli(argv);
      expect([result.code, result.stdout, result.stderr]).toEqual([1, "", "Error: unknown command 'nope'\n(run with --help for usage)\n"]);
    }
    // `help pln` did not say what `pln` says: the command it is a typo of.
    for (const argv of [["help", "pln"], ["pln"]]) {
      const result = await runCli(argv);
      expect([result.code, result.stdout, result.stderr]).toEqual([
        1,
        "",
        "Error: unknown command 'pln'\n(Did you mean plan?)\n(run with --help for usage)\n",
      ]);
    }
    // Commander's errors quoted the command line as given: a terminal escape in it was obeyed.
    for (const argv of [["help", "a\x1b[2Jb"], ["a\x1b[2Jb"], ["plan", "--a\x1b[2Jb"]]) {
      const result = await runCli(argv);
      expect([result.code, result.stdout, result.stderr.split("\n")[0]]).toEqual([
        1,
        "",
        `Error: unknown ${argv[0] === "plan" ? "option '--" : "command '"}a^[[2Jb'`,
      ]);
    }
    const known = await runCli(["help", "plan"]);
    expect(known.code).toBe(0);
    expect(known.stdout).toMatch(/^Usage: studio-jobs plan /);
  });

  it("says what is wrong with an unknown option, exit 1", async () => {
    const result = await runCli(["plan", "--frobnicate"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("Error: unknown option '--frobnicate'\n(run with --help for usage)\n");
  });

  it("says an unknown option without the value given with it, which may be the token under a mistyped name", async () => {
    // Found by an adversarial tester: `--tokne=$TOKEN` in a CI script printed the token, which
    // no redactor knew, as the token is registered only from --token and the environment.
    for (const argv of [["--tokne=sk-live-0123456789"], ["plan", "--toekn=sk-live-0123456789"], ["plan", "--x=a'b=sk-live-0123456789'"]]) {
      const result = await runCli(argv);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`Error: unknown option '${argv.at(-1)?.split("=")[0] ?? ""}=***'\n(run with --help for usage)\n`);
    }
    // A line break in the value, or a ' in the option's name, printed the value.
    for (const [given, said] of [
      ["--tokne=sk-live-01234\n56789", "--tokne"],
      ["--to'kne=sk-live-0123456789", "--to'kne"],
    ]) {
      const result = await runCli([given ?? ""]);
      expect([result.code, result.stderr]).toEqual([1, `Error: unknown option '${said ?? ""}=***'\n(run with --help for usage)\n`]);
    }
    // A short option holds its value without "=" (`-t$TOKEN`, `-t "$TOKEN"` as one word):
    // none is known but -V and -h, and an unknown one was said whole, the token with it.
    for (const [given, said] of [
      ["-tsk-live-0123456789", "-t***"],
      ["-t sk-live-0123456789", "-t***"],
      ["-tsk-live-01234=56789", "-t***"],
      ["-hsk-live-0123456789", "-h***"],
      ["-x", "-x"],
    ]) {
      const result = await runCli(["plan", given ?? ""]);
      expect([result.code, result.stderr], given).toEqual([1, `Error: unknown option '${said ?? ""}'\n(run with --help for usage)\n`]);
    }
  });

  // `studio-jobs $'nope\nFAKE: ok'` printed `FAKE: ok` as a line of its own: a CI log showed a
  // line the tool never wrote. What an error quotes of the command line shows a line break as ^J.
  it("shows a line break given on the command line escaped in every error that quotes it", async () => {
    const cwd = writeRepo({ "studio-jobs.yaml": "version: 1\nstack: s\ndefaults: {team: t}\njobs:\n  a: {query: print(1)}\n" });
    const said = async (argv: string[], env: Record<string, string> = {}) => {
      const result = await runCli(argv, { cwd, env });
      return [result.code, result.stdout, result.stderr];
    };
    const usage = "(run with --help for usage)\n";
    expect(await said(["nope\nFAKE: ok"])).toEqual([1, "", `Error: unknown command 'nope^JFAKE: ok'\n${usage}`]);
    expect(await said(["validate", "--nope\nFAKE: ok"])).toEqual([1, "", `Error: unknown option '--nope^JFAKE: ok'\n${usage}`]);
    expect(await said(["validate", "--format", "text\nFAKE: ok"])).toEqual([
      1,
      "",
      `Error: option '--format <format>' argument 'text^JFAKE: ok' is invalid. Allowed choices are text, json, github.\n${usage}`,
    ]);
    expect(await said(["plan", "--max-cancel", "1\nFAKE: ok"])).toEqual([
      1,
      "",
      `Error: option '--max-cancel <n>' argument '1^JFAKE: ok' is invalid. Give a whole number of at least 0.\n${usage}`,
    ]);
    // commander's own line break, before its suggestion, stays; one in the name quoted does not.
    expect(await said(["pln\n(Did you mean plan?)"])).toEqual([1, "", `Error: unknown command 'pln^J(Did you mean plan?)'\n${usage}`]);
    expect(await said(["plna"])).toEqual([1, "", `Error: unknown command 'plna'\n(Did you mean plan?)\n${usage}`]);
    // The tool's own refusals of a flag's or a variable's value quote it as JSON does.
    expect(await said(["--timeout", "1\nFAKE: ok", "plan"])).toEqual([
      1,
      "",
      'Error: --timeout must be a number greater than 0, written in digits (such as 90 or 2.5), got "1\\nFAKE: ok".\n',
    ]);
    expect(await said(["plan"], { STUDIO_JOBS_MAX_REPLY_MB: "2048\n" })).toEqual([
      1,
      "",
      'Error: STUDIO_JOBS_MAX_REPLY_MB can be at most 511, got "2048\\n": a reply is read into one string, which holds less than 512 MiB.\n',
    ]);
    expect(await said(["--url", "https://a b\nFAKE ok", "plan"])).toEqual([
      1,
      "",
      'Error: Studio URL "https://a b\\nFAKE ok" is not a valid URL.\nGive a URL such as https://studio.datachain.ai.\n',
    ]);
    expect(await said(["import", "--stack", "a\nFAKE: ok"])).toEqual([
      1,
      "",
      "Error: --stack \"a\\nFAKE: ok\" must be 1 to 63 letters, digits, '.', '_' or '-'.\n",
    ]);
    expect(await said(["emulator", "--max-json-size", "1\nFAKE: ok"])).toEqual([
      1,
      "",
      'Error: --max-json-size must be a size in bytes, or with a unit such as 512k, 16M or 1G, got "1\\nFAKE: ok".\n',
    ]);
    // The emulator's refusals quote --host, --data and --config as given: shown as a path is.
    expect((await said(["emulator", "--host", "x\nFAKE: ok"]))[2]).toMatch(
      /^Error: Refusing to listen on x\^JFAKE: ok with the well-known token "dev-token"\.\n[^\n]+\n$/,
    );
    expect((await said(["emulator", "--config", "none/x\nFAKE: ok"]))[2]).toMatch(
      /^Error: Cannot read emulator config none\/x\^JFAKE: ok: ENOENT: no such file or directory, open '[^\n]*none\/x\^JFAKE: ok'\n[^\n]+\n$/,
    );
  });
});

describe("studio-jobs emulator", () => {
  it("prints its URL on the first line, serves the API, and takes tokens from --config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-emu-"));
    const config = join(dir, "emulator.json");
    writeFileSync(
      config,
      JSON.stringify({ tokens: [{ token: "ci-token", user: "ci", teams: ["ci"], scopes: ["JOB_READ", "JOB_WRITE"] }] }),
    );
    const child = spawn(
      process.execPath,
      [CLI, "emulator", "--port", "0", "--config", config, "--admin", "--data", join(dir, "journal.jsonl")],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      const url = await firstLine(child);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await rawCall(url, "GET", "/api/datachain/clusters/?team_name=ci", { token: "ci-token" })).status).toBe(200);
      expect((await rawCall(url, "GET", "/api/datachain/clusters/?team_name=ci", { token: "dev-token" })).status).toBe(401);
      expect((await rawCall(url, "GET", "/_emulator/state", { token: null })).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(code).toBe(0);
  });
});

describe("an older Node.js", () => {
  it("is named with the Node.js the tool needs, package.json's engines", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${NODE_NEEDED}`);
    const tooOld = ["18.20.4", "20.9.0", "20.18.0", "v20.17.9", "19.99.99", "", "x"].filter((version) => nodeTooOld(version) !== undefined);
    expect(tooOld).toEqual(["18.20.4", "20.9.0", "20.18.0", "v20.17.9", "19.99.99", "", "x"]);
    expect(["20.18.1", "20.18.2", "20.19.0", "21.0.0", "22.1.0", "v24.0.0-pre"].map(nodeTooOld)).toEqual(Array(6).fill(undefined));
    expect(nodeTooOld("18.20.4")).toBe(
      "Error: studio-jobs needs Node.js 20.18.1 or newer, and this is Node.js 18.20.4. Install a newer Node.js (https://nodejs.org) and run it again.\n",
    );
  });

  it("stops the command at once, loading nothing else: an older Node failed on whatever it loaded first, without saying what it needs", async () => {
    // This Node passes for 18.20.4, and says on exit which files it loaded.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-old-node-"));
    const preload = join(dir, "old-node.cjs");
    writeFileSync(
      preload,
      `Object.defineProperty(process.versions, "node", { value: "18.20.4" });
process.on("exit", () => process.stdout.write(JSON.stringify(Object.keys(require.cache))));`,
    );
    for (const argv of [["plan", "examples/analytics"], ["--version"], ["status", "--url", "http://127.0.0.1:9"]]) {
      const result = await runProcess(process.execPath, ["--require", preload, CLI, ...argv], {
        cwd: dir,
        env: { PATH: process.env["PATH"] ?? "" },
      });
      expect([result.code, result.stderr, JSON.parse(result.stdout)]).toEqual([
        1,
        "Error: studio-jobs needs Node.js 20.18.1 or newer, and this is Node.js 18.20.4. Install a newer Node.js (https://nodejs.org) and run it again.\n",
        [preload, CLI],
      ]);
    }
  });
});

describe("studio-jobs emulator run by npm", () => {
  it("stops when npm, which ran it, has exited: npm passes a SIGTERM to its shell only, which left the emulator running (`npx studio-jobs emulator`)", async () => {
    // A stand-in for npm's shell: it runs the emulator, says the emulator's pid, and is killed.
    // With npx the emulator ran on, its port held, after `kill <npx pid>` ended npx and sh.
    const shell = `const c = require("node:child_process").spawn(process.execPath, ${JSON.stringify([CLI, "emulator", "--port", "0"])}, { stdio: ["ignore", "inherit", "inherit"] }); console.log(String(c.pid));`;
    const npm = spawn(process.execPath, ["-e", shell], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, npm_lifecycle_script: "'studio-jobs'" },
    });
    let stdout = "";
    let stderr = "";
    npm.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<void>((resolve) => npm.on("close", () => resolve()));
    let emulator = 0;
    let ended = false;
    // Also when the test times out, which it did while the emulator ran on.
    onTestFinished(() => {
      if (!ended && emulator !== 0) process.kill(emulator, "SIGKILL");
    });
    const url = await new Promise<string>((resolve) =>
      npm.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const lines = stdout.split("\n").slice(0, -1);
        emulator = Number(lines.find((line) => /^\d+$/.test(line)) ?? 0);
        const found = lines.find((line) => line.startsWith("http://"));
        if (found !== undefined && emulator !== 0) resolve(found);
      }),
    );
    expect((await rawCall(url, "GET", "/api/datachain/clusters/?team_name=demo")).status).toBe(200);
    npm.kill("SIGKILL");
    // The close comes once the emulator, which writes to the same pipes, has exited too.
    await closed;
    ended = true;
    expect(stderr).toBe(
      `Studio emulator listening on ${url} (in memory). Press Ctrl-C to stop.\nStudio emulator: npm, which started it, has exited: stopping.\n`,
    );
  });

  it("watches its parent only when npm ran this command, not when a command npm ran started it", () => {
    const by = (script: string | undefined) => startedByNpm(script === undefined ? {} : { npm_lifecycle_script: script });
    const started = [
      "'studio-jobs'",
      "studio-jobs emulator --port 0",
      "node_modules/.bin/studio-jobs emulator",
      '"dist/bin/studio-jobs.cjs" emulator',
    ];
    expect(started.map(by)).toEqual([true, true, true, true]);
    const other = [undefined, "vitest", "node scripts/test.mjs", "studio-jobs-dev emulator", "echo studio-jobs", "my-studio-jobs emulator"];
    expect(other.map(by)).toEqual([false, false, false, false, false, false]);
  });
});

describe("studio-jobs emulator --token and --team", () => {
  /** The emulator run as a process with `args` and `env`: the status of a listing of each [team, token]. */
  const listingStatuses = async (args: string[], env: NodeJS.ProcessEnv, asked: [team: string, token: string][]) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
    const statuses: number[] = [];
    try {
      const url = await firstLine(child);
      for (const [team, token] of asked)
        statuses.push((await rawCall(url, "GET", `/api/datachain/jobs/?team_name=${team}`, { token })).status);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)))).toBe(0);
    return statuses;
  };

  it("takes the one token given with --token for the team given with --team, and no other", async () => {
    // Found by an audit against the README's emulator table ("`--token T`, `--team T` (before
    // `emulator`)"): both were silently ignored, and the emulator took only dev-token for demo.
    const args = ["--token", "own-token-1", "--team", "acme", "emulator", "--port", "0"];
    const asked: [string, string][] = [
      ["acme", "own-token-1"],
      ["demo", "own-token-1"],
      ["acme", "dev-token"],
    ];
    expect(await listingStatuses(args, process.env, asked)).toEqual([200, 403, 401]);
  });

  it("reads neither DATACHAIN_STUDIO_TOKEN nor DATACHAIN_STUDIO_TEAM, as its --help says: dev-token for demo without --token", async () => {
    const env = { ...process.env, DATACHAIN_STUDIO_TOKEN: "env-token-1", DATACHAIN_STUDIO_TEAM: "acme" };
    const asked: [string, string][] = [
      ["demo", "dev-token"],
      ["acme", "dev-token"],
      ["acme", "env-token-1"],
    ];
    expect(await listingStatuses(["emulator", "--port", "0"], env, asked)).toEqual([200, 403, 401]);
  });

  it("refuses --token with --config, and --url, which names the Studio a command talks to", async () => {
    const config = join(mkdtempSync(join(tmpdir(), "studio-jobs-emu-flags-")), "emulator.json");
    writeFileSync(config, JSON.stringify({ tokens: [] }));
    const both = await runCli(["--token", "own-token-1", "emulator", "--port", "0", "--config", config], { signal: AbortSignal.abort() });
    expect([both.code, both.stdout, both.stderr]).toEqual([
      1,
      "",
      "Error: --token and --team give the emulator one token for one team, and --config gives its tokens: give one or the other.\n",
    ]);
    const url = await runCli(["--url", "http://127.0.0.1:9", "emulator", "--port", "0"], { signal: AbortSignal.abort() });
    expect([url.code, url.stderr]).toEqual([
      1,
      "Error: --url is the Studio a command talks to; the emulator prints its own URL.\nChoose it with --host and --port.\n",
    ]);
    const team = await runCli(["--team", "a b", "emulator", "--port", "0"], { signal: AbortSignal.abort() });
    expect([team.code, team.stderr]).toEqual([
      1,
      "Error: --team must be a team name without spaces, commas, control or invisible characters.\n",
    ]);
  });

  it("refuses a seed past 32 bits, which drew another seed's faults, and a chance written in hexadecimal", async () => {
    // Found by an audit: --seed 4294967296 ran with the faults of --seed 0, and --error-rate 0x1 was taken as 1.
    const cases: [string[], string][] = [
      [["--seed", "4294967296"], "option '--seed <n>' argument '4294967296' is invalid. Give a whole number from 0 to 4294967295."],
      [["--error-rate", "0x1"], "option '--error-rate <p>' argument '0x1' is invalid. Give a number from 0 to 1."],
      [["--reset-rate", "0b1"], "option '--reset-rate <p>' argument '0b1' is invalid. Give a number from 0 to 1."],
    ];
    for (const [flags, said] of cases) {
      expect(await runCli(["emulator", "--port", "0", ...flags], { signal: AbortSignal.abort() })).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `Error: ${said}\n(run with --help for usage)\n`,
      });
    }
    // Found by review: the check split a run of digits every way before refusing it, 100,000 of them some 30 s of CPU.
    const cpuMs = startCpuClock();
    const long = await runCli(["emulator", "--port", "0", "--error-rate", `${"1".repeat(100_000)}x`], { signal: AbortSignal.abort() });
    const used = cpuMs();
    expect([long.code, long.stderr.endsWith("is invalid. Give a number from 0 to 1.\n(run with --help for usage)\n")]).toEqual([1, true]);
    expect(used).toBeLessThan(5_000);
    // Decimal chances, an exponent among them in either case, are taken; and the largest seed.
    for (const flags of [...["0.5", ".5", "1", "1.", "1e-1", "1E-1"].map((chance) => ["--error-rate", chance]), ["--seed", "4294967295"]]) {
      expect((await runCli(["emulator", "--port", "0", ...flags], { signal: AbortSignal.abort() })).code, flags.join(" ")).toBe(0);
    }
  });

  it("refuses an empty --host, --config or --data, which listened on every interface or said no such file ''", async () => {
    // Found by an audit: `--token t --team a emulator --host ''` listened on every interface, as http://[::]:PORT.
    const cases: [string[], string][] = [
      [
        ["--token", "own-token-1", "--team", "a", "emulator", "--host", ""],
        "--host is empty.\nGive an address to listen on: 127.0.0.1 (the default), or 0.0.0.0 for every interface.",
      ],
      [
        ["emulator", "--config", ""],
        "--config is empty.\nGive the path of a JSON file of tokens, teams, scopes and clusters, or leave --config out.",
      ],
      [["emulator", "--data", " "], "--data is empty.\nGive the path of the journal file, or leave --data out to keep jobs in memory."],
    ];
    for (const [argv, said] of cases) {
      expect(await runCli([...argv, "--port", "0"], { signal: AbortSignal.abort() })).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `Error: ${said}\n`,
      });
    }
  });
});

describe("studio-jobs emulator --data after a crash", () => {
  it("warns that it dropped a torn last line of its journal, and starts with every whole line", async () => {
    // Found by an adversarial tester: the torn line was cut from the user's file without a word.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-emu-torn-"));
    const data = join(dir, "journal.jsonl");
    const job = { ...JOURNAL_JOB, status: "TASK", created_at: 0, cron_expression: "@daily", next_at: 86_400_000 };
    writeFileSync(data, `${JSON.stringify({ t: "job", r: job })}\n{"t":"job","r":{"seq":2,"id":"torn`);
    const result = await runCli(["emulator", "--port", "0", "--data", data], { signal: AbortSignal.abort() });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `Warning: Emulator journal ${data}, line 2, was cut short (the emulator stopped while writing it): its 34 bytes are dropped.\n` +
        `Studio emulator listening on ${result.stdout.trim()} (journal ${data}). Press Ctrl-C to stop.\n`,
    );
    expect(readFileSync(data, "utf8")).toBe(`${JSON.stringify({ t: "job", r: job })}\n`);
  });
});

describe("studio-jobs emulator --data with a line break in its path", () => {
  it("says the journal's path escaped in its listening line, not as a line of its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-emu-break-"));
    const data = join(dir, "j\nFAKE: ok");
    const result = await runCli(["emulator", "--port", "0", "--data", data], { signal: AbortSignal.abort() });
    expect([result.code, result.stderr]).toEqual([
      0,
      `Studio emulator listening on ${result.stdout.trim()} (journal ${dir}/j^JFAKE: ok). Press Ctrl-C to stop.\n`,
    ]);
  });
});

describe("studio-jobs emulator --data on a full disk", () => {
  it("keeps every job it answered 200 for, answers 507 for one it cannot write, and starts again on the journal", async () => {
    // Found by an adversarial tester: the write that filled the disk was cut short without an
    // error; the create was answered 200, and its torn line was dropped at the next start.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-emu-full-"));
    const data = join(dir, "journal.jsonl");
    // A file-size limit of 8 KiB stands in for a full disk: a write past it is cut short, the next refused.
    const child = spawn(
      "/bin/sh",
      ["-c", 'ulimit -f 8 && exec "$0" "$@"', process.execPath, CLI, "emulator", "--port", "0", "--data", data],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const made: string[] = [];
    const refused: unknown[] = [];
    try {
      const url = await firstLine(child);
      for (let i = 0; refused.length < 2 && i < 20; i++) {
        const job = { query: `print(${i})  # ${"x".repeat(1500)}`, query_type: "PYTHON", query_name: `job-${i}`, team_name: "demo" };
        const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { json: job });
        if (reply.status === 200) made.push(job.query_name);
        else refused.push({ status: reply.status, body: reply.body });
      }
    } finally {
      child.kill("SIGTERM");
    }
    expect(await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)))).toBe(0);
    expect(made.length).toBeGreaterThan(1);
    const refusal = `The emulator could not write its journal ${data}: EFBIG: file too large, write. Nothing was changed; make room for the journal and try again.`;
    expect(refused).toEqual([
      { status: 507, body: { message: refusal } },
      { status: 507, body: { message: refusal } },
    ]);
    const restarted = await startEmulator({ data });
    try {
      const listed = await rawCall(restarted.url, "GET", "/api/datachain/jobs/?team_name=demo&limit=100");
      expect((listed.body as { name: string }[]).map((j) => j.name)).toEqual(made.reverse());
    } finally {
      await restarted.close();
    }
  });
});

describe("on a terminal", () => {
  // Emptied before each test: the first plans from nothing, whatever ran before it.
  const { studio, env } = useStudio();
  const example = () => copyExample("ml-platform");

  it("colours the plan, unless NO_COLOR or --no-color", async () => {
    const dir = example();
    const coloured = await runCli(["plan", "jobs"], { cwd: dir, env, tty: true });
    expect(coloured.stdout).toContain("\x1b[32m+  \x1b[0m");
    expect((await runCli(["plan", "jobs"], { cwd: dir, env: { ...env, NO_COLOR: "1" }, tty: true })).stdout).not.toContain("\x1b[");
    expect((await runCli(["--no-color", "plan", "jobs"], { cwd: dir, env, tty: true })).stdout).not.toContain("\x1b[");
    expect((await runCli(["plan", "jobs", "--format", "markdown"], { cwd: dir, env, tty: true })).stdout).not.toContain("\x1b[");
    // FORCE_COLOR decides when set: 0 and false turn colour off even on a terminal (a
    // reviewer found FORCE_COLOR=false forcing it on), anything else on even in a pipe.
    for (const off of ["0", "false"]) {
      expect((await runCli(["plan", "jobs"], { cwd: dir, env: { ...env, FORCE_COLOR: off }, tty: true })).stdout, off).not.toContain(
        "\x1b[",
      );
    }
    expect((await runCli(["plan", "jobs"], { cwd: dir, env: { ...env, FORCE_COLOR: "1" } })).stdout).toContain("\x1b[32m+  \x1b[0m");
  });

  it("shows one live progress line, then the summary with each new job's id and URL", async () => {
    const result = await runCli(["--no-color", "apply", "jobs", "--yes"], { cwd: example(), env, tty: true });
    expect(result.code).toBe(0);
    // The plan's warning (a stack new in the team), then the progress, on one line rewritten.
    const [warning, progress = ""] = result.stderr.split(/(?<=\n)(?=\r)/);
    expect(warning).toMatch(/^Warning: Stack ml-platform has no live jobs in team demo[^\n]*\n$/);
    expect(progress.startsWith("\r\x1b[2K[1/3] create ")).toBe(true);
    expect(progress).toContain("\r\x1b[2K[3/3] create ");
    expect(progress.endsWith("\r\x1b[2K")).toBe(true);
    expect(progress).not.toContain("\n");
    const ids = studio.emulator.store.allJobs().map((j) => [j.name, j.id] as const);
    // In columns: each name padded to the longest, ids of one length.
    const width = Math.max(...ids.map(([name]) => `demo/${name}`.length));
    for (const [name, id] of ids)
      expect(result.stdout).toContain(`  ${`demo/${name}`.padEnd(width)}  ${id}  ${studio.emulator.url}/team/demo/datasets/jobs/${id}\n`);
  });

  it("on a terminal with TERM=dumb (Emacs' shell), neither colours nor redraws a line: it prints a line per step", async () => {
    // Found by a newcomer's walk-through: the plan came coloured and apply's progress as
    // `\r\x1b[2K[1/3] create ...`, which such a terminal prints as text. FORCE_COLOR still decides.
    const dir = example();
    const dumb = { ...env, TERM: "dumb" };
    expect((await runCli(["plan", "jobs"], { cwd: dir, env: dumb, tty: true })).stdout).not.toContain("\x1b[");
    expect((await runCli(["plan", "jobs"], { cwd: dir, env: { ...dumb, FORCE_COLOR: "1" }, tty: true })).stdout).toContain(
      "\x1b[32m+  \x1b[0m",
    );
    const result = await runCli(["apply", "jobs", "--yes"], { cwd: dir, env: dumb, tty: true });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("\x1b[");
    expect(result.stderr).not.toContain("\x1b[");
    expect(result.stderr).not.toContain("\r");
    const steps = result.stderr.split("\n").filter((line) => line.startsWith("["));
    expect(steps.map((line) => line.replace(/ \(job [0-9a-f-]+\)$/, "").replace(/^\[\d\/3\] /, "")).sort()).toEqual([
      "create demo/drift-report: done",
      "create demo/evaluate-ranker: done",
      "create demo/retrain-ranker: done",
    ]);
  });
});

describe("clusters", () => {
  it("says Studio lists none, rather than printing a table's header alone", async () => {
    // Found by an adversarial tester: with no cluster, `clusters` printed its header and nothing
    // under it, which reads as a listing cut short.
    const emulator = await startEmulator({ port: 0, config: { clusters: [] } });
    try {
      const env = { DATACHAIN_STUDIO_URL: emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token", DATACHAIN_STUDIO_TEAM: "demo" };
      expect(await runCli(["clusters"], { env })).toMatchObject({
        code: 0,
        stdout: "No compute clusters in Studio for team demo.\n",
        stderr: "",
      });
      expect(await runCli(["clusters", "--format", "json"], { env })).toMatchObject({ code: 0, stdout: "[]\n", stderr: "" });
    } finally {
      await emulator.close();
    }
  });
});
