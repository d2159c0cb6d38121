import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashRegularFile, readRegularFile } from "./read-file.js";

describe("readRegularFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-read-"));

  it("reads a regular file, through a link, and an empty one", async () => {
    writeFileSync(join(dir, "a.yaml"), "stack: s\n");
    symlinkSync(join(dir, "a.yaml"), join(dir, "link.yaml"));
    writeFileSync(join(dir, "empty.yaml"), "");
    expect(await readRegularFile(join(dir, "link.yaml"), 100)).toEqual({ bytes: Buffer.from("stack: s\n") });
    expect(await readRegularFile(join(dir, "empty.yaml"), 100)).toEqual({ bytes: Buffer.alloc(0) });
  });

  it("refuses a socket, which cannot be opened, as a socket", async () => {
    const server = createServer();
    await new Promise<void>((listening) => server.listen(join(dir, "sock.yaml"), listening));
    try {
      expect(await readRegularFile(join(dir, "sock.yaml"), 100)).toEqual({ notFile: "a socket" });
      expect(await hashRegularFile(join(dir, "sock.yaml"), 100)).toEqual({ notFile: "a socket" });
    } finally {
      await new Promise((closed) => server.close(closed));
    }
    // Any other failure to open is the file system's to say.
    await expect(readRegularFile(join(dir, "nothing.yaml"), 100)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a FIFO without waiting for a writer, a device, a directory", async () => {
    execFileSync("mkfifo", [join(dir, "fifo.yaml")]);
    symlinkSync("/dev/zero", join(dir, "zero.yaml"));
    expect(await readRegularFile(join(dir, "fifo.yaml"), 100)).toEqual({ notFile: "a named pipe (FIFO)" });
    expect(await readRegularFile(join(dir, "zero.yaml"), 100)).toEqual({ notFile: "a device" });
    expect(await readRegularFile(dir, 100)).toEqual({ notFile: "a directory" });
  });

  it("refuses a file over the cap: by its size, or by what reading finds when its size says 0", async () => {
    writeFileSync(join(dir, "big.yaml"), "x".repeat(101));
    expect(await readRegularFile(join(dir, "big.yaml"), 100)).toEqual({ tooLarge: 101 });
    expect(await readRegularFile(join(dir, "big.yaml"), 101)).toEqual({ bytes: Buffer.from("x".repeat(101)) });
    // A file of /proc states its size as 0 and holds far more than 10 bytes.
    expect(await readRegularFile("/proc/self/status", 10)).toEqual({ tooLarge: undefined });
  });
});
