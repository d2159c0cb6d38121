// The library entry point: what other programs and tests may import.

export { startEmulator, type EmulatorOptions, type RunningEmulator } from "./emulator/index.js";
export { createStudioClient, type StudioClient, type StudioClientOptions } from "./studio/client.js";
export type { Cluster, JobInput, JobOutput, UploadedFile } from "./studio/types.js";
export { StudioJobsError, SpecError, RemoteError, UsageError, PlanRefusedError } from "./errors.js";
