// status written out: the table and the JSON, from a StackStatus built by hand.

import { describe, expect, it } from "vitest";
import type { StackStatus } from "../plan/status.js";
import { renderStatusJson, renderStatusText } from "./status.js";

const status: StackStatus = {
  stack: "analytics",
  teams: ["demo"],
  jobs: [
    {
      key: "hourly",
      team: "demo",
      jobId: "0123456789abcdef",
      status: "TASK",
      spec: "changed",
      lastRun: { jobId: "run-1", status: "QUEUED", createdAt: "2026-11-01T02:00:00+00:00" },
      nextRuns: [new Date("2026-11-01T03:00:00Z"), new Date("2026-11-01T04:00:00Z")],
      url: "http://studio/demo/0123",
    },
    {
      key: "once",
      team: "demo",
      jobId: "fedcba98",
      status: "COMPLETE",
      spec: "in-spec",
      lastRun: undefined,
      nextRuns: [],
      url: "http://studio/demo/fedc",
    },
  ],
  notInStudio: ["demo/new"],
  conflicts: ["demo/taken"],
  warnings: [],
};

describe("status rendering", () => {
  it("writes a table with short ids and run times in UTC, then the jobs apply would create", async () => {
    expect(await renderStatusText(status)).toBe(
      [
        "JOB          ID        STATUS    SPEC     LAST RUN                     NEXT RUN",
        "demo/hourly  01234567  TASK      changed  QUEUED 2026-11-01 02:00 UTC  2026-11-01 03:00 UTC",
        "demo/once    fedcba98  COMPLETE  in-spec  -                            -",
        "",
        "In the spec but not live in Studio (apply creates them): demo/new",
        "",
        "In the spec, with the name held by a job studio-jobs does not manage (plan refuses; --adopt replaces it): demo/taken",
        "",
      ].join("\n"),
    );
  });

  it("says so when no job is live, naming the teams looked at", async () => {
    expect(
      await renderStatusText({ stack: "analytics", teams: ["demo", "ml"], jobs: [], notInStudio: [], conflicts: [], warnings: [] }),
    ).toBe("No live jobs of stack analytics in teams demo, ml.\n");
  });

  it("writes JSON with every time in ISO 8601 UTC", () => {
    expect(JSON.parse(renderStatusJson(status, ["ml"]))).toEqual({
      stack: "analytics",
      teams: ["demo"],
      unreadable_teams: ["ml"],
      unfollowed_teams: [],
      jobs: [
        {
          key: "hourly",
          team: "demo",
          job_id: "0123456789abcdef",
          status: "TASK",
          spec: "changed",
          last_run: { job_id: "run-1", status: "QUEUED", created_at: "2026-11-01T02:00:00.000Z" },
          next_runs: ["2026-11-01T03:00:00.000Z", "2026-11-01T04:00:00.000Z"],
          url: "http://studio/demo/0123",
        },
        {
          key: "once",
          team: "demo",
          job_id: "fedcba98",
          status: "COMPLETE",
          spec: "in-spec",
          last_run: null,
          next_runs: [],
          url: "http://studio/demo/fedc",
        },
      ],
      not_in_studio: ["demo/new"],
      conflicts: ["demo/taken"],
    });
  });

  it("shows a key with control or reordering characters escaped, so a cell cannot recolour the terminal or add a row", async () => {
    // Found by an adversarial tester: a STUDIO_JOBS_KEY set by hand reached the terminal raw.
    const odd: StackStatus = { ...status, jobs: [{ ...status.jobs[0]!, key: "prot\u001b]0;pwned\u0007\u202eX\nfake" }], notInStudio: [] };
    expect((await renderStatusText(odd)).split("\n")[1]).toMatch(/^demo\/prot\^\[\]0;pwned\^G\\u202eX\^Jfake {2}01234567 /);
  });

  it("shows the spec's jobs not in Studio with reordering characters escaped, as the table does", async () => {
    // Found by an adversarial tester: a spec key "x\u202ey" (validate accepts it) reached the
    // terminal raw on this line only, where it reads backwards.
    expect(
      await renderStatusText({
        stack: "analytics",
        teams: ["demo"],
        jobs: [],
        notInStudio: ["demo/x\u202ey", "demo/a\u0007b"],
        conflicts: [],
        warnings: [],
      }),
    ).toBe(
      "No live jobs of stack analytics in team demo.\n\nIn the spec but not live in Studio (apply creates them): demo/x\\u202ey, demo/a^Gb\n",
    );
  });

  it("shows a run time Studio sent that is not a time as it came, instead of failing", async () => {
    // Regression: the table used to turn it into an invalid Date and throw "Invalid time value".
    const odd: StackStatus = {
      ...status,
      jobs: [{ ...status.jobs[0]!, lastRun: { jobId: "run-1", status: "COMPLETE", createdAt: "yesterday" } }],
      notInStudio: [],
    };
    expect((await renderStatusText(odd)).split("\n")[1]).toBe(
      "demo/hourly  01234567  TASK    changed  COMPLETE yesterday  2026-11-01 03:00 UTC",
    );
    expect((JSON.parse(renderStatusJson(odd, [])) as { jobs: { last_run: { created_at: string } }[] }).jobs[0]?.last_run.created_at).toBe(
      "yesterday",
    );
  });
});
