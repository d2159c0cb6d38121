// Rows against the emulator, each in a process of its own: apply, plan (converged and
// large), replaces, and convergence under faults.

import { dirname, join } from "node:path";
import { cliCommand, floorCommand, type BenchContext } from "./context.js";
import { listTeamJobs, postAdmin, startEmulatorProcess, startServerProcess, type ListedJob } from "./emulator.js";
import { measure, runPairs, statsOf, type Command, type Measured } from "./measure.js";
import { againstFloor, ratioOf, seconds, timeStats, type Floor } from "./report.js";
import { expectFloorOutput, validateFloorArgs } from "./rows-offline.js";
import { writeSpec } from "./specs.js";

const LATENCY_MS = 20;
const PARALLELISM = 16;
const STACK = "bench";
const DAY_MS = 86_400_000;
/** Not live: the planner's list (src/studio/job-status.ts), as the wire spells it. */
const FINISHED = new Set(["COMPLETE", "FAILED", "CANCELED", "CANCELING", "CANCELING_SCHEDULED"]);

async function withEmulator(ctx: BenchContext, args: string[], body: (url: string) => Promise<void>): Promise<void> {
  const emulator = await startEmulatorProcess(ctx.cli, [...args, "--config", ctx.emulatorConfig], ctx.tmp);
  try {
    await body(emulator.url);
  } finally {
    await emulator.stop();
  }
}

/** A command that prepares a row: never profiled, never in a figure. */
function setupCommand(ctx: BenchContext, args: string[], cwd: string, url: string, expect?: readonly number[]): Command {
  return { ...cliCommand(ctx, args, cwd, url, expect), nodeFlags: [] };
}

function applyArgs(): string[] {
  return ["apply", ".", "--yes", "--parallelism", String(PARALLELISM)];
}

/** The stack's schedules (not runs) of a team, from the listing: what a run left behind. */
async function stackSchedules(url: string, team: string): Promise<ListedJob[]> {
  const jobs = await listTeamJobs(url, team);
  return jobs.filter((j) => j.parent_job_id === null && j.environment["STUDIO_JOBS_STACK"] === STACK);
}

function latencyBound(calls: number): number {
  return Math.ceil(calls / PARALLELISM) * LATENCY_MS;
}

function expectCreated(run: Measured, count: number): Measured {
  const out = clientOutput(run);
  if (out.created !== count) throw new Error(`the trivial client created ${out.created} jobs, expected ${count}`);
  return run;
}

function clientOutput(run: Measured): { created: number; ms: number } {
  return JSON.parse(run.stdout.trim()) as { created: number; ms: number };
}

export async function benchApply(ctx: BenchContext): Promise<void> {
  const count = ctx.quick ? 200 : 1_000;
  const runs = ctx.quick ? 1 : 3;
  await withEmulator(ctx, ["--latency", String(LATENCY_MS)], async (url) => {
    // Warm the emulator up once, as a server that has been running would be.
    await measure(floorCommand(ctx, [ctx.createClient, url, "warmup", "200", String(PARALLELISM)], ctx.tmp));
    const measured = await runPairs(runs, (run) => {
      const spec = writeSpec({ root: ctx.tmp, jobs: count, files: 1, stack: STACK, team: `apply-${run}` });
      const client = [ctx.createClient, url, `client-${run}`, String(count), String(PARALLELISM)];
      return Promise.resolve({
        subject: () => measure(cliCommand(ctx, applyArgs(), spec.dir, url)),
        floor: async () => expectCreated(await measure(floorCommand(ctx, client, ctx.tmp)), count),
      });
    });
    for (let run = 0; run < runs; run++) {
      const live = (await stackSchedules(url, `apply-${run}`)).filter((j) => !FINISHED.has(j.status));
      const keys = new Set(live.map((j) => j.environment["STUDIO_JOBS_KEY"]));
      if (live.length !== count || keys.size !== count) {
        throw new Error(`apply run ${run + 1} left ${live.length} live jobs for ${keys.size} keys, expected ${count} of each`);
      }
    }
    const bound: Floor = { kind: "bound", label: `ceil(${count}/${PARALLELISM})×${LATENCY_MS} ms`, ms: latencyBound(count) };
    const ratio = ratioOf(measured.subject, bound) ?? Number.NaN;
    ctx.emit({
      id: "apply",
      title: `apply --yes -P ${PARALLELISM}, ${count.toLocaleString("en")} creates, latency ${LATENCY_MS} ms`,
      runs: measured.subject,
      floor: bound,
      ratio,
      checks: [{ label: "≤ 1.25× bound", ok: ratio <= 1.25 }],
      note: `trivial client ${seconds(timeStats(measured.floor).median)}`,
    });
    // The emulator is judged on the requests alone, first sent to last answered, timed
    // inside the client: node's start and undici's loading are not the emulator's cost.
    const requests = measured.floor.map((run) => ({ ...run, ms: clientOutput(run).ms }));
    const clientRatio = ratioOf(requests, bound) ?? Number.NaN;
    const alone = await httpAlone(ctx, count, runs);
    ctx.emit({
      id: "emulator-floor",
      title: `emulator floor: trivial client, ${count.toLocaleString("en")} creates, -P ${PARALLELISM}, requests only`,
      runs: requests,
      floor: bound,
      ratio: clientRatio,
      checks: [{ label: "≤ 1.1× bound", ok: clientRatio <= 1.1 }],
      note: `whole process ${seconds(timeStats(measured.floor).median)}; node:http alone ${seconds(alone)} (${(alone / bound.ms).toFixed(2)}×)`,
    });
  });
}

