// The words and lines that describe each action, shared by the text and Markdown
// renderers. Both render a plan document, so a saved plan shows exactly as it was planned.

import { START_AFTER_CHANGE, toPlanDocument, type ActionDocument, type PlanDocument } from "../plan-file/document.js";
import { formatFiles, shownText } from "../plan/diff.js";
import { SENSITIVE } from "../redact.js";
import { escapeCharacter } from "../invisible.js";
import { JOB_FIELDS, PLAN_FIELDS, type JobField } from "../desired/fields.js";
import { settingAt, type FileSetting, type JobSettings, type SettingValue } from "../plan/settings.js";
import { nextRuns, runsFrom, shownRunTime } from "../run-times.js";
import { studioTimeMs } from "../studio/time.js";
import { checkPlanArgument, type CancelReason, type FieldChange, type Plan, type PlanAction, type PlanSummary } from "../plan/types.js";
import { firstFew, teamsNamed } from "../word-lists.js";

export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}

function counted(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** The closing line; conflicts and errors are counted when there are any. */
export function summaryLine(summary: PlanSummary, errors = 0): string {
  const problems = [
    ...(summary.conflict > 0 ? [counted(summary.conflict, "conflict")] : []),
    ...(errors > 0 ? [counted(errors, "error")] : []),
  ];
  const extra = problems.length > 0 ? `, ${problems.join(", ")}` : "";
  return `Plan: ${summary.create} to create, ${summary.replace} to replace, ${summary.cancel} to cancel, ${summary.noop} unchanged${extra}.`;
}

export const NO_CHANGES = "No changes. Studio matches the spec.";

/**
 * The text plan's "No changes", naming the teams it covered: a team the plan could not
 * read (a warning says which) is not among them, and the line does not claim it.
 */
export function noChangesLine(teams: readonly string[], targeted = false): string {
  if (targeted) return `No changes to the targeted jobs${teams.length === 0 ? "" : ` in ${teamsNamed(teams)}`}.`;
  if (teams.length === 0) return NO_CHANGES;
  return `No changes. Studio matches the spec in ${teamsNamed(teams)}.`;
}

/** How many --target keys a plan's note names before "and N more". */
const TARGETS_NAMED = 10;

/**
 * Under --target, what the plan left out: its counts ("0 unchanged") and its "No changes"
 * are of the targeted jobs only, not of the stack. `name` spells a key for the output format.
 */
export function targetNote(doc: PlanDocument, name: (key: string) => string): string | undefined {
  if (doc.targets.length === 0) return undefined;
  return `Only the jobs --target names were planned (${firstFew(doc.targets.map(name), TARGETS_NAMED)}): the counts leave out the stack's other jobs, which are left as they are.`;
}

/** Nothing to do and nothing in the way: the only plan that says "No changes". */
export function isEmptyPlan(doc: PlanDocument): boolean {
  const s = doc.summary;
  return s.create + s.replace + s.cancel + s.conflict === 0 && doc.errors.length === 0;
}

/**
 * One line saying what happens to the job and why. `show` escapes what came from Studio
 * (job ids) for the output format; the rest is our own words.
 */
export function actionHeadline(
  action: ActionDocument,
  show: (text: string) => string = (text) => text,
  movedTo: ReadonlyMap<string, string> = new Map(),
): string {
  const id = show(shortId(action.job_id ?? "?"));
  const mark = action.protected === true ? " [protected]" : "";
  switch (action.kind) {
    case "create":
      return "create";
    case "noop":
      return "unchanged";
    case "replace":
      return action.adopted === true
        ? `replace unmanaged job ${id} (adopt; ${action.strategy ?? "create-first"})${mark}`
        : `replace job ${id} (${action.strategy ?? "create-first"})${mark}`;
    case "cancel":
      return `cancel job ${id} (${cancelReason(action.reason ?? "removed", movedTo.get(action.key), show)})${mark}`;
    case "conflict":
      return `conflict: unmanaged job ${id} has this name; --adopt replaces it`;
    default: {
      const never: never = action.kind;
      return never;
    }
  }
}

/** Why a job is cancelled; a job the spec still has, in another team (`movedTo`), moved there. */
function cancelReason(reason: CancelReason, movedTo: string | undefined, show: (text: string) => string): string {
  switch (reason) {
    case "removed":
      return movedTo === undefined ? "removed from the spec" : `moved to team ${show(movedTo)}`;
    case "destroyed":
      return "the stack is destroyed";
    case "duplicate":
      return "another live job of this key, beside the one kept";
    case "outdated":
      return "a later version than the spec's, which already ran";
    case "adopted":
      return "an unmanaged job of the same name, adopted";
    default: {
      const never: never = reason;
      return never;
    }
  }
}

const PREVIEW_CHARS = 60;

/**
 * The first `max` characters of a text a preview shows. The CLI passes the run's redactHead,
 * which hides whole a secret the cut would split: cut first, a secret's start before the cut
 * would be printed, too short for the redactor to know it as part of a secret.
 */
export type Head = (text: string, max: number) => string;

const plainHead: Head = (text, max) => text.slice(0, max);

/**
 * A query in one line: a short one whole, a longer one by its first line and how much there
 * is. A line cut short ends in "…" right after its last character shown (never after
 * blanks, which would hide that the line goes on), and says the query's length.
 */
export function queryPreview(query: string, cut: Head = plainHead): string {
  const lines = query.replace(/\n+$/, "").split("\n");
  const first = lines.find((line) => line.trim() !== "") ?? "";
  if (first.length <= PREVIEW_CHARS) return lines.length === 1 ? first : `${first} … (${lines.length} lines)`;
  const shown = cut(first, PREVIEW_CHARS - 1).replace(/[\ud800-\udbff]$/, ""); // not half of a surrogate pair
  const head = `${shown.trimEnd()}…`;
  return lines.length === 1 ? `${head} (1 line, ${first.length} characters)` : `${head} (${lines.length} lines)`;
}

/** Every value a create sends, one `field: value` a line, in the table's order; sensitive ones as (sensitive). */
export function createdFields(after: JobSettings, createdAt: string, cut: Head = plainHead): string[] {
  const lines: string[] = [];
  // A schedule that starts later fires first after its start.
  const from = runsFrom(new Date(createdAt), settingAt(after, "start_after") as string | undefined);
  for (const name of PLAN_FIELDS) {
    const value = settingAt(after, name);
    if (value === undefined) continue;
    const shown = settingLines(JOB_FIELDS[name], value, from, cut);
    if (name === "start_after" && startsPast(after, createdAt)) shown[0] = `${shown[0]}${PAST_START}`;
    lines.push(...shown);
  }
  return lines;
}

const PAST_START = "   (past: runs when created)";

/**
 * Whether a one-off job's start is past when the plan is made: it runs as soon as it is
 * made, and a reviewer reading a date may not notice that it is behind them.
 */
function startsPast(after: JobSettings, createdAt: string): boolean {
  const start = settingAt(after, "start_after");
  return settingAt(after, "cron") === undefined && typeof start === "string" && studioTimeMs(start) <= Date.parse(createdAt);
}

/**
 * A value a create sends, as a change line shows it (a blank one quoted); not the placeholder
 * a sensitive value is: the settings hold no other sign of it, so a value spelled so is not quoted.
 */
function shownSetting(value: string): string {
  return value === SENSITIVE ? value : shownText(value);
}

function settingLines(field: JobField, value: SettingValue, from: Date, cut: Head): string[] {
  const { label } = field;
  switch (field.shape) {
    case "text":
      return [`${label}: ${typeof value === "string" ? shownSetting(value) : (value as number)}`];
    case "script":
      return [`${label}: ${queryPreview(value as string, cut)}`];
    case "cron": {
      const cron = value as string;
      const runs = nextRuns(cron, from);
      return [`${label}: ${cron}${runs.length > 0 ? `   next: ${runs.join(", ")}` : ""}`];
    }
    case "cluster":
      return [`${label}: ${typeof value === "string" ? value : `id ${(value as { id: number }).id}`}`];
    case "lines":
      return [`${label}: ${Array.isArray(value) ? (value as string[]).map(shownText).join(", ") : (value as string)}`];
    case "files": {
      const files = formatFiles((value as FileSetting[]).map((f) => [f.name, f.sha256]));
      return files === undefined ? [] : [`${label}: ${files}`];
    }
    case "map":
      return Object.entries(value as Record<string, string>).map(([name, entry]) => `${label}.${name}: ${shownSetting(entry)}`);
    case "flag":
      return value === true ? [`${label}: true`] : [];
    case "identity":
      return [];
    default:
      return field.shape satisfies never;
  }
}

/**
 * A diff's removed or added line with the blanks at its end as escapes (`\u0020`): a line
 * that changed only there read `-print(1)` and `+print(1)  `, no difference to see.
 */
function trailingBlanksShown(line: string): string {
  if (!line.startsWith("-") && !line.startsWith("+")) return line;
  return line.replace(/[ \t]+$/, (blanks) => escapeCharacter(blanks));
}

/** A field change as lines; a text diff keeps its +/- lines for colouring. */
export function changeLines(change: FieldChange): string[] {
  switch (change.kind) {
    case "value":
      return [`${change.field}: ${change.old} → ${change.new}`];
    case "cron":
      return [
        `${change.field}: ${change.old} → ${change.new}`,
        ...(change.old_runs.length > 0 ? [`  was next: ${change.old_runs.map(shownRunTime).join(", ")}`] : []),
        ...(change.new_runs.length > 0 ? [`  now next: ${change.new_runs.map(shownRunTime).join(", ")}`] : []),
      ];
    case "text":
      return [`${change.field}:`, ...change.patch.split("\n").map((line) => `  ${trailingBlanksShown(line)}`)];
    default: {
      const never: never = change;
      return never;
    }
  }
}

/** The lines under an action's headline: a create's settings, a replace's changes; `cut` cuts a query's preview. */
export function detailLines(action: ActionDocument, doc: PlanDocument, cut: Head = plainHead): string[] {
  switch (action.kind) {
    case "create":
      return action.after == null ? [] : createdFields(action.after, doc.created_at, cut);
    case "replace":
      return (action.changes ?? []).length === 0
        ? [
            action.adopted === true
              ? "(no visible field changed; the job made by hand is replaced by one that carries the stack's markers)"
              : "(no visible field changed; the recorded fingerprint differs)",
          ]
        : (action.changes ?? []).flatMap((change) => {
            // A replacement is made as a create is: moved to a past start, it runs at once.
            const lines = changeLines(change);
            if (change.field === START_AFTER_CHANGE && action.after != null && startsPast(action.after, doc.created_at))
              lines[0] = `${lines[0]}${PAST_START}`;
            return lines;
          });
    case "cancel":
    case "conflict":
    case "noop":
      return [];
    default: {
      const never: never = action.kind;
      return never;
    }
  }
}

const isShown = (action: { kind: PlanAction["kind"] }): boolean => action.kind !== "noop";

/**
 * A plan as the renderers read it, and its actions worth showing, in plan order: noops
 * left out. Of a computed plan only those actions are made documents (the document's
 * `actions` holds no noops then): most of a large plan is unchanged jobs.
 */
export function shownPlan(
  caller: string,
  plan: Plan | PlanDocument,
): {
  doc: PlanDocument;
  actions: ActionDocument[];
  movedTo: ReadonlyMap<string, string>;
} {
  checkPlanArgument(caller, plan);
  const doc = toPlanDocument("format_version" in plan ? plan : { ...plan, actions: plan.actions.filter(isShown) });
  return { doc, actions: doc.actions.filter(isShown), movedTo: movedTo(plan.actions) };
}

/**
 * The team the spec wants each key in, for a key the plan also cancels as removed in another
 * team: a job moved between teams, which the plan says rather than "removed from the spec"
 * (a key is defined once in a spec, so in one team). Noops count: an apply stopped halfway
 * may have made the new one already.
 */
function movedTo(actions: readonly { kind: PlanAction["kind"]; key: string; team: string }[]): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const a of actions) if (a.kind === "create" || a.kind === "replace" || a.kind === "noop") wanted.set(a.key, a.team);
  const moved = new Map<string, string>();
  for (const a of actions) {
    const team = wanted.get(a.key);
    if (a.kind === "cancel" && team !== undefined && team !== a.team) moved.set(a.key, team);
  }
  return moved;
}
