// Reading a request defensively: its target, split and decoded without throwing, and its
// body, refused by size before it is read and while it arrives. Nothing here buffers
// more than the limit it is given.

import type { IncomingMessage, ServerResponse } from "node:http";

export interface RequestTarget {
  /** The path as sent, still percent-encoded but for unreserved characters: routes match on it. */
  path: string;
  query: URLSearchParams;
}

const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const ESCAPE = /%([0-9A-Fa-f]{2})/g;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The path with its %-escaped unreserved characters decoded: `/api/datachain/%6Aobs/` is
 * the same path as `/api/datachain/jobs/` (RFC 3986, 6.2.2.2), and a server routes it so.
 * Other escapes (`%2F` among them) stay: they are decoded once, within their segment.
 */
function normalizePath(path: string): string {
  if (!path.includes("%")) return path;
  return path.replace(ESCAPE, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escape;
  });
}

/**
 * The path and query of a request line, or undefined when either is malformed: not
 * origin-form, or a broken percent-escape (`%ZZ`, a lone `%`, bytes that are not UTF-8).
 */
export function parseTarget(raw: string): RequestTarget | undefined {
  // Only origin-form: an absolute URL (proxy form) or `*` is not for this server, and a
  // fragment is never sent (`?team_name=demo#x` read as the team "demo#x").
  if (!raw.startsWith("/") || raw.includes("#")) return undefined;
  const mark = raw.indexOf("?");
  const path = mark === -1 ? raw : raw.slice(0, mark);
  const search = mark === -1 ? "" : raw.slice(mark + 1);
  if (decodeSafely(path) === undefined) return undefined;
  // URLSearchParams would quietly keep a broken escape as text; Studio's server refuses it.
  if (search !== "" && decodeSafely(search.replace(/\+/g, " ")) === undefined) return undefined;
  return { path: normalizePath(path), query: new URLSearchParams(search) };
}

/** decodeURIComponent that answers undefined instead of throwing. */
export function decodeSafely(text: string): string | undefined {
  if (!text.includes("%")) return text;
  if (BAD_ESCAPE.test(text)) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // a well-formed escape of bytes that are not UTF-8
  }
}

/** The Content-Length the client declared, or undefined for a chunked body or none. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/**
 * The Transfer-Encoding of a request when it holds a coding besides `chunked`, or undefined;
 * `framed`: whether it ends in `chunked`, so that where the body ends is known. Node's parser
 * takes `gzip, chunked` and hands over its chunks still coded: read as they come, they are
 * another body than was sent. RFC 9112, 6.1: a coding the server does not decode is a 501.
 * One that does not end in `chunked` leaves the body's end unknown (6.3): a 400, and the
 * connection closed, as Node's parser then refuses what follows.
 */
export function unsupportedTransferCoding(req: IncomingMessage): { coding: string; framed: boolean } | undefined {
  const header = req.headers["transfer-encoding"];
  if (header === undefined || header.trim().toLowerCase() === "chunked") return undefined;
  return { coding: header, framed: /(?:^|,)\s*chunked\s*$/i.test(header) };
}

/** Whether bytes of a body may follow the headers. */
export function mayHaveBody(req: IncomingMessage): boolean {
  const length = declaredLength(req);
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length > 0);
}

/** Bytes of request bodies the emulator holds at once, across every request being read. */
export interface BodyBudget {
  left: number;
}

/**
 * The whole body; undefined as soon as more than `limit` bytes have arrived; null when the
 * bodies being read at once would pass `budget` (many clients sending large bodies slowly
 * would otherwise hold gigabytes). Either way the request is paused, not destroyed: the
 * caller still answers on its socket. What the body took of the budget is given back when
 * it is done, however it ends. A client waiting for `100 Continue` is told to go on only
 * now that the body is wanted.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  res: ServerResponse,
  budget?: BodyBudget,
): Promise<Buffer | undefined | null> {
  if (!mayHaveBody(req)) return Promise.resolve(Buffer.alloc(0));
  if (req.headers.expect?.toLowerCase() === "100-continue") res.writeContinue();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: Buffer | undefined | null, error?: Error) => {
      if (done) return;
      done = true;
      if (budget !== undefined) budget.left += size;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      if (error !== undefined) reject(error);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      if (budget !== undefined && chunk.length > budget.left) {
        req.pause();
        chunks.length = 0;
        finish(null);
        return;
      }
      size += chunk.length;
      if (budget !== undefined) budget.left -= chunk.length;
      if (size > limit) {
        req.pause();
        chunks.length = 0;
        finish(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    const onError = (error: Error) => finish(undefined, error);
    const onClose = () => finish(undefined, new Error("the connection closed before the body ended"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}
