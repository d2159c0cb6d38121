// Applying a saved plan: read it, check it still describes Studio and the environment
// it was made in, and turn it back into a Plan. Any doubt stops the apply before a change.

import { existsSync, readFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { resolve } from "node:path";
import { PlanRefusedError, UsageError } from "../errors.js";
import { computeRemoteDigest } from "../plan/digest.js";
import { PLAN_FORMAT_VERSION, restoreJob, type PlanDocument } from "./document.js";
import { deriveDigestKey, digestSensitive, isSameKey, PLAN_KEY_VARIABLE, sameHex, type DigestKey } from "./secret-digest.js";
import type { Plan, PlanAction } from "../plan/types.js";
import type { DesiredJob } from "../desired/types.js";
import { hashFile } from "../desired/files.js";
import { interpolate } from "../desired/interpolate.js";
import { createSchemaAjv } from "../desired/schema.js";
import type { JobOutput } from "../studio/types.js";

/** Whether `path` holds a saved plan rather than a spec. */
export async function isSavedPlanFile(path: string): Promise<boolean> {
  if (!path.endsWith(".json")) return false;
  try {
    // Only the start is needed to tell: the whole file is read once, by readSavedPlan.
    const file = await open(path, "r");
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(256), 0, 256, 0);
      const head = buffer.toString("utf8", 0, bytesRead);
      return head.trimStart().startsWith("{") && head.includes('"format_version"');
    } finally {
      await file.close();
    }
  } catch {
    return false;
  }
}

/** Read and check a saved plan; `shown` is the path as the user gave it, for messages. */
export async function readSavedPlan(path: string, shown: string = path): Promise<PlanDocument> {
  let doc: PlanDocument;
  try {
    doc = JSON.parse(await readFile(path, "utf8")) as PlanDocument;
  } catch (error) {
    throw new UsageError(`${shown} is not a readable plan file: ${(error as Error).message}`);
  }
  if (doc === null || typeof doc !== "object" || typeof doc.format_version !== "number") throw new UsageError(`${shown} is not a plan file: it has no format_version.`);
  if (doc.format_version > PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `${shown} has format_version ${doc.format_version}, newer than this studio-jobs (${PLAN_FORMAT_VERSION}) reads.`,
      `It was made by studio-jobs ${String(doc.tool_version)}; apply it with that version or newer.`,
    );
  }
  if (doc.format_version < PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `${shown} has format_version ${doc.format_version}, made by an older studio-jobs (${String(doc.tool_version)}) whose plans held unkeyed digests of sensitive values.`,
      `Make a new plan with \`studio-jobs plan --out ${shown}\`, and delete the old one wherever it was kept.`,
    );
  }
  if (doc.format_version !== PLAN_FORMAT_VERSION || typeof doc.stack !== "string" || !Array.isArray(doc.teams) || !Array.isArray(doc.actions) || doc.jobs === undefined) {
    throw new UsageError(`${shown} is not a saved plan of format_version ${PLAN_FORMAT_VERSION}; save one with \`studio-jobs plan --out ${shown}\`.`);
  }
  checkPlanSchema(doc, shown);
  if (doc.errors.length > 0) throw new UsageError(`${shown} is a plan with errors; it cannot be applied.`);
  return doc;
}

/** The file the build writes beside the compiled module: the plan validator as plain code. */
export const PRECOMPILED_PLAN_VALIDATOR = "plan-validator.cjs";

export function loadPlanSchema(): object {
  // dist/src/plan-file/ is one level deeper than src/apply/: try both.
  const candidates = ["../../schema/plan.schema.json", "../../../schema/plan.schema.json"].map((p) => new URL(p, import.meta.url));
  const found = candidates.find((url) => existsSync(url));
  if (found === undefined) throw new Error("schema/plan.schema.json not found beside the tool");
  return JSON.parse(readFileSync(found, "utf8")) as object;
}

const require = createRequire(import.meta.url);
let planValidator: ValidateFunction | undefined;

/** Past this check the rest of the code may rely on the file's shape: a damaged file stops here. */
function checkPlanSchema(doc: PlanDocument, shown: string): void {
  if (planValidator === undefined) {
    // Built: the validator compiled ahead of time (saves ~200 ms). From source: compile it now.
    try {
      planValidator = require(`./${PRECOMPILED_PLAN_VALIDATOR}`) as ValidateFunction;
    } catch {
      planValidator = createSchemaAjv().compile(loadPlanSchema());
    }
  }
  if (planValidator(doc)) return;
  const first = planValidator.errors?.[0];
  const where = first?.instancePath === undefined || first.instancePath === "" ? "the top level" : first.instancePath.slice(1).replaceAll("/", ".");
  throw new UsageError(`${shown} is not a valid plan file: at ${where}, ${first?.message ?? "it does not match schema/plan.schema.json"}.`, "Make a new plan with `studio-jobs plan --out FILE`.");
}

/**
 * The key the plan's digests of sensitive values were made with, derived again from the
 * Studio token (or STUDIO_JOBS_PLAN_KEY). Undefined when the plan has no sensitive value.
 * Throws when the key here is not the plan's: nothing could be checked.
 */
