// `apply plan.json` beside a spec: the spec's stack is read by the spec loader, whatever
// YAML it is written in, and a plan for another stack is refused. A spec that cannot say
// its stack leaves the plan to stand on its own.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDeclaredStack } from "../desired/load.js";
import type { PlanDocument } from "./document.js";
import { checkPlanStack } from "./stack.js";

function dirWith(spec: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-stack-"));
  if (spec !== undefined) writeFileSync(join(dir, "studio-jobs.yaml"), spec);
  return dir;
}

const stackOf = (dir: string) => readDeclaredStack(join(dir, "studio-jobs.yaml"), dir);

describe("the stack of the spec here", () => {
  it("is read as the loader reads any spec: plain, quoted, through an alias, after a BOM", async () => {
    expect(await stackOf(dirWith("version: 1\nstack: billing\njobs: {}\n"))).toBe("billing");
    expect(await stackOf(dirWith("version: 1\nstack: 'billing'\njobs: {}\n"))).toBe("billing");
    expect(await stackOf(dirWith("version: 1\nx-name: &name billing\nstack: *name\njobs: {}\n"))).toBe("billing");
    expect(await stackOf(dirWith("\ufeff{version: 1, stack: billing, jobs: {}}\n"))).toBe("billing");
  });

  it("is unknown when there is no spec, or it cannot say", async () => {
    expect(await stackOf(dirWith(undefined))).toBeUndefined();
    expect(await stackOf(dirWith("version: 1\nstack: [billing\n"))).toBeUndefined();
    expect(await stackOf(dirWith("version: 1\nstack: 7\njobs: {}\n"))).toBeUndefined();
    expect(await stackOf(dirWith("- stack: billing\n"))).toBeUndefined();
    expect(await stackOf(dirWith("a: 1\n---\nstack: billing\n"))).toBeUndefined();
  });
});

describe("checkPlanStack", () => {
  const doc = { stack: "analytics" } as PlanDocument;

  it("refuses a plan for another stack than the spec here, naming both", async () => {
    const error = await checkPlanStack(doc, "plan.json", dirWith("version: 1\nstack: billing\njobs: {}\n")).then(
      () => undefined,
      (e: unknown) => e as Error & { hint?: string },
    );
    expect(error?.message).toBe("plan.json is a plan for stack analytics, but the spec here (studio-jobs.yaml) is for stack billing.");
  });

  it("reads every file the plan's jobs were defined in, in code-unit order, and tells stacks apart by case", async () => {
    const dir = dirWith("version: 1\nstack: Analytics\njobs: {}\n");
    mkdirSync(join(dir, "ml"));
    const refusal = (jobs: Record<string, string>) =>
      checkPlanStack(
        {
          stack: "analytics",
          jobs: Object.fromEntries(Object.entries(jobs).map(([key, file]) => [key, { location: { file } }])),
        } as unknown as PlanDocument,
        "plan.json",
        dir,
      ).then(
        () => "accepted",
        (e: unknown) => (e as Error).message,
      );
    writeFileSync(join(dir, "ml/a.yaml"), "version: 1\nstack: analytics\njobs: {}\n");
    writeFileSync(join(dir, "ml/b.yaml"), "version: 1\nstack: billing\njobs: {}\n");
    writeFileSync(join(dir, "ml/c.yaml"), "version: 1\nstack: costs\njobs: {}\n");
    expect([
      await refusal({ x: "ml/b.yaml", y: "ml/a.yaml" }),
      await refusal({ x: "ml/b.yaml", y: "ml/c.yaml" }),
      await refusal({ x: "ml/c.yaml", y: "ml/b.yaml" }),
      await refusal({ x: "ml/a.yaml" }),
      await refusal({}),
    ]).toEqual([
      "plan.json is a plan for stack analytics, but the spec here (ml/b.yaml) is for stack billing.",
      "plan.json is a plan for stack analytics, but the spec here (ml/b.yaml) is for stack billing.",
      "plan.json is a plan for stack analytics, but the spec here (ml/b.yaml) is for stack billing.",
      "accepted",
      "plan.json is a plan for stack analytics, but the spec here (studio-jobs.yaml) is for stack Analytics.",
    ]);
  });

  it("lets the plan stand on its own beside a spec of its stack, no spec, or a broken one", async () => {
    for (const spec of ["version: 1\nstack: analytics\njobs: {}\n", undefined, "stack: [\n"]) {
      const outcome = await checkPlanStack(doc, "plan.json", dirWith(spec)).then(
        () => "accepted",
        (e: unknown) => (e as Error).message,
      );
      expect(outcome).toBe("accepted");
    }
  });
});
