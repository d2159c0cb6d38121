// computePlan: desired jobs + listed records + clusters -> actions. Pure: no I/O, no
// clock (now is passed in), no randomness. DESIGN section 4, row by row.

import { MARKERS } from "../identity/markers.js";
import type { DesiredJob } from "../desired/types.js";
import { isKnownStatus, isLive, isRun, isUnderway } from "../studio/status.js";
import type { Cluster, JobOutput } from "../studio/types.js";
import { computeChanges, formatCluster } from "./diff.js";
import { computeRemoteDigest } from "./digest.js";
import { keepOrder, satisfies } from "./keep.js";
import type { PlanAction, Plan, PlanOptions, PlanSummary } from "./types.js";

/** What the planner needs of a listed record, read once. */
interface Seen {
  job: JobOutput;
  stack: string | undefined;
  key: string | undefined;
  fingerprint: string | undefined;
  protect: boolean;
}

function see(job: JobOutput): Seen {
  const env = job.environment ?? {};
  return {
    job,
    stack: env[MARKERS.stack],
    key: env[MARKERS.key],
    fingerprint: env[MARKERS.fingerprint],
    protect: env[MARKERS.protect] === "1",
  };
}

/** Newest first: Studio lists newest first, but do not depend on it. */
function newestFirst(a: Seen, b: Seen): number {
  return a.job.created_at < b.job.created_at ? 1 : a.job.created_at > b.job.created_at ? -1 : a.job.id < b.job.id ? 1 : -1;
}

