// Digests of sensitive values in a saved plan. `apply plan.json` must refuse a plan whose
// ${env:...} values changed since it was made, so the file has to hold something derived
// from each value; but plan.json is a CI artifact that more people can read than the
// secrets, and a plain sha256 lets any of them confirm a guessed password offline.
//
// The digest is therefore an HMAC-SHA256 under a key the artifact does not contain:
//   key    = HMAC-SHA256(secret, "studio-jobs plan digest v2\0" + salt)
//   digest = HMAC-SHA256(key, field + "\0" + value)
// where `secret` is the Studio token (or STUDIO_JOBS_PLAN_KEY when set) and `salt` is
// random per plan and stored in the file.
//
// Why the token: plan and apply may run in different CI jobs on different runners, so a
// key kept on one runner's disk is gone when the other applies. Both steps hold the Studio
// token (they cannot talk to Studio without it), it is a random high-entropy string, and it
// is never written to the plan. Whoever holds the token can read the jobs' environments in
// Studio anyway, so the digests tell them nothing new. STUDIO_JOBS_PLAN_KEY is for teams
// that plan and apply with different tokens (a read-only one for pull requests): set the
// same value in both steps.
//
// Rejected: a key derived from the sensitive values themselves (a reader who guesses the
// values derives the key too: it is a plain hash in disguise); a slow hash without a key
// (only slows a guess of a weak password down, and CI-sized work factors buy little).
//
// The same key seals the whole saved plan (./seal.ts): an HMAC of everything in the file,
// under a key of its own derived from this one, so that a file edited after `plan --out`
// is refused by apply (docs/architecture.md, "The plan file").
//
// The salt makes the digests of the same value differ from plan to plan, so two artifacts
// do not show that a secret stayed the same. `check`, an HMAC of a fixed text, lets apply
// tell "made with another token" from "a value changed" (it confirms a guessed token only,
// and a Studio token is random: it cannot be guessed).

import { createHmac, timingSafeEqual } from "node:crypto";
import { UsageError } from "../errors.js";
import { MIN_PLAN_KEY_LENGTH, PLAN_KEY_VARIABLE } from "./plan-key.js";

export { PLAN_KEY_VARIABLE };

export type DigestKeySource = "token" | typeof PLAN_KEY_VARIABLE;

export interface DigestKey {
  source: DigestKeySource;
  /** Hex, random per plan; stored in the plan. */
  salt: string;
  key: Buffer;
}

/** What the plan file records of its key: enough to re-derive it, nothing to guess it from. */
export interface DigestKeyDocument {
  algorithm: "hmac-sha256";
  source: DigestKeySource;
  salt: string;
  check: string;
}

const CONTEXT = "studio-jobs plan digest v2\0";
const CHECK_TEXT = "studio-jobs plan key check";
const SEAL_CONTEXT = "studio-jobs plan seal v3";

function hmacHex(key: Buffer | string, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("hex");
}

/** STUDIO_JOBS_PLAN_KEY when set; refused when too short to be random. Checked before a plan is made. */
export function checkPlanKey(env: NodeJS.ProcessEnv): string | undefined {
  const planKey = env[PLAN_KEY_VARIABLE];
  if (planKey === undefined || planKey === "") return undefined;
  if (planKey.length < MIN_PLAN_KEY_LENGTH) {
    throw new UsageError(
      `${PLAN_KEY_VARIABLE} is ${planKey.length} characters long; it must be at least ${MIN_PLAN_KEY_LENGTH} random characters, as a saved plan's seal is only as strong as its key.`,
      "Make one with `openssl rand -hex 32` and keep it as a CI secret.",
    );
  }
  return planKey;
}

/** The secret digests are keyed with: STUDIO_JOBS_PLAN_KEY if set, else the Studio token. */
function digestSecret(token: string | undefined, env: NodeJS.ProcessEnv): { source: DigestKeySource; secret: string } | undefined {
  const planKey = checkPlanKey(env);
  if (planKey !== undefined) return { source: PLAN_KEY_VARIABLE, secret: planKey };
  if (token !== undefined && token !== "") return { source: "token", secret: token };
  return undefined;
}

export function deriveDigestKey(source: DigestKeySource, secret: string, salt: string): DigestKey {
  if (!/^[0-9a-f]{32,}$/.test(salt)) throw new UsageError("A plan's digest salt must be at least 16 random bytes in hex.");
  return {
    source,
    salt,
    key: createHmac("sha256", secret)
      .update(CONTEXT + salt, "utf8")
      .digest(),
  };
}

/** A new key for a plan about to be saved; `salt` comes from the caller (randomBytes(16)). */
export function createDigestKey(token: string | undefined, env: NodeJS.ProcessEnv, salt: Buffer): DigestKey {
  const found = digestSecret(token, env);
  if (found === undefined)
    throw new UsageError("A saved plan needs the Studio token (or STUDIO_JOBS_PLAN_KEY) to key its digests of sensitive values.");
  return deriveDigestKey(found.source, found.secret, salt.toString("hex"));
}

export function digestSensitive(key: DigestKey, field: string, value: string): string {
  return hmacHex(key.key, `${field}\0${value}`);
}

export function describeDigestKey(key: DigestKey): DigestKeyDocument {
  return { algorithm: "hmac-sha256", source: key.source, salt: key.salt, check: hmacHex(key.key, CHECK_TEXT) };
}

/** The seal of a saved plan's canonical text: keyed apart from the digests, so neither can stand for the other. */
export function sealDigest(key: DigestKey, text: string): string {
  return hmacHex(createHmac("sha256", key.key).update(SEAL_CONTEXT, "utf8").digest(), text);
}

/** Whether `key` is the key the plan was made with. */
export function isSameKey(key: DigestKey, recorded: DigestKeyDocument): boolean {
  return sameHex(hmacHex(key.key, CHECK_TEXT), recorded.check);
}

export function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}