/**
 * The same trivial client against bench/http-floor.ts, node:http with the same latency
 * and nothing else: what node and this machine cost without the emulator. Reported
 * beside the emulator floor; the median of its requests-only times.
 */
async function httpAlone(ctx: BenchContext, count: number, runs: number): Promise<number> {
  const script = join(dirname(ctx.createClient), "http-floor.js");
  const server = await startServerProcess([script, String(LATENCY_MS)], ctx.tmp, "the node:http floor server");
  try {
    // Warmed up as the emulator is.
    await measure(floorCommand(ctx, [ctx.createClient, server.url, "warmup", "200", String(PARALLELISM)], ctx.tmp));
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const client = [ctx.createClient, server.url, "alone", String(count), String(PARALLELISM)];
      times.push(clientOutput(expectCreated(await measure(floorCommand(ctx, client, ctx.tmp)), count)).ms);
    }
    return statsOf(times).median;
  } finally {
    await server.stop();
  }
}

export async function benchConvergedPlan(ctx: BenchContext): Promise<void> {
  const count = ctx.quick ? 200 : 1_000;
  const runs = ctx.quick ? 2 : 5;
  await withEmulator(ctx, ["--latency", String(LATENCY_MS)], async (url) => {
    const team = "converged";
    const spec = writeSpec({ root: ctx.tmp, jobs: count, files: 1, stack: STACK, team });
    await measure(setupCommand(ctx, applyArgs(), spec.dir, url));
    const floorArgs = [...validateFloorArgs(ctx, spec.yamlFiles), "--list", url, team];
    // --detailed-exitcode: 0 means no changes, so a run that found any fails the row.
    const measured = await againstFloor(
      runs,
      "validate floor + one listing",
      () => measure(cliCommand(ctx, ["plan", ".", "--detailed-exitcode"], spec.dir, url)),
      async () => expectFloorOutput(await measure(floorCommand(ctx, floorArgs, spec.dir)), { jobs: count, listed: count }),
    );
    ctx.emit({
      id: "plan-converged",
      title: `plan, ${count.toLocaleString("en")} jobs converged, latency ${LATENCY_MS} ms`,
      ...measured,
      checks: [{ label: "≤ 1.3× floor", ok: measured.ratio <= 1.3 }],
    });
  });
}

/**
 * A team as a long-lived stack leaves it: the stack's schedules (applied by the tool, so
 * their markers are the tool's own), unmanaged jobs, and nine runs of every schedule
 * (the emulator's clock moved a day at a time through its admin hook).
 */
async function seedLargeTeam(ctx: BenchContext, url: string, team: string, desired: number): Promise<number> {
  const spec = writeSpec({ root: ctx.tmp, jobs: desired, files: 1, stack: STACK, team });
  await measure(setupCommand(ctx, applyArgs(), spec.dir, url));
  const unmanaged = desired / 10;
  await measure(floorCommand(ctx, [ctx.createClient, url, team, String(unmanaged), String(PARALLELISM), "once"], ctx.tmp));
  // Daily crons fire exactly once per day moved. A last minute lets the runs of the
  // final day finish (a run takes 32 s) while firing only the few crons of that minute.
  for (let day = 0; day < 9; day++) await postAdmin(url, "clock", { advance_ms: DAY_MS });
  await postAdmin(url, "clock", { advance_ms: 60_000 });
  return desired + unmanaged + 9 * desired;
}

export async function benchLargePlan(ctx: BenchContext): Promise<void> {
  const desired = ctx.quick ? 1_000 : 10_000;
  const runs = ctx.quick ? 1 : 3;
  await withEmulator(ctx, ["--admin"], async (url) => {
    const team = "large";
    const seedStarted = performance.now();
    const expected = await seedLargeTeam(ctx, url, team, desired);
    const seedMs = performance.now() - seedStarted;
    // The plan's spec moves on from what was applied: replaces, creates and cancels.
    const spec = writeSpec({ root: ctx.tmp, jobs: desired, files: 1, stack: STACK, team, changed: desired / 40, renamed: desired / 40 });
    const floorArgs = [ctx.floorScript, "--list", url, team];
    // The emulator serializes each record once and keeps it: pay that before measuring.
    const warm = expectFloorOutput(await measure(floorCommand(ctx, floorArgs, ctx.tmp)), { listed: expected });
    const listed = (JSON.parse(warm.stdout) as { listed: number }).listed;
    // Exit 2: there are changes, as the spec was written to have.
    const measured = await againstFloor(
      runs,
      "raw fetch + JSON.parse",
      () => measure(cliCommand(ctx, ["plan", ".", "--detailed-exitcode", "--max-cancel", "1000000"], spec.dir, url, [2])),
      async () => expectFloorOutput(await measure(floorCommand(ctx, floorArgs, ctx.tmp)), { listed: expected }),
    );
    const peak = Math.max(...measured.runs.map((r) => r.rssMb));
    ctx.emit({
      id: "plan-large",
      title: `plan, ${desired.toLocaleString("en")} desired vs ${listed.toLocaleString("en")} listed`,
      ...measured,
      checks: [
        { label: "≤ 1.2× floor", ok: measured.ratio <= 1.2 },
        { label: "≤ 200 MB", ok: peak <= 200 },
      ],
      note: `${Math.round(((listed - desired - desired / 10) / listed) * 100)}% runs; seeded in ${seconds(seedMs)}`,
    });
  });
}

