// The directory walk: links to directories followed once, and a directory it cannot read
// reported, never skipped in silence (plan would cancel the jobs of the spec files there).

import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { formatSpecIssue } from "../errors.js";
import { writeRepo } from "../../test/helpers.js";
import { loadSpecFiles } from "./load.js";

/** Directories whose reading fails as a permission problem would: as root a chmod cannot make one. */
const unreadable = new Set<string>();
vi.mock("node:fs/promises", async (original) => {
  const fs = await original<typeof import("node:fs/promises")>();
  return {
    ...fs,
    readdir: ((path: string, options: never) =>
      unreadable.has(path)
        ? Promise.reject(Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), { code: "EACCES" }))
        : fs.readdir(path, options)) as typeof fs.readdir,
  };
});

const job = (key: string) => `version: 1\nstack: s\ndefaults: {team: t}\njobs:\n  ${key}: {query: print(1)}\n`;

async function found(paths: string[], cwd: string): Promise<{ files: string[]; issues: string[] }> {
  const { files, issues } = await loadSpecFiles(paths, cwd);
  return { files: files.map((f) => f.display), issues: issues.map(formatSpecIssue) };
}

describe("the directory walk", () => {
  afterEach(() => unreadable.clear());

  it("reports a directory it cannot read, by directory and by glob, instead of leaving its spec files out", async () => {
    // Found by an adversarial tester: `plan jobs` with jobs/secret unreadable planned the
    // cancel of every job in jobs/secret/b.yaml, with no word of why, and exited 0.
    const dir = writeRepo({ "jobs/a.yaml": job("a"), "jobs/secret/b.yaml": job("b") });
    unreadable.add(join(dir, "jobs", "secret"));
    const said =
      "jobs/secret:1:1: this directory cannot be read (check its permissions): a spec file in it would be left out, and plan would cancel its jobs";
    expect(await found(["jobs"], dir)).toEqual({ files: ["jobs/a.yaml"], issues: [said] });
    expect(await found(["jobs/**/*.yaml"], dir)).toEqual({ files: ["jobs/a.yaml"], issues: [said] });
  });

  it("follows a link to a directory, as a shell's glob does, and enters each directory once", async () => {
    // The tester again: jobs/linked -> ../other was skipped, and its jobs planned away.
    const dir = writeRepo({ "jobs/a.yaml": job("a"), "other/c.yaml": job("c") });
    symlinkSync(join(dir, "other"), join(dir, "jobs", "linked"));
    mkdirSync(join(dir, "jobs", "deep"));
    symlinkSync(join(dir, "jobs"), join(dir, "jobs", "deep", "up"));
    expect(await found(["jobs"], dir)).toEqual({ files: ["jobs/a.yaml", "jobs/linked/c.yaml"], issues: [] });
    expect(await found(["jobs/*/*.yaml"], dir)).toEqual({ files: ["jobs/linked/c.yaml"], issues: [] });
  });
});
