// Restoring a saved plan: each replace and cancel acts only on a record the planner could
// have chosen for it, whatever job id the file names.

import { describe, expect, it } from "vitest";
import { CLUSTERS, desired, options, record } from "../../test/plan-fixtures.js";
import type { DesiredJob } from "../desired/types.js";
import { MARKERS } from "../identity/markers.js";
import { computePlan } from "../plan/compute.js";
import type { PlanOptions } from "../plan/types.js";
import type { JobOutput } from "../studio/types.js";
import type { PlanDocument } from "./document.js";
import { restorePlan } from "./restore.js";
import { deriveDigestKey } from "./secret-digest.js";
import { savedPlanDocument } from "./write.js";

const key = deriveDigestKey("token", "studio-token-a", "00112233445566778899aabbccddeeff");

function savedPlan(jobs: DesiredJob[], records: JobOutput[], planOptions: Partial<PlanOptions> = {}) {
  const listings = new Map([["demo", records]]);
  const plan = computePlan(jobs, listings, CLUSTERS, options(planOptions));
  expect(plan.errors).toEqual([]);
  return { doc: savedPlanDocument(plan, "1.0.0", "/", key), listings };
}

/** The document with the job id of its action of `kind` set to `id`, as someone editing the file would. */
function withJobId(doc: PlanDocument, kind: "replace" | "cancel", id: string): PlanDocument {
  const edited = structuredClone(doc);
  const action = edited.actions.find((a) => a.kind === kind);
  if (action === undefined) throw new Error(`the plan has no ${kind}`);
  action.job_id = id;
  return edited;
}

async function refusal(doc: PlanDocument, listings: ReadonlyMap<string, readonly JobOutput[]>): Promise<string> {
  const error = await restorePlan(doc, { listings, clusters: CLUSTERS, env: {}, cwd: "/", key }).then(
    () => undefined,
    (e: unknown) => e as Error & { hint?: string },
  );
  if (error === undefined) throw new Error("the plan was restored");
  return `${error.message}\n${String(error.hint)}`;
}

