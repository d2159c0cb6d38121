// STUDIO_JOBS_PLAN_KEY, what keys a saved plan instead of the Studio token (./secret-digest.ts):
// its name and the shortest value taken, on their own so that the CLI's start-up can hide the
// key in all output without loading the plan-file code.

export const PLAN_KEY_VARIABLE = "STUDIO_JOBS_PLAN_KEY";

/**
 * The shortest STUDIO_JOBS_PLAN_KEY taken. A plan file holds a check value of its key, so a
 * key someone could guess is found offline, and with it any edited plan sealed again: the
 * key must be random, like a token (`openssl rand -hex 32` makes 64 characters).
 */
export const MIN_PLAN_KEY_LENGTH = 32;

/** The plan key in `env` when it is long enough to be taken; a shorter one is refused where plans are made. */
export function usablePlanKey(env: NodeJS.ProcessEnv): string | undefined {
  const key = env[PLAN_KEY_VARIABLE];
  return key !== undefined && key.length >= MIN_PLAN_KEY_LENGTH ? key : undefined;
}
