// The emulator's own CPU per 1,000 creates: it is the floor every benchmark stands on.
// Starts the built `studio-jobs emulator` as a child process, drives creates at it over
// loopback, and reads the child's user+system CPU from /proc before and after each round.
// Usage: node scripts/emulator-cpu.mjs [creates per round, default 1000] [rounds, default 5] [cron|once]
// STUDIO_JOBS_CLI=path/to/studio-jobs.cjs measures another build (e.g. a copy of the previous one).

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";

const CLI = process.env.STUDIO_JOBS_CLI ?? fileURLToPath(new URL("../dist/bin/studio-jobs.cjs", import.meta.url));
const perRound = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);
const kind = process.argv[4] ?? "cron";
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

function cpuSeconds(pid) {
  // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

const child = spawn(process.execPath, [CLI, "emulator", "--port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
const url = await new Promise((resolve, reject) => {
  let out = "";
  child.stdout.on("data", (d) => {
    out += d.toString();
    if (out.includes("\n")) resolve(out.split("\n")[0]);
  });
  child.on("error", reject);
  child.on("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
});
const pool = new Pool(url, { connections: 16 });

let n = 0;
async function create() {
  const i = n++;
  const body = {
    query: "print(1)\n",
    query_type: "PYTHON",
    query_name: `job-${i}`,
    team_name: "demo",
    environment: `SHARD=${i % 16}\nLOG_LEVEL=info`,
    workers: 1,
    python_version: "3.12",
    ...(kind === "cron" ? { cron_expression: `${i % 60} ${i % 24} * * *` } : {}),
  };
  const reply = await pool.request({
    method: "POST",
    path: "/api/datachain/jobs/",
    headers: { authorization: "Bearer dev-token", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await reply.body.text();
  if (reply.statusCode !== 200 && reply.statusCode !== 201) throw new Error(`create answered ${reply.statusCode}`);
}

async function drive(count) {
  let left = count;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (left-- > 0) await create();
    }),
  );
}

await drive(500); // warm up: JIT, connections
const figures = [];
for (let r = 0; r < rounds; r++) {
  const before = cpuSeconds(child.pid);
  await drive(perRound);
  figures.push(((cpuSeconds(child.pid) - before) * 1000) / perRound);
}
await pool.close();
child.kill("SIGTERM");
figures.sort((a, b) => a - b);
const median = figures[Math.floor(figures.length / 2)];
console.log(
  `${kind} creates: emulator CPU per 1,000 creates, median of ${rounds} rounds of ${perRound}: ${median.toFixed(3)} s (all: ${figures.map((f) => f.toFixed(3)).join(", ")})`,
);
