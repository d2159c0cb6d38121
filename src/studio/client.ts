// The Studio jobs API client: typed calls over one keep-alive undici dispatcher,
// a timeout on every request, and retries only where a second try cannot do harm.

import { Agent, FormData, request, type Dispatcher } from "undici";
import { RemoteError, UsageError } from "../errors.js";
import { backoffDelay, isNotSentError, isTransientError, parseRetryAfter, RETRYABLE_STATUSES } from "./retry.js";
import type { Cluster, JobInput, JobOutput, UploadedFile } from "./types.js";

export interface StudioClientOptions {
  /** Studio's base URL, without `/api`. */
  url: string;
  token: string;
  /** Injected transport; by default one keep-alive Agent owned by the client. */
  dispatcher?: Dispatcher;
  /** How long to wait for a reply to start, and for each next part of it (connecting has its own 10 s). */
  timeoutMs?: number;
  /** Further tries after the first, for calls that may be retried. */
  retries?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** The longest Retry-After we are willing to wait; past it the 429 is reported. */
  maxRetryAfterMs?: number;
  /** The first `limit` listAllJobs asks for, and the largest it will ask for before failing. */
  listLimit?: { initial: number; ceiling: number };
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each retry, for --verbose diagnostics. Never given the token. */
  onRetry?: (event: { method: string; path: string; attempt: number; delayMs: number; reason: string }) => void;
}

export interface ListJobsQuery {
  status?: string;
  limit?: number;
  jobId?: string;
}

export interface StudioClient {
  readonly url: string;
  listJobs(team: string, query?: ListJobsQuery): Promise<JobOutput[]>;
  /**
   * Every job of the team matching `status`: never a possibly-truncated reply. `keep` drops
   * records the caller has no use for as soon as each reply is read, to hold less in memory.
   */
  listAllJobs(team: string, query?: { status?: string; keep?: (job: JobOutput) => boolean }): Promise<JobOutput[]>;
  /** Not retried after an ambiguous failure: the caller must look before trying again. */
  createJob(input: JobInput): Promise<JobOutput>;
  cancelJob(team: string, jobId: string): Promise<string>;
  uploadFile(team: string, filename: string, content: Uint8Array): Promise<UploadedFile>;
  listClusters(team?: string): Promise<Cluster[]>;
  close(): Promise<void>;
}

/** How a call may be retried. `always`: idempotent. `unsent`: only when the server surely did not act. */
type RetryMode = "always" | "unsent";

interface CallSpec {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: () => FormData;
  retry: RetryMode;
}

const API_PREFIX = "/api";

