// Field changes of a replacement, old -> new: from what Studio returns and from the
// STUDIO_JOBS_APPLIED record for what it does not. Sensitive values are redacted here,
// so nothing after this point can print them.

import { createRequire } from "node:module";
import type * as DiffLibrary from "diff";
import { JOB_FIELDS, PLAN_FIELDS, type FieldName, type JobField } from "../desired/fields.js";
import { classify, recordedSettings } from "../identity/classify.js";
import { canonicalJson } from "../identity/fingerprint.js";
import { nextRuns, runsFrom } from "../run-times.js";
import type { AppliedRecord, ClusterRef, DesiredJob } from "../desired/types.js";
import type { JobOutput } from "../studio/types.js";
import { SENSITIVE } from "../redact.js";
import { liveSensitivity, markerValue, studioValue } from "./settings.js";
import type { FieldChange, SecretFields } from "./types.js";

const NOT_SET = "(not set)";
const UNKNOWN = "(unknown)";
/** What a change line writes in place of a value (RECORDED_TEAMS's empty old one too). */
const PLACEHOLDERS: ReadonlySet<string> = new Set([NOT_SET, UNKNOWN, SENSITIVE, "(none)"]);

/** A blank at an end that printing leaves as it is (src/invisible.ts shows a line break, U+2028 and the like as escapes). */
const EDGE_BLANK = /^[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]|[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]$/;

/**
 * A value as a change line shows it, `old → new`: as a JSON string when it would not read
 * as itself there. An empty or blank value, or one blank at an end (Studio's python_version
 * " " read `python_version:   → 3.12`), one that holds the arrow (`a → b → (not set)`), one
 * spelled as a placeholder (an environment value "(not set)" read `(not set) → (not set)`)
 * or one that starts with a quote (which would read as such a JSON string).
 */
export function shownText(value: string): string {
  const unclear = value === "" || EDGE_BLANK.test(value) || value.includes("→") || value.startsWith('"') || PLACEHOLDERS.has(value);
  return unclear ? JSON.stringify(value) : value;
}

// Loaded on the first text diff: most plans have none, and start-up time matters in CI.
const require = createRequire(import.meta.url);
let diffLibrary: typeof DiffLibrary | undefined;

/**
 * Diffs made, by old text then new text. Jobs that share a query file change together,
 * and a plan diffs each of them: each distinct pair is diffed once. The cache outlives a
 * plan (the library may plan many times in one process), so it is bounded by pairs and by
 * the characters it holds, and starts again past either.
 */
const diffs = new Map<string, Map<string, string>>();
let cachedDiffs = 0;
let cachedChars = 0;
const MAX_CACHED_DIFFS = 1_000;
const MAX_CACHED_CHARS = 16 * 1024 * 1024;

/** Hunks only, no file headers: `@@ -1,3 +1,3 @@` and the lines. */
export function unifiedDiff(oldText: string, newText: string): string {
  let byNew = diffs.get(oldText);
  const known = byNew?.get(newText);
  if (known !== undefined) return known;
  const patch = diffHunks(oldText, newText);
  const chars = oldText.length + newText.length + patch.length;
  if (cachedDiffs >= MAX_CACHED_DIFFS || cachedChars + chars > MAX_CACHED_CHARS) {
    diffs.clear();
    cachedDiffs = 0;
    cachedChars = 0;
    byNew = undefined;
  }
  if (chars > MAX_CACHED_CHARS) return patch;
  if (byNew === undefined) diffs.set(oldText, (byNew = new Map<string, string>()));
  byNew.set(newText, patch);
  cachedDiffs += 1;
  cachedChars += chars;
  return patch;
}

/**
 * How long a text diff may look for a shorter one: the lines of both texts times the edits
 * it tries, some 20 million steps (about 0.1 s here). Its cost grows with both: two long
 * texts that differ everywhere (a query rewritten, a hostile job's 40,000 lines in Studio)
 * took hours, in which the plan heeded no Ctrl-C. Past it, the diff says every old line
 * went and every new one came: true, if not the shortest. A tenth of this showed a
 * 10,000-line query with 200 lines edited here and there as 20,000 lines taken and added;
 * now as its hunks, found in 50 ms.
 */
const DIFF_STEPS = 20_000_000;
const MIN_EDITS = 100;

/** A text's lines as a diff counts them: a final line break ends the last line. */
function textLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  return lines;
}

