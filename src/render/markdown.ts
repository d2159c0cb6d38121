// The plan as Markdown for a pull-request comment: a summary table, then one collapsible
// section per changed job, kept under a size GitHub accepts. Job names, teams and ids come
// from the spec and from Studio: they are escaped wherever they appear, so that a name
// can neither break the table nor put HTML, links or @-mentions into the comment.

import type { ActionDocument, PlanDocument } from "../plan-file/document.js";
import type { Plan, PlanAction } from "../plan/types.js";
import { printable } from "../invisible.js";
import { escapeMarkdown } from "../markdown-text.js";
import { withoutWorkflowCommands } from "../workflow-commands.js";
import { joinWords } from "../word-lists.js";
import {
  actionHeadline,
  detailLines,
  isEmptyPlan,
  NO_CHANGES,
  noChangesLine,
  shownPlan,
  summaryLine,
  targetNote,
  type Head,
} from "./details.js";

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
 * A stack in the hidden first line, an HTML comment. Both schemas allow a stack only letters,
 * digits, '.', '_' and '-', which this leaves as they are, so the line stays what CI looks
 * for (and what its recipes write when a plan fails). A stack that passed no schema (`show`
 * without the token reads a plan whose seal it cannot check) still cannot end the comment:
 * what could (`-->`, `--!>`) or open another (`<!--`), or break the line, is escaped.
 */
