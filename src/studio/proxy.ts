// Which proxy, if any, carries the requests to Studio: the variables curl and Python's
// requests (datachain's own client) read. See docs/architecture.md, "Proxies".

import { BlockList, isIP } from "node:net";
import { UsageError } from "../errors.js";
import { isLoopbackHost } from "./url.js";

export interface ProxySetting {
  /** The proxy's URL, without credentials. */
  url: string;
  /**
   * Proxy-Authorization for the credentials the variable's URL held: Basic, as curl sends
   * them, a user given alone (often a token) as `user:` (undici would send none for it).
   */
  authorization?: string;
  /** What of the credentials is secret, for the redactor: the password, else a user given alone. */
  secrets: string[];
  /** The variable it came from, for messages: its value may hold a password and is never shown. */
  from: string;
  /** `host:port`, for messages. */
  shown: string;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 };

/** The first of `names` set to something other than blanks. */
function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): string | undefined {
  return names.find((name) => (env[name] ?? "").trim() !== "");
}

/**
 * The proxy for `studio`, from `https_proxy` / `HTTPS_PROXY` (`http_proxy` / `HTTP_PROXY`
 * for an http:// Studio), else `all_proxy` / `ALL_PROXY`; lower case first, as curl and
 * requests read them. None for this machine (as Go's tools, Terraform and kubectl among
 * them, never proxy it) or for a host `no_proxy` / `NO_PROXY` names.
 */
export function proxyFor(studio: URL, env: NodeJS.ProcessEnv): ProxySetting | undefined {
  // For callers without type checks: a string URL has no protocol, so HTTPS_PROXY went unread and no proxy was said.
  if (!(studio instanceof URL)) throw new UsageError("proxyFor: the first argument must be Studio's URL as a URL, such as new URL(url).");
  if (typeof env !== "object" || env === null)
    throw new UsageError("proxyFor: the second argument must be the environment the proxy is named in, such as process.env.");
  const names = studio.protocol === "https:" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"];
  const from = firstSet(env, [...names, "all_proxy", "ALL_PROXY"]);
  if (from === undefined || isLoopbackHost(studio.hostname) || bypassed(studio, env)) return undefined;
  const raw = (env[from] ?? "").trim();
  let url: URL;
  try {
    // A bare host:port is an http:// proxy, as curl and requests take it.
    url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new UsageError(`${from} is not a proxy URL.`, `Give one such as http://proxy.example.com:3128, or unset ${from}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `${from} names a ${url.protocol.slice(0, -1)}:// proxy; studio-jobs reaches Studio through http:// and https:// proxies only.`,
      `Give an http:// proxy in ${from}, or add ${studio.hostname} to NO_PROXY to reach Studio directly.`,
    );
  }
  const decoded = (part: string): string => {
    try {
      // A `%` that starts no escape is itself, as curl and requests read a proxy's user and password.
      return decodeURIComponent(part.replace(LONE_PERCENT, "%25"));
    } catch {
      throw new UsageError(
        `${from} holds a user name or password with a \`%\` escape that is no UTF-8 character.`,
        `Percent-encode the credentials as UTF-8, or unset ${from}.`,
      );
    }
  };
  const [user, password] = [decoded(url.username), decoded(url.password)];
  // A path, query or fragment means nothing for a proxy (curl and requests leave them out), and undici refuses one.
  url.username = "";
  url.password = "";
  url.pathname = "/";
  url.search = "";
  url.hash = "";
  const setting: ProxySetting = { url: url.href, secrets: [password || user].filter((s) => s !== ""), from, shown: url.host };
  if (user !== "" || password !== "") setting.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  return setting;
}

/** A `%` not followed by two hex digits. */
const LONE_PERCENT = /%(?![\da-f]{2})/gi;

/**
 * Whether `no_proxy` / `NO_PROXY` (lower case first) names Studio's host: `*` names every
 * host; an entry names its host and the hosts under it (`example.com` and `.example.com`
 * both name `studio.example.com`), on any port unless it gives one; an address range
 * (`10.0.0.0/8`, `fd00::/8`) names the addresses in it, as curl and requests read one.
 */
function bypassed(studio: URL, env: NodeJS.ProcessEnv): boolean {
  const name = firstSet(env, ["no_proxy", "NO_PROXY"]);
  if (name === undefined) return false;
  const host = bareHost(studio.hostname);
  const port = studio.port === "" ? DEFAULT_PORTS[studio.protocol] : Number(studio.port);
  for (const text of (env[name] ?? "").toLowerCase().split(/[\s,]+/)) {
    if (text === "*" || inRange(host, text)) return true;
    const entry = noProxyEntry(text);
    if (entry === undefined || (entry.port !== undefined && entry.port !== port)) continue;
    if (host === entry.host || host.endsWith(`.${entry.host}`)) return true;
  }
  return false;
}

/** A NO_PROXY entry's host (an IPv6 address without its brackets) and port; undefined for an entry that is neither. */
function noProxyEntry(entry: string): { host: string; port: number | undefined } | undefined {
  // An IPv6 address is given bare (`fd00::1`, as curl and requests read it), or in brackets before a port.
  if (!entry.startsWith("[") && entry.indexOf(":") !== entry.lastIndexOf(":")) return { host: asUrlWritesIt(entry), port: undefined };
  const match = /^(?:\*?\.)?(?:\[([^\]]*)\]|([^:]+))(?::(\d+))?$/.exec(entry);
  if (match === null) return undefined;
  const [, bracketed, named, port] = match;
  return { host: asUrlWritesIt(bracketed ?? named ?? ""), port: port === undefined ? undefined : Number(port) };
}

/**
 * A NO_PROXY host as URL writes Studio's: a Unicode name in punycode (`stüdio.example` is
 * `xn--stdio-kva.example`), an IPv6 address in its shortest form (`fd00:0:0::5` is
 * `fd00::5`), without the final dot of a fully qualified name. Else the entry named no host.
 */
function asUrlWritesIt(host: string): string {
  // What URL would read as the end of the host (`10.0.0.0/8`, `host/path`) is no host.
  if (/[/?#@\\]/.test(host)) return host;
  try {
    return bareHost(new URL(`http://${isIP(host) === 6 ? `[${host}]` : host}/`).hostname);
  } catch {
    return host;
  }
}

/**
 * A host as URL writes it (lower case), as NO_PROXY's entries are compared: an IPv6 address
 * without its brackets, a name without the final dot of a fully qualified one.
 */
function bareHost(hostname: string): string {
  const host = hostname.replace(/^\[(.*)\]$/, "$1");
  return host.endsWith(".") ? host.slice(0, -1) : host;
}

/** Whether `host`, an IP address, is in `entry` when it is an address range (`10.0.0.0/8`, `fd00::/8`). */
function inRange(host: string, entry: string): boolean {
  const match = /^\[?([^\]/]+)\]?\/(\d{1,3})$/.exec(entry);
  const family = isIP(host);
  if (match === null || family === 0) return false;
  const [, network = "", bits] = match;
  const prefix = Number(bits);
  if (isIP(network) !== family || prefix > (family === 4 ? 32 : 128)) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  const range = new BlockList();
  range.addSubnet(network, prefix, type);
  return range.check(host, type);
}
