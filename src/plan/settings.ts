// A job's settings as a plan shows them, in the spec's own words: what a create or a
// replace will send (`after`) and what is live in Studio (`before`). Policy tools read
// them from `plan --format json`; the renderers show a create from them. A sensitive
// value is replaced by "(sensitive)" here, so nothing past this point can print it.

import { classify, isProtected, recordedSettings, type LiveJob } from "../identity/classify.js";
import { userEnvironment } from "../identity/markers.js";
import type { ClusterRef, DesiredJob } from "../desired/types.js";
import type { JobOutput } from "../studio/types.js";
import { looksSecret } from "./secret-names.js";

export const SENSITIVE = "(sensitive)";

export interface JobSettings {
  query_type: string;
  query: string;
  schedule?: { cron?: string; start_after?: string };
  /** A cluster name, or `{id}`, as in the spec. */
  cluster?: string | { id: number };
  workers?: number;
  priority?: number;
  python_version?: string;
  /** One requirement a line; "(sensitive)" when it came from ${env:...}. */
  requirements?: string[] | typeof SENSITIVE;
  credentials?: string;
  repository?: string;
  files?: { name: string; sha256: string; size?: number }[];
  environment?: Record<string, string>;
  protect: boolean;
}

export interface LiveSettings extends JobSettings {
  status: string;
  /** Settings Studio does not return and this job (made outside studio-jobs) has no record of. */
  unknown?: string[];
}

/** What Studio does not return: only a job studio-jobs made records them. */
const UNRETURNED_FIELDS = ["schedule", "cluster", "priority", "credentials", "files"] as const;

function clusterSetting(ref: ClusterRef): string | { id: number } {
  return "id" in ref ? { id: ref.id } : ref.name;
}

function requirementLines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined && value !== "";
}

/** The settings a create or replace sends, sensitive values redacted. */
export function desiredSettings(job: DesiredJob): JobSettings {
  const input = job.input;
  const hide = (field: string, value: string) => (job.sensitive.includes(field) ? SENSITIVE : value);
  const settings: JobSettings = { query_type: input.query_type, query: hide("query", input.query), protect: job.protect };
  if (job.cron !== undefined || present(input.start_after)) {
    settings.schedule = {
      ...(job.cron === undefined ? {} : { cron: job.cron }),
      ...(present(input.start_after) ? { start_after: input.start_after } : {}),
    };
  }
  if (job.cluster !== undefined) settings.cluster = clusterSetting(job.cluster);
  if (present(input.workers)) settings.workers = input.workers;
  if (present(input.priority)) settings.priority = input.priority;
  if (present(input.python_version)) settings.python_version = hide("python_version", input.python_version);
  if (present(input.requirements)) {
    settings.requirements = job.sensitive.includes("requirements") ? SENSITIVE : requirementLines(input.requirements);
  }
  if (present(input.credentials_name)) settings.credentials = hide("credentials", input.credentials_name);
  if (present(input.repository)) settings.repository = hide("repository", input.repository);
  if (job.files.length > 0) settings.files = job.files.map((f) => ({ name: f.name, sha256: f.sha256, size: f.size }));
  const names = Object.keys(job.environment).sort();
  if (names.length > 0) settings.environment = Object.fromEntries(names.map((name) => [name, hide(`environment.${name}`, job.environment[name] ?? "")]));
  return settings;
}

/**
 * Which fields of a live job are sensitive: those its record says came from ${env:...},
 * those the spec now takes from ${env:...}, and, for a job made outside the stack
 * (no record at all), every variable whose name or value looks like a secret.
 */
export function liveSensitivity(job: LiveJob, desired?: DesiredJob): (field: string) => boolean {
  const recorded = new Set(recordedSettings(job)?.sensitive ?? []);
  const env = job.record.environment ?? {};
  const unrecorded = job.kind !== "managed";
  return (field) => {
    if (recorded.has(field) || desired?.sensitive.includes(field) === true) return true;
    if (!unrecorded || !field.startsWith("environment.")) return false;
    const name = field.slice("environment.".length);
    return looksSecret(name, env[name] ?? "");
  };
}

/** What is live: Studio's record, and for what it does not return, the record studio-jobs left on it. */
export function liveSettings(live: JobOutput, stack: string, desired?: DesiredJob): LiveSettings {
  const job = classify(live, stack);
  const sensitive = liveSensitivity(job, desired);
  const hide = (field: string, value: string) => (sensitive(field) ? SENSITIVE : value);
  const settings: LiveSettings = { status: live.status, query_type: live.query_type, query: hide("query", live.query), protect: isProtected(job) };
  if (live.workers !== 1) settings.workers = live.workers;
  if (present(live.python_version)) settings.python_version = hide("python_version", live.python_version);
  if (present(live.requirements)) settings.requirements = sensitive("requirements") ? SENSITIVE : requirementLines(live.requirements);
  if (present(live.repository)) settings.repository = hide("repository", live.repository);
  const env = userEnvironment(live.environment);
  const names = Object.keys(env).sort();
  if (names.length > 0) settings.environment = Object.fromEntries(names.map((name) => [name, hide(`environment.${name}`, env[name] ?? "")]));

  const applied = recordedSettings(job);
  if (applied === undefined) {
    settings.unknown = [...UNRETURNED_FIELDS];
    return settings;
  }
  if (applied.cron !== undefined || applied.start_after !== undefined) {
    settings.schedule = {
      ...(applied.cron === undefined ? {} : { cron: applied.cron }),
      ...(applied.start_after === undefined ? {} : { start_after: applied.start_after }),
    };
  }
  if (applied.cluster !== undefined) settings.cluster = clusterSetting(applied.cluster);
  if (applied.priority !== undefined) settings.priority = applied.priority;
  if (applied.credentials !== undefined) settings.credentials = typeof applied.credentials === "string" ? applied.credentials : SENSITIVE;
  if (applied.files !== undefined && applied.files.length > 0) settings.files = applied.files.map(([name, sha256]) => ({ name, sha256 }));
  return settings;
}
