// `studio-jobs validate`: check the spec offline and say every problem at once.

import { SpecError } from "../../errors.js";
import { parseVarFlags, loadSpec } from "../../spec/index.js";
import { resolveConnection } from "../../studio/config.js";
import type { GlobalOptions } from "../connect.js";
import type { CliIo } from "../io.js";

export interface ValidateFlags {
  var: string[];
  format: "text" | "github";
}

/** A GitHub Actions workflow command: `::error file=F,line=L,col=C::message`, escaped as GitHub reads it. */
function githubAnnotation(issue: SpecError["issues"][number]): string {
  const data = (text: string) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const property = (text: string) => data(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
  const { file, line, column } = issue.location;
  const where = issue.path === "" ? "" : ` (at ${issue.path})`;
  return `::error file=${property(file)},line=${line},col=${column}::${data(issue.message + where)}`;
}

export async function runValidate(paths: string[], options: ValidateFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  // No network: only the default team is read from flags, environment or datachain's config.
  const settings = await resolveConnection({ team: globals.team }, io.env, io.cwd);
  let spec;
  try {
    spec = await loadSpec(paths, io.cwd, { env: io.env, vars: parseVarFlags(options.var), defaultTeam: settings.team });
  } catch (error) {
    if (!(error instanceof SpecError) || options.format !== "github") throw error;
    // Each problem annotates its line in the pull request; the summary goes to the log.
    for (const issue of error.issues) io.stdout.write(`${githubAnnotation(issue)}\n`);
    io.stderr.write(`${error.issues.length} problem${error.issues.length === 1 ? "" : "s"} found in the spec.\n`);
    return 1;
  }
  const count = spec.jobs.length;
  io.stdout.write(
    `Valid: ${count} job${count === 1 ? "" : "s"} in ${spec.files.length} file${spec.files.length === 1 ? "" : "s"}, stack ${spec.stack}, team${spec.teams.length === 1 ? "" : "s"} ${spec.teams.join(", ") || "(none)"}.\n`,
  );
  return 0;
}