describe("restorePlan: the record an action acts on", () => {
  const keep = desired({ key: "keep" });
  const kept = record(keep);
  const gone = record({ key: "gone" });
  const precious = record({ key: "precious", stack: "victim" }, { id: "victims-job" });
  const byHand = record({ key: "manual", stack: null }, { id: "hand-made" });

  it("ties a cancel to this stack's record of its key", async () => {
    const { doc, listings } = savedPlan([keep], [kept, gone, precious]);
    const plan = await restorePlan(doc, { listings, clusters: CLUSTERS, env: {}, cwd: "/", key });
    expect(plan.actions.map((a) => `${a.kind} ${a.key} ${"live" in a ? a.live.id : ""}`)).toEqual([`cancel gone ${gone.id}`]);
  });

  it("refuses a cancel whose job id was changed to another stack's job, or to a job made by hand", async () => {
    const { doc, listings } = savedPlan([keep], [kept, gone, precious, byHand]);
    expect(await refusal(withJobId(doc, "cancel", "victims-job"), listings)).toBe(
      `The saved plan's cancel of "gone" in team demo names job victims-job, which is stack victim's job "precious", not stack analytics's job "gone".\n` +
        "The saved plan was changed after it was made. Nothing was changed.\n" +
        "Make it again with `studio-jobs plan --out FILE` and apply that.",
    );
    expect(await refusal(withJobId(doc, "cancel", "hand-made"), listings)).toMatch(
      /^The saved plan's cancel of "gone" in team demo names job hand-made, which is a job no stack manages \("manual"\), not stack analytics's job "gone"\.\n/,
    );
    expect(await refusal(withJobId(doc, "cancel", kept.id), listings)).toMatch(
      new RegExp(
        `^The saved plan's cancel of "gone" in team demo names job ${kept.id}, which is this stack's job "keep", not stack analytics's job "gone"\\.\\n`,
      ),
    );
  });

  it("refuses a replace whose old job is not this stack's record of its key", async () => {
    const changed = desired({ key: "keep", query: "print(2)\n" });
    const { doc, listings } = savedPlan([changed], [kept, precious]);
    expect(doc.actions.map((a) => a.kind)).toEqual(["replace"]);
    expect(await refusal(withJobId(doc, "replace", "victims-job"), listings)).toMatch(
      /^The saved plan's replace of "keep" in team demo names job victims-job, which is stack victim's job "precious", not stack analytics's job "keep"\.\n/,
    );
  });

  it("lets an adopting replace act only on a job that holds the key's name and is no stack's (or a copy of another of the stack's jobs)", async () => {
    const manual = desired({ key: "manual" });
    const { doc, listings } = savedPlan([manual], [byHand, precious], { adopt: true });
    expect(doc.actions.map((a) => `${a.kind} ${String(a.job_id)}`)).toEqual(["replace hand-made"]);
    expect((await restorePlan(doc, { listings, clusters: CLUSTERS, env: {}, cwd: "/", key })).actions).toHaveLength(1);
    expect(await refusal(withJobId(doc, "replace", "victims-job"), listings)).toMatch(
      /^The saved plan's replace of "manual" in team demo names job victims-job, which is stack victim's job "precious", not a job named "manual" that is not the stack's job of that key\.\n/,
    );
  });

  it("refuses a replace or cancel that shows a protected job as not protected, or the other way round", async () => {
    // Found by an adversarial test: a plan sealed anew by someone holding only the plan key
    // (a pull request's CI job) could drop the [protected] mark from the cancel of a
    // protected job, made with --allow-protected, and show approved what apply then did.
    const guarded = record({ key: "guarded", protect: true });
    const { doc, listings } = savedPlan([keep], [kept, guarded], { allowProtected: true });
    expect(doc.actions.map((a) => `${a.kind} ${a.key} ${String(a.protected)}`)).toEqual(["noop keep undefined", "cancel guarded true"]);
    expect((await restorePlan(doc, { listings, clusters: CLUSTERS, env: {}, cwd: "/", key })).actions).toHaveLength(1);
    const hidden = structuredClone(doc);
    delete hidden.actions[1]?.protected;
    expect(await refusal(hidden, listings)).toBe(
      `The saved plan's cancel of "guarded" in team demo shows job ${guarded.id} as not protected, though it is.\n` +
        "The saved plan was changed after it was made. Nothing was changed.\n" +
        "Make it again with `studio-jobs plan --out FILE` and apply that.",
    );
    const changed = desired({ key: "keep", query: "print(2)\n" });
    const replace = savedPlan([changed], [kept]);
    const marked = structuredClone(replace.doc);
    for (const action of marked.actions) action.protected = true;
    expect(await refusal(marked, replace.listings)).toMatch(
      new RegExp(`^The saved plan's replace of "keep" in team demo shows job ${kept.id} as protected, which it is not\\.\\n`),
    );
  });

  it("refuses a cancel whose reason the plan's other actions do not bear out, and a noop that keeps no record the planner could keep", async () => {
    // Found by an adversarial test: sealed anew, a plan could show the cancel of a key's only
    // job as "a duplicate of the job kept" beside a made-up noop, even one naming the very
    // job it cancels; noops were not tied to any record.
    const twin = record(keep);
    const { doc, listings } = savedPlan([keep], [kept, twin, gone]);
    expect(doc.actions.map((a) => `${a.kind} ${a.key} ${String(a.reason)}`)).toEqual([
      "noop keep undefined",
      "cancel keep duplicate",
      "cancel gone removed",
    ]);
    expect((await restorePlan(doc, { listings, clusters: CLUSTERS, env: {}, cwd: "/", key })).actions).toHaveLength(2);
    const tail =
      "\nThe saved plan was changed after it was made. Nothing was changed.\nMake it again with `studio-jobs plan --out FILE` and apply that.";

    const relabelled = structuredClone(doc);
    const removed = relabelled.actions[2];
    if (removed !== undefined) removed.reason = "duplicate";
    expect(await refusal(relabelled, listings)).toBe(
      `The saved plan's cancel of "gone" in team demo says it is duplicate, but the plan keeps no job of that key there.${tail}`,
    );

    const decoy = structuredClone(relabelled);
    const noop = decoy.actions[0];
    if (noop !== undefined) decoy.actions.push({ ...noop, key: "gone", job_id: gone.id, fingerprint: "made-up" });
    decoy.summary.noop += 1;
    const decoyed = await refusal(decoy, listings);
    expect(decoyed).toContain(`The saved plan keeps job ${gone.id} of "gone" in team demo, which does not do what the plan shows.\n`);
    expect(decoyed).toContain(`The saved plan both keeps and cancels job ${gone.id} of "gone" in team demo.\n`);

    const unlabelled = structuredClone(doc);
    const duplicate = unlabelled.actions[1];
    if (duplicate !== undefined) duplicate.reason = "removed";
    expect(await refusal(unlabelled, listings)).toBe(
      `The saved plan's cancel of "keep" in team demo says it is removed, but the plan has that key there.${tail}`,
    );

    const elsewhere = structuredClone(doc);
    const kept0 = elsewhere.actions[0];
    if (kept0 !== undefined) kept0.job_id = precious.id;
    expect(await refusal(elsewhere, new Map([["demo", [kept, twin, gone, precious]]]))).toMatch(
      /^The saved plan's noop of "keep" in team demo names job victims-job, which is stack victim's job "precious", not stack analytics's job "keep"\.\n/,
    );
  });

  it("refuses a replace or cancel that names a job of its key that had ended before the plan was made", async () => {
    // Found in review: sealed anew, a plan that keeps a one-off job's run and cancels a live
    // copy of it could swap the two ids. The cancel of the ended run is no change to the remote
    // digest, apply counts it as done, and the copy ran too: the job ran twice.
    const once = desired({ key: "once" });
    const ran = record(once, { status: "COMPLETE" });
    const copy = record(once);
    const { doc, listings } = savedPlan([once], [ran, copy]);
    expect(doc.actions.map((a) => `${a.kind} ${String(a.job_id)} ${String(a.reason)}`)).toEqual([
      `noop ${ran.id} undefined`,
      `cancel ${copy.id} duplicate`,
    ]);
    const swapped = structuredClone(doc);
    for (const action of swapped.actions) action.job_id = action.job_id === ran.id ? copy.id : ran.id;
    expect(await refusal(swapped, listings)).toBe(
      `The saved plan's cancel of "once" in team demo names job ${ran.id}, which had ended (COMPLETE) before the plan was made: the planner replaces and cancels only live jobs.\n` +
        "The saved plan was changed after it was made. Nothing was changed.\n" +
        "Make it again with `studio-jobs plan --out FILE` and apply that.",
    );
    // A replace's likewise: here of a schedule whose earlier version ended.
    const daily = desired({ key: "daily", cron: "@daily", query: "print(2)\n" });
    const earlier = record({ key: "daily" }, { status: "CANCELED" });
    const running = record({ key: "daily" }, { status: "TASK" });
    const replace = savedPlan([daily], [earlier, running]);
    expect(replace.doc.actions.map((a) => `${a.kind} ${String(a.job_id)}`)).toEqual([`replace ${running.id}`]);
    const moved = withJobId(replace.doc, "replace", earlier.id);
    expect(await refusal(moved, replace.listings)).toMatch(
      new RegExp(`^The saved plan's replace of "daily" in team demo names job ${earlier.id}, which had ended \\(CANCELED\\) before`),
    );
  });

  it("restores the cancels beside a replace: a duplicate, and a job adopted beside the one adopted", async () => {
    // Found by mutation testing: no test restored a cancel beside a replace, so a restore that
    // took only a noop as keeping its key, or refused every adopted cancel, failed no test.
    const twice = record({ key: "keep" });
    const duplicate = record({ key: "keep" });
    const changed = savedPlan([keep], [twice, duplicate]);
    expect(changed.doc.actions.map((a) => `${a.kind} ${String(a.job_id)} ${String(a.reason)}`)).toEqual([
      `replace ${duplicate.id} undefined`,
      `cancel ${twice.id} duplicate`,
    ]);
    const restored = await restorePlan(changed.doc, { listings: changed.listings, clusters: CLUSTERS, env: {}, cwd: "/", key });
    expect(restored.actions.map((a) => `${a.kind} ${"live" in a ? a.live.id : ""}`)).toEqual([
      `replace ${duplicate.id}`,
      `cancel ${twice.id}`,
    ]);

    const manual = desired({ key: "manual" });
    const second = record({ key: "manual", stack: null }, { id: "hand-made-2" });
    const adopted = savedPlan([manual], [byHand, second], { adopt: true });
    expect(adopted.doc.actions.map((a) => `${a.kind} ${String(a.job_id)} ${String(a.reason)}`)).toEqual([
      "replace hand-made-2 undefined",
      "cancel hand-made adopted",
    ]);
    const both = await restorePlan(adopted.doc, { listings: adopted.listings, clusters: CLUSTERS, env: {}, cwd: "/", key });
    expect(both.actions.map((a) => `${a.kind} ${"live" in a ? a.live.id : ""}`)).toEqual(["replace hand-made-2", "cancel hand-made"]);
  });

  it("refuses an adopting replace that names a job by hand of another name", async () => {
    // Found by mutation testing: only a record of another kind (another stack's) was tried.
    const manual = desired({ key: "manual" });
    const other = record({ key: "other", stack: null }, { id: "hand-other" });
    const { doc, listings } = savedPlan([manual], [byHand, other], { adopt: true });
    expect(doc.actions.map((a) => `${a.kind} ${String(a.job_id)}`)).toEqual(["replace hand-made"]);
    expect(await refusal(withJobId(doc, "replace", "hand-other"), listings)).toMatch(
      /^The saved plan's replace of "manual" in team demo names job hand-other, which is a job no stack manages \("other"\), not a job named "manual" that is not the stack's job of that key\.\n/,
    );
  });

  it("looks a record up only in the listing of the action's own team", async () => {
    const { doc } = savedPlan([keep], [kept, gone]);
    const elsewhere = new Map([
      ["demo", [kept]],
      ["other", [gone]],
    ]);
    expect(await refusal(doc, elsewhere)).toMatch(/^Saved plan is stale/);
  });
});

