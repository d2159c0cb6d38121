// computeStatus: which records status shows, how it judges them against the spec, and their runs.

import { describe, expect, it } from "vitest";
import { CLUSTERS, desired, NOW, options, record } from "../../test/plan-fixtures.js";
import { MARKERS } from "../identity/markers.js";
import type { JobOutput } from "../studio/types.js";
import { renderStatusText } from "../render/status.js";
import { computePlan } from "./compute.js";
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

  it("lists jobs by team, then key, whatever order the teams are given in", () => {
    // Found by mutation testing: every test's jobs were of one team, so ordering by key before
    // team failed none.
    const z = desired({ key: "z", team: "alpha", cron: "@daily" });
    const a = desired({ key: "a", team: "beta", cron: "@daily" });
    const listings = new Map([
      ["alpha", [record(z)]],
      ["beta", [record(a)]],
    ]);
    const status = computeStatus([z, a], listings, "analytics", ["beta", "alpha"], NOW);
    expect(status.jobs.map((j) => `${j.team}/${j.key}`)).toEqual(["alpha/z", "beta/a"]);
  });

  it("counts next runs by the schedule live in Studio: a changed job and one left out of the spec fire as applied", () => {
    // Found by an adversarial tester: NEXT RUN showed the spec's new schedule for a job not
    // applied yet, and none for a live job the spec no longer has.
    const applied = desired({ key: "report", cron: "0 5 * * *" });
    const dropped = desired({ key: "dropped", cron: "30 1 * * *" });
    const wanted = desired({ key: "report", cron: "0 3 * * *" });
    const listed = [record(applied, { status: "TASK" }), record(dropped, { status: "TASK" })];
    const status = computeStatus([wanted], new Map([["demo", listed]]), "analytics", ["demo"], NOW);
    const next = (key: string) => status.jobs.find((j) => j.key === key)?.nextRuns[0]?.toISOString();
    expect(rows(status)).toEqual([`demo/dropped ${listed[1]?.id} TASK not-in-spec`, `demo/report ${listed[0]?.id} TASK changed`]);
    expect([next("report"), next("dropped")]).toEqual(["2026-11-01T05:00:00.000Z", "2026-11-01T01:30:00.000Z"]);
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

  it("calls in-spec only the record plan keeps: a live duplicate apply would cancel is not", () => {
    // Found by an adversarial tester: two live records with the spec's fingerprint were both
    // in-spec, while plan keeps the oldest and cancels the other as a duplicate.
    const nightly = desired({ key: "nightly", cron: "0 3 * * *" });
    const older = record(nightly, { created_at: at(-60) });
    const newer = record(nightly, { created_at: at(-5) });
    const once = desired({ key: "backfill" });
    const ran = record(once, { status: "COMPLETE", created_at: at(-30) });
    const rerun = record(once, { status: "RUNNING", created_at: at(-1) });
    const status = computeStatus([nightly, once], new Map([["demo", [newer, older, ran, rerun]]]), "analytics", ["demo"], NOW);
    expect(rows(status)).toEqual([
      `demo/backfill ${rerun.id} RUNNING not-in-spec`,
      `demo/backfill ${ran.id} COMPLETE in-spec`,
      `demo/nightly ${newer.id} TASK not-in-spec`,
      `demo/nightly ${older.id} TASK in-spec`,
    ]);
  });

  it("when no live record of a key is as the spec wants it, calls changed only the one plan replaces: the others it cancels", () => {
    // Found by copying a managed schedule in Studio under its own name, then changing the
    // spec's query: status showed both records as changed, while plan replaces the newer
    // and cancels the older ("another live job of this key, beside the one kept").
    const nightly = desired({ key: "nightly", cron: "0 3 * * *" });
    const older = record(nightly, { fingerprint: "older", created_at: at(-60) });
    const newer = record(nightly, { fingerprint: "older", created_at: at(-5) });
    const status = computeStatus([nightly], new Map([["demo", [older, newer]]]), "analytics", ["demo"], NOW);
    expect(rows(status)).toEqual([`demo/nightly ${newer.id} TASK changed`, `demo/nightly ${older.id} TASK not-in-spec`]);
    expect(status.notInStudio).toEqual([]);
    const plan = computePlan([nightly], new Map([["demo", [older, newer]]]), CLUSTERS, options());
    expect(plan.actions.map((a) => `${a.kind} ${a.kind === "create" ? "" : a.live.id}`)).toEqual([
      `replace ${newer.id}`,
      `cancel ${older.id}`,
    ]);
  });

  it("calls unknown every record a job with an unset secret may keep: one made with that value empty, and each live duplicate", () => {
    // Found by review: status without STATUS_TOKEN showed a record applied with it empty as
    // in-spec, and the older of two live records as not-in-spec, though with the value set
    // plan may keep that one and cancel the newer.
    const nightly = desired({ key: "nightly", cron: "0 3 * * *" });
    const lacking = (fingerprint: string) => [
      { key: "nightly", team: "demo", cron: nightly.cron, fingerprint, unsetEnv: ["STATUS_TOKEN"] },
    ];
    const alone = record(nightly);
    expect(rows(computeStatus(lacking(nightly.fingerprint), new Map([["demo", [alone]]]), "analytics", ["demo"], NOW))).toEqual([
      `demo/nightly ${alone.id} TASK unknown`,
    ]);
    const older = record(nightly, { created_at: at(-60) });
    const newer = record(nightly, { fingerprint: "other", created_at: at(-5) });
    const status = computeStatus(lacking("made-empty"), new Map([["demo", [older, newer]]]), "analytics", ["demo"], NOW);
    expect(rows(status)).toEqual([`demo/nightly ${newer.id} TASK unknown`, `demo/nightly ${older.id} TASK unknown`]);
  });

  it("lists a one-off job with an unset secret whose only record was cancelled as one apply creates, as plan would", () => {
    // Found by review: the cancelled record was shown as unknown; cancelled, it never satisfies a job.
    const once = desired({ key: "backfill" });
    const lacking = [{ key: "backfill", team: "demo", cron: undefined, fingerprint: "made-empty", unsetEnv: ["STATUS_TOKEN"] }];
    const cancelled = record(once, { status: "CANCELED", created_at: at(-5) });
    const status = computeStatus(lacking, new Map([["demo", [cancelled]]]), "analytics", ["demo"], NOW);
    expect([rows(status), status.notInStudio]).toEqual([[], ["demo/backfill"]]);
    const ran = record(once, { status: "COMPLETE", created_at: at(-30) });
    expect(rows(computeStatus(lacking, new Map([["demo", [cancelled, ran]]]), "analytics", ["demo"], NOW))).toEqual([
      `demo/backfill ${ran.id} COMPLETE unknown`,
    ]);
  });

  it("never judges a record without a key against the spec job of its name: plan leaves it alone and creates that job", () => {
    // Found by an adversarial tester: it showed as the spec's job, "changed", and the job
    // plan creates was missing from not_in_studio.
    const nightly = desired({ key: "nightly", cron: "0 3 * * *" });
    const unkeyed = record({ key: "nightly" }, { status: "TASK" });
    delete unkeyed.environment.STUDIO_JOBS_KEY;
    const status = computeStatus([nightly], new Map([["demo", [unkeyed]]]), "analytics", ["demo"], NOW);
    expect(rows(status)).toEqual([`demo/nightly ${unkeyed.id} TASK left-alone`]);
    expect(status.notInStudio).toEqual(["demo/nightly"]);
  });

  it("shows a copy made in Studio under another name as left alone, as plan leaves it, not as a job apply cancels", () => {
    // Found by a new user's walk: a copy with the stack's markers named "nightly (copy)"
    // showed as not-in-spec, which says the next apply cancels it; plan leaves it alone.
    const nightly = desired({ key: "nightly", cron: "0 3 * * *" });
    const original = record(nightly, { status: "TASK" });
    const copy = record(nightly, { status: "TASK", name: "nightly (copy)" });
    const status = computeStatus([nightly], new Map([["demo", [original, copy]]]), "analytics", ["demo"], NOW);
    expect(rows(status).sort()).toEqual(
      [`demo/nightly ${original.id} TASK in-spec`, `demo/nightly (copy) ${copy.id} TASK left-alone`].sort(),
    );
    expect(status.notInStudio).toEqual([]);
  });

  it("says a desired job whose name a copy of another of the stack's jobs holds is plan's conflict, not one apply creates", () => {
    // Found by copying nightly in Studio under the name weekly, a job the spec then added:
    // status said apply creates weekly, and plan refused it as a conflict.
    const nightly = desired({ key: "nightly", cron: "0 3 * * *" });
    const weekly = desired({ key: "weekly", cron: "0 3 * * 0" });
    const original = record(nightly, { status: "TASK" });
    const copy = record(nightly, { status: "TASK", name: "weekly" });
    const status = computeStatus([nightly, weekly], new Map([["demo", [original, copy]]]), "analytics", ["demo"], NOW);
    expect(rows(status)).toEqual([`demo/nightly ${original.id} TASK in-spec`, `demo/weekly ${copy.id} TASK left-alone`]);
    expect(status.notInStudio).toEqual([]);
    expect(status.conflicts).toEqual(["demo/weekly"]);
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

  it("never gives a next run at or before the schedule's last run or before it was made, when this machine's clock is behind Studio's", () => {
    // Found by an adversarial tester: after Studio's clock (the emulator's, moved on 3 hours)
    // ran a */15 schedule at 12:45, status said LAST RUN 12:45 and NEXT RUN 10:00.
    const guarded = desired({ key: "guarded", cron: "*/15 * * * *" });
    const schedule = record(guarded);
    const status = computeStatus([guarded], new Map([["demo", [schedule, runOf(schedule, "ran", at(165))]]]), "analytics", ["demo"], NOW);
    expect(status.jobs[0]?.nextRuns.map((d) => d.toISOString())).toEqual([at(180), at(195), at(210)]);
    // Nor before the schedule was made: one Studio made at 01:40 and has not run fires at 02:00 first.
    const hourly = desired({ key: "hourly", cron: "@hourly" });
    const made = computeStatus([hourly], new Map([["demo", [record(hourly, { created_at: at(100) })]]]), "analytics", ["demo"], NOW);
    expect(made.jobs[0]?.nextRuns[0]?.toISOString()).toBe(at(120));
  });

  it("takes the newest run by the moment it names, whatever offset Studio wrote it with", () => {
    // Found by an adversarial tester: compared as text, 01:00+09:00 (16:00 UTC) beat 18:50 UTC.
    const nightly = desired({ key: "nightly", cron: "0 3 * * *" });
    const schedule = record(nightly);
    const later = runOf(schedule, "later", "2026-11-29T18:50:00Z");
    const earlier = runOf(schedule, "earlier", "2026-11-30T01:00:00+09:00", "FAILED");
    const status = computeStatus([nightly], new Map([["demo", [schedule, earlier, later]]]), "analytics", ["demo"], NOW);
    expect(status.jobs[0]?.lastRun).toMatchObject({ jobId: "later", status: "COMPLETE" });
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
    // The job made by hand named b is plan's conflict: apply does not create b until --adopt replaces it.
    // Found by an adversarial tester: b was listed as one "apply creates", and plan refused it.
    expect(status.notInStudio).toEqual([]);
    expect(status.conflicts).toEqual(["demo/b"]);
    const plan = computePlan([a, b], listings, CLUSTERS, options({ teams: ["demo", "ml"] }));
    expect(plan.errors).toEqual([
      expect.stringMatching(/^Job "b" in team demo conflicts with an existing job of the same name that studio-jobs does not manage/),
    ]);
  });

  it("warns of records in a status this tool does not know, as plan does", () => {
    // status showed such a record as live, in its status, without plan's warning that it is only assumed to be.
    const jobs = ["a", "b"].map((key) => desired({ key, cron: "@daily" }));
    const listed = [
      ...jobs.map((job) => record(job, { status: "HIBERNATING" })),
      record({ key: "c", stack: null }, { status: "DORMANT" }),
      record({ key: "gone" }, { status: "QUEUED_V2" }),
    ];
    const status = computeStatus(jobs, new Map([["demo", listed]]), "analytics", ["demo"], NOW);
    expect(status.warnings).toEqual([
      `2 jobs (${listed[0]?.id} ("a"), ${listed[1]?.id} ("b")) in team demo have status "HIBERNATING", which this tool does not know; they are treated as live.`,
      `Job ${listed[3]?.id} ("gone") in team demo has status "QUEUED_V2", which this tool does not know; it is treated as live.`,
    ]);
    expect(computePlan(jobs, new Map([["demo", listed]]), CLUSTERS, options()).warnings).toEqual(status.warnings);
  });

  it("warns of a record made by hand in an unknown status when it holds a desired job's name, as plan does", () => {
    // The plan decides about it (it holds the name the spec's job would take): a status this tool does not know is warned of.
    // So is one of the stack's records renamed by hand to a desired job's name.
    const jobs = [desired({ key: "held", cron: "@daily" }), desired({ key: "renamed", cron: "@daily" })];
    const listed = [
      record({ key: "held", stack: null }, { status: "DORMANT" }),
      record({ key: "was" }, { name: "renamed", status: "ASLEEP" }),
    ];
    expect(computeStatus(jobs, new Map([["demo", listed]]), "analytics", ["demo"], NOW).warnings).toEqual([
      `Job ${listed[0]?.id} ("held") in team demo has status "DORMANT", which this tool does not know; it is treated as live.`,
      `Job ${listed[1]?.id} ("renamed") in team demo has status "ASLEEP", which this tool does not know; it is treated as live.`,
    ]);
  });

  it("lists nothing, and every desired job as missing, before the first apply", () => {
    const jobs = [desired({ key: "z" }), desired({ key: "a", team: "ml" })];
    const status = computeStatus(jobs, new Map(), "analytics", ["demo", "ml"], NOW);
    expect(status).toEqual({
      stack: "analytics",
      teams: ["demo", "ml"],
      jobs: [],
      notInStudio: ["demo/z", "ml/a"],
      conflicts: [],
      warnings: [],
    });
  });

  it("shows a team of more than 120,000 live jobs, and writes them as a table: both passed every row as an argument", async () => {
    // Copies of one record: record() counts what it makes, and dates records by that count.
    const one = record({ key: "job" }, { status: "QUEUED" });
    const listed = Array.from({ length: 130_000 }, (_, i) => ({
      ...one,
      id: `${one.id}-${i}`,
      name: `job-${String(i).padStart(6, "0")}`,
      environment: { ...one.environment, [MARKERS.key]: `job-${String(i).padStart(6, "0")}` },
    }));
    const status = computeStatus([], new Map([["demo", listed]]), "analytics", ["demo"], NOW);
    expect(status.jobs).toHaveLength(130_000);
    expect(status.jobs.at(-1)).toMatchObject({ key: "job-129999", spec: "not-in-spec" });
    const lines = (await renderStatusText(status)).split("\n");
    expect(lines).toHaveLength(130_002);
    expect(lines.at(-2)).toMatch(/^demo\/job-129999 {2}\S{8} {2}QUEUED {2}not-in-spec {2}- {9}-$/);
  }, 90_000);
});
