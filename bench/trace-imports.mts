// Which modules a command loads, in what order, how big, and who asked for each:
//
//   node --import ./dist/bench/trace-imports.mjs dist/src/cli/main.js --version
//
// prints one stderr line per ESM module (and CommonJS module reached by `import`) as
// it is loaded, then how many of node's own modules were loaded. The time is when the
// load began, from process start: static imports all load before any module runs, so
// this shows the import graph and its bytes; `node --cpu-prof` shows what they cost.
// A CommonJS module's own require()s do not pass through these hooks: run with
// NODE_DEBUG=module to see those.

import { writeSync } from "node:fs";
import { register } from "node:module";

register("./trace-imports-hooks.mjs", import.meta.url, { data: { origin: performance.timeOrigin } });

process.on("exit", () => {
  // Not in the typings: node's list of its own modules and bindings loaded so far.
  const list = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList ?? [];
  const builtins = list.filter((m) => m.startsWith("NativeModule ")).length;
  writeSync(2, `trace-imports: ${builtins} node built-in modules loaded, ${performance.now().toFixed(1)} ms to exit\n`);
});
