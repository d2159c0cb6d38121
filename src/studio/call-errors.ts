// What a call that did not succeed ends with: the error for a try that is not made again
// (no reply, a reply that broke off, a status that is not 2xx, a redirect), for a 2xx reply
// too large, compressed or unreadable, and for a call tried more than once. What the server
// said is shown only redacted, on one line and cut short; a hint says what to check.

import { RemoteError } from "../errors.js";
import { contentCoding, headerValue, type Headers } from "./reply-body.js";
import {
  decodeEntities,
  describe,
  formatBytes,
  formatDuration,
  formatSeconds,
  oneLine,
  readMessage,
  shorten,
  stripHtml,
} from "./reply-text.js";
import { errorCode, isNotSentError, parseRetryAfter, RETRY_AFTER_STATUSES, tunnelRefusal } from "./retry.js";
import { ReplySyntaxError } from "./stream-parse.js";
import { API_PREFIX, baseUrlOf } from "./url.js";
import type { WireError } from "./wire.js";

/** How much of a server's text is looked at when it is shown (and redacted before the cut). */
const SHOWN_CHARS = 64 * 1024;

/** What these errors need of the client: how to hide secrets, the clock, and where Studio is. */
export interface ErrorContext {
  redact: (text: string) => string;
  redactHead: (text: string, max: number) => string;
  now: () => number;
  /** The longest Retry-After the client waits. */
  maxRetryAfterMs: number;
  /** Studio's origin, `https://studio.datachain.ai`. */
  origin: string;
  /** The base URL's path without a trailing slash: "" at the origin's root. */
  basePath: string;
  /**
   * The proxy the requests go through: `host:port`, the variable that named it, whether its
   * URL holds credentials, whether it is an https:// one (its certificate is checked too).
   */
  proxy?: { shown: string; from: string; credentials: boolean; tls: boolean } | undefined;
  /** A 401's hint: how to mend the token where it came from; never the token. */
  refusedTokenHint?: string | undefined;
  /** The NODE_EXTRA_CA_CERTS the process started with: a certificate it did not make trusted is told to check it. */
  extraCaCerts?: string | undefined;
}

export interface RequestDescription {
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

/** What one try of a request ended with, when it did not end with a reply. */
export type Failure = {
  phase: "send" | "body";
  cause: unknown;
  /** The status the reply's headers carried, when they came before the reply broke off. */
  status?: number;
};

/** A reply that is not 2xx, as text. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Only the start of the body was read: `text` ends where reading stopped. */
  cut: boolean;
}

/** How messages name the proxy: its `host:port` and the variable that named it, never its credentials. */
export function proxyNamed(proxy: { shown: string; from: string }): string {
  return `the proxy at ${proxy.shown} (from ${proxy.from})`;
}

/** Said with a hint that points at the proxy: where to leave a host out of it. */
export const NO_PROXY_NOTE = "NO_PROXY names the hosts reached directly.";

/** Node's codes for a certificate chain this machine does not trust. */
const UNTRUSTED_CERTIFICATE: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_UNTRUSTED",
]);

/**
 * A connection that TLS ended before any request: the usual "check that Studio is reachable"
 * points the wrong way, as a server answered. An https:// URL of a server that speaks plain
 * http (the emulator) fails with OpenSSL's `...:ssl3_get_record:wrong version number:...`,
 * said here in words (`said`); a certificate this machine does not trust (a network that
 * inspects TLS, a Studio with its own authority), out of date or for another host is told
 * what to do. Through a proxy, a server that speaks no TLS may be the proxy: not said then.
 */
