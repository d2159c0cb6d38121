import { describe, expect, it } from "vitest";
import { encodeApplied } from "../identity/markers.js";
import { readActionFeedback, readClusterList, readJob, readJobList, readUploadReply } from "./wire.js";

const job = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: "j1",
  url: "https://studio/j1",
  status: "TASK",
  name: "nightly",
  query: "print(1)",
  query_type: "PYTHON",
  team: "demo",
  workers: 1,
  python_version: null,
  requirements: "",
  repository: null,
  environment: { A: "1" },
  created_at: "2026-01-01T00:00:00Z",
  parent_job_id: null,
  ...fields,
});

describe("job records", () => {
  it.each([
    [{ url: 5 }, 'job j1: field "url" must be a string or null, got a number'],
    [{ workers: "2" }, 'job j1: field "workers" must be a whole number of at least 0, got a string'],
    [{ workers: 1.5 }, 'job j1: field "workers" must be a whole number of at least 0, got a number'],
    [{ workers: 1e300 }, 'job j1: field "workers" is a whole number too large to be read exactly (more than 2^53 - 1)'],
    [{ environment: ["A=1"] }, 'job j1: field "environment" must be an object of strings, got an array'],
    [{ environment: { A: null } }, 'job j1: field "environment.A" must be a string, got null'],
    [{ name: "evil\u001b[2Jname" }, 'job j1: field "name" holds control characters'],
    // A reviewer: apply printed a create reply's url raw under "New jobs".
    [{ url: "https://studio/j1\u001b]0;PWNED\u0007" }, 'job j1: field "url" holds control characters'],
    [{ status: "" }, 'job j1: field "status" must be a non-empty string, got an empty string'],
    [{ parent_job_id: "" }, 'job j1: field "parent_job_id" must be null or the id of a job (a non-empty string), got an empty string'],
    [{ parent_job_id: false }, 'job j1: field "parent_job_id" must be null or the id of a job (a non-empty string), got a boolean'],
    [{ id: 42 }, 'item 0: field "id" must be a non-empty string, got a number'],
    [{ environment: { STUDIO_JOBS_KEY: "" } }, "job j1: marker STUDIO_JOBS_KEY is empty"],
    // Found by an adversarial tester: printed in status's table and plan's errors, raw.
    [{ created_at: "2099-01-01\u001b[2J\nroot/evil" }, 'job j1: field "created_at" holds control characters'],
    // The conformance pass: a created_at that is no time was kept, and ordered (which of two
    // duplicates is cancelled) as the newest in a plan and the oldest in status.
    [{ created_at: "yesterday" }, 'job j1: field "created_at" is not an ISO 8601 date-time, such as 2021-01-01T00:00:00Z'],
    [{ created_at: "2026-02-30T00:00:00Z" }, 'job j1: field "created_at" is not an ISO 8601 date-time, such as 2021-01-01T00:00:00Z'],
    [
      { environment: { STUDIO_JOBS_STACK: "s", STUDIO_JOBS_KEY: "prot\u001b]0;pwned\u0007" } },
      "job j1: marker STUDIO_JOBS_KEY holds control characters",
    ],
    [
      { environment: { STUDIO_JOBS_APPLIED: encodeApplied({ v: 1, query_type: "PYTHON", files: [["a.csv"]] } as never) } },
      'job j1: marker STUDIO_JOBS_APPLIED: field "files" must be a list of [name, sha256] pairs, got an array',
    ],
    [
      { environment: { STUDIO_JOBS_APPLIED: encodeApplied({ v: 1, query_type: "PYTHON", cluster: { id: "7" } } as never) } },
      'job j1: marker STUDIO_JOBS_APPLIED: field "cluster" must be {"name": string} or {"id": number}, got an object',
    ],
  ])("refuses %j", (fields, message) => {
    expect(() => readJobList([job(fields)])).toThrow(message);
  });

  it("reads created_at in the reference's form and the other forms of ISO 8601; a record it drops is not read", () => {
    const times = ["2021-01-01T00:00:00Z", "2026-01-01T00:00:00.123456Z", "2026-01-01T09:00:00+09:00", "2026-01-01T00:00:00"];
    const read = readJobList(times.map((created_at, i) => job({ id: `j${i}`, created_at })));
    expect(read.map((r) => r.created_at)).toEqual(times);
    const run = job({ id: "r1", parent_job_id: "j1", created_at: "soon" });
    expect(readJobList([job(), run], { keep: (r) => r.parent_job_id === null }).map((r) => r.id)).toEqual(["j1"]);
  });

  it("checks only the markers of the stack the reader acts for, when it names one", () => {
    const theirs = job({ id: "j2", environment: { STUDIO_JOBS_STACK: "billing", STUDIO_JOBS_APPLIED: "not-json" } });
    const nobodys = job({ id: "j3", environment: { STUDIO_JOBS_STACK: "", STUDIO_JOBS_KEY: "a\u001b[2J" } });
    const ours = job({ id: "j4", environment: { STUDIO_JOBS_STACK: "analytics", STUDIO_JOBS_APPLIED: "not-json" } });
    expect(readJobList([theirs, nobodys], { stack: "analytics" }).map((j) => j.id)).toEqual(["j2", "j3"]);
    expect(() => readJobList([theirs, nobodys, ours], { stack: "analytics" })).toThrow(
      "job j4: marker STUDIO_JOBS_APPLIED is not base64url-encoded JSON",
    );
    expect(() => readJobList([theirs])).toThrow("job j2: marker STUDIO_JOBS_APPLIED is not base64url-encoded JSON");
  });

  it("fills in absent optional fields, and neither checks nor keeps the fields the tool never reads", () => {
    const raw = job({ exit_code: "not a number", created_by: null, extra: { big: "x".repeat(100) } });
    delete raw["url"];
    delete raw["parent_job_id"];
    delete raw["requirements"];
    raw["environment"] = null;
    raw["name"] = null; // a job made without a query_name, which the reference's JobInput makes optional
    const [read] = readJobList({ jobs: [raw] });
    expect(read).toEqual({ ...job(), url: "", parent_job_id: null, requirements: "", environment: {}, name: "" });
    const nameless = job();
    delete nameless["name"];
    expect(readJob(nameless).name).toBe("");
    expect(readJob(job({ finished_at: 5 }))).toEqual(job());
  });

  it("refuses a schedule's id listed again as a run, whichever comes first, but not two copies of a run", () => {
    const run = job({ parent_job_id: "p1" });
    const notRun = (j: { parent_job_id: string | null }) => j.parent_job_id === null;
    expect(() => readJobList([job(), run], { keep: notRun })).toThrow("job j1 is listed twice with different contents");
    expect(() => readJobList([run, job()], { keep: notRun })).toThrow("job j1 is listed twice with different contents");
    expect(readJobList([run, run, job({ id: "j2" })], { keep: notRun }).map((j) => j.id)).toEqual(["j2"]);
  });

  it("refuses a record of another team in a team's listing, kept or dropped", () => {
    // Found by a server that ignores team_name: the plan of each team cancelled the jobs
    // the spec kept in the other.
    const theirs = job({ id: "m1", team: "ml" });
    const message = 'job m1: field "team" is "ml" in the listing of team "demo"; a listing that mixes teams cannot be trusted';
    expect(() => readJobList([job(), theirs], { team: "demo" })).toThrow(message);
    expect(() => readJobList([job(), theirs], { team: "demo", keep: (j) => j.id !== "m1" })).toThrow(message);
    expect(() => readJobList([theirs, job()], { team: "ml" })).toThrow('job j1: field "team" is "demo" in the listing of team "ml"');
    expect(readJobList([job()], { team: "demo" }).map((j) => j.id)).toEqual(["j1"]);
    // The same team as Studio may spell it.
    expect(readJobList([job({ team: "Demo" })], { team: "demo" }).map((j) => j.id)).toEqual(["j1"]);
  });

  it("lets an APPLIED record of another version pass unread", () => {
    const env = { STUDIO_JOBS_APPLIED: encodeApplied({ v: 2, whatever: [1] } as never) };
    expect(readJobList([job({ environment: env })])).toHaveLength(1);
  });

  it("keeps one of identical copies and drops what `keep` does not want", () => {
    const run = job({ id: "r1", parent_job_id: "j1" });
    expect(readJobList([job(), run, job(), run], { keep: (j) => j.parent_job_id === null }).map((j) => j.id)).toEqual(["j1"]);
  });

  it("reads a create's reply as one job", () => {
    expect(readJob(job()).id).toBe("j1");
    expect(() => readJob(null)).toThrow("the reply: expected a job record (an object), got null");
    expect(() => readJob(job({ created_at: "now" }))).toThrow(
      'job j1: field "created_at" is not an ISO 8601 date-time, such as 2021-01-01T00:00:00Z',
    );
  });
});

