// What plan and apply share: read the spec, list Studio, compute the plan; and the teams a
// stack covers, which status and import list as a plan does.

import { formatSpecNote, RemoteError, UsageError } from "../errors.js";
import { registerJobSecrets } from "../redact.js";
import { printable } from "../invisible.js";
import { computePlan, disruptionWarning } from "../plan/compute.js";
import type { Plan, PlanAction } from "../plan/types.js";
import { readVars } from "../desired/index.js";
import type { GivenVars } from "../desired/var-files.js";
import { loadSpecFiles, type LoadedSpecFile } from "../desired/load.js";
import { classify, isProtected, managedAs } from "../identity/classify.js";
import { peekStack, peekTeams, resolveSpec, type ResolveOptions } from "../desired/resolve.js";
import { checkVarsUsed } from "../desired/unused-vars.js";
import { jobsOfUnreadSiblings, type SiblingOptions, type UnreadJob } from "../desired/unread-siblings.js";
import type { StackStatus } from "../plan/status.js";
import type { ResolvedSpec } from "../desired/types.js";
import type { StudioClient } from "../studio/client.js";
import { resolveConnection, type ConnectionSettings } from "../studio/config.js";
import { isLive, isRun } from "../studio/job-status.js";
import { teamFold } from "../studio/team-name.js";
import type { Cluster, JobOutput } from "../studio/types.js";
import { connect, type GlobalOptions } from "./connect.js";
import type { CliIo } from "./io.js";
import { specArguments } from "./shell-words.js";
import { firstFew, joinWords, teamsNamed } from "../word-lists.js";

export interface PlanFlags {
  target: string[];
  var: string[];
  varFile: string[];
  adopt: boolean;
  allowEmpty: boolean;
  allowProtected: boolean;
  maxCancel: number;
}

export interface Listing {
  listings: Map<string, JobOutput[]>;
  clusters: Cluster[];
}

/**
 * Every record of each team (the truncation-safe listing), teams in parallel, and the
 * clusters. Only the records of `stack` have their markers checked: the plan reads no
 * other stack's markers.
 */
export async function listStudio(client: StudioClient, teams: readonly string[], stack: string): Promise<Listing> {
  const [clusters, ...lists] = await Promise.all([
    client.listClusters(teams[0]),
    // Runs of schedules are never planned against, and they are most of a busy team's records.
    ...teams.map((team) => client.listAllJobs(team, { keep: (job) => !isRun(job), stack })),
  ]);
  const listings = new Map<string, JobOutput[]>();
  teams.forEach((team, i) => listings.set(team, lists[i] ?? []));
  return { listings, clusters };
}

export interface Coverage extends Listing {
  /** Every team listed, sorted: the plan covers exactly these. */
  teams: string[];
  /** Teams recorded on the stack's jobs that could not be read, said as warnings. */
  warnings: string[];
  /** Those teams. */
  unreadable: string[];
  /** Recorded teams past RECORDED_TEAMS_FOLLOWED, not listed: left out with a warning too. */
  unfollowed: string[];
}

/** The teams the stack's own jobs in `lists` say it covered when they were applied. */
function recordedTeams(stack: string, lists: Iterable<readonly JobOutput[]>): Set<string> {
  const teams = new Set<string>();
  for (const jobs of lists) {
    for (const record of jobs) for (const team of managedAs(record, stack)?.teams ?? []) teams.add(team);
  }
  return teams;
}

/**
 * The answers to a recorded team's listing that leave that team out, with a warning: the token
 * may not read it (403), it may be gone (404), or Studio may refuse its name (400, 422). Each
 * is said of that team alone; a team only a record names, which anyone who can write to a
 * covered team can forge, must not stop every plan of the stack. Anything else (a 5xx after
 * its retries, a 401) stops the command, as it would for the spec's own teams.
 */
export const UNREADABLE_TEAM: ReadonlySet<number> = new Set([400, 403, 404, 422]);

/** How many teams a warning about recorded teams names before "and N more": a record may name thousands. */
export const RECORDED_TEAMS_NAMED = 10;

/**
 * How many teams a plan lists only because the stack's records name them. A real stack uses
 * a handful; a record anyone who can write to a covered team can forge may name thousands,
 * each a listing. Past this the teams are left out with a warning: one the stack truly uses
 * is named under `teams:`, which has no limit.
 */
