// From loaded spec files to DesiredJobs: defaults merged, ${...} interpolated, local
// files read and hashed, cron checked, markers and fingerprint computed.

import { realpath } from "node:fs/promises";
import { basename, dirname, extname, resolve } from "node:path";
import { checkCron } from "../cron.js";
import { SpecError, type SourceLocation, type SpecIssue } from "../errors.js";
import type { JobInput, QueryType } from "../studio/types.js";
import { FileCache, type FileRead } from "./files.js";
import { computeJobFingerprint, credentialsDigest } from "./fingerprint.js";
import { interpolate } from "./interpolate.js";
import { findRepositoryRoot, isInside, type LoadedSpecFile } from "./load.js";
import { formatEnvironment, MARKER_PREFIX, markerEnvironment } from "./markers.js";
import type { AppliedRecord, ClusterRef, DesiredFile, DesiredJob, ReplaceStrategy, ResolvedSpec } from "./types.js";
import { formatPath, type DocPath } from "./yaml-source.js";

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  /** --var name=value, over the files' own vars. */
  vars: Readonly<Record<string, string>>;
  /** The team for jobs that name none: --team, DATACHAIN_STUDIO_TEAM or datachain's config. */
  defaultTeam: string | undefined;
}

type Raw = Record<string, unknown>;

/** Fields whose value may come from ${env:...}; the others are shown in plans and may not. */
const SENSITIVE_CAPABLE = new Set(["query", "requirements", "environment", "credentials", "repository", "python_version"]);

interface Origin {
  value: unknown;
  path: DocPath;
}

/** Whether a schema problem sits at or under `prefix` (or above it, which spoils it too). */
function touches(paths: readonly DocPath[], prefix: DocPath): boolean {
  return paths.some((path) => {
    const n = Math.min(path.length, prefix.length);
    for (let i = 0; i < n; i++) if (String(path[i]) !== String(prefix[i])) return false;
    return path.length > 0;
  });
}

export async function resolveSpec(
  files: readonly LoadedSpecFile[],
  options: ResolveOptions,
  priorIssues: readonly SpecIssue[] = [],
): Promise<ResolvedSpec> {
  const issues: SpecIssue[] = [...priorIssues];
  const cache = new FileCache();
  const roots = new Map<string, string>();

  const first = files[0];
  if (first === undefined) {
    throw new SpecError(issues.length > 0 ? issues : [{ location: { file: "(none)", line: 1, column: 1 }, path: "", message: "no spec files given" }]);
  }
  const stack = String((first.source.data as Raw)["stack"]);
  for (const file of files.slice(1)) {
    const other = String((file.source.data as Raw)["stack"]);
    if (other !== stack) {
      issues.push({
        location: file.source.locate(["stack"]),
        path: "stack",
        message: `stack "${other}" differs from "${stack}" in ${first.display}; all files of one spec belong to one stack`,
      });
    }
  }

  // Where each key was first defined; located only when a second definition is found.
  const seen = new Map<string, LoadedSpecFile>();
  const pending: Promise<DesiredJob | undefined>[] = [];
  for (const file of files) {
    const data = file.source.data as Raw;
    const jobsValue = data["jobs"];
    const jobs = (jobsValue !== null && typeof jobsValue === "object" && !Array.isArray(jobsValue) ? jobsValue : {}) as Record<string, Raw>;
    let root = roots.get(dirname(file.path));
    if (root === undefined) {
      root = await realpath(await findRepositoryRoot(file.path));
      roots.set(dirname(file.path), root);
    }
    for (const key of Object.keys(jobs)) {
      const locate = () => file.source.locate(["jobs", key], { key: true });
      const previousFile = seen.get(key);
      if (previousFile !== undefined) {
        const previous = previousFile.source.locate(["jobs", key], { key: true });
        issues.push({
          location: locate(),
          path: formatPath(["jobs", key]),
          message: `job "${key}" is defined twice: at ${previous.file}:${previous.line}:${previous.column} and here; keep one`,
        });
        continue;
      }
      seen.set(key, file);
      if (touches(file.invalidPaths, ["jobs", key]) || touches(file.invalidPaths, ["defaults"]) || touches(file.invalidPaths, ["vars"])) continue;
      pending.push(resolveJob(file, key, locate, stack, root, options, cache, issues));
    }
  }
  const resolved = await Promise.all(pending);
  const declared = declaredTeams(files, options, issues);
  if (issues.length > 0) throw new SpecError(sortIssues(issues));
  const jobs = resolved.filter((j): j is DesiredJob => j !== undefined);
  return {
    stack,
    jobs,
    teams: [...new Set([...jobs.map((j) => j.team), ...declared])].sort(),
    files: files.map((f) => f.display),
  };
}

