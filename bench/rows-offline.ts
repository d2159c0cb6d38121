// Rows that need no Studio: validate of a large spec, and start-up.

import { cliCommand, floorCommand, type BenchContext } from "./context.js";
import { measure, type Measured } from "./measure.js";
import { againstFloor, excessMs, timeStats } from "./report.js";
import { writeSpec } from "./specs.js";

/** The validate floor's result line, checked so that a floor that did nothing cannot pass. */
export function expectFloorOutput(run: Measured, expected: { jobs?: number; listed?: number }): Measured {
  const out = JSON.parse(run.stdout.trim()) as { jobs: number; listed: number };
  if (expected.jobs !== undefined && out.jobs !== expected.jobs)
    throw new Error(`the floor validated ${out.jobs} jobs, expected ${expected.jobs}`);
  if (expected.listed !== undefined && out.listed < expected.listed)
    throw new Error(`the floor listed ${out.listed} records, expected ${expected.listed}`);
  return run;
}

export function validateFloorArgs(ctx: BenchContext, yamlFiles: readonly string[]): string[] {
  return [ctx.floorScript, "--validator", ctx.validator, ...yamlFiles.flatMap((f) => ["--yaml", f])];
}

export async function benchValidate(ctx: BenchContext): Promise<void> {
  const jobs = ctx.quick ? 1_000 : 10_000;
  const runs = ctx.quick ? 2 : 5;
  for (const files of [1, 20]) {
    const spec = writeSpec({ root: ctx.tmp, jobs, files, stack: "bench", team: "demo" });
    const floorArgs = validateFloorArgs(ctx, spec.yamlFiles);
    const measured = await againstFloor(
      runs,
      "node + js-yaml + validator",
      () => measure(cliCommand(ctx, ["validate", "."], spec.dir)),
      async () => expectFloorOutput(await measure(floorCommand(ctx, floorArgs, spec.dir)), { jobs }),
    );
    ctx.emit({
      id: `validate-${files}`,
      title: `validate, ${jobs.toLocaleString("en")} jobs, ${files === 1 ? "one file" : `${files} files`}`,
      ...measured,
      checks: [
        { label: "≤ 1.6× floor", ok: measured.ratio <= 1.6 },
        { label: "≤ 0.6 s", ok: timeStats(measured.runs).median <= 600 },
      ],
    });
  }
}

export async function benchStartup(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 3 : 9;
  const spec = writeSpec({ root: ctx.tmp, jobs: 1, files: 1, stack: "bench", team: "demo" });
  const nodeFloor = (): Promise<Measured> => measure(floorCommand(ctx, ["-e", "0"], spec.dir));
  const label = "node -e 0";

  const validate = await againstFloor(runs, label, () => measure(cliCommand(ctx, ["validate", "."], spec.dir)), nodeFloor);
  // What no validate can avoid on this spec, against the same node -e 0: the floor of the
  // validate rows (node, js-yaml, the precompiled validator), said beside the target.
  const floorArgs = validateFloorArgs(ctx, spec.yamlFiles);
  const floorAlone = await againstFloor(
    runs,
    label,
    async () => expectFloorOutput(await measure(floorCommand(ctx, floorArgs, spec.dir)), { jobs: 1 }),
    nodeFloor,
  );
  ctx.emit({
    id: "startup-validate",
    title: "validate, 1 job",
    ...validate,
    checks: [{ label: "≤ 1.5× node -e 0", ok: validate.ratio <= 1.5 }],
    note: `node + js-yaml + validator alone ${Math.round(timeStats(floorAlone.runs).median)} ms, ${floorAlone.ratio.toFixed(2)}× node -e 0`,
  });

  const version = await againstFloor(
    runs,
    label,
    async () => {
      const run = await measure(cliCommand(ctx, ["--version"], spec.dir));
      if (!/^\d+\.\d+\.\d+/.test(run.stdout.trim())) throw new Error(`--version printed "${run.stdout.trim()}"`);
      return run;
    },
    nodeFloor,
  );
  const excess = excessMs(version.runs, version.floor.runs);
  ctx.emit({
    id: "startup-version",
    title: "--version",
    ...version,
    checks: [{ label: `≤ node -e 0 + 40 ms (+${Math.round(excess)} ms)`, ok: excess <= 40 }],
  });

  const help = await againstFloor(runs, label, () => measure(cliCommand(ctx, ["plan", "--help"], spec.dir)), nodeFloor);
  ctx.emit({
    id: "startup-plan-help",
    title: "plan --help",
    ...help,
    checks: [],
    note: "reported, no target",
  });
}
