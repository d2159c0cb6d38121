// Characters that change how a line reads without being seen: bidirectional overrides and
// isolates (U+202E makes "exe.txt" read backwards), marks, zero-width spaces and joiners,
// the word joiner and invisible operators, the byte-order mark, a soft hyphen, the blank
// fillers of Hangul and Mongolian, Unicode's line and paragraph separators. Whatever the tool prints from a spec or from Studio shows
// them as escapes, so a reviewer reads what is there (plans, spec messages, Studio's errors).

/** Those characters, as the inside of a regular-expression class (the team-name rule uses it too). */
export const INVISIBLE_CLASS =
  "\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\u3164\\ufeff\\uffa0";

/** C0, DEL and C1 control characters, as the inside of a regular-expression class. */
export const CONTROL_CLASS = "\\u0000-\\u001f\\u007f-\\u009f";

// eslint-disable-next-line no-misleading-character-class -- combining and joining characters are each to be matched alone
const INVISIBLE = new RegExp(`[${INVISIBLE_CLASS}]`, "g");

/** Whether `text` holds a control character (CONTROL_CLASS): a loop, as it checks every listed record. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** `c` as a JSON and JavaScript escape, `\uXXXX`. */
function escapeCharacter(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** `text` with each of those characters written as `\uXXXX`. */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, escapeCharacter);
}

/**
 * What JSON.stringify writes as itself and a reader of the JSON would not see: DEL, the C1
 * controls and the invisible characters above, as the inside of a regular-expression class.
 */
export const UNSEEN_IN_JSON_CLASS = `\\u007f-\\u009f${INVISIBLE_CLASS}`;

// eslint-disable-next-line no-misleading-character-class -- combining and joining characters are each to be matched alone
const UNSEEN_IN_JSON = new RegExp(`[${UNSEEN_IN_JSON_CLASS}]`, "g");

/** JSON text with those characters written as `\uXXXX`: the same JSON (they stand only inside its strings), every character of it seen. */
export function escapeUnseenInJson(json: string): string {
  return json.replace(UNSEEN_IN_JSON, escapeCharacter);
}

/**
 * Control characters (a terminal escape in a job name from Studio, a CR) shown, not obeyed;
 * so are the characters that reorder or break a line without being seen (above):
 * a query file in a pull request could otherwise make the plan a reviewer reads differ
 * from what it says.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const shown = text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? `^${String.fromCharCode(code + 64)}` : code === 0x7f ? "^?" : `\\x${code.toString(16)}`;
  });
  return escapeInvisible(shown);
}

/** A text of several lines, each shown as printable() shows it: the line breaks kept, a CR shown. */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}
