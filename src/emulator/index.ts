// startEmulator: a local Studio jobs API, in-process or behind `studio-jobs emulator`.

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { decodeText, describeTextProblem, placeInText } from "../desired/decode-text.js";
import { formatPath, type DocPath } from "../desired/yaml-source.js";
import { UsageError } from "../errors.js";
import { isTeamName, TEAM_NAME_RULE } from "../studio/team-name.js";
import { isLoopbackAddress } from "../studio/url.js";
import type { Cluster } from "../studio/types.js";
import { readClusterList } from "../studio/wire.js";
import { DEFAULT_GRANTS, DEFAULT_TOKEN, type Scope, type TokenGrant } from "./auth.js";
import { createSystemClock, type AdjustableClock } from "./clock.js";
import { FaultInjector, type FaultSettings } from "./faults.js";
import { openJournal, type Journal } from "./journal.js";
import { JsonSyntaxError, parseLocatedJson, type LocatedJson } from "./located-json.js";
import { createRequestHandler, DEFAULT_BODY_LIMITS, refuseExpectation, type BodyLimits } from "./server.js";
import { DEFAULT_CLUSTERS, EmulatorStore } from "./store.js";

export interface EmulatorConfig {
  /** A token without a `user` creates jobs as "dev". */
  tokens?: (Omit<TokenGrant, "user"> & { user?: string })[];
  clusters?: Cluster[];
}

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Journal file; without it the emulator keeps everything in memory. */
  data?: string;
  /** Tokens and clusters, or the path of a JSON file holding them. */
  config?: EmulatorConfig | string;
  /** Enable the /_emulator/ test hooks. */
  admin?: boolean;
  clock?: AdjustableClock;
  faults?: Partial<FaultSettings>;
  /** Request bodies larger than these are refused with 413 before they are read (16 MiB JSON; an upload, a file of 64 MiB in its multipart envelope). */
  limits?: Partial<BodyLimits>;
  /** A connection that sends nothing this long after it opened is closed (60 s). */
  silentConnectionMs?: number;
}

export interface RunningEmulator {
  url: string;
  store: EmulatorStore;
  faults: FaultInjector;
  clock: AdjustableClock;
  /** Requests received on /api, by `METHOD path` (cancel paths as `/jobs/{id}/cancel`). */
  requests: Map<string, number>;
  /** What the start mended in the journal, for the user to be told. */
  warnings: readonly string[];
  close(): Promise<void>;
}

const SCOPES: readonly Scope[] = ["JOB_READ", "JOB_WRITE"];

/** What to do when the port cannot be listened on: another process has it, or it is a privileged one. */
function listenHint(error: NodeJS.ErrnoException): string | undefined {
  if (error.code === "EADDRINUSE") return "Another process listens there: stop it, or give another --port (--port 0 picks a free one).";
  if (error.code === "EACCES") return "Ports below 1024 need privileges: give --port 1024 or above (--port 0 picks a free one).";
  if (error.code === "EADDRNOTAVAIL") return "No interface of this machine has that address: give --host 127.0.0.1, or an address it has.";
  return undefined;
}

const CONFIG_HINT = 'Give --config a JSON file of tokens, teams, scopes and clusters (see the README, "The emulator").';
/** The keys of each object, from its type: a field added to the type is a key the config takes, or the build fails. */
const CONFIG_KEYS = Object.keys({ tokens: true, clusters: true } satisfies Record<keyof EmulatorConfig, true>);
const TOKEN_KEYS = Object.keys({ token: true, user: true, teams: true, scopes: true } satisfies Record<keyof TokenGrant, true>);
const CLUSTER_KEYS = Object.keys({
  id: true,
  name: true,
  status: true,
  cloud_provider: true,
  cloud_credentials: true,
  is_active: true,
  default: true,
  max_workers: true,
} satisfies Record<keyof Cluster, true>);

/** What is wrong in a config, and where: the path of the value, or of its key when `key` is set. */
class ConfigProblem extends Error {
  constructor(
    readonly path: DocPath,
    message: string,
    readonly key = false,
  ) {
    super(message);
  }
}

/**
 * The emulator's tokens and clusters: a config object's, or a JSON file's, whose mistakes are
 * said at its file:line:column (docs/architecture.md, "The emulator").
 */