function tlsProblem(cause: unknown, { origin, basePath, proxy, extraCaCerts }: ErrorContext): { said?: string; hint: string } | undefined {
  const code = errorCode(cause);
  if (code === undefined) return undefined;
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" && proxy === undefined && origin.startsWith("https:")) {
    return {
      said: `the server at ${origin} does not answer in TLS (${code})`,
      hint: `If it serves plain http, as the local emulator does, use --url ${origin.replace(/^https:/, "http:")}${basePath}.`,
    };
  }
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    // Through an https:// proxy the certificate may be the proxy's: the error does not say whose.
    const whose = proxy?.tls !== true ? origin : origin.startsWith("https:") ? `${origin} or of ${proxyNamed(proxy)}` : proxyNamed(proxy);
    const authority = `${proxy?.tls === true ? ", your proxy" : ""} or your Studio uses a certificate authority of its own`;
    // Set already, it names a file Node could not read (it warned as it started) or another authority.
    return {
      hint:
        extraCaCerts === undefined || extraCaCerts === ""
          ? `This machine does not trust the certificate of ${whose}: if your network${authority}, set NODE_EXTRA_CA_CERTS to its certificate (a PEM file).`
          : `This machine does not trust the certificate of ${whose}, though NODE_EXTRA_CA_CERTS is set (${extraCaCerts}): if your network${authority}, check that the variable names its certificate, a readable PEM file.`,
    };
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return { hint: `The certificate of ${origin} is not valid now: check this machine's clock, else the certificate needs renewing.` };
  }
  // undici's own error for the proxy's certificate being for another host name.
  if (code === "UND_ERR_PRX_TLS" && proxy !== undefined) {
    return { hint: `The certificate of ${proxyNamed(proxy)} is for another host name: check the proxy's host in ${proxy.from}.` };
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return { hint: `The certificate of ${origin} is for another host name: check the host in --url (or DATACHAIN_STUDIO_URL).` };
  }
  return undefined;
}

/** The error for a try that is not made again. */
export function failure(ctx: ErrorContext, where: RequestDescription, outcome: Reply | Failure): RemoteError {
  if ("phase" in outcome) {
    const { status, cause } = outcome;
    if (status === undefined) {
      // undici's words for a refused tunnel name neither the proxy nor what refused means.
      const { proxy } = ctx;
      const via = proxy === undefined ? undefined : proxyNamed(proxy);
      const refused = via === undefined ? undefined : tunnelRefusal(cause);
      // Through a proxy, the proxy may be what did not answer or turned the request away.
      const tls = tlsProblem(cause, ctx);
      const hint =
        tls !== undefined
          ? tls.hint
          : proxy === undefined
            ? undefined
            : refused === 407
              ? proxy.credentials
                ? `The proxy wants credentials it did not take: check the user and password in ${proxy.from}'s URL (percent-encoded).`
                : `The proxy wants credentials, and ${proxy.from}'s URL holds none: give a user and password in it, before the host and an @ (percent-encoded).`
              : `Check --url (or DATACHAIN_STUDIO_URL), and that Studio is reachable through ${via}; ${NO_PROXY_NOTE}`;
      // A request that surely never reached Studio (a proxy refused the tunnel) did nothing there.
      return new RemoteError({
        method: where.method,
        path: where.path,
        status: undefined,
        cause,
        hint,
        ...(isNotSentError(cause) ? { ambiguous: false } : {}),
        ...(refused === undefined
          ? tls?.said === undefined
            ? {}
            : { message: `[${where.method}] ${where.path}: no reply: ${tls.said}` }
          : { message: `[${where.method}] ${where.path}: ${via} refused to open a connection to Studio (it answered ${refused})` }),
      });
    }
    // The server answered, then the reply broke off: it acted, for all we know.
    return new RemoteError({
      method: where.method,
      path: where.path,
      status,
      cause,
      ambiguous: true,
      message: ctx.redact(`[${where.method}] ${where.url}: ${status}, then the reply broke off: ${describe(cause)}`),
    });
  }
  const { status, headers, text, cut } = outcome;
  if (REDIRECTS.has(status)) return redirected(ctx, where, status, headerValue(headers["location"]));
  return statusError(ctx, where, status, headers, text, cut);
}

