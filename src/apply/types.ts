// What applying a plan reports: one result per step, and events for progress.

export type StepKind = "upload" | "create" | "cancel";
export type StepStatus = "applied" | "failed" | "skipped";
/** The plan action a step belongs to; `dedupe` cancels a duplicate a concurrent apply made. */
export type ActionVerb = "create" | "replace" | "cancel" | "dedupe";

export interface StepResult {
  step: StepKind;
  /** The plan action the step belongs to. */
  action: ActionVerb;
  key: string;
  team: string;
  status: StepStatus;
  /** The job created or cancelled. */
  jobId?: string;
  /** The id Studio gave an uploaded file. */
  fileId?: string;
  url?: string;
  /** Why it failed or was skipped; how a create was confirmed. */
  detail?: string;
}

export interface ApplySummary {
  created: number;
  replaced: number;
  cancelled: number;
  /** Duplicates of this apply's jobs, made by an apply running at the same time, cancelled. */
  deduplicated: number;
  /**
   * Replacements of which one step was done and the other not (stopped or failed): the new
   * version made and the old one still live, or the old one cancelled and no new one made.
   */
  halfReplaced: number;
  failed: number;
  skipped: number;
}

export interface ApplyResult {
  steps: StepResult[];
  summary: ApplySummary;
}

export type ApplyEvent =
  | { type: "start"; total: number }
  | { type: "begin"; step: StepKind; key: string; team: string; done: number; total: number }
  | { type: "end"; result: StepResult; done: number; total: number };