describe("other replies", () => {
  const cluster = {
    id: 1,
    name: "default",
    status: "ACTIVE",
    cloud_provider: "AWS",
    cloud_credentials: null,
    is_active: true,
    default: true,
    max_workers: 8,
  };

  it("reads clusters as a bare array or wrapped, refusing what the plan relies on when wrong", () => {
    expect(readClusterList([cluster])).toHaveLength(1);
    // Only the fields the tool reads, in the reference's order, whatever else and in whatever order the server sends.
    const { id, ...rest } = cluster;
    const read = readClusterList([{ region: { deep: [[["x"]]] }, ...rest, id, created_by: "someone" }]);
    expect(read).toEqual([cluster]);
    expect(Object.keys(read[0] ?? {})).toEqual(Object.keys(cluster));
    expect(readClusterList([{ ...cluster, status: undefined, cloud_credentials: undefined }])).toEqual([
      { ...cluster, status: null, cloud_credentials: null },
    ]);
    expect(readClusterList({ clusters: [{ ...cluster, cloud_provider: null }] })[0]?.cloud_provider).toBeNull();
    expect(() => readClusterList([{ ...cluster, is_active: "yes" }])).toThrow(
      'cluster 1: field "is_active" must be true or false, got a string',
    );
    expect(() => readClusterList([{ ...cluster, id: 2 ** 53 }])).toThrow(
      'item 0: field "id" is a whole number too large to be read exactly (more than 2^53 - 1)',
    );
    expect(() => readClusterList({})).toThrow("expected a list of clusters (a JSON array), got an object");
    expect(() => readClusterList([{ ...cluster, cloud_provider: "AWS\u001b[31mRED\n" }])).toThrow(
      'cluster 1: field "cloud_provider" holds control characters',
    );
  });

  it("reads an upload's id and a cancel's message", () => {
    expect(readUploadReply({ id: 3, filename: "a" }, 1).id).toBe(3);
    expect(() => readUploadReply({ id: -1 }, 1)).toThrow(
      'the uploaded file: field "id" must be a whole number of at least 0, got a number',
    );
    // Found by an adversarial tester: 1e300 went on as file id "1e+300", and 2^53 + 1 as …992.
    expect(readUploadReply(JSON.parse('{"id": 9007199254740991, "filename": "a", "size": 1}'), 1)).toEqual({ id: 9007199254740991 });
    for (const id of ["1e300", "9007199254740993", "9007199254740992"]) {
      expect(() => readUploadReply(JSON.parse(`{"id": ${id}}`), 1)).toThrow(
        'the uploaded file: field "id" is a whole number too large to be read exactly (more than 2^53 - 1)',
      );
    }
    // Studio's own account of the upload is held to: the size it keeps, its error.
    const reply = { id: 3, filename: "a", size: 4, state: "pending", error: null };
    expect(readUploadReply(reply, 4)).toEqual({ id: 3 });
    expect(readUploadReply({ ...reply, size: null, error: "" }, 9)).toEqual({ id: 3 });
    expect(() => readUploadReply(reply, 5)).toThrow("the uploaded file: Studio holds 4 bytes of it where 5 were sent");
    expect(() => readUploadReply({ ...reply, size: 1 }, 8)).toThrow("the uploaded file: Studio holds 1 byte of it where 8 were sent");
    expect(() => readUploadReply({ ...reply, size: 0 }, 1)).toThrow("the uploaded file: Studio holds 0 bytes of it where 1 was sent");
    // More than was sent is no upload of the spec's file either.
    expect(() => readUploadReply(reply, 3)).toThrow("the uploaded file: Studio holds 4 bytes of it where 3 were sent");
    expect(() => readUploadReply({ ...reply, size: "4" }, 4)).toThrow(
      'the uploaded file: field "size" must be a whole number of at least 0, got a string',
    );
    expect(() => readUploadReply({ ...reply, error: "virus\u001b[2J found\n" }, 4)).toThrow(
      'the uploaded file: Studio says the upload failed: "virus [2J found"',
    );
    // A long error is said in its first 200 characters, not whole.
    expect(() => readUploadReply({ ...reply, error: "x".repeat(300) }, 4)).toThrow(
      `the uploaded file: Studio says the upload failed: "${"x".repeat(199)}…"`,
    );
    expect(() => readUploadReply({ ...reply, error: 7 }, 4)).toThrow(
      'the uploaded file: field "error" must be a string or null, got a number',
    );
    expect(readActionFeedback({ message: "Successfully canceled" })).toBe("Successfully canceled");
    expect(readActionFeedback({})).toBe("");
    expect(() => readActionFeedback({ message: 1 })).toThrow('the reply: field "message" must be a string or null, got a number');
  });
});
