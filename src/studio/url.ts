// Studio's URL: which may carry the token (https, or http to this machine only), its
// base under which /api lies, and a request's query string.

import { UsageError } from "../errors.js";
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
    throw new UsageError(
      `Studio URL "${hideCredentialsOfAnyUrl(raw)}" is not a valid URL.`,
      "Give a URL such as https://studio.datachain.ai.",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`Studio URL "${hideCredentialsOfAnyUrl(raw)}" must start with https:// or http://.`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !insecure) {
    throw new UsageError(
      `Refusing plain http:// to ${url.hostname}: the token would be sent unencrypted.`,
      "Use https://, or pass --insecure if you really mean it.",
    );
  }
  return url;
}
