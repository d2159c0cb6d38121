// Canonical JSON and digests: the same resolved job always hashes the same,
// whatever the key order or formatting of the YAML it came from.

import { FIELD_NAMES, JOB_FIELDS, fileDigests, type JobValues } from "../desired/fields.js";
import { createSha256, sha256Hex } from "./sha256.js";

export { createSha256, sha256Hex };

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

// Every field of the table, by name, in the order canonicalJson sorts keys.
const FINGERPRINT_ORDER = FIELD_NAMES.map((name) => ({ name, prefix: `${JSON.stringify(name)}:` })).sort((a, b) =>
  a.name < b.name ? -1 : 1,
);

/**
 * STUDIO_JOBS_FINGERPRINT: sha256 of the canonical JSON of every field of the table (files
 * by name and digest; unset fields left out). The spec resolves it, and a saved plan
 * recomputes it on apply. Written out here rather than through canonicalJson of an object
 * made for it: the same bytes, for a cost that counts over 10,000 jobs.
 */
export function computeJobFingerprint(values: Readonly<JobValues>): string {
  let out = "{";
  for (const { name, prefix } of FINGERPRINT_ORDER) {
    const value = values[name];
    if (value === undefined) continue;
    out += `${out.length > 1 ? "," : ""}${prefix}${canonicalJson(JOB_FIELDS[name].shape === "files" ? fileDigests(value as JobValues["files"]) : value)}`;
  }
  return sha256Hex(`${out}}`);
}

/** How a sensitive credentials name is recorded in STUDIO_JOBS_APPLIED. */
export function credentialsDigest(credentials: string): string {
  return sha256Hex(credentials).slice(0, 16);
}
