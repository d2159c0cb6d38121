// The tool's version, read once from package.json.

import { readFileSync } from "node:fs";

let cached: string | undefined;

export function toolVersion(): string {
  if (cached === undefined) {
    // src/version.ts and dist/src/version.js both sit two levels below the package root
    // or one; look upwards for the nearest package.json named studio-jobs.
    for (const relative of ["../package.json", "../../package.json"]) {
      try {
        const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as { name?: string; version?: string };
        if (pkg.name === "studio-jobs" && typeof pkg.version === "string") {
          cached = pkg.version;
          break;
        }
      } catch {
        // try the next place
      }
    }
    cached ??= "0.0.0";
  }
  return cached;
}
