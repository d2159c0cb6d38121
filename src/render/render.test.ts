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
              schedule.cron: 0 3 * * *   next: 2026-11-01 03:00 UTC, 2026-11-02 03:00 UTC, 2026-11-03 03:00 UTC
              query_type: PYTHON, cluster: gpu-pool, workers: 4
              environment: API_KEY (sensitive)
        !   demo/report  conflict: unmanaged job theirs-1 has this name; --adopt replaces it
        -   demo/steady  cancel job steady-1 (a duplicate of the job kept)
        -   demo/retired  cancel job retired-1 (removed from the spec)

      Plan: 1 to create, 1 to replace, 2 to cancel, 1 unchanged.
      "
    `);
  });

  it("colours text only when asked", () => {
    expect(renderPlanText(plan, { color: false })).not.toContain("\x1b[");
    expect(renderPlanText(plan, { color: true })).toContain("\x1b[32m+  \x1b[0m");
  });

  it("renders Markdown for a pull request", () => {
    expect(renderPlanMarkdown(plan)).toMatchInlineSnapshot(`
      "<!-- studio-jobs-plan: analytics -->
      ### studio-jobs plan for stack \`analytics\`

      **Plan: 1 to create, 1 to replace, 2 to cancel, 1 unchanged.**

      | | job | team | action |
      |---|---|---|---|
      | 🔄 | \`metrics\` | demo | replace job 5f0c2a9e (create-first) |
      | ➕ | \`nightly\` | demo | create |
      | ⚠️ | \`report\` | demo | conflict: unmanaged job theirs-1 has this name; --adopt replaces it |
      | ➖ | \`steady\` | demo | cancel job steady-1 (a duplicate of the job kept) |
      | ➖ | \`retired\` | demo | cancel job retired-1 (removed from the spec) |

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
      + schedule.cron: 0 3 * * *   next: 2026-11-01 03:00 UTC, 2026-11-02 03:00 UTC, 2026-11-03 03:00 UTC
      + query_type: PYTHON, cluster: gpu-pool, workers: 4
      + environment: API_KEY (sensitive)
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
            "fingerprint": "6da6e72e5ec39b1d8c0a73379e86381057b99d6f8ae53129685f48146bdc030c",
            "job_id": "5f0c2a9e-0000-4000-8000-000000000001",
            "job_url": "http://studio/team/demo/jobs/job-1",
            "key": "metrics",
            "kind": "replace",
            "strategy": "create-first",
            "team": "demo",
          },
          {
            "fingerprint": "3f302aab29b8daafd2a1a38abe99cb7d48dea2c3d761816e0f5e0741e544c143",
            "key": "nightly",
            "kind": "create",
            "team": "demo",
          },
          {
            "job_id": "theirs-1",
            "job_url": "http://studio/team/demo/jobs/job-5",
            "key": "report",
            "kind": "conflict",
            "team": "demo",
          },
          {
            "fingerprint": "60dd96c8a6a559d875e04eb92f4ded0a75d7e0897c4b78a2a6ac442ef9ca1787",
            "job_id": "steady-0",
            "job_url": "http://studio/team/demo/jobs/job-3",
            "key": "steady",
            "kind": "noop",
            "team": "demo",
          },
          {
            "job_id": "steady-1",
            "job_url": "http://studio/team/demo/jobs/job-2",
            "key": "steady",
            "kind": "cancel",
            "reason": "duplicate",
            "team": "demo",
          },
          {
            "job_id": "retired-1",
            "job_url": "http://studio/team/demo/jobs/job-4",
            "key": "retired",
            "kind": "cancel",
            "reason": "removed",
            "team": "demo",
          },
        ],
        "created_at": "2026-11-01T00:00:00.000Z",
        "errors": [
          "Job "report" in team demo conflicts with an existing job of the same name that studio-jobs does not manage (theirs-1). Pass --adopt to replace it with the spec's job, or rename the job.",
        ],
        "format_version": 1,
        "remote_digest": "e1dcbd386d8fdf1af723ece0840ac0d2eb096ab1fe88434d568d3199315c8eb4",
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
    expect(renderPlanMarkdown(empty)).toBe("<!-- studio-jobs-plan: analytics -->\n### studio-jobs plan for stack `analytics`\n\nNo changes. Studio matches the spec.\n");
  });

  it("keeps Markdown under the limit and says what it left out", () => {
    const many = Array.from({ length: 400 }, (_, i) => desired({ key: `job-${i}`, cron: "@daily", query: "x\n".repeat(50) }));
    const big = computePlan(many, new Map([["demo", []]]), CLUSTERS, options());
    const text = renderPlanMarkdown(big, 20_000);
    expect(text.length).toBeLessThanOrEqual(20_000);
    expect(text).toMatch(/_\d+ of 400 job details were left out to keep this comment under 20000 characters; run `studio-jobs plan` for all of them\._\n$/);
  });
});
