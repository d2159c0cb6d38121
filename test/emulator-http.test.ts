// The emulator's guard rails over real HTTP: input validation, auth, listing, uploads,
// malformed request targets (always a 400, never a 500) and body limits (413 before a
// byte of the body is read).

import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FormData, request } from "undici";
import { MAX_UPLOAD_BYTES } from "../src/desired/files.js";
import { DEFAULT_BODY_LIMITS } from "../src/emulator/server.js";
import { rawCall, START, startTestStudio, type TestStudio } from "./helpers.js";

const LIMITS = { jsonBytes: 4096, uploadBytes: 8192 };

let studio: TestStudio;
let url: string;

beforeAll(async () => {
  studio = await startTestStudio({
    config: {
      tokens: [
        { token: "dev-token", user: "dev", teams: ["demo"], scopes: ["JOB_READ", "JOB_WRITE"] },
        { token: "other-token", user: "other", teams: ["other"], scopes: ["JOB_READ", "JOB_WRITE"] },
        { token: "read-token", user: "reader", teams: ["demo"], scopes: ["JOB_READ"] },
      ],
    },
    limits: LIMITS,
  });
  url = studio.emulator.url;
});
afterAll(() => studio.close());
beforeEach(() => studio.emulator.store.clear());

async function create(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await rawCall(url, "POST", "/api/datachain/jobs/", {
    json: { query: "print(1)", team_name: "demo", query_name: name, ...extra },
  });
  expect(reply.status).toBe(200);
  return (reply.body as { id: string }).id;
}

