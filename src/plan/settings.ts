// A job's settings as a plan shows them, in the spec's own words: what a create or a
// replace will send (`after`) and what is live in Studio (`before`). Policy tools read
// them from `plan --format json`; the renderers show a create from them. A sensitive
// value is replaced by "(sensitive)" here, so nothing past this point can print it.

import {
  JOB_FIELDS,
  PLAN_FIELDS,
  type FieldName,
  type JobField,
  type JobValues,
  type LiveSource,
  type StudioKey,
} from "../desired/fields.js";
import { classify, isProtected, recordedSettings, type LiveJob } from "../identity/classify.js";
import { userEnvironment } from "../identity/markers.js";
import type { ClusterRef, DesiredJob } from "../desired/types.js";
import type { JobOutput } from "../studio/types.js";
import { SENSITIVE } from "../redact.js";
import { hasUrlCredentials } from "../url-credentials.js";
import { looksSecret, secretLookingValues } from "./secret-names.js";
import type { SecretFields } from "./types.js";

export interface FileSetting {
  name: string;
  sha256: string;
  /** Known for the files a plan uploads; a live job's record keeps names and digests only. */
  size?: number;
}

/** One setting's value as a plan shows it; "(sensitive)" for a sensitive one. */
export type SettingValue = string | number | boolean | string[] | { id: number } | FileSetting[] | { [name: string]: SettingValue };

/**
 * A job's settings in the spec's own words, keyed as in the spec (`schedule.cron` is
 * settings.schedule.cron). Which there are is the table of job fields' to say
 * (src/desired/fields.ts); query_type, query and protect are always there.
 */
export interface JobSettings {
  query_type: string;
  query: string;
  protect: boolean;
  [setting: string]: SettingValue | undefined;
}

export interface LiveSettings extends JobSettings {
  status: string;
  /** Settings Studio does not return and this job (made outside studio-jobs) has no record of. */
  unknown?: string[];
}

/** Each field's place in the settings: `schedule.cron` -> ["schedule", "cron"]. */
const SETTING_PATHS = new Map(PLAN_FIELDS.map((name) => [name, JOB_FIELDS[name].label.split(".")]));

/** A field's setting, or undefined when it is not there. */
export function settingAt(settings: JobSettings, field: FieldName): SettingValue | undefined {
  let at: SettingValue | undefined = settings as unknown as SettingValue;
  for (const part of SETTING_PATHS.get(field) ?? [])
    at = at !== null && typeof at === "object" && !Array.isArray(at) ? (at as Record<string, SettingValue>)[part] : undefined;
  return at;
}

function place(settings: Record<string, SettingValue>, field: FieldName, value: SettingValue): void {
  const path = SETTING_PATHS.get(field) ?? [];
  let at = settings;
  for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, SettingValue>;
  at[path[path.length - 1] ?? field] = value;
}

/** Nothing worth a setting: unset, empty text, no items. A 0 or a false is a value. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/**
 * Requirements as the lines Studio is sent, blank ones too (a plan lists every value it
 * sends): all but the empty line after a final line break, which every file has.
 */
function requirementLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** A value (as the spec resolves it, or as Studio returns it) as a setting; `hidden` says which fields to redact. */
function settingOf(field: JobField, value: unknown, hidden: (field: string) => boolean): SettingValue {
  if (field.shape !== "map" && hidden(field.label)) return SENSITIVE;
  switch (field.shape) {
    case "text":
    case "script":
    case "cron":
    case "flag":
      return value as string | number | boolean;
    case "cluster": {
      const ref = value as ClusterRef;
      return "id" in ref ? { id: ref.id } : ref.name;
    }
    case "lines":
      return requirementLines(String(value));
    case "files":
      return (value as JobValues["files"]).map((f) => ({ name: f.name, sha256: f.sha256, size: f.size }));
    case "map": {
      const map = value as Readonly<Record<string, string>>;
      return Object.fromEntries(
        Object.keys(map)
          .sort()
          .map((name) => [name, hidden(`${field.label}.${name}`) ? SENSITIVE : (map[name] ?? "")]),
      );
    }
    case "identity":
      throw new Error(`${field.label} is not a setting`);
    default:
      return field.shape satisfies never;
  }
}

/** A value as the STUDIO_JOBS_APPLIED record holds it, as a setting: files by name and digest, a digest as "(sensitive)". */
function recordedSetting(field: JobField, recorded: unknown, hidden: (field: string) => boolean): SettingValue {
  if (field.shape === "files") return (recorded as [string, string][]).map(([name, sha256]) => ({ name, sha256 }));
  if (recorded !== null && typeof recorded === "object" && "sensitive" in recorded) return SENSITIVE;
  return settingOf(field, recorded, hidden);
}

/** The settings a create or replace sends, sensitive values redacted. */
export function desiredSettings(job: DesiredJob): JobSettings {
  const hidden = (field: string) => job.sensitive.includes(field);
  const settings: Record<string, SettingValue> = {};
  for (const name of PLAN_FIELDS) {
    const field = JOB_FIELDS[name];
    const value = job.values[name];
    if (field.always === true || !isEmpty(value)) place(settings, name, settingOf(field, value, hidden));
  }
  return settings as JobSettings;
}

