// A saved plan applied a second time says "Studio is already as it leaves it" only when it
// is: attacks on appliedAlready (src/plan-file/stale.ts) over the real emulator.

import { describe, expect, it } from "vitest";
import { cliWith } from "./cli-helpers.js";
import { formatEnvironment } from "../src/identity/markers.js";
import { handMade, useStudio, writeRepo, writeSpec } from "./helpers.js";

const { studio, env } = useStudio();
const cli = cliWith(env);

const ALREADY = "Studio is already as it leaves it";
const daily = (query: string) => ({ query, schedule: { cron: "@daily" } });

describe("a saved plan applied again", () => {
  it("does not say Studio is as it leaves it when another apply made a job the plan's spec does not have", async () => {
    // Found by the chaos attacker: the live jobs of keys no action of the plan names were not
    // looked at, so a job another apply made since (one the plan's spec would cancel) was
    // passed over, and the refusal said Studio was already as the plan leaves it.
    const dir = writeRepo({});
    writeSpec(dir, "orphan", { a: daily("print(1)") });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    writeSpec(dir, "orphan", { a: daily("print(1)"), b: daily("print(2)") });
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
    writeSpec(dir, "orphan", { a: daily("print(1)"), b: daily("print(2)"), y: daily("print(3)") });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const again = await cli(dir, ["apply", "plan.json"]);
    expect(again.code).toBe(1);
    expect(again.stderr).not.toContain(ALREADY);
    expect(again.stderr).toContain("Error: Saved plan is stale: the jobs in Studio changed since it was made");
    expect(again.stderr).toMatch(/job \S+ of "y" in team demo was made since/);
  });

  it("does not say Studio is as it leaves it when a job by hand took a name the plan creates", async () => {
    const dir = writeRepo({});
    writeSpec(dir, "namesake", { a: daily("print(1)") });
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
    const made = await studio.client.createJob(handMade("a"));
    const again = await cli(dir, ["apply", "plan.json"]);
    expect(again.code).toBe(1);
    expect(again.stderr).not.toContain(ALREADY);
    expect(again.stderr).toContain(`job ${made.id} in team demo, named "a" and managed by no stack, was made since.`);
  });

  it("does not take a sensitive one-off job's earlier run for the plan's own", async () => {
    // A one-off job whose fingerprint the plan does not save (it covers a sensitive value):
    // its earlier version, which ran before the plan was made, was counted as the plan's run.
    const dir = writeRepo({});
    const secret = { env: { SJ_SECRET: "s1" } };
    const once = (query: string) => ({ query, environment: { K: "${env:SJ_SECRET}" } });
    writeSpec(dir, "oneoff", { once: once("print(1)") });
    expect((await cli(dir, ["apply", ".", "--yes"], secret)).code).toBe(0);
    studio.clock.advance(45_000);
    expect(studio.emulator.store.allJobs().find((r) => r.name === "once")?.status).toBe("COMPLETE");
    writeSpec(dir, "oneoff", { once: once("print(2)"), b: daily("print(3)") });
    const plan = await cli(dir, ["plan", ".", "--out", "plan.json"], secret);
    expect(plan.stderr).toContain("runs once, and an earlier version exists");
    // Another apply makes b, as the plan would; the new version of once never runs.
    writeSpec(dir, "oneoff", { b: daily("print(3)") });
    await cli(dir, ["apply", ".", "--yes", "--target", "b"], secret);
    writeSpec(dir, "oneoff", { once: once("print(2)"), b: daily("print(3)") });
    const again = await cli(dir, ["apply", "plan.json"], secret);
    expect(again.code).toBe(1);
    expect(again.stderr).not.toContain(ALREADY);
  });
});

