// readBody against TextDecoder's fatal UTF-8 as the oracle, on seeded random bodies cut into
// random chunks: well-formed text (every width of character, U+FFFD itself, a byte order
// mark) must come back exactly; a body with a bad sequence anywhere, cut anywhere, must be
// refused at its first bad byte; an error's body ("truncate") must still be read as it came.

import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Dispatcher } from "./http.js";
import { readBody } from "./reply-body.js";
import { firstInvalidUtf8 } from "../utf8.js";
import { createSeededRandom as generator } from "../emulator/random.js";

const fatal = new TextDecoder("utf-8", { fatal: true });

/** Characters of every width, U+FFFD and the byte order mark among them. */
const POOL = [
  "a",
  '"',
  "{",
  "\u00e9",
  "\u07ff",
  "\u0800",
  "\u20ac",
  "\ud7ff",
  "\ue000",
  "\ufffd",
  "\ufeff",
  "\uffff",
  "\u{10000}",
  "\u{1f600}",
  "\u{10ffff}",
];

/** Sequences that are not UTF-8: lone continuation bytes, overlong forms, surrogates, past U+10FFFF, F5-FF, cut short. */
const BAD: number[][] = [
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xe0, 0x9f, 0xbf],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf0, 0x8f, 0xbf, 0xbf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8],
  [0xfe],
  [0xff],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xe2, 0x82, 0x41],
  [0xf0, 0x9f, 0x41],
];

function randomText(random: () => number, bom: boolean): string {
  const length = Math.floor(random() * 40);
  let text = bom ? "\ufeff" : "";
  for (let i = 0; i < length; i++) text += POOL[Math.floor(random() * POOL.length)] ?? "a";
  return text;
}

/** `bytes` cut at random places, into pieces of 1 byte up to all of it. */
function chunks(random: () => number, bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  const large = random() < 0.2;
  for (let at = 0; at < bytes.length;) {
    const size = large ? 1 + Math.floor(random() * bytes.length) : 1 + Math.floor(random() * 5);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

async function read(
  pieces: Buffer[],
  past: (() => Error) | "truncate",
  maxBytes = 1_000_000,
): Promise<{ text: string; error?: string; cut?: boolean }> {
  const body = new Readable({ read: () => undefined });
  for (const piece of pieces) body.push(piece);
  body.push(null);
  let text = "";
  const reply = { body, headers: {}, statusCode: 200 } as unknown as Dispatcher.ResponseData;
  try {
    const cut = await readBody(reply, maxBytes, (piece) => (text += piece), past);
    return cut ? { text, cut } : { text };
  } catch (error) {
    return { text, error: (error as Error).message };
  }
}

/** FUZZ_RUNS=30000 for a longer hunt; the default keeps the file well under a second. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const tooLarge = () => new Error("too large");

describe("readBody on random bodies, TextDecoder's fatal UTF-8 the oracle", () => {
  it("reads well-formed text back exactly, however it is cut", async () => {
    const random = generator(20261130);
    for (let run = 0; run < RUNS; run++) {
      const text = randomText(random, random() < 0.2);
      const bytes = Buffer.from(text);
      const expected = fatal.decode(bytes);
      expect(await read(chunks(random, bytes), tooLarge), `${bytes.toString("hex")}`).toEqual({ text: expected });
      expect(await read(chunks(random, bytes), "truncate"), `${bytes.toString("hex")}`).toEqual({ text: expected });
      // An error's body cut at its cap: the characters whole before it, as a streaming TextDecoder gives them.
      const cap = Math.floor(random() * (bytes.length + 1));
      const start = new TextDecoder("utf-8").decode(bytes.subarray(0, cap), { stream: true });
      expect(await read(chunks(random, bytes), "truncate", cap), `${bytes.toString("hex")} cut at ${cap}`).toEqual(
        cap < bytes.length ? { text: start, cut: true } : { text: expected },
      );
    }
  });

  it("refuses a body with a bad sequence, however it is cut, at the first bad byte; an error's body is read leniently", async () => {
    const random = generator(42);
    for (let run = 0; run < RUNS; run++) {
      const before = Buffer.from(randomText(random, random() < 0.1));
      const bad = Buffer.from(BAD[Math.floor(random() * BAD.length)] ?? [0xff]);
      // A bad sequence at the very end half the time: a character the body ends inside.
      const after = random() < 0.5 ? Buffer.alloc(0) : Buffer.from(randomText(random, false));
      const bytes = Buffer.concat([before, bad, after]);
      const hex = bytes.toString("hex");
      expect(() => fatal.decode(bytes), hex).toThrow();
      const at = firstInvalidUtf8(bytes);
      expect(at, hex).toBe(before.length);
      const byte = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, "0");
      const got = await read(chunks(random, bytes), tooLarge);
      expect(got.error, hex).toBe(`it is not UTF-8 text, as JSON must be: it stops being UTF-8 at offset ${at} (byte 0x${byte})`);
      const lenient = await read(chunks(random, bytes), "truncate");
      expect(lenient, hex).toEqual({ text: new TextDecoder("utf-8").decode(bytes) });
    }
  });

  it("on random bytes, is refused exactly when TextDecoder refuses, at the start of the character that goes wrong", async () => {
    const random = generator(7);
    // Bytes weighted to where UTF-8 has its edges.
    const edges = [
      0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5,
      0xff,
    ];
    for (let run = 0; run < RUNS; run++) {
      const length = Math.floor(random() * 12);
      const bytes = Buffer.from(
        Array.from({ length }, () => (random() < 0.8 ? (edges[Math.floor(random() * edges.length)] ?? 0) : Math.floor(random() * 256))),
      );
      const hex = bytes.toString("hex");
      const got = await read(chunks(random, bytes), tooLarge);
      let valid = true;
      try {
        fatal.decode(bytes);
      } catch {
        valid = false;
      }
      if (valid) {
        expect(got, hex).toEqual({ text: fatal.decode(bytes) });
        continue;
      }
      // The longest start of the body TextDecoder takes as the start of UTF-8 text, then back to a whole character.
      let longest = 0;
      while (longest < bytes.length && decodes(bytes.subarray(0, longest + 1), true)) longest++;
      let at = longest;
      while (!decodes(bytes.subarray(0, at), false)) at--;
      const byte = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, "0");
      expect(got.error, hex).toBe(`it is not UTF-8 text, as JSON must be: it stops being UTF-8 at offset ${at} (byte 0x${byte})`);
    }
  });
});

/** Whether TextDecoder takes `bytes` as UTF-8 text, or with `stream` as the start of it. */
function decodes(bytes: Uint8Array, stream: boolean): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream });
    return true;
  } catch {
    return false;
  }
}
