// A word as a POSIX shell takes it back: bare when it holds nothing the shell reads, else in
// single quotes (a `'` as `'\''`). For the commands that hints and suggestions say to run.

/** `word` as a POSIX shell takes it back (`nightly`, `'my jobs'`, `'it'\''s'`). */
export function shellQuoted(word: string): string {
  return word === "" || /^[\w@%+=:,.-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