export function loadEmulatorConfig(source: EmulatorConfig | string | undefined): { tokens: TokenGrant[]; clusters: Cluster[] } {
  if (typeof source !== "string") {
    try {
      return checkEmulatorConfig(source === undefined ? {} : source);
    } catch (error) {
      if (error instanceof ConfigProblem) throw new UsageError(`Emulator config: ${error.message}`);
      throw error;
    }
  }
  const text = readConfigText(source);
  let located: LocatedJson;
  try {
    located = parseLocatedJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const what = error.duplicate ? error.message : `the config is not valid JSON: ${error.message}`;
    throw new UsageError(`${placeIn(source, text, error.offset)}: ${what}.`, CONFIG_HINT);
  }
  try {
    return checkEmulatorConfig(located.value);
  } catch (error) {
    if (!(error instanceof ConfigProblem)) throw error;
    throw new UsageError(`${placeIn(source, text, located.offsetOf(error.path, error.key))}: ${error.message}`, CONFIG_HINT);
  }
}

/** `config.json:3:14`. */
function placeIn(file: string, text: string, offset: number): string {
  const { line, column } = placeInText(text, offset);
  return `${file}:${line}:${column}`;
}

/** The text of a config file: UTF-8, a byte order mark dropped. */
function readConfigText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UsageError(`Cannot read emulator config ${file}: ${(error as Error).message}`, CONFIG_HINT);
  }
  const decoded = decodeText(bytes);
  if ("problem" in decoded) throw new UsageError(`Emulator config ${file} ${describeTextProblem(decoded.problem)}.`, CONFIG_HINT);
  return decoded.text;
}

/** A key of the form every config key has (`tokens`, `cloud_credentials`): a typo of one, which is said. */
const KEY_FORM = /^[a-z_]{1,32}$/;
/** Text of the form of scopes (`JOB_READ`, `JOB_READ, JOB_WRITE` written as one): a mistake about them, which is said. */
const SCOPE_FORM = /^[A-Z_]{1,32}(?:[\s,]{1,8}[A-Z_]{1,32}){0,3}$/;
/** Any text: a team name is no secret, and one with a blank or a comma is said as written. */
const TEAM_FORM = /(?:)/;

/**
 * A value of a config as a message says it: a string of `form` quoted as JSON writes it, a
 * number, true, false or null as written; anything else by its kind only. A token written in
 * the wrong place (as a key, in scopes, inside an object there) is no secret the less, and
 * the file:line:column shows it (docs/architecture.md, "The emulator").
 */
