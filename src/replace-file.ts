// Writing a file the user named (`plan --out`, `import --out`) so that a failure leaves
// nothing behind: the text goes to a file of its own beside the path, and only a complete
// one takes the path's place (a rename, or a hard link when the path must not exist yet).
// A reader never sees half a file, a full disk leaves no stub to trip over, and what is not
// a regular file (a directory, a FIFO, a device, a symbolic link) is refused rather than
// replaced: replacing a link would quietly leave what it points to as it was, and following
// it would write wherever it points. On a file system without hard links an
// exclusive file is written in place instead; one that fails half-way is removed. A
// process that exits while a file is being written (a second Ctrl-C exits at once) removes
// it as it exits: a hidden `.NAME.PID-HEX.tmp` beside the user's file would be left for good.
// Nothing runs when the process is killed (SIGKILL, the machine stops), so a later write to
// the same path removes what a process no longer running left there, told by the PID in the
// name: one of a process still running may be its write under way. So may one an hour old or
// less: a PID tells only of this PID namespace, not of a container sharing the directory or
// of another host writing over NFS.

import { randomBytes } from "node:crypto";
import { constants, unlinkSync, type Stats } from "node:fs";
import { access, link, lstat, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface ReplaceFileOptions {
  /** The mode of a new file, before the umask: 0o600 for a file only its owner should read. */
  mode: number;
  /** Refuse when something is at the path already (the error's `exists` is then true). */
  exclusive: boolean;
  /** The path as the user gave it, for messages. */
  shown: string;
}

/** Why a file could not be written: `reason` is a clause for "Cannot write X: …". */
export class ReplaceFileError extends Error {
  constructor(
    readonly reason: string,
    readonly exists = false,
  ) {
    super(reason);
  }
}

const SYMBOLIC_LINK = "it is a symbolic link, which is neither replaced nor written through";

/** Why what is at `path` (from lstat) is not replaced; undefined when nothing is there, or a regular file. */
function refusedEntry(existing: Stats | undefined, exclusive: boolean): ReplaceFileError | undefined {
  if (existing === undefined) return undefined;
  // What no --force would replace is said first: "already exists" would ask for --force.
  if (existing.isDirectory()) return new ReplaceFileError("it is a directory");
  if (existing.isSymbolicLink()) return new ReplaceFileError(SYMBOLIC_LINK);
  if (!existing.isFile()) return new ReplaceFileError("it is not a regular file (a FIFO, a device or a socket)");
  if (exclusive) return new ReplaceFileError("it already exists", true);
  return undefined;
}

/**
 * Why `path` (absolute) could not be replaced, found without writing anything: what is at
 * the path, or a directory to write it in that is missing, is no directory or is not
 * writable. Undefined when the write may go ahead (it can still fail: a full disk).
 * For a command that would otherwise do its work first and only then fail to save it.
 */
export async function whyNotReplaceable(
  path: string,
  options: Pick<ReplaceFileOptions, "exclusive" | "shown">,
): Promise<ReplaceFileError | undefined> {
  const refused = refusedEntry(await lstat(path).catch(() => undefined), options.exclusive);
  if (refused !== undefined) return refused;
  const directory = dirname(path);
  try {
    if (!(await stat(directory)).isDirectory()) return new ReplaceFileError(NOT_A_DIRECTORY);
    await access(directory, constants.W_OK);
  } catch (error) {
    return new ReplaceFileError(reasonOf(error, options.shown));
  }
  return undefined;
}

/** The files being written and not yet in place or removed: what an exit now would leave half written. */
const unfinished = new Set<string>();

/** Removes what is unfinished when the process exits before a write ends; listening only while there is some. */
function removeUnfinished(): void {
  for (const path of unfinished) {
    try {
      unlinkSync(path);
    } catch {
      // Gone already, or not ours to remove: nothing more can be done while exiting.
    }
  }
  unfinished.clear();
}

/** `path` is being written (true) or is done with (false): while any is, an exit removes it. */
function writing(path: string, underWay: boolean): void {
  if (underWay) {
    if (unfinished.size === 0) process.on("exit", removeUnfinished);
    unfinished.add(path);
    return;
  }
  unfinished.delete(path);
  if (unfinished.size === 0) process.off("exit", removeUnfinished);
}

/** Put `text` at `path` (absolute) whole, or throw a ReplaceFileError and leave the path as it was. */
export async function replaceFile(path: string, text: string, options: ReplaceFileOptions): Promise<void> {
  const refused = refusedEntry(await lstat(path).catch(() => undefined), options.exclusive);
  if (refused !== undefined) throw refused;
  await removeLeftovers(path);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  // "wx": a name nobody else holds, created with the mode asked for (an existing file would keep its own).
  writing(temporary, true);
  const file = await open(temporary, "wx", options.mode).catch((error: unknown) => {
    writing(temporary, false);
    throw new ReplaceFileError(reasonOf(error, options.shown));
  });
  let renamed = false;
  try {
    try {
      await file.writeFile(text, "utf8");
    } finally {
      await file.close();
    }
    // A hard link fails when the path was taken meanwhile; a rename replaces it. A file
    // system without hard links (FAT, some FUSE mounts) gets an exclusive create instead.
    if (options.exclusive) await link(temporary, path).catch((error: unknown) => linkless(error, path, text, options.mode));
    else {
      await rename(temporary, path);
      renamed = true;
    }
  } catch (error) {
    throw new ReplaceFileError(reasonOf(error, options.shown), (error as NodeJS.ErrnoException).code === "EEXIST");
  } finally {
    if (!renamed) await unlink(temporary).catch(() => undefined);
    writing(temporary, false);
  }
}

/** Whether a process of this PID runs here: EPERM says it does, as another user's. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How old a leftover must be to be removed (by its mtime): no write of ours takes that long. */
const LEFTOVER_AGE_MS = 3_600_000;

/** Removes the temporary files of `path` that a process killed while writing it left: those of a PID no longer running, an hour old. */
async function removeLeftovers(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  const entries = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = /^(\d{1,10})-[0-9a-f]{12}\.tmp$/.exec(entry.slice(prefix.length))?.[1];
    if (pid === undefined || running(Number(pid))) continue;
    const leftover = join(dirname(path), entry);
    const found = await lstat(leftover).catch(() => undefined);
    if (found?.isFile() === true && Date.now() - found.mtimeMs >= LEFTOVER_AGE_MS) await unlink(leftover).catch(() => undefined);
  }
}

/** Where hard links are not supported: the file is created exclusively and written in place. */
export async function linkless(error: unknown, path: string, text: string, mode: number): Promise<void> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
  const file = await open(path, "wx", mode);
  writing(path, true);
  try {
    try {
      await file.writeFile(text, "utf8");
    } finally {
      await file.close();
    }
  } catch (failure) {
    await unlink(path).catch(() => undefined);
    throw failure;
  } finally {
    writing(path, false);
  }
}

const NOT_A_DIRECTORY = "a part of the path is not a directory";

/** Why a file could not be written, by the system's error code; its own message for anything unusual. */
const WRITE_ERRORS: Readonly<Record<string, (shown: string) => string>> = {
  ENOENT: (shown) => `the directory ${dirname(shown)} does not exist`,
  ENOTDIR: () => NOT_A_DIRECTORY,
  EISDIR: () => "it is a directory",
  EACCES: () => "permission denied",
  EPERM: () => "permission denied",
  EROFS: () => "the file system is read-only",
  ENOSPC: () => "no space is left on the device",
  EEXIST: () => "it already exists",
};

function reasonOf(error: unknown, shown: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : WRITE_ERRORS[code];
  if (reason !== undefined) return reason(shown);
  return error instanceof Error ? error.message : String(error);
}