export const RECORDED_TEAMS_FOLLOWED = 100;

/**
 * List the teams the spec names, then any team the stack's jobs recorded when they were
 * applied, until no new team turns up: a stack never loses sight of a team it used. Each
 * round lists only teams not seen before, and reads only their records, so it ends however
 * the records chain. A recorded team the token cannot read is a warning, not an error: it
 * may have been deleted, or the token narrowed, and the spec's own teams can still be
 * planned. A recorded team that differs only in case from one listed is not listed: Studio
 * may take them for one team, whose jobs the plan would then cancel as not of that team
 * (the spec refuses two such spellings; a record anyone can write is not trusted more).
 * At most RECORDED_TEAMS_FOLLOWED recorded teams are listed, the first found (round by round,
 * each round's in name order); the rest are left out with a warning, as unreadable ones are.
 */
export async function extendCoverage(
  client: StudioClient,
  stack: string,
  { listings, clusters }: Listing,
  keep: (job: JobOutput) => boolean = (job) => !isRun(job),
): Promise<Coverage> {
  const unreadable = new Map<number, string[]>();
  const seen = new Map<string, string>([...listings.keys()].map((team) => [teamFold(team), team]));
  const otherSpellings = new Set<string>();
  const unfollowed: string[] = [];
  let followed = 0;
  let fresh: Iterable<readonly JobOutput[]> = listings.values();
  for (;;) {
    const found: string[] = [];
    for (const team of [...recordedTeams(stack, fresh)].sort()) {
      const spelled = seen.get(teamFold(team));
      if (spelled === undefined) {
        seen.set(teamFold(team), team);
        if (followed < RECORDED_TEAMS_FOLLOWED) {
          followed++;
          found.push(team);
        } else unfollowed.push(team);
      } else if (spelled !== team) otherSpellings.add(team);
    }
    if (found.length === 0) break;
    const results = await Promise.allSettled(found.map((team) => client.listAllJobs(team, { keep, stack })));
    const listed: JobOutput[][] = [];
    results.forEach((result, i) => {
      const team = found[i] as string;
      if (result.status === "fulfilled") {
        listings.set(team, result.value);
        listed.push(result.value);
      } else {
        const status = result.reason instanceof RemoteError ? result.reason.status : undefined;
        if (status === undefined || !UNREADABLE_TEAM.has(status)) throw result.reason;
        const teams = unreadable.get(status);
        if (teams === undefined) unreadable.set(status, [team]);
        else teams.push(team);
      }
    });
    fresh = listed;
  }
  const warnings = [...unreadable]
    .sort(([a], [b]) => a - b)
    .map(([status, teams]) => {
      const them = teams.length === 1 ? "that team is" : "those teams are";
      return `Jobs of stack ${stack} record that it also covered ${teamsNamed(teams.sort(), RECORDED_TEAMS_NAMED)}, which this token cannot read (${status}); ${them} left out.`;
    });
  if (otherSpellings.size > 0) {
    const spellings = [...otherSpellings].sort();
    const covered = [...new Set(spellings.map((team) => seen.get(teamFold(team)) ?? team))].sort();
    const one = spellings.length === 1;
    warnings.push(
      `Jobs of stack ${stack} record that it also covered ${teamsNamed(spellings, RECORDED_TEAMS_NAMED)}, which ${one ? "differs" : "differ"} only in case from ${teamsNamed(covered, RECORDED_TEAMS_NAMED)}: Studio may take ${one ? "them" : "each such pair"} for one team, whose jobs a plan would cancel as not of the other spelling, so ${one ? "it is" : "they are"} left out.`,
    );
  }
  if (unfollowed.length > 0) {
    const them = unfollowed.length === 1 ? "it is" : "they are";
    warnings.push(
      `Jobs of stack ${stack} record more teams than the ${RECORDED_TEAMS_FOLLOWED} a plan follows from records: ${teamsNamed(unfollowed.sort(), RECORDED_TEAMS_NAMED)} ${unfollowed.length === 1 ? "is" : "are"} not listed, so ${them} left out. If the stack runs jobs there, name ${unfollowed.length === 1 ? "it" : "them"} under \`teams:\`.`,
    );
  }
  const unread = [...unreadable.values()].flat().sort();
  return { listings, clusters, teams: [...listings.keys()].sort(), warnings, unreadable: unread, unfollowed };
}

