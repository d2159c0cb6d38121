// Where the Studio URL, token and team come from: flags, then environment, then
// datachain's own config files, so a user who ran `datachain auth login` needs nothing more.

import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { escapeInvisible } from "../invisible.js";
import { isTeamName, TEAM_NAME_RULE } from "./team-name.js";
import { checkToken } from "./token.js";

export const DEFAULT_STUDIO_URL = "https://studio.datachain.ai";

export interface ConnectionFlags {
  url?: string | undefined;
  token?: string | undefined;
  team?: string | undefined;
}

export interface ConnectionSettings {
  url: string;
  token: string | undefined;
  team: string | undefined;
  /** Where each value came from, for --verbose; never the token itself. */
  sources: { url: string; token: string; team: string };
}

interface StudioSection {
  url?: string;
  token?: string;
  team?: string;
}

/** The config files in the order datachain reads them; a later one overrides an earlier one. */
export function configFilePaths(env: NodeJS.ProcessEnv, cwd: string, home: string = homedir()): string[] {
  const globalDir = env["DATACHAIN_GLOBAL_CONFIG_DIR"] ?? join(home, ".config", "datachain");
  return [join(globalDir, "config"), join(cwd, ".datachain", "config")];
}

async function readStudioSection(path: string): Promise<StudioSection> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new UsageError(`Cannot read datachain config ${path}: ${(error as Error).message}`);
  }
  // Loaded only when a config file exists: most runs in CI have none.
  const { parse: parseToml } = await import("smol-toml");
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text);
  } catch (error) {
    // The TOML error quotes the offending line, which may hold the token: say only where.
    const line = (error as { line?: number }).line;
    throw new UsageError(`Datachain config ${path} is not valid TOML${line === undefined ? "" : ` (line ${line})`}.`);
  }
  const studio = parsed["studio"];
  if (studio === null || typeof studio !== "object") return {};
  const section: StudioSection = {};
  for (const key of ["url", "token", "team"] as const) {
    const value = (studio as Record<string, unknown>)[key];
    if (typeof value === "string" && value !== "") section[key] = value;
    // Said without the value: it may be the token.
    else if (value !== undefined && typeof value !== "string") {
      throw new UsageError(`Datachain config ${path}: ${key} in [studio] must be a string; quote it.`);
    }
  }
  return section;
}

export async function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  home?: string,
): Promise<ConnectionSettings> {
  return resolveSettings(flags, env, cwd, home, true);
}

/**
 * The token and team alone, for a command that calls no Studio (show checking a plan's seal,
 * validate's team for jobs that name none): the URL is not read, so DATACHAIN_STUDIO_URL set
 * but empty is no error there.
 */
export async function resolveCredentials(
  flags: Omit<ConnectionFlags, "url">,
  env: NodeJS.ProcessEnv,
  cwd: string,
  home?: string,
): Promise<Pick<ConnectionSettings, "token" | "team">> {
  const { token, team } = await resolveSettings({ token: flags.token, team: flags.team }, env, cwd, home, false);
  return { token, team };
}

async function resolveSettings(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  home: string | undefined,
  /** Whether Studio is called: an empty DATACHAIN_STUDIO_URL or DATACHAIN_STUDIO_TOKEN is an error only then. */
  withUrl: boolean,
): Promise<ConnectionSettings> {
  const files = configFilePaths(env, cwd, home);
  const fromFiles: { value: StudioSection; path: string }[] = [];
  for (const path of files) fromFiles.push({ value: await readStudioSection(path), path });

  function pick(key: keyof StudioSection, flag: string | undefined, envName: string): { value: string | undefined; source: string } {
    // `--team "$TEAM"` with TEAM unset must not quietly mean the configured team.
    if (flag === "")
      throw new UsageError(`--${key} is empty.`, `Give a value, or leave --${key} out to use ${envName} or datachain's config.`);
    if (flag !== undefined) return { value: flag, source: `--${key}` };
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, source: envName };
    for (let i = fromFiles.length - 1; i >= 0; i--) {
      const entry = fromFiles[i];
      const value = entry?.value[key];
      if (entry !== undefined && value !== undefined) return { value, source: entry.path };
    }
    return { value: undefined, source: "unset" };
  }

  // An empty URL is most likely a CI variable that is not defined: falling back to the
  // config or the public Studio would send a self-hosted Studio's token there.
  if (withUrl && flags.url === undefined && env["DATACHAIN_STUDIO_URL"] === "") {
    throw new UsageError(
      "DATACHAIN_STUDIO_URL is set but empty (a CI variable that is not defined?).",
      `Set it to your Studio's URL, or unset it to use datachain's config or ${DEFAULT_STUDIO_URL}.`,
    );
  }
  // So is an empty token (a CI secret not set, or not given to a fork's pull request): the
  // config's token in its place would be sent to the URL the environment names.
  if (withUrl && flags.token === undefined && env["DATACHAIN_STUDIO_TOKEN"] === "") {
    throw new UsageError(
      "DATACHAIN_STUDIO_TOKEN is set but empty (a CI secret that is not set, or not given to this run?).",
      "Set it to your Studio token, or unset it to use datachain's config (`datachain auth login`).",
    );
  }
  const url = pick("url", flags.url, "DATACHAIN_STUDIO_URL");
  const token = pick("token", flags.token, "DATACHAIN_STUDIO_TOKEN");
  const team = pick("team", flags.team, "DATACHAIN_STUDIO_TEAM");
  if (team.value !== undefined && !isTeamName(team.value)) {
    throw new UsageError(`The team from ${team.source}, ${escapeInvisible(JSON.stringify(team.value))}, must be ${TEAM_NAME_RULE}.`);
  }
  // A token file saved with Windows line endings ends in \r.
  checkToken(token.value, token.source);
  return {
    url: url.value ?? DEFAULT_STUDIO_URL,
    token: token.value,
    team: team.value,
    sources: { url: url.value === undefined ? "default" : url.source, token: token.source, team: team.source },
  };
}
