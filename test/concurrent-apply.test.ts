// Two applies of one spec started together (two merges, two CI runs): both plan from
// the same empty state and both create every job. The sweep after their creates must
// leave exactly one live job per key when both have exited, with no third apply.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIFECYCLE_MS } from "../src/emulator/store.js";
import { MARKERS } from "../src/identity/markers.js";
import { isLive, isRun } from "../src/studio/job-status.js";
import { runCli, type CliResult } from "./cli-helpers.js";
import { dailyJobs, liveByKey, startTestStudio, writeSpec, type TestStudio } from "./helpers.js";

let studio: TestStudio;
let proxy: { server: Server; url: string; listingsSeen: number; rearm: () => void };

/** One request passed on to `target`, and its reply. */
async function forward(target: string, req: IncomingMessage): Promise<{ status: number; body: Buffer; type: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const reply = await request(`${target}${req.url ?? "/"}`, {
    method: req.method as "GET",
    headers: { authorization: req.headers.authorization ?? "", "content-type": req.headers["content-type"] ?? "application/json" },
    body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
  });
  return {
    status: reply.statusCode,
    body: Buffer.from(await reply.body.arrayBuffer()),
    type: String(reply.headers["content-type"] ?? ""),
  };
}

/**
 * A pass-through proxy that holds the first `parties` job listings until all of them
 * have arrived, so that every apply plans from the same state, as when two CI runs
 * start in the same second. Later requests pass straight through.
 */
function startBarrierProxy(target: string, parties: number): Promise<typeof proxy> {
  const waiting: (() => void)[] = [];
  const state = { listingsSeen: 0 };
  const server = createServer((req, res) => {
    const isListing = req.method === "GET" && (req.url ?? "").startsWith("/api/datachain/jobs/?");
    const held =
      isListing && state.listingsSeen < parties
        ? new Promise<void>((resolve) => {
            state.listingsSeen += 1;
            waiting.push(resolve);
            if (waiting.length === parties) for (const release of waiting) release();
          })
        : Promise.resolve();
    void held
      .then(() => forward(target, req))
      .then(({ status, body, type }) => {
        res.writeHead(status, { "content-type": type, "content-length": body.length });
        res.end(body);
      })
      .catch(() => res.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        url: `http://127.0.0.1:${port}`,
        get listingsSeen() {
          return state.listingsSeen;
        },
        /** Hold the next `parties` listings again. */
        rearm() {
          state.listingsSeen = 0;
          waiting.length = 0;
        },
      });
    });
  });
}

/**
 * A pass-through proxy that holds every write (POST) until `open()`: an apply through it
 * plans, then waits at its first change while another apply runs from start to end.
 */
