// Which environment variables of a job nobody declared sensitive probably hold secrets:
// for jobs made by hand in Studio, which carry no record of what came from ${env:...}.
// `import` keeps such values out of the spec it writes, and plans never print them.
// A false alarm costs a variable to set; a miss prints a secret, so the rule is generous.

import { looksGenerated, nameLooksSecret } from "../secret-form.js";
import { hasUrlCredentials, urlPasswordsIn } from "../url-credentials.js";

export { nameLooksSecret };

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
