// The plan as JSON, versioned and described by schema/plan.schema.json.

import { planDocument } from "../plan/document.js";
import type { Plan } from "../plan/types.js";

export function renderPlanJson(plan: Plan, toolVersion: string): string {
  return `${JSON.stringify(planDocument(plan, toolVersion), null, 2)}\n`;
}
