// The client trusts nothing it is sent. A tiny hostile Studio serves a real listing (made
// by applying a spec to the emulator) with one thing wrong at a time, and records every
// request it gets; each case must end in a clear error (or be handled safely) with no
// stack trace, no secret in any output, no hang, and no create or cancel sent.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { encodeApplied, MARKERS } from "../src/identity/markers.js";
import type { JobOutput } from "../src/studio/types.js";
import { CLI, runCli, spawnCli, type CliResult } from "./cli-helpers.js";
import { rawCall, startCpuClock, startTestStudio } from "./helpers.js";

const TOKEN = "tok-0123456789-hostile";
const SECRET = "s3cr3t-embed-key-value";
const SECRET_ENV = { EMBED_API_KEY: SECRET };

interface Received {
  method: string;
  url: string;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Hostile {
  url: string;
  received: Received[];
  /** Set per test: what the server answers. */
  handler: Handler;
  close(): Promise<void>;
}

async function startHostile(): Promise<Hostile> {
  const state = { received: [] as Received[], handler: (() => undefined) as Handler };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      state.received.push({ method: req.method ?? "", url: req.url ?? "", body });
      state.handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    get received() {
      return state.received;
    },
    set received(value) {
      state.received = value;
    },
    get handler() {
      return state.handler;
    },
    set handler(value) {
      state.handler = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function writeSpec(dir: string, keys: string[]): void {
  const jobs: Record<string, unknown> = {};
  for (const key of keys) {
    jobs[key] = { query: `print("${key}")`, schedule: { cron: "@daily" }, environment: { API_KEY: "${env:EMBED_API_KEY}", REGION: "eu" } };
  }
  writeFileSync(join(dir, "studio-jobs.yaml"), stringify({ version: 1, stack: "hostile", defaults: { team: "demo" }, jobs }));
}

/** Answers every request with an empty list, counting them: how many requests reached the server. */
function countRequests(): () => number {
  let asked = 0;
  hostile.handler = (_req, res) => {
    asked += 1;
    json(res, 200, []);
  };
  return () => asked;
}

/**
 * A directory with the spec of `dir` and a project config (./.datachain/config) whose Studio URL is `url`,
 * and the environment in which the URL is read from there: DATACHAIN_STUDIO_URL unset.
 */
function urlInConfig(url: string): { configured: string; withoutUrl: NodeJS.ProcessEnv } {
  const configured = mkdtempSync(join(tmpdir(), "studio-jobs-url-config-"));
  mkdirSync(join(configured, ".datachain"));
  writeFileSync(join(configured, ".datachain", "config"), `[studio]\nurl = "${url}"\n`);
  writeFileSync(join(configured, "studio-jobs.yaml"), readFileSync(join(dir, "studio-jobs.yaml")));
  const { DATACHAIN_STUDIO_URL: _url, ...withoutUrl } = env({ DATACHAIN_GLOBAL_CONFIG_DIR: configured });
  return { configured, withoutUrl };
}

function specDir(keys: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-hostile-"));
  writeSpec(dir, keys);
  return dir;
}

// The real listing and clusters, as the emulator serves them after an apply of three jobs.
let listing: JobOutput[] = [];
let clusters: unknown[] = [];
let dir = "";
/** The same stack with a fourth job: a plan with one create. */
let dirPlus = "";
let hostile: Hostile;

beforeAll(async () => {
  const studio = await startTestStudio();
  try {
    dir = specDir(["alpha", "beta", "gamma"]);
    dirPlus = specDir(["alpha", "beta", "gamma", "delta"]);
    const env = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token", ...SECRET_ENV };
    const applied = await runCli(["apply", ".", "--yes"], { cwd: dir, env });
    expect(applied.code).toBe(0);
    const jobs = (await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo&limit=100")).body as
      JobOutput[] | { jobs: JobOutput[] };
    listing = Array.isArray(jobs) ? jobs : jobs.jobs;
    const listed = (await rawCall(studio.emulator.url, "GET", "/api/datachain/clusters/")).body as unknown[] | { clusters: unknown[] };
    clusters = Array.isArray(listed) ? listed : listed.clusters;
    expect(listing).toHaveLength(3);
  } finally {
    await studio.close();
  }
  hostile = await startHostile();
});
afterAll(() => hostile.close());

/** A faithful server: the real listing and clusters; writes are refused (and recorded). */
function serve(jobs: unknown = listing, overrides: { clusters?: unknown; write?: Handler } = {}): void {
  hostile.received = [];
  hostile.handler = (req, res, body) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path === "/api/datachain/jobs/") return json(res, 200, jobs);
    if (req.method === "GET" && path === "/api/datachain/clusters/") return json(res, 200, overrides.clusters ?? clusters);
    if (overrides.write !== undefined) return overrides.write(req, res, body);
    return json(res, 418, { message: "this test expects no writes" });
  };
}

afterEach(() => serve());

/** Serves as serve() does, but a listing of jobs is answered with a redirect to `location`. */
function redirectListing(status: number, location: string): void {
  answerListingWith((_req, res) => {
    res.writeHead(status, { location });
    res.end();
  });
}

/** Serves as serve() does, but a listing of jobs is answered by `answer`. */
function answerListingWith(answer: Handler): void {
  serve();
  const faithful = hostile.handler;
  hostile.handler = (req, res, body) => ((req.url ?? "").startsWith("/api/datachain/jobs/") ? answer : faithful)(req, res, body);
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { DATACHAIN_STUDIO_URL: hostile.url, DATACHAIN_STUDIO_TOKEN: TOKEN, ...SECRET_ENV, ...extra };
}

const writes = () => hostile.received.filter((r) => r.method !== "GET");

/** What no run may ever do: print a stack trace or a secret. */
function expectClean(result: CliResult): void {
  const all = result.stdout + result.stderr;
  expect(all).not.toMatch(/^\s+at /m);
  expect(all).not.toContain("Internal error");
  expect(all).not.toContain(SECRET);
  expect(all).not.toContain(TOKEN);
}

const first = (index: number): JobOutput => listing[index] as JobOutput;

/** Every command that lists the team, as each is run here. */
const EVERY_READER: readonly string[][] = [
  ["plan", "."],
  ["apply", ".", "--yes"],
  ["status", "."],
  ["import", "--team", "demo"],
];

/**
 * Every command that lists the team refuses the listing served, with `message` (and, when
 * given, exactly `hint` on the next and last line), and nothing is written.
 */
async function expectListingRefused(message: string, hint?: string, readers = ["plan", "apply", "status", "import"]): Promise<void> {
  for (const argv of EVERY_READER.filter(([command]) => readers.includes(command ?? ""))) {
    const result = await runCli(argv, { cwd: dir, env: env() });
    expect(result.code, argv.join(" ")).toBe(1);
    const error = `Error: Studio's reply to GET /api/datachain/jobs/?team_name=demo: ${message}`;
    if (hint === undefined) expect(result.stderr.split("\n")[0]).toBe(error);
    else expect(result.stderr).toBe(`${error}\n${hint}\n`);
    expectClean(result);
  }
  expect(writes()).toEqual([]);
}
const named = (name: string): JobOutput => listing.find((j) => j.name === name) as JobOutput;

describe("1. a listing that repeats a job id", () => {
  it("collapses identical repeats: no changes, nothing cancelled", async () => {
    serve([...listing, ...listing]);
    for (const argv of [
      ["plan", "."],
      ["apply", ".", "--yes"],
    ]) {
      const result = await runCli(argv, { cwd: dir, env: env() });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("No changes.");
      expectClean(result);
    }
    expect(writes()).toEqual([]);
  });

  it("refuses differing records with one id, naming it", async () => {
    const copy = { ...first(1), status: "QUEUED" };
    serve([...listing, copy]);
    await expectListingRefused(`job ${copy.id} is listed twice with different contents; there is no telling which is true`);
  });

  it("refuses a job listed once more as a run of a schedule, which the plan would not even keep", async () => {
    const job = named("alpha");
    serve([{ ...job, parent_job_id: named("beta").id }, ...listing]);
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      `Error: Studio's reply to GET /api/datachain/jobs/?team_name=demo: job ${job.id} is listed twice with different contents; there is no telling which is true`,
    );
    expect(writes()).toEqual([]);
  });
});

describe("1b. a listing that ignores team_name", () => {
  it("refuses another team's record before anything is planned or cancelled", async () => {
    // Found by a server that lists every team's jobs whatever team_name asks: each team's
    // plan cancelled the jobs the spec keeps in the other.
    const theirs = { ...named("gamma"), id: "ml-job-1", team: "ml" };
    serve([...listing, theirs]);
    await expectListingRefused(
      'job ml-job-1: field "team" is "ml" in the listing of team "demo"; a listing that mixes teams cannot be trusted',
    );
  });

  it("does not quote a long team name, which a cut could leave half a secret of", async () => {
    // Found by an adversarial tester: a team name past 60 characters was cut to 40 before
    // anything was redacted, so a secret across the cut was printed up to it.
    const theirs = { ...named("gamma"), id: "ml-job-2", team: `${"t".repeat(30)}${SECRET}${"t".repeat(30)}` };
    serve([...listing, theirs]);
    await expectListingRefused(
      'job ml-job-2: field "team" is another team\'s name (82 characters) in the listing of team "demo"; a listing that mixes teams cannot be trusted',
    );
  });
});

describe("2. records of the wrong shape", () => {
  const withEnv = (index: number, environment: Record<string, unknown>) => {
    const job = first(index);
    return listing.map((j) => (j === job ? { ...j, environment: { ...j.environment, ...environment } } : j));
  };
  const without = (index: number, field: string) =>
    listing.map((j, i) => {
      if (i !== index) return j;
      const { [field]: _dropped, ...rest } = j as unknown as Record<string, unknown>;
      return rest;
    });
  /** `markers`: a marker of the spec's stack's job, which import (of stack "imported") never reads. */
  const cases: { name: string; jobs: () => unknown; problem: () => string; markers?: true }[] = [
    { name: "a null item", jobs: () => [null, ...listing], problem: () => "item 0: expected a job record (an object), got null" },
    { name: "a number item", jobs: () => [...listing, 7], problem: () => "item 3: expected a job record (an object), got a number" },
    { name: "a string item", jobs: () => ["job", ...listing], problem: () => "item 0: expected a job record (an object), got a string" },
    { name: "a job without id", jobs: () => without(1, "id"), problem: () => 'item 1: field "id" is missing' },
    { name: "a job without status", jobs: () => without(2, "status"), problem: () => `job ${first(2).id}: field "status" is missing` },
    {
      name: "parent_job_id: 0",
      jobs: () => listing.map((j) => ({ ...j, parent_job_id: 0 })),
      problem: () => `job ${first(0).id}: field "parent_job_id" must be null or the id of a job (a non-empty string), got a number`,
    },
    {
      // The conformance pass: the reference's created_at is a date-time, and the plan orders by it.
      name: "a created_at that is no date-time",
      jobs: () => listing.map((j, i) => (i === 1 ? { ...j, created_at: "last Tuesday" } : j)),
      problem: () => `job ${first(1).id}: field "created_at" is not an ISO 8601 date-time, such as 2021-01-01T00:00:00Z`,
    },
    {
      name: "a number as an environment value",
      jobs: () => withEnv(0, { [MARKERS.key]: 5 }),
      problem: () => `job ${first(0).id}: field "environment.${MARKERS.key}" must be a string, got a number`,
    },
    {
      name: "an APPLIED marker with a field of the wrong type",
      jobs: () =>
        withEnv(1, { [MARKERS.applied]: Buffer.from(JSON.stringify({ v: 1, query_type: "PYTHON", cron: 5 })).toString("base64url") }),
      problem: () => `job ${first(1).id}: marker ${MARKERS.applied}: field "cron" must be a string, got a number`,
      markers: true,
    },
    {
      name: "an APPLIED marker that is not JSON",
      jobs: () => withEnv(1, { [MARKERS.applied]: "not-a-marker" }),
      problem: () => `job ${first(1).id}: marker ${MARKERS.applied} is not base64url-encoded JSON`,
      markers: true,
    },
    {
      name: "an APPLIED marker that is not an object",
      jobs: () => withEnv(2, { [MARKERS.applied]: encodeApplied([1] as never) }),
      problem: () => `job ${first(2).id}: marker ${MARKERS.applied}: expected an object, got an array`,
      markers: true,
    },
    {
      name: "an object that is not a listing",
      jobs: () => ({ detail: "nope" }),
      problem: () => "expected a list of jobs (a JSON array), got an object",
    },
  ];

  for (const c of cases) {
    it(`${c.name}: plan, apply, status${c.markers ? "" : " and import"} stop with the record and field`, async () => {
      serve(c.jobs());
      // Found by an adversarial tester: a job made by hand with the stack's markers, one of them
      // mangled, stopped every command with "If Studio's API has changed, please report it",
      // which does not say the job is the cause, nor that cancelling it is the way out.
      const markedJob = c.problem().slice("job ".length, c.problem().indexOf(":"));
      await expectListingRefused(
        c.problem(),
        c.markers
          ? `studio-jobs acts on nothing it cannot read, so it stopped here. studio-jobs did not write these markers: if job ${markedJob} was made or copied by hand with them, cancel it in Studio and run this again; if not, please report it.`
          : "studio-jobs acts on nothing it cannot read, so it stopped here. If Studio's API has changed, please report it.",
        c.markers ? ["plan", "apply", "status"] : undefined,
      );
      if (c.markers) expect((await runCli(["import", "--team", "demo"], { cwd: dir, env: env() })).code).toBe(0);
    });
  }

  it("accepts the older {jobs: [...]} wrapper and null optional fields", async () => {
    serve({ jobs: listing.map((j) => ({ ...j, url: null, requirements: null, repository: null, created_by: 5, exit_code: "x" })) });
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("No changes.");
  });

  it("takes a job of someone else's made without a name, whose name is null: plan, apply, status and import go on", async () => {
    // The conformance pass: query_name is optional in the reference's JobInput (datachain
    // sends null when it has none), and a listing holding one such job stopped every command.
    serve([...listing, { ...named("gamma"), id: "unnamed-1", name: null, environment: {} }]);
    for (const argv of EVERY_READER) {
      const result = await runCli(argv, { cwd: dir, env: env() });
      expect([argv[0], result.code]).toEqual([argv[0], 0]);
      expectClean(result);
    }
    expect(writes()).toEqual([]);
  });

  it("import skips, and says so, a hand-made job whose query_type, workers or query a spec cannot hold", async () => {
    // Found by serving them: query_type "NOTEBOOK", workers 0 and a blank query were written
    // as they are, and validate refused the spec import wrote, with nothing said.
    const handMade = (id: string, fields: Partial<JobOutput>): JobOutput => ({
      ...named("gamma"),
      id,
      name: id,
      environment: {},
      ...fields,
    });
    serve([
      ...listing,
      handMade("notebook", { query_type: "NOTEBOOK" }),
      handMade("no-workers", { workers: 0 }),
      handMade("blank-query", { query: " \n" }),
      handMade("fine", {}),
    ]);
    const result = await runCli(["import", "--team", "demo"], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expectClean(result);
    const cannot = "which a spec cannot hold; fix it in Studio to adopt it.";
    expect(result.stderr.split("\n").filter((line) => line.startsWith("Skipped"))).toEqual([
      `Skipped job notebook: its query_type "NOTEBOOK" is neither PYTHON nor SHELL, ${cannot}`,
      `Skipped job no-workers: its workers is 0, fewer than 1, ${cannot}`,
      `Skipped job blank-query: its query is blank, ${cannot}`,
    ]);
    expect(result.stdout).toContain("\n  fine:\n");
    expect(result.stdout).not.toMatch(/notebook|no-workers|blank-query/);
  });

  it("import does not hide the team's name when a hand-made job's secret-looking variable holds it", async () => {
    // Found by review: SECRET_SCOPE=team2024x (a secret scope named after its team) became a
    // secret the run knows, and the imported spec read "defaults:\n  team: ***".
    serve([
      { ...named("gamma"), team: "team2024x", id: "scoped", name: "scoped", environment: { SECRET_SCOPE: "Team2024x", NOTE: "team2024x" } },
    ]);
    const result = await runCli(["import", "--team", "team2024x"], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expectClean(result);
    expect(result.stdout).toContain("defaults:\n  team: team2024x\n");
    expect(result.stdout).toContain('      NOTE: "team2024x"\n');
    expect(result.stdout).toContain('      SECRET_SCOPE: "${env:STUDIO_SECRET_SCOPED_SECRET_SCOPE}"\n');
    expect(result.stdout + result.stderr).not.toContain("***");
  });

  it("import writes hand-made jobs in time linear in their number: each was looked for among those written before", async () => {
    // Found by importing a listing of 40,000 live jobs made by hand: 18 s of CPU, nearly all
    // in the yaml library's YAMLMap.add, which looks for the key among every key added (20,000
    // took 9 s, now under 2). Judged by the ratio of two sizes, not a time: 5 times the jobs
    // cost about 4 times the CPU here (start-up is in both), and took 10 times before.
    const gamma = named("gamma");
    const cpuOf = async (count: number): Promise<number> => {
      serve(
        Array.from({ length: count }, (_, i) => ({
          ...gamma,
          id: `hand-${i}`,
          name: `hand-${String(i).padStart(5, "0")}`,
          environment: {},
        })),
      );
      const cpuMs = startCpuClock();
      const result = await runCli(["import", "--team", "demo"], { cwd: dir, env: env() });
      const used = cpuMs();
      expect(result.code).toBe(0);
      expect(result.stdout.match(/^ {2}hand-\d{5}:$/gm)).toHaveLength(count);
      expect(result.stdout).toContain(`\n  hand-${String(count - 1).padStart(5, "0")}:\n`);
      return used;
    };
    const small = await cpuOf(4_000);
    const large = await cpuOf(20_000);
    expect(large / small).toBeLessThan(7);
  }, 60_000);

  it("status and import take time linear in the records of one key or name: each was copied with all before it", async () => {
    // Found by listing 100,000 records of one job (a key replaced again and again leaves one
    // each): status took 4 min, 13 s of CPU at 40,000, where plan took 1 s; import alike for
    // hand-made live jobs of one name. Judged by the ratio of two sizes, as above: 6 times the
    // records cost 3 to 4 times the CPU here (start-up is in both; up to 10 with other suites
    // running beside), and 25 to 40 times before.
    const gamma = named("gamma");
    const cpuOf = async (argv: string[], count: number, record: (i: number) => JobOutput): Promise<number> => {
      serve(Array.from({ length: count }, (_, i) => record(i)));
      const cpuMs = startCpuClock();
      const result = await runCli(argv, { cwd: dir, env: env() });
      const used = cpuMs();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(
        argv[0] === "status"
          ? "\ndemo/gamma  hand-0  TASK    in-spec  "
          : `\n  # ${count - 1} more live job(s) share this name; --adopt cancels them\n`,
      );
      return used;
    };
    const at = (i: number) => new Date(Date.parse(gamma.created_at) - i * 1000).toISOString();
    const replaced = (i: number): JobOutput => ({
      ...gamma,
      id: `hand-${i}`,
      status: i === 0 ? gamma.status : "CANCELED",
      created_at: at(i),
    });
    const handMade = (i: number): JobOutput => ({ ...gamma, id: `hand-${i}`, created_at: at(i), environment: {} });
    for (const [argv, record] of [
      [["status", "."], replaced],
      [["import", "--team", "demo"], handMade],
    ] as const) {
      const small = await cpuOf([...argv], 5_000, record);
      const large = await cpuOf([...argv], 30_000, record);
      expect(large / small, argv[0]).toBeLessThan(15);
    }
  }, 120_000);

  it("a cluster of the wrong shape stops the plan", async () => {
    serve(listing, { clusters: [{ ...(clusters[0] as object), max_workers: "8" }] });
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      `Error: Studio's reply to GET /api/datachain/clusters/?team_name=demo: cluster 1: field "max_workers" must be a whole number of at least 0, got a string`,
    );
    expectClean(result);
    expect(writes()).toEqual([]);
  });

  it("replies of the wrong shape to a create, an upload and a cancel fail their step and nothing more", async () => {
    const withFile = specDir(["alpha", "beta"]);
    writeFileSync(join(withFile, "labels.csv"), "a,b\n");
    const spec = {
      version: 1,
      stack: "hostile",
      defaults: { team: "demo" },
      jobs: { alpha: {}, beta: {}, delta: {} } as Record<string, unknown>,
    };
    for (const key of ["alpha", "beta"]) {
      spec.jobs[key] = {
        query: `print("${key}")`,
        schedule: { cron: "@daily" },
        environment: { API_KEY: "${env:EMBED_API_KEY}", REGION: "eu" },
      };
    }
    spec.jobs["delta"] = { query: "print(1)", files: ["labels.csv"] };
    writeFileSync(join(withFile, "studio-jobs.yaml"), stringify(spec));
    serve(listing, {
      write: (req, res) => {
        if (req.url?.startsWith("/api/datachain/jobs/files")) return json(res, 200, { id: "file-1" });
        if (req.url?.endsWith("/cancel")) return json(res, 200, ["done"]);
        return json(res, 200, {});
      },
    });
    const result = await runCli(["apply", ".", "--yes"], { cwd: withFile, env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `upload demo/delta: FAILED: Studio's reply to POST /api/datachain/jobs/files?team_name=demo: the uploaded file: field "id" must be a whole number of at least 0, got a string`,
    );
    expect(result.stdout).toContain("create demo/delta: skipped: upload of labels.csv did not succeed");
    expect(result.stdout).toContain(
      `cancel demo/gamma: FAILED: Studio's reply to POST /api/datachain/jobs/${named("gamma").id}/cancel: expected {"message": ...} (an object), got an array`,
    );
    expectClean(result);
    // One upload, one cancel (retried only on a transport failure), no create.
    expect(writes().map((w) => w.url.split("?")[0])).toEqual([
      "/api/datachain/jobs/files",
      `/api/datachain/jobs/${named("gamma").id}/cancel`,
    ]);
  });
});

/** The listing's three jobs kept as they are, and a new job `delta` that uploads labels.csv (4 bytes). */
function specWithUpload(): string {
  const withFile = specDir(["alpha", "beta", "gamma"]);
  writeFileSync(join(withFile, "labels.csv"), "a,b\n");
  writeFileSync(
    join(withFile, "studio-jobs.yaml"),
    stringify({
      version: 1,
      stack: "hostile",
      defaults: { team: "demo" },
      jobs: {
        ...Object.fromEntries(
          ["alpha", "beta", "gamma"].map((key) => [
            key,
            { query: `print("${key}")`, schedule: { cron: "@daily" }, environment: { API_KEY: "${env:EMBED_API_KEY}", REGION: "eu" } },
          ]),
        ),
        delta: { query: "print(1)", files: ["labels.csv"] },
      },
    }),
  );
  return withFile;
}

describe("2b. an upload id too large to be read exactly", () => {
  it.each(["1e300", "9007199254740993"])("%s: the upload fails, and no create is sent with another id", async (id) => {
    const withFile = specWithUpload();
    serve(listing, {
      write: (req, res) => {
        if (!(req.url ?? "").startsWith("/api/datachain/jobs/files")) return json(res, 418, { message: "no create expected" });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(`{"id": ${id}, "filename": "labels.csv", "size": 4, "state": "pending", "error": null}`);
      },
    });
    const result = await runCli(["apply", ".", "--yes"], { cwd: withFile, env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `upload demo/delta: FAILED: Studio's reply to POST /api/datachain/jobs/files?team_name=demo: the uploaded file: field "id" is a whole number too large to be read exactly (more than 2^53 - 1)`,
    );
    expect(result.stdout).toContain("create demo/delta: skipped: upload of labels.csv did not succeed");
    expectClean(result);
    expect(writes().map((w) => w.url.split("?")[0])).toEqual(["/api/datachain/jobs/files"]);
  });
});

describe("2c. an upload Studio keeps at another size, or says failed", () => {
  it.each([
    ['"size": 3, "error": null', "Studio holds 3 bytes of it where 4 were sent"],
    ['"size": 4, "error": "storage quota exceeded"', 'Studio says the upload failed: "storage quota exceeded"'],
  ])("%s: the upload fails, and no create is sent with the file", async (fields, said) => {
    const withFile = specWithUpload();
    serve(listing, {
      write: (req, res) => {
        if (!(req.url ?? "").startsWith("/api/datachain/jobs/files")) return json(res, 418, { message: "no create expected" });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(`{"id": 5, "filename": "labels.csv", "state": "pending", ${fields}}`);
      },
    });
    const result = await runCli(["apply", ".", "--yes"], { cwd: withFile, env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `upload demo/delta: FAILED: Studio's reply to POST /api/datachain/jobs/files?team_name=demo: the uploaded file: ${said}`,
    );
    expect(result.stdout).toContain("create demo/delta: skipped: upload of labels.csv did not succeed");
    expectClean(result);
    expect(writes().map((w) => w.url.split("?")[0])).toEqual(["/api/datachain/jobs/files"]);
  });

  // Found by a secrets hunt: the error was cut to 200 characters before the token in it was
  // hidden, and a cut that left 1 to 9 of its characters ("Bearer tok-0123…") left them too
  // few to be known as the token's start, so they were printed.
  it.each([180, 184, 188])("an error that quotes the token across its 200th character (%i before it) hides all of it", async (before) => {
    const withFile = specWithUpload();
    serve(listing, {
      write: (req, res) => {
        if (!(req.url ?? "").startsWith("/api/datachain/jobs/files")) return json(res, 418, { message: "no create expected" });
        const error = `${"x".repeat(before)} ${String(req.headers["authorization"])} was refused`;
        json(res, 200, { id: 5, filename: "labels.csv", size: 4, state: "pending", error });
      },
    });
    const result = await runCli(["apply", ".", "--yes"], { cwd: withFile, env: env() });
    expect(result.code).toBe(1);
    const line = result.stdout.split("\n").find((text) => text.includes("upload demo/delta: FAILED")) ?? "";
    expect(line).toContain(`Studio says the upload failed: "${"x".repeat(before)} Bearer ***`);
    expect(line).toMatch(/…"$/);
    expect(result.stdout + result.stderr).not.toContain(TOKEN.slice(0, 4));
    expectClean(result);
  });
});

describe("3. a server error that quotes the request", () => {
  it("never prints the secret or the token, on stdout, stderr, --verbose or a stack", async () => {
    serve(listing, {
      // The server quotes the whole request, headers and all, as many do.
      write: (req, res, body) => json(res, 400, { message: `invalid input: ${body} (sent with ${String(req.headers["authorization"])})` }),
    });
    for (const flags of [[], ["--verbose"]]) {
      const result = await runCli([...flags, "apply", ".", "--yes"], { cwd: dirPlus, env: env() });
      expect(result.code).toBe(1);
      // Studio's message is shortened past a few hundred characters: the token comes last
      // in this reply, so it is checked in a reply of its own below.
      expect(result.stdout).toMatch(/create demo\/delta: FAILED: \[POST\] \/api\/datachain\/jobs\/: 400 invalid input: \{.*API_KEY=\*\*\*/);
      expectClean(result);
    }
    // A 400 is not ambiguous: the create is not retried (one per run).
    expect(writes().map((w) => `${w.method} ${w.url}`)).toEqual(["POST /api/datachain/jobs/", "POST /api/datachain/jobs/"]);
  });

  it("redacts a thrown error's message and its --verbose stack", async () => {
    hostile.received = [];
    hostile.handler = (req, res) => json(res, 400, { message: `bad request from ${String(req.headers["authorization"])}, key ${SECRET}` });
    const result = await runCli(["--verbose", "--url", hostile.url, "plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Error: \[GET\] \/api\/datachain\/(jobs|clusters)\/: 400 bad request from Bearer \*\*\*, key \*\*\*/);
    expect(result.stderr).toContain("RemoteError: [GET]"); // the --verbose stack, redacted too
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  it("refuses a Studio URL with credentials, which would not be sent, before asking anything and without showing them", async () => {
    // Found by review: with --url http://admin:pa55-w0rd@host (or the token written there,
    // https://TOKEN@host) the credentials were dropped unsaid and every request went without
    // them: a 401 naming the wrong cause, or another user's view.
    const asked = countRequests();
    const base = hostile.url.replace(/\/$/, "");
    const hint = (where: string) =>
      `Take them out of the URL (${where}), and give the token with --token, DATACHAIN_STUDIO_TOKEN or datachain's config (\`datachain auth login\`).\n`;
    const refusal = (where: string) =>
      `Error: Studio URL "${base.replace("http://", "http://***@")}/studio" holds credentials (before its @), which studio-jobs never sends: Studio takes a token, given on its own.\n` +
      hint(where);
    for (const userinfo of ["admin:pa55-w0rd", "pa55-w0rd", "admin:", "pa55-w0rd:pa55-w0rd"]) {
      const url = `${base.replace("http://", `http://${userinfo}@`)}/studio`;
      const result = await runCli(["--url", url, "plan", "."], { cwd: dir, env: env() });
      expect([result.code, result.stdout, result.stderr]).toEqual([1, "", refusal("in --url")]);
      // --verbose adds the stack, the URL in it hidden too.
      const verbose = await runCli(["--verbose", "--url", url, "plan", "."], { cwd: dir, env: env() });
      expect([verbose.code, verbose.stderr.startsWith(refusal("in --url")), verbose.stderr.includes("pa55-w0rd")]).toEqual([
        1,
        true,
        false,
      ]);
      const fromEnv = await runCli(["status", "."], { cwd: dir, env: env({ DATACHAIN_STUDIO_URL: url }) });
      expect([fromEnv.code, fromEnv.stderr]).toEqual([1, refusal("in DATACHAIN_STUDIO_URL")]);
    }
    const { configured, withoutUrl } = urlInConfig(`${base.replace("http://", "http://admin:pa55-w0rd@")}/studio`);
    const fromConfig = await runCli(["clusters"], { cwd: configured, env: withoutUrl });
    expect([fromConfig.code, fromConfig.stderr]).toEqual([
      1,
      refusal(`as url in the [studio] section of ${join(configured, ".datachain", "config")}`),
    ]);
    rmSync(configured, { recursive: true, force: true });
    expect(asked()).toBe(0);
  });

  it("hides an ${env:...} value of 40,000 characters that the server quotes back, as any other", async () => {
    // Found by an adversarial tester: V8 refuses a pattern with a run of text that long, so
    // every command failed with "Invalid regular expression: /<the value>/" and printed it.
    const long = `k3y-${"x7Q".repeat(13_333)}`;
    serve(listing, { write: (_req, res, body) => json(res, 400, { message: `invalid input: ${body}` }) });
    const result = await runCli(["apply", ".", "--yes"], { cwd: dirPlus, env: env({ EMBED_API_KEY: long }) });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/create demo\/delta: FAILED: \[POST\] \/api\/datachain\/jobs\/: 400 invalid input: \{.*API_KEY=\*\*\*/);
    expectClean(result);
    expect(result.stdout + result.stderr).not.toContain("x7Qx7Q");
  });

  it("refuses a Studio URL with a query or fragment, pasted from a browser, without showing what follows its ? or #", async () => {
    // Found by a secrets hunt: --verbose printed "studio: http://host/?token=S3cr3t-URLP-gggg7777";
    // what a query or fragment holds is never sent to Studio, and a Studio URL has neither.
    const asked = countRequests();
    const base = hostile.url.replace(/\/$/, "");
    const cases: [string, string][] = [
      [`${base}/?token=S3cr3t-URLP-gggg7777&x=1`, `${base}/?…`],
      [`${base}/studio?t=S3cr3t%2DURLP-gggg7777`, `${base}/studio?…`],
      [`${base}/#access_token=S3cr3t-URLP-gggg7777`, `${base}/#…`],
      [`${base}/?`, `${base}/?…`],
      // Found by review: an @ in the query was taken for the credentials' end, and all
      // before it hidden, the ? too: what followed was shown whole, the token with it.
      [`${base}/?email=ops@b.example&token=S3cr3t-URLP-gggg7777`, "http://***@b.example…"],
      [`${base}/#user=ops@b.example;access_token=S3cr3t-URLP-gggg7777`, "http://***@b.example…"],
    ];
    for (const [url, shown] of cases) {
      const result = await runCli(["--url", url, "plan", "."], { cwd: dir, env: env() });
      expect([result.code, result.stdout]).toEqual([1, ""]);
      const verbose = await runCli(["--verbose", "--url", url, "plan", "."], { cwd: dir, env: env() });
      expect(verbose.stderr).not.toContain("gggg7777");
      expect(result.stderr).toBe(
        `Error: Studio URL "${shown}" has a query or a fragment (from its ? or #), which Studio's URL never has; what follows is not shown, as it may hold a token.\n` +
          "Give Studio's address alone, such as https://studio.datachain.ai (in --url).\n",
      );
    }
    // The hint says where the URL was given. Found by review: one from datachain's config
    // was said to be in --url or DATACHAIN_STUDIO_URL, where the user found none.
    const fromEnv = await runCli(["plan", "."], { cwd: dir, env: env({ DATACHAIN_STUDIO_URL: `${base}/?token=S3cr3t-URLP-gggg7777` }) });
    expect(fromEnv.stderr).toContain("such as https://studio.datachain.ai (in DATACHAIN_STUDIO_URL).\n");
    const { configured, withoutUrl } = urlInConfig(`${base}/#access_token=S3cr3t-URLP-gggg7777`);
    const fromConfig = await runCli(["plan", "."], { cwd: configured, env: withoutUrl });
    expect([fromConfig.code, fromConfig.stderr]).toEqual([
      1,
      `Error: Studio URL "${base}/#…" has a query or a fragment (from its ? or #), which Studio's URL never has; what follows is not shown, as it may hold a token.\n` +
        `Give Studio's address alone, such as https://studio.datachain.ai (as url in the [studio] section of ${join(configured, ".datachain", "config")}).\n`,
    ]);
    rmSync(configured, { recursive: true, force: true });
    // Nor when the URL is not one at all.
    const invalid = await runCli(["--url", "htt p://host/?token=S3cr3t-URLP-gggg7777", "plan", "."], { cwd: dir, env: env() });
    expect(invalid.stderr).toContain('Studio URL "htt p://host/?…" is not a valid URL.');
    expect(asked()).toBe(0);
  });
});

describe("3a. a token with a blank at its end", () => {
  it("is hidden as Studio got it, without the blank", async () => {
    // Found by an adversarial tester: HTTP drops the blanks around a header's value, so a
    // server quoting the Authorization header quoted a token the redactor did not know.
    hostile.received = [];
    hostile.handler = (req, res) => json(res, 401, { message: `bad token [${String(req.headers["authorization"])}]` });
    const result = await runCli(["plan", "."], { cwd: dir, env: env({ DATACHAIN_STUDIO_TOKEN: ` ${TOKEN} ` }) });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(/^Error: \[GET\] \/api\/datachain\/(jobs|clusters)\/: 401 bad token \[Bearer \*\*\*\]$/);
    expectClean(result);
  });
});

describe("3c. a 401 whose body is not Studio's error", () => {
  it("still names where the refused token came from", async () => {
    // A proxy's or a gateway's page in reply to a bad token: the hint that names the token's source went with Studio's JSON alone.
    hostile.handler = (_req, res) => {
      res.writeHead(401, { "content-type": "text/html" });
      res.end("<html><body>Unauthorized</body></html>");
    };
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n").slice(1)).toEqual([
      "Studio refused the token in DATACHAIN_STUDIO_TOKEN, which wins over datachain's config: check it, or unset it to use the token `datachain auth login` saved.",
      "",
    ]);
    expectClean(result);
  });
});

describe("3e. a token too long for a request's headers", () => {
  it("names where the token came from, not --url", async () => {
    // Found by an adversarial tester: a server's 431 (here Node's own, past 16 KiB of
    // headers) was said with "Check --url", though the token is the one header of any length.
    serve();
    const result = await runCli(["plan", "."], { cwd: dir, env: env({ DATACHAIN_STUDIO_TOKEN: `tok-${"Z9".repeat(10_000)}` }) });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")).toEqual([
      expect.stringMatching(
        /^Error: \[GET\] http:\/\/127\.0\.0\.1:\d+\/api\/datachain\/(jobs|clusters)\/\?team_name=demo(&limit=250000)?: 431 an empty body$/,
      ),
      "Studio refused the token in DATACHAIN_STUDIO_TOKEN, which wins over datachain's config: check it, or unset it to use the token `datachain auth login` saved.",
      "",
    ]);
    expectClean(result);
    expect(result.stdout + result.stderr).not.toContain("Z9Z9");
  });
});

describe("3b. a secret that a cut would split", () => {
  // Found by a server placing the token where the client cut the text before it redacted it:
  // past a redirect's 300 characters, across the 64 KiB mark after a run of spaces, across
  // the 8 KiB head of an HTML page. Each printed the token's first part.
  const bearer = (req: IncomingMessage): string => String(req.headers["authorization"]).replace("Bearer ", "");
  const cases: Record<string, Handler> = {
    redirect: (req, res) => {
      // In the path: a query is not shown at all.
      res.writeHead(302, { location: `https://studio.example.com/${"p".repeat(260)}/${bearer(req)}` });
      res.end();
    },
    "text across 64 KiB": (req, res) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`x${" ".repeat(64 * 1024 - 10)}${bearer(req)}`);
    },
    "HTML across 8 KiB": (req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end(`<html><body>${"<br>".repeat(2040)}${bearer(req)}</body></html>`);
    },
    "text across the 1 MiB read, after blanks": (req, res) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`${" ".repeat(1024 * 1024 - 40 * 1024)}x${" ".repeat(40 * 1024 - 10)}${bearer(req)}`);
    },
  };
  it.each(Object.keys(cases))("%s: no part of the token is printed", async (name) => {
    hostile.received = [];
    hostile.handler = cases[name] as Handler;
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: \[GET\] /);
    expect(result.stderr).not.toContain(TOKEN.slice(0, 8));
    expectClean(result);
  });

  // Found by an adversarial tester: a 2xx reply that is not JSON was kept to its first
  // 64 KiB before it was described, so the token across that mark, after a run of spaces
  // (or of entities an HTML page decodes to spaces), was printed up to the cut.
  const notJson: Record<string, Handler> = {
    "text across 64 KiB": (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`x${" ".repeat(64 * 1024 - 10)}${bearer(req)}`);
    },
    "an HTML page across 64 KiB": (req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<html><body>x${"&#0000032;".repeat(6551)}${bearer(req)}</body></html>`);
    },
    "text after leading blanks": (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${" ".repeat(100 * 1024)}x${" ".repeat(64 * 1024 - 10)}${bearer(req)}`);
    },
  };
  it.each(Object.keys(notJson))("a 2xx reply that is not JSON, %s: no part of the token is printed", async (name) => {
    hostile.received = [];
    hostile.handler = notJson[name] as Handler;
    const result = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: Studio's reply to GET \S+ is not JSON \((an HTML page: )?"x( \*\*\*)?"\)\n/);
    expect(result.stderr).not.toContain(TOKEN.slice(0, 8));
    expectClean(result);
  });
});