/**
 * The records `keep` wants of `teams` and of every team the stack's records say it covered,
 * as a plan follows them (extendCoverage): what status and import list. No clusters.
 */
export async function listCoverage(
  client: StudioClient,
  stack: string,
  teams: readonly string[],
  keep: (job: JobOutput) => boolean,
): Promise<Coverage> {
  const lists = await Promise.all(teams.map((team) => client.listAllJobs(team, { keep, stack })));
  return extendCoverage(client, stack, { listings: new Map(teams.map((team, i) => [team, lists[i] ?? []])), clusters: [] }, keep);
}

/** The teams a plan covers: the spec's, plus --team (a team being emptied), or the configured team. */
export function coveredTeams(specTeams: readonly string[], flagTeam: string | undefined, configuredTeam: string | undefined): string[] {
  const teams = new Set(specTeams);
  const twin = flagTeam === undefined ? undefined : specTeams.find((team) => team !== flagTeam && teamFold(team) === teamFold(flagTeam));
  if (twin !== undefined) {
    // Studio may take them for one team: its listing under --team's spelling would hold the
    // spec's jobs of that team, which the plan would cancel as not of it.
    throw new UsageError(
      `--team ${flagTeam} differs only in case from team ${twin} of the spec; Studio may take them for one team, whose jobs the plan would cancel as not of the other spelling.`,
      `Give --team as the spec spells it (--team ${twin}), or leave it out.`,
    );
  }
  if (flagTeam !== undefined) teams.add(flagTeam);
  if (teams.size === 0 && configuredTeam !== undefined) teams.add(configuredTeam);
  if (teams.size === 0) {
    throw new UsageError(
      "The spec has no jobs and no teams:, and no default team is set (--team, DATACHAIN_STUDIO_TEAM or datachain's config), so there is nothing to plan.",
      "List the team under teams: (a team under defaults: is only the default of jobs), or pass --team, to plan removing a team's jobs.",
    );
  }
  return [...teams].sort();
}

export interface PreparedPlan {
  spec: ResolvedSpec;
  plan: Plan;
  client: StudioClient;
  /** What was listed: apply needs to tell new records from old ones. */
  listings: Map<string, JobOutput[]>;
  /** The connection: a saved plan keys its digests of sensitive values with the token. */
  settings: ConnectionSettings;
  /** Teams the stack's jobs recorded that this token cannot read: the plan does not cover them. */
  unreadable: string[];
  /** Teams the stack's jobs recorded past what a plan follows: the plan does not cover them either. */
  unfollowed: string[];
  /** destroy without --allow-protected: how many protected jobs it keeps. */
  keptProtected: number;
}

/**
 * `destroy` plans with an empty desired set: every live job of the stack, in every team
 * plan would cover, is cancelled. It is an explicit request, so the guards against an
 * accidentally empty spec and against many cancels do not apply.
 */
export type PlanPurpose = "converge" | "destroy";

/**
 * The spec's files, read and checked against the schema (a problem throws, with every
 * problem found), and the variables given checked against what the files use.
 */
export async function readSpecFiles(paths: string[], options: ResolveOptions, given: GivenVars, io: CliIo): Promise<LoadedSpecFile[]> {
  const { files, issues } = await loadSpecFiles(paths, io.cwd);
  if (issues.length > 0 || files.length === 0) await resolveSpec(files, options, issues);
  for (const note of checkVarsUsed(files, given)) io.stderr.write(`${printable(formatSpecNote(note))}\n`);
  return files;
}

