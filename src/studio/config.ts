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

/**
 * A variable set but empty is most likely a CI variable or secret that is not defined.
 * Falling back to the config would mix settings: a self-hosted Studio's token sent to the
 * config's or the public Studio (an empty URL), the config's token sent to the environment's
 * URL (an empty token), jobs planned in the config's team (an empty team).
 */
const EMPTY_VARIABLES = {
  url: {
    name: "DATACHAIN_STUDIO_URL",
    what: "a CI variable that is not defined?",
    fix: `Set it to your Studio's URL, or unset it to use datachain's config or ${DEFAULT_STUDIO_URL}.`,
  },
  token: {
    name: "DATACHAIN_STUDIO_TOKEN",
    what: "a CI secret that is not set, or not given to this run?",
    fix: "Set it to your Studio token, or unset it to use datachain's config (`datachain auth login`).",
  },
  team: {
    name: "DATACHAIN_STUDIO_TEAM",
    what: "a CI variable that is not defined?",
    fix: "Set it to a team, or unset it to use datachain's config's team.",
  },
} as const;

/**
 * The token and team alone, for a command that calls no Studio (show checking a plan's seal,
 * validate's team for jobs that name none): the URL is not used, and only the settings in
 * `used` are checked (refused when their variable is set but empty, or when they are not
 * a team name or a token), so that a broken team does not keep show from its token.
 */
export async function resolveCredentials(
  flags: Omit<ConnectionFlags, "url">,
  env: NodeJS.ProcessEnv,
  cwd: string,
  used: readonly ("token" | "team")[] = [],
  home?: string,
): Promise<Pick<ConnectionSettings, "token" | "team">> {
  const { token, team } = await resolveConnection({ token: flags.token, team: flags.team }, env, cwd, used, home);
  return { token, team };
}

/**
 * The URL, token and team for a command that calls Studio. `used` names the settings it uses:
 * each is checked, and refused when its variable is set but empty (unless its flag is given);
 * apply of a saved plan, whose teams are in the file, leaves the team out.
 */
export async function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  used: readonly (keyof StudioSection)[] = ["url", "token", "team"],
  home?: string,
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

  for (const key of used) {
    const { name, what, fix } = EMPTY_VARIABLES[key];
    if (flags[key] === undefined && env[name] === "") throw new UsageError(`${name} is set but empty (${what}).`, fix);
  }
  const url = pick("url", flags.url, "DATACHAIN_STUDIO_URL");
  const token = pick("token", flags.token, "DATACHAIN_STUDIO_TOKEN");
  const team = pick("team", flags.team, "DATACHAIN_STUDIO_TEAM");
  if (used.includes("team") && team.value !== undefined && !isTeamName(team.value)) {
    throw new UsageError(`The team from ${team.source}, ${escapeInvisible(JSON.stringify(team.value))}, must be ${TEAM_NAME_RULE}.`);
  }
  // A token file saved with Windows line endings ends in \r.
  if (used.includes("token")) checkToken(token.value, token.source);
  return {
    url: url.value ?? DEFAULT_STUDIO_URL,
    token: token.value,
    team: team.value,
    sources: { url: url.value === undefined ? "default" : url.source, token: token.source, team: team.source },
  };
}
