// Which environment variables of a job nobody declared sensitive probably hold secrets:
// for jobs made by hand in Studio, which carry no record of what came from ${env:...}.
// `import` keeps such values out of the spec it writes, and plans never print them.
// A false alarm costs a variable to set; a miss prints a secret, so the rule is generous.

import { hasUrlCredentials, urlPasswordsIn } from "../url-credentials.js";

/** Name parts that mark a secret when they stand alone: DB_PASSWORD, aws-secret-key, apiKey. */
const SECRET_PARTS = new Set([
  "KEY",
  "KEYS",
  "APIKEY",
  "SECRET",
  "SECRETS",
  "TOKEN",
  "TOKENS",
  "PASSWORD",
  "PASSWORDS",
  "PASSWD",
  "PASS",
  "PWD",
  "PASSPHRASE",
  "CREDENTIAL",
  "CREDENTIALS",
  "CREDS",
  "AUTH",
  "OAUTH",
  "BEARER",
  "JWT",
  "PRIVATE",
  "DSN",
  "CERT",
  "CERTS",
  "CERTIFICATE",
  "SESSION",
  "COOKIE",
  "SIGNATURE",
  "SIG",
  "SALT",
  "HMAC",
]);

/** Words that mark a secret even inside a longer part: PGPASSWORD, MYSECRETVALUE, GHTOKEN. */
const SECRET_WORDS = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "APIKEY", "PASSPHRASE"];

/** Split on anything but letters and digits, and between a lower-case letter and an upper-case one. */
function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part.toUpperCase());
}

export function nameLooksSecret(name: string): boolean {
  const parts = nameParts(name);
  if (parts.some((part) => SECRET_PARTS.has(part))) return true;
  const upper = name.toUpperCase();
  return SECRET_WORDS.some((word) => upper.includes(word));
}

/**
 * A parameter with a value in a URL's query or fragment: `?token=...`, `&api_key=...`,
 * `#access_token=...` (where OAuth puts one). The name stops at what ends one, and no name
 * holds a `?`, `&` or `#`, so each is read once: linear whatever the value.
 */
const QUERY_PARAMETER = /[?&#]([^=&#?\s]+)=[^&#\s]/g;

/** Whether a URL's query or fragment carries a secret: a parameter named like one (`token`, `api_key`, `X-Amz-Signature`, `sig`). */
function queryLooksSecret(value: string): boolean {
  for (const [, name] of value.matchAll(QUERY_PARAMETER)) if (name !== undefined && nameLooksSecret(name)) return true;
  return false;
}

/**
 * A URL that is itself the credential, its secret in the path: a webhook's (Slack's
 * hooks.slack.com/services/..., Discord's /api/webhooks/<id>/<token>, Teams'
 * webhook.office.com/..., Mattermost's and Zapier's /hooks/...) or a Telegram bot's
 * (api.telegram.org/bot<token>/). Literals only: linear whatever the value.
 */
const SECRET_PATH = /\/\/hooks?\.|\/hooks\/|webhook|api\.telegram\.org\/bot/i;

/**
 * A value that carries a secret whatever its name: a URL with credentials (a token or
 * user:password), with a query parameter named like a secret, or whose path is the secret
 * (a webhook's); a PEM block.
 */
export function valueLooksSecret(value: string): boolean {
  return hasUrlCredentials(value) || isSecretWhole(value);
}

/** A value that is a secret whole, by its form: a PEM block, a URL with a secret query parameter or path. */
function isSecretWhole(value: string): boolean {
  return value.includes("-----BEGIN ") || queryLooksSecret(value) || (value.includes("://") && SECRET_PATH.test(value));
}

/** Whether a variable of a job without markers is to be treated as sensitive. */
export function looksSecret(name: string, value: string): boolean {
  return nameLooksSecret(name) || valueLooksSecret(value);
}

/**
 * The shortest value of a variable that looks secret whose copies elsewhere in a job made by
 * hand (under a plain name, in its query) are secret too. Not a shorter one: a placeholder
 * (`PASSWORD=demo`) would hide a team's or a job's name.
 */
const MIN_COPIED_SECRET = 8;

/**
 * Whether a value has the form of a generated secret (a key, a token, a password): a word in
 * which letters and digits alternate at least twice (`S3cr3t`, `K7MDENG`, a UUID's
 * `550e8400`), or one of 16 characters or more holding both, or three words that each mix
 * letters and digits (`Ab1"Cd2$Ef3`, `Zz9 Yy8 Xx7`: the blank or punctuation between them
 * kept their copies in clear); not a URL. A variable named like a secret often holds a plain
 * word or a name instead (`SORT_KEY=timestamp`,
 * `SECRET_SCOPE=analytics-prod`, `DATASET_KEY=events2024`, `TOKENIZER_MODEL=Qwen/Qwen2.5-7B`,
 * `TOKEN_URL=https://...`): hunted for elsewhere, it hid the team's name (the spec's `team:
 * ***`), skipped every job named with it and took the query that read it.
 */
function looksGenerated(value: string): boolean {
  if (value.includes("://")) return false;
  const words = value.split(/[^A-Za-z0-9]+/).map((word) => ({ length: word.length, runs: word.match(/[A-Za-z]+|[0-9]+/g)?.length ?? 0 }));
  if (words.some(({ length, runs }) => runs >= 3 || (runs >= 2 && length >= 16))) return true;
  return words.filter(({ runs }) => runs >= 2).length >= 3;
}

/**
 * The values of a job's variables that look secret whose copies are secret too: long enough,
 * and a secret whole by their form, or named like one and of a generated secret's form. Not a
 * URL whose secret is its credentials: the one scan for them (src/url-credentials.ts) finds
 * them in every copy, and hunted whole, the URL in a query made the whole query a variable
 * where only its credentials were one. Its password (or a token alone before the `@`) is, when
 * it has a generated secret's form: copied bare, under a plain name or in a query, the scan,
 * which looks for URLs, does not find it.
 */
export function secretLookingValues(environment: Readonly<Record<string, string>>): string[] {
  return Object.entries(environment).flatMap(([name, value]) => {
    const text = value.trim();
    const whole = text.length >= MIN_COPIED_SECRET && (isSecretWhole(text) || (nameLooksSecret(name) && looksGenerated(text)));
    const passwords = urlPasswordsIn(value).filter((password) => password.length >= MIN_COPIED_SECRET && looksGenerated(password));
    return whole ? [value, ...passwords] : passwords;
  });
}
