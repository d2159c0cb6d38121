// Text shown as itself in GitHub Markdown. Its own module because the redactor needs it too:
// a secret in a name is written in a plan's Markdown with these escapes, a spelling the
// redactor must know to hide it (src/redact.ts).

import { printable } from "./invisible.js";

/**
 * What GitHub finds in the rendered text rather than in the Markdown: a mention (`@org/team`
 * pings the team), an issue (`#26`, `GH-26`, with a backlink in its timeline) and an emoji
 * (`:x:`). A character reference renders as the character before GitHub looks, so it does
 * not keep `&#64;org/team` from pinging anyone; an empty HTML comment after the character,
 * which renders as nothing, splits the text where GitHub looks. GitLab, which the merge
 * request recipe posts the same Markdown to, reads it alike, and finds more: `!12` a merge
 * request (with a "mentioned in" note on it, as `#12` an issue), `&12` an epic, `~bug` a
 * label, `$12` a snippet.
 */
const FOUND_IN_TEXT = new Set(["@", "#", ":", "-", "!", "&", "~", "$"]);

/**
 * Text shown as itself anywhere in GitHub Markdown, table cells and inline HTML included:
 * each character Markdown or HTML could act on becomes a character reference, which
 * renders as the character and is never markup (nor a table's `|`); one of FOUND_IN_TEXT
 * is followed by an empty comment as well, unless a blank or the end follows it. A link
 * needs a `:` or an `@`, except GitHub's "www." autolink: its dot is escaped too; and so is
 * the `-` of "GH-", which GitHub links as a reference to an issue (`GH-26` is `#26`).
 */
export function escapeMarkdown(text: string): string {
  // Only before a character that could go on with a name, a number or an emoji's: not before a blank.
  return printable(text).replace(
    /[&<>`|\\*_[\]~$:@#!]|(?<=www)\.|(?<=gh)-/gi,
    (c: string, at: number, shown: string) =>
      `&#${c.charCodeAt(0)};${FOUND_IN_TEXT.has(c) && /\S/.test(shown.charAt(at + 1)) ? "<!-- -->" : ""}`,
  );
}