async function startGateProxy(target: string): Promise<{ url: string; held: Promise<void>; open: () => void; close: () => void }> {
  let opened!: () => void;
  const gate = new Promise<void>((resolve) => (opened = resolve));
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const server = createServer((req, res) => {
    if (req.method === "POST") reached();
    void (req.method === "POST" ? gate : Promise.resolve())
      .then(() => forward(target, req))
      .then(({ status, body, type }) => {
        res.writeHead(status, { "content-type": type, "content-length": body.length });
        res.end(body);
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, held, open: opened, close: () => server.close() };
}

/**
 * Two specs' applies, B held at its first change while A runs from start to end; then
 * `between`, and B goes on.
 */
async function applyWhileHeld(
  dirA: string,
  dirB: string,
  env: NodeJS.ProcessEnv,
  between = () => {},
): Promise<{ a: CliResult; b: CliResult }> {
  const gate = await startGateProxy(studio.emulator.url);
  try {
    const running = runCli(["apply", ".", "--yes"], { cwd: dirB, env: { ...env, DATACHAIN_STUDIO_URL: gate.url } });
    await gate.held;
    const a = await runCli(["apply", ".", "--yes"], { cwd: dirA, env });
    between();
    gate.open();
    return { a, b: await running };
  } finally {
    gate.close();
  }
}

beforeAll(async () => {
  // Team ops for the spec that adds a team (the last test).
  studio = await startTestStudio({
    config: { tokens: [{ token: "dev-token", user: "dev", teams: ["demo", "ops"], scopes: ["JOB_READ", "JOB_WRITE"] }] },
  });
  proxy = await startBarrierProxy(studio.emulator.url, 2);
});
afterAll(async () => {
  proxy.server.close();
  await studio.close();
});

it("two applies at once leave exactly one live job per key, with no third apply", async () => {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-concurrent-"));
  const jobs: Record<string, unknown> = dailyJobs(24, "cron-");
  for (let i = 0; i < 4; i++) jobs[`once-${i}`] = { query: `print("once ${i}")` };
  writeSpec(dir, "twice", jobs);
  const env = { DATACHAIN_STUDIO_URL: proxy.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };

  // Two runs of the CLI in this process: all they share is Studio, as two CI jobs would.
  const [a, b] = await Promise.all([
    runCli(["apply", ".", "--yes"], { cwd: dir, env }),
    runCli(["apply", ".", "--yes"], { cwd: dir, env }),
  ]);
  expect([a.code, b.code, a.stderr.includes("Error"), b.stderr.includes("Error")]).toEqual([0, 0, false, false]);

  const records = studio.emulator.store.allJobs().filter((r) => !isRun(r) && r.environment[MARKERS.stack] === "twice");
  const keys = Object.keys(jobs).sort();
  // Both applies really did create every job: the race happened.
  expect(records).toHaveLength(2 * keys.length);
  const live = new Map([...liveByKey(records, "twice")].map(([key, jobs]) => [key, jobs.map((job) => job.id)]));
  expect([...live.keys()].sort()).toEqual(keys);
  expect([...live.values()].filter((ids) => ids.length !== 1)).toEqual([]);
  // Each survivor is the older record of its pair, and the sweeps said what they did.
  const deduplicated = [a.stdout, b.stdout].map((out) => Number(/; (\d+) duplicates? cancelled\.$/m.exec(out)?.[1] ?? 0));
  expect((deduplicated[0] ?? 0) + (deduplicated[1] ?? 0)).toBeGreaterThanOrEqual(keys.length);
  for (const [key, [id]] of live) {
    const pair = records
      .filter((r) => r.environment[MARKERS.key] === key)
      .sort((x, y) => x.created_at - y.created_at || (x.id < y.id ? -1 : 1));
    expect(id).toBe(pair[0]?.id);
  }

  const plan = await runCli(["plan", ".", "--detailed-exitcode"], { cwd: dir, env: { ...env, DATACHAIN_STUDIO_URL: studio.emulator.url } });
  expect(plan).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec in team demo.\n" });
});

it("after two applies at once are both stopped before their sweeps, a re-run cancels the duplicate of a protected job without --allow-protected", async () => {
  // Found by an adversarial tester: the re-run refused ("is protected; the plan would cancel
  // it"), though the duplicate is the same job as the one kept, which the sweep would have
  // cancelled without asking. The re-run did not converge without the flag.
  const barrier = await startBarrierProxy(studio.emulator.url, 2);
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-concurrent-protected-"));
  writeSpec(dir, "guarded", { vault: { query: "print(1)", schedule: { cron: "@daily" }, protect: true } });
  const env = { DATACHAIN_STUDIO_URL: barrier.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
  // Both stopped once Studio has made both jobs: the second never looks for the first's (the
  // first may have looked before the second's was made).
  const controller = new AbortController();
  // The store tells its listener of a job before it keeps it: the jobs it was told of are counted.
  const made = new Set<string>();
  studio.emulator.store.setListener({
    job: (record) => {
      if (record.environment[MARKERS.stack] === "guarded") made.add(record.id);
      if (made.size === 2) controller.abort();
    },
    file: () => undefined,
  });
  try {
    const stopped = await Promise.all([0, 1].map(() => runCli(["apply", ".", "--yes"], { cwd: dir, env, signal: controller.signal })));
    expect(stopped.some((r) => r.code === 1)).toBe(true);
  } finally {
    studio.emulator.store.setListener(undefined);
    barrier.server.close();
  }
  expect(liveByKey(studio.emulator.store.allJobs(), "guarded").get("vault")).toHaveLength(2);

  const direct = { ...env, DATACHAIN_STUDIO_URL: studio.emulator.url };
  const again = await runCli(["apply", ".", "--yes"], { cwd: dir, env: direct });
  expect(again.stderr).not.toContain("Error");
  expect(again.stdout).toMatch(
    /^ {2}- {3}demo\/vault {2}cancel job \w+ \(another live job of this key, beside the one kept\) \[protected\]$/m,
  );
  expect(again.code).toBe(0);
  expect(liveByKey(studio.emulator.store.allJobs(), "guarded").get("vault")).toHaveLength(1);
});

describe("two applies of different versions of a spec at once", () => {
  // Found by an adversarial tester: two merges close together (A changes a job, B, merged
  // next, changes it again, removes another, or reverts a third), their applies planned from
  // the same state. Each replaced the old jobs with its own version; neither sweep took the
  // other's version for a duplicate (its settings differ), and both applies said "Apply
  // complete", exit 0, while every changed job ran twice, a removed one still ran and a
  // reverted one ran in the version reverted. The apply whose look after its steps comes
  // last has seen every change of the other: it now fails, naming each job the other apply
  // made or cancelled meanwhile, and says which apply to run again.
  const versions = {
    A: {
      changed: { query: 'print("A")', schedule: { cron: "@daily" } },
      removed: { query: 'print("removed, A")', schedule: { cron: "@daily" } },
      reverted: { query: 'print("reverted, A")', schedule: { cron: "@daily" } },
    },
    B: {
      changed: { query: 'print("B")', schedule: { cron: "@daily" } },
      reverted: { query: 'print("reverted")', schedule: { cron: "@daily" } },
      added: { query: 'print("added")', schedule: { cron: "@daily" } },
    },
  };

  it("leave no mix of both unsaid: the apply that looks last fails, naming what the other changed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-versions-"));
    const [dirA, dirB] = ["A", "B"].map((v) => {
      const d = join(dir, v);
      mkdirSync(d);
      return d;
    });
    const direct = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
    writeSpec(dir, "versions", {
      changed: { query: 'print("before")', schedule: { cron: "@daily" } },
      removed: { query: 'print("removed")', schedule: { cron: "@daily" } },
      reverted: { query: 'print("reverted")', schedule: { cron: "@daily" } },
    });
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: direct })).code).toBe(0);
    writeSpec(dirA ?? "", "versions", versions.A);
    writeSpec(dirB ?? "", "versions", versions.B);

    const barrier = await startBarrierProxy(studio.emulator.url, 2);
    const env = { DATACHAIN_STUDIO_URL: barrier.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
    let results;
    try {
      results = await Promise.all([dirA, dirB].map((cwd) => runCli(["apply", ".", "--yes"], { cwd, env })));
    } finally {
      barrier.server.close();
    }
    // Both planned from the state before either: both versions of "changed" were made.
    const records = studio.emulator.store.allJobs().filter((r) => !isRun(r) && r.environment[MARKERS.stack] === "versions");
    const live = liveByKey(records, "versions");
    expect(live.get("changed")).toHaveLength(2);

    // The apply that looked last saw the other's version of "changed" (the one that looked first
    // may have seen part of the other's changes, or none).
    const saidChanged = results.filter((result) => {
      const theirs = result === results[0] ? '"B"' : '"A"';
      const other = records.find((r) => r.environment[MARKERS.key] === "changed" && r.query.includes(theirs))?.id ?? "none";
      return result.stdout.includes(
        `cancel demo/changed: FAILED: job ${other} of "changed", made by another apply while this one ran, has other settings than this spec's:`,
      );
    });
    expect(saidChanged.length).toBeGreaterThanOrEqual(1);
    for (const result of results.filter((r) => r.code === 1)) {
      expect(result.stdout).toMatch(/^Apply finished with failures: /m);
      expect(result.stdout).toContain(
        ": run apply again with the spec that should win (the newest commit) once no other apply of this stack runs",
      );
    }
    for (const result of saidChanged) expect(result.code).toBe(1);
    // Run again from B, the newer, it converges to B.
    const again = await runCli(["apply", ".", "--yes"], { cwd: dirB, env: direct });
    expect(again.code).toBe(0);
    const after = liveByKey(studio.emulator.store.allJobs(), "versions");
    expect([...after.keys()].sort()).toEqual(["added", "changed", "reverted"]);
    expect([...after.values()].map((jobs) => [jobs.length, jobs[0]?.query])).toEqual(
      expect.arrayContaining([
        [1, 'print("B")'],
        [1, 'print("reverted")'],
        [1, 'print("added")'],
      ]),
    );
  });

  it("leave no mix unsaid when one of them adds a team the other does not cover", async () => {
    // Found by an adversarial tester: A added a job in a new team (ops), which replaced demo/a
    // to record ops (its only change there); B, planned before A began and changing demo/b,
    // looked after A had finished. B took A's demo/a for this spec's own (its fingerprint
    // leaves out the recorded teams) and never listed ops: both said "Apply complete", exit 0,
    // and Studio matched neither spec (A's plan replaces b, B's cancels ops/x). A job made
    // meanwhile with this spec's settings but other recorded teams is now a change the apply
    // that looks last fails on.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-versions-teams-"));
    const [dirA, dirB] = ["A", "B"].map((v) => join(dir, v));
    const daily = (team: string, query: string) => ({ team, query, schedule: { cron: "@daily" } });
    const write = (at: string, jobs: Record<string, unknown>) => {
      mkdirSync(at, { recursive: true });
      writeFileSync(join(at, "studio-jobs.yaml"), stringify({ version: 1, stack: "teams-race", jobs }));
    };
    write(dir, { a: daily("demo", "print(1)"), b: daily("demo", "print(2)") });
    const direct = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: direct })).code).toBe(0);
    write(dirA ?? "", { a: daily("demo", "print(1)"), b: daily("demo", "print(2)"), x: daily("ops", "print(3)") });
    write(dirB ?? "", { a: daily("demo", "print(1)"), b: daily("demo", "print(22)") });

    // B plans and waits at its first change; A runs start to end; then B goes on.
    const { a, b } = await applyWhileHeld(dirA ?? "", dirB ?? "", direct);
    expect(a.stdout).toContain("Apply complete: 1 created, 1 replaced, 0 cancelled, 0 failed.");
    expect(a.code).toBe(0);
    const madeByA = studio.emulator.store
      .allJobs()
      .find((r) => r.team === "demo" && r.name === "a" && isLive(r.status) && r.environment[MARKERS.teams] === '["demo","ops"]');
    expect(b.stdout).toContain(
      `cancel demo/a: FAILED: job ${madeByA?.id ?? "none"} of "a", made by another apply while this one ran, has this spec's settings but records teams demo, ops where this plan covers demo, so that apply's spec (or its --team) is another: run apply again with the spec that should win (the newest commit) once no other apply of this stack runs`,
    );
    expect(b.code).toBe(1);

    // Run again from B, the newer, it converges to B: ops/x is cancelled.
    expect((await runCli(["apply", ".", "--yes"], { cwd: dirB, env: direct })).code).toBe(0);
    const after = liveByKey(studio.emulator.store.allJobs(), "teams-race");
    expect([...after].map(([key, jobs]) => [key, jobs.map((job) => `${job.team}: ${job.query}`)]).sort()).toEqual([
      ["a", ["demo: print(1)"]],
      ["b", ["demo: print(22)"]],
    ]);
  });

  it("leave no mix unsaid when the other moves the jobs to a covered team this one does not act in", async () => {
    // Found by an adversarial tester: both specs list teams demo and ops; A moves the stack's
    // job to ops, B (planned before A began) changes it in demo. B looked after A had
    // finished, but only in demo, the team it acted in: A's job in ops, of B's key, went
    // unseen, both said "Apply complete", exit 0, and the job ran in both teams. The look
    // after the steps now lists every team the plan covers.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-versions-moved-"));
    const [dirA, dirB] = ["A", "B"].map((v) => join(dir, v));
    const daily = (team: string, query: string) => ({ team, query, schedule: { cron: "@daily" } });
    const write = (at: string, jobs: Record<string, unknown>) => {
      mkdirSync(at, { recursive: true });
      writeFileSync(join(at, "studio-jobs.yaml"), stringify({ version: 1, stack: "moved-race", teams: ["demo", "ops"], jobs }));
    };
    write(dir, { a: daily("demo", "print(1)") });
    const direct = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: direct })).code).toBe(0);
    write(dirA ?? "", { a: daily("ops", "print(1)") });
    write(dirB ?? "", { a: daily("demo", "print(2)") });

    // B plans and waits at its first change; A runs start to end; then B goes on.
    const { a, b } = await applyWhileHeld(dirA ?? "", dirB ?? "", direct);
    expect(a.stdout).toContain("Apply complete: 1 created, 0 replaced, 1 cancelled, 0 failed.");
    expect(a.code).toBe(0);
    const madeByA = studio.emulator.store.allJobs().find((r) => r.team === "ops" && r.name === "a" && isLive(r.status));
    expect(b.stdout).toContain(
      `cancel ops/a: FAILED: job ${madeByA?.id ?? "none"} of "a", made by another apply while this one ran, is not in this spec: run apply again with the spec that should win (the newest commit) once no other apply of this stack runs`,
    );
    expect(b.code).toBe(1);

    // Run again from B, the newer, it converges to B: ops/a is cancelled.
    expect((await runCli(["apply", ".", "--yes"], { cwd: dirB, env: direct })).code).toBe(0);
    const after = liveByKey(studio.emulator.store.allJobs(), "moved-race");
    expect([...after].map(([key, jobs]) => [key, jobs.map((job) => `${job.team}: ${job.query}`)])).toEqual([["a", ["demo: print(2)"]]]);
  });

  it("leave no mix unsaid when the other moves the job to a team this one does not cover", async () => {
    // Found by an adversarial tester: A (teams demo, ops) moves the stack's job to ops and
    // cancels it in demo; B, covering demo only and planned before A began, replaces it there.
    // B's cancel of the old job was answered 400 at its first try (A had cancelled it), which
    // counted as done; B never lists ops, so both said "Apply complete", exit 0, and the job
    // ran in both teams. A job found cancelled at the first try, with no other version of its
    // key made here meanwhile, is now said.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-versions-uncovered-"));
    const [dirA, dirB] = ["A", "B"].map((v) => join(dir, v));
    const daily = (team: string, query: string) => ({ team, query, schedule: { cron: "@daily" } });
    const write = (at: string, spec: Record<string, unknown>) => {
      mkdirSync(at, { recursive: true });
      writeFileSync(join(at, "studio-jobs.yaml"), stringify({ version: 1, stack: "uncovered-race", ...spec }));
    };
    write(dir, { jobs: { a: daily("demo", "print(1)") } });
    const direct = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: direct })).code).toBe(0);
    const old = studio.emulator.store.allJobs().find((r) => r.environment[MARKERS.stack] === "uncovered-race");
    write(dirA ?? "", { teams: ["demo", "ops"], jobs: { a: daily("ops", "print(1)") } });
    write(dirB ?? "", { jobs: { a: daily("demo", "print(2)") } });

    // A's cancel has finished (CANCELED) when B sends its own: Studio answers it 400.
    const { a, b } = await applyWhileHeld(dirA ?? "", dirB ?? "", direct, () => studio.clock.advance(LIFECYCLE_MS.canceling));
    expect(a.stdout).toContain("Apply complete: 1 created, 0 replaced, 1 cancelled, 0 failed.");
    expect(b.stdout).toContain(
      `cancel demo/a: FAILED: job ${old?.id ?? "none"} of "a" was cancelled by another apply, or in Studio, while this one ran: if another apply moved it to a team this plan does not cover (it covers demo), it runs there beside this apply's; run plan with that team under \`teams:\` to see`,
    );
    expect(b.code).toBe(1);
    const after = liveByKey(studio.emulator.store.allJobs(), "uncovered-race");
    expect([...after].map(([key, jobs]) => [key, jobs.map((job) => `${job.team}: ${job.query}`).sort()])).toEqual([
      ["a", ["demo: print(2)", "ops: print(1)"]],
    ]);
  });

  it("say nothing of an old job the other cancelled when both apply the same spec", async () => {
    // Both replace the job: each makes a version, one cancels the old one first, and the other
    // finds it cancelled. The other's version of the key, made here, explains that: no failure.
    // B is held until A's cancel has finished (CANCELED), so that Studio refuses B's own
    // cancel 400: sent at once, both were answered 200 (the emulator takes a cancel of a job
    // being cancelled), and this passed with the other's version not looked at.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-same-replace-"));
    const daily = { a: { query: "print(1)", schedule: { cron: "@daily" } } };
    writeSpec(dir, "same-replace", daily);
    const direct = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: direct })).code).toBe(0);
    writeSpec(dir, "same-replace", { a: { query: "print(2)", schedule: { cron: "@daily" } } });
    const { a, b } = await applyWhileHeld(dir, dir, direct, () => studio.clock.advance(LIFECYCLE_MS.canceling));
    expect([a, b].map((r) => [r.code, r.stdout.includes("was cancelled by another apply")])).toEqual([
      [0, false],
      [0, false],
    ]);
    expect(b.stderr).toMatch(/cancel demo\/a: done \(job \S+\), already CANCELED\n/);
    const after = liveByKey(studio.emulator.store.allJobs(), "same-replace");
    expect([...after].map(([key, jobs]) => [key, jobs.map((job) => job.query)])).toEqual([["a", ["print(2)"]]]);
  });

  it("leave no mix unsaid when the one that would look last is stopped once its steps are done", async () => {
    // Found by an adversarial tester: A only cancels (it removes r), B replaces c, both planned
    // from the same state. B ran and looked before A's cancel; A was stopped (a CI runner's
    // SIGTERM) while its cancel was under way. The cancel went through, A skipped its look
    // after the steps and said "Apply complete", exit 0, as B had: Studio matched neither
    // spec (r cancelled, c replaced). The look not made is now a step skipped, exit 1.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-versions-stopped-"));
    const [dirA, dirB] = ["A", "B"].map((v) => {
      const d = join(dir, v);
      mkdirSync(d);
      return d;
    });
    const daily = (query: string) => ({ query, schedule: { cron: "@daily" } });
    writeSpec(dir, "stopped-race", { r: daily("print(1)"), c: daily("print(2)") });
    const direct = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: direct })).code).toBe(0);
    writeSpec(dirA ?? "", "stopped-race", { c: daily("print(2)") });
    writeSpec(dirB ?? "", "stopped-race", { r: daily("print(1)"), c: daily("print(22)") });

    // A plans and waits at its cancel; B runs start to end; then A is stopped, its cancel under way.
    const gate = await startGateProxy(studio.emulator.url);
    const controller = new AbortController();
    let a, b;
    try {
      const running = runCli(["apply", ".", "--yes"], {
        cwd: dirA,
        env: { ...direct, DATACHAIN_STUDIO_URL: gate.url },
        signal: controller.signal,
      });
      await gate.held;
      b = await runCli(["apply", ".", "--yes"], { cwd: dirB, env: direct });
      controller.abort("SIGTERM");
      gate.open();
      a = await running;
    } finally {
      gate.close();
    }
    expect(b.stdout).toContain("Apply complete: 0 created, 1 replaced, 0 cancelled, 0 failed.");
    expect(b.code).toBe(0);
    expect(a.stdout).toContain("Apply incomplete: 0 created, 0 replaced, 1 cancelled, 0 failed, 1 skipped.");
    expect(a.stdout).toContain(
      "cancel demo/*: skipped: interrupted before it started: this apply did not look for jobs a concurrent apply changed meanwhile; run apply again",
    );
    expect(a.code).toBe(1);
    // The mix both would have called done: r cancelled by A, c replaced by B.
    const live = liveByKey(studio.emulator.store.allJobs(), "stopped-race");
    expect([...live].map(([key, jobs]) => [key, jobs.map((job) => job.query)])).toEqual([["c", ["print(22)"]]]);
  });
});

