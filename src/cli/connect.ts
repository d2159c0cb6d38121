// Turn global flags + environment + datachain config into a Studio client.

import { UsageError } from "../errors.js";
import { checkStudioUrl, createStudioClient, type StudioClient } from "../studio/client.js";
import { resolveConnection, type ConnectionSettings } from "../studio/config.js";
import type { CliIo } from "./io.js";

export interface GlobalOptions {
  url?: string;
  token?: string;
  team?: string;
  color: boolean;
  verbose: boolean;
  insecure: boolean;
}

export interface Connection {
  client: StudioClient;
  /** The team from --team / DATACHAIN_STUDIO_TEAM / config, used when the spec names none. */
  team: string | undefined;
}

/**
 * STUDIO_JOBS_MAX_LISTED: the most records of one team the tool will list before it
 * refuses to plan (default 1,000,000). A listing that reaches it may be incomplete.
 */
function listLimitFrom(env: NodeJS.ProcessEnv): { listLimit?: { initial: number; ceiling: number } } {
  const raw = env["STUDIO_JOBS_MAX_LISTED"];
  if (raw === undefined || raw === "") return {};
  const ceiling = Number(raw);
  if (!Number.isInteger(ceiling) || ceiling < 1) {
    throw new UsageError(`STUDIO_JOBS_MAX_LISTED must be a whole number of at least 1, got "${raw}".`);
  }
  return { listLimit: { initial: Math.min(250_000, ceiling), ceiling } };
}

/** `settings`, when the caller has resolved them already, saves reading the config files again. */
export async function connect(globals: GlobalOptions, io: CliIo, resolved?: ConnectionSettings): Promise<Connection> {
  const settings = resolved ?? (await resolveConnection(globals, io.env, io.cwd));
  checkStudioUrl(settings.url, globals.insecure);
  if (settings.token === undefined) {
    throw new UsageError(
      "No Studio token.",
      "Pass --token, set DATACHAIN_STUDIO_TOKEN, or run `datachain auth login`. For the local emulator the token is dev-token.",
    );
  }
  if (globals.verbose) {
    io.stderr.write(`studio: ${settings.url} (url from ${settings.sources.url}, token from ${settings.sources.token})\n`);
  }
  const client = createStudioClient({
    url: settings.url,
    token: settings.token,
    ...listLimitFrom(io.env),
    ...(globals.verbose
      ? {
          onRetry: (e) =>
            io.stderr.write(`retry ${e.attempt}: [${e.method}] ${e.path} after ${e.reason}, waiting ${e.delayMs} ms\n`),
        }
      : {}),
  });
  return { client, team: settings.team };
}
