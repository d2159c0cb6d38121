// What a team name is, as the spec's schema says it (`teams:` and every `team`): checked
// again where a name does not come from the spec's text as written: a ${var:...} that
// gives one, --team, DATACHAIN_STUDIO_TEAM, datachain's config.

import { CONTROL_CLASS, hasInvisible, INVISIBLE_CLASS } from "../invisible.js";

/** The schema's pattern for a team name (a test keeps the two the same). */
export const TEAM_NAME_PATTERN = `^[^,\\s${CONTROL_CLASS}${INVISIBLE_CLASS}]+$`;

/** The rule, as messages state it after "must be". */
export const TEAM_NAME_RULE = "a team name without spaces, commas, control or invisible characters";

const TEAM_NAME = new RegExp(TEAM_NAME_PATTERN);

/** The pattern, and no invisible character past U+FFFF, which no pattern can say both with and without the `u` flag. */
export function isTeamName(text: string): boolean {
  return TEAM_NAME.test(text) && !hasInvisible(text);
}

/**
 * A team name as Studio may compare it: without case. Two names of one fold may be one team
 * to Studio, so a spec or a plan holds only one of them (desired/resolve.ts, cli/planning.ts).
 */
export function teamFold(name: string): string {
  return name.toLowerCase();
}

/**
 * Whether a record's `team` is the team asked for: compared without case as well, as Studio
 * may match team_name so and answer with the name as it spells it.
 */
export function isSameTeam(theirs: string, asked: string): boolean {
  return theirs === asked || teamFold(theirs) === teamFold(asked);
}
