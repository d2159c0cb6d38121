// What a spec resolves to: the jobs the stack wants, each ready to send.

import type { SourceLocation } from "../errors.js";
import type { JobInput, QueryType } from "../studio/types.js";

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

export interface DesiredJob {
  /** The job's name in Studio and its key in the spec. */
  key: string;
  team: string;
  stack: string;
  location: SourceLocation;
  /** The body to send, markers included; `files` is filled in with ids after upload. */
  input: JobInput;
  /** The job's own environment, without markers. */
  environment: Record<string, string>;
  files: DesiredFile[];
  cluster: ClusterRef | undefined;
  cron: string | undefined;
  protect: boolean;
  replace: ReplaceStrategy;
  /** Fields whose values came from ${env:...}: never printed or saved. */
  sensitive: string[];
  /** Each sensitive field as written, ${env:...} and all: a saved plan re-reads the value from it. */
  sensitiveTemplates: Record<string, string>;
  /** The variables in force for this job (vars: and --var), to re-read templates with. */
  vars: Record<string, string>;
  fingerprint: string;
  applied: AppliedRecord;
}

/** The result of resolving a spec: its stack, its jobs, and the teams it names. */
export interface ResolvedSpec {
  stack: string;
  jobs: DesiredJob[];
  /** Every team a job of the spec runs in. */
  teams: string[];
  files: string[];
}
