// The Studio jobs API client: typed calls over one keep-alive undici dispatcher, an
// overall deadline and a size cap on every request, retries only where a second try
// cannot do harm, and every reply checked against the wire types (wire.ts) before it is
// returned. Nothing a server says reaches an error message unredacted.

import { setMaxListeners } from "node:events";
import { StringDecoder } from "node:string_decoder";
import type { FormData } from "undici";
import { describeInterruption, InterruptedError, RemoteError, StudioJobsError } from "../errors.js";
import type { Redactor } from "../redact.js";
import { Agent, loadFormData, request, type Dispatcher } from "./http.js";
import {
  backoffDelay,
  formatDuration,
  isNotSentError,
  isTransientError,
  parseRetryAfter,
  pauseUnlessStopped,
  RETRYABLE_STATUSES,
} from "./retry.js";
import type { Cluster, JobInput, JobOutput, UploadReply } from "./types.js";
import { createJobListStream, createWholeReplyStream, ReplySyntaxError, type JobList, type ReplyStream } from "./stream-parse.js";
import { readActionFeedback, readClusterList, readJob, readUploadReply, WireError } from "./wire.js";
import { decodeEntities, describe, formatBytes, formatSeconds, oneLine, readMessage, shorten, stripHtml } from "./reply-text.js";
import { API_PREFIX, baseUrlOf, querySearch } from "./url.js";

export const DEFAULT_TIMEOUT_MS = 60_000;
const MIB = 1024 * 1024;
/**
 * The largest listing read: room for some 500,000 typical records. A bare array is parsed
 * as it streams and never held whole, but the older {"jobs": [...]} form is read into one
 * string, and a JavaScript string holds at most about 512 MiB.
 */
export const DEFAULT_MAX_REPLY_BYTES = 500 * MIB;
/** The most a reply may be allowed to be: one string holds under 512 MiB. */
export const MAX_REPLY_BYTES_LIMIT = 511 * MIB;
/** A single job, cluster list or acknowledgement is small; a reply larger than this is not Studio's. */
const MAX_SMALL_REPLY_BYTES = 16 * MIB;
/** How much of a reply that is not 2xx is read: it is only described, from its start. */
const ERROR_BODY_BYTES = MIB;
/** How much of a server's text is looked at when it is shown (and redacted before the cut). */
const SHOWN_CHARS = 64 * 1024;

export interface StudioClientOptions {
  /** Studio's base URL, without `/api`. */
  url: string;
  token: string;
  /** Injected transport; by default one keep-alive Agent owned by the client. */
  dispatcher?: Dispatcher;
  /** The most one request may take, from sending it to the last byte of the reply (default 60 s). Not retried when hit. */
  timeoutMs?: number;
  /** The largest listing reply read, in bytes (default 500 MiB); other replies are capped lower. */
  maxReplyBytes?: number;
  /** Further tries after the first, for calls that may be retried. */
  retries?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** The longest Retry-After we are willing to wait; past it the 429 is reported. */
  maxRetryAfterMs?: number;
  /** The first `limit` listAllJobs asks for, and the largest it will ask for before failing. */
  listLimit?: { initial: number; ceiling: number };
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** The clock: how long a call's tries took, and what a Retry-After date means (Date.now by default). */
  now?: () => number;
  /** Called before each retry, to say so: the CLI announces long waits, and every retry with --verbose. Never given the token. */
  onRetry?: (event: RetryEvent) => void;
  /**
   * Aborted when the command must stop (SIGINT/SIGTERM): no request starts after it, a read
   * in flight is dropped at once, and a write in flight gets `writeGraceMs` (default 1 s)
   * to come back, so that its outcome is known more often.
   */
  signal?: AbortSignal;
  writeGraceMs?: number;
  /** Hides known secrets in what Studio says, before it goes into an error. */
  redactor?: Pick<Redactor, "redact" | "redactHead">;
}

/** A try that did not succeed and is made again, after `delayMs`. */
export interface RetryEvent {
  method: string;
  /** `/api/datachain/jobs/`. */
  path: string;
  /** `GET /api/datachain/jobs/?team_name=demo`: the request as errors name it. */
  request: string;
  /** Which retry: 1 before the second try. */
  attempt: number;
  /** The most tries the call makes, the first one included. */
  tries: number;
  delayMs: number;
  /** The status Studio answered (`429`), or how the try failed (`ECONNRESET`). */
  reason: string;
  /** The status Studio answered; undefined when no reply came, or one broke off. */
  status: number | undefined;
  /** The wait is the one Studio asked for (Retry-After), not the client's own backoff. */
  retryAfter: boolean;
}

