// The oldest Node.js the tool runs on: package.json's `engines` (test/package.test.ts holds
// the two equal). The command checks it first, before it loads anything an older Node cannot
// run (undici, which the client uses, needs this one); see docs/architecture.md, "The built CLI".

export const NODE_NEEDED = "20.18.1";

/** What to say when `version` (as process.versions.node gives it: "18.20.4") is older than NODE_NEEDED; else undefined. */
export function nodeTooOld(version: string): string | undefined {
  const have = version.replace(/^v/, "").split(/[.-]/, 3).map(Number);
  for (const [i, needed] of NODE_NEEDED.split(".").map(Number).entries()) {
    const part = have[i] ?? 0;
    if (part > needed) return undefined;
    // Older, or no version at all (NaN).
    if (part !== needed) {
      return `Error: studio-jobs needs Node.js ${NODE_NEEDED} or newer, and this is Node.js ${version}. Install a newer Node.js (https://nodejs.org) and run it again.\n`;
    }
  }
  return undefined;
}
