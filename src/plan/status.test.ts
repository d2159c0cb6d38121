// computeStatus: which records status shows, how it judges them against the spec, and their runs.

import { describe, expect, it } from "vitest";
import { desired, NOW, record } from "../../test/plan-fixtures.js";
import type { JobOutput } from "../studio/types.js";
import { computeStatus } from "./status.js";

const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();
const runOf = (schedule: JobOutput, id: string, createdAt: string, status = "COMPLETE"): JobOutput => ({
  ...schedule,
  id,
  status,
  created_at: createdAt,
  parent_job_id: schedule.id,
});
const rows = (status: ReturnType<typeof computeStatus>) => status.jobs.map((j) => `${j.team}/${j.key} ${j.jobId} ${j.status} ${j.spec}`);

describe("computeStatus", () => {
  it("says whether each live record is as the spec wants it: in-spec, changed, not-in-spec", () => {
    const nightly = desired({ key: "nightly", cron: "0 3 * * *" });
    const hourly = desired({ key: "hourly", cron: "@hourly" });
    const listed = [
      record(nightly),
      record(hourly, { fingerprint: "older" }),
      record({ key: "gone" }, { status: "TASK" }),
      record({ key: "old" }, { status: "COMPLETE" }),
    ];
    const status = computeStatus([nightly, hourly], new Map([["demo", listed]]), "analytics", ["demo"], NOW);
    expect(rows(status)).toEqual([
      `demo/gone ${listed[2]?.id} TASK not-in-spec`,
      `demo/hourly ${listed[1]?.id} TASK changed`,
      `demo/nightly ${listed[0]?.id} TASK in-spec`,
    ]);
    expect(status.notInStudio).toEqual([]);
    // Next runs of a schedule the spec wants, counted from the time passed in.
    expect(status.jobs.find((j) => j.key === "nightly")?.nextRuns.map((d) => d.toISOString())).toEqual([
      "2026-11-01T03:00:00.000Z",
      "2026-11-02T03:00:00.000Z",
      "2026-11-03T03:00:00.000Z",
    ]);
    expect(status.jobs.find((j) => j.key === "gone")?.nextRuns).toEqual([]);
  });

  it("shows a one-off job that ran with the spec's settings once, its newest record, and not a cancelled or outdated one", () => {
    const once = desired({ key: "backfill" });
    const first = record(once, { status: "COMPLETE", created_at: at(-30) });
    const second = record(once, { status: "FAILED", created_at: at(-10) });
    const cancelled = record(once, { status: "CANCELED", created_at: at(-5) });
    const outdated = record(once, { status: "COMPLETE", fingerprint: "older", created_at: at(-1) });
    const status = computeStatus([once], new Map([["demo", [first, second, cancelled, outdated]]]), "analytics", ["demo"], NOW);
    expect(rows(status)).toEqual([`demo/backfill ${second.id} FAILED in-spec`]);
    expect(status.notInStudio).toEqual([]);
  });

  it("gives a schedule its newest run, and no run of another schedule", () => {
    const hourly = desired({ key: "hourly", cron: "@hourly" });
    const daily = desired({ key: "daily", cron: "@daily" });
    const schedule = record(hourly);
    const other = record(daily);
    const listed = [
      schedule,
      other,
      runOf(schedule, "run-1", at(-120)),
      runOf(schedule, "run-2", at(-60), "FAILED"),
      runOf(other, "run-3", at(-1)),
    ];
    const status = computeStatus([hourly, daily], new Map([["demo", listed]]), "analytics", ["demo"], NOW);
    const lastRuns = Object.fromEntries(status.jobs.map((j) => [j.key, j.lastRun]));
    expect(lastRuns).toEqual({
      daily: { jobId: "run-3", status: "COMPLETE", createdAt: at(-1) },
      hourly: { jobId: "run-2", status: "FAILED", createdAt: at(-60) },
    });
    // A run is never shown as a job of its own.
    expect(status.jobs).toHaveLength(2);
  });

  it("covers a team the spec does not name, and a team with nothing listed; other stacks' and unmanaged jobs are not shown", () => {
    const a = desired({ key: "a", cron: "@daily" });
    const b = desired({ key: "b", cron: "@daily" });
    const recorded = record({ key: "moved", team: "ml" }, { status: "TASK" });
    const listings = new Map([
      [
        "demo",
        [record(a), record({ key: "b", stack: "billing" }, { status: "TASK" }), record({ key: "b", stack: null }, { status: "TASK" })],
      ],
      ["ml", [recorded]],
    ]);
    const status = computeStatus([a, b], listings, "analytics", ["demo", "ml", "unread"], NOW);
    expect(rows(status)).toEqual([`demo/a ${listings.get("demo")?.[0]?.id} TASK in-spec`, `ml/moved ${recorded.id} TASK not-in-spec`]);
    expect(status.teams).toEqual(["demo", "ml", "unread"]);
    expect(status.notInStudio).toEqual(["demo/b"]);
  });

  it("lists nothing, and every desired job as missing, before the first apply", () => {
    const jobs = [desired({ key: "z" }), desired({ key: "a", team: "ml" })];
    const status = computeStatus(jobs, new Map(), "analytics", ["demo", "ml"], NOW);
    expect(status).toEqual({ stack: "analytics", teams: ["demo", "ml"], jobs: [], notInStudio: ["demo/z", "ml/a"] });
  });
});
