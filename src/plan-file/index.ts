// The saved-plan file, as the commands use it: `plan --out` writes one, `show` reads one,
// `apply FILE` reads, checks and restores one. The format, its versions and the steps are
// described in docs/architecture.md, "The plan file".

export { PLAN_FORMAT_VERSION, type PlanDocument } from "./document.js";
export { checkPlanPathWritable, studioLocation, writePlanFile, type WritePlanOptions } from "./write.js";
export { isPlanFile, isSavedPlanFile, readPlanFile } from "./read.js";
export { isPlanPath } from "./plan-path.js";
export { checkPlanStack } from "./stack.js";
export { planOutCommand, unlockPlanFile, verifyPlanFile, type PlanCheckContext } from "./verify.js";
export { restorePlan } from "./restore.js";
export { checkPlanKey } from "./secret-digest.js";
