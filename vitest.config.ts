import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // A worker per core (vitest's default leaves one core idle, which on a 2-core machine
    // is half of it), each a process of its own, so that tests can bound their own CPU
    // time (startCpuClock in test/helpers.ts). Test files share their worker's modules:
    // no test mocks a module or changes a global, and loading the tool afresh for every
    // file cost more CPU time than most files' tests.
    pool: "forks",
    maxWorkers: Math.max(2, availableParallelism()),
    isolate: false,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", "json"],
    outputFile: { json: "dist/test-results.json" },
  },
});
