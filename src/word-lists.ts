// A list of names said in a sentence: `a, b and c`, or the first few of many, `a, b and 3 more`
// (a team may hold thousands of the jobs a warning names).

/** `a, b and c` (or `or`, given as `last`); one word alone, and nothing for none. */
export function joinWords(words: readonly string[], last = "and"): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} ${last} ${words.at(-1) ?? ""}`;
}

/** The first `count` of `names`, joined by commas, then how many more: `a, b and 3 more`. */
export function firstFew(names: readonly string[], count: number): string {
  const more = names.length > count ? ` and ${names.length - count} more` : "";
  return `${names.slice(0, count).join(", ")}${more}`;
}

/**
 * `team a`, or `teams a, b`: the teams a sentence names; given `count`, only the first
 * `count` of them, then how many more (teams read from Studio's records may be thousands).
 */
export function teamsNamed(teams: readonly string[], count = Number.POSITIVE_INFINITY): string {
  return `team${teams.length === 1 ? "" : "s"} ${teams.length > count ? firstFew(teams, count) : teams.join(", ")}`;
}