export function unlockSavedPlan(doc: PlanDocument, token: string | undefined, env: NodeJS.ProcessEnv, shown: string): DigestKey | undefined {
  const hasSensitive = Object.values(doc.jobs ?? {}).some((job) => Object.keys(job.sensitive).length > 0);
  if (!hasSensitive) return undefined;
  const recorded = doc.digest_key;
  if (recorded === undefined) throw new UsageError(`${shown} has digests of sensitive values but no digest_key; it is damaged. Make a new plan.`);
  const redo = "Nothing was changed.";
  const hint = `Apply it with what it was made with, or make a new plan here with \`studio-jobs plan --out FILE\`. To plan and apply with different tokens, set ${PLAN_KEY_VARIABLE} to the same secret in both steps.`;
  const secret = recorded.source === PLAN_KEY_VARIABLE ? env[PLAN_KEY_VARIABLE] : token;
  if (secret === undefined || secret === "") {
    const what = recorded.source === PLAN_KEY_VARIABLE ? `${PLAN_KEY_VARIABLE}, which is not set here` : "the Studio token, and there is none here";
    throw new PlanRefusedError("PLAN_KEY_MISSING", [`${shown} keyed its digests of sensitive values with ${what}: it cannot check them. ${redo}`], hint);
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

/**
 * The saved plan as a Plan, checked against Studio as listed now, the environment's
 * sensitive values and the local files. Throws PlanRefusedError when anything differs.
 */
export async function restoreSavedPlan(
  doc: PlanDocument,
  listings: ReadonlyMap<string, readonly JobOutput[]>,
  env: NodeJS.ProcessEnv,
  cwd: string,
  digestKey: DigestKey | undefined,
): Promise<Plan> {
  const desiredKeys = new Map<string, Set<string>>();
  for (const action of doc.actions) {
    if (action.kind === "cancel") continue;
    const keys = desiredKeys.get(action.team) ?? new Set<string>();
    keys.add(action.key);
    desiredKeys.set(action.team, keys);
  }
  const digest = computeRemoteDigest(doc.stack, listings, desiredKeys, doc.targets ?? []);
  if (digest !== doc.remote_digest) {
    throw new PlanRefusedError("PLAN_STALE", ["Saved plan is stale: the jobs in Studio changed since it was made. Nothing was changed."], "Make a new plan with `studio-jobs plan --out FILE` and apply that.");
  }

  const jobs = doc.jobs ?? {};
  const problems: string[] = [];
  const restored = new Map<string, DesiredJob>();
  for (const [key, saved] of Object.entries(jobs)) {
    const before = problems.length;
    const values: Record<string, string> = {};
    for (const [field, entry] of Object.entries(saved.sensitive)) {
      const read = interpolate(entry.template, { env, vars: saved.vars });
      if (!read.ok) {
        problems.push(`Job "${key}": ${field} cannot be read again: ${read.message}.`);
      } else if (digestKey === undefined || !sameHex(digestSensitive(digestKey, field, read.value), entry.digest)) {
        problems.push(`Job "${key}": the value of ${field} differs from when the plan was made.`);
      } else {
        values[field] = read.value;
      }
    }
    for (const file of saved.files) {
      const sha = await hashFile(resolve(cwd, file.path)).then(
        (read) => read.sha256,
        () => undefined,
      );
      if (sha === undefined) problems.push(`Job "${key}": file ${file.path} is missing.`);
      else if (sha !== file.sha256) problems.push(`Job "${key}": file ${file.path} changed since the plan was made.`);
    }
    if (problems.length > before) continue;
    const job = restoreJob(key, doc.stack, saved, values, cwd);
    if (saved.fingerprint !== null && saved.fingerprint !== job.fingerprint) {
      problems.push(`Job "${key}": the plan file does not describe the job it was made for: it was edited, or made by another version of studio-jobs.`);
    }
    restored.set(key, job);
  }
  if (problems.length > 0) {
    throw new PlanRefusedError("PLAN_INPUTS_CHANGED", [...problems, "Nothing was changed."], "Make a new plan with `studio-jobs plan --out FILE` and apply that.");
  }

  const byId = new Map<string, JobOutput>();
  for (const list of listings.values()) for (const job of list) byId.set(job.id, job);
  const live = (id: string | undefined, key: string): JobOutput => {
    const found = id === undefined ? undefined : byId.get(id);
    if (found === undefined) throw new PlanRefusedError("PLAN_STALE", [`Saved plan is stale: job ${String(id)} of "${key}" is no longer listed.`]);
    return found;
  };

  const actions: PlanAction[] = [];
  for (const action of doc.actions) {
    const desired = () => {
      const job = restored.get(action.key);
      if (job === undefined) throw new UsageError(`The plan file has no job "${action.key}" to ${action.kind}; it is damaged.`);
      return job;
    };
    switch (action.kind) {
      case "create":
        actions.push({ kind: "create", key: action.key, team: action.team, desired: desired() });
        break;
      case "replace": {
        const job = desired();
        actions.push({
          kind: "replace",
          key: action.key,
          team: action.team,
          desired: job,
          live: live(action.job_id, action.key),
          strategy: job.replace,
          changes: action.changes ?? [],
          adopted: action.adopted ?? false,
        });
        break;
      }
      case "cancel":
        actions.push({
          kind: "cancel",
          key: action.key,
          team: action.team,
          live: live(action.job_id, action.key),
          reason: action.reason ?? "removed",
        });
        break;
      case "noop":
      case "conflict":
        break;
      default:
        throw new UsageError(`The plan file has an action of unknown kind "${String(action.kind)}".`);
    }
  }
  return {
    stack: doc.stack,
    teams: doc.teams,
    targets: doc.targets ?? [],
    actions,
    summary: doc.summary,
    errors: [],
    warnings: doc.warnings,
    remoteDigest: doc.remote_digest,
    createdAt: doc.created_at,
  };
}
