// How a server's reply is told in a message: one line, nothing in it obeyed, a page
// reduced to its words, Studio's own {"message": ...}, sizes and durations.

import { escapeInvisible } from "../invisible.js";

const MIB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  return bytes >= MIB ? `${Math.round((bytes / MIB) * 10) / 10} MiB` : `${bytes} bytes`;
}

/** A time in seconds, to a tenth: `0.4 s`, `120 s`. */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** A wait or a time spent, for people: `0.4 s`, `12.3 s`, `1 min`, `5 min 1 s`. */
export function formatDuration(ms: number): string {
  if (ms < 59_950) return formatSeconds(ms);
  const seconds = Math.round(ms / 1000);
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)} min${rest === 0 ? "" : ` ${rest} s`}`;
}

/**
 * A server's text as one line: white space and control characters (a terminal escape, once
 * an entity is decoded) run together into one space, so nothing it sends is obeyed.
 */
export function oneLine(text: string): string {
  // Characters that reorder a line unseen are shown as escapes, as everything printed shows them.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return escapeInvisible(text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, " ").trim());
}

/**
 * Tags that put no space where they stand, as a browser shows a page: `<wbr>` (where a long
 * word may wrap, which a page puts inside a token it quotes), and text-level elements.
 */
const INLINE_TAG = /<\/?(?:wbr|span|b|i|u|s|em|strong|code|kbd|samp|var|mark|small|sub|sup|abbr|tt|font|a)\b[^>]*>/gi;

/**
 * Tags and scripts dropped, white space run together: what is left of a page to read. An
 * inline tag leaves nothing, as on the page: a space there split a token the page quoted with
 * `<wbr>` or a `<span>` in it into pieces the redactor knows none of.
 */
export function stripHtml(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ")
    .replace(INLINE_TAG, "")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

const NAMED_ENTITIES: Record<string, string> = { nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** `&amp;`, `&#39;` and `&#x27;` as the characters they stand for (others are left as written). */
export function decodeEntities(html: string): string {
  return html.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-z]+));/g, (entity, decimal?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES[name] ?? entity;
    const code = decimal !== undefined ? Number(decimal) : Number.parseInt(hex ?? "", 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Studio's own error message, `{"message": "..."}`, as it came; undefined when the body is not that. */
export function readMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === "object" && "message" in parsed) {
      const message = parsed.message;
      if (typeof message === "string") return message;
    }
  } catch {
    // not JSON: the caller describes the body instead
  }
  return undefined;
}

export function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? code : cause.message;
  }
  return String(cause);
}
