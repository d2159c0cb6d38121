// The HTTP face of the emulator: Studio's five job endpoints, auth, fault injection,
// and the /_emulator/ admin hooks for tests. Replies have the shapes and status codes of
// Studio's API reference: every success is a 200, and both listings are bare arrays.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { sha256Hex } from "../identity/fingerprint.js";
import { isValidStatusFilter } from "../studio/job-status.js";
import { authenticate, authorize, type AuthOutcome, type Scope, type TokenGrant } from "./auth.js";
import type { AdjustableClock } from "./clock.js";
import type { FaultInjector, FaultSettings, ScriptedFault, ScriptedFaultKind } from "./faults.js";
import { MAX_SEED } from "./random.js";
import { InputError, parseJobInput, typeName } from "./job-input.js";
import { readMultipartField } from "./multipart.js";
import {
  decodeSafely,
  declaredLength,
  mayHaveBody,
  parseTarget,
  readBody,
  unsupportedTransferCoding,
  type BodyBudget,
  type RequestTarget,
} from "./request.js";
import { PersistError, type EmulatorStore } from "./store.js";

export interface Reply {
  status: number;
  body: unknown;
  /** A body already serialized, sent as is. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

/** The largest request bodies accepted, in bytes; larger ones are refused with 413 unread. */
export interface BodyLimits {
  jsonBytes: number;
  /** The largest file: its multipart body may be UPLOAD_ENVELOPE_BYTES larger. */
  uploadBytes: number;
  /** All bodies being read at once; past it a request is answered 503 unread. */
  inFlightBytes: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  jsonBytes: 16 * 1024 * 1024,
  uploadBytes: 64 * 1024 * 1024,
  inFlightBytes: 256 * 1024 * 1024,
};

function busy(): Reply {
  return {
    ...message(503, "The emulator is reading too many large request bodies at once; try again shortly."),
    headers: { "retry-after": "1" },
  };
}

export interface ServerContext {
  store: EmulatorStore;
  grants: readonly TokenGrant[];
  faults: FaultInjector;
  clock: AdjustableClock;
  admin: boolean;
  limits: BodyLimits;
  /** What is left of limits.inFlightBytes while bodies are read. */
  budget: BodyBudget;
  /** The emulator's own URL, for job links. */
  baseUrl: () => string;
  /** Counts of /api requests received, by `METHOD path` (cancel paths as `/jobs/{id}/cancel`), for tests and benchmarks. */
  requests: Map<string, number>;
}

const JOBS_PATH = "/api/datachain/jobs/";
const UPLOAD_PATH = "/api/datachain/jobs/files";
const CLUSTERS_PATH = "/api/datachain/clusters/";
const CANCEL_PATH = /^\/api\/datachain\/jobs\/([^/]+)\/cancel$/;
const OPEN_LIST = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE_LIST = Buffer.from("]");
const DEFAULT_LIMIT = 20;
/** The query parameters the emulator reads. */
const QUERY_PARAMETERS = ["team_name", "status", "limit", "job_id"] as const;

type Route =
  | { kind: "jobs"; key: string }
  | { kind: "cancel"; key: string; id: string }
  | { kind: "upload"; key: string }
  | { kind: "clusters"; key: string }
  | { kind: "unknown"; key: string };

function matchRoute(path: string): Route {
  if (path === JOBS_PATH) return { kind: "jobs", key: JOBS_PATH };
  if (path === UPLOAD_PATH) return { kind: "upload", key: UPLOAD_PATH };
  if (path === CLUSTERS_PATH) return { kind: "clusters", key: CLUSTERS_PATH };
  const cancel = CANCEL_PATH.exec(path);
  // parseTarget has already refused a path whose escapes do not decode.
  if (cancel !== null) return { kind: "cancel", key: "/api/datachain/jobs/{id}/cancel", id: decodeSafely(cancel[1] ?? "") ?? "" };
  // One key for every unknown path: a client must not grow the counts without bound.
  return { kind: "unknown", key: "(unknown path)" };
}

function message(status: number, text: string): Reply {
  return { status, body: { message: text } };
}

/**
 * What a multipart body holds besides its file: boundaries and the part's headers, the
 * filename (at most 255 bytes, up to 3 times that %-escaped) included. The upload limit is
 * the file's, as plan checks it (MAX_UPLOAD_BYTES): a file of exactly the limit is taken.
 */
const UPLOAD_ENVELOPE_BYTES = 16 * 1024;

function tooLarge(limit: number): Reply {
  return message(413, `The request body is larger than ${limit} bytes.`);
}

// JSON is UTF-8 (RFC 8259). Buffer.toString would put U+FFFD in place of bytes that are not,
// and the job would be stored with other characters than the client sent, unnoticed. A BOM
// is kept, so it stays a JSON error as before.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new InputError("the body is not valid JSON: it is not UTF-8");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InputError("the body is not valid JSON");
  }
}

