// The listing as it streams over real HTTP: a body in many small writes, a connection
// dropped half-way (retried, and counted afresh), a byte order mark, a record larger
// than the cap, and a body that ends inside the list.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { RemoteError } from "../src/errors.js";
import { createStudioClient, type StudioClientOptions } from "../src/studio/client.js";
import { WHOLE_LISTING_CHARS } from "../src/studio/stream-parse.js";
import { rejectionOf } from "./rejection.js";

type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** A listing server: each request to the jobs path goes to `handler`, counted from 1. */
async function serve(handler: Handler): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = createServer((req, res) => {
    if (!(req.url ?? "").startsWith("/api/datachain/jobs/")) {
      res.writeHead(404).end();
      return;
    }
    count++;
    handler(req, res, count);
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { url: `http://127.0.0.1:${address.port}`, requests: () => count };
}

function client(url: string, options: Partial<StudioClientOptions> = {}) {
  return createStudioClient({ url, token: "t", retries: 2, sleep: () => Promise.resolve(), ...options });
}

const record = (id: string, fields: Record<string, unknown> = {}) => ({
  id,
  url: `https://studio/${id}`,
  status: "TASK",
  name: `job-${id}`,
  query: 'print("}{][,\\"")\n',
  query_type: "PYTHON",
  team: "demo",
  workers: 1,
  python_version: null,
  requirements: "",
  repository: null,
  environment: { "A,]": 'x"}' },
  created_at: "2026-01-01T00:00:00Z",
  created_by: "someone",
  finished_at: null,
  parent_job_id: null,
  ...fields,
});

const LISTING = [
  record("s1"),
  record("r1", { parent_job_id: "s1" }),
  record("s2"),
  record("r2", { parent_job_id: "s2", status: "COMPLETE" }),
];
const notRun = { keep: (job: { parent_job_id: string | null }) => job.parent_job_id === null };

/** Some 5 MB: more than a listing parsed whole, so it is streamed. One record in five is a schedule. */
const LARGE = Array.from({ length: 6_000 }, (_, i) =>
  i % 5 === 0 ? record(`s${i}`, { query: "q".repeat(800) }) : record(`r${i}`, { parent_job_id: `s${i - (i % 5)}`, query: "q".repeat(800) }),
);
const LARGE_SCHEDULES = LARGE.filter((_, i) => i % 5 === 0).map((r) => r.id);

/** Write `body` a few bytes at a time, letting each piece go out before the next. */
async function trickle(res: ServerResponse, body: Buffer, size: number, stopAfter = body.length): Promise<void> {
  res.writeHead(200, { "content-type": "application/json" });
  for (let i = 0; i < Math.min(body.length, stopAfter); i += size) {
    await new Promise<void>((resolve) => res.write(body.subarray(i, Math.min(i + size, stopAfter)), () => resolve()));
  }
}

const failure = (promise: Promise<unknown>): Promise<RemoteError> => rejectionOf(promise, RemoteError);

describe("a listing read as it streams", () => {
  it("reads a body sent a few bytes at a time, keeping only the records asked for, without the fields never read", async () => {
    const body = Buffer.from(`\uFEFF${JSON.stringify(LISTING)}`);
    const studio = await serve((_req, res) => void trickle(res, body, 7).then(() => res.end()));
    const listed = await client(studio.url).listAllJobs("demo", notRun);
    expect(listed.map((j) => j.id)).toEqual(["s1", "s2"]);
    expect(listed[0]).toEqual({ ...record("s1"), created_by: undefined, finished_at: undefined });
    expect(Object.keys(listed[0] ?? {})).not.toContain("created_by");
  });

  it("streams a listing too large to be parsed whole, as it arrives", async () => {
    const body = Buffer.from(JSON.stringify(LARGE));
    expect(body.length).toBeGreaterThan(WHOLE_LISTING_CHARS);
    const studio = await serve((_req, res) => void trickle(res, body, 16_384).then(() => res.end()));
    const listed = await client(studio.url, { listLimit: { initial: 6_001, ceiling: 10_000 } }).listAllJobs("demo", notRun);
    expect(listed.map((j) => j.id)).toEqual(LARGE_SCHEDULES);
    expect(studio.requests()).toBe(1);
  });

  it("lists again from scratch after a connection dropped mid-body, counting only the complete reply", async () => {
    const body = Buffer.from(JSON.stringify(LARGE));
    const studio = await serve((_req, res, attempt) => {
      // The first try breaks off after some 5,000 records, streamed and counted: added to
      // the second try's 6,000 they would reach the limit of 7,000 and look cut short.
      if (attempt === 1) void trickle(res, body, 65_536, Math.floor(body.length * 0.85)).then(() => res.socket?.destroy());
      else void trickle(res, body, 65_536).then(() => res.end());
    });
    const listed = await client(studio.url, { listLimit: { initial: 7_000, ceiling: 100_000 } }).listAllJobs("demo", notRun);
    expect(listed.map((j) => j.id)).toEqual(LARGE_SCHEDULES);
    expect(studio.requests()).toBe(2);
  });

  it("stops reading at the cap when one record is larger than it, and says so", async () => {
    const huge = record("big", { query: "x".repeat(4 * 1024 * 1024) });
    const body = Buffer.from(JSON.stringify([record("s1"), huge]));
    let written = 0;
    const studio = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const next = (): void => {
        if (written >= body.length || res.destroyed) {
          res.end();
          return;
        }
        const piece = body.subarray(written, written + 65536);
        written += piece.length;
        res.write(piece, next);
      };
      next();
    });
    const error = await failure(client(studio.url, { maxReplyBytes: 1024 * 1024 }).listAllJobs("demo"));
    expect(error.code).toBe("REMOTE_REPLY_TOO_LARGE");
    expect(error.message).toBe(
      "Studio's reply to GET /api/datachain/jobs/?team_name=demo is larger than 1 MiB, the most studio-jobs reads for it; it stopped reading",
    );
    expect(studio.requests()).toBe(1);
    expect(written).toBeLessThan(body.length);
  });

  it.each([
    [
      "ends inside the list",
      (text: string) => text.slice(0, text.indexOf(`{"id":"s2"`) + 5),
      "is not valid JSON: it ends inside the list, after item 1",
    ],
    ["has something after the list", (text: string) => `${text}[]`, "is not valid JSON: something follows the end of the list"],
    [
      "holds an item that does not parse",
      (text: string) => text.replace(`"workers":1`, `"workers":01`),
      "is not valid JSON: item 0 of the list does not parse",
    ],
  ])("refuses a body that %s, without trying again", async (_what, mangle, said) => {
    const body = Buffer.from(mangle(JSON.stringify(LISTING)));
    const studio = await serve((_req, res) => void trickle(res, body, 100).then(() => res.end()));
    const error = await failure(client(studio.url).listAllJobs("demo", notRun));
    expect(error.code).toBe("REMOTE_INVALID_REPLY");
    expect(error.message).toBe(`Studio's reply to GET ${studio.url}/api/datachain/jobs/?team_name=demo&limit=250000 ${said}`);
    expect(studio.requests()).toBe(1);
  });

  it("refuses a body that goes wrong early and never ends at once, and stops reading it", async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const studio = await serve((_req, res) => {
      res.on("close", () => closed());
      // Streamed (past the size parsed whole), broken in item 4500, cut inside the next
      // one, then held open: it never ends.
      const whole = JSON.stringify(LARGE);
      const broken = whole.indexOf(`{"id":"s4500"`);
      expect(broken).toBeGreaterThan(WHOLE_LISTING_CHARS);
      const text = whole.slice(0, broken) + whole.slice(broken).replace(`"workers":1`, `"workers":01`);
      void trickle(res, Buffer.from(text.slice(0, text.indexOf(`{"id":"r4501"`) + 20)), 65_536);
    });
    const error = await failure(
      client(studio.url, { timeoutMs: 60_000, listLimit: { initial: 6_001, ceiling: 10_000 } }).listAllJobs("demo", notRun),
    );
    expect(error.code).toBe("REMOTE_INVALID_REPLY");
    expect(error.message).toBe(
      `Studio's reply to GET ${studio.url}/api/datachain/jobs/?team_name=demo&limit=6001 is not valid JSON: item 4500 of the list does not parse`,
    );
    await connectionClosed; // the client let go of it, not the server
    expect(studio.requests()).toBe(1);
  });

  it("names the record and field that does not fit, even when it arrives in pieces", async () => {
    const body = Buffer.from(JSON.stringify([record("s1"), record("r9", { parent_job_id: "s1", workers: "2" })]));
    const studio = await serve((_req, res) => void trickle(res, body, 5).then(() => res.end()));
    const error = await failure(client(studio.url).listAllJobs("demo", notRun));
    expect(error.message).toBe(
      'Studio\'s reply to GET /api/datachain/jobs/?team_name=demo: job r9: field "workers" must be a whole number of at least 0, got a string',
    );
  });
});
