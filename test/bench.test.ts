// The benchmark harness's own logic: the specs it writes (as a user would, and with the
// changes its rows count on) and how it turns runs into figures.

import { readFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import type { Measured } from "../bench/measure.js";
import { statsOf } from "../bench/measure.js";
import { excessMs, ratioOf } from "../bench/report.js";
import { writeSpec } from "../bench/specs.js";

const root = mkdtempSync(join(tmpdir(), "studio-jobs-bench-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Doc {
  version: number;
  stack: string;
  defaults: { team: string; python_version: unknown };
  jobs: Record<string, { query_file: string; schedule: { cron: unknown }; environment: { SHARD: string } }>;
}

const read = (path: string): Doc => load(readFileSync(path, "utf8")) as Doc;

describe("bench specs", () => {
  it("quotes crons and python_version as a user types them, and points at query files that exist", () => {
    const spec = writeSpec({ root, jobs: 30, files: 1, stack: "s", team: "t" });
    const text = readFileSync(spec.yamlFiles[0] as string, "utf8");
    expect(text).toContain('    schedule:\n      cron: "7 7 * * *"\n');
    expect(text).toContain('  python_version: "3.12"\n');
    const doc = read(spec.yamlFiles[0] as string);
    expect(doc.defaults).toEqual({ team: "t", python_version: "3.12", environment: { LOG_LEVEL: "info" } });
    expect(Object.keys(doc.jobs)).toHaveLength(30);
    expect(doc.jobs["job-00029"]?.schedule.cron).toBe("29 5 * * *");
    expect(readFileSync(join(spec.dir, doc.jobs["job-00029"]?.query_file ?? ""), "utf8")).toContain("print(29)");
  });

  it("splits the same jobs over several files, each a complete spec of the stack", () => {
    const spec = writeSpec({ root, jobs: 45, files: 20, stack: "s", team: "t" });
    expect(spec.yamlFiles).toHaveLength(20);
    const docs = spec.yamlFiles.map(read);
    const keys = docs.flatMap((d) => Object.keys(d.jobs));
    expect(new Set(keys).size).toBe(45);
    expect(docs.every((d) => d.version === 1 && d.stack === "s" && Object.keys(d.jobs).length >= 2)).toBe(true);
  });

  it("renames and changes the jobs its plan row counts as creates, cancels and replaces", () => {
    const doc = read(writeSpec({ root, jobs: 100, files: 1, stack: "s", team: "t", changed: 10, renamed: 5 }).yamlFiles[0] as string);
    const keys = Object.keys(doc.jobs);
    expect(keys.filter((k) => k.startsWith("renamed-"))).toEqual([
      "renamed-00095",
      "renamed-00096",
      "renamed-00097",
      "renamed-00098",
      "renamed-00099",
    ]);
    const changed = Object.entries(doc.jobs)
      .filter(([, j]) => j.environment.SHARD === "changed")
      .map(([k]) => k);
    expect(changed).toEqual(Array.from({ length: 10 }, (_, i) => `job-000${85 + i}`));
  });

  it("changes every query file's text with queryVersion, and nothing else", () => {
    const first = writeSpec({ root, jobs: 3, files: 1, stack: "s", team: "t", queryVersion: 1 });
    const second = writeSpec({ root, jobs: 3, files: 1, stack: "s", team: "t", queryVersion: 2 });
    expect(readFileSync(first.yamlFiles[0] as string, "utf8")).toBe(readFileSync(second.yamlFiles[0] as string, "utf8"));
    for (let q = 0; q < 50; q++) {
      expect(readFileSync(join(first.dir, "queries", `q${q}.py`), "utf8")).not.toBe(
        readFileSync(join(second.dir, "queries", `q${q}.py`), "utf8"),
      );
    }
  });
});

const run = (ms: number): Measured => ({ ms, rssMb: 1, code: 0, stdout: "", stderr: "" });

describe("bench figures", () => {
  it("takes median, min and max of odd and even counts", () => {
    expect(statsOf([5, 1, 3])).toMatchObject({ median: 3, min: 1, max: 5 });
    expect(statsOf([4, 1, 3, 10])).toMatchObject({ median: 3.5, min: 1, max: 10 });
  });

  it("judges a measured floor by the median of per-pair ratios, not the ratio of medians", () => {
    // A burst of load slowed the third pair on both sides, and the second subject alone:
    // pairwise the ratio is 1.1, while the ratio of the medians would be 300/200.
    const subject = [110, 300, 1100].map(run);
    const floor = [100, 200, 1000].map(run);
    expect(ratioOf(subject, { kind: "measured", label: "f", runs: floor })).toBeCloseTo(1.1, 10);
    expect(ratioOf([run(1500), run(1300), run(1400)], { kind: "bound", label: "b", ms: 1000 })).toBeCloseTo(1.4, 10);
    expect(ratioOf([run(1)], { kind: "none" })).toBeUndefined();
  });

  it("takes the median of per-pair differences for floor + N ms targets", () => {
    expect(excessMs([run(80), run(95), run(200)], [run(40), run(50), run(60)])).toBe(45);
  });
});