export async function preparePlan(
  paths: string[],
  flags: PlanFlags,
  globals: GlobalOptions,
  io: CliIo,
  purpose: PlanPurpose = "converge",
): Promise<PreparedPlan> {
  const vars = await readVars(flags.var, flags.varFile, io.cwd);
  const settings = await resolveConnection(globals, io.env, io.cwd);
  const timer = createTimer(globals.verbose, io);
  // destroy sends no job, so it needs none of the spec's secrets: an unset ${env:...} is no
  // reason to keep a stack running.
  const unsetEnv = purpose === "destroy" ? "note" : "error";
  const resolveOptions = { env: io.env, vars: vars.values, defaultTeam: settings.team, unsetEnv } as const;
  // A spec that does not parse or fails its schema never reaches Studio.
  const files = await readSpecFiles(paths, resolveOptions, vars, io);
  let teams: string[];
  try {
    teams = coveredTeams(peekTeams(files, resolveOptions), globals.team, settings.team);
  } catch (error) {
    // No team to list may be a team the spec gives wrongly (a ${var:...} that gives no team
    // name): that, at its place, is the error to report.
    await resolveSpec(files, resolveOptions);
    throw error;
  }
  const { client } = await connect(globals, io, settings);
  try {
    // Listing Studio and resolving the spec (reading and hashing files) overlap.
    const listing = listStudio(client, teams, peekStack(files));
    listing.catch(() => undefined); // awaited below; a spec error is reported first
    const spec = await resolveSpec(files, resolveOptions);
    if (io.secrets !== undefined) registerJobSecrets(io.secrets, spec.jobs, io.env);
    timer.lap(`read ${spec.jobs.length} jobs from ${spec.files.length} file(s)`);
    fingerprintWhileWaiting(spec.jobs, listing);
    const { listings, clusters } = await listing;
    const missing = coveredTeams(spec.teams, globals.team, settings.team).filter((team) => !listings.has(team));
    if (missing.length > 0) {
      for (const [team, jobs] of (await listStudio(client, missing, spec.stack)).listings) listings.set(team, jobs);
    }
    const coverage = await extendCoverage(client, spec.stack, { listings, clusters });
    let records = 0;
    for (const list of listings.values()) records += list.length;
    timer.lap(`listed ${records} records in team(s) ${coverage.teams.join(", ")}`);
    const destroy = purpose === "destroy";
    const plan = computePlan(destroy ? [] : spec.jobs, listings, clusters, {
      stack: spec.stack,
      teams: coverage.teams,
      declaredTeams: spec.declaredTeams,
      targets: flags.target,
      adopt: flags.adopt && !destroy,
      allowEmpty: flags.allowEmpty || destroy,
      allowProtected: flags.allowProtected || destroy,
      maxCancel: destroy ? Number.POSITIVE_INFINITY : flags.maxCancel,
      now: new Date(),
      specArguments: specArguments(paths, io),
      destroying: destroy,
      ...(io.secrets === undefined ? {} : { holdsSecret: io.secrets.holds }),
    });
    plan.warnings.push(...coverage.warnings);
    if (!destroy && coverage.unreadable.length > 0) plan.warnings.push(...createdBesideUnread(plan, listings, coverage.unreadable));
    const kept = destroy && !flags.allowProtected ? keepProtected(plan) : { plan, kept: 0 };
    // Only what is cancelled is checked: a protected job destroy keeps is not. Keys given with
    // --target are cancelled as asked, wherever they are defined.
    if (!destroy || flags.target.length === 0) {
      const unread = await cancelsOfUnreadFiles(kept.plan, files, io.cwd, resolveOptions);
      kept.plan.errors.push(...unread.errors);
      kept.plan.warnings.push(...unread.warnings);
    }
    timer.lap("computed the plan");
    return {
      spec,
      plan: kept.plan,
      client,
      listings,
      settings,
      unreadable: coverage.unreadable,
      unfollowed: coverage.unfollowed,
      keptProtected: kept.kept,
    };
  } catch (error) {
    // A listing still arriving (the spec was found wrong meanwhile) is not waited for.
    await client.close({ abort: true });
    throw error;
  }
}

/**
 * With a recorded team left out as unreadable, the jobs the plan creates whose keys no live record
 * of the stack in the covered teams holds: one may be a job moved from that team (or the
 * spec's default team changed), whose old job keeps running there unseen, beside the new one.
 * A token that reads the team shows the move and cancels it; this one can only say so. Said
 * only when a team was left out, so it costs nothing on the usual path.
 */
