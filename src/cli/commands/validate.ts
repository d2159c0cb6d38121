// `studio-jobs validate`: check the spec offline and say every problem at once.

import { parseVarFlags, loadSpec } from "../../spec/index.js";
import { resolveConnection } from "../../studio/config.js";
import type { GlobalOptions } from "../connect.js";
import type { CliIo } from "../io.js";

export async function runValidate(paths: string[], options: { var: string[] }, globals: GlobalOptions, io: CliIo): Promise<number> {
  // No network: only the default team is read from flags, environment or datachain's config.
  const settings = await resolveConnection({ team: globals.team }, io.env, io.cwd);
  const spec = await loadSpec(paths, io.cwd, { env: io.env, vars: parseVarFlags(options.var), defaultTeam: settings.team });
  const count = spec.jobs.length;
  io.stdout.write(
    `Valid: ${count} job${count === 1 ? "" : "s"} in ${spec.files.length} file${spec.files.length === 1 ? "" : "s"}, stack ${spec.stack}, team${spec.teams.length === 1 ? "" : "s"} ${spec.teams.join(", ") || "(none)"}.\n`,
  );
  return 0;
}
