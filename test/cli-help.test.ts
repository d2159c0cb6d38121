// The CLI's own help: every command's help pinned, global options listed everywhere,
// numbers parsed where they enter, and shell completion.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listSpecKeys } from "../src/cli/completion.js";
import { runCli } from "./cli-helpers.js";
import { copyExample } from "./helpers.js";

const help = async (command: string) => {
  const result = await runCli([command, "--help"]);
  expect(result.code).toBe(0);
  return result.stdout;
};

/**
 * Every command lists the same global options (aligned to its own columns): pinned once,
 * below, and elided from each command's snapshot.
 */
const GLOBAL_OPTIONS = /\nGlobal Options:\n[\s\S]*?\n\n/;
const words = (text: string | undefined) => text?.replace(/\s+/g, " ");
const ownHelp = async (command: string) => {
  const text = await help(command);
  expect(words(GLOBAL_OPTIONS.exec(text)?.[0])).toBe(words(GLOBAL_OPTIONS.exec(await help("plan"))?.[0]));
  return text.replace(GLOBAL_OPTIONS, "\nGlobal Options: (as for every command)\n\n");
};

describe("each command's help", () => {
  it("validate", async () => {
    expect(await ownHelp("validate")).toMatchInlineSnapshot(`
      "Usage: studio-jobs validate [options] [paths...]

      check spec files offline: schema, references, cron

      Arguments:
        paths                spec files, directories (subdirectories included) or
                             quoted globs (default: studio-jobs.yaml)

      Options:
        --var <name=value>   a value for \${var:name} (repeatable)
        --var-file <file>    a YAML or JSON mapping of var values (repeatable; later
                             files and --var win)
        --format <format>    output format (github: workflow annotations) (choices:
                             "text", "json", "github", default: "text")
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # check ./studio-jobs.yaml
        $ studio-jobs validate
        # every .yaml under jobs/, with \${var:env} = prod
        $ studio-jobs validate jobs/ --var env=prod
        # annotations on a pull request's diff
        $ studio-jobs validate 'jobs/**/*.yaml' --format github
      "
    `);
  });
  it("plan", async () => {
    expect(await ownHelp("plan")).toMatchInlineSnapshot(`
      "Usage: studio-jobs plan [options] [paths...]

      show what apply would change in Studio

      Arguments:
        paths                spec files, directories or quoted globs (default:
                             studio-jobs.yaml)

      Options:
        --out <file>         save the plan for \`apply FILE\`
        --format <format>    output format (choices: "text", "json", "markdown",
                             default: "text")
        --detailed-exitcode  exit 2 when there are changes, 0 when none
        --target <key>       only plan this job key (repeatable)
        --var <name=value>   a value for \${var:name} (repeatable)
        --var-file <file>    a YAML or JSON mapping of var values (repeatable; later
                             files and --var win)
        --adopt              take over unmanaged jobs with the same team and name
                             (replaces them)
        --allow-empty        allow a plan that cancels every job of the stack
        --allow-protected    allow cancelling or replacing protected jobs
        --max-cancel <n>     refuse a plan with more than N cancels (default: 10)
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # what apply would change for ./studio-jobs.yaml
        $ studio-jobs plan
        # save the plan, to review with \`show\` and run with \`apply plan.json\`
        $ studio-jobs plan jobs/ --out plan.json
        # a pull-request comment; exit 2 when there are changes
        $ studio-jobs plan --format markdown --detailed-exitcode
      "
    `);
  });
  it("apply", async () => {
    expect(await ownHelp("apply")).toMatchInlineSnapshot(`
      "Usage: studio-jobs apply [options] [paths...]

      make Studio match the spec, or carry out a saved plan

      Arguments:
        paths                a saved plan file, or spec files, directories or quoted
                             globs (default: studio-jobs.yaml)

      Options:
        --yes                do not ask for confirmation
        --parallelism <n>    requests in flight at once (default: 10)
        --format <format>    output format (choices: "text", "json", default: "text")
        --target <key>       only plan this job key (repeatable)
        --var <name=value>   a value for \${var:name} (repeatable)
        --var-file <file>    a YAML or JSON mapping of var values (repeatable; later
                             files and --var win)
        --adopt              take over unmanaged jobs with the same team and name
                             (replaces them)
        --allow-empty        allow a plan that cancels every job of the stack
        --allow-protected    allow cancelling or replacing protected jobs
        --max-cancel <n>     refuse a plan with more than N cancels (default: 10)
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # plan ./studio-jobs.yaml, show it, ask, then apply
        $ studio-jobs apply
        # apply exactly a plan saved with \`plan --out plan.json\`
        $ studio-jobs apply plan.json
        # only the job nightly, without asking
        $ studio-jobs apply jobs/ --yes --target nightly
      "
    `);
  });
  it("show", async () => {
    expect(await ownHelp("show")).toMatchInlineSnapshot(`
      "Usage: studio-jobs show [options] <planfile>

      print a saved plan, without contacting Studio

      Arguments:
        planfile             a plan saved with \`plan --out FILE\`

      Options:
        --format <format>    output format (choices: "text", "json", "markdown",
                             default: "text")
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # review a saved plan before \`apply plan.json\`
        $ studio-jobs show plan.json
        # the same plan as a pull-request comment
        $ studio-jobs show plan.json --format markdown
      "
    `);
  });
  it("destroy", async () => {
    expect(await ownHelp("destroy")).toMatchInlineSnapshot(`
      "Usage: studio-jobs destroy [options] [paths...]

      cancel every job of the stack, in every team it covers

      Arguments:
        paths                spec files, directories or quoted globs: they name the
                             stack and its teams (default: studio-jobs.yaml)

      Options:
        --yes                do not ask for confirmation
        --target <key>       only cancel this job key (repeatable)
        --var <name=value>   a value for \${var:name} (repeatable)
        --var-file <file>    a YAML or JSON mapping of var values (repeatable; later
                             files and --var win)
        --allow-protected    cancel protected jobs too
        --parallelism <n>    requests in flight at once (default: 10)
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # show what would be cancelled for ./studio-jobs.yaml, ask, then cancel
        $ studio-jobs destroy
        # cancel only the job nightly, without asking
        $ studio-jobs destroy jobs/ --target nightly --yes
        # also cancel the stack's jobs in a team the spec no longer names
        $ studio-jobs destroy --team old-team
      "
    `);
  });
  it("status", async () => {
    expect(await ownHelp("status")).toMatchInlineSnapshot(`
      "Usage: studio-jobs status [options] [paths...]

      the stack's jobs in Studio, whether they match the spec, and their last runs

      Arguments:
        paths                spec files, directories or quoted globs (default:
                             studio-jobs.yaml)

      Options:
        --var <name=value>   a value for \${var:name} (repeatable)
        --var-file <file>    a YAML or JSON mapping of var values (repeatable; later
                             files and --var win)
        --format <format>    output format (choices: "text", "json", default: "text")
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # the live jobs of ./studio-jobs.yaml's stack
        $ studio-jobs status
        # the same as JSON, times in ISO 8601
        $ studio-jobs status jobs/ --format json
      "
    `);
  });
  it("import", async () => {
    expect(await ownHelp("import")).toMatchInlineSnapshot(`
      "Usage: studio-jobs import [options]

      write a spec for a team's live jobs that studio-jobs does not manage yet

      Options:
        --stack <stack>      the stack the imported jobs will belong to (default:
                             "imported")
        --out <file>         write the spec to FILE instead of stdout (-: stdout)
        --force              overwrite --out FILE if it exists
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # a spec for acme's unmanaged jobs
        $ studio-jobs import --team acme --out studio-jobs.yaml
        # the same, for a stack named reports, on stdout
        $ studio-jobs import --team acme --stack reports
      "
    `);
  });
  it("clusters", async () => {
    expect(await ownHelp("clusters")).toMatchInlineSnapshot(`
      "Usage: studio-jobs clusters [options]

      list compute clusters

      Options:
        --format <format>    output format (choices: "text", "json", default: "text")
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # names, state and max_workers, as a table
        $ studio-jobs clusters
        # acme's clusters as JSON
        $ studio-jobs clusters --team acme --format json
      "
    `);
  });
  it("completion", async () => {
    expect(await ownHelp("completion")).toMatchInlineSnapshot(`
      "Usage: studio-jobs completion [options] <shell>

      print a shell completion script

      Arguments:
        shell                the shell to complete in (choices: "bash", "zsh", "fish")

      Options:
        -h, --help           display help for command

      Global Options: (as for every command)

      Examples:
        # bash: add this line to ~/.bashrc
        $ eval "$(studio-jobs completion bash)"
        # zsh, with ~/.zfunc in $fpath
        $ studio-jobs completion zsh > ~/.zfunc/_studio-jobs
        # fish
        $ studio-jobs completion fish > ~/.config/fish/completions/studio-jobs.fish
      "
    `);
  });
  it("emulator", async () => {
    expect(await help("emulator")).toMatchInlineSnapshot(`
      "Usage: studio-jobs emulator [options]

      run a local Studio jobs API for trying the tool and for tests

      Options:
        --host <host>             address to listen on (default: "127.0.0.1")
        --port <port>             port; 0 picks a free one (default: 0)
        --data <file>             journal file to keep jobs across restarts (default:
                                  in memory)
        --config <file>           JSON file with tokens, teams, scopes and clusters;
                                  else the one token --token gives (dev-token), for
                                  --team (demo): DATACHAIN_STUDIO_* are not read
        --admin                   enable the /_emulator/ test hooks
        --latency <ms>            delay every reply
        --error-rate <p>          chance of a 503 before acting
        --rate-limit <n>          requests a second before 429s
        --reset-rate <p>          chance of a dropped connection
        --seed <n>                seed for the fault injection
        --max-json-size <size>    refuse JSON bodies larger than this with 413, unread
                                  (e.g. 16M) (default: "16M")
        --max-upload-size <size>  refuse uploads larger than this with 413, unread
                                  (e.g. 64M) (default: "64M")
        -h, --help                display help for command

      Global Options:
        -V, --version             output the version number
        --token <token>           the one token the emulator takes, without --config
                                  (default: dev-token; DATACHAIN_STUDIO_TOKEN is not
                                  read)
        --team <team>             the one team that token reads and writes, without
                                  --config (default: demo; DATACHAIN_STUDIO_TEAM is
                                  not read)
        --no-color                no ANSI colours
        --verbose                 more diagnostics, and stack traces for errors

      Examples:
        # a local Studio on a free port; prints its URL first (token dev-token, team demo)
        $ studio-jobs emulator
        # only my-token, for team acme, on port 8080; its jobs kept across restarts
        $ studio-jobs --token my-token --team acme emulator --port 8080 --data jobs.jsonl
        # with test hooks and seeded 503s
        $ studio-jobs emulator --admin --error-rate 0.1 --seed 7
      "
    `);
  });

  it("pins the global options, listed in every command's help", async () => {
    expect(GLOBAL_OPTIONS.exec(await help("plan"))?.[0]).toMatchInlineSnapshot(`
      "
      Global Options:
        -V, --version        output the version number
        --url <url>          Studio URL (default: DATACHAIN_STUDIO_URL, datachain
                             config, https://studio.datachain.ai)
        --token <token>      Studio token (default: DATACHAIN_STUDIO_TOKEN or
                             datachain config)
        --team <team>        Studio team (default: DATACHAIN_STUDIO_TEAM or datachain
                             config): for jobs whose spec names none; also planned
                             when the spec no longer names it
        --no-color           no ANSI colours
        --verbose            more diagnostics, and stack traces for errors
        --insecure           allow plain http:// to a host other than this machine
        --timeout <seconds>  the most one request to Studio may take (default:
                             STUDIO_JOBS_TIMEOUT, or 60)

      "
    `);
  });

  it("ends with examples and lists the global options, without (default: false)", async () => {
    for (const command of ["validate", "plan", "apply", "show", "destroy", "status", "import", "clusters", "completion", "emulator"]) {
      const text = await help(command);
      expect(text, command).toMatch(/\nExamples:\n( {2}# .+\n {2}\$ .*studio-jobs .+\n){2,3}$/);
      // The emulator lists the global options it reads, as it reads them (its own snapshot, above).
      const flags =
        command === "emulator"
          ? ["--token", "--team", "--verbose", "--no-color"]
          : ["--url", "--token", "--team", "--verbose", "--no-color", "--insecure"];
      for (const flag of flags) expect(text, `${command} ${flag}`).toContain(`  ${flag}`);
      expect(text, command).not.toContain("(default: false)");
      expect(text, command).not.toContain("(default: [])");
    }
  });
});

describe("file options", () => {
  it("refuses an empty --var-file, which named the current directory, in every command that takes one", async () => {
    // Found by an adversarial tester: `--var-file "$UNSET"` said "/the/cwd:1:1: this is a
    // directory, not a file", without naming the flag.
    for (const command of ["validate", "plan", "apply", "destroy", "status"]) {
      expect(await runCli([command, "--var-file", "prod.yaml", "--var-file", ""])).toMatchObject({
        code: 1,
        stdout: "",
        stderr: "Error: option '--var-file <file>' argument '' is invalid. Give a file path.\n(run with --help for usage)\n",
      });
    }
  });
});

describe("--target", () => {
  it("refuses an empty key, which names no job, in every command that takes one", async () => {
    // Found by an adversarial tester: `--target "$UNSET"` planned nothing and said "--target  matches no job".
    for (const command of ["plan", "apply", "destroy"]) {
      expect(await runCli([command, "--target", "a", "--target", ""])).toMatchObject({
        code: 1,
        stdout: "",
        stderr: "Error: option '--target <key>' argument '' is invalid. Give a job key.\n(run with --help for usage)\n",
      });
    }
  });
});

describe("numeric options", () => {
  it("refuses a value that is not a whole number in range, naming the option", async () => {
    for (const [argv, expected] of [
      [["plan", "--max-cancel", "ten"], "Error: option '--max-cancel <n>' argument 'ten' is invalid. Give a whole number of at least 0."],
      [["apply", "--parallelism", "0"], "Error: option '--parallelism <n>' argument '0' is invalid. Give a whole number of at least 1."],
      [
        ["apply", "--parallelism", "2.5"],
        "Error: option '--parallelism <n>' argument '2.5' is invalid. Give a whole number of at least 1.",
      ],
      [["emulator", "--port", "70000"], "Error: option '--port <port>' argument '70000' is invalid. Give a whole number from 0 to 65535."],
      [["emulator", "--error-rate", "2"], "Error: option '--error-rate <p>' argument '2' is invalid. Give a number from 0 to 1."],
    ] as const) {
      const result = await runCli([...argv]);
      expect(result.code, argv.join(" ")).toBe(1);
      expect(result.stderr, argv.join(" ")).toBe(`${expected}\n(run with --help for usage)\n`);
    }
  });
});

/** What bash's completion function offers for `words` (the last one being completed), run in `cwd` with `bin`, if any, first in PATH. */
function completeInBash(script: string, words: readonly string[], cwd: string, bin?: string): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(" ");
  const program = `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _studio_jobs; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const path = process.env["PATH"] ?? "";
  const out = spawnSync("bash", ["--norc", "--noprofile", "-c", program], {
    cwd,
    encoding: "utf8",
    env: { PATH: bin === undefined ? path : `${bin}:${path}` },
  });
  expect(out.stderr).toBe("");
  return out.stdout.split("\n").filter((w) => w !== "");
}

describe("completion", () => {
  it("prints a bash script that bash parses, with commands, flags, formats and key completion", async () => {
    const result = await runCli(["completion", "bash"]);
    expect(result.code).toBe(0);
    const script = result.stdout;
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-completion-"));
    writeFileSync(join(dir, "completion.bash"), script);
    const check = spawnSync("bash", ["--norc", "--noprofile", "-n", join(dir, "completion.bash")], { encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(script).toContain(
      'COMPREPLY=($(compgen -W "validate plan apply show destroy status import clusters completion emulator help --version --url',
    );
    expect(script).not.toContain("__complete-keys)");
    expect(script).toContain('    plan:--format) COMPREPLY=($(compgen -W "text json markdown" -- "$cur")); return ;;');
    expect(script).toContain('    apply:--format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;');
    expect(script).toContain("    destroy:--target) _studio_jobs_keys; return ;;");
    expect(script).toContain('  done < <(studio-jobs __complete-keys "${paths[@]}" 2>/dev/null)\n');
    expect(script).toContain("    printf -v quoted '%q' \"$key\"\n");
    expect(script).toContain('    completion) flags="--help"; positional="bash zsh fish" ;;');
    expect(script).toContain("complete -o bashdefault -o default -F _studio_jobs studio-jobs\n");
  });

  it("lists no key holding a line break or another control character, one key a line being what the shells read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-keys-"));
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      'version: 1\nstack: s\njobs:\n  "a\\nb": {team: t, query: x}\n  "c\\td": {team: t, query: x}\n  e: {team: t, query: x}\n',
    );
    expect(await listSpecKeys(["studio-jobs.yaml"], dir)).toEqual(["e"]);
  });

  it("completes words in bash as a user would see them", async () => {
    const script = (await runCli(["completion", "bash"])).stdout;
    const dir = copyExample("analytics");
    const bin = mkdtempSync(join(tmpdir(), "studio-jobs-bin-"));
    // The script calls `studio-jobs __complete-keys`: a stand-in prints what the real one prints here.
    const keys = await listSpecKeys(["studio-jobs.yaml"], dir);
    writeFileSync(join(bin, "studio-jobs"), `#!/bin/sh\nprintf '%s\\n' ${keys.join(" ")}\n`, { mode: 0o755 });
    const complete = (line: string) => completeInBash(script, line.split(" "), dir, bin);
    expect(complete("studio-jobs de")).toEqual(["destroy"]);
    expect(complete("studio-jobs --team demo pl")).toEqual(["plan"]);
    expect(complete("studio-jobs plan --format ")).toEqual(["text", "json", "markdown"]);
    expect(complete("studio-jobs plan --target ")).toEqual(["backfill-2026", "hourly-metrics", "nightly-embeddings", "weekly-cleanup"]);
    expect(complete("studio-jobs apply --target n")).toEqual(["nightly-embeddings"]);
    expect(complete("studio-jobs destroy --allow-")).toEqual(["--allow-protected"]);
    expect(complete("studio-jobs completion z")).toEqual(["zsh"]);

    // Found by an adversarial tester: compgen -W expanded a key's $(...) and backticks, so
    // completing --target in a stranger's spec ran its commands. Keys are literal words now.
    const hostile = ["$(touch pwned-1)", "`touch pwned-2`", "${HOME}", "a b", "it's"];
    writeFileSync(join(bin, "studio-jobs"), `#!/bin/sh\ncat '${join(bin, "keys.txt")}'\n`, { mode: 0o755 });
    writeFileSync(join(bin, "keys.txt"), `${hostile.join("\n")}\n`);
    expect(complete("studio-jobs plan --target ")).toEqual([
      "\\$\\(touch\\ pwned-1\\)",
      "\\`touch\\ pwned-2\\`",
      "\\$\\{HOME\\}",
      "a\\ b",
      "it\\'s",
    ]);
    expect(complete("studio-jobs plan --target a")).toEqual(["a\\ b"]);
    expect(readdirSync(dir).filter((f) => f.startsWith("pwned"))).toEqual([]);
  });

  it("completes file names in bash whole, whatever they hold, and offers each flag once", async () => {
    const script = (await runCli(["completion", "bash"])).stdout;
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-files-"));
    const names = ["a b.yaml", "a*", "a$(touch pwned-1).yaml", "a`touch pwned-2`.yaml", "aa.yaml"];
    for (const name of names) writeFileSync(join(dir, name), "x: y\n");
    writeFileSync(join(dir, "b.yaml"), "x: y\n");
    const complete = (words: string[]) => completeInBash(script, words, dir);
    // Found by an adversarial tester: $(compgen -f) unquoted split `a b.yaml` into `a` and
    // `b.yaml`, and expanded the file `a*` as a glob into every file starting with a.
    expect(complete(["studio-jobs", "plan", "--var-file", "a"]).sort()).toEqual([...names].sort());
    expect(complete(["studio-jobs", "apply", "--var-file", "a "])).toEqual(["a b.yaml"]);
    expect(readdirSync(dir).filter((f) => f.startsWith("pwned"))).toEqual([]);
    // A global flag's value before the command is not a command; --help was offered twice.
    expect(complete(["studio-jobs", "--team", ""])).toEqual([]);
    const flags = complete(["studio-jobs", "plan", "--"]);
    expect(flags.filter((f) => f === "--help")).toEqual(["--help"]);
    expect(flags).toContain("--var-file");
  });

  it("completes --target in bash with the keys of the spec the command line names", async () => {
    const script = (await runCli(["completion", "bash"])).stdout;
    const bin = mkdtempSync(join(tmpdir(), "studio-jobs-bin-"));
    // A stand-in for the real `studio-jobs __complete-keys PATHS...` (tested below): it offers the paths it was given.
    writeFileSync(join(bin, "studio-jobs"), `#!/bin/sh\nshift\nfor path; do printf '%s\\n' "$path"; done\n`, { mode: 0o755 });
    const complete = (words: string[]) => completeInBash(script, words, bin, bin);
    // Found by an adversarial tester: `plan jobs/ --target <Tab>` offered the keys of
    // ./studio-jobs.yaml (another spec's, or none), not those of jobs/ that plan reads.
    expect(complete(["studio-jobs", "plan", "--target", ""])).toEqual([]);
    expect(
      complete(["studio-jobs", "--team", "demo", "plan", "--format", "text", "jobs/", "--var-file", "v.yaml", "a.yaml", "--target", ""]),
    ).toEqual(["jobs/", "a.yaml"]);
    expect(complete(["studio-jobs", "destroy", "--target", "x", "--yes", "'jobs/*.yaml'", "--target", ""])).toEqual(["jobs/\\*.yaml"]);
    expect(complete(["studio-jobs", "apply", "$(touch pwned)", "--target", ""])).toEqual(["\\$\\(touch\\ pwned\\)"]);
    expect(readdirSync(bin)).toEqual(["studio-jobs"]);
  });

  it("completes --target in zsh and fish with the keys of the spec the command line names, and --flag=value in zsh", async () => {
    // Found by an adversarial tester, as in bash: the keys were always ./studio-jobs.yaml's,
    // and zsh took no value after = (`--format=<Tab>`, `--team=demo pl<Tab>` offered nothing).
    const zsh = (await runCli(["completion", "zsh"])).stdout;
    expect(zsh).toContain('  keys=(${(f)"$(studio-jobs __complete-keys "${paths[@]}" 2>/dev/null)"})\n');
    expect(zsh).toContain("'--team=[Studio team ");
    expect(zsh).toContain("'--yes[do not ask for confirmation]'");
    const fish = (await runCli(["completion", "fish"])).stdout;
    expect(fish).toContain(
      "complete -c studio-jobs -n '__studio_jobs_words plan' -l target -x -a '(studio-jobs __complete-keys (__studio_jobs_words paths) 2>/dev/null)'",
    );
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-shells-"));
    // A stand-in for `studio-jobs __complete-keys PATHS...`: it offers the paths it was given.
    writeFileSync(join(dir, "studio-jobs"), `#!/bin/sh\nshift\nfor path; do printf '%s\\n' "$path"; done\n`, { mode: 0o755 });
    const env = { PATH: `${dir}:${process.env["PATH"] ?? ""}` };
    const words = ["plan", "--format", "text", "jobs/", "--var-file", "v.yaml", "'a b.yaml'", "$(touch pwned)", "--target"];
    // Run where the shell is installed, with what compsys and fish's commandline would give.
    if (spawnSync("zsh", ["-fc", "true"]).status === 0) {
      writeFileSync(join(dir, "c.zsh"), zsh);
      const program = `compdef() { : }; _wanted() { print -rl -- $keys }; source ./c.zsh; words=(${words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(" ")}); CURRENT=${words.length + 1}; _studio_jobs_keys`;
      const out = spawnSync("zsh", ["-fc", program], { cwd: dir, encoding: "utf8", env });
      expect({ stdout: out.stdout, stderr: out.stderr }).toEqual({ stdout: "jobs/\na b.yaml\n$(touch pwned)\n", stderr: "" });
    }
    if (spawnSync("fish", ["--no-config", "-c", "true"]).status === 0) {
      writeFileSync(join(dir, "c.fish"), fish);
      const tokens = ["studio-jobs", "--team", "demo", ...words.map((w) => w.replace(/^'(.*)'$/, "$1"))];
      const fishRun = (line: string[], call: string) => {
        const program = `source ./c.fish; function commandline; printf '%s\\n' ${line.map((w) => `'${w}'`).join(" ")}; end; ${call}`;
        const out = spawnSync("fish", ["--no-config", "-c", program], { cwd: dir, encoding: "utf8", env });
        expect(out.stderr).toBe("");
        return out.stdout;
      };
      expect(fishRun(tokens, "__studio_jobs_words paths")).toBe("jobs/\na b.yaml\n$(touch pwned)\n");
      expect(fishRun(tokens, "__studio_jobs_words none; echo $status; __studio_jobs_words plan; echo $status")).toBe("1\n0\n");
      // Found by an adversarial tester: __fish_use_subcommand took demo for the command, and
      // `studio-jobs --team demo <Tab>` offered no command.
      expect(fishRun(["studio-jobs", "--team", "demo"], "__studio_jobs_words none; echo $status")).toBe("0\n");
    }
    expect(readdirSync(dir).filter((f) => f.startsWith("pwned"))).toEqual([]);
  });

  it("completes after --flag=value in bash as after --flag value", async () => {
    const script = (await runCli(["completion", "bash"])).stdout;
    const bin = mkdtempSync(join(tmpdir(), "studio-jobs-bin-"));
    writeFileSync(join(bin, "studio-jobs"), `#!/bin/sh\nshift\nfor path; do printf '%s\\n' "$path"; done\n`, { mode: 0o755 });
    // bash splits `--team=demo` into --team, = and demo, the words the function is given.
    // Found by an adversarial tester: demo was taken for the command, so `--team=demo pl`
    // offered nothing, and `--format=m` offered no format.
    const complete = (line: string) => completeInBash(script, line.split(" "), bin, bin);
    expect(complete("studio-jobs --team = demo pl")).toEqual(["plan"]);
    expect(complete("studio-jobs plan --format = m")).toEqual(["markdown"]);
    expect(complete("studio-jobs plan --format =")).toEqual(["text", "json", "markdown"]);
    expect(complete("studio-jobs --team = demo plan --var-file = v.yaml jobs/ --target =")).toEqual(["jobs/"]);
    // bash splits at : too, and a value holding = or : into more words (as a real bash gives
    // them): the value of --url http://h:8000 was taken for the command, so nothing was
    // offered; --var=env=prod's `=` and `prod`, and a path's pieces, were passed as spec paths.
    expect(complete("studio-jobs --url http : //localhost : 8000 pl")).toEqual(["plan"]);
    expect(complete("studio-jobs --url = https : //s.example plan --format = m")).toEqual(["markdown"]);
    expect(complete("studio-jobs plan --var = env = prod --url http : //h : 8000 jobs/ --target ")).toEqual(["jobs/"]);
    expect(complete("studio-jobs plan C : /specs/a.yaml x = y.yaml --target = ")).toEqual(["C:/specs/a.yaml", "x=y.yaml"]);
  });

  it("completes every command that --help lists, help too, in each shell", async () => {
    const help = (await runCli(["--help"])).stdout;
    const listed = [
      ...help
        .split("Commands:\n")[1]!
        .split("\n\n")[0]!
        .matchAll(/^ {2}(\S+)/gm),
    ].map((m) => m[1]);
    expect(listed.at(-1)).toBe("help");
    // Found by an adversarial tester: commander's own `help [command]` was in no script.
    const bash = (await runCli(["completion", "bash"])).stdout;
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-help-"));
    expect(completeInBash(bash, ["studio-jobs", ""], dir).filter((w) => !w.startsWith("-"))).toEqual(listed);
    expect(completeInBash(bash, ["studio-jobs", "help", "de"], dir)).toEqual(["destroy"]);
    const zsh = (await runCli(["completion", "zsh"])).stdout;
    expect(zsh).toContain("    'help:display help for command'\n");
    expect(zsh).toContain(
      `      (help) _arguments -s $globals '--help[display help for command]' '1:help:(${listed.slice(0, -1).join(" ")})' ;;`,
    );
    const fish = (await runCli(["completion", "fish"])).stdout;
    for (const command of listed) expect(fish).toContain(`complete -c studio-jobs -n '__studio_jobs_words none' -a ${command} -d '`);
    expect(fish).toContain(`complete -c studio-jobs -n '__studio_jobs_words help' -a '${listed.slice(0, -1).join(" ")}'\n`);
  });

  it("prints zsh and fish scripts naming every command and the key completion", async () => {
    const zsh = (await runCli(["completion", "zsh"])).stdout;
    expect(zsh.startsWith("#compdef studio-jobs\n")).toBe(true);
    expect(zsh).toContain("    'destroy:cancel every job of the stack, in every team it covers'\n");
    expect(zsh).toContain("'--format=[output format]:format:(text json markdown)'");
    expect(zsh).toContain("'*--target=[only plan this job key (repeatable)]:key:_studio_jobs_keys'");
    expect(zsh).toContain('keys=(${(f)"$(studio-jobs __complete-keys "${paths[@]}" 2>/dev/null)"})');
    // Found by an adversarial tester: `_describe` reads each word as `value:description` and
    // drops backslashes, so a key `a:b` was completed as `a` (another job's key) and `a\\b` as
    // `ab`. compadd -a offers the words as they are, and quotes them on the command line.
    expect(zsh).toContain("  _wanted job-keys expl 'job key' compadd -a keys\n");
    expect(zsh).not.toContain("_describe 'job key'");
    const fish = (await runCli(["completion", "fish"])).stdout;
    expect(fish).toContain(
      "complete -c studio-jobs -n '__studio_jobs_words none' -a show -d 'print a saved plan, without contacting Studio'\n",
    );
    expect(fish).toContain(
      "complete -c studio-jobs -n '__studio_jobs_words plan' -l format -x -a 'text json markdown' -d 'output format'\n",
    );
    expect(fish).toContain(
      "complete -c studio-jobs -n '__studio_jobs_words destroy' -l target -x -a '(studio-jobs __complete-keys (__studio_jobs_words paths) 2>/dev/null)'",
    );
    expect(fish).toContain("complete -c studio-jobs -n '__studio_jobs_words plan' -l out -r -F -d");
    // File names only where a command takes them: fish offered them everywhere else too.
    expect(fish).toContain("\ncomplete -c studio-jobs -f\n");
    expect((await runCli(["completion", "tcsh"])).stderr).toContain(
      "Error: command-argument value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.",
    );
  });

  it("offers in zsh each command with its whole description, an apostrophe included", async () => {
    // Found by an adversarial tester: the quote of "the stack's jobs" came out as '\\'' in the
    // script, so zsh read the rest of status's description as words of its own, and offered
    // `jobs`, `in`, `Studio,`... as commands (and import's likewise).
    const zsh = (await runCli(["completion", "zsh"])).stdout;
    expect(zsh).toContain("    'status:the stack'\\''s jobs in Studio, whether they match the spec, and their last runs'\n");
    if (spawnSync("zsh", ["-fc", "true"]).status !== 0) return;
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-zsh-"));
    writeFileSync(join(dir, "c.zsh"), zsh);
    // compsys stubbed: _arguments picks the command state, _describe prints what it was given.
    const program = "compdef() { : }; _arguments() { state=command }; _describe() { print -rl -- ${(P)2} }; source ./c.zsh; _studio_jobs";
    const out = spawnSync("zsh", ["-fc", program], { cwd: dir, encoding: "utf8" });
    expect(out.stderr).toBe("");
    const offered = out.stdout.trimEnd().split("\n");
    expect(offered.map((line) => line.split(":")[0])).toEqual([
      "validate",
      "plan",
      "apply",
      "show",
      "destroy",
      "status",
      "import",
      "clusters",
      "completion",
      "emulator",
      "help",
    ]);
    expect(offered[5]).toBe("status:the stack's jobs in Studio, whether they match the spec, and their last runs");
  });

  it("completes at the first Tab in zsh when saved as _studio-jobs in $fpath, and registers itself when sourced", async () => {
    // Found trying the README's step in zsh: autoloaded from $fpath the function is named
    // after its file, _studio-jobs; the script looked for _studio_jobs, took itself for
    // sourced, and the first Tab only registered it and completed nothing. (Checked in zsh by
    // hand, with compsys stubbed; the test machine need not have zsh.)
    const script = (await runCli(["completion", "zsh"])).stdout;
    expect(script.trimEnd().split("\n").at(-1)).toBe(
      'if [[ "$funcstack[1]" == "_studio-jobs" ]]; then _studio_jobs "$@"; else compdef _studio_jobs studio-jobs; fi',
    );
  });

  it("lists the spec's job keys quietly, and nothing at all where there is no spec", async () => {
    const dir = copyExample("ml-platform");
    const listed = await runCli(["__complete-keys", "jobs"], { cwd: dir });
    expect(listed).toMatchObject({ code: 0, stderr: "" });
    expect(listed.stdout).toBe("drift-report\nevaluate-ranker\nretrain-ranker\n");
    const empty = mkdtempSync(join(tmpdir(), "studio-jobs-nospec-"));
    expect(await runCli(["__complete-keys"], { cwd: empty })).toMatchObject({ code: 0, stdout: "", stderr: "" });
    writeFileSync(join(empty, "studio-jobs.yaml"), "version: 1\nstack: [unclosed\n");
    expect(await runCli(["__complete-keys"], { cwd: empty })).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect((await runCli(["--help"])).stdout).not.toContain("__complete-keys");
  });
});