function shown(value: unknown, form: RegExp): string {
  if (typeof value === "string") return form.test(value) ? JSON.stringify(value) : "a text not shown here, as it may be a token";
  if (value === null || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  return Array.isArray(value) ? "a list" : "an object";
}

/** The first key of `object` not in `known`, refused: a typo there would change nothing, unsaid. */
function refuseUnknownKey(object: object, path: DocPath, known: readonly string[], what: string): void {
  const unknown = Object.keys(object).find((key) => !known.includes(key));
  if (unknown === undefined) return;
  const named = KEY_FORM.test(unknown)
    ? formatPath([...path, unknown])
    : `a key of ${path.length === 0 ? "the config" : formatPath(path)} (not shown here, as it may be a token)`;
  throw new ConfigProblem(
    [...path, unknown],
    `${named} is not ${what}; give ${known.slice(0, -1).join(", ")} or ${known.at(-1) ?? ""}.`,
    true,
  );
}

/** Where the cluster listing's check found `problem`: the first cluster it refuses alone, and the field it names. */
function clusterPlace(clusters: unknown, problem: string): DocPath {
  if (!Array.isArray(clusters)) return ["clusters"];
  const index = clusters.findIndex((cluster) => {
    try {
      readClusterList([cluster]);
      return false;
    } catch {
      return true;
    }
  });
  if (index === -1) return ["clusters"];
  const field = /field "([a-z_]+)"/.exec(problem)?.[1];
  return field === undefined ? ["clusters", index] : ["clusters", index, field];
}

/** A config of any shape: each part is checked before use, so a mistake is a ConfigProblem that names it, not a TypeError from deep inside. */
function checkEmulatorConfig(config: unknown): { tokens: TokenGrant[]; clusters: Cluster[] } {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigProblem([], "expected a JSON object with tokens and clusters.");
  }
  refuseUnknownKey(config, [], CONFIG_KEYS, "a config key");
  const given = config as EmulatorConfig;
  const tokens = given.tokens ?? [...DEFAULT_GRANTS];
  if (!Array.isArray(tokens)) throw new ConfigProblem(["tokens"], "tokens must be a list.");
  if (tokens.length === 0) throw new ConfigProblem(["tokens"], "tokens is empty, so every call would be refused: give at least one token.");
  // A token is named by its place in the list, never by its text: it is a secret.
  const seen = new Map<string, number>();
  for (const [index, grant] of (tokens as unknown[] as Partial<TokenGrant>[]).entries()) {
    const at: DocPath = ["tokens", index];
    if (grant === null || typeof grant !== "object" || Array.isArray(grant)) {
      throw new ConfigProblem(at, `tokens[${index}] must be an object with token, teams and scopes.`);
    }
    refuseUnknownKey(grant, at, TOKEN_KEYS, "a token's key");
    if (typeof grant.token !== "string" || grant.token === "" || !Array.isArray(grant.teams)) {
      throw new ConfigProblem(at, "every token needs a non-empty token and a list of teams.");
    }
    for (const [place, team] of grant.teams.entries()) {
      if (typeof team !== "string" || !isTeamName(team)) {
        throw new ConfigProblem(
          [...at, "teams", place],
          `tokens[${index}].teams[${place}], ${shown(team, TEAM_FORM)}, must be ${TEAM_NAME_RULE}.`,
        );
      }
    }
    if (grant.teams.length === 0) {
      throw new ConfigProblem([...at, "teams"], `tokens[${index}].teams is empty: give the teams the token may call for.`);
    }
    if (!Array.isArray(grant.scopes))
      throw new ConfigProblem([...at, "scopes"], `tokens[${index}] needs a list of scopes: ${SCOPES.join(", ")}.`);
    for (const [place, scope] of grant.scopes.entries()) {
      // Quoted, as JSON writes it: "JOB_READ, JOB_WRITE" as one string read as the list of scopes repeated.
      if (!SCOPES.includes(scope)) {
        throw new ConfigProblem(
          [...at, "scopes", place],
          `tokens[${index}].scopes[${place}], ${shown(scope, SCOPE_FORM)}, is no scope; use ${SCOPES.join(" or ")}.`,
        );
      }
    }
    if (grant.user !== undefined && typeof grant.user !== "string")
      throw new ConfigProblem([...at, "user"], `tokens[${index}]: user must be a string.`);
    // readToken takes a token as one run of non-blanks, and a call is given the first grant of its token.
    if (/\s/.test(grant.token)) {
      throw new ConfigProblem(
        [...at, "token"],
        `tokens[${index}]: a token cannot hold spaces or other blanks, as no Authorization header could carry it.`,
      );
    }
    // The client sends only printable ASCII (src/studio/token.ts): a token past it could never be given.
    if (/[^!-~]/.test(grant.token)) {
      throw new ConfigProblem(
        [...at, "token"],
        `tokens[${index}]: a token holds only printable ASCII, as studio-jobs sends no other: this one could never be given.`,
      );
    }
    const first = seen.get(grant.token);
    if (first !== undefined) {
      throw new ConfigProblem(
        at,
        `tokens[${index}] is the same token as tokens[${first}]; give each token once, with all its teams and scopes.`,
      );
    }
    seen.set(grant.token, index);
  }
  // Copies: the caller's config is theirs, and is not written to.
  const grants = (tokens as TokenGrant[]).map((grant) => ({ ...grant, user: grant.user ?? "dev" }));
  let clusters = [...DEFAULT_CLUSTERS];
  if (given.clusters !== undefined) {
    if (Array.isArray(given.clusters)) {
      for (const [index, cluster] of (given.clusters as unknown[]).entries()) {
        if (cluster !== null && typeof cluster === "object" && !Array.isArray(cluster))
          refuseUnknownKey(cluster, ["clusters", index], CLUSTER_KEYS, "a cluster's key");
      }
    }
    try {
      // The client's own check of a cluster listing: what the emulator lists, the tool must read.
      clusters = readClusterList(given.clusters);
    } catch (error) {
      throw new ConfigProblem(clusterPlace(given.clusters, (error as Error).message), `clusters: ${(error as Error).message}`);
    }
    // A create names a cluster by id or by name, and found the first of two: the other was listed, never used.
    for (const [index, cluster] of clusters.entries()) {
      const same = clusters.findIndex((c) => c.id === cluster.id || c.name === cluster.name);
      if (same === index) continue;
      const what = clusters[same]?.id === cluster.id ? `the id ${cluster.id}` : `the name ${JSON.stringify(cluster.name)}`;
      throw new ConfigProblem(
        ["clusters", index],
        `clusters[${index}] has ${what} of clusters[${same}]; give each cluster its own id and name.`,
      );
    }
    // A create that names no cluster runs on the first default: the other was listed as one, never used so.
    const defaults = clusters.flatMap((cluster, index) => (cluster.default ? [index] : []));
    if (defaults.length > 1) {
      const [first, second] = defaults as [number, number];
      throw new ConfigProblem(
        ["clusters", second, "default"],
        `clusters[${second}] is the default, and so is clusters[${first}]; make one cluster the default.`,
      );
    }
  }
  return { tokens: grants, clusters };
}

