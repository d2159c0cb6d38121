// The plan as Markdown for a pull-request comment: a summary table, then one collapsible
// section per changed job, kept under a size GitHub accepts. Job names, teams and ids come
// from the spec and from Studio: they are escaped wherever they appear, so that a name
// can neither break the table nor put HTML, links or @-mentions into the comment.

import type { ActionDocument, PlanDocument } from "../plan-file/document.js";
import type { Plan, PlanAction } from "../plan/types.js";
import { printable } from "../invisible.js";
import { actionHeadline, changeLines, createdFields, isEmptyPlan, NO_CHANGES, shownPlan, summaryLine } from "./details.js";

/** GitHub refuses comments over 65,536 characters; stay well below (a caller may add a line or two). */
export const MARKDOWN_LIMIT = 60_000;

const ICONS: Record<PlanAction["kind"], string> = {
  create: "➕",
  replace: "🔄",
  cancel: "➖",
  conflict: "⚠️",
  noop: "",
};

/**
 * Text shown as itself anywhere in GitHub Markdown, table cells and inline HTML included:
 * each character Markdown or HTML could act on becomes a character reference, which
 * renders as the character and is never markup (nor a table's `|`, nor an emoji `:x:`).
 */
export function escapeMarkdown(text: string): string {
  return printable(text).replace(/[&<>`|\\*_[\]~$:@#!]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A name in code style; `<code>` rather than backticks, which a name may contain. */
function code(text: string): string {
  return `<code>${escapeMarkdown(text)}</code>`;
}

function fence(lines: readonly string[]): string {
  const body = lines.map(printable).join("\n");
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}diff\n${body}\n${ticks}`;
}

function section(action: ActionDocument, doc: PlanDocument): string | undefined {
  let lines: string[];
  switch (action.kind) {
    case "create":
      lines = action.after == null ? [] : createdFields(action.after, doc.created_at).map((l) => `+ ${l}`);
      break;
    case "replace":
      lines = (action.changes ?? []).flatMap(changeLines).map((l) => (/^ {2}[+-]/.test(l) ? l.slice(2) : `  ${l}`));
      break;
    case "cancel":
    case "conflict":
    case "noop":
      return undefined;
    default: {
      const never: never = action.kind;
      return never;
    }
  }
  const summary = `${code(`${action.team}/${action.key}`)}: ${actionHeadline(action, escapeMarkdown)}`;
  return `<details><summary>${summary}</summary>\n\n${fence(lines)}\n\n</details>\n`;
}

function list(title: string, items: readonly string[]): string[] {
  return items.length === 0 ? [] : ["", title, ...items.map((item) => `- ${escapeMarkdown(item)}`)];
}

/** A plan as it was computed, or as saved (`show`). */
export function renderPlanMarkdown(plan: Plan | PlanDocument, limit = MARKDOWN_LIMIT): string {
  const { doc, actions } = shownPlan(plan);
  // A hidden, stable first line: CI finds its earlier comment for the stack by it and updates it.
  // The stack is letters, digits, '.', '_' and '-' (the spec's schema), so it cannot end the comment.
  const teams = `team${doc.teams.length === 1 ? "" : "s"} ${doc.teams.map(code).join(", ")}`;
  const head = [`<!-- studio-jobs-plan: ${doc.stack} -->`, `### studio-jobs plan for stack ${code(doc.stack)}, ${teams}`, ""];
  const warnings = list("**Warnings:**", doc.warnings);
  if (isEmptyPlan(doc)) return `${[...head, NO_CHANGES, ...warnings].join("\n")}\n`;
  head.push(`**${summaryLine(doc.summary, doc.errors.length)}**`, "");
  const table = actions.length === 0 ? [] : ["| | job | team | action |", "|---|---|---|---|"];
  for (const a of actions) {
    table.push(`| ${ICONS[a.kind]} | ${code(a.key)} | ${escapeMarkdown(a.team)} | ${actionHeadline(a, escapeMarkdown)} |`);
  }
  const errors = list("**Errors — this plan cannot be applied:**", doc.errors);

  let out = `${[...head, ...table, ...errors, ...warnings].join("\n")}\n\n`;
  const sections = actions.map((a) => section(a, doc)).filter((s): s is string => s !== undefined);
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
    const cut = out.lastIndexOf("\n", limit - note.length);
    out = out.slice(0, cut > 0 ? cut : limit - note.length) + note;
  }
  return out;
}
