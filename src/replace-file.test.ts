// Putting a file in place whole or not at all: the exclusive mode import uses without
// --force, and nothing left behind when a file is refused.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rejectionOf } from "../test/rejection.js";
import { linkless, replaceFile, ReplaceFileError } from "./replace-file.js";

const failure = (run: Promise<void>): Promise<ReplaceFileError> => rejectionOf(run, ReplaceFileError);

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

  it("listens for the process's exit only while a file is being written: none is left after writes that end, fail, or overlap", async () => {
    // Found by mutation testing: a listener left after each write (or one per write) was not
    // noticed, and a long-lived library caller would have gathered them until Node warned.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-replace-"));
    // By its name: one left by an earlier write (of an earlier test, too) is counted.
    const listening = () => process.listeners("exit").filter((listener) => listener.name === "removeUnfinished").length;
    const before = listening();
    await replaceFile(join(dir, "a.yaml"), "a\n", { mode: 0o644, exclusive: false, shown: "a.yaml" });
    await replaceFile(join(dir, "b.yaml"), "b\n", { mode: 0o644, exclusive: true, shown: "b.yaml" });
    await Promise.all(
      ["c", "d", "e"].map((name) => replaceFile(join(dir, `${name}.yaml`), name, { mode: 0o644, exclusive: false, shown: name })),
    );
    // A temporary file that cannot be made (its directory is gone) leaves no listener either.
    const missing = join(dir, "gone", "f.yaml");
    const reasons = [await failure(replaceFile(missing, "f", { mode: 0o644, exclusive: false, shown: "gone/f.yaml" }))].map(
      (error) => error.reason,
    );
    expect([reasons, before, listening()]).toEqual([["the directory gone does not exist"], 0, 0]);
    expect(readdirSync(dir).sort()).toEqual(["a.yaml", "b.yaml", "c.yaml", "d.yaml", "e.yaml"]);
  });

  it("without hard links (FAT, some FUSE mounts: link fails with EPERM), creates the file exclusively instead", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-replace-"));
    const eperm = Object.assign(new Error("EPERM: operation not permitted, link"), { code: "EPERM" });
    await linkless(eperm, join(dir, "a.yaml"), "text\n", 0o600);
    expect([readFileSync(join(dir, "a.yaml"), "utf8"), statSync(join(dir, "a.yaml")).mode & 0o777]).toEqual(["text\n", 0o600]);
    // Still exclusive: a file that appeared meanwhile is not overwritten.
    await expect(linkless(eperm, join(dir, "a.yaml"), "other\n", 0o600)).rejects.toMatchObject({ code: "EEXIST" });
    expect(readFileSync(join(dir, "a.yaml"), "utf8")).toBe("text\n");
    // Any other failure of the link is the failure.
    const full = Object.assign(new Error("ENOSPC"), { code: "ENOSPC" });
    await expect(linkless(full, join(dir, "b.yaml"), "x", 0o600)).rejects.toBe(full);
  });

  it("without hard links, the file written in place is removed by an exit before it is whole, and not listened for after", async () => {
    // Found by mutation testing: linkless mode's own file was not among those an exit removes.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-replace-"));
    const path = join(dir, "a.yaml");
    const eperm = Object.assign(new Error("EPERM: operation not permitted, link"), { code: "EPERM" });
    const exitListener = () => process.listeners("exit").find((listener) => listener.name === "removeUnfinished");
    let settled = false;
    const written = linkless(eperm, path, "x".repeat(32 * 1024 * 1024), 0o600).finally(() => (settled = true));
    let onExit = exitListener();
    while (onExit === undefined && !settled) {
      await new Promise((resolve) => setImmediate(resolve));
      onExit = exitListener();
    }
    // What the process's exit does while the file is still being written.
    onExit?.(1);
    await written;
    expect([onExit === undefined, existsSync(path), exitListener()]).toEqual([false, false, undefined]);
  });

  it("removes the temporary files of the path that a killed process left an hour ago or more, and keeps those of a process still running", async () => {
    // Found by a chaos tester: plan --out killed with SIGKILL between making its temporary
    // file and renaming it left an empty hidden .plan.json.HEX.tmp, one more each time, for good.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-replace-"));
    const gone = spawnSync(process.execPath, ["-e", ""]).pid; // a process that has ended
    const running = process.ppid; // one still running, whose write may be under way
    const files = [
      `.plan.json.${gone}-0123456789ab.tmp`,
      `.plan.json.${running}-0123456789ab.tmp`,
      `.plan.json.${process.pid}-0123456789ab.tmp`,
      `.other.json.${gone}-0123456789ab.tmp`,
      `.plan.json.${gone}-0123456789ab.tmp.bak`,
      `.plan.json.0123456789ab.tmp`,
    ];
    // Found by review: a PID tells only of this PID namespace. A container sharing the directory,
    // or another host over NFS, writing the same path has a PID not running here: its file, made
    // a moment ago, was removed under it, and its rename failed ("the directory . does not exist").
    const underWay = `.plan.json.${gone}-fedcba987654.tmp`;
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    for (const name of files) {
      writeFileSync(join(dir, name), "");
      utimesSync(join(dir, name), twoHoursAgo, twoHoursAgo);
    }
    writeFileSync(join(dir, underWay), "");
    mkdirSync(join(dir, `.plan.json.${gone}-ba9876543210.tmp`)); // not a file: not one of ours
    await replaceFile(join(dir, "plan.json"), "{}\n", { mode: 0o600, exclusive: false, shown: "plan.json" });
    expect(readdirSync(dir).sort()).toEqual(["plan.json", `.plan.json.${gone}-ba9876543210.tmp`, underWay, ...files.slice(1)].sort());
  });
});
