// A worker thread for test/spec-fuzz.test.ts: runs `studio-jobs validate` in-process on
// one fuzzed spec at a time and sends back what a user would see. It runs in a thread
// of its own so that the test can stop a case that never ends (terminate() interrupts
// even a busy loop), and it is compiled with the tool (dist/test/fuzz/worker.js) because
// a worker thread cannot load TypeScript.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { run } from "../../src/cli/run.js";

export type FuzzFormat = "text" | "json" | "github";

export interface FuzzCase {
  id: number;
  /** The spec file's path under the corpus root, e.g. `examples/analytics/studio-jobs.yaml`. */
  file: string;
  bytes: Uint8Array;
  /** Validate the file alone, or the directory it is in (its sibling files too). */
  target: "file" | "directory";
  format: FuzzFormat;
  /** Fuzzed bytes given as a --var-file too. */
  varFile: Uint8Array | undefined;
}

export interface FuzzReply {
  id: number;
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface FuzzWorkerData {
  /** Directories copied under the corpus root, by the name they get there. */
  corpus: Record<string, string>;
}

const port = parentPort;
if (port !== null) {
  const { corpus } = workerData as FuzzWorkerData;
  const root = mkdtempSync(join(tmpdir(), "studio-jobs-fuzz-"));
  mkdirSync(join(root, ".git"));
  for (const [name, from] of Object.entries(corpus)) cpSync(from, join(root, name), { recursive: true });
  const config = mkdtempSync(join(tmpdir(), "studio-jobs-fuzz-config-"));

  port.on("message", (message: FuzzCase) => {
    void runCase(root, config, message).then((reply) => port.postMessage(reply));
  });
}

async function runCase(root: string, config: string, fuzz: FuzzCase): Promise<FuzzReply> {
  const path = join(root, fuzz.file);
  let original: Buffer | undefined;
  try {
    original = readFileSync(path);
  } catch {
    mkdirSync(dirname(path), { recursive: true });
  }
  writeFileSync(path, fuzz.bytes);
  try {
    return await validate(root, config, fuzz);
  } finally {
    // Each case starts from the corpus as it was: a failure replays from its own bytes alone.
    if (original === undefined) rmSync(path, { force: true });
    else writeFileSync(path, original);
  }
}

async function validate(root: string, config: string, fuzz: FuzzCase): Promise<FuzzReply> {
  const argv = ["validate", fuzz.target === "file" ? fuzz.file : dirname(fuzz.file), "--format", fuzz.format];
  if (fuzz.varFile !== undefined) {
    writeFileSync(join(root, "vars.yaml"), fuzz.varFile);
    argv.push("--var-file", "vars.yaml");
  }
  let stdout = "";
  let stderr = "";
  const started = performance.now();
  const code = await run(argv, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    env: { HOME: config, DATACHAIN_GLOBAL_CONFIG_DIR: config },
    cwd: root,
    interactive: false,
    prompt: () => Promise.resolve(""),
    signal: new AbortController().signal,
  });
  return { id: fuzz.id, code, stdout, stderr, ms: performance.now() - started };
}
