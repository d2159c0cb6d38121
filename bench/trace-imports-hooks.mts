// The module hooks behind trace-imports.mts. They run on node's hooks thread, so they
// write with writeSync to fd 2 and take the main thread's time origin as data.

import { writeSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

let origin = performance.timeOrigin;
const parents = new Map<string, string>();

function show(url: string): string {
  return url.startsWith("file:") ? relative(process.cwd(), fileURLToPath(url)) : url;
}

export function initialize(data: { origin: number }): void {
  origin = data.origin;
}

interface ResolveResult {
  url: string;
}
type NextResolve = (specifier: string, context: { parentURL?: string | undefined }) => Promise<ResolveResult>;
type NextLoad = (url: string, context: unknown) => Promise<{ source?: string | ArrayBuffer | Uint8Array | null | undefined }>;

export async function resolve(specifier: string, context: { parentURL?: string | undefined }, next: NextResolve): Promise<ResolveResult> {
  const result = await next(specifier, context);
  if (context.parentURL !== undefined && !parents.has(result.url)) parents.set(result.url, context.parentURL);
  return result;
}

export async function load(url: string, context: unknown, next: NextLoad): Promise<unknown> {
  const at = performance.timeOrigin + performance.now() - origin;
  const result = await next(url, context);
  const source = result.source;
  const bytes = source === null || source === undefined ? 0 : typeof source === "string" ? Buffer.byteLength(source) : source.byteLength;
  const parent = parents.get(url);
  const from = parent === undefined ? "" : `  <- ${show(parent)}`;
  writeSync(2, `+${at.toFixed(1).padStart(7)} ms ${(bytes / 1024).toFixed(1).padStart(7)} kB  ${show(url)}${from}\n`);
  return result;
}
