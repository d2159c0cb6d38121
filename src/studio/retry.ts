// When and how long to wait before trying a request again.

/**
 * The code of the error for a proxy that closed the connection instead of answering a
 * tunnel's CONNECT (`createProxyAgent` in http.ts): the request never reached Studio.
 */
export const TUNNEL_CLOSED = "PROXY_TUNNEL_CLOSED";

/** Statuses worth another try for an idempotent call: Studio had a passing fault or asked us to slow down. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([
  429, // rate limited: wait for Retry-After
  500, // internal error
  502, // bad gateway: a proxy in front of Studio
  503, // unavailable: deploy or overload
  504, // gateway timeout
]);

/**
 * The statuses whose Retry-After is honoured (RFC 9110 gives it to both): a 429 holds every
 * call (see docs/architecture.md, "Rate limits"), a 503 only the call it answered.
 */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Socket-level failures that a second try may get past. */
const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  TUNNEL_CLOSED,
]);

/**
 * Failures where the request surely never reached the server: a create failed so is not
 * possibly made, and is sent again when the failure is transient too (ENOTFOUND is not).
 */
const NOT_SENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_CONNECT_TIMEOUT",
  TUNNEL_CLOSED,
]);

/** The code of a failure or of its cause (four deep): `ECONNRESET`, `DEPTH_ZERO_SELF_SIGNED_CERT`; a timeout's is ETIMEDOUT. */
export function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    if (e.name === "TimeoutError" || e.name === "AbortError") return "ETIMEDOUT";
  }
  return undefined;
}

/**
 * The status a proxy answered a tunnel's CONNECT with instead of 200: the request never
 * reached Studio. undici says so only in its error's message (the undici version is fixed
 * in package.json, and a test through a real proxy holds the wording).
 */
export function tunnelRefusal(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const refused = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/.exec(e.message);
    if (refused !== null) return Number(refused[1]);
  }
  return undefined;
}

/** A failure a second try may get past: a socket's, or a proxy's refusal to open the tunnel with a status worth another try (502, 503, ...). */
export function isTransientError(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && TRANSIENT_ERROR_CODES.has(code)) return true;
  const refused = tunnelRefusal(error);
  return refused !== undefined && RETRYABLE_STATUSES.has(refused);
}

export function isNotSentError(error: unknown): boolean {
  const code = errorCode(error);
  return (code !== undefined && NOT_SENT_ERROR_CODES.has(code)) || tunnelRefusal(error) !== undefined;
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Exponential backoff with full jitter: a random wait in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "\\d{2}:\\d{2}:\\d{2}";

/**
 * An HTTP date as RFC 9110 allows it, each form whole: `Sun, 06 Nov 1994 08:49:37 GMT`, or
 * the obsolete `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994` (in GMT, though
 * it does not say so). Date.parse alone takes nearly anything (`-5` and `Mon, 5` are dates of
 * 2001, any zone it knows is read), which would make an odd value mean "do not wait".
 */
const HTTP_DATE = new RegExp(`^${DAY}, \\d{1,2} ${MONTH} \\d{4} ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${DAY}[a-z]*, \\d{1,2}-${MONTH}-\\d{2} ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`);

/** Parse `Retry-After` (seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Date.parse reads a date without a zone as local time: asctime's is GMT.
  const text = ASCTIME_DATE.test(trimmed) ? `${trimmed} GMT` : HTTP_DATE.test(trimmed) || RFC850_DATE.test(trimmed) ? trimmed : undefined;
  if (text === undefined) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** A real wait of `ms`, over early when `signal` aborts: a stop request (Ctrl-C) does not wait out a backoff. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await pauseUnlessStopped(ms, signal);
}

/**
 * Wait `ms` between tries, or less if `signal` aborts first (a stop request ends the wait
 * at once): "stopped" then, else "waited". `sleep` replaces the timer, in tests.
 */
export function pauseUnlessStopped(
  ms: number,
  signal: AbortSignal | undefined,
  sleep?: (ms: number) => Promise<void>,
): Promise<"waited" | "stopped"> {
  if (signal?.aborted === true) return Promise.resolve("stopped");
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stopped = () => {
      clearTimeout(timer);
      resolve("stopped");
    };
    const waited = () => {
      signal?.removeEventListener("abort", stopped);
      resolve("waited");
    };
    signal?.addEventListener("abort", stopped, { once: true });
    if (sleep === undefined) timer = setTimeout(waited, ms);
    else void sleep(ms).then(waited);
  });
}
