// Commander wiring: run(argv, io) -> exit code. Command bodies are loaded on demand
// so that `studio-jobs --version` starts fast.

import { Command, CommanderError, Option } from "commander";
import { StudioJobsError } from "../errors.js";
import { toolVersion } from "../version.js";
import type { ApplyCommandFlags } from "./commands/apply.js";
import type { EmulatorCommandOptions } from "./commands/emulator.js";
import type { ImportFlags } from "./commands/import.js";
import type { PlanCommandFlags } from "./commands/plan.js";
import type { StatusFlags } from "./commands/status.js";
import type { ValidateFlags } from "./commands/validate.js";
import type { GlobalOptions } from "./connect.js";
import type { CliIo } from "./io.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Command("studio-jobs")
    .description("Manage DataChain Studio jobs as code: validate, plan and apply scheduled jobs from YAML.")
    .version(toolVersion(), "-V, --version")
    .option("--url <url>", "Studio URL (default: DATACHAIN_STUDIO_URL, datachain config, https://studio.datachain.ai)")
    .option("--token <token>", "Studio token (default: DATACHAIN_STUDIO_TOKEN or datachain config)")
    .option("--team <team>", "team for jobs whose spec names none, and a team to plan even if the spec no longer names it")
    .option("--no-color", "no ANSI colours")
    .option("--verbose", "more diagnostics, and stack traces for errors", false)
    .option("--insecure", "allow plain http:// to a host other than this machine", false)
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const planFlags = (command: Command): Command =>
    command
      .option("--target <key>", "only plan this job key (repeatable)", collect, [])
      .option("--var <name=value>", "a value for ${var:name} (repeatable)", collect, [])
      .option("--var-file <file>", "a YAML or JSON mapping of var values (repeatable; later files and --var win)", collect, [])
      .option("--adopt", "take over unmanaged jobs with the same team and name (replaces them)", false)
      .option("--allow-empty", "allow a plan that cancels every job of the stack", false)
      .option("--allow-protected", "allow cancelling or replacing protected jobs", false)
      .option("--max-cancel <n>", "refuse a plan with more than N cancels", "10");

  program
    .command("validate")
    .description("check spec files offline: schema, references, cron")
    .argument("[paths...]", "spec files, directories (subdirectories included) or quoted globs", ["studio-jobs.yaml"])
    .option("--var <name=value>", "a value for ${var:name} (repeatable)", collect, [])
    .option("--var-file <file>", "a YAML or JSON mapping of var values (repeatable; later files and --var win)", collect, [])
    .addOption(new Option("--format <format>", "output format: text, json, or github (workflow annotations)").choices(["text", "json", "github"]).default("text"))
    .action(async (paths: string[], options: ValidateFlags) => {
      const { runValidate } = await import("./commands/validate.js");
      exitCode = await runValidate(paths, options, globals(), io);
    });

  planFlags(
    program
      .command("plan")
      .description("show what apply would change in Studio")
      .argument("[paths...]", "spec files or directories", ["studio-jobs.yaml"])
      .option("--out <file>", "save the plan for `apply FILE`")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json", "markdown"]).default("text"))
      .option("--detailed-exitcode", "exit 2 when there are changes, 0 when none", false),
  ).action(async (paths: string[], options: PlanCommandFlags) => {
    const { runPlan } = await import("./commands/plan.js");
    exitCode = await runPlan(paths, options, globals(), io);
  });

  planFlags(
    program
      .command("apply")
      .description("make Studio match the spec, or carry out a saved plan")
      .argument("[paths...]", "a saved plan file, or spec files or directories", ["studio-jobs.yaml"])
      .option("--yes", "do not ask for confirmation", false)
      .option("--parallelism <n>", "requests in flight at once", "10")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text")),
  ).action(async (paths: string[], options: ApplyCommandFlags) => {
    const { runApply } = await import("./commands/apply.js");
    exitCode = await runApply(paths, options, globals(), io);
  });

  program
    .command("status")
    .description("the stack's jobs in Studio, whether they match the spec, and their last runs")
    .argument("[paths...]", "spec files or directories", ["studio-jobs.yaml"])
    .option("--var <name=value>", "a value for ${var:name} (repeatable)", collect, [])
    .option("--var-file <file>", "a YAML or JSON mapping of var values (repeatable; later files and --var win)", collect, [])
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (paths: string[], options: StatusFlags) => {
      const { runStatus } = await import("./commands/status.js");
      exitCode = await runStatus(paths, options, globals(), io);
    });

  program
    .command("import")
    .description("write a spec for a team's live jobs that studio-jobs does not manage yet (needs --team)")
    .option("--stack <stack>", "the stack the imported jobs will belong to", "imported")
    .action(async (options: ImportFlags) => {
      const { runImport } = await import("./commands/import.js");
      exitCode = await runImport(options, globals(), io);
    });

  program
    .command("clusters")
    .description("list compute clusters")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (options: { format: string }) => {
      const { runClusters } = await import("./commands/clusters.js");
      exitCode = await runClusters(globals(), options, io);
    });

  program
    .command("emulator")
    .description("run a local Studio jobs API for trying the tool and for tests")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port; 0 picks a free one", "0")
    .option("--data <file>", "journal file to keep jobs across restarts (default: in memory)")
    .option("--config <file>", "JSON file with tokens, teams, scopes and clusters")
    .option("--admin", "enable the /_emulator/ test hooks", false)
    .option("--latency <ms>", "delay every reply")
    .option("--error-rate <p>", "chance of a 503 before acting")
    .option("--rate-limit <n>", "requests a second before 429s")
    .option("--reset-rate <p>", "chance of a dropped connection")
    .option("--seed <n>", "seed for the fault injection")
    .action(async (options: EmulatorCommandOptions) => {
      const { runEmulator } = await import("./commands/emulator.js");
      exitCode = await runEmulator(options, io);
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, io, argv.includes("--verbose"));
  }
}

function reportError(error: unknown, io: CliIo, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Commander already printed the usage error (or the help/version text).
    return error.exitCode === 0 ? 0 : 1;
  }
  if (error instanceof StudioJobsError) {
    io.stderr.write(`Error: ${error.message}\n`);
    if (error.hint !== undefined) io.stderr.write(`${error.hint}\n`);
    if (verbose && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`Internal error: this is a bug in studio-jobs, please report it.\n${stack}\n`);
  return 1;
}
