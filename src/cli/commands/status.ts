// `studio-jobs status`: the stack's jobs in Studio, whether they match the spec, and their last runs.

import { nextCronRuns } from "../../cron.js";
import { formatRunTime } from "../../plan/diff.js";
import { classify } from "../../identity/classify.js";
import { satisfies } from "../../plan/keep.js";
import { isLive, isSchedule } from "../../studio/status.js";
import type { JobOutput } from "../../studio/types.js";
import { formatTable } from "../../render/table.js";
import { connect, type GlobalOptions } from "../connect.js";
import type { CliIo } from "../io.js";
import { coveredTeams, extendCoverage } from "../planning.js";
import { loadSpec, readVars } from "../../desired/index.js";
import { resolveConnection } from "../../studio/config.js";
import { registerJobSecrets } from "../../redact.js";

export interface StatusFlags {
  var: string[];
  varFile: string[];
  format: "text" | "json";
}

interface StatusRow {
  key: string;
  team: string;
  job_id: string;
  status: string;
  /** in-spec: as the spec wants it; changed: the spec wants something else; not-in-spec: apply would cancel it. */
  spec: "in-spec" | "changed" | "not-in-spec";
  /** Times are ISO 8601 in UTC, whatever form Studio sent them in. */
  last_run: { job_id: string; status: string; created_at: string } | null;
  next_runs: string[];
  url: string;
}

/** A time as ISO 8601 UTC; a value that is not a time is passed on as it came. */
function isoTime(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

function nextRunTimes(cron: string | undefined, now: Date): string[] {
  if (cron === undefined) return [];
  try {
    return nextCronRuns(cron, now, 3).map((date) => date.toISOString());
  } catch {
    return [];
  }
}

export async function runStatus(paths: string[], flags: StatusFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  const settings = await resolveConnection(globals, io.env, io.cwd);
  const spec = await loadSpec(paths, io.cwd, { env: io.env, vars: await readVars(flags.var, flags.varFile, io.cwd), defaultTeam: settings.team });
  if (io.secrets !== undefined) registerJobSecrets(io.secrets, spec.jobs, io.env);
  let teams = coveredTeams(spec.teams, globals.team, settings.team);
  const wanted = new Map(spec.jobs.map((j) => [`${j.team}/${j.key}`, j]));
  const { client } = await connect(globals, io, settings);
  const rows: StatusRow[] = [];
  try {
    const lists = await Promise.all(teams.map((team) => client.listAllJobs(team)));
    const coverage = await extendCoverage(client, spec.stack, { listings: new Map(teams.map((team, i) => [team, lists[i] ?? []])), clusters: [] }, () => true);
    for (const warning of coverage.warnings) io.stderr.write(`Warning: ${warning}\n`);
    teams = coverage.teams;
    for (const team of teams) {
      const jobs = coverage.listings.get(team) ?? [];
      const classified = jobs.map((job) => classify(job, spec.stack));
      const lastRun = new Map<string, JobOutput>();
      for (const run of classified) {
        if (run.kind !== "run") continue;
        const seen = lastRun.get(run.parentId);
        if (seen === undefined || seen.created_at < run.record.created_at) lastRun.set(run.parentId, run.record);
      }
      const shown = new Set<string>();
      // Newest first, so a one-off job shows its latest record.
      for (const own of classified.sort((a, b) => (a.record.created_at < b.record.created_at ? 1 : -1))) {
        if (own.kind !== "managed" && own.kind !== "managed-without-key") continue;
        const job = own.record;
        const key = own.kind === "managed" ? own.key : job.name;
        const fingerprint = own.kind === "managed" ? own.fingerprint : undefined;
        const desired = wanted.get(`${team}/${key}`);
        // A one-off job that ran with the spec's settings is done, not missing: show it too.
        const ranOnce = desired !== undefined && desired.cron === undefined && satisfies({ record: job, fingerprint }, desired);
        if (!isLive(job.status) && !ranOnce) continue;
        if (ranOnce && shown.has(key)) continue;
        shown.add(key);
        const run = lastRun.get(job.id);
        const cron = isSchedule(job.status) && desired?.cron !== undefined ? desired.cron : undefined;
        rows.push({
          key,
          team,
          job_id: job.id,
          status: job.status,
          spec: desired === undefined ? "not-in-spec" : desired.fingerprint === fingerprint ? "in-spec" : "changed",
          last_run: run === undefined ? null : { job_id: run.id, status: run.status, created_at: isoTime(run.created_at) },
          next_runs: nextRunTimes(cron, new Date()),
          url: job.url,
        });
      }
    }
  } finally {
    await client.close();
  }
  rows.sort((a, b) => a.team.localeCompare(b.team) || a.key.localeCompare(b.key));
  const missing = spec.jobs
    .filter((j) => !rows.some((r) => r.team === j.team && r.key === j.key))
    .map((j) => `${j.team}/${j.key}`)
    .sort();
  if (flags.format === "json") {
    io.stdout.write(`${JSON.stringify({ stack: spec.stack, jobs: rows, not_in_studio: missing }, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) io.stdout.write(`No live jobs of stack ${spec.stack} in team${teams.length === 1 ? "" : "s"} ${teams.join(", ")}.\n`);
  else {
    io.stdout.write(
      formatTable(
        ["JOB", "ID", "STATUS", "SPEC", "LAST RUN", "NEXT RUN"],
        rows.map((r) => [
          `${r.team}/${r.key}`,
          r.job_id.slice(0, 8),
          r.status,
          r.spec,
          r.last_run === null ? "-" : `${r.last_run.status} ${formatRunTime(new Date(r.last_run.created_at))}`,
          r.next_runs[0] === undefined ? "-" : formatRunTime(new Date(r.next_runs[0])),
        ]),
      ),
    );
  }
  if (missing.length > 0) io.stdout.write(`\nIn the spec but not live in Studio (apply creates them): ${missing.join(", ")}\n`);
  return 0;
}
