// Field changes of a replacement, old -> new: from what Studio returns and from the
// STUDIO_JOBS_APPLIED record for what it does not. Sensitive values are redacted here,
// so nothing after this point can print them.

import { createRequire } from "node:module";
import type * as DiffLibrary from "diff";
import { classify, isProtected, recordedSettings } from "../identity/classify.js";
import { userEnvironment } from "../identity/markers.js";
import { nextRuns } from "../run-times.js";
import type { AppliedRecord, ClusterRef, DesiredJob } from "../desired/types.js";
import type { JobOutput } from "../studio/types.js";
import { liveSensitivity, SENSITIVE } from "./settings.js";
import type { FieldChange } from "./types.js";

const NOT_SET = "(not set)";
const UNKNOWN = "(unknown)";

// Loaded on the first text diff: most plans have none, and start-up time matters in CI.
const require = createRequire(import.meta.url);
let diffLibrary: typeof DiffLibrary | undefined;

/** Hunks only, no file headers: `@@ -1,3 +1,3 @@` and the lines. */
export function unifiedDiff(oldText: string, newText: string): string {
  diffLibrary ??= require("diff") as typeof DiffLibrary;
  const patch = diffLibrary.structuredPatch("old", "new", oldText, newText, "", "", { context: 3 });
  const lines: string[] = [];
  for (const hunk of patch.hunks) {
    lines.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) if (!line.startsWith("\\")) lines.push(line);
  }
  return lines.join("\n");
}

export function formatCluster(ref: ClusterRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  return "id" in ref ? `id ${ref.id}` : ref.name;
}

export function formatFiles(files: AppliedRecord["files"]): string | undefined {
  if (files === undefined || files.length === 0) return undefined;
  return files.map(([name, sha]) => `${name} (sha256 ${sha.slice(0, 12)})`).join(", ");
}

function formatCredentials(value: AppliedRecord["credentials"]): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : SENSITIVE;
}

export function computeChanges(desired: DesiredJob, live: JobOutput, now: Date): FieldChange[] {
  const changes: FieldChange[] = [];
  const old = classify(live, desired.stack);
  const oldApplied = recordedSettings(old);
  const isSensitive = liveSensitivity(old, desired);
  const input = desired.input;

  const value = (field: string, oldValue: string | undefined, newValue: string | undefined) => {
    if (oldValue === newValue) return;
    const redact = isSensitive(field);
    changes.push({
      field,
      kind: "value",
      old: redact && oldValue !== undefined ? SENSITIVE : (oldValue ?? NOT_SET),
      new: redact && newValue !== undefined ? SENSITIVE : (newValue ?? NOT_SET),
    });
  };
  const text = (field: string, oldText: string, newText: string) => {
    if (oldText === newText) return;
    if (isSensitive(field)) changes.push({ field, kind: "value", old: SENSITIVE, new: SENSITIVE });
    else changes.push({ field, kind: "text", patch: unifiedDiff(oldText, newText) });
  };
  /** A field the spec left out keeps Studio's default; only a non-default old value is a change worth showing. */
  const returned = (field: string, oldValue: string | undefined, newValue: string | undefined, studioDefault: string | undefined) => {
    if (newValue === undefined && oldValue === studioDefault) return;
    value(field, oldValue, newValue);
  };

  text("query", live.query, input.query);
  value("query_type", live.query_type, input.query_type);
  returned("workers", String(live.workers), input.workers == null ? undefined : String(input.workers), "1");
  returned("python_version", live.python_version ?? undefined, input.python_version ?? undefined, undefined);
  if ((live.requirements ?? "") !== (input.requirements ?? "")) text("requirements", live.requirements ?? "", input.requirements ?? "");
  returned("repository", live.repository ?? undefined, input.repository ?? undefined, undefined);

  const oldEnv = userEnvironment(live.environment);
  for (const key of [...new Set([...Object.keys(oldEnv), ...Object.keys(desired.environment)])].sort()) {
    value(`environment.${key}`, oldEnv[key], desired.environment[key]);
  }

  // What Studio does not return is read from the record studio-jobs left on the job. A job
  // made elsewhere has none: its value is unknown, worth a line only where the spec sets one.
  const newApplied = desired.applied;
  const unreturned = (field: string, pick: (a: AppliedRecord) => string | undefined, newValue: string | undefined) => {
    if (oldApplied === undefined) {
      if (newValue !== undefined) changes.push({ field, kind: "value", old: UNKNOWN, new: isSensitive(field) ? SENSITIVE : newValue });
      return;
    }
    value(field, pick(oldApplied), newValue);
  };
  const cron = (oldCron: string | undefined, oldRuns: string[]) =>
    changes.push({ field: "schedule.cron", kind: "cron", old: oldCron ?? NOT_SET, new: newApplied.cron ?? NOT_SET, old_runs: oldRuns, new_runs: nextRuns(newApplied.cron, now) });
  if (oldApplied === undefined) {
    if (newApplied.cron !== undefined) cron(UNKNOWN, []);
  } else if (oldApplied.cron !== newApplied.cron) {
    cron(oldApplied.cron, nextRuns(oldApplied.cron, now));
  }
  unreturned("schedule.start_after", (a) => a.start_after, newApplied.start_after);
  unreturned("cluster", (a) => formatCluster(a.cluster), formatCluster(newApplied.cluster));
  unreturned("priority", (a) => (a.priority === undefined ? undefined : String(a.priority)), newApplied.priority === undefined ? undefined : String(newApplied.priority));
  if (oldApplied === undefined) {
    unreturned("credentials", () => undefined, formatCredentials(newApplied.credentials));
  } else if (JSON.stringify(oldApplied.credentials) !== JSON.stringify(newApplied.credentials)) {
    changes.push({
      field: "credentials",
      kind: "value",
      old: formatCredentials(oldApplied.credentials) ?? NOT_SET,
      new: formatCredentials(newApplied.credentials) ?? NOT_SET,
    });
  }
  unreturned("files", (a) => formatFiles(a.files), formatFiles(newApplied.files));
  value("protect", String(isProtected(old)), String(desired.protect));
  return changes;
}
