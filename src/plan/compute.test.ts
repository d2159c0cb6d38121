// computePlan, row by row of its table in docs/architecture.md ("Planning"), and every guard.

import { describe, expect, it } from "vitest";
import { CLUSTERS, desired, options, record, STACK } from "../../test/plan-fixtures.js";
import type { DesiredJob } from "../desired/types.js";
import { MARKERS } from "../identity/markers.js";
import type { JobOutput } from "../studio/types.js";
import { computePlan } from "./compute.js";
import { actedSlots, computeRemoteDigest } from "./digest.js";
import type { PlanAction, PlanOptions } from "./types.js";

interface Case {
  name: string;
  build: () => {
    desired: DesiredJob[];
    records: JobOutput[];
    options?: Partial<PlanOptions>;
    expected: (records: JobOutput[]) => string[];
  };
  errors?: RegExp[];
  warnings?: RegExp[];
}

/** An action as one comparable string: kind key [live id] [reason/strategy]. */
function describeAction(a: PlanAction): string {
  switch (a.kind) {
    case "create":
      return `create ${a.key}`;
    case "noop":
      return `noop ${a.key} ${a.live.id}`;
    case "replace":
      return `replace ${a.key} ${a.live.id} ${a.strategy}${a.adopted ? " adopted" : ""}`;
    case "cancel":
      return `cancel ${a.key} ${a.live.id} ${a.reason}`;
    case "conflict":
      return `conflict ${a.key} ${a.live.id}`;
    default: {
      const never: never = a;
      return never;
    }
  }
}

const cron = "0 3 * * *";

/** A kept schedule a1 in demo, and b1 new in beta, planned with `options`: nothing is there to replace for recording beta. */
function jobBesideNewTeam(options: Partial<PlanOptions>): ReturnType<Case["build"]> {
  const a1 = desired({ key: "a1", cron });
  return {
    desired: [a1, desired({ key: "b1", team: "beta", cron })],
    records: [record(a1)],
    options: { teams: ["beta", "demo"], ...options },
    expected: ([r1]) => ["create b1", `noop a1 ${r1?.id}`],
  };
}

/** A stack with no live job in team demo, whose jobs may run in a team the plan does not cover. */
const NEW_STACK = /^Stack analytics has no live jobs in team demo\. If its jobs run in another team/;

