// The directory walk: links to directories followed once, and a directory it cannot read
// reported, never skipped in silence (plan would cancel the jobs of the spec files there).

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSpecIssue } from "../errors.js";
import { writeRepo } from "../../test/helpers.js";
import { displayPath, loadSpecFiles, unreadableDirectory } from "./load.js";
import { expandGlob, findYamlFiles, walkFiles, type WalkFs } from "./walk.js";

const job = (key: string) => `version: 1\nstack: s\ndefaults: {team: t}\njobs:\n  ${key}: {query: print(1)}\n`;

/** The real file system, but `denied` fails as a directory without read permission does (root cannot make one). */
function denying(denied: string): WalkFs {
  return {
    readdir: (path) =>
      path === denied
        ? Promise.reject(Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), { code: "EACCES" }))
        : readdir(path, { withFileTypes: true }),
    realpath,
    stat,
  };
}

describe("the directory walk", () => {
  it("reports a directory it cannot read instead of leaving its spec files out", async () => {
    // Found by an adversarial tester: `plan jobs` with jobs/secret unreadable planned the
    // cancel of every job in jobs/secret/b.yaml, with no word of why, and exited 0.
    const dir = writeRepo({ "jobs/a.yaml": job("a"), "jobs/secret/b.yaml": job("b") });
    const secret = join(dir, "jobs", "secret");
    const yaml = (relative: string) => relative.endsWith(".yaml");
    expect(
      await walkFiles(join(dir, "jobs"), yaml, () => Promise.resolve(realpathSync(dir)), Number.POSITIVE_INFINITY, denying(secret)),
    ).toEqual({
      files: [join(dir, "jobs", "a.yaml")],
      unreadable: [secret],
      linked: false,
      outside: [],
      broken: [],
      notFiles: [],
    });
    expect(formatSpecIssue(unreadableDirectory(secret, dir))).toBe(
      "jobs/secret:1:1: this directory cannot be read (check its permissions): a spec file in it would be left out, and plan would cancel its jobs",
    );
  });

  it("follows a link to a directory in the repository, not one out of it nor one holding the walked root", async () => {
    // The tester again: jobs/linked -> ../other was skipped, and its jobs planned away. A
    // reviewer: a dataset linked in from outside the repository must not be read as a spec;
    // a link to the root or above would take the whole tree again.
    const outside = writeRepo({ "params.yaml": "lr: 0.1\n" });
    const dir = writeRepo({ "jobs/a.yaml": job("a"), "other/c.yaml": job("c") });
    symlinkSync(join(dir, "other"), join(dir, "jobs", "linked"));
    symlinkSync(outside, join(dir, "jobs", "data"));
    mkdirSync(join(dir, "jobs", "deep"));
    symlinkSync(join(dir, "jobs"), join(dir, "jobs", "deep", "up"));
    symlinkSync(dir, join(dir, "jobs", "deep", "top"));
    const repository = () => Promise.resolve(realpathSync(dir));
    expect(await findYamlFiles(join(dir, "jobs"), repository)).toEqual({
      files: [join(dir, "jobs/a.yaml"), join(dir, "jobs/linked/c.yaml")],
      unreadable: [],
      linked: true,
      outside: [],
      broken: [],
      notFiles: [],
    });
    expect((await expandGlob("jobs/*/*.yaml", dir, repository)).files).toEqual([join(dir, "jobs/linked/c.yaml")]);
    // Two links to one directory, and a link given beside its target: each file is read once.
    symlinkSync(join(dir, "other"), join(dir, "jobs", "again"));
    expect((await loadSpecFiles(["jobs", "other"], dir)).files.map((f) => f.display)).toEqual(["jobs/a.yaml", "jobs/again/c.yaml"]);
    rmSync(join(dir, "jobs", "again"));
    const { files, issues } = await loadSpecFiles(["jobs"], dir);
    expect([files.map((f) => f.display), issues]).toEqual([["jobs/a.yaml", "jobs/linked/c.yaml"], []]);
  });

  it("follows a link into the walked tree (a hidden directory, a deeper one a glob would not reach), and outside a repository any link", async () => {
    // A second reviewer: refusing links into the walked tree missed what the walk itself
    // skips (.shared) or a glob does not reach (jobs/current -> v2/prod); and without a
    // .git no link was followed at all (a build context, an archive).
    const dir = writeRepo({ "jobs/a.yaml": job("a"), ".shared/c.yaml": job("c"), "jobs/v2/prod/p.yaml": job("p") });
    symlinkSync(join(dir, ".shared"), join(dir, "jobs", "shared"));
    symlinkSync(join(dir, "jobs", "v2", "prod"), join(dir, "jobs", "current"));
    const shown = async (paths: string[], cwd: string) => (await loadSpecFiles(paths, cwd)).files.map((f) => f.display);
    expect(await shown(["."], dir)).toEqual(["jobs/a.yaml", "jobs/current/p.yaml", "jobs/shared/c.yaml"]);
    expect(await shown(["jobs/*/*.yaml"], dir)).toEqual(["jobs/current/p.yaml", "jobs/shared/c.yaml"]);
    const bare = mkdtempSync(join(tmpdir(), "studio-jobs-no-git-"));
    mkdirSync(join(bare, "jobs"));
    mkdirSync(join(bare, "other"));
    writeFileSync(join(bare, "jobs", "a.yaml"), job("a"));
    writeFileSync(join(bare, "other", "c.yaml"), job("c"));
    symlinkSync(join(bare, "other"), join(bare, "jobs", "linked"));
    expect(await shown(["jobs"], bare)).toEqual(["jobs/a.yaml", "jobs/linked/c.yaml"]);
  });

  it("refuses a link to a spec file out of the repository, naming it, and reads nothing through it", async () => {
    // A second reviewer: a link in a pull request (jobs/evil.yaml -> a file of the CI
    // machine) was read as a spec, and validate quoted its keys into the annotations.
    const secrets = writeRepo({ "creds.yaml": "aws_secret_access_key: hunter2\n" });
    const dir = writeRepo({ "jobs/a.yaml": job("a") });
    symlinkSync(join(secrets, "creds.yaml"), join(dir, "jobs", "evil.yaml"));
    const { files, issues } = await loadSpecFiles(["jobs"], dir);
    expect(files.map((f) => f.display)).toEqual(["jobs/a.yaml"]);
    expect(issues.map(formatSpecIssue)).toEqual([
      "jobs/evil.yaml:1:1: this is a symbolic link to a file out of the repository; a spec file must be inside it: copy the file in",
    ]);
  });

  it("reports a link named like a spec file that leads nowhere, and reads a file found twice from the same path whatever the order", async () => {
    // A last tester: a link to a spec file whose target was moved was skipped without a
    // word (its jobs planned away); and `validate jobs shared` and `validate shared jobs`
    // read one file by different paths, so its query_file was found in one order only.
    const dir = writeRepo({ "jobs/a.yaml": job("a"), "shared/x.yaml": job("x") });
    symlinkSync(join(dir, "shared", "moved.yaml"), join(dir, "jobs", "prod.yaml"));
    symlinkSync(join(dir, "shared", "x.yaml"), join(dir, "jobs", "lx.yaml"));
    const loaded = async (paths: string[]) => {
      const { files, issues } = await loadSpecFiles(paths, dir);
      return { files: files.map((f) => f.display), issues: issues.map(formatSpecIssue) };
    };
    const said =
      "jobs/prod.yaml:1:1: this symbolic link leads nowhere (its target is missing, cannot be read, or is a loop): a spec file in it would be left out, and plan would cancel its jobs";
    expect(await loaded(["jobs", "shared"])).toEqual({ files: ["jobs/a.yaml", "jobs/lx.yaml"], issues: [said] });
    expect(await loaded(["shared", "jobs"])).toEqual({ files: ["jobs/a.yaml", "jobs/lx.yaml"], issues: [said] });
  });

  it("reports a FIFO or a link to a device named like a spec file, as it does one given by name, and reads neither", async () => {
    // Found by an adversarial tester: in a directory given, jobs/b.yaml made a FIFO, or a
    // link to /dev/null, was left out without a word (plan would cancel its jobs), where a
    // link to a file out of the repository is refused.
    const dir = writeRepo({ "jobs/a.yaml": job("a") });
    execFileSync("mkfifo", [join(dir, "jobs", "b.yaml")]);
    symlinkSync("/dev/null", join(dir, "jobs", "c.yaml"));
    const said = (file: string, kind: string) =>
      `${file}:1:1: this is ${kind}, not a file; a spec file must be a regular file: move it out of the directory`;
    for (const given of ["jobs", "jobs/*.yaml"]) {
      const { files, issues } = await loadSpecFiles([given], dir);
      expect([files.map((f) => f.display), issues.map(formatSpecIssue)]).toEqual([
        ["jobs/a.yaml"],
        [said("jobs/b.yaml", "a named pipe (FIFO)"), said("jobs/c.yaml", "a device")],
      ]);
    }
    // Alone in its directory, it is no directory without YAML files either.
    rmSync(join(dir, "jobs", "a.yaml"));
    rmSync(join(dir, "jobs", "c.yaml"));
    expect((await loadSpecFiles(["jobs"], dir)).issues.map(formatSpecIssue)).toEqual([said("jobs/b.yaml", "a named pipe (FIFO)")]);
  });
  it("names a file below the working directory from it, also in a directory whose name starts with two dots", async () => {
    // Found by a reviewer: `..odd/s.yaml` was taken for a path out of the working directory
    // and named absolute, in every message and in GitHub annotations.
    const dir = writeRepo({ "..odd/s.yaml": job("a"), "jobs/b.yaml": job("b") });
    expect((await loadSpecFiles(["..odd", "jobs"], dir)).files.map((f) => f.display)).toEqual(["..odd/s.yaml", "jobs/b.yaml"]);
    expect([
      displayPath("/r/..odd/s.yaml", "/r"),
      displayPath("/r/...", "/r"),
      displayPath("/x/s.yaml", "/r"),
      displayPath("/r", "/r"),
    ]).toEqual(["..odd/s.yaml", "...", "/x/s.yaml", "/r"]);
    expect(displayPath("/r/a/../s.yaml", "/r/a")).toBe("/r/a/../s.yaml");
  });
});