/**
 * The error a call ends with after it was tried more than once, or after its one try when
 * its time ran out waiting its turn, saying so: a command that waited minutes on a server
 * that kept refusing says why it took that long. `actedBefore`: an earlier try may have
 * been carried out, so the call may have been, however its last try ended (a refused
 * connection, a 429).
 */
export function afterTries(error: RemoteError, tries: number, startedAt: number, now: () => number, actedBefore: boolean): RemoteError {
  return new RemoteError({
    method: error.method,
    path: error.path,
    status: error.status,
    studioMessage: error.studioMessage,
    cause: error.cause,
    hint: error.hint,
    code: error.code,
    ambiguous: error.ambiguous || actedBefore,
    message: `${error.message} (tried ${tries === 1 ? "once" : `${tries} times`} over ${formatDuration(now() - startedAt)})`,
  });
}

/** A 2xx reply that is not JSON, or not of its wire type. */
export function unreadable(
  ctx: ErrorContext,
  where: RequestDescription,
  status: number,
  headers: Headers,
  cause: ReplySyntaxError | WireError,
): RemoteError {
  // A write that was answered 2xx but whose reply cannot be read may well have been
  // carried out: the caller must look before trying again.
  const acted = where.method === "POST";
  if (cause instanceof ReplySyntaxError) {
    const what =
      cause.body === undefined
        ? `is not valid JSON: ${cause.message}`
        : `is not JSON (${describeBody(ctx, headers, cause.body, cause.bodyCut)})`;
    return new RemoteError({
      method: where.method,
      path: where.path,
      status,
      code: "REMOTE_INVALID_REPLY",
      message: ctx.redact(`Studio's reply to ${where.method} ${where.url} ${what}`),
      hint: urlHint(ctx),
      ambiguous: acted,
      cause,
    });
  }
  return new RemoteError({
    method: where.method,
    path: where.path,
    status,
    code: "REMOTE_INVALID_REPLY",
    message: ctx.redact(
      `Studio's reply to ${where.request}: ${cause.quoted === undefined ? cause.message : `${cause.quoted.head}: "${said(ctx, cause.quoted.text, cause.quoted.max)}"`}`,
    ),
    hint: acted
      ? "Studio may have acted on the request; studio-jobs looks before it tries again."
      : cause.markedJob === undefined
        ? "studio-jobs acts on nothing it cannot read, so it stopped here. If Studio's API has changed, please report it."
        : ctx.redact(
            `studio-jobs acts on nothing it cannot read, so it stopped here. studio-jobs did not write these markers: if job ${cause.markedJob} was made or copied by hand with them, cancel it in Studio and run this again; if not, please report it.`,
          ),
    ambiguous: acted,
  });
}

/**
 * A 2xx reply in a content coding studio-jobs did not ask for: not Studio's JSON as it
 * sends it, so most likely not Studio (a proxy, a wrong --url). A write may have been
 * carried out.
 */
export function compressed(ctx: ErrorContext, where: RequestDescription, status: number, headers: Headers): RemoteError {
  return new RemoteError({
    method: where.method,
    path: where.path,
    status,
    code: "REMOTE_INVALID_REPLY",
    message: ctx.redact(`Studio's reply to ${where.method} ${where.url} is compressed ${notAskedFor(ctx, headers)}`),
    hint: urlHint(ctx),
    ambiguous: where.method === "POST",
  });
}

/** `(Content-Encoding: gzip), which studio-jobs did not ask for`: the coding as sent, safe to show. */
function notAskedFor(ctx: ErrorContext, headers: Headers): string {
  return `(Content-Encoding: ${shorten(ctx.redact(oneLine(contentCoding(headers) ?? "")), 60)}), which studio-jobs did not ask for`;
}

/**
 * What the server said, safe to show: secrets hidden before it is cut short, so that a cut
 * cannot leave half a secret that no longer matches.
 */
function said(ctx: ErrorContext, text: string, max = 500): string {
  return shorten(ctx.redact(oneLine(ctx.redactHead(text, SHOWN_CHARS))), max);
}

