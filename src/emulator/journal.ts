// Persistence for the emulator: an append-only JSON Lines journal, fsync'd after
// every write and replayed at start. A torn last line (a crash mid-write) is dropped.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import type { EmulatorStore, FileRecord, JobRecord, StoreListener } from "./store.js";

type JournalEntry = { t: "job"; r: JobRecord } | { t: "file"; r: FileRecord };

export interface Journal extends StoreListener {
  close(): void;
}

/** Replay the journal at `path` into `store`, then keep appending every change to it. */
export function openJournal(path: string, store: EmulatorStore): Journal {
  if (existsSync(path)) replay(path, store);
  const fd = openSync(path, "a");
  function append(entry: JournalEntry): void {
    writeSync(fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(fd);
  }
  return {
    job: (record) => append({ t: "job", r: record }),
    file: (record) => append({ t: "file", r: record }),
    close: () => closeSync(fd),
  };
}

function replay(path: string, store: EmulatorStore): void {
  const text = readFileSync(path, "utf8");
  const complete = text.lastIndexOf("\n") + 1;
  if (complete < text.length) {
    // The last write was cut short: forget it, so the next append starts on a clean line.
    truncateSync(path, Buffer.byteLength(text.slice(0, complete)));
  }
  const lines = text.slice(0, complete).split("\n");
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      throw new Error(`emulator journal ${path}:${index + 1} is corrupt (not the last line, so not a torn write)`);
    }
    if (entry.t === "job") store.restore(entry.r);
    else store.restoreFile(entry.r);
  });
}
