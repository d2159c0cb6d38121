// `plan --out FILE`: the plan as a document, plus every job its creates and replaces send,
// written readable by its owner only (it names jobs and settings, though no secret), whole
// or not at all (src/replace-file.ts).

import { randomBytes } from "node:crypto";
import { UsageError } from "../errors.js";
import { jsonForReaders } from "../invisible.js";
import type { Plan } from "../plan/types.js";
import { planDocument, type PlanDocument, type SavedJob } from "./document.js";
import { saveJob } from "./saved-job.js";
import { sealPlanDocument } from "./seal.js";
import { replaceFile, ReplaceFileError, whyNotReplaceable } from "../replace-file.js";
import { createDigestKey, describeDigestKey, type DigestKey } from "./secret-digest.js";
import { PLAN_KEY_VARIABLE, usablePlanKey } from "./plan-key.js";
import { createRedactor } from "../redact.js";
import { studioBase } from "../studio/url.js";
import { hasUrlCredentials, urlSecrets } from "../url-credentials.js";

/**
 * Studio's place as a plan records it and apply compares it: origin and base path, without
 * credentials (a password in --url is never written) or a trailing slash.
 */
export function studioLocation(url: string): string {
  return studioBase(new URL(url));
}

/**
 * The saved plan: the document plus every job that a create or replace sends, sealed with `key`;
 * `studio` from studioLocation(). `redact` hides the run's secrets in what quotes Studio
 * (each job's url, the warnings and errors, which name jobs and ids as Studio sent them):
 * the file is written, not printed, so the output's redactor never sees it.
 */
