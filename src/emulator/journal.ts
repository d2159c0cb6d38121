// Persistence for the emulator: an append-only JSON Lines journal, fsync'd after
// every write and replayed at start. A torn last line (a crash mid-write) is dropped; any
// other line that is not an entry this emulator writes stops the start with its line number.
// A write that fails (a full disk) is undone, and the change it held is not made.

import {
  appendFileSync,
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  realpathSync,
  statSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { UsageError } from "../errors.js";
import { entryProblem, type JournalEntry } from "./journal-entry.js";
import { lockJournal } from "./journal-lock.js";
import { PersistError, type EmulatorStore, type StoreListener } from "./store.js";

export interface Journal extends StoreListener {
  /** What the replay mended, to be told to the user: a torn last line dropped. */
  warnings: readonly string[];
  close(): void;
}

/** Replay the journal at `path` into `store`, then keep appending every change to it. */
export function openJournal(path: string, store: EmulatorStore): Journal {
  let exists = false;
  try {
    const info = statSync(path);
    // A FIFO would hang the start, a device never end: only a regular file is a journal.
    if (!info.isFile()) throw new UsageError(`Emulator journal ${path} is not a regular file.`, "Give --data a file path.");
    exists = true;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw cannotOpen(path, error);
  }
  // The lock lies beside the file itself: a journal reached through a symbolic link is locked
  // once, not once per name (two emulators ran on it, one per name).
  let real = path;
  try {
    if (exists) real = realpathSync(path);
  } catch (error) {
    throw cannotOpen(path, error);
  }
  const unlock = lockJournal(path, `${real}.lock`, (error) => cannotOpen(path, error));
  let fd: number;
  let warnings: string[] = [];
  /** The journal's length: where a failed write is cut back to. */
  let size: number;
  /** Why nothing more may be written: a failed write could not be cut back. */
  let torn: string | undefined;
  try {
    if (exists) warnings = replay(path, store);
    // Readable by its owner only: it holds every job's environment, secrets included.
    fd = openSync(path, "a", 0o600);
    size = fstatSync(fd).size;
  } catch (error) {
    unlock();
    throw error instanceof UsageError ? error : cannotOpen(path, error);
  }
  function append(entries: JournalEntry[]): void {
    if (torn !== undefined) throw new PersistError(torn);
    const bytes = Buffer.from(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
    try {
      // A full disk writes part of the bytes and says so only by the count.
      for (let done = 0; done < bytes.length;) {
        const wrote = writeSync(fd, bytes, done);
        if (wrote === 0) throw new Error("no byte was written");
        done += wrote;
      }
      fsyncSync(fd);
    } catch (error) {
      const failed = `The emulator could not write its journal ${path}: ${(error as Error).message}`;
      // Cut back what was written: left, it would tear a line that later entries follow,
      // and the next start would refuse the journal.
      try {
        ftruncateSync(fd, size);
      } catch {
        // Then nothing more is written: the next start drops the torn last line.
        torn = `${failed}; it now ends in a part-written line, and takes no more until the emulator is restarted`;
      }
      throw new PersistError(failed);
    }
    size += bytes.length;
  }
  return {
    warnings,
    job: (...records) => append(records.map((r) => ({ t: "job", r }))),
    file: (record) => append([{ t: "file", r: record }]),
    // A reset forgets everything, after a restart too.
    cleared: () => {
      try {
        ftruncateSync(fd, 0);
        fsyncSync(fd);
      } catch (error) {
        throw new PersistError(`The emulator could not empty its journal ${path}: ${(error as Error).message}`);
      }
      size = 0;
    },
    close: () => {
      // Once only: the descriptor's number may since belong to another file.
      if (fd === -1) return;
      closeSync(fd);
      fd = -1;
      unlock();
    },
  };
}

function cannotOpen(path: string, error: unknown): UsageError {
  return new UsageError(`Cannot open emulator journal ${path}: ${(error as Error).message}`, cannotOpenHint(error));
}

/** How to mend what kept a journal from being opened, by its cause's error code. */
export function cannotOpenHint(error: unknown): string {
  const { code } = ((error as Error).cause ?? error) as NodeJS.ErrnoException;
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return "Give --data a file this user may write, in a directory it may write: the journal's lock file goes beside it.";
  }
  return code === "ENOENT" || code === "ENOTDIR" ? "Give --data a file in a directory that exists." : "Give --data another file.";
}

// A journal is UTF-8, as the emulator writes it: other bytes are not read as U+FFFD, which
// would give a job other characters than it had, unsaid.
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Line by line over the file's bytes: a journal is not limited to the longest string Node
 * can make, and a line's byte offset is exact whatever bytes an earlier line holds.
 */
function replay(path: string, store: EmulatorStore): string[] {
  const bytes = readFileSync(path);
  /** Per record, what no later line of it may change, and the line that first gave it. */
  const fixed = new Map<string, { what: string; line: number }>();
  let start = 0;
  for (let number = 1; start < bytes.length; number++) {
    const newline = bytes.indexOf(10, start);
    const end = newline === -1 ? bytes.length : newline;
    const line = decode(bytes.subarray(start, end));
    const last = newline === -1 || newline === bytes.length - 1;
    if (line === undefined || line.trim() !== "") {
      let entry: unknown;
      try {
        if (line === undefined) throw new Error("not UTF-8");
        entry = JSON.parse(line);
      } catch {
        if (newline === -1) {
          // The last write was cut short: forget it, so the next append starts on a clean line.
          truncateSync(path, start);
          return [
            `Emulator journal ${path}, line ${number}, was cut short (the emulator stopped while writing it): its ${end - start} bytes are dropped.`,
          ];
        }
        const what = line === undefined ? "is not UTF-8" : "is not JSON";
        throw corrupt(path, number, last ? what : `${what} (not the last line, so not a torn write)`);
      }
      const problem = entryProblem(entry);
      if (problem !== undefined) throw corrupt(path, number, problem);
      const { t, r } = entry as JournalEntry;
      // A later line of a record is the same record changed: its team (which keeps teams apart),
      // and a job's seq and created_at (which order listings), stay as the first line gave them.
      const key = `${t} ${r.id}`;
      const what = t === "job" ? `${r.team}\n${r.seq}\n${r.created_at}` : r.team;
      const first = fixed.get(key);
      if (first === undefined) fixed.set(key, { what, line: number });
      else if (first.what !== what) {
        const changed = t === "job" ? "team, seq or created_at" : "team";
        throw corrupt(path, number, `gives ${t} ${r.id} another ${changed} than line ${first.line} did`);
      }
      if (t === "job") store.restore(r);
      else store.restoreFile(r);
      // A whole entry without its newline (an editor's last line): kept, and the next append on a line of its own.
      if (newline === -1) appendFileSync(path, "\n");
    }
    start = end + 1;
  }
  return [];
}

function decode(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

function corrupt(path: string, line: number, what: string): UsageError {
  return new UsageError(
    `Emulator journal ${path}, line ${line}, ${what}: this emulator did not write it so.`,
    "Move the file away to start with no jobs, or mend the line.",
  );
}