function createdBesideUnread(plan: Plan, listings: ReadonlyMap<string, readonly JobOutput[]>, unreadable: readonly string[]): string[] {
  // Live records only: a key's ended record in a team read (left there when the job moved to
  // the unread team, say) does not say where its job runs now.
  const known = new Set<string>();
  for (const jobs of listings.values()) {
    for (const record of jobs) {
      if (!isLive(record.status)) continue;
      const key = managedAs(record, plan.stack)?.key;
      if (key !== undefined) known.add(key);
    }
  }
  const created = plan.actions.filter((action) => action.kind === "create" && !known.has(action.key));
  if (created.length === 0) return [];
  const keys = created.map((action) => action.key).sort();
  const one = keys.length === 1;
  const jobs = `Job${one ? "" : "s"} ${keys.length > RECORDED_TEAMS_NAMED ? firstFew(keys, RECORDED_TEAMS_NAMED) : joinWords(keys)}`;
  const teams = teamsNamed([...new Set(created.map((action) => action.team))].sort(), RECORDED_TEAMS_NAMED);
  const unread = teamsNamed(unreadable, RECORDED_TEAMS_NAMED);
  const where = `in ${unread}, which this token cannot read, ${one ? "it keeps" : "keeps"} running there beside the new one`;
  return [
    `${jobs} ${one ? "is" : "are"} created in ${teams}, where stack ${plan.stack} has no live job of ${one ? "its key: if it runs" : "their keys: any of them that runs"} ${where}. Plan with a token that can read ${unread} to see.`,
  ];
}

/**
 * Of `jobs` (each a key in a team), those a YAML file next to the spec's own files defines for
 * the same stack and team, with the file; and the files beside them that could not be read
 * as YAML, which may define some. See docs/architecture.md, "Spec files left out".
 */
async function definedInUnreadFiles<T extends { key: string; team: string }>(
  jobs: readonly T[],
  files: readonly LoadedSpecFile[],
  stack: string,
  cwd: string,
  options: SiblingOptions,
): Promise<{ found: [job: T, where: UnreadJob][]; unreadable: Omit<UnreadJob, "team">[] }> {
  if (jobs.length === 0) return { found: [], unreadable: [] };
  const unread = await jobsOfUnreadSiblings(files, stack, cwd, options);
  const found: [T, UnreadJob][] = [];
  for (const job of jobs) {
    const where = unread.jobs.get(job.key)?.find((defined) => defined.team === undefined || defined.team === job.team);
    if (where !== undefined) found.push([job, where]);
  }
  return { found, unreadable: unread.unreadable };
}

/**
 * A job the plan cancels as removed from the spec that a YAML file next to the spec's own
 * defines, for the same stack and team, is a spec file left out (`plan jobs/training.yaml`
 * when jobs/monitoring.yaml holds the rest of the stack), not a job removed: each is an
 * error, which stops the plan before anything is cancelled. So is one `destroy` cancels,
 * given one file of a stack split over several: it retires the whole stack, which the one
 * file given may not have meant.
 */
async function cancelsOfUnreadFiles(
  plan: Plan,
  files: readonly LoadedSpecFile[],
  cwd: string,
  options: SiblingOptions,
): Promise<{ errors: string[]; warnings: string[] }> {
  const removed = plan.actions.filter(
    (action): action is Extract<PlanAction, { kind: "cancel" }> =>
      action.kind === "cancel" && (action.reason === "removed" || action.reason === "destroyed"),
  );
  const unread = await definedInUnreadFiles(removed, files, plan.stack, cwd, options);
  // A file beside them that does not parse (half edited, say) may hold some of the jobs cancelled.
  const cancelled = removed.some((action) => action.reason === "destroyed")
    ? "destroy cancels them with the stack"
    : "this plan cancels them as removed from the spec";
  const warnings = unread.unreadable.map(
    ({ file, nextTo }) =>
      `${file}, next to ${nextTo}, could not be read as YAML: if it defines jobs of stack ${plan.stack}, ${cancelled}. Fix it, or give the directory to see its problems.`,
  );
  const errors = unread.found.map(([action, where]) =>
    action.reason === "destroyed"
      ? `Job "${action.key}" in team ${action.team} would be cancelled with stack ${plan.stack}, but ${where.file}, next to ${where.nextTo}, defines it and was not given: destroy retires the whole stack, not one file's jobs. To retire it all, give the directory (or add ${where.file}); to cancel some jobs only, delete them from the spec and apply, or name them with --target.`
      : `Job "${action.key}" in team ${action.team} would be cancelled as removed from the spec, but ${where.file}, next to ${where.nextTo}, defines it for stack ${plan.stack} and was not given. Plan the whole stack (give the directory, or add ${where.file}), or delete the job from ${where.file} if it should go.`,
  );
  return { errors, warnings };
}

