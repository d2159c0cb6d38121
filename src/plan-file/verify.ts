// Before a saved plan is applied: it must be the file `plan --out` wrote, and still describe
// Studio and the environment it was made in. The digest key is derived again and the seal
// checked (before any request), the jobs it sends must be the ones it shows, Studio's
// listing must give the plan's remote_digest, and every sensitive value and local file is
// read again and must match what the plan saw. Any doubt stops the apply before a change.

import { resolve } from "node:path";
import { PlanRefusedError } from "../errors.js";
import { hashRegularFile } from "../desired/read-file.js";
import { interpolate } from "../desired/interpolate.js";
import type { DesiredJob } from "../desired/types.js";
import { canonicalJson } from "../identity/fingerprint.js";
import { clusterProblem } from "../plan/cluster-problem.js";
import { actedSlots, computeRemoteDigest } from "../plan/digest.js";
import { desiredSettings } from "../plan/settings.js";
import type { Redactor } from "../redact.js";
import type { Cluster, JobOutput } from "../studio/types.js";
import type { PlanDocument, SavedJob } from "./document.js";
import { restoreJob } from "./saved-job.js";
import { appliedAlready, changesSincePlan, plannedKeys } from "./stale.js";
import { isSealed } from "./seal.js";
import { deriveDigestKey, digestSensitive, isSameKey, PLAN_KEY_VARIABLE, sameHex, type DigestKey } from "./secret-digest.js";

/** `specArguments`: the spec paths the plan records, as a shell takes them back (` 'a b'/`), or "" for ./studio-jobs.yaml. */
function makeANewPlan(specArguments: string): string {
  return `Make a new plan with ${planOutCommand(specArguments)} and apply that.`;
}

/** The `plan --out` that makes a saved plan again, quoted as hints write it: `specArguments` as specArguments() gives them. */
export function planOutCommand(specArguments: string): string {
  return `\`studio-jobs plan${specArguments} --out FILE\``;
}

/** Said, with the way out, whenever a saved plan is not as `plan --out` wrote it. */
export const PLAN_CHANGED = "The saved plan was changed after it was made. Nothing was changed.";
export const MAKE_IT_AGAIN = "Make it again with `studio-jobs plan --out FILE` and apply that.";

/**
 * The key the plan was sealed and its sensitive values digested with, derived again from
 * the Studio token (or STUDIO_JOBS_PLAN_KEY), after checking the seal with it. Throws when
 * the key here is not the plan's (nothing could be checked) or the seal does not match.
 */
export function unlockPlanFile(
  doc: PlanDocument,
  token: string | undefined,
  env: NodeJS.ProcessEnv,
  shown: string,
  /** Where this apply sends its requests, as studioLocation() writes it. */
  studio?: string,
): DigestKey {
  const recorded = doc.digest_key;
  if (recorded === undefined || doc.seal === undefined)
    throw new PlanRefusedError(
      "PLAN_CHANGED",
      [`${shown} has no ${recorded === undefined ? "digest_key" : "seal"}. ${PLAN_CHANGED}`],
      MAKE_IT_AGAIN,
    );
  const redo = "Nothing was changed.";
  const hint = `Apply it with what it was made with, or make a new plan here with \`studio-jobs plan --out FILE\`. To plan and apply with different tokens, set ${PLAN_KEY_VARIABLE} to the same secret in both steps.`;
  const secret = recorded.source === PLAN_KEY_VARIABLE ? env[PLAN_KEY_VARIABLE] : token;
  if (secret === undefined || secret === "") {
    const what =
      recorded.source === PLAN_KEY_VARIABLE ? `${PLAN_KEY_VARIABLE}, which is not set here` : "the Studio token, and there is none here";
    throw new PlanRefusedError(
      "PLAN_KEY_MISSING",
      [`${shown} was sealed, and its sensitive values digested, with ${what}: it cannot be checked. ${redo}`],
      hint,
    );
  }
  const key = deriveDigestKey(recorded.source, secret, recorded.salt);
  if (!isSameKey(key, recorded)) {
    const what = recorded.source === PLAN_KEY_VARIABLE ? `a different ${PLAN_KEY_VARIABLE}` : "a different Studio token";
    throw new PlanRefusedError(
      "PLAN_KEY_MISMATCH",
      [
        // The check value tells the key apart, not why it differs: an edited salt or check
        // value reads exactly like another token.
        `${shown} was made with ${what}, or its digest_key was edited since, so this apply cannot check that the plan and its sensitive values are unchanged. ${redo}`,
      ],
      hint,
    );
  }
  if (!isSealed(doc, key)) throw new PlanRefusedError("PLAN_CHANGED", [`${shown} does not match its seal. ${PLAN_CHANGED}`], MAKE_IT_AGAIN);
  // A plan key shared by two Studios (staging and production) opens plans of both: the plan
  // says which it was made against.
  if (doc.studio !== undefined && studio !== undefined && doc.studio !== studio) {
    throw new PlanRefusedError(
      "PLAN_OTHER_STUDIO",
      [`${shown} was made against ${doc.studio}, not ${studio}, where this apply would send it. ${redo}`],
      "Apply it with the --url it was made with, or make a new plan against this Studio with `studio-jobs plan --out FILE`.",
    );
  }
  return key;
}

