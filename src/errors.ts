// One error model for the whole tool. A StudioJobsError is an expected failure the
// user can act on: it has a stable code, a message for humans and an exit code.
// Anything else that escapes to the CLI is a bug and is reported with its stack.

export class StudioJobsError extends Error {
  readonly code: string;
  readonly exitCode: number;
  /** A hint on how to fix it, printed after the message. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A place in a spec file: 1-based line and column. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One problem found in a spec, with where it is and the path in the document. */
export interface SpecIssue {
  location: SourceLocation;
  /** Dotted path in the document, e.g. `jobs.nightly.schedule.cron`; empty for the root. */
  path: string;
  message: string;
  /** How many problems it tells of, when more than one: "and 40 more ... in this value". */
  count?: number;
}

/** What a SpecError's problems are in: the spec, or the variables given with it (--var, --var-file). */
export type ProblemSubject = "the spec" | "the variables given";

/** How many problems `issues` tell of: "12 problems found in the spec." */
export function countProblems(issues: readonly SpecIssue[], subject: ProblemSubject = "the spec"): string {
  let count = 0;
  for (const issue of issues) count += issue.count ?? 1;
  return `${count} problem${count === 1 ? "" : "s"} found in ${subject}.`;
}

export function formatSpecIssue(issue: SpecIssue): string {
  const { file, line, column } = issue.location;
  const where = issue.path === "" ? "" : ` (at ${issue.path})`;
  return `${file}:${line}:${column}: ${issue.message}${where}`;
}

/** A note about the spec: something to look at that stops nothing. */
export function formatSpecNote(issue: SpecIssue): string {
  return formatSpecIssue({ ...issue, message: `note: ${issue.message}` });
}

export class SpecError extends StudioJobsError {
  readonly issues: readonly SpecIssue[];
  readonly subject: ProblemSubject;

  constructor(issues: readonly SpecIssue[], subject: ProblemSubject = "the spec") {
    super("SPEC_INVALID", `${issues.map(formatSpecIssue).join("\n")}\n${countProblems(issues, subject)}`);
    this.issues = issues;
    this.subject = subject;
  }
}

/** Studio answered with an error status, or could not be reached, or sent what the tool cannot use. */
export class RemoteError extends StudioJobsError {
  readonly method: string;
  readonly path: string;
  /** HTTP status; undefined when no reply arrived (timeout, reset, refused). */
  readonly status: number | undefined;
  readonly studioMessage: string | undefined;
  /** True when the server may or may not have acted: no reply, a timeout, a 5xx, or a 2xx we could not read. */
  readonly ambiguous: boolean;

  constructor(init: {
    method: string;
    path: string;
    status: number | undefined;
    studioMessage?: string | undefined;
    cause?: unknown;
    hint?: string | undefined;
    /** The whole message, when the usual `[METHOD] path: status message` does not say it well. */
    message?: string;
    code?: string;
    ambiguous?: boolean;
  }) {
    const detail =
      init.status === undefined
        ? `no reply: ${describeCause(init.cause)}`
        : `${init.status}${init.studioMessage ? ` ${init.studioMessage}` : ""}`;
    super(init.code ?? remoteCode(init.status), init.message ?? `[${init.method}] ${init.path}: ${detail}`, {
      cause: init.cause,
      hint: init.hint ?? remoteHint(init.status),
    });
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.studioMessage = init.studioMessage;
    this.ambiguous = init.ambiguous ?? (init.status === undefined || init.status >= 500);
  }
}

/**
 * The command was asked to stop (SIGINT/SIGTERM) while it waited for Studio. A write in
 * flight may or may not have been carried out: a re-run finds out and converges.
 */
export class InterruptedError extends StudioJobsError {
  constructor(
    message: string,
    /** Whether the write may have been carried out: it reached Studio, and its reply was cut off. */
    readonly mayHaveActed = false,
  ) {
    super("INTERRUPTED", message);
  }
}

/** A signal's name from an AbortSignal's reason, for messages: main.ts aborts with the name. */
export function describeInterruption(reason: unknown): string {
  return typeof reason === "string" && /^SIG[A-Z]+$/.test(reason) ? `by ${reason}` : "";
}

function remoteCode(status: number | undefined): string {
  if (status === undefined) return "REMOTE_UNREACHABLE";
  if (status === 401) return "REMOTE_UNAUTHENTICATED";
  if (status === 403) return "REMOTE_FORBIDDEN";
  if (status === 404) return "REMOTE_NOT_FOUND";
  if (status === 429) return "REMOTE_RATE_LIMITED";
  if (status >= 500) return "REMOTE_SERVER_ERROR";
  return "REMOTE_REJECTED";
}

function remoteHint(status: number | undefined): string | undefined {
  if (status === undefined) return "Check --url (or DATACHAIN_STUDIO_URL) and that Studio is reachable.";
  if (status === 401) return "The token is missing or not valid: set --token or DATACHAIN_STUDIO_TOKEN, or run `datachain auth login`.";
  if (status === 403) return "The token is not authorized for this team or lacks the JOB scope it needs.";
  return undefined;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    // Node's own messages name the code already ("connect ECONNREFUSED 127.0.0.1:1"): said once.
    return typeof code === "string" && !cause.message.split(/\s+/).includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** Something the user asked for that cannot be done as asked (bad flags, config). */
export class UsageError extends StudioJobsError {
  constructor(message: string, hint?: string) {
    super("USAGE", message, hint === undefined ? {} : { hint });
  }
}

/** The plan is refused: a conflict, a guard, a protected job, a stale saved plan. */
export class PlanRefusedError extends StudioJobsError {
  readonly reasons: readonly string[];
  constructor(code: string, reasons: readonly string[], hint?: string) {
    super(code, reasons.join("\n"), hint === undefined ? {} : { hint });
    this.reasons = reasons;
  }
}
