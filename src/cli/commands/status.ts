// `studio-jobs status`: the stack's jobs in Studio, whether they match the spec, and their
// last and next runs. This command only reads and lists; plan/status.ts decides what is
// shown and render/status.ts writes it.

import { computeStatus, type StackStatus } from "../../plan/status.js";
import { byCodeUnits } from "../../code-unit-order.js";
import type { DesiredJob } from "../../desired/types.js";
import { interpolate } from "../../desired/interpolate.js";
import { printable } from "../../invisible.js";
import { renderStatusJson, renderStatusText } from "../../render/status.js";
import { connect, type GlobalOptions } from "../connect.js";
import type { CliIo } from "../io.js";
import { coveredTeams, listCoverage, notInSpecOfUnreadFiles, readSpecFiles, type Coverage } from "../planning.js";
import { readVars } from "../../desired/index.js";
import { resolveSpec } from "../../desired/resolve.js";
import { resolveConnection } from "../../studio/config.js";
import { registerJobSecrets } from "../../redact.js";

export interface StatusFlags {
  var: string[];
  varFile: string[];
  format: "text" | "json";
}

export async function runStatus(paths: string[], flags: StatusFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  const settings = await resolveConnection(globals, io.env, io.cwd);
  const vars = await readVars(flags.var, flags.varFile, io.cwd);
  // status only reads: an on-call engineer without the spec's secrets still sees what runs,
  // and a job whose settings read an unset ${env:...} is shown as unknown, not as changed.
  const options = { env: io.env, vars: vars.values, defaultTeam: settings.team, unsetEnv: "note" } as const;
  const files = await readSpecFiles(paths, options, vars, io);
  const spec = await resolveSpec(files, options);
  const unset = unsetEnvOfJobs(spec.jobs, io.env);
  if (io.secrets !== undefined) registerJobSecrets(io.secrets, spec.jobs, io.env);
  const teams = coveredTeams(spec.teams, globals.team, settings.team);
  const { client } = await connect(globals, io, settings);
  let coverage: Coverage;
  try {
    // Every record, runs included: a schedule's last run is one of them.
    coverage = await listCoverage(client, spec.stack, teams, () => true);
  } catch (error) {
    // Another team's listing still arriving is not waited for.
    await client.close({ abort: true });
    throw error;
  }
  await client.close();
  const desired = spec.jobs.map((job) => {
    const names = unset.get(job);
    return names === undefined ? job : { key: job.key, team: job.team, cron: job.cron, fingerprint: job.fingerprint, unsetEnv: names };
  });
  const status = computeStatus(desired, coverage.listings, spec.stack, coverage.teams, new Date(io.now?.() ?? Date.now()));
  const leftOut = await notInSpecOfUnreadFiles(status, spec.jobs, files, io.cwd, options);
  for (const warning of [...coverage.warnings, ...status.warnings, ...leftOut, ...unsetEnvWarnings(status, unset)])
    io.stderr.write(`Warning: ${printable(warning)}\n`);
  io.stdout.write(
    flags.format === "json" ? renderStatusJson(status, coverage.unreadable, coverage.unfollowed) : await renderStatusText(status),
  );
  return 0;
}

/** The `${env:...}` each job reads that are not set in `env`, for the jobs that read any. */
function unsetEnvOfJobs(jobs: readonly DesiredJob[], env: NodeJS.ProcessEnv): Map<DesiredJob, string[]> {
  const unset = new Map<DesiredJob, string[]>();
  for (const job of jobs) {
    const names = new Set<string>();
    for (const template of Object.values(job.sensitiveTemplates)) {
      const read = interpolate(template, { env, vars: job.vars, lenientEnv: true });
      if (read.ok) for (const { name } of read.unsetEnv) names.add(name);
    }
    if (names.size > 0) unset.set(job, [...names].sort(byCodeUnits));
  }
  return unset;
}

/** One warning per unset variable that leaves a shown job unknown, naming those jobs. */
function unsetEnvWarnings(status: StackStatus, unset: ReadonlyMap<DesiredJob, string[]>): string[] {
  const unknown = new Set(status.jobs.filter((row) => row.spec === "unknown").map((row) => `${row.team}/${row.key}`));
  const jobsOf = new Map<string, string[]>();
  for (const [job, names] of unset) {
    const id = `${job.team}/${job.key}`;
    if (!unknown.has(id)) continue;
    for (const name of names) (jobsOf.get(name) ?? jobsOf.set(name, []).get(name))?.push(id);
  }
  return [...jobsOf]
    .sort(([a], [b]) => byCodeUnits(a, b))
    .map(
      ([name, ids]) =>
        `environment variable ${name} is not set here, so whether ${ids.sort(byCodeUnits).join(", ")} ${ids.length === 1 ? "is" : "are"} as the spec wants cannot be told (shown as unknown); set it to compare.`,
    );
}
