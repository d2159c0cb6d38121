// What apply and destroy say when they are done.

import { describe, expect, it } from "vitest";
import type { ApplyResult, StepResult } from "../apply/types.js";
import { renderApplyJson, renderApplyText, summaryLine } from "./apply-result.js";

const NONE = { created: 0, replaced: 0, cancelled: 0, deduplicated: 0, halfReplaced: 0, failed: 0, skipped: 0 };

function step(fields: Partial<StepResult> & Pick<StepResult, "step" | "key" | "status">): StepResult {
  return { action: "create", team: "demo", ...fields };
}

describe("apply's result", () => {
  it("says one failure is a failure, not a complete apply", async () => {
    const result: ApplyResult = {
      steps: [
        step({ step: "create", key: "a", status: "applied", jobId: "job-a" }),
        step({ step: "create", key: "b", status: "failed", detail: "Studio answered 500: \x1b[2Jgone\u202e" }),
      ],
      summary: { ...NONE, created: 1, failed: 1 },
    };
    expect(summaryLine(result)).toBe("Apply finished with failures: 1 created, 0 replaced, 0 cancelled, 1 failed.");
    // What Studio said is shown escaped, not obeyed by the terminal.
    expect(await renderApplyText(result)).toBe(
      "Apply finished with failures: 1 created, 0 replaced, 0 cancelled, 1 failed.\n\nNew jobs:\n  demo/a  job-a\n\nNot done:\n  create demo/b: FAILED: Studio answered 500: ^[[2Jgone\\u202e\n",
    );
    expect(summaryLine(result, "destroy")).toBe("Destroy finished with failures: 1 created, 0 replaced, 0 cancelled, 1 failed.");
    // A destroy's own summary: it creates and replaces nothing, and does not say so.
    expect(summaryLine({ steps: [], summary: { ...NONE, cancelled: 3, failed: 1 } }, "destroy")).toBe(
      "Destroy finished with failures: 3 cancelled, 1 failed.",
    );
    // One it replaced (which it should not) is said, with what it created, as an apply says them.
    expect(summaryLine({ steps: [], summary: { ...NONE, replaced: 1, cancelled: 2 } }, "destroy")).toBe(
      "Destroy complete: 0 created, 1 replaced, 2 cancelled, 0 failed.",
    );
    expect(summaryLine({ steps: [], summary: { ...NONE, skipped: 1 } })).toBe(
      "Apply incomplete: 0 created, 0 replaced, 0 cancelled, 0 failed, 1 skipped.",
    );
  });

  it("lists as new only the jobs it made and kept: one found to duplicate a concurrent apply's, and cancelled, is not new", async () => {
    const result: ApplyResult = {
      steps: [
        step({ step: "create", key: "z", status: "applied", jobId: "job-z", url: "https://studio/z" }),
        step({ step: "create", key: "b", status: "applied", jobId: "job-b" }),
        step({ step: "create", key: "dup", status: "applied", jobId: "job-dup" }),
        step({ step: "cancel", action: "dedupe", key: "dup", status: "applied", jobId: "job-dup" }),
        step({ step: "cancel", action: "cancel", key: "old", status: "skipped", detail: "stopped before it" }),
      ],
      summary: { ...NONE, created: 3, deduplicated: 1, skipped: 1 },
    };
    expect(await renderApplyText(result)).toBe(
      [
        "Apply incomplete: 3 created, 0 replaced, 0 cancelled, 0 failed, 1 skipped; 1 duplicate cancelled.",
        "",
        "New jobs:",
        "  demo/b  job-b",
        "  demo/z  job-z  https://studio/z",
        "",
        "Not done:",
        "  cancel demo/old: skipped: stopped before it",
        "",
      ].join("\n"),
    );
  });

  it("lists the new jobs in columns, whatever the length of each key", async () => {
    // Found walking the README: each id started where its key ended, so no two lines lined up.
    const result: ApplyResult = {
      steps: [
        step({ step: "create", key: "nightly-embeddings", status: "applied", jobId: "job-1", url: "https://studio/1" }),
        step({ step: "create", key: "backfill", status: "applied", jobId: "job-22", url: "https://studio/22" }),
        step({ step: "create", key: "x", team: "a", status: "applied", jobId: "job-333" }),
      ],
      summary: { ...NONE, created: 3 },
    };
    expect(await renderApplyText(result)).toBe(
      [
        "Apply complete: 3 created, 0 replaced, 0 cancelled, 0 failed.",
        "",
        "New jobs:",
        "  a/x                      job-333",
        "  demo/backfill            job-22   https://studio/22",
        "  demo/nightly-embeddings  job-1    https://studio/1",
        "",
      ].join("\n"),
    );
  });

  it("lists the steps in JSON by phase, then team, then key, whatever order they ended in", () => {
    // Found by mutation testing: every test's steps were of one team, so ordering by key
    // before team failed none.
    const result: ApplyResult = {
      steps: [
        step({ step: "cancel", action: "dedupe", key: "a", team: "alpha", status: "applied" }),
        step({ step: "create", key: "a", team: "beta", status: "applied" }),
        step({ step: "create", key: "z", team: "alpha", status: "applied" }),
        step({ step: "upload", key: "b", team: "beta", status: "applied" }),
      ],
      summary: { ...NONE, created: 2, deduplicated: 1 },
    };
    const steps = (JSON.parse(renderApplyJson(result)) as { steps: StepResult[] }).steps;
    expect(steps.map((s) => `${s.step} ${s.team}/${s.key}`)).toEqual([
      "upload beta/b",
      "create alpha/z",
      "create beta/a",
      "cancel alpha/a",
    ]);
  });

  it("gives each step in JSON with what it has: a job, a file, a URL, why it failed", () => {
    const result: ApplyResult = {
      steps: [
        step({ step: "upload", key: "a", status: "applied", fileId: "file-1" }),
        step({ step: "create", key: "a", status: "applied", jobId: "job-a", url: "https://studio/a" }),
        step({ step: "cancel", action: "replace", key: "b", status: "failed", jobId: "job-b", detail: "Studio answered 500" }),
      ],
      summary: { ...NONE, created: 1, failed: 1, halfReplaced: 1 },
    };
    expect(JSON.parse(renderApplyJson(result))).toEqual({
      format_version: 1,
      summary: { created: 1, replaced: 0, cancelled: 0, deduplicated: 0, failed: 1, skipped: 0, half_replaced: 1 },
      steps: [
        { step: "upload", action: "create", key: "a", team: "demo", status: "applied", file_id: "file-1" },
        { step: "create", action: "create", key: "a", team: "demo", status: "applied", job_id: "job-a", url: "https://studio/a" },
        { step: "cancel", action: "replace", key: "b", team: "demo", status: "failed", job_id: "job-b", detail: "Studio answered 500" },
      ],
    });
  });
});