export interface ListJobsQuery {
  status?: string;
  limit?: number;
  jobId?: string;
}

export interface StudioClient {
  readonly url: string;
  listJobs(team: string, query?: ListJobsQuery): Promise<JobOutput[]>;
  /**
   * Every job of the team matching `status`: never a possibly-truncated reply. `keep` drops
   * records the caller has no use for as soon as each reply is read, to hold less in memory.
   */
  listAllJobs(team: string, query?: { status?: string; keep?: (job: JobOutput) => boolean }): Promise<JobOutput[]>;
  /**
   * Not retried after an ambiguous failure: the caller must look before trying again.
   * `finishing`: the second half of a step under way (a cancel-first replacement's create),
   * sent even after a stop request, within the grace period writes in flight get.
   */
  createJob(input: JobInput, options?: { finishing?: boolean }): Promise<JobOutput>;
  cancelJob(team: string, jobId: string): Promise<string>;
  uploadFile(team: string, filename: string, content: Uint8Array): Promise<UploadReply>;
  listClusters(team?: string): Promise<Cluster[]>;
  close(): Promise<void>;
}

/** How a call may be retried. `always`: idempotent. `unsent`: only when the server surely did not act. */
type RetryMode = "always" | "unsent";

interface CallSpec<T> {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: () => FormData;
  retry: RetryMode;
  /**
   * Reads a 2xx reply as it arrives and checks it against its wire type; throws WireError
   * or ReplySyntaxError. A new one for each try.
   */
  reply: () => ReplyStream<T>;
  /** The largest reply read. */
  maxBytes: number;
  /** A write that finishes a step under way: sent after a stop request too, within the writes' grace. */
  finishing?: boolean;
}

/** What one try of a request ended with, when it did not end with a reply. */
type Failure = {
  phase: "send" | "body";
  cause: unknown;
  /** The status the reply's headers carried, when they came before the reply broke off. */
  status?: number;
};

const DEADLINE = Symbol("deadline");