describe("3c. a server error that quotes the request in another spelling", () => {
  // Found by an adversarial tester: the redactor knew a secret as is, JSON-escaped and
  // URL-encoded, but not in base64 (the Authorization header as a server logs it, Basic
  // auth), nor upper-cased, nor as Java escapes non-ASCII (\u00E4) or MarkupSafe a quote (&#34;).
  const odd = 'pä"ss-wörd-💥-0123';
  const b64 = (text: string): string => Buffer.from(text).toString("base64");
  const environment = (body: string): string => (JSON.parse(body) as { environment: string }).environment.split("\n")[0] ?? "";
  // What each reply holds, and what is shown of it: around the hidden part, only what the
  // secret's neighbours decide (`QmVhcmVyIH` is "Bearer " in base64).
  const cases: Record<string, [(authorization: string, body: string) => string, string]> = {
    "the token in base64": [() => b64(TOKEN), "***Q=="],
    "the Authorization header in base64": [(authorization) => b64(authorization), "QmVhcmVyIH***U="],
    "Basic auth of the token, URL-safe": [() => b64(`studio:${TOKEN}`).replace(/\+/g, "-").replace(/\//g, "_"), "c3R1ZGlvOn***U="],
    "the header upper-cased": [(authorization) => authorization.toUpperCase(), "BEARER ***"],
    "the environment upper-cased": [(_, body) => environment(body).toUpperCase(), "API_KEY=***"],
    "the environment as Java's JSON writes it": [
      (_, body) =>
        JSON.stringify(environment(body))
          .slice(1, -1)
          .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`),
      "API_KEY=***",
    ],
    "the environment as MarkupSafe escapes it": [(_, body) => environment(body).replace(/"/g, "&#34;"), "API_KEY=***"],
    "the environment dumped again by Python's json.dumps, in a JSON error": [
      (_, body) =>
        JSON.stringify(
          JSON.stringify(environment(body)).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
        ).slice(1, -1),
      '\\"API_KEY=***\\"',
    ],
  };
  it.each(Object.keys(cases))("%s: hidden", async (name) => {
    const [spell, shown] = cases[name] as (typeof cases)[string];
    const spelled: string[] = [];
    serve([], {
      write: (req, res, body) => {
        spelled.push(spell(String(req.headers["authorization"]), body));
        // Written by hand: the spelling stands in the reply's text as it is.
        const text = `{"detail": "rejected: ${spelled.at(-1) ?? ""} (end)"}`;
        res.writeHead(400, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.end(text);
      },
    });
    const result = await runCli(["apply", ".", "--yes"], { cwd: dir, env: env({ EMBED_API_KEY: odd }) });
    expect(result.code).toBe(1);
    const failed = result.stdout.split("\n").filter((line) => line.includes(": FAILED: "));
    expect(failed.map((line) => line.replace(/^.*: 400 /, ""))).toEqual(Array(3).fill(`"{"detail": "rejected: ${shown} (end)"}"`));
    for (const form of new Set(spelled)) expect(result.stdout + result.stderr).not.toContain(form);
    expectClean(result);
  });
});

describe("3d. a server error that quotes the request cut short", () => {
  // Found by an adversarial tester: a server that cut the token or a sensitive value short
  // (an ellipsis, pydantic's head and tail of a long value, a line break) had all of it but
  // a few characters printed, as the part left no longer matched the secret.
  const bearer = (req: IncomingMessage): string => String(req.headers["authorization"]).replace("Bearer ", "");
  /** pydantic's input_value: the repr of a value past 50 characters as its first 25 and its last 24. */
  const pydantic = (value: string): string => {
    const repr = `'${value.replace(/\n/g, "\\n")}'`;
    return repr.length > 50 ? `${repr.slice(0, 25)}...${repr.slice(-24)}` : repr;
  };
  const cases: Record<string, [Handler, string]> = {
    "with an ellipsis": [(req, res) => json(res, 401, { message: `bad token ${bearer(req).slice(0, 16)}...` }), "401 bad token ***..."],
    "at the end of the reply": [(req, res) => json(res, 401, { message: `bad token ${bearer(req).slice(0, 15)}` }), "401 bad token ***"],
    "across two lines": [
      (req, res) => json(res, 401, { message: `bad token ${bearer(req).slice(0, 11)}\n${bearer(req).slice(11)} (end)` }),
      "401 bad token *** *** (end)",
    ],
  };
  it.each(Object.keys(cases))("%s: hidden", async (name) => {
    const [handler, shown] = cases[name] as (typeof cases)[string];
    hostile.handler = handler;
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    const said = (result.stdout + result.stderr).split("\n").find((line) => line.includes("/api/datachain/")) ?? "";
    expect(said.replace(/^.*\/api\/datachain\/\w+\/: /, "").replace(/ \(tried once over .*\)$/, "")).toBe(shown);
    expect(result.stdout + result.stderr).not.toContain(TOKEN.slice(0, 10));
    expect(result.stdout + result.stderr).not.toContain(TOKEN.slice(-10));
    expect(result.stdout + result.stderr).not.toContain(SECRET.slice(0, 10));
    expectClean(result);
  });

  it("as pydantic shows a long value, its first and last 24 characters: hidden", async () => {
    const long = `long-secret-${"0123456789".repeat(5)}-end`;
    serve([], {
      write: (_, res, body) => {
        const value = (JSON.parse(body) as { environment: string }).environment.split("\n")[0]?.replace("API_KEY=", "") ?? "";
        json(res, 422, { message: `1 validation error: String should have at most 50 characters [input_value=${pydantic(value)}]` });
      },
    });
    const result = await runCli(["apply", ".", "--yes"], { cwd: dir, env: env({ EMBED_API_KEY: long }) });
    expect(result.code).toBe(1);
    const failed = result.stdout.split("\n").filter((line) => line.includes(": FAILED: "));
    expect(failed.map((line) => line.replace(/^.*: 422 /, ""))).toEqual(
      Array(3).fill("1 validation error: String should have at most 50 characters [input_value='***...***']"),
    );
    expect(result.stdout + result.stderr).not.toContain(long.slice(0, 12));
    expect(result.stdout + result.stderr).not.toContain(long.slice(-12));
    expectClean(result);
  });
});

describe("4. a reply that never ends", () => {
  function drip(): void {
    answerListingWith((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      const timer = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(timer));
    });
  }

  it("stops at the deadline, --timeout or STUDIO_JOBS_TIMEOUT, and says how to raise it", async () => {
    drip();
    for (const [argv, extra, shown] of [
      [["--timeout", "0.4", "plan", "."], {}, "0.4 s"],
      [["plan", "."], { STUDIO_JOBS_TIMEOUT: "0.3" }, "0.3 s"],
      // Written without its 0, and with blanks around it (DECIMAL in connect.ts).
      [["--timeout", ".4", "plan", "."], {}, "0.4 s"],
      [["plan", "."], { STUDIO_JOBS_TIMEOUT: " 0.3 " }, "0.3 s"],
    ] as const) {
      const started = performance.now();
      const result = await runCli([...argv], { cwd: dir, env: env(extra) });
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `Error: [GET] /api/datachain/jobs/?team_name=demo: no complete reply within ${shown}\n` +
          "If Studio is only slow, allow more time with --timeout SECONDS (or STUDIO_JOBS_TIMEOUT); the default is 60.\n",
      );
      expectClean(result);
    }
    expect(writes()).toEqual([]);
  });

  it("status does not wait for one team's listing to say that another's was refused", async () => {
    // Found by a reviewer: closing the client waited for the listing still arriving, here
    // until the deadline of 20 s.
    drip();
    const dripping = hostile.handler;
    hostile.handler = (req, res, body) => {
      if ((req.url ?? "").includes("team_name=other")) return json(res, 403, { message: "Not authorized for the team other." });
      return dripping(req, res, body);
    };
    const started = performance.now();
    const result = await runCli(["--timeout", "20", "--team", "other", "status", "."], { cwd: dir, env: env() });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr.split("\n")[0]).toBe("Error: [GET] /api/datachain/jobs/: 403 Not authorized for the team other.");
    expectClean(result);
  });

  it("does not wait for a listing to say what is wrong with the spec, found while Studio was listed", async () => {
    // The listing starts as soon as the teams are known, beside resolving the spec; a spec
    // problem found then (an unset ${env:...}) was said only once the listing had ended, as
    // closing the client waited for it: here, until the deadline of 20 s.
    drip();
    const started = performance.now();
    const result = await runCli(["--timeout", "20", "plan", "."], { cwd: dir, env: env({ EMBED_API_KEY: undefined }) });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr.split("\n")[0]).toBe(
      "Error: studio-jobs.yaml:11:16: environment variable EMBED_API_KEY is not set; set it, or give a default: ${env:EMBED_API_KEY:-value} (at jobs.alpha.environment.API_KEY)",
    );
    expectClean(result);
    expect(writes()).toEqual([]);
  });

  it("refuses a deadline that is not a positive number written in digits", async () => {
    // Found by an adversarial tester: `0x10` and `1e1` were read as 16 and 10 seconds, unsaid.
    for (const given of ["soon", "0x10", "1e1", "0b11", "-5", "0", ".", "Infinity"]) {
      const result = await runCli(["--timeout", given, "plan", "."], { cwd: dir, env: env() });
      expect([result.code, result.stderr]).toEqual([
        1,
        `Error: --timeout must be a number greater than 0, written in digits (such as 90 or 2.5), got "${given}".\n`,
      ]);
    }
    const fromEnv = await runCli(["plan", "."], { cwd: dir, env: env({ STUDIO_JOBS_TIMEOUT: "1e2", STUDIO_JOBS_MAX_LISTED: "0x10" }) });
    expect(fromEnv.stderr).toBe(
      'Error: STUDIO_JOBS_TIMEOUT must be a number greater than 0, written in digits (such as 90 or 2.5), got "1e2".\n',
    );
    const listed = await runCli(["plan", "."], { cwd: dir, env: env({ STUDIO_JOBS_MAX_LISTED: "1e3" }) });
    expect(listed.stderr).toBe(
      'Error: STUDIO_JOBS_MAX_LISTED must be a whole number from 1 to 9007199254740991, written in digits, got "1e3".\n',
    );
    // Digits past what a number holds exactly.
    const huge = await runCli(["plan", "."], { cwd: dir, env: env({ STUDIO_JOBS_MAX_LISTED: "99999999999999999999" }) });
    expect(huge.stderr).toBe(
      'Error: STUDIO_JOBS_MAX_LISTED must be a whole number from 1 to 9007199254740991, written in digits, got "99999999999999999999".\n',
    );
    expect(hostile.received).toEqual([]);
  });

  it("takes the longest deadline a timer holds, and refuses a longer one instead of timing out at once", async () => {
    // Found by an adversarial tester: past 2^31-1 ms Node's timer fires after 1 ms, so a
    // generous `--timeout 3000000` failed every request "within 3000000 s".
    serve();
    const longest = await runCli(["--timeout", "2147483", "plan", "."], { cwd: dir, env: env() });
    expect(longest).toMatchObject({ code: 0, stderr: "" });
    const asked = hostile.received.length;
    for (const [argv, extra, name, value] of [
      [["--timeout", "3000000", "plan", "."], {}, "--timeout", "3000000"],
      [["plan", "."], { STUDIO_JOBS_TIMEOUT: "1000000000" }, "STUDIO_JOBS_TIMEOUT", "1000000000"],
    ] as const) {
      const result = await runCli([...argv], { cwd: dir, env: env(extra) });
      expect(result).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `Error: ${name} can be at most 2147483 seconds (about 24 days), got "${value}".\n`,
      });
    }
    expect(hostile.received).toHaveLength(asked);
  });
});

describe("5. a reply that never stops", () => {
  it("stops reading at the size cap and says so", async () => {
    let sent = 0;
    answerListingWith((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      const record = `${JSON.stringify(first(0))},`;
      const more = () => {
        // Bounded: far past the cap, should the client not stop reading.
        while (sent < 64 * 1024 * 1024 && !res.destroyed) {
          sent += record.length;
          if (!res.write(record)) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    });
    const result = await runCli(["plan", "."], { cwd: dir, env: env({ STUDIO_JOBS_MAX_REPLY_MB: "1" }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error: Studio's reply to GET /api/datachain/jobs/?team_name=demo is larger than 1 MiB, the most studio-jobs reads for it; it stopped reading\n" +
        "If the team really has that many job records, raise STUDIO_JOBS_MAX_REPLY_MB (in MiB; default 500).\n",
    );
    expect(sent).toBeLessThan(16 * 1024 * 1024);
    expectClean(result);
    expect(writes()).toEqual([]);
  });

  it("refuses a cap larger than one string can hold, instead of failing past it", async () => {
    const result = await runCli(["plan", "."], { cwd: dir, env: env({ STUDIO_JOBS_MAX_REPLY_MB: "2048" }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: STUDIO_JOBS_MAX_REPLY_MB can be at most 511, got "2048": a reply is read into one string, which holds less than 512 MiB.\n',
    );
    expect(hostile.received).toEqual([]);
  });

  it("refuses a declared length past the cap without reading it", async () => {
    answerListingWith((req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(3 * 1024 * 1024) });
      res.write("[");
    });
    const result = await runCli(["plan", "."], { cwd: dir, env: env({ STUDIO_JOBS_MAX_REPLY_MB: "2" }) });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      "Error: Studio's reply to GET /api/datachain/jobs/?team_name=demo is larger than 2 MiB, the most studio-jobs reads for it; it stopped reading",
    );
  });
});

describe("5b. a declared length past the cap, as a process", () => {
  it("is said as such, not as an internal error", async () => {
    // Found while fixing compressed replies: the body, destroyed before anything read it,
    // emitted an error a turn later, uncaught: the built CLI printed "Internal error" and a stack.
    serve();
    const result = await spawnCli(["--team", "demo", "clusters"], { cwd: dir, env: env({ STUDIO_JOBS_MAX_REPLY_MB: "0.00001" }) });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "Error: Studio's reply to GET /api/datachain/clusters/?team_name=demo is larger than 11 bytes, the most studio-jobs reads for it; it stopped reading\n" +
        "A reply this large is not one of Studio's: check --url.\n",
    });
  });
});

describe("6. SIGTERM and SIGINT", () => {
  /** Spawn the built CLI; once the server has seen `ready` requests, send the signals. */
  function interrupt(
    argv: string[],
    cwd: string,
    ready: (received: Received[]) => boolean,
    signals: NodeJS.Signals[],
  ): Promise<CliResult & { ms: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...argv], {
        cwd,
        env: { PATH: process.env["PATH"] ?? "", ...env() },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let sentAt = 0;
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const poll = setInterval(() => {
        if (!ready(hostile.received)) return;
        clearInterval(poll);
        sentAt = performance.now();
        signals.forEach((signal, i) => setTimeout(() => child.kill(signal), i * 100));
      }, 20);
      // Bounded: a child that ignores the signal is killed, and the test fails on its timing.
      const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearInterval(poll);
        clearTimeout(guard);
        resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - sentAt });
      });
    });
  }

  function hang(predicate: (req: IncomingMessage) => boolean): void {
    serve(listing, { write: () => undefined });
    const faithful = hostile.handler;
    hostile.handler = (req, res, body) => {
      if (!predicate(req)) return faithful(req, res, body);
      res.writeHead(200, { "content-type": "application/json" });
      res.write("["); // and nothing more
    };
  }

  it("the first SIGTERM ends a plan waiting on a read, exit 1, with a message", async () => {
    hang((req) => req.method === "GET" && (req.url ?? "").startsWith("/api/datachain/jobs/"));
    const result = await interrupt(["plan", "."], dir, (r) => r.some((x) => x.url.startsWith("/api/datachain/jobs/")), ["SIGTERM"]);
    expect(result.ms).toBeLessThan(3_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error: Interrupted by SIGTERM while waiting for Studio's reply to GET /api/datachain/jobs/?team_name=demo.\n",
    );
    expect(writes()).toEqual([]);
  });

  it("apply reports a write in flight as failed and the steps not started as skipped", async () => {
    const many = specDir(["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]);
    hang((req) => req.method === "POST");
    const result = await interrupt(["apply", ".", "--yes", "--parallelism", "1"], many, (r) => r.some((x) => x.method === "POST"), [
      "SIGINT",
    ]);
    expect(result.ms).toBeLessThan(3_000);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "FAILED: Interrupted by SIGINT while waiting for Studio's reply to POST /api/datachain/jobs/; Studio may or may not have acted on it, and a re-run finds out.",
    );
    expect(result.stdout).toMatch(/Apply finished with failures: 0 created, 0 replaced, 0 cancelled, 1 failed, 2 skipped\./);
    expect(result.stderr).toContain("Interrupted: steps not started were skipped. Run apply again to finish.");
    expect(writes()).toHaveLength(1);
  });

  it("a second signal exits at once", async () => {
    const many = specDir(["alpha", "beta", "gamma", "delta"]);
    hang((req) => req.method === "POST");
    const result = await interrupt(["apply", ".", "--yes"], many, (r) => r.some((x) => x.method === "POST"), ["SIGTERM", "SIGTERM"]);
    // At once: not after the write's grace period (1 s), when apply would have reported the
    // write in flight as failed and said how it finished. Judged by what was printed, not by
    // the time taken, which a loaded machine stretches.
    expect(result.code).toBe(143);
    expect(result.stderr).toContain("Interrupted again by SIGTERM: exiting now.");
    expect(result.stdout).not.toContain("FAILED");
    expect(result.stdout).not.toContain("Apply finished");
  });
});

describe("7. odd replies and wrong URLs", () => {
  it("a 200 with an empty or {} body to a create: looks for the job, and does not send it twice", async () => {
    for (const reply of ["", "{}"]) {
      serve(listing, {
        write: (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(reply);
        },
      });
      const result = await runCli(["apply", ".", "--yes"], { cwd: dirPlus, env: env() });
      expect(result.code).toBe(1);
      const said =
        reply === ""
          ? `Studio's reply to POST ${hostile.url}/api/datachain/jobs/ is not JSON (an empty body)`
          : `Studio's reply to POST /api/datachain/jobs/: the job record: field "id" is missing`;
      expect(result.stdout).toContain(
        `create demo/delta: FAILED: ${said}; the job was not found when the team was listed again, and it is not sent twice: run plan to see whether it exists`,
      );
      expectClean(result);
      expect(writes()).toHaveLength(1);
      // The plan's listing, then the look after the unreadable reply.
      expect(hostile.received.filter((r) => r.url.startsWith("/api/datachain/jobs/?"))).toHaveLength(2);
    }
  });

  it("a create answered 201 whose reply then stalls past the deadline: looked for, and not sent twice", async () => {
    serve(listing, {
      write: (_req, res) => {
        res.writeHead(201, { "content-type": "application/json" });
        res.write('{"id":');
      },
    });
    const result = await runCli(["apply", ".", "--yes", "--timeout", "0.3"], { cwd: dirPlus, env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "create demo/delta: FAILED: [POST] /api/datachain/jobs/: no complete reply within 0.3 s; the job was not found when the team was listed again, and it is not sent twice: run plan to see whether it exists",
    );
    expectClean(result);
    expect(writes()).toHaveLength(1);
    expect(hostile.received.filter((r) => r.url.startsWith("/api/datachain/jobs/?"))).toHaveLength(2);
  });

  it("a create Studio is still making when the deadline passes is not sent again: one job, made once", async () => {
    // Found by an attacker with a proxy that held each create 1.5 s against --timeout 1: the
    // create timed out, was not listed yet, and was sent again; Studio made both, after
    // apply's sweep had looked, and two versions of the job ran until a later apply.
    const studio = await startTestStudio();
    const pending: Promise<unknown>[] = [];
    try {
      hostile.received = [];
      // A gateway in front of the real emulator that holds each create for 600 ms.
      hostile.handler = (req, res, body) => {
        const forward = async () => {
          if (req.method === "POST") await new Promise((resolve) => setTimeout(resolve, 600));
          const reply = await rawCall(studio.emulator.url, req.method ?? "GET", req.url ?? "/", { body });
          if (!res.destroyed) json(res, reply.status, reply.body);
        };
        pending.push(forward());
      };
      const result = await runCli(["apply", ".", "--yes", "--timeout", "0.3"], { cwd: specDir(["slow"]), env: env() });
      await Promise.all(pending);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        "create demo/slow: FAILED: [POST] /api/datachain/jobs/: no complete reply within 0.3 s; Studio may still be making the job (it was not listed yet), and it is not sent again, which could make two: run apply again once Studio answers in time",
      );
      expectClean(result);
      expect(writes()).toHaveLength(1);
      expect(studio.emulator.store.allJobs().map((job) => [job.name, job.status])).toEqual([["slow", "TASK"]]);
    } finally {
      await studio.close();
    }
  });

  // Each status that redirects (REDIRECTS in call-errors.ts).
  it.each([301, 302, 303, 307, 308])("a redirect (%i) is not followed: says where it pointed and which --url to use", async (status) => {
    redirectListing(status, "https://studio.example.com/api/datachain/jobs/");
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: [GET] ${hostile.url}/api/datachain/jobs/?team_name=demo&limit=250000: ${status} redirect to https://studio.example.com/api/datachain/jobs/; redirects are not followed, so the token never goes elsewhere\n` +
        "If Studio has moved, use --url https://studio.example.com.\n",
    );
    expect(hostile.received.filter((r) => r.url.startsWith("/api/datachain/jobs/"))).toHaveLength(1);
  });

  it("a redirect whose Location holds the token as it came hides it as the URL writes it back", async () => {
    // Found hunting for secrets: the Location is named by its href, where the parser
    // percent-encodes `{`, `}` and a backquote in a path but not `|` or `^`: the token
    // printed as Tk%7Bab|cd%7Def^gh%60ij, in neither encoding the redactor knew.
    const token = "Tk{ab|cd}ef^gh`ijXYZ";
    redirectListing(301, `/api/${token}/login?t=${token}#${token}`);
    const result = await runCli(["plan", "."], { cwd: dir, env: env({ DATACHAIN_STUDIO_TOKEN: token }) });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      `Error: [GET] ${hostile.url}/api/datachain/jobs/?team_name=demo&limit=250000: 301 redirect to ${hostile.url}/api/***/login?… (what follows its ? or # is not shown: it may hold a credential); redirects are not followed, so the token never goes elsewhere`,
    );
  });

  it.each([
    ["a query", "https://b.s3.example.com/x/api/a?X-Amz-Signature=5e1f4a9c0d&X-Amz-Credential=AKIA7Q%2F2026&token=zz-9k", "/x/api/a?…"],
    ["a fragment", "https://b.s3.example.com/x/api/#access_token=5e1f4a9c0d", "/x/api/#…"],
    ["an empty query and a fragment", "https://b.s3.example.com/x/api/?#5e1f4a9c0d", "/x/api/?…"],
  ])("a redirect's Location is named without %s, which may hold a signed credential", async (_what, location, shown) => {
    // Found by review: the Location was named whole, and a signed URL's query
    // (?X-Amz-Signature=...&token=...) holds a credential the redactor does not know.
    redirectListing(302, location);
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect([result.code, result.stdout]).toEqual([1, ""]);
    expect(result.stderr).toBe(
      `Error: [GET] ${hostile.url}/api/datachain/jobs/?team_name=demo&limit=250000: 302 redirect to https://b.s3.example.com${shown} (what follows its ? or # is not shown: it may hold a credential); redirects are not followed, so the token never goes elsewhere\n` +
        "If Studio has moved, use --url https://b.s3.example.com/x.\n",
    );
    expect(result.stderr).not.toMatch(/5e1f4a9c0d|AKIA7Q|zz-9k/);
  });

  it.each([
    ["a path on the same server, a sign-in page", "/login?next=/api/datachain/jobs/"],
    ["no web address", "javascript:alert(1)"],
  ])("a redirect to %s suggests no --url", async (_what, location) => {
    // Found by an adversarial tester: "If Studio has moved, use --url null." for the second,
    // and the --url in use for the first.
    redirectListing(307, location);
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n").slice(1)).toEqual([
      "Check --url (or DATACHAIN_STUDIO_URL): it should be Studio's base URL, e.g. https://studio.datachain.ai.",
      "",
    ]);
  });

  it.each([
    ["blanks", "  ", '"{"message":" "}"'],
    ["a NUL", "\u0000", '"{"message":"\\u0000"}"'],
    ["terminal controls", "\u001b\u0007\u0085", '"{"message":"\\u001b\\u0007 "}"'],
  ])("a JSON error whose message shows as nothing (%s) is described as a body, with the URL hint", async (_what, message, shown) => {
    answerListingWith((req, res) => {
      json(res, 400, { message });
    });
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: [GET] ${hostile.url}/api/datachain/jobs/?team_name=demo&limit=250000: 400 ${shown}\n` +
        "Check --url (or DATACHAIN_STUDIO_URL): it should be Studio's base URL, e.g. https://studio.datachain.ai.\n",
    );
  });

  it("a --url ending in /api names the URL tried, strips the HTML, and says to drop /api", async () => {
    hostile.received = [];
    hostile.handler = (_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<!doctype html><html><head><title>404 Not Found</title><style>h1{}</style></head><body><h1>Not Found</h1></body></html>");
    };
    const result = await runCli(["--url", `${hostile.url}/api`, "plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    const [line, hint] = result.stderr.split("\n");
    expect(line).toMatch(
      new RegExp(
        `^Error: \\[GET\\] ${hostile.url}/api/api/datachain/(jobs/\\?team_name=demo&limit=250000|clusters/\\?team_name=demo): 404 an HTML page: "404 Not Found"$`,
      ),
    );
    expect(hint).toBe(`studio-jobs adds /api/... itself: use --url ${hostile.url} (without /api).`);
  });

  it("an HTML login page with 200: a clear error with the URL", async () => {
    hostile.received = [];
    hostile.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<html><head><title>Sign in · Studio</title></head><body><form>...</form></body></html>");
    };
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    const [line, hint] = result.stderr.split("\n");
    expect(line).toMatch(
      new RegExp(
        `^Error: Studio's reply to GET ${hostile.url}/api/datachain/(jobs/\\?team_name=demo&limit=250000|clusters/\\?team_name=demo) is not JSON \\(an HTML page: "Sign in · Studio"\\)$`,
      ),
    );
    expect(hint).toBe("Check --url (or DATACHAIN_STUDIO_URL): it should be Studio's base URL, e.g. https://studio.datachain.ai.");
    expectClean({ code: 1, stdout: result.stdout, stderr: result.stderr });
  });
});

