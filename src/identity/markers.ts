// The reserved environment keys that make a Studio job ours: written on every job the
// tool creates, and decoded here for classify.ts, the one reader of a listed record's
// markers, and for the wire checks that refuse a mangled one.

import type { AppliedRecord } from "../desired/types.js";
import { isTeamName } from "../studio/team-name.js";
import { setOwn } from "../own-property.js";

export const MARKER_PREFIX = "STUDIO_JOBS_";

export const MARKERS = {
  stack: "STUDIO_JOBS_STACK",
  key: "STUDIO_JOBS_KEY",
  fingerprint: "STUDIO_JOBS_FINGERPRINT",
  applied: "STUDIO_JOBS_APPLIED",
  protect: "STUDIO_JOBS_PROTECT",
  /** The teams the plan covered when the job was created; outside the fingerprint. */
  teams: "STUDIO_JOBS_TEAMS",
} as const;

/** The version of the applied record this tool writes, and the only one it reads. */
export const APPLIED_VERSION = 1;

export function encodeApplied(record: AppliedRecord): string {
  return Buffer.from(JSON.stringify(record), "utf8").toString("base64url");
}

/** The JSON inside a STUDIO_JOBS_APPLIED marker, unchecked; throws when it is not base64url-encoded JSON. */
export function decodeAppliedJson(text: string): unknown {
  return JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
}

/**
 * The applied record of a marker, or undefined when there is none, it does not decode, or
 * another version of the tool wrote it. Its fields are trusted: the wire checks refuse a
 * listed record whose applied record of this version does not fit AppliedRecord.
 */
export function decodeApplied(text: string | undefined): AppliedRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = decodeAppliedJson(text);
    return parsed !== null && typeof parsed === "object" && (parsed as { v?: unknown }).v === APPLIED_VERSION
      ? (parsed as AppliedRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

export function markerEnvironment(job: {
  stack: string;
  key: string;
  fingerprint: string;
  applied: AppliedRecord;
  protect: boolean;
}): Record<string, string> {
  return {
    [MARKERS.stack]: job.stack,
    [MARKERS.key]: job.key,
    [MARKERS.fingerprint]: job.fingerprint,
    [MARKERS.applied]: encodeApplied(job.applied),
    ...(job.protect ? { [MARKERS.protect]: "1" } : {}),
  };
}

/**
 * The teams marker of a record: a JSON array of team names. Anything else reads as no
 * teams; the marker only widens what a plan lists, so a bad one costs coverage, not safety.
 */
export function decodeTeams(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    // Only team names: a marker anyone with write access can set must not carry a line
    // break or a terminal escape into the warnings that name its teams.
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === "string" && isTeamName(t)) : [];
  } catch {
    return [];
  }
}

/**
 * JobInput.environment with the teams marker added: which teams the plan covered, so that
 * later plans list those teams too even when the spec no longer names them.
 */
export function withTeamsMarker(environment: string, teams: readonly string[]): string {
  const line = `${MARKERS.teams}=${JSON.stringify([...teams].sort())}`;
  return environment === "" ? line : `${environment}\n${line}`;
}

/** The environment without the markers: what the user wrote. */
export function userEnvironment(environment: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment ?? {})) {
    if (!key.startsWith(MARKER_PREFIX)) setOwn(out, key, value);
  }
  return out;
}

/** JobInput.environment: `KEY=VALUE` lines joined by `\n`, empty when none. */
export function formatEnvironment(environment: Readonly<Record<string, string>>): string {
  return Object.entries(environment)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
}
