// What a token may hold. It travels in a header, where a line break or another control
// character is refused before anything is sent, and would otherwise surface as a failed
// connection ("check --url") that points the wrong way; so would a character past U+00FF,
// which no header can carry, and one past ASCII would be sent as bytes no token holds.

import { UsageError } from "../errors.js";
import { hasControlCharacters } from "../invisible.js";

/** Past printable ASCII: after the control characters' check, a character that is not ASCII. */
const PAST_ASCII = /[^ -~]/;

/** Throws a UsageError, saying where the token came from but never the token, when it holds a character no token has. */
export function checkToken(token: string | undefined, source: string): void {
  if (token === undefined) return;
  if (hasControlCharacters(token)) {
    throw new UsageError(
      `The token from ${source} holds a line break or another control character, which no token has.`,
      "Remove it: a token read from a file often keeps the file's line ending (\\n, or \\r\\n from Windows).",
    );
  }
  if (PAST_ASCII.test(token)) {
    throw new UsageError(
      `The token from ${source} holds a character that is not ASCII, which no token has.`,
      "Copy the token again as plain text: a copy from a web page or a document may bring a non-breaking space, a curly quote or a dash of its own.",
    );
  }
}