/** What a saved plan is checked against: Studio as listed now, and this machine. */
export interface PlanCheckContext {
  listings: ReadonlyMap<string, readonly JobOutput[]>;
  /** Studio's clusters as listed now: each job sent must still find its cluster as the plan did. */
  clusters: readonly Cluster[];
  env: NodeJS.ProcessEnv;
  /** Where the plan's relative file paths are resolved. */
  cwd: string;
  /** From unlockPlanFile. */
  key: DigestKey;
  /**
   * The spec paths the plan records (`spec_paths`), as the CLI quotes them for a command
   * (` 'a b'/`; "" for ./studio-jobs.yaml): the hints of a stale plan name them in the
   * `plan` to run. None when not given.
   */
  specArguments?: string;
  /**
   * The run's redactor: the sensitive values the plan's jobs read again are registered in it,
   * and a live value holding one is shown as (sensitive), as when the plan was made.
   */
  secrets?: Redactor;
}

/**
 * Check the plan against Studio and this machine, and return its jobs rebuilt with their
 * sensitive values read again. Throws PlanRefusedError when anything differs.
 */
export async function verifyPlanFile(doc: PlanDocument, context: PlanCheckContext): Promise<Map<string, DesiredJob>> {
  const problems: string[] = [];
  const restored = new Map<string, DesiredJob>();
  for (const [key, saved] of Object.entries(doc.jobs ?? {})) {
    const read = await readJobAgain(key, saved, context);
    if ("problems" in read) {
      problems.push(...read.problems);
      continue;
    }
    restored.set(key, restoreJob(key, doc.stack, saved, read.values, context.cwd));
  }
  // A stale plan is said before changed inputs; the jobs read again, when they all could be,
  // give the fingerprints the file leaves out (a sensitive job's), to tell its own apply.
  const specArguments = context.specArguments ?? "";
  checkRemoteDigest(doc, context.listings, problems.length === 0 ? restored : undefined, specArguments);
  if (problems.length > 0)
    throw new PlanRefusedError("PLAN_INPUTS_CHANGED", [...problems, "Nothing was changed."], makeANewPlan(specArguments));
  const unlike = checkShownIsSent(doc, restored);
  if (unlike.length > 0) throw new PlanRefusedError("PLAN_CHANGED", [...unlike, PLAN_CHANGED], MAKE_IT_AGAIN);
  checkClusters(restored, context.clusters, makeANewPlan(specArguments));
  return restored;
}

/**
 * The planner refused a job whose cluster is unknown, inactive or too small; a cluster
 * removed, deactivated or made smaller since would fail the job's create, and a cancel-first
 * replace would have cancelled the old job first. So that is a stale plan too.
 */
function checkClusters(jobs: ReadonlyMap<string, DesiredJob>, clusters: readonly Cluster[], newPlan: string): void {
  const problems: string[] = [];
  for (const job of jobs.values()) {
    const problem = clusterProblem(job, clusters);
    if (problem !== undefined) problems.push(`Job "${job.key}" (team ${job.team}) ${problem.message}`);
  }
  if (problems.length === 0) return;
  throw new PlanRefusedError(
    "PLAN_STALE",
    ["Saved plan is stale: the clusters in Studio changed since it was made.", ...problems, "Nothing was changed."],
    newPlan,
  );
}

/**
 * What `show` prints of each create and replace (its settings, `after`, and fingerprint) must
 * be what apply sends: the jobs rebuilt from the file's `jobs`, their fingerprints computed
 * again from every value. The seal already refuses an edit made without the key; this
 * holds even for a file sealed anew, so that the plan a reviewer saw is the plan applied.
 */
