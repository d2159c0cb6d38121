// The Studio client against the emulator: retries, Retry-After, the truncation guard,
// error messages, and where its settings come from.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Agent } from "undici";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { RemoteError, type UsageError } from "../src/errors.js";
import { createStudioClient, type StudioClientOptions } from "../src/studio/client.js";
import { checkStudioUrl } from "../src/studio/url.js";
import { configFilePaths, resolveConnection, resolveCredentials } from "../src/studio/config.js";
import { parseRetryAfter } from "../src/studio/retry.js";
import { createRedactor } from "../src/redact.js";
import { createManualClock, type AdjustableClock } from "../src/emulator/clock.js";
import { runCli, spawnCli } from "./cli-helpers.js";
import { START, startTestStudio, type TestStudio } from "./helpers.js";

let studio: TestStudio | undefined;
afterEach(async () => {
  await studio?.close();
  studio = undefined;
});

/** test/fixtures/tls: a self-signed certificate for localhost, test only. */
const tlsFixture = (name: string) => readFileSync(new URL(`fixtures/tls/${name}`, import.meta.url));

/** An https server on 127.0.0.1 with the fixture's certificate, closed after the test: its port. */
async function httpsFixtureServer(): Promise<number> {
  const server = createHttpsServer({ key: tlsFixture("key.pem"), cert: tlsFixture("cert.pem") }, (_req, res) => res.end("[]"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => void server.close());
  return (server.address() as AddressInfo).port;
}

const input = { query: "print(1)", query_type: "PYTHON" as const, query_name: "j", team_name: "demo", environment: "" };

/** The error a clusters listing ends with against a server that always answers `status` with `body`. */
async function errorFrom(
  status: number,
  headers: Record<string, string>,
  body: string,
  options: Partial<Parameters<typeof createStudioClient>[0]> = {},
): Promise<RemoteError> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, headers);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = createStudioClient({ url: `http://127.0.0.1:${port}`, token: "t", retries: 0, ...options });
  const error = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
  await client.close();
  server.close();
  return error;
}