function diffHunks(oldText: string, newText: string): string {
  diffLibrary ??= require("diff") as typeof DiffLibrary;
  // "\ No newline at end of file" is noise when neither text ends with a line break (a
  // one-line inline query), and the only visible difference when one does and the other not.
  const keepMarkers = oldText.endsWith("\n") !== newText.endsWith("\n");
  const [oldLines, newLines] = [textLines(oldText), textLines(newText)];
  const maxEditLength = Math.max(MIN_EDITS, Math.floor(DIFF_STEPS / Math.max(1, oldLines.length + newLines.length)));
  const patch = diffLibrary.structuredPatch("old", "new", oldText, newText, "", "", { context: 3, maxEditLength });
  if (patch === undefined) return wholeReplacement(oldText, oldLines, newText, newLines, keepMarkers);
  const lines: string[] = [];
  for (const hunk of patch.hunks) {
    lines.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) if (keepMarkers || !line.startsWith("\\")) lines.push(line);
  }
  return lines.join("\n");
}

/** One hunk that takes every old line away and adds every new one, as the library writes it. */
function wholeReplacement(oldText: string, oldLines: string[], newText: string, newLines: string[], keepMarkers: boolean): string {
  const side = (text: string, lines: string[], sign: string): string[] => {
    const shown = lines.map((line) => `${sign}${line}`);
    if (keepMarkers && lines.length > 0 && !text.endsWith("\n")) shown.push("\\ No newline at end of file");
    return shown;
  };
  return [`@@ -1,${oldLines.length} +1,${newLines.length} @@`, ...side(oldText, oldLines, "-"), ...side(newText, newLines, "+")].join("\n");
}

export function formatCluster(ref: ClusterRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  return "id" in ref ? `id ${ref.id}` : ref.name;
}

export function formatFiles(files: AppliedRecord["files"]): string | undefined {
  if (files === undefined || files.length === 0) return undefined;
  return files.map(([name, sha]) => `${name} (sha256 ${sha.slice(0, 12)})`).join(", ");
}

// What Studio returns first, then what the record studio-jobs left says, then the markers.
const SOURCE_ORDER = { studio: 0, record: 1, marker: 2 } as const;
const DIFF_ORDER: readonly FieldName[] = [...PLAN_FIELDS].sort(
  (a, b) => SOURCE_ORDER[JOB_FIELDS[a].live.from] - SOURCE_ORDER[JOB_FIELDS[b].live.from],
);

interface DiffContext {
  changes: FieldChange[];
  isSensitive: (field: string) => boolean;
  /** From when the old and the new schedule fire: now, or a later start_after of each. */
  oldFrom: Date;
  newFrom: Date;
}

/**
 * The changes a replacement makes, field by field, in the order of DIFF_ORDER. A field among
 * `secretFields` (its live value holds a secret the run knows) is shown as (sensitive).
 */
export function computeChanges(
  desired: DesiredJob,
  live: JobOutput,
  now: Date,
  teams?: readonly string[],
  secretFields?: SecretFields,
): FieldChange[] {
  const old = classify(live, desired.stack);
  const oldApplied = recordedSettings(old);
  const ctx: DiffContext = {
    changes: [],
    isSensitive: liveSensitivity(old, desired, secretFields),
    // Studio's start_after is not read (src/studio/types.ts): the job's own record says it.
    oldFrom: runsFrom(now, oldApplied?.start_after),
    newFrom: runsFrom(now, desired.values.start_after),
  };
  for (const name of DIFF_ORDER) {
    const field = JOB_FIELDS[name];
    const source = field.live;
    switch (source.from) {
      case "studio":
        compareReturned(ctx, field, studioValue(live, source.key), desired.values[name], source.studioDefault);
        break;
      case "record": {
        // A job made elsewhere has no record: its value is unknown, worth a line only where the spec sets one.
        const recorded = (record: AppliedRecord) => (field.record === undefined ? undefined : record[field.record]);
        if (oldApplied === undefined) compareUnknown(ctx, field, recorded(desired.applied));
        else compare(ctx, field, field.label, recorded(oldApplied), recorded(desired.applied));
        break;
      }
      case "marker":
        compare(ctx, field, field.label, markerValue(old, source.marker), desired.values[name]);
        break;
      default:
        return source satisfies never;
    }
  }
  if (teams !== undefined && old.kind === "managed") ctx.changes.push(...recordedTeamsChange(old.teams, teams));
  return ctx.changes;
}

/**
 * The teams a replaced job of this stack records (STUDIO_JOBS_TEAMS), when the new one
 * records others: every job apply makes records the teams its plan covers, which later
 * plans list (docs/architecture.md, "Identity").
 */