/** The team_name query parameter; an empty one is none. */
function queryTeam(query: URLSearchParams): string | undefined {
  const team = query.get("team_name");
  return team === null || team === "" ? undefined : team;
}

/**
 * The team of a create or cancel: the body's team_name, where the API reference puts it,
 * or the query's. When both are given they must agree: a client that sends two teams has a
 * bug a real server would not show the same way, so it is refused rather than one picked.
 * The body is a JSON object (JobInput, JobCancelInput) and its team_name a string or null,
 * like every field the emulator validates: a team_name of 5 beside a query's team is a
 * client's bug too, not a field to pass over.
 */
function teamFrom(query: URLSearchParams, body: unknown): string | undefined {
  const fromQuery = queryTeam(query);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new InputError("the body must be a JSON object");
  const value = (body as Record<string, unknown>)["team_name"];
  if (value !== undefined && value !== null && typeof value !== "string") {
    throw new InputError(`team_name: expected a string, got ${typeName(value)}`);
  }
  const fromBody = value === undefined || value === null || value === "" ? undefined : value;
  if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
    throw new InputError(`team_name: the query says "${fromQuery}" and the body "${fromBody}"; send one team`);
  }
  return fromBody ?? fromQuery;
}

export interface RequestHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /**
   * Resolves once every request that arrived whole on `socket` has been answered: a connection
   * Node's parser gave up on is answered after them, not before (a 400 read as the reply to a
   * create that was made). A request whose body was being read gets no reply of its own.
   */
  settled(socket: Socket): Promise<void>;
}

export function createRequestHandler(ctx: ServerContext): RequestHandler {
  // The request each connection is still handling. Node hands over a pipelined request as soon
  // as it is parsed, while the one before it may still be reading its body; HTTP wants them
  // acted on in order (a listing sent after a create must see it), so each waits its turn.
  // A turn ends once its reply has left for the client: one that sends requests and reads no
  // replies holds one reply here, not one per request (hundreds of listings, gigabytes).
  const latest = new WeakMap<Socket, Turn>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const run = () =>
      handle(ctx, req, res)
        .catch((error: unknown) => {
          if (!res.headersSent) send(res, message(500, `emulator bug: ${(error as Error).message}`));
          else res.destroy();
        })
        .then(() => sent(res));
    const after = latest.get(req.socket)?.done;
    const turn: Turn = { req, after, done: after === undefined ? run() : after.then(run) };
    latest.set(req.socket, turn);
    void turn.done.then(() => {
      if (latest.get(req.socket) === turn) latest.delete(req.socket);
    });
  };
  return Object.assign(handler, {
    settled(socket: Socket): Promise<void> {
      const last = latest.get(socket);
      const pending = last === undefined ? undefined : last.req.complete ? last.done : last.after;
      return pending ?? Promise.resolve();
    },
  });
}

/** A request's turn on its connection: the turn before it, and when its reply has left. */
interface Turn {
  req: IncomingMessage;
  after: Promise<void> | undefined;
  done: Promise<void>;
}

