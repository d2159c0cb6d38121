// Turn global flags + environment + datachain config into a Studio client.

import { setFlagsFromString } from "node:v8";
import { UsageError } from "../errors.js";
import { printable, quoted } from "../invisible.js";
import { MAX_TIMEOUT_MS } from "../studio/call.js";
import { createStudioClient, MAX_REPLY_BYTES_LIMIT, type RetryEvent, type StudioClient } from "../studio/client.js";
import { proxyFor } from "../studio/proxy.js";
import { checkStudioUrl, studioBase } from "../studio/url.js";
import { urlSecrets } from "../url-credentials.js";
import { formatDuration } from "../studio/reply-text.js";
import { refusedTokenHint, resolveConnection, type ConnectionSettings } from "../studio/config.js";
import { isFullTerminal, waitsOf, type CliIo } from "./io.js";

export interface GlobalOptions {
  url?: string;
  token?: string;
  team?: string;
  color: boolean;
  verbose: boolean;
  insecure: boolean;
  timeout?: string;
}

export interface Connection {
  client: StudioClient;
  /** The team from --team / DATACHAIN_STUDIO_TEAM / config, used when the spec names none. */
  team: string | undefined;
}

/**
 * STUDIO_JOBS_MAX_LISTED: the most records of one team the tool will list before it
 * refuses to plan (default 1,000,000). A listing that reaches it may be incomplete.
 */
function listLimitFrom(env: NodeJS.ProcessEnv): { listLimit?: { initial: number; ceiling: number } } {
  const raw = env["STUDIO_JOBS_MAX_LISTED"];
  if (raw === undefined || raw === "") return {};
  const ceiling = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(ceiling) || ceiling < 1) {
    throw new UsageError(
      `STUDIO_JOBS_MAX_LISTED must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, written in digits, got ${quoted(raw)}.`,
    );
  }
  return { listLimit: { initial: Math.min(250_000, ceiling), ceiling } };
}

/**
 * A number as a person writes one: digits, with a decimal point or not. Number() takes
 * `0x10`, `1e1` and `0b11` too, which a deadline written so was read as, unsaid.
 */
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

function positiveNumber(name: string, raw: string): number {
  const written = raw.trim();
  const value = Number(written);
  if (!DECIMAL.test(written) || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`${name} must be a number greater than 0, written in digits (such as 90 or 2.5), got ${quoted(raw)}.`);
  return value;
}

/** The longest deadline a Node timer holds, in whole seconds. */
const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMEOUT_MS / 1000);

/** A deadline in seconds, as milliseconds a timer can hold. */
function timeoutMs(name: string, raw: string): number {
  const seconds = positiveNumber(name, raw);
  if (seconds > MAX_TIMEOUT_SECONDS) {
    throw new UsageError(`${name} can be at most ${MAX_TIMEOUT_SECONDS} seconds (about 24 days), got ${quoted(raw)}.`);
  }
  return Math.ceil(seconds * 1000);
}

/**
 * The deadline of one request (--timeout, else STUDIO_JOBS_TIMEOUT, in seconds; default 60)
 * and the largest listing read (STUDIO_JOBS_MAX_REPLY_MB, in MiB; default 500).
 */
function limitsFrom(globals: GlobalOptions, env: NodeJS.ProcessEnv): { timeoutMs?: number; maxReplyBytes?: number } {
  const limits: { timeoutMs?: number; maxReplyBytes?: number } = {};
  const envTimeout = env["STUDIO_JOBS_TIMEOUT"];
  if (globals.timeout !== undefined) limits.timeoutMs = timeoutMs("--timeout", globals.timeout);
  else if (envTimeout !== undefined && envTimeout !== "") limits.timeoutMs = timeoutMs("STUDIO_JOBS_TIMEOUT", envTimeout);
  const maxReply = env["STUDIO_JOBS_MAX_REPLY_MB"];
  if (maxReply !== undefined && maxReply !== "") {
    limits.maxReplyBytes = Math.ceil(positiveNumber("STUDIO_JOBS_MAX_REPLY_MB", maxReply) * 1024 * 1024);
    if (limits.maxReplyBytes > MAX_REPLY_BYTES_LIMIT) {
      throw new UsageError(
        `STUDIO_JOBS_MAX_REPLY_MB can be at most ${MAX_REPLY_BYTES_LIMIT / 1024 / 1024}, got ${quoted(maxReply)}: a reply is read into one string, which holds less than 512 MiB.`,
      );
    }
  }
  return limits;
}

/**
 * From how long a wait between tries is said without --verbose. The client's own backoff
 * stays under it (at most 3.2 s by default): a passing fault is got past quietly. A longer
 * wait is mostly Studio's Retry-After, and a command silent for minutes looks hung.
 */
