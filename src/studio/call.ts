// How the client makes a call: one or more tries, each within a deadline, a size cap and
// the command's stop request, a 2xx reply read into its value as it arrives; a try made
// again only where a second one cannot do harm, and otherwise the error the call ends with.

import { setMaxListeners } from "node:events";
import type { FormData } from "undici";
import { RemoteError } from "../errors.js";
import { request, type Dispatcher } from "./http.js";
import {
  afterTries,
  compressed,
  failure,
  NO_PROXY_NOTE,
  proxyNamed,
  tooLarge,
  unreadable,
  type ErrorContext,
  type Failure,
  type Reply,
  type RequestDescription,
} from "./call-errors.js";
import { contentCoding, discard, headerValue, readBody } from "./reply-body.js";
import { describe, formatSeconds } from "./reply-text.js";
import {
  backoffDelay,
  isNotSentError,
  isTransientError,
  parseRetryAfter,
  RETRY_AFTER_STATUSES,
  pauseUnlessStopped,
  RETRYABLE_STATUSES,
  type BackoffOptions,
} from "./retry.js";
import { ReplySyntaxError, type ReplyStream } from "./stream-parse.js";
import { Throttle } from "./throttle.js";
import { abortAll, delayedSignal, interrupted, settledByAbort, TryAbort } from "./try-abort.js";
import { API_PREFIX, querySearch } from "./url.js";
import { WireError } from "./wire.js";

export const DEFAULT_TIMEOUT_MS = 60_000;
/** The longest wait a Node timer holds (2^31-1 ms): past it, setTimeout fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/**
 * A 429 costs less of the budget than a fault: Studio said it did nothing and when to come
 * back, and under a tight rate limit a call may be the one turned away several times while
 * the calls before it go through (see docs/architecture.md, "Rate limits").
 */
const RETRIES_AFTER_429_PER_RETRY = 4;
/** How much of a reply that is not 2xx is read: it is only described, from its start. */
const ERROR_BODY_BYTES = 1024 * 1024;

/** A try that did not succeed and is made again, after `delayMs`. */
export interface RetryEvent {
  method: string;
  /** `/api/datachain/jobs/`. */
  path: string;
  /** `GET /api/datachain/jobs/?team_name=demo`: the request as errors name it. */
  request: string;
  /** Which retry: 1 before the second try. */
  attempt: number;
  /** The most tries the call makes, the first one included, if every try fails as this one did. */
  tries: number;
  /** After a 429: how long from its first try the call keeps trying, at most. */
  withinMs: number | undefined;
  /** After a 429: the wait is one every request was waiting already, begun by another's 429. */
  joinsWait: boolean;
  delayMs: number;
  /** The status Studio answered (`429`), or how the try failed (`ECONNRESET`). */
  reason: string;
  /** The status Studio answered; undefined when no reply came, or one broke off. */
  status: number | undefined;
  /** The wait is the one Studio asked for (Retry-After), not the client's own backoff. */
  retryAfter: boolean;
}

/** The client's options as calls use them, defaults applied (see StudioClientOptions in client.ts). */
export interface CallConfig extends ErrorContext {
  dispatcher: Dispatcher;
  /** The Authorization header: `Bearer` and the token. */
  authorization: string;
  timeoutMs: number;
  /** Further tries after the first, for calls that may be retried. */
  retries: number;
  backoff: BackoffOptions;
  random: () => number;
  sleep: ((ms: number) => Promise<void>) | undefined;
  onRetry: ((event: RetryEvent) => void) | undefined;
  stop: AbortSignal | undefined;
  writeGraceMs: number;
}

/** How a call may be retried. `always`: idempotent. `unsent`: only when the server surely did not act. */
type RetryMode = "always" | "unsent";

