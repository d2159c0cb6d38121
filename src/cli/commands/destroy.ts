// `studio-jobs destroy`: retire a stack. It is a plan with no desired jobs, so it covers
// exactly the teams plan covers and cancels through the same executor as apply.

import { renderPlanText } from "../../render/text.js";
import type { GlobalOptions } from "../connect.js";
import { reportDiagnostics, useColor, type CliIo } from "../io.js";
import { preparePlan, RECORDED_TEAMS_FOLLOWED, RECORDED_TEAMS_NAMED } from "../planning.js";
import { specArguments } from "../shell-words.js";
import { confirm, execute } from "./apply.js";
import { joinWords, teamsNamed } from "../../word-lists.js";
import { printable } from "../../invisible.js";
import { byCodeUnits } from "../../code-unit-order.js";
import { classify, managedAs } from "../../identity/classify.js";
import type { JobOutput } from "../../studio/types.js";

export interface DestroyFlags {
  yes: boolean;
  target: string[];
  var: string[];
  varFile: string[];
  allowProtected: boolean;
  parallelism: number;
}

export async function runDestroy(paths: string[], flags: DestroyFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  const planFlags = { ...flags, adopt: false, allowEmpty: true, maxCancel: Number.POSITIVE_INFINITY };
  const { plan, client, listings, unreadable, unfollowed, keptProtected } = await preparePlan(paths, planFlags, globals, io, "destroy");
  // A stack is retired only when every team it used was looked at: a team this token cannot
  // read, or one past what a plan follows from records, may still run its jobs, so destroy
  // does not end as a success.
  const unfinished = (code: number): number => {
    if (unreadable.length === 0 && unfollowed.length === 0) return code;
    if (unreadable.length > 0) {
      const which = teamsNamed(unreadable, RECORDED_TEAMS_NAMED);
      io.stderr.write(
        `Error: stack ${plan.stack} also ran jobs in ${which}, which this token cannot read; any there were not cancelled.\nRun destroy again with a token that can read ${unreadable.length === 1 ? "it" : "them"}.\n`,
      );
    }
    if (unfollowed.length > 0) {
      const which = teamsNamed(unfollowed, RECORDED_TEAMS_NAMED);
      const them = unfollowed.length === 1 ? "it" : "them";
      io.stderr.write(
        `Error: stack ${plan.stack} also recorded ${which}, past the ${RECORDED_TEAMS_FOLLOWED} teams a plan follows from records; any jobs there were not cancelled.\nName ${them} under \`teams:\` in the spec and run destroy again.\n`,
      );
    }
    return 1;
  };
  try {
    const teams = teamsNamed(plan.teams);
    if (plan.summary.cancel === 0 && plan.errors.length === 0) {
      reportDiagnostics(plan, io);
      if (!hasAnyRecord(listings, plan.stack)) {
        // Not even an ended job: the stack may never have run here. Its jobs may run in the
        // team its jobs named when they were applied (a changed `team:` or default team), or
        // the spec may spell the stack in another case than its jobs do.
        // Read from records anyone who can write to the team may have made: shown escaped.
        const cased = stacksInOtherCase(listings, plan.stack).map((stack) => printable(stack));
        const given = joinWords(
          cased.map((stack) => `\`stack: ${stack}\``),
          "or",
        );
        io.stderr.write(
          cased.length === 0
            ? `Warning: Stack ${plan.stack} has no job in ${teams}, live or ended. If its jobs run in another team (a changed \`team:\` or default team), give that team: studio-jobs destroy${specArguments(paths, io)} --team TEAM.\n`
            : cased.length === 1
              ? `Warning: Stack ${plan.stack} has no job in ${teams}, live or ended, but stack ${cased[0]}, whose name differs from it only in case, has: stack names are case-sensitive. To retire that stack, give ${given} exactly.\n`
              : `Warning: Stack ${plan.stack} has no job in ${teams}, live or ended, but stacks ${joinWords(cased)}, whose names differ from it only in case, have: stack names are case-sensitive. To retire one of them, give ${given} exactly.\n`,
        );
      }
      const kept =
        keptProtected === 0 ? "" : ` but ${keptProtected} protected job${keptProtected === 1 ? ", which is" : "s, which are"} kept`;
      io.stdout.write(
        `Nothing to destroy: stack ${plan.stack} has no live jobs${flags.target.length > 0 ? " of those keys" : ""} in ${teams}${kept}.\n`,
      );
      return unfinished(0);
    }
    io.stdout.write(renderPlanText(plan, { color: useColor(io.stdout, io.env, globals.color) }));
    reportDiagnostics(plan, io);
    if (plan.errors.length > 0) return unfinished(1);
    const count = `${plan.summary.cancel} job${plan.summary.cancel === 1 ? "" : "s"}`;
    const confirmed = await confirm(io, {
      yes: flags.yes,
      question: `Cancel ${count} of stack ${plan.stack} in ${teams}?`,
      noTerminal: `Refusing to destroy without confirmation: there is no terminal to ask on.\nPass --yes to cancel ${plan.summary.cancel === 1 ? "this job" : `these ${count}`}.`,
      declined: "Destroy cancelled; nothing was changed.",
    });
    if (!confirmed) return 1;
    return unfinished(
      await execute(
        plan,
        client,
        listings,
        { parallelism: flags.parallelism, format: "text", verbose: globals.verbose, command: "destroy" },
        io,
      ),
    );
  } finally {
    await client.close();
  }
}

/**
 * The stacks of the records listed whose names differ from `stack` only in case, in code-unit
 * order: the stacks a destroy that found none may have meant. Each is named, whatever order
 * Studio lists their jobs in.
 */
function stacksInOtherCase(listings: ReadonlyMap<string, readonly JobOutput[]>, stack: string): string[] {
  const folded = stack.toLowerCase();
  const found = new Set<string>();
  for (const records of listings.values()) {
    for (const record of records) {
      const job = classify(record, stack);
      if (job.kind === "other-stack" && job.stack.toLowerCase() === folded) found.add(job.stack);
    }
  }
  return [...found].sort(byCodeUnits);
}

/** Whether any record listed, live or ended, is one of the stack's. */
function hasAnyRecord(listings: ReadonlyMap<string, readonly JobOutput[]>, stack: string): boolean {
  for (const records of listings.values()) if (records.some((record) => managedAs(record, stack) !== undefined)) return true;
  return false;
}
