// A saved plan names its stack; `apply plan.json` is given no spec. The spec "here" is the
// one `apply` would read if given no path at all: ./studio-jobs.yaml. When that file names
// another stack, the plan was most likely carried to the wrong directory (or the wrong
// plan to this one), and applying it would change the other stack's jobs from here.
// When there is no such file, or it cannot say its stack (unreadable, broken YAML), the
// plan stands on its own: it holds every job it sends, and needs no spec to be applied.

import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { DEFAULT_SPEC_FILE, readDeclaredStack } from "../desired/load.js";
import type { PlanDocument } from "./document.js";

/** Refuse a plan made for another stack than the spec in `cwd` declares; `shown` is the plan's path as given. */
export async function checkPlanStack(doc: PlanDocument, shown: string, cwd: string): Promise<void> {
  const here = await readDeclaredStack(resolve(cwd, DEFAULT_SPEC_FILE), cwd);
  if (here !== undefined && here !== doc.stack) {
    throw new UsageError(
      `${shown} is a plan for stack ${doc.stack}, but the spec here (${DEFAULT_SPEC_FILE}) is for stack ${here}.`,
      "Apply the plan where it was made, or make a plan for this stack.",
    );
  }
}
