import { describe, expect, it } from "vitest";
import { cannotOpenHint } from "./journal.js";

/** An error as Node's fs gives it. */
function fsError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: what went wrong`), { code });
}

describe("cannotOpenHint", () => {
  // Found by an adversarial tester: a journal, or its directory, this user may not write was
  // refused with "Give --data a file in a directory that exists.", though it existed.
  it.each([
    ["EACCES", "Give --data a file this user may write, in a directory it may write: the journal's lock file goes beside it."],
    ["EPERM", "Give --data a file this user may write, in a directory it may write: the journal's lock file goes beside it."],
    ["EROFS", "Give --data a file this user may write, in a directory it may write: the journal's lock file goes beside it."],
    ["ENOENT", "Give --data a file in a directory that exists."],
    ["ENOTDIR", "Give --data a file in a directory that exists."],
    ["ENAMETOOLONG", "Give --data another file."],
  ])("says how to mend %s", (code, hint) => {
    expect(cannotOpenHint(fsError(code))).toBe(hint);
    // The lock's own errors come wrapped, their cause the fs error.
    expect(cannotOpenHint(new Error("wrapped", { cause: fsError(code) }))).toBe(hint);
  });
});