export function recordedTeamsChange(recorded: readonly string[], teams: readonly string[]): FieldChange[] {
  const was = [...recorded].sort().join(", ");
  const now = [...teams].sort().join(", ");
  return was === now ? [] : [{ field: RECORDED_TEAMS, kind: "value", old: was === "" ? "(none)" : was, new: now }];
}

/** How plans name what STUDIO_JOBS_TEAMS holds. */
export const RECORDED_TEAMS = "recorded teams";

/** A field Studio returns. One the spec leaves out keeps Studio's default: only a non-default old value is a change worth showing. */
function compareReturned(ctx: DiffContext, field: JobField, oldValue: unknown, newValue: unknown, studioDefault: unknown): void {
  if (field.shape === "map") {
    const oldMap = oldValue as Readonly<Record<string, string>>;
    const newMap = newValue as Readonly<Record<string, string>>;
    // Own keys only: `__proto__` of a map without that variable is not a value.
    const own = (map: Readonly<Record<string, string>>, key: string) => (Object.hasOwn(map, key) ? map[key] : undefined);
    for (const key of [...new Set([...Object.keys(oldMap), ...Object.keys(newMap)])].sort()) {
      compare(ctx, field, `${field.label}.${key}`, own(oldMap, key), own(newMap, key));
    }
    return;
  }
  if (newValue === undefined && oldValue === studioDefault) return;
  compare(ctx, field, field.label, oldValue, newValue);
}

/** Old and new as Studio returns them or as the record holds them; undefined when unset. */
function compare(ctx: DiffContext, field: JobField, label: string, oldValue: unknown, newValue: unknown): void {
  switch (field.shape) {
    case "script":
    case "lines": {
      const oldText = (oldValue as string | undefined) ?? "";
      const newText = (newValue as string | undefined) ?? "";
      if (oldText === newText) return;
      if (ctx.isSensitive(label)) ctx.changes.push({ field: label, kind: "value", old: SENSITIVE, new: SENSITIVE });
      else ctx.changes.push({ field: label, kind: "text", patch: unifiedDiff(oldText, newText) });
      return;
    }
    case "cron": {
      if (oldValue === newValue) return;
      const [oldCron, newCron] = [oldValue as string | undefined, newValue as string | undefined];
      ctx.changes.push({
        field: label,
        kind: "cron",
        old: oldCron === undefined ? NOT_SET : shownText(oldCron),
        new: newCron === undefined ? NOT_SET : shownText(newCron),
        old_runs: nextRuns(oldCron, ctx.oldFrom, "iso"),
        new_runs: nextRuns(newCron, ctx.newFrom, "iso"),
      });
      return;
    }
    case "text":
    case "cluster":
    case "files":
    case "map":
    case "flag":
    case "identity": {
      if (canonicalJson(oldValue ?? null) === canonicalJson(newValue ?? null)) return;
      const redact = ctx.isSensitive(label);
      const shown = (value: unknown) => (value === undefined ? NOT_SET : redact ? SENSITIVE : showValue(field, value));
      ctx.changes.push({ field: label, kind: "value", old: shown(oldValue), new: shown(newValue) });
      return;
    }
    default:
      return field.shape satisfies never;
  }
}

/** A field Studio does not return, on a job that has no record of it. */
function compareUnknown(ctx: DiffContext, field: JobField, newValue: unknown): void {
  if (newValue === undefined) return;
  if (field.shape === "cron") {
    const newCron = newValue as string;
    ctx.changes.push({
      field: field.label,
      kind: "cron",
      old: UNKNOWN,
      new: shownText(newCron),
      old_runs: [],
      new_runs: nextRuns(newCron, ctx.newFrom, "iso"),
    });
    return;
  }
  ctx.changes.push({
    field: field.label,
    kind: "value",
    old: UNKNOWN,
    new: ctx.isSensitive(field.label) ? SENSITIVE : showValue(field, newValue),
  });
}

/** One value in words: a cluster by name or id, files by name and digest, a recorded digest as "(sensitive)". */
function showValue(field: JobField, value: unknown): string {
  if (value !== null && typeof value === "object" && "sensitive" in value) return SENSITIVE;
  if (field.shape === "cluster") {
    const cluster = formatCluster(value as ClusterRef);
    return cluster === undefined ? NOT_SET : shownText(cluster);
  }
  if (field.shape === "files") return formatFiles(value as [string, string][]) ?? NOT_SET;
  return shownText(String(value));
}
