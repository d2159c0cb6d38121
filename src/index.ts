// The library entry point: what other programs and tests may import.

export { startEmulator, type EmulatorConfig, type EmulatorOptions, type RunningEmulator } from "./emulator/index.js";
export {
  createStudioClient,
  type ListAllJobsQuery,
  type ListJobsQuery,
  type RetryEvent,
  type StudioClient,
  type StudioClientOptions,
} from "./studio/client.js";
export { proxyFor, type ProxySetting } from "./studio/proxy.js";
export type { Cluster, JobInput, JobOutput, UploadedFile } from "./studio/types.js";
export { loadSpec, parseVarFlags, type ResolveOptions } from "./desired/index.js";
export type { DesiredJob, ResolvedSpec } from "./desired/types.js";
export { computePlan } from "./plan/compute.js";
export { hasChanges, type Plan, type PlanAction, type PlanOptions, type PlanSummary } from "./plan/types.js";
export { renderPlanText, type TextOptions } from "./render/text.js";
export { renderPlanMarkdown } from "./render/markdown.js";
export { renderPlanJson } from "./render/json.js";
export { applyPlan, type ApplyOptions } from "./apply/execute.js";
export type { ApplyEvent, ApplyResult, StepResult, StepStatus } from "./apply/types.js";
export { run } from "./cli/run.js";
export type { CliIo } from "./cli/io.js";
export {
  StudioJobsError,
  SpecError,
  RemoteError,
  UsageError,
  PlanRefusedError,
  InterruptedError,
  type SourceLocation,
  type SpecIssue,
} from "./errors.js";
