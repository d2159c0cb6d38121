// Where `plan --out` may save a plan, checked before Studio is asked: a path `apply` will
// read back as a saved plan, and never over a file that holds something else (the spec
// just read, a var file, package.json).

import { lstat } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { DASH } from "./standard-input.js";
import { checkPlanPathWritable, isPlanPath, isSavedPlanFile } from "../plan-file/index.js";

/** `out` as given; `shown`, as messages say it (escapes shown: src/cli/commands/show.ts). */
export async function checkPlanOut(out: string, cwd: string, shown: string = out): Promise<void> {
  // Standard output, as `-` is to other tools, holds the plan as printed (--format).
  if (out === DASH) {
    throw new UsageError(
      "--out - would write the saved plan to standard output, where plan prints the plan for reading: a saved plan is written to a file.",
      "Give --out a path ending in .json, e.g. --out plan.json; for the plan as JSON on standard output, pass --format json.",
    );
  }
  // `apply FILE` and the other commands tell a saved plan from a spec by the .json ending
  // (isPlanPath): saved anywhere else, the plan could not be applied as one.
  if (!isPlanPath(out)) {
    throw new UsageError(
      `--out ${shown} is not a .json file: \`apply\` takes only a .json path as a saved plan, and reads any other as a spec.`,
      "Give --out a path ending in .json, e.g. --out plan.json.",
    );
  }
  const path = resolve(cwd, out);
  // A directory, a FIFO, or a missing directory to write in: refused as the write would refuse it.
  await checkPlanPathWritable(path, shown);
  const info = await lstat(path).catch(() => undefined);
  // A missing path or an empty file is written (a link was refused above).
  if (info === undefined || !info.isFile() || info.size === 0) return;
  if (await isSavedPlanFile(path)) return;
  throw new UsageError(
    `--out ${shown} would overwrite ${shown}, which is not a saved plan; nothing was written.`,
    "Give --out a new file, or one a plan was saved to before.",
  );
}
