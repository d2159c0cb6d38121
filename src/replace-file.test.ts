// Putting a file in place whole or not at all: the exclusive mode import uses without
// --force, and nothing left behind when a file is refused.

import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { replaceFile, ReplaceFileError } from "./replace-file.js";

async function failure(run: Promise<void>): Promise<ReplaceFileError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ReplaceFileError)) throw new Error(`expected a ReplaceFileError, got ${String(error)}`);
  return error;
}

describe("replaceFile", () => {
  it("writes a new file with the mode asked for, less the umask, and leaves no temporary file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-replace-"));
    await replaceFile(join(dir, "a.yaml"), "text\n", { mode: 0o600, exclusive: true, shown: "a.yaml" });
    expect(readFileSync(join(dir, "a.yaml"), "utf8")).toBe("text\n");
    expect(statSync(join(dir, "a.yaml")).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["a.yaml"]);
  });

  it("exclusive: refuses a path that is taken, and leaves it and the directory as they were", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-replace-"));
    writeFileSync(join(dir, "a.yaml"), "mine\n");
    const error = await failure(replaceFile(join(dir, "a.yaml"), "new\n", { mode: 0o644, exclusive: true, shown: "a.yaml" }));
    expect([error.exists, error.reason]).toEqual([true, "it already exists"]);
    expect(readFileSync(join(dir, "a.yaml"), "utf8")).toBe("mine\n");
    expect(readdirSync(dir)).toEqual(["a.yaml"]);
  });

  it("not exclusive: replaces a file; refuses a directory and a missing directory by the path as shown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-replace-"));
    writeFileSync(join(dir, "a.yaml"), "old\n");
    await replaceFile(join(dir, "a.yaml"), "new\n", { mode: 0o644, exclusive: false, shown: "a.yaml" });
    expect(readFileSync(join(dir, "a.yaml"), "utf8")).toBe("new\n");
    expect((await failure(replaceFile(dir, "x", { mode: 0o644, exclusive: false, shown: "here" }))).reason).toBe("it is a directory");
    const missing = await failure(replaceFile(join(dir, "no", "a.yaml"), "x", { mode: 0o644, exclusive: false, shown: "no/a.yaml" }));
    expect([missing.exists, missing.reason]).toEqual([false, "the directory no does not exist"]);
    expect(readdirSync(dir)).toEqual(["a.yaml"]);
  });
});
