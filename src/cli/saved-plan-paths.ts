// What commands that read a spec check of their paths before reading any: `-`, which is no
// spec here (./standard-input.ts), and a saved plan (`plan plan.json`): said, with the
// commands that take one, instead of reporting its keys as spec errors.

import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { isPlanPath } from "../plan-file/plan-path.js";
import type { CliIo } from "./io.js";
import { shownPath } from "./shell-words.js";
import { refuseStandardInput } from "./standard-input.js";

export async function checkSpecPaths(paths: readonly string[], io: Pick<CliIo, "cwd" | "secrets">): Promise<void> {
  refuseStandardInput(paths, "spec");
  // Only a .json file can be a saved plan; the plan-file modules are loaded only then.
  const candidates = paths.filter(isPlanPath);
  if (candidates.length === 0) return;
  const { isPlanFile } = await import("../plan-file/index.js");
  for (const path of candidates) {
    if (await isPlanFile(resolve(io.cwd, path))) {
      const shown = shownPath(path, io);
      throw new UsageError(
        `${shown} is a saved plan, not a spec.`,
        `Review it with \`studio-jobs show ${shown}\`, or carry it out with \`studio-jobs apply ${shown}\`.`,
      );
    }
  }
}