const ANNOUNCED_WAIT_MS = 5_000;

/**
 * Every retry with --verbose; otherwise a long wait, in one line: what, why, how long, which
 * try. After a 429 every request waits out the same pause (see docs/architecture.md, "Rate
 * limits"): said when it begins, not again for each request turned away during it.
 */
function announceRetry(event: RetryEvent, verbose: boolean, io: CliIo): void {
  // On a terminal apply keeps a live progress line without a newline: cleared first, so
  // that this line stands on its own; the progress line is drawn again at its next step.
  const clear = isFullTerminal(io.stderr, io.env) ? "\r\x1b[2K" : "";
  if (verbose) {
    io.stderr.write(`${clear}retry ${event.attempt}: [${event.method}] ${event.path} after ${event.reason}, waiting ${event.delayMs} ms\n`);
    return;
  }
  if (event.delayMs < ANNOUNCED_WAIT_MS || event.joinsWait) return;
  const why =
    event.status === undefined
      ? printable(event.reason)
      : `Studio answered ${event.status}${event.retryAfter ? " and asked to wait (Retry-After)" : ""}`;
  const which =
    event.withinMs === undefined
      ? `try ${event.attempt + 1} of ${event.tries}`
      : `try ${event.attempt + 1}, trying for up to ${formatDuration(event.withinMs)} in all`;
  io.stderr.write(`${clear}${event.request}: ${why}; waiting ${formatDuration(event.delayMs)} before ${which}.\n`);
}

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it at once with its
 * baseline compiler, then, once the parser has run enough, again in the background with its
 * optimizing one: about 100 ms of a core, which a process that is done must still wait out
 * before it can exit (every plan ended that much later). The baseline code is fast enough
 * for what the tool parses: headers and chunk framing; llhttp does not scan a body byte by
 * byte. So the budget that starts the optimizing compile is set past what a command spends.
 * Not --liftoff-only, which would make any fallback from the baseline compiler (a CPU
 * without the SIMD it needs) a fatal error. Set before the first connection, when undici
 * compiles its parser; here in the command line, not in the client, because it holds for
 * the whole process. See docs/architecture.md, "Performance".
 */
function skipOptimizingHttpParser(): void {
  setFlagsFromString("--wasm-tiering-budget=2000000000");
}

/** `settings`, when the caller has resolved them already, saves reading the config files again. */
export async function connect(globals: GlobalOptions, io: CliIo, resolved?: ConnectionSettings): Promise<Connection> {
  const settings = resolved ?? (await resolveConnection(globals, io.env, io.cwd));
  io.secrets?.addSecret(settings.token, { header: true });
  for (const secret of urlSecrets(settings.url)) io.secrets?.addSecret(secret);
  const limits = limitsFrom(globals, io.env);
  const studioUrl = checkStudioUrl(settings.url, globals.insecure, settings.sources.url);
  const proxy = proxyFor(studioUrl, io.env);
  // The proxy's password, like the token, is never shown; it travels in a header (Proxy-Authorization).
  for (const secret of proxy?.secrets ?? []) io.secrets?.addSecret(secret, { header: true });
  if (settings.token === undefined) {
    throw new UsageError(
      "No Studio token.",
      "Pass --token, set DATACHAIN_STUDIO_TOKEN, or run `datachain auth login`. For the local emulator the token is dev-token.",
    );
  }
  if (globals.verbose) {
    // As parsed, not as written: a control character in a path is percent-encoded, never sent to the terminal.
    io.stderr.write(`studio: ${studioBase(studioUrl)} (url from ${settings.sources.url}, token from ${settings.sources.token})\n`);
    if (proxy !== undefined) io.stderr.write(`proxy: ${proxy.shown} (from ${proxy.from})\n`);
  }
  skipOptimizingHttpParser();
  const client = createStudioClient({
    url: settings.url,
    token: settings.token,
    proxy,
    ...listLimitFrom(io.env),
    ...limits,
    signal: io.signal,
    ...waitsOf(io),
    ...(io.secrets === undefined ? {} : { redactor: io.secrets.quoted }),
    ...(io.now === undefined ? {} : { now: io.now }),
    onRetry: (e) => announceRetry(e, globals.verbose, io),
    refusedTokenHint: refusedTokenHint(settings.sources.token, io.env, io.cwd),
    ...(io.env.NODE_EXTRA_CA_CERTS === undefined ? {} : { extraCaCerts: io.env.NODE_EXTRA_CA_CERTS }),
  });
  return { client, team: settings.team };
}
