// A saved plan names its stack; `apply plan.json` is given no spec. The spec "here" is the
// spec the plan was made from, read again where it is applied: the files its jobs were
// defined in (their paths are relative to the directory the plan was made in), or, for a
// plan that sends no job, the spec paths `plan` was given (`spec_paths`; a directory among
// them says no stack), and for a plan of an older format ./studio-jobs.yaml, the file `apply`
// would read if given no path.
// When such a file names another stack, the plan was most likely carried to the wrong
// directory (or the wrong plan to this one), and applying it would change the other
// stack's jobs from here. A plan made from other files (`plan --out plan.json ml/`) is not
// refused for a ./studio-jobs.yaml of another stack beside them.
// When there is no such file, or it cannot say its stack (unreadable, broken YAML), the
// plan stands on its own: it holds every job it sends, and needs no spec to be applied.

import { resolve } from "node:path";
import { byCodeUnits } from "../code-unit-order.js";
import { UsageError } from "../errors.js";
import { DEFAULT_SPEC_FILE, readDeclaredStack } from "../desired/load.js";
import type { PlanDocument } from "./document.js";

/** Refuse a plan made for another stack than the spec in `cwd` declares; `shown` is the plan's path as given. */
export async function checkPlanStack(doc: PlanDocument, shown: string, cwd: string): Promise<void> {
  const made = [...new Set(Object.values(doc.jobs ?? {}).map((job) => job.location.file))].sort(byCodeUnits);
  for (const file of made.length > 0 ? made : (doc.spec_paths ?? [DEFAULT_SPEC_FILE])) {
    const here = await readDeclaredStack(resolve(cwd, file), cwd);
    if (here !== undefined && here !== doc.stack) {
      throw new UsageError(
        `${shown} is a plan for stack ${doc.stack}, but the spec here (${file}) is for stack ${here}.`,
        "Apply the plan where it was made, or make a plan for this stack.",
      );
    }
  }
}
