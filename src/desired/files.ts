// Local files a spec names: found once, read or hashed once, however many jobs use them.

import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, parse } from "node:path";
import { decodeText, type TextProblem } from "./decode-text.js";
import { unicodeEscaped } from "../invisible.js";
import { showKey } from "./yaml-source.js";
import { hashRegularFile } from "./read-file.js";

/** A file read as text (a query, requirements), or hashed (an upload): one or the other. */
export interface FileRead {
  text?: string;
  sha256?: string;
  size?: number;
}

/** A query or requirements file that is not sent: too large (its size), or not UTF-8 text. */
export type TextRefused = { tooLarge: number } | { notText: TextProblem };

/**
 * A query or requirements file larger than this is refused before it is read: it is sent
 * in the create request's JSON, and real ones are a few kilobytes.
 */
export const MAX_TEXT_FILE_BYTES = 4 * 1024 * 1024;

/**
 * An upload larger than this is refused where the spec names it. Studio's limit is not
 * documented; the emulator's default (64 MiB) stands for it, and apply holds an upload in
 * memory while it is sent, once per upload under way.
 */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/**
 * The size of a file over a limit: 4.2 MiB, or 5.0 GiB when larger; in bytes when rounded
 * it would read as within the limit ("64.0 MiB; at most 64 MiB" for one byte too many).
 */
export function sizePast(bytes: number, limit: number): string {
  const mib = bytes / 1024 / 1024;
  const shown = mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib.toFixed(1)} MiB`;
  return Number(mib.toFixed(1)) <= limit / 1024 / 1024 ? `${bytes.toLocaleString("en-US")} bytes` : shown;
}

/** Where a written path really is: its real path, whether it is a file, and its size. */
export interface FileLookup {
  real: string;
  isFile: boolean;
  size: number;
}

/** Why a written path leads nowhere: nothing is there, or a symbolic link on its way leads back to itself (ELOOP). */
export type LookupFailure = "missing" | "loop";

/** An upload a job names, hashed before the jobs are read. */
export interface UploadRequest {
  absolute: string;
  /** Files outside it are refused, so not hashed. */
  root: string;
}

/**
 * Each local file looked up and read once, however many jobs use it. Looking up and reading
 * a query or requirements file is done when a job first names it, synchronously: a spec
 * names a few small files, each costs a few system calls, and resolution then needs no
 * pass over every job beforehand nor a round trip through the event loop per file.
 * Uploads, which may be large, are hashed beforehand as streams (hashUploads()), all at
 * once; checking only, they are looked up and not hashed.
 */
export class FileCache {
  private readonly lookups = new Map<string, FileLookup | LookupFailure>();
  private readonly texts = new Map<string, FileRead | TextRefused | undefined>();
  private readonly hashes = new Map<string, FileRead>();

  async hashUploads(requests: Iterable<UploadRequest>, isInside: (root: string, path: string) => boolean): Promise<void> {
    const pending = new Map<string, Promise<void>>();
    for (const { absolute, root } of requests) {
      const found = this.lookup(absolute);
      if (typeof found === "string" || !found.isFile || !isInside(root, found.real) || pending.has(found.real)) continue;
      // One that cannot be read is left out: resolution says so where the spec names it.
      const hashing = hashRegularFile(found.real, MAX_UPLOAD_BYTES).then(
        (read) => void ("sha256" in read ? this.hashes.set(found.real, read) : undefined),
        () => undefined,
      );
      pending.set(found.real, hashing);
    }
    await Promise.all(pending.values());
  }

  /** Where a path really is, and whether it is a file; or why it leads nowhere. */
  lookup(absolute: string): FileLookup | LookupFailure {
    let found = this.lookups.get(absolute);
    if (found !== undefined) return found;
    try {
      const real = realpathSync.native(absolute);
      const info = statSync(real);
      found = { real, isFile: info.isFile(), size: info.size };
    } catch (error) {
      found = (error as NodeJS.ErrnoException).code === "ELOOP" ? "loop" : "missing";
    }
    this.lookups.set(absolute, found);
    return found;
  }

  /**
   * A file found inside its root, as text (its CRLFs as LF), or its upload's digest (hashed beforehand, byte for byte);
   * `tooLarge` (its size) for a text over MAX_TEXT_FILE_BYTES, `notText` for one that is
   * not UTF-8 text (decode-text.ts); undefined when it cannot be read.
   */
  read(real: string, want: "text" | "hash"): FileRead | TextRefused | undefined {
    if (want === "hash") return this.hashes.get(real);
    if (this.texts.has(real)) return this.texts.get(real);
    let read: FileRead | TextRefused | undefined;
    try {
      const { size } = statSync(real);
      if (size > MAX_TEXT_FILE_BYTES) {
        read = { tooLarge: size };
      } else {
        const decoded = decodeText(readFileSync(real));
        // A CRLF is read as LF, as YAML reads the spec's own text: a checkout made with Git's
        // autocrlf (Windows) must send, and fingerprint, what a Linux checkout of it does.
        read = "text" in decoded ? { text: decoded.text.replaceAll("\r\n", "\n") } : { notText: decoded.problem };
      }
    } catch {
      read = undefined;
    }
    this.texts.set(real, read);
    return read;
  }
}

/**
 * What to say after "does not exist" about a path the spec writes: a `\` between
 * directories (Windows reads it as `/`, Linux as part of a name), or the path that is there
 * with other capitals or in another Unicode form (`A.py` for `a.py`: a Mac's file system
 * takes either, Linux, where CI runs, does not). Looked for only when a path is missing.
 */
export function missingPathHint(baseDir: string, written: string): string {
  if (/^[A-Za-z]:[\\/]/.test(written))
    return "; this is a Windows path: write the path relative to the YAML file, with / between directories";
  if (written.includes("\\")) {
    return `; separate directories with /, not \\ (write "${showKey(written.replace(/\\+/g, "/"))}"): the spec is read alike on every system`;
  }
  const near = nearlyNamed(baseDir, written);
  if (near === undefined) return "";
  const lines = "names that differ so are two files on Linux, where CI runs";
  if (near.toLowerCase() === written.toLowerCase()) return `; "${showKey(near)}" is there, in other capitals: ${lines}`;
  // Alike to the eye: each spelling escaped, as for two job keys in two Unicode forms.
  const spelt = (text: string) => `"${unicodeEscaped(showKey(text))}"`;
  return `; ${spelt(near)} is there, in another Unicode form (or capitals) than the ${spelt(written)} written: ${lines}`;
}

/** `written` (relative to `baseDir`, with /) with each missing part replaced by the one entry of its directory that differs only by capitals or Unicode form. */
function nearlyNamed(baseDir: string, written: string): string | undefined {
  const fold = (name: string) => name.normalize("NFC").toLowerCase();
  let dir = isAbsolute(written) ? parse(written).root : baseDir;
  const parts: string[] = [];
  let changed = false;
  for (const part of written.split("/")) {
    let name = part;
    if (part !== "" && part !== "." && part !== ".." && !existsSync(join(dir, part))) {
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return undefined;
      }
      const alike = entries.filter((entry) => fold(entry) === fold(part));
      if (alike.length !== 1) return undefined;
      name = alike[0] as string;
      changed = true;
    }
    parts.push(name);
    dir = join(dir, name);
  }
  return changed ? parts.join("/") : undefined;
}
