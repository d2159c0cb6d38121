// Credentials written into URLs (`https://user:password@host/`, `https://token@host/`):
// found by one linear scan that output redaction, `import` and the secret-looking-value rule
// share, so that what the tool hides when printing is what it keeps out of a spec.

import { looksGenerated, nameLooksSecret } from "./secret-form.js";

/** What ends a URL's authority after `://`: white space and URL delimiters. */
const USERINFO_END = /[\s/?#"'<>]/;
const SCHEME_CHAR = /[a-z0-9+.-]/i;
const LETTER = /[a-z]/i;
/** A userinfo that is one ${env:NAME} reference of a spec: a placeholder, not a credential. */
const ENV_REFERENCE = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;

/**
 * Schemes whose userinfo without a `:` is a name, not a credential: SSH authenticates with a
 * key, and `git+ssh://git@github.com/org/lib.git` is how pip and Git name a private repository
 * (Git takes `ssh+git://` too); a database's (`postgres://reader@db/x`, `postgresql+psycopg2://`,
 * `mongodb+srv://`, `oracle://`, `redshift://`, `trino://`) is the role its client logs in as,
 * the password coming from elsewhere (`.pgpass`, a certificate); Azure storage's
 * (`abfss://container@account.dfs.core.windows.net/`) is the container. Over any other scheme
 * a lone userinfo is a token (`https://TOKEN@host/`), and over these too when it has a token's
 * form or name (`ssh://ghp_16C7e42F…@github.com`, `ssh://deploy-token-abc123@host`): a token
 * written there is no less one.
 */
const LOGIN_NAME_SCHEME =
  /(?:^|\+)ssh$|^ssh\+git$|^sftp$|^(?:postgres(?:ql)?|mysql|mariadb|mongodb|snowflake|mssql|oracle|redshift|clickhouse|trino|presto|cockroachdb|abfss?|wasbs?|az)(?:\+[a-z0-9.+-]+)?$/;

/** The scheme that ends just before `text[at]`, lower-cased: the scheme characters there, up to 32. */
function schemeEndingAt(text: string, at: number): string {
  let start = at;
  while (start > 0 && at - start < 32 && SCHEME_CHAR.test(text[start - 1] ?? "")) start--;
  return text.slice(start, at).toLowerCase();
}

/** Whether a scheme ends just before `text[at]`: scheme characters there, a letter among them. */
function schemeBefore(text: string, at: number): boolean {
  return LETTER.test(schemeEndingAt(text, at));
}

/** Whether a URL's `userinfo` after `scheme` is a name alone (`ssh://git@host`, `postgres://reader@db`), which is no secret. */
function isLoginName(userinfo: string, scheme: string): boolean {
  if (userinfo.includes(":") || !LOGIN_NAME_SCHEME.test(scheme)) return false;
  return !looksGenerated(userinfo) && !nameLooksSecret(userinfo);
}

/** Where the authority that starts at `from` ends: at a delimiter, or at the end of the text. */
function authorityEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && !USERINFO_END.test(text[end] ?? "")) end++;
  return end;
}

/**
 * `text` with the userinfo of every URL (what stands between `://` and the authority's last
 * `@`, as URL parsers read it: a password may hold an `@`) replaced by `replace(userinfo, at)`,
 * `at` where its `://` is; but for a placeholder and for a name alone where LOGIN_NAME_SCHEME
 * says it is one, which are no credential.
 * Found from each `://`, looking back for a scheme and ahead for the `@`: linear whatever
 * the text (a pattern tried at every letter was quadratic on a run like `a.a.a.…`).
 */