/** A whole reply with the API's JSON error, for a connection Node hands over as bytes, and closed after it. */
function rawReply(status: number, text: string, said: string, headers = ""): string {
  const body = JSON.stringify({ message: said });
  return `HTTP/1.1 ${status} ${text}\r\n${headers}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? "127.0.0.1";
  // A loopback address, or localhost as the system resolves it; not a name under localhost,
  // which listen() would ask DNS about (only the client resolves those as localhost itself).
  const loopback = host === "localhost" || isLoopbackAddress(host);
  const config = loadEmulatorConfig(options.config);
  if (!loopback && config.tokens.some((g) => g.token === DEFAULT_TOKEN)) {
    throw new UsageError(
      `Refusing to listen on ${host} with the well-known token "${DEFAULT_TOKEN}".`,
      "Give a token of your own (`studio-jobs --token T --team TEAM emulator ...`) or several with --config, or listen on 127.0.0.1.",
    );
  }
  if (!loopback && options.admin === true) {
    throw new UsageError(
      `Refusing --admin on ${host}: the test hooks take no token, so anyone who can reach the port could read every job and reset the store.`,
      "Use --admin only on 127.0.0.1.",
    );
  }
  // Checked before the journal is opened: Node's RangeError from listen() left the journal locked by this process.
  // A port in a string (process.env.PORT) is one listen() takes: it stays so.
  const given: unknown = options.port ?? 0;
  const port = typeof given === "string" && /^\d{1,5}$/.test(given) ? Number(given) : given;
  if (typeof port !== "number" || !Number.isSafeInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`The emulator's port must be a whole number from 0 to 65535 (0 picks a free one), not ${String(port)}.`);
  const limits = { ...DEFAULT_BODY_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new UsageError(`Emulator body limit ${name} must be a whole number of bytes, got ${value}.`);
  }
  const clock = options.clock ?? createSystemClock();
  const store = new EmulatorStore(clock, config.clusters);
  let journal: Journal | undefined;
  if (options.data !== undefined) {
    journal = openJournal(options.data, store);
    store.setListener(journal);
  }
  const faults = new FaultInjector(options.faults);
  let baseUrl = "";
  const requests = new Map<string, number>();
  const handler = createRequestHandler({
    store,
    grants: config.tokens,
    faults,
    clock,
    admin: options.admin ?? false,
    limits,
    budget: { left: limits.inFlightBytes },
    baseUrl: () => baseUrl,
    requests,
  });
  // A request without Host is the handler's to refuse: Node's own refusal is a bare 400.
  const server: Server = createServer({ keepAlive: true, requireHostHeader: false }, handler);
  // With a listener here Node does not answer `Expect: 100-continue` by itself: the handler
  // does, once it knows the body is wanted, so a refused client never sends it.
  server.on("checkContinue", handler);
  // Any other Expect: Node's own 417 has no body; this one has the API's {"message"}.
  server.on("checkExpectation", refuseExpectation);
  // CONNECT is not for this server; without a listener Node closes the connection unanswered.
  server.on("connect", (_req, socket: Duplex) =>
    socket.end(rawReply(405, "Method Not Allowed", 'Method "CONNECT" not allowed.', "Allow: GET, POST\r\n")),
  );
  // A request Node's parser refuses (a bad method, two Content-Lengths) gets the API's JSON
  // error too, not a bare "400 Bad Request".
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    // As Node's own handler: headers too large are a 431, a request too slow a 408.
    const [status, text, said] =
      error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "The request's headers are too large."]
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "Request Timeout", "The request did not arrive in time."]
          : [400, "Bad Request", "The request is not valid HTTP."];
    // After the replies to the requests that came whole before the bad bytes.
    void handler.settled(socket as Socket).then(() => {
      if (socket.writable) socket.end(rawReply(status, text, said));
      else socket.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  // Node times out a request whose headers dribble in, but not a connection that never sends
  // a byte: enough of those would use up every file descriptor. Closed after a while.
  const silentMs = options.silentConnectionMs ?? 60_000;
  server.on("connection", (socket) => {
    const silent = setTimeout(() => socket.destroy(), silentMs);
    silent.unref();
    const spoke = () => clearTimeout(silent);
    socket.once("data", spoke);
    socket.once("close", spoke);
  });
  await new Promise<void>((resolve, reject) => {
    const refused = (error: NodeJS.ErrnoException) => {
      journal?.close();
      reject(new UsageError(`The emulator cannot listen on ${host} port ${port}: ${error.message}`, listenHint(error)));
    };
    server.once("error", refused);
    server.listen(port, host, () => {
      server.off("error", refused);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  baseUrl = `http://${shownHost}:${address.port}`;
  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    store,
    faults,
    clock,
    requests,
    warnings: journal?.warnings ?? [],
    close() {
      // Once: a second close would close the journal's file descriptor again, by then
      // perhaps another emulator's journal, and remove that one's lock.
      closed ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        journal?.close();
        store.setListener(undefined);
      })();
      return closed;
    },
  };
}
