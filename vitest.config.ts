import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // A worker thread per core (vitest's default leaves one core idle, which on a 2-core
    // machine is half of it). Test files share their worker's modules: no test mocks a
    // module or changes a global, and loading the tool afresh for every file cost more
    // CPU time than most files' tests.
    pool: "threads",
    maxWorkers: Math.max(2, availableParallelism()),
    isolate: false,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", "json"],
    outputFile: { json: "dist/test-results.json" },
  },
});
