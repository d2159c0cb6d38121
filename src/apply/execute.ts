// applyPlan: carry out a plan against Studio. Uploads, then creates, then cancels: each
// starts in that order, but a cancel need not wait for every create to finish (a removed
// job's cancel may end before the creates do). A cancel whose paired create did not
// happen is skipped, so a replace, or a move to another team, never leaves a job missing.
// Every step ends applied, failed or skipped; nothing stops half-way.

import pLimit from "p-limit";
import { InterruptedError, PlanRefusedError, RemoteError, StudioJobsError, UsageError } from "../errors.js";
import type { PlanAction, Plan } from "../plan/types.js";
import { withinTargets } from "../plan/team-records.js";
import { sha256Hex } from "../identity/fingerprint.js";
import { managedAs } from "../identity/classify.js";
import { printable } from "../invisible.js";
import { withTeamsMarker } from "../identity/markers.js";
import { readRegularFile } from "../desired/read-file.js";
import type { DesiredFile, DesiredJob } from "../desired/types.js";
import type { StudioClient } from "../studio/client.js";
import { backoffDelay, sleep, type BackoffOptions } from "../studio/retry.js";
import { isCancelled, isLive, runParentId } from "../studio/job-status.js";
import { satisfies } from "../plan/keep.js";
import { isSameTeam } from "../studio/team-name.js";
import type { JobInput, JobOutput } from "../studio/types.js";
import { sweep, type ChangedMeanwhile, type TeamIntent } from "./sweep.js";
import type { ActionVerb, ApplyEvent, ApplyResult, ApplySummary, StepKind, StepResult } from "./types.js";

export interface ApplyOptions {
  client: StudioClient;
  parallelism: number;
  /** Ids of every record listed when the plan was made: a record among them was not created by this apply. */
  knownIds: ReadonlySet<string>;
  onEvent?: (event: ApplyEvent) => void;
  /** Creates tried at most this many times, each after looking for the previous one. */
  createAttempts?: number;
  /** Stop starting new steps once aborted (Ctrl-C); steps under way finish. */
  signal?: AbortSignal;
  /** The clock that dates a schedule sent without a start time; Date.now by default. */
  now?: () => number;
  /**
   * The wait between create attempts; a real timer, cut short by `signal`, by default.
   * Tests pass one that returns at once (and records what it was asked to wait).
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The jitter of those waits, in [0, 1); Math.random by default. */
  random?: () => number;
  /** What carries the plan out, named in what to run again; apply by default. */
  command?: "apply" | "destroy";
  /** A saved plan is carried out: once partly applied it is stale, so what finishes is a new plan, not this again. */
  savedPlan?: boolean;
}

/**
 * The wait before create attempt n+1 is random in [0, min(2 s, 200 ms * 2^(n-1))]: short,
 * as each attempt already waited for a listing, and random, so that parallel creates
 * failing together do not retry together.
 */
const CREATE_BACKOFF: BackoffOptions = { baseMs: 200, maxMs: 2_000 };

interface CreateWork {
  action: ActionVerb;
  job: DesiredJob;
  /** For a replace: the old job, cancelled after (create-first) or before (cancel-first). */
  old?: JobOutput;
}

/**
 * What a library caller without type checks may get wrong, refused before anything is sent:
 * without `knownIds` a create Studio made would have been reported failed (and made again).
 */
function checkApplyArguments(plan: Plan, options: ApplyOptions): void {
  if (!Array.isArray(plan?.actions) || !Array.isArray(plan.errors))
    throw new UsageError("applyPlan: the first argument must be a plan made by computePlan.");
  if (typeof options !== "object" || options === null || typeof options.client?.createJob !== "function")
    throw new UsageError(
      "applyPlan: the second argument must be its options, { client, parallelism, knownIds }, with client a StudioClient.",
      "For example: applyPlan(plan, { client, parallelism: 10, knownIds: new Set(listedJobs.map((job) => job.id)) }).",
    );
  if (!Number.isSafeInteger(options.parallelism) || options.parallelism < 1)
    throw new UsageError(`applyPlan: options.parallelism must be a whole number of at least 1, not ${String(options.parallelism)}.`);
  if (typeof options.knownIds?.has !== "function")
    throw new UsageError(
      "applyPlan: options.knownIds must be a Set of the ids of every job listed when the plan was made.",
      "For example: new Set(listedJobs.map((job) => job.id)), over the listings given to computePlan.",
    );
}

