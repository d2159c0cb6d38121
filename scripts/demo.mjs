// `npm run demo`: start the local Studio emulator and walk through the tool on examples/.
// Every step runs the built CLI exactly as a user would type it.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { startEmulator } from "../dist/src/emulator/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli", "main.js");
const emulator = await startEmulator({ port: 0 });
const env = { ...process.env, DATACHAIN_STUDIO_URL: emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token", DATACHAIN_STUDIO_TEAM: "demo" };

let failed = false;
// The emulator runs in this process, so the CLI must run beside it, not block it.
async function step(title, args, { expect = [0] } = {}) {
  process.stdout.write(`\n\x1b[1m$ studio-jobs ${args.join(" ")}\x1b[0m   # ${title}\n`);
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: "inherit" });
  const status = await new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  if (!expect.includes(status ?? -1)) {
    process.stdout.write(`demo: step exited ${status}, expected ${expect.join(" or ")}\n`);
    failed = true;
  }
}

process.stdout.write(`Studio emulator running at ${emulator.url} (token dev-token, team demo)\n`);
await step("the compute clusters the emulator offers", ["clusters"]);
await step("check the example spec offline", ["validate", "examples/analytics"]);
await step("what would change in Studio (exit 2: changes pending)", ["plan", "examples/analytics", "--detailed-exitcode"], { expect: [2] });

await emulator.close();
process.exit(failed ? 1 : 0);
