// Part of `npm run build`, after tsc and compile-schema: bundle the CLI (dist/src/cli/main.js
// and everything it reaches) into dist/bin/, the `bin` users run. Why: a command that loads
// 30 ES modules one by one spends most of its start-up resolving, reading and linking them;
// a few CommonJS files, one per command plus what commands share, load in a fraction of
// that (docs/architecture.md, "The built CLI").
//
// Dynamic imports stay dynamic (one chunk per command), so each command loads only what it
// needs. What the code loads through createRequire at run time (ajv, yaml, undici, diff and
// the precompiled validators) stays outside: undici and ajv are large and loaded only by the
// commands that use them, and the validators are copied beside the bundle.

import { chmodSync, copyFileSync, readFileSync, rmSync } from "node:fs";
import { build } from "rolldown";

const out = new URL("../dist/bin/", import.meta.url);
rmSync(out, { recursive: true, force: true });

/**
 * commander requires node:child_process at load time for executable subcommands, which
 * this tool has none of; loading it (and net, which it pulls in) cost every command ~2 ms.
 * Loaded on first use instead. The build fails if commander's code no longer matches.
 */
const lazyChildProcess = {
  name: "lazy-child-process",
  transform: {
    filter: { id: /commander[\\/]lib[\\/]command\.js$/ },
    handler(code) {
      const eager = "const childProcess = require('node:child_process');";
      if (!code.includes(eager)) throw new Error(`commander/lib/command.js no longer has: ${eager}`);
      return code.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };");
    },
  },
};

await build({
  input: { "studio-jobs": new URL("../dist/src/cli/main.js", import.meta.url).pathname },
  platform: "node",
  plugins: [lazyChildProcess],
  // The bundle is CommonJS: the one file-relative thing the code asks of it is its own URL.
  transform: { define: { "import.meta.url": "__bundleUrl" } },
  external: [/^node:/],
  // Packages' ES module builds: hoisted into one scope, where their CommonJS builds would
  // each keep a wrapper function.
  resolve: { conditionNames: ["import", "node", "default"] },
  logLevel: "warn",
  output: {
    dir: out.pathname,
    format: "cjs",
    entryFileNames: "[name].cjs",
    chunkFileNames: "[name]-[hash].cjs",
    // A dynamic import of a package becomes a require(), like every import in the bundle.
    dynamicImportInCjs: false,
    intro: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;',
  },
});

for (const [from, name] of [
  ["desired", "schema-validator.cjs"],
  ["plan-file", "plan-validator.cjs"],
]) {
  copyFileSync(new URL(`../dist/src/${from}/${name}`, import.meta.url), new URL(name, out));
}

const entry = readFileSync(new URL("studio-jobs.cjs", out), "utf8");
if (!entry.startsWith("#!/usr/bin/env node")) throw new Error("dist/bin/studio-jobs.cjs lost its #! line");
// Executable, as `npm link` made it: the directory is rebuilt from scratch, and a linked
// `studio-jobs` would otherwise say "Permission denied" after the next build.
chmodSync(new URL("studio-jobs.cjs", out), 0o755);