export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  checkApplyArguments(plan, options);
  // A plan's errors are its guards (protected jobs, --allow-empty, --max-cancel, clusters):
  // the CLI stops before applying such a plan, and so must every other caller of the library.
  if (plan.errors.length > 0)
    throw new PlanRefusedError("PLAN_HAS_ERRORS", plan.errors, "Fix what the plan's errors say, then plan again.");
  const limit = pLimit(Math.max(1, options.parallelism));
  const steps: StepResult[] = [];
  const creates: CreateWork[] = [];
  const cancels: { action: PlanAction & { kind: "cancel" } }[] = [];
  for (const action of plan.actions) {
    switch (action.kind) {
      case "create":
        creates.push({ action: "create", job: action.desired });
        break;
      case "replace":
        creates.push({ action: "replace", job: action.desired, old: action.live });
        break;
      case "cancel":
        cancels.push({ action });
        break;
      case "noop":
      case "conflict":
        break;
      default: {
        const never: never = action;
        throw new Error(`unhandled action ${JSON.stringify(never)}`);
      }
    }
  }

  const uploads = distinctUploads(creates);
  let total = uploads.size + creates.length + cancels.length + creates.filter((c) => c.old !== undefined).length;
  let done = 0;
  options.onEvent?.({ type: "start", total });

  type Work = () => Promise<Omit<StepResult, "step" | "action" | "key" | "team">>;
  /** One step, in the slot the caller holds; not started once a stop was asked for. */
  const perform = async (
    step: StepKind,
    action: ActionVerb,
    job: { key: string; team: string },
    work: Work,
    /** The second half of a step under way: started even after a stop request. */
    finishing = false,
  ): Promise<StepResult> => {
    let result: StepResult;
    if (stopped(options) && !finishing) {
      result = { step, action, key: job.key, team: job.team, status: "skipped", detail: "interrupted before it started" };
    } else {
      options.onEvent?.({ type: "begin", step, key: job.key, team: job.team, done, total });
      try {
        result = { step, action, key: job.key, team: job.team, ...(await work()) };
      } catch (error) {
        result = { step, action, key: job.key, team: job.team, status: "failed", detail: describeError(error) };
      }
    }
    return finish(result);
  };
  /** A step's end: counted, kept and told. */
  const finish = (result: StepResult): StepResult => {
    done += 1;
    steps.push(result);
    options.onEvent?.({ type: "end", result, done, total });
    return result;
  };
  /** One step in the next free slot of the queue. */
  const run = (step: StepKind, action: ActionVerb, job: { key: string; team: string }, work: Work) =>
    limit(() => perform(step, action, job, work));
  const skip = (step: StepKind, action: ActionVerb, job: { key: string; team: string }, detail: string): StepResult =>
    finish({ step, action, key: job.key, team: job.team, status: "skipped", detail });

  // 1. Uploads: each distinct file once per team.
  const uploaded = new Map<string, Promise<StepResult>>();
  for (const [id, upload] of uploads) {
    uploaded.set(
      id,
      run("upload", upload.action, { key: upload.key, team: upload.team }, async () => {
        // No more than the planned size is read, and only from a regular file: one that
        // turned into a FIFO or a link to /dev/zero has changed, and is not read to find out.
        const read = await readRegularFile(upload.file.absolute, upload.file.size).catch(() => undefined);
        const content = read !== undefined && "bytes" in read ? read.bytes : undefined;
        if (content === undefined || sha256Hex(content) !== upload.file.sha256) {
          return { status: "failed", detail: `${upload.file.path} changed since the plan was made; plan again` };
        }
        const reply = await options.client.uploadFile(upload.team, upload.file.name, content);
        return { status: "applied", fileId: String(reply.id), detail: `uploaded ${upload.file.name}` };
      }),
    );
  }
  const uploadResults = new Map<string, StepResult>();
  for (const [id, promise] of uploaded) uploadResults.set(id, await promise);

  // 2. Creates, then cancels: removed and duplicate jobs, and the old side of each create-first
  // replacement once its new job exists. All go into the one queue in that order, so every
  // create starts before any cancel, and no slot waits for the slowest create to finish.
  // A cancel-first replacement cancels its old job and then creates the new one, as one
  // chain; at most `parallelism` chains are under way, so a job is without either version
  // for the time of one request (its create, once its cancel is done), and an interrupted
  // apply leaves at most that many so.
  const created = new Map<CreateWork, StepResult>();
  /**
   * Old jobs of replacements that someone else had cancelled before this apply's first try:
   * another apply, which may have moved the job to a team this plan does not cover.
   */
  const cancelledBefore: { key: string; team: string; id: string }[] = [];
  const noteCancelledBefore = (job: DesiredJob, old: JobOutput) => () => cancelledBefore.push({ key: job.key, team: job.team, id: old.id });
  /** Creates that failed, yet may have made their job. */
  const unconfirmed = new Set<CreateWork>();
  /**
   * Each key's create (or replace) by key: a key is defined once in a spec, so in one team,
   * and a job of it cancelled as removed in another team is that job moved (see movedTo in
   * render/details.ts). Its old job is cancelled only once the new one exists, like the old
   * side of a create-first replacement: a move whose create failed keeps the job running.
   */
  const createOf = new Map<string, { work: CreateWork; done: Promise<StepResult> }>();
  const createsDone = creates.map(async (work) => {
    const step = work.old !== undefined && work.job.replace === "cancel-first" ? cancelFirstChain(work, work.old) : createStep(work);
    createOf.set(work.job.key, { work, done: step });
    const result = await step;
    created.set(work, result);
    // The old side of a create-first replacement: cancelled once its new job exists, and
    // otherwise kept, and said so, whatever stopped the create.
    if (work.old === undefined || work.job.replace === "cancel-first") return;
    const old = work.old;
    if (result.status !== "applied") {
      const detail = unconfirmed.has(work)
        ? `the new job may have been created all the same; ${old.id} is kept, and a re-run cancels whichever is not wanted`
        : `the new job was not created, so ${old.id} is kept`;
      skip("cancel", "replace", work.job, detail);
      return;
    }
    await run("cancel", "replace", work.job, () =>
      cancelJob(options.client, work.job.team, old, undefined, noteCancelledBefore(work.job, old)),
    );
  });
  /** The name of a file `job` needs whose upload did not succeed, if any. */
  function failedUpload(job: DesiredJob): string | undefined {
    return job.files.find((file) => uploadResults.get(uploadId(job.team, file))?.fileId === undefined)?.name;
  }
  /**
   * A cancel-first replacement: the old job is cancelled only when the new one can be sent,
   * and the new one is sent at once, in the same slot, so the job is without either version
   * for the time of one request. The two are one step: a stop asked for while the cancel is
   * under way lets the create go too (within the grace period of writes in flight), and
   * when the create does not get through the step says which job has no version.
   */
  async function cancelFirstChain(work: CreateWork, old: JobOutput): Promise<StepResult> {
    const job = work.job;
    const missing = failedUpload(job);
    if (missing !== undefined) {
      skip("cancel", "replace", job, `upload of ${missing} did not succeed, so ${old.id} is kept`);
      return skip("create", work.action, job, `upload of ${missing} did not succeed`);
    }
    const where = `${job.team}/${job.key}`;
    return limit(async () => {
      let cancelError: unknown;
      const first = await perform("cancel", "replace", job, () =>
        cancelJob(options.client, job.team, old, undefined, noteCancelledBefore(job, old)).catch((error: unknown) => {
          cancelError = error;
          throw error;
        }),
      );
      if (first.status === "skipped") return skip("create", work.action, job, "interrupted before it started");
      if (first.status !== "applied") {
        // A cancel that was cut off, or failed unclearly, may have been carried out all the same.
        const detail = mayHaveActed(cancelError)
          ? `${old.id} may have been cancelled, so ${where} may have no job until apply runs again`
          : "the old job was not cancelled (cancel-first)";
        return skip("create", work.action, job, detail);
      }
      return perform(
        "create",
        work.action,
        job,
        () =>
          createJob(options, job, fileIds(job), plan.teams, true).catch((error: unknown) => {
            // Noted as createStep notes it: a move's cancel waiting on this create says it may exist.
            if (mayExist(error)) unconfirmed.add(work);
            return {
              status: "failed" as const,
              detail: mayHaveActed(error)
                ? `${clause(describeError(error))}; ${old.id} was cancelled, and ${where} may have no job until apply runs again`
                : `${clause(describeError(error))}; ${old.id} was cancelled, so ${where} has no job until apply runs again`,
            };
          }),
        true,
      );
    });
  }
  function fileIds(job: DesiredJob): string[] {
    return job.files.map((file) => uploadResults.get(uploadId(job.team, file))?.fileId as string);
  }
  /** A job's create, or why it was skipped: an upload it needs did not succeed. */
  async function createStep(work: CreateWork): Promise<StepResult> {
    const job = work.job;
    const missing = failedUpload(job);
    if (missing !== undefined) return skip("create", work.action, job, `upload of ${missing} did not succeed`);
    return run("create", work.action, job, () =>
      createJob(options, job, fileIds(job), plan.teams).catch((error: unknown) => {
        if (mayExist(error)) unconfirmed.add(work);
        throw error;
      }),
    );
  }
  const cancelsDone = cancels.map(async ({ action }) => {
    const move = action.reason === "removed" ? createOf.get(action.key) : undefined;
    if (move !== undefined && !isSameTeam(move.work.job.team, action.team)) {
      const made = await move.done;
      if (made.status !== "applied") {
        const to = printable(move.work.job.team);
        const detail = unconfirmed.has(move.work)
          ? `its job moved to team ${to} may have been created all the same; ${action.live.id} is kept, and a re-run cancels whichever is not wanted`
          : `its job moved to team ${to} was not created, so ${action.live.id} is kept`;
        return skip("cancel", "cancel", action, detail);
      }
    }
    return run("cancel", "cancel", action, () => cancelJob(options.client, action.team, action.live));
  });
  await Promise.all([...createsDone, ...cancelsDone]);

  // 5. Sweep: another apply may have created the same jobs meanwhile, or other versions of them.
  /** The jobs this apply created, in the plan's order. */
  const made = creates.flatMap((work) => {
    const result = created.get(work);
    return result?.status === "applied" && result.jobId !== undefined ? [{ job: work.job, id: result.jobId }] : [];
  });
  // Looked for only once this apply changed a job: one that changed none left Studio as the other left it.
  const changedAny = steps.some((step) => step.status === "applied" && step.step !== "upload");
  /** The teams this apply made jobs in: the only ones a duplicate of its own can be in. */
  const madeIn = new Set(made.map(({ job }) => job.team));
  if (stopped(options)) {
    // Not started, so said like any step not started: the apply is incomplete (exit 1), as a
    // duplicate, or another apply's version of a job, made meanwhile may be live (see
    // docs/architecture.md, "Planning"). Also when every step was done: a cancel-only apply
    // too would have looked, and exit 0 would say it saw nothing.
    // Counted all at once: each is told as "[done/total]", and the total does not grow as they are.
    const notLooked = changedAny ? new Set([...madeIn, ...intents(plan, made).keys()]) : new Set<string>();
    total += notLooked.size;
    const command = options.command ?? "apply";
    const again = options.savedPlan === true ? "make a new plan and apply it" : `run ${command} again`;
    for (const team of notLooked) {
      const why = madeIn.has(team)
        ? `this apply's jobs were not looked for duplicates a concurrent apply may have made; ${again}`
        : `this ${command} did not look for jobs a concurrent apply changed meanwhile; ${again}`;
      skip("cancel", "dedupe", { key: "*", team }, `interrupted before it started: ${why}`);
    }
  } else if (changedAny) {
    const { duplicates, changed, failed } = await sweep(options.client, {
      stack: plan.stack,
      covered: plan.teams,
      teams: intents(plan, made),
      wanted: withinTargets(plan.targets),
      knownIds: options.knownIds,
      ownIds: new Set(made.map(({ id }) => id)),
    });
    // A replaced job someone else cancelled, with no other version of its key made here
    // meanwhile (a concurrent apply of this spec makes one): its job may now run in a team
    // this plan does not cover, where no look of this apply reaches.
    const seen = new Set([...duplicates, ...changed].map(({ key, team }) => `${team}\u0000${key}`));
    const unexplained = cancelledBefore.filter(({ key, team }) => !seen.has(`${team}\u0000${key}`));
    total += duplicates.length + failed.length + changed.length + unexplained.length;
    for (const { key, team, id } of unexplained) {
      finish({
        step: "cancel",
        action: "dedupe",
        key,
        team,
        status: "failed",
        jobId: id,
        detail: `job ${id} of ${JSON.stringify(key)} was cancelled by another apply, or in Studio, while this one ran: if another apply moved it to a team this plan does not cover (it covers ${plan.teams.join(", ")}), it runs there beside this apply's; run plan with that team under \`teams:\` to see`,
      });
    }
    // Every step is still reported: one that could not look says so, as a failed step of its own.
    // A destroy is checked by running it again: a plan of the spec would only show its jobs created anew.
    const lookAgain =
      options.command === "destroy"
        ? "run destroy again to see whether a job of the stack still runs"
        : "run plan to see whether a job runs twice";
    for (const { team, error } of failed) {
      finish({
        step: "cancel",
        action: "dedupe",
        key: "*",
        team,
        status: "failed",
        detail: `looking for ${madeIn.has(team) ? "duplicates of this apply's jobs" : "jobs a concurrent apply changed meanwhile"} failed: ${clause(describeError(error))}; ${lookAgain}`,
      });
    }
    for (const change of changed) {
      finish({
        step: "cancel",
        action: "dedupe",
        key: change.key,
        team: change.team,
        status: "failed",
        ...jobIdOf(change.made[0] ?? change.otherTeams[0]?.record),
        detail: describeChange(change, options.command ?? "apply", plan.teams),
      });
    }
    await Promise.all(
      duplicates.map((dup) =>
        run("cancel", "dedupe", dup, () =>
          cancelJob(
            options.client,
            dup.team,
            dup.live,
            `a duplicate of ${dup.keptId} (made by a concurrent apply, or by a create retried after an unclear failure)`,
          ),
        ),
      ),
    );
  }

  return { steps, summary: summarize(steps) };
}

