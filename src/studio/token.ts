// What a token may hold. It travels in a header, where a line break or another control
// character is refused before anything is sent, and would otherwise surface as a failed
// connection ("check --url") that points the wrong way.

import { UsageError } from "../errors.js";
import { hasControlCharacters } from "../invisible.js";

/** Throws a UsageError, saying where the token came from but never the token, when it holds a control character. */
export function checkToken(token: string | undefined, source: string): void {
  if (token === undefined || !hasControlCharacters(token)) return;
  throw new UsageError(
    `The token from ${source} holds a line break or another control character, which no token has.`,
    "Remove it: a token read from a file often keeps the file's line ending (\\n, or \\r\\n from Windows).",
  );
}
