// Commander wiring: run(argv, io) -> exit code. Command bodies are loaded on demand, so
// that a command loads only what it uses (a bare `--version` is answered by main.ts before
// this module is loaded).

import { Argument, Command, CommanderError, Option } from "commander";
import { MAX_SEED } from "../emulator/random.js";
import { PlanRefusedError, StudioJobsError } from "../errors.js";
import { printable, printableLines } from "../invisible.js";
import { usablePlanKey } from "../plan-file/plan-key.js";
import { createRedactor } from "../redact.js";
import { toolVersion } from "../version.js";
import type { ApplyCommandFlags } from "./commands/apply.js";
import type { DestroyFlags } from "./commands/destroy.js";
import type { EmulatorCommandOptions } from "./commands/emulator.js";
import type { ImportFlags } from "./commands/import.js";
import type { PlanCommandFlags } from "./commands/plan.js";
import type { ShowFlags } from "./commands/show.js";
import type { StatusFlags } from "./commands/status.js";
import type { ValidateFlags } from "./commands/validate.js";
import type { Shell } from "./completion.js";
import type { GlobalOptions } from "./connect.js";
import { redactingIo, type CliIo } from "./io.js";
import { checkSpecPaths } from "./saved-plan-paths.js";
import { refuseDashValue } from "./standard-input.js";
import {
  collect,
  emulatorHelpConfiguration,
  examples,
  fileListOption,
  fileOption,
  fractionOption,
  givenFlags,
  helpConfiguration,
  integerOption,
  targetOption,
} from "./options.js";

/** The token as given on the command line or in the environment: known before anything is printed. */
function earlySecrets(argv: readonly string[], env: NodeJS.ProcessEnv): (string | undefined)[] {
  // STUDIO_JOBS_PLAN_KEY keys saved plans: a secret like the token, once long enough to be
  // taken (a short one, refused where plans are made, would only garble the output).
  const found = [env["DATACHAIN_STUDIO_TOKEN"], usablePlanKey(env)];
  argv.forEach((arg, i) => {
    if (arg === "--token") found.push(argv[i + 1]);
    else if (arg.startsWith("--token=")) found.push(arg.slice("--token=".length));
  });
  return found;
}

/** For the process's last handler (main.ts), from the module it loads anyway: no file of its own to load at start. */
export { withoutWorkflowCommands } from "../workflow-commands.js";