describe("8. a server that keeps asking to wait", () => {
  /** A clock that moves only when the client waits: the waits are the time that passes. */
  function waitingClock(): { now: () => number; sleep: (ms: number) => Promise<void> } {
    let now = Date.parse("2026-11-01T00:00:00Z");
    return {
      now: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    };
  }

  it("announces each long wait without --verbose, and the error says how many tries over how long", async () => {
    // Found by an adversarial tester: against 429 with Retry-After: 60 on every request,
    // clusters printed nothing for 301 s, then only the last 429.
    hostile.received = [];
    hostile.handler = (_req, res) => {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "60" });
      res.end(JSON.stringify({ message: "slow down" }));
    };
    const result = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env(), ...waitingClock() });
    expect(result.code).toBe(1);
    const waits = [2, 3, 4, 5, 6].map(
      (n) =>
        `GET /api/datachain/clusters/?team_name=demo: Studio answered 429 and asked to wait (Retry-After); waiting 1 min before try ${n}, trying for up to 5 min in all.\n`,
    );
    expect(result.stderr).toBe(`${waits.join("")}Error: [GET] /api/datachain/clusters/: 429 slow down (tried 6 times over 5 min)\n`);
    expect(result.stdout).toBe("");
    expect(hostile.received).toHaveLength(6);
    expectClean(result);
    // On a terminal, a live progress line apply may have drawn is cleared first.
    const onTerminal = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env(), tty: true, ...waitingClock() });
    expect(onTerminal.stderr.split("\n")[0]).toBe(`\r\x1b[2K${waits[0]?.trimEnd()}`);
  });

  it("tries again after short Retry-Afters more often than after faults, and after both, within their own budgets", async () => {
    hostile.received = [];
    hostile.handler = (_req, res) => {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "1" });
      res.end(JSON.stringify({ message: "slow down" }));
    };
    const throttled = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env(), ...waitingClock() });
    expect(throttled.stderr).toBe("Error: [GET] /api/datachain/clusters/: 429 slow down (tried 21 times over 20 s)\n");
    expect(hostile.received).toHaveLength(21);
    // Five 503s and then twenty 429s, and the twenty-sixth try is answered.
    hostile.received = [];
    hostile.handler = (_req, res) => {
      const n = hostile.received.length;
      if (n <= 5) json(res, 503, { message: "unavailable" });
      else if (n <= 25) {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "1" });
        res.end(JSON.stringify({ message: "slow down" }));
      } else json(res, 200, clusters);
    };
    const both = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env(), random: () => 1, ...waitingClock() });
    expect([both.code, both.stderr]).toEqual([0, ""]);
    expect(hostile.received).toHaveLength(26);
  });

  it("gives up on an apply 5 min after Studio last let a request through, however many jobs wait", async () => {
    // Found by an adversarial tester: against 429 on every create, 60 creates at
    // --parallelism 16 took 19 min and 1,200 requests: each call's 5 min ran from its own
    // start, and the calls after the first 16 spent theirs waiting their turn.
    const keys = Array.from({ length: 60 }, (_, i) => `job-${i}`);
    const many = specDir(["alpha", "beta", "gamma", ...keys]);
    serve(listing, {
      write: (_req, res) => {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "1" });
        res.end(JSON.stringify({ message: "slow down" }));
      },
    });
    const clock = waitingClock();
    const start = clock.now();
    const result = await runCli(["apply", ".", "--yes", "--parallelism", "16"], { cwd: many, env: env(), ...clock });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Apply finished with failures: 0 created, 0 replaced, 0 cancelled, 60 failed\.$/m);
    expect(clock.now() - start).toBeLessThanOrEqual(5 * 60_000 + 2_000);
    expect(writes().length).toBeLessThan(400);
    // Each says how long it was at it, the calls that spent their 5 min waiting their turn too.
    const failed = result.stdout.split("\n").filter((line) => line.startsWith("  create "));
    expect(failed).toHaveLength(60);
    for (const line of failed) expect(line).toMatch(/: 429 slow down \(tried (once|\d+ times) over (\d+(\.\d)? s|\d min( \d+ s)?)\)$/);
    expect(failed.filter((line) => line.includes("(tried once over ")).length).toBeGreaterThan(20);
    expectClean(result);
  });

  it("says a pause every request waits out once, not once for each request turned away", async () => {
    // Found by an adversarial tester: three creates answered 429 with Retry-After: 60 at once
    // printed three identical lines, though they wait out one pause together. The pause ends
    // only once every request sent has been answered (and the answers read), as in real time.
    let answered = 0;
    serve([], {
      write: (_req, res) => {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "60" });
        res.end(JSON.stringify({ message: "slow down" }), () => (answered += 1));
      },
    });
    let now = Date.parse("2026-11-01T00:00:00Z");
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        let quiet = 0;
        const poll = setInterval(() => {
          quiet = answered === writes().length ? quiet + 1 : 0;
          if (quiet < 3) return;
          clearInterval(poll);
          now += ms;
          resolve();
        }, 5);
      });
    const result = await runCli(["apply", ".", "--yes"], { cwd: dir, env: env(), now: () => now, sleep });
    expect(result.code).toBe(1);
    const waits = result.stderr.split("\n").filter((line) => line.includes("waiting 1 min"));
    // Three creates, each tried until 5 min had passed: one line for each pause.
    expect(writes().length).toBeGreaterThan(waits.length + 2);
    expect(waits).toEqual(
      [2, 3, 4, 5, 6].map(
        (n) =>
          `POST /api/datachain/jobs/: Studio answered 429 and asked to wait (Retry-After); waiting 1 min before try ${n}, trying for up to 5 min in all.`,
      ),
    );
    expectClean(result);
  });

  it("keeps the short waits of its own backoff quiet, and still says how many tries over how long", async () => {
    hostile.received = [];
    hostile.handler = (_req, res) => json(res, 503, { message: "unavailable" });
    // The longest backoff each time: 0.2, 0.4, 0.8, 1.6 and 3.2 s.
    const result = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env(), random: () => 1, ...waitingClock() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("Error: [GET] /api/datachain/clusters/: 503 unavailable (tried 6 times over 6.2 s)\n");
    expect(hostile.received).toHaveLength(6);
  });

  it("waits what a 503's Retry-After asks before trying a read again, and gives up saying so when it asks too long", async () => {
    // Retry-After was honoured on a 429 only: a 503 asking for 30 s (a deploy) was tried
    // again after the client's own 0.2 s backoff, and again, all six tries within 7 s.
    hostile.received = [];
    hostile.handler = (_req, res) => {
      if (hostile.received.length > 2) return json(res, 200, clusters);
      res.writeHead(503, { "content-type": "application/json", "retry-after": "30" });
      res.end(JSON.stringify({ message: "deploying" }));
    };
    const clock = waitingClock();
    const start = clock.now();
    const result = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env(), random: () => 1, ...clock });
    expect(result.code).toBe(0);
    expect(clock.now() - start).toBe(60_000);
    expect(result.stderr).toBe(
      [2, 3]
        .map(
          (n) =>
            `GET /api/datachain/clusters/?team_name=demo: Studio answered 503 and asked to wait (Retry-After); waiting 30 s before try ${n} of 6.\n`,
        )
        .join(""),
    );
    hostile.received = [];
    hostile.handler = (_req, res) => {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "7200" });
      res.end(JSON.stringify({ message: "maintenance" }));
    };
    const tooLong = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env(), ...waitingClock() });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toBe(
      "Error: [GET] /api/datachain/clusters/: 503 maintenance\n" +
        "Studio asked to wait 7200 s before trying again (Retry-After), longer than the 60 s studio-jobs waits; run it again later.\n",
    );
    expect(hostile.received).toHaveLength(1);
  });

  it("with --verbose says every retry, in its own line, and no second line for a long wait", async () => {
    hostile.received = [];
    let count = 0;
    hostile.handler = (_req, res) => {
      count++;
      if (count > 2) return json(res, 200, clusters);
      res.writeHead(429, { "content-type": "application/json", "retry-after": count === 1 ? "1" : "30" });
      res.end(JSON.stringify({ message: "slow down" }));
    };
    const result = await runCli(["--verbose", "--team", "demo", "clusters"], { cwd: dir, env: env(), ...waitingClock() });
    expect(result.code).toBe(0);
    expect(result.stderr.split("\n").filter((line) => !line.startsWith("studio: "))).toEqual([
      "retry 1: [GET] /api/datachain/clusters/ after 429, waiting 1000 ms",
      "retry 2: [GET] /api/datachain/clusters/ after 429, waiting 30000 ms",
      "",
    ]);
  });
});

