// CI runners read a job's log for commands: GitHub Actions runs a line that starts with `::`
// (after blanks) as a workflow command, and one that holds `##[` anywhere as the same in its
// older spelling; Azure Pipelines does the same with `##vso[` anywhere. Among them
// `add-mask` (every later "cancel" in the log read "***"), `stop-commands` (the real
// annotations after it ignored), `group` (lines folded away) and `error` (a failure
// annotation on the pull request). A query file's line, an environment value, a name in
// Studio can spell one, and a plan printed in a log would run it. Every line the CLI prints
// passes through here (src/cli/io.ts), so no path can bypass it; see docs/architecture.md.

/**
 * A `[` that would open an older-style command, or a `:` that would start a line's command,
 * matched with the line's start and the blanks before it (group 1). Not a lookbehind over the
 * blanks: tried at each of a line's n blanks, it read back over them all, n² steps in all.
 */
const COMMAND = /(?<=##(?:vso)?)\[|((?:^|[\n\r])(?:[^\S\n\r]|\u0085)*):(?=:)/gi;

/**
 * `text` with the character that would make a runner take a line for a command written as a
 * `\uXXXX` escape: a reader sees what is there, and where it stands inside a JSON string (or
 * a YAML double-quoted one) it is the same value. A chunk's start counts as a line's start.
 */
export function withoutWorkflowCommands(text: string): string {
  if (!text.includes("::") && !text.includes("##")) return text;
  return text.replace(COMMAND, (_match, lineStart: string | undefined) => (lineStart === undefined ? "\\u005b" : `${lineStart}\\u003a`));
}

/** Whether the CLI would print `text` otherwise than as itself: a value import must double-quote to keep. */
export function holdsWorkflowCommand(text: string): boolean {
  return withoutWorkflowCommands(text) !== text;
}