export async function run(argv: readonly string[], rawIo: CliIo): Promise<number> {
  // Everything printed from here on goes through the redactor: no path can bypass it.
  const secrets = rawIo.secrets ?? createRedactor();
  for (const secret of earlySecrets(argv, rawIo.env)) secrets.addSecret(secret, { header: true });
  const io = redactingIo(rawIo, secrets);
  let exitCode = 0;
  const program = new Command("studio-jobs")
    .description("Manage DataChain Studio jobs as code: validate, plan and apply scheduled jobs from YAML.")
    .version(toolVersion(), "-V, --version")
    .option("--url <url>", "Studio URL (default: DATACHAIN_STUDIO_URL, datachain config, https://studio.datachain.ai)")
    .option("--token <token>", "Studio token (default: DATACHAIN_STUDIO_TOKEN or datachain config)")
    .option(
      "--team <team>",
      "Studio team (default: DATACHAIN_STUDIO_TEAM or datachain config): for jobs whose spec names none; also planned when the spec no longer names it",
    )
    .option("--no-color", "no ANSI colours")
    .option("--verbose", "more diagnostics, and stack traces for errors", false)
    .option("--insecure", "allow plain http:// to a host other than this machine", false)
    .option("--timeout <seconds>", "the most one request to Studio may take (default: STUDIO_JOBS_TIMEOUT, or 60)")
    .configureHelp(helpConfiguration)
    .addHelpText(
      "after",
      examples([
        ["studio-jobs validate && studio-jobs plan", "check ./studio-jobs.yaml, then see what would change in Studio"],
        ["studio-jobs apply", "make Studio match it, after asking"],
        ["studio-jobs plan --out plan.json && studio-jobs apply plan.json", "the same, with the plan saved in between"],
      ]),
    )
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(commanderError(text)),
    });

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const planFlags = (command: Command): Command =>
    command
      .addOption(targetOption("only plan this job key (repeatable)"))
      .option("--var <name=value>", "a value for ${var:name} (repeatable)", collect, [])
      .addOption(fileListOption("--var-file <file>", "a YAML or JSON mapping of var values (repeatable; later files and --var win)"))
      .option("--adopt", "take over unmanaged jobs with the same team and name (replaces them)", false)
      .option("--allow-empty", "allow a plan that cancels every job of the stack", false)
      .option("--allow-protected", "allow cancelling or replacing protected jobs", false)
      .addOption(integerOption("--max-cancel <n>", "refuse a plan with more than N cancels", { min: 0 }, 10));

  program
    .command("validate")
    .description("check spec files offline: schema, references, cron")
    .argument("[paths...]", "spec files, directories (subdirectories included) or quoted globs", ["studio-jobs.yaml"])
    .option("--var <name=value>", "a value for ${var:name} (repeatable)", collect, [])
    .addOption(fileListOption("--var-file <file>", "a YAML or JSON mapping of var values (repeatable; later files and --var win)"))
    .addOption(
      new Option("--format <format>", "output format (github: workflow annotations)").choices(["text", "json", "github"]).default("text"),
    )
    .addHelpText(
      "after",
      examples([
        ["studio-jobs validate", "check ./studio-jobs.yaml"],
        ["studio-jobs validate jobs/ --var env=prod", "every .yaml under jobs/, with ${var:env} = prod"],
        ["studio-jobs validate 'jobs/**/*.yaml' --format github", "annotations on a pull request's diff"],
      ]),
    )
    .action(async (paths: string[], options: ValidateFlags) => {
      await checkSpecPaths(paths, io);
      const { runValidate } = await import("./commands/validate.js");
      exitCode = await runValidate(paths, options, globals(), io);
    });

  planFlags(
    program
      .command("plan")
      .description("show what apply would change in Studio")
      .argument("[paths...]", "spec files, directories or quoted globs", ["studio-jobs.yaml"])
      .addOption(fileOption("--out <file>", "save the plan for `apply FILE`"))
      .addOption(new Option("--format <format>", "output format").choices(["text", "json", "markdown"]).default("text"))
      .option("--detailed-exitcode", "exit 2 when there are changes, 0 when none", false),
  )
    .addHelpText(
      "after",
      examples([
        ["studio-jobs plan", "what apply would change for ./studio-jobs.yaml"],
        ["studio-jobs plan jobs/ --out plan.json", "save the plan, to review with `show` and run with `apply plan.json`"],
        ["studio-jobs plan --format markdown --detailed-exitcode", "a pull-request comment; exit 2 when there are changes"],
      ]),
    )
    .action(async (paths: string[], options: PlanCommandFlags) => {
      await checkSpecPaths(paths, io);
      const { runPlan } = await import("./commands/plan.js");
      exitCode = await runPlan(paths, options, globals(), io);
    });

  planFlags(
    program
      .command("apply")
      .description("make Studio match the spec, or carry out a saved plan")
      .argument("[paths...]", "a saved plan file, or spec files, directories or quoted globs", ["studio-jobs.yaml"])
      .option("--yes", "do not ask for confirmation", false)
      .addOption(integerOption("--parallelism <n>", "requests in flight at once", { min: 1 }, 10))
      .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text")),
  )
    .addHelpText(
      "after",
      examples([
        ["studio-jobs apply", "plan ./studio-jobs.yaml, show it, ask, then apply"],
        ["studio-jobs apply plan.json", "apply exactly a plan saved with `plan --out plan.json`"],
        ["studio-jobs apply jobs/ --yes --target nightly", "only the job nightly, without asking"],
      ]),
    )
    .action(async (paths: string[], options: ApplyCommandFlags, command: Command) => {
      const { runApply } = await import("./commands/apply.js");
      exitCode = await runApply(paths, options, globals(), io, givenFlags(command));
    });

  program
    .command("show")
    .description("print a saved plan, without contacting Studio")
    .argument("<planfile>", "a plan saved with `plan --out FILE`")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json", "markdown"]).default("text"))
    .addHelpText(
      "after",
      examples([
        ["studio-jobs show plan.json", "review a saved plan before `apply plan.json`"],
        ["studio-jobs show plan.json --format markdown", "the same plan as a pull-request comment"],
      ]),
    )
    .action(async (planFile: string, options: ShowFlags) => {
      const { runShow } = await import("./commands/show.js");
      exitCode = await runShow(planFile, options, globals(), io);
    });

  program
    .command("destroy")
    .description("cancel every job of the stack, in every team it covers")
    .argument("[paths...]", "spec files, directories or quoted globs: they name the stack and its teams", ["studio-jobs.yaml"])
    .option("--yes", "do not ask for confirmation", false)
    .addOption(targetOption("only cancel this job key (repeatable)"))
    .option("--var <name=value>", "a value for ${var:name} (repeatable)", collect, [])
    .addOption(fileListOption("--var-file <file>", "a YAML or JSON mapping of var values (repeatable; later files and --var win)"))
    .option("--allow-protected", "cancel protected jobs too", false)
    .addOption(integerOption("--parallelism <n>", "requests in flight at once", { min: 1 }, 10))
    .addHelpText(
      "after",
      examples([
        ["studio-jobs destroy", "show what would be cancelled for ./studio-jobs.yaml, ask, then cancel"],
        ["studio-jobs destroy jobs/ --target nightly --yes", "cancel only the job nightly, without asking"],
        ["studio-jobs destroy --team old-team", "also cancel the stack's jobs in a team the spec no longer names"],
      ]),
    )
    .action(async (paths: string[], options: DestroyFlags) => {
      await checkSpecPaths(paths, io);
      const { runDestroy } = await import("./commands/destroy.js");
      exitCode = await runDestroy(paths, options, globals(), io);
    });

  program
    .command("status")
    .description("the stack's jobs in Studio, whether they match the spec, and their last runs")
    .argument("[paths...]", "spec files, directories or quoted globs", ["studio-jobs.yaml"])
    .option("--var <name=value>", "a value for ${var:name} (repeatable)", collect, [])
    .addOption(fileListOption("--var-file <file>", "a YAML or JSON mapping of var values (repeatable; later files and --var win)"))
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      examples([
        ["studio-jobs status", "the live jobs of ./studio-jobs.yaml's stack"],
        ["studio-jobs status jobs/ --format json", "the same as JSON, times in ISO 8601"],
      ]),
    )
    .action(async (paths: string[], options: StatusFlags) => {
      await checkSpecPaths(paths, io);
      const { runStatus } = await import("./commands/status.js");
      exitCode = await runStatus(paths, options, globals(), io);
    });

  program
    .command("import")
    .description("write a spec for a team's live jobs that studio-jobs does not manage yet")
    .option("--stack <stack>", "the stack the imported jobs will belong to", "imported")
    .addOption(fileOption("--out <file>", "write the spec to FILE instead of stdout (-: stdout)"))
    .option("--force", "overwrite --out FILE if it exists", false)
    .addHelpText(
      "after",
      examples([
        ["studio-jobs import --team acme --out studio-jobs.yaml", "a spec for acme's unmanaged jobs"],
        ["studio-jobs import --team acme --stack reports", "the same, for a stack named reports, on stdout"],
      ]),
    )
    .action(async (options: ImportFlags) => {
      const { runImport } = await import("./commands/import.js");
      exitCode = await runImport(options, globals(), io);
    });

  program
    .command("clusters")
    .description("list compute clusters")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      examples([
        ["studio-jobs clusters", "names, state and max_workers, as a table"],
        ["studio-jobs clusters --team acme --format json", "acme's clusters as JSON"],
      ]),
    )
    .action(async (options: { format: string }) => {
      const { runClusters } = await import("./commands/clusters.js");
      exitCode = await runClusters(globals(), options, io);
    });

  program
    .command("completion")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "the shell to complete in").choices(["bash", "zsh", "fish"] satisfies Shell[]))
    .addHelpText(
      "after",
      examples([
        ['eval "$(studio-jobs completion bash)"', "bash: add this line to ~/.bashrc"],
        ["studio-jobs completion zsh > ~/.zfunc/_studio-jobs", "zsh, with ~/.zfunc in $fpath"],
        ["studio-jobs completion fish > ~/.config/fish/completions/studio-jobs.fish", "fish"],
      ]),
    )
    .action(async (shell: Shell) => {
      const { renderCompletion } = await import("./completion.js");
      io.stdout.write(renderCompletion(shell, program));
    });

  // Called by the completion scripts: the job keys of the spec here, one a line, and never an error.
  program
    .command("__complete-keys", { hidden: true })
    .argument("[paths...]", "spec files, directories or quoted globs", ["studio-jobs.yaml"])
    .action(async (paths: string[]) => {
      const { listSpecKeys } = await import("./completion.js");
      const keys = await listSpecKeys(paths, io.cwd);
      if (keys.length > 0) io.stdout.write(`${keys.join("\n")}\n`);
    });

  program
    .command("emulator")
    .description("run a local Studio jobs API for trying the tool and for tests")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .addOption(integerOption("--port <port>", "port; 0 picks a free one", { min: 0, max: 65535 }, 0))
    .addOption(new Option("--data <file>", "journal file to keep jobs across restarts (default: in memory)").argParser(refuseDashValue))
    .addOption(
      new Option(
        "--config <file>",
        "JSON file with tokens, teams, scopes and clusters; else the one token --token gives (dev-token), for --team (demo): DATACHAIN_STUDIO_* are not read",
      ).argParser(refuseDashValue),
    )
    .option("--admin", "enable the /_emulator/ test hooks", false)
    .addOption(integerOption("--latency <ms>", "delay every reply", { min: 0, max: 600_000 }))
    .addOption(fractionOption("--error-rate <p>", "chance of a 503 before acting"))
    .addOption(integerOption("--rate-limit <n>", "requests a second before 429s", { min: 0 }))
    .addOption(fractionOption("--reset-rate <p>", "chance of a dropped connection"))
    .addOption(integerOption("--seed <n>", "seed for the fault injection", { min: 0, max: MAX_SEED }))
    .option("--max-json-size <size>", "refuse JSON bodies larger than this with 413, unread (e.g. 16M)", "16M")
    .option("--max-upload-size <size>", "refuse uploads larger than this with 413, unread (e.g. 64M)", "64M")
    .configureHelp(emulatorHelpConfiguration)
    .addHelpText(
      "after",
      examples([
        ["studio-jobs emulator", "a local Studio on a free port; prints its URL first (token dev-token, team demo)"],
        [
          "studio-jobs --token my-token --team acme emulator --port 8080 --data jobs.jsonl",
          "only my-token, for team acme, on port 8080; its jobs kept across restarts",
        ],
        ["studio-jobs emulator --admin --error-rate 0.1 --seed 7", "with test hooks and seeded 503s"],
      ]),
    )
    .action(async (options: EmulatorCommandOptions) => {
      const { runEmulator } = await import("./commands/emulator.js");
      exitCode = await runEmulator(options, globals(), io);
    });

  // `help nope`: commander would print the whole help, on stderr with exit 1, without saying why.
  // Said as `nope` alone is said, with the command it may be a typo of.
  const asked = argv[0] === "help" ? argv[1] : undefined;
  const unknown = asked !== undefined && !asked.startsWith("-") && asked !== "help" && !program.commands.some((c) => c.name() === asked);
  try {
    await program.parseAsync(unknown ? [asked] : [...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, io, argv.includes("--verbose"));
  }
}

