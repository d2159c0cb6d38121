// The library entry point: what other programs and tests may import.

export { startEmulator, type EmulatorOptions, type RunningEmulator } from "./emulator/index.js";
export { createStudioClient, type StudioClient, type StudioClientOptions } from "./studio/client.js";
export { proxyFor, type ProxySetting } from "./studio/proxy.js";
export type { Cluster, JobInput, JobOutput, UploadedFile } from "./studio/types.js";
export { loadSpec, parseVarFlags } from "./desired/index.js";
export type { DesiredJob, ResolvedSpec } from "./desired/types.js";
export { computePlan } from "./plan/compute.js";
export { hasChanges, type Plan, type PlanAction, type PlanOptions } from "./plan/types.js";
export { renderPlanText } from "./render/text.js";
export { renderPlanMarkdown } from "./render/markdown.js";
export { renderPlanJson } from "./render/json.js";
export { applyPlan, type ApplyOptions } from "./apply/execute.js";
export type { ApplyResult, StepResult } from "./apply/types.js";
export { run } from "./cli/run.js";
export { StudioJobsError, SpecError, RemoteError, UsageError, PlanRefusedError, InterruptedError } from "./errors.js";