/** What each team the plan covers should hold once it is carried out: what the sweep checks. */
function intents(plan: Plan, made: readonly { job: DesiredJob; id: string }[]): Map<string, TeamIntent> {
  const teams = new Map<string, { desired: Map<string, DesiredJob>; created: DesiredJob[]; expected: Map<string, string> }>();
  const team = (name: string) => {
    let intent = teams.get(name);
    if (intent === undefined) teams.set(name, (intent = { desired: new Map(), created: [], expected: new Map() }));
    return intent;
  };
  // Every covered team, also one the plan does not act in: another apply may have moved
  // jobs of these keys there meanwhile, and should hold none of them.
  for (const name of plan.teams) team(name);
  for (const action of plan.actions) {
    if (action.kind === "conflict") continue;
    const intent = team(action.team);
    if (action.kind === "cancel") continue;
    intent.desired.set(action.key, action.desired);
    if (action.kind === "noop") intent.expected.set(action.key, action.live.id);
  }
  for (const { job, id } of made) {
    team(job.team).created.push(job);
    team(job.team).expected.set(job.key, id);
  }
  return teams;
}

function jobIdOf(record: JobOutput | undefined): { jobId?: string } {
  return record === undefined ? {} : { jobId: record.id };
}

/**
 * A key another apply changed while this one ran: Studio now holds some of each spec, and
 * which spec should win (the newest commit) no apply can tell, so this one says it.
 */
