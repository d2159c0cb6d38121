// `studio-jobs apply`: make Studio match the spec (after a confirmation), or carry out
// a saved plan exactly.

import { resolve } from "node:path";
import { applyPlan } from "../../apply/execute.js";
import {
  checkPlanStack,
  isPlanPath,
  planOutCommand,
  readPlanFile,
  restorePlan,
  studioLocation,
  unlockPlanFile,
} from "../../plan-file/index.js";
import type { ApplyEvent, ApplyResult } from "../../apply/types.js";
import { RemoteError, UsageError } from "../../errors.js";
import { printable } from "../../invisible.js";
import { hasChanges, type Plan } from "../../plan/types.js";
import { renderApplyJson, renderApplyText, stepLine, type ApplyCommand } from "../../render/apply-result.js";
import { targetNote } from "../../render/details.js";
import { renderPlanText } from "../../render/text.js";
import type { StudioClient } from "../../studio/client.js";
import { resolveConnection } from "../../studio/config.js";
import type { JobOutput } from "../../studio/types.js";
import { shownPath, specArguments } from "../shell-words.js";
import { refuseStandardInput } from "../standard-input.js";
import { connect, type GlobalOptions } from "../connect.js";
import { isFullTerminal, reportDiagnostics, useColor, waitsOf, type CliIo } from "../io.js";
import { listStudio, preparePlan, RECORDED_TEAMS_NAMED, UNREADABLE_TEAM, type PlanFlags } from "../planning.js";
import { joinWords, teamsNamed } from "../../word-lists.js";

export interface ApplyCommandFlags extends PlanFlags {
  yes: boolean;
  parallelism: number;
  format: "text" | "json";
}

/** `given`: the flags written on the command line, as `--name`. */
export async function runApply(
  paths: string[],
  flags: ApplyCommandFlags,
  globals: GlobalOptions,
  io: CliIo,
  given: readonly string[] = [],
): Promise<number> {
  refuseStandardInput(paths, "saved plan or spec");
  const first = paths[0];
  // A spec is never .json (see below): one .json path is a saved plan, and readPlanFile says
  // what it is if it is not one (missing, a directory, a spec).
  if (paths.length === 1 && first !== undefined && isPlanPath(first)) {
    refusePlanningFlags(given);
    // Its name as messages say it: one holding a terminal escape is shown, not obeyed (see show.ts).
    return applySavedPlan(resolve(io.cwd, first), shownPath(first, io), flags, globals, io);
  }
  if (paths.some(isPlanPath)) {
    throw new UsageError("Give either one saved plan file or spec paths, not both.");
  }
  return applySpec(paths, flags, globals, io, given);
}

/** The flags that shape a plan: a saved plan was made with its own. */
const PLANNING_FLAGS = new Set(["--target", "--var", "--var-file", "--adopt", "--allow-empty", "--allow-protected", "--max-cancel"]);

/** A saved plan was made with its own flags; planning flags given now would be silently ignored. */
function refusePlanningFlags(givenFlags: readonly string[]): void {
  const given = givenFlags.filter((flag) => PLANNING_FLAGS.has(flag));
  if (given.length > 0) {
    throw new UsageError(
      `${given.join(", ")} cannot change a saved plan: it is applied exactly as it was made.`,
      "Pass these flags to `studio-jobs plan --out FILE` instead.",
    );
  }
}

/**
 * --team (a global flag, so not among the planning flags above) asks that a team be planned
 * too: a saved plan that does not cover it would be applied without it, silently. One it
 * covers asks nothing new. DATACHAIN_STUDIO_TEAM, a setting of the runner, is not checked.
 */
function refuseUncoveredTeam(team: string | undefined, covered: readonly string[]): void {
  if (team === undefined || covered.includes(team)) return;
  throw new UsageError(
    `--team ${team} is not a team the saved plan covers (${covered.join(", ")}): it is applied exactly as it was made.`,
    `Make a plan with \`studio-jobs --team ${team} plan --out FILE\` and apply that, or leave --team out.`,
  );
}

