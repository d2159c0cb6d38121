// The emulator against Studio's API reference, over real HTTP: every example request of
// the reference is replayed as it is written there, and each reply is compared with the
// reference's example response: status code, key set, and the type of every value. Then
// the same calls in the form datachain's Python client makes them.

import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FormData, request } from "undici";
import { isLive, isRun } from "../src/studio/job-status.js";
import { readJobList } from "../src/studio/wire.js";
import { rawCall, START, startTestStudio, type RawReply, type TestStudio } from "./helpers.js";

// ---------------------------------------------------------------------------------------
// The examples of Studio's API reference (studio-jobs-api.txt), copied from it verbatim.

/** JobInput, the body of "Create Job". */
const REFERENCE_JOB_INPUT = {
  query: "print('Hello, World!')",
  query_type: "PYTHON",
  team_name: "TeamName",
  environment: "ENV_NAME=ENV_VALUE",
  workers: 1,
  query_name: "QueryName",
  files: ["2", "3"],
  python_version: "3.12",
  requirements: "numpy==1.24.0",
  repository: "https://github.com/user/repo",
  priority: 1,
  compute_cluster_name: "ComputeClusterName",
  compute_cluster_id: 1,
  start_after: "2021-01-01T00:00:00Z",
  cron_expression: "0 0 * * *",
  credentials_name: "CredentialsName",
};

/** JobOutput, the reply of "Create Job" and each item of "Get Jobs". */
const REFERENCE_JOB_OUTPUT = {
  id: "497f6eca-6276-4993-bfeb-53cbbbba6f08",
  url: "https://studio.datachain.ai/team/team_name/datasets/jobs/0502eef6-a32e-45fa-8e3b-d20ecpabbcf0",
  status: "CREATED",
  created_at: "2021-01-01T00:00:00Z",
  created_by: "username",
  finished_at: "2021-01-01T00:00:00Z",
  query: "print('Hello, World!')",
  query_type: "PYTHON",
  team: "TeamName",
  name: "QueryName",
  workers: 1,
  python_version: "3.12",
  requirements: "numpy==1.24.0",
  repository: "https://github.com/user/repo",
  environment: {
    ENV_NAME: "ENV_VALUE",
  },
  exit_code: 0,
  error_message: "Error message",
};

/** JobCancelInput, the body of "Cancel Job", and ActionFeedback, its reply. */
const REFERENCE_JOB_CANCEL_INPUT = { team_name: "TeamName" };
const REFERENCE_ACTION_FEEDBACK = { message: "Successfully canceled" };

/** The body of "Upload File" as the reference's code sample sends it. */
const REFERENCE_UPLOAD = {
  contentType: "multipart/form-data; boundary=---011000010111000001101001",
  body: '-----011000010111000001101001\r\nContent-Disposition: form-data; name="file"\r\n\r\nstring\r\n-----011000010111000001101001--\r\n',
};

/** UploadFileOutput. */
const REFERENCE_UPLOAD_FILE_OUTPUT = {
  id: 1,
  filename: "file.txt",
  size: 100,
  state: "pending",
  error: "Error message",
};

/** ComputeClusterOutput, each item of "Get Clusters". */
const REFERENCE_COMPUTE_CLUSTER_OUTPUT = {
  id: 1,
  name: "ComputeClusterName",
  status: "ACTIVE",
  cloud_provider: "AWS",
  cloud_credentials: "CredentialsName",
  is_active: true,
  default: true,
  max_workers: 1,
};

// ---------------------------------------------------------------------------------------
// How a reply may differ from the reference's example, and why.

/**
 * Keys a JobOutput may carry beyond the reference's. Only `parent_job_id`: Studio's runs
 * of a cron task point at their task with it, which is how a run is told from the task
 * (the planner never plans against a run). datachain's own client reads it too, with
 * `job_data.get("parent_job_id")` when it records a job it created, so a client that does
 * not know the key is not bothered by it. The emulator sends it on every record: null
 * except on a run.
 */
const JOB_OUTPUT_EXTRA_KEYS: Record<string, readonly string[]> = { parent_job_id: ["null", "string"] };

/**
 * Keys whose example value is filled in but which are null until there is something to
 * say: a job that has not finished has no finish time and no exit code.
 */
const NULL_UNTIL_FINISHED = ["finished_at", "exit_code"];

/** An upload that succeeded has no error: null where the example shows a message. */
const NULL_WITHOUT_ERROR = ["error"];

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * The types of `actual`'s values, next to the types the example says, so a mismatch shows
 * as one readable diff: a missing or extra key, or a value of another type.
 */
