// computePlan: desired jobs + listed records + clusters -> actions. Pure: no I/O, no
// clock (now is passed in), no randomness. Each situation of a key in a team has one
// action; docs/architecture.md, "Planning", has the table.

import { appendAll } from "../append-all.js";
import { closest, levenshtein } from "../desired/schema.js";
import type { DesiredJob } from "../desired/types.js";
import { UsageError } from "../errors.js";
import { unicodeEscaped } from "../invisible.js";
import { classify, isProtected, managedAs, type ManagedJob, type NameHolder, type OtherStackJob } from "../identity/classify.js";
import { isLive, isSchedule, isUnderway } from "../studio/job-status.js";
import { newestFirst } from "../studio/time.js";
import type { Cluster, JobOutput } from "../studio/types.js";
import { clusterProblem } from "./cluster-problem.js";
import { computeChanges } from "./diff.js";
import { firstFew, teamsNamed } from "../word-lists.js";
import { fieldsHoldingSecrets } from "./settings.js";
import { actedSlots, digestRecords } from "./digest.js";
import { keepOrder, satisfyingInKeepOrder } from "./keep.js";
import { groupTeamRecords, withinTargets, type TeamRecords } from "./team-records.js";
import { summarizeActions, type CancelReason, type PlanAction, type Plan, type PlanOptions } from "./types.js";
import { byCodeUnits } from "../code-unit-order.js";
import { shellQuoted } from "../shell-word.js";

/** Newest first: Studio lists newest first, but do not depend on it. */
const newestRecordFirst = (a: { record: JobOutput }, b: { record: JobOutput }): number => newestFirst(a.record, b.record);

const byKey = <T>([a]: [string, T], [b]: [string, T]) => byCodeUnits(a, b);

/** A live job of the stack that --target leaves out: it stays in its team, recording what it records. */
interface LeftOut {
  team: string;
  key: string;
  records: readonly string[];
}

/** What planning one team adds to the plan. */
interface TeamPlan {
  actions: PlanAction[];
  errors: string[];
  warnings: string[];
}

/** Every character outside printable ASCII as \\uXXXX: two spellings that look alike can be told apart. */
function escapedKey(key: string): string {
  return `"${unicodeEscaped(key)}"`;
}

/**
 * A --target that names no job. One that differs from a job's key only in its Unicode form
 * (`café` precomposed, or e and a combining accent) or its edge spaces looks the same when
 * printed, so the key it nearly names (the spec's, or a live job's of the stack in Studio)
 * is given, both spelled out; so is one that differs from it only in case, which a user
 * typing the name from memory may miss; failing those, a key a typo away, as commander
 * suggests a command.
 */
function unmatchedTarget(target: string, keys: readonly string[], options: Pick<PlanOptions, "stack" | "destroying">): string {
  // destroy plans no job of the spec: only the stack's jobs in Studio are there to match.
  const none =
    options.destroying === true
      ? `no job of stack ${options.stack} in Studio`
      : `no job of the spec and no live job of stack ${options.stack}`;
  const alike = (key: string) => key.normalize("NFC").trim();
  const near = keys.find((key) => alike(key) === alike(target));
  if (near !== undefined)
    return `--target ${escapedKey(target)} matches ${none}; the job ${escapedKey(near)} differs from it only in its Unicode form or its edge spaces: give --target exactly that name.`;
  // Job names are case-sensitive in Studio: `Nightly` is not `nightly`.
  const folded = (key: string) => alike(key).toLowerCase();
  const cased = keys.find((key) => folded(key) === folded(target));
  if (cased === undefined) {
    // As commander's suggestions: only a key more alike than not (`b` is no typo of `a`).
    const typo = [closest(target, keys)].find(
      (key) => key !== undefined && levenshtein(target.toLowerCase(), key.toLowerCase()) * 5 < key.length * 3,
    );
    return `--target ${target} matches ${none}${typo === undefined ? "." : `; did you mean --target ${shellQuoted(typo)}?`}`;
  }
  return `--target ${escapedKey(target)} matches ${none}; the job ${escapedKey(cased)} differs from it only in case (job names are case-sensitive): give --target exactly that name.`;
}