/** Resolves once the reply has been handed to the connection whole, or the connection is gone. */
function sent(res: ServerResponse): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    res.once("finish", resolve);
    res.once("close", resolve);
  });
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const arrived = performance.now();
  const method = req.method ?? "GET";
  // --latency delays every reply but the admin hooks', refusals included: a 401 or a 413
  // answered at once would let a client's handling of them pass a test it fails on a slow link.
  const admin = (req.url ?? "").startsWith("/_emulator/");
  const refuse = async (reply: Reply): Promise<void> => {
    if (!admin) await untilLatency(ctx, arrived);
    refuseUnread(req, res, reply);
  };
  if (req.headers.host === undefined && req.httpVersion === "1.1") {
    await refuse(message(400, "The request has no Host header, which HTTP/1.1 requires."));
    return;
  }
  const coded = unsupportedTransferCoding(req);
  if (coded !== undefined) {
    const said = `Transfer-Encoding "${coded.coding}"`;
    if (coded.framed) await refuse(message(501, `${said} is not supported: send the body chunked, or with a Content-Length.`));
    else {
      // One reply, then the connection closed: Node's own 400 for the body's bytes would follow it.
      res.shouldKeepAlive = false;
      await refuse(
        message(400, `${said} does not end in chunked, so the body's end cannot be found: send it chunked, or with a Content-Length.`),
      );
    }
    return;
  }
  const target = parseTarget(req.url ?? "/");
  if (target === undefined) {
    await refuse(message(400, "The request path or query is malformed (a broken %-escape, or not a path)."));
    return;
  }
  // Studio's server (Django, as its error messages show) reads the last of a repeated parameter,
  // and the emulator read the first: which one a client meant is its bug to see, not to guess.
  const repeated = QUERY_PARAMETERS.find((name) => target.query.getAll(name).length > 1);
  if (repeated !== undefined) {
    await refuse(message(400, `${repeated}: given more than once in the query; send it once`));
    return;
  }
  // Size first, from the headers alone: a body over the limit is never read, whoever sent it.
  const limit = target.path === UPLOAD_PATH ? ctx.limits.uploadBytes + UPLOAD_ENVELOPE_BYTES : ctx.limits.jsonBytes;
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) {
    await refuse(tooLarge(limit));
    return;
  }

  if (target.path.startsWith("/_emulator/")) {
    if (!ctx.admin) {
      refuseUnread(req, res, message(404, "Not found."));
      return;
    }
    const body = await readBody(req, limit, res, ctx.budget);
    if (body === null) refuseUnread(req, res, busy());
    else if (body === undefined) refuseUnread(req, res, tooLarge(limit));
    else send(res, handleAdmin(ctx, method, target.path, body));
    return;
  }

  const route = matchRoute(target.path);
  const routeKey = `${method} ${route.key}`;
  ctx.requests.set(routeKey, (ctx.requests.get(routeKey) ?? 0) + 1);
  // A path no route takes is not found whoever asks, as a server that resolves its URLs before
  // it authenticates answers: a wrong --url path then reads as one, not as a refused token.
  if (route.kind === "unknown") {
    await refuse(message(404, "Not found."));
    return;
  }
  // The token is in the headers: a caller without a valid one is refused before its body is read.
  const who = authenticate(ctx.grants, req.headers.authorization);
  if (!who.ok) {
    // A 401 must say which scheme would do (RFC 9110, 11.6.1): the reference's, Bearer.
    await refuse({ ...message(who.status, who.message), headers: { "www-authenticate": "Bearer" } });
    return;
  }
  // A write's scope, and an upload's team (in its query), do not depend on the body either: a
  // token without them is refused before a body of up to the upload limit is read.
  const refusal = refusedUnread(route, method, target, who.grant);
  if (refusal !== undefined) {
    await refuse(refusal);
    return;
  }
  const body = await readBody(req, limit, res, ctx.budget);
  if (body === null || body === undefined) {
    await refuse(body === null ? busy() : tooLarge(limit));
    return;
  }

  // The rate limit's windows run on the emulator's clock: a test with a manual clock moves them.
  const decision = ctx.faults.decide(method, target.path, body, ctx.clock.now());
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
    reply = dispatch(ctx, req, method, route, target, body, who.grant);
  }
  if (decision.kind === "reset-after") {
    req.socket.destroy();
    return;
  }
  await untilLatency(ctx, arrived);
  send(res, reply);
}

/**
 * Until `latency` ms have passed since the request's handling began (for a pipelined request,
 * once the one before it was answered), however long the work took.
 */
