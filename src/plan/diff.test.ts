// Text diffs as plans show them; each distinct (old, new) pair is diffed once and kept.

import { expect, it } from "vitest";
import { desired, NOW, record } from "../../test/plan-fixtures.js";
import { computeChanges, unifiedDiff } from "./diff.js";

it("diffs each pair of texts as its own, however often a pair or an old text comes back", () => {
  const old = "import datachain as dc\n\n# version 1\nprint(0)\n";
  const toTwo = old.replace("version 1", "version 2");
  const toThree = old.replace("print(0)", "print(3)");
  const expectedTwo = ["@@ -1,4 +1,4 @@", " import datachain as dc", " ", "-# version 1", "+# version 2", " print(0)"].join("\n");
  const expectedThree = ["@@ -1,4 +1,4 @@", " import datachain as dc", " ", " # version 1", "-print(0)", "+print(3)"].join("\n");
  for (let round = 0; round < 3; round++) {
    expect(unifiedDiff(old, toTwo)).toBe(expectedTwo);
    expect(unifiedDiff(old, toThree)).toBe(expectedThree);
    expect(unifiedDiff(toTwo, old)).toBe(expectedTwo.replace("-# version 1\n+# version 2", "-# version 2\n+# version 1"));
  }
  // Past the cache's bound it starts again, and still answers each pair rightly.
  for (let i = 0; i < 1_100; i++) expect(unifiedDiff(`a\n${i}\n`, `a\n${i + 1}\n`)).toBe(`@@ -1,2 +1,2 @@\n a\n-${i}\n+${i + 1}`);
  expect(unifiedDiff(old, toTwo)).toBe(expectedTwo);
});

it("shows a live variable named __proto__, which copying the environment used to drop", () => {
  // Found by an adversarial server: `out[key] = value` with key __proto__ sets nothing, so
  // the variable vanished from the diff (and from import): the plan hid a change.
  const job = desired({ key: "a", cron: "@daily" });
  const live = record(job);
  const environment = JSON.parse(`{"__proto__": "x", ${JSON.stringify(live.environment).slice(1)}`) as Record<string, string>;
  const changes = computeChanges(job, { ...live, environment }, NOW);
  expect(changes).toContainEqual({ field: "environment.__proto__", kind: "value", old: "x", new: "(not set)" });
});

it("says which side ends without a line break, so a diff of two texts that differ only there shows a difference", () => {
  // Found by importing a job whose requirements end with a line break (as a requirements.txt
  // does): a list of lines has none, and `plan --adopt` showed "-pandas +pandas", no change to see.
  expect(unifiedDiff("numpy\npandas\n", "numpy\npandas")).toBe(
    ["@@ -1,2 +1,2 @@", " numpy", "-pandas", "+pandas", "\\ No newline at end of file"].join("\n"),
  );
  expect(unifiedDiff("print(1)", "print(1)\n")).toBe(
    ["@@ -1,1 +1,1 @@", "-print(1)", "\\ No newline at end of file", "+print(1)"].join("\n"),
  );
});

it("shows a field the spec sets over Studio's default: only a field the spec leaves out keeps the default unsaid", () => {
  // The live job runs with Studio's defaults (1 worker, no requirements).
  const live = record(desired({ key: "a", cron: "@daily" }));
  const set = desired({ key: "a", cron: "@daily", workers: 4, requirements: "numpy" });
  expect(computeChanges(set, live, NOW)).toEqual([
    { field: "workers", kind: "value", old: "1", new: "4" },
    { field: "requirements", kind: "text", patch: expect.stringMatching(/\n\+numpy$/) as unknown },
  ]);
  // Left out of the spec, Studio's default is no change; another live value is.
  expect(computeChanges(desired({ key: "a", cron: "@daily" }), live, NOW)).toEqual([]);
  expect(computeChanges(desired({ key: "a", cron: "@daily" }), { ...live, workers: 3 }, NOW)).toEqual([
    { field: "workers", kind: "value", old: "3", new: "(not set)" },
  ]);
});

it("quotes a value that would not read as itself in `old → new`: blank, blank at an end, holding the arrow, spelled as a placeholder", () => {
  // Found by rendering a job made by hand in Studio: its python_version " " read
  // `python_version:   → 3.12`, an environment value "(not set)" read `(not set) → (not set)`
  // (a change that looked like none), and "a → b" read `a → b → (not set)`.
  const job = desired({ key: "a", cron: "@daily", environment: { KEEP: "(sensitive)" } });
  const live = record(job);
  const environment = { ...live.environment, EMPTY: "", EDGE: " x ", PLACEHOLDER: "(not set)", ARROW: "a → b", QUOTE: '"q"', KEEP: "x" };
  const changes = computeChanges(job, { ...live, python_version: " ", environment }, NOW);
  const shown = changes.filter((c) => c.kind === "value").map((c) => `${c.field}: ${c.old} → ${c.new}`);
  expect(shown).toEqual([
    'python_version: " " → (not set)',
    'environment.ARROW: "a → b" → (not set)',
    'environment.EDGE: " x " → (not set)',
    'environment.EMPTY: "" → (not set)',
    'environment.KEEP: x → "(sensitive)"',
    'environment.PLACEHOLDER: "(not set)" → (not set)',
    'environment.QUOTE: "\\"q\\"" → (not set)',
  ]);
});