export function computePlan(
  desired: readonly DesiredJob[],
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  clusters: readonly Cluster[],
  options: PlanOptions,
): Plan {
  checkArguments(desired, listings, clusters, options);
  const actions: PlanAction[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const targets = new Set(options.targets);
  const wanted = withinTargets(targets);
  const matchedTargets = new Set<string>();
  const groups: [team: string, records: TeamRecords][] = [];
  /** The live jobs --target leaves out, by team, and the teams they record. */
  const leftOut: LeftOut[] = [];
  /** The newest record of each one-off job's key in each team, for a one-off job moved between teams. */
  const newestByKey = new Map<string, { team: string; record: JobOutput }[]>();
  const oneOffKeys = new Set(desired.filter((job) => job.cron === undefined).map((job) => job.key));
  /** Live jobs of other stacks named like a desired job of their team. */
  const sameNameElsewhere: OtherStackJob[] = [];
  let liveManaged = 0;
  let anyManaged = false;
  /** Each team's records as grouped: which keys have a record of the stack, in any status. */
  const recordsOf = new Map<string, TeamRecords>();
  checkCoverage(desired, listings, options.teams);

  for (const team of [...options.teams].sort()) {
    const desiredHere = new Map<string, DesiredJob>();
    for (const job of desired) if (job.team === team && wanted(job.key)) desiredHere.set(job.key, job);
    const records = groupTeamRecords(listings.get(team) ?? [], {
      team,
      stack: options.stack,
      desiredKeys: new Set(desiredHere.keys()),
      wanted,
    });
    groups.push([team, records]);
    for (const job of records.leftOut) leftOut.push({ team, key: job.key, records: job.teams });
    for (const [key, managed] of records.managed) {
      if (!oneOffKeys.has(key)) continue;
      const newest = managed.reduce<ManagedJob | undefined>((a, b) => (a === undefined || newestRecordFirst(b, a) < 0 ? b : a), undefined);
      if (newest !== undefined) newestByKey.set(key, [...(newestByKey.get(key) ?? []), { team, record: newest.record }]);
    }
    recordsOf.set(team, records);
    liveManaged += records.liveManaged;
    anyManaged ||= records.anyManaged;
    appendAll(sameNameElsewhere, records.sameNameElsewhere);
    for (const key of [...desiredHere.keys(), ...records.managed.keys()]) matchedTargets.add(key);
    const planned = planTeam(team, desiredHere, records, options);
    appendAll(warnings, records.warnings);
    appendAll(warnings, planned.warnings);
    appendAll(actions, planned.actions);
    appendAll(errors, planned.errors);
  }

  for (const target of targets) {
    // The key it nearly names may be a live job's of the stack in Studio that no --target names (all destroy has).
    if (!matchedTargets.has(target))
      errors.push(unmatchedTarget(target, [...desired.map((job) => job.key), ...leftOut.map((job) => job.key)], options));
  }

  // A stack renamed in its spec is the likelier story where another stack runs its names: warnOtherStacks says that.
  if (liveManaged === 0 && (anyManaged || sameNameElsewhere.length === 0)) warnNoLiveJobs(actions, recordsOf, options, warnings);
  warnOtherStacks(sameNameElsewhere, anyManaged, options, warnings);
  warnRunsAgainElsewhere(actions, newestByKey, warnings);
  recordCoverage(actions, leftOut, clusters, options, warnings);
  warnDisruptions(actions, warnings);
  checkProtected(actions, options, errors);
  checkGuards(actions, liveManaged, options, errors);
  checkClusters(actions, clusters, errors);

  const summary = summarizeActions(actions);
  return {
    stack: options.stack,
    teams: [...options.teams].sort(),
    targets: [...targets].sort(),
    actions,
    summary,
    errors,
    warnings,
    remoteDigest: digestRecords(groups, actedSlots(actions)),
    createdAt: options.now.toISOString(),
  };
}

function planTeam(team: string, desiredHere: ReadonlyMap<string, DesiredJob>, records: TeamRecords, options: PlanOptions): TeamPlan {
  const out: TeamPlan = { actions: [], errors: [], warnings: [] };
  const cancel = (job: ManagedJob | NameHolder, key: string, reason: CancelReason) => {
    out.actions.push({
      kind: "cancel",
      key,
      team,
      live: job.record,
      reason,
      secretFields: fieldsHoldingSecrets(job.record, options.holdsSecret),
    });
  };

  for (const [key, job] of [...desiredHere].sort(byKey)) {
    const managed = (records.managed.get(key) ?? []).sort(newestRecordFirst);
    const live = managed.filter((r) => isLive(r.record.status));
    // The same survivor apply's sweep keeps, so a plan after two concurrent applies agrees with them.
    const satisfying = satisfyingInKeepOrder(managed, job);
    const conflicts = (records.conflicting.get(key) ?? []).sort(newestRecordFirst);

    let replaced: ManagedJob | NameHolder | undefined;
    const replace = (old: ManagedJob | NameHolder, adopted: boolean) => {
      replaced = old;
      const secretFields = fieldsHoldingSecrets(old.record, options.holdsSecret);
      const changes = computeChanges(job, old.record, options.now, options.teams, secretFields);
      out.actions.push({
        kind: "replace",
        key,
        team,
        desired: job,
        live: old.record,
        strategy: job.replace,
        changes,
        adopted,
        secretFields,
      });
    };
    const kept = satisfying[0];
    if (kept !== undefined) {
      out.actions.push({ kind: "noop", key, team, desired: job, live: kept.record });
    } else if (live[0] !== undefined) {
      replace(live[0], false);
    } else if (conflicts[0] !== undefined && options.adopt) {
      replace(conflicts[0], true);
    } else if (conflicts.length === 0) {
      out.actions.push({ kind: "create", key, team, desired: job });
      const earlier = managed[0]?.record;
      const namesake = records.endedNamesakes.get(key);
      if (job.cron === undefined && earlier !== undefined) {
        out.warnings.push(
          `Job "${key}" in team ${team} runs once, and an earlier version exists (${earlier.id}, ${earlier.status}): this plan runs it again.`,
        );
      } else if (job.cron === undefined && namesake !== undefined) {
        // A one-off job made by hand and imported, which ran before the plan could adopt it.
        out.warnings.push(
          `Job "${key}" in team ${team} runs once, and a job of that name that studio-jobs did not make exists (${namesake.id}, ${namesake.status}): this plan runs it again.`,
        );
      }
    }
    // else: a job not the stack's holds the name and --adopt was not given: only the conflict is shown.
    // A one-off job whose spec's version already ran, while a later version runs: that one
    // is not a duplicate of anything live, and cancelling it takes a running job away (a
    // live copy of the very version that ran is a duplicate, as ever). An earlier version
    // still live is what a replace that made the spec's version did not get to cancel (an
    // apply stopped or failed between the two): cancelled as a schedule's is, not counted.
    const keptFinished = kept !== undefined && !isLive(kept.record.status);
    for (const other of live) {
      if (other === kept || other === replaced) continue;
      const later = kept !== undefined && keepOrder(kept.record, other.record) < 0;
      cancel(other, key, keptFinished && later && !satisfying.includes(other) ? "outdated" : "duplicate");
    }

    if (conflicts[0] === undefined) continue;
    if (options.adopt) {
      for (const c of conflicts) if (c !== replaced) cancel(c, key, "adopted");
    } else {
      const holder = conflicts[0];
      const first = holder.record;
      out.actions.push({
        kind: "conflict",
        key,
        team,
        desired: job,
        live: first,
        secretFields: fieldsHoldingSecrets(first, options.holdsSecret),
      });
      const which = `${first.id}${conflicts.length > 1 ? ` and ${conflicts.length - 1} more` : ""}`;
      // With the stack's own job live (an adopt stopped half-way), --adopt cancels the others: it replaces none.
      const them = conflicts.length > 1 ? "them" : "it";
      const adopt =
        kept !== undefined || live[0] !== undefined
          ? `Pass --adopt to cancel ${them} (the stack's own job "${key}" is live)`
          : "Pass --adopt to replace it with the spec's job";
      out.errors.push(
        holder.kind === "misnamed"
          ? `Job "${key}" in team ${team} conflicts with an existing job of the same name (${which}) that carries the markers of stack ${options.stack}'s job "${holder.key}": it was copied in Studio or made by hand, not made by studio-jobs as "${key}". ${adopt}, cancel it in Studio, or rename the job.`
          : `Job "${key}" in team ${team} conflicts with an existing job of the same name that studio-jobs does not manage (${which}). ${adopt}, or rename the job.`,
      );
    }
  }

  for (const [key, managed] of [...records.managed].sort(byKey)) {
    if (desiredHere.has(key)) continue;
    for (const r of managed.sort(newestRecordFirst))
      if (isLive(r.record.status)) cancel(r, key, options.destroying === true ? "destroyed" : "removed");
  }
  return out;
}

/**
 * Every team the stack keeps jobs in must be recorded by a job in another team: a team's
 * own jobs are found only while something lists it, and once they all leave the spec
 * nothing would. Jobs apply makes record every team the plan covers; a job kept as it is
 * keeps what it recorded, and so does one --target leaves out (`leftOut`). A team no other
 * job will record gets one kept schedule of another team replaced to record it (Studio has
 * no update), shown as a change of its recorded teams: one that is create-first (never a
 * gap without the job), not protected, not a one-off job (it would run again), and whose
 * cluster the plan accepts. A team under `teams:` gets one too when there is one: dropped
 * from `teams:` together with its last job, it would otherwise be listed by nothing. Without
 * one, the plan says how to keep the team (not for a team under `teams:`, which is kept).
 * docs/architecture.md, "Identity".
 */
function recordCoverage(
  actions: PlanAction[],
  leftOut: readonly LeftOut[],
  clusters: readonly Cluster[],
  options: PlanOptions,
  warnings: string[],
): void {
  const teams = [...options.teams].sort();
  const declared = new Set(options.declaredTeams ?? []);
  const recordsAfter = (action: PlanAction): readonly string[] => {
    if (action.kind === "create" || action.kind === "replace") return teams;
    if (action.kind === "noop") return managedAs(action.live, options.stack)?.teams ?? [];
    return [];
  };
  const kept = new Set(actions.filter((a) => a.kind === "create" || a.kind === "replace" || a.kind === "noop").map((a) => a.team));
  for (const job of leftOut) kept.add(job.team);
  // A stack with jobs in one team has nowhere else to record it, and needs nowhere: that
  // team is the spec's as long as the stack has jobs.
  if (kept.size < 2) return;
  // Each team some job of another team will record; read once (a noop's teams come from its marker).
  const recordedElsewhere = new Set<string>();
  const recordFrom = (action: PlanAction, recorded: readonly string[]) => {
    for (const team of recorded) if (team !== action.team) recordedElsewhere.add(team);
  };
  for (const action of actions) recordFrom(action, recordsAfter(action));
  for (const job of leftOut) for (const team of job.records) if (team !== job.team) recordedElsewhere.add(team);
  for (const team of teams) {
    if (!kept.has(team) || recordedElsewhere.has(team)) continue;
    const index = actions.findIndex(
      (a) =>
        a.kind === "noop" &&
        a.team !== team &&
        a.desired.cron !== undefined &&
        a.desired.replace === "create-first" &&
        isSchedule(a.live.status) &&
        !isProtected(classify(a.live, options.stack)) &&
        clusterProblem(a.desired, clusters) === undefined,
    );
    const carrier = actions[index];
    if (carrier?.kind !== "noop") {
      if (declared.has(team)) continue;
      const remedy =
        options.targets.length > 0
          ? `Apply without --target to record it on a job of another team, or list ${team} under \`teams:\` in the spec.`
          : `List ${team} under \`teams:\` in the spec to keep it covered.`;
      warnings.push(
        `Only the jobs of team ${team} record that stack ${options.stack} covers it: once they all leave the spec, plans will not look there again. ${remedy}`,
      );
      continue;
    }
    const { key, desired, live } = carrier;
    recordFrom(carrier, teams);
    const secretFields = fieldsHoldingSecrets(live, options.holdsSecret);
    actions[index] = {
      kind: "replace",
      key,
      team: carrier.team,
      desired,
      live,
      strategy: desired.replace,
      changes: computeChanges(desired, live, options.now, teams, secretFields),
      secretFields,
      adopted: false,
    };
  }
}

/** How many jobs a warning names before "and N more". */
const NAMED = 2;

/**
 * A stack with no live job in the teams the plan covers is new there, or its jobs run in a
 * team the plan does not cover: their `team:` changed, or the default team did, with no
 * `teams:` naming the old one (a move, or the revert of one: the old team's records were
 * made before the new team was used, and cannot say it). Nothing in Studio tells these
 * apart, so a plan that creates schedules there says what it cannot see.
 */
function warnNoLiveJobs(
  actions: readonly PlanAction[],
  recordsOf: ReadonlyMap<string, TeamRecords>,
  options: PlanOptions,
  warnings: string[],
): void {
  // A schedule is what would run twice.
  const schedules = actions.filter((action) => action.kind === "create" && action.desired.cron !== undefined);
  if (schedules.length === 0) return;
  // A one-off job that ran is kept by its finished record (a noop), so the stack is there; but
  // a schedule that was there and ended, its key's records all ended, is what a move leaves
  // behind (the one-off job may have stayed, or have run in the other team too).
  const ended = schedules.some((action) => recordsOf.get(action.team)?.managed.has(action.key) === true);
  if (!ended && actions.some((action) => action.kind === "noop")) return;
  warnings.push(
    `Stack ${options.stack} has no live jobs in ${teamsNamed([...options.teams].sort())}. If its jobs run in another team (a changed \`team:\` or default team), they keep running beside these: list that team under \`teams:\` to cancel them.`,
  );
}

/**
 * Other stacks' live jobs named like desired jobs: never touched, so both run. A stack with
 * no record of its own (in any status) whose job names another stack runs is new, or most
 * likely that stack renamed in the spec: said once per other stack, with what to do, rather
 * than job by job.
 */
function warnOtherStacks(sameName: readonly OtherStackJob[], anyManaged: boolean, options: PlanOptions, warnings: string[]): void {
  const byStack = new Map<string, OtherStackJob[]>();
  for (const job of sameName) {
    const jobs = byStack.get(job.stack);
    if (jobs === undefined) byStack.set(job.stack, [job]);
    else jobs.push(job);
  }
  if (anyManaged) {
    // One warning per other stack: a copied stack shares every name, and a line a job would
    // bury the plan under hundreds of them at every run.
    for (const [stack, jobs] of [...byStack].sort(byKey)) {
      const [only] = jobs;
      if (jobs.length === 1 && only !== undefined) {
        const { record } = only;
        warnings.push(
          `Stack ${stack} also has a live job named "${record.name}" in team ${record.team} (${record.id}); it is left alone, and both run until stack ${stack}'s spec drops it and is applied, or it is cancelled in Studio.`,
        );
        continue;
      }
      const named = firstFew(jobs.map(({ record }) => `${record.team}/${record.name} (${record.id})`).sort(), NAMED);
      // Counted by name: two live copies of one name are one of this spec's jobs.
      const names = new Set(jobs.map(({ record }) => `${record.team}\u0000${record.name}`)).size;
      warnings.push(
        `Stack ${stack} also has live jobs named like ${names} of this spec's: ${named}; they are left alone, and both versions of each run until stack ${stack}'s spec drops them and is applied, or they are cancelled in Studio.`,
      );
    }
    return;
  }
  const teams = teamsNamed([...options.teams].sort());
  for (const [other, jobs] of [...byStack].sort(byKey)) {
    const named = firstFew(jobs.map(({ record }) => `${record.team}/${record.name} (${record.id})`).sort(), NAMED);
    const which = jobs.length === 1 ? "a job of a name" : `${jobs.length} jobs of the names`;
    warnings.push(
      `Stack ${options.stack} has no jobs in ${teams}, and stack ${other} runs ${which} this plan creates there: ${named}. If ${other} was this spec's stack before, applying runs each of them twice: a stack never touches another stack's jobs. Keep \`stack: ${other}\`, or retire them with \`studio-jobs destroy\` run on the spec with \`stack: ${other}\`.`,
    );
  }
}

/**
 * A one-off job created in a team where it has no earlier version, while another team has
 * one: it moved, and runs again there. planTeam warns of an earlier version in the job's own
 * team; moved to another team the job runs again just the same.
 */
function warnRunsAgainElsewhere(
  actions: readonly PlanAction[],
  newestByKey: ReadonlyMap<string, readonly { team: string; record: JobOutput }[]>,
  warnings: string[],
): void {
  for (const action of actions) {
    if (action.kind !== "create" || action.desired.cron !== undefined) continue;
    const earlier = newestByKey.get(action.key) ?? [];
    if (earlier.some((e) => e.team === action.team)) continue; // said by planTeam
    const other = earlier[0];
    if (other === undefined) continue;
    warnings.push(
      `Job "${action.key}" in team ${action.team} runs once, and an earlier version exists in team ${other.team} (${other.record.id}, ${other.record.status}): this plan runs it again.`,
    );
  }
}

/**
 * Work a plan interrupts: a cancel (or a replace's cancel) of a record that is running or
 * about to. A one-off job replaced while underway runs again from the start.
 */
function warnDisruptions(actions: readonly PlanAction[], warnings: string[]): void {
  for (const action of actions) {
    const warning = disruptionWarning(action);
    if (warning !== undefined) warnings.push(warning);
  }
}

/** The warning of warnDisruptions for one action, if it interrupts work. */
export function disruptionWarning(action: PlanAction): string | undefined {
  if ((action.kind !== "replace" && action.kind !== "cancel") || !isUnderway(action.live.status)) return undefined;
  const where = `Job "${action.key}" in team ${action.team}`;
  const live = `${action.live.id}, which is ${action.live.status}`;
  if (action.kind === "replace" && action.desired.cron === undefined) {
    return `${where} runs once: replacing it cancels ${live}, and runs the job again from the start.`;
  }
  return `${where}: the plan cancels ${live}, before it finishes.`;
}

function checkProtected(actions: readonly PlanAction[], options: PlanOptions, errors: string[]): void {
  if (options.allowProtected) return;
  // A live copy of the job kept (the same fingerprint, protect included) takes nothing away
  // when cancelled: apply's sweep cancels such copies without asking, and so may the plan,
  // or the apply after two that were stopped before their sweeps could not converge.
  const kept = new Map<string, string>();
  for (const action of actions) if (action.kind === "noop") kept.set(`${action.team}\u0000${action.key}`, action.desired.fingerprint);
  for (const action of actions) {
    if (action.kind !== "replace" && action.kind !== "cancel") continue;
    if (!isProtected(classify(action.live, options.stack))) continue;
    const copyOf = action.kind === "cancel" && action.reason === "duplicate" ? kept.get(`${action.team}\u0000${action.key}`) : undefined;
    if (copyOf !== undefined && managedAs(action.live, options.stack)?.fingerprint === copyOf) continue;
    const verb = action.kind === "replace" ? "replace" : "cancel";
    errors.push(
      `Job "${action.key}" in team ${action.team} (${action.live.id}) is protected; the plan would ${verb} it. Pass --allow-protected if that is intended.`,
    );
  }
}

function checkGuards(actions: readonly PlanAction[], liveManaged: number, options: PlanOptions, errors: string[]): void {
  // A duplicate's cancel keeps a matching job live, and an adopted job is replaced: only
  // removals (and a one-off job's outdated version) take jobs away, so only they count
  // against --max-cancel.
  const removed = actions.filter(
    (a) => a.kind === "cancel" && (a.reason === "removed" || a.reason === "destroyed" || a.reason === "outdated"),
  ).length;
  const keeps = actions.filter((a) => a.kind === "create" || a.kind === "noop" || a.kind === "replace").length;
  if (!options.allowEmpty && liveManaged > 0 && removed === liveManaged && keeps === 0) {
    errors.push(
      `The plan would cancel every job of stack ${options.stack} (${liveManaged}) and keep none: is the spec empty or the path wrong? To retire the stack, run \`studio-jobs destroy${options.specArguments ?? ""}\`; to plan it anyway, pass --allow-empty.`,
    );
  }
  if (removed > options.maxCancel) {
    const outdated = actions.filter((a) => a.kind === "cancel" && a.reason === "outdated").length;
    // A key the spec still has, cancelled as removed, is in another team now: moved, not removed.
    const kept = new Set(actions.filter((a) => a.kind !== "cancel" && a.kind !== "conflict").map((a) => a.key));
    const moved = actions.filter((a) => a.kind === "cancel" && a.reason === "removed" && kept.has(a.key)).length;
    const which = [
      ...(moved === 0 ? [] : [`${moved} of them moved to another team`]),
      ...(outdated === 0
        ? []
        : [
            `${outdated} of them ${outdated === 1 ? "a later version of a one-off job" : "later versions of one-off jobs"} whose spec's version already ran`,
          ]),
    ];
    const why = moved === removed ? "moved to another team" : moved === 0 ? "removed from the spec" : "removed from the spec or moved";
    const detail = which.length === 0 || moved === removed ? "" : ` (${which.join("; ")})`;
    errors.push(
      `The plan would cancel ${removed} job${removed === 1 ? "" : "s"} ${why}${detail}, more than --max-cancel ${options.maxCancel}. Check the spec, or raise --max-cancel to ${removed}.`,
    );
  }
}

function checkClusters(actions: readonly PlanAction[], clusters: readonly Cluster[], errors: string[]): void {
  for (const action of actions) {
    if (action.kind !== "create" && action.kind !== "replace") continue;
    const job = action.desired;
    const problem = clusterProblem(job, clusters);
    if (problem === undefined) continue;
    // Locating may mean parsing the job's file again: only when there is something to say.
    const { file, line, column } = job.locate(problem.setting);
    errors.push(`Job "${job.key}" (${file}:${line}:${column}) ${problem.message}`);
  }
}

/**
 * What a library caller without type checks may get wrong, said before planning: a TypeError
 * from deep inside names nothing, and a maxCancel left out compared false with every count,
 * which turned its guard off.
 */
function checkArguments(desired: unknown, listings: unknown, clusters: unknown, options: PlanOptions | undefined): void {
  const refuse = (what: string) =>
    new UsageError(
      `computePlan: ${what}.`,
      "Call it as computePlan(spec.jobs, listings, clusters, { stack, teams, targets, adopt, allowEmpty, allowProtected, maxCancel, now }).",
    );
  if (!Array.isArray(desired)) throw refuse("the first argument must be the spec's jobs (spec.jobs), an array");
  if (!(listings instanceof Map)) throw refuse("the second argument must be a Map of each team to its listing (client.listAllJobs)");
  if (!Array.isArray(clusters)) throw refuse("the third argument must be the clusters (client.listClusters), an array");
  if (typeof options !== "object" || options === null) throw refuse("the fourth argument must be its options");
  if (typeof options.stack !== "string") throw refuse("options.stack must be the spec's stack (spec.stack), a string");
  if (!Array.isArray(options.teams)) throw refuse("options.teams must be an array of team names");
  if (!Array.isArray(options.targets)) throw refuse("options.targets must be an array of job keys ([] for every job)");
  if (typeof options.maxCancel !== "number" || !(options.maxCancel >= 0))
    throw refuse(`options.maxCancel must be a number of at least 0 (Infinity for no limit), not ${String(options.maxCancel)}`);
  if (!(options.now instanceof Date) || Number.isNaN(options.now.getTime())) throw refuse("options.now must be a valid Date (new Date())");
}

/**
 * A team without its listing would be planned as empty (every job a create, a duplicate of
 * what runs), and a job of a team not covered would be left out of the plan unsaid: the
 * CLI never does either; a library caller who does is told at once.
 */
function checkCoverage(
  desired: readonly DesiredJob[],
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  teams: readonly string[],
): void {
  const unlisted = teams.filter((team) => !listings.has(team));
  if (unlisted.length > 0)
    throw new UsageError(`computePlan: no listing of team(s) ${unlisted.join(", ")}.`, "Give every team in options.teams its listing.");
  const uncovered = [...new Set(desired.map((job) => job.team))].filter((team) => !teams.includes(team)).sort();
  if (uncovered.length > 0)
    throw new UsageError(
      `computePlan: the spec has jobs in team(s) ${uncovered.join(", ")}, which options.teams does not cover.`,
      "Cover every team of the spec (spec.teams), with its listing.",
    );
}
