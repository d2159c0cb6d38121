// Commands that read a spec are sometimes handed a saved plan (`plan plan.json`): say so,
// and point at the commands that take one, instead of reporting its keys as spec errors.

import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { isPlanPath } from "../plan-file/plan-path.js";

export async function refuseSavedPlans(paths: readonly string[], cwd: string): Promise<void> {
  // Only a .json file can be a saved plan; the plan-file modules are loaded only then.
  const candidates = paths.filter(isPlanPath);
  if (candidates.length === 0) return;
  const { isPlanFile } = await import("../plan-file/index.js");
  for (const path of candidates) {
    if (await isPlanFile(resolve(cwd, path))) {
      throw new UsageError(
        `${path} is a saved plan, not a spec.`,
        `Review it with \`studio-jobs show ${path}\`, or carry it out with \`studio-jobs apply ${path}\`.`,
      );
    }
  }
}
