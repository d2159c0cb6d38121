// `npm run bench [-- --quick] [-- ROW...]`: the performance targets, each measured as
// whole processes (the built CLI as a user runs it, the emulator in a process of its
// own) and judged as a ratio to a floor measured in the same run, interleaved with it.
// Prints a table; exits 1 when a target is missed (not with --quick, whose sizes are
// not the targets' sizes) or a row fails to run. See bench/README.md.

import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { benchTeams, distPaths, findValidator, type BenchContext } from "./context.js";
import { writeEmulatorConfig } from "./emulator.js";
import { isOk, renderProgress, renderTable, seconds, type ErrorRow, type RowResult } from "./report.js";
import { benchStartup, benchValidate } from "./rows-offline.js";
import { benchApply, benchConvergedPlan, benchFaults, benchLargePlan, benchReplace } from "./rows-remote.js";

const GROUPS: readonly { id: string; title: string; run: (ctx: BenchContext) => Promise<void> }[] = [
  { id: "validate", title: "validate, large spec", run: benchValidate },
  { id: "startup", title: "start-up", run: benchStartup },
  { id: "apply", title: "apply, creates", run: benchApply },
  { id: "plan-converged", title: "plan, converged", run: benchConvergedPlan },
  { id: "plan-large", title: "plan, large listing", run: benchLargePlan },
  { id: "replace", title: "apply, replaces", run: benchReplace },
  { id: "faults", title: "apply under faults", run: benchFaults },
];

const USAGE = `usage: npm run bench -- [--quick] [--keep] [ROW...]
  ROW      run only the row groups whose name contains it: ${GROUPS.map((g) => g.id).join(", ")}
  --quick  fewer runs and smaller sizes: a smoke run; targets are shown but not enforced
  --keep   keep the scratch directory (spec repositories) and print where it is
  BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=$PWD/prof"  node flags for the measured commands (not floors);
           directories absolute: the commands run in scratch directories, removed at the end
`;

function parseArgs(argv: readonly string[]): { quick: boolean; keep: boolean; filters: string[] } {
  const options = { quick: false, keep: false, filters: [] as string[] };
  for (const arg of argv) {
    if (arg === "--quick") options.quick = true;
    else if (arg === "--keep") options.keep = true;
    else if (arg === "--help" || arg === "-h") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg.startsWith("-")) {
      process.stderr.write(`unknown option ${arg}\n${USAGE}`);
      process.exit(1);
    } else options.filters.push(arg);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const groups = GROUPS.filter((g) => options.filters.length === 0 || options.filters.some((f) => g.id.includes(f)));
if (groups.length === 0) {
  process.stderr.write(`no row group matches ${options.filters.join(", ")}\n${USAGE}`);
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), "studio-jobs-bench-"));
// At any exit, Ctrl-C included (emulator.ts turns signals into an exit).
process.on("exit", () => {
  if (!options.keep) rmSync(tmp, { recursive: true, force: true });
});
const rows: (RowResult | ErrorRow)[] = [];
const ctx: BenchContext = {
  quick: options.quick,
  tmp,
  ...distPaths(),
  validator: findValidator(),
  emulatorConfig: writeEmulatorConfig(tmp, benchTeams()),
  subjectFlags: (process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter((f) => f !== ""),
  emit(row) {
    rows.push(row);
    process.stderr.write(`${renderProgress(row)}\n`);
  },
};

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const started = performance.now();
const loadBefore = load();
process.stderr.write(`studio-jobs bench${options.quick ? " --quick" : ""}: ${groups.map((g) => g.id).join(", ")}\n`);
for (const group of groups) {
  try {
    await group.run(ctx);
  } catch (error) {
    const row: ErrorRow = { id: group.id, title: group.title, error: (error as Error).message };
    rows.push(row);
    process.stderr.write(`${renderProgress(row)}\n`);
  }
}

process.stdout.write(
  `\nnode ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs, ` +
    `load average ${loadBefore} at start, ${load()} at end; ${seconds(performance.now() - started)} in all` +
    `${options.quick ? "; --quick: smaller sizes, targets not enforced" : ""}\n\n`,
);
process.stdout.write(`${renderTable(rows, !options.quick)}\n`);
if (options.keep) process.stdout.write(`\nscratch directory kept: ${tmp}\n`);

const failed = rows.some((r) => !("checks" in r)) || (!options.quick && !rows.every(isOk));
process.exit(failed ? 1 : 0);
