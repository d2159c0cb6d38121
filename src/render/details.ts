// The words and lines that describe each action, shared by the text and Markdown renderers.

import { formatCluster, nextRuns } from "../plan/diff.js";
import type { FieldChange, PlanAction, Plan, PlanSummary } from "../plan/types.js";

export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}

export function summaryLine(summary: PlanSummary): string {
  return `Plan: ${summary.create} to create, ${summary.replace} to replace, ${summary.cancel} to cancel, ${summary.noop} unchanged.`;
}

export const NO_CHANGES = "No changes. Studio matches the spec.";

/** One line saying what happens to the job and why. */
export function actionHeadline(action: PlanAction): string {
  switch (action.kind) {
    case "create":
      return "create";
    case "noop":
      return "unchanged";
    case "replace":
      return action.adopted
        ? `replace unmanaged job ${shortId(action.live.id)} (adopt; ${action.strategy})`
        : `replace job ${shortId(action.live.id)} (${action.strategy})`;
    case "cancel":
      return `cancel job ${shortId(action.live.id)} (${cancelReason(action.reason)})`;
    case "conflict":
      return `conflict: unmanaged job ${shortId(action.live.id)} has this name; --adopt replaces it`;
    default: {
      const never: never = action;
      return never;
    }
  }
}

function cancelReason(reason: "removed" | "duplicate" | "adopted"): string {
  switch (reason) {
    case "removed":
      return "removed from the spec";
    case "duplicate":
      return "a duplicate of the job kept";
    case "adopted":
      return "an unmanaged job of the same name, adopted";
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/** The settings of a job being created, one `field: value` per line. */
export function createdFields(action: Extract<PlanAction, { kind: "create" }>, plan: Plan): string[] {
  const job = action.desired;
  const lines: string[] = [];
  if (job.cron !== undefined) {
    lines.push(`schedule.cron: ${job.cron}   next: ${nextRuns(job.cron, new Date(plan.createdAt)).join(", ")}`);
  }
  if (job.input.start_after != null) lines.push(`schedule.start_after: ${job.input.start_after}`);
  const facts = [`query_type: ${job.input.query_type}`];
  const cluster = formatCluster(job.cluster);
  if (cluster !== undefined) facts.push(`cluster: ${cluster}`);
  if (job.input.workers != null) facts.push(`workers: ${job.input.workers}`);
  if (job.input.priority != null) facts.push(`priority: ${job.input.priority}`);
  if (job.protect) facts.push("protect: true");
  lines.push(facts.join(", "));
  if (job.files.length > 0) lines.push(`files: ${job.files.map((f) => f.name).join(", ")}`);
  const env = Object.keys(job.environment);
  if (env.length > 0) {
    lines.push(`environment: ${env.map((k) => (job.sensitive.includes(`environment.${k}`) ? `${k} (sensitive)` : k)).join(", ")}`);
  }
  return lines;
}

/** A field change as lines; a text diff keeps its +/- lines for colouring. */
export function changeLines(change: FieldChange): string[] {
  switch (change.kind) {
    case "value":
      return [`${change.field}: ${change.old} → ${change.new}`];
    case "cron":
      return [
        `${change.field}: ${change.old} → ${change.new}`,
        ...(change.old_runs.length > 0 ? [`  was next: ${change.old_runs.join(", ")}`] : []),
        ...(change.new_runs.length > 0 ? [`  now next: ${change.new_runs.join(", ")}`] : []),
      ];
    case "text":
      return [`${change.field}:`, ...change.patch.split("\n").map((line) => `  ${line}`)];
    default: {
      const never: never = change;
      return never;
    }
  }
}

/** Actions worth showing, in a stable order: changes first by team and key, noops left out. */
export function visibleActions(plan: Plan): PlanAction[] {
  return plan.actions.filter((a) => a.kind !== "noop");
}
