// Writing a saved plan: where it can and cannot go, said in a sentence, and a symbolic link
// at the path replaced rather than followed.

import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLUSTERS, desired, options } from "../../test/plan-fixtures.js";
import { computePlan } from "../plan/compute.js";
import type { PlanDocument } from "./document.js";
import { writePlanFile } from "./write.js";

const plan = computePlan([desired({ key: "nightly" })], new Map([["demo", []]]), CLUSTERS, options());
const writeOptions = { toolVersion: "1.0.0", cwd: "/", token: "studio-token-a", env: {}, studioUrl: "https://admin:pa55@studio.example/" };

async function refusal(path: string, shown: string): Promise<string> {
  const error = await writePlanFile(path, plan, writeOptions, shown).then(
    () => undefined,
    (e: unknown) => e as Error & { hint?: string; code?: string },
  );
  if (error === undefined) throw new Error("the plan was written");
  return `${String(error.code)}: ${error.message} ${String(error.hint)}`;
}

describe("writePlanFile", () => {
  it("refuses a directory, and a path in a directory that does not exist, leaving nothing behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    mkdirSync(join(dir, "plans"));
    expect(await refusal(join(dir, "plans"), "plans")).toBe(
      "USAGE: Cannot save the plan to plans: it is a directory. Give --out a file path in an existing directory you can write to.",
    );
    expect(await refusal(join(dir, "missing", "plan.json"), "missing/plan.json")).toBe(
      "USAGE: Cannot save the plan to missing/plan.json: the directory missing does not exist. Give --out a file path in an existing directory you can write to.",
    );
    writeFileSync(join(dir, "file"), "");
    expect(await refusal(join(dir, "file", "plan.json"), "file/plan.json")).toBe(
      "USAGE: Cannot save the plan to file/plan.json: a part of the path is not a directory. Give --out a file path in an existing directory you can write to.",
    );
    expect(readdirSync(dir).sort()).toEqual(["file", "plans"]);
    expect(readdirSync(join(dir, "plans"))).toEqual([]);
  });

  it("refuses what is not a regular file (a FIFO, a device), leaving it as it was", async () => {
    // A FIFO, or /dev/null as root, was replaced by a regular file, and the command said
    // "Saved". (Not tried on /dev/null here: a regression would break the machine.)
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    execFileSync("mkfifo", [join(dir, "fifo.json")]);
    expect(await refusal(join(dir, "fifo.json"), "fifo.json")).toBe(
      "USAGE: Cannot save the plan to fifo.json: it is not a regular file (a FIFO, a device or a socket). Give --out a file path in an existing directory you can write to.",
    );
    expect(lstatSync(join(dir, "fifo.json")).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(["fifo.json"]);
  });

  it("refuses a symbolic link at the path, neither replacing it nor writing where it points", async () => {
    // It was replaced: what it pointed to (an earlier plan CI applies, say) was left as it was.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    symlinkSync(join(dir, "elsewhere.json"), join(dir, "link.json"));
    expect(await refusal(join(dir, "link.json"), "link.json")).toBe(
      "USAGE: Cannot save the plan to link.json: it is a symbolic link, which is neither replaced nor written through. Give --out a file path in an existing directory you can write to.",
    );
    expect(existsSync(join(dir, "elsewhere.json"))).toBe(false);
    expect(lstatSync(join(dir, "link.json")).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir)).toEqual(["link.json"]);
  });

  it("asks whether to stop once the document is made, and then writes nothing: the plan there is left as it was", async () => {
    // Found by random SIGINTs during plan --out of 3,000 jobs: a stop that came while the
    // document was made (most of a large save) was heard by no one, and the plan was saved.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    writeFileSync(join(dir, "plan.json"), "earlier\n");
    const asked: string[] = [];
    const stopped = () => {
      asked.push(readdirSync(dir).join(","));
      return Promise.resolve(true);
    };
    expect(await writePlanFile(join(dir, "plan.json"), plan, { ...writeOptions, stopped }, "plan.json")).toBe(false);
    expect([asked, readFileSync(join(dir, "plan.json"), "utf8"), readdirSync(dir)]).toEqual([["plan.json"], "earlier\n", ["plan.json"]]);
    expect(await writePlanFile(join(dir, "plan.json"), plan, { ...writeOptions, stopped: () => Promise.resolve(false) })).toBe(true);
    expect((JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as PlanDocument).stack).toBe(plan.stack);
  });

  it("records the Studio it was made against, without the credentials of the URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    await writePlanFile(join(dir, "plan.json"), plan, writeOptions, "plan.json");
    const text = readFileSync(join(dir, "plan.json"), "utf8");
    expect((JSON.parse(text) as { studio: string }).studio).toBe("https://studio.example");
    expect(text).not.toContain("pa55");
  });

  it("refuses to save a plan whose jobs hold the token, the plan key or the URL's password, naming where, and writes nothing", async () => {
    // Found by attack: `plan --var token=$DATACHAIN_STUDIO_TOKEN --out plan.json` (or the
    // value written into the spec) printed *** but saved the token in the clear in the job's
    // environment and vars; STUDIO_JOBS_PLAN_KEY saved so let any reader seal an edited plan.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    const planKey = "k".repeat(40);
    const cases: [Record<string, string>, NodeJS.ProcessEnv, string][] = [
      [{ TOKEN: "studio-token-a" }, {}, "the Studio token"],
      [{ KEY: `x${planKey}` }, { STUDIO_JOBS_PLAN_KEY: planKey }, "STUDIO_JOBS_PLAN_KEY"],
      [{ DSN: "postgres://me:pa55@db" }, {}, "the password of the Studio URL"],
      // An environment key is the spec's name, even one the tool gives its digests.
      [{ seal: "studio-token-a" }, {}, "the Studio token"],
    ];
    for (const [environment, env, what] of cases) {
      const leaky = computePlan([desired({ key: "nightly", environment })], new Map([["demo", []]]), CLUSTERS, options());
      const error = await writePlanFile(join(dir, "plan.json"), leaky, { ...writeOptions, env }, "plan.json").then(
        () => undefined,
        (e: unknown) => e as Error & { hint?: string },
      );
      expect(error?.message).toBe(
        `Cannot save the plan to plan.json: jobs.nightly.environment.${Object.keys(environment)[0]} holds ${what}, and a saved plan never stores a credential. Nothing was saved.`,
      );
      expect(error?.hint).toContain("${env:NAME}");
    }
    expect(readdirSync(dir)).toEqual([]);
    // A short token that a digest or an id holds by chance is no reason to refuse.
    const token = plan.actions[0]?.kind === "create" ? plan.actions[0].desired.fingerprint.slice(10, 18) : "";
    await writePlanFile(join(dir, "plan.json"), plan, { ...writeOptions, token }, "plan.json");
    expect(readFileSync(join(dir, "plan.json"), "utf8")).toContain(token);
  });

  it("saves a plan whose own words hold a short URL password by chance: the spec's file name, the Studio's host, the team", async () => {
    // Found by review: with --url https://studio:studio@studio.example, every plan --out was
    // refused, as "jobs.nightly.location.file holds the password of the Studio URL" (studio-jobs.yaml).
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    const studioUrl = "https://studio:studio@studio.example/";
    await writePlanFile(join(dir, "plan.json"), plan, { ...writeOptions, studioUrl }, "plan.json");
    const saved = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as {
      studio: string;
      jobs: Record<string, { location: { file: string } }>;
    };
    expect([saved.studio, saved.jobs["nightly"]?.location.file]).toEqual(["https://studio.example", "studio-jobs.yaml"]);
    // Nor the team (found by the second review: --url http://admin:demo@... for team demo was
    // refused with the hint to pass the team through ${env:...}; the plan's teams hold it anyway).
    const teamPassword = { ...writeOptions, studioUrl: "https://admin:demo@studio.example/" };
    await writePlanFile(join(dir, "team.json"), plan, teamPassword, "team.json");
    expect((JSON.parse(readFileSync(join(dir, "team.json"), "utf8")) as { teams: string[] }).teams).toEqual(["demo"]);
    // A value of the spec that holds it is still refused.
    const leaky = computePlan([desired({ key: "nightly", environment: { NOTE: "studio" } })], new Map([["demo", []]]), CLUSTERS, options());
    const error = await writePlanFile(join(dir, "leaky.json"), leaky, { ...writeOptions, studioUrl }, "leaky.json").then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe(
      "Cannot save the plan to leaky.json: jobs.nightly.environment.NOTE holds the password of the Studio URL, and a saved plan never stores a credential. Nothing was saved.",
    );
  });

  it("writes a character that is not seen, or that reorders the text around it, as an escape: the file reads as what apply sends", async () => {
    // Found in review: a query holding U+202E was written as itself, so the plan read in a
    // pull request showed the query's text reordered; `show` escapes it, apply sends it.
    const query = "print('a\u202eb\u200bc\u0085d\u007fe\u2028f é')";
    const odd = computePlan([desired({ key: "nightly", query })], new Map([["demo", []]]), CLUSTERS, options());
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    await writePlanFile(join(dir, "plan.json"), odd, writeOptions, "plan.json");
    const text = readFileSync(join(dir, "plan.json"), "utf8");
    expect(text).toContain(String.raw`"query": "print('a\u202eb\u200bc\u0085d\u007fe\u2028f é')"`);
    expect(text).not.toMatch(/[\u007f-\u009f\u200b\u2028\u202e]/);
    expect((JSON.parse(text) as PlanDocument).jobs?.["nightly"]?.input.query).toBe(query);
  });

  it("leaves the plan readable by its owner only, also in place of an existing file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-write-"));
    writeFileSync(join(dir, "plan.json"), "old", { mode: 0o644 });
    await writePlanFile(join(dir, "plan.json"), plan, writeOptions, "plan.json");
    expect(statSync(join(dir, "plan.json")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "plan.json"), "utf8")).toMatch(/^\{\n {2}"format_version": 5,/);
  });
});
