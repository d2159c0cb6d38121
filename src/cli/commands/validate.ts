// `studio-jobs validate`: check the spec offline and say every problem at once, as
// text for people, JSON for tools, or workflow commands that GitHub Actions turns into
// annotations on the pull request. Needs no secret: an unset ${env:...} is a note.

import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { countProblems, formatSpecNote, SpecError, type ProblemSubject, type SpecIssue } from "../../errors.js";
import { readVars, type SpecCheck } from "../../desired/index.js";
import { displayPath, loadSpecFiles } from "../../desired/load.js";
import { checkSpecFiles, needsDefaultTeam } from "../../desired/resolve.js";
import { checkVarsUsed } from "../../desired/unused-vars.js";
import { jsonForReaders, printable, printableLines } from "../../invisible.js";
import type { GlobalOptions } from "../connect.js";
import type { CliIo } from "../io.js";
import { escapeData, escapeProperty } from "../../workflow-commands.js";
import { byCodeUnits } from "../../code-unit-order.js";

export type ValidateFormat = "text" | "json" | "github";

export interface ValidateFlags {
  var: string[];
  varFile: string[];
  format: ValidateFormat;
}

type Severity = "error" | "note";

export async function runValidate(paths: string[], flags: ValidateFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  let check: SpecCheck;
  let subject: ProblemSubject = "the spec";
  try {
    const vars = await readVars(flags.var, flags.varFile, io.cwd);
    const { files, issues } = await loadSpecFiles(paths, io.cwd);
    // Which variables the spec uses is known only when every file was read.
    const unusedVars = issues.length === 0 ? checkVarsUsed(files, vars) : [];
    const defaultTeam = needsDefaultTeam(files) ? await configuredTeam(globals, io) : undefined;
    check = await checkSpecFiles(files, { env: io.env, vars: vars.values, defaultTeam, unsetEnv: "note", checkOnly: true }, issues);
    check.notes.push(...unusedVars);
  } catch (error) {
    // A var file's problems are problems of this run like any other.
    if (!(error instanceof SpecError)) throw error;
    check = { summary: undefined, spec: undefined, errors: [...error.issues], notes: [] };
    subject = error.subject;
  }
  switch (flags.format) {
    case "text":
      return reportText(check, subject, io);
    case "json":
      io.stdout.write(renderJson(check));
      return check.summary === undefined ? 1 : 0;
    case "github":
      for (const line of renderGithub(check, annotationFiles(io))) (io.commands ?? io.stdout).write(`${line}\n`);
      if (check.summary === undefined) io.stderr.write(`${countProblems(check.errors, subject)}\n`);
      else io.stdout.write(`${summary(check)}\n`);
      return check.summary === undefined ? 1 : 0;
    default:
      return flags.format satisfies never;
  }
}

/**
 * The team for jobs that name none: --team, DATACHAIN_STUDIO_TEAM or datachain's config.
 * No network; the config is read (and its reader loaded) only when a job needs it.
 */
async function configuredTeam(globals: GlobalOptions, io: CliIo): Promise<string | undefined> {
  const { resolveCredentials } = await import("../../studio/config.js");
  return (await resolveCredentials({ team: globals.team }, io.env, io.cwd, ["team"])).team;
}

function summary(check: SpecCheck): string {
  const spec = check.summary;
  if (spec === undefined) return countProblems(check.errors);
  const { jobs, files, teams } = spec;
  return `Valid: ${jobs} job${jobs === 1 ? "" : "s"} in ${files.length} file${files.length === 1 ? "" : "s"}, stack ${spec.stack}, team${teams.length === 1 ? "" : "s"} ${teams.join(", ") || "(none)"}.`;
}

function reportText(check: SpecCheck, subject: ProblemSubject, io: CliIo): number {
  // A note quotes file names and values from the spec: shown escaped, as errors are (src/cli/run.ts).
  for (const note of check.notes) io.stderr.write(`${printable(formatSpecNote(note))}\n`);
  // The errors take the way every command's errors take: the same lines, exit 1.
  if (check.summary === undefined) throw new SpecError(check.errors, subject);
  io.stdout.write(`${summary(check)}\n`);
  return 0;
}

function problems(check: SpecCheck): { issue: SpecIssue; severity: Severity }[] {
  const all = [
    ...check.errors.map((issue) => ({ issue, severity: "error" as const })),
    ...check.notes.map((issue) => ({ issue, severity: "note" as const })),
  ];
  return all.sort(
    (a, b) =>
      byCodeUnits(a.issue.location.file, b.issue.location.file) ||
      a.issue.location.line - b.issue.location.line ||
      a.issue.location.column - b.issue.location.column,
  );
}

/**
 * `{valid, problems: [{file, line, column, path, severity, message}]}`; `count` on an entry
 * that tells of several problems ("and 2 more ..."), which the text's total counts as many.
 */
export function renderJson(check: SpecCheck): string {
  return jsonForReaders({
    valid: check.summary !== undefined,
    problems: problems(check).map(({ issue, severity }) => ({
      file: issue.location.file,
      line: issue.location.line,
      column: issue.location.column,
      path: issue.path,
      severity,
      message: issue.message,
      ...(issue.count === undefined ? {} : { count: issue.count }),
    })),
  });
}

/**
 * A spec file as GitHub's runner reads an annotation's `file`: a relative one from the
 * repository's root (GITHUB_WORKSPACE), whatever the step's working directory, and an absolute
 * one inside the repository made relative to it. So a file under the workspace is named from
 * its root, and `validate` run in a subdirectory (`working-directory: infra`) still marks the
 * right line; one outside it keeps its absolute path. Without GITHUB_WORKSPACE, or for a place
 * that is no file, as shown.
 */
function annotationFiles(io: Pick<CliIo, "cwd" | "env">): (file: string) => string {
  const workspace = io.env["GITHUB_WORKSPACE"];
  if (workspace === undefined || workspace === "") return (file) => file;
  const given = resolve(io.cwd, workspace);
  const root = realPath(given) ?? given;
  // Each file once: a file with thousands of problems is looked up once, not once a problem.
  const named = new Map<string, string>();
  return (file) => {
    let name = named.get(file);
    if (name === undefined) {
      name = annotationFile(file, io.cwd, root);
      named.set(file, name);
    }
    return name;
  };
}

function annotationFile(file: string, cwd: string, root: string): string {
  // A place that is no file (an empty path given, a glob's missing directory) is named as given.
  const absolute = resolve(cwd, file);
  if (!existsSync(absolute)) return file;
  // Directories as the file system has them (a runner's work directory may be reached through
  // a link); the file by the name it was given, a link by its own.
  const real = join(realPath(dirname(absolute)) ?? dirname(absolute), basename(absolute));
  return displayPath(real, root).split(sep).join("/");
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** One `::error file=…,line=…,col=…::message` per problem, `::notice` for notes; `file` names a spec file as the runner should read it. */
export function renderGithub(check: SpecCheck, annotated: (file: string) => string = (file) => file): string[] {
  return problems(check).map(({ issue, severity }) => {
    const { line, column } = issue.location;
    const file = annotated(issue.location.file);
    const where = issue.path === "" ? "" : ` (at ${issue.path})`;
    const command = severity === "error" ? "error" : "notice";
    // Shown escaped, not obeyed, line by line: a value quoted from the spec may hold a
    // terminal escape or a bidirectional override, and annotations land on the pull request.
    const message = printableLines(issue.message + where);
    return `::${command} file=${escapeProperty(printable(file))},line=${line},col=${column}::${escapeData(message)}`;
  });
}
