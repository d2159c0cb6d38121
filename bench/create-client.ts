// The emulator's own floor: a trivial client that creates COUNT minimal valid jobs,
// PARALLELISM at a time, with undici and nothing else. What it takes above the latency
// bound is the emulator's per-request cost plus node's; `apply` is held to the same
// bound with its planning and bookkeeping on top. Also used to seed unmanaged jobs.
//
//   node create-client.js URL TEAM COUNT PARALLELISM [cron|once]
//
// Prints one JSON line: {"created": n, "ms": time inside the process}.

import { setFlagsFromString } from "node:v8";
import { request } from "undici";

// As the tool does (src/cli/connect.ts): no optimizing compile of undici's HTTP parser to
// wait out at exit, so that this floor pays no cost the tool does not. undici compiles the
// parser on its first connection, after this line.
setFlagsFromString("--wasm-tiering-budget=2000000000");

const [url, team, countText, parallelismText, kind = "cron"] = process.argv.slice(2);
if (url === undefined || team === undefined || countText === undefined || parallelismText === undefined) {
  throw new Error("usage: create-client.js URL TEAM COUNT PARALLELISM [cron|once]");
}
const count = Number(countText);
const parallelism = Number(parallelismText);

async function create(i: number): Promise<void> {
  const input = {
    team_name: team,
    query_name: `floor-${i}`,
    query: `print(${i})\n`,
    query_type: "PYTHON",
    ...(kind === "cron" ? { cron_expression: `${i % 60} ${i % 24} * * *` } : {}),
  };
  const reply = await request(`${url}/api/datachain/jobs/`, {
    method: "POST",
    headers: { authorization: "Bearer dev-token", "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  const text = await reply.body.text();
  if (reply.statusCode < 200 || reply.statusCode > 299) throw new Error(`create ${i}: ${reply.statusCode} ${text.slice(0, 200)}`);
}

const started = performance.now();
let next = 0;
let created = 0;
await Promise.all(
  Array.from({ length: parallelism }, async () => {
    for (let i = next++; i < count; i = next++) {
      await create(i);
      created += 1;
    }
  }),
);
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ created, ms })}\n`);
