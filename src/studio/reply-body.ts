// Reading what Studio sends back: a reply's body, decoded as it arrives and never past its
// size cap, and the headers the client looks at.

import { finished } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { Dispatcher } from "./http.js";
import { ReplySyntaxError } from "./stream-parse.js";
import { firstInvalidUtf8 } from "../utf8.js";

export type Headers = Dispatcher.ResponseData["headers"];

/**
 * The reply's text, decoded piece by piece as it arrives, to `sink`; past `maxBytes` it
 * fails with the error `past` makes, or with "truncate" stops reading and keeps what came
 * (and resolves true: the text is only the body's start). What `sink` throws stops the
 * reading and is what this fails with. A body that is read whole (not "truncate") must be
 * UTF-8, as JSON is: bytes that are not fail it with a ReplySyntaxError, instead of turning
 * into U+FFFD and an id or a name other than Studio's. Read by its `data`
 * events, not `for await`: the async iterator's promise per chunk cost about a tenth of
 * reading a large listing (docs/architecture.md, "Reading a listing").
 */
export async function readBody(
  reply: Dispatcher.ResponseData,
  maxBytes: number,
  sink: (text: string) => void,
  past: (() => Error) | "truncate",
): Promise<boolean> {
  const body = reply.body;
  const declared = Number(headerValue(reply.headers["content-length"]));
  if (past !== "truncate" && Number.isFinite(declared) && declared > maxBytes) {
    discard(body);
    throw past();
  }
  // node's StringDecoder keeps a character split between chunks whole, like TextDecoder,
  // and decodes a listing some four times faster.
  const decoder = new StringDecoder("utf8");
  const strict = past !== "truncate";
  let bytes = 0;
  let first = true;
  /** The last bytes of the previous chunk: the start of a character the decoder still holds. */
  let tail: Buffer = EMPTY;
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    let stopWatching = (): void => undefined;
    /** Settles once; `failed` rather than "an error was given", as anything may be thrown. */
    const settle = (failed: boolean, error?: unknown, cut = false): void => {
      if (settled) return;
      settled = true;
      body.off("data", onData);
      stopWatching();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown or emitted, as `for await` would throw it
      if (failed) reject(error);
      else resolve(cut);
    };
    /** Settle, then stop reading what is left. */
    const stop = (failed: boolean, error?: unknown, cut = false): void => {
      settle(failed, error, cut);
      discard(body);
    };
    /** The text to `sink`, less a byte order mark it starts with. */
    const give = (text: string): void => {
      if (first && text !== "") {
        // A byte order mark is not part of the JSON (TextDecoder, used before, dropped it too).
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      if (text !== "") sink(text);
    };
    const onData = (chunk: Buffer): void => {
      try {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          if (past !== "truncate") return stop(true, past());
          give(decoder.write(chunk.subarray(0, chunk.length - (bytes - maxBytes))));
          return stop(false, undefined, true);
        }
        const text = decoder.write(chunk);
        // StringDecoder puts U+FFFD where bytes are not UTF-8; a reply may hold U+FFFD itself,
        // so the bytes are looked at only then, which costs a well-formed listing nothing.
        if (strict && text.includes(REPLACEMENT)) checkUtf8(tail, chunk, bytes - chunk.length, false);
        if (strict) tail = chunk.length >= 3 ? chunk.subarray(chunk.length - 3) : Buffer.concat([tail, chunk]).subarray(-3);
        give(text);
      } catch (error) {
        stop(true, error);
      }
    };
    // The end, an error, or a close with neither (a premature close), also of a body that
    // got there before this was called, which a listener added now would never hear.
    stopWatching = finished(body, { readable: true, writable: false }, (error) => {
      if (error !== undefined && error !== null) return settle(true, error);
      try {
        const rest = decoder.end();
        if (strict && rest !== "") checkUtf8(tail, EMPTY, bytes, true);
        give(rest);
        settle(false);
      } catch (thrown) {
        settle(true, thrown);
      }
    });
    body.on("data", onData);
  });
}

const EMPTY: Buffer = Buffer.alloc(0);
const REPLACEMENT = "\uFFFD";

/**
 * Fails if `chunk`, which starts at byte `offset` of the body, holds a byte that is not
 * UTF-8, counting the character the end of `previous` began; `final`: the body ends there.
 */
function checkUtf8(previous: Buffer, chunk: Buffer, offset: number, final: boolean): void {
  const held = heldBytes(previous);
  const bytes = held === 0 ? chunk : Buffer.concat([previous.subarray(previous.length - held), chunk]);
  const at = firstInvalidUtf8(bytes, final);
  if (at >= 0) {
    const byte = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, "0");
    throw new ReplySyntaxError(
      `it is not UTF-8 text, as JSON must be: it stops being UTF-8 at offset ${offset - held + at} (byte 0x${byte})`,
    );
  }
}

/** How many bytes at the end of `bytes` begin a character not yet complete. */
function heldBytes(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/**
 * Stops reading a reply. undici's body, destroyed before anything read it, emits an error
 * (UND_ERR_ABORTED) a turn later: without a listener, an uncaught exception.
 */
export function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The reply's Content-Encoding as sent, when it names a coding other than identity;
 * undefined when the body is as it is (no header, or only `identity`).
 */
export function contentCoding(headers: Headers): string | undefined {
  const raw = headers["content-encoding"];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw.join(", ") : raw;
  const codings = value.split(",").map((coding) => coding.trim().toLowerCase());
  return codings.every((coding) => coding === "" || coding === "identity") ? undefined : value;
}
