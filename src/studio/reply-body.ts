// Reading what Studio sends back: a reply's body, decoded as it arrives and never past its
// size cap, and the headers the client looks at.

import { finished } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { Dispatcher } from "./http.js";

export type Headers = Dispatcher.ResponseData["headers"];

/**
 * The reply's text, decoded piece by piece as it arrives, to `sink`; past `maxBytes` it
 * fails with the error `past` makes, or with "truncate" stops reading and keeps what came
 * (and resolves true: the text is only the body's start). What `sink` throws stops the
 * reading and is what this fails with. Read by its `data`
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
  let bytes = 0;
  let first = true;
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
    const onData = (chunk: Buffer): void => {
      try {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          if (past !== "truncate") return stop(true, past());
          const text = decoder.write(chunk.subarray(0, chunk.length - (bytes - maxBytes)));
          if (text !== "") sink(text);
          return stop(false, undefined, true);
        }
        let text = decoder.write(chunk);
        if (first && text !== "") {
          // A byte order mark is not part of the JSON (TextDecoder, used before, dropped it too).
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          first = false;
        }
        if (text !== "") sink(text);
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
        if (rest !== "") sink(rest);
        settle(false);
      } catch (thrown) {
        settle(true, thrown);
      }
    });
    body.on("data", onData);
  });
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
