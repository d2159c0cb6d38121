// `apply plan.json` beside a spec: the spec's stack is read by the spec loader, whatever
// YAML it is written in, and a plan for another stack is refused. A spec that cannot say
// its stack leaves the plan to stand on its own.

import { mkdtempSync, writeFileSync } from "node:fs";
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