describe("9. fields the tool never reads", () => {
  /** The clusters listing as text, with `extra` (JSON text) as one more field of the first cluster. */
  function clustersWith(extra: string): string {
    const [first, ...rest] = clusters.map((c) => JSON.stringify(c));
    return `[${(first as string).slice(0, -1)},"extra":${extra}}${rest.map((c) => `,${c}`).join("")}]`;
  }

  it("clusters shows the same table and JSON, whatever else a cluster holds, however deeply nested", async () => {
    // Found by an adversarial tester: 200,000 nested [ in an unknown field made
    // clusters --format json end in "Internal error: this is a bug" (JSON.stringify ran out of stack).
    const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    for (const body of [JSON.stringify(clusters), clustersWith(deep), clustersWith('{"note":"x","n":[1,2]}')]) {
      hostile.received = [];
      hostile.handler = (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
      };
      const asJson = await runCli(["--team", "demo", "clusters", "--format", "json"], { cwd: dir, env: env() });
      expect([asJson.code, asJson.stderr]).toEqual([0, ""]);
      expect(asJson.stdout).toBe(`${JSON.stringify(clusters, null, 2)}\n`);
      const table = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env() });
      expect([table.code, table.stderr]).toEqual([0, ""]);
      expect(table.stdout).toBe(
        [
          "ID  NAME      STATUS    DEFAULT  MAX WORKERS  CLOUD",
          "1   default   active    yes      8            AWS",
          "2   gpu-pool  active             32           AWS",
          "3   legacy    inactive           4            GCP",
          "",
        ].join("\n"),
      );
    }
  });
});

