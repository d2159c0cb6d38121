// Where the Studio URL, token and team come from: flags, then environment, then
// datachain's own config files, so a user who ran `datachain auth login` needs nothing more.

import { homedir } from "node:os";
import { join, posix, resolve, win32 } from "node:path";
import { decodeText, describeTextProblem } from "../desired/decode-text.js";
import { readRegularFile, type CappedRead } from "../desired/read-file.js";
import { UsageError } from "../errors.js";
import { quoted } from "../invisible.js";
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

/**
 * The config files in the order datachain reads them, a later one overriding an earlier one:
 * the system's, the user's, and the project's (`.datachain/config` under `DATACHAIN_ROOT_DIR`,
 * by default this directory, or `DATACHAIN_DIR` itself). A variable set but blank is unset,
 * as datachain reads them: an empty DATACHAIN_GLOBAL_CONFIG_DIR read ./config.
 */
export function configFilePaths(
  env: NodeJS.ProcessEnv,
  cwd: string,
  home: string = homedir(),
  platform: NodeJS.Platform = process.platform,
): string[] {
  const system = setting(env, "DATACHAIN_SYSTEM_CONFIG_DIR") ?? platformConfigDir("site", env, home, platform);
  const user = setting(env, "DATACHAIN_GLOBAL_CONFIG_DIR") ?? platformConfigDir("user", env, home, platform);
  const paths = platform === "win32" ? win32 : posix;
  const earlier = platform === "darwin" && setting(env, "DATACHAIN_GLOBAL_CONFIG_DIR") === undefined ? macOSEarlier(env, home) : [];
  return [paths.join(system, "config"), ...earlier, paths.join(user, "config"), projectConfigPath(env, cwd)];
}

/**
 * On macOS, a second place for the user's config, read below the first. Without
 * $XDG_CONFIG_HOME, ~/.config's, where this tool's README long said the user's config is:
 * one written there by hand still counts. With it, ~/Library/Application Support's: a
 * datachain with an older platformdirs, which reads no XDG variable on macOS, logs in there.
 */
function macOSEarlier(env: NodeJS.ProcessEnv, home: string): string[] {
  const dir = setting(env, "XDG_CONFIG_HOME") === undefined ? join(home, ".config") : join(home, "Library", "Application Support");
  return [join(dir, "datachain", "config")];
}

/** The project's config file, the last of configFilePaths: the one `datachain auth login --local` writes. */
function projectConfigPath(env: NodeJS.ProcessEnv, cwd: string): string {
  const project = setting(env, "DATACHAIN_DIR") ?? join(setting(env, "DATACHAIN_ROOT_DIR") ?? cwd, ".datachain");
  return resolve(cwd, project, "config");
}

/**
 * A 401's hint, by where the token came from (`source`: `--token`, a variable's name, a config
 * file's path): "run `datachain auth login`" does nothing for a token from
 * DATACHAIN_STUDIO_TOKEN, which wins over the config that login writes. Nor does it replace a
 * token in the config: login refuses while one is there ("Token already exists"), so it takes
 * `datachain auth logout` first; and the project's config takes `--local` for both.
 */
export function refusedTokenHint(source: string, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (source === "unset") return undefined;
  if (source === "--token")
    return "Studio refused the token given with --token: check it, or leave --token out to use DATACHAIN_STUDIO_TOKEN or datachain's config.";
  if (source === "DATACHAIN_STUDIO_TOKEN") {
    return "Studio refused the token in DATACHAIN_STUDIO_TOKEN, which wins over datachain's config: check it, or unset it to use the token `datachain auth login` saved.";
  }
  const local = source === projectConfigPath(env, cwd) ? " --local" : "";
  return `Studio refused the token in ${source}: replace it with \`datachain auth logout${local}\` and then \`datachain auth login${local}\`, or set DATACHAIN_STUDIO_TOKEN.`;
}

/** A variable's value, trimmed; undefined when it is unset or blank. */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

/**
 * datachain's config directory of `scope` where datachain itself (platformdirs) finds it:
 * on Linux and macOS `$XDG_CONFIG_HOME` (the first of `$XDG_CONFIG_DIRS` for the system's)
 * when set, else `~/.config` (`/etc/xdg`) on Linux and `~/Library/Application Support`
 * (`/Library/Application Support`) on macOS; on Windows `%LOCALAPPDATA%\iterative` (`%PROGRAMDATA%\iterative`).
 */
