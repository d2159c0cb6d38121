// What a spec resolves to: the jobs the stack wants, each ready to send.

import type { SourceLocation } from "../errors.js";
import type { JobInput, QueryType } from "../studio/types.js";
import type { JobValues } from "./fields.js";

export type ClusterRef = { name: string } | { id: number };
export type ReplaceStrategy = "create-first" | "cancel-first";

/** A local file uploaded with a job. */
export interface DesiredFile {
  /** The path as written in the spec. */
  path: string;
  absolute: string;
  /** The name it is uploaded under. */
  name: string;
  sha256: string;
  size: number;
}

/** What Studio does not return, recorded in the STUDIO_JOBS_APPLIED marker so a plan can diff it. */
export interface AppliedRecord {
  v: 1;
  query_type: QueryType;
  cron?: string;
  start_after?: string;
  cluster?: ClusterRef;
  priority?: number;
  /** A sensitive credentials name is recorded by digest only. */
  credentials?: string | { sensitive: string };
  files?: [name: string, sha256: string][];
  /** Fields whose values are sensitive, e.g. `environment.API_KEY`. */
  sensitive?: string[];
}

/** The settings a plan's errors point at. */
export type LocatedSetting = "cluster" | "workers";

/**
 * A job the spec wants, ready to send. Each field's value is stored once, in `values`; the
 * request body, the applied record and the fingerprint are derived from them (see
 * fields.ts), and the members below `values` are shorthands for some of them.
 * Made only by createDesiredJob (job.ts).
 */
export interface DesiredJob {
  readonly stack: string;
  readonly location: SourceLocation;
  /** Where a setting of the job is written (in its defaults, or a shared value it merges), else where the job is. */
  locate(setting: LocatedSetting): SourceLocation;
  readonly values: Readonly<JobValues>;
  readonly replace: ReplaceStrategy;
  /** Fields whose values came from ${env:...}, sorted: never printed or saved. */
  readonly sensitive: readonly string[];
  /** Each sensitive field as written, ${env:...} and all: a saved plan re-reads the value from it. */
  readonly sensitiveTemplates: Readonly<Record<string, string>>;
  /** The variables in force for this job (vars: and --var), to re-read templates with. */
  readonly vars: Readonly<Record<string, string>>;
  /** The body to send, markers included; apply adds the uploaded files' ids. */
  readonly input: JobInput;
  /** STUDIO_JOBS_FINGERPRINT. */
  readonly fingerprint: string;
  /** STUDIO_JOBS_APPLIED. */
  readonly applied: AppliedRecord;
  /** The job's name in Studio and its key in the spec. */
  readonly key: string;
  readonly team: string;
  /** The job's own environment, without markers. */
  readonly environment: Readonly<Record<string, string>>;
  readonly files: readonly DesiredFile[];
  readonly cluster: ClusterRef | undefined;
  readonly cron: string | undefined;
  readonly protect: boolean;
}

/** The result of resolving a spec: its stack, its jobs, and the teams it names. */
export interface ResolvedSpec {
  stack: string;
  jobs: DesiredJob[];
  /** Every team a job of the spec runs in, and every team under `teams:`. */
  teams: string[];
  /** The teams under `teams:`: covered by every plan, whatever the jobs record. */
  declaredTeams: string[];
  files: string[];
}
