// One emulator a journal: two would hand out the same ids and each forget the other's
// records. A lock file beside the journal holds its owner's process id; one left by a
// process that is gone (killed) is taken over.

import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../errors.js";

/**
 * The locks this process holds, by device and inode: a lock naming this process is its own
 * only if listed here. Otherwise it was left by an earlier process that had the same id, as
 * an emulator restarted in a container has (often process 1).
 */
const held = new Set<string>();

/** Take the lock of the journal at `path`, the file at `lockPath`; returns its release. */
export function lockJournal(path: string, lockPath: string, cannotOpen: (error: unknown) => UsageError): () => void {
  // The lock appears whole, its owner's id in it: written aside, then linked into place,
  // which fails if a lock is there. Made in place, it was empty for a moment, and an emulator
  // starting then read no owner in it, took it for stale and removed it: both ran.
  const mine = beside(lockPath, "new");
  try {
    writeFileSync(mine, String(process.pid), { flag: "wx" });
  } catch (error) {
    // Said without the file's own name, which is no name to mend.
    throw cannotOpen(new Error(firstClause(error), { cause: error }));
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, lockPath);
        const id = identity(lockPath);
        held.add(id);
        return () => release(lockPath, id);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw cannotOpen(error);
      }
      let owner: { text: string; id: string } | undefined;
      try {
        owner = read(lockPath);
      } catch (error) {
        throw cannotOpen(error);
      }
      if (owner === undefined) continue; // released meanwhile
      const pid = Number(owner.text.trim());
      if (Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid ? held.has(owner.id) : isRunning(pid))) {
        throw new UsageError(
          `Emulator journal ${path} is in use by another emulator (process ${pid}).`,
          `Stop that one, or give this one another --data. If no emulator is running, remove ${lockPath}.`,
        );
      }
      takeOver(lockPath, owner);
    }
  } finally {
    try {
      unlinkSync(mine);
    } catch {
      // a stray file beside the journal, not a reason to refuse
    }
  }
  throw new UsageError(
    `Emulator journal ${path}: its lock ${lockPath} could not be taken.`,
    `Remove ${lockPath} if no emulator is running.`,
  );
}

/**
 * Remove a stale lock, but only the one judged stale: it is moved aside first (of two
 * emulators taking it over at once, one moves it and the other finds nothing), and put back
 * if what was moved is a lock taken since.
 */
function takeOver(lockPath: string, stale: { text: string; id: string }): void {
  const aside = beside(lockPath, "stale");
  const same = (file: string) => {
    const now = read(file);
    return now !== undefined && now.id === stale.id && now.text === stale.text;
  };
  try {
    if (!same(lockPath)) return; // taken over by another, or released
    renameSync(lockPath, aside);
  } catch {
    return;
  }
  try {
    if (!same(aside)) linkSync(aside, lockPath);
  } catch {
    // a lock was taken again meanwhile: the next attempt reads it
  }
  try {
    unlinkSync(aside);
  } catch {
    // a stray file beside the journal, not a reason to refuse
  }
}

/**
 * A name of its own for a file in the lock's directory (a link cannot leave it). Short: the
 * lock's name and more would pass the 255 bytes a name may have, for a journal whose name does not.
 */
function beside(lockPath: string, what: string): string {
  return join(dirname(lockPath), `.studio-jobs-lock-${what}-${process.pid}-${randomBytes(6).toString("hex")}`);
}

/** "EACCES: permission denied" of Node's "EACCES: permission denied, open '/x/y'". */
function firstClause(error: unknown): string {
  const text = (error as Error).message;
  const comma = text.indexOf(", ");
  return comma === -1 ? text : text.slice(0, comma);
}

function release(lockPath: string, id: string): void {
  held.delete(id);
  try {
    // Only this emulator's own lock: one taken over since (a stale one, judged by another) is not.
    if (identity(lockPath) === id) unlinkSync(lockPath);
  } catch {
    // already gone
  }
}

/** The lock's text and identity, or undefined when there is none. */
function read(lockPath: string): { text: string; id: string } | undefined {
  try {
    const id = identity(lockPath);
    return { text: readFileSync(lockPath, "utf8"), id };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function identity(file: string): string {
  const info = statSync(file, { bigint: true });
  return `${info.dev}:${info.ino}`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the process has exited and waits only for its parent to read its exit status (an
 * emulator killed under a shell or runner that has not reaped it yet): it still answers
 * signals, but holds nothing. Known on Linux, from /proc; elsewhere a process that answers runs.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (name) state ...": the name may hold spaces and parentheses, so read after the last ')'.
    return stat
      .slice(stat.lastIndexOf(")") + 1)
      .trimStart()
      .startsWith("Z");
  } catch {
    return false;
  }
}
