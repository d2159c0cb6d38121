// The plan as text for a terminal, Terraform-style: + create, -/+ replace, - cancel, ! conflict.

import type { PlanDocument } from "../plan-file/document.js";
import type { Plan, PlanAction } from "../plan/types.js";
import { printable } from "../invisible.js";
import { actionHeadline, detailLines, isEmptyPlan, noChangesLine, shownPlan, summaryLine, targetNote, type Head } from "./details.js";
import { teamsNamed } from "../word-lists.js";

const CODES = { green: 32, yellow: 33, red: 31, magenta: 35, bold: 1, dim: 2 } as const;
type Style = keyof typeof CODES;

export interface TextOptions {
  color: boolean;
  /** Cuts a query's preview: the CLI passes the run's redactHead (see Head). */
  cut?: Head | undefined;
}

/** A plan as it was computed, or as saved (`show`). Errors and warnings are the caller's to print. */
export function renderPlanText(plan: Plan | PlanDocument, options: TextOptions = { color: false }): string {
  const { doc, actions, movedTo } = shownPlan("renderPlanText", plan);
  const paint = (style: Style, text: string) => (options.color ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text);
  const out: string[] = [];
  if (actions.length > 0) {
    out.push(`Stack ${printable(doc.stack)}, ${printable(teamsNamed(doc.teams))}:`, "");
  }
  for (const action of actions) {
    const [symbol, style] = SYMBOLS[action.kind];
    out.push(
      `  ${paint(style, symbol.padEnd(3))} ${paint("bold", printable(`${action.team}/${action.key}`))}  ${printable(actionHeadline(action, undefined, movedTo))}`,
    );
    for (const line of detailLines(action, doc, options.cut)) out.push(`        ${colorDiffLine(printable(line), paint)}`);
  }
  if (actions.length > 0) out.push("");
  const targeted = targetNote(doc, (key) => printable(key));
  out.push(
    isEmptyPlan(doc)
      ? noChangesLine(doc.teams.map(printable), targeted !== undefined)
      : paint("bold", summaryLine(doc.summary, doc.errors.length)),
  );
  if (targeted !== undefined) out.push(targeted);
  return `${out.join("\n")}\n`;
}

const SYMBOLS: Record<PlanAction["kind"], [string, Style]> = {
  create: ["+", "green"],
  replace: ["-/+", "yellow"],
  cancel: ["-", "red"],
  conflict: ["!", "magenta"],
  noop: [" ", "dim"],
};

function colorDiffLine(line: string, paint: (style: Style, text: string) => string): string {
  if (/^ {2}\+/.test(line)) return paint("green", line);
  if (/^ {2}-/.test(line)) return paint("red", line);
  if (/^ {2}@@/.test(line)) return paint("dim", line);
  return line;
}