function describeChange(change: ChangedMeanwhile, command: "apply" | "destroy", covered: readonly string[]): string {
  const which = change.made.length === 1 ? `job ${change.made[0]?.id ?? ""}` : `jobs ${change.made.map((r) => r.id).join(", ")}`;
  const key = JSON.stringify(change.key);
  if (command === "destroy")
    return `${which} of ${key}, made while this destroy ran, still ${change.made.length === 1 ? "runs" : "run"}: run destroy again once no apply of this stack runs`;
  const what: string[] = [];
  if (change.made.length > 0) {
    const has = change.made.length === 1 ? "has" : "have";
    const unlike = change.inSpec ? `${has} other settings than this spec's` : `${change.made.length === 1 ? "is" : "are"} not in this spec`;
    what.push(`${which} of ${key}, made by another apply while this one ran, ${unlike}`);
  }
  for (const { record, teams } of change.otherTeams) {
    const recorded = teams.length === 0 ? "no team" : `teams ${teams.join(", ")}`;
    what.push(
      `job ${record.id} of ${key}, made by another apply while this one ran, has this spec's settings but records ${recorded} where this plan covers ${covered.join(", ")}, so that apply's spec (or its --team) is another`,
    );
  }
  if (change.lost) what.push(`this spec's job of ${key} was cancelled while this apply ran`);
  return `${what.join("; ")}: run apply again with the spec that should win (the newest commit) once no other apply of this stack runs`;
}