describe("10. a compressed reply, never asked for", () => {
  const URL_HINT = "Check --url (or DATACHAIN_STUDIO_URL): it should be Studio's base URL, e.g. https://studio.datachain.ai.";

  // Found by an adversarial tester: a gzip reply was read as text, reported as mojibake
  // and "Check --url", without a word about compression.
  it.each([
    ["gzip", gzipSync],
    ["br", brotliCompressSync],
    ["deflate", deflateSync],
  ] as const)("%s: says so, asks for none, and never decompresses it", async (coding, compress) => {
    hostile.received = [];
    const asked: (string | undefined)[] = [];
    hostile.handler = (req, res) => {
      asked.push(req.headers["accept-encoding"]);
      res.writeHead(200, { "content-type": "application/json", "content-encoding": coding });
      res.end(compress(Buffer.from(JSON.stringify(clusters))));
    };
    const result = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: Studio's reply to GET ${hostile.url}/api/datachain/clusters/?team_name=demo is compressed (Content-Encoding: ${coding}), which studio-jobs did not ask for\n${URL_HINT}\n`,
    );
    expect(result.stdout).toBe("");
    // Asked for none: without Accept-Encoding any coding would be acceptable (RFC 9110).
    expect(asked).toEqual(["identity"]);
  });

  it("a compression bomb stays a few KiB: the error, at once", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x5b)); // 64 MiB of [
    expect(bomb.length).toBeLessThan(128 * 1024);
    hostile.received = [];
    hostile.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": bomb.length });
      res.end(bomb);
    };
    const result = await runCli(["plan", "."], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(/is compressed \(Content-Encoding: gzip\), which studio-jobs did not ask for$/);
    expectClean(result);
  });

  it("an error reply compressed: its status, and that it is compressed", async () => {
    hostile.received = [];
    hostile.handler = (_req, res) => {
      res.writeHead(400, { "content-type": "application/json", "content-encoding": "GZIP, identity" });
      res.end(gzipSync(Buffer.from(JSON.stringify({ message: "bad request" }))));
    };
    const result = await runCli(["--team", "demo", "clusters"], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: [GET] ${hostile.url}/api/datachain/clusters/?team_name=demo: 400 a compressed body (Content-Encoding: GZIP, identity), which studio-jobs did not ask for\n${URL_HINT}\n`,
    );
  });

  it("Content-Encoding: identity is no compression", async () => {
    hostile.received = [];
    hostile.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "identity" });
      res.end(JSON.stringify(clusters));
    };
    const result = await runCli(["--team", "demo", "clusters", "--format", "json"], { cwd: dir, env: env() });
    expect([result.code, result.stderr, result.stdout]).toEqual([0, "", `${JSON.stringify(clusters, null, 2)}\n`]);
  });
});

describe("11. bytes that are not UTF-8", () => {
  it("a listing with one in a job's name or id is refused by every command, where it is, before anything is planned", async () => {
    // Found by a hostile server: the bytes were read as U+FFFD, so beta's name "b\xFFeta" was
    // another name, and plan and apply made beta again beside it; an id with one was listed
    // (and would be cancelled) as an id Studio never gave.
    const text = JSON.stringify(listing);
    for (const field of [`"name":"beta"`, `"id":"${named("gamma").id}"`]) {
      const at = text.indexOf(field) + field.length - 3;
      const body = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at))]);
      hostile.received = [];
      hostile.handler = (req, res) => {
        if ((req.url ?? "").startsWith("/api/datachain/jobs/?")) {
          res.writeHead(200, { "content-type": "application/json" });
          return void res.end(body);
        }
        if ((req.url ?? "").startsWith("/api/datachain/clusters/")) return json(res, 200, clusters);
        json(res, 418, { message: "this test expects no writes" });
      };
      for (const argv of EVERY_READER) {
        const result = await runCli(argv, { cwd: dir, env: env() });
        expect([argv[0], result.code]).toEqual([argv[0], 1]);
        expect(result.stderr.split("\n")[0]).toBe(
          `Error: Studio's reply to GET ${hostile.url}/api/datachain/jobs/?team_name=demo&limit=250000 is not valid JSON: it is not UTF-8 text, as JSON must be: it stops being UTF-8 at offset ${Buffer.byteLength(text.slice(0, at))} (byte 0xFF)`,
        );
        expectClean(result);
      }
      expect(writes()).toEqual([]);
    }
  });
});

