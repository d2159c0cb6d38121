// The times Studio sends (`created_at`), read as the moments they name. Studio writes UTC
// with an offset (`…Z`); a server written in Python may also send a naive time
// (`2026-01-01T00:00:00`, `isoformat()` of a datetime without a zone), which is UTC too.
// Date.parse would read that one in this machine's zone, so two CI runners in different
// zones would order the same records differently: here it is read as UTC, everywhere.
// Times are compared as moments, never as text: `…00Z` sorts after `…00.5Z` as text.

/** A date and time with no offset: `T` or a space between them, seconds and fractions optional. */
const NAIVE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;

/** The moment a time from Studio names, in ms since the epoch; NaN when it is not a time. */
export function studioTimeMs(text: string): number {
  const naive = NAIVE.exec(text);
  return Date.parse(naive === null ? text : `${naive[1]}T${naive[2]}Z`);
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