describe("a saved plan applied again, Studio as it leaves it", () => {
  it("says so when the plan cancelled a copy of a job it keeps", async () => {
    const dir = writeRepo({});
    writeSpec(dir, "copied", { a: daily("print(1)"), z: daily("print(2)") });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    for (const name of ["a", "z"]) {
      const record = studio.emulator.store.allJobs().find((r) => r.name === name);
      if (record === undefined) throw new Error(`no job ${name}`);
      studio.clock.advance(1000);
      await studio.client.createJob(handMade(name, { query: record.query, environment: formatEnvironment(record.environment) }));
    }
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).stdout).toContain(
      "Plan: 0 to create, 0 to replace, 2 to cancel, 2 unchanged.",
    );
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
    const again = await cli(dir, ["apply", "plan.json"]);
    expect([again.code, again.stderr.split("\n")[0]]).toEqual([
      1,
      "Error: Saved plan is stale: Studio is already as it leaves it: the jobs it creates or replaces run as it makes them, and those it replaces or cancels have ended. Nothing was changed.",
    ]);
  });
});

describe("a saved plan of sensitive jobs applied again", () => {
  const secretJob = (query: string) => ({ query, environment: { K: "${env:SJ_SECRET}" }, schedule: { cron: "@daily" } });

  it("says Studio is as it leaves it only when its jobs run with the values it sends", async () => {
    // Found by the chaos attacker: a sensitive job's fingerprint is not saved, and without it
    // any live job of the key passed as the plan's own, even one another apply made with
    // another query, or with another secret value.
    const dir = writeRepo({});
    const s1 = { env: { SJ_SECRET: "s1" } };
    writeSpec(dir, "secret", { k: secretJob("print(1)") });
    expect((await cli(dir, ["apply", ".", "--yes"], s1)).code).toBe(0);
    writeSpec(dir, "secret", { k: secretJob("print(2)") });
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"], s1)).code).toBe(0);
    expect((await cli(dir, ["apply", "plan.json"], s1)).code).toBe(0);
    // Applied as the plan makes it: said so.
    expect((await cli(dir, ["apply", "plan.json"], s1)).stderr).toContain(ALREADY);
    // Another apply puts back the old query: the job of the key is not the plan's.
    writeSpec(dir, "secret", { k: secretJob("print(1)") });
    expect((await cli(dir, ["apply", ".", "--yes"], s1)).code).toBe(0);
    const older = await cli(dir, ["apply", "plan.json"], s1);
    expect([older.code, older.stderr.includes(ALREADY)]).toEqual([1, false]);
    expect(older.stderr).toContain("Error: Saved plan is stale: the jobs in Studio changed since it was made");
    // Nor is one with the plan's query and another secret value.
    writeSpec(dir, "secret", { k: secretJob("print(2)") });
    expect((await cli(dir, ["apply", ".", "--yes"], { env: { SJ_SECRET: "s2" } })).code).toBe(0);
    const other = await cli(dir, ["apply", "plan.json"], s1);
    expect([other.code, other.stderr.includes(ALREADY)]).toEqual([1, false]);
  });
});

describe("a saved plan of a one-off job applied again", () => {
  it("does not say Studio is as it leaves it when a copy of its one-off job runs after the plan's own ran", async () => {
    // Found by the chaos attacker: a one-off job's live copy passed as the plan's job though
    // the plan's own had run, so the job ran twice, which plan cancels as a duplicate.
    const dir = writeRepo({});
    writeSpec(dir, "oneoff-copy", { once: { query: "print('once')" } });
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
    studio.clock.advance(45_000);
    const ran = studio.emulator.store.allJobs().find((r) => r.name === "once");
    expect(ran?.status).toBe("COMPLETE");
    if (ran === undefined) throw new Error("no job once");
    await studio.client.createJob(handMade("once", { query: ran.query, environment: formatEnvironment(ran.environment) }));
    const again = await cli(dir, ["apply", "plan.json"]);
    expect([again.code, again.stderr.includes(ALREADY)]).toEqual([1, false]);
    expect((await cli(dir, ["plan", "."])).stdout).toContain("Plan: 0 to create, 0 to replace, 1 to cancel, 1 unchanged.");
  });
});