async function untilLatency(ctx: ServerContext, arrived: number): Promise<void> {
  const wait = ctx.faults.latencyMs - (performance.now() - arrived);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * A request whose Expect is not 100-continue (Node's "checkExpectation"): a 417 with the API's
 * JSON error, as every other refusal has, instead of Node's bare one.
 */
export function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  refuseUnread(req, res, message(417, "The request's Expect header asks for what the server does not do: only 100-continue."));
}

/** The refusal of a write whose token lacks JOB write access, or of an upload to no team or to a team the token lacks: known from the headers. */
function refusedUnread(route: Route, method: string, target: RequestTarget, grant: TokenGrant): Reply | undefined {
  if (method !== "POST" || (route.kind !== "jobs" && route.kind !== "cancel" && route.kind !== "upload")) return undefined;
  const team = route.kind === "upload" ? queryTeam(target.query) : undefined;
  const who = authorize(grant, team, "JOB_WRITE");
  if (!who.ok) return message(who.status, who.message);
  return route.kind === "upload" && team === undefined ? message(400, "team_name: required") : undefined;
}

/** Headers and body in one write: a reply costs one system call. */
function send(res: ServerResponse, reply: Reply): void {
  const body = reply.raw ?? Buffer.from(JSON.stringify(reply.body), "utf8");
  res.writeHead(reply.status, { "content-type": "application/json", "content-length": body.length, ...reply.headers });
  res.end(body);
}

/** How long a refused body is drained, unread, before the connection is dropped. */
const LINGER_MS = 1_000;

/**
 * Answer without reading the body into memory. Many clients (undici among them) write
 * their whole body before they read a reply, and see only a broken pipe if the connection
 * is dropped under them; so what still arrives is thrown away as it comes, for at most
 * LINGER_MS, and then the connection is dropped. A body that ends in time leaves the
 * connection usable.
 */
function refuseUnread(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  send(res, reply);
  if (!mayHaveBody(req) || req.complete) return;
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  const stop = () => clearTimeout(timer);
  req.once("end", stop);
  socket.once("close", stop);
  req.resume();
}

function dispatch(
  ctx: ServerContext,
  req: IncomingMessage,
  method: string,
  route: Route,
  target: RequestTarget,
  raw: Buffer,
  grant: TokenGrant,
): Reply {
  const query = target.query;
  // A write's scope was checked before its body was read (refusedUnread); the team is checked
  // once it is known.
  const allowed = (team: string | undefined, scope: Scope): AuthOutcome => authorize(grant, team, scope);
  // HTTP requires a 405 to say which methods the path does take (RFC 9110, 15.5.6).
  const notAllowed = (allow: string): Reply => ({ ...message(405, `Method "${method}" not allowed.`), headers: { allow } });

  try {
    switch (route.kind) {
      case "jobs": {
        if (method === "GET") {
          const team = queryTeam(query);
          const who = allowed(team, "JOB_READ");
          if (!who.ok) return message(who.status, who.message);
          if (team === undefined) return message(400, "team_name: required");
          return listJobs(ctx, team, query);
        }
        if (method !== "POST") return notAllowed("GET, POST");
        const body = parseJson(raw);
        const team = teamFrom(query, body);
        const who = allowed(team, "JOB_WRITE");
        if (!who.ok) return message(who.status, who.message);
        if (team === undefined) return message(400, "team_name: required");
        const record = ctx.store.createJob(parseJobInput(body, team, grant.user, ctx.store));
        return { status: 200, body: null, raw: ctx.store.outputJson(record, ctx.baseUrl()) };
      }
      case "cancel": {
        if (method !== "POST") return notAllowed("POST");
        return cancelJob(ctx, route.id, query, parseJson(raw), allowed);
      }
      case "upload": {
        if (method !== "POST") return notAllowed("POST");
        // Its scope and team were checked from the headers (refusedUnread), before the body.
        const team = queryTeam(query);
        if (team === undefined) return message(400, "team_name: required");
        return uploadFile(ctx, req, team, raw);
      }
      case "clusters": {
        if (method !== "GET") return notAllowed("GET");
        // datachain's client sends team_name on every call; the reference's example sends none.
        const team = queryTeam(query);
        const who = allowed(team, "JOB_READ");
        if (!who.ok) return message(who.status, who.message);
        return { status: 200, body: ctx.store.clusters };
      }
      case "unknown":
        return message(404, "Not found.");
      default: {
        const never: never = route;
        return never;
      }
    }
  } catch (error) {
    if (error instanceof InputError) return message(400, error.message);
    if (error instanceof PersistError) return unsaved(error);
    throw error;
  }
}

/** A change the journal could not keep (507 Insufficient Storage): the store did not make it. */
function unsaved(error: PersistError): Reply {
  return message(507, `${error.message}. Nothing was changed; make room for the journal and try again.`);
}

function cancelJob(
  ctx: ServerContext,
  id: string,
  query: URLSearchParams,
  body: unknown,
  allowed: (team: string | undefined, scope: Scope) => AuthOutcome,
): Reply {
  const team = teamFrom(query, body);
  const who = allowed(team, "JOB_WRITE");
  if (!who.ok) return message(who.status, who.message);
  if (team === undefined) return message(400, "team_name: required");
  const outcome = ctx.store.cancelJob(team, id);
  switch (outcome.kind) {
    case "not-found":
      return message(404, `Job ${id} not found.`);
    case "finished":
      return message(400, `Job ${id} has already finished with status ${outcome.record.status}.`);
    case "already-cancelling":
      return message(200, `Job ${id} is already being canceled.`);
    case "cancelled":
      // The ActionFeedback of Studio's API reference, word for word.
      return message(200, "Successfully canceled");
    default: {
      const never: never = outcome;
      return never;
    }
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
    // Digits only: Number() reads "1e1", "0x2", "2.0" and " 5" as numbers too.
    limit = /^\d+$/.test(limitText) ? Number(limitText) : 0;
    if (limit < 1) return message(400, `limit: "${limitText}" is not a positive integer`);
  }
  const jobId = query.get("job_id");
  const records = ctx.store.listJobs(team, {
    limit,
    ...(status !== null && status !== "" ? { status } : {}),
    ...(jobId !== null && jobId !== "" ? { jobId } : {}),
  });
  const base = ctx.baseUrl();
  const parts: Buffer[] = [OPEN_LIST];
  records.forEach((r, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(ctx.store.outputJson(r, base));
  });
  parts.push(CLOSE_LIST);
  return { status: 200, body: null, raw: Buffer.concat(parts) };
}

function uploadFile(ctx: ServerContext, req: IncomingMessage, team: string, raw: Buffer): Reply {
  const contentType = req.headers["content-type"] ?? "";
  // The media type before its parameters: "multipart/form-dataX" only starts like it.
  if (contentType.split(";", 1)[0]?.trim().toLowerCase() !== "multipart/form-data") {
    return message(400, "expected a multipart/form-data body with a field named file");
  }
  const file = readMultipartField(raw, contentType, "file");
  if (file === undefined) return message(400, "the multipart body could not be read");
  if (file === null) return message(400, "file: required, as a multipart field named file");
  // Studio's server keeps the last of a repeated field, the parser here the first: refused, as a repeated query parameter is.
  if (file.repeated) return message(400, "file: given more than once in the multipart body; send one file");
  if (file.bytes.length > ctx.limits.uploadBytes) return message(413, `The file is larger than ${ctx.limits.uploadBytes} bytes.`);
  // The reference's own example sends the field without a filename.
  const filename = file.filename === undefined || file.filename === "" ? "file" : file.filename;
  const record = ctx.store.addFile(team, filename, file.bytes.length, sha256Hex(file.bytes));
  return {
    status: 200,
    body: { id: record.id, filename: record.filename, size: record.size, state: record.state, error: record.error },
  };
}

/**
 * The latest time the clock may be set to: far inside what a Date holds, so the running
 * clock and every date computed from it (next firings, finish times) stay valid.
 */
const MAX_TIME_MS = Date.UTC(9999, 11, 31);

function handleAdmin(ctx: ServerContext, method: string, path: string, raw: Buffer): Reply {
  try {
    const parsed = parseJson(raw);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return message(400, "the body must be a JSON object");
    const body = parsed as Record<string, unknown>;
    switch (`${method} ${path}`) {
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
        const unknown = unknownKey(body, CLOCK_KEYS);
        if (unknown !== undefined) return message(400, `${unknown}: not a clock setting; give advance_ms or set`);
        if (body["advance_ms"] !== undefined && body["set"] !== undefined) return message(400, "give advance_ms or set, not both");
        // Checked before the clock moves: a time no Date can hold would poison every record made after it.
        const advance = body["advance_ms"];
        const set = typeof body["set"] === "string" ? Date.parse(body["set"]) : Number.NaN;
        const target = typeof advance === "number" ? ctx.clock.now() + advance : set;
        if (typeof advance === "number" && !(Number.isFinite(advance) && advance >= 0)) {
          return message(400, "advance_ms must be a number of milliseconds of at least 0: the clock moves forward");
        }
        if (Number.isNaN(target)) return message(400, "give advance_ms (a number) or set (an ISO date-time)");
        if (target > MAX_TIME_MS || target < 0)
          return message(400, `the clock must stay between 1970 and ${new Date(MAX_TIME_MS).toISOString()}`);
        ctx.clock.set(target);
        ctx.store.tick();
        return { status: 200, body: { now: new Date(ctx.clock.now()).toISOString() } };
      }
      case "POST /_emulator/faults": {
        // The state hook names them latencyMs, errorRate...: sent back so, they were ignored unsaid.
        const unknown = unknownKey(body, FAULT_KEYS);
        if (unknown !== undefined)
          return message(400, `${unknown}: not a fault setting; give ${FAULT_KEYS.slice(0, -1).join(", ")} or scripted`);
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
          if (value === undefined) continue;
          const problem = faultSettingProblem(key, value);
          if (problem !== undefined) return message(400, `${wire}: ${problem}`);
          settings[key] = value as number;
        }
        let scripted: ScriptedFault[] | undefined;
        if (body["scripted"] !== undefined) {
          if (!Array.isArray(body["scripted"])) return message(400, "scripted: must be a list of faults");
          scripted = [];
          for (const [i, fault] of (body["scripted"] as unknown[]).entries()) {
            const checked = checkScriptedFault(fault);
            if (typeof checked === "string") return message(400, `scripted[${i}]: ${checked}`);
            scripted.push(checked);
          }
        }
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
    if (error instanceof PersistError) return unsaved(error);
    throw error;
  }
}

const CLOCK_KEYS = ["advance_ms", "set"] as const;
const FAULT_KEYS = ["latency_ms", "error_rate", "rate_limit", "reset_rate", "seed", "scripted"] as const;

/** The first key of an admin hook's body that the hook does not take: a typo there would change nothing, unsaid. */
function unknownKey(body: Record<string, unknown>, known: readonly string[]): string | undefined {
  return Object.keys(body).find((key) => !known.includes(key));
}

/** What is wrong with a fault setting sent to the admin hook, if anything. */
function faultSettingProblem(key: keyof FaultSettings, value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return "must be a number";
  switch (key) {
    case "errorRate":
    case "resetRate":
      return value >= 0 && value <= 1 ? undefined : "must be a chance from 0 to 1";
    case "latencyMs":
      return Number.isInteger(value) && value >= 0 && value <= 600_000
        ? undefined
        : "must be a whole number of milliseconds from 0 to 600000";
    case "rateLimit":
      return Number.isSafeInteger(value) && value >= 0 ? undefined : "must be a whole number of at least 0";
    // The generator keeps 32 bits of it (random.ts): a larger seed drew the sequence of a smaller one.
    case "seed":
      return Number.isSafeInteger(value) && value >= 0 && value <= MAX_SEED ? undefined : `must be a whole number from 0 to ${MAX_SEED}`;
    default:
      return key satisfies never;
  }
}

const SCRIPTED_KINDS: readonly ScriptedFaultKind[] = ["error", "reset-before", "reset-after", "rate-limit"];

/** A scripted fault as the admin hook takes it, or what is wrong with it. */
function checkScriptedFault(fault: unknown): ScriptedFault | string {
  if (fault === null || typeof fault !== "object" || Array.isArray(fault)) return "must be an object";
  const f = fault as Record<string, unknown>;
  if (typeof f["method"] !== "string" || f["method"] === "") return "method: must be an HTTP method, such as POST";
  if (typeof f["path"] !== "string") return "path: must be a string (a part of the request path)";
  if (!SCRIPTED_KINDS.includes(f["kind"] as ScriptedFaultKind)) return `kind: must be one of ${SCRIPTED_KINDS.join(", ")}`;
  if (f["bodyIncludes"] !== undefined && typeof f["bodyIncludes"] !== "string") return "bodyIncludes: must be a string";
  if (f["times"] !== undefined && !(Number.isSafeInteger(f["times"]) && (f["times"] as number) >= 1))
    return "times: must be a whole number of at least 1";
  return {
    method: f["method"],
    path: f["path"],
    kind: f["kind"] as ScriptedFaultKind,
    ...(f["bodyIncludes"] === undefined ? {} : { bodyIncludes: f["bodyIncludes"] }),
    ...(f["times"] === undefined ? {} : { times: f["times"] as number }),
  };
}