describe("create job validation", () => {
  it.each([
    [{ workers: "4" }, 'workers: expected an integer, got string "4"'],
    [{ workers: 0 }, "workers: must be at least 1, got 0"],
    [{ workers: 9 }, 'workers: cluster "default" allows at most 8, got 9'],
    [{ query: 42 }, "query: required, expected a string, got number 42"],
    // Found by an adversarial tester: a body without query said "got undefined undefined".
    [{ query: undefined }, "query: required, expected a string, got nothing"],
    [{ query_type: "RUST" }, 'query_type: "RUST" is not one of PYTHON, SHELL'],
    [{ compute_cluster_name: "nope" }, 'compute_cluster_name: unknown cluster "nope"'],
    [{ compute_cluster_id: 99 }, "compute_cluster_id: unknown cluster 99"],
    [{ compute_cluster_name: "legacy" }, 'cluster "legacy" is not active'],
    [{ cron_expression: "61 * * * *" }, 'cron_expression: "61 * * * *" is not a valid cron expression: minute 61 is out of range 0-59'],
    [
      { cron_expression: "0 3 * *" },
      'cron_expression: "0 3 * *" has 4 fields; a cron expression has 5: minute hour day-of-month month day-of-week',
    ],
    [{ start_after: "tomorrow" }, 'start_after: "tomorrow" is not an ISO 8601 date-time'],
    [{ start_after: "2026-13-45T00:00:00Z" }, 'start_after: "2026-13-45T00:00:00Z" is not an ISO 8601 date-time'],
    // Days and hours a calendar lacks, which Date.parse rolls over into the next month or day.
    [{ start_after: "2026-02-30T00:00:00Z" }, 'start_after: "2026-02-30T00:00:00Z" is not an ISO 8601 date-time'],
    [{ start_after: "2026-04-31" }, 'start_after: "2026-04-31" is not an ISO 8601 date-time'],
    [{ start_after: "2026-12-01T24:00:00Z" }, 'start_after: "2026-12-01T24:00:00Z" is not an ISO 8601 date-time'],
    [{ environment: "NOVALUE" }, 'environment: line "NOVALUE" is not KEY=VALUE'],
    [{ files: ["12345"] }, 'files: unknown file id "12345" for team demo'],
    [{ query_name: "x".repeat(256) }, "query_name: at most 255 characters"],
    [{ priority: 1.5 }, "priority: expected an integer, got number 1.5"],
    [{ priority: -1 }, "priority: must be at least 0, got -1"],
    [{ priority: 6 }, "priority: must be at most 5, got 6"],
    [{ reset: "yes" }, 'reset: expected true or false, got string "yes"'],
  ])("answers 400 for %j", async (fields, expected) => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: { query: "print(1)", query_type: "PYTHON", team_name: "demo", ...fields },
    });
    expect(reply).toMatchObject({ status: 400, body: { message: expected } });
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("takes a schedule that never fires, as the API reference refuses nothing of the kind: the tool refuses it before it is sent", async () => {
    const id = await create("feb-30", { cron_expression: "0 0 30 2 *" });
    expect(studio.emulator.store.allJobs().map((j) => [j.id, j.status])).toEqual([[id, "TASK"]]);
  });

  it("takes the last day of each month, a leap day included", async () => {
    await create("leap", { start_after: "2028-02-29T23:59:59Z" });
    await create("april", { start_after: "2026-04-30" });
    expect(studio.emulator.store.allJobs().map((j) => new Date(j.start_after ?? 0).toISOString())).toEqual([
      "2028-02-29T23:59:59.000Z",
      "2026-04-30T00:00:00.000Z",
    ]);
  });

  it("accepts the ends of the priority range", async () => {
    await create("first", { priority: 0 });
    await create("last", { priority: 5 });
    expect(studio.emulator.store.allJobs().map((j) => j.priority)).toEqual([0, 5]);
  });

  it("counts query_name in characters, as the spec's schema does: 255 emoji are a name, 256 are not", async () => {
    await create("😀".repeat(255));
    expect(studio.emulator.store.allJobs().map((j) => [...j.name].length)).toEqual([255]);
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: { query: "print(1)", team_name: "demo", query_name: "😀".repeat(256) },
    });
    expect(reply).toMatchObject({ status: 400, body: { message: "query_name: at most 255 characters" } });
  });

  it("refuses a body that is not UTF-8 rather than store other characters than were sent", async () => {
    const body = Buffer.concat([Buffer.from('{"query": "print(\'caf'), Buffer.from([0xe9]), Buffer.from('\')", "team_name": "demo"}')]);
    const reply = await request(`${url}/api/datachain/jobs/`, {
      method: "POST",
      headers: { authorization: "Bearer dev-token", "content-type": "application/json" },
      body,
    });
    expect({ status: reply.statusCode, body: await reply.body.json() }).toEqual({
      status: 400,
      body: { message: "the body is not valid JSON: it is not UTF-8" },
    });
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("refuses a team_name of another type than a string, and a cancel body that is not an object, even when the query names the team", async () => {
    for (const team of [5, true, ["demo"], { name: "demo" }]) {
      const reply = await rawCall(url, "POST", "/api/datachain/jobs/?team_name=demo", { json: { query: "print(1)", team_name: team } });
      expect(reply.status).toBe(400);
      expect((reply.body as { message: string }).message).toMatch(/^team_name: expected a string, got /);
    }
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
    const id = await create("kept");
    const cancel = (body: unknown) => rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel?team_name=demo`, { json: body });
    expect(await cancel({ team_name: 5 })).toMatchObject({ status: 400, body: { message: "team_name: expected a string, got number 5" } });
    for (const body of [[1], "demo", 1, null]) {
      expect(await cancel(body)).toMatchObject({ status: 400, body: { message: "the body must be a JSON object" } });
    }
    expect(studio.emulator.store.allJobs().map((j) => j.status)).toEqual(["QUEUED"]);
    // A null team_name is none, as any optional field may be: the query's team is taken.
    expect(await cancel({ team_name: null })).toMatchObject({ status: 200, body: { message: "Successfully canceled" } });
  });

  it("answers 400 for a body that is not JSON", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/?team_name=demo", { body: "{not json" });
    expect(reply).toMatchObject({ status: 400, body: { message: "the body is not valid JSON" } });
  });

  it("gives back every KEY=VALUE line of environment as a key of the object, __proto__ included", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: { query: "print(1)", team_name: "demo", environment: "__proto__=x\nconstructor=y\nA=1" },
    });
    expect(reply.status).toBe(200);
    const environment = (reply.body as { environment: Record<string, unknown> }).environment;
    expect(Object.entries(environment)).toEqual([
      ["__proto__", "x"],
      ["constructor", "y"],
      ["A", "1"],
    ]);
    const listed = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo");
    expect(Object.keys((listed.body as { environment: object }[])[0]?.environment ?? {})).toEqual(["__proto__", "constructor", "A"]);
  });
});

describe("auth", () => {
  it("answers 401 without a token and for an unknown one", async () => {
    expect(await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo", { token: null })).toMatchObject({
      status: 401,
      body: { message: "Authentication credentials were not provided." },
    });
    expect(await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo", { token: "nope" })).toMatchObject({
      status: 401,
      body: { message: "Invalid token." },
    });
  });

  it("names the scheme it takes in WWW-Authenticate on a 401, as HTTP requires, and only there", async () => {
    // Found by an audit: a 401 came without it (RFC 9110, 11.6.1: a 401 must carry one).
    for (const token of [null, "nope"]) {
      const reply = await rawCall(url, "POST", "/api/datachain/jobs/x/cancel", { token, json: { team_name: "demo" } });
      expect([reply.status, reply.headers["www-authenticate"]]).toEqual([401, "Bearer"]);
    }
    const forbidden = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=other");
    expect([forbidden.status, forbidden.headers["www-authenticate"]]).toEqual([403, undefined]);
  });

  it("accepts both Bearer and token schemes", async () => {
    expect((await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo", { scheme: "Bearer" })).status).toBe(200);
    expect((await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo", { scheme: "token" })).status).toBe(200);
  });

  it("answers 403 for a team the token lacks and for a missing scope", async () => {
    expect(await rawCall(url, "GET", "/api/datachain/jobs/?team_name=other")).toMatchObject({
      status: 403,
      body: { message: "Not authorized for the team other." },
    });
    expect(
      await rawCall(url, "POST", "/api/datachain/jobs/", { token: "read-token", json: { query: "print(1)", team_name: "demo" } }),
    ).toMatchObject({ status: 403, body: { message: "The token lacks the JOB_WRITE scope." } });
  });

  it("refuses a token without the write scope whatever body it sends: 403, not a 400 about the body", async () => {
    const id = await create("kept");
    const lacking = { status: 403, body: { message: "The token lacks the JOB_WRITE scope." } };
    for (const body of ["{not json", "[1]", ""]) {
      expect(await rawCall(url, "POST", "/api/datachain/jobs/", { token: "read-token", body })).toMatchObject(lacking);
      expect(await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel`, { token: "read-token", body })).toMatchObject(lacking);
    }
    expect(studio.emulator.store.allJobs().map((j) => j.status)).toEqual(["QUEUED"]);
  });

  it("keeps teams apart: team A never sees or cancels team B's jobs", async () => {
    const created = await rawCall(url, "POST", "/api/datachain/jobs/", {
      token: "other-token",
      json: { query: "print(1)", team_name: "other", query_name: "b-job" },
    });
    const id = (created.body as { id: string }).id;
    const listed = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&limit=100");
    expect(listed).toMatchObject({ status: 200, body: [] });
    const cancel = await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel`, { json: { team_name: "demo" } });
    expect(cancel).toMatchObject({ status: 404, body: { message: `Job ${id} not found.` } });
    const cross = await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel`, { json: { team_name: "other" } });
    expect(cross.status).toBe(403);
    expect(studio.emulator.store.allJobs().map((j) => j.status)).toEqual(["QUEUED"]);
  });
});

