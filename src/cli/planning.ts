// What plan and apply share: read the spec, list Studio, compute the plan.

import { UsageError } from "../errors.js";
import { computePlan } from "../plan/compute.js";
import type { Plan } from "../plan/types.js";
import { readVars } from "../spec/index.js";
import { loadSpecFiles } from "../spec/load.js";
import { peekTeams, resolveSpec } from "../spec/resolve.js";
import type { ResolvedSpec } from "../spec/types.js";
import type { StudioClient } from "../studio/client.js";
import { resolveConnection } from "../studio/config.js";
import { isRun } from "../studio/status.js";
import type { Cluster, JobOutput } from "../studio/types.js";
import { connect, type GlobalOptions } from "./connect.js";
import type { CliIo } from "./io.js";

export interface PlanFlags {
  target: string[];
  var: string[];
  varFile: string[];
  adopt: boolean;
  allowEmpty: boolean;
  allowProtected: boolean;
  maxCancel: string;
}

export function parseCount(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}".`);
  return n;
}

export interface Listing {
  listings: Map<string, JobOutput[]>;
  clusters: Cluster[];
}

/** Every record of each team (the truncation-safe listing), teams in parallel, and the clusters. */
export async function listStudio(client: StudioClient, teams: readonly string[]): Promise<Listing> {
  const [clusters, ...lists] = await Promise.all([
    client.listClusters(teams[0]),
    // Runs of schedules are never planned against, and they are most of a busy team's records.
    ...teams.map((team) => client.listAllJobs(team, { keep: (job) => !isRun(job) })),
  ]);
  const listings = new Map<string, JobOutput[]>();
  teams.forEach((team, i) => listings.set(team, lists[i] ?? []));
  return { listings, clusters };
}

/** The teams a plan covers: the spec's, plus --team (a team being emptied), or the configured team. */
export function coveredTeams(specTeams: readonly string[], flagTeam: string | undefined, configuredTeam: string | undefined): string[] {
  const teams = new Set(specTeams);
  if (flagTeam !== undefined) teams.add(flagTeam);
  if (teams.size === 0 && configuredTeam !== undefined) teams.add(configuredTeam);
  if (teams.size === 0) {
    throw new UsageError("The spec has no jobs and no team is configured, so there is nothing to plan.", "Pass --team to plan removing a team's jobs.");
  }
  return [...teams].sort();
}

export interface PreparedPlan {
  spec: ResolvedSpec;
  plan: Plan;
  client: StudioClient;
  /** What was listed: apply needs to tell new records from old ones. */
  listings: Map<string, JobOutput[]>;
}

export async function preparePlan(paths: string[], flags: PlanFlags, globals: GlobalOptions, io: CliIo): Promise<PreparedPlan> {
  const maxCancel = parseCount("max-cancel", flags.maxCancel, 0);
  const vars = await readVars(flags.var, flags.varFile, io.cwd);
  const settings = await resolveConnection(globals, io.env, io.cwd);
  const timer = createTimer(globals.verbose, io);
  const resolveOptions = { env: io.env, vars, defaultTeam: settings.team };
  // A spec that does not parse or fails its schema never reaches Studio.
  const { files, issues } = await loadSpecFiles(paths, io.cwd);
  if (issues.length > 0 || files.length === 0) await resolveSpec(files, resolveOptions, issues);
  const teams = coveredTeams(peekTeams(files, resolveOptions), globals.team, settings.team);
  const { client } = await connect(globals, io, settings);
  try {
    // Listing Studio and resolving the spec (reading and hashing files) overlap.
    const listing = listStudio(client, teams);
    listing.catch(() => undefined); // awaited below; a spec error is reported first
    const spec = await resolveSpec(files, resolveOptions);
    timer.lap(`read ${spec.jobs.length} jobs from ${spec.files.length} file(s)`);
    const { listings, clusters } = await listing;
    const missing = coveredTeams(spec.teams, globals.team, settings.team).filter((team) => !listings.has(team));
    if (missing.length > 0) {
      for (const [team, jobs] of (await listStudio(client, missing)).listings) listings.set(team, jobs);
      teams.push(...missing);
    }
    let records = 0;
    for (const list of listings.values()) records += list.length;
    timer.lap(`listed ${records} records in team(s) ${teams.join(", ")}`);
    const plan = computePlan(spec.jobs, listings, clusters, {
      stack: spec.stack,
      teams,
      targets: flags.target,
      adopt: flags.adopt,
      allowEmpty: flags.allowEmpty,
      allowProtected: flags.allowProtected,
      maxCancel,
      now: new Date(),
    });
    timer.lap("computed the plan");
    return { spec, plan, client, listings };
  } catch (error) {
    await client.close();
    throw error;
  }
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

export function reportDiagnostics(plan: Plan, io: CliIo): void {
  for (const warning of plan.warnings) io.stderr.write(`Warning: ${warning}\n`);
  for (const error of plan.errors) io.stderr.write(`Error: ${error}\n`);
}
