// Reading what Studio sends back: a reply's body, decoded as it arrives and never past its
// size cap, and the headers the client looks at.

import { StringDecoder } from "node:string_decoder";
import type { Dispatcher } from "./http.js";

export type Headers = Dispatcher.ResponseData["headers"];

/**
 * The reply's text, decoded piece by piece as it arrives, to `sink`; past `maxBytes` it
 * fails with the error `past` makes, or with "truncate" stops reading and keeps what came.
 */
export async function readBody(
  reply: Dispatcher.ResponseData,
  maxBytes: number,
  sink: (text: string) => void,
  past: (() => Error) | "truncate",
): Promise<void> {
  const declared = Number(headerValue(reply.headers["content-length"]));
  if (past !== "truncate" && Number.isFinite(declared) && declared > maxBytes) {
    discard(reply.body);
    throw past();
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
      if (past !== "truncate") throw past();
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
