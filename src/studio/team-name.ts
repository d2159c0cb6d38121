// What a team name is, as the spec's schema says it (`teams:` and every `team`): checked
// again where a name does not come from the spec's text as written: a ${var:...} that
// gives one, --team, DATACHAIN_STUDIO_TEAM, datachain's config.

/** The schema's pattern for a team name (a test keeps the two the same). */
export const TEAM_NAME_PATTERN = "^[^,\\s\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]+$";

/** The rule, as messages state it after "must be". */
export const TEAM_NAME_RULE = "a team name without spaces, commas, control or invisible characters";

const TEAM_NAME = new RegExp(TEAM_NAME_PATTERN);

export function isTeamName(text: string): boolean {
  return TEAM_NAME.test(text);
}