export function computePlan(
  desired: readonly DesiredJob[],
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  clusters: readonly Cluster[],
  options: PlanOptions,
): Plan {
  const actions: PlanAction[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const targets = new Set(options.targets);
  const wanted = (key: string) => targets.size === 0 || targets.has(key);
  const desiredKeys = new Map<string, Set<string>>();
  let liveManaged = 0;
  const matchedTargets = new Set<string>();

  for (const team of [...options.teams].sort()) {
    const desiredHere = new Map<string, DesiredJob>();
    for (const job of desired) if (job.team === team && wanted(job.key)) desiredHere.set(job.key, job);
    desiredKeys.set(team, new Set(desiredHere.keys()));

    const managed = new Map<string, Seen[]>();
    const unmanagedByName = new Map<string, Seen[]>();
    for (const job of listings.get(team) ?? []) {
      if (isRun(job)) continue;
      const seen = see(job);
      if (!isKnownStatus(job.status) && isLive(job.status) && (seen.stack === options.stack || seen.stack === undefined)) {
        warnings.push(`Job ${job.id} ("${job.name}", team ${team}) has status "${job.status}", which this tool does not know; it is treated as live.`);
      }
      if (seen.stack === options.stack) {
        if (seen.key === undefined) {
          warnings.push(`Job ${job.id} in team ${team} is marked for stack ${options.stack} but has no ${MARKERS.key}; it is left alone.`);
          continue;
        }
        if (!wanted(seen.key)) continue;
        const list = managed.get(seen.key) ?? [];
        list.push(seen);
        managed.set(seen.key, list);
        if (isLive(job.status)) liveManaged += 1;
      } else if (seen.stack === undefined && isLive(job.status)) {
        const list = unmanagedByName.get(job.name) ?? [];
        list.push(seen);
        unmanagedByName.set(job.name, list);
      } else if (seen.stack !== undefined && isLive(job.status) && desiredHere.has(job.name)) {
        warnings.push(`Stack ${seen.stack} also has a live job named "${job.name}" in team ${team} (${job.id}); it is left alone.`);
      }
    }

    const cancel = (seen: Seen, key: string, reason: "removed" | "duplicate" | "adopted") => {
      actions.push({ kind: "cancel", key, team, live: seen.job, reason });
    };

    for (const [key, job] of [...desiredHere].sort(([a], [b]) => (a < b ? -1 : 1))) {
      matchedTargets.add(key);
      const records = (managed.get(key) ?? []).sort(newestFirst);
      const live = records.filter((r) => isLive(r.job.status));
      // The same survivor apply's sweep keeps, so a plan after two concurrent applies agrees with them.
      const satisfying = records.filter((r) => satisfies(r.job, r.fingerprint, job)).sort((a, b) => keepOrder(a.job, b.job));
      const conflicts = (unmanagedByName.get(key) ?? []).sort(newestFirst);

      let replaced: Seen | undefined;
      const replace = (seen: Seen, adopted: boolean) => {
        replaced = seen;
        actions.push({
          kind: "replace",
          key,
          team,
          desired: job,
          live: seen.job,
          strategy: job.replace,
          changes: computeChanges(job, seen.job, options.now),
          adopted,
        });
      };
      const kept = satisfying[0];
      if (kept !== undefined) {
        actions.push({ kind: "noop", key, team, desired: job, live: kept.job });
      } else if (live[0] !== undefined) {
        replace(live[0], false);
      } else if (conflicts[0] !== undefined && options.adopt) {
        replace(conflicts[0], true);
      } else if (conflicts.length === 0) {
        actions.push({ kind: "create", key, team, desired: job });
        const earlier = records[0];
        if (job.cron === undefined && earlier !== undefined) {
          warnings.push(`Job "${key}" in team ${team} runs once, and an earlier version exists (${earlier.job.id}, ${earlier.job.status}): this plan runs it again.`);
        }
      }
      // else: an unmanaged job holds the name and --adopt was not given: only the conflict is shown.
      for (const other of live) if (other !== kept && other !== replaced) cancel(other, key, "duplicate");

      if (conflicts.length > 0) {
        if (options.adopt) {
          for (const c of conflicts) if (c !== replaced) cancel(c, key, "adopted");
        } else {
          const first = conflicts[0] as Seen;
          actions.push({ kind: "conflict", key, team, desired: job, live: first.job });
          errors.push(
            `Job "${key}" in team ${team} conflicts with an existing job of the same name that studio-jobs does not manage (${first.job.id}${conflicts.length > 1 ? ` and ${conflicts.length - 1} more` : ""}). Pass --adopt to replace it with the spec's job, or rename the job.`,
          );
        }
      }
    }

    for (const [key, records] of [...managed].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (desiredHere.has(key)) continue;
      matchedTargets.add(key);
      for (const r of records.sort(newestFirst)) if (isLive(r.job.status)) cancel(r, key, "removed");
    }
  }

  for (const target of targets) {
    if (!matchedTargets.has(target)) errors.push(`--target ${target} matches no job of the spec and no live job of stack ${options.stack}.`);
  }

  warnDisruptions(actions, warnings);
  checkProtected(actions, options, errors);
  checkGuards(actions, liveManaged, options, errors);
  checkClusters(actions, clusters, errors);

  const summary: PlanSummary = { create: 0, replace: 0, cancel: 0, noop: 0, conflict: 0 };
  for (const action of actions) summary[action.kind] += 1;
  return {
    stack: options.stack,
    teams: [...options.teams].sort(),
    targets: [...options.targets].sort(),
    actions,
    summary,
    errors,
    warnings,
    remoteDigest: computeRemoteDigest(
      options.stack,
      new Map(options.teams.map((team) => [team, listings.get(team) ?? []])),
      desiredKeys,
      options.targets,
    ),
    createdAt: options.now.toISOString(),
  };
}

/**
 * Work a plan interrupts: a cancel (or a replace's cancel) of a record that is running or
 * about to. A one-off job replaced while underway runs again from the start.
 */
function warnDisruptions(actions: readonly PlanAction[], warnings: string[]): void {
  for (const action of actions) {
    if ((action.kind !== "replace" && action.kind !== "cancel") || !isUnderway(action.live.status)) continue;
    const where = `Job "${action.key}" in team ${action.team}`;
    const live = `${action.live.id}, which is ${action.live.status}`;
    if (action.kind === "replace" && action.desired.cron === undefined) {
      warnings.push(`${where} runs once: replacing it cancels ${live}, and runs the job again from the start.`);
    } else {
      warnings.push(`${where}: the plan cancels ${live}, before it finishes.`);
    }
  }
}

function checkProtected(actions: readonly PlanAction[], options: PlanOptions, errors: string[]): void {
  if (options.allowProtected) return;
  for (const action of actions) {
    if (action.kind !== "replace" && action.kind !== "cancel") continue;
    if (action.live.environment?.[MARKERS.protect] !== "1") continue;
    const verb = action.kind === "replace" ? "replace" : "cancel";
    errors.push(
      `Job "${action.key}" in team ${action.team} (${action.live.id}) is protected; the plan would ${verb} it. Pass --allow-protected if that is intended.`,
    );
  }
}

function checkGuards(actions: readonly PlanAction[], liveManaged: number, options: PlanOptions, errors: string[]): void {
  // A duplicate's cancel keeps a matching job live, and an adopted job is replaced: only
  // removals take jobs away, so only they count against --max-cancel.
  const removed = actions.filter((a) => a.kind === "cancel" && a.reason === "removed").length;
  const keeps = actions.filter((a) => a.kind === "create" || a.kind === "noop" || a.kind === "replace").length;
  if (!options.allowEmpty && liveManaged > 0 && removed === liveManaged && keeps === 0) {
    errors.push(
      `The plan would cancel every job of stack ${options.stack} (${liveManaged}) and keep none: is the spec empty or the path wrong? To retire the stack, run \`studio-jobs destroy\`; to plan it anyway, pass --allow-empty.`,
    );
  }
  if (removed > options.maxCancel) {
    errors.push(
      `The plan would cancel ${removed} jobs removed from the spec, more than --max-cancel ${options.maxCancel}. Check the spec, or raise --max-cancel to ${removed}.`,
    );
  }
}

function checkClusters(actions: readonly PlanAction[], clusters: readonly Cluster[], errors: string[]): void {
  const fallback = clusters.find((c) => c.default);
  for (const action of actions) {
    if (action.kind !== "create" && action.kind !== "replace") continue;
    const job = action.desired;
    const ref = job.cluster;
    const cluster = ref === undefined ? fallback : clusters.find((c) => ("id" in ref ? c.id === ref.id : c.name === ref.name));
    // Locating a job may mean parsing its file again: only when there is something to say.
    const where = () => `Job "${job.key}" (${job.location.file}:${job.location.line})`;
    if (ref !== undefined && cluster === undefined) {
      const names = clusters.map((c) => c.name).join(", ");
      errors.push(`${where()} names cluster ${formatCluster(ref)}, which does not exist in Studio. Known clusters: ${names || "(none)"}.`);
      continue;
    }
    if (cluster === undefined) continue;
    if (!cluster.is_active) {
      errors.push(`${where()} would run on cluster ${cluster.name}, which is not active. Choose another cluster.`);
      continue;
    }
    const workers = job.input.workers ?? 1;
    if (workers > cluster.max_workers) {
      errors.push(`${where()} asks for ${workers} workers; cluster ${cluster.name} allows at most ${cluster.max_workers}.`);
    }
  }
}