describe("times a server writes its own way", () => {
  it("import takes its values from the newest of two jobs of one name by the moment, not the text of created_at", async () => {
    // Found by a reviewer: as text, `…00Z` sorts after `…00.250Z`, and import took the older
    // job's query. Python writes no fraction when it is zero.
    const unmanaged = (id: string, query: string, created_at: string): JobOutput => ({
      ...first(0),
      id,
      name: "twice",
      query,
      created_at,
      environment: {},
    });
    serve([
      unmanaged("older-1", 'print("older")', "2026-01-01T00:00:00Z"),
      unmanaged("newer-1", 'print("newer")', "2026-01-01T00:00:00.250Z"),
    ]);
    const result = await runCli(["import", "--team", "demo"], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('print("newer")');
    expect(result.stdout).not.toContain('print("older")');
    expect(result.stdout).toContain("from job newer-1");
    expectClean(result);
  });

  it("import writes a job's id and status in its comment as it prints them: a reordering character escaped", async () => {
    // Found by the attacker of import: the comment above each job held Studio's id and status
    // as sent, so a U+202E in them turned the rest of the line round in a review of the spec.
    serve([{ ...first(0), id: "id-\u202egnp.exe", status: "QUEUED\u2066x", name: "odd-id", environment: {} }]);
    const result = await runCli(["import", "--team", "demo"], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("\n  # from job id-\\u202egnp.exe (QUEUED\\u2066x)\n  odd-id:\n");
    expect(result.stdout).not.toMatch(/[\u202e\u2066]/);
    expectClean(result);
  });

  it("import leaves out a live variable named __proto__, which a spec cannot hold, and says so", async () => {
    // A second reviewer: shown instead of dropped, it made import write a spec validate refuses.
    const job = JSON.parse(
      JSON.stringify({ ...first(0), id: "proto-1", name: "odd", environment: {} }).replace(
        '"environment":{}',
        '"environment":{"__proto__":"x","REGION":"eu"}',
      ),
    ) as JobOutput;
    serve([job]);
    const result = await runCli(["import", "--team", "demo"], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '# left out, as a spec cannot hold this variable (a name it refuses or that holds a secret, or a value it cannot hold: more than one line, a NUL, half a character): "__proto__"',
    );
    expect(result.stderr).toContain(
      '1 environment variable was left out: a spec cannot hold a variable of that name, nor one whose name holds a secret, or a value of more than one line, with a NUL or with half a character, so adopting the job drops it:\n  odd: "__proto__"\n',
    );
    expect(result.stdout).toMatch(/environment:\n(?: +#.*\n)* +REGION: "eu"/);
    expect(result.stdout).not.toMatch(/^ +__proto__:/m);
    expectClean(result);
  });

  it("import --out writes what Studio sent with the token hidden, as it prints it: a job id holding it", async () => {
    // Found by an adversarial tester: the file was written as it came, the token in the
    // comment that names each job's id included.
    serve([{ ...first(0), id: `job-${TOKEN}`, name: "odd", environment: {} }]);
    const result = await runCli(["import", "--team", "demo", "--out", "imported.yaml", "--force"], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expectClean(result);
    const yaml = readFileSync(join(dir, "imported.yaml"), "utf8");
    rmSync(join(dir, "imported.yaml"));
    expect(yaml).toContain("  # from job job-*** (TASK)\n");
    expect(yaml).not.toContain(TOKEN);
  });
});

describe("plan --out", () => {
  it("checks the file again before it writes: one put there while Studio was asked is not overwritten", async () => {
    // Found by a reviewer: the check ran only before the listing, and the write came after.
    const notes = join(dirPlus, "notes.json");
    rmSync(notes, { force: true });
    serve();
    const faithful = hostile.handler;
    hostile.handler = (req, res, body) => {
      if (req.method === "GET" && (req.url ?? "").startsWith("/api/datachain/jobs/")) writeFileSync(notes, '{"keep": "me"}\n');
      faithful(req, res, body);
    };
    const made = await runCli(["plan", ".", "--out", "notes.json"], { cwd: dirPlus, env: env() });
    expect([made.code, made.stderr.split("\n").slice(-3)]).toEqual([
      1,
      [
        "Error: --out notes.json would overwrite notes.json, which is not a saved plan; nothing was written.",
        "Give --out a new file, or one a plan was saved to before.",
        "",
      ],
    ]);
    expect(readFileSync(notes, "utf8")).toBe('{"keep": "me"}\n');
    rmSync(notes);
  });
});

describe("a secret Studio echoes in a job's name", () => {
  it("is not written to a saved plan by the warning that names the job", async () => {
    // Found by an adversarial tester: the plan's warnings, which quote what Studio sent (a
    // copied job's name and id), went into the saved plan unredacted, the token with them.
    serve([...listing, { ...first(0), id: `copy-${TOKEN}`, name: `copy of ${TOKEN}` }]);
    const made = await runCli(["plan", ".", "--out", "plan.json"], { cwd: dirPlus, env: env() });
    expect(made.code).toBe(0);
    expectClean(made);
    const text = readFileSync(join(dirPlus, "plan.json"), "utf8");
    expect(text).not.toContain(TOKEN);
    const { warnings } = JSON.parse(text) as { warnings: string[] };
    expect(warnings).toEqual([
      expect.stringMatching(/^Job copy-\*\*\* \("copy of \*\*\*"\) in team demo carries the markers of stack hostile's job/),
    ]);
    const shown = await runCli(["show", "plan.json"], { cwd: dirPlus, env: env() });
    expect(shown.code).toBe(0);
    expectClean(shown);
  });
});

describe("a secret Studio echoes in a job's url", () => {
  it("is not written to a saved plan, which show then prints without it", async () => {
    // Found by an adversarial tester: Studio's url of each job went into the saved plan as
    // it came, unredacted (the file is not printed), so a server that puts the token or a
    // value it was sent into its job links had them written to the CI artifact, in clear.
    serve(listing.map((job) => ({ ...job, url: `https://studio.example/jobs/${job.id}?token=${TOKEN}&key=${SECRET}` })));
    const made = await runCli(["plan", ".", "--out", "plan.json"], { cwd: dirPlus, env: env() });
    expect(made.code).toBe(0);
    expectClean(made);
    const text = readFileSync(join(dirPlus, "plan.json"), "utf8");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SECRET);
    const urls = (JSON.parse(text) as { actions: { job_url?: string }[] }).actions.flatMap((a) => a.job_url ?? []);
    expect(urls.sort()).toEqual(listing.map((job) => `https://studio.example/jobs/${job.id}?token=***&key=***`).sort());
    // Sealed as written: show, with the token, checks the seal and prints it.
    const shown = await runCli(["show", "plan.json", "--format", "json"], { cwd: dirPlus, env: env() });
    expect([shown.code, shown.stderr]).toEqual([0, ""]);
    expectClean(shown);
  });
});
