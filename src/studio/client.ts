// The Studio jobs API client: typed calls over one keep-alive undici dispatcher, an
// overall deadline and a size cap on every request, retries only where a second try
// cannot do harm, and every reply checked against the wire types (wire.ts) before it is
// returned. Nothing a server says reaches an error message unredacted. Here: the client's
// options and its public calls; how a call is tried and retried is in call.ts, how a reply
// is read in reply-body.ts, and the error a call that did not succeed ends with in
// call-errors.ts.

import { RemoteError, StudioJobsError, UsageError } from "../errors.js";
import { createRedactor, type Redactor } from "../redact.js";
import { urlSecrets } from "../url-credentials.js";
import { createCall, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, type CallSpec, type RetryEvent } from "./call.js";
import { Agent, createProxyAgent, loadFormData, localhostLookup, type Dispatcher } from "./http.js";
import type { ProxySetting } from "./proxy.js";
import type { Cluster, JobInput, JobOutput, UploadReply } from "./types.js";
import { createJobListStream, createWholeReplyStream, type JobList } from "./stream-parse.js";
import { readActionFeedback, readClusterList, readJob, readUploadReply, type ListingOptions } from "./wire.js";
import { checkToken } from "./token.js";
import { API_PREFIX, checkStudioUrl } from "./url.js";

export { DEFAULT_TIMEOUT_MS, type RetryEvent } from "./call.js";

const MIB = 1024 * 1024;
/**
 * The largest listing read: room for some 500,000 typical records. A bare array is parsed
 * as it streams and never held whole, but the older {"jobs": [...]} form is read into one
 * string, and a JavaScript string holds at most about 512 MiB.
 */
export const DEFAULT_MAX_REPLY_BYTES = 500 * MIB;
/** The most a reply may be allowed to be: one string holds under 512 MiB. */
export const MAX_REPLY_BYTES_LIMIT = 511 * MIB;
/** A single job, cluster list or acknowledgement is small; a reply larger than this is not Studio's. */
const MAX_SMALL_REPLY_BYTES = 16 * MIB;
/** How many jobs Studio lists when asked without `limit`. */
const STUDIO_DEFAULT_LIMIT = 20;

export interface StudioClientOptions {
  /** Studio's base URL, without `/api`. */
  url: string;
  token: string;
  /** Injected transport; by default one keep-alive Agent owned by the client. */
  dispatcher?: Dispatcher;
  /** The proxy to reach Studio through (`proxyFor`); not with `dispatcher`. */
  proxy?: ProxySetting | undefined;
  /** The most one request may take, from sending it to the last byte of the reply (default 60 s). Not retried when hit. */
  timeoutMs?: number;
  /** The largest listing reply read, in bytes (default 500 MiB); other replies are capped lower. */
  maxReplyBytes?: number;
  /** Further tries after the first, for calls that may be retried. */
  retries?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** The longest Retry-After we are willing to wait; past it the 429 is reported. */
  maxRetryAfterMs?: number;
  /** The first `limit` listAllJobs asks for, and the largest it will ask for before failing. */
  listLimit?: { initial: number; ceiling: number };
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** The clock: how long a call's tries took, and what a Retry-After date means (Date.now by default). */
  now?: () => number;
  /** Called before each retry, to say so: the CLI announces long waits, and every retry with --verbose. Never given the token. */
  onRetry?: (event: RetryEvent) => void;
  /**
   * Aborted when the command must stop (SIGINT/SIGTERM): no request starts after it, a read
   * in flight is dropped at once, and a write in flight gets `writeGraceMs` (default 1 s)
   * to come back, so that its outcome is known more often.
   */
  signal?: AbortSignal;
  writeGraceMs?: number;
  /**
   * Hides known secrets in what Studio says, before it goes into an error: one that knows the
   * token (the CLI's, the run's `quoted` view). Without it the client hides the token, the
   * URL's password and the proxy's itself.
   */
  redactor?: Pick<Redactor, "redact" | "redactHead">;
  /** The hint an error of a refused token (401) gets: how to mend it where it came from (the CLI's `refusedTokenHint`); never the token. */
  refusedTokenHint?: string;
  /** The NODE_EXTRA_CA_CERTS this process started with, for the hint of an untrusted certificate. */
  extraCaCerts?: string;
}

export interface ListJobsQuery {
  status?: string;
  limit?: number;
  jobId?: string;
}

