// How the CLI says a path back, in a message or in a command a hint gives: as a POSIX shell
// takes it back (quoted where it holds a space, a quote or anything else the shell reads), a
// secret in it hidden, and its control characters shown, so that a name cannot move the
// cursor or forge a line of output.

import { printable } from "../invisible.js";
import { shellQuoted } from "../shell-word.js";
import { DEFAULT_SPEC_FILE } from "../desired/load.js";
import type { CliIo } from "./io.js";

/**
 * A path as a POSIX shell takes it back: each part between slashes bare when it holds nothing
 * the shell reads, else in single quotes (`'my jobs'/plan.json`), so that the directory of
 * the path as shown is the directory as shown (the messages of src/replace-file.ts say it).
 */
function shellWord(path: string): string {
  // An empty path is a word too: '' (said bare, a message would show nothing where it goes).
  if (path === "") return "''";
  // One that starts with "-" would be read as an option: "./" before it names the same file.
  const given = path.startsWith("-") ? `./${path}` : path;
  return given.split("/").map(shellQuoted).join("/");
}

/**
 * `path` as a shell word, as messages and hints show it (`'my plan.json'`). A secret the path
 * holds is hidden before it is quoted: quoted (a `'` as `'\''`), and then escaped again in a
 * plan's JSON or Markdown, the redactor would not know it.
 */
export function shownPath(path: string, io: Pick<CliIo, "secrets">): string {
  const redact = io.secrets?.redact ?? ((text: string) => text);
  return printable(shellWord(redact(path)));
}

/**
 * The spec paths of a command a hint says to run, as given (` jobs/ 'a b.yaml'`): without them
 * the command reads ./studio-jobs.yaml, another spec or none. Nothing for that default.
 */
export function specArguments(paths: readonly string[], io: Pick<CliIo, "secrets">): string {
  if (paths.length === 1 && paths[0] === DEFAULT_SPEC_FILE) return "";
  return paths.map((path) => ` ${shownPath(path, io)}`).join("");
}
