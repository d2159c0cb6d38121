// The bytes of a text file the user wrote (a spec file, a --var-file, a query or
// requirements file) as text, or why they are not: UTF-8 only, as Studio takes it and
// YAML is read. Decoding with replacement would send a Latin-1 "café" as "caf\ufffd".

import { isUtf8 } from "node:buffer";
import { firstInvalidUtf8 } from "../utf8.js";

/** Where a problem is, in the file's own lines: line and column (in characters) from 1. */
export interface TextPlace {
  line: number;
  column: number;
}

export type TextProblem =
  /** A NUL byte: no text file holds one. */
  | ({ kind: "binary" } & TextPlace)
  /** `byte`: the first byte that is not well-formed UTF-8. */
  | ({ kind: "not-utf8"; byte: number } & TextPlace)
  /** Its byte order mark says so (FF FE or FE FF): else its NUL bytes between letters would call it binary. */
  | { kind: "utf-16" };

export type DecodedText = { text: string } | { problem: TextProblem };

/** A UTF-8 byte order mark at the start is dropped, as editors that write one expect: it is not part of the text. */
export function decodeText(bytes: Buffer): DecodedText {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return { problem: { kind: "utf-16" } };
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { problem: { kind: "binary", ...placeOf(bytes, start, nul) } };
  // The native check is fast; the byte-by-byte scan runs only to say where the problem is.
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (bad !== -1) return { problem: { kind: "not-utf8", byte: bytes[bad] ?? 0, ...placeOf(bytes, start, bad) } };
  return { text: bytes.toString("utf8", start) };
}

/** `byte 0xe9 at line 1, column 12` and the like: what is wrong with a file, and where, for a message about it. */
export function describeTextProblem(problem: TextProblem): string {
  switch (problem.kind) {
    case "binary":
      return `is a binary file, not text (a NUL byte at line ${problem.line}, column ${problem.column})`;
    case "not-utf8":
      return `is not UTF-8 text (byte 0x${problem.byte.toString(16).padStart(2, "0")} at line ${problem.line}, column ${problem.column}); save it as UTF-8`;
    case "utf-16":
      return "is UTF-16; save it as UTF-8";
    default:
      return problem satisfies never;
  }
}

/** Line and column (in characters, from 1) of `offset` in `text`; a line ends with LF, CRLF or a lone CR, as YAML reads them. */
export function placeInText(text: string, offset: number): TextPlace {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The place of a byte offset in valid UTF-8 up to it; `start` skips a byte order mark. */
function placeOf(bytes: Buffer, start: number, offset: number): TextPlace {
  const text = bytes.subarray(start, offset).toString("utf8");
  return placeInText(text, text.length);
}
