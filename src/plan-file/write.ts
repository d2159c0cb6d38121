// `plan --out FILE`: the plan as a document, plus every job its creates and replaces send,
// written readable by its owner only (it names jobs and settings, though no secret). The
// file is written beside its place under a name of its own and renamed over it: a symbolic
// link at the path is replaced, never followed, and a reader never sees half a plan.

import { randomBytes } from "node:crypto";
import { lstat, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../errors.js";
import type { Plan } from "../plan/types.js";
import { planDocument, type PlanDocument, type SavedJob } from "./document.js";
import { saveJob } from "./saved-job.js";
import { sealPlanDocument } from "./seal.js";
import { createDigestKey, describeDigestKey, type DigestKey } from "./secret-digest.js";

/**
 * Studio's place as a plan records it and apply compares it: origin and base path, without
 * credentials (a password in --url is never written) or a trailing slash.
 */
export function studioLocation(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
}

/** The saved plan: the document plus every job that a create or replace sends, sealed with `key`; `studio` from studioLocation(). */
export function savedPlanDocument(plan: Plan, toolVersion: string, cwd: string, key: DigestKey, studio?: string): PlanDocument {
  const jobs: Record<string, SavedJob> = {};
  for (const action of plan.actions) {
    if (action.kind === "create" || action.kind === "replace") jobs[action.key] = saveJob(action.desired, cwd, key);
  }
  const doc: PlanDocument = {
    ...planDocument(plan, toolVersion),
    digest_key: describeDigestKey(key),
    jobs,
    ...(studio === undefined ? {} : { studio }),
  };
  return { ...doc, seal: sealPlanDocument(doc, key) };
}

export interface WritePlanOptions {
  toolVersion: string;
  /** Local file paths are saved relative to it, and apply resolves them against its own. */
  cwd: string;
  /** The Studio token: with STUDIO_JOBS_PLAN_KEY from `env`, what keys the digests of sensitive values. */
  token: string | undefined;
  /** The Studio URL the plan was made against: recorded (without credentials), and checked by apply. */
  studioUrl: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Write `plan` to `path` (absolute) as a saved plan, with a fresh digest key; `shown` is the
 * path as the user gave it, for messages. What is at `path` is replaced: a file, or a
 * symbolic link (not what it points to); a directory is refused.
 */
export async function writePlanFile(path: string, plan: Plan, options: WritePlanOptions, shown: string = path): Promise<void> {
  const key = createDigestKey(options.token, options.env, randomBytes(16));
  const doc = savedPlanDocument(plan, options.toolVersion, options.cwd, key, studioLocation(options.studioUrl));
  await replaceFile(path, `${JSON.stringify(doc, null, 2)}\n`, shown);
}

async function replaceFile(path: string, text: string, shown: string): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory() === true) throw cannotSave(shown, "it is a directory");
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  // "wx": a name nobody else holds, created with the owner-only mode (an existing file would keep its own).
  const file = await open(temporary, "wx", 0o600).catch((error: unknown) => {
    throw cannotSave(shown, reasonOf(error, shown));
  });
  try {
    try {
      await file.writeFile(text, "utf8");
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw cannotSave(shown, reasonOf(error, shown));
  }
}

function cannotSave(shown: string, reason: string): UsageError {
  return new UsageError(
    `Cannot save the plan to ${shown}: ${reason}.`,
    "Give --out a file path in an existing directory you can write to.",
  );
}

/** Why a file could not be written, by the system's error code; its own message for anything unusual. */
const WRITE_ERRORS: Readonly<Record<string, (shown: string) => string>> = {
  ENOENT: (shown) => `the directory ${dirname(shown)} does not exist`,
  ENOTDIR: () => "a part of the path is not a directory",
  EISDIR: () => "it is a directory",
  EACCES: () => "permission denied",
  EPERM: () => "permission denied",
  EROFS: () => "the file system is read-only",
  ENOSPC: () => "no space is left on the device",
};

function reasonOf(error: unknown, shown: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : WRITE_ERRORS[code];
  if (reason !== undefined) return reason(shown);
  return error instanceof Error ? error.message : String(error);
}