async function applySpec(
  paths: string[],
  flags: ApplyCommandFlags,
  globals: GlobalOptions,
  io: CliIo,
  given: readonly string[],
): Promise<number> {
  const { plan, client, listings } = await preparePlan(paths, flags, globals, io);
  try {
    // With --format json stdout is the results alone; the plan goes to stderr.
    const planOut = flags.format === "json" ? io.stderr : io.stdout;
    planOut.write(renderPlanText(plan, { color: useColor(planOut, io.env, globals.color), cut: io.secrets?.redactHead }));
    reportDiagnostics(plan, io);
    if (plan.errors.length > 0) return 1;
    if (!hasChanges(plan)) return flags.format === "json" ? emptyJson(io) : 0;
    const confirmed = await confirm(io, {
      yes: flags.yes,
      question: "Apply these changes?",
      noTerminal:
        "Refusing to apply without confirmation: there is no terminal to ask on.\n" +
        `Pass --yes to apply these changes, or save a plan with ${planCommand(paths, given, globals, io)} and run \`studio-jobs apply plan.json\`.`,
      declined: "Apply cancelled; nothing was changed.",
    });
    if (!confirmed) return 1;
    return await execute(plan, client, listings, { ...flags, verbose: globals.verbose }, io);
  } finally {
    await client.close();
  }
}

/**
 * The `plan --out` that saves the plan this apply was asked to make: its spec paths as given
 * (without them `plan` reads ./studio-jobs.yaml, another spec or none), and its planning flags named.
 */
function planCommand(paths: readonly string[], given: readonly string[], globals: GlobalOptions, io: CliIo): string {
  // --team, before the command, decides which teams the plan covers: a planning flag too.
  const flags = [...(globals.team === undefined ? [] : ["--team"]), ...given.filter((flag) => PLANNING_FLAGS.has(flag))];
  const same = flags.length === 0 ? "" : ` (with the same ${joinWords(flags)})`;
  return `\`studio-jobs plan${specArguments(paths, io)} --out plan.json\`${same}`;
}

function emptyJson(io: CliIo): number {
  io.stdout.write(
    renderApplyJson({
      steps: [],
      summary: { created: 0, replaced: 0, cancelled: 0, deduplicated: 0, halfReplaced: 0, failed: 0, skipped: 0 },
    }),
  );
  return 0;
}

async function applySavedPlan(path: string, shown: string, flags: ApplyCommandFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  const doc = await readPlanFile(path, shown);
  // The `plan --out` that makes this plan again: its spec paths as it records them.
  const paths = specArguments(doc.spec_paths ?? [], io);
  const newPlan = planOutCommand(paths);
  refuseUncoveredTeam(globals.team, doc.teams);
  // The file's teams are applied, not the settings' team: an empty DATACHAIN_STUDIO_TEAM is no error here.
  const settings = await resolveConnection(globals, io.env, io.cwd, ["url", "token"]);
  const { client } = await connect(globals, io, settings);
  try {
    // Before any request: a plan whose digests cannot be checked here goes no further.
    const key = unlockPlanFile(doc, settings.token, io.env, shown, studioLocation(settings.url));
    // Past the seal: the files it names to read (its jobs', its spec paths) are the plan's own, not a forger's.
    await checkPlanStack(doc, shown, io.cwd);
    const { listings, clusters } = await listStudio(client, doc.teams, doc.stack).catch((error: unknown) => {
      throw coveredTeamUnreadable(error, doc.teams, newPlan);
    });
    const plan = await restorePlan(doc, {
      listings,
      clusters,
      env: io.env,
      cwd: io.cwd,
      key,
      specArguments: paths,
      ...(io.secrets === undefined ? {} : { secrets: io.secrets }),
    });
    reportDiagnostics(plan, io);
    if (!hasChanges(plan)) {
      // As for a spec: with --format json stdout is the (empty) results alone, the words go to stderr.
      (flags.format === "json" ? io.stderr : io.stdout).write("No changes. The saved plan has nothing to do.\n");
      return flags.format === "json" ? emptyJson(io) : 0;
    }
    io.stderr.write(`Applying the saved plan ${shown} (stack ${doc.stack}, made ${doc.created_at}).\n`);
    // A plan made with --target is partial: said again here, where it is carried out, as plan and show said it.
    const partial = targetNote(doc, printable);
    if (partial !== undefined) io.stderr.write(`${partial}\n`);
    return await execute(plan, client, listings, { ...flags, verbose: globals.verbose, savedPlan: { shown, newPlan } }, io);
  } finally {
    await client.close();
  }
}

/**
 * A saved plan covers its teams as they were when it was made: one this token cannot read now
 * (403, 404, or a name refused: 400, 422) cannot be checked, so nothing is applied. Studio's
 * answer says which request failed; the hint says what the plan needs.
 */
