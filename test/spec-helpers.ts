// Spec tests' set-up: a throw-away repository holding the given files.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory with a .git (the root paths may not leave) and `files` written in it. */
export function writeRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-spec-"));
  mkdirSync(join(dir, ".git"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}
