// The emulator against the Studio API reference, over real HTTP: the request bodies
// of the reference, and the same calls in the form datachain's Python client makes them.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FormData, request } from "undici";
import { rawCall, startTestStudio, type TestStudio } from "./helpers.js";

const REFERENCE_INPUT = {
  query: "import datachain as dc\nprint(dc.__version__)",
  query_type: "PYTHON",
  environment: "ENV_NAME=ENV_VALUE",
  workers: 2,
  query_name: "reference-job",
  files: [],
  team_name: "demo",
  repository: "https://github.com/acme/pipelines",
  python_version: "3.12",
  requirements: "numpy==1.24.0",
  priority: 1,
  compute_cluster_name: "default",
  compute_cluster_id: 1,
  start_after: null,
  cron_expression: null,
  credentials_name: null,
};

const JOB_OUTPUT_KEYS = [
  "created_at",
  "created_by",
  "environment",
  "error_message",
  "exit_code",
  "finished_at",
  "id",
  "name",
  "parent_job_id",
  "python_version",
  "query",
  "query_type",
  "repository",
  "requirements",
  "status",
  "team",
  "url",
  "workers",
];

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
  });
  url = studio.emulator.url;
});
afterAll(() => studio.close());
beforeEach(() => studio.emulator.store.clear());

describe("create job", () => {
  it("rejects the reference body with both cluster fields, naming them", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { json: REFERENCE_INPUT });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      message: "compute_cluster_name and compute_cluster_id are mutually exclusive: give one",
    });
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("returns a JobOutput with every documented key for the reference body without compute_cluster_id", async () => {
    const input: Partial<typeof REFERENCE_INPUT> = { ...REFERENCE_INPUT };
    delete input.compute_cluster_id;
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { json: input });
    expect(reply.status).toBe(201);
    const job = reply.body as Record<string, unknown>;
    expect(Object.keys(job).sort()).toEqual(JOB_OUTPUT_KEYS);
    expect(job).toMatchObject({
      status: "QUEUED",
      name: "reference-job",
      query: input.query,
      query_type: "PYTHON",
      team: "demo",
      workers: 2,
      python_version: "3.12",
      requirements: "numpy==1.24.0",
      repository: "https://github.com/acme/pipelines",
      environment: { ENV_NAME: "ENV_VALUE" },
      created_at: "2026-11-01T00:00:00.000Z",
      created_by: "dev",
      finished_at: null,
      parent_job_id: null,
    });
    expect(job["url"]).toBe(`${url}/team/demo/jobs/${String(job["id"])}`);
  });

  it("accepts the datachain client's form: token header, every optional field null, extra fields", async () => {
    const body = {
      query: "print(1)",
      query_type: "PYTHON",
      environment: null,
      workers: null,
      query_name: null,
      files: null,
      python_version: null,
      requirements: null,
      repository: null,
      priority: null,
      compute_cluster_name: null,
      compute_cluster_id: null,
      start_after: null,
      cron_expression: null,
      credentials_name: null,
      rerun_from_job_id: null,
      reset: false,
      team_name: "demo",
    };
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { json: body, scheme: "token" });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ environment: {}, workers: 1, requirements: "", name: "", team: "demo" });
  });

  it("takes team_name as a query parameter too", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/?team_name=demo", {
      json: { query: "echo hi", query_type: "SHELL" },
      scheme: "token",
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ team: "demo", query_type: "SHELL" });
  });

  it.each([
    [{ workers: "4" }, 'workers: expected an integer, got string "4"'],
    [{ workers: 0 }, "workers: must be at least 1, got 0"],
    [{ workers: 9 }, 'workers: cluster "default" allows at most 8, got 9'],
    [{ query: 42 }, "query: required, expected a string, got number 42"],
    [{ query_type: "RUST" }, 'query_type: "RUST" is not one of PYTHON, SHELL'],
    [{ compute_cluster_name: "nope" }, 'compute_cluster_name: unknown cluster "nope"'],
    [{ compute_cluster_id: 99 }, "compute_cluster_id: unknown cluster 99"],
    [{ compute_cluster_name: "legacy" }, 'cluster "legacy" is not active'],
    [{ cron_expression: "61 * * * *" }, 'cron_expression: "61 * * * *" is not a valid cron expression: Invalid value for minute: 61'],
    [{ cron_expression: "0 3 * *" }, 'cron_expression: "0 3 * *" has 4 fields; a cron expression has 5: minute hour day-of-month month day-of-week'],
    [{ start_after: "tomorrow" }, 'start_after: "tomorrow" is not an ISO 8601 date-time'],
    [{ environment: "NOVALUE" }, 'environment: line "NOVALUE" is not KEY=VALUE'],
    [{ files: ["12345"] }, 'files: unknown file id "12345" for team demo'],
    [{ query_name: "x".repeat(256) }, "query_name: at most 255 characters"],
    [{ priority: 1.5 }, "priority: expected an integer, got number 1.5"],
  ])("answers 400 for %j", async (fields, expected) => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: { query: "print(1)", query_type: "PYTHON", team_name: "demo", ...fields },
    });
    expect(reply).toMatchObject({ status: 400, body: { message: expected } });
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/?team_name=demo", { body: "{not json" });
    expect(reply).toMatchObject({ status: 400, body: { message: "the body is not valid JSON" } });
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
      await rawCall(url, "POST", "/api/datachain/jobs/", {
        token: "read-token",
        json: { query: "print(1)", team_name: "demo" },
      }),
    ).toMatchObject({ status: 403, body: { message: "The token lacks the JOB_WRITE scope." } });
  });

  it("keeps teams apart: team A never sees or cancels team B's jobs", async () => {
    const created = await rawCall(url, "POST", "/api/datachain/jobs/", {
      token: "other-token",
      json: { query: "print(1)", team_name: "other", query_name: "b-job" },
    });
    const id = (created.body as { id: string }).id;
    const listed = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&limit=100");
    expect(listed.body).toEqual({ jobs: [] });
    const cancel = await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel`, { json: { team_name: "demo" } });
    expect(cancel).toMatchObject({ status: 404, body: { message: `Job ${id} not found.` } });
    const cross = await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel`, { json: { team_name: "other" } });
    expect(cross.status).toBe(403);
    expect(studio.emulator.store.allJobs().map((j) => j.status)).toEqual(["QUEUED"]);
  });
});

