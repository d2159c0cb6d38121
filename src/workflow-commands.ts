// CI runners read a job's log for commands: GitHub Actions runs a line that starts with `::`
// (after blanks) as a workflow command, and one that holds `##[` anywhere as the same in its
// older spelling; Azure Pipelines does the same with `##vso[` anywhere. Among them
// `add-mask` (every later "cancel" in the log read "***"), `stop-commands` (the real
// annotations after it ignored), `group` (lines folded away) and `error` (a failure
// annotation on the pull request). A query file's line, an environment value, a name in
// Studio can spell one, and a plan printed in a log would run it. Every line the CLI prints
// passes through here (src/cli/io.ts), so no path can bypass it; see docs/architecture.md, "Modules".

/** A blank a runner trims before a line's `::`: whitespace but a line break, and NEL. */
const LINE_BLANK = /[^\S\n\r]|\u0085/;

/**
 * Where the `[` of each `##[` and `##vso[` (any case) stands, and the first `:` of each
 * `::` that starts a line after blanks (a chunk's start counts as a line's start). Found
 * with indexOf, then looked at around: a pattern tried at every character of the text
 * (`(?<=##(?:vso)?)\[|...`) took some 40 ms for each 6 MB printed that held `::` anywhere
 * (a query's `a[::2]`), a plan's JSON of many jobs. Each `::` looks back over the blanks
 * before it only to the character before them, so the whole text is read a few times.
 */
function commandPositions(text: string): number[] {
  const brackets: number[] = [];
  for (let i = text.indexOf("##"); i !== -1; i = text.indexOf("##", i + 1)) {
    if (text.charCodeAt(i + 2) === 0x5b) brackets.push(i + 2);
    else if (text.charCodeAt(i + 5) === 0x5b && text.slice(i + 2, i + 5).toLowerCase() === "vso") brackets.push(i + 5);
  }
  const colons: number[] = [];
  for (let i = text.indexOf("::"); i !== -1; i = text.indexOf("::", i + 1)) {
    let j = i - 1;
    while (j >= 0 && LINE_BLANK.test(text.charAt(j))) j--;
    if (j === -1 || text.charCodeAt(j) === 0x0a || text.charCodeAt(j) === 0x0d) colons.push(i);
  }
  // Each list is in order already: merged, not sorted.
  const at: number[] = [];
  let [b, c] = [0, 0];
  while (b < brackets.length || c < colons.length) {
    const next =
      c >= colons.length || (b < brackets.length && (brackets[b] as number) < (colons[c] as number)) ? brackets[b++] : colons[c++];
    at.push(next as number);
  }
  return at;
}

/**
 * `text` with the character that would make a runner take a line for a command written as a
 * `\uXXXX` escape: a reader sees what is there, and where it stands inside a JSON string (or
 * a YAML double-quoted one) it is the same value.
 */
export function withoutWorkflowCommands(text: string): string {
  if (!text.includes("::") && !text.includes("##")) return text;
  const at = commandPositions(text);
  if (at.length === 0) return text;
  let shown = "";
  let from = 0;
  for (const i of at) {
    shown += text.slice(from, i) + (text.charCodeAt(i) === 0x5b ? "\\u005b" : "\\u003a");
    from = i + 1;
  }
  return shown + text.slice(from);
}

/** Whether the CLI would print `text` otherwise than as itself: a value import must double-quote to keep. */
export function holdsWorkflowCommand(text: string): boolean {
  return withoutWorkflowCommands(text) !== text;
}

/**
 * GitHub's escaping of a workflow command's data (an annotation's message): it may not hold
 * `%` or line breaks. Where the command's text holds a secret, the redactor knows its escaped
 * spelling too (src/secret-spellings.ts).
 */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** The escaping of a command's property value (an annotation's `file`): as data, and `:` and `,`, which separate the properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
