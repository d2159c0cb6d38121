// `studio-jobs status`: the stack's jobs in Studio, whether they match the spec, and their
// last and next runs. This command only reads and lists; plan/status.ts decides what is
// shown and render/status.ts writes it.

import { computeStatus } from "../../plan/status.js";
import { printable } from "../../invisible.js";
import { renderStatusJson, renderStatusText } from "../../render/status.js";
import { connect, type GlobalOptions } from "../connect.js";
import type { CliIo } from "../io.js";
import { coveredTeams, listCoverage, notInSpecOfUnreadFiles, readSpecFiles, type Coverage } from "../planning.js";
import { readVars } from "../../desired/index.js";
import { resolveSpec } from "../../desired/resolve.js";
import { resolveConnection } from "../../studio/config.js";
import { registerJobSecrets } from "../../redact.js";

export interface StatusFlags {
  var: string[];
  varFile: string[];
  format: "text" | "json";
}

export async function runStatus(paths: string[], flags: StatusFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  const settings = await resolveConnection(globals, io.env, io.cwd);
  const vars = await readVars(flags.var, flags.varFile, io.cwd);
  const options = { env: io.env, vars: vars.values, defaultTeam: settings.team };
  const files = await readSpecFiles(paths, options, vars, io);
  const spec = await resolveSpec(files, options);
  if (io.secrets !== undefined) registerJobSecrets(io.secrets, spec.jobs, io.env);
  const teams = coveredTeams(spec.teams, globals.team, settings.team);
  const { client } = await connect(globals, io, settings);
  let coverage: Coverage;
  try {
    // Every record, runs included: a schedule's last run is one of them.
    coverage = await listCoverage(client, spec.stack, teams, () => true);
  } catch (error) {
    // Another team's listing still arriving is not waited for.
    await client.close({ abort: true });
    throw error;
  }
  await client.close();
  const status = computeStatus(spec.jobs, coverage.listings, spec.stack, coverage.teams, new Date(io.now?.() ?? Date.now()));
  const leftOut = await notInSpecOfUnreadFiles(status, spec.jobs, files, io.cwd, options);
  for (const warning of [...coverage.warnings, ...status.warnings, ...leftOut]) io.stderr.write(`Warning: ${printable(warning)}\n`);
  io.stdout.write(flags.format === "json" ? renderStatusJson(status, coverage.unreadable, coverage.unfollowed) : renderStatusText(status));
  return 0;
}
