// Local files a spec names: found once, read or hashed once, however many jobs use them.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import { sha256Hex } from "../identity/fingerprint.js";

export interface FileRead {
  text?: string;
  sha256: string;
  size: number;
}

/** Where a written path really is: its real path, and whether it is a file; undefined when missing. */
interface FileLookup {
  real: string;
  isFile: boolean;
}

/** Reads each local file once, however many jobs use it. */
export class FileCache {
  private readonly cache = new Map<string, Promise<FileRead>>();
  private readonly lookups = new Map<string, Promise<FileLookup | undefined>>();

  lookup(absolute: string): Promise<FileLookup | undefined> {
    let entry = this.lookups.get(absolute);
    if (entry === undefined) {
      entry = realpath(absolute).then(
        async (real) => ({ real, isFile: (await stat(real)).isFile() }),
        () => undefined,
      );
      this.lookups.set(absolute, entry);
    }
    return entry;
  }

  get(absolute: string, wantText: boolean): Promise<FileRead> {
    const id = `${wantText ? "t" : "h"}:${absolute}`;
    let entry = this.cache.get(id);
    if (entry === undefined) {
      entry = wantText ? readText(absolute) : hashFile(absolute);
      this.cache.set(id, entry);
    }
    return entry;
  }
}

async function readText(absolute: string): Promise<FileRead> {
  const bytes = await readFile(absolute);
  return { text: bytes.toString("utf8"), sha256: sha256Hex(bytes), size: bytes.length };
}

/** sha256 and size of a file, read as a stream: uploads may be large. */
export async function hashFile(absolute: string): Promise<FileRead> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(absolute)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

