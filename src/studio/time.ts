// The times Studio sends (`created_at`), read as the moments they name. Studio writes UTC
// with an offset (`…Z`); a server written in Python may also send a naive time
// (`2026-01-01T00:00:00`, `isoformat()` of a datetime without a zone), which is UTC too.
// Date.parse would read that one, and forms ISO 8601 does not have, in this machine's zone,
// so two CI runners in different zones would order the same records differently: here a
// time without an offset is UTC, everywhere, and only ISO 8601 is read at all.
// Times are compared as moments, never as text: `…00Z` sorts after `…00.5Z` as text.

/**
 * An ISO 8601 date, or date and time (`T` or a space between them, seconds and fractions
 * optional) with an offset or none. Nothing else is a time: Date.parse takes other forms
 * (`2026/07/01 12:30`, `Jul 1 2026 12:30`) too, and reads them in this machine's zone.
 */
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** The moment a time from Studio names, in ms since the epoch; NaN when it is not a time. */
export function studioTimeMs(text: string): number {
  const iso = ISO.exec(text);
  if (iso === null) return Number.NaN;
  const [, date, time = "00:00", offset = "Z"] = iso;
  const zone = offset.length === 5 ? `${offset.slice(0, 3)}:${offset.slice(3)}` : offset.toUpperCase();
  return Date.parse(`${date}T${time}${zone}`);
}

/** Newest first by the moment `created_at` names; ties, and records whose time is unreadable, by id. */
export function newestFirst(a: { created_at: string; id: string }, b: { created_at: string; id: string }): number {
  const x = studioTimeOrder(a.created_at);
  const y = studioTimeOrder(b.created_at);
  if (x !== y) return y - x > 0 ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A time from Studio as a number to order by: its moment, and an unreadable one as the oldest. */
export function studioTimeOrder(text: string): number {
  const ms = studioTimeMs(text);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}