function expectShape(
  actual: unknown,
  example: Record<string, unknown>,
  allow: { nullable?: readonly string[]; extra?: Record<string, readonly string[]> } = {},
): void {
  expect(typeOf(actual)).toBe("object");
  const got = Object.fromEntries(Object.entries(actual as Record<string, unknown>).map(([k, v]) => [k, typeOf(v)]));
  const want: Record<string, string> = {};
  for (const [key, value] of Object.entries(example)) {
    want[key] = allow.nullable?.includes(key) === true && got[key] === "null" ? "null" : typeOf(value);
  }
  for (const [key, types] of Object.entries(allow.extra ?? {})) {
    want[key] = got[key] !== undefined && types.includes(got[key]) ? got[key] : types.join(" or ");
  }
  expect(got).toEqual(want);
}

// ---------------------------------------------------------------------------------------

describe("Studio's API reference, replayed", () => {
  let studio: TestStudio;
  let url: string;
  /** The values a created job echoes back: the reference's example has exactly these. */
  const echoed = {
    query: REFERENCE_JOB_OUTPUT.query,
    query_type: REFERENCE_JOB_OUTPUT.query_type,
    team: REFERENCE_JOB_OUTPUT.team,
    name: REFERENCE_JOB_OUTPUT.name,
    workers: REFERENCE_JOB_OUTPUT.workers,
    python_version: REFERENCE_JOB_OUTPUT.python_version,
    requirements: REFERENCE_JOB_OUTPUT.requirements,
    repository: REFERENCE_JOB_OUTPUT.repository,
    environment: REFERENCE_JOB_OUTPUT.environment,
    created_by: REFERENCE_JOB_OUTPUT.created_by,
  };

  beforeAll(async () => {
    // An emulator set up as the examples assume: team TeamName, user "username", the one cluster.
    studio = await startTestStudio({
      config: {
        tokens: [{ token: "dev-token", user: "username", teams: ["TeamName"], scopes: ["JOB_READ", "JOB_WRITE"] }],
        clusters: [REFERENCE_COMPUTE_CLUSTER_OUTPUT],
      },
    });
    url = studio.emulator.url;
  });
  afterAll(() => studio.close());
  beforeEach(() => {
    studio.emulator.store.clear();
    studio.clock.set(START);
  });

  /** "Upload File" with the reference's own body, three times, so file ids 2 and 3 exist. */
  async function uploadThree(): Promise<RawReply[]> {
    const replies: RawReply[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await request(`${url}/api/datachain/jobs/files?team_name=TeamName`, {
        method: "POST",
        headers: { authorization: "Bearer dev-token", accept: "application/json", "content-type": REFERENCE_UPLOAD.contentType },
        body: REFERENCE_UPLOAD.body,
      });
      replies.push({ status: reply.statusCode, headers: reply.headers, body: await reply.body.json() });
    }
    return replies;
  }

  function withoutKey<K extends keyof typeof REFERENCE_JOB_INPUT>(key: K): Omit<typeof REFERENCE_JOB_INPUT, K> {
    const input: Partial<typeof REFERENCE_JOB_INPUT> = { ...REFERENCE_JOB_INPUT };
    delete input[key];
    return input as Omit<typeof REFERENCE_JOB_INPUT, K>;
  }

  it("Upload File: the reference's multipart body gives an UploadFileOutput", async () => {
    const replies = await uploadThree();
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const reply of replies) expectShape(reply.body, REFERENCE_UPLOAD_FILE_OUTPUT, { nullable: NULL_WITHOUT_ERROR });
    // The example's part has no filename, so the emulator names the file after its field.
    expect(replies.map((r) => r.body)).toEqual([1, 2, 3].map((id) => ({ id, filename: "file", size: 6, state: "pending", error: null })));
  });

  it("Upload File: a part sent as the reference sends it (no filename) keeps its bytes, whatever they are: size counts them", async () => {
    const [head, tail] = REFERENCE_UPLOAD.body.split("string");
    // Not UTF-8, a byte-order mark, a NUL, a lone CR and LF: each byte counts once.
    const content = Buffer.from([0xff, 0xfe, 0x00, 0xef, 0xbb, 0xbf, 0x61, 0x0d, 0x0a, 0x0a, 0x80]);
    const reply = await request(`${url}/api/datachain/jobs/files?team_name=TeamName`, {
      method: "POST",
      headers: { authorization: "Bearer dev-token", accept: "application/json", "content-type": REFERENCE_UPLOAD.contentType },
      body: Buffer.concat([Buffer.from(head ?? ""), content, Buffer.from(tail ?? "")]),
    });
    expect(reply.statusCode).toBe(200);
    expect(await reply.body.json()).toEqual({ id: 1, filename: "file", size: content.length, state: "pending", error: null });
    expect(studio.emulator.store.allFiles()[0]?.sha256).toBe(createHash("sha256").update(content).digest("hex"));
  });

  it("Upload File: the reference's curl sample, whose Content-Type curl sends with its own boundary after the sample's, gives an UploadFileOutput", async () => {
    // Found by the fidelity audit: the emulator read the sample's boundary, which the body does not
    // use, and answered 400; Studio's server (Django) reads the last, the one curl wrote the body with.
    const boundary = "------------------------a9139e82bde75417";
    const reply = await request(`${url}/api/datachain/jobs/files?team_name=TeamName`, {
      method: "POST",
      headers: {
        authorization: "Bearer dev-token",
        accept: "application/json",
        "content-type": `${REFERENCE_UPLOAD.contentType}; boundary=${boundary}`,
      },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\nstring\r\n--${boundary}--\r\n`,
    });
    expect(reply.statusCode).toBe(200);
    expect(await reply.body.json()).toEqual({ id: 1, filename: "file", size: 6, state: "pending", error: null });
  });

  it("Create Job: the reference's JobInput names the cluster twice, which it says is not allowed: 400", async () => {
    await uploadThree();
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { json: REFERENCE_JOB_INPUT });
    expect(reply).toMatchObject({
      status: 400,
      body: { message: "compute_cluster_name and compute_cluster_id are mutually exclusive: give one" },
    });
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it.each([["compute_cluster_id"], ["compute_cluster_name"]] as const)(
    "Create Job: the reference's JobInput without %s gives a JobOutput that echoes it",
    async (dropped) => {
      await uploadThree();
      const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { json: withoutKey(dropped) });
      expect(reply.status).toBe(200);
      // A cron task has not finished, and never will: only its runs do.
      expectShape(reply.body, REFERENCE_JOB_OUTPUT, { nullable: NULL_UNTIL_FINISHED, extra: JOB_OUTPUT_EXTRA_KEYS });
      const job = reply.body as Record<string, unknown>;
      expect(job).toMatchObject({ ...echoed, status: "TASK", created_at: "2026-11-01T00:00:00.000Z", parent_job_id: null });
      expect(job["url"]).toBe(`${url}/team/TeamName/datasets/jobs/${String(job["id"])}`);
      const [record] = studio.emulator.store.allJobs();
      expect(record).toMatchObject({
        files: ["2", "3"],
        priority: 1,
        cluster_id: 1,
        credentials_name: "CredentialsName",
        cron_expression: "0 0 * * *",
      });
    },
  );

  it("Get Jobs: a bare list of JobOutputs; a finished run matches the example key for key, type for type", async () => {
    await uploadThree();
    const created = await rawCall(url, "POST", "/api/datachain/jobs/", { json: withoutKey("compute_cluster_id") });
    const taskId = (created.body as { id: string }).id;
    studio.clock.advance(24 * 3_600_000 + 60_000); // the task fires at midnight; its run finishes
    const reply = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=TeamName");
    expect(reply.status).toBe(200);
    expect(Array.isArray(reply.body)).toBe(true);
    const [run, task] = reply.body as Record<string, unknown>[];
    expect(task).toMatchObject({ id: taskId, status: "TASK", parent_job_id: null });
    expectShape(task, REFERENCE_JOB_OUTPUT, { nullable: NULL_UNTIL_FINISHED, extra: JOB_OUTPUT_EXTRA_KEYS });
    // No allowance for nulls here: a finished run has every value the example has.
    expectShape(run, REFERENCE_JOB_OUTPUT, { extra: JOB_OUTPUT_EXTRA_KEYS });
    expect(run).toMatchObject({
      ...echoed,
      status: "COMPLETE",
      parent_job_id: taskId,
      created_at: "2026-11-02T00:00:00.000Z",
      finished_at: "2026-11-02T00:00:32.000Z",
      exit_code: 0,
    });
    expect(reply.body).toHaveLength(2);
  });

  it("Create Job and Get Jobs: a JobOutput's keys come in the reference's order, parent_job_id last", async () => {
    // Found by the conformance pass: the emulator wrote name, query, ... before created_at,
    // where the reference has created_at, created_by and finished_at right after status.
    await uploadThree();
    const created = await rawCall(url, "POST", "/api/datachain/jobs/", { json: withoutKey("compute_cluster_id") });
    studio.clock.advance(24 * 3_600_000 + 60_000); // a run, and a finished one
    const listed = await rawCall(url, "GET", "/api/datachain/jobs/?team_name=TeamName");
    const order = [...Object.keys(REFERENCE_JOB_OUTPUT), "parent_job_id"];
    expect(Object.keys(created.body as object)).toEqual(order);
    const records = listed.body as object[];
    expect(records).toHaveLength(2);
    for (const record of records) expect(Object.keys(record)).toEqual(order);
  });

  it("Cancel Job: the reference's JobCancelInput gives its ActionFeedback", async () => {
    await uploadThree();
    const created = await rawCall(url, "POST", "/api/datachain/jobs/", { json: withoutKey("compute_cluster_name") });
    const id = (created.body as { id: string }).id;
    const reply = await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel`, { json: REFERENCE_JOB_CANCEL_INPUT });
    expect(reply).toMatchObject({ status: 200, body: REFERENCE_ACTION_FEEDBACK });
    expectShape(reply.body, REFERENCE_ACTION_FEEDBACK);
    expect(studio.emulator.store.allJobs().map((j) => j.status)).toEqual(["CANCELING_SCHEDULED"]);
  });

  it("Get Clusters: without team_name, as the reference sends it, a bare list equal to the example", async () => {
    const reply = await rawCall(url, "GET", "/api/datachain/clusters/");
    expect(reply).toMatchObject({ status: 200, body: [REFERENCE_COMPUTE_CLUSTER_OUTPUT] });
    for (const cluster of reply.body as unknown[]) expectShape(cluster, REFERENCE_COMPUTE_CLUSTER_OUTPUT);
  });

  it("the client reads the reference's JobOutput example, which the emulator never makes (status CREATED, no parent_job_id)", () => {
    const [read] = readJobList([REFERENCE_JOB_OUTPUT]);
    expect(read).toMatchObject({
      id: REFERENCE_JOB_OUTPUT.id,
      status: "CREATED",
      parent_job_id: null,
      environment: { ENV_NAME: "ENV_VALUE" },
    });
    expect(read !== undefined && isLive(read.status) && !isRun(read)).toBe(true);
  });

  it("compares shapes strictly: a missing key, an extra key and a wrong type all fail", () => {
    const good = { ...REFERENCE_JOB_OUTPUT, parent_job_id: null };
    expect(() => expectShape(good, REFERENCE_JOB_OUTPUT, { extra: JOB_OUTPUT_EXTRA_KEYS })).not.toThrow();
    const { exit_code: _dropped, ...missing } = good;
    expect(() => expectShape(missing, REFERENCE_JOB_OUTPUT, { extra: JOB_OUTPUT_EXTRA_KEYS })).toThrow();
    expect(() => expectShape({ ...good, steps: [] }, REFERENCE_JOB_OUTPUT, { extra: JOB_OUTPUT_EXTRA_KEYS })).toThrow();
    expect(() => expectShape({ ...good, workers: "1" }, REFERENCE_JOB_OUTPUT, { extra: JOB_OUTPUT_EXTRA_KEYS })).toThrow();
    expect(() => expectShape({ ...good, finished_at: null }, REFERENCE_JOB_OUTPUT, { extra: JOB_OUTPUT_EXTRA_KEYS })).toThrow();
    expect(() => expectShape({ ...good, parent_job_id: 7 }, REFERENCE_JOB_OUTPUT, { extra: JOB_OUTPUT_EXTRA_KEYS })).toThrow();
  });
});

