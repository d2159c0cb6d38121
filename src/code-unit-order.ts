// Text ordered by UTF-16 code units, as Array.prototype.sort orders it: the same on every
// machine. localeCompare follows the runner's locale (LANG), so machine output sorted by it
// (status --format json, validate --format json) came out in another order on another
// runner: Danish puts `aa` after `z`, and every locale puts `a` before `B`, unlike plan.

/** A comparator for sort(): negative, zero or positive, by code units. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