interface Upload {
  action: ActionVerb;
  key: string;
  team: string;
  file: DesiredFile;
}

function uploadId(team: string, file: DesiredFile): string {
  return `${team}\u0000${file.name}\u0000${file.sha256}`;
}

function distinctUploads(creates: readonly CreateWork[]): Map<string, Upload> {
  const uploads = new Map<string, Upload>();
  for (const work of creates) {
    for (const file of work.job.files) {
      const id = uploadId(work.job.team, file);
      if (!uploads.has(id)) uploads.set(id, { action: work.action, key: work.job.key, team: work.job.team, file });
    }
  }
  return uploads;
}

/**
 * Create is not idempotent. After an ambiguous failure (no reply, a timeout, a 5xx, a 2xx
 * whose reply could not be read) the job may exist: look for it by key and fingerprint
 * before trying again. Studio answering 2xx said it created the job: if the job cannot be
 * found, it is not sent again (that could make a second one); a re-run of apply looks again.
 */
async function createJob(
  options: ApplyOptions,
  job: DesiredJob,
  fileIds: string[],
  /** The teams the plan covered, recorded on the job so later plans cover them too. */
  teams: readonly string[],
  /** Sent even after a stop request: see StudioClient.createJob. */
  finishing = false,
): Promise<Omit<StepResult, "step" | "action" | "key" | "team">> {
  const attempts = options.createAttempts ?? 6;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const reply = await options.client.createJob(createBody(job, fileIds, teams, options.now ?? Date.now), {
        finishing: finishing && attempt === 1,
      });
      const other = notTheJobSent(reply, job, options.knownIds);
      // Studio said it created a job, and named another: ours may or may not exist. Looked
      // for like any unclear answer, and never sent again on its strength.
      if (other !== undefined) {
        throw new RemoteError({
          method: "POST",
          path: "/datachain/jobs/",
          status: 200,
          message: `Studio answered the create of ${job.team}/${job.key} with ${other}`,
          ambiguous: true,
        });
      }
      return { status: "applied", jobId: reply.id, url: reply.url };
    } catch (error) {
      if (!(error instanceof RemoteError) || !error.ambiguous) throw error;
      lastError = error;
      let found: JobOutput | undefined;
      try {
        found = await findCreated(options, job);
      } catch (lookup) {
        // Not known either way: sent again it might run twice, so it is not.
        throw new StudioJobsError(
          CREATE_UNCONFIRMED,
          `${error.message}; the job may have been created, and looking for it failed (${describeError(lookup)}), so it is not sent again: run plan to see whether it exists`,
        );
      }
      if (found !== undefined) {
        return { status: "applied", jobId: found.id, url: found.url, detail: `found after an ambiguous failure (${error.message})` };
      }
      if (error.status !== undefined && error.status < 300) {
        throw new StudioJobsError(
          CREATE_UNCONFIRMED,
          `${error.message}; the job was not found when the team was listed again, and it is not sent twice: run plan to see whether it exists`,
        );
      }
      if (mayStillBeAtWork(error)) {
        throw new StudioJobsError(
          CREATE_UNCONFIRMED,
          `${error.message}; Studio may still be making the job (it was not listed yet), and it is not sent again, which could make two: run apply again once Studio answers in time`,
        );
      }
      if (stopped(options) || attempt === attempts) break;
      await (options.sleep ?? sleep)(backoffDelay(attempt - 1, CREATE_BACKOFF, options.random ?? Math.random), options.signal);
      // A stop during the wait: not sent again (a finishing create is let past a stop once).
      if (stopped(options)) break;
    }
  }
  throw lastError;
}

