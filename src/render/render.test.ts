// The three renderers on one plan with every kind of action.

import { describe, expect, it } from "vitest";
import { CLUSTERS, desired, options, record } from "../../test/plan-fixtures.js";
import { computePlan } from "../plan/compute.js";
import type { Plan } from "../plan/types.js";
import { renderPlanJson } from "./json.js";
import { renderPlanMarkdown } from "./markdown.js";
import { renderPlanText } from "./text.js";

function everyKindOfPlan(): Plan {
  const created = desired({ key: "nightly", cron: "0 3 * * *", workers: 4, cluster: { name: "gpu-pool" }, environment: { API_KEY: "s3cret-new" }, sensitive: ["environment.API_KEY"] });
  const old = desired({
    key: "metrics",
    cron: "0 * * * *",
    query: "import datachain as dc\nprint(1)\n",
    environment: { LOG: "info", TOKEN: "s3cret-old" },
    sensitive: ["environment.TOKEN"],
  });
  const next = desired({
    key: "metrics",
    cron: "@hourly",
    query: "import datachain as dc\nprint(2)\n",
    environment: { LOG: "debug", TOKEN: "s3cret-rotated" },
    sensitive: ["environment.TOKEN"],
    workers: 4,
  });
  const live = { ...record(old, { id: "5f0c2a9e-0000-4000-8000-000000000001" }), workers: 2 };
  const unchanged = desired({ key: "steady", cron: "@daily" });
  const conflicting = desired({ key: "report" });
  const listing = [
    live,
    record(unchanged, { id: "steady-1" }),
    record(unchanged, { id: "steady-0", created_at: "2026-01-01T00:00:00.000Z" }),
    record({ key: "retired" }, { id: "retired-1", status: "TASK" }),
    record({ key: "report", stack: null }, { id: "theirs-1", status: "TASK" }),
  ];
  return computePlan([created, next, unchanged, conflicting], new Map([["demo", listing]]), CLUSTERS, options());
}