export function replaceUrlCredentials(text: string, replace: (userinfo: string, at: number) => string): string {
  let out = "";
  let copied = 0;
  for (let at = text.indexOf("://"); at !== -1; at = text.indexOf("://", at + 3)) {
    const authority = text.slice(at + 3, authorityEnd(text, at + 3));
    const userinfo = authority.lastIndexOf("@");
    const written = authority.slice(0, userinfo);
    if (userinfo <= 0 || ENV_REFERENCE.test(written)) continue;
    const scheme = schemeEndingAt(text, at);
    if (!LETTER.test(scheme) || isLoginName(written, scheme)) continue;
    const end = at + 3 + userinfo;
    out += `${text.slice(copied, at + 3)}${replace(written, at)}`;
    copied = end;
    at = end - 2;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Whether `text` holds a URL with credentials. */
export function hasUrlCredentials(text: string): boolean {
  let found = false;
  replaceUrlCredentials(text, (userinfo) => {
    found = true;
    return userinfo;
  });
  return found;
}

/**
 * `text` without its `${...}` references. A scan, not a pattern: \`/\$\{[^}]*\}/g\` tried every
 * `${` to the end of a text without `}`, quadratic on a run of `${`.
 */
function withoutReferences(text: string): string {
  let out = "";
  let copied = 0;
  for (let start = text.indexOf("${"); start !== -1; start = text.indexOf("${", copied)) {
    const end = text.indexOf("}", start + 2);
    // No `}` after this `${`, so none after any later one: the rest is kept.
    if (end === -1) break;
    out += text.slice(copied, start);
    copied = end + 1;
  }
  return out + text.slice(copied);
}

/**
 * Where a spec's `template` writes a URL's credentials out: the place of the `://` of each URL
 * whose userinfo, its `${...}` references taken away, still holds a password (`u:pw@`,
 * `${var:u}:pw@`) or is a token written whole (`tok@`). `u:${env:PW}@` and `${env:TOKEN}@`
 * write none.
 */
export function urlCredentialsWrittenAt(template: string): number[] {
  return urlCredentialsSpans(template).map(({ at }) => at);
}

/**
 * The URLs of `text` whose credentials urlCredentialsWrittenAt tells written out: the place of
 * each one's `://`, and where its userinfo ends (at its `@`).
 */
export function urlCredentialsSpans(text: string): { at: number; end: number }[] {
  const found: { at: number; end: number }[] = [];
  replaceUrlCredentials(text, (userinfo, at) => {
    if (writesOut(userinfo)) found.push({ at, end: at + 3 + userinfo.length });
    return userinfo;
  });
  return found;
}

function writesOut(userinfo: string): boolean {
  if (!userinfo.includes("${")) return true;
  const literal = withoutReferences(userinfo);
  const colon = literal.indexOf(":");
  return colon !== -1 && colon < literal.length - 1;
}

/**
 * The passwords of the URLs in `text` that carry credentials (a userinfo without a `:`, whole:
 * a token), each as written and decoded.
 */
export function urlPasswordsIn(text: string): string[] {
  const found = new Set<string>();
  replaceUrlCredentials(text, (userinfo) => {
    const password = userinfo.slice(userinfo.indexOf(":") + 1);
    found.add(password);
    try {
      found.add(decodeURIComponent(password));
    } catch {
      // Not percent-encoded as a URL parser reads it: the password as written only.
    }
    return userinfo;
  });
  return [...found];
}

/** A URL's userinfo cut off at the end of the text (its `@` cut away) replaced by `replacement`. */
export function replaceCutUrlCredentials(text: string, replacement: string): string {
  const at = text.lastIndexOf("://");
  if (at === -1 || authorityEnd(text, at + 3) !== text.length || at + 3 === text.length || !schemeBefore(text, at)) return text;
  return `${text.slice(0, at + 3)}${replacement}`;
}

/**
 * A URL as an error may quote it: whatever stands before its last `@` (after `://`, or from
 * the start) hidden. A URL that does not parse may still hold a password (one with `/`,
 * `?` or `#` in it breaks the parse), which the redactor's scan would cut short.
 */
export function hideCredentialsOfAnyUrl(raw: string): string {
  const last = raw.lastIndexOf("@");
  if (last === -1) return raw;
  const scheme = raw.indexOf("://");
  const start = scheme !== -1 && scheme < last ? scheme + 3 : 0;
  return `${raw.slice(0, start)}***${raw.slice(last)}`;
}

/** A password in the URL (https://user:pass@host) is a secret like the token: as written, and decoded. */
export function urlSecrets(raw: string): string[] {
  let password: string;
  try {
    password = new URL(raw).password;
  } catch {
    return [];
  }
  if (password === "") return [];
  // One that does not decode (`ab%zzcd`, which the URL parser keeps as written) is a secret
  // still: it was not registered at all when its decoding threw.
  try {
    return [decodeURIComponent(password), password];
  } catch {
    return [password];
  }
}
