// Characters that change how a line reads without being seen: bidirectional overrides and
// isolates (U+202E makes "exe.txt" read backwards), marks, a zero-width space, Unicode's
// line and paragraph separators. Whatever the tool prints from a spec or from Studio shows
// them as escapes, so a reviewer reads what is there (plans, spec messages, Studio's errors).

const INVISIBLE = /[\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** `text` with each of those characters written as `\uXXXX`. */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