describe("datachain's client, as its source sends each call", () => {
  let studio: TestStudio;
  let url: string;

  beforeAll(async () => {
    studio = await startTestStudio();
    url = studio.emulator.url;
  });
  afterAll(() => studio.close());
  beforeEach(() => studio.emulator.store.clear());

  /** datachain's create_job: every field present, unset ones null, plus its own two. */
  const datachainCreate = {
    query: "print(1)",
    query_type: "PYTHON",
    environment: "",
    workers: null,
    query_name: "job.py",
    rerun_from_job_id: null,
    reset: false,
    files: [],
    python_version: null,
    requirements: "",
    repository: null,
    priority: 5,
    compute_cluster_name: null,
    start_after: null,
    cron_expression: null,
    credentials_name: null,
    team_name: "demo",
  };

  it("creates with the token scheme, null optional fields, rerun_from_job_id and reset", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { json: datachainCreate, scheme: "token" });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: "QUEUED", environment: {}, workers: 1, requirements: "", name: "job.py", team: "demo" });
    const rerun = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: {
        ...datachainCreate,
        rerun_from_job_id: (reply.body as { id: string }).id,
        reset: true,
        environment: null,
        requirements: null,
        files: null,
        priority: null,
      },
      scheme: "token",
    });
    expect(rerun.status).toBe(200);
    // A priority left out is Studio's default, 5.
    expect(studio.emulator.store.allJobs().map((j) => j.priority)).toEqual([5, 5]);
  });

  it("accepts null for every optional field of JobInput", async () => {
    const optional = [
      "query_type",
      "environment",
      "workers",
      "query_name",
      "files",
      "python_version",
      "requirements",
      "repository",
      "priority",
      "compute_cluster_name",
      "compute_cluster_id",
      "start_after",
      "cron_expression",
      "credentials_name",
      "rerun_from_job_id",
      "reset",
    ];
    const body = { query: "print(1)", team_name: "demo", ...Object.fromEntries(optional.map((key) => [key, null])) };
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", { json: body, scheme: "token" });
    expect(reply).toMatchObject({
      status: 200,
      body: {
        status: "QUEUED",
        query_type: "PYTHON",
        name: "",
        environment: {},
        workers: 1,
        python_version: null,
        requirements: "",
        repository: null,
      },
    });
    expect(studio.emulator.store.allJobs()[0]).toMatchObject({
      priority: 5,
      cluster_id: 1,
      cron_expression: null,
      start_after: null,
      files: [],
    });
  });

  it("schedules a cron job sent with start_after = now in Python's isoformat: a TASK that fires at the next slot", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: { ...datachainCreate, cron_expression: "0 * * * *", start_after: "2026-11-01T00:00:00.123456+00:00" },
      scheme: "token",
    });
    expect(reply).toMatchObject({ status: 200, body: { status: "TASK" } });
    expect(studio.emulator.store.allJobs()[0]?.next_at).toBe(Date.parse("2026-11-01T01:00:00Z"));
  });

  it("holds a one-off job with a start time and no offset (taken as UTC) as SCHEDULED until due", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/", {
      json: { ...datachainCreate, start_after: "2026-11-01T06:30:00" },
      scheme: "token",
    });
    expect(reply).toMatchObject({ status: 200, body: { status: "SCHEDULED" } });
    expect(studio.emulator.store.allJobs()[0]?.next_at).toBe(Date.parse("2026-11-01T06:30:00Z"));
  });

  it("sends team_name as a query parameter on listings, uploads and clusters, and in the body of a cancel", async () => {
    const created = await rawCall(url, "POST", "/api/datachain/jobs/", { json: datachainCreate, scheme: "token" });
    const id = (created.body as { id: string }).id;
    const listed = await rawCall(url, "GET", `/api/datachain/jobs/?limit=20&job_id=${id}&team_name=demo`, { scheme: "token" });
    expect(listed).toMatchObject({ status: 200, body: [{ id, name: "job.py" }] });
    const clusters = await rawCall(url, "GET", "/api/datachain/clusters/?team_name=demo", { scheme: "token" });
    expect((clusters.body as { name: string }[]).map((c) => c.name)).toEqual(["default", "gpu-pool", "legacy"]);
    const form = new FormData();
    form.set("file", new Blob(["a,b\n"], { type: "application/octet-stream" }), "labels.csv");
    const upload = await request(`${url}/api/datachain/jobs/files?team_name=demo`, {
      method: "POST",
      headers: { authorization: "token dev-token" },
      body: form,
    });
    expect(upload.statusCode).toBe(200);
    expect(await upload.body.json()).toEqual({ id: 1, filename: "labels.csv", size: 4, state: "pending", error: null });
    const cancel = await rawCall(url, "POST", `/api/datachain/jobs/${id}/cancel`, { json: { team_name: "demo" }, scheme: "token" });
    expect(cancel).toMatchObject({ status: 200, body: { message: "Successfully canceled" } });
  });

  it("takes team_name as a query parameter on a create too", async () => {
    const reply = await rawCall(url, "POST", "/api/datachain/jobs/?team_name=demo", {
      json: { query: "echo hi", query_type: "SHELL" },
      scheme: "token",
    });
    expect(reply).toMatchObject({ status: 200, body: { team: "demo", query_type: "SHELL" } });
  });
});