export interface CallSpec<T> {
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

/** A 2xx reply, read. */
interface Read<T> {
  value: T;
}

/** A call as sent: its spec, its path under the base URL, and its query (`?...`, or ""). */
interface Target<T> {
  spec: CallSpec<T>;
  path: string;
  search: string;
}

const DEADLINE = Symbol("deadline");

/** The client's `call`: makes the request `spec` describes, tried again where that is safe, and returns its reply's value. */
export interface Call {
  <T>(spec: CallSpec<T>): Promise<T>;
  /**
   * Whether a request is left whose try ended (deadline, stop) before undici gave it a
   * connection, still waiting for one: closing must not wait for it. Told once no try is
   * under way (each ends by its deadline at the latest), so that a close destroying the
   * connections for such a request cuts off no write still in flight; and once the aborts
   * undici did hear have settled, in the microtasks after them: until then every request
   * cut off before its headers counts. See docs/architecture.md, "Proxies".
   */
  leftBehind(): Promise<boolean>;
}

export function createCall(config: CallConfig): Call {
  const { dispatcher, authorization, origin, basePath, timeoutMs, retries, now, stop, writeGraceMs } = config;
  const throttledRetries = retries * RETRIES_AFTER_429_PER_RETRY;
  // And they end, at the latest, when the waits of as many retries as a fault gets, each
  // the longest Retry-After taken, would have: 5 min by default, from the call's first try,
  // or from Studio's first 429 since it last let a try of any call through.
  const slowDownBudgetMs = retries * config.maxRetryAfterMs;
  const writeStop = stop === undefined ? undefined : delayedSignal(stop, writeGraceMs);
  // The tries in flight, by the signal that stops them: one listener on each signal for the
  // whole client, not one added and removed per try (see docs/architecture.md, "Performance").
  const readsInFlight = new Set<TryAbort>();
  const throttle = new Throttle(now, config.sleep, stop);
  /** How many calls were made: each call's number orders its tries' turns after a 429. */
  let calls = 0;
  const writesInFlight = new Set<TryAbort>();
  const abandoned = { count: 0 };
  /** Tries under way, and what waits for there to be none (`leftBehind`). */
  let trying = 0;
  const idle: (() => void)[] = [];
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
    const order = (calls += 1);
    // Whether an earlier try may have been carried out: a stop before the next one must say so.
    let acted = false;
    // The retries spent after a 429, and after any other failure.
    let slowedDown = 0;
    let failed = 0;
    // Whether a try went out after the stop: a write that finishes a step under way gets one.
    let sentAfterStop = false;
    for (let attempt = 0; ; attempt++) {
      // After a stop nothing is sent, but a write that finishes a step under way, once: its first
      // try, or its next after a 429, when the stop came as it waited its turn to try again.
      const notSent = () =>
        interrupted(stop?.reason, `before ${describeRequest(target, origin).request} was sent${attempt > 0 ? " again" : ""}`, acted);
      const sentAnyway = spec.finishing === true && !sentAfterStop;
      if (stop?.aborted === true && !sentAnyway) throw notSent();
      // That write goes out of turn, within its grace: started after the stop, or waiting its turn when it came.
      const turn = stop?.aborted === true ? undefined : (throttle.enterNow() ?? (await throttle.enter(order)));
      if (turn === "stopped" && !sentAnyway) throw notSent();
      const ticket = turn === "stopped" ? undefined : turn;
      if (ticket === undefined && stop?.aborted === true) {
        // Sent into the wait Studio asked for, it would be answered 429 and not sent again:
        // it waits that out first, as long as the writes' grace.
        const left = Math.min(throttle.pauseLeft(), writeGraceMs);
        if (left > 0) await pauseUnlessStopped(left, undefined, config.sleep);
      }
      if (stop?.aborted === true) sentAfterStop = true;
      let outcome: Read<T> | Reply | Failure;
      try {
        outcome = await send(target);
      } catch (error) {
        if (ticket !== undefined) throttle.ended();
        throw attempt > 0 && error instanceof RemoteError ? afterTries(error, attempt + 1, startedAt, now, acted) : error;
      }
      if ("value" in outcome) {
        if (ticket !== undefined) throttle.passed();
        return outcome.value;
      }
      const actedBefore = acted;
      acted ||= mayHaveActed(spec, outcome);
      // Studio asked to slow down: every call waits, not only this one, and the try counts
      // against a budget of its own.
      const slowDown = !("phase" in outcome) && outcome.status === 429;
      let joined = false;
      const spent = slowDown ? slowedDown : failed;
      const retry = spent < (slowDown ? throttledRetries : retries) ? retryDelay(config, spec, outcome, spent) : undefined;
      const again = slowDown ? withinBudget(retry, Math.max(now() - startedAt, throttle.refusingFor()), slowDownBudgetMs) : retry;
      if (again !== undefined && slowDown) slowedDown += 1;
      else if (again !== undefined) failed += 1;
      if (ticket !== undefined) {
        if (slowDown) joined = throttle.throttled(ticket, again?.delayMs) === "joined";
        else throttle.ended();
      }
      if (again === undefined) {
        const error = failure(config, describeRequest(target, origin), outcome);
        // Out of time after one try: spent waiting its turn behind other calls' 429s.
        throw attempt > 0 || retry !== undefined ? afterTries(error, attempt + 1, startedAt, now, actedBefore) : error;
      }
      config.onRetry?.({
        method: spec.method,
        path: `${API_PREFIX}${spec.path}`,
        request: describeRequest(target, origin).request,
        attempt: attempt + 1,
        tries: slowDown ? throttledRetries + failed + 1 : retries + slowedDown + 1,
        withinMs: slowDown ? slowDownBudgetMs : undefined,
        joinsWait: joined,
        status: "phase" in outcome ? undefined : outcome.status,
        ...again,
      });
      // After a 429 the throttle holds every try, this one's next included, for the wait.
      if (slowDown && ticket !== undefined) continue;
      if ((await pauseUnlessStopped(again.delayMs, stop, config.sleep)) === "stopped") {
        throw interrupted(stop?.reason, `before ${describeRequest(target, origin).request} was sent again`, acted);
      }
    }
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
    trying += 1;
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
      const sent = request(dispatcher, {
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
      const reply = await settledByAbort(sent, abort, abandoned, (late) => discard(late.body));
      phase = "body";
      const status = reply.statusCode;
      answered = status;
      if (contentCoding(reply.headers) !== undefined) {
        // Never decompressed, nor read: a few KiB of gzip may inflate to gigabytes. A reply
        // that is not 2xx is described by its status and its coding alone.
        discard(reply.body);
        if (status >= 200 && status < 300) throw compressed(config, describeRequest(target, origin), status, reply.headers);
        return { status, headers: reply.headers, text: "", cut: false };
      }
      if (status >= 200 && status < 300) {
        const stream = spec.reply();
        try {
          await readBody(
            reply,
            spec.maxBytes,
            (piece) => stream.write(piece),
            () => tooLarge(describeRequest(target, origin), spec.maxBytes, status),
          );
          return { value: stream.end() };
        } catch (cause) {
          if (cause instanceof ReplySyntaxError || cause instanceof WireError)
            throw unreadable(config, describeRequest(target, origin), status, reply.headers, cause);
          throw cause;
        }
      }
      // Another reply is only described, from its start: what lies past ERROR_BODY_BYTES
      // is never shown, so it is not read into memory either.
      let text = "";
      const cut = await readBody(reply, Math.min(spec.maxBytes, ERROR_BODY_BYTES), (piece) => (text += piece), "truncate");
      return { status, headers: reply.headers, text, cut };
    } catch (cause) {
      if (cause instanceof RemoteError) throw cause;
      if (abort.reason === DEADLINE) throw deadlineError(config, describeRequest(target, origin), answered, timeoutMs);
      if (stopNow?.aborted === true)
        throw interrupted(
          stopNow.reason,
          `while waiting for Studio's reply to ${describeRequest(target, origin).request}`,
          spec.method !== "GET",
        );
      return answered === undefined ? { phase, cause } : { phase, cause, status: answered };
    } finally {
      clearTimeout(timer);
      clearTimeout(ownGrace);
      inFlight.delete(abort);
      trying -= 1;
      if (trying === 0 && idle.length > 0) for (const wake of idle.splice(0)) wake();
    }
  }

  const leftBehind = async (): Promise<boolean> => {
    while (trying > 0) await new Promise<void>((resolve) => idle.push(resolve));
    return new Promise<boolean>((resolve) => setImmediate(() => resolve(abandoned.count > 0)));
  };
  return Object.assign(call, { leftBehind });
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
  config: CallConfig,
  spec: CallSpec<T>,
  outcome: Reply | Failure,
  attempt: number,
): { delayMs: number; reason: string; retryAfter: boolean } | undefined {
  const { backoff, random } = config;
  if ("phase" in outcome) {
    const { phase, cause } = outcome;
    // Before the headers, a create is sent again only if it surely never arrived; once
    // the headers came, the server acted, for all we know.
    const retryable =
      spec.retry === "always"
        ? phase === "body" || isTransientError(cause)
        : phase === "send" && isNotSentError(cause) && isTransientError(cause);
    return retryable ? { delayMs: backoffDelay(attempt, backoff, random), reason: describe(cause), retryAfter: false } : undefined;
  }
  const { status, headers } = outcome;
  // A 429 is refused before the server acts, so any call may be sent again after it.
  if (status !== 429 && !(spec.retry === "always" && RETRYABLE_STATUSES.has(status))) return undefined;
  const retryAfter = RETRY_AFTER_STATUSES.has(status) ? parseRetryAfter(headerValue(headers["retry-after"]), config.now()) : undefined;
  if (retryAfter !== undefined && retryAfter > config.maxRetryAfterMs) return undefined;
  return {
    delayMs: retryAfter ?? backoffDelay(attempt, backoff, random),
    reason: String(status),
    retryAfter: retryAfter !== undefined,
  };
}

/** A retry after a 429, unless its wait would end past `budgetMs` from the call's first try. */
function withinBudget<R extends { delayMs: number }>(again: R | undefined, spentMs: number, budgetMs: number): R | undefined {
  return again !== undefined && spentMs + again.delayMs <= budgetMs ? again : undefined;
}

/**
 * The deadline passed. When the headers had come, their status goes with the error: a
 * create Studio answered 2xx is not sent again (apply looks for it instead). Before them,
 * through a proxy, the proxy may be what never answered (a tunnel it never opened): named.
 */
function deadlineError(
  { proxy }: Pick<ErrorContext, "proxy">,
  where: RequestDescription,
  answered: number | undefined,
  timeoutMs: number,
): RemoteError {
  const slow = `If Studio is only slow, allow more time with --timeout SECONDS (or STUDIO_JOBS_TIMEOUT); the default is ${DEFAULT_TIMEOUT_MS / 1000}.`;
  const through =
    proxy === undefined || answered !== undefined ? "" : ` Check too that ${proxyNamed(proxy)} reaches Studio; ${NO_PROXY_NOTE}`;
  return new RemoteError({
    method: where.method,
    path: where.path,
    status: answered,
    ambiguous: true,
    code: "REMOTE_TIMEOUT",
    message: `[${where.method}] ${where.pathWithQuery}: no complete reply within ${formatSeconds(timeoutMs)}`,
    hint: `${slow}${through}`,
  });
}

/** What errors say about a request: made only when one is made, never on the way of a request that succeeds. */
function describeRequest<T>(target: Target<T>, origin: string): RequestDescription {
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