function coveredTeamUnreadable(error: unknown, teams: readonly string[], newPlan: string): unknown {
  if (!(error instanceof RemoteError) || error.status === undefined || !UNREADABLE_TEAM.has(error.status)) return error;
  return new RemoteError({
    method: error.method,
    path: error.path,
    status: error.status,
    studioMessage: error.studioMessage,
    message: error.message,
    code: error.code,
    cause: error,
    hint: `The saved plan covers ${teamsNamed(teams, RECORDED_TEAMS_NAMED)}, and this token cannot read one of them now: apply it with a token that can read each, or make a new plan with ${newPlan} and apply that. Nothing was changed.`,
  });
}

/**
 * Ask before changing anything, unless --yes. Without a terminal there is nobody to ask:
 * refuse, saying how to proceed. Only "yes" goes ahead.
 */
export async function confirm(io: CliIo, text: { yes: boolean; question: string; noTerminal: string; declined: string }): Promise<boolean> {
  if (text.yes) return true;
  if (!io.interactive) {
    io.stderr.write(`Error: ${text.noTerminal}\n`);
    return false;
  }
  const answer = (await io.prompt(`\n${text.question} Only 'yes' is accepted: `)).trim().toLowerCase();
  if (answer !== "yes") io.stderr.write(`${text.declined}\n`);
  return answer === "yes";
}

/** Carry out the plan with progress on stderr and the results on stdout; 1 if any step did not apply. */
export async function execute(
  plan: Plan,
  client: StudioClient,
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  /** `verbose`: --verbose, whose retry lines go to stderr as they happen, between the progress lines. */
  flags: {
    parallelism: number;
    format: "text" | "json";
    verbose: boolean;
    command?: ApplyCommand;
    /**
     * The saved plan applied, as shown, and the `plan --out` that makes it again: once partly
     * carried out it is stale, and is not applied again.
     */
    savedPlan?: { shown: string; newPlan: string };
  },
  io: CliIo,
): Promise<number> {
  const command = flags.command ?? "apply";
  const { parallelism } = flags;
  const knownIds = new Set<string>();
  for (const jobs of listings.values()) for (const job of jobs) knownIds.add(job.id);
  const progress = createProgress(io, {
    batch: !flags.verbose,
    // Said if the process exits before the steps end (a second signal): what finishes it.
    again:
      flags.savedPlan === undefined
        ? `Run ${command} again to finish: its plan shows what is left.`
        : `${flags.savedPlan.shown} may be stale now (Studio changed as it was applied): to finish, make a new plan with ${flags.savedPlan.newPlan} and apply that.`,
    // As for one signal: a saved plan is stale only once a step on a job began (an upload changes no job).
    ...(flags.savedPlan === undefined ? {} : { againUntouched: `No job was changed: apply ${flags.savedPlan.shown} again to finish.` }),
  });
  let result: ApplyResult;
  try {
    result = await applyPlan(plan, {
      client,
      parallelism,
      knownIds,
      onEvent: progress.onEvent,
      signal: io.signal,
      command,
      ...(flags.savedPlan === undefined ? {} : { savedPlan: true }),
      ...(io.now === undefined ? {} : { now: io.now }),
      ...waitsOf(io),
    });
  } finally {
    progress.finish();
  }
  io.stdout.write(flags.format === "json" ? renderApplyJson(result) : await renderApplyText(result, command));
  if (io.signal.aborted) {
    // A stop that came once every step had started skipped none of them: said so, not "skipped".
    // A saved plan is stale only once a step on a job started (an upload changes no job): one
    // stopped before that is applied again as it is.
    const touched = result.steps.some((step) => step.step !== "upload" && step.status !== "skipped");
    io.stderr.write(
      result.summary.skipped > 0
        ? flags.savedPlan === undefined
          ? `Interrupted: steps not started were skipped. Run ${command} again to finish.\n`
          : touched
            ? `Interrupted: steps not started were skipped. ${flags.savedPlan.shown} is stale now (Studio changed as it was applied): to finish, make a new plan with ${flags.savedPlan.newPlan} and apply that.\n`
            : `Interrupted before any job was changed: steps not started were skipped. Apply ${flags.savedPlan.shown} again to finish.\n`
        : "Interrupted once every step had started: each one's outcome is above.\n",
    );
  }
  return result.summary.failed > 0 || result.summary.skipped > 0 ? 1 : 0;
}