/**
 * The top-level `teams:` of every file: teams the stack owns even when no job of the
 * spec runs there any more. ${var:...} is allowed; ${env:...} is not, as plans print teams.
 */
function declaredTeams(files: readonly LoadedSpecFile[], options: ResolveOptions, issues?: SpecIssue[]): string[] {
  const teams = new Set<string>();
  for (const file of files) {
    const data = file.source.data as Raw;
    const listed = data["teams"];
    if (!Array.isArray(listed) || touches(file.invalidPaths, ["teams"])) continue;
    const vars = { ...((data["vars"] ?? {}) as Record<string, string>), ...options.vars };
    for (const [i, raw] of listed.entries()) {
      const written = String(raw);
      const team = interpolate(written, { env: {}, vars });
      if (team.ok && !team.sensitive) {
        teams.add(team.value);
        continue;
      }
      const path = ["teams", i];
      const message = /\$\{env:/.test(written) ? "${env:...} is not allowed here: plans print team names; use ${var:...}" : team.ok ? "" : team.message;
      issues?.push({ location: file.source.locate(path), path: formatPath(path), message });
    }
  }
  return [...teams];
}

/**
 * The teams the jobs will run in, read ahead of full resolution so that listing Studio can
 * start early. A team that cannot be read yet is left out: resolution reports it.
 */
export function peekTeams(files: readonly LoadedSpecFile[], options: ResolveOptions): string[] {
  const teams = new Set<string>();
  for (const file of files) {
    const data = file.source.data as Raw;
    const jobs = data["jobs"];
    if (jobs === null || typeof jobs !== "object") continue;
    const defaults = (data["defaults"] ?? {}) as Raw;
    const vars = { ...((data["vars"] ?? {}) as Record<string, string>), ...options.vars };
    for (const job of Object.values(jobs as Record<string, Raw | null>)) {
      const raw = job?.["team"] ?? defaults["team"];
      if (typeof raw !== "string") {
        if (options.defaultTeam !== undefined) teams.add(options.defaultTeam);
        continue;
      }
      const team = interpolate(raw, { env: options.env, vars });
      if (team.ok && !team.sensitive) teams.add(team.value);
    }
  }
  for (const team of declaredTeams(files, options)) teams.add(team);
  return [...teams].sort();
}

function sortIssues(issues: SpecIssue[]): SpecIssue[] {
  return [...issues].sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) || a.location.line - b.location.line || a.location.column - b.location.column,
  );
}

