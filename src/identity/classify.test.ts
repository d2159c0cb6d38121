// classify: whose a listed record is, for each kind of record a listing holds.

import { describe, expect, it } from "vitest";
import { desired, record, STACK } from "../../test/plan-fixtures.js";
import { classify, isProtected, managedAs, recordedSettings } from "./classify.js";
import { encodeApplied, MARKERS } from "./markers.js";

describe("classify", () => {
  it("reads a record the tool made for this stack as managed, with its key, fingerprint, protection and applied record", () => {
    const job = desired({ key: "nightly", cron: "0 3 * * *", protect: true });
    const live = record(job, {
      status: "TASK",
      environment: { ...record(job).environment, [MARKERS.teams]: JSON.stringify(["demo", "ml"]) },
    });
    const seen = classify(live, STACK);
    if (seen.kind !== "managed") throw new Error(`expected managed, got ${seen.kind}`);
    expect(seen.record).toBe(live);
    expect([seen.key, seen.fingerprint, seen.protect]).toEqual(["nightly", job.fingerprint, true]);
    expect(seen.applied).toEqual({ v: 1, query_type: "PYTHON", cron: "0 3 * * *" });
    expect(seen.teams).toEqual(["demo", "ml"]);
    expect(isProtected(seen)).toBe(true);
    expect(recordedSettings(seen)).toEqual(seen.applied);
    expect(managedAs(live, STACK)?.key).toBe("nightly");
  });

  it("reads a run as a run whatever markers it inherited from its schedule", () => {
    const schedule = record(desired({ key: "hourly", cron: "@hourly" }));
    const run = { ...schedule, id: "run-1", status: "QUEUED", parent_job_id: schedule.id };
    expect(classify(run, STACK)).toEqual({ kind: "run", record: run, parentId: schedule.id });
    expect(managedAs(run, STACK)).toBeUndefined();
  });

  it("tells another stack's record, a record without a key and a record nobody claims apart", () => {
    const theirs = record({ key: "a", stack: "billing" });
    expect(classify(theirs, STACK)).toEqual({ kind: "other-stack", record: theirs, stack: "billing" });
    const { [MARKERS.key]: _key, ...keyless } = record({ key: "b" }).environment;
    const noKey = record({ key: "b" }, { environment: keyless });
    expect(classify(noKey, STACK)).toEqual({ kind: "managed-without-key", record: noKey });
    const byHand = record({ key: "c", stack: null }, { environment: { PATH: "/bin", [MARKERS.protect]: "1" } });
    expect(classify(byHand, STACK)).toEqual({ kind: "unmanaged", record: byHand, protect: true });
    // A protect marker set by hand is honoured; the rest of what it carries is not the tool's record.
    expect(isProtected(classify(byHand, STACK))).toBe(true);
    expect(recordedSettings(classify(byHand, STACK))).toBeUndefined();
    expect([isProtected(classify(theirs, STACK)), recordedSettings(classify(theirs, STACK))]).toEqual([false, undefined]);
  });

  it("reads a record whose stack marker is empty as nobody's: no stack has that name", () => {
    // Found by an adversarial tester: such a record was another stack's, named "" in the
    // warnings ("Stack  also has a live job"), and no conflict of a desired job of its name.
    const blank = record({ key: "a", stack: null }, { environment: { [MARKERS.stack]: "" } });
    expect(classify(blank, STACK)).toEqual({ kind: "unmanaged", record: blank, protect: false });
  });

  it("reads a record of this stack named other than its key as misnamed: the tool did not make it, and nothing of it is trusted but its protect mark", () => {
    const job = desired({ key: "nightly", cron: "0 3 * * *", protect: true });
    const copy = record(job, { name: "nightly (copy)", status: "TASK" });
    expect(classify(copy, STACK)).toEqual({ kind: "misnamed", record: copy, key: "nightly", protect: true });
    expect(managedAs(copy, STACK)).toBeUndefined();
    // Protected as a job made by hand with the mark is: adopting it takes --allow-protected.
    expect([isProtected(classify(copy, STACK)), recordedSettings(classify(copy, STACK))]).toEqual([true, undefined]);
  });

  it("reads an applied record of another version, or a teams marker that is not a list of names, as nothing recorded", () => {
    const base = record({ key: "a" });
    const odd = record(
      { key: "a" },
      { environment: { ...base.environment, [MARKERS.applied]: encodeApplied({ v: 2 } as never), [MARKERS.teams]: '{"ml": 1}' } },
    );
    const seen = managedAs(odd, STACK);
    expect([seen?.applied, seen?.teams]).toEqual([undefined, []]);
    const mixed = record({ key: "a" }, { environment: { ...base.environment, [MARKERS.teams]: '["ml", 3, ""]' } });
    expect(managedAs(mixed, STACK)?.teams).toEqual(["ml"]);
    // Found by an adversarial tester: a marker anyone with write access can set carried a
    // terminal escape and a CI workflow command into the plan's warnings.
    const hostile = JSON.stringify([
      "q\u001b]0;pwned\u0007\u001b[31mRED\r::error::injected",
      "two\nlines",
      "a b",
      "ab\u202ecd",
      "c1\u0085",
      "ml",
    ]);
    const planted = record({ key: "a" }, { environment: { ...base.environment, [MARKERS.teams]: hostile } });
    expect(managedAs(planted, STACK)?.teams).toEqual(["ml"]);
  });
});