/**
 * commander's error, written as the tool's own are (`Error: ...`). The value given with an
 * unknown option may be the token under a mistyped name (`--tokne=...`), which no redactor
 * knows: the option is said up to its first `=` and not past it (a line break in the value, or a
 * `'` in the name, let the value through); a short one (`-t$TOKEN`), which needs no `=`, by its
 * first letter. What it quotes of the command line (an unknown command, an option, a value)
 * is shown escaped as a path is, a line break as ^J: `studio-jobs $'nope\nFAKE: ok'` printed
 * a line of its own choosing. The one line break commander writes, before its
 * `(Did you mean ...?)`, stays.
 */
function commanderError(text: string): string {
  const message = text
    .replace(/\n$/, "")
    .replace(/^error: /, "Error: ")
    .replace(/^(Error: unknown option '-[^-'])(?!').*'/s, "$1***'")
    .replace(/^(Error: unknown option '-[^=]*)=.*'/s, "$1=***'");
  const suggestion = /\n(\(Did you mean [^\n]*\?\))$/.exec(message);
  if (suggestion === null) return `${printable(message)}\n`;
  return `${printable(message.slice(0, suggestion.index))}\n${printable(suggestion[1] ?? "")}\n`;
}

function reportError(error: unknown, io: CliIo, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Commander already printed the usage error (or the help/version text).
    return error.exitCode === 0 ? 0 : 1;
  }
  if (error instanceof StudioJobsError) {
    // A message may quote what a spec, a plan file or Studio holds (a job key from a marker,
    // a plan's tool_version, a value in a spec): each line is printed escaped, not obeyed.
    const message = error instanceof PlanRefusedError ? error.reasons.map(printable).join("\n") : printableLines(error.message);
    io.stderr.write(`Error: ${message}\n`);
    if (error.hint !== undefined) io.stderr.write(`${printableLines(error.hint)}\n`);
    if (verbose && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`Internal error: this is a bug in studio-jobs, please report it.\n${stack}\n`);
  return 1;
}
