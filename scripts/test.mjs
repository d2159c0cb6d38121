// `npm test`: build, then vitest; the linter runs beside both from the start. ESLint is
// single-threaded and needs nothing the build makes, so on a 2-core machine it takes
// the time the build and the tests leave a core idle, instead of a stage of its own.
// Its report is printed after the tests'; the exit code is the first failure's.
// Arguments go to vitest: `npm test -- test/plan.test.ts`.

import { spawn } from "node:child_process";

/** Run a command; resolves with its exit code, and its output if captured. */
function run(command, args, capture) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit", shell: process.platform === "win32" });
    let output = "";
    if (capture) {
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
    }
    child.on("error", (error) => resolve({ code: 1, output: `${output}${error.message}\n` }));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), output }));
  });
}

const lint = run("npm", ["run", "-s", "lint"], true);
const build = await run("npm", ["run", "-s", "build"], false);
const tests = build.code === 0 ? await run("npx", ["vitest", "run", ...process.argv.slice(2)], false) : { code: build.code };
const linted = await lint;
process.stdout.write(linted.output);
console.log(linted.code === 0 ? "Lint: no problems." : `Lint failed (exit ${linted.code}).`);
process.exitCode = [build.code, tests.code, linted.code].find((code) => code !== 0) ?? 0;
