// `studio-jobs show PLANFILE`: a saved plan, rendered as plan renders it, without contacting
// Studio: the approval step between `plan --out` and `apply`.

import { resolve } from "node:path";
import { isPlanFile, readPlanFile } from "../../plan-file/index.js";
import { UsageError } from "../../errors.js";
import { renderPlanMarkdown } from "../../render/markdown.js";
import { renderPlanText } from "../../render/text.js";
import type { GlobalOptions } from "../connect.js";
import { useColor, type CliIo } from "../io.js";

export interface ShowFlags {
  format: "text" | "json" | "markdown";
}

export async function runShow(planFile: string, flags: ShowFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  const path = resolve(io.cwd, planFile);
  if (!(await isPlanFile(path))) {
    throw new UsageError(
      `${planFile} is not a saved plan.`,
      "Save one with `studio-jobs plan --out plan.json`; to see the plan of a spec, run `studio-jobs plan`.",
    );
  }
  const doc = await readPlanFile(path, planFile);
  switch (flags.format) {
    case "json": {
      // The saved jobs are what apply sends; the plan itself is the rest, in plan --format json's shape.
      const { jobs: _jobs, ...plan } = doc;
      io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      break;
    }
    case "markdown":
      io.stdout.write(renderPlanMarkdown(doc));
      break;
    case "text":
      io.stdout.write(renderPlanText(doc, { color: useColor(io.stdout, io.env, globals.color) }));
      io.stderr.write(
        `Saved plan of stack ${doc.stack}, made ${doc.created_at} by studio-jobs ${doc.tool_version}. Apply it with: studio-jobs apply ${planFile}\n`,
      );
      break;
    default: {
      const never: never = flags.format;
      return never;
    }
  }
  return 0;
}