function platformConfigDir(scope: "user" | "site", env: NodeJS.ProcessEnv, home: string, platform: NodeJS.Platform): string {
  if (platform === "win32") {
    const base =
      scope === "user"
        ? (setting(env, "LOCALAPPDATA") ?? win32.join(home, "AppData", "Local"))
        : (setting(env, "PROGRAMDATA") ?? "C:\\ProgramData");
    return win32.join(base, "iterative", "datachain");
  }
  const xdg =
    scope === "user"
      ? setting(env, "XDG_CONFIG_HOME")
      : setting(env, "XDG_CONFIG_DIRS")
          ?.split(":")
          .find((dir) => dir.trim() !== "")
          ?.trim();
  const macOS = platform === "darwin";
  const fallback =
    scope === "user" ? join(home, macOS ? "Library/Application Support" : ".config") : macOS ? "/Library/Application Support" : "/etc/xdg";
  return join(xdg ?? fallback, "datachain");
}

/** A datachain config is a few lines: a larger file is not one (or not one to read whole). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The config's bytes as text, or undefined when there is none; refused, naming the file, when it cannot be read as one. */
async function readConfigText(path: string): Promise<string | undefined> {
  let read: CappedRead;
  try {
    // A regular file only, within a cap: a FIFO there would hang every command, /dev/zero fill the memory.
    read = await readRegularFile(path, MAX_CONFIG_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (code === "ENOENT") return undefined;
    throw new UsageError(
      `Cannot read datachain config ${path}${code === "" ? "" : ` (${code})`}.`,
      "Check its permissions, or move it away.",
    );
  }
  if ("notFile" in read)
    throw new UsageError(
      `Datachain config ${path} is ${read.notFile}, not a file.`,
      "Move it away: datachain keeps its settings in a file there.",
    );
  if ("tooLarge" in read) {
    throw new UsageError(
      `Datachain config ${path} is larger than 1 MiB, which no datachain config is.`,
      "Move it away, or keep only its settings in it.",
    );
  }
  const decoded = decodeText(read.bytes);
  if ("problem" in decoded) throw new UsageError(`Datachain config ${path} ${describeTextProblem(decoded.problem)}.`);
  return decoded.text;
}

async function readStudioSection(path: string): Promise<StudioSection> {
  const text = await readConfigText(path);
  if (text === undefined) return {};
  // Loaded only when a config file exists: most runs in CI have none.
  const { parse: parseToml } = await import("smol-toml");
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text);
  } catch (error) {
    throw tomlError(path, error);
  }
  const studio = parsed["studio"];
  if (studio === undefined) return {};
  // A date is an object to smol-toml.
  if (studio === null || typeof studio !== "object" || Array.isArray(studio) || studio instanceof Date) {
    throw new UsageError(`Datachain config ${path}: studio must be a table, [studio], holding url, token and team.`);
  }
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
 * smol-toml's error as `file:line:column: what`. Its message goes on to quote the lines
 * around, which may hold the token: only its first line is kept, which is its own words.
 */
function tomlError(path: string, error: unknown): UsageError {
  const { line, column, message } = error as { line?: number; column?: number; message?: string };
  const reason = /^Invalid TOML document: ([^\n]*)/.exec(message ?? "")?.[1];
  const place = line === undefined ? "" : `:${line}${column === undefined ? "" : `:${column}`}`;
  return new UsageError(
    `${path}${place}: datachain config is not valid TOML${reason === undefined ? "" : ` (${reason})`}.`,
    // Not "run `datachain auth login` again": datachain reads every config first, and stops at this one too.
    "Fix it there (the line is not shown: it may hold the token), or move it away and run `datachain auth login` again.",
  );
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
  // Given every setting by a flag or a variable, the config files are not read: one broken,
  // which nothing would be taken from, stopped every command (a CI run given all three too).
  const given = (key: keyof StudioSection) => flags[key] !== undefined || (env[EMPTY_VARIABLES[key].name] ?? "") !== "";
  const files = (["url", "token", "team"] as const).every(given) ? [] : configFilePaths(env, cwd, home);
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
    throw new UsageError(`The team from ${team.source}, ${quoted(team.value)}, must be ${TEAM_NAME_RULE}.`);
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