export async function benchReplace(ctx: BenchContext): Promise<void> {
  const count = ctx.quick ? 100 : 500;
  const runs = ctx.quick ? 1 : 3;
  await withEmulator(ctx, ["--latency", String(LATENCY_MS)], async (url) => {
    const measured = await runPairs(runs, async (run) => {
      const team = `replace-${run}`;
      const first = writeSpec({ root: ctx.tmp, jobs: count, files: 1, stack: STACK, team, queryVersion: 1 });
      await measure(setupCommand(ctx, applyArgs(), first.dir, url));
      // Every query file changes: every job is replaced, a create and a cancel each.
      const second = writeSpec({ root: ctx.tmp, jobs: count, files: 1, stack: STACK, team, queryVersion: 2 });
      return { subject: () => measure(cliCommand(ctx, applyArgs(), second.dir, url)) };
    });
    for (let run = 0; run < runs; run++) {
      const schedules = await stackSchedules(url, `replace-${run}`);
      const live = schedules.filter((j) => !FINISHED.has(j.status)).length;
      if (live !== count || schedules.length !== 2 * count) {
        throw new Error(`replace run ${run + 1} left ${live} live of ${schedules.length} jobs, expected ${count} of ${2 * count}`);
      }
    }
    const bound: Floor = { kind: "bound", label: `ceil(${2 * count}/${PARALLELISM})×${LATENCY_MS} ms`, ms: latencyBound(2 * count) };
    const ratio = ratioOf(measured.subject, bound) ?? Number.NaN;
    ctx.emit({
      id: "replace",
      title: `apply --yes -P ${PARALLELISM}, ${count} replaces (${2 * count} calls), latency ${LATENCY_MS} ms`,
      runs: measured.subject,
      floor: bound,
      ratio,
      checks: [{ label: "≤ 1.3× bound", ok: ratio <= 1.3 }],
    });
  });
}

export async function benchFaults(ctx: BenchContext): Promise<void> {
  const count = ctx.quick ? 100 : 300;
  const faults = ["--error-rate", "0.1", "--reset-rate", "0.05", "--rate-limit", "150", "--seed", "11"];
  await withEmulator(ctx, [...faults, "--admin"], async (url) => {
    const team = "faults";
    const spec = writeSpec({ root: ctx.tmp, jobs: count, files: 1, stack: STACK, team });
    const apply = await measure(cliCommand(ctx, applyArgs(), spec.dir, url, [0, 1]));
    await postAdmin(url, "faults", { error_rate: 0, reset_rate: 0, rate_limit: 0 });
    const plan = await measure(setupCommand(ctx, ["plan", ".", "--detailed-exitcode"], spec.dir, url, [0, 1, 2]));
    const schedules = await stackSchedules(url, team);
    const liveByKey = new Map<string, number>();
    for (const job of schedules) {
      if (FINISHED.has(job.status)) continue;
      const key = job.environment["STUDIO_JOBS_KEY"] ?? job.name;
      liveByKey.set(key, (liveByKey.get(key) ?? 0) + 1);
    }
    const duplicates = [...liveByKey.values()].filter((n) => n > 1).length;
    // A cancel is right only when it removed a surplus copy: its key must still be live.
    const cancelled = schedules.filter((j) => FINISHED.has(j.status));
    const wronglyCancelled = cancelled.filter((j) => !liveByKey.has(j.environment["STUDIO_JOBS_KEY"] ?? j.name)).length;
    ctx.emit({
      id: "faults",
      title: `apply under faults, ${count} creates: 10% 5xx, 5% resets, 429 past 150/s`,
      runs: [apply],
      floor: { kind: "none" },
      checks: [
        { label: "apply exits 0", ok: apply.code === 0 },
        { label: "then plan: no changes", ok: plan.code === 0 },
        { label: `all ${count} live`, ok: liveByKey.size === count },
        { label: `0 duplicates (${duplicates})`, ok: duplicates === 0 },
        { label: `0 wrongly cancelled (${wronglyCancelled})`, ok: wronglyCancelled === 0 },
      ],
      note: `${cancelled.length} surplus copies cancelled by the sweep`,
    });
  });
}