describe("listing", () => {
  async function create(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: { query: "print(1)", team_name: "demo", query_name: name, ...extra },
    });
    return (reply.body as { id: string }).id;
  }

  it("lists newest first, 20 by default, at most limit", async () => {
    for (let i = 0; i < 25; i++) {
      await create(`job-${i}`);
      studio.clock.advance(1);
    }
    const all = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo");
    const names = (all.body as { jobs: { name: string }[] }).jobs.map((j) => j.name);
    expect(names).toHaveLength(20);
    expect(names[0]).toBe("job-24");
    expect(names[19]).toBe("job-5");
    const three = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&limit=3");
    expect((three.body as { jobs: { name: string }[] }).jobs.map((j) => j.name)).toEqual(["job-24", "job-23", "job-22"]);
  });

  it("filters by status (case-insensitive), ACTIVE/INACTIVE and job_id", async () => {
    const task = await create("nightly", { cron_expression: "0 3 * * *" });
    const done = await create("once");
    studio.clock.advance(40_000); // the one-off job completes; the schedule has not fired yet
    const byStatus = async (status: string) =>
      ((await rawCall(url, "GET", `/api/datachain/jobs/?team_name=demo&status=${status}`)).body as { jobs: { id: string }[] }).jobs.map(
        (j) => j.id,
      );
    expect(await byStatus("task")).toEqual([task]);
    expect(await byStatus("COMPLETE")).toEqual([done]);
    expect(await byStatus("active")).toEqual([]);
    expect(await byStatus("INACTIVE")).toEqual([done, task]);
    const one = await rawCall(url, "GET", `/api/datachain/jobs/?team_name=demo&job_id=${task}`);
    expect((one.body as { jobs: { name: string }[] }).jobs.map((j) => j.name)).toEqual(["nightly"]);
    expect(await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&status=SLEEPING")).toMatchObject({
      status: 400,
      body: { message: 'status: "SLEEPING" is not a job status' },
    });
    expect((await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&limit=0")).status).toBe(400);
  });

  it("requires team_name and answers 404 for unknown paths and the admin hooks when disabled", async () => {
    expect(await rawCall(url, "GET", "/api/datachain/jobs/")).toMatchObject({ status: 400, body: { message: "team_name: required" } });
    expect((await rawCall(url, "GET", "/api/datachain/jobs?team_name=demo")).status).toBe(404);
    const { startEmulator } = await import("../src/emulator/index.js");
    const plain = await startEmulator({ port: 0 });
    try {
      expect((await rawCall(plain.url, "GET", "/_emulator/state")).status).toBe(404);
    } finally {
      await plain.close();
    }
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
    expect(reply.statusCode).toBe(201);
    const file = (await reply.body.json()) as { id: number };
    expect(file).toEqual({ id: file.id, filename: "labels.csv", size: 10, state: "UPLOADED", error: null });
    const job = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: { query: "print(1)", team_name: "demo", files: [String(file.id)] },
    });
    expect(job.status).toBe(201);
    expect(studio.emulator.store.allJobs()[0]?.files).toEqual([String(file.id)]);
  });

  it("rejects an upload without a file part", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/files?team_name=demo", { json: {} });
    expect(reply).toMatchObject({ status: 400, body: { message: "expected a multipart/form-data body with a field named file" } });
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