function commentText(text: string): string {
  return printable(text).replace(/[&<>!]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A name in code style; `<code>` rather than backticks, which a name may contain. */
function code(text: string): string {
  return `<code>${escapeMarkdown(text)}</code>`;
}

/**
 * What the tool writes in backticks in a warning or an error (src/plan/compute.ts): a spec's
 * field (`teams:`, `stack: NAME`), a command or a flag, with a blank, '(' or the message's
 * edge before it and a blank, punctuation or the edge after.
 */
const TOOL_SPAN = /^(?:teams?:|stack: [A-Za-z0-9][A-Za-z0-9._-]{0,62}|studio-jobs [a-z]+|--[a-z]+(?:-[a-z]+)*)$/;

/**
 * An error or a warning: what the tool writes in backticks in code style, as the text plan's
 * reader sees it meant, the rest escaped. A name quoted in the message (a job's, a team's, an
 * id) may hold backticks itself; taken as a span, they would vanish and the name show as
 * another (team "`prod`" as prod). So spans are taken only when every backtick pairs into one
 * the tool writes; otherwise the message is escaped whole, every backtick shown as it is.
 */
function prose(text: string): string {
  const parts = text.split("`");
  const spans = parts.length % 2 === 1 && parts.every((part, i) => i % 2 === 0 || toolSpan(parts, i));
  return spans ? parts.map((part, i) => (i % 2 === 0 ? escapeMarkdown(part) : code(part))).join("") : escapeMarkdown(text);
}

function toolSpan(parts: readonly string[], i: number): boolean {
  return TOOL_SPAN.test(parts[i] ?? "") && /(?:^|[\s(])$/.test(parts[i - 1] ?? "") && /^(?:$|[\s.,;:)])/.test(parts[i + 1] ?? "");
}

/**
 * A diff block. Its lines are shown as they will be printed (src/workflow-commands.ts), each
 * escape counted: the comment's length is measured here, and must hold once written.
 */
function fence(lines: readonly string[]): string {
  const body = lines.map((line) => withoutWorkflowCommands(printable(line))).join("\n");
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}diff\n${body}\n${ticks}`;
}

/** The lines the text plan shows under the action, as a diff: a create's all added, a replace's text diffs kept as they are. */
function section(action: ActionDocument, doc: PlanDocument, cut: Head | undefined): string | undefined {
  let lines: string[];
  switch (action.kind) {
    case "create":
      lines = detailLines(action, doc, cut).map((l) => `+ ${l}`);
      break;
    case "replace":
      // A text diff's lines (+, -, context, @@ and "\ No newline") keep their own first column,
      // so that context lines line up with the changed ones; the rest is indented as context.
      lines = detailLines(action, doc, cut).map((l) => (/^ {2}[-+ @\\]/.test(l) ? l.slice(2) : `  ${l}`));
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

/** Room kept for the notes that say what a comment leaves out (together under 800 characters). */
const NOTE_ROOM = 800;

/** A line or section of the comment, and what it shows. */
interface Piece {
  what: PlanAction["kind"] | "error" | "warning";
  text: string;
}

/**
 * Whether a comment must show the piece however long the plan: an error, a warning, or the
 * row of a change that takes a live job away or stands in the plan's way, which a pull
 * request could otherwise bury behind many harmless creates. Creates are left out first.
 */
function mustShow(what: Piece["what"]): boolean {
  switch (what) {
    case "replace":
    case "cancel":
    case "conflict":
    case "error":
    case "warning":
      return true;
    case "create":
    case "noop":
      return false;
    default: {
      const never: never = what;
      return never;
    }
  }
}

/**
 * Of pieces in order of importance, those that fit in `room` characters. Once one does not
 * fit, no later one is taken: what is shown of each kind is its first ones.
 */
function fitting(pieces: readonly Piece[], room: number): Set<Piece> {
  const shown = new Set<Piece>();
  let left = room;
  for (const piece of pieces) {
    left -= piece.text.length + 1;
    if (left < 0) break;
    shown.add(piece);
  }
  return shown;
}

/** "3 of 5 cancels", for each kind of which some pieces are not shown. */
function leftOut(pieces: readonly Piece[], shown: ReadonlySet<Piece>, kinds: readonly Piece["what"][]): string[] {
  return kinds.flatMap((kind) => {
    const all = pieces.filter((p) => p.what === kind);
    const missing = all.filter((p) => !shown.has(p)).length;
    return missing === 0 ? [] : [`${missing} of ${all.length} ${kind}${all.length === 1 ? "" : "s"}`];
  });
}

/**
 * What a comment too long for its limit leaves out, said before the table; in bold when it
 * is more than creates, since a reviewer must then see the whole plan before approving it.
 */
function omissionNotice(pieces: readonly Piece[], shown: ReadonlySet<Piece>, limit: number, everything: string): string | undefined {
  const destructive = leftOut(pieces, shown, ["replace", "cancel", "conflict", "error", "warning"]);
  const creates = leftOut(pieces, shown, ["create"]);
  if (destructive.length > 0) {
    return `**This plan does not fit in a comment of ${limit} characters: it leaves out ${joinWords([...destructive, ...creates])}. Run ${everything} to see every change before you approve it.**`;
  }
  if (creates.length > 0) {
    return `_This comment leaves out ${creates.join("")} to stay under ${limit} characters; it lists every replace, cancel, conflict, error and warning. Run ${everything} for all of them._`;
  }
  return undefined;
}

/** How much of the heading the teams may take: names have no length limit, and the heading is never cut. */
const TEAMS_ROOM = 1_000;
const TEAM_NAME_SHOWN = 100;

/** The covered teams for the heading: as many as fit in TEAMS_ROOM, each cut at TEAM_NAME_SHOWN characters, then how many more. */
function teamList(teams: readonly string[]): string {
  const shown: string[] = [];
  let length = 0;
  for (const team of teams) {
    const characters = [...team]; // cut by code point: never half an emoji
    const name = code(characters.length > TEAM_NAME_SHOWN ? `${characters.slice(0, TEAM_NAME_SHOWN).join("")}…` : team);
    if (shown.length > 0 && length + name.length > TEAMS_ROOM) break;
    shown.push(name);
    length += name.length + 2;
  }
  const more = teams.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

function titled(title: string, items: readonly string[]): string[] {
  return items.length === 0 ? [] : ["", title, ...items];
}

/**
 * A plan as it was computed, or as saved (`show`). A plan too long for `limit` keeps every
 * replace, cancel and conflict, error and warning, and leaves out creates first, then the
 * details of each job (a replace's are kept before a create's), saying what it left out.
 */
export function renderPlanMarkdown(plan: Plan | PlanDocument, limit = MARKDOWN_LIMIT, cut?: Head): string {
  const { doc, actions, movedTo } = shownPlan("renderPlanMarkdown", plan);
  const everything = "format_version" in plan ? "`studio-jobs show` on the saved plan" : "`studio-jobs plan`";
  const empty = isEmptyPlan(doc);
  // A hidden, stable first line: CI finds its earlier comment for the stack by it and updates it.
  const teams = `team${doc.teams.length === 1 ? "" : "s"} ${teamList(doc.teams)}`;
  const head = [`<!-- studio-jobs-plan: ${commentText(doc.stack)} -->`, `### studio-jobs plan for stack ${code(doc.stack)}, ${teams}`, ""];
  const targeted = targetNote(doc, code);
  head.push(
    ...(empty ? [targeted === undefined ? NO_CHANGES : noChangesLine([], true)] : [`**${summaryLine(doc.summary, doc.errors.length)}**`]),
  );
  head.push(...(targeted === undefined ? [] : ["", `_${targeted}_`]), ...(empty ? [] : [""]));
  const header = ["| | job | team | action |", "|---|---|---|---|"];
  const errorsTitle = "**Errors — this plan cannot be applied:**";
  const warningsTitle = "**Warnings:**";

  const rows: Piece[] = actions.map((a) => ({
    what: a.kind,
    text: `| ${ICONS[a.kind]} | ${code(a.key)} | ${escapeMarkdown(a.team)} | ${actionHeadline(a, escapeMarkdown, movedTo)} |`,
  }));
  const errors: Piece[] = doc.errors.map((e) => ({ what: "error", text: `- ${prose(e)}` }));
  const warnings: Piece[] = doc.warnings.map((w) => ({ what: "warning", text: `- ${prose(w)}` }));
  const details: Piece[] = actions.flatMap((a) => {
    const text = section(a, doc, cut);
    return text === undefined ? [] : [{ what: a.kind, text }];
  });
  const listed = [...rows, ...errors, ...warnings];
  const important = [
    ...listed.filter((p) => mustShow(p.what)),
    ...listed.filter((p) => !mustShow(p.what)),
    ...details.filter((d) => d.what === "replace"),
    ...details.filter((d) => d.what !== "replace"),
  ];
  const fixed = [...head, "", ...header, "", errorsTitle, "", warningsTitle, ""].join("\n").length;
  const shown = fitting(important, limit - NOTE_ROOM - fixed);
  const pick = (pieces: readonly Piece[]) => pieces.filter((p) => shown.has(p)).map((p) => p.text);

  const notice = omissionNotice(listed, shown, limit, everything);
  const table = pick(rows);
  const lines = [
    ...head,
    ...(notice === undefined ? [] : empty ? ["", notice] : [notice, ""]),
    ...(table.length === 0 ? [] : [...header, ...table]),
    ...titled(errorsTitle, pick(errors)),
    ...titled(warningsTitle, pick(warnings)),
  ];
  if (empty) return `${lines.join("\n")}\n`;
  let out = `${lines.join("\n")}\n\n${pick(details).join("")}`;
  const shownDetails = details.filter((d) => shown.has(d)).length;
  if (shownDetails < details.length) {
    out += `\n_${details.length - shownDetails} of ${details.length} job details were left out to keep this comment under ${limit} characters; run ${everything} for all of them._\n`;
  }
  return out;
}