/**
 * Which fields of a live job are sensitive: those its record says came from ${env:...},
 * those the plan found holding a secret it knows (`secretFields`, fieldsHoldingSecrets()),
 * and, for a job made outside the stack (no
 * record at all), every variable whose name or value looks like a secret, and every text
 * that holds a URL's credentials or such a variable's value. What is sensitive is never
 * written to a plan file.
 */
export function liveSensitivity(job: LiveJob, desired?: DesiredJob, secretFields: SecretFields = []): (field: string) => boolean {
  const recorded = new Set(recordedSettings(job)?.sensitive ?? []);
  const env = job.record.environment ?? {};
  const unrecorded = job.kind !== "managed";
  const holding = new Set(secretFields);
  // A text of a job made elsewhere (the query, requirements, repository) that holds a URL's
  // credentials: what import keeps out of a spec is kept out of plans and plan files too.
  // So is one that holds the value of a variable that looks secret (a copy under a plain name, or in the query).
  const credentialed = new Set<string>();
  // Not the markers' values: a copy of the stack's job keeps STUDIO_JOBS_KEY, named like a key.
  const copies = unrecorded ? secretLookingValues(userEnvironment(env)) : [];
  const holdsCopy = (value: string) => copies.some((secret) => value.includes(secret));
  if (unrecorded) {
    for (const name of PLAN_FIELDS) {
      const field = JOB_FIELDS[name];
      if (field.live.from !== "studio" || field.live.key === "environment") continue;
      const value = studioValue(job.record, field.live.key);
      if (typeof value === "string" && (hasUrlCredentials(value) || holdsCopy(value))) credentialed.add(field.label);
    }
  }
  return (field) => {
    if (recorded.has(field) || desired?.sensitive.includes(field) === true || credentialed.has(field) || holding.has(field)) return true;
    if (!unrecorded || !field.startsWith("environment.")) return false;
    const name = field.slice("environment.".length);
    const value = env[name] ?? "";
    return looksSecret(name, value) || holdsCopy(value);
  };
}

/**
 * The fields of a live record whose value holds a secret the run knows (`holdsSecret`: the
 * token, a ${env:...} value; e.g. a credential once written into a query and now read from
 * the environment). What is sensitive is never written to a plan file.
 */
export function fieldsHoldingSecrets(record: JobOutput, holdsSecret: ((text: string) => boolean) | undefined): SecretFields {
  if (holdsSecret === undefined) return [];
  const fields: string[] = [];
  for (const name of PLAN_FIELDS) {
    const field = JOB_FIELDS[name];
    if (field.live.from !== "studio" || field.live.key === "environment") continue;
    const value = studioValue(record, field.live.key);
    if (typeof value === "string" && holdsSecret(value)) fields.push(field.label);
  }
  for (const [name, value] of Object.entries(record.environment ?? {})) if (holdsSecret(value)) fields.push(`environment.${name}`);
  return fields;
}

/** What is live: Studio's record, and for what it does not return, the record studio-jobs left on it. */
export function liveSettings(live: JobOutput, stack: string, desired?: DesiredJob, secretFields?: SecretFields): LiveSettings {
  const job = classify(live, stack);
  const hidden = liveSensitivity(job, desired, secretFields);
  const applied = recordedSettings(job);
  const settings: Record<string, SettingValue> = { status: live.status };
  const unknown: string[] = [];
  for (const name of PLAN_FIELDS) {
    const field = JOB_FIELDS[name];
    const source = field.live;
    switch (source.from) {
      case "studio": {
        const value = studioValue(live, source.key);
        const unset = isEmpty(value) || value === source.studioDefault;
        if (field.always === true || !unset) place(settings, name, settingOf(field, value ?? "", hidden));
        break;
      }
      case "record": {
        const recorded = field.record === undefined || applied === undefined ? undefined : applied[field.record];
        if (applied === undefined) unknown.push(field.label.split(".")[0] ?? field.label);
        else if (!isEmpty(recorded)) place(settings, name, recordedSetting(field, recorded, hidden));
        break;
      }
      case "marker":
        place(settings, name, markerValue(job, source.marker));
        break;
      default:
        return source satisfies never;
    }
  }
  if (unknown.length > 0) settings["unknown"] = [...new Set(unknown)];
  return settings as LiveSettings;
}

/** A field a marker of its own says, as classify read it from the record. */
export function markerValue(job: LiveJob, marker: Extract<LiveSource, { from: "marker" }>["marker"]): boolean {
  switch (marker) {
    case "protect":
      return isProtected(job);
    default:
      return marker satisfies never;
  }
}

/** A field as Studio returns it; the environment without the markers. */
export function studioValue(live: JobOutput, key: StudioKey): unknown {
  if (key === "environment") return userEnvironment(live.environment);
  return live[key] ?? undefined;
}