export interface ListAllJobsQuery {
  status?: string;
  keep?: (job: JobOutput) => boolean;
  stack?: string;
}

export interface StudioClient {
  readonly url: string;
  listJobs(team: string, query?: ListJobsQuery): Promise<JobOutput[]>;
  /**
   * Every job of the team matching `status`: never a possibly-truncated reply. `keep` drops
   * records the caller has no use for as soon as each reply is read, to hold less in memory.
   * `stack`: the stack the caller acts for, whose records alone have their markers checked
   * (ListingOptions in wire.ts).
   */
  listAllJobs(team: string, query?: ListAllJobsQuery): Promise<JobOutput[]>;
  /**
   * Not retried after an ambiguous failure: the caller must look before trying again.
   * `finishing`: the second half of a step under way (a cancel-first replacement's create),
   * sent even after a stop request, within the grace period writes in flight get.
   */
  createJob(input: JobInput, options?: { finishing?: boolean }): Promise<JobOutput>;
  cancelJob(team: string, jobId: string): Promise<string>;
  uploadFile(team: string, filename: string, content: Uint8Array): Promise<UploadReply>;
  listClusters(team?: string): Promise<Cluster[]>;
  /**
   * Closes the client's connections, once however often it is called. Requests in flight are
   * waited for; with `abort`, they fail at once instead: a command that stops on an error of
   * its own (a spec problem found while Studio was being listed) does not wait for a listing
   * it will not read. A dispatcher the caller gave is left to the caller.
   */
  close(options?: { abort?: boolean }): Promise<void>;
}

/** A whole number of at least `least`, as an option of the library's caller must be: JavaScript callers have no type checks. */
function checkWhole(name: string, value: unknown, least: number, optional = true): void {
  if ((optional && value === undefined) || (Number.isSafeInteger(value) && (value as number) >= least)) return;
  const shown = typeof value === "number" ? String(value) : `${typeof value} ${JSON.stringify(value) ?? ""}`.trim();
  throw new UsageError(`createStudioClient: ${name} must be a whole number of at least ${least}, not ${shown}.`);
}

/**
 * What a library caller gives, checked before anything is sent: the command line checks its
 * own flags first, so these are for callers without type checks. Never says the token.
 */
function checkClientOptions(options: StudioClientOptions): URL {
  if (typeof options !== "object" || options === null) throw new UsageError("createStudioClient needs its options: { url, token }.");
  if (typeof options.url !== "string")
    throw new UsageError(
      `createStudioClient: options.url must be Studio's URL as a string, such as https://studio.datachain.ai, not ${typeof options.url}.`,
    );
  // As the command line checks --url, except plain http:// to another machine, which is the caller's choice.
  const base = checkStudioUrl(options.url, true);
  if (typeof options.token !== "string")
    throw new UsageError(`createStudioClient: options.token must be a string, not ${typeof options.token}.`);
  checkToken(options.token, "the client's options");
  checkWhole("maxReplyBytes", options.maxReplyBytes, 1);
  checkWhole("retries", options.retries, 0);
  checkWhole("writeGraceMs", options.writeGraceMs, 0);
  const { listLimit } = options;
  if (listLimit !== undefined) {
    checkWhole("listLimit.initial", listLimit.initial, 1, false);
    checkWhole("listLimit.ceiling", listLimit.ceiling, listLimit.initial, false);
  }
  const { signal } = options;
  if (signal !== undefined && (typeof signal?.addEventListener !== "function" || typeof signal.aborted !== "boolean"))
    throw new UsageError("createStudioClient: options.signal must be an AbortSignal (an AbortController's signal).");
  return base;
}

/**
 * For a caller that gave no redactor (a library caller, who has no way to make one): the
 * secrets the client itself holds, hidden in what a server says. Without it a server that
 * quotes the request (its Authorization header) put the token into the error's message.
 */
function ownRedactor(options: StudioClientOptions): Pick<Redactor, "redact" | "redactHead"> {
  const redactor = createRedactor();
  redactor.addSecret(options.token, { header: true });
  for (const secret of urlSecrets(options.url)) redactor.addSecret(secret);
  for (const secret of options.proxy?.secrets ?? []) redactor.addSecret(secret, { header: true });
  return redactor.quoted;
}