const cases: Case[] = [
  {
    name: "desired, nothing live: create",
    build: () => ({ desired: [desired({ key: "a", cron })], records: [], expected: () => ["create a"] }),
    warnings: [NEW_STACK],
  },
  {
    // Found by walking a move through: a stack whose every job moved to a new team without
    // `teams:` planned a plain create, and the old team's jobs ran on beside the new ones.
    name: "a stack with no record in any covered team is said to have no live jobs there: its jobs may run in a team not covered",
    build: () => ({
      desired: [desired({ key: "a", cron, team: "beta" }), desired({ key: "b", cron, team: "gamma" })],
      records: [record({ key: "a", stack: "other-stack", team: "beta" }, { status: "CANCELED" })],
      options: { teams: ["gamma", "beta"] },
      expected: () => ["create a", "create b"],
    }),
    warnings: [
      /^Stack analytics has no live jobs in teams beta, gamma\. If its jobs run in another team \(a changed `team:` or default team\), they keep running beside these: list that team under `teams:` to cancel them\.$/,
    ],
  },
  {
    // The revert of a move: the old team's records were made before the new team was used,
    // so none of them records it, and the new team's live job is out of sight.
    name: "a stack whose records in the covered teams have all ended is said to have no live jobs there, as a new one",
    build: () => {
      const a = desired({ key: "a", cron });
      return {
        desired: [a, desired({ key: "b", cron })],
        records: [record(a, { status: "CANCELED" })],
        expected: () => ["create a", "create b"],
      };
    },
    warnings: [NEW_STACK],
  },
  {
    // Found by an adversarial tester: a stack of a one-off job and a schedule, moved to a new
    // team with `teams:` naming both, then moved back with `teams:` dropped. The one-off job's
    // finished record in the old team was kept (a noop), which silenced the warning, and the
    // schedule ran in both teams.
    name: "a reverted move is said even where a one-off job's finished record is kept: the schedule created was there and ended",
    build: () => {
      const once = desired({ key: "once" });
      const z = desired({ key: "z", cron });
      const done = record(once, { status: "COMPLETE" });
      return {
        desired: [once, z],
        records: [done, record(z, { status: "CANCELED" })],
        expected: () => [`noop once ${done.id}`, "create z"],
      };
    },
    warnings: [NEW_STACK],
  },
  {
    name: "a schedule added to a stack whose one-off job ran is not said to be a stack with no live jobs: its finished record is kept",
    build: () => {
      const once = desired({ key: "once" });
      const done = record(once, { status: "COMPLETE" });
      return { desired: [once, desired({ key: "z", cron })], records: [done], expected: () => [`noop once ${done.id}`, "create z"] };
    },
  },
  {
    name: "a stack with one live job in the covered teams is not said to have none",
    build: () => {
      const a = desired({ key: "a", cron });
      const live = record(a);
      return { desired: [a, desired({ key: "b", cron })], records: [live], expected: () => [`noop a ${live.id}`, "create b"] };
    },
  },
  {
    name: "live managed record with the same fingerprint: noop",
    build: () => {
      const a = desired({ key: "a", cron });
      return { desired: [a], records: [record(a)], expected: ([r]) => [`noop a ${r?.id}`] };
    },
  },
  {
    name: "live managed record with another fingerprint: replace, create-first by default",
    build: () => {
      const a = desired({ key: "a", cron });
      return { desired: [a], records: [record(a, { fingerprint: "other" })], expected: ([r]) => [`replace a ${r?.id} create-first`] };
    },
  },
  {
    name: "schedule.replace cancel-first is carried on the replace",
    build: () => {
      const a = desired({ key: "a", cron, replace: "cancel-first" });
      return { desired: [a], records: [record(a, { fingerprint: "other" })], expected: ([r]) => [`replace a ${r?.id} cancel-first`] };
    },
  },
  {
    name: "several live records for one key: keep the oldest match, cancel the rest as duplicates",
    build: () => {
      const a = desired({ key: "a", cron });
      const older = record(a);
      const stale = record(a, { fingerprint: "other" });
      const newer = record(a);
      return {
        desired: [a],
        records: [newer, stale, older],
        expected: () => [`noop a ${older.id}`, `cancel a ${newer.id} duplicate`, `cancel a ${stale.id} duplicate`],
      };
    },
  },
  {
    name: "matching records created in the same instant: the smaller id is kept, whatever the listing order",
    build: () => {
      const a = desired({ key: "a", cron });
      const at = "2026-11-01T00:00:00.000Z";
      const x = record(a, { id: "job-b", created_at: at });
      const y = record(a, { id: "job-a", created_at: at });
      return { desired: [a], records: [x, y], expected: () => [`noop a job-a`, `cancel a job-b duplicate`] };
    },
  },
  {
    name: "duplicates do not count against --max-cancel: they keep a matching job live",
    build: () => {
      const a = desired({ key: "a", cron });
      const copies = Array.from({ length: 4 }, () => record(a));
      return {
        desired: [a],
        records: copies,
        options: { maxCancel: 0 },
        expected: () => [
          `noop a ${copies[0]?.id}`,
          ...copies
            .slice(1)
            .reverse()
            .map((c) => `cancel a ${c.id} duplicate`),
        ],
      };
    },
  },
  {
    name: "several live records, none matching: replace the newest, cancel the others",
    build: () => {
      const a = desired({ key: "a", cron });
      const older = record(a, { fingerprint: "x" });
      const newer = record(a, { fingerprint: "y" });
      return {
        desired: [a],
        records: [older, newer],
        expected: () => [`replace a ${newer.id} create-first`, `cancel a ${older.id} duplicate`],
      };
    },
  },
  {
    // Compared as text, `…00Z` sorted after `…00.250Z` (Z > .), and the older record was replaced.
    name: "several live records, none matching: the newest is the moment, not the text (a time without fractions)",
    build: () => {
      const a = desired({ key: "a", cron });
      const older = record(a, { fingerprint: "x", created_at: "2026-11-01T00:00:00Z" });
      const newer = record(a, { fingerprint: "y", created_at: "2026-11-01T00:00:00.250Z" });
      return {
        desired: [a],
        records: [older, newer],
        expected: () => [`replace a ${newer.id} create-first`, `cancel a ${older.id} duplicate`],
      };
    },
  },
  {
    name: "live managed record whose key is no longer desired: cancel, reason removed",
    build: () => {
      const keep = desired({ key: "keep", cron });
      const gone = record({ key: "gone" }, { status: "TASK" });
      return {
        desired: [keep],
        records: [record(keep), gone],
        expected: ([k]) => [`noop keep ${k?.id}`, `cancel gone ${gone.id} removed`],
      };
    },
  },
  {
    name: "finished and cancelled records of a removed key are left alone",
    build: () => ({
      desired: [desired({ key: "keep" })],
      records: [record({ key: "gone" }, { status: "COMPLETE" }), record({ key: "gone" }, { status: "CANCELING" })],
      expected: () => ["create keep"],
    }),
  },
  {
    name: "unmanaged live job with the same team and name: conflict, an error",
    build: () => {
      const a = desired({ key: "a", cron });
      const theirs = record({ key: "a", stack: null }, { status: "TASK" });
      return { desired: [a], records: [theirs], expected: () => [`conflict a ${theirs.id}`] };
    },
    errors: [
      /^Job "a" in team demo conflicts with an existing job of the same name that studio-jobs does not manage \(job-\d+\)\. Pass --adopt/,
    ],
  },
  {
    name: "--adopt turns the conflict into a replace",
    build: () => {
      const a = desired({ key: "a", cron });
      const theirs = record({ key: "a", stack: null }, { status: "TASK" });
      return { desired: [a], records: [theirs], options: { adopt: true }, expected: () => [`replace a ${theirs.id} create-first adopted`] };
    },
  },
  {
    name: "a job made by hand beside the stack's own live job: the conflict says --adopt cancels it, not that it replaces it",
    // Found by the attacker of --adopt: an adopt stopped half-way left the copies beside the
    // stack's new job, and the re-run without --adopt said --adopt would replace them.
    build: () => {
      const a = desired({ key: "a", cron });
      const ours = record(a);
      const theirs = record({ key: "a", stack: null }, { status: "TASK" });
      return { desired: [a], records: [ours, theirs], expected: () => [`noop a ${ours.id}`, `conflict a ${theirs.id}`] };
    },
    errors: [
      /^Job "a" in team demo conflicts with an existing job of the same name that studio-jobs does not manage \(job-\d+\)\. Pass --adopt to cancel it \(the stack's own job "a" is live\), or rename the job\.$/,
    ],
  },
  {
    name: "--adopt next to a managed job cancels the unmanaged twin",
    build: () => {
      const a = desired({ key: "a", cron });
      const ours = record(a);
      const theirs = record({ key: "a", stack: null }, { status: "RUNNING" });
      return {
        desired: [a],
        records: [ours, theirs],
        options: { adopt: true },
        expected: () => [`noop a ${ours.id}`, `cancel a ${theirs.id} adopted`],
      };
    },
    warnings: [/^Job "a" in team demo: the plan cancels job-\d+, which is RUNNING, before it finishes\.$/],
  },
  {
    name: "a copy of the stack's job b renamed to a desired job's name: a conflict, as a job made by hand would be, not a create beside it",
    // Found by an adversarial tester: a job copied in Studio keeps the environment, markers
    // included; renamed to "a", it was only warned about, and the plan created "a" beside it.
    build: () => {
      const a = desired({ key: "a", cron });
      const b = desired({ key: "b", cron });
      const kept = record(b);
      const copy = record(b, { name: "a" });
      return { desired: [a, b], records: [kept, copy], expected: () => [`conflict a ${copy.id}`, `noop b ${kept.id}`] };
    },
    errors: [
      /^Job "a" in team demo conflicts with an existing job of the same name \(job-\d+\) that carries the markers of stack analytics's job "b": it was copied in Studio or made by hand, not made by studio-jobs as "a"\. Pass --adopt to replace it with the spec's job, cancel it in Studio, or rename the job\.$/,
    ],
  },
  {
    name: "--adopt replaces a renamed copy of a protected job only with --allow-protected, as a protected job made by hand",
    build: () => {
      const a = desired({ key: "a", cron });
      const copy = record({ key: "b", protect: true }, { name: "a", status: "TASK" });
      return { desired: [a], records: [copy], options: { adopt: true }, expected: () => [`replace a ${copy.id} create-first adopted`] };
    },
    errors: [/^Job "a" in team demo \(job-\d+\) is protected; the plan would replace it\. Pass --allow-protected if that is intended\.$/],
  },
  {
    name: "a protected record to replace is an error",
    build: () => {
      const a = desired({ key: "a", cron });
      const r = record(a, { fingerprint: "other", protect: true });
      return { desired: [a], records: [r], expected: () => [`replace a ${r.id} create-first`] };
    },
    errors: [/^Job "a" in team demo \(job-\d+\) is protected; the plan would replace it\. Pass --allow-protected if that is intended\.$/],
  },
  {
    name: "the protect marker is honoured after the job left the YAML",
    build: () => {
      const r = record({ key: "gone", protect: true }, { status: "TASK" });
      return { desired: [desired({ key: "other" })], records: [r], expected: () => ["create other", `cancel gone ${r.id} removed`] };
    },
    errors: [/is protected; the plan would cancel it/],
  },
  {
    name: "a live copy of a protected job kept is cancelled without --allow-protected; another version of it is not",
    build: () => {
      const a = desired({ key: "a", cron, protect: true });
      const kept = record(a);
      const copy = record(a);
      const other = record(a, { fingerprint: "other" });
      return {
        desired: [a],
        records: [kept, copy, other],
        expected: () => [`noop a ${kept.id}`, `cancel a ${other.id} duplicate`, `cancel a ${copy.id} duplicate`],
      };
    },
    // One error: the other version's cancel.
    errors: [/^Job "a" in team demo \(job-\d+\) is protected; the plan would cancel it\./],
  },
  {
    name: "--allow-protected lets a protected job go",
    build: () => {
      const r = record({ key: "gone", protect: true }, { status: "TASK" });
      return {
        desired: [desired({ key: "other" })],
        records: [r],
        options: { allowProtected: true },
        expected: () => ["create other", `cancel gone ${r.id} removed`],
      };
    },
  },
  {
    name: "runs (parent_job_id) are never planned against or cancelled",
    build: () => {
      const a = desired({ key: "a", cron });
      const schedule = record(a);
      const run = record(a, { parent_job_id: schedule.id, status: "RUNNING", fingerprint: "other" });
      const orphanRun = record({ key: "gone" }, { parent_job_id: "job-x", status: "RUNNING" });
      return { desired: [a], records: [run, orphanRun, schedule], expected: () => [`noop a ${schedule.id}`] };
    },
  },
  {
    name: "a one-off job is satisfied by a finished record with its fingerprint",
    build: () => {
      const once = desired({ key: "once" });
      const done = record(once, { status: "COMPLETE" });
      const failed = record(desired({ key: "failed-once" }), { status: "FAILED" });
      return {
        desired: [once, desired({ key: "failed-once" })],
        records: [done, failed],
        expected: () => [`noop failed-once ${failed.id}`, `noop once ${done.id}`],
      };
    },
  },
  {
    // Found by reverting a one-off job's spec to settings that had already run: the running
    // later version was cancelled as "a duplicate of the job kept" (a finished one) and did
    // not count against --max-cancel.
    name: "a one-off job back at settings that already ran: its running later version is cancelled as outdated, and counts as a cancel",
    build: () => {
      const once = desired({ key: "once" });
      const done = record(once, { status: "COMPLETE" });
      const later = record(once, { status: "RUNNING", fingerprint: "later" });
      return {
        desired: [once],
        records: [later, done],
        options: { maxCancel: 0 },
        expected: () => [`noop once ${done.id}`, `cancel once ${later.id} outdated`],
      };
    },
    errors: [
      /^The plan would cancel 1 job removed from the spec \(1 of them a later version of a one-off job whose spec's version already ran\), more than --max-cancel 0\./,
    ],
    warnings: [/^Job "once" in team demo: the plan cancels job-\d+, which is RUNNING, before it finishes\.$/],
  },
  {
    // Found by an adversarial tester: a replace of a one-off job made the new version and
    // failed to cancel the old one, still waiting for its start; once the new one had run,
    // the re-run called the old one a later version and counted it, refused by --max-cancel.
    name: "a one-off job's earlier version, still live beside the spec's that already ran, is a duplicate, and does not count as a cancel",
    build: () => {
      const once = desired({ key: "once" });
      const earlier = record(once, { status: "SCHEDULED", fingerprint: "earlier" });
      const done = record(once, { status: "COMPLETE" });
      return {
        desired: [once],
        records: [done, earlier],
        options: { maxCancel: 0 },
        expected: () => [`noop once ${done.id}`, `cancel once ${earlier.id} duplicate`],
      };
    },
  },
  {
    name: "a live copy of a one-off version that already ran is a duplicate, as ever, and does not count as a cancel",
    build: () => {
      const once = desired({ key: "once" });
      const done = record(once, { status: "COMPLETE" });
      const copy = record(once, { status: "RUNNING" });
      return {
        desired: [once],
        records: [copy, done],
        options: { maxCancel: 0 },
        expected: () => [`noop once ${done.id}`, `cancel once ${copy.id} duplicate`],
      };
    },
    warnings: [/^Job "once" in team demo: the plan cancels job-\d+, which is RUNNING, before it finishes\.$/],
  },
  {
    name: "a cancelled one-off job runs again; a changed one-off job runs again",
    build: () => {
      const once = desired({ key: "once" });
      const changed = desired({ key: "changed" });
      return {
        desired: [once, changed],
        records: [record(once, { status: "CANCELED" }), record(changed, { status: "COMPLETE", fingerprint: "old" })],
        expected: () => ["create changed", "create once"],
      };
    },
    warnings: [
      /^Job "changed" in team demo runs once, and an earlier version exists \(job-\d+, COMPLETE\): this plan runs it again\.$/,
      /^Job "once" in team demo runs once, and an earlier version exists \(job-\d+, CANCELED\): this plan runs it again\.$/,
    ],
  },
  {
    name: "a one-off job made by hand that ran already is created again, said; a schedule's namesake that ended is not worth a word",
    // Found by an adversarial tester: a one-off job made by hand and imported, which finished
    // before `plan --adopt`, was planned as a plain create with nothing said: it ran twice.
    build: () => {
      const once = desired({ key: "once" });
      const daily = desired({ key: "daily", cron });
      const ran = record({ key: "once", stack: null }, { status: "COMPLETE" });
      return {
        desired: [once, daily],
        records: [
          ran,
          record({ key: "once", stack: null }, { status: "FAILED" }),
          record({ key: "daily", stack: null }, { status: "CANCELED" }),
        ],
        expected: () => ["create daily", "create once"],
      };
    },
    warnings: [
      /^Job "once" in team demo runs once, and a job of that name that studio-jobs did not make exists \(job-\d+, COMPLETE\): this plan runs it again\.$/,
      NEW_STACK,
    ],
  },
  {
    name: "a cron job whose record failed is created again",
    build: () => {
      const a = desired({ key: "a", cron });
      return { desired: [a], records: [record(a, { status: "FAILED" })], expected: () => ["create a"] };
    },
    warnings: [NEW_STACK],
  },
  {
    name: "an unknown status counts as live, with a warning",
    build: () => {
      const a = desired({ key: "a", cron });
      const r = record(a, { status: "HIBERNATING", fingerprint: "other" });
      return { desired: [a], records: [r], expected: () => [`replace a ${r.id} create-first`] };
    },
    warnings: [/^Job job-\d+ \("a"\) in team demo has status "HIBERNATING", which this tool does not know; it is treated as live\.$/],
  },
  {
    // Found by a reviewer: each record in an unknown status had a warning of its own, hand-made
    // jobs of other names too, whose liveness the plan never reads: a new status Studio adds
    // would have printed one per job of the team on every plan.
    name: "records in an unknown status are named in one warning per status, and only those the plan decides about",
    build: () => {
      const jobs = ["a", "b", "c", "d", "e"].map((key) => desired({ key, cron }));
      const records = jobs.map((job) => record(job, { status: "HIBERNATING" }));
      const handMade = record({ key: "f", stack: null }, { status: "HIBERNATING" });
      const other = record({ key: "g", stack: null }, { status: "DORMANT" });
      return { desired: jobs, records: [...records, handMade, other], expected: () => records.map((r, i) => `noop ${"abcde"[i]} ${r.id}`) };
    },
    warnings: [
      /^5 jobs \(job-\d+ \("a"\), job-\d+ \("b"\), job-\d+ \("c"\) and 2 more\) in team demo have status "HIBERNATING", which this tool does not know; they are treated as live\.$/,
    ],
  },
  {
    name: "jobs of other stacks and unmanaged jobs of other names are left alone",
    build: () => ({
      desired: [desired({ key: "a" })],
      records: [record({ key: "b", stack: "other-stack" }, { status: "TASK" }), record({ key: "c", stack: null }, { status: "TASK" })],
      expected: () => ["create a"],
    }),
  },
  {
    name: "another stack's live job of the same name is left alone, with a warning",
    build: () => {
      const b = desired({ key: "b", cron });
      const own = record(b);
      return {
        desired: [desired({ key: "a" }), b],
        records: [record({ key: "a", stack: "other-stack" }, { status: "TASK" }), own],
        expected: () => ["create a", `noop b ${own.id}`],
      };
    },
    warnings: [
      /^Stack other-stack also has a live job named "a" in team demo \(job-\d+\); it is left alone, and both run until stack other-stack's spec drops it and is applied, or it is cancelled in Studio\.$/,
    ],
  },
  {
    // Found applying a copy of a stack under a new name in the same team: every plan of it
    // printed one warning per job, 500 lines, at every run.
    name: "another stack's live jobs of many desired names are told in one warning per stack",
    build: () => {
      const keys = ["a", "b", "c", "d"];
      const jobs = keys.map((key) => desired({ key, cron }));
      const own = jobs.map((job) => record(job));
      // Two live copies of "a" there: still 4 names.
      const theirs = [...keys, "a"].map((key) => record({ key, stack: "copied" }, { status: "TASK" }));
      const single = record({ key: "a", stack: "single" }, { status: "TASK" });
      return {
        desired: jobs,
        records: [...own, ...theirs, single],
        expected: () => own.map((r, i) => `noop ${keys[i] ?? ""} ${r.id}`),
      };
    },
    warnings: [
      /^Stack copied also has live jobs named like 4 of this spec's: demo\/a \(job-\d+\), demo\/a \(job-\d+\) and 3 more; they are left alone, and both versions of each run until stack copied's spec drops them and is applied, or they are cancelled in Studio\.$/,
      /^Stack single also has a live job named "a" in team demo \(job-\d+\); it is left alone, and both run until stack single's spec drops it and is applied, or it is cancelled in Studio\.$/,
    ],
  },
  {
    name: "a stack whose only record is a one-off job that ran is no new stack: another stack's job of a desired name is told job by job",
    build: () => {
      const once = desired({ key: "once" });
      const ran = record(once, { status: "COMPLETE" });
      return {
        desired: [desired({ key: "a" }), once],
        records: [record({ key: "a", stack: "other-stack" }, { status: "TASK" }), ran],
        expected: () => ["create a", `noop once ${ran.id}`],
      };
    },
    warnings: [
      /^Stack other-stack also has a live job named "a" in team demo \(job-\d+\); it is left alone, and both run until stack other-stack's spec drops it and is applied, or it is cancelled in Studio\.$/,
    ],
  },
  {
    name: "a stack with no live job whose names other stacks run is told once per other stack that it may be one renamed",
    build: () => ({
      desired: ["a", "b", "c"].map((key) => desired({ key })),
      records: [
        record({ key: "a", stack: "old" }, { status: "TASK" }),
        record({ key: "c", stack: "old" }, { status: "QUEUED" }),
        record({ key: "b", stack: "old" }, { status: "CANCELED" }),
        record({ key: "b", stack: "another" }, { status: "TASK" }),
      ],
      expected: () => ["create a", "create b", "create c"],
    }),
    warnings: [
      /^Stack analytics has no jobs in team demo, and stack another runs a job of a name this plan creates there: demo\/b \(job-\d+\)\. If another was this spec's stack before, applying runs each of them twice/,
      /^Stack analytics has no jobs in team demo, and stack old runs 2 jobs of the names this plan creates there: demo\/a \(job-\d+\), demo\/c \(job-\d+\)\. If old was this spec's stack before, applying runs each of them twice: a stack never touches another stack's jobs\. Keep `stack: old`, or retire them with `studio-jobs destroy` run on the spec with `stack: old`\.$/,
    ],
  },
  {
    // Found by mutation testing: the two warnings' conditions, each dropped, left every test green.
    name: "a stack with no record whose schedules' names another stack runs is told it may be renamed, not that it has no live jobs",
    build: () => ({
      desired: [desired({ key: "a", cron })],
      records: [record({ key: "a", stack: "old" }, { status: "TASK" })],
      expected: () => ["create a"],
    }),
    warnings: [
      /^Stack analytics has no jobs in team demo, and stack old runs a job of a name this plan creates there: demo\/a \(job-\d+\)\./,
    ],
  },
  {
    name: "a stack whose schedule there ended, while another stack runs its name, is told both: no live jobs, and the other stack's job",
    build: () => {
      const a = desired({ key: "a", cron });
      return {
        desired: [a],
        records: [record(a, { status: "CANCELED" }), record({ key: "a", stack: "old" }, { status: "TASK" })],
        expected: () => ["create a"],
      };
    },
    warnings: [
      NEW_STACK,
      /^Stack old also has a live job named "a" in team demo \(job-\d+\); it is left alone, and both run until stack old's spec drops it and is applied, or it is cancelled in Studio\.$/,
    ],
  },
  {
    name: "a plan that cancels every managed job needs --allow-empty",
    build: () => {
      const r = record({ key: "a" }, { status: "TASK" });
      return { desired: [], records: [r], expected: () => [`cancel a ${r.id} removed`] };
    },
    errors: [
      /^The plan would cancel every job of stack analytics \(1\) and keep none: is the spec empty or the path wrong\? To retire the stack, run `studio-jobs destroy`; to plan it anyway, pass --allow-empty\.$/,
    ],
  },
  {
    name: "--allow-empty lets it through",
    build: () => {
      const r = record({ key: "a" }, { status: "TASK" });
      return { desired: [], records: [r], options: { allowEmpty: true }, expected: () => [`cancel a ${r.id} removed`] };
    },
  },
  {
    name: "more than --max-cancel pure cancels is refused; replaces do not count",
    build: () => {
      const keep = desired({ key: "keep", cron });
      const gone = Array.from({ length: 3 }, (_, i) => record({ key: `gone-${i}` }, { status: "TASK" }));
      return {
        desired: [keep],
        records: [record(keep, { fingerprint: "other" }), ...gone],
        options: { maxCancel: 2 },
        expected: (rs) => [`replace keep ${rs[0]?.id} create-first`, ...gone.map((g, i) => `cancel gone-${i} ${g.id} removed`)],
      };
    },
    errors: [
      /^The plan would cancel 3 jobs removed from the spec, more than --max-cancel 2\. Check the spec, or raise --max-cancel to 3\.$/,
    ],
  },
  {
    name: "--target limits the plan to those keys",
    build: () => {
      const a = desired({ key: "a" });
      const r = record({ key: "gone" }, { status: "TASK" });
      return { desired: [a, desired({ key: "b" })], records: [r], options: { targets: ["a"] }, expected: () => ["create a"] };
    },
  },
  {
    name: "a --target that matches nothing is an error",
    build: () => ({ desired: [desired({ key: "a" })], records: [], options: { targets: ["nope"] }, expected: () => [] }),
    errors: [/^--target nope matches no job of the spec and no live job of stack analytics\.$/],
  },
  {
    // `--target nightly-reprt` beside a job nightly-report said only that it matches no job.
    name: "a --target a typo away from a key (of the spec, or of a live job left out) suggests that key",
    build: () => {
      const live = record({ key: "weekly-cleanup", cron }, { status: "TASK" });
      return {
        desired: [desired({ key: "nightly-report" }), desired({ key: "a" }), desired({ key: "Joe's report" })],
        records: [live],
        options: { targets: ["nightly-reprt", "Weekly-Clenup", "zzz", "b", "Joes report"] },
        expected: () => [],
      };
    },
    errors: [
      /^--target nightly-reprt matches no job of the spec and no live job of stack analytics; did you mean --target nightly-report\?$/,
      /^--target Weekly-Clenup matches no job of the spec and no live job of stack analytics; did you mean --target weekly-cleanup\?$/,
      /^--target zzz matches no job of the spec and no live job of stack analytics\.$/,
      /^--target b matches no job of the spec and no live job of stack analytics\.$/,
      // Found by review: a key with a blank or a quote was suggested bare, which a shell splits.
      /^--target Joes report matches no job of the spec and no live job of stack analytics; did you mean --target 'Joe'\\''s report'\?$/,
    ],
  },
  {
    // The rule's edges: two edits of a four-character key are a typo (half alike), two of a
    // three-character one are not, and case counts for nothing (MO is one edit from mn).
    name: "a --target's suggestion is a key more alike than not, case aside",
    build: () => ({
      desired: [desired({ key: "pqrs" })],
      records: [],
      options: { targets: ["pq"] },
      expected: () => [],
    }),
    errors: [/^--target pq matches no job of the spec and no live job of stack analytics; did you mean --target pqrs\?$/],
  },
  {
    name: "two edits of a three-character key suggest no key",
    build: () => ({ desired: [desired({ key: "xyz" })], records: [], options: { targets: ["x"] }, expected: () => [] }),
    errors: [/^--target x matches no job of the spec and no live job of stack analytics\.$/],
  },
  {
    name: "a --target's suggestion counts edits without case",
    build: () => ({ desired: [desired({ key: "mn" })], records: [], options: { targets: ["MO"] }, expected: () => [] }),
    errors: [/^--target MO matches no job of the spec and no live job of stack analytics; did you mean --target mn\?$/],
  },
  {
    // Found by an adversarial tester: `--target café` with e and a combining accent said only
    // "--target café matches no job", beside a spec whose job "café" looks the same.
    name: "a --target that differs from a key only in its Unicode form or edge spaces names that key, both spelled out",
    build: () => ({
      desired: [desired({ key: "caf\u00e9" }), desired({ key: "b" })],
      records: [],
      options: { targets: ["cafe\u0301", "b "] },
      expected: () => [],
    }),
    errors: [
      /^--target "cafe\\u0301" matches no job of the spec and no live job of stack analytics; the job "caf\\u00e9" differs from it only in its Unicode form or its edge spaces: give --target exactly that name\.$/,
      /^--target "b " matches no job of the spec and no live job of stack analytics; the job "b" differs from it only in its Unicode form or its edge spaces: give --target exactly that name\.$/,
    ],
  },
  {
    // Found by review: destroy plans no job of the spec, and its --target "cafe\u0301" beside a
    // live job "caf\u00e9" in Studio said only that it matches nothing, the two looking the same.
    name: "a --target that differs only in its Unicode form from the key of a live job in Studio names that key, for destroy too",
    build: () => {
      const live = record({ key: "caf\u00e9", cron }, { status: "TASK" });
      return { desired: [], records: [live], options: { targets: ["cafe\u0301"], destroying: true }, expected: () => [] };
    },
    errors: [
      /^--target "cafe\\u0301" matches no job of stack analytics in Studio; the job "caf\\u00e9" differs from it only in its Unicode form or its edge spaces: give --target exactly that name\.$/,
    ],
  },
  {
    name: "jobs are planned per team; a team given only to be emptied has its jobs cancelled",
    build: () => {
      const r = record({ key: "a", team: "old-team" }, { status: "TASK" });
      return {
        desired: [desired({ key: "a", team: "demo", cron })],
        records: [r],
        options: { teams: ["demo", "old-team"] },
        expected: () => ["create a", `cancel a ${r.id} removed`],
      };
    },
  },
  {
    name: "a --target of a removed key cancels it: the stack keeps its other jobs, so the every-job guard does not apply",
    build: () => {
      // Found by an adversarial tester: the guard counted only the targeted jobs as the stack's.
      const a = desired({ key: "a", cron });
      const records = [record(a), record({ key: "gone" }, { status: "TASK" })];
      return { desired: [a], records, options: { targets: ["gone"] }, expected: ([, r]) => [`cancel gone ${r?.id} removed`] };
    },
  },
  {
    name: "a new team is recorded by a kept schedule of another team, replaced to record it",
    build: () => {
      const [a1, a2] = [desired({ key: "a1", cron }), desired({ key: "a2", cron })];
      const records = [record(a1), record(a2)];
      return {
        desired: [a1, a2, desired({ key: "b1", team: "beta", cron })],
        records,
        options: { teams: ["beta", "demo"] },
        expected: ([r1, r2]) => ["create b1", `replace a1 ${r1?.id} create-first`, `noop a2 ${r2?.id}`],
      };
    },
  },
  {
    name: "a team already recorded elsewhere replaces nothing to record it",
    build: () => {
      const [a, b] = [desired({ key: "a", cron }), desired({ key: "b", team: "beta", cron })];
      const recordsBoth = (r: JobOutput): JobOutput => ({ ...r, environment: { ...r.environment, STUDIO_JOBS_TEAMS: '["beta","demo"]' } });
      const records = [recordsBoth(record(a)), recordsBoth(record(b))];
      return {
        desired: [a, b],
        records,
        options: { teams: ["beta", "demo"] },
        expected: ([ra, rb]) => [`noop b ${rb?.id}`, `noop a ${ra?.id}`],
      };
    },
  },
  {
    name: "a team under teams: is recorded elsewhere too, as it may leave teams: with its last job; without a job to carry it, no warning",
    // Found by a reviewer: the plan warned to list a team already listed. Found by an adversarial
    // tester: with nothing replaced to record it, a spec that dropped the team from teams: and its
    // last job at once never listed it again, and the job ran on.
    build: () => {
      const a1 = desired({ key: "a1", cron });
      return {
        desired: [a1, desired({ key: "b1", team: "beta", cron })],
        records: [record(a1)],
        options: { teams: ["beta", "demo"], declaredTeams: ["beta"] },
        expected: ([r1]) => ["create b1", `replace a1 ${r1?.id} create-first`],
      };
    },
  },
  {
    name: "a team under teams: with no schedule elsewhere to record it is no warning: teams: keeps it",
    build: () => {
      const once = desired({ key: "once" });
      return {
        desired: [once, desired({ key: "b1", team: "beta", cron })],
        records: [record(once, { status: "COMPLETE" })],
        options: { teams: ["beta", "demo"], declaredTeams: ["beta"] },
        expected: ([r1]) => ["create b1", `noop once ${r1?.id}`],
      };
    },
  },
  {
    name: "the job replaced to record a team is create-first and on a cluster the plan accepts; others are passed over",
    build: () => {
      // Found by a reviewer: a cancel-first job (a gap without the job) or one on a cluster
      // no longer active (an error blocking the plan) could be picked.
      const gap = desired({ key: "a1-gap", cron, replace: "cancel-first" });
      const legacy = desired({ key: "a2-legacy", cron, cluster: { name: "legacy" } });
      const fine = desired({ key: "a3-fine", cron });
      return {
        desired: [gap, legacy, fine, desired({ key: "b1", team: "beta", cron })],
        records: [record(gap), record(legacy), record(fine)],
        options: { teams: ["beta", "demo"] },
        expected: ([r1, r2, r3]) => [
          "create b1",
          `noop a1-gap ${r1?.id}`,
          `noop a2-legacy ${r2?.id}`,
          `replace a3-fine ${r3?.id} create-first`,
        ],
      };
    },
  },
  {
    name: "under --target, a team a job left out records needs nothing replaced",
    build: () => {
      const a1 = desired({ key: "a1", cron });
      const recordsBoth = (r: JobOutput): JobOutput => ({ ...r, environment: { ...r.environment, STUDIO_JOBS_TEAMS: '["beta","demo"]' } });
      return {
        desired: [a1, desired({ key: "b1", team: "beta", cron })],
        records: [recordsBoth(record(a1))],
        options: { teams: ["beta", "demo"], targets: ["b1"] },
        expected: () => ["create b1"],
      };
    },
  },
  {
    name: "under --target, a team no job records elsewhere is recorded by a targeted schedule",
    // Found by an adversarial tester: --target skipped the check without a word, and a later
    // apply that removed the job in the new team left it running.
    build: () => {
      const [a1, a2] = [desired({ key: "a1", cron }), desired({ key: "a2", cron })];
      return {
        desired: [a1, a2, desired({ key: "b1", team: "beta", cron })],
        records: [record(a1), record(a2)],
        options: { teams: ["beta", "demo"], targets: ["b1", "a1"] },
        expected: ([r1]) => ["create b1", `replace a1 ${r1?.id} create-first`],
      };
    },
  },
  {
    name: "under --target, with no targeted schedule elsewhere to record a team, the plan says how to keep it",
    build: () => ({ ...jobBesideNewTeam({ targets: ["b1"] }), expected: () => ["create b1"] }),
    warnings: [
      /^Only the jobs of team beta record that stack \S+ covers it: once they all leave the spec, plans will not look there again\. Apply without --target to record it on a job of another team, or list beta under `teams:` in the spec\.$/,
    ],
  },
  {
    name: "with no kept schedule elsewhere to record a team (one-off or protected), the plan says how to keep it",
    build: () => {
      const [once, guarded] = [desired({ key: "once" }), desired({ key: "guarded", cron })];
      const records = [record(once, { status: "COMPLETE" }), record(guarded, { protect: true })];
      return {
        desired: [once, guarded, desired({ key: "b1", team: "beta", cron })],
        records,
        options: { teams: ["beta", "demo"] },
        expected: ([r1, r2]) => ["create b1", `noop guarded ${r2?.id}`, `noop once ${r1?.id}`],
      };
    },
    warnings: [
      /^Only the jobs of team beta record that stack \S+ covers it: once they all leave the spec, plans will not look there again\. List beta under `teams:` in the spec to keep it covered\.$/,
    ],
  },
  {
    name: "an unknown cluster, an inactive one, and too many workers are errors",
    build: () => ({
      desired: [
        desired({ key: "a", cluster: { name: "nope" } }),
        desired({ key: "b", cluster: { id: 3 } }),
        desired({ key: "c", cluster: { name: "gpu-pool" }, workers: 33 }),
        desired({ key: "d", workers: 9 }),
        desired({ key: "e", cluster: { name: "gpu-pool" }, workers: 32 }),
      ],
      records: [],
      expected: () => ["create a", "create b", "create c", "create d", "create e"],
    }),
    errors: [
      /^Job "a" \(studio-jobs.yaml:1:3\) names cluster nope, which does not exist in Studio\. Known clusters: default, gpu-pool, legacy\.$/,
      /^Job "b" \(studio-jobs.yaml:1:3\) would run on cluster legacy, which is not active\. Choose another cluster\.$/,
      /^Job "c" \(studio-jobs.yaml:1:3\) asks for 33 workers; cluster gpu-pool allows at most 32\.$/,
      /^Job "d" \(studio-jobs.yaml:1:3\) asks for 9 workers; cluster default allows at most 8\.$/,
    ],
  },
];

describe("computePlan", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const built = c.build();
    const teams = built.options?.teams ?? ["demo"];
    const listings = new Map<string, JobOutput[]>(teams.map((t) => [t, built.records.filter((r) => r.team === t)]));
    const plan = computePlan(built.desired, listings, CLUSTERS, options(built.options));
    expect(plan.actions.map(describeAction)).toEqual(built.expected(built.records));
    expect(plan.errors).toHaveLength(c.errors?.length ?? 0);
    c.errors?.forEach((pattern, i) => expect(plan.errors[i]).toMatch(pattern));
    expect(plan.warnings).toHaveLength(c.warnings?.length ?? 0);
    c.warnings?.forEach((pattern, i) => expect(plan.warnings[i]).toMatch(pattern));
  });

  it("counts the actions in the summary", () => {
    const a = desired({ key: "a", cron });
    const b = desired({ key: "b", cron });
    const plan = computePlan(
      [a, b, desired({ key: "c" })],
      new Map([["demo", [record(a), record(b, { fingerprint: "x" }), record({ key: "gone" }, { status: "TASK" })]]]),
      CLUSTERS,
      options(),
    );
    expect(plan.summary).toEqual({ create: 1, replace: 1, cancel: 1, noop: 1, conflict: 0 });
  });

  it("digests what its decisions rest on: not the listing order, not a status moving within live", () => {
    const a = desired({ key: "a" });
    const r1 = record(a, { status: "QUEUED" });
    const r2 = record({ key: "gone" }, { status: "TASK" });
    const digest = (records: JobOutput[]) =>
      computePlan([a], new Map([["demo", records]]), CLUSTERS, options({ allowEmpty: true })).remoteDigest;
    const base = digest([r1, r2]);
    expect(digest([r2, r1])).toBe(base);
    expect(digest([{ ...r1, status: "RUNNING" }, r2])).toBe(base);
    expect(digest([r1, { ...r2, status: "CANCELING_SCHEDULED" }])).not.toBe(base);
    expect(digest([r1, r2, record({ key: "new" }, { status: "TASK" })])).not.toBe(base);
    expect(digest([r1, r2, record({ key: "a", stack: null }, { status: "TASK" })])).not.toBe(base);
  });
});