export function createStudioClient(options: StudioClientOptions): StudioClient {
  const base = new URL(options.url);
  const basePath = base.pathname.replace(/\/+$/, "");
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 64 });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxReplyBytes = Math.min(options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES, MAX_REPLY_BYTES_LIMIT);
  const retries = options.retries ?? 5;
  const backoff = options.backoff ?? { baseMs: 200, maxMs: 5_000 };
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  // Asking for many costs nothing when a team has few, and every extra ask re-sends all:
  // nearly every team fits the first ask; a huge one costs one more, 4 times larger.
  const listLimit = options.listLimit ?? { initial: 250_000, ceiling: 1_000_000 };
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const redact = options.redactor?.redact ?? ((text: string) => text);
  const redactHead = options.redactor?.redactHead ?? ((text: string, max: number) => text.slice(0, max));
  const authorization = `Bearer ${options.token}`;
  const origin = base.origin;
  const stop = options.signal;
  const writeGraceMs = options.writeGraceMs ?? 1_000;
  const writeStop = stop === undefined ? undefined : delayedSignal(stop, writeGraceMs);
  // The tries in flight, by the signal that stops them: one listener on each signal for the
  // whole client, not one added and removed per try (see docs/architecture.md, "Applying").
  const readsInFlight = new Set<TryAbort>();
  const writesInFlight = new Set<TryAbort>();
  if (stop !== undefined && writeStop !== undefined) {
    // Retry waits listen on `stop` too, as many as --parallelism: more than Node's default
    // of 10 before it warns of a leak.
    setMaxListeners(0, stop);
    stop.addEventListener("abort", () => abortAll(readsInFlight, stop.reason), { once: true });
    writeStop.addEventListener("abort", () => abortAll(writesInFlight, writeStop.reason), { once: true });
  }

  async function call<T>(spec: CallSpec<T>): Promise<T> {
    // The paths are percent-encoded already, and none has a . or .. segment (cancelJob
    // refuses those ids): joined as they are, they are what the URL parser would make.
    const target: Target<T> = { spec, path: `${basePath}${API_PREFIX}${spec.path}`, search: querySearch(spec.query) };

    const startedAt = now();
    // Whether an earlier try may have been carried out: a stop before the next one must say so.
    let acted = false;
    for (let attempt = 0; ; attempt++) {
      if (stop?.aborted === true && (spec.finishing !== true || attempt > 0)) {
        throw interrupted(stop.reason, `before ${describeRequest(target).request} was sent${attempt > 0 ? " again" : ""}`, acted);
      }
      let outcome: Read<T> | Reply | Failure;
      try {
        outcome = await send(target);
      } catch (error) {
        throw attempt > 0 && error instanceof RemoteError ? afterTries(error, attempt + 1, startedAt) : error;
      }
      if ("value" in outcome) return outcome.value;
      acted ||= mayHaveActed(spec, outcome);
      const again = attempt < retries ? retryDelay(spec, outcome, attempt) : undefined;
      if (again === undefined) {
        const error = failure(spec, describeRequest(target), outcome);
        throw attempt > 0 ? afterTries(error, attempt + 1, startedAt) : error;
      }
      options.onRetry?.({
        method: spec.method,
        path: `${API_PREFIX}${spec.path}`,
        request: describeRequest(target).request,
        attempt: attempt + 1,
        tries: retries + 1,
        status: "phase" in outcome ? undefined : outcome.status,
        ...again,
      });
      if ((await pauseUnlessStopped(again.delayMs, stop, options.sleep)) === "stopped") {
        throw interrupted(stop?.reason, `before ${describeRequest(target).request} was sent again`, acted);
      }
    }
  }

  /**
   * Whether a write's try that did not succeed may have been carried out all the same: a
   * reply cut off, a 5xx, a connection lost after the request went out. A 429, and a
   * failure to connect at all, surely were not; a read acts on nothing.
   */
  function mayHaveActed<T>(spec: CallSpec<T>, outcome: Reply | Failure): boolean {
    if (spec.method === "GET") return false;
    if ("phase" in outcome) return !(outcome.phase === "send" && isNotSentError(outcome.cause));
    return outcome.status !== 429;
  }

  /**
   * The one place that decides whether a try that did not succeed is made again, and after
   * how long; undefined when it must not be.
   */
  function retryDelay<T>(
    spec: CallSpec<T>,
    outcome: Reply | Failure,
    attempt: number,
  ): { delayMs: number; reason: string; retryAfter: boolean } | undefined {
    if ("phase" in outcome) {
      const { phase, cause } = outcome;
      // Before the headers, a create is sent again only if it surely never arrived; once
      // the headers came, the server acted, for all we know.
      const retryable = spec.retry === "always" ? phase === "body" || isTransientError(cause) : phase === "send" && isNotSentError(cause);
      return retryable ? { delayMs: backoffDelay(attempt, backoff, random), reason: describe(cause), retryAfter: false } : undefined;
    }
    const { status, headers } = outcome;
    // A 429 is refused before the server acts, so any call may be sent again after it.
    if (status !== 429 && !(spec.retry === "always" && RETRYABLE_STATUSES.has(status))) return undefined;
    const retryAfter = status === 429 ? parseRetryAfter(headerValue(headers["retry-after"]), now()) : undefined;
    if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) return undefined;
    return {
      delayMs: retryAfter ?? backoffDelay(attempt, backoff, random),
      reason: String(status),
      retryAfter: retryAfter !== undefined,
    };
  }

  /**
   * The error a call ends with after it was tried more than once, saying so: a command that
   * waited minutes on a server that kept refusing says why it took that long.
   */
  function afterTries(error: RemoteError, tries: number, startedAt: number): RemoteError {
    return new RemoteError({
      method: error.method,
      path: error.path,
      status: error.status,
      studioMessage: error.studioMessage,
      cause: error.cause,
      hint: error.hint,
      code: error.code,
      ambiguous: error.ambiguous,
      message: `${error.message} (tried ${tries} times over ${formatDuration(now() - startedAt)})`,
    });
  }

  /** The error for a try that is not made again. */
  function failure<T>(spec: CallSpec<T>, where: RequestDescription, outcome: Reply | Failure): RemoteError {
    if ("phase" in outcome) {
      const { status, cause } = outcome;
      if (status === undefined) return new RemoteError({ method: spec.method, path: where.path, status: undefined, cause });
      // The server answered, then the reply broke off: it acted, for all we know.
      return new RemoteError({
        method: spec.method,
        path: where.path,
        status,
        cause,
        ambiguous: true,
        message: redact(`[${spec.method}] ${where.url}: ${status}, then the reply broke off: ${describe(cause)}`),
      });
    }
    const { status, headers, text } = outcome;
    if (status >= 300 && status < 400) return redirected(spec, where, status, headerValue(headers["location"]));
    return statusError(spec, where, status, headers, text);
  }

  /**
   * One try, within the deadline and the size cap: a 2xx reply read into its value as it
   * arrives, another reply's text, or how the try failed.
   */
  async function send<T>(target: Target<T>): Promise<Read<T> | Reply | Failure> {
    const { spec } = target;
    // One abort per try, by the deadline or by a stop request. (Not AbortSignal.any: with a
    // signal that lives as long as the command it keeps every request's signal alive on
    // some Node versions.)
    const abort = new TryAbort();
    const timer = setTimeout(() => abort.abort(DEADLINE), timeoutMs);
    const stopNow = spec.method === "GET" ? stop : writeStop;
    const inFlight = spec.method === "GET" ? readsInFlight : writesInFlight;
    // A write that finishes a step under way, sent after the stop: a grace of its own, from
    // now (what was left of the shared one may be nothing).
    const ownGrace =
      spec.finishing === true && stop?.aborted === true ? setTimeout(() => abort.abort(stop.reason), writeGraceMs) : undefined;
    if (ownGrace === undefined) {
      if (stopNow?.aborted === true) abort.abort(stopNow.reason);
      else inFlight.add(abort);
    }
    let phase: Failure["phase"] = "send";
    /** The reply's status once its headers are in. */
    let answered: number | undefined;
    try {
      // No content coding asked for: without Accept-Encoding any would be acceptable (RFC 9110).
      const headers: Record<string, string> = { authorization, accept: "application/json", "accept-encoding": "identity" };
      let body: string | FormData | undefined;
      if (spec.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(spec.json);
      } else if (spec.form !== undefined) {
        body = spec.form();
      }
      const reply = await request(dispatcher, {
        origin,
        path: `${target.path}${target.search}`,
        method: spec.method,
        headers,
        body,
        // undici takes any EventTarget-like signal: see TryAbort.
        signal: abort,
        // undici's own timeouts are per chunk; the deadline above covers the whole request,
        // and must be the one that fires, so that it is reported as such and not retried.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      phase = "body";
      const status = reply.statusCode;
      answered = status;
      if (contentCoding(reply.headers) !== undefined) {
        // Never decompressed, nor read: a few KiB of gzip may inflate to gigabytes. A reply
        // that is not 2xx is described by its status and its coding alone.
        discard(reply.body);
        if (status >= 200 && status < 300) throw compressed(spec, describeRequest(target), status, reply.headers);
        return { status, headers: reply.headers, text: "" };
      }
      if (status >= 200 && status < 300) {
        const stream = spec.reply();
        try {
          await readBody(reply, spec.maxBytes, target, (piece) => stream.write(piece));
          return { value: stream.end() };
        } catch (cause) {
          if (cause instanceof ReplySyntaxError || cause instanceof WireError)
            throw unreadable(spec, describeRequest(target), status, reply.headers, cause);
          throw cause;
        }
      }
      // Another reply is only described, from its start: what lies past ERROR_BODY_BYTES
      // is never shown, so it is not read into memory either.
      let text = "";
      await readBody(reply, Math.min(spec.maxBytes, ERROR_BODY_BYTES), target, (piece) => (text += piece), "truncate");
      return { status, headers: reply.headers, text };
    } catch (cause) {
      if (cause instanceof RemoteError) throw cause;
      if (abort.reason === DEADLINE) throw deadlineError(spec, describeRequest(target), answered);
      if (stopNow?.aborted === true)
        throw interrupted(stopNow.reason, `while waiting for Studio's reply to ${describeRequest(target).request}`, spec.method !== "GET");
      return answered === undefined ? { phase, cause } : { phase, cause, status: answered };
    } finally {
      clearTimeout(timer);
      clearTimeout(ownGrace);
      inFlight.delete(abort);
    }
  }

  /**
   * The reply's text, decoded piece by piece as it arrives, to `sink`; past `maxBytes` it
   * fails, or with "truncate" stops reading and keeps what came.
   */
  async function readBody(
    reply: Dispatcher.ResponseData,
    maxBytes: number,
    target: Target<unknown>,
    sink: (text: string) => void,
    past: "fail" | "truncate" = "fail",
  ): Promise<void> {
    const declared = Number(headerValue(reply.headers["content-length"]));
    if (past === "fail" && Number.isFinite(declared) && declared > maxBytes) {
      discard(reply.body);
      throw tooLarge(describeRequest(target), maxBytes, reply.statusCode);
    }
    // node's StringDecoder keeps a character split between chunks whole, like TextDecoder,
    // and decodes a listing some four times faster.
    const decoder = new StringDecoder("utf8");
    let bytes = 0;
    let first = true;
    for await (const chunk of reply.body) {
      bytes += (chunk as Buffer).length;
      if (bytes > maxBytes) {
        discard(reply.body);
        if (past === "fail") throw tooLarge(describeRequest(target), maxBytes, reply.statusCode);
        const keep = (chunk as Buffer).length - (bytes - maxBytes);
        const text = decoder.write((chunk as Buffer).subarray(0, keep));
        if (text !== "") sink(text);
        return;
      }
      let text = decoder.write(chunk as Buffer);
      if (first && text !== "") {
        // A byte order mark is not part of the JSON (TextDecoder, used before, dropped it too).
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      if (text !== "") sink(text);
    }
    const rest = decoder.end();
    if (rest !== "") sink(rest);
  }

  /** A 2xx reply that is not JSON, or not of its wire type. */
  function unreadable<T>(
    spec: CallSpec<T>,
    where: RequestDescription,
    status: number,
    headers: Headers,
    cause: ReplySyntaxError | WireError,
  ): RemoteError {
    // A write that was answered 2xx but whose reply cannot be read may well have been
    // carried out: the caller must look before trying again.
    const acted = spec.method === "POST";
    if (cause instanceof ReplySyntaxError) {
      const what = cause.body === undefined ? `is not valid JSON: ${cause.message}` : `is not JSON (${describeBody(headers, cause.body)})`;
      return new RemoteError({
        method: spec.method,
        path: where.path,
        status,
        code: "REMOTE_INVALID_REPLY",
        message: redact(`Studio's reply to ${spec.method} ${where.url} ${what}`),
        hint: urlHint(),
        ambiguous: acted,
        cause,
      });
    }
    return new RemoteError({
      method: spec.method,
      path: where.path,
      status,
      code: "REMOTE_INVALID_REPLY",
      message: redact(`Studio's reply to ${where.request}: ${cause.message}`),
      hint: acted
        ? "Studio may have acted on the request; studio-jobs looks before it tries again."
        : "studio-jobs acts on nothing it cannot read, so it stopped here. If Studio's API has changed, please report it.",
      ambiguous: acted,
    });
  }

  /**
   * A 2xx reply in a content coding studio-jobs did not ask for: not Studio's JSON as it
   * sends it, so most likely not Studio (a proxy, a wrong --url). A write may have been
   * carried out.
   */
  function compressed<T>(spec: CallSpec<T>, where: RequestDescription, status: number, headers: Headers): RemoteError {
    return new RemoteError({
      method: spec.method,
      path: where.path,
      status,
      code: "REMOTE_INVALID_REPLY",
      message: redact(`Studio's reply to ${spec.method} ${where.url} is compressed ${notAskedFor(headers)}`),
      hint: urlHint(),
      ambiguous: spec.method === "POST",
    });
  }

  /** `(Content-Encoding: gzip), which studio-jobs did not ask for`: the coding as sent, safe to show. */
  function notAskedFor(headers: Headers): string {
    return `(Content-Encoding: ${shorten(redact(oneLine(contentCoding(headers) ?? "")), 60)}), which studio-jobs did not ask for`;
  }

  /**
   * What the server said, safe to show: secrets hidden before it is cut short, so that a cut
   * cannot leave half a secret that no longer matches.
   */
  function said(text: string): string {
    return shorten(redact(oneLine(redactHead(text, SHOWN_CHARS))), 500);
  }

  /**
   * A short account of a body that is not JSON: an HTML page's title, or the start of the
   * text. Secrets are hidden before the text is cut or reshaped (spaces run together, tags
   * dropped), which could otherwise bring the half of one left by a cut into view, and again
   * after (an HTML entity may have spelled one).
   */
  function describeBody(headers: Headers, text: string): string {
    if (contentCoding(headers) !== undefined) return `a compressed body ${notAskedFor(headers)}`;
    const type = headerValue(headers["content-type"])?.split(";")[0]?.trim() ?? "";
    const start = text.trimStart();
    if (start === "") return "an empty body";
    if (type === "text/html" || /^<(!doctype|html|head|body)/i.test(start)) {
      // Entities decoded first, over all that was read, so that a secret spelled with them is
      // whole when it is looked for; then only the head of the page: the tag patterns must
      // stay cheap on whatever a server sends.
      const page = redactHead(decodeEntities(start), SHOWN_CHARS).slice(0, 8 * 1024);
      const title = /<title[^>]*>([^<]*)<\/title>/i.exec(page)?.[1];
      const words = stripHtml(title ?? page);
      return words === "" ? "an HTML page" : `an HTML page: "${shorten(redact(oneLine(words)), 120)}"`;
    }
    return `"${shorten(redact(oneLine(redactHead(start, SHOWN_CHARS))), 120)}"`;
  }

  function statusError<T>(spec: CallSpec<T>, where: RequestDescription, status: number, headers: Headers, text: string): RemoteError {
    const raw = readMessage(text);
    const studioMessage = raw === undefined ? undefined : said(raw);
    // Not Studio's JSON error, or a path that does not exist: most likely the wrong URL.
    if (studioMessage === undefined || (status === 404 && spec.method === "GET")) {
      const shown = studioMessage ?? describeBody(headers, text);
      return new RemoteError({
        method: spec.method,
        path: where.path,
        status,
        message: redact(`[${spec.method}] ${where.url}: ${status} ${shown}`),
        hint: waitTooLong(status, headers) ?? (status === 401 || status === 403 || status >= 500 ? undefined : urlHint()),
      });
    }
    return new RemoteError({ method: spec.method, path: where.path, status, studioMessage, hint: waitTooLong(status, headers) });
  }

  /** A 429 whose Retry-After asked for longer than studio-jobs waits: said, with what to do. */
  function waitTooLong(status: number, headers: Headers): string | undefined {
    if (status !== 429) return undefined;
    const wait = parseRetryAfter(headerValue(headers["retry-after"]), now());
    if (wait === undefined || wait <= maxRetryAfterMs) return undefined;
    return `Studio asked to wait ${formatSeconds(wait)} before trying again (Retry-After), longer than the ${formatSeconds(maxRetryAfterMs)} studio-jobs waits; run it again later.`;
  }

  function redirected<T>(spec: CallSpec<T>, where: RequestDescription, status: number, location: string | undefined): RemoteError {
    let target: URL | undefined;
    try {
      target = location === undefined ? undefined : new URL(location, where.url);
    } catch {
      target = undefined;
    }
    const suggestion = target === undefined ? undefined : baseUrlOf(target);
    return new RemoteError({
      method: spec.method,
      path: where.path,
      status,
      code: "REMOTE_REDIRECT",
      message: redact(
        `[${spec.method}] ${where.url}: ${status} redirect${target === undefined ? " without a usable Location" : ` to ${shorten(redact(target.href), 300)}`}; redirects are not followed, so the token never goes elsewhere`,
      ),
      hint: redact(
        suggestion === undefined
          ? "Check --url (or DATACHAIN_STUDIO_URL): it should be Studio's base URL, e.g. https://studio.datachain.ai."
          : `If Studio has moved, use --url ${shorten(redact(suggestion), 300)}.`,
      ),
    });
  }

  /**
   * The reply passed its cap. Its status goes with the error, as with the deadline: a create
   * Studio answered 2xx is not sent again, however large the reply that came with it.
   */
  function tooLarge(where: RequestDescription, maxBytes: number, status: number): RemoteError {
    return new RemoteError({
      method: where.method,
      path: where.path,
      status,
      code: "REMOTE_REPLY_TOO_LARGE",
      message: `Studio's reply to ${where.request} is larger than ${formatBytes(maxBytes)}, the most studio-jobs reads for it; it stopped reading`,
      hint: where.listing
        ? "If the team really has that many job records, raise STUDIO_JOBS_MAX_REPLY_MB (in MiB; default 500)."
        : "A reply this large is not one of Studio's: check --url.",
      // Nothing is retried after this, but a write Studio did not refuse may have been carried out.
      ambiguous: where.method === "POST" && (status < 400 || status >= 500),
    });
  }

  /**
   * The deadline passed. When the headers had come, their status goes with the error: a
   * create Studio answered 2xx is not sent again (apply looks for it instead).
   */
  function deadlineError<T>(spec: CallSpec<T>, where: RequestDescription, answered: number | undefined): RemoteError {
    return new RemoteError({
      method: spec.method,
      path: where.path,
      status: answered,
      ambiguous: true,
      code: "REMOTE_TIMEOUT",
      message: `[${spec.method}] ${where.pathWithQuery}: no complete reply within ${formatSeconds(timeoutMs)}`,
      hint: `If Studio is only slow, allow more time with --timeout SECONDS (or STUDIO_JOBS_TIMEOUT); the default is ${DEFAULT_TIMEOUT_MS / 1000}.`,
    });
  }

  /** Where Studio lives as this URL names it: the part before /api, for hints. */
  function urlHint(): string {
    if (basePath.endsWith(API_PREFIX)) {
      return `studio-jobs adds ${API_PREFIX}/... itself: use --url ${base.origin}${basePath.slice(0, -API_PREFIX.length)} (without ${API_PREFIX}).`;
    }
    if (basePath !== "") {
      return `--url has a path (${basePath}); if Studio is at the root of ${base.origin}, use --url ${base.origin}.`;
    }
    return "Check --url (or DATACHAIN_STUDIO_URL): it should be Studio's base URL, e.g. https://studio.datachain.ai.";
  }

  /** What errors say about a request: made only when one is made, never on the way of a request that succeeds. */
  function describeRequest<T>(target: Target<T>): RequestDescription {
    const { spec } = target;
    // The listing's limit is the tool's own paging detail: messages stay the same without it.
    const shown = new URLSearchParams(target.search);
    shown.delete("limit");
    const query = shown.size > 0 ? `?${shown.toString()}` : "";
    const path = `${API_PREFIX}${spec.path}`;
    return {
      method: spec.method,
      path,
      pathWithQuery: `${path}${query}`,
      request: `${spec.method} ${path}${query}`,
      url: `${origin}${target.path}${target.search}`,
      listing: spec.path === "/datachain/jobs/" && spec.method === "GET",
    };
  }

  /** One listing, read as it streams: only the records `keep` wants are held. */
  async function listJobs(team: string, query: ListJobsQuery = {}, keep?: (job: JobOutput) => boolean): Promise<JobList> {
    return call({
      method: "GET",
      path: "/datachain/jobs/",
      query: { team_name: team, status: query.status, limit: query.limit, job_id: query.jobId },
      retry: "always",
      reply: () => createJobListStream({ team, keep }),
      maxBytes: maxReplyBytes,
    });
  }

  const small = Math.min(maxReplyBytes, MAX_SMALL_REPLY_BYTES);

  return {
    url: options.url,
    listJobs: async (team, query) => (await listJobs(team, query)).jobs,

    async listAllJobs(team, query = {}) {
      // Listing has no cursor: a reply of exactly `limit` items may have been cut,
      // so ask again with a larger limit until the reply is shorter than asked.
      for (let limit = listLimit.initial; ; limit = Math.min(limit * 4, listLimit.ceiling)) {
        const { jobs, received } = await listJobs(
          team,
          { ...(query.status === undefined ? {} : { status: query.status }), limit },
          query.keep,
        );
        if (received < limit) return jobs;
        if (limit >= listLimit.ceiling) {
          throw new RemoteError({
            method: "GET",
            path: `${API_PREFIX}/datachain/jobs/`,
            status: 200,
            studioMessage: `team ${team} has at least ${limit} jobs, the most this tool will list; the listing may be incomplete, so nothing was planned`,
            hint: "If the team really has that many records, raise STUDIO_JOBS_MAX_LISTED (default 1000000).",
          });
        }
      }
    },

    createJob(input, createOptions = {}) {
      return call({
        method: "POST",
        path: "/datachain/jobs/",
        json: input,
        retry: "unsent",
        reply: () => createWholeReplyStream(readJob),
        maxBytes: small,
        finishing: createOptions.finishing === true,
      });
    },

    cancelJob(team, jobId) {
      // "." and ".." are not escaped by encodeURIComponent, and as path segments they would
      // send the cancel to another endpoint (/jobs/../cancel). No Studio job has such an id.
      if (jobId === "." || jobId === "..") {
        return Promise.reject(
          new StudioJobsError("BAD_JOB_ID", `refusing to cancel a job with the id ${JSON.stringify(jobId)}: it is not a job id`),
        );
      }
      return call({
        method: "POST",
        path: `/datachain/jobs/${encodeURIComponent(jobId)}/cancel`,
        json: { team_name: team },
        retry: "always",
        reply: () => createWholeReplyStream(readActionFeedback),
        maxBytes: small,
      });
    },

    uploadFile(team, filename, content) {
      return call({
        method: "POST",
        path: "/datachain/jobs/files",
        query: { team_name: team },
        form: () => {
          const form = new (loadFormData())();
          form.set("file", new Blob([content]), filename);
          return form;
        },
        // A second upload of the same bytes only leaves an unused copy behind.
        retry: "always",
        reply: () => createWholeReplyStream(readUploadReply),
        maxBytes: small,
      });
    },

    listClusters(team) {
      return call({
        method: "GET",
        path: "/datachain/clusters/",
        query: { team_name: team },
        retry: "always",
        reply: () => createWholeReplyStream(readClusterList),
        maxBytes: small,
      });
    },

    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

type Headers = Dispatcher.ResponseData["headers"];

/** A 2xx reply, read. */
interface Read<T> {
  value: T;
}

/** Any other reply, as text. */
interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

interface RequestDescription {
  method: string;
  /** `/api/datachain/jobs/`: what ordinary errors name. */
  path: string;
  /** The path and query, without the listing's limit. */
  pathWithQuery: string;
  /** `GET /api/datachain/jobs/?team_name=demo`. */
  request: string;
  /** The whole URL tried, for errors that suggest the URL is wrong. */
  url: string;
  listing: boolean;
}

/** A call as sent: its spec, its path under the base URL, and its query (`?...`, or ""). */
interface Target<T> {
  spec: CallSpec<T>;
  path: string;
  search: string;
}

/**
 * The abort of one try, aborted by its deadline or by a stop request; the first reason
 * stays. An AbortController per try, with its AbortSignal (an EventTarget), cost more CPU
 * than the rest of the client's own work on a create. undici's request takes any signal
 * with `aborted`, `reason` and addEventListener/removeEventListener, and adds one listener;
 * the client tests abort tries in flight through it, before and after the headers.
 */
export class TryAbort {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined = undefined;

  addEventListener(_type: "abort", listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }
}

/**
 * Stops reading a reply. undici's body, destroyed before anything read it, emits an error
 * (UND_ERR_ABORTED) a turn later: without a listener, an uncaught exception.
 */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}

function abortAll(tries: Set<TryAbort>, reason: unknown): void {
  for (const one of [...tries]) one.abort(reason);
}

/** A signal aborted `graceMs` after `signal` is. */
function delayedSignal(signal: AbortSignal, graceMs: number): AbortSignal {
  const controller = new AbortController();
  const fire = () => setTimeout(() => controller.abort(signal.reason), graceMs).unref();
  if (signal.aborted) fire();
  else signal.addEventListener("abort", fire, { once: true });
  return controller.signal;
}

function interrupted(reason: unknown, when: string, mayHaveActed: boolean): InterruptedError {
  const by = describeInterruption(reason);
  return new InterruptedError(
    `Interrupted${by === "" ? "" : ` ${by}`} ${when}${mayHaveActed ? "; Studio may or may not have acted on it, and a re-run finds out" : ""}.`,
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The reply's Content-Encoding as sent, when it names a coding other than identity;
 * undefined when the body is as it is (no header, or only `identity`).
 */
function contentCoding(headers: Headers): string | undefined {
  const raw = headers["content-encoding"];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw.join(", ") : raw;
  const codings = value.split(",").map((coding) => coding.trim().toLowerCase());
  return codings.every((coding) => coding === "" || coding === "identity") ? undefined : value;
}