/**
 * Whether a create that failed so may still be under way in Studio: the deadline passed
 * before any reply, or a gateway stopped waiting for Studio's (504; Cloudflare's 524, "a
 * timeout occurred"), while Studio did not. Not listed yet proves nothing then: sent again,
 * both could be made, after the sweep looked (docs/architecture.md, "Planning"). A reply of
 * Studio's own (a 5xx) or a connection lost ends the request there, and the look-up can be
 * trusted.
 */
function mayStillBeAtWork(error: RemoteError): boolean {
  return (error.code === "REMOTE_TIMEOUT" && error.status === undefined) || GATEWAY_TIMEOUTS.has(error.status ?? 0);
}

/** A gateway's answer that it gave up waiting for Studio: 504, and Cloudflare's 524. */
const GATEWAY_TIMEOUTS: ReadonlySet<number> = new Set([504, 524]);

/**
 * Why a create's reply is not the job sent, if it is not: a server that answers with some
 * other job (one listed before, as one that folds creates by name would; one of another
 * team or name; a run; one without this job's markers; one that will not run) has not said
 * it made ours. Acting on it would cancel the old version of a replaced job with nothing in
 * its place.
 */
function notTheJobSent(reply: JobOutput, job: DesiredJob, knownIds: ReadonlySet<string>): string | undefined {
  const which = `job ${reply.id}`;
  if (knownIds.has(reply.id)) return `${which}, which was already there when the plan was made`;
  if (!isSameTeam(reply.team, job.team)) return `${which} of team ${printable(reply.team)}`;
  if (reply.name !== job.key) return `${which}, named ${printable(reply.name)}`;
  // A run carries its schedule's markers: said as what it is, not as markers missing.
  const parent = runParentId(reply);
  if (parent !== undefined) return `${which}, a run of job ${printable(parent)}`;
  const managed = managedAs(reply, job.stack);
  if (managed?.key !== job.key || managed.fingerprint !== job.fingerprint) return `${which}, which does not carry this job's markers`;
  // A job that will not run (cancelled, or a schedule already finished) is not the one asked
  // for: a replace that went on would cancel the old version with nothing live in its place.
  if (!satisfies(managed, job)) return `${which} in status ${printable(reply.status)}, which does not run the job`;
  return undefined;
}