describe("a team of more than 120,000 records", () => {
  it("is planned: its actions were appended as the arguments of one push, which ran out of stack", () => {
    // Copies of one record: record() counts what it makes, and dates records by that count.
    const one = record({ key: "gone" }, { status: "TASK" });
    const records = Array.from({ length: 130_000 }, (_, i) => ({
      ...one,
      id: `${one.id}-${i}`,
      name: `gone-${i}`,
      environment: { ...one.environment, [MARKERS.key]: `gone-${i}` },
    }));
    const plan = computePlan([], new Map([["demo", records]]), CLUSTERS, options({ allowEmpty: true, maxCancel: Infinity }));
    expect(plan.summary).toEqual({ create: 0, replace: 0, cancel: 130_000, noop: 0, conflict: 0 });
    expect(plan.actions.at(-1)).toMatchObject({ kind: "cancel", key: "gone-99999", reason: "removed" });
  });
});

describe("the teams a library caller gives", () => {
  // Found by an adversarial tester: a team without its listing was planned as empty (a
  // create for every job, beside the ones running), and a job of a team left out of
  // options.teams was left out of the plan, unsaid.
  const refusal = (run: () => unknown) => {
    try {
      run();
      return "planned";
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("refuses arguments of the wrong kind, and a maxCancel left out, which turned the guard off", () => {
    // Found by calling the library from JavaScript: without maxCancel twenty removed jobs were planned
    // for cancelling with no error; the rest failed with a TypeError from deep inside.
    const removed = Array.from({ length: 20 }, (_, i) => record({ key: `old-${i}` }));
    const listings = new Map([["demo", removed]]);
    const loose = (overrides: Record<string, unknown>) => ({ ...options({ allowEmpty: true }), ...overrides });
    expect(
      [
        () => computePlan([], listings, CLUSTERS, loose({ maxCancel: undefined })),
        () => computePlan([], listings, CLUSTERS, loose({ maxCancel: Number.NaN })),
        () => computePlan([], { demo: removed } as unknown as Map<string, JobOutput[]>, CLUSTERS, options()),
        () => computePlan([], listings, CLUSTERS, { stack: STACK, teams: ["demo"] } as unknown as PlanOptions),
        () => computePlan([], listings, CLUSTERS, loose({ now: "2026-01-01" })),
        () => computePlan([], listings, CLUSTERS, undefined as unknown as PlanOptions),
      ].map(refusal),
    ).toEqual([
      "computePlan: options.maxCancel must be a number of at least 0 (Infinity for no limit), not undefined.",
      "computePlan: options.maxCancel must be a number of at least 0 (Infinity for no limit), not NaN.",
      "computePlan: the second argument must be a Map of each team to its listing (client.listAllJobs).",
      "computePlan: options.targets must be an array of job keys ([] for every job).",
      "computePlan: options.now must be a valid Date (new Date()).",
      "computePlan: the fourth argument must be its options.",
    ]);
    expect(computePlan([], listings, CLUSTERS, loose({ maxCancel: Number.POSITIVE_INFINITY })).actions).toHaveLength(20);
  });

  it("refuses a team without its listing", () => {
    const a = desired({ key: "a", cron });
    expect(refusal(() => computePlan([a], new Map(), CLUSTERS, options()))).toBe("computePlan: no listing of team(s) demo.");
  });

  it("refuses a job of a team the plan does not cover", () => {
    const a = desired({ key: "a", cron, team: "ml" });
    expect(refusal(() => computePlan([a], new Map([["demo", []]]), CLUSTERS, options()))).toBe(
      "computePlan: the spec has jobs in team(s) ml, which options.teams does not cover.",
    );
  });
});

describe("the remote digest a saved plan is checked against", () => {
  it("is the digest the plan computed, over the same records, with and without --target", () => {
    const a = desired({ key: "a", cron });
    const b = desired({ key: "b", cron });
    const schedule = record(a);
    const { STUDIO_JOBS_KEY: _key, ...keyless } = record({ key: "x" }).environment;
    const listing = [
      schedule,
      { ...schedule, id: "run-1", parent_job_id: schedule.id },
      record(b, { fingerprint: "older" }),
      record({ key: "gone" }, { status: "TASK" }),
      record({ key: "b", stack: null }, { status: "TASK" }),
      record({ key: "a", stack: "billing" }, { status: "TASK" }),
      record({ key: "x" }, { environment: keyless }),
    ];
    const listings = new Map([["demo", listing]]);
    for (const targets of [[], ["b"]]) {
      const plan = computePlan([a, b], listings, CLUSTERS, options({ targets, adopt: true }));
      const desiredKeys = new Map([["demo", new Set(plan.actions.filter((x) => x.kind !== "cancel").map((x) => x.key))]]);
      const acted = actedSlots(plan.actions);
      expect(computeRemoteDigest(STACK, listings, desiredKeys, targets, acted)).toBe(plan.remoteDigest);
    }
    // The records the digest covers: dropping one the plan did not look at changes nothing.
    const digestOf = (records: JobOutput[]) =>
      computePlan([a, b], new Map([["demo", records]]), CLUSTERS, options({ adopt: true })).remoteDigest;
    expect(digestOf(listing.slice(0, 5))).toBe(digestOf(listing));
    expect(digestOf(listing.slice(0, 4))).not.toBe(digestOf(listing));
  });
});

describe("adopting a job made by hand", () => {
  it("shows only what the spec sets of what Studio does not return, and hides values that look secret", () => {
    const mine = desired({ key: "legacy", cron: "0 4 * * *", environment: { PATH: "/opt/venv/bin", REGION: "eu" } });
    const theirs = record(
      { key: "legacy", stack: null, query: `print("legacy")\n` },
      { status: "TASK", environment: { PATH: "/usr/bin", REGION: "eu", API_KEY: "live-secret", DATABASE_URL: "postgres://u:pw@db/x" } },
    );
    const plan = computePlan([mine], new Map([["demo", [theirs]]]), CLUSTERS, options({ adopt: true }));
    const [replace] = plan.actions;
    if (replace?.kind !== "replace") throw new Error("expected a replace");
    expect(replace.changes).toEqual([
      { field: "environment.API_KEY", kind: "value", old: "(sensitive)", new: "(not set)" },
      { field: "environment.DATABASE_URL", kind: "value", old: "(sensitive)", new: "(not set)" },
      { field: "environment.PATH", kind: "value", old: "/usr/bin", new: "/opt/venv/bin" },
      {
        field: "schedule.cron",
        kind: "cron",
        old: "(unknown)",
        new: "0 4 * * *",
        old_runs: [],
        new_runs: ["2026-11-01T04:00:00.000Z", "2026-11-02T04:00:00.000Z", "2026-11-03T04:00:00.000Z"],
      },
    ]);
  });
});

describe("warnings about work a plan interrupts or repeats", () => {
  it("says that replacing a running scheduled job cancels its run, not that it runs once", () => {
    const daily = desired({ key: "daily", cron: "@daily" });
    const listing = [record(daily, { fingerprint: "older", status: "RUNNING" })];
    expect(computePlan([daily], new Map([["demo", listing]]), CLUSTERS, options()).warnings).toEqual([
      `Job "daily" in team demo: the plan cancels ${listing[0]?.id}, which is RUNNING, before it finishes.`,
    ]);
  });

  it("warns that replacing a running one-off job runs it again, and that a cancel stops a running job", () => {
    const once = desired({ key: "once" });
    const hourly = desired({ key: "hourly", cron: "@hourly" });
    const listing = [
      record(once, { fingerprint: "older", status: "RUNNING" }),
      record(hourly, { fingerprint: "older", status: "TASK" }),
      record({ key: "gone" }, { status: "QUEUED" }),
    ];
    const plan = computePlan([once, hourly], new Map([["demo", listing]]), CLUSTERS, options());
    expect(plan.warnings).toEqual([
      `Job "once" in team demo runs once: replacing it cancels ${listing[0]?.id}, which is RUNNING, and runs the job again from the start.`,
      `Job "gone" in team demo: the plan cancels ${listing[2]?.id}, which is QUEUED, before it finishes.`,
    ]);
    // A one-off job waiting for its start_after loses nothing: no warning.
    const waiting = computePlan(
      [once],
      new Map([["demo", [record(once, { fingerprint: "older", status: "SCHEDULED" })]]]),
      CLUSTERS,
      options(),
    );
    expect(waiting.actions.map((a) => a.kind)).toEqual(["replace"]);
    expect(waiting.warnings).toEqual([]);
  });
});
