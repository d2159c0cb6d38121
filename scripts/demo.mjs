// `npm run demo`: start the local Studio emulator and walk through the whole story on
// examples/: validate, plan, apply, plan again (nothing to do), then a changed spec.
// Every step runs the built CLI exactly as a user would type it.

import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../dist/src/emulator/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "bin", "studio-jobs.cjs");
const emulator = await startEmulator({ port: 0 });
const env = { ...process.env, DATACHAIN_STUDIO_URL: emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token", DATACHAIN_STUDIO_TEAM: "demo" };
const bold = (text) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${text}\x1b[0m` : text);

let failed = false;
// The emulator runs in this process, so the CLI must run beside it, not block it.
async function step(title, args, { expect = [0], cwd = root } = {}) {
  process.stdout.write(`\n${bold(`$ studio-jobs ${args.join(" ")}`)}   # ${title}\n`);
  const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: "inherit" });
  const status = await new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  if (!expect.includes(status ?? -1)) {
    process.stdout.write(`demo: step exited ${status}, expected ${expect.join(" or ")}\n`);
    failed = true;
  }
}

process.stdout.write(`Studio emulator running at ${emulator.url} (token dev-token, team demo)\n`);
await step("the compute clusters the emulator offers", ["clusters"]);
await step("check the example spec offline", ["validate", "examples/analytics"]);
await step(
  "what would change in Studio (exit 2: changes pending; a new stack is warned of)",
  ["plan", "examples/analytics", "--detailed-exitcode"],
  { expect: [2] },
);
await step("make it so", ["apply", "examples/analytics", "--yes"]);
await step("plan again: nothing left to do (exit 0)", ["plan", "examples/analytics", "--detailed-exitcode"]);
await step("the stack's jobs in Studio", ["status", "examples/analytics"]);

// A pull request changes the spec: work on a copy so examples/ stays as it is.
const work = mkdtempSync(join(tmpdir(), "studio-jobs-demo-"));
cpSync(join(root, "examples", "analytics"), work, { recursive: true });
mkdirSync(join(work, ".git"));
const spec = join(work, "studio-jobs.yaml");
let text = readFileSync(spec, "utf8");
text = text.replace('cron: "@hourly"', 'cron: "*/30 * * * *"');
text = text.slice(0, text.indexOf("  weekly-cleanup:")) + text.slice(text.indexOf("  backfill-2026:"));
writeFileSync(spec, text);
writeFileSync(join(work, "queries", "metrics.py"), readFileSync(join(work, "queries", "metrics.py"), "utf8").replace("3600", "1800"));
process.stdout.write(
  `\n${bold("A change to review:")} hourly-metrics now runs every 30 minutes over the last 30 minutes; weekly-cleanup is removed.\n`,
);
await step("the plan a reviewer sees (Markdown for the pull request)", ["plan", ".", "--format", "markdown"], { cwd: work });
await step("the same plan in a terminal", ["plan", ".", "--detailed-exitcode"], { cwd: work, expect: [2] });

rmSync(work, { recursive: true, force: true });
await emulator.close();
process.stdout.write(failed ? "\ndemo: a step did not go as expected\n" : "\nDemo complete.\n");
process.exit(failed ? 1 : 0);