describe("retries", () => {
  it("retries a listing and a cancel after 503s and resets, then succeeds", async () => {
    studio = await startTestStudio();
    const job = await studio.client.createJob(input);
    studio.emulator.faults.configure({}, [
      { method: "GET", path: "/api/datachain/jobs/", kind: "error", times: 2 },
      { method: "POST", path: "/cancel", kind: "reset-before", times: 1 },
      { method: "POST", path: "/cancel", kind: "error", times: 1 },
    ]);
    expect((await studio.client.listJobs("demo")).map((j) => j.id)).toEqual([job.id]);
    expect(studio.emulator.requests.get("GET /api/datachain/jobs/")).toBe(3);
    await studio.client.cancelJob("demo", job.id);
    expect(studio.emulator.requests.get("POST /api/datachain/jobs/{id}/cancel")).toBe(3);
    expect(studio.emulator.store.allJobs().map((j) => j.status)).toEqual(["CANCELING"]);
  });

  it("says a call may have acted when an earlier try may have, whatever its last try ended with", async () => {
    // Found by an adversarial tester: a cancel whose first try Studio carried out, its reply
    // lost, then refused its connections (ECONNREFUSED, a try that surely never arrived)
    // ended with an error that said nothing was done, and a cancel-first replacement said
    // the old job was not cancelled when it had been.
    const local = await startTestStudio();
    const job = await local.client.createJob(input);
    local.emulator.faults.configure({}, [{ method: "POST", path: "/cancel", kind: "reset-after", times: 1 }]);
    let down: Promise<void> | undefined;
    const client = createStudioClient({
      url: local.emulator.url,
      token: "dev-token",
      retries: 2,
      sleep: async () => {
        down ??= local.close();
        await down;
      },
    });
    const error = (await client.cancelJob("demo", job.id).catch((e: unknown) => e)) as RemoteError;
    await client.close();
    expect([error.code, error.status, error.ambiguous]).toEqual(["REMOTE_UNREACHABLE", undefined, true]);
    expect(error.message).toMatch(/ECONNREFUSED .*\(tried 3 times over/);
    expect(local.emulator.store.allJobs().map((j) => j.status)).toEqual(["CANCELING"]);
  });

  it("never retries a create after a 503 or a reset: the server may have acted", async () => {
    studio = await startTestStudio();
    studio.emulator.faults.configure({}, [{ method: "POST", path: "/api/datachain/jobs/", kind: "error" }]);
    const error = (await studio.client.createJob(input).catch((e: unknown) => e)) as RemoteError;
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.status).toBe(503);
    expect(error.ambiguous).toBe(true);
    expect(studio.emulator.requests.get("POST /api/datachain/jobs/")).toBe(1);

    studio.emulator.faults.configure({}, [{ method: "POST", path: "/api/datachain/jobs/", kind: "reset-after" }]);
    await expect(studio.client.createJob(input)).rejects.toBeInstanceOf(RemoteError);
    expect(studio.emulator.requests.get("POST /api/datachain/jobs/")).toBe(2);
    expect(studio.emulator.store.allJobs()).toHaveLength(1);
  });

  it("retries a create after a 429, which is refused before acting, waiting Retry-After", async () => {
    const waits: number[] = [];
    studio = await startTestStudio(
      {},
      {
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );
    studio.emulator.faults.configure({}, [{ method: "POST", path: "/api/datachain/jobs/", kind: "rate-limit" }]);
    const job = await studio.client.createJob(input);
    expect(job.name).toBe("j");
    expect(waits).toEqual([1000]);
    expect(studio.emulator.store.allJobs()).toHaveLength(1);
  });

  it("under a tight rate limit, waits as one and creates every job once, where each call waiting on its own gave up", async () => {
    // Found by an adversarial tester: at 2 requests a second, 30 creates at once all waited
    // the same Retry-After and came back together; 13 were turned away 6 times and given up.
    // The emulator's rate windows and the client's waits run on one clock, which moves to
    // the next wake-up once every try sent has been answered and its answer taken in: moved
    // every few milliseconds regardless, on a busy machine it jumped while tries were on their
    // way, and they met other windows (75 and 78 requests in two runs of the whole suite).
    let retries = 0;
    let created = 0;
    let sent = 0;
    const clock = createManualClock(START);
    const wakes: { at: number; wake: () => void }[] = [];
    const ticks = setInterval(() => {
      if (wakes.length === 0 || sent !== created + retries) return;
      const at = Math.min(...wakes.map((w) => w.at));
      clock.set(Math.max(clock.now(), at));
      for (const due of wakes.filter((w) => w.at <= at)) {
        wakes.splice(wakes.indexOf(due), 1);
        due.wake();
      }
    }, 5);
    onTestFinished(() => clearInterval(ticks));
    // Counts each try as it is sent.
    const dispatcher = new Agent().compose((dispatch) => (options, handler) => {
      sent += 1;
      return dispatch(options, handler);
    });
    onTestFinished(() => dispatcher.close());
    studio = await startTestStudio(
      { clock, faults: { rateLimit: 2 } },
      {
        dispatcher,
        now: () => clock.now(),
        sleep: (ms) => new Promise((wake) => wakes.push({ at: clock.now() + ms, wake: () => wake() })),
        onRetry: () => (retries += 1),
      },
    );
    const names = Array.from({ length: 30 }, (_, i) => `job-${i}`);
    const jobs = await Promise.all(
      names.map((name) => studio!.client.createJob({ ...input, query_name: name }).finally(() => (created += 1))),
    );
    expect(jobs.map((job) => job.name)).toEqual(names);
    expect(
      studio.emulator.store
        .allJobs()
        .map((job) => job.name)
        .sort(),
    ).toEqual([...names].sort());
    const posts = studio.emulator.requests.get("POST /api/datachain/jobs/") ?? 0;
    expect(posts).toBe(30 + retries);
    // Waiting each on its own, every round sent every call left again: 30 + 28 + 26 + ...
    // (240 in all, had none been given up). As one: the first burst's 28, then two or three
    // in each window of the limit, 102 in all.
    expect(posts).toBeLessThan(110);
  });

  it("gives up after the last retry with the last status, and says how many tries over how long", async () => {
    let now = 0;
    const clock = {
      now: () => now,
      sleep: (ms: number) => {
        now += ms;
        return Promise.resolve();
      },
    };
    studio = await startTestStudio(
      { faults: { errorRate: 1 } },
      { retries: 2, backoff: { baseMs: 200, maxMs: 5_000 }, random: () => 1, ...clock },
    );
    const error = (await studio.client.listClusters("demo").catch((e: unknown) => e)) as RemoteError;
    expect(error.message).toBe(
      "[GET] /api/datachain/clusters/: 503 Service temporarily unavailable (injected). (tried 3 times over 0.6 s)",
    );
    expect([error.code, error.status, error.ambiguous]).toEqual(["REMOTE_SERVER_ERROR", 503, true]);
    expect(studio.emulator.requests.get("GET /api/datachain/clusters/")).toBe(3);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3", 0)).toBe(3000);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4000)).toBe(6000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    // RFC 9110's obsolete date forms still count.
    expect(parseRetryAfter("Thursday, 01-Jan-70 00:00:10 GMT", 4000)).toBe(6000);
    expect(parseRetryAfter("Thu Jan  1 00:00:10 1970", 4000)).toBe(6000);
    // Found by a server sending -5: Date.parse read it as the year 2001, a wait of 0 ms, and
    // a rate-limited listing was tried six times in 0.6 s. Not a date, so the backoff waits.
    for (const odd of ["-5", "+3", "1e3", "12/31/2099"]) expect(parseRetryAfter(odd, 0)).toBeUndefined();
    // Only the day's name was checked: Date.parse read "Mon, 5" as a date of 2001, a wait of
    // 0 ms, and a zone of its own choosing ("PST") moved the time.
    for (const odd of ["Mon, 5", "Sun, 99", "Mon 12", "Mon, 1 2 3", "Thu, 01 Jan 1970 00:00:10 PST", "Thu, 01 Jan 1970 00:00:10"])
      expect(parseRetryAfter(odd, 0)).toBeUndefined();
    // An asctime date is in GMT, whatever this machine's zone: Date.parse read it as local time.
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      expect(parseRetryAfter("Thu Jan  1 00:00:10 1970", 4000)).toBe(6000);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("says so when Retry-After asks for longer than it waits", async () => {
    const headers = { "content-type": "application/json", "retry-after": "7200" };
    const error = await errorFrom(429, headers, JSON.stringify({ message: "slow down" }), { retries: 5 });
    expect([error.message, error.hint]).toEqual([
      "[GET] /api/datachain/clusters/: 429 slow down",
      "Studio asked to wait 7200 s before trying again (Retry-After), longer than the 60 s studio-jobs waits; run it again later.",
    ]);
    // Found by an adversarial tester: any number of seconds was printed as it came, "1e+23 s".
    const huge = await errorFrom(429, { ...headers, "retry-after": "99999999999999999999999" }, JSON.stringify({ message: "slow down" }), {
      retries: 5,
    });
    expect(huge.hint).toBe(
      "Studio asked to wait more than a day before trying again (Retry-After), longer than the 60 s studio-jobs waits; run it again later.",
    );
  });
});

describe("after a stop request", () => {
  it("says a cancel may have been carried out when the stop comes in the wait after a try that may have acted", async () => {
    // Found by a fuzzer: a cancel whose try got a 503 (or lost its reply) and was stopped in
    // the wait before the next was reported as surely not done, and Studio had cancelled it.
    const stopIn = async (status: number): Promise<string> => {
      const server = createServer((req, res) => {
        req.resume();
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "busy" }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      const stop = new AbortController();
      const client = createStudioClient({
        url: `http://127.0.0.1:${port}`,
        token: "t",
        retries: 2,
        signal: stop.signal,
        sleep: () => {
          stop.abort("SIGINT");
          return Promise.resolve();
        },
      });
      const error = (await client.cancelJob("demo", "j1").catch((e: unknown) => e)) as Error;
      await client.close();
      server.close();
      return error.message;
    };
    expect(await stopIn(503)).toBe(
      "Interrupted by SIGINT before POST /api/datachain/jobs/j1/cancel was sent again; Studio may or may not have acted on it, and a re-run finds out.",
    );
    // A 429 is refused before the server acts: nothing was done.
    expect(await stopIn(429)).toBe("Interrupted by SIGINT before POST /api/datachain/jobs/j1/cancel was sent again.");
  });

  it("sends nothing new, but a create that finishes a step under way goes, within the writes' grace", async () => {
    studio = await startTestStudio();
    const stop = new AbortController();
    const client = createStudioClient({ url: studio.emulator.url, token: "dev-token", signal: stop.signal, writeGraceMs: 2_000 });
    stop.abort("SIGINT");
    const refused = (await client.createJob(input).catch((e: unknown) => e)) as Error;
    expect(refused.message).toBe("Interrupted by SIGINT before POST /api/datachain/jobs/ was sent.");
    const finished = await client.createJob({ ...input, query_name: "second-half" }, { finishing: true });
    expect(studio.emulator.store.allJobs().map((j) => [j.id, j.name])).toEqual([[finished.id, "second-half"]]);
    await client.close();
  });

  it("sends a finishing create after a stop once the wait Studio asked for is over, within the writes' grace", async () => {
    // Found by an adversarial tester: under --rate-limit 2, Ctrl-C during an apply of
    // cancel-first replacements dropped the creates waiting their turn in the throttle, and
    // sent those started after the stop at once, into the wait Studio had asked for: answered
    // 429, not sent again, and each job was left with no version.
    const finishAfterStop = async (queued: boolean) => {
      let paused: () => void = () => undefined;
      const pause = new Promise<void>((resolve) => (paused = resolve));
      const { local, stop, sleeps, client } = await rateLimitedClient((ms, sleeps, clock) => {
        // The wait Studio asked for does not end on its own; the create's does.
        if (sleeps.length === 1) {
          paused();
          return new Promise(() => undefined);
        }
        clock.advance(ms);
        return Promise.resolve();
      });
      try {
        await client.listClusters("demo");
        // Answered 429, Retry-After: 1.
        const listing = client.listClusters("demo").catch((e: unknown) => (e as Error).message);
        await pause;
        const create = queued ? client.createJob({ ...input, query_name: "second-half" }, { finishing: true }) : undefined;
        await new Promise((resolve) => setImmediate(resolve));
        stop.abort("SIGINT");
        const finished = await (create ?? client.createJob({ ...input, query_name: "second-half" }, { finishing: true }));
        return {
          jobs: local.emulator.store.allJobs().map((j) => [j.id, j.name]),
          finished: finished.id,
          posts: local.emulator.requests.get("POST /api/datachain/jobs/"),
          sleeps,
          listing: await listing,
        };
      } finally {
        await client.close();
        await local.close();
      }
    };
    for (const queued of [true, false]) {
      const { jobs, finished, posts, sleeps, listing } = await finishAfterStop(queued);
      expect(jobs).toEqual([[finished, "second-half"]]);
      expect(posts).toBe(1);
      expect(sleeps).toEqual([1_000, 1_000]);
      expect(listing).toBe("Interrupted by SIGINT before GET /api/datachain/clusters/?team_name=demo was sent again.");
    }
  });

  it("sends a finishing create once more after a stop that comes while it waits its turn after a 429, within the writes' grace", async () => {
    // Found by mutation testing: a cancel-first replacement's create, turned away by a 429
    // just before the stop and waiting its turn to try again, was not sent again after the
    // stop ("Interrupted ... before POST /api/datachain/jobs/ was sent again"), and the job
    // was left with no version; one waiting its turn for its first try was sent.
    const { local, sleeps, client } = await rateLimitedClient(
      (ms, _sleeps, clock) => {
        clock.advance(ms);
        return Promise.resolve();
      },
      // The stop comes as the create's first try is turned away.
      (stop) => ({ onRetry: () => stop.abort("SIGINT") }),
    );
    try {
      await client.listClusters("demo"); // the one request of this second
      const finished = await client.createJob({ ...input, query_name: "second-half" }, { finishing: true });
      expect(local.emulator.store.allJobs().map((j) => [j.id, j.name])).toEqual([[finished.id, "second-half"]]);
      expect(local.emulator.requests.get("POST /api/datachain/jobs/")).toBe(2);
      expect(sleeps).toEqual([1_000]);
      // Nothing else goes after the stop.
      expect(((await client.createJob(input).catch((e: unknown) => e)) as Error).message).toBe(
        "Interrupted by SIGINT before POST /api/datachain/jobs/ was sent.",
      );
    } finally {
      await client.close();
      await local.close();
    }
  });

  it("lets a write in flight finish when the client is closed just after a stop cut off a read", async () => {
    // Found by an adversarial tester: a read cut off by the stop counted as a request left
    // behind until undici's own rejection of it settled, a few microtasks later; a close in
    // that time destroyed the connections, and the create in flight failed with
    // UND_ERR_DESTROYED, its job made, instead of finishing within the writes' grace.
    studio = await startTestStudio({ faults: { latencyMs: 300 } });
    const stop = new AbortController();
    const client = createStudioClient({ url: studio.emulator.url, token: "dev-token", signal: stop.signal, writeGraceMs: 5_000 });
    const create = client.createJob({ ...input, query_name: "in-flight" }).then(
      (job) => job.id,
      (e: unknown) => (e as Error).message,
    );
    const listing = client.listJobs("demo").catch((e: unknown) => (e as Error).message);
    while ((studio.emulator.requests.get("GET /api/datachain/jobs/") ?? 0) < 1 || studio.emulator.store.allJobs().length < 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    stop.abort("SIGINT");
    const closed = client.close();
    expect(await listing).toBe("Interrupted by SIGINT while waiting for Studio's reply to GET /api/datachain/jobs/?team_name=demo.");
    const created = await create;
    await closed;
    expect(studio.emulator.store.allJobs().map((j) => [j.id, j.name])).toEqual([[created, "in-flight"]]);
  });

  it("gives a finishing create a grace of its own, however long after the stop it is sent", async () => {
    // Found in review: the create after a slow cancel got only what was left of the grace
    // that started with the stop, and was cut off with the job created.
    studio = await startTestStudio({ faults: { latencyMs: 150 } });
    const stop = new AbortController();
    const client = createStudioClient({ url: studio.emulator.url, token: "dev-token", signal: stop.signal, writeGraceMs: 300 });
    stop.abort("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 400));
    const finished = await client.createJob({ ...input, query_name: "late" }, { finishing: true });
    expect(studio.emulator.store.allJobs().map((j) => j.id)).toEqual([finished.id]);
    await client.close();
  });
});

describe("listAllJobs", () => {
  async function seed(s: TestStudio, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await s.client.createJob({ ...input, query_name: `j${i}` });
  }

  /** A client of a server that lists what `answer` gives for each listing's query, asking for 2, 8, then 32. */
  async function listingServer(answer: (query: URLSearchParams) => unknown[]) {
    const server = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answer(new URL(req.url ?? "/", "http://x").searchParams)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => void server.close());
    const client = createStudioClient({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: "t",
      listLimit: { initial: 2, ceiling: 32 },
    });
    onTestFinished(() => client.close());
    return client;
  }

  it("asks again with a larger limit when a reply is exactly the limit", async () => {
    studio = await startTestStudio({}, { listLimit: { initial: 2, ceiling: 32 } });
    await seed(studio, 5);
    const jobs = await studio.client.listAllJobs("demo");
    expect(jobs.map((j) => j.name)).toEqual(["j4", "j3", "j2", "j1", "j0"]);
    expect(studio.emulator.requests.get("GET /api/datachain/jobs/")).toBe(2); // limit 2 (full), then 8
  });

  it("treats a reply of exactly the limit as truncated even when nothing more exists", async () => {
    studio = await startTestStudio({}, { listLimit: { initial: 2, ceiling: 32 } });
    await seed(studio, 8);
    expect(await studio.client.listAllJobs("demo")).toHaveLength(8);
    expect(studio.emulator.requests.get("GET /api/datachain/jobs/")).toBe(3); // 2, 8 (both full), 32
  });

  it("refuses a listing that shrinks when asked for more, instead of taking it as complete", async () => {
    // Found by a hostile server: asked for 2 it listed 2, asked for 8 it listed 1, and the
    // one was taken as the team's every job, so a plan would have made the others again.
    studio = await startTestStudio();
    await seed(studio, 3);
    const jobs = await studio.client.listJobs("demo", { limit: 3 });
    const asked: string[] = [];
    const client = await listingServer((query) => {
      asked.push(query.get("limit") ?? "");
      return jobs.slice(0, query.get("limit") === "2" ? 2 : 1);
    });
    const error = (await client.listAllJobs("demo").catch((e: unknown) => e)) as RemoteError;
    expect(error.message).toBe(
      "[GET] /api/datachain/jobs/: 200 team demo listed 2 jobs when asked for 2, then 1 when asked for 8; a listing that shrinks may be incomplete",
    );
    expect(asked).toEqual(["2", "8"]);
  });

  it("says how many it asked for when a listing longer than asked then shrinks", async () => {
    // Found by an adversarial review: asked for 2 it listed 3, asked for 8 it listed 1, and
    // the error said "listed 3 jobs when asked for 3".
    studio = await startTestStudio();
    await seed(studio, 3);
    const jobs = await studio.client.listJobs("demo", { limit: 3 });
    const client = await listingServer((query) => jobs.slice(0, query.get("limit") === "2" ? 3 : 1));
    await expect(client.listAllJobs("demo")).rejects.toThrow(
      "[GET] /api/datachain/jobs/: 200 team demo listed 3 jobs when asked for 2, then 1 when asked for 8; a listing that shrinks may be incomplete",
    );
  });

  it("takes a listing by status that shrinks when asked for more: a job left that status meanwhile", async () => {
    // Found by an adversarial review: asked for 2 RUNNING jobs Studio listed 2, one of them
    // finished, and asked for 8 it listed 1; that was refused as a listing cut short, though
    // a status filter's jobs may leave it at any time and the shorter reply is complete.
    studio = await startTestStudio();
    await seed(studio, 2);
    const jobs = (await studio.client.listJobs("demo", { limit: 2 })).map((job) => ({ ...job, status: "RUNNING" }));
    const asked: string[] = [];
    const client = await listingServer((query) => {
      asked.push(`${query.get("status")} ${query.get("limit")}`);
      return asked.length === 1 ? jobs : jobs.slice(1);
    });
    expect((await client.listAllJobs("demo", { status: "RUNNING" })).map((job) => job.name)).toEqual([jobs[1]?.name]);
    expect(asked).toEqual(["RUNNING 2", "RUNNING 8"]);
  });

  it("refuses a listing whose limit is not applied: a reply of Studio's default 20 to any limit", async () => {
    // Found by review: a Studio (or a proxy) that drops `limit` answers its default 20 jobs,
    // fewer than asked, which was taken as the team's every job: a plan would make the rest again.
    studio = await startTestStudio();
    await seed(studio, 25);
    const jobs = await studio.client.listJobs("demo", { limit: 25 });
    const asked: string[] = [];
    const client = await listingServer((query) => {
      asked.push(query.get("limit") ?? "");
      return jobs.slice(0, 20);
    });
    await expect(client.listAllJobs("demo")).rejects.toThrow(
      "[GET] /api/datachain/jobs/: 200 team demo listed 20 jobs when asked for at most 19: the listing's limit is not applied, so a listing of 20 (the default length) may be cut short",
    );
    expect(asked).toEqual(["2", "8", "32", "19"]);
  });

  it("takes a team of exactly 20 jobs once a limit of 19 lists 19", async () => {
    studio = await startTestStudio();
    await seed(studio, 20);
    const jobs = await studio.client.listJobs("demo", { limit: 20 });
    const asked: string[] = [];
    const client = await listingServer((query) => {
      asked.push(query.get("limit") ?? "");
      return jobs.slice(0, Number(query.get("limit")));
    });
    expect((await client.listAllJobs("demo")).map((job) => job.name)).toEqual(jobs.map((job) => job.name));
    expect(asked).toEqual(["2", "8", "32", "19"]);
  });

  it("fails clearly past the ceiling instead of returning a partial listing", async () => {
    studio = await startTestStudio({}, { listLimit: { initial: 2, ceiling: 4 } });
    await seed(studio, 4);
    await expect(studio.client.listAllJobs("demo")).rejects.toThrow(
      "[GET] /api/datachain/jobs/: 200 team demo has at least 4 jobs, the most this tool will list; the listing may be incomplete",
    );
  });
});

describe("errors", () => {
  it("names method, path, status and Studio's message, never the token", async () => {
    studio = await startTestStudio();
    const client = createStudioClient({ url: studio.emulator.url, token: "s3cret-token-value", retries: 0 });
    try {
      const error = (await client.listJobs("demo").catch((e: unknown) => e)) as RemoteError;
      expect(error.message).toBe("[GET] /api/datachain/jobs/: 401 Invalid token.");
      expect(error.hint).toContain("--token");
      expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain("s3cret");
    } finally {
      await client.close();
    }
  });

  it("hides the token of a client made without a redactor, as the library makes one, in a reply that quotes the request", async () => {
    // Found by a secrets hunt: only the CLI passed a redactor, so a library caller's error
    // carried the token as a server echoing the Authorization header had written it.
    const token = "lib-Tok3n-never-shown";
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(403, { "content-type": "text/plain" });
      res.end(`refused ${req.headers.authorization ?? ""} (${Buffer.from(req.headers.authorization ?? "").toString("base64")})`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => void server.close());
    const { port } = server.address() as AddressInfo;
    const client = createStudioClient({ url: `http://127.0.0.1:${port}`, token, retries: 0 });
    const error = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
    await client.close();
    expect(error.message).toBe(`[GET] http://127.0.0.1:${port}/api/datachain/clusters/: 403 "refused Bearer *** (QmVhcmVyIG***g==)"`);
    expect(error.stack).not.toContain("Tok3n");
  });

  it("hides a token an HTML page quotes with a <wbr> or a <span> inside it, where a long word may wrap", async () => {
    // Found by a secrets hunt: every tag became a space, so the page's text held the token in
    // pieces, none of which the redactor knew: "Bearer WrapTok3 nSecretV alue99".
    const token = "WrapTok3nSecretValue99";
    const body = `<html><body><h1>Forbidden</h1><p>Bearer <code>WrapTok3<wbr>nSecretV<span></span>alue99</code> is not allowed</p></body></html>`;
    const error = await errorFrom(403, { "content-type": "text/html" }, body, { token });
    expect(error.message).toMatch(/: 403 an HTML page: "Forbidden Bearer \*\*\* is not allowed"$/);
  });

  it.each([
    // Found by a reviewer, each printing part or all of the secret: an HTML page cut at 8 KiB
    // while the secret was still written with entities; numeric entities, which were not
    // decoded; a secret holding a tab, turned into a space before it was looked for.
    ["HTML entities across 8 KiB", 502, "text/html", `<html><body>${"<br>".repeat(2044)}pa&amp;ss-word-secret-long</body></html>`],
    ["numeric entities", 502, "text/html", "<html><body>Bad value pa&#38;ss-word-secret-&#x6c;ong</body></html>"],
    ["a tab inside the secret", 400, "application/json", JSON.stringify({ message: "bad value tab\tsecret-value" })],
    ["Python's escaped JSON", 400, "application/json", '{"detail": "bad value p\\u00e4ssw\\u00f6rd-Geheim"}'],
  ])("hides the secret in a reply that quotes it: %s", async (_name, status, type, body) => {
    const redactor = createRedactor();
    for (const secret of ["pa&ss-word-secret-long", "tab\tsecret-value", "pässwörd-Geheim"]) redactor.addSecret(secret);
    const error = await errorFrom(status, { "content-type": type }, body, { redactor });
    expect(error.message).toContain("***");
    for (const part of ["pa&", "ss-word", "secret-value", "ssw", "Geheim"]) expect(error.message).not.toContain(part);
  });

  it.each([
    // Found by a reviewer: a terminal escape in an error body reached stderr byte for byte, and
    // one written as an entity (&#27;) in an HTML title was decoded into one.
    ["text/plain", "bad \x1b]0;pwned\x07\x1b[31mRED\u009b1m"],
    ["text/html", "<html><head><title>&#27;]0;pwned&#7;&#x1b;[31mRED&#x9b;1m</title></head></html>"],
  ])("obeys no control character of an error reply (%s)", async (type, body) => {
    const error = await errorFrom(403, { "content-type": type }, body);
    expect(error.message).toMatch(/: 403 (an HTML page: )?"(bad )?\]0;pwned \[31mRED 1m"$/);
  });

  it("shows the characters that reorder a line unseen as escapes in Studio's message", async () => {
    const message = "denied \u202eexe.txt\u202c \u2066x\u2069 \u200b";
    const error = await errorFrom(403, { "content-type": "application/json" }, JSON.stringify({ message }));
    expect(error.message).toBe("[GET] /api/datachain/clusters/: 403 denied \\u202eexe.txt\\u202c \\u2066x\\u2069 \\u200b");
  });

  it("does not call a body read only in part empty when all that was read is within the margin kept from the cut", async () => {
    // A read limit under 64 KiB (STUDIO_JOBS_MAX_REPLY_MB=0.02) left nothing to show of a
    // 30 KB error page, which was then described as "an empty body".
    const body = `Internal error: ${"x".repeat(30_000)}`;
    const error = await errorFrom(500, { "content-type": "text/plain" }, body, { maxReplyBytes: 20_000 });
    expect(error.message).toMatch(/\/api\/datachain\/clusters\/: 500 a body read only in part, of which nothing can be shown$/);
    const empty = await errorFrom(500, { "content-type": "text/plain" }, "", { maxReplyBytes: 20_000 });
    expect(empty.message).toMatch(/\/api\/datachain\/clusters\/: 500 an empty body$/);
  });

  it("reads no more than 1 MiB of a reply that is not 2xx, and still says what it was", async () => {
    let sent = 0;
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(500, { "content-type": "text/plain" });
      const piece = Buffer.alloc(64 * 1024, "x");
      const more = (): void => {
        if (sent >= 64 * 1024 * 1024 || res.destroyed) return void res.end();
        sent += piece.length;
        res.write(piece, more);
      };
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = createStudioClient({ url: `http://127.0.0.1:${port}`, token: "t", retries: 0 });
    const error = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
    await client.close();
    server.closeAllConnections();
    server.close();
    expect(error.message).toMatch(/^\[GET\] http:\/\/127\.0\.0\.1:\d+\/api\/datachain\/clusters\/: 500 "x{119}…"$/);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it("says so when the server cannot be reached", async () => {
    const client = createStudioClient({ url: "http://127.0.0.1:9", token: "t", retries: 1, backoff: { baseMs: 1, maxMs: 1 } });
    const error = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
    expect(error.message).toMatch(/^\[GET\] \/api\/datachain\/clusters\/: no reply: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(/);
    expect(error.code).toBe("REMOTE_UNREACHABLE");
    await client.close();
  });

  it("says in words that an https:// URL names a server of plain http, and which --url to use", async () => {
    // Found by a newcomer's walk-through: `--url https://127.0.0.1:PORT` for the emulator said
    // "ERR_SSL_WRONG_VERSION_NUMBER 80...:error:0A00010B:SSL routines:ssl3_get_record:wrong version
    // number:../deps/openssl/..." and "check that Studio is reachable", which it was.
    const server = createServer((_req, res) => res.end("[]"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    onTestFinished(() => void server.close());
    const client = createStudioClient({ url: `https://127.0.0.1:${port}/studio`, token: "t", backoff: { baseMs: 1, maxMs: 1 } });
    const error = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
    await client.close();
    expect(error.message).toBe(
      `[GET] /api/datachain/clusters/: no reply: the server at https://127.0.0.1:${port} does not answer in TLS (ERR_SSL_WRONG_VERSION_NUMBER)`,
    );
    expect(error.hint).toBe(`If it serves plain http, as the local emulator does, use --url http://127.0.0.1:${port}/studio.`);
  });

  it("says that this machine does not trust Studio's certificate, and how to make it", async () => {
    // It said "check that Studio is reachable" after `DEPTH_ZERO_SELF_SIGNED_CERT`, as behind a
    // network that inspects TLS. test/fixtures/tls: a self-signed certificate for localhost, test only.
    const port = await httpsFixtureServer();
    // NODE_EXTRA_CA_CERTS set empty names no file: Node reads none, and the advice is to set it.
    for (const extraCaCerts of [undefined, ""]) {
      const client = createStudioClient({
        url: `https://localhost:${port}`,
        token: "t",
        backoff: { baseMs: 1, maxMs: 1 },
        ...(extraCaCerts === undefined ? {} : { extraCaCerts }),
      });
      const error = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
      await client.close();
      expect(error.message).toBe("[GET] /api/datachain/clusters/: no reply: DEPTH_ZERO_SELF_SIGNED_CERT self-signed certificate");
      expect(error.hint).toBe(
        `This machine does not trust the certificate of https://localhost:${port}: if your network or your Studio uses a certificate authority of its own, set NODE_EXTRA_CA_CERTS to its certificate (a PEM file).`,
      );
    }
  });

  it("reaches an https Studio whose certificate NODE_EXTRA_CA_CERTS trusts, and names one for another host, in the built CLI", async () => {
    // The CLI as a user runs it, trusting what the machine's NODE_EXTRA_CA_CERTS names (the other
    // tests give the client a dispatcher of their own): the fixture's certificate is for
    // localhost, so 127.0.0.1 is another host name.
    const port = await httpsFixtureServer();
    const env = {
      DATACHAIN_STUDIO_TOKEN: "t",
      DATACHAIN_STUDIO_TEAM: "demo",
      NODE_EXTRA_CA_CERTS: fileURLToPath(new URL("fixtures/tls/cert.pem", import.meta.url)),
    };
    const trusted = await spawnCli(["clusters", "--format", "json"], {
      env: { ...env, DATACHAIN_STUDIO_URL: `https://localhost:${port}` },
    });
    expect([trusted.code, trusted.stdout, trusted.stderr]).toEqual([0, "[]\n", ""]);
    const other = await spawnCli(["clusters"], { env: { ...env, DATACHAIN_STUDIO_URL: `https://127.0.0.1:${port}` } });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("no reply: ERR_TLS_CERT_ALTNAME_INVALID ");
    expect(other.stderr).toContain(`The certificate of https://127.0.0.1:${port} is for another host name`);
    // Found reading the hints: NODE_EXTRA_CA_CERTS naming a file Node could not read (it warns
    // as it starts, and trusts nothing more) was told to set NODE_EXTRA_CA_CERTS.
    const missing = join(tmpdir(), "studio-jobs-no-such-ca.pem");
    const unread = await spawnCli(["clusters"], {
      env: { ...env, DATACHAIN_STUDIO_URL: `https://localhost:${port}`, NODE_EXTRA_CA_CERTS: missing },
    });
    expect(unread.code).toBe(1);
    expect(unread.stderr).toContain(
      `This machine does not trust the certificate of https://localhost:${port}, though NODE_EXTRA_CA_CERTS is set (${missing}): if your network or your Studio uses a certificate authority of its own, check that the variable names its certificate, a readable PEM file.`,
    );
  });

  it("says that Studio's certificate is for another host name, and where the host is given", async () => {
    // Found by mutation testing: this hint, dropped, left every test green. The fixture's
    // certificate, trusted here, is for localhost; the URL names 127.0.0.1.
    const port = await httpsFixtureServer();
    const dispatcher = new Agent({ connect: { ca: tlsFixture("cert.pem") } });
    onTestFinished(() => dispatcher.close());
    const client = createStudioClient({ url: `https://127.0.0.1:${port}`, token: "t", dispatcher, backoff: { baseMs: 1, maxMs: 1 } });
    const error = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
    await client.close();
    expect(error.message).toMatch(/^\[GET\] \/api\/datachain\/clusters\/: no reply: ERR_TLS_CERT_ALTNAME_INVALID /);
    expect(error.hint).toBe(
      `The certificate of https://127.0.0.1:${port} is for another host name: check the host in --url (or DATACHAIN_STUDIO_URL).`,
    );
  });

  it("does not suggest the plain http:// an https Studio redirects to, and says a 304 as a status, not as a redirect", async () => {
    // Found by an adversarial tester: "If Studio has moved, use --url http://localhost:PORT",
    // which with --insecure sends the token unencrypted; and "304 redirect without a usable Location".
    let status = 301;
    const server = createHttpsServer({ key: tlsFixture("key.pem"), cert: tlsFixture("cert.pem") }, (req, res) => {
      res.writeHead(status, status === 301 ? { location: `http://localhost/${req.url ?? ""}` } : {});
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => void server.close());
    const dispatcher = new Agent({ connect: { ca: tlsFixture("cert.pem") } });
    onTestFinished(() => dispatcher.close());
    const url = `https://localhost:${(server.address() as AddressInfo).port}`;
    const client = createStudioClient({ url, token: "t", dispatcher, retries: 0 });
    const redirect = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
    status = 304;
    const notModified = (await client.listClusters().catch((e: unknown) => e)) as RemoteError;
    await client.close();
    expect([redirect.code, redirect.hint]).toEqual([
      "REMOTE_REDIRECT",
      "It points to plain http://, where the token would travel unencrypted: keep https:// in --url (or DATACHAIN_STUDIO_URL), and ask whoever runs Studio about the redirect.",
    ]);
    expect([notModified.code, notModified.status, notModified.message]).toEqual([
      "REMOTE_REJECTED",
      304,
      `[GET] ${url}/api/datachain/clusters/: 304 an empty body`,
    ]);
  });

  it("reports a create whose host name did not resolve as failed, not as possibly made, and sends it once", async () => {
    // Found checking the CHANGELOG's "a name not resolved" against the client: ENOTFOUND (the
    // name does not exist, as against EAI_AGAIN, a lookup that failed for now) was read as a
    // request that may have reached Studio, so apply went looking for a job never made.
    let tries = 0;
    // The name's lookup answers ENOTFOUND itself: a machine without a resolver answers EAI_AGAIN.
    const lookup = (hostname: string, _options: unknown, callback: (error: Error, address: string, family: number) => void) =>
      callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", syscall: "getaddrinfo", hostname }),
        "",
        4,
      );
    const agent = new Agent({ connect: { lookup } });
    const client = createStudioClient({
      url: "http://studio.invalid:9",
      token: "t",
      dispatcher: agent,
      sleep: () => {
        tries += 1;
        return Promise.resolve();
      },
    });
    const error = (await client.createJob(input).catch((e: unknown) => e)) as RemoteError;
    await client.close();
    await agent.close();
    expect([error.code, error.ambiguous, tries]).toEqual(["REMOTE_UNREACHABLE", false, 0]);
    // Found walking the README: the code was said twice ("ENOTFOUND getaddrinfo ENOTFOUND ...").
    expect(error.message).toBe("[POST] /api/datachain/jobs/: no reply: getaddrinfo ENOTFOUND studio.invalid");
  });

  it("gives up on a request at its deadline, without retrying it, and says how to allow more", async () => {
    studio = await startTestStudio({ faults: { latencyMs: 5_000 } }, { timeoutMs: 200 });
    const started = performance.now();
    const error = (await studio.client.listJobs("demo").catch((e: unknown) => e)) as RemoteError;
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(error.status).toBeUndefined();
    expect(error.code).toBe("REMOTE_TIMEOUT");
    expect(error.ambiguous).toBe(true);
    expect(error.message).toBe("[GET] /api/datachain/jobs/?team_name=demo: no complete reply within 0.2 s");
    expect(error.hint).toBe("If Studio is only slow, allow more time with --timeout SECONDS (or STUDIO_JOBS_TIMEOUT); the default is 60.");
    expect(studio.emulator.requests.get("GET /api/datachain/jobs/")).toBe(1);
  });

  it("says how many tries over how long when a retry ends at its deadline", async () => {
    let answered = 0;
    const server = createServer((req, res) => {
      req.resume();
      if (answered++ > 0) return; // the second try: no reply at all
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "busy" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    let now = 0;
    const client = createStudioClient({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: "t",
      timeoutMs: 200,
      random: () => 1,
      now: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    });
    try {
      const error = (await client.listClusters("demo").catch((e: unknown) => e)) as RemoteError;
      expect([error.code, error.message]).toEqual([
        "REMOTE_TIMEOUT",
        "[GET] /api/datachain/clusters/?team_name=demo: no complete reply within 0.2 s (tried 2 times over 0.2 s)",
      ]);
      expect(answered).toBe(2);
    } finally {
      await client.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("a compressed reply", () => {
  it("to a create answered 2xx: not read, and the create may have been carried out", async () => {
    let created = 0;
    const server = createServer((req, res) => {
      req.resume();
      created++;
      res.writeHead(201, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(Buffer.from(JSON.stringify({ id: "j1" }))));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createStudioClient({ url, token: "t" });
    try {
      const error = (await client.createJob(input).catch((e: unknown) => e)) as RemoteError;
      expect([error.code, error.status, error.ambiguous, error.message]).toEqual([
        "REMOTE_INVALID_REPLY",
        201,
        true,
        `Studio's reply to POST ${url}/api/datachain/jobs/ is compressed (Content-Encoding: gzip), which studio-jobs did not ask for`,
      ]);
      expect(created).toBe(1);
    } finally {
      await client.close();
      server.close();
    }
  });
});

describe("close", () => {
  it("may be called twice, and at once, like the emulator's", async () => {
    // Found by an adversarial tester: a second close() rejected with undici's ClientDestroyedError.
    studio = await startTestStudio();
    const client = createStudioClient({ url: studio.emulator.url, token: "dev-token" });
    expect(await client.listClusters("demo")).toHaveLength(3);
    const closes = await Promise.allSettled([client.close(), client.close()]);
    closes.push(...(await Promise.allSettled([client.close()])));
    expect(closes.map((c) => c.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
  });
});

describe("configuration", () => {
  function setup(globalToml: string | undefined, localToml: string | undefined): { cwd: string; env: NodeJS.ProcessEnv } {
    const root = mkdtempSync(join(tmpdir(), "studio-jobs-config-"));
    const globalDir = join(root, "global");
    const cwd = join(root, "repo");
    mkdirSync(globalDir);
    mkdirSync(join(cwd, ".datachain"), { recursive: true });
    if (globalToml !== undefined) writeFileSync(join(globalDir, "config"), globalToml);
    if (localToml !== undefined) writeFileSync(join(cwd, ".datachain", "config"), localToml);
    return { cwd, env: { DATACHAIN_GLOBAL_CONFIG_DIR: globalDir } };
  }

  it("takes flags over environment over the local config over the global config", async () => {
    const { cwd, env } = setup(
      '[studio]\nurl = "https://global.example"\ntoken = "global-token"\nteam = "global-team"\n',
      '[studio]\ntoken = "local-token"\n',
    );
    expect(await resolveConnection({}, env, cwd)).toMatchObject({
      url: "https://global.example",
      token: "local-token",
      team: "global-team",
    });
    expect(
      await resolveConnection({}, { ...env, DATACHAIN_STUDIO_TOKEN: "env-token", DATACHAIN_STUDIO_TEAM: "env-team" }, cwd),
    ).toMatchObject({
      token: "env-token",
      team: "env-team",
    });
    const flagged = await resolveConnection(
      { token: "flag-token", url: "https://flag.example" },
      { ...env, DATACHAIN_STUDIO_TOKEN: "env-token" },
      cwd,
    );
    expect(flagged).toMatchObject({ url: "https://flag.example", token: "flag-token" });
    expect(JSON.stringify(flagged.sources)).not.toContain("flag-token");
  });

  it("finds datachain's config files where datachain does, and reads them in its order", async () => {
    // Found by an attacker of the settings: the user's config was looked for in ~/.config alone,
    // so `datachain auth login` on macOS, or with XDG_CONFIG_HOME set, went unseen ("No Studio
    // token"); the system's config, DATACHAIN_ROOT_DIR and DATACHAIN_DIR were not read; and an
    // empty DATACHAIN_GLOBAL_CONFIG_DIR read a file named config in the process's directory.
    const home = "/home/u";
    expect(configFilePaths({}, "/repo", home, "linux")).toEqual([
      "/etc/xdg/datachain/config",
      "/home/u/.config/datachain/config",
      "/repo/.datachain/config",
    ]);
    const xdg = { XDG_CONFIG_HOME: "/x/home", XDG_CONFIG_DIRS: " :/x/etc:/etc/xdg", DATACHAIN_GLOBAL_CONFIG_DIR: " " };
    expect(configFilePaths({ ...xdg, DATACHAIN_ROOT_DIR: "/root-dir" }, "/repo", home, "linux")).toEqual([
      "/x/etc/datachain/config",
      "/x/home/datachain/config",
      "/root-dir/.datachain/config",
    ]);
    // On macOS ~/.config's too, below datachain's own: this README long named it there.
    expect(configFilePaths({ DATACHAIN_DIR: "state", DATACHAIN_ROOT_DIR: "/ignored" }, "/repo", home, "darwin")).toEqual([
      "/Library/Application Support/datachain/config",
      "/home/u/.config/datachain/config",
      "/home/u/Library/Application Support/datachain/config",
      "/repo/state/config",
    ]);
    // With $XDG_CONFIG_HOME, its config wins, and ~/Library/Application Support's is read below
    // it: a datachain whose platformdirs reads no XDG variable on macOS logs in there.
    // Found by review: only $XDG_CONFIG_HOME's was read, and such a login went unseen.
    expect(configFilePaths({ XDG_CONFIG_HOME: "/xdg" }, "/repo", home, "darwin")).toEqual([
      "/Library/Application Support/datachain/config",
      "/home/u/Library/Application Support/datachain/config",
      "/xdg/datachain/config",
      "/repo/.datachain/config",
    ]);
    expect(configFilePaths({ XDG_CONFIG_HOME: "/xdg", DATACHAIN_GLOBAL_CONFIG_DIR: "/g" }, "/repo", home, "darwin")[1]).toBe("/g/config");
    expect(configFilePaths({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "/repo", home, "win32").slice(0, 2)).toEqual([
      "C:\\ProgramData\\iterative\\datachain\\config",
      "C:\\Users\\u\\AppData\\Local\\iterative\\datachain\\config",
    ]);
    expect(configFilePaths({ PROGRAMDATA: "D:\\Data" }, "/repo", home, "win32")[0]).toBe("D:\\Data\\iterative\\datachain\\config");
    // The system's is overridden by the user's, and both by the project's.
    const root = mkdtempSync(join(tmpdir(), "studio-jobs-config-"));
    for (const dir of ["system", "xdg/datachain", "repo/.datachain"]) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(
      join(root, "system", "config"),
      '[studio]\nurl = "https://system.example"\nteam = "system-team"\ntoken = "system-token"\n',
    );
    writeFileSync(join(root, "xdg/datachain", "config"), '[studio]\nteam = "user-team"\ntoken = "user-token"\n');
    writeFileSync(join(root, "repo/.datachain", "config"), '[studio]\ntoken = "project-token"\n');
    const env = { DATACHAIN_SYSTEM_CONFIG_DIR: join(root, "system"), XDG_CONFIG_HOME: join(root, "xdg"), DATACHAIN_GLOBAL_CONFIG_DIR: "" };
    const settings = await resolveConnection({}, env, join(root, "repo"), undefined, join(root, "home"));
    expect(settings).toMatchObject({ url: "https://system.example", team: "user-team", token: "project-token" });
    expect(settings.sources).toEqual({
      url: join(root, "system", "config"),
      team: join(root, "xdg/datachain", "config"),
      token: join(root, "repo/.datachain", "config"),
    });
  });

  it("defaults to studio.datachain.ai and no token", async () => {
    const { cwd, env } = setup(undefined, undefined);
    expect(await resolveConnection({}, env, cwd)).toMatchObject({ url: "https://studio.datachain.ai", token: undefined, team: undefined });
  });

  it("refuses a config value that is not a string, without showing it", async () => {
    // Found by a reviewer: `token = 5` was dropped without a word, and the run said "No Studio token".
    const { cwd, env } = setup("[studio]\ntoken = 123456789\n", undefined);
    const error = (await resolveConnection({}, env, cwd).catch((e: unknown) => e)) as UsageError;
    expect(error.message).toMatch(/global\/config: token in \[studio\] must be a string; quote it\.$/);
    expect(error.message).not.toContain("123456789");
  });

  it("reports a broken config file by path, line and column and what is wrong, without its contents", async () => {
    // The column and the reason were left out: "not valid TOML (line 2)" said neither where nor what.
    const failure = async (toml: string) => {
      const { cwd, env } = setup(toml, undefined);
      const error = (await resolveConnection({}, env, cwd).catch((e: unknown) => e)) as UsageError;
      return [error.message.replace(join(env["DATACHAIN_GLOBAL_CONFIG_DIR"] ?? "", "config"), "CONFIG"), error.hint];
    };
    expect(await failure('[studio]\ntoken = "secret-in-toml\n')).toEqual([
      "CONFIG:2:24: datachain config is not valid TOML (control characters are not allowed in strings).",
      // It said to run `datachain auth login` again, which stops at the broken file as well.
      "Fix it there (the line is not shown: it may hold the token), or move it away and run `datachain auth login` again.",
    ]);
    // Unquoted, a token is the TOML's mistake; its place is in the file's own lines, after a byte order mark and CRLFs.
    expect((await failure('\ufeff[studio]\r\nurl = "https://s.example"\r\ntoken = secret-in-toml\r\n'))[0]).toBe(
      "CONFIG:3:9: datachain config is not valid TOML (invalid value).",
    );
    expect((await failure('[studio]\ntoken = "a-secret-in-toml"\n[studio]\nteam = "demo"\n'))[0]).toBe(
      "CONFIG:3:2: datachain config is not valid TOML (trying to redefine an already defined table or value).",
    );
    // A [studio] that is no table was taken for no settings at all: "No Studio token" pointed elsewhere.
    expect((await failure('studio = "secret-in-toml"\n'))[0]).toBe(
      "Datachain config CONFIG: studio must be a table, [studio], holding url, token and team.",
    );
    // Nor a list of tables, nor a date (an object to the TOML reader).
    for (const toml of ['[[studio]]\ntoken = "t"\n', "studio = 2026-01-01T00:00:00Z\n"])
      expect((await failure(toml))[0]).toBe("Datachain config CONFIG: studio must be a table, [studio], holding url, token and team.");
    for (const toml of ['[studio]\ntoken = "secret-in-toml\n', "studio = 'secret-in-toml'\n"])
      expect(await failure(toml)).not.toContain("secret-in-toml");
  });

  it("reads no config file when a flag or a variable gives every setting: a broken one stops nothing then", async () => {
    // Found by a new user's walk: with --url, --token and --team given, a broken
    // ~/.config/datachain/config still stopped every command, though nothing was taken from it.
    const { cwd, env } = setup('[studio]\ntoken = "unclosed\n', undefined);
    const flags = { url: "https://studio.example", token: "flag-token", team: "flag-team" };
    const settings = await resolveConnection(flags, env, cwd);
    expect([settings.url, settings.token, settings.team, settings.sources]).toEqual([
      "https://studio.example",
      "flag-token",
      "flag-team",
      { url: "--url", token: "--token", team: "--team" },
    ]);
    const fromEnv = { ...env, DATACHAIN_STUDIO_URL: "https://studio.example", DATACHAIN_STUDIO_TOKEN: "env-token" };
    expect((await resolveConnection({ team: "flag-team" }, fromEnv, cwd)).token).toBe("env-token");
    // One setting left to the config, and the broken file is read, and said.
    await expect(resolveConnection({ url: flags.url, token: flags.token }, env, cwd)).rejects.toThrow("datachain config is not valid TOML");
  });

  it("refuses a config that is not a small UTF-8 file, naming it, without reading it whole", async () => {
    // A FIFO there hung every command; /dev/zero ran out of memory ("Invalid string length") and a
    // 200 MB file was read whole; a file saved as UTF-16 was "not valid TOML (line 1)".
    const failure = async (make: (path: string) => void) => {
      const { cwd, env } = setup(undefined, undefined);
      const path = join(env["DATACHAIN_GLOBAL_CONFIG_DIR"] ?? "", "config");
      make(path);
      const error = (await resolveConnection({}, env, cwd).catch((e: unknown) => e)) as UsageError;
      return error.message.replace(path, "CONFIG");
    };
    expect(await failure((path) => mkdirSync(path))).toBe("Datachain config CONFIG is a directory, not a file.");
    expect(await failure((path) => execFileSync("mkfifo", [path]))).toBe("Datachain config CONFIG is a named pipe (FIFO), not a file.");
    expect(await failure((path) => symlinkSync("/dev/zero", path))).toBe("Datachain config CONFIG is a device, not a file.");
    expect(await failure((path) => writeFileSync(path, `[studio]\n#${"x".repeat(1024 * 1024)}\n`))).toBe(
      "Datachain config CONFIG is larger than 1 MiB, which no datachain config is.",
    );
    expect(await failure((path) => writeFileSync(path, Buffer.from('\ufeff[studio]\nteam = "demo"\n', "utf16le")))).toBe(
      "Datachain config CONFIG is UTF-16; save it as UTF-8.",
    );
    expect(await failure((path) => writeFileSync(path, Buffer.from('[studio]\nteam = "d\xe9mo"\n', "latin1")))).toBe(
      "Datachain config CONFIG is not UTF-8 text (byte 0xe9 at line 2, column 10); save it as UTF-8.",
    );
  });

  it("refuses a team that is no team name and a token holding a line break, naming where each came from, never the token", async () => {
    // Found by a reviewer: --team "a b" went to Studio as it was (a 403 naming no fix), and a
    // token file with Windows line endings gave "invalid authorization header ... check --url".
    const { cwd, env } = setup('[studio]\nteam = "ml, x"\n', undefined);
    const failure = (flags: Record<string, string>, extra: Record<string, string> = {}) =>
      resolveConnection(flags, { ...env, ...extra }, cwd).then(
        () => undefined,
        (e: unknown) => e as UsageError,
      );
    expect((await failure({ team: "a b" }))?.message).toBe(
      'The team from --team, "a b", must be a team name without spaces, commas, control or invisible characters.',
    );
    expect((await failure({}, { DATACHAIN_STUDIO_TEAM: "demo\n" }))?.message).toBe(
      'The team from DATACHAIN_STUDIO_TEAM, "demo\\n", must be a team name without spaces, commas, control or invisible characters.',
    );
    expect((await failure({}))?.message).toMatch(
      /^The team from .*global\/config, "ml, x", must be a team name without spaces, commas, control or invisible characters\.$/,
    );
    expect([(await failure({ team: "" }))?.message, (await failure({ team: "" }))?.hint]).toEqual([
      "--team is empty.",
      "Give a value, or leave --team out to use DATACHAIN_STUDIO_TEAM or datachain's config.",
    ]);
    // A CI variable not defined reads as an empty URL: the config's or the public Studio's in
    // its place would be sent a self-hosted Studio's token. --url still wins over it.
    const emptyUrl = await failure({ team: "demo" }, { DATACHAIN_STUDIO_URL: "", DATACHAIN_STUDIO_TOKEN: "tok-secret-1234" });
    expect([emptyUrl?.message, emptyUrl?.hint]).toEqual([
      "DATACHAIN_STUDIO_URL is set but empty (a CI variable that is not defined?).",
      "Set it to your Studio's URL, or unset it to use datachain's config or https://studio.datachain.ai.",
    ]);
    expect(await failure({ team: "demo", url: "http://127.0.0.1:9" }, { DATACHAIN_STUDIO_URL: "" })).toBeUndefined();
    // So is an empty token: the config's (this setup's has none) would go to the environment's URL.
    const emptyToken = await failure({ team: "demo" }, { DATACHAIN_STUDIO_URL: "http://127.0.0.1:9", DATACHAIN_STUDIO_TOKEN: "" });
    expect([emptyToken?.message, emptyToken?.hint]).toEqual([
      "DATACHAIN_STUDIO_TOKEN is set but empty (a CI secret that is not set, or not given to this run?).",
      "Set it to your Studio token, or unset it to use datachain's config (`datachain auth login`).",
    ]);
    expect(await failure({ team: "demo", token: "tok-secret-1234" }, { DATACHAIN_STUDIO_TOKEN: "" })).toBeUndefined();
    // And an empty team: the config's ("ml, x" here, refused for itself otherwise) would be
    // planned in instead. Found by a reviewer of the two above.
    const emptyTeam = await failure({}, { DATACHAIN_STUDIO_TEAM: "" });
    expect([emptyTeam?.message, emptyTeam?.hint]).toEqual([
      "DATACHAIN_STUDIO_TEAM is set but empty (a CI variable that is not defined?).",
      "Set it to a team, or unset it to use datachain's config's team.",
    ]);
    // A command that calls no Studio checks only what it uses: show's seal check reads the
    // token whatever the team (this config's is no team name) and the URL, validate the team.
    const forShow = { ...env, DATACHAIN_STUDIO_TEAM: "", DATACHAIN_STUDIO_URL: "", DATACHAIN_STUDIO_TOKEN: "tok-secret-1234" };
    expect((await resolveCredentials({}, forShow, cwd, ["token"])).token).toBe("tok-secret-1234");
    await expect(resolveCredentials({}, { ...env, DATACHAIN_STUDIO_TEAM: "" }, cwd, ["team"])).rejects.toThrow(
      "DATACHAIN_STUDIO_TEAM is set but empty",
    );
    const token = (await failure({ team: "demo" }, { DATACHAIN_STUDIO_TOKEN: "tok-secret-1234\r" })) as UsageError;
    expect([token.message, token.hint]).toEqual([
      "The token from DATACHAIN_STUDIO_TOKEN holds a line break or another control character, which no token has.",
      "Remove it: a token read from a file often keeps the file's line ending (\\n, or \\r\\n from Windows).",
    ]);
  });

  /** What the library's client says of a token it refuses: code, message and hint of the UsageError it throws. */
  function clientRefusal(token: string): unknown[] {
    try {
      createStudioClient({ url: "http://127.0.0.1:9", token });
    } catch (error) {
      const refused = error as UsageError;
      return [refused.code, refused.message, refused.hint];
    }
    return ["no error"];
  }

  it("refuses a token with a line break when the library makes a client, before anything is sent", () => {
    // Found by an adversarial tester: the library's client took it, and the header it cannot
    // carry failed as "no reply ... Check --url", which points the wrong way.
    expect(clientRefusal("tok-secret-1234\n")).toEqual([
      "USAGE",
      "The token from the client's options holds a line break or another control character, which no token has.",
      "Remove it: a token read from a file often keeps the file's line ending (\\n, or \\r\\n from Windows).",
    ]);
  });

  it("refuses a token that is not ASCII, before anything is sent, from the library and from the command line", async () => {
    // Found by the secrets hunt: a token with a character past U+00FF failed as "invalid
    // authorization header" with a hint to check --url; one with a non-breaking space (a copy
    // from a web page) went out as bytes, to be refused as a wrong token.
    for (const token of ["tok\u20acn-secret-1234", "tok-secret-1234\u00a0", "\u201ctok-secret-1234\u201d"]) {
      expect(clientRefusal(token)).toEqual([
        "USAGE",
        "The token from the client's options holds a character that is not ASCII, which no token has.",
        "Copy the token again as plain text: a copy from a web page or a document may bring a non-breaking space, a curly quote or a dash of its own.",
      ]);
    }
    const result = await runCli(["--team", "demo", "clusters"], {
      cwd: tmpdir(),
      env: { DATACHAIN_STUDIO_URL: "http://127.0.0.1:9", DATACHAIN_STUDIO_TOKEN: "tok\u2013secret-1234" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error: The token from DATACHAIN_STUDIO_TOKEN holds a character that is not ASCII, which no token has.\nCopy the token again as plain text: a copy from a web page or a document may bring a non-breaking space, a curly quote or a dash of its own.\n",
    );
  });

  it("refuses a request after close() with a UsageError, not an unreachable Studio", async () => {
    // Found by calling the library: undici's "The client is destroyed" became "no reply ... Check --url".
    studio = await startTestStudio();
    const { client, emulator } = studio;
    expect((await client.listClusters("demo")).length).toBeGreaterThan(0);
    await client.close();
    await client.close();
    const error = (await client.listAllJobs("demo").catch((e: unknown) => e)) as UsageError;
    expect([error.code, error.message, error.hint]).toEqual([
      "USAGE",
      "GET /api/datachain/jobs/ was not sent: the client is closed (close() was called).",
      "Send every request before closing the client, or create another client.",
    ]);
    expect(emulator.requests.get("GET /datachain/jobs/")).toBeUndefined();
  });

  it("refuses a library caller's options of the wrong kind with a UsageError naming the option, never the token", () => {
    // Found by calling the library from JavaScript: a bad URL threw a bare TypeError ("Invalid URL"), an
    // ftp:// URL or a missing token failed only at the first request ("check --url"; "Bearer undefined" sent),
    // and maxReplyBytes NaN turned the reply cap off.
    const refused = (options: unknown): string => {
      try {
        createStudioClient(options as StudioClientOptions);
      } catch (error) {
        return `${(error as UsageError).code}: ${(error as Error).message}`;
      }
      return "accepted";
    };
    const url = "http://127.0.0.1:9";
    expect(
      [
        undefined,
        { token: "t" },
        { url: "not a url", token: "t" },
        { url: "ht tp://alice:s3cret@studio", token: "t" },
        { url: "ftp://127.0.0.1:9", token: "t" },
        { url },
        { url, token: 1234 },
        { url, token: "t", maxReplyBytes: Number.NaN },
        { url, token: "t", maxReplyBytes: "1000" },
        { url, token: "t", retries: -1 },
        { url, token: "t", writeGraceMs: 1.5 },
        { url, token: "t", listLimit: { initial: 0, ceiling: 10 } },
        { url, token: "t", listLimit: { initial: 100, ceiling: 10 } },
        { url, token: "t", signal: {} },
      ].map(refused),
    ).toEqual([
      "USAGE: createStudioClient needs its options: { url, token }.",
      "USAGE: createStudioClient: options.url must be Studio's URL as a string, such as https://studio.datachain.ai, not undefined.",
      'USAGE: Studio URL "not a url" is not a valid URL.',
      'USAGE: Studio URL "ht tp://***@studio" is not a valid URL.',
      'USAGE: Studio URL "ftp://127.0.0.1:9" must start with https:// or http://.',
      "USAGE: createStudioClient: options.token must be a string, not undefined.",
      "USAGE: createStudioClient: options.token must be a string, not number.",
      "USAGE: createStudioClient: maxReplyBytes must be a whole number of at least 1, not NaN.",
      'USAGE: createStudioClient: maxReplyBytes must be a whole number of at least 1, not string "1000".',
      "USAGE: createStudioClient: retries must be a whole number of at least 0, not -1.",
      "USAGE: createStudioClient: writeGraceMs must be a whole number of at least 0, not 1.5.",
      "USAGE: createStudioClient: listLimit.initial must be a whole number of at least 1, not 0.",
      "USAGE: createStudioClient: listLimit.ceiling must be a whole number of at least 100, not 10.",
      "USAGE: createStudioClient: options.signal must be an AbortSignal (an AbortController's signal).",
    ]);
    // Plain http:// to another machine stays the library caller's choice (the command line asks for --insecure).
    expect(refused({ url: "http://studio.internal:8000", token: "t", retries: 0, listLimit: { initial: 5, ceiling: 5 } })).toBe("accepted");
  });

  it("refuses a library caller's timeoutMs a timer cannot hold, which ended every request at once", () => {
    // Found by an adversarial tester: past 2^31-1 ms, setTimeout fires after 1 ms.
    for (const timeoutMs of [2 ** 31, 0, -1, Number.NaN]) {
      expect(() => createStudioClient({ url: "http://127.0.0.1:9", token: "t", timeoutMs }), String(timeoutMs)).toThrow(
        `timeoutMs must be more than 0 and at most 2147483647 (what a timer holds), not ${String(timeoutMs)}.`,
      );
    }
  });

  it("refuses plain http:// to another host unless --insecure", () => {
    expect(() => checkStudioUrl("http://studio.internal:8000", false)).toThrow(
      "Refusing plain http:// to studio.internal: the token would be sent unencrypted.",
    );
    expect(checkStudioUrl("http://studio.internal:8000", true).hostname).toBe("studio.internal");
    expect(checkStudioUrl("http://127.0.0.1:8000", false).port).toBe("8000");
    expect(checkStudioUrl("http://localhost:1", false).hostname).toBe("localhost");
    expect(() => checkStudioUrl("ftp://x", false)).toThrow('Studio URL "ftp://x" must start with https:// or http://.');
    // Found by an adversarial tester: a password with / ? or # breaks the parse, and the
    // message quoted the URL whole; so did one without a scheme.
    expect(() => checkStudioUrl("http://alice:s3cr/etPW@127.0.0.1:41327", false)).toThrow(
      'Studio URL "http://***@127.0.0.1:41327" is not a valid URL.',
    );
    expect(() => checkStudioUrl("alice:s3cr#etPW@studio.example", false)).toThrow(
      'Studio URL "***@studio.example" must start with https:// or http://.',
    );
    // A user alone (a token given as curl takes one) is credentials too: undici would drop it unsaid.
    expect(() => checkStudioUrl("https://sk-live-0123456789@studio.example", false)).toThrow(
      'Studio URL "https://***@studio.example" holds credentials (before its @), which studio-jobs never sends',
    );
  });
});

describe("the Studio URL as written", () => {
  const env = { DATACHAIN_STUDIO_TOKEN: "dev-token", DATACHAIN_STUDIO_TEAM: "demo", HOME: tmpdir() };

  it("is refused with a port no server listens on, saying so", async () => {
    // Found by review: :0 parsed, and each request was tried 6 times, refused each time;
    // :99999, :-1 and :abc were "not a valid URL", without a word of the port.
    for (const url of [
      "http://127.0.0.1:0",
      "https://studio.example.com:0/",
      "http://127.0.0.1:99999",
      "http://[::1]:65536",
      "http://localhost:-1",
      "https://u:p@studio.example.com:abc",
    ]) {
      const shown = url.replace("u:p@", "***@");
      const result = await runCli(["--url", url, "clusters"], { env });
      expect([result.code, result.stdout, result.stderr], url).toEqual([
        1,
        "",
        `Error: Studio URL "${shown}" has no usable port: a port is a whole number from 1 to 65535.\n` +
          "Give Studio's port, or none for the usual one, 443 for https:// (in --url).\n",
      ]);
    }
    // A port that is fine in a URL that is not keeps the general sentence.
    expect(() => checkStudioUrl("http://exa mple.com:8080", false)).toThrow('Studio URL "http://exa mple.com:8080" is not a valid URL.');
    expect(() => checkStudioUrl("http://example.com:", false)).toThrow("Refusing plain http:// to example.com");
  });

  it("is said by --verbose as it is used, never a control character in it", async () => {
    // Found by review: "studio: " printed the URL as written, an escape sequence (from a
    // project's .datachain/config) sent to the terminal, a newline splitting the line.
    const studio = await startTestStudio();
    onTestFinished(() => studio.close());
    const base = studio.emulator.url.replace(/\/$/, "");
    const cases: [string, string][] = [
      [`${base}/\u001b[31mx/`, `${base}/%1B[31mx`],
      [`${base}\n`, base],
      [`${base}//`, base],
    ];
    for (const [written, used] of cases) {
      const result = await runCli(["--verbose", "clusters"], { env: { ...env, DATACHAIN_STUDIO_URL: written } });
      expect(result.stderr.split("\n")[0], written).toBe(
        `studio: ${used} (url from DATACHAIN_STUDIO_URL, token from DATACHAIN_STUDIO_TOKEN)`,
      );
      expect(result.stderr, written).not.toContain("\u001b");
    }
  });
});

describe("this machine, to which plain http:// may go", () => {
  it("is every spelling of 127.0.0.0/8, ::1 and localhost, and nothing else", () => {
    // Found by review: http://localhost.:PORT, http://studio.localhost:PORT and
    // http://[::ffff:127.0.0.1]:PORT were refused as another host.
    const accepted = (url: string) => {
      try {
        return checkStudioUrl(url, false).hostname;
      } catch (error) {
        return (error as UsageError).message;
      }
    };
    const here = [
      "http://localhost:1",
      "http://LocalHost.:1",
      "http://studio.localhost:1",
      "http://a.b.localhost.:1",
      "http://127.0.0.1:1",
      "http://127.255.255.254:1",
      "http://127.1:1",
      "http://2130706433:1",
      "http://[::1]:1",
      "http://[0:0:0:0:0:0:0:1]:1",
      "http://[::ffff:127.0.0.1]:1",
      "http://[::FFFF:7f01:203]:1",
    ];
    expect(here.map(accepted)).toEqual([
      "localhost",
      "localhost.",
      "studio.localhost",
      "a.b.localhost.",
      "127.0.0.1",
      "127.255.255.254",
      "127.0.0.1",
      "127.0.0.1",
      "[::1]",
      "[::1]",
      "[::ffff:7f00:1]",
      "[::ffff:7f01:203]",
    ]);
    const elsewhere = [
      "localhost.example.com",
      "localhostx",
      "xlocalhost",
      "localhost.evil.",
      "127.0.0.1.nip.io",
      "128.0.0.1",
      "0.0.0.0",
      "[::]",
      "[::ffff:10.0.0.1]",
      // Mapped addresses whose first byte is not 127, with four hex digits as 127's 7fXX has.
      "[::ffff:128.0.0.1]",
      "[::ffff:192.168.1.1]",
      "[::127.0.0.1]",
      "[64:ff9b::7f00:1]",
      "[fe80::1]",
    ];
    for (const host of elsewhere) {
      const hostname = new URL(`http://${host}:1`).hostname;
      expect(accepted(`http://${host}:1`), host).toBe(`Refusing plain http:// to ${hostname}: the token would be sent unencrypted.`);
    }
  });

  it("is reached under each spelling, a name under localhost without asking DNS or a proxy", async () => {
    // studio.localhost is in no hosts file and no DNS here: it reaches the emulator only as
    // localhost, as the client resolves it. A proxy that answers nothing would fail a request sent to it.
    const studio = await startTestStudio();
    onTestFinished(() => studio.close());
    const port = new URL(studio.emulator.url).port;
    const env = { DATACHAIN_STUDIO_TOKEN: "dev-token", DATACHAIN_STUDIO_TEAM: "demo", http_proxy: "http://127.0.0.1:9", HOME: tmpdir() };
    for (const host of ["localhost.", "studio.localhost", "Studio.LocalHost.", "[::ffff:127.0.0.1]"]) {
      const result = await runCli(["--url", `http://${host}:${port}`, "clusters", "--format", "json"], { env });
      expect([result.code, result.stderr], host).toEqual([0, ""]);
      expect(
        (JSON.parse(result.stdout) as { name: string }[]).map((c) => c.name),
        host,
      ).toEqual(["default", "gpu-pool", "legacy"]);
    }
  });
});

describe("each try's deadline and stop, against a server that stalls", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /** A server that answers the headers and the start of a body, then nothing more; it records the URLs asked. */
  async function stalling(): Promise<{ url: string; asked: string[] }> {
    const asked: string[] = [];
    server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, asked };
  }

  /** A server in place of the last one, answering with `reply`; it records the requests asked. */
  async function answering(reply: (res: ServerResponse) => void): Promise<{ url: string; asked: string[] }> {
    const asked: string[] = [];
    server?.closeAllConnections();
    server?.close();
    server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      req.resume();
      reply(res);
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, asked };
  }

  it("the deadline ends a try whose body stalls after the headers, and it is not retried", async () => {
    const { url, asked } = await stalling();
    const client = createStudioClient({ url, token: "t", timeoutMs: 200, backoff: { baseMs: 1, maxMs: 1 } });
    const error = (await client.listJobs("demo", { limit: 5 }).catch((e: unknown) => e)) as RemoteError;
    expect(error.code).toBe("REMOTE_TIMEOUT");
    expect(error.message).toBe("[GET] /api/datachain/jobs/?team_name=demo: no complete reply within 0.2 s");
    expect(asked).toEqual(["GET /api/datachain/jobs/?team_name=demo&limit=5"]);
    await client.close();
  });

  it("a create answered 2xx whose reply then breaks off or stalls is reported with its status, and sent once", async () => {
    for (const ending of ["reset", "stall"] as const) {
      const { url, asked } = await answering((res) => {
        res.writeHead(201, { "content-type": "application/json" });
        res.write('{"id":');
        if (ending === "reset") setTimeout(() => res.socket?.destroy(), 20);
      });
      // The deadline must outlast the headers' way through a loaded machine (300 ms did not,
      // once, with suites running beside), and is what ends the stalled reply.
      const client = createStudioClient({ url, token: "t", timeoutMs: 1500, backoff: { baseMs: 1, maxMs: 1 } });
      const input = { team_name: "demo", query_name: "a", query: "print(1)", query_type: "PYTHON", environment: "" } as const;
      const error = (await client.createJob(input).catch((e: unknown) => e)) as RemoteError;
      // The status tells apply that Studio acted, for all it knows: it looks, and does not send again.
      expect([error.status, error.ambiguous]).toEqual([201, true]);
      expect(error.message).toMatch(ending === "reset" ? /: 201, then the reply broke off: / : /no complete reply within 1\.5 s/);
      expect(asked).toEqual(["POST /api/datachain/jobs/"]);
      await client.close();
    }
  });

  it("a create answered 2xx with a reply past the cap is reported with its status, and sent once; a 4xx past it is not ambiguous", async () => {
    // Found by a hostile server answering 200 and 17 MiB: the error had no status, so apply
    // took the create for unsent and sent it six times.
    for (const status of [200, 422]) {
      const { url, asked } = await answering((res) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "x".repeat(2 * 1024 * 1024) }));
      });
      const client = createStudioClient({ url, token: "t", maxReplyBytes: 1024 * 1024 });
      const input = { team_name: "demo", query_name: "a", query: "print(1)", query_type: "PYTHON", environment: "" } as const;
      const error = (await client.createJob(input).catch((e: unknown) => e)) as RemoteError;
      // A 422's body is only described, from its first 1 MiB: it is not too large, just cut.
      expect([error.code, error.status, error.ambiguous]).toEqual(
        status === 200 ? ["REMOTE_REPLY_TOO_LARGE", 200, true] : ["REMOTE_REJECTED", 422, false],
      );
      expect(asked).toEqual(["POST /api/datachain/jobs/"]);
      await client.close();
    }
  });

  it("a stop drops every read in flight at once, and a write after its grace period", async () => {
    const { url, asked } = await stalling();
    const stop = new AbortController();
    const client = createStudioClient({ url, token: "t", signal: stop.signal, writeGraceMs: 300 });
    const reads = [client.listJobs("a"), client.listJobs("b")].map((p) =>
      p.then(
        () => new Error("no error"),
        (e: unknown) => e as Error,
      ),
    );
    const write = client.cancelJob("a", "x y/z").then(
      () => new Error("no error"),
      (e: unknown) => e as Error,
    );
    while (asked.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort("SIGINT");
    const stoppedAt = performance.now();
    let writeEndedAt: number | undefined;
    void write.then(() => (writeEndedAt = performance.now() - stoppedAt));
    const readErrors = await Promise.all(reads);
    // The reads end first, however slow the machine: the write is still waited for.
    expect(writeEndedAt).toBeUndefined();
    expect(readErrors.map((e) => [e.constructor.name, e.message])).toEqual([
      ["InterruptedError", "Interrupted by SIGINT while waiting for Studio's reply to GET /api/datachain/jobs/?team_name=a."],
      ["InterruptedError", "Interrupted by SIGINT while waiting for Studio's reply to GET /api/datachain/jobs/?team_name=b."],
    ]);
    const writeError = await write;
    // Not at once, as the reads: after its grace period. Node starts a timer from the event
    // loop's cached clock, which a loaded machine leaves tens of milliseconds behind (286 ms
    // was seen for 300 ms with both cores busy), so the bound leaves room for that.
    expect(writeEndedAt).toBeGreaterThanOrEqual(200);
    expect(writeError.message).toBe(
      "Interrupted by SIGINT while waiting for Studio's reply to POST /api/datachain/jobs/x%20y%2Fz/cancel; Studio may or may not have acted on it, and a re-run finds out.",
    );
    expect(asked.sort()).toEqual([
      "GET /api/datachain/jobs/?team_name=a",
      "GET /api/datachain/jobs/?team_name=b",
      "POST /api/datachain/jobs/x%20y%2Fz/cancel",
    ]);
    // Nothing starts after the stop.
    const late = (await client.listJobs("c").catch((e: unknown) => e)) as Error;
    expect(late.message).toBe("Interrupted by SIGINT before GET /api/datachain/jobs/?team_name=c was sent.");
    expect(asked).toHaveLength(3);
    await client.close();
  });

  it("refuses to cancel a job whose id is a dot segment, which would send the cancel to another endpoint", async () => {
    const { url, asked } = await stalling();
    const client = createStudioClient({ url: `${url}/studio/`, token: "t", timeoutMs: 100 });
    for (const id of ["..", "."]) {
      await expect(client.cancelJob("a", id)).rejects.toThrow(`refusing to cancel a job with the id "${id}": it is not a job id`);
    }
    await client.cancelJob("a", "..x").catch(() => undefined);
    expect(asked).toEqual(["POST /studio/api/datachain/jobs/..x/cancel"]);
    await client.close();
  });
});

/**
 * A client of an emulator that takes one request a second, on a clock both share, with the
 * stop request and a writes' grace of 3 s: `sleep` is each wait, after it is written down.
 */
async function rateLimitedClient(
  sleep: (ms: number, sleeps: readonly number[], clock: AdjustableClock) => Promise<void>,
  more: (stop: AbortController) => Partial<StudioClientOptions> = () => ({}),
) {
  const clock = createManualClock(START);
  const local = await startTestStudio({ clock, faults: { rateLimit: 1 } });
  const stop = new AbortController();
  const sleeps: number[] = [];
  const client = createStudioClient({
    url: local.emulator.url,
    token: "dev-token",
    signal: stop.signal,
    writeGraceMs: 3_000,
    now: () => clock.now(),
    sleep: (ms) => {
      sleeps.push(ms);
      return sleep(ms, sleeps, clock);
    },
    ...more(stop),
  });
  return { local, stop, sleeps, client };
}