/**
 * What `status` says of the jobs it shows as not-in-spec that a file left out defines, as
 * plan refuses to cancel them (cancelsOfUnreadFiles): given one file of a stack split over
 * several, they are in the spec, only not in the file given.
 */
export async function notInSpecOfUnreadFiles(
  status: Pick<StackStatus, "stack" | "jobs">,
  desired: readonly { key: string; team: string }[],
  files: readonly LoadedSpecFile[],
  cwd: string,
  options: SiblingOptions,
): Promise<string[]> {
  const wanted = new Set(desired.map((job) => `${job.team}\u0000${job.key}`));
  // A duplicate of a desired job is not-in-spec too; only a key the files given do not define is looked up.
  const shown = status.jobs.filter((row) => row.spec === "not-in-spec" && !wanted.has(`${row.team}\u0000${row.key}`));
  const unread = await definedInUnreadFiles(shown, files, status.stack, cwd, options);
  return [
    ...unread.unreadable.map(
      ({ file, nextTo }) =>
        `${file}, next to ${nextTo}, could not be read as YAML: if it defines jobs of stack ${status.stack}, they are shown as not-in-spec. Fix it, or give the directory to see its problems.`,
    ),
    ...unread.found.map(
      ([row, where]) =>
        `Job "${row.key}" in team ${row.team} is shown as not-in-spec, but ${where.file}, next to ${where.nextTo}, defines it for stack ${status.stack} and was not given: give the directory (or add ${where.file}) to see the whole stack.`,
    ),
  ];
}

/** Fingerprints made per turn of the event loop while a listing arrives: about a millisecond's worth. */
const FINGERPRINTS_PER_TURN = 200;

/**
 * The plan compares every desired job's fingerprint (a sha256 of its canonical JSON) with
 * the listed records. While a large listing is still arriving there is time to spare:
 * make them then, a few at a time between the listing's chunks, and stop as soon as it is
 * in. Only a head start; what is not made here is made when the plan asks.
 */
function fingerprintWhileWaiting(jobs: readonly ResolvedSpec["jobs"][number][], listing: Promise<unknown>): void {
  let arrived = false;
  void listing.then(
    () => (arrived = true),
    () => (arrived = true),
  );
  let next = 0;
  const turn = () => {
    if (arrived) return;
    const end = Math.min(next + FINGERPRINTS_PER_TURN, jobs.length);
    try {
      for (; next < end; next++) void jobs[next]?.fingerprint;
    } catch {
      return; // made again, and reported, when the plan asks for it
    }
    if (next < jobs.length) setImmediate(turn);
  };
  setImmediate(turn);
}

/** destroy without --allow-protected: protected jobs stay, and the plan says so. */
function keepProtected(plan: Plan): { plan: Plan; kept: number } {
  const kept = plan.actions.filter((a) => a.kind === "cancel" && isProtected(classify(a.live, plan.stack)));
  if (kept.length === 0) return { plan, kept: 0 };
  const actions = plan.actions.filter((a) => !kept.includes(a));
  const warnings = kept.map((a) => `Job "${a.key}" in team ${a.team} is protected and is kept; pass --allow-protected to cancel it too.`);
  // A kept job is not cancelled: the plan's warning that cancelling it interrupts its run goes.
  const notSo = new Set(kept.map(disruptionWarning));
  return {
    plan: {
      ...plan,
      actions,
      summary: { ...plan.summary, cancel: plan.summary.cancel - kept.length },
      warnings: [...plan.warnings.filter((warning) => !notSo.has(warning)), ...warnings],
    },
    kept: kept.length,
  };
}

/** --verbose: how long each stage took, on stderr. */
function createTimer(verbose: boolean, io: CliIo): { lap(what: string): void } {
  let last = performance.now();
  return {
    lap(what) {
      const now = performance.now();
      if (verbose) io.stderr.write(`${what} in ${Math.round(now - last)} ms\n`);
      last = now;
    },
  };
}
