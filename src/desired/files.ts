// Local files a spec names: found once, read or hashed once, however many jobs use them.

import { createReadStream } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import { createSha256 } from "../identity/fingerprint.js";

/** A file read as text (a query, requirements), or hashed (an upload): one or the other. */
export interface FileRead {
  text?: string;
  sha256?: string;
  size?: number;
}

/** Where a written path really is: its real path, and whether it is a file; undefined when missing. */
export interface FileLookup {
  real: string;
  isFile: boolean;
}

/** A file a job names: looked up, and read (text) or hashed (uploads) when it may be used. */
export interface FileRequest {
  absolute: string;
  /** Read as text, hashed (an upload), or only looked up. */
  want: "text" | "hash" | "exists";
  /** Files outside it are refused, so not read. */
  root: string;
}

/**
 * Each local file looked up and read once, however many jobs use it. Everything the jobs
 * need is fetched at once (fetch()), after which resolution reads it synchronously: ten
 * thousand jobs then cost ten thousand plain function calls, not ten thousand awaits.
 */
export class FileCache {
  private readonly lookups = new Map<string, FileLookup | undefined>();
  private readonly reads = new Map<string, FileRead>();

  async fetch(requests: Iterable<FileRequest>, isInside: (root: string, path: string) => boolean): Promise<void> {
    const pending = new Map<string, Promise<void>>();
    for (const { absolute, want, root } of requests) {
      const id = `${want}:${absolute}`;
      if (pending.has(id)) continue;
      pending.set(
        id,
        this.fetchLookup(absolute).then(async (found) => {
          if (want === "exists" || found === undefined || !found.isFile || !isInside(root, found.real)) return;
          const readId = `${want}:${found.real}`;
          if (this.reads.has(readId)) return;
          // One that cannot be read is left out: resolution says so where the spec names it.
          const read = await (want === "text" ? readText(found.real) : hashFile(found.real)).catch(() => undefined);
          if (read !== undefined) this.reads.set(readId, read);
        }),
      );
    }
    await Promise.all(pending.values());
  }

  private readonly inFlight = new Map<string, Promise<FileLookup | undefined>>();
  private fetchLookup(absolute: string): Promise<FileLookup | undefined> {
    let entry = this.inFlight.get(absolute);
    if (entry === undefined) {
      entry = realpath(absolute).then(
        async (real) => ({ real, isFile: (await stat(real)).isFile() }),
        () => undefined,
      );
      entry = entry.then((found) => {
        this.lookups.set(absolute, found);
        return found;
      });
      this.inFlight.set(absolute, entry);
    }
    return entry;
  }

  /** A fetched lookup; undefined when the path does not exist. */
  lookup(absolute: string): FileLookup | undefined {
    return this.lookups.get(absolute);
  }

  /** A fetched read of a file found inside its root. */
  read(real: string, want: "text" | "hash"): FileRead | undefined {
    return this.reads.get(`${want}:${real}`);
  }
}

// A text's digest is never used: the text itself goes into the fingerprint.
async function readText(absolute: string): Promise<FileRead> {
  return { text: await readFile(absolute, "utf8") };
}

/** sha256 and size of a file, read as a stream: uploads may be large. */
export async function hashFile(absolute: string): Promise<{ sha256: string; size: number }> {
  const hash = createSha256();
  let size = 0;
  for await (const chunk of createReadStream(absolute)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}