/**
 * The create request as it is sent. A cron job without a start time is sent with
 * start_after = now, as datachain's own client sends it. Only here: the fingerprint and the
 * applied record keep the spec's value, so a job converged yesterday is not a change today.
 */
export function createBody(job: DesiredJob, fileIds: string[], teams: readonly string[], now: () => number): JobInput {
  const input: JobInput = { ...job.input, environment: withTeamsMarker(job.input.environment, teams), files: fileIds };
  if (input.cron_expression != null && input.start_after == null) input.start_after = new Date(now()).toISOString();
  return input;
}

/** A record of the job's stack, key and fingerprint that was not there when the plan was made: an earlier try's create. */
async function findCreated(options: ApplyOptions, job: DesiredJob): Promise<JobOutput | undefined> {
  // The same rule as for the create's own reply: a record is the job made only if a reply of it would be.
  const isCreated = (record: JobOutput) => notTheJobSent(record, job, options.knownIds) === undefined;
  const jobs = await options.client.listAllJobs(job.team, { keep: isCreated, stack: job.stack });
  return jobs[0];
}

/**
 * Cancel a job; a job that is already cancelled or finished counts as done. `cancelledBefore`
 * is told when it was found cancelled though no try of this cancel can have done it: someone
 * else had.
 */
async function cancelJob(
  client: StudioClient,
  team: string,
  live: JobOutput,
  why?: string,
  cancelledBefore?: () => void,
): Promise<Omit<StepResult, "step" | "action" | "key" | "team">> {
  try {
    await client.cancelJob(team, live.id);
    return { status: "applied", jobId: live.id, url: live.url, ...(why === undefined ? {} : { detail: why }) };
  } catch (error) {
    // A retried cancel may find its first try already done; Studio then answers 400. After an
    // unclear failure (retries spent) the cancel may have been done all the same: looked for.
    if (error instanceof RemoteError && (error.status === 400 || error.status === 404 || error.ambiguous)) {
      // Only the job itself answers: a server that ignores job_id lists some other job. A
      // look-up that fails says nothing: the cancel's own error is the one reported.
      const listed = await client.listJobs(team, { jobId: live.id, limit: 1 }).catch(() => []);
      const now = listed.find((job) => job.id === live.id);
      if (now !== undefined && !isLive(now.status)) {
        // An unambiguous refusal: no earlier try may have acted (a 429 did not).
        if (!error.ambiguous && isCancelled(now.status)) cancelledBefore?.();
        return { status: "applied", jobId: live.id, url: live.url, detail: `already ${now.status}` };
      }
      // Seen still running: the cancel was not carried out, whatever its failure said.
      if (now !== undefined) throw new StudioJobsError(error.code, error.message, { hint: error.hint });
    }
    throw error;
  }
}