export function createStudioClient(options: StudioClientOptions): StudioClient {
  const base = checkClientOptions(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The CLI checks --timeout so; a library caller's deadline past a timer's reach would end every request at once.
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new UsageError(`timeoutMs must be more than 0 and at most ${MAX_TIMEOUT_MS} (what a timer holds), not ${String(timeoutMs)}.`);
  }
  const ownsDispatcher = options.dispatcher === undefined;
  const agentOptions = { keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 64 };
  const { proxy } = options;
  const dispatcher =
    options.dispatcher ??
    // Through a proxy, each connection to Studio is a tunnel (CONNECT) the proxy opens.
    (proxy === undefined
      ? new Agent({ ...agentOptions, connect: { lookup: localhostLookup } })
      : createProxyAgent({
          ...agentOptions,
          uri: proxy.url,
          ...(proxy.authorization === undefined ? {} : { token: proxy.authorization }),
        }));
  const maxReplyBytes = Math.min(options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES, MAX_REPLY_BYTES_LIMIT);
  // Asking for many costs nothing when a team has few, and every extra ask re-sends all:
  // nearly every team fits the first ask; a huge one costs one more, 4 times larger.
  const listLimit = options.listLimit ?? { initial: 250_000, ceiling: 1_000_000 };
  const hide = options.redactor ?? ownRedactor(options);
  const callStudio = createCall({
    dispatcher,
    authorization: `Bearer ${options.token}`,
    origin: base.origin,
    basePath: base.pathname.replace(/\/+$/, ""),
    proxy:
      proxy === undefined
        ? undefined
        : { shown: proxy.shown, from: proxy.from, credentials: proxy.authorization !== undefined, tls: proxy.url.startsWith("https:") },
    refusedTokenHint: options.refusedTokenHint,
    extraCaCerts: options.extraCaCerts,
    timeoutMs,
    retries: options.retries ?? 5,
    backoff: options.backoff ?? { baseMs: 200, maxMs: 5_000 },
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    sleep: options.sleep,
    onRetry: options.onRetry,
    stop: options.signal,
    writeGraceMs: options.writeGraceMs ?? 1_000,
    redact: hide.redact,
    redactHead: hide.redactHead,
  });
  let closed: Promise<void> | undefined;
  // After close() undici would fail the request as "no reply: the client is destroyed", with a hint to check the URL.
  const call = <T>(spec: CallSpec<T>): Promise<T> =>
    closed === undefined
      ? callStudio(spec)
      : Promise.reject(
          new UsageError(
            `${spec.method} ${API_PREFIX}${spec.path} was not sent: the client is closed (close() was called).`,
            "Send every request before closing the client, or create another client.",
          ),
        );

  /** One listing, read as it streams: only the records `keep` wants are held. */
  async function listJobs(team: string, query: ListJobsQuery = {}, reading: Omit<ListingOptions, "team"> = {}): Promise<JobList> {
    return call({
      method: "GET",
      path: "/datachain/jobs/",
      query: { team_name: team, status: query.status, limit: query.limit, job_id: query.jobId },
      retry: "always",
      reply: () => createJobListStream({ team, ...reading }),
      maxBytes: maxReplyBytes,
    });
  }

  /**
   * A reply of exactly Studio's default length, to a larger limit, is what a Studio (or
   * something between) that ignores `limit` answers for any team: asked for one fewer, it
   * must list fewer, or no listing of the team can be known complete.
   */
  async function checkLimitApplied(team: string, status: string | undefined): Promise<void> {
    const asked = STUDIO_DEFAULT_LIMIT - 1;
    const { received } = await listJobs(team, { ...(status === undefined ? {} : { status }), limit: asked }, { keep: () => false });
    if (received <= asked) return;
    throw new RemoteError({
      method: "GET",
      path: `${API_PREFIX}/datachain/jobs/`,
      status: 200,
      studioMessage: `team ${team} listed ${received} jobs when asked for at most ${asked}: the listing's limit is not applied, so a listing of ${STUDIO_DEFAULT_LIMIT} (the default length) may be cut short`,
      hint: "studio-jobs acts on nothing it cannot read, so it stopped here. Check that nothing between you and Studio drops the query's limit parameter; if it happens again, please report it.",
    });
  }

  const small = Math.min(maxReplyBytes, MAX_SMALL_REPLY_BYTES);

  return {
    url: options.url,
    listJobs: async (team, query) => (await listJobs(team, query)).jobs,

    async listAllJobs(team, query = {}) {
      // Listing has no cursor: a reply of exactly `limit` items may have been cut,
      // so ask again with a larger limit until the reply is shorter than asked.
      let before = 0;
      let askedBefore = 0;
      for (let limit = listLimit.initial; ; limit = Math.min(limit * 4, listLimit.ceiling)) {
        const { jobs, received } = await listJobs(
          team,
          { ...(query.status === undefined ? {} : { status: query.status }), limit },
          { ...(query.keep === undefined ? {} : { keep: query.keep }), ...(query.stack === undefined ? {} : { stack: query.stack }) },
        );
        // Studio deletes no job: a larger limit gives at least the records a smaller one did.
        // Fewer is a listing cut short some other way, which would pass for complete. Not so
        // under a status filter: a job leaves it when its status moves on (RUNNING, COMPLETE).
        if (received < before && query.status === undefined) {
          throw new RemoteError({
            method: "GET",
            path: `${API_PREFIX}/datachain/jobs/`,
            status: 200,
            studioMessage: `team ${team} listed ${before} jobs when asked for ${askedBefore}, then ${received} when asked for ${limit}; a listing that shrinks may be incomplete`,
            hint: "studio-jobs acts on nothing it cannot read, so it stopped here. Run it again; if it happens again, please report it.",
          });
        }
        if (received < limit) {
          if (received === STUDIO_DEFAULT_LIMIT && limit > STUDIO_DEFAULT_LIMIT) await checkLimitApplied(team, query.status);
          return jobs;
        }
        before = received;
        askedBefore = limit;
        if (limit >= listLimit.ceiling) {
          throw new RemoteError({
            method: "GET",
            path: `${API_PREFIX}/datachain/jobs/`,
            status: 200,
            studioMessage: `team ${team} has at least ${limit} jobs, the most this tool will list; the listing may be incomplete`,
            hint: "If the team really has that many records, raise STUDIO_JOBS_MAX_LISTED (default 1000000).",
          });
        }
      }
    },

    createJob(input, createOptions = {}) {
      return call({
        method: "POST",
        path: "/datachain/jobs/",
        json: input,
        retry: "unsent",
        reply: () => createWholeReplyStream(readJob),
        maxBytes: small,
        finishing: createOptions.finishing === true,
      });
    },

    cancelJob(team, jobId) {
      // "." and ".." are not escaped by encodeURIComponent, and as path segments they would
      // send the cancel to another endpoint (/jobs/../cancel). No Studio job has such an id.
      if (jobId === "." || jobId === "..") {
        return Promise.reject(
          new StudioJobsError("BAD_JOB_ID", `refusing to cancel a job with the id ${JSON.stringify(jobId)}: it is not a job id`),
        );
      }
      return call({
        method: "POST",
        path: `/datachain/jobs/${encodeURIComponent(jobId)}/cancel`,
        json: { team_name: team },
        retry: "always",
        reply: () => createWholeReplyStream(readActionFeedback),
        maxBytes: small,
      });
    },

    uploadFile(team, filename, content) {
      return call({
        method: "POST",
        path: "/datachain/jobs/files",
        query: { team_name: team },
        form: () => {
          const form = new (loadFormData())();
          form.set("file", new Blob([content]), filename);
          return form;
        },
        // A second upload of the same bytes only leaves an unused copy behind.
        retry: "always",
        reply: () => createWholeReplyStream((body) => readUploadReply(body, content.byteLength)),
        maxBytes: small,
      });
    },

    listClusters(team) {
      return call({
        method: "GET",
        path: "/datachain/clusters/",
        query: { team_name: team },
        retry: "always",
        reply: () => createWholeReplyStream(readClusterList),
        maxBytes: small,
      });
    },

    close(closeOptions = {}) {
      // Once: undici rejects a second close of its dispatcher, and a caller's finally may close again.
      if (!ownsDispatcher) closed ??= Promise.resolve();
      else if (closeOptions.abort === true) closed ??= dispatcher.destroy();
      // A request still waiting for a connection its try gave up on (a tunnel never opened) would hold a graceful close as long:
      // once the tries under way have ended (writes in flight included), such a request is cut off.
      else closed ??= callStudio.leftBehind().then((left) => (left ? dispatcher.destroy() : dispatcher.close()));
      return closed;
    },
  };
}