export function savedPlanDocument(
  plan: Plan,
  toolVersion: string,
  cwd: string,
  key: DigestKey,
  studio?: string,
  redact: (text: string) => string = (text) => text,
  specPaths: readonly string[] = [],
): PlanDocument {
  const jobs: Record<string, SavedJob> = {};
  for (const action of plan.actions) {
    if (action.kind === "create" || action.kind === "replace") jobs[action.key] = saveJob(action.desired, cwd, key);
  }
  const shown = planDocument(plan, toolVersion);
  const doc: PlanDocument = {
    ...shown,
    // Only shown (apply acts by job id), and a server may echo the token or a value it was
    // sent in any: hidden like everything printed, before the seal covers them.
    errors: shown.errors.map(redact),
    warnings: shown.warnings.map(redact),
    actions: shown.actions.map((action) => (action.job_url === undefined ? action : { ...action, job_url: redact(action.job_url) })),
    digest_key: describeDigestKey(key),
    jobs,
    spec_paths: specPaths.map(redact),
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
  /** The spec paths the plan was made from, as given: recorded for the hints of a stale plan. */
  specPaths?: readonly string[];
  /** The Studio URL the plan was made against: recorded (without credentials), and checked by apply. */
  studioUrl: string;
  env: NodeJS.ProcessEnv;
  /** The run's redactor: what Studio sent is written with the run's secrets hidden, as it is printed. */
  redact?: (text: string) => string;
  /**
   * Asked once the document is made (for a large plan, the most of the time a save takes),
   * just before anything is written: true (a stop was asked for) leaves the path as it was.
   */
  stopped?: () => Promise<boolean>;
}

/**
 * Write `plan` to `path` (absolute) as a saved plan, with a fresh digest key; `shown` is the
 * path as the user gave it, for messages. What is at `path` is replaced: a file, or a
 * symbolic link (not what it points to); a directory is refused. False when `stopped` said
 * to stop: nothing was written.
 */
export async function writePlanFile(path: string, plan: Plan, options: WritePlanOptions, shown: string = path): Promise<boolean> {
  const key = createDigestKey(options.token, options.env, randomBytes(16));
  const doc = savedPlanDocument(
    plan,
    options.toolVersion,
    options.cwd,
    key,
    studioLocation(options.studioUrl),
    options.redact,
    options.specPaths,
  );
  // Written so that the file reads as what apply sends: readPlanFile refuses these characters as themselves.
  const text = jsonForReaders(doc);
  refuseCredentials(doc, text, options, shown);
  if (options.stopped !== undefined && (await options.stopped())) return false;
  await writeWhole(path, text, shown);
  return true;
}

/**
 * A saved plan never holds the run's credentials: the token, STUDIO_JOBS_PLAN_KEY (which
 * would let any reader seal an edited plan) or the URL's password. A spec's own values are
 * saved as they are, so one written into the spec or passed with --var (`--var
 * token=$DATACHAIN_STUDIO_TOKEN`) would be; the plan is refused instead, naming where. A
 * ${env:...} value is saved only as a keyed digest, and Studio's words are redacted already.
 */
function refuseCredentials(doc: PlanDocument, text: string, options: WritePlanOptions, shown: string): void {
  // Each looked for as the run's redactor looks for it (src/cli/run.ts, connect.ts): the token and plan key also as a header's base64.
  const credentials: [string, string | undefined, boolean][] = [
    ["the Studio token", options.token, true],
    [PLAN_KEY_VARIABLE, usablePlanKey(options.env), true],
    ...urlSecrets(options.studioUrl).map((secret): [string, string, boolean] => ["the password of the Studio URL", secret, false]),
  ];
  for (const [what, secret, header] of credentials) {
    const finder = createRedactor();
    finder.addSecret(secret, { header });
    if (!finder.holds(text)) continue;
    // Where, named by the first of the saved jobs (what the spec sends) that holds it. Only
    // there: a credential reaches a plan only through the spec's values or --var (Studio's
    // words are redacted already), and a short password (https://studio:studio@...) is
    // found by chance in the plan's own words: the spec's file name, the Studio's host.
    const where = pathHolding({ jobs: doc.jobs }, finder.holds);
    if (where === undefined) continue;
    throw new UsageError(
      `Cannot save the plan to ${shown}: ${where} holds ${what}, and a saved plan never stores a credential. Nothing was saved.`,
      "Give the job that value through the environment, as ${env:NAME} in the spec (a saved plan keeps only a keyed digest of it), not written in the spec or passed with --var.",
    );
  }
  // A URL's credentials written in the spec (`https://user:token@host/`), which every output
  // shows as *** (src/url-credentials.ts): stored no more than printed. One read from
  // ${env:...} is sensitive: a saved job holds it blank, and its template (`https://u:${env:PW}@db`),
  // which names the variable, is not searched.
  const jobs = Object.fromEntries(Object.entries(doc.jobs ?? {}).map(([key, job]): [string, SavedJob] => [key, { ...job, sensitive: {} }]));
  const where = pathHolding({ jobs }, hasUrlCredentials);
  if (where !== undefined) {
    throw new UsageError(
      `Cannot save the plan to ${shown}: ${where} holds a URL's credentials, and a saved plan never stores a credential. Nothing was saved.`,
      "Give them through the environment, as ${env:NAME} in the URL (https://${env:REPO_TOKEN}@host/...): a saved plan keeps only a keyed digest of it.",
    );
  }
}

/**
 * Fields that hold a digest or a Studio id, never a value of the spec: a short credential
 * (hex digits, say) may stand in one by chance. `files` is applied's [name, sha256] pairs.
 */
const DIGEST_FIELDS = new Set(["remote_digest", "seal", "salt", "check", "fingerprint", "sha256", "digest", "job_id", "job_url"]);

/**
 * The dotted path (`jobs.nightly.environment.TOKEN`) of the first string in `value` that
 * `holds` says yes to, but for the digests and ids above; `field` is the nearest object key
 * that the tool names.
 */
function pathHolding(value: unknown, holds: (text: string) => boolean, path = "", field = ""): string | undefined {
  if (typeof value === "string")
    return holds(value) && !DIGEST_FIELDS.has(field) && !(field === "files" && /^[0-9a-f]{64}$/.test(value)) ? path : undefined;
  if (value === null || typeof value !== "object") return undefined;
  const array = Array.isArray(value);
  for (const [key, item] of Object.entries(value)) {
    // The keys of a job's environment and vars are the spec's names, whatever they say.
    const named = array ? field : field === "environment" || field === "vars" ? "" : key;
    // Where in the spec the job is written (its file's name), not a value of it; and its team,
    // which the plan's `teams` hold anyway and no ${env:...} could carry instead.
    if (named === "location" || named === "team" || named === "team_name") continue;
    const found = pathHolding(item, holds, path === "" ? key : `${path}.${key}`, named);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function writeWhole(path: string, text: string, shown: string): Promise<void> {
  try {
    await replaceFile(path, text, { mode: 0o600, exclusive: false, shown });
  } catch (error) {
    if (!(error instanceof ReplaceFileError)) throw error;
    throw cannotSave(shown, error);
  }
}

function cannotSave(shown: string, error: ReplaceFileError): UsageError {
  return new UsageError(
    `Cannot save the plan to ${shown}: ${error.reason}.`,
    "Give --out a file path in an existing directory you can write to.",
  );
}

/**
 * Refuse, before the plan is made, a path writePlanFile would refuse at the end: a directory
 * or what is no regular file at `path` (absolute), or a directory to write in that is missing
 * or not writable. Said as writePlanFile says it.
 */
export async function checkPlanPathWritable(path: string, shown: string): Promise<void> {
  const refused = await whyNotReplaceable(path, { exclusive: false, shown });
  if (refused !== undefined) throw cannotSave(shown, refused);
}
