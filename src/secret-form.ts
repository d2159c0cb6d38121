// The forms of a secret, by a name (DB_PASSWORD, apiKey) or by a value (a generated key or
// token): for the variables of jobs made by hand (src/plan/secret-names.ts) and for a login
// name over SSH, which is a token when it has one's form (src/url-credentials.ts).

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
export function looksGenerated(value: string): boolean {
  if (value.includes("://")) return false;
  const words = value.split(/[^A-Za-z0-9]+/).map((word) => ({ length: word.length, runs: word.match(/[A-Za-z]+|[0-9]+/g)?.length ?? 0 }));
  if (words.some(({ length, runs }) => runs >= 3 || (runs >= 2 && length >= 16))) return true;
  return words.filter(({ runs }) => runs >= 2).length >= 3;
}