it("diffs two long texts that differ everywhere at once: every old line taken away, every new one added", () => {
  // Found with a job in Studio whose 40,000-line query differed in every line from the
  // spec's: the plan ran for hours (10,000 lines took 40 s), and heeded no Ctrl-C meanwhile.
  const lines = (prefix: string) => Array.from({ length: 10_000 }, (_, i) => `${prefix}${i}`);
  const [oldLines, newLines] = [lines("old "), lines("new ")];
  expect(unifiedDiff(`${oldLines.join("\n")}\n`, `${newLines.join("\n")}\n`)).toBe(
    ["@@ -1,10000 +1,10000 @@", ...oldLines.map((l) => `-${l}`), ...newLines.map((l) => `+${l}`)].join("\n"),
  );
  // Which side ends without a line break is said, as in a diff that is not cut short.
  expect(
    unifiedDiff(`${oldLines.join("\n")}\n`, newLines.join("\n"))
      .split("\n")
      .slice(-2),
  ).toEqual(["+new 9999", "\\ No newline at end of file"]);
  // Edits here and there in a long text are still found as such: 200 in 10,000 lines were
  // shown as every line taken away and added again under a bound a tenth of this one.
  const scattered = oldLines.map((line, i) => (i % 50 === 7 ? `edited ${i}` : line));
  const hunks = unifiedDiff(oldLines.join("\n"), scattered.join("\n")).split("\n");
  expect(hunks.filter((line) => line.startsWith("@@"))).toHaveLength(200);
  expect(hunks.filter((line) => line.startsWith("-"))).toEqual(oldLines.filter((_, i) => i % 50 === 7).map((l) => `-${l}`));
  // A few changes in long texts are still found as such.
  const edited = [...oldLines];
  edited[5_000] = "changed";
  expect(unifiedDiff(oldLines.join("\n"), edited.join("\n")).split("\n")).toEqual([
    "@@ -4998,7 +4998,7 @@",
    ...["old 4997", "old 4998", "old 4999"].map((l) => ` ${l}`),
    "-old 5000",
    "+changed",
    ...["old 5001", "old 5002", "old 5003"].map((l) => ` ${l}`),
  ]);
}, 10_000);

it("quotes a value blank at one end only, or holding a tab there, or spelled as any placeholder a change line writes", () => {
  // Each end is looked at on its own: " x " alone would be quoted for either.
  const job = desired({ key: "a", cron: "@daily" });
  const live = record(job);
  const environment = { ...live.environment, LEAD: " x", TRAIL: "x ", TAB: "x\t", NONE: "(none)", UNKNOWN: "(unknown)", PLAIN: "x y" };
  const changes = computeChanges(job, { ...live, environment }, NOW);
  expect(changes.filter((c) => c.kind === "value").map((c) => `${c.field}: ${c.old} → ${c.new}`)).toEqual([
    'environment.LEAD: " x" → (not set)',
    'environment.NONE: "(none)" → (not set)',
    "environment.PLAIN: x y → (not set)",
    'environment.TAB: "x\\t" → (not set)',
    'environment.TRAIL: "x " → (not set)',
    'environment.UNKNOWN: "(unknown)" → (not set)',
  ]);
});

it("cut short, writes the hunk's header and line-break markers as the library does: counts of each side, none for an empty side", () => {
  const lines = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  // Sides of different lengths: each count is its own.
  const [short, long] = [lines("old ", 5_000), lines("new ", 15_000)];
  expect(unifiedDiff(`${short.join("\n")}\n`, `${long.join("\n")}\n`).split("\n", 1)).toEqual(["@@ -1,5000 +1,15000 @@"]);
  // An empty side has no lines, and no marker though the other ends with a line break.
  expect(unifiedDiff("", `${long.join("\n")}\n`)).toBe(["@@ -1,0 +1,15000 @@", ...long.map((l) => `+${l}`)].join("\n"));
  expect(unifiedDiff(`${long.join("\n")}\n`, "")).toBe(["@@ -1,15000 +1,0 @@", ...long.map((l) => `-${l}`)].join("\n"));
  // Neither side ends with a line break: no marker, as in a diff not cut short.
  expect(unifiedDiff(short.join("\n"), long.join("\n"))).not.toContain("No newline");
  // In very long texts, some 100 edits are still looked for: 40 lines changed in 30,000 are found as such.
  const [before, after] = [lines("line ", 30_000), lines("line ", 30_000)];
  for (let i = 0; i < 40; i++) after[i * 700] = `changed ${i}`;
  const patch = unifiedDiff(before.join("\n"), after.join("\n")).split("\n");
  expect(patch.filter((l) => l.startsWith("@@"))).toHaveLength(40);
  expect(patch.filter((l) => l.startsWith("-"))).toEqual(Array.from({ length: 40 }, (_, i) => `-line ${i * 700}`));
}, 20_000);

it("quotes a cluster's name and a recorded cron that would not read as themselves", () => {
  // A cron recorded with a blank at its end read `0 3 * * *  → @daily`; a cluster named with the arrow read as two changes.
  const live = record(desired({ key: "a", cron: "0 3 * * * " }));
  const changes = computeChanges(desired({ key: "a", cron: "@daily" }), live, NOW);
  expect(changes).toHaveLength(1);
  expect(changes[0]).toMatchObject({ field: "schedule.cron", kind: "cron", old: '"0 3 * * * "', new: "@daily" });
  const plain = record(desired({ key: "a", cron: "@daily" }));
  expect(computeChanges(desired({ key: "a", cron: "@daily", cluster: { name: "gpu → big" } }), plain, NOW)).toEqual([
    { field: "cluster", kind: "value", old: "(not set)", new: '"gpu → big"' },
  ]);
});
