// `plan --out FILE`: the plan as a document, plus every job its creates and replaces send,
// written readable by its owner only (it names jobs and settings, though no secret).

import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import type { Plan } from "../plan/types.js";
import { planDocument, type PlanDocument, type SavedJob } from "./document.js";
import { saveJob } from "./saved-job.js";
import { sealPlanDocument } from "./seal.js";
import { createDigestKey, describeDigestKey, type DigestKey } from "./secret-digest.js";

/** The saved plan: the document plus every job that a create or replace sends, sealed with `key`. */
export function savedPlanDocument(plan: Plan, toolVersion: string, cwd: string, key: DigestKey): PlanDocument {
  const jobs: Record<string, SavedJob> = {};
  for (const action of plan.actions) {
    if (action.kind === "create" || action.kind === "replace") jobs[action.key] = saveJob(action.desired, cwd, key);
  }
  const doc: PlanDocument = { ...planDocument(plan, toolVersion), digest_key: describeDigestKey(key), jobs };
  return { ...doc, seal: sealPlanDocument(doc, key) };
}

export interface WritePlanOptions {
  toolVersion: string;
  /** Local file paths are saved relative to it, and apply resolves them against its own. */
  cwd: string;
  /** The Studio token: with STUDIO_JOBS_PLAN_KEY from `env`, what keys the digests of sensitive values. */
  token: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** Write `plan` to `path` (absolute) as a saved plan, with a fresh digest key. */
export async function writePlanFile(path: string, plan: Plan, options: WritePlanOptions): Promise<void> {
  const key = createDigestKey(options.token, options.env, randomBytes(16));
  const doc = savedPlanDocument(plan, options.toolVersion, options.cwd, key);
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
}
