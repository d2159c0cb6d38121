// Characters that change how a line reads without being seen: bidirectional overrides and
// isolates (U+202E makes "exe.txt" read backwards), marks, zero-width spaces and joiners,
// the word joiner, invisible operators and the deprecated format controls, variation
// selectors, the byte-order mark, a soft hyphen, the blank fillers of Hangul and Mongolian,
// interlinear annotation marks, Unicode's line and paragraph separators, and past U+FFFF
// the tag characters (which spell hidden text), the Egyptian hieroglyph, shorthand and
// musical format controls: Unicode's default-ignorable characters and its format characters,
// less the few that are seen (the Arabic and Kaithi number signs and marks); and half of a
// surrogate pair alone, which is no character and prints as U+FFFD. Whatever the
// tool prints from a spec or from Studio shows them as escapes, so a reviewer reads what is
// there (plans, spec messages, Studio's errors).

/**
 * Those of them up to U+FFFF, as the inside of a regular-expression class that means the
 * same with or without the `u` flag: the team-name rule uses it, and so does the schema's
 * pattern, which editors may read either way.
 */
export const INVISIBLE_CLASS =
  "\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb";

/**
 * Those past U+FFFF, as their UTF-16 surrogate pairs (a pattern without the `u` flag sees
 * those): U+13430-U+1343F (Egyptian hieroglyph format controls), U+1BCA0-U+1BCA3,
 * U+1D173-U+1D17A, and U+E0000-U+E0FFF (tags, variation selectors).
 */
const ASTRAL_INVISIBLE = "\\ud80d[\\udc30-\\udc3f]|\\ud82f[\\udca0-\\udca3]|\\ud834[\\udd73-\\udd7a]|[\\udb40-\\udb43][\\udc00-\\udfff]";

/** Half of a surrogate pair, alone: no character, printed as U+FFFD, so two such names look alike. */
const UNPAIRED = "[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]";

/** C0, DEL and C1 control characters, as the inside of a regular-expression class. */
export const CONTROL_CLASS = "\\u0000-\\u001f\\u007f-\\u009f";

// eslint-disable-next-line no-misleading-character-class -- combining and joining characters are each to be matched alone
const INVISIBLE = new RegExp(`[${INVISIBLE_CLASS}]|${ASTRAL_INVISIBLE}|${UNPAIRED}`, "g");

/** Whether `text` holds one of those characters, past U+FFFF included. */
export function hasInvisible(text: string): boolean {
  return text.search(INVISIBLE) !== -1;
}

/** Whether `text` holds a control character (CONTROL_CLASS): a loop, as it checks every listed record. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** `c` (one UTF-16 unit, or a surrogate pair) as JSON and JavaScript escapes, `\uXXXX` a unit. */
export function escapeCharacter(c: string): string {
  let out = "";
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

/** `text` without those characters: how it reads. */
export function withoutInvisible(text: string): string {
  return text.replace(INVISIBLE, "");
}

/** `text` with each of those characters written as `\uXXXX`. */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, escapeCharacter);
}

// What JSON.stringify writes as itself and a reader of the JSON would not see: DEL, the C1
// controls and the invisible characters above.
// eslint-disable-next-line no-misleading-character-class -- combining and joining characters are each to be matched alone
const UNSEEN_IN_JSON = new RegExp(`[\\u007f-\\u009f${INVISIBLE_CLASS}]|${ASTRAL_INVISIBLE}`, "g");

/** JSON text with those characters written as `\uXXXX`: the same JSON (they stand only inside its strings), every character of it seen. */
export function escapeUnseenInJson(json: string): string {
  return json.replace(UNSEEN_IN_JSON, escapeCharacter);
}

/**
 * `text` in double quotes as JSON writes it, every character seen (a line break as `\n`, a
 * control or unseen character as `\uXXXX`): a value a user gave (a flag's, a variable's) as a
 * message quotes it, which must not break the message's line nor forge the next one.
 */
export function quoted(text: string): string {
  return escapeUnseenInJson(JSON.stringify(text));
}

/** `text` with each of those characters given to `replace`, with where it stands, and replaced by what it returns. */
export function replaceUnseen(text: string, replace: (match: string, at: number) => string): string {
  return text.replace(UNSEEN_IN_JSON, (match: string, at: number) => replace(match, at));
}

/** Where JSON text holds one of those characters as itself, or -1: `escapeUnseenInJson` leaves none. */
export function findUnseenInJson(json: string): number {
  return json.search(UNSEEN_IN_JSON);
}

/**
 * A value as JSON for a reader (`--format json`, a saved plan): two-space indent, a final
 * newline, and the characters above as escapes, so that what a reviewer reads in a log or
 * a pull request is what a program reading it gets.
 */
export function jsonForReaders(value: unknown): string {
  return `${escapeUnseenInJson(JSON.stringify(value, null, 2))}\n`;
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

const UNSTORABLE = new RegExp(`\\u0000|${UNPAIRED}`);

/**
 * The first NUL or UTF-16 surrogate without its other half in `text`, or undefined: no text
 * file holds either (a spec or query file with one is refused), Studio's database stores
 * neither, and a process's environment ends at a NUL. A spec's escapes can give them.
 */
export function unstorableCharacter(text: string): string | undefined {
  return UNSTORABLE.exec(text)?.[0];
}

/** A text of several lines, each shown as printable() shows it: the line breaks kept, a CR shown. */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}

/**
 * Every character outside printable ASCII as a \u escape (UTF-16 units, as JSON writes them):
 * for telling apart two spellings of a name that look alike, café precomposed and decomposed.
 */
export function unicodeEscaped(text: string): string {
  return text.replace(/[^ -~]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