it("two applies of one saved plan at once leave each job once, and the plan applied again says Studio is as it leaves it", async () => {
  // The chaos attacker's run, made exact: both applies check the plan against the same
  // listing and both carry it out; the sweeps cancel the copies. The saved plan applied a
  // third time must say that Studio is as it leaves it (the copies ended), not that it changed.
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-concurrent-saved-"));
  const daily = (query: string, replace = "create-first") => ({ query, schedule: { cron: "@daily", replace } });
  const secret = { query: "print('s')", environment: { K: "${env:SJ_SECRET}" }, schedule: { cron: "@hourly" } };
  writeSpec(dir, "saved-race", { kept: daily("print(1)"), swapped: daily("print(2)", "cancel-first"), gone: daily("print(3)") });
  const direct = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token", SJ_SECRET: "s1" };
  expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: direct })).code).toBe(0);
  writeSpec(dir, "saved-race", { kept: daily("print(1)"), swapped: daily("print(22)", "cancel-first"), added: daily("print(4)"), secret });
  const env = { ...direct, DATACHAIN_STUDIO_URL: proxy.url };
  proxy.rearm();
  const plans = await Promise.all([
    runCli(["plan", ".", "--out", "plan.json"], { cwd: dir, env }),
    runCli(["plan", ".", "--out", "other.json"], { cwd: dir, env }),
  ]);
  expect(plans.map((plan) => plan.code)).toEqual([0, 0]);
  proxy.rearm();
  const [a, b] = await Promise.all([runCli(["apply", "plan.json"], { cwd: dir, env }), runCli(["apply", "plan.json"], { cwd: dir, env })]);
  expect([a.code, b.code]).toEqual([0, 0]);
  // Both made every job: the race happened, and the sweeps cancelled the copies.
  const made = studio.emulator.store
    .allJobs()
    .filter((r) => !isRun(r) && r.environment[MARKERS.stack] === "saved-race" && r.environment[MARKERS.key] === "added");
  expect(made.map((r) => isLive(r.status)).sort()).toEqual([false, true]);
  const live = liveByKey(studio.emulator.store.allJobs(), "saved-race");
  expect([...live].map(([key, jobs]) => [key, jobs.length]).sort()).toEqual([
    ["added", 1],
    ["kept", 1],
    ["secret", 1],
    ["swapped", 1],
  ]);
  const again = await runCli(["apply", "plan.json"], { cwd: dir, env });
  expect([again.code, again.stdout, again.stderr.split("\n")[0]]).toEqual([
    1,
    "",
    "Error: Saved plan is stale: Studio is already as it leaves it: the jobs it creates or replaces run as it makes them, and those it replaces or cancels have ended. Nothing was changed.",
  ]);
  const plan = await runCli(["plan", ".", "--detailed-exitcode"], { cwd: dir, env: direct });
  expect(plan).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec in team demo.\n" });
});