function stopped(options: ApplyOptions): boolean {
  return options.signal?.aborted === true;
}

/**
 * Whether a request that failed so may have been carried out: cut off by a stop after a try
 * that may have acted, an unclear failure, a create not confirmed. A stop before any try
 * could act (none sent, or each answered 429) says it was not.
 */
function mayHaveActed(error: unknown): boolean {
  return (
    (error instanceof InterruptedError && error.mayHaveActed) ||
    (error instanceof RemoteError && error.ambiguous) ||
    (error instanceof StudioJobsError && error.code === CREATE_UNCONFIRMED)
  );
}

/**
 * Whether a create that failed so may have made its job all the same: its reply cut off by a
 * stop, or not confirmed (Studio said 2xx and the job was not found, or the look for it
 * failed). Any other unclear failure was looked for, and the job not found.
 */
function mayExist(error: unknown): boolean {
  return (
    (error instanceof InterruptedError && error.mayHaveActed) || (error instanceof StudioJobsError && error.code === CREATE_UNCONFIRMED)
  );
}

/** A create that may have been carried out, and is not sent again: Studio answered 2xx, or the look for it failed. */
const CREATE_UNCONFIRMED = "CREATE_UNCONFIRMED";

function describeError(error: unknown): string {
  if (error instanceof StudioJobsError) return error.message;
  return `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

/** A sentence as a clause of a longer one: without its full stop. */
function clause(text: string): string {
  return text.endsWith(".") ? text.slice(0, -1) : text;
}

export function summarize(steps: readonly StepResult[]): ApplySummary {
  const summary: ApplySummary = { created: 0, replaced: 0, cancelled: 0, deduplicated: 0, halfReplaced: 0, failed: 0, skipped: 0 };
  const replaces = new Map<string, StepResult[]>();
  for (const step of steps) {
    if (step.status === "failed") summary.failed += 1;
    if (step.status === "skipped") summary.skipped += 1;
    if (step.status !== "applied") continue;
    if (step.action === "create" && step.step === "create") summary.created += 1;
    if (step.action === "cancel") summary.cancelled += 1;
    if (step.action === "dedupe") summary.deduplicated += 1;
    if (step.action === "replace" && step.step !== "upload") {
      const id = `${step.team}/${step.key}`;
      replaces.set(id, [...(replaces.get(id) ?? []), step]);
    }
  }
  for (const done of replaces.values()) {
    if (done.length === 2) summary.replaced += 1;
    else summary.halfReplaced += 1;
  }
  return summary;
}
