// The machine's own floor under the emulator floor: node:http and nothing else. Every
// request gets a small JSON reply `--latency` ms after it arrived, as the emulator's
// replies do, with no routing, auth, checks or store. The trivial client driven against
// it shows what node's HTTP stack, the timers and this machine's wake-ups cost by
// themselves, so the emulator floor row can say how much of its figure is the emulator.
//
//   node http-floor.js LATENCY_MS      prints http://127.0.0.1:PORT, stops on SIGTERM

import { createServer } from "node:http";

const latency = Number(process.argv[2] ?? "20");
let seq = 0;

const server = createServer((req, res) => {
  const arrived = performance.now();
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.from(JSON.stringify({ id: String(++seq), bytes: Buffer.concat(chunks).length }), "utf8");
    setTimeout(
      () => {
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        res.end(body);
      },
      Math.max(0, latency - (performance.now() - arrived)),
    );
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  process.stdout.write(`http://127.0.0.1:${address.port}\n`);
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
