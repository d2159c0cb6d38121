// The plan as JSON, versioned and described by schema/plan.schema.json.

import { planDocument, type PlanDocument } from "../plan-file/document.js";
import { checkPlanArgument, type Plan } from "../plan/types.js";
import { jsonForReaders } from "../invisible.js";

/**
 * A plan as `plan --format json` prints it: without a saved plan's jobs and digest key, which
 * only apply needs. `show --format json` prints a saved plan's own document instead, with its
 * seal, digest key and Studio location: how the plan was sealed, and where it was made.
 */
export function renderPlanJson(plan: Plan | PlanDocument, toolVersion: string): string {
  checkPlanArgument("renderPlanJson", plan);
  const doc = "format_version" in plan ? plan : planDocument(plan, toolVersion);
  const { jobs: _jobs, digest_key: _digestKey, ...shown } = doc;
  return jsonForReaders(shown);
}
