// What apply says when it is done: a summary line, the new jobs, and every failure.

import type { ApplyResult, StepResult } from "../apply/types.js";
import { jsonForReaders, printable } from "../invisible.js";
import { byCodeUnits } from "../code-unit-order.js";
import { alignRows } from "./table.js";

/** What ran the steps: apply, or destroy (which `Run apply again` would undo). */
export type ApplyCommand = "apply" | "destroy";

export function summaryLine(result: ApplyResult, command: ApplyCommand = "apply"): string {
  const s = result.summary;
  const name = command === "apply" ? "Apply" : "Destroy";
  const head = s.failed > 0 ? `${name} finished with failures` : s.skipped > 0 ? `${name} incomplete` : `${name} complete`;
  const skipped = s.skipped > 0 ? `, ${s.skipped} skipped` : "";
  const deduplicated = s.deduplicated > 0 ? `; ${s.deduplicated} duplicate${s.deduplicated === 1 ? "" : "s"} cancelled` : "";
  const half = s.halfReplaced > 0 ? `; ${s.halfReplaced} replacement${s.halfReplaced === 1 ? "" : "s"} half done (see below)` : "";
  // destroy creates and replaces nothing: "0 created, 0 replaced" would only make it read as an apply.
  const made = command === "apply" || s.created + s.replaced > 0 ? `${s.created} created, ${s.replaced} replaced, ` : "";
  return `${head}: ${made}${s.cancelled} cancelled, ${s.failed} failed${skipped}${deduplicated}${half}.`;
}

/** One line for a finished step, for logs without a terminal; what came from Studio in it shown escaped. */
export function stepLine(step: StepResult): string {
  return printable(rawStepLine(step));
}

function rawStepLine(step: StepResult): string {
  const what = `${step.step} ${step.team}/${step.key}`;
  switch (step.status) {
    case "applied":
      if (step.fileId !== undefined) return `${what}: done (file ${step.fileId})`;
      return `${what}: done${step.jobId === undefined ? "" : ` (job ${step.jobId})`}${step.detail === undefined ? "" : `, ${step.detail}`}`;
    case "failed":
      return `${what}: FAILED: ${step.detail ?? "unknown error"}`;
    case "skipped":
      return `${what}: skipped: ${step.detail ?? ""}`;
    default: {
      const never: never = step.status;
      return never;
    }
  }
}

export async function renderApplyText(result: ApplyResult, command: ApplyCommand = "apply"): Promise<string> {
  const lines: string[] = [summaryLine(result, command)];
  // A job this apply created and then found to be a duplicate of a concurrent apply's is not new.
  const swept = new Set(result.steps.filter((s) => s.action === "dedupe" && s.status === "applied").map((s) => s.jobId));
  const created = result.steps.filter((s) => s.step === "create" && s.status === "applied" && !swept.has(s.jobId));
  if (created.length > 0) {
    lines.push("", "New jobs:");
    // By team, then key, as the plan lists them: by key alone, one team's jobs were interleaved with another's.
    // In columns, as status prints them: one after another, ids and URLs started wherever the key ended.
    const rows = created
      .sort((a, b) => byCodeUnits(a.team, b.team) || byCodeUnits(a.key, b.key))
      .map((step) => [`${step.team}/${step.key}`, step.jobId ?? "", step.url ?? ""]);
    for (const line of await alignRows(rows)) lines.push(`  ${line}`);
  }
  const problems = result.steps.filter((s) => s.status !== "applied");
  if (problems.length > 0) {
    lines.push("", "Not done:");
    for (const step of problems) lines.push(`  ${stepLine(step)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Uploads first, then the plan's creates and cancels, then the sweep for duplicates (`dedupe`). */
const PHASE = (s: StepResult): number => (s.step === "upload" ? 0 : s.action === "dedupe" ? 2 : 1);

/**
 * The steps in an order that is the same at every run of the same plan: by phase, team and
 * key. Steps end in whatever order Studio answers (`--parallelism` at once), and the JSON
 * listed them so. The steps of one job keep the order they ran in (the sort is stable):
 * a replacement's create and cancel, either way round, and a retried create's.
 */
function inStableOrder(steps: readonly StepResult[]): StepResult[] {
  return [...steps].sort((a, b) => PHASE(a) - PHASE(b) || byCodeUnits(a.team, b.team) || byCodeUnits(a.key, b.key));
}

export function renderApplyJson(result: ApplyResult): string {
  const steps = inStableOrder(result.steps).map((s) => ({
    step: s.step,
    action: s.action,
    key: s.key,
    team: s.team,
    status: s.status,
    ...(s.jobId === undefined ? {} : { job_id: s.jobId }),
    ...(s.fileId === undefined ? {} : { file_id: s.fileId }),
    ...(s.url === undefined ? {} : { url: s.url }),
    ...(s.detail === undefined ? {} : { detail: s.detail }),
  }));
  const { halfReplaced, ...summary } = result.summary;
  return jsonForReaders({ format_version: 1, summary: { ...summary, half_replaced: halfReplaced }, steps });
}
