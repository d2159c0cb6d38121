// Spec repositories written the way users write them: YAML text by hand (quoted crons,
// quoted python_version), query files beside the YAML, one file or several. No YAML
// library chooses the quoting, so the tool reads what a person would have typed.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface SpecOptions {
  /** Where the repository goes: a fresh directory is made under it. */
  root: string;
  jobs: number;
  /** YAML files the jobs are split over. */
  files: number;
  stack: string;
  team: string;
  /** Query files the jobs share (job i uses q{i % queryFiles}.py). */
  queryFiles?: number;
  /** Changes every query file's text: a second version of the same spec replaces every job. */
  queryVersion?: number;
  /** The last `renamed` jobs get other keys: as many creates, and as many cancels of the old keys. */
  renamed?: number;
  /** The `changed` jobs before the renamed ones get another environment value: replaces. */
  changed?: number;
}

export interface WrittenSpec {
  dir: string;
  /** The YAML files, absolute paths. */
  yamlFiles: string[];
}

const QUERY_FILES = 50;

function jobYaml(i: number, options: SpecOptions): string {
  const renamedFrom = options.jobs - (options.renamed ?? 0);
  const changedFrom = renamedFrom - (options.changed ?? 0);
  const key = i >= renamedFrom ? `renamed-${String(i).padStart(5, "0")}` : `job-${String(i).padStart(5, "0")}`;
  const shard = i >= changedFrom && i < renamedFrom ? "changed" : String(i % 16);
  return [
    `  ${key}:`,
    `    query_file: queries/q${i % (options.queryFiles ?? QUERY_FILES)}.py`,
    "    schedule:",
    `      cron: "${i % 60} ${i % 24} * * *"`,
    `    workers: ${1 + (i % 4)}`,
    "    environment:",
    `      SHARD: "${shard}"`,
    "",
  ].join("\n");
}

function headerYaml(options: SpecOptions): string {
  return [
    "version: 1",
    `stack: ${options.stack}`,
    "defaults:",
    `  team: ${options.team}`,
    '  python_version: "3.12"',
    "  environment:",
    "    LOG_LEVEL: info",
    "jobs:",
    "",
  ].join("\n");
}

/** A fresh repository (it has a `.git`, so paths are checked against it) holding the spec. */
export function writeSpec(options: SpecOptions): WrittenSpec {
  const dir = mkdtempSync(join(options.root, "spec-"));
  mkdirSync(join(dir, ".git"));
  mkdirSync(join(dir, "queries"));
  const version = options.queryVersion ?? 1;
  for (let q = 0; q < (options.queryFiles ?? QUERY_FILES); q++) {
    writeFileSync(join(dir, "queries", `q${q}.py`), `import datachain as dc\n\n# version ${version}\nprint(${q})\n`);
  }
  // A file with no jobs would be `jobs:` with nothing under it, which no user writes.
  if (options.jobs < options.files) throw new Error(`${options.jobs} jobs cannot fill ${options.files} files`);
  const yamlFiles: string[] = [];
  for (let f = 0; f < options.files; f++) {
    const name = options.files === 1 ? "studio-jobs.yaml" : `jobs-${String(f + 1).padStart(2, "0")}.yaml`;
    const parts = [headerYaml(options)];
    const end = Math.floor(((f + 1) * options.jobs) / options.files);
    for (let i = Math.floor((f * options.jobs) / options.files); i < end; i++) parts.push(jobYaml(i, options));
    const path = join(dir, name);
    writeFileSync(path, parts.join(""));
    yamlFiles.push(path);
  }
  return { dir, yamlFiles };
}