export function createStudioClient(options: StudioClientOptions): StudioClient {
  const base = new URL(options.url);
  const basePath = base.pathname.replace(/\/+$/, "");
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 64 });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 5;
  const backoff = options.backoff ?? { baseMs: 200, maxMs: 5_000 };
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  // Asking for many costs nothing when a team has few, and every extra ask re-sends all:
  // nearly every team fits the first ask; a huge one costs one more, 4 times larger.
  const listLimit = options.listLimit ?? { initial: 250_000, ceiling: 1_000_000 };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const authorization = `Bearer ${options.token}`;

  async function call<T>(spec: CallSpec): Promise<T> {
    const path = `${basePath}${API_PREFIX}${spec.path}`;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) search.set(key, String(value));
    }
    const pathWithQuery = search.size > 0 ? `${path}?${search.toString()}` : path;
    // Errors show the path without the query: team names are fine, but keep messages short.
    const shownPath = `${API_PREFIX}${spec.path}`;

    for (let attempt = 0; ; attempt++) {
      let reply: Dispatcher.ResponseData;
      try {
        const headers: Record<string, string> = { authorization, accept: "application/json" };
        let body: string | FormData | undefined;
        if (spec.json !== undefined) {
          headers["content-type"] = "application/json";
          body = JSON.stringify(spec.json);
        } else if (spec.form !== undefined) {
          body = spec.form();
        }
        reply = await request(new URL(pathWithQuery, base.origin), {
          method: spec.method,
          headers,
          body,
          dispatcher,
          // No reply within timeoutMs, or a reply that stalls that long between chunks, is a
          // timeout; a large listing that keeps arriving is not cut off half-way.
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (cause) {
        const retryable = spec.retry === "always" ? isTransientError(cause) : isNotSentError(cause);
        if (retryable && attempt < retries) {
          const delayMs = backoffDelay(attempt, backoff, random);
          options.onRetry?.({ method: spec.method, path: shownPath, attempt: attempt + 1, delayMs, reason: describe(cause) });
          await sleep(delayMs);
          continue;
        }
        throw new RemoteError({ method: spec.method, path: shownPath, status: undefined, cause });
      }

      let text: string;
      try {
        // Decoding chunk by chunk as they arrive is about twice as fast as body.text() on a
        // listing of 100,000 jobs, and never holds the whole body twice.
        const decoder = new TextDecoder("utf-8");
        text = "";
        for await (const chunk of reply.body) text += decoder.decode(chunk as Buffer, { stream: true });
        text += decoder.decode();
      } catch (cause) {
        // The headers came but the body did not: the server acted, for all we know.
        if (spec.retry === "always" && attempt < retries) {
          const delayMs = backoffDelay(attempt, backoff, random);
          options.onRetry?.({ method: spec.method, path: shownPath, attempt: attempt + 1, delayMs, reason: describe(cause) });
          await sleep(delayMs);
          continue;
        }
        throw new RemoteError({ method: spec.method, path: shownPath, status: undefined, cause });
      }

      const status = reply.statusCode;
      if (status >= 200 && status < 300) {
        try {
          return JSON.parse(text) as T;
        } catch (cause) {
          throw new RemoteError({
            method: spec.method,
            path: shownPath,
            status,
            studioMessage: "the reply is not JSON",
            cause,
          });
        }
      }

      const studioMessage = readMessage(text);
      // A 429 is refused before the server acts, so any call may be sent again after it.
      const retryable = status === 429 || (spec.retry === "always" && RETRYABLE_STATUSES.has(status));
      if (retryable && attempt < retries) {
        const retryAfter = status === 429 ? parseRetryAfter(headerValue(reply.headers["retry-after"]), Date.now()) : undefined;
        if (retryAfter === undefined || retryAfter <= maxRetryAfterMs) {
          const delayMs = retryAfter ?? backoffDelay(attempt, backoff, random);
          options.onRetry?.({ method: spec.method, path: shownPath, attempt: attempt + 1, delayMs, reason: String(status) });
          await sleep(delayMs);
          continue;
        }
      }
      throw new RemoteError({ method: spec.method, path: shownPath, status, studioMessage });
    }
  }

  async function listJobs(team: string, query: ListJobsQuery = {}): Promise<JobOutput[]> {
    const reply = await call<{ jobs?: JobOutput[] } | JobOutput[]>({
      method: "GET",
      path: "/datachain/jobs/",
      query: { team_name: team, status: query.status, limit: query.limit, job_id: query.jobId },
      retry: "always",
    });
    const jobs = Array.isArray(reply) ? reply : reply.jobs;
    if (!Array.isArray(jobs)) {
      throw new RemoteError({
        method: "GET",
        path: `${API_PREFIX}/datachain/jobs/`,
        status: 200,
        studioMessage: "the reply has no list of jobs",
      });
    }
    return jobs;
  }

  return {
    url: options.url,
    listJobs,

    async listAllJobs(team, query = {}) {
      // Listing has no cursor: a reply of exactly `limit` items may have been cut,
      // so ask again with a larger limit until the reply is shorter than asked.
      for (let limit = listLimit.initial; ; limit = Math.min(limit * 4, listLimit.ceiling)) {
        const jobs = await listJobs(team, { ...(query.status === undefined ? {} : { status: query.status }), limit });
        if (jobs.length < limit) return query.keep === undefined ? jobs : jobs.filter(query.keep);
        if (limit >= listLimit.ceiling) {
          throw new RemoteError({
            method: "GET",
            path: `${API_PREFIX}/datachain/jobs/`,
            status: 200,
            studioMessage: `team ${team} has at least ${limit} jobs, the most this tool will list; the listing may be incomplete, so nothing was planned`,
            hint: "If the team really has that many records, raise STUDIO_JOBS_MAX_LISTED (default 1000000).",
          });
        }
      }
    },

    createJob(input) {
      return call<JobOutput>({ method: "POST", path: "/datachain/jobs/", json: input, retry: "unsent" });
    },

    async cancelJob(team, jobId) {
      const reply = await call<{ message?: string }>({
        method: "POST",
        path: `/datachain/jobs/${encodeURIComponent(jobId)}/cancel`,
        json: { team_name: team },
        retry: "always",
      });
      return reply.message ?? "";
    },

    uploadFile(team, filename, content) {
      return call<UploadedFile>({
        method: "POST",
        path: "/datachain/jobs/files",
        query: { team_name: team },
        form: () => {
          const form = new FormData();
          form.set("file", new Blob([content]), filename);
          return form;
        },
        // A second upload of the same bytes only leaves an unused copy behind.
        retry: "always",
      });
    },

    async listClusters(team) {
      const reply = await call<Cluster[] | { clusters?: Cluster[] }>({
        method: "GET",
        path: "/datachain/clusters/",
        query: { team_name: team },
        retry: "always",
      });
      return Array.isArray(reply) ? reply : (reply.clusters ?? []);
    },

    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === "object" && "message" in parsed) {
      const message = parsed.message;
      if (typeof message === "string") return message;
    }
  } catch {
    // not JSON: fall through to the raw text, shortened
  }
  const trimmed = text.trim();
  return trimmed === "" ? undefined : trimmed.slice(0, 200);
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? code : cause.message;
  }
  return String(cause);
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Refuse plain http:// to anything but this machine: the token would travel in clear text. */
export function checkStudioUrl(raw: string, insecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`Studio URL "${raw}" is not a valid URL.`, "Give a URL such as https://studio.datachain.ai.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`Studio URL "${raw}" must start with https:// or http://.`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !insecure) {
    throw new UsageError(
      `Refusing plain http:// to ${url.hostname}: the token would be sent unencrypted.`,
      "Use https://, or pass --insecure if you really mean it.",
    );
  }
  return url;
}
