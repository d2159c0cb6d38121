// The HTTP face of the emulator: Studio's five job endpoints, auth, fault injection,
// and the /_emulator/ admin hooks for tests.

import type { IncomingMessage, ServerResponse } from "node:http";
import { sha256Hex } from "../spec/fingerprint.js";
import { isValidStatusFilter } from "../studio/status.js";
import { authorize, type Scope, type TokenGrant } from "./auth.js";
import type { AdjustableClock } from "./clock.js";
import type { FaultInjector, FaultSettings, ScriptedFault } from "./faults.js";
import { InputError, parseJobInput } from "./job-input.js";
import { toJobOutput, type EmulatorStore } from "./store.js";

export interface Reply {
  status: number;
  body: unknown;
  /** A body already serialized, sent as is. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export interface ServerContext {
  store: EmulatorStore;
  grants: readonly TokenGrant[];
  faults: FaultInjector;
  clock: AdjustableClock;
  admin: boolean;
  /** The emulator's own URL, for job links. */
  baseUrl: () => string;
  /** Counts of /api requests received, by `METHOD path`, for tests and benchmarks. */
  requests: Map<string, number>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const OPEN_JOBS = Buffer.from('{"jobs":[');
const COMMA = Buffer.from(",");
const CLOSE_JOBS = Buffer.from("]}");
const DEFAULT_LIMIT = 20;

function message(status: number, text: string): Reply {
  return { status, body: { message: text } };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new InputError(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new InputError("the body is not valid JSON");
  }
}

function teamFrom(query: URLSearchParams, body: unknown): string | undefined {
  const fromQuery = query.get("team_name");
  if (fromQuery !== null && fromQuery !== "") return fromQuery;
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const fromBody = (body as Record<string, unknown>)["team_name"];
    if (typeof fromBody === "string" && fromBody !== "") return fromBody;
  }
  return undefined;
}

export function createRequestHandler(ctx: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, message(500, `emulator bug: ${(error as Error).message}`));
      else res.destroy();
    });
  };
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const arrived = performance.now();
  const url = new URL(req.url ?? "/", "http://emulator");
  const method = req.method ?? "GET";
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (error) {
    send(res, message(413, (error as Error).message));
    return;
  }

  if (url.pathname.startsWith("/_emulator/")) {
    send(res, ctx.admin ? handleAdmin(ctx, method, url, body) : message(404, "Not found."));
    return;
  }

  const routeKey = `${method} ${url.pathname.replace(/\/jobs\/[^/]+\/cancel$/, "/jobs/{id}/cancel")}`;
  ctx.requests.set(routeKey, (ctx.requests.get(routeKey) ?? 0) + 1);
  const decision = ctx.faults.decide(method, url.pathname, body.toString("latin1"), Date.now());
  if (decision.kind === "reset-before") {
    req.socket.destroy();
    return;
  }
  let reply: Reply;
  if (decision.kind === "error") reply = message(503, "Service temporarily unavailable (injected).");
  else if (decision.kind === "rate-limit") {
    reply = {
      ...message(429, "Request was throttled."),
      headers: { "retry-after": String(decision.retryAfterSeconds ?? 1) },
    };
  } else {
    reply = await route(ctx, req, method, url, body);
  }
  if (decision.kind === "reset-after") {
    req.socket.destroy();
    return;
  }
  // A reply takes `latency` ms from the request's arrival, however long the work took.
  const wait = ctx.faults.latencyMs - (performance.now() - arrived);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  send(res, reply);
}

function send(res: ServerResponse, reply: Reply): void {
  const body = reply.raw ?? Buffer.from(JSON.stringify(reply.body), "utf8");
  res.writeHead(reply.status, {
    "content-type": "application/json",
    "content-length": body.length,
    ...reply.headers,
  });
  res.end(body);
}

async function route(ctx: ServerContext, req: IncomingMessage, method: string, url: URL, raw: Buffer): Promise<Reply> {
  const path = url.pathname;
  const query = url.searchParams;
  const auth = (team: string | undefined, scope: Scope) => authorize(ctx.grants, req.headers.authorization, team, scope);

  try {
    if (path === "/api/datachain/jobs/") {
      if (method === "GET") {
        const team = query.get("team_name") ?? undefined;
        const who = auth(team, "JOB_READ");
        if (!who.ok) return message(who.status, who.message);
        if (team === undefined || team === "") return message(400, "team_name: required");
        return listJobs(ctx, team, query);
      }
      if (method === "POST") {
        const body = parseJson(raw);
        const team = teamFrom(query, body);
        const who = auth(team, "JOB_WRITE");
        if (!who.ok) return message(who.status, who.message);
        if (team === undefined) return message(400, "team_name: required");
        const input = parseJobInput(body, team, who.grant.user, ctx.store);
        return { status: 201, body: toJobOutput(ctx.store.createJob(input), ctx.baseUrl()) };
      }
      return message(405, `Method "${method}" not allowed.`);
    }

    const cancel = /^\/api\/datachain\/jobs\/([^/]+)\/cancel$/.exec(path);
    if (cancel !== null) {
      if (method !== "POST") return message(405, `Method "${method}" not allowed.`);
      const body = parseJson(raw);
      const team = teamFrom(query, body);
      const who = auth(team, "JOB_WRITE");
      if (!who.ok) return message(who.status, who.message);
      if (team === undefined) return message(400, "team_name: required");
      const id = decodeURIComponent(cancel[1] ?? "");
      const outcome = ctx.store.cancelJob(team, id);
      switch (outcome.kind) {
        case "not-found":
          return message(404, `Job ${id} not found.`);
        case "finished":
          return message(400, `Job ${id} has already finished with status ${outcome.record.status}.`);
        case "already-cancelling":
          return message(200, `Job ${id} is already being canceled.`);
        case "cancelled":
          return message(200, `Job ${id} canceled.`);
        default: {
          const never: never = outcome;
          return never;
        }
      }
    }

    if (path === "/api/datachain/jobs/files") {
      if (method !== "POST") return message(405, `Method "${method}" not allowed.`);
      const team = query.get("team_name") ?? undefined;
      const who = auth(team, "JOB_WRITE");
      if (!who.ok) return message(who.status, who.message);
      if (team === undefined || team === "") return message(400, "team_name: required");
      return await uploadFile(ctx, req, team, raw);
    }

    if (path === "/api/datachain/clusters/") {
      if (method !== "GET") return message(405, `Method "${method}" not allowed.`);
      const team = query.get("team_name") ?? undefined;
      const who = auth(team === "" ? undefined : team, "JOB_READ");
      if (!who.ok) return message(who.status, who.message);
      return { status: 200, body: ctx.store.clusters };
    }

    return message(404, "Not found.");
  } catch (error) {
    if (error instanceof InputError) return message(400, error.message);
    throw error;
  }
}

