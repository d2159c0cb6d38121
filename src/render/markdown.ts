// The plan as Markdown for a pull-request comment: a summary table, then one collapsible
// section per changed job, kept under a size GitHub accepts.

import type { PlanAction, Plan } from "../plan/types.js";
import { hasChanges } from "../plan/types.js";
import { actionHeadline, changeLines, createdFields, NO_CHANGES, summaryLine, visibleActions } from "./details.js";

/** GitHub refuses comments over 65,536 characters; stay well below. */
export const MARKDOWN_LIMIT = 60_000;

const ICONS: Record<PlanAction["kind"], string> = {
  create: "➕",
  replace: "🔄",
  cancel: "➖",
  conflict: "⚠️",
  noop: "",
};

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function fence(lines: readonly string[]): string {
  const body = lines.join("\n");
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}diff\n${body}\n${ticks}`;
}

function section(action: PlanAction, plan: Plan): string | undefined {
  let lines: string[];
  switch (action.kind) {
    case "create":
      lines = createdFields(action, plan).map((l) => `+ ${l}`);
      break;
    case "replace":
      lines = action.changes.flatMap(changeLines).map((l) => (/^ {2}[+-]/.test(l) ? l.slice(2) : `  ${l}`));
      break;
    case "cancel":
    case "conflict":
    case "noop":
      return undefined;
    default: {
      const never: never = action;
      return never;
    }
  }
  const summary = `<code>${action.team}/${action.key}</code>: ${escapeHtml(actionHeadline(action))}`;
  return `<details><summary>${summary}</summary>\n\n${fence(lines)}\n\n</details>\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function renderPlanMarkdown(plan: Plan, limit = MARKDOWN_LIMIT): string {
  // A hidden, stable first line: CI finds its earlier comment for the stack by it and updates it.
  const head = [`<!-- studio-jobs-plan: ${plan.stack} -->`, `### studio-jobs plan for stack \`${plan.stack}\``, ""];
  if (!hasChanges(plan) && plan.summary.conflict === 0) {
    return `${[...head, NO_CHANGES].join("\n")}\n`;
  }
  head.push(`**${summaryLine(plan.summary)}**`, "");
  const actions = visibleActions(plan);
  const table = ["| | job | team | action |", "|---|---|---|---|"];
  for (const a of actions) table.push(`| ${ICONS[a.kind]} | \`${escapeCell(a.key)}\` | ${escapeCell(a.team)} | ${escapeCell(actionHeadline(a))} |`);
  const errors = plan.errors.length > 0 ? ["", "**Errors — this plan cannot be applied:**", ...plan.errors.map((e) => `- ${e}`)] : [];

  let out = `${[...head, ...table, ...errors].join("\n")}\n\n`;
  const sections = actions.map((a) => section(a, plan)).filter((s): s is string => s !== undefined);
  let shown = 0;
  const noteRoom = 200;
  for (const text of sections) {
    if (out.length + text.length + noteRoom > limit) break;
    out += text;
    shown += 1;
  }
  if (shown < sections.length) {
    out += `\n_${sections.length - shown} of ${sections.length} job details were left out to keep this comment under ${limit} characters; run \`studio-jobs plan\` for all of them._\n`;
  }
  if (out.length > limit) {
    // The table alone is too long: cut it and say so.
    const note = `\n\n_The plan was cut to ${limit} characters; run \`studio-jobs plan\` for all of it._\n`;
    out = out.slice(0, limit - note.length) + note;
  }
  return out;
}
