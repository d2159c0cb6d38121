// Canonical JSON and digests: the same resolved job always hashes the same,
// whatever the key order or formatting of the YAML it came from.

import { createHash } from "node:crypto";
import type { ClusterRef } from "../desired/types.js";

/** JSON with object keys sorted at every level and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonicalJson(value[i] === undefined ? null : value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Plain code-unit order, the same on every machine (no locale).
  const keys = Object.keys(record).sort();
  let out = "{";
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Everything a job's fingerprint covers. Every member is required, so that a new setting
 * does not compile until it is decided here; `undefined` members are left out of the hash.
 */
export interface FingerprintFields {
  team: string;
  key: string;
  query: string;
  query_type: string;
  environment: Readonly<Record<string, string>>;
  workers: number | undefined;
  python_version: string | undefined;
  requirements: string | undefined;
  repository: string | undefined;
  priority: number | undefined;
  cluster: ClusterRef | undefined;
  credentials: string | undefined;
  cron: string | undefined;
  start_after: string | undefined;
  files: [name: string, sha256: string][];
  protect: boolean;
}

/** STUDIO_JOBS_FINGERPRINT: the spec resolves it, and a saved plan recomputes it on apply. */
export function computeJobFingerprint(fields: FingerprintFields): string {
  return sha256Hex(canonicalJson(fields));
}

/** How a sensitive credentials name is recorded in STUDIO_JOBS_APPLIED. */
export function credentialsDigest(credentials: string): string {
  return sha256Hex(credentials).slice(0, 16);
}
