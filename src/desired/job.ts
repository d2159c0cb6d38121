// createDesiredJob: the one way a DesiredJob is made, whether from the spec, from a saved
// plan or in a test. It keeps each field's value once and derives from the table of job
// fields what is sent (JobInput), what is recorded (STUDIO_JOBS_APPLIED) and the
// fingerprint, each on first use: `validate` needs none of them.

import type { SourceLocation } from "../errors.js";
import { computeJobFingerprint, credentialsDigest } from "../identity/fingerprint.js";
import { formatEnvironment, markerEnvironment } from "../identity/markers.js";
import type { JobInput } from "../studio/types.js";
import { FIELD_NAMES, JOB_FIELDS, fileDigests, type FieldName, type JobValues } from "./fields.js";
import type { AppliedRecord, DesiredJob, LocatedSetting, ReplaceStrategy } from "./types.js";

export interface DesiredJobParts {
  stack: string;
  values: JobValues;
  replace: ReplaceStrategy;
  /** Each sensitive field as written (`${env:...}`); its keys are the sensitive fields. */
  sensitiveTemplates: Readonly<Record<string, string>>;
  vars: Readonly<Record<string, string>>;
  /** Where the job is defined, or how to find it: locating may mean parsing a file again. */
  location: SourceLocation | (() => SourceLocation);
  /** Where a setting is written, when the job comes from a spec file; undefined when it sets none. */
  locateSetting?: (setting: LocatedSetting) => SourceLocation | undefined;
}

const NOTHING_SENSITIVE: readonly string[] = Object.freeze([]);

export function createDesiredJob(parts: DesiredJobParts): DesiredJob {
  return new ResolvedJob(parts);
}

class ResolvedJob implements DesiredJob {
  readonly stack: string;
  readonly values: Readonly<JobValues>;
  readonly replace: ReplaceStrategy;
  readonly sensitiveTemplates: Readonly<Record<string, string>>;
  readonly vars: Readonly<Record<string, string>>;
  readonly sensitive: readonly string[];
  #location: SourceLocation | (() => SourceLocation);
  readonly #locateSetting: DesiredJobParts["locateSetting"];
  #fingerprint: string | undefined;
  #applied: AppliedRecord | undefined;
  #input: JobInput | undefined;

  constructor(parts: DesiredJobParts) {
    this.stack = parts.stack;
    this.values = parts.values;
    this.replace = parts.replace;
    this.sensitiveTemplates = parts.sensitiveTemplates;
    this.vars = parts.vars;
    const sensitive = Object.keys(parts.sensitiveTemplates);
    this.sensitive = sensitive.length === 0 ? NOTHING_SENSITIVE : sensitive.sort();
    this.#location = parts.location;
    this.#locateSetting = parts.locateSetting;
  }

  get location(): SourceLocation {
    if (typeof this.#location === "function") this.#location = this.#location();
    return this.#location;
  }

  locate(setting: LocatedSetting): SourceLocation {
    return this.#locateSetting?.(setting) ?? this.location;
  }

  get fingerprint(): string {
    return (this.#fingerprint ??= computeJobFingerprint(this.values));
  }

  get applied(): AppliedRecord {
    return (this.#applied ??= appliedRecord(this.values, this.sensitive));
  }

  get input(): JobInput {
    this.#input ??= jobInput(
      this.values,
      markerEnvironment({ stack: this.stack, key: this.key, fingerprint: this.fingerprint, applied: this.applied, protect: this.protect }),
    );
    return this.#input;
  }

  get key(): string {
    return this.values.key;
  }
  get team(): string {
    return this.values.team;
  }
  get environment(): Readonly<Record<string, string>> {
    return this.values.environment;
  }
  get files(): JobValues["files"] {
    return this.values.files;
  }
  get cluster(): JobValues["cluster"] {
    return this.values.cluster;
  }
  get cron(): string | undefined {
    return this.values.cron;
  }
  get protect(): boolean {
    return this.values.protect;
  }
}

/** The create request, in table order: each field under its JobInput key(s), markers in the environment. */
export function jobInput(values: Readonly<JobValues>, markers: Readonly<Record<string, string>>): JobInput {
  const input: Partial<Record<keyof JobInput, unknown>> = {};
  for (const name of FIELD_NAMES) {
    const rule = JOB_FIELDS[name].sends;
    const value = values[name];
    if (typeof rule === "object") {
      if (value !== undefined) input[rule.as] = value;
      continue;
    }
    switch (rule) {
      case "cluster": {
        const ref = values.cluster;
        if (ref !== undefined) {
          if ("id" in ref) input.compute_cluster_id = ref.id;
          else input.compute_cluster_name = ref.name;
        }
        break;
      }
      case "environment":
        input.environment = formatEnvironment({ ...values.environment, ...markers });
        break;
      case "uploads":
      case "marker":
        break;
      default:
        return rule satisfies never;
    }
  }
  return input as JobInput;
}

/** What the markers of a job hold beside its JobInput: read back with it by readJobInput. */
export interface BesideInput {
  environment: Readonly<Record<string, string>>;
  files: JobValues["files"];
  protect: boolean;
}

/** A job's values from the body it sends (a saved plan keeps that body), the inverse of jobInput. */
export function readJobInput(input: Omit<JobInput, "environment">, beside: BesideInput): JobValues {
  const values: Partial<Record<FieldName, unknown>> = {};
  for (const name of FIELD_NAMES) {
    const rule = JOB_FIELDS[name].sends;
    if (typeof rule === "object") {
      values[name] = input[rule.as] ?? undefined;
      continue;
    }
    switch (rule) {
      case "cluster":
        values[name] =
          input.compute_cluster_id != null
            ? { id: input.compute_cluster_id }
            : input.compute_cluster_name != null
              ? { name: input.compute_cluster_name }
              : undefined;
        break;
      case "environment":
        values[name] = beside.environment;
        break;
      case "uploads":
        values[name] = beside.files;
        break;
      case "marker":
        values[name] = beside.protect;
        break;
      default:
        return rule satisfies never;
    }
  }
  return values as unknown as JobValues;
}

/**
 * STUDIO_JOBS_APPLIED: the fields the table records, in table order. A sensitive value is
 * recorded by digest only; no files is no entry.
 */
export function appliedRecord(values: Readonly<JobValues>, sensitive: readonly string[]): AppliedRecord {
  const record: Record<string, unknown> = { v: 1 };
  for (const name of FIELD_NAMES) {
    const field = JOB_FIELDS[name];
    const value = values[name];
    if (field.record === undefined || value === undefined) continue;
    if (field.shape === "files") {
      const files = value as JobValues["files"];
      if (files.length > 0) record[field.record] = fileDigests(files);
    } else if (sensitive.includes(field.label)) {
      record[field.record] = { sensitive: credentialsDigest(value as string) };
    } else {
      record[field.record] = value;
    }
  }
  if (sensitive.length > 0) record["sensitive"] = [...sensitive];
  return record as unknown as AppliedRecord;
}
