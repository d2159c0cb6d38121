// Reading a file the user names (a spec file, a --var-file) into memory, safely: only a
// regular file, and never more than a cap. A FIFO, /dev/zero or a socket says it holds
// 0 bytes and then never ends; a file in /proc says 0 and holds more.

import { constants, type Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { createSha256 } from "../identity/sha256.js";

/** What ELOOP means, said alike wherever a path the user gives meets it. */
export const LINK_LOOP = "a symbolic link loop: a link on its path leads back to itself";

export type CappedRead = { bytes: Buffer } | { notFile: string } | { tooLarge: number | undefined };
export type CappedHash = { sha256: string; size: number } | { notFile: string } | { tooLarge: number | undefined };

/** Opened without waiting: a FIFO opened for reading would wait for a writer, and it is refused anyway. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** How much more is asked for once the file's stated size has been read: enough to see its end. */
const CHUNK = 64 * 1024;

/**
 * The file open for reading, or what it is when it cannot be opened: a socket cannot be
 * opened at all (ENXIO), so the path is asked instead. Rejects as the file system does.
 */
async function openWithoutWaiting(path: string): Promise<FileHandle | { notFile: string }> {
  try {
    return await open(path, OPEN_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENXIO") {
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && !info.isFile()) return { notFile: describeKind(info) };
    }
    throw error;
  }
}

/**
 * `use` on a regular file (links followed) opened without waiting, or what it is instead,
 * or that its stated size is over `cap` bytes; the file is closed however `use` ends.
 * Rejects as the file system does (ENOENT, EACCES, ...).
 */
async function withRegularFile<T>(
  path: string,
  cap: number,
  use: (handle: FileHandle, statedSize: number) => Promise<T>,
): Promise<T | { notFile: string } | { tooLarge: number }> {
  const handle = await openWithoutWaiting(path);
  if ("notFile" in handle) return handle;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { notFile: describeKind(info) };
    if (info.size > cap) return { tooLarge: info.size };
    return await use(handle, info.size);
  } finally {
    await handle.close();
  }
}

/**
 * The bytes of a regular file, or what it is instead, or that it is larger than `cap` bytes
 * (its size when its stat says so, undefined when reading found out).
 */
export function readRegularFile(path: string, cap: number): Promise<CappedRead> {
  return withRegularFile<CappedRead>(path, cap, async (handle, statedSize) => {
    const bytes = await readCapped(handle, statedSize, cap);
    return bytes === undefined ? { tooLarge: undefined } : { bytes };
  });
}

/**
 * The sha256 and size of a regular file, read as a stream (an upload may be large), or what
 * it is instead, or that it is larger than `cap` bytes. A FIFO or a device is refused, never
 * read: one turned up where a plan hashed a file would otherwise hang the command, or hash
 * without end.
 */
export function hashRegularFile(path: string, cap: number): Promise<CappedHash> {
  return withRegularFile<CappedHash>(path, cap, async (handle) => {
    const hash = createSha256();
    const chunk = Buffer.allocUnsafe(HASH_CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, HASH_CHUNK, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > cap) return { tooLarge: undefined };
      hash.update(chunk.subarray(0, bytesRead));
    }
    return { sha256: hash.digest("hex"), size };
  });
}

const HASH_CHUNK = 1024 * 1024;

/**
 * The rest of an open file, or undefined past `cap` bytes. Its stated size is a hint: the
 * file may be longer (or grow), so it is read to its end, and never past one byte beyond the cap.
 */
export async function readCapped(handle: FileHandle, statedSize: number, cap: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total <= cap) {
    const want = Math.min(Math.max(statedSize + 1 - total, CHUNK), cap + 1 - total);
    const chunk = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(chunk, 0, want, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
  }
  if (total > cap) return undefined;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/** What a path that is no regular file is, as messages say it: "a named pipe (FIFO)", "a device"... */
export function describeKind(info: Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a named pipe (FIFO)";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  if (info.isSocket()) return "a socket";
  return "not a regular file";
}