/**
 * On a terminal one live line; otherwise (TERM=dumb too) a line per finished step. Both on stderr.
 *
 * The text is the same as one write per event, but what a turn of the event loop adds (a
 * round of replies, as many as --parallelism) goes out in one write, at the end of the turn:
 * a write to a pipe is a system call, and each one lengthened every round (see
 * docs/architecture.md, "Performance"). Nothing waits past the turn: the first stop request
 * writes what is pending and every line after it goes out at once (so a second one, which
 * exits, finds nothing pending), `finish` writes the rest, and so does an exit in between.
 * Not `batch` when something else writes to stderr meanwhile (--verbose retry lines): one
 * write per event then, so that the lines stay in order.
 *
 * An exit before `finish` (a second signal exits at once) also says the steps under way,
 * which Studio may or may not have carried out, how many were not started, and `again`:
 * without it the lines above said what was done, and nothing of what was not.
 */
export function createProgress(
  io: Pick<CliIo, "stderr" | "signal" | "env">,
  options: {
    batch: boolean;
    /** What to do to finish, said after the steps left when the process exits before `finish`. */
    again?: string;
    /** Said instead of `again` when no step but uploads began. */
    againUntouched?: string;
    /** Where "write what is pending at exit" is registered: the process, unless a test says. */
    exit?: { on(flush: () => void): void; off(flush: () => void): void };
  },
): { onEvent: (event: ApplyEvent) => void; finish: () => void } {
  const exit = options.exit ?? { on: (f: () => void) => process.on("exit", f), off: (f: () => void) => process.off("exit", f) };
  const live = isFullTerminal(io.stderr, io.env);
  let shown = false;
  let pending = "";
  let scheduled = false;
  let direct = !options.batch || io.signal.aborted;
  const flush = () => {
    scheduled = false;
    if (pending === "") return;
    const text = pending;
    pending = "";
    io.stderr.write(text);
  };
  const onStop = () => {
    direct = true;
    flush();
  };
  io.signal.addEventListener("abort", onStop, { once: true });
  /** Steps begun and not ended, as `create team/key`, with how many of each (a job's uploads go together). */
  const underWay = new Map<string, number>();
  let total = 0;
  let done = 0;
  /** Whether a step on a job (not an upload) began. */
  let touched = false;
  const atExit = () => {
    flush();
    const steps = [...underWay.keys()].map(printable);
    let notStarted = total - done;
    for (const count of underWay.values()) notStarted -= count;
    let text = "Exited before the steps ended: only those said done above are known done.\n";
    if (steps.length > 0) text += `Under way, and maybe carried out by Studio or maybe not: ${steps.join(", ")}.\n`;
    if (notStarted > 0) text += `Not started: ${notStarted} of ${total} steps.\n`;
    const again = touched ? options.again : (options.againUntouched ?? options.again);
    if (again !== undefined) text += `${again}\n`;
    io.stderr.write(text);
  };
  exit.on(atExit);
  const write = (text: string) => {
    if (direct) {
      io.stderr.write(text);
      return;
    }
    pending += text;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case "start":
          total = event.total;
          break;
        case "begin": {
          const step = `${event.step} ${event.team}/${event.key}`;
          underWay.set(step, (underWay.get(step) ?? 0) + 1);
          if (event.step !== "upload") touched = true;
          total = event.total;
          if (live) {
            // A key from Studio (a job to cancel) may hold a bidi override: shown, as every other line shows it.
            write(`\r\x1b[2K[${event.done + 1}/${event.total}] ${event.step} ${printable(event.key)}`);
            shown = true;
          }
          break;
        }
        case "end": {
          const step = `${event.result.step} ${event.result.team}/${event.result.key}`;
          const left = (underWay.get(step) ?? 0) - 1;
          if (left > 0) underWay.set(step, left);
          else underWay.delete(step);
          total = event.total;
          done = event.done;
          if (live) {
            write(`\r\x1b[2K[${event.done}/${event.total}] ${event.result.step} ${printable(event.result.key)}`);
            shown = true;
          } else {
            write(`[${event.done}/${event.total}] ${stepLine(event.result)}\n`);
          }
          break;
        }
        default: {
          const never: never = event;
          return never;
        }
      }
    },
    finish() {
      if (shown) pending += "\r\x1b[2K";
      flush();
      direct = true;
      io.signal.removeEventListener("abort", onStop);
      exit.off(atExit);
    },
  };
}
