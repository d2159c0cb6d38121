// sha256, with node:crypto loaded on the first digest, not with this module: validate
// computes none, and loading it is a few ms of every command's start-up. A module of its
// own, so that reading a file to hash it does not load the job-field table with it.

import type * as Crypto from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let crypto: typeof Crypto | undefined;

/** A fresh sha256 hash. */
export function createSha256(): Crypto.Hash {
  crypto ??= require("node:crypto") as typeof Crypto;
  return crypto.createHash("sha256");
}

/** One-shot: crypto.hash (node 20.12+) is about twice as fast as a Hash object on a job's few hundred bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  crypto ??= require("node:crypto") as typeof Crypto;
  return crypto.hash("sha256", data, "hex");
}
