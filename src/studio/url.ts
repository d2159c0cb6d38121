// Studio's URL: what it may be (https, or http to this machine only; no credentials, no
// query), its base under which /api lies, and a request's query string.

import { isIP } from "node:net";
import { UsageError } from "../errors.js";
import { quoted } from "../invisible.js";
import { hideCredentialsOfAnyUrl } from "../url-credentials.js";

export const API_PREFIX = "/api";

/** `?key=value&...` of the query's defined values, as URL.searchParams would write it; "" when none. */
export function querySearch(query: Record<string, string | number | undefined> | undefined): string {
  if (query === undefined) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  return params.size > 0 ? `?${params.toString()}` : "";
}

/** Studio's base URL for a URL under it: everything before /api/. */
export function baseUrlOf(url: URL): string {
  const at = url.pathname.indexOf(`${API_PREFIX}/`);
  const path = at === -1 ? "" : url.pathname.slice(0, at);
  return `${url.origin}${path}`;
}

/**
 * Whether `host` is a loopback address: in 127.0.0.0/8, ::1, or 127.x written as an
 * IPv4-mapped IPv6 address (::ffff:127.0.0.1); bare or in brackets, in any spelling the URL
 * parser reads. Not 0.0.0.0 or ::, nor a name: where a name leads is the resolver's to say.
 */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family === 4) return bare.startsWith("127.");
  if (family !== 6) return false;
  let written: string;
  try {
    written = new URL(`http://[${bare}]/`).hostname;
  } catch {
    return false; // with a zone (fe80::1%eth0), which is no loopback address
  }
  return written === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(written);
}

/**
 * Whether `hostname` (as the URL parser writes it: lower case) is `localhost` or a name under
 * it, with or without the root's trailing dot (`localhost.`, `studio.localhost`): the names
 * RFC 6761 keeps for this machine. The client resolves each as `localhost` itself
 * (`localhostLookup` in http.ts), as curl does, never asking DNS, which could name another machine.
 */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  return name === "localhost" || name.endsWith(".localhost");
}

/** Whether a URL's hostname is this machine: plain http:// may go there, and no proxy is asked for it. */
export function isLoopbackHost(hostname: string): boolean {
  return isLoopbackAddress(hostname) || isLocalhostName(hostname);
}

/** A URL as messages show it: no credentials, and nothing past a `?` or `#`, which may hold a token. */
function shownUrl(raw: string): string {
  // Credentials first: a password may hold a ? or #.
  const hidden = hideCredentialsOfAnyUrl(raw);
  // A ? or # before the last @ went with the credentials, or was the query's (`?email=a@b&token=...`):
  // what follows that @ may be the query's rest, so it is cut at a parameter's & or = too.
  const swallowed = /[?#]/.test(raw.slice(0, raw.lastIndexOf("@") + 1));
  const end = hidden.search(swallowed ? /[?#&=;]/ : /[?#]/);
  return end === -1 ? hidden : `${hidden.slice(0, swallowed ? end : end + 1)}…`;
}

/** Where to change a URL taken from `source` (--url, DATACHAIN_STUDIO_URL or a datachain config file), for a hint. */
function whereToChange(source: string | undefined): string {
  if (source === "--url" || source === "DATACHAIN_STUDIO_URL") return `in ${source}`;
  if (source !== undefined && source !== "default") return `as url in the [studio] section of ${source}`;
  return "in --url or DATACHAIN_STUDIO_URL";
}

/**
 * The port as `raw` writes it after its host (`:99999`, `:-1`), or undefined when it writes
 * none, or when an `@` past the authority makes its end unsure (a password with a `/`).
 */
function writtenPort(raw: string): string | undefined {
  const [whole, authority = ""] = /^[a-z][a-z\d+.-]*:\/\/([^/?#\\]*)/i.exec(raw.trim()) ?? [""];
  if (raw.trim().slice(whole.length).includes("@")) return undefined;
  // After the credentials, which may hold a `:`; and after an IPv6 address's brackets.
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  const colon = host.lastIndexOf(":");
  return colon === -1 || colon < host.lastIndexOf("]") ? undefined : host.slice(colon + 1);
}

function portError(raw: string, source: string | undefined): UsageError {
  return new UsageError(
    `Studio URL ${quoted(shownUrl(raw))} has no usable port: a port is a whole number from 1 to 65535.`,
    `Give Studio's port, or none for the usual one, 443 for https:// (${whereToChange(source)}).`,
  );
}

/** Studio's base URL as requests are made under it, for messages: origin and path, no trailing slash (no credentials: they are refused). */
export function studioBase(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Refuse plain http:// to anything but this machine: the token would travel in clear text.
 * Credentials (`https://user:token@host`), which would not be sent. And a query or fragment, which a Studio URL never has: one pasted from a browser
 * (`?token=...`, `#access_token=...`) may hold a secret, which --verbose would print.
 * `source`: where the URL was taken from (ConnectionSettings.sources.url), which the hint names.
 */
export function checkStudioUrl(raw: string, insecure: boolean, source?: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    const port = writtenPort(raw);
    if (port !== undefined && port !== "" && !(/^\d+$/.test(port) && Number(port) <= 65535)) throw portError(raw, source);
    throw new UsageError(`Studio URL ${quoted(shownUrl(raw))} is not a valid URL.`, "Give a URL such as https://studio.datachain.ai.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`Studio URL ${quoted(shownUrl(raw))} must start with https:// or http://.`);
  }
  // Port 0 parses, and no server listens there: every request was tried 6 times, refused each time.
  if (url.port === "0") throw portError(raw, source);
  if (/[?#]/.test(raw)) {
    throw new UsageError(
      `Studio URL ${quoted(shownUrl(raw))} has a query or a fragment (from its ? or #), which Studio's URL never has; what follows is not shown, as it may hold a token.`,
      `Give Studio's address alone, such as https://studio.datachain.ai (${whereToChange(source)}).`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    // undici sends no Authorization for them, and the token, if any, goes in its own header:
    // they were dropped unsaid, and the request went without them (a 401, or the wrong user).
    throw new UsageError(
      `Studio URL ${quoted(shownUrl(raw))} holds credentials (before its @), which studio-jobs never sends: Studio takes a token, given on its own.`,
      `Take them out of the URL (${whereToChange(source)}), and give the token with --token, DATACHAIN_STUDIO_TOKEN or datachain's config (\`datachain auth login\`).`,
    );
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !insecure) {
    throw new UsageError(
      `Refusing plain http:// to ${url.hostname}: the token would be sent unencrypted.`,
      "Use https://, or pass --insecure if you really mean it.",
    );
  }
  return url;
}
