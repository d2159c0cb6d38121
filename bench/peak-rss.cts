// Preloaded with `node --require` in front of every measured process, subjects and
// floors alike: at exit it writes the process's peak resident set size (kB) to the
// file descriptor named by BENCH_PEAK_RSS_FD, so the harness gets the child's own
// figure without /usr/bin/time and without touching the code under test.
// CommonJS on purpose: `--require` of a .cjs costs well under a millisecond, where an
// ESM `--import` would start the ESM loader even for `node -e 0`, the start-up floor.

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS form of import under verbatimModuleSyntax
import fs = require("node:fs");

const fd = Number(process.env["BENCH_PEAK_RSS_FD"]);
if (Number.isInteger(fd) && fd > 2) {
  process.on("exit", () => {
    try {
      fs.writeSync(fd, `${process.resourceUsage().maxRSS}\n`);
    } catch {
      // the harness went away: nobody to tell
    }
  });
}