async function resolveJob(
  file: LoadedSpecFile,
  key: string,
  /** Where the job's key is; called only when needed, as locating may mean parsing again. */
  locate: () => SourceLocation,
  stack: string,
  root: string,
  options: ResolveOptions,
  cache: FileCache,
  issues: SpecIssue[],
): Promise<DesiredJob | undefined> {
  const data = file.source.data as Raw;
  const job = ((data["jobs"] as Raw)[key] ?? {}) as Raw;
  const defaults = (data["defaults"] ?? {}) as Raw;
  const vars = { ...((data["vars"] ?? {}) as Record<string, string>), ...options.vars };
  const jobPath = ["jobs", key];
  const before = issues.length;
  const problem = (path: DocPath, message: string, onKey = false) =>
    issues.push({ location: file.source.locate(path, { key: onKey }), path: formatPath(path), message });

  const setting = (name: string): Origin | undefined => {
    if (job[name] !== undefined) return { value: job[name], path: [...jobPath, name] };
    if (defaults[name] !== undefined) return { value: defaults[name], path: ["defaults", name] };
    return undefined;
  };
  /** A nested mapping merged key by key: the job's keys over the defaults'. */
  const mergedMap = (name: string): Map<string, Origin> => {
    const out = new Map<string, Origin>();
    for (const [source, base] of [
      [defaults[name], ["defaults", name]],
      [job[name], [...jobPath, name]],
    ] as const) {
      if (source !== null && typeof source === "object") {
        for (const [k, v] of Object.entries(source as Raw)) out.set(k, { value: v, path: [...base, k] });
      }
    }
    return out;
  };

  const sensitive = new Set<string>();
  const sensitiveTemplates = new Map<string, string>();
  /** Interpolate one string; `field` names it for sensitivity (undefined: ${env} not allowed). */
  const text = (origin: Origin, field: string | undefined): string | undefined => {
    const result = interpolate(String(origin.value), { env: options.env, vars });
    if (!result.ok) {
      problem(origin.path, result.message);
      return undefined;
    }
    if (result.sensitive) {
      if (field === undefined || !SENSITIVE_CAPABLE.has(field.split(".")[0] ?? "")) {
        problem(origin.path, `\${env:...} is not allowed here: this value is shown in plans; use \${var:...} or write it out`);
        return undefined;
      }
      sensitive.add(field);
      sensitiveTemplates.set(field, String(origin.value));
    }
    return result.value;
  };
  const optionalText = (name: string, field: string | undefined = name): string | undefined => {
    const origin = setting(name);
    return origin === undefined ? undefined : text(origin, field);
  };

  const baseDir = dirname(file.path);
  const localFile = async (origin: Origin, what: string, wantText: boolean): Promise<{ absolute: string; read: FileRead } | undefined> => {
    const written = text(origin, undefined);
    if (written === undefined) return undefined;
    const absolute = resolve(baseDir, written);
    const found = await cache.lookup(absolute);
    if (found === undefined) {
      problem(origin.path, `${what} "${written}" does not exist (paths are relative to the YAML file)`);
      return undefined;
    }
    if (!isInside(root, found.real)) {
      problem(origin.path, `${what} "${written}" is outside the repository; keep job files inside it`);
      return undefined;
    }
    if (!found.isFile) {
      problem(origin.path, `${what} "${written}" is not a file`);
      return undefined;
    }
    return { absolute: found.real, read: await cache.get(found.real, wantText) };
  };

  // --- team
  let team = optionalText("team", undefined) ?? options.defaultTeam;
  if (team === undefined && setting("team") === undefined) {
    problem(jobPath, `job "${key}" has no team: set team in the job or under defaults, or pass --team (or DATACHAIN_STUDIO_TEAM)`, true);
    team = "";
  }

  // --- query
  const queryOrigin = job["query"] !== undefined ? ({ value: job["query"], path: [...jobPath, "query"] } as Origin) : undefined;
  const queryFileOrigin = job["query_file"] !== undefined ? ({ value: job["query_file"], path: [...jobPath, "query_file"] } as Origin) : undefined;
  let query: string | undefined;
  let inferredType: QueryType = "PYTHON";
  if (queryOrigin !== undefined && queryFileOrigin !== undefined) {
    problem([...jobPath, "query_file"], "give query or query_file, not both", true);
  } else if (queryOrigin === undefined && queryFileOrigin === undefined) {
    problem(jobPath, `job "${key}" has no query: give query (inline) or query_file`, true);
  } else if (queryOrigin !== undefined) {
    query = text(queryOrigin, "query");
  } else if (queryFileOrigin !== undefined) {
    const found = await localFile(queryFileOrigin, "query_file", true);
    query = found?.read.text;
    if (found !== undefined) inferredType = extname(found.absolute).toLowerCase() === ".py" ? "PYTHON" : "SHELL";
    if (query !== undefined && query.trim() === "") problem(queryFileOrigin.path, `query_file "${String(queryFileOrigin.value)}" is empty`);
  }
  const queryType = (setting("query_type")?.value as QueryType | undefined) ?? inferredType;

  // --- requirements
  const reqList = setting("requirements");
  const reqFile = setting("requirements_file");
  let requirements: string | undefined;
  if (reqList !== undefined && reqFile !== undefined) {
    problem(reqFile.path, "give requirements or requirements_file, not both", true);
  } else if (reqList !== undefined) {
    const lines = (reqList.value as unknown[]).map((line, i) => text({ value: line, path: [...reqList.path, i] }, "requirements"));
    if (lines.every((l) => l !== undefined)) requirements = lines.join("\n");
    if (sensitive.has("requirements")) sensitiveTemplates.set("requirements", (reqList.value as unknown[]).map(String).join("\n"));
  } else if (reqFile !== undefined) {
    requirements = (await localFile(reqFile, "requirements_file", true))?.read.text;
  }

  // --- files
  const files: DesiredFile[] = [];
  const filesSetting = setting("files");
  if (filesSetting !== undefined) {
    const names = new Map<string, string>();
    for (const [i, entry] of (filesSetting.value as unknown[]).entries()) {
      const origin = { value: entry, path: [...filesSetting.path, i] };
      const found = await localFile(origin, "file", false);
      if (found === undefined) continue;
      const name = basename(found.absolute);
      const clash = names.get(name);
      if (clash !== undefined) {
        problem(origin.path, `"${String(entry)}" and "${clash}" would both be uploaded as ${name}; rename one`);
        continue;
      }
      names.set(name, String(entry));
      files.push({ path: String(entry), absolute: found.absolute, name, sha256: found.read.sha256, size: found.read.size });
    }
  }

  // --- environment
  const environment: Record<string, string> = {};
  for (const [name, origin] of mergedMap("environment")) {
    if (name.startsWith(MARKER_PREFIX)) {
      problem(origin.path, `environment key ${name} is reserved: keys starting with ${MARKER_PREFIX} mark the jobs studio-jobs manages; rename it`, true);
      continue;
    }
    const value = text(origin, `environment.${name}`);
    if (value === undefined) continue;
    if (value.includes("\n")) {
      problem(origin.path, "environment values must be one line: Studio takes KEY=VALUE lines");
      continue;
    }
    environment[name] = value;
  }

  // --- schedule
  const schedule = mergedMap("schedule");
  const cronOrigin = schedule.get("cron");
  let cron: string | undefined;
  if (cronOrigin !== undefined) {
    cron = text(cronOrigin, undefined)?.trim();
    const cronProblem = cron === undefined ? undefined : checkCron(cron);
    if (cronProblem !== undefined) problem(cronOrigin.path, cronProblem);
  }
  const startOrigin = schedule.get("start_after");
  let startAfter: string | undefined;
  if (startOrigin !== undefined) {
    const raw = text(startOrigin, undefined);
    if (raw !== undefined) {
      const ms = Date.parse(raw);
      if (Number.isNaN(ms) || !/(Z|[+-]\d\d:?\d\d)$/i.test(raw)) {
        problem(startOrigin.path, `"${raw}" must be an ISO 8601 date-time with a timezone, e.g. 2026-12-01T00:00:00Z`);
      } else {
        startAfter = new Date(ms).toISOString();
      }
    }
  }
  const replace = (schedule.get("replace")?.value as ReplaceStrategy | undefined) ?? "create-first";

  // --- cluster and the rest
  let cluster: ClusterRef | undefined;
  const clusterOrigin = setting("cluster");
  if (clusterOrigin !== undefined) {
    if (typeof clusterOrigin.value === "string") {
      const name = text(clusterOrigin, undefined);
      if (name !== undefined) cluster = { name };
    } else {
      const ref = clusterOrigin.value as { id?: number; name?: string };
      if (ref.id !== undefined) cluster = { id: ref.id };
      else if (ref.name !== undefined) {
        const name = text({ value: ref.name, path: [...clusterOrigin.path, "name"] }, undefined);
        if (name !== undefined) cluster = { name };
      }
    }
  }
  const workers = setting("workers")?.value as number | undefined;
  const priority = setting("priority")?.value as number | undefined;
  const pythonVersion = optionalText("python_version");
  const credentials = optionalText("credentials");
  const repository = optionalText("repository");
  const protect = setting("protect")?.value === true;

  if (issues.length > before || query === undefined || team === undefined) return undefined;

  const fingerprint = computeJobFingerprint({
    team,
    key,
    query,
    query_type: queryType,
    environment,
    workers,
    python_version: pythonVersion,
    requirements,
    repository,
    priority,
    cluster,
    credentials,
    cron,
    start_after: startAfter,
    files: files.map((f) => [f.name, f.sha256]),
    protect,
  });
  const applied: AppliedRecord = {
    v: 1,
    query_type: queryType,
    ...(cron === undefined ? {} : { cron }),
    ...(startAfter === undefined ? {} : { start_after: startAfter }),
    ...(cluster === undefined ? {} : { cluster }),
    ...(priority === undefined ? {} : { priority }),
    ...(credentials === undefined
      ? {}
      : { credentials: sensitive.has("credentials") ? { sensitive: credentialsDigest(credentials) } : credentials }),
    ...(files.length === 0 ? {} : { files: files.map((f) => [f.name, f.sha256] as [string, string]) }),
    ...(sensitive.size === 0 ? {} : { sensitive: [...sensitive].sort() }),
  };
  const input: JobInput = {
    query,
    query_type: queryType,
    query_name: key,
    team_name: team,
    environment: formatEnvironment({ ...environment, ...markerEnvironment({ stack, key, fingerprint, applied, protect }) }),
    ...(workers === undefined ? {} : { workers }),
    ...(pythonVersion === undefined ? {} : { python_version: pythonVersion }),
    ...(requirements === undefined ? {} : { requirements }),
    ...(repository === undefined ? {} : { repository }),
    ...(priority === undefined ? {} : { priority }),
    ...(cluster === undefined ? {} : "id" in cluster ? { compute_cluster_id: cluster.id } : { compute_cluster_name: cluster.name }),
    ...(startAfter === undefined ? {} : { start_after: startAfter }),
    ...(cron === undefined ? {} : { cron_expression: cron }),
    ...(credentials === undefined ? {} : { credentials_name: credentials }),
  };
  const templates: Record<string, string> = {};
  for (const field of [...sensitive].sort()) templates[field] = sensitiveTemplates.get(field) ?? "";
  let location: SourceLocation | undefined;
  return {
    key,
    team,
    stack,
    get location(): SourceLocation {
      location ??= locate();
      return location;
    },
    input,
    environment,
    files,
    cluster,
    cron,
    protect,
    replace,
    sensitive: [...sensitive].sort(),
    sensitiveTemplates: templates,
    vars,
    fingerprint,
    applied,
  };
}
