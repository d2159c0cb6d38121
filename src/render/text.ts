// The plan as text for a terminal, Terraform-style: + create, -/+ replace, - cancel, ! conflict.

import type { PlanAction, Plan } from "../plan/types.js";
import { hasChanges } from "../plan/types.js";
import { actionHeadline, changeLines, createdFields, NO_CHANGES, summaryLine, visibleActions } from "./details.js";

const CODES = { green: 32, yellow: 33, red: 31, magenta: 35, bold: 1, dim: 2 } as const;
type Style = keyof typeof CODES;

export interface TextOptions {
  color: boolean;
}

export function renderPlanText(plan: Plan, options: TextOptions): string {
  const paint = (style: Style, text: string) => (options.color ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text);
  const out: string[] = [];
  const actions = visibleActions(plan);
  if (actions.length > 0) {
    out.push(`Stack ${plan.stack}, team${plan.teams.length === 1 ? "" : "s"} ${plan.teams.join(", ")}:`, "");
  }
  for (const action of actions) {
    const [symbol, style] = SYMBOLS[action.kind];
    out.push(`  ${paint(style, symbol.padEnd(3))} ${paint("bold", `${action.team}/${action.key}`)}  ${actionHeadline(action)}`);
    for (const line of detailLines(action, plan)) out.push(`        ${colorDiffLine(line, paint)}`);
  }
  if (actions.length > 0) out.push("");
  out.push(hasChanges(plan) ? paint("bold", summaryLine(plan.summary)) : NO_CHANGES);
  return `${out.join("\n")}\n`;
}

const SYMBOLS: Record<PlanAction["kind"], [string, Style]> = {
  create: ["+", "green"],
  replace: ["-/+", "yellow"],
  cancel: ["-", "red"],
  conflict: ["!", "magenta"],
  noop: [" ", "dim"],
};

function detailLines(action: PlanAction, plan: Plan): string[] {
  switch (action.kind) {
    case "create":
      return createdFields(action, plan);
    case "replace":
      return action.changes.length === 0
        ? ["(no visible field changed; the recorded fingerprint differs)"]
        : action.changes.flatMap(changeLines);
    case "cancel":
    case "conflict":
    case "noop":
      return [];
    default: {
      const never: never = action;
      return never;
    }
  }
}

function colorDiffLine(line: string, paint: (style: Style, text: string) => string): string {
  if (/^ {2}\+/.test(line)) return paint("green", line);
  if (/^ {2}-/.test(line)) return paint("red", line);
  if (/^ {2}@@/.test(line)) return paint("dim", line);
  return line;
}
