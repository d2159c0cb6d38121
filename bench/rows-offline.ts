// Rows that need no Studio: validate of a large spec, and start-up.

import { cliCommand, floorCommand, type BenchContext } from "./context.js";
import { measure, runPairs, type Measured } from "./measure.js";
import { excessMs, ratioOf, timeStats, type Floor } from "./report.js";
import { writeSpec } from "./specs.js";

/** The validate floor's result line, checked so that a floor that did nothing cannot pass. */
export function expectFloorOutput(run: Measured, expected: { jobs?: number; listed?: number }): Measured {
  const out = JSON.parse(run.stdout.trim()) as { jobs: number; listed: number };
  if (expected.jobs !== undefined && out.jobs !== expected.jobs) throw new Error(`the floor validated ${out.jobs} jobs, expected ${expected.jobs}`);
  if (expected.listed !== undefined && out.listed < expected.listed) throw new Error(`the floor listed ${out.listed} records, expected ${expected.listed}`);
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
    const measured = await runPairs(runs, () =>
      Promise.resolve({
        subject: () => measure(cliCommand(ctx, ["validate", "."], spec.dir)),
        floor: async () => expectFloorOutput(await measure(floorCommand(ctx, validateFloorArgs(ctx, spec.yamlFiles), spec.dir)), { jobs }),
      }),
    );
    const floor: Floor = { kind: "measured", label: "node + js-yaml + validator", runs: measured.floor };
    const ratio = ratioOf(measured.subject, floor) ?? Number.NaN;
    const median = timeStats(measured.subject).median;
    ctx.emit({
      id: `validate-${files}`,
      title: `validate, ${jobs.toLocaleString("en")} jobs, ${files === 1 ? "one file" : `${files} files`}`,
      runs: measured.subject,
      floor,
      ratio,
      checks: [
        { label: "≤ 1.6× floor", ok: ratio <= 1.6 },
        { label: "≤ 0.6 s", ok: median <= 600 },
      ],
    });
  }
}

export async function benchStartup(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 3 : 9;
  const spec = writeSpec({ root: ctx.tmp, jobs: 1, files: 1, stack: "bench", team: "demo" });
  const nodeFloor = (): Promise<Measured> => measure(floorCommand(ctx, ["-e", "0"], spec.dir));
  const label = "node -e 0";

  const validate = await runPairs(runs, () =>
    Promise.resolve({ subject: () => measure(cliCommand(ctx, ["validate", "."], spec.dir)), floor: nodeFloor }),
  );
  const validateFloor: Floor = { kind: "measured", label, runs: validate.floor };
  const validateRatio = ratioOf(validate.subject, validateFloor) ?? Number.NaN;
  ctx.emit({
    id: "startup-validate",
    title: "validate, 1 job",
    runs: validate.subject,
    floor: validateFloor,
    ratio: validateRatio,
    checks: [{ label: "≤ 1.5× node -e 0", ok: validateRatio <= 1.5 }],
  });

  const version = await runPairs(runs, () =>
    Promise.resolve({
      subject: async () => {
        const run = await measure(cliCommand(ctx, ["--version"], spec.dir));
        if (!/^\d+\.\d+\.\d+/.test(run.stdout.trim())) throw new Error(`--version printed "${run.stdout.trim()}"`);
        return run;
      },
      floor: nodeFloor,
    }),
  );
  const versionFloor: Floor = { kind: "measured", label, runs: version.floor };
  const excess = excessMs(version.subject, version.floor);
  ctx.emit({
    id: "startup-version",
    title: "--version",
    runs: version.subject,
    floor: versionFloor,
    ratio: ratioOf(version.subject, versionFloor) ?? Number.NaN,
    checks: [{ label: `≤ node -e 0 + 40 ms (+${Math.round(excess)} ms)`, ok: excess <= 40 }],
  });

  const help = await runPairs(runs, () =>
    Promise.resolve({ subject: () => measure(cliCommand(ctx, ["plan", "--help"], spec.dir)), floor: nodeFloor }),
  );
  const helpFloor: Floor = { kind: "measured", label, runs: help.floor };
  ctx.emit({
    id: "startup-plan-help",
    title: "plan --help",
    runs: help.subject,
    floor: helpFloor,
    ratio: ratioOf(help.subject, helpFloor) ?? Number.NaN,
    checks: [],
    note: "reported, no target",
  });
}
