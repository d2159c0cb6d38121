// The plan as JSON, versioned and described by schema/plan.schema.json.

import { planDocument, type PlanDocument } from "../plan-file/document.js";
import type { Plan } from "../plan/types.js";
import { jsonForReaders } from "../invisible.js";

/**
 * A plan as `plan --format json` prints it. A saved plan (`show`) keeps its own
 * tool_version and is printed without what only apply needs (its jobs and digest key).
 */
export function renderPlanJson(plan: Plan | PlanDocument, toolVersion: string): string {
  const doc = "format_version" in plan ? plan : planDocument(plan, toolVersion);
  const { jobs: _jobs, digest_key: _digestKey, ...shown } = doc;
  return jsonForReaders(shown);
}
