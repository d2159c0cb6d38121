// `studio-jobs show PLANFILE`: a saved plan, rendered as plan renders it, without contacting
// Studio: the approval step between `plan --out` and `apply`.

import { resolve } from "node:path";
import { PlanRefusedError } from "../../errors.js";
import { readPlanFile, unlockPlanFile, type PlanDocument } from "../../plan-file/index.js";
import { PLAN_KEY_VARIABLE } from "../../plan-file/plan-key.js";
import { renderPlanMarkdown } from "../../render/markdown.js";
import { renderPlanText } from "../../render/text.js";
import { resolveCredentials } from "../../studio/config.js";
import type { GlobalOptions } from "../connect.js";
import { reportDiagnostics, useColor, type CliIo } from "../io.js";
import { jsonForReaders, printable } from "../../invisible.js";
import { shownPath } from "../shell-words.js";
import { refuseStandardInput } from "../standard-input.js";

export interface ShowFlags {
  format: "text" | "json" | "markdown";
}

export async function runShow(planFile: string, flags: ShowFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  // The name as said in messages: a file's name may hold a terminal escape (a plan a pull
  // request added, shown by a loop over plans/*.json), shown, not obeyed, as the file's text is.
  refuseStandardInput([planFile], "saved plan");
  const shown = shownPath(planFile, io);
  // readPlanFile says what else the file is: missing, not a regular file, not a saved plan.
  const doc = await readPlanFile(resolve(io.cwd, planFile), shown);
  await checkSeal(doc, shown, globals, io);
  switch (flags.format) {
    case "json": {
      // The saved jobs are what apply sends; the plan itself is the rest, in plan --format json's shape.
      const { jobs: _jobs, ...plan } = doc;
      io.stdout.write(jsonForReaders(plan));
      break;
    }
    case "markdown":
      io.stdout.write(renderPlanMarkdown(doc, undefined, io.secrets?.redactHead));
      break;
    case "text":
      io.stdout.write(renderPlanText(doc, { color: useColor(io.stdout, io.env, globals.color), cut: io.secrets?.redactHead }));
      // Which Studio it is for, for whoever approves it (apply refuses another).
      io.stderr.write(
        `Saved plan of stack ${doc.stack}${doc.studio === undefined ? "" : ` for ${printable(doc.studio)}`}, made ${doc.created_at} by studio-jobs ${doc.tool_version}. Apply it with: studio-jobs apply ${shown}\n`,
      );
      break;
    default: {
      const never: never = flags.format;
      return never;
    }
  }
  // The warnings plan printed (a replace that runs a one-off job again, a cancel that stops
  // a running job), on stderr whatever the format, as plan prints them: the approval step
  // is where they are read, and a CI log shows stderr when the document goes elsewhere.
  reportDiagnostics(doc, io);
  return 0;
}

/**
 * The approval step must not show what apply would refuse: a plan that does not match its
 * seal is refused here too. Where the seal cannot be checked (no token, another token or
 * plan key), the plan is shown and that is said: apply checks it before it acts.
 */
async function checkSeal(doc: PlanDocument, shown: string, globals: GlobalOptions, io: CliIo): Promise<void> {
  let token: string | undefined;
  /** Why no token could be read, if that is why: a broken config, DATACHAIN_STUDIO_TOKEN set but empty. */
  let unread: string | undefined;
  try {
    token = (await resolveCredentials(globals, io.env, io.cwd, ["token"])).token;
  } catch (error) {
    // Only means no token to check with: said as the reason the seal was not checked.
    token = undefined;
    unread = error instanceof Error ? error.message.replace(/\.$/, "") : String(error);
  }
  try {
    unlockPlanFile(doc, token, io.env, shown);
  } catch (error) {
    if (!(error instanceof PlanRefusedError) || error.code === "PLAN_CHANGED") throw error;
    const why =
      error.code === "PLAN_KEY_MISSING" && unread !== undefined && doc.digest_key?.source !== PLAN_KEY_VARIABLE
        ? `it was sealed with the Studio token, which could not be read here: ${unread}`
        : error.code === "PLAN_KEY_MISSING"
          ? `it was sealed with ${doc.digest_key?.source === PLAN_KEY_VARIABLE ? PLAN_KEY_VARIABLE : "the Studio token"}, which is not set here`
          : "it was sealed with another key than the one here (another Studio token or plan key), or its digest_key was edited";
    io.stderr.write(`Note: the seal of ${shown} was not checked: ${why}. apply checks it before it acts.\n`);
  }
}
