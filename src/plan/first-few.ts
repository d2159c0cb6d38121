// Naming a few of many in a warning: a team may hold thousands of them.

/** The first `count` of `names`, joined by commas, then how many more: `a, b and 3 more`. */
export function firstFew(names: readonly string[], count: number): string {
  const more = names.length > count ? ` and ${names.length - count} more` : "";
  return `${names.slice(0, count).join(", ")}${more}`;
}
