// Before a saved plan is applied: it must still describe Studio and the environment it was
// made in. The digest key is derived again (before any request), Studio's listing must give
// the plan's remote_digest, and every sensitive value and local file is read again and must
// match what the plan saw. Any doubt stops the apply before a change.

import { resolve } from "node:path";
import { PlanRefusedError, UsageError } from "../errors.js";
import { hashFile } from "../desired/files.js";
import { interpolate } from "../desired/interpolate.js";
import type { DesiredJob } from "../desired/types.js";
import { computeRemoteDigest } from "../plan/digest.js";
import type { JobOutput } from "../studio/types.js";
import type { PlanDocument, SavedJob } from "./document.js";
import { restoreJob } from "./saved-job.js";
import { deriveDigestKey, digestSensitive, isSameKey, PLAN_KEY_VARIABLE, sameHex, type DigestKey } from "./secret-digest.js";

const MAKE_A_NEW_PLAN = "Make a new plan with `studio-jobs plan --out FILE` and apply that.";

/**
 * The key the plan's digests of sensitive values were made with, derived again from the
 * Studio token (or STUDIO_JOBS_PLAN_KEY). Undefined when the plan has no sensitive value.
 * Throws when the key here is not the plan's: nothing could be checked.
 */
export function unlockPlanFile(doc: PlanDocument, token: string | undefined, env: NodeJS.ProcessEnv, shown: string): DigestKey | undefined {
  const hasSensitive = Object.values(doc.jobs ?? {}).some((job) => Object.keys(job.sensitive).length > 0);
  if (!hasSensitive) return undefined;
  const recorded = doc.digest_key;
  if (recorded === undefined)
    throw new UsageError(`${shown} has digests of sensitive values but no digest_key; it is damaged. Make a new plan.`);
  const redo = "Nothing was changed.";
  const hint = `Apply it with what it was made with, or make a new plan here with \`studio-jobs plan --out FILE\`. To plan and apply with different tokens, set ${PLAN_KEY_VARIABLE} to the same secret in both steps.`;
  const secret = recorded.source === PLAN_KEY_VARIABLE ? env[PLAN_KEY_VARIABLE] : token;
  if (secret === undefined || secret === "") {
    const what =
      recorded.source === PLAN_KEY_VARIABLE ? `${PLAN_KEY_VARIABLE}, which is not set here` : "the Studio token, and there is none here";
    throw new PlanRefusedError(
      "PLAN_KEY_MISSING",
      [`${shown} keyed its digests of sensitive values with ${what}: it cannot check them. ${redo}`],
      hint,
    );
  }
  const key = deriveDigestKey(recorded.source, secret, recorded.salt);
  if (!isSameKey(key, recorded)) {
    const what = recorded.source === PLAN_KEY_VARIABLE ? `a different ${PLAN_KEY_VARIABLE}` : "a different Studio token";
    throw new PlanRefusedError(
      "PLAN_KEY_MISMATCH",
      [`${shown} was made with ${what}, so this apply cannot check that its sensitive values are unchanged. ${redo}`],
      hint,
    );
  }
  return key;
}

/** What a saved plan is checked against: Studio as listed now, and this machine. */
export interface PlanCheckContext {
  listings: ReadonlyMap<string, readonly JobOutput[]>;
  env: NodeJS.ProcessEnv;
  /** Where the plan's relative file paths are resolved. */
  cwd: string;
  /** From unlockPlanFile. */
  key: DigestKey | undefined;
}

/**
 * Check the plan against Studio and this machine, and return its jobs rebuilt with their
 * sensitive values read again. Throws PlanRefusedError when anything differs.
 */
export async function verifyPlanFile(doc: PlanDocument, context: PlanCheckContext): Promise<Map<string, DesiredJob>> {
  checkRemoteDigest(doc, context.listings);
  const problems: string[] = [];
  const restored = new Map<string, DesiredJob>();
  for (const [key, saved] of Object.entries(doc.jobs ?? {})) {
    const read = await readJobAgain(key, saved, context);
    if ("problems" in read) {
      problems.push(...read.problems);
      continue;
    }
    const job = restoreJob(key, doc.stack, saved, read.values, context.cwd);
    if (saved.fingerprint !== null && saved.fingerprint !== job.fingerprint) {
      problems.push(
        `Job "${key}": the plan file does not describe the job it was made for: it was edited, or made by another version of studio-jobs.`,
      );
    }
    restored.set(key, job);
  }
  if (problems.length > 0) throw new PlanRefusedError("PLAN_INPUTS_CHANGED", [...problems, "Nothing was changed."], MAKE_A_NEW_PLAN);
  return restored;
}

function checkRemoteDigest(doc: PlanDocument, listings: ReadonlyMap<string, readonly JobOutput[]>): void {
  // The digest covers the records of the keys the plan wants, as computePlan saw them.
  const desiredKeys = new Map<string, Set<string>>();
  for (const action of doc.actions) {
    if (action.kind === "cancel") continue;
    const keys = desiredKeys.get(action.team) ?? new Set<string>();
    keys.add(action.key);
    desiredKeys.set(action.team, keys);
  }
  if (computeRemoteDigest(doc.stack, listings, desiredKeys, doc.targets) !== doc.remote_digest) {
    throw new PlanRefusedError(
      "PLAN_STALE",
      ["Saved plan is stale: the jobs in Studio changed since it was made. Nothing was changed."],
      MAKE_A_NEW_PLAN,
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
    } else if (context.key === undefined || !sameHex(digestSensitive(context.key, field, read.value), entry.digest)) {
      problems.push(`Job "${key}": the value of ${field} differs from when the plan was made.`);
    } else {
      values[field] = read.value;
    }
  }
  for (const file of saved.files) {
    const sha = await hashFile(resolve(context.cwd, file.path)).then(
      (read) => read.sha256,
      () => undefined,
    );
    if (sha === undefined) problems.push(`Job "${key}": file ${file.path} is missing.`);
    else if (sha !== file.sha256) problems.push(`Job "${key}": file ${file.path} changed since the plan was made.`);
  }
  return problems.length > 0 ? { problems } : { values };
}