function checkShownIsSent(doc: PlanDocument, jobs: ReadonlyMap<string, DesiredJob>): string[] {
  const problems: string[] = [];
  const sent = new Set<string>();
  for (const action of doc.actions) {
    if (action.kind !== "create" && action.kind !== "replace") continue;
    const job = jobs.get(action.key);
    const saved = doc.jobs?.[action.key];
    if (sent.has(action.key)) {
      problems.push(`The saved plan sends the job "${action.key}" twice.`);
      continue;
    }
    sent.add(action.key);
    if (job === undefined || saved === undefined) {
      problems.push(`The saved plan's ${action.kind} of "${action.key}" has no job to send.`);
      continue;
    }
    // A fingerprint is left out only where it would cover a sensitive value (./saved-job.ts).
    const shownFingerprint = job.sensitive.length === 0 ? job.fingerprint : undefined;
    const savedFingerprint = job.sensitive.length === 0 ? job.fingerprint : null;
    if (
      job.team !== action.team ||
      (action.kind === "replace" && action.strategy !== job.replace) ||
      saved.fingerprint !== savedFingerprint ||
      action.fingerprint !== shownFingerprint ||
      canonicalJson(desiredSettings(job)) !== canonicalJson(action.after)
    ) {
      problems.push(
        `The saved plan's ${action.kind} of "${action.key}" in team ${action.team} shows a job other than the one it would send.`,
      );
    }
  }
  for (const key of Object.keys(doc.jobs ?? {}))
    if (!sent.has(key)) problems.push(`The saved plan holds a job "${key}" that none of its actions sends.`);
  return problems;
}

/** How many changes a stale plan's refusal names: a concurrent apply may have changed every job. */
const CHANGES_NAMED = 10;

function checkRemoteDigest(
  doc: PlanDocument,
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  /** The plan's jobs read again, when every one could be. */
  jobs: ReadonlyMap<string, DesiredJob> | undefined,
  specArguments: string,
): void {
  // The digest covers the records of the keys the plan wants, as computePlan saw them.
  if (computeRemoteDigest(doc.stack, listings, plannedKeys(doc), doc.targets, actedSlots(doc.actions)) !== doc.remote_digest) {
    if (jobs !== undefined && appliedAlready(doc, listings, (key) => jobs.get(key)?.fingerprint)) {
      throw new PlanRefusedError(
        "PLAN_STALE",
        [
          "Saved plan is stale: Studio is already as it leaves it: the jobs it creates or replaces run as it makes them, and those it replaces or cancels have ended. Nothing was changed.",
        ],
        `Run \`studio-jobs plan${specArguments}\` to see whether anything is left to do.`,
      );
    }
    // Said job by job where it can be told, so that a reviewer sees what the new plan will differ in.
    const changes = changesSincePlan(doc, listings);
    throw new PlanRefusedError(
      "PLAN_STALE",
      changes.length === 0
        ? ["Saved plan is stale: the jobs in Studio changed since it was made. Nothing was changed."]
        : [
            "Saved plan is stale: the jobs in Studio changed since it was made:",
            ...changes.slice(0, CHANGES_NAMED).map((change) => `  ${change}`),
            ...(changes.length > CHANGES_NAMED ? [`  and ${changes.length - CHANGES_NAMED} more.`] : []),
            "Nothing was changed.",
          ],
      makeANewPlan(specArguments),
    );
  }
}

/** A saved job's sensitive values read again from the environment, and its files hashed again. */
async function readJobAgain(
  key: string,
  saved: SavedJob,
  context: PlanCheckContext,
): Promise<{ values: Record<string, string> } | { problems: string[] }> {
  const problems: string[] = [];
  const values: Record<string, string> = {};
  for (const [field, entry] of Object.entries(saved.sensitive)) {
    const read = interpolate(entry.template, { env: context.env, vars: saved.vars });
    if (!read.ok) {
      problems.push(`Job "${key}": ${field} cannot be read again: ${read.message}.`);
    } else if (!sameHex(digestSensitive(context.key, field, read.value), entry.digest)) {
      problems.push(`Job "${key}": the value of ${field} differs from when the plan was made.`);
    } else {
      values[field] = read.value;
    }
  }
  for (const file of saved.files) {
    // Read no further than the plan's own size: a file that grew, or turned into a FIFO or a
    // link to /dev/zero, has changed, and is not read to find out.
    const path = resolve(context.cwd, file.path);
    const read = await hashRegularFile(path, file.size).catch(() => undefined);
    // Most often not gone, but looked for from another directory than the plan was made in.
    if (read === undefined)
      problems.push(
        `Job "${key}": file ${file.path} is missing: there is nothing at ${path}. A saved plan's paths are relative to the directory it was made in; apply it from there.`,
      );
    else if ("notFile" in read) problems.push(`Job "${key}": file ${file.path} is ${read.notFile} now, not a file.`);
    else if (!("sha256" in read) || read.sha256 !== file.sha256)
      problems.push(`Job "${key}": file ${file.path} changed since the plan was made.`);
  }
  return problems.length > 0 ? { problems } : { values };
}