function listJobs(ctx: ServerContext, team: string, query: URLSearchParams): Reply {
  const status = query.get("status");
  if (status !== null && status !== "" && !isValidStatusFilter(status)) {
    return message(400, `status: "${status}" is not a job status`);
  }
  const limitText = query.get("limit");
  let limit = DEFAULT_LIMIT;
  if (limitText !== null && limitText !== "") {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) return message(400, `limit: "${limitText}" is not a positive integer`);
  }
  const jobId = query.get("job_id");
  const records = ctx.store.listJobs(team, {
    limit,
    ...(status !== null && status !== "" ? { status } : {}),
    ...(jobId !== null && jobId !== "" ? { jobId } : {}),
  });
  const base = ctx.baseUrl();
  const parts: Buffer[] = [OPEN_JOBS];
  records.forEach((r, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(ctx.store.outputJson(r, base));
  });
  parts.push(CLOSE_JOBS);
  return { status: 200, body: null, raw: Buffer.concat(parts) };
}

async function uploadFile(ctx: ServerContext, req: IncomingMessage, team: string, raw: Buffer): Promise<Reply> {
  const contentType = req.headers["content-type"] ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    return message(400, "expected a multipart/form-data body with a field named file");
  }
  let form: FormData;
  try {
    form = await new Request("http://emulator/", { method: "POST", headers: { "content-type": contentType }, body: raw }).formData();
  } catch {
    return message(400, "the multipart body could not be read");
  }
  const file = form.get("file");
  if (file === null || typeof file === "string") return message(400, "file: required, as a file part");
  const bytes = Buffer.from(await file.arrayBuffer());
  const sha256 = sha256Hex(bytes);
  const record = ctx.store.addFile(team, file.name || "upload", bytes.length, sha256);
  return {
    status: 201,
    body: { id: record.id, filename: record.filename, size: record.size, state: record.state, error: record.error },
  };
}

function handleAdmin(ctx: ServerContext, method: string, url: URL, raw: Buffer): Reply {
  try {
    const body = parseJson(raw) as Record<string, unknown>;
    switch (`${method} ${url.pathname}`) {
      case "GET /_emulator/state":
        return {
          status: 200,
          body: {
            now: new Date(ctx.clock.now()).toISOString(),
            jobs: ctx.store.allJobs(),
            files: ctx.store.allFiles(),
            clusters: ctx.store.clusters,
            faults: ctx.faults.current(),
          },
        };
      case "POST /_emulator/clock": {
        if (typeof body["advance_ms"] === "number") ctx.clock.advance(body["advance_ms"]);
        else if (typeof body["set"] === "string") ctx.clock.set(Date.parse(body["set"]));
        else return message(400, "give advance_ms (a number) or set (an ISO date-time)");
        ctx.store.tick();
        return { status: 200, body: { now: new Date(ctx.clock.now()).toISOString() } };
      }
      case "POST /_emulator/faults": {
        const settings: Partial<FaultSettings> = {};
        const keys: [keyof FaultSettings, string][] = [
          ["latencyMs", "latency_ms"],
          ["errorRate", "error_rate"],
          ["rateLimit", "rate_limit"],
          ["resetRate", "reset_rate"],
          ["seed", "seed"],
        ];
        for (const [key, wire] of keys) {
          const value = body[wire];
          if (typeof value === "number") settings[key] = value;
        }
        const scripted = Array.isArray(body["scripted"]) ? (body["scripted"] as ScriptedFault[]) : undefined;
        ctx.faults.configure(settings, scripted);
        return { status: 200, body: ctx.faults.current() };
      }
      case "POST /_emulator/reset":
        ctx.store.clear();
        ctx.faults.configure({ latencyMs: 0, errorRate: 0, rateLimit: 0, resetRate: 0 }, []);
        return message(200, "reset");
      default:
        return message(404, "Not found.");
    }
  } catch (error) {
    if (error instanceof InputError) return message(400, error.message);
    throw error;
  }
}