describe("renderers", () => {
  const plan = everyKindOfPlan();

  it("renders text, Terraform-style", () => {
    expect(renderPlanText(plan, { color: false })).toMatchInlineSnapshot(`
      "Stack analytics, team demo:

        -/+ demo/metrics  replace job 5f0c2a9e (create-first)
              query:
                @@ -1,2 +1,2 @@
                 import datachain as dc
                -print(1)
                +print(2)
              workers: 2 → 4
              environment.LOG: info → debug
              environment.TOKEN: (sensitive) → (sensitive)
              schedule.cron: 0 * * * * → @hourly
                was next: 2026-11-01 01:00 UTC, 2026-11-01 02:00 UTC, 2026-11-01 03:00 UTC
                now next: 2026-11-01 01:00 UTC, 2026-11-01 02:00 UTC, 2026-11-01 03:00 UTC
        +   demo/nightly  create
              query_type: PYTHON
              query: print("nightly")
              schedule.cron: 0 3 * * *   next: 2026-11-01 03:00 UTC, 2026-11-02 03:00 UTC, 2026-11-03 03:00 UTC
              cluster: gpu-pool
              workers: 4
              environment.API_KEY: (sensitive)
        !   demo/report  conflict: unmanaged job theirs-1 has this name; --adopt replaces it
        -   demo/steady  cancel job steady-0 (a duplicate of the job kept)
        -   demo/retired  cancel job retired-1 (removed from the spec)

      Plan: 1 to create, 1 to replace, 2 to cancel, 1 unchanged, 1 conflict, 1 error.
      "
    `);
  });

  it("colours text only when asked", () => {
    expect(renderPlanText(plan, { color: false })).not.toContain("\x1b[");
    expect(renderPlanText(plan, { color: true })).toContain("\x1b[32m+  \x1b[0m");
  });

  it("renders Markdown for a pull request", () => {
    expect(renderPlanMarkdown(plan)).toMatchInlineSnapshot(`
      "### studio-jobs plan for stack <code>analytics</code>

      **Plan: 1 to create, 1 to replace, 2 to cancel, 1 unchanged, 1 conflict, 1 error.**

      | | job | team | action |
      |---|---|---|---|
      | 🔄 | <code>metrics</code> | demo | replace job 5f0c2a9e (create-first) |
      | ➕ | <code>nightly</code> | demo | create |
      | ⚠️ | <code>report</code> | demo | conflict: unmanaged job theirs-1 has this name; --adopt replaces it |
      | ➖ | <code>steady</code> | demo | cancel job steady-0 (a duplicate of the job kept) |
      | ➖ | <code>retired</code> | demo | cancel job retired-1 (removed from the spec) |

      **Errors — this plan cannot be applied:**
      - Job "report" in team demo conflicts with an existing job of the same name that studio-jobs does not manage (theirs-1). Pass --adopt to replace it with the spec's job, or rename the job.

      <details><summary><code>demo/metrics</code>: replace job 5f0c2a9e (create-first)</summary>

      \`\`\`diff
        query:
          @@ -1,2 +1,2 @@
           import datachain as dc
      -print(1)
      +print(2)
        workers: 2 → 4
        environment.LOG: info → debug
        environment.TOKEN: (sensitive) → (sensitive)
        schedule.cron: 0 * * * * → @hourly
          was next: 2026-11-01 01:00 UTC, 2026-11-01 02:00 UTC, 2026-11-01 03:00 UTC
          now next: 2026-11-01 01:00 UTC, 2026-11-01 02:00 UTC, 2026-11-01 03:00 UTC
      \`\`\`

      </details>
      <details><summary><code>demo/nightly</code>: create</summary>

      \`\`\`diff
      + query_type: PYTHON
      + query: print("nightly")
      + schedule.cron: 0 3 * * *   next: 2026-11-01 03:00 UTC, 2026-11-02 03:00 UTC, 2026-11-03 03:00 UTC
      + cluster: gpu-pool
      + workers: 4
      + environment.API_KEY: (sensitive)
      \`\`\`

      </details>
      "
    `);
  });

  it("renders JSON, versioned", () => {
    const doc = JSON.parse(renderPlanJson(plan, "9.9.9")) as Record<string, unknown>;
    expect(doc).toMatchInlineSnapshot(`
      {
        "actions": [
          {
            "adopted": false,
            "after": {
              "environment": {
                "LOG": "debug",
                "TOKEN": "(sensitive)",
              },
              "protect": false,
              "query": "import datachain as dc
      print(2)
      ",
              "query_type": "PYTHON",
              "schedule": {
                "cron": "@hourly",
              },
              "workers": 4,
            },
            "before": {
              "environment": {
                "LOG": "info",
                "TOKEN": "(sensitive)",
              },
              "protect": false,
              "query": "import datachain as dc
      print(1)
      ",
              "query_type": "PYTHON",
              "schedule": {
                "cron": "0 * * * *",
              },
              "status": "TASK",
              "workers": 2,
            },
            "changes": [
              {
                "field": "query",
                "kind": "text",
                "patch": "@@ -1,2 +1,2 @@
       import datachain as dc
      -print(1)
      +print(2)",
              },
              {
                "field": "workers",
                "kind": "value",
                "new": "4",
                "old": "2",
              },
              {
                "field": "environment.LOG",
                "kind": "value",
                "new": "debug",
                "old": "info",
              },
              {
                "field": "environment.TOKEN",
                "kind": "value",
                "new": "(sensitive)",
                "old": "(sensitive)",
              },
              {
                "field": "schedule.cron",
                "kind": "cron",
                "new": "@hourly",
                "new_runs": [
                  "2026-11-01 01:00 UTC",
                  "2026-11-01 02:00 UTC",
                  "2026-11-01 03:00 UTC",
                ],
                "old": "0 * * * *",
                "old_runs": [
                  "2026-11-01 01:00 UTC",
                  "2026-11-01 02:00 UTC",
                  "2026-11-01 03:00 UTC",
                ],
              },
            ],
            "job_id": "5f0c2a9e-0000-4000-8000-000000000001",
            "job_url": "http://studio/team/demo/jobs/job-1",
            "key": "metrics",
            "kind": "replace",
            "protected": false,
            "strategy": "create-first",
            "team": "demo",
          },
          {
            "after": {
              "cluster": "gpu-pool",
              "environment": {
                "API_KEY": "(sensitive)",
              },
              "protect": false,
              "query": "print("nightly")
      ",
              "query_type": "PYTHON",
              "schedule": {
                "cron": "0 3 * * *",
              },
              "workers": 4,
            },
            "key": "nightly",
            "kind": "create",
            "team": "demo",
          },
          {
            "after": {
              "protect": false,
              "query": "print("report")
      ",
              "query_type": "PYTHON",
            },
            "before": {
              "protect": false,
              "query": "print(1)
      ",
              "query_type": "PYTHON",
              "status": "TASK",
              "unknown": [
                "schedule",
                "cluster",
                "priority",
                "credentials",
                "files",
              ],
            },
            "job_id": "theirs-1",
            "job_url": "http://studio/team/demo/jobs/job-5",
            "key": "report",
            "kind": "conflict",
            "team": "demo",
          },
          {
            "after": {
              "protect": false,
              "query": "print("steady")
      ",
              "query_type": "PYTHON",
              "schedule": {
                "cron": "@daily",
              },
            },
            "fingerprint": "60dd96c8a6a559d875e04eb92f4ded0a75d7e0897c4b78a2a6ac442ef9ca1787",
            "job_id": "steady-1",
            "job_url": "http://studio/team/demo/jobs/job-2",
            "key": "steady",
            "kind": "noop",
            "team": "demo",
          },
          {
            "after": null,
            "before": {
              "protect": false,
              "query": "print("steady")
      ",
              "query_type": "PYTHON",
              "schedule": {
                "cron": "@daily",
              },
              "status": "TASK",
            },
            "job_id": "steady-0",
            "job_url": "http://studio/team/demo/jobs/job-3",
            "key": "steady",
            "kind": "cancel",
            "protected": false,
            "reason": "duplicate",
            "team": "demo",
          },
          {
            "after": null,
            "before": {
              "protect": false,
              "query": "print(1)
      ",
              "query_type": "PYTHON",
              "status": "TASK",
            },
            "job_id": "retired-1",
            "job_url": "http://studio/team/demo/jobs/job-4",
            "key": "retired",
            "kind": "cancel",
            "protected": false,
            "reason": "removed",
            "team": "demo",
          },
        ],
        "created_at": "2026-11-01T00:00:00.000Z",
        "errors": [
          "Job "report" in team demo conflicts with an existing job of the same name that studio-jobs does not manage (theirs-1). Pass --adopt to replace it with the spec's job, or rename the job.",
        ],
        "format_version": 2,
        "remote_digest": "bb227da1b4462beedc20a4f82ea7b9b22f5f4b0e0a927ba3eda817f9e6c02914",
        "stack": "analytics",
        "summary": {
          "cancel": 2,
          "conflict": 1,
          "create": 1,
          "noop": 1,
          "replace": 1,
        },
        "targets": [],
        "teams": [
          "demo",
        ],
        "tool_version": "9.9.9",
        "warnings": [],
      }
    `);
  });

  it("never shows a sensitive value", () => {
    for (const text of [renderPlanText(plan, { color: true }), renderPlanMarkdown(plan), renderPlanJson(plan, "1")]) {
      expect(text).not.toMatch(/s3cret/);
    }
  });

  it("says when nothing changes", () => {
    const steady = desired({ key: "steady" });
    const empty = computePlan([steady], new Map([["demo", [record(steady)]]]), CLUSTERS, options());
    expect(renderPlanText(empty, { color: true })).toBe("No changes. Studio matches the spec.\n");
    expect(renderPlanMarkdown(empty)).toBe("### studio-jobs plan for stack <code>analytics</code>\n\nNo changes. Studio matches the spec.\n");
  });

  it("keeps Markdown under the limit and says what it left out", () => {
    const many = Array.from({ length: 400 }, (_, i) => desired({ key: `job-${i}`, cron: "@daily", query: "x\n".repeat(50) }));
    const big = computePlan(many, new Map([["demo", []]]), CLUSTERS, options());
    const text = renderPlanMarkdown(big, 20_000);
    expect(text.length).toBeLessThanOrEqual(20_000);
    expect(text).toMatch(/_\d+ of 400 job details were left out to keep this comment under 20000 characters; run `studio-jobs plan` for all of them\._\n$/);
  });
});
