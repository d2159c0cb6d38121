// What every row needs: where the built tool and the floor scripts are, the
// environment measured processes run in, and how to spell a measured command.

import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "./measure.js";
import type { RowResult } from "./report.js";

/** dist/, where the build puts the tool: the bench runs from dist/bench/. */
const DIST = fileURLToPath(new URL("../", import.meta.url));

export interface BenchContext {
  quick: boolean;
  /** Scratch space for spec repositories and emulator config; removed at the end. */
  tmp: string;
  cli: string;
  floorScript: string;
  createClient: string;
  validator: string;
  emulatorConfig: string;
  /** Node flags for the measured commands only (profiling), never for floors. */
  subjectFlags: string[];
  emit(row: RowResult): void;
}

/** Every team any row uses; a fresh team per run is an empty emulator without a restart. */
export function benchTeams(): string[] {
  const teams = ["demo", "warmup", "converged", "large", "faults"];
  for (let i = 0; i < 20; i++) teams.push(`apply-${i}`, `client-${i}`, `replace-${i}`);
  return teams;
}

/**
 * The precompiled spec validator, wherever the build put it under dist/src: the bench
 * depends on its file name, not on the layout of src/.
 */
export function findValidator(): string {
  const name = "schema-validator.cjs";
  const hits = readdirSync(join(DIST, "src"), { recursive: true, encoding: "utf8" }).filter((p) => p.endsWith(name));
  if (hits.length !== 1) throw new Error(`expected one ${name} under dist/src, found ${hits.length}: run npm run build`);
  return join(DIST, "src", hits[0] as string);
}

export function distPaths(): { cli: string; floorScript: string; createClient: string } {
  return {
    cli: join(DIST, "bin", "studio-jobs.cjs"),
    floorScript: join(DIST, "bench", "floor.js"),
    createClient: join(DIST, "bench", "create-client.js"),
  };
}

/**
 * The environment of every measured process: no datachain config of whoever runs the
 * bench (a HOME and a config dir of its own), no colours, and the emulator when given.
 */
export function processEnv(ctx: BenchContext, url?: string): NodeJS.ProcessEnv {
  const home = join(ctx.tmp, "home");
  mkdirSync(home, { recursive: true });
  return {
    PATH: process.env["PATH"] ?? "",
    HOME: home,
    DATACHAIN_GLOBAL_CONFIG_DIR: home,
    NO_COLOR: "1",
    ...(url === undefined ? {} : { DATACHAIN_STUDIO_URL: url, DATACHAIN_STUDIO_TOKEN: "dev-token" }),
  };
}

/** `studio-jobs ARGS` as a user runs it, in the spec's directory. */
export function cliCommand(ctx: BenchContext, args: string[], cwd: string, url?: string, expect: readonly number[] = [0]): Command {
  return { args: [ctx.cli, ...args], cwd, env: processEnv(ctx, url), expect, nodeFlags: ctx.subjectFlags };
}

export function floorCommand(ctx: BenchContext, args: string[], cwd: string): Command {
  return { args, cwd, env: processEnv(ctx) };
}