/**
 * How far short of where reading stopped the account of a body read only in part ends. The
 * cut may leave the first part of a secret at the text's end, which matches no secret and
 * so cannot be hidden: it is left out instead (a secret up to this long). A run of blanks
 * that the account runs together had brought such a part into view.
 */
const CUT_MARGIN = 64 * 1024;

/**
 * A short account of a body that is not JSON: an HTML page's title, or the start of the
 * text. Secrets are hidden before the text is cut or reshaped (spaces run together, tags
 * dropped), which could otherwise bring the half of one left by a cut into view, and again
 * after (an HTML entity may have spelled one). `cut`: the text is only the body's start.
 */
function describeBody(ctx: ErrorContext, headers: Headers, text: string, cut: boolean): string {
  if (contentCoding(headers) !== undefined) return `a compressed body ${notAskedFor(ctx, headers)}`;
  const type = headerValue(headers["content-type"])?.split(";")[0]?.trim() ?? "";
  const start = (cut ? ctx.redactHead(text, Math.max(0, text.length - CUT_MARGIN)) : text).trimStart();
  // Not empty: what was read is blank, or all within the margin (STUDIO_JOBS_MAX_REPLY_MB set low).
  if (start === "" && cut) return "a body read only in part, of which nothing can be shown";
  if (start === "") return "an empty body";
  if (type === "text/html" || /^<(!doctype|html|head|body)/i.test(start)) {
    // Entities decoded first, over all that was read, so that a secret spelled with them is
    // whole when it is looked for; then only the head of the page: the tag patterns must
    // stay cheap on whatever a server sends.
    const page = ctx.redactHead(decodeEntities(start), SHOWN_CHARS).slice(0, 8 * 1024);
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(page)?.[1];
    const words = stripHtml(title ?? page);
    return words === "" ? "an HTML page" : `an HTML page: "${shorten(ctx.redact(oneLine(words)), 120)}"`;
  }
  return `"${shorten(ctx.redact(oneLine(ctx.redactHead(start, SHOWN_CHARS))), 120)}"`;
}

const HEADERS_TOO_LARGE = 431;

export function statusError(
  ctx: ErrorContext,
  where: RequestDescription,
  status: number,
  headers: Headers,
  text: string,
  cut: boolean,
): RemoteError {
  const raw = readMessage(text);
  // A message that shows as nothing (blanks, control characters) says nothing: the body is
  // described instead, with the URL hint.
  const shownMessage = raw === undefined ? "" : said(ctx, raw);
  const studioMessage = shownMessage === "" ? undefined : shownMessage;
  // 431: the request's headers are too large, and the token is the one of any length.
  const refusedToken = status === 401 || status === HEADERS_TOO_LARGE ? ctx.refusedTokenHint : undefined;
  // Not Studio's JSON error, or a path that does not exist: most likely the wrong URL.
  if (studioMessage === undefined || (status === 404 && where.method === "GET")) {
    const shown = studioMessage ?? describeBody(ctx, headers, text, cut);
    return new RemoteError({
      method: where.method,
      path: where.path,
      status,
      message: ctx.redact(`[${where.method}] ${where.url}: ${status} ${shown}`),
      hint:
        waitTooLong(ctx, status, headers) ??
        (status === 401 || status === 403 || status === HEADERS_TOO_LARGE || status >= 500 ? refusedToken : urlHint(ctx)),
    });
  }
  return new RemoteError({
    method: where.method,
    path: where.path,
    status,
    studioMessage,
    hint: waitTooLong(ctx, status, headers) ?? refusedToken,
  });
}

const DAY_MS = 86_400_000;

