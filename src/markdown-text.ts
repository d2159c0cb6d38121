// Text shown as itself in GitHub Markdown. Its own module because the redactor needs it too:
// a secret in a name is written in a plan's Markdown with these escapes, a spelling the
// redactor must know to hide it (src/redact.ts).

import { printable } from "./invisible.js";

/**
 * Text shown as itself anywhere in GitHub Markdown, table cells and inline HTML included:
 * each character Markdown or HTML could act on becomes a character reference, which
 * renders as the character and is never markup (nor a table's `|`, nor an emoji `:x:`).
 * A link needs a `:` or an `@`, except GitHub's "www." autolink: its dot is escaped too; and
 * so is the `-` of "GH-", which GitHub links as a reference to an issue (`GH-26` is `#26`),
 * with a backlink in that timeline.
 */
export function escapeMarkdown(text: string): string {
  return printable(text).replace(/[&<>`|\\*_[\]~$:@#!]|(?<=www)\.|(?<=gh)-/gi, (c) => `&#${c.charCodeAt(0)};`);
}