describe("restorePlan: a stale plan", () => {
  it("names the jobs that changed since, at most ten of them, and how many more", async () => {
    const keep = desired({ key: "keep" });
    const removed = Array.from({ length: 12 }, (_, i) => record({ key: `removed-${String(i).padStart(2, "0")}` }));
    const { doc } = savedPlan([keep], [record(keep), ...removed], { maxCancel: 100 });
    // Another apply cancelled them all meanwhile, and Studio no longer lists them.
    const said = (await refusal(doc, new Map([["demo", []]]))).split("\n");
    expect(said.slice(0, 3)).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${doc.actions.find((a) => a.kind === "noop")?.job_id ?? ""} of "keep" in team demo, which the plan keeps, is no longer listed.`,
      `  job ${removed[0]?.id ?? ""} of "removed-00" in team demo, which the plan cancels, is no longer listed.`,
    ]);
    expect(said.slice(11)).toEqual([
      "  and 3 more.",
      "Nothing was changed.",
      "Make a new plan with `studio-jobs plan --out FILE` and apply that.",
    ]);
  });
  it("names a kept one-off job that ran and ended since where the plan cancels another job of its key", async () => {
    // Found in review: the remote digest takes such a run's ending as a change (the later job
    // beside it is then cancelled as outdated, not as a duplicate), but the refusal named no
    // job, as if nothing the plan names had changed.
    const once = desired({ key: "once" });
    const kept = record(once);
    const later = record({ key: "once" }, { fingerprint: "another-version" });
    const { doc } = savedPlan([once], [kept, later]);
    expect(doc.actions.map((a) => `${a.kind} ${String(a.job_id)} ${String(a.reason)}`)).toEqual([
      `noop ${kept.id} undefined`,
      `cancel ${later.id} duplicate`,
    ]);
    expect((await refusal(doc, new Map([["demo", [{ ...kept, status: "COMPLETE" }, later]]]))).split("\n")).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${kept.id} of "once" in team demo, which the plan keeps, is COMPLETE now.`,
      "Nothing was changed.",
      "Make a new plan with `studio-jobs plan --out FILE` and apply that.",
    ]);
  });

  it("does not say Studio is already as the plan leaves it when a schedule it keeps has ended", async () => {
    // Found in review: only a cancelled job kept counted against it, so with the plan's create
    // made by another apply and the schedule it keeps ended, the refusal said nothing was left
    // to do, where a new plan creates the schedule again.
    const daily = desired({ key: "daily", cron: "@daily" });
    const hourly = desired({ key: "hourly", cron: "@hourly" });
    const kept = record(daily);
    const { doc } = savedPlan([daily, hourly], [kept]);
    expect(doc.actions.map((a) => `${a.kind} ${a.key}`)).toEqual(["noop daily", "create hourly"]);
    expect((await refusal(doc, new Map([["demo", [{ ...kept, status: "COMPLETE" }, record(hourly)]]]))).split("\n").slice(0, 2)).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${kept.id} of "daily" in team demo, which the plan keeps, is COMPLETE now.`,
    ]);
  });

  it("names a copy of another of the stack's jobs, made since under a key the plan creates, as such", async () => {
    const b = desired({ key: "b" });
    const kept = record(b);
    const { doc } = savedPlan([desired({ key: "a" }), b], [kept]);
    const copy = record(b, { name: "a" });
    expect((await refusal(doc, new Map([["demo", [kept, copy]]]))).split("\n").slice(0, 2)).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${copy.id} in team demo, named "a" and a copy of this stack's job "b", was made since.`,
    ]);
  });

  it("names a kept one-off job cancelled since, as it names a kept schedule", async () => {
    // Found by mutation testing: with the remote digest taking a one-off job's cancel for its
    // run's ending, the plan was refused as changed after it was made, not as stale; no test
    // cancelled a kept one-off job.
    const once = desired({ key: "once" });
    const kept = record(once);
    const { doc } = savedPlan([once, desired({ key: "b" })], [kept]);
    expect(doc.actions.map((a) => `${a.kind} ${a.key}`)).toEqual(["create b", "noop once"]);
    expect((await refusal(doc, new Map([["demo", [{ ...kept, status: "CANCELED" }]]]))).split("\n")).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${kept.id} of "once" in team demo, which the plan keeps, is CANCELED now.`,
      "Nothing was changed.",
      "Make a new plan with `studio-jobs plan --out FILE` and apply that.",
    ]);
  });

  it("names a one-off job the plan replaces that ran and ended since", async () => {
    // Found by mutation testing: a replace's key taken as one the plan leaves be (only cancels
    // counted) made the ending no change to the digest, and the plan was refused as changed
    // after it was made ("had ended before the plan was made").
    const old = record({ key: "once" });
    const { doc } = savedPlan([desired({ key: "once", query: "print(2)\n" })], [old]);
    expect(doc.actions.map((a) => `${a.kind} ${a.key}`)).toEqual(["replace once"]);
    expect((await refusal(doc, new Map([["demo", [{ ...old, status: "COMPLETE" }]]]))).split("\n")).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${old.id} of "once" in team demo, which the plan replaces, is COMPLETE now.`,
      "Nothing was changed.",
      "Make a new plan with `studio-jobs plan --out FILE` and apply that.",
    ]);
  });

  it("is not stale when a kept one-off job ran and ended in its team, where the plan cancels a job of its key in another", async () => {
    // Found by mutation testing: that the keys a plan replaces or cancels are told per team
    // was untested; a digest taking them across teams refuses this plan, though its cancel
    // (of the job moved) still has its job.
    const once = desired({ key: "once", team: "beta" });
    const kept = record(once);
    const left = record({ key: "once", team: "alpha" });
    const plan = computePlan(
      [once],
      new Map([
        ["alpha", [left]],
        ["beta", [kept]],
      ]),
      CLUSTERS,
      options({ teams: ["alpha", "beta"] }),
    );
    const doc = savedPlanDocument(plan, "1.0.0", "/", key);
    expect(doc.actions.map((a) => `${a.kind} ${a.team}/${a.key}`)).toEqual(["cancel alpha/once", "noop beta/once"]);
    const ran = new Map([
      ["alpha", [left]],
      ["beta", [{ ...kept, status: "COMPLETE" }]],
    ]);
    const restored = await restorePlan(doc, { listings: ran, clusters: CLUSTERS, env: {}, cwd: "/", key });
    expect(restored.actions.map((a) => `${a.kind} ${a.team}/${a.key}`)).toEqual(["cancel alpha/once"]);
  });

  it("is not stale for a live job by hand named like a key the plan only cancels", async () => {
    // Found by mutation testing: the digest covers the namesakes of the keys the plan wants,
    // not of those it cancels; nothing tested that the check leaves the latter out too.
    const keep = desired({ key: "keep" });
    const gone = record({ key: "gone" });
    const namesake = record({ key: "gone", stack: null }, { id: "hand-made-gone" });
    const { doc, listings } = savedPlan([keep], [record(keep), gone, namesake]);
    expect(doc.actions.map((a) => `${a.kind} ${a.key}`)).toEqual(["noop keep", "cancel gone"]);
    const plan = await restorePlan(doc, { listings, clusters: CLUSTERS, env: {}, cwd: "/", key });
    expect(plan.actions.map((a) => `${a.kind} ${a.key} ${"live" in a ? a.live.id : ""}`)).toEqual([`cancel gone ${gone.id}`]);
  });

  it("does not name the job a plan adopts as made since", async () => {
    // Found by mutation testing: a live namesake was named as made since whatever action named it.
    const manual = desired({ key: "manual" });
    const byHand = record({ key: "manual", stack: null }, { id: "hand-made" });
    const { doc } = savedPlan([manual], [byHand], { adopt: true });
    expect(doc.actions.map((a) => `${a.kind} ${String(a.job_id)}`)).toEqual(["replace hand-made"]);
    const since = record(manual);
    expect((await refusal(doc, new Map([["demo", [byHand, since]]]))).split("\n").slice(0, 3)).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${since.id} of "manual" in team demo was made since (by another apply, or in Studio).`,
      "Nothing was changed.",
    ]);
  });
});

describe("restorePlan: Studio already as a saved plan leaves it", () => {
  // Found by mutation testing: each of these rules of appliedAlready (stale.ts) could be
  // dropped with no test failing.
  const ALREADY = "Saved plan is stale: Studio is already as it leaves it";
  const CHANGED = "Saved plan is stale: the jobs in Studio changed since it was made. Nothing was changed.";

  it("is never said of a plan that only keeps", async () => {
    const daily = desired({ key: "daily", cron: "@daily" });
    const kept = record(daily);
    const { doc } = savedPlan([daily], [kept]);
    expect(doc.actions.map((a) => a.kind)).toEqual(["noop"]);
    // Another apply made a copy and cancelled it again: a record more, nothing live more.
    expect((await refusal(doc, new Map([["demo", [kept, record(daily, { status: "CANCELED" })]]]))).split("\n")[0]).toBe(CHANGED);
  });

  it("is not said with a live copy beside the job the plan keeps", async () => {
    const keep = desired({ key: "keep", cron: "@daily" });
    const kept = record(keep);
    const twin = record(keep);
    const { doc } = savedPlan([keep], [kept, twin]);
    expect(doc.actions.map((a) => `${a.kind} ${String(a.reason)}`)).toEqual(["noop undefined", "cancel duplicate"]);
    const third = record(keep);
    expect((await refusal(doc, new Map([["demo", [kept, { ...twin, status: "CANCELED" }, third]]]))).split("\n").slice(0, 3)).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${twin.id} of "keep" in team demo, which the plan cancels, is CANCELED now.`,
      `  job ${third.id} of "keep" in team demo was made since (by another apply, or in Studio).`,
    ]);
  });

  it("is said of a schedule the plan creates running once, not twice", async () => {
    const daily = desired({ key: "daily", cron: "@daily" });
    const { doc } = savedPlan([daily], []);
    expect(doc.actions.map((a) => a.kind)).toEqual(["create"]);
    const one = record(daily);
    expect((await refusal(doc, new Map([["demo", [one]]]))).split("\n")[0]).toContain(ALREADY);
    const two = record(daily);
    expect((await refusal(doc, new Map([["demo", [one, two]]]))).split("\n").slice(0, 3)).toEqual([
      "Saved plan is stale: the jobs in Studio changed since it was made:",
      `  job ${one.id} of "daily" in team demo was made since (by another apply, or in Studio).`,
      `  job ${two.id} of "daily" in team demo was made since (by another apply, or in Studio).`,
    ]);
  });

  it("is said of a one-off job the plan creates that ran, not of one cancelled before it ran", async () => {
    const once = desired({ key: "once" });
    const { doc } = savedPlan([once], []);
    expect(doc.actions.map((a) => a.kind)).toEqual(["create"]);
    expect((await refusal(doc, new Map([["demo", [record(once, { status: "COMPLETE" })]]]))).split("\n")[0]).toContain(ALREADY);
    expect((await refusal(doc, new Map([["demo", [record(once, { status: "CANCELED" })]]]))).split("\n")[0]).toBe(CHANGED);
  });

  it("is said of a plan of two teams, each looked up in its own listing", async () => {
    const a = desired({ key: "a", team: "alpha", cron: "@daily" });
    const b = desired({ key: "b", team: "beta", cron: "@daily" });
    // As an apply of both teams records it: team beta is recorded by a job of another team.
    const made = record(a);
    const kept = { ...made, environment: { ...made.environment, [MARKERS.teams]: JSON.stringify(["alpha", "beta"]) } };
    const plan = computePlan(
      [a, b],
      new Map([
        ["alpha", [kept]],
        ["beta", []],
      ]),
      CLUSTERS,
      options({ teams: ["alpha", "beta"] }),
    );
    const doc = savedPlanDocument(plan, "1.0.0", "/", key);
    expect(doc.actions.map((x) => `${x.kind} ${x.team}/${x.key}`)).toEqual(["noop alpha/a", "create beta/b"]);
    expect(
      (
        await refusal(
          doc,
          new Map([
            ["alpha", [kept]],
            ["beta", [record(b)]],
          ]),
        )
      ).split("\n")[0],
    ).toContain(ALREADY);
  });
});