/** A 429 or 503 whose Retry-After asked for longer than studio-jobs waits: said, with what to do. */
function waitTooLong(ctx: ErrorContext, status: number, headers: Headers): string | undefined {
  if (!RETRY_AFTER_STATUSES.has(status)) return undefined;
  const wait = parseRetryAfter(headerValue(headers["retry-after"]), ctx.now());
  if (wait === undefined || wait <= ctx.maxRetryAfterMs) return undefined;
  // A server may ask for any number of seconds: past a day, "1e+23 s" says nothing more.
  const asked = wait >= DAY_MS ? "more than a day" : formatSeconds(wait);
  return `Studio asked to wait ${asked} before trying again (Retry-After), longer than the ${formatSeconds(ctx.maxRetryAfterMs)} studio-jobs waits; run it again later.`;
}

/** The statuses that redirect: another 3xx (304 Not Modified, 300 Multiple Choices) is said as any other status. */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * A redirect's Location as its error names it: without its query or fragment, which may hold a
 * credential the redactor does not know (a signed URL's `?X-Amz-Signature=...&token=...`,
 * `#access_token=...`); `?…` or `#…` says something was left out. The URL parser writes a `?`
 * or `#` of the credentials or the path percent-encoded, so the first one in `href` starts them.
 */
function locationShown(target: URL, redact: (text: string) => string): string {
  const { href } = target;
  const cut = href.search(/[?#]/);
  if (cut === -1) return shorten(redact(href), 300);
  return `${shorten(redact(href.slice(0, cut)), 300)}${href[cut] ?? ""}… (what follows its ? or # is not shown: it may hold a credential)`;
}

export function redirected(ctx: ErrorContext, where: RequestDescription, status: number, location: string | undefined): RemoteError {
  const { redact } = ctx;
  let target: URL | undefined;
  try {
    target = location === undefined ? undefined : new URL(location, where.url);
  } catch {
    target = undefined;
  }
  // Only an http(s) URL is one Studio may have moved to (`javascript:` has the origin "null"),
  // and not the base URL in use (a sign-in page or a gateway's own path on the same server).
  const base = target?.protocol === "https:" || target?.protocol === "http:" ? baseUrlOf(target) : undefined;
  const suggestion = base === `${ctx.origin}${ctx.basePath}` ? undefined : base;
  return new RemoteError({
    method: where.method,
    path: where.path,
    status,
    code: "REMOTE_REDIRECT",
    message: redact(
      `[${where.method}] ${where.url}: ${status} redirect${target === undefined ? " without a usable Location" : ` to ${locationShown(target, redact)}`}; redirects are not followed, so the token never goes elsewhere`,
    ),
    hint: redact(
      // From https:// to plain http://: switching --url to it would send the token unencrypted.
      target?.protocol === "http:" && ctx.origin.startsWith("https:")
        ? "It points to plain http://, where the token would travel unencrypted: keep https:// in --url (or DATACHAIN_STUDIO_URL), and ask whoever runs Studio about the redirect."
        : suggestion === undefined
          ? "Check --url (or DATACHAIN_STUDIO_URL): it should be Studio's base URL, e.g. https://studio.datachain.ai."
          : `If Studio has moved, use --url ${shorten(redact(suggestion), 300)}.`,
    ),
  });
}

/**
 * The reply passed its cap. Its status goes with the error, as with the deadline: a create
 * Studio answered 2xx is not sent again, however large the reply that came with it.
 */
export function tooLarge(where: RequestDescription, maxBytes: number, status: number): RemoteError {
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

/** Where Studio lives as this URL names it: the part before /api, for hints. */
function urlHint({ origin, basePath }: ErrorContext): string {
  if (basePath.endsWith(API_PREFIX)) {
    return `studio-jobs adds ${API_PREFIX}/... itself: use --url ${origin}${basePath.slice(0, -API_PREFIX.length)} (without ${API_PREFIX}).`;
  }
  if (basePath !== "") {
    return `--url has a path (${basePath}); if Studio is at the root of ${origin}, use --url ${origin}.`;
  }
  return "Check --url (or DATACHAIN_STUDIO_URL): it should be Studio's base URL, e.g. https://studio.datachain.ai.";
}
