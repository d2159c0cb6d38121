// `studio-jobs plan`: show what apply would change, and optionally save it.

import { resolve } from "node:path";
import { checkPlanKey, isSavedPlanFile, writePlanFile } from "../../plan-file/index.js";
import { hasChanges } from "../../plan/types.js";
import { renderPlanJson } from "../../render/json.js";
import { renderPlanMarkdown } from "../../render/markdown.js";
import { renderPlanText } from "../../render/text.js";
import { interrupted } from "../../studio/try-abort.js";
import { toolVersion } from "../../version.js";
import type { GlobalOptions } from "../connect.js";
import { reportDiagnostics, stopAsked, useColor, type CliIo } from "../io.js";
import { checkPlanOut } from "../plan-out.js";
import { preparePlan, type PlanFlags } from "../planning.js";
import { shownPath } from "../shell-words.js";

export interface PlanCommandFlags extends PlanFlags {
  out?: string;
  format: "text" | "json" | "markdown";
  detailedExitcode: boolean;
}

export async function runPlan(paths: string[], flags: PlanCommandFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  // A plan key or an --out that would be refused at the end is refused before Studio is asked.
  if (flags.out !== undefined) {
    checkPlanKey(io.env);
    await checkPlanOut(flags.out, io.cwd, shownPath(flags.out, io));
  }
  let code: number;
  try {
    code = await planTo(paths, flags, globals, io);
  } catch (error) {
    // A plan cut short by an error (Studio unreachable, a stop while it was listed, a full
    // disk) keeps an earlier plan at the path too: said before the error, which run() prints.
    if (flags.out !== undefined) await sayOldPlanKept(flags.out, io);
    throw error;
  }
  if (code === 1 && flags.out !== undefined) await sayOldPlanKept(flags.out, io);
  return code;
}

/**
 * A plan that failed saves nothing, and a plan saved at that path by an earlier run is still
 * there, which `apply` would take if Studio has not changed since: said, so that a script
 * that goes on to apply it does not do so unwarned (the file is the user's to remove).
 */
async function sayOldPlanKept(out: string, io: CliIo): Promise<void> {
  const path = resolve(io.cwd, out);
  if (!(await isSavedPlanFile(path).catch(() => false))) return;
  io.stderr.write(
    `Nothing was saved to ${shownPath(out, io)}: the plan there is an earlier one, left as it was; do not apply it for this spec.\n`,
  );
}

async function planTo(paths: string[], flags: PlanCommandFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  const { plan, client, settings } = await preparePlan(paths, flags, globals, io);
  await client.close();
  switch (flags.format) {
    case "json":
      io.stdout.write(renderPlanJson(plan, toolVersion()));
      break;
    case "markdown":
      io.stdout.write(renderPlanMarkdown(plan, undefined, io.secrets?.redactHead));
      break;
    case "text":
      io.stdout.write(renderPlanText(plan, { color: useColor(io.stdout, io.env, globals.color), cut: io.secrets?.redactHead }));
      break;
    default: {
      const never: never = flags.format;
      return never;
    }
  }
  reportDiagnostics(plan, io);
  if (plan.errors.length > 0) return 1;
  if (flags.out !== undefined) {
    const options = {
      toolVersion: toolVersion(),
      cwd: io.cwd,
      token: settings.token,
      env: io.env,
      studioUrl: settings.url,
      specPaths: paths,
      ...(io.secrets === undefined ? {} : { redact: io.secrets.redact }),
    };
    // Again: a file may have been put there while Studio was asked.
    // The name as messages say it: one holding a terminal escape shown, not obeyed (see show.ts).
    const shown = shownPath(flags.out, io);
    await checkPlanOut(flags.out, io.cwd, shown);
    // A stop asked for once Studio was listed (making the plan and its document holds the loop
    // a while for a large one) is heard before the file is written, as import hears it: nothing
    // is saved, and an earlier plan at the path is said to be kept. It was saved, and the plan
    // exited 0 (or 2), as if nobody had pressed Ctrl-C.
    const saved = await writePlanFile(resolve(io.cwd, flags.out), plan, { ...options, stopped: () => stopAsked(io.signal) }, shown);
    if (!saved) {
      io.stderr.write(`Error: ${interrupted(io.signal.reason, `before the plan was saved to ${shown}`, false).message}\n`);
      return 1;
    }
    io.stderr.write(`Saved the plan to ${shown}. Apply exactly this plan with: studio-jobs apply ${shown}\n`);
  }
  return flags.detailedExitcode && hasChanges(plan) ? 2 : 0;
}