describe("listing", () => {
  const names = (body: unknown) => (body as { name: string }[]).map((j) => j.name);
  const ids = (body: unknown) => (body as { id: string }[]).map((j) => j.id);

  it("lists newest first, 20 by default, at most limit, as a bare array", async () => {
    for (let i = 0; i < 25; i++) {
      await create(`job-${i}`);
      studio.clock.advance(1);
    }
    const all = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo");
    expect(names(all.body)).toHaveLength(20);
    expect(names(all.body)[0]).toBe("job-24");
    expect(names(all.body)[19]).toBe("job-5");
    const three = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&limit=3");
    expect(names(three.body)).toEqual(["job-24", "job-23", "job-22"]);
  });

  it("lists newest first by creation time, runs of schedules included, whatever order they fired in", async () => {
    // Found by an audit: runs made when the clock had jumped took their sequence from the
    // listing that made them, so a run of 01:30 was listed above a job created at 02:00:05.
    studio.clock.set(START);
    const hourly = await create("hourly", { cron_expression: "@hourly" });
    const halfPast = await create("half-past", { cron_expression: "30 * * * *" });
    studio.clock.advance(2 * 3_600_000 + 5_000);
    const later = await create("later");
    const jobs = (await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo")).body as {
      id: string;
      parent_job_id: string | null;
      created_at: string;
    }[];
    expect(jobs.map((j) => [j.parent_job_id ?? j.id, j.created_at])).toEqual([
      [later, "2026-11-01T02:00:05.000Z"],
      [hourly, "2026-11-01T02:00:00.000Z"],
      [halfPast, "2026-11-01T01:30:00.000Z"],
      [halfPast, "2026-11-01T00:00:00.000Z"],
      [hourly, "2026-11-01T00:00:00.000Z"],
    ]);
    expect(jobs.slice(1, 3).map((j) => j.parent_job_id)).toEqual([hourly, halfPast]);
    const two = (await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&limit=2")).body as { id: string }[];
    expect(two.map((j) => j.id)).toEqual(jobs.slice(0, 2).map((j) => j.id));
  });

  it("filters by status (case-insensitive), ACTIVE/INACTIVE and job_id", async () => {
    const task = await create("nightly", { cron_expression: "0 3 * * *" });
    const done = await create("once");
    studio.clock.advance(40_000); // the one-off job completes; the schedule has not fired yet
    const byStatus = async (status: string) =>
      ids((await rawCall(url, "GET", `/api/datachain/jobs/?team_name=demo&status=${status}`)).body);
    expect(await byStatus("task")).toEqual([task]);
    expect(await byStatus("COMPLETE")).toEqual([done]);
    expect(await byStatus("active")).toEqual([]);
    expect(await byStatus("INACTIVE")).toEqual([done, task]);
    const one = await rawCall(url, "GET", `/api/datachain/jobs/?team_name=demo&job_id=${task}`);
    expect(names(one.body)).toEqual(["nightly"]);
    expect(await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&status=SLEEPING")).toMatchObject({
      status: 400,
      body: { message: 'status: "SLEEPING" is not a job status' },
    });
    expect((await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&limit=0")).status).toBe(400);
  });

  it("takes limit only as digits: what Number() would read as a number otherwise is a 400", async () => {
    await create("one");
    for (const limit of ["1e1", "0x2", "2.0", "%2B3", "%205", "0b1"]) {
      const reply = await rawCall(url, "GET", `/api/datachain/jobs/?team_name=demo&limit=${limit}`);
      expect(reply, limit).toMatchObject({
        status: 400,
        body: { message: `limit: "${decodeURIComponent(limit)}" is not a positive integer` },
      });
    }
    expect(names((await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&limit=007")).body)).toEqual(["one"]);
  });

  it("takes an empty team_name as none: a 400, not a 403 for a team named nothing", async () => {
    const required = { status: 400, body: { message: "team_name: required" } };
    expect(await rawCall(url, "GET", "/api/datachain/jobs/?team_name=")).toMatchObject(required);
    expect(await rawCall(url, "POST", "/api/datachain/jobs/files?team_name=", { json: {} })).toMatchObject(required);
    expect(await rawCall(url, "POST", "/api/datachain/jobs/", { json: { query: "print(1)", team_name: "" } })).toMatchObject(required);
  });

  it("refuses a create or cancel whose query and body name different teams, and acts on neither", async () => {
    const differ = 'team_name: the query says "other" and the body "demo"; send one team';
    const created = await rawCall(url, "POST", "/api/datachain/jobs/?team_name=other", {
      json: { query: "print(1)", team_name: "demo", query_name: "two-teams" },
    });
    expect(created).toMatchObject({ status: 400, body: { message: differ } });
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
    const id = await create("kept");
    const cancelled = await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel?team_name=other`, { json: { team_name: "demo" } });
    expect(cancelled).toMatchObject({ status: 400, body: { message: differ } });
    expect(studio.emulator.store.allJobs().map((j) => j.status)).toEqual(["QUEUED"]);
    // The same team in both places, as some clients send it, is one team.
    const both = await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel?team_name=demo`, { json: { team_name: "demo" } });
    expect(both).toMatchObject({ status: 200, body: { message: "Successfully canceled" } });
  });

  it("requires team_name and answers 404 for unknown paths and the admin hooks when disabled", async () => {
    expect(await rawCall(url, "GET", "/api/datachain/jobs/")).toMatchObject({ status: 400, body: { message: "team_name: required" } });
    expect((await rawCall(url, "GET", "/api/datachain/jobs?team_name=demo")).status).toBe(404);
    // Whoever asks: a server that resolves its URLs before it authenticates (the emulator's
    // audit found 401 here), so a wrong path under --url reads as one, not as a refused token.
    for (const token of [null, "wrong-token"]) {
      expect(await rawCall(url, "GET", "/api/datachain/jobss/?team_name=demo", { token })).toMatchObject({
        status: 404,
        body: { message: "Not found." },
      });
    }
    const { startEmulator } = await import("../src/emulator/index.js");
    const plain = await startEmulator({ port: 0 });
    try {
      expect((await rawCall(plain.url, "GET", "/_emulator/state")).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe("methods", () => {
  it("answers a method a path does not take with 405 and the methods it does take in Allow, as HTTP requires", async () => {
    const id = await create("kept");
    for (const [method, path, allow] of [
      ["PUT", "/api/datachain/jobs/?team_name=demo", "GET, POST"],
      ["DELETE", "/api/datachain/jobs/?team_name=demo", "GET, POST"],
      ["GET", `/api/datachain/jobs/${id}/cancel?team_name=demo`, "POST"],
      ["GET", "/api/datachain/jobs/files?team_name=demo", "POST"],
      ["POST", "/api/datachain/clusters/?team_name=demo", "GET"],
    ] as const) {
      const reply = await rawCall(url, method, path);
      expect([reply.status, reply.headers["allow"], reply.body]).toEqual([405, allow, { message: `Method "${method}" not allowed.` }]);
    }
    expect(studio.emulator.store.allJobs().map((j) => j.status)).toEqual(["QUEUED"]);
  });
});

describe("files and clusters", () => {
  it("uploads a multipart file and accepts its id in JobInput.files", async () => {
    const form = new FormData();
    form.set("file", new Blob([new TextEncoder().encode("label\ncat\n")]), "labels.csv");
    const reply = await request(`${url}/api/datachain/jobs/files?team_name=demo`, {
      method: "POST",
      headers: { authorization: "token dev-token" },
      body: form,
    });
    expect(reply.statusCode).toBe(200);
    const file = (await reply.body.json()) as { id: number };
    expect(file).toEqual({ id: 1, filename: "labels.csv", size: 10, state: "pending", error: null });
    await create("with-file", { files: [String(file.id)] });
    expect(studio.emulator.store.allJobs()[0]?.files).toEqual([String(file.id)]);
  });

  it("rejects an upload that is not multipart", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/files?team_name=demo", { json: {} });
    expect(reply).toMatchObject({ status: 400, body: { message: "expected a multipart/form-data body with a field named file" } });
  });

  it("takes multipart/form-data as the media type, whatever its case and parameters, and no type that only starts with it", async () => {
    const body = '--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--b--\r\n';
    const upload = (contentType: string) =>
      request(`${url}/api/datachain/jobs/files?team_name=demo`, {
        method: "POST",
        headers: { authorization: "Bearer dev-token", "content-type": contentType },
        body,
      }).then(async (r) => [r.statusCode, await r.body.json()]);
    const refused = [400, { message: "expected a multipart/form-data body with a field named file" }];
    expect(await upload("multipart/form-dataX; boundary=b")).toEqual(refused);
    expect(await upload("multipart/form-data-alt; boundary=b")).toEqual(refused);
    expect(await upload("Multipart/Form-Data ; charset=utf-8; boundary=b")).toEqual([
      200,
      { id: 1, filename: "file", size: 3, state: "pending", error: null },
    ]);
  });

  it("refuses an upload of two parts named file, as it refuses a query parameter given twice: Studio's server would keep the last, not the first", async () => {
    const form = new FormData();
    form.append("file", new Blob([new TextEncoder().encode("first")]), "a.csv");
    form.append("file", new Blob([new TextEncoder().encode("second!")]), "b.csv");
    const reply = await request(`${url}/api/datachain/jobs/files?team_name=demo`, {
      method: "POST",
      headers: { authorization: "Bearer dev-token" },
      body: form,
    });
    expect([reply.statusCode, await reply.body.json()]).toEqual([
      400,
      { message: "file: given more than once in the multipart body; send one file" },
    ]);
    expect(studio.emulator.store.allFiles()).toEqual([]);
  });

  it("lists the seeded clusters: one default, one inactive, different max_workers", async () => {
    const reply = await rawCall(url, "GET", "/api/datachain/clusters/?team_name=demo", { scheme: "token" });
    expect(reply.status).toBe(200);
    const clusters = reply.body as { name: string; default: boolean; is_active: boolean; max_workers: number }[];
    expect(clusters.map((c) => [c.name, c.default, c.is_active, c.max_workers])).toEqual([
      ["default", true, true, 8],
      ["gpu-pool", false, true, 32],
      ["legacy", false, false, 4],
    ]);
  });
});

interface Exchange {
  reply: string;
  /** Body bytes written to the socket. */
  sent: number;
  /** When the first byte of the reply came, in ms from connecting. */
  repliedAfterMs: number;
  /** Whether the server closed the connection (else the exchange timed out). */
  closedByServer: boolean;
}

/** Whether `reply` holds a whole response: its head, and as many body bytes as Content-Length says. */
function isWhole(reply: string): boolean {
  const end = reply.indexOf("\r\n\r\n");
  const length = /\r\ncontent-length: (\d+)\r\n/i.exec(reply.slice(0, end + 2));
  return end >= 0 && length !== null && reply.length - end - 4 >= Number(length[1]);
}

/**
 * Send `head` (request line and headers) on a raw socket and collect whatever comes back,
 * until the server closes the connection; or, with `untilReply`, until one whole reply came.
 */
function rawExchange(head: string, options: { keepSending?: Buffer; timeoutMs?: number; untilReply?: boolean } = {}): Promise<Exchange> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket: Socket = connect(Number(port), hostname);
    let reply = "";
    let sent = 0;
    let repliedAfterMs = Number.POSITIVE_INFINITY;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, sent, repliedAfterMs, closedByServer });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 5_000);
    socket.on("data", (d: Buffer) => {
      if (reply === "") repliedAfterMs = performance.now() - started;
      reply += d.toString("latin1");
      if (options.untilReply === true && isWhole(reply)) finish(false);
    });
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    socket.on("connect", () => {
      socket.write(head);
      const chunk = options.keepSending;
      if (chunk === undefined) return;
      // Keep sending until the server stops reading: bounded, in case it never does.
      const pump = () => {
        while (!done && sent < 64 * chunk.length) {
          sent += chunk.length;
          if (!socket.write(chunk)) {
            socket.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

function statusOf(reply: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]);
}

describe("malformed request targets", () => {
  it.each([
    ["POST", "/api/datachain/jobs/%ZZ/cancel"],
    ["POST", "/api/datachain/jobs/%/cancel"],
    ["POST", "/api/datachain/jobs/abc%2/cancel"],
    ["POST", "/api/datachain/jobs/%FF%FE/cancel"],
    ["POST", "/api/datachain/jobs/%E0%A4%A/cancel"],
    ["GET", "/api/datachain/%ZZ/"],
    ["GET", "/api/datachain/jobs/?team_name=%ZZ"],
    ["GET", "/api/datachain/jobs/?team_name=demo&status=%C3"],
    ["GET", "/_emulator/%zz"],
    ["GET", "http://emulator/api/datachain/jobs/?team_name=demo"],
    ["OPTIONS", "*"],
    // Found by an adversarial tester: the fragment was read as part of the team, "demo#x", and the request refused as a 403.
    ["GET", "/api/datachain/jobs/?team_name=demo#x"],
  ])("%s %s is a 400", async (method, target) => {
    const { reply } = await rawExchange(
      `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer dev-token\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{"team_name": "demo"}\n`,
    );
    expect(statusOf(reply)).toBe(400);
    expect(reply).toContain('{"message":"The request path or query is malformed (a broken %-escape, or not a path)."}');
  });

  it.each([
    ["a method Node's parser does not know", "FOO / HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["two Content-Lengths", "POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"],
    [
      "Transfer-Encoding with Content-Length",
      "POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
    ],
  ])("answers %s with the API's JSON 400, not a bare one", async (_what, request) => {
    // Found by an adversarial tester: Node's own "400 Bad Request" had no {"message"} body.
    const { reply } = await rawExchange(request);
    expect(statusOf(reply)).toBe(400);
    expect(reply).toContain("Content-Type: application/json");
    expect(reply.endsWith('{"message":"The request is not valid HTTP."}')).toBe(true);
  });

  it.each([["gzip, chunked"], ["deflate,chunked"]])(
    "answers a body sent with Transfer-Encoding %s with 501 and acts on nothing, as a server that does not decode it must",
    async (coding) => {
      // Found by the fidelity audit: Node's parser takes `gzip, chunked` and hands over the chunks
      // still coded; the emulator read them as the JSON they claimed not to be, and made the job.
      const body = '{"query":"print(1)","team_name":"demo"}';
      const { reply } = await rawExchange(
        `POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: ${coding}\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
        { untilReply: true },
      );
      expect(statusOf(reply)).toBe(501);
      expect(reply.toLowerCase()).toContain("content-type: application/json");
      expect(reply).toContain(
        `{"message":"Transfer-Encoding \\"${coding}\\" is not supported: send the body chunked, or with a Content-Length."}`,
      );
      expect(studio.emulator.store.allJobs()).toEqual([]);
      // Plain chunked is a body like any other.
      const chunked = await rawExchange(
        `POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: Chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
        { untilReply: true },
      );
      expect(statusOf(chunked.reply)).toBe(200);
      expect(studio.emulator.store.allJobs().map((job) => job.query)).toEqual(["print(1)"]);
    },
  );

  it.each([["gzip"], ["gzip, deflate"]])(
    "answers Transfer-Encoding %s, which leaves the body's end unknown, with one 400 and closes the connection",
    async (coding) => {
      // Found by mutation testing's review: a 501, the connection kept, then Node's own 400 for
      // the body's bytes: two replies to one request, the second taken for the next request's.
      const { reply, closedByServer } = await rawExchange(
        `POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: ${coding}\r\n\r\n{"query":"print(1)","team_name":"demo"}` +
          "GET /api/datachain/clusters/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\n\r\n",
      );
      expect([reply.match(/^HTTP\/1\.1 /gm)?.length, statusOf(reply), closedByServer]).toEqual([1, 400, true]);
      expect(reply).toContain(
        `{"message":"Transfer-Encoding \\"${coding}\\" does not end in chunked, so the body's end cannot be found: send it chunked, or with a Content-Length."}`,
      );
      expect(studio.emulator.store.allJobs()).toEqual([]);
    },
  );

  it("answers 501 to a transfer coding besides chunked on every route, the emulator's own included, before it reads the path or the token", async () => {
    // Found by mutation testing: only a job's creation was tried, so the refusal could have been
    // the jobs route's alone and an upload's coded chunks, or a hook's, read as they came.
    const coded = (head: string, body = "") =>
      rawExchange(`${head}\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`, {
        untilReply: true,
      });
    const upload = '--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\nv\r\n--XX--\r\n';
    const replies = [
      await coded(
        "POST /api/datachain/jobs/files?team_name=demo HTTP/1.1\r\nAuthorization: Bearer dev-token\r\nContent-Type: multipart/form-data; boundary=XX",
        upload,
      ),
      await coded("GET /api/datachain/clusters/?team_name=demo HTTP/1.1\r\nAuthorization: Bearer dev-token"),
      await coded("GET /_emulator/state HTTP/1.1"),
      await coded("GET /no/such/path HTTP/1.1"),
    ];
    expect(replies.map(({ reply }) => statusOf(reply))).toEqual([501, 501, 501, 501]);
    expect(studio.emulator.store.allFiles()).toEqual([]);
  });

  it("answers a request without Host, and a CONNECT, with the API's JSON error, not Node's bare 400 or a closed connection", async () => {
    // Found by an adversarial tester: Node refused a request without Host with a bare 400 (no
    // {"message"}), and closed a connection that sent CONNECT without a word.
    const noHost = await rawExchange("GET /api/datachain/clusters/ HTTP/1.1\r\nAuthorization: Bearer dev-token\r\n\r\n", {
      untilReply: true,
    });
    expect(statusOf(noHost.reply)).toBe(400);
    expect(noHost.reply.toLowerCase()).toContain("content-type: application/json");
    expect(noHost.reply.endsWith('{"message":"The request has no Host header, which HTTP/1.1 requires."}')).toBe(true);
    // HTTP/1.0 has no Host to require.
    const old = await rawExchange("GET /api/datachain/clusters/ HTTP/1.0\r\nAuthorization: Bearer dev-token\r\n\r\n");
    expect(statusOf(old.reply)).toBe(200);
    const tunnel = await rawExchange("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    expect(statusOf(tunnel.reply)).toBe(405);
    expect(tunnel.reply).toContain("\r\nAllow: GET, POST\r\n");
    expect(tunnel.reply.endsWith('{"message":"Method \\"CONNECT\\" not allowed."}')).toBe(true);
  });

  it.each([
    ["team_name", "/api/datachain/jobs/?team_name=demo&team_name=other"],
    ["team_name", "/api/datachain/clusters/?team_name=demo&team_name=demo"],
    ["limit", "/api/datachain/jobs/?team_name=demo&limit=1&limit=50"],
    ["status", "/api/datachain/jobs/?team_name=demo&status=QUEUED&status=COMPLETE"],
    ["job_id", "/api/datachain/jobs/?team_name=demo&job_id=a&job_id=b"],
  ])("refuses %s given twice in %s: Studio's server (Django) reads the last, the emulator read the first", async (name, path) => {
    // Found by an adversarial tester: a listing with two teams answered for the first, where
    // Studio's server answers for the last; a client's bug passed here and failed against Studio.
    const reply = await rawCall(url, "GET", path);
    expect(reply).toMatchObject({ status: 400, body: { message: `${name}: given more than once in the query; send it once` } });
  });

  it("answers an Expect it cannot meet with the API's JSON 417, not Node's bare one", async () => {
    const { reply } = await rawExchange(
      "POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}",
      { untilReply: true },
    );
    expect(statusOf(reply)).toBe(417);
    expect(reply.toLowerCase()).toContain("content-type: application/json");
    expect(reply.endsWith('{"message":"The request\'s Expect header asks for what the server does not do: only 100-continue."}')).toBe(
      true,
    );
  });

  it("answers 503 past its budget of bodies held at once, and gives the budget back when a body ends", async () => {
    // Found by an adversarial tester: 100 clients each sending 15 MiB slowly held 1.6 GB.
    const { startEmulator } = await import("../src/emulator/index.js");
    const small = await startEmulator({ port: 0, limits: { jsonBytes: 4096, inFlightBytes: 3000 } });
    try {
      const { port, hostname } = new URL(small.url);
      const post = "POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nContent-Type: application/json\r\n";
      // A body of 4,000 bytes, 2,500 of them sent: it holds most of the budget while it dribbles.
      const slow = connect(Number(port), hostname);
      slow.write(`${post}Content-Length: 4000\r\n\r\n${" ".repeat(2500)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const json = `{"query":"print(1)","team_name":"demo","query_name":"q"}${" ".repeat(900)}`;
      const refused = await rawCall(small.url, "POST", "/api/datachain/jobs/", { body: json });
      expect(refused).toMatchObject({
        status: 503,
        body: { message: "The emulator is reading too many large request bodies at once; try again shortly." },
      });
      slow.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const taken = await rawCall(small.url, "POST", "/api/datachain/jobs/", { body: json });
      expect(taken.status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it("closes a connection that sends nothing, and keeps one that does", async () => {
    // Found by an adversarial tester: a socket that never sent a byte stayed open for good,
    // and 1,100 of them used up the file descriptors.
    const { startEmulator } = await import("../src/emulator/index.js");
    const quick = await startEmulator({ port: 0, silentConnectionMs: 200 });
    try {
      const { port, hostname } = new URL(quick.url);
      const silent = connect(Number(port), hostname);
      const closedAfter = await new Promise<number>((resolve) => {
        const started = performance.now();
        silent.on("close", () => resolve(performance.now() - started));
      });
      expect(closedAfter).toBeGreaterThanOrEqual(150);
      expect(closedAfter).toBeLessThan(5_000);
      expect((await rawCall(quick.url, "GET", "/api/datachain/clusters/")).status).toBe(200);
    } finally {
      await quick.close();
    }
  });

  it("still answers well-formed escapes: an escaped job id that does not exist is a 404", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/no%20such%2Fjob/cancel", { json: { team_name: "demo" } });
    expect(reply).toMatchObject({ status: 404, body: { message: "Job no such/job not found." } });
  });

  it("routes a path whose unreserved characters are %-escaped as the same path (RFC 3986, 6.2.2.2); an escaped / stays part of a segment", async () => {
    const id = await create("escaped");
    const listed = await rawCall(url, "GET", "/api/datachain/%6Aobs%2f?team_name=demo");
    expect(listed.status).toBe(404);
    const list = await rawCall(url, "GET", "/api/datachain/%6Aob%73/?team_name=demo");
    expect(list.status).toBe(200);
    expect((list.body as { id: string }[]).map((j) => j.id)).toEqual([id]);
    const clusters = await rawCall(url, "GET", "/api/%64atachain/clusters/");
    expect([clusters.status, (clusters.body as unknown[]).length]).toEqual([200, 3]);
    const cancel = await rawCall(url, "POST", `/api/datachain/jobs/${id}/%63ancel`, { json: { team_name: "demo" } });
    expect(cancel).toMatchObject({ status: 200, body: { message: "Successfully canceled" } });
    // Decoded once: %2541 is the id "%41", not "A".
    const once = await rawCall(url, "POST", "/api/datachain/jobs/%2541/cancel", { json: { team_name: "demo" } });
    expect(once).toMatchObject({ status: 404, body: { message: "Job %41 not found." } });
  });
});

describe("body limits", () => {
  it("refuses a declared length over the JSON limit with 413 without waiting for the body, before auth", async () => {
    // No token and no body ever sent: the answer can only come from the headers.
    const exchange = await rawExchange(
      `POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${LIMITS.jsonBytes + 1}\r\n\r\n`,
    );
    expect(statusOf(exchange.reply)).toBe(413);
    expect(exchange.reply).toContain(`{"message":"The request body is larger than ${LIMITS.jsonBytes} bytes."}`);
    expect(exchange.repliedAfterMs).toBeLessThan(500);
    // The body that never comes is not waited for: the connection is dropped soon after.
    expect(exchange.closedByServer).toBe(true);
  });

  it("refuses a write from a token without the write scope, or an upload to a team it lacks, from the headers: the body is never waited for", async () => {
    // From review: the scope was checked after the body had been read, so such a token could
    // make the emulator hold a body of up to the upload limit.
    for (const [path, token, said] of [
      ["/api/datachain/jobs/", "read-token", "The token lacks the JOB_WRITE scope."],
      ["/api/datachain/jobs/some-id/cancel", "read-token", "The token lacks the JOB_WRITE scope."],
      ["/api/datachain/jobs/files?team_name=demo", "read-token", "The token lacks the JOB_WRITE scope."],
      ["/api/datachain/jobs/files?team_name=demo", "other-token", "Not authorized for the team demo."],
      ["/api/datachain/jobs/files", "dev-token", "team_name: required"],
    ] as const) {
      const exchange = await rawExchange(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${LIMITS.jsonBytes}\r\n\r\n`,
        { untilReply: true, timeoutMs: 3_000 },
      );
      expect([path, token, statusOf(exchange.reply)]).toEqual([path, token, said === "team_name: required" ? 400 : 403]);
      expect(exchange.reply).toContain(JSON.stringify({ message: said }));
    }
  });

  it("lets a client that writes its whole body before it reads see the 413, not a reset", async () => {
    // As undici and others do: write everything, then read. Dropping the connection at once
    // would reset it under the writer, and the reply would be lost with it.
    const { port, hostname } = new URL(url);
    const body = Buffer.alloc(4 * 1024 * 1024, 0x20);
    const outcome = await new Promise<{ reply: string; error?: string }>((resolve) => {
      const socket = connect(Number(port), hostname);
      socket.pause();
      let reply = "";
      const timer = setTimeout(() => socket.destroy(), 5_000);
      // Done once the whole reply is read: the connection may stay open for the next request.
      socket.on("data", (d: Buffer) => {
        reply += d.toString("latin1");
        if (isWhole(reply)) socket.destroy();
      });
      socket.on("error", (error: NodeJS.ErrnoException) => resolve({ reply, error: error.code ?? error.message }));
      socket.on("close", () => {
        clearTimeout(timer);
        resolve({ reply });
      });
      socket.write(
        `POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body, () => setTimeout(() => socket.resume(), 100));
    });
    expect(outcome.error).toBeUndefined();
    expect(statusOf(outcome.reply)).toBe(413);
    expect(outcome.reply).toContain(`{"message":"The request body is larger than ${LIMITS.jsonBytes} bytes."}`);
  });

  it("answers Expect: 100-continue only once it wants the body", async () => {
    const head = (token: string) =>
      `POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${token}Expect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 59\r\n\r\n`;
    const refused = await rawExchange(head(""));
    expect(statusOf(refused.reply)).toBe(401);
    expect(refused.reply).not.toContain("100 Continue");

    const { port, hostname } = new URL(url);
    const body = JSON.stringify({ query: "print(1)", team_name: "demo", query_name: "cont" });
    expect(body.length).toBe(59);
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), hostname);
      let text = "";
      const timer = setTimeout(() => socket.destroy(), 5_000);
      socket.on("data", (d: Buffer) => {
        const before = text;
        text += d.toString("latin1");
        // The body goes only after the server asked for it.
        if (!before.includes("100 Continue") && text.includes("HTTP/1.1 100 Continue\r\n\r\n")) socket.write(body);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(text);
      });
      socket.write(head("Authorization: Bearer dev-token\r\n"));
    });
    expect(reply.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")).toBe(true);
    expect(studio.emulator.store.allJobs().map((j) => j.name)).toEqual(["cont"]);
  });

  it("takes the upload limit for uploads: over it is a 413, under it goes on to auth", async () => {
    const over = await rawExchange(
      `POST /api/datachain/jobs/files?team_name=demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${LIMITS.uploadBytes + 16 * 1024 + 1}\r\n\r\n`,
      { untilReply: true },
    );
    expect(statusOf(over.reply)).toBe(413);
    // Over the JSON limit but under the upload limit, without a token: refused for the token,
    // still without reading a byte of the body.
    const stranger = await rawExchange(
      `POST /api/datachain/jobs/files?team_name=demo HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${LIMITS.uploadBytes}\r\n\r\n`,
      { untilReply: true },
    );
    expect(statusOf(stranger.reply)).toBe(401);
  });

  // Found by an adversarial tester: the limit counted the multipart envelope too, so a file of
  // exactly the size plan allows (64 MiB, the default) was refused with 413 at apply.
  it("takes a file of exactly the upload limit in its multipart envelope, and refuses one byte more", async () => {
    expect(DEFAULT_BODY_LIMITS.uploadBytes).toBe(MAX_UPLOAD_BYTES);
    const reply = await studio.client.uploadFile("demo", "at-limit.bin", new Uint8Array(LIMITS.uploadBytes));
    expect(reply).toEqual({ id: 1 });
    expect(studio.emulator.store.allFiles()).toMatchObject([{ filename: "at-limit.bin", size: LIMITS.uploadBytes }]);
    const over = await studio.client
      .uploadFile("demo", "over.bin", new Uint8Array(LIMITS.uploadBytes + 1))
      .catch((error: unknown) => error);
    expect(String(over)).toContain(`413 The file is larger than ${LIMITS.uploadBytes} bytes.`);
    expect(studio.emulator.store.allFiles().map((f) => f.filename)).toEqual(["at-limit.bin"]);
  });

  it("stops reading a chunked body at the limit and answers 413", async () => {
    const chunk = Buffer.from(`400\r\n${"x".repeat(0x400)}\r\n`);
    const { reply, sent, closedByServer } = await rawExchange(
      "POST /api/datachain/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      { keepSending: chunk },
    );
    expect(statusOf(reply)).toBe(413);
    expect(reply).toContain(`{"message":"The request body is larger than ${LIMITS.jsonBytes} bytes."}`);
    // The body never ends, so the 413 can only have come from counting bytes as they arrived.
    expect(sent).toBeGreaterThan(LIMITS.jsonBytes);
    expect(closedByServer).toBe(true);
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("accepts a body right at the limit", async () => {
    const padding = "x".repeat(LIMITS.jsonBytes - 200);
    const body = JSON.stringify({ query: `# ${padding}\nprint(1)`, team_name: "demo", query_name: "big" });
    expect(body.length).toBeLessThanOrEqual(LIMITS.jsonBytes);
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { body });
    expect(reply.status).toBe(200);
  });
});

describe("pipelined requests", () => {
  it("acts on requests sent back to back on one connection in the order they came: a listing after a create sees it", async () => {
    // Found by an adversarial tester: Node hands a pipelined request to the handler while the
    // one before it still reads its body, so the listing ran before the create and missed it.
    const body = JSON.stringify({ query: "print(1)", team_name: "demo", query_name: "first" });
    const auth = "Host: x\r\nAuthorization: Bearer dev-token\r\n";
    const { reply } = await rawExchange(
      `POST /api/datachain/jobs/ HTTP/1.1\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        `GET /api/datachain/jobs/?team_name=demo HTTP/1.1\r\n${auth}Connection: close\r\n\r\n`,
    );
    const bodies = reply
      .split(/HTTP\/1\.1 /)
      .slice(1)
      .map((r) => [statusOf(`HTTP/1.1 ${r}`), JSON.parse(r.slice(r.indexOf("\r\n\r\n") + 4)) as unknown]);
    const created = bodies[0]?.[1] as { id: string };
    expect(bodies.map(([status]) => status)).toEqual([200, 200]);
    expect((bodies[1]?.[1] as { id: string }[]).map((j) => j.id)).toEqual([created.id]);
  });

  it("answers the requests that came whole before bytes that are not HTTP, and only then refuses the rest and closes", async () => {
    // Found by an adversarial tester: the 400 for the bad bytes went out at once and the
    // connection closed, so the reply to a create before them was lost, and its client read
    // the 400 as the create's reply though the job had been made.
    const body = JSON.stringify({ query: "print(1)", team_name: "demo", query_name: "made" });
    const auth = "Host: x\r\nAuthorization: Bearer dev-token\r\n";
    const { reply, closedByServer } = await rawExchange(
      `POST /api/datachain/jobs/ HTTP/1.1\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        `GET /api/datachain/jobs/?team_name=demo HTTP/1.1\r\n${auth}\r\nNOT HTTP\r\n\r\n`,
    );
    const replies = reply.split(/(?=HTTP\/1\.1 )/);
    expect(replies.map(statusOf)).toEqual([200, 200, 400]);
    const made = JSON.parse(replies[0]?.slice(replies[0].indexOf("\r\n\r\n") + 4) ?? "") as { id: string; name: string };
    expect(made.name).toBe("made");
    expect(replies[2]?.endsWith('{"message":"The request is not valid HTTP."}')).toBe(true);
    expect(closedByServer).toBe(true);
    expect(studio.emulator.store.allJobs().map((j) => j.id)).toEqual([made.id]);
    // Bad bytes in the body of the request being read are that request's: refused at once.
    const { reply: badChunk } = await rawExchange(
      `POST /api/datachain/jobs/ HTTP/1.1\r\n${auth}Transfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\nZZ\r\n`,
    );
    expect(badChunk.split(/(?=HTTP\/1\.1 )/).map(statusOf)).toEqual([400]);
  });

  it("holds one reply at a time for a client that sends requests back to back and reads none of the replies", async () => {
    // Found by an adversarial tester: every request was answered as soon as it was parsed,
    // into the connection's buffer, read or not: 3,000 listings of 1,000 jobs sent at once
    // held 1.1 GB until the client went away, and a larger team would run the emulator out of memory.
    for (let i = 0; i < 100; i++) await create(`big-${i}`, { query: `print(${i})  # ${"x".repeat(3500)}` });
    const key = "GET /api/datachain/jobs/";
    const handled = () => studio.emulator.requests.get(key) ?? 0;
    const before = handled();
    const count = 200;
    const { port, hostname } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.pause();
    socket.write(
      `GET /api/datachain/jobs/?team_name=demo&limit=100 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\n\r\n`.repeat(count),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Each listing is some 360 KB: what the system's socket buffers take, and one reply more.
    expect(handled() - before).toBeLessThan(50);
    // Once the client reads, every reply comes, whole and in order.
    let replies = 0;
    let tail = "";
    await new Promise<void>((resolve) => {
      socket.on("data", (d: Buffer) => {
        const text = tail + d.toString("latin1");
        replies += text.split("HTTP/1.1 200 OK\r\n").length - 1;
        tail = text.slice(-16); // shorter than the marker: none is counted twice
        if (replies === count) resolve();
      });
      socket.resume();
    });
    socket.destroy();
    expect(handled() - before).toBe(count);
  });
});
