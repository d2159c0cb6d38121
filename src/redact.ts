// Keeps secrets out of everything the tool prints. The run registers every sensitive
// value as it learns it (the token, each ${env:...} value of the spec, a password in
// the URL); the CLI's output streams pass all text through `redact`, so no message,
// whatever its source (a server's error quoting our request, --verbose, a stack trace),
// can carry one out of the process.

import type { DesiredJob } from "./desired/types.js";
import { escapeUnseenInJson, jsonForReaders, printable } from "./invisible.js";
import { escapeMarkdown } from "./markdown-text.js";
import { replaceCutUrlCredentials, replaceUrlCredentials } from "./url-credentials.js";

export const REDACTED = "***";

/**
 * What a plan shows for a sensitive value, where it stands. Here, not with the plan's
 * settings, because every command loads this module at its start (docs/architecture.md,
 * "The built CLI"), and the settings would bring the table of job fields with them.
 */
export const SENSITIVE = "(sensitive)";

/**
 * Values shorter than this are not replaced wherever they occur: replacing every "1" or
 * "eu" in the output would garble it and protect nothing, since so short a value is
 * guessed in a few tries. They are still hidden where they stand as the value of a
 * sensitive key (`API_KEY=ab`, `"API_KEY": "ab"`), which is how a server quotes them.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Values hidden only where they stand, like short ones: a JSON word (`false`, `null`) or a
 * number of up to 5 characters (`8080`, `3.12`). Replaced wherever they occur they would
 * protect nothing (they are guessed at once) and would break what the tool prints:
 * `"protect": false` in a JSON plan would become `"protect": ***`.
 */
function tooCommon(form: string): boolean {
  return /^(?:true|false|null)$/i.test(form) || (form.length <= 5 && /^[-+]?\d+(?:\.\d*)?$/.test(form));
}

export interface Redactor {
  /**
   * A sensitive value: hidden wherever it appears, in its plain, JSON-escaped and URL-encoded
   * forms, and line by line when `lines` (a key file read from the environment).
   */
  addSecret: (value: string | undefined, options?: { lines?: boolean }) => void;
  /** An environment key whose value is sensitive: `KEY=value` and `"KEY": "value"` are hidden whatever the value. */
  addSensitiveKey: (name: string) => void;
  /** A plain function, safe to pass around detached from the redactor. */
  redact: (text: string) => string;
  /**
   * What the CLI prints: as `redact`, but a whole JSON document (as jsonForReaders writes
   * it) is redacted string by string, so that a sensitive key named like one of the
   * document's own fields (`team`, `status`) does not hide that field. Detachable too.
   */
  redactOutput: (text: string) => string;
  /** Whether `text` holds a registered secret, in any of its spellings. Detachable too. */
  holds: (text: string) => boolean;
  /**
   * The first `max` characters of `text`, redacted: a secret the cut would split is hidden
   * whole, and so is a sensitive key's value that runs into the cut. (Cut first and redact
   * after, and the half of a secret before the cut no longer matches it.) Detachable too.
   */
  redactHead: (text: string, max: number) => string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A surrogate without its pair: what String.prototype.toWellFormed replaces with U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The forms a value takes when a server quotes it: as is, inside a JSON string (also with
 * every non-ASCII character escaped, as Python writes JSON), in a URL, in HTML; and as a
 * plan's Markdown writes it.
 */
function spellings(value: string, lines: boolean): string[] {
  const forms = new Set<string>([value]);
  const json = JSON.stringify(value).slice(1, -1);
  forms.add(json);
  // Escaped twice: JSON inside a JSON string, and Python's repr (pydantic's
  // input_value='...') as is and inside a JSON error body, with non-ASCII as \uXXXX or not.
  if (json !== value) forms.add(JSON.stringify(json).slice(1, -1));
  // Python picks the repr's quote by the whole string the value is part of (an environment
  // string holding `"` is quoted with `'`), so the value's own quote may be escaped either way.
  for (const quote of ["'", '"'] as const) {
    const repr = pythonRepr(value, quote);
    if (repr === value) continue;
    const inJson = JSON.stringify(repr).slice(1, -1);
    forms.add(repr);
    forms.add(inJson);
    forms.add(inJson.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  }
  forms.add(json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  // JSON writers that escape `/` too (PHP, some Java ones).
  forms.add(json.replace(/\//g, "\\/"));
  // As the tool itself writes it: in its JSON (jsonForReaders escapes only the controls and
  // invisible characters, not the rest of the non-ASCII), and in its text (printable()).
  forms.add(escapeUnseenInJson(json));
  forms.add(printable(value));
  // URL encodings: encodeURIComponent's, and RFC 3986's (Python's), which also encodes
  // !'()*; each also as Python's quote() writes it (keeping `/`), as form encoding does
  // (a space as `+`), and with lowercase hex digits.
  // A lone surrogate has no UTF-8, so encodeURIComponent throws on it; no URL can carry one
  // anyway, and the rest of the value is hidden in its encoded form all the same.
  const encoded = encodeURIComponent(value.replace(LONE_SURROGATE, "\ufffd"));
  const strict = encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  for (const url of [encoded, strict]) {
    for (const form of [url, url.replace(/%2F/g, "/"), url.replace(/%20/g, "+")]) {
      forms.add(form);
      forms.add(form.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    }
  }
  for (const quote of ["&#x27;", "&#39;"]) {
    forms.add(value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, quote));
  }
  // A plan's Markdown (a pull-request comment) writes `_`, `:`, `@` and the like in a name as
  // character references: a secret Studio echoes in a job's name would pass as sk&#95;live...
  // The dot of `www.` is escaped too, so a secret starting `.`, `w.` or `ww.` is spelled
  // otherwise after a name's `www`, `ww` or `w`.
  for (const lead of ["", "w", "ww", "www"]) forms.add(escapeMarkdown(lead + value).slice(lead.length));
  // A multi-line secret (a key file) may be quoted one line at a time.
  if (lines && value.includes("\n")) for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_SECRET_LENGTH) forms.add(line);
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH && !tooCommon(form));
}

/** Python's repr of a string without its quotes, in a repr quoted with `quote`: that quote escaped, and \\ \\n \\r \\t and control characters. */
function pythonRepr(value: string, quote: "'" | '"'): string {
  let out = "";
  for (const c of value) {
    const code = c.codePointAt(0) ?? 0;
    if (c === "\\" || c === quote) out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return out;
}

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  const keys = new Set<string>();
  // Rebuilt lazily when the sets change; most runs register a handful of values once.
  let secretPattern: RegExp | undefined;
  let anySecret: RegExp | undefined;
  let keyPattern: RegExp | undefined;
  /** A sensitive key's JSON member whose value runs to the end of the text (cut off). */
  let cutMemberPattern: RegExp | undefined;
  let longest = 0;
  let dirty = false;

  function rebuild(): void {
    dirty = false;
    // Longest first, so a secret that contains another is replaced whole.
    const sorted = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
    // Matched at every position (a lookahead), so that secrets that overlap are found each;
    // a text with none, nearly all output, is passed by the plain pattern, ten times faster.
    anySecret = sorted.length === 0 ? undefined : new RegExp(sorted.join("|"));
    secretPattern = sorted.length === 0 ? undefined : new RegExp(`(?=(${sorted.join("|")}))`, "g");
    longest = Math.max(0, ...[...secrets].map((secret) => secret.length));
    const names = [...keys].map(escapeRegExp).join("|");
    // KEY=value up to the end of the line, a quote, a JSON escape or a separator;
    // "KEY": "value" as a JSON member.
    keyPattern =
      keys.size === 0
        ? undefined
        : new RegExp(`(?<![A-Za-z0-9_])((?:${names})=)[^\\s"'\\\\&,;}]+|("(?:${names})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*(?=")`, "g");
    cutMemberPattern = keys.size === 0 ? undefined : new RegExp(`("(?:${names})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*\\\\?$`);
  }

  return {
    addSecret(value, options = {}) {
      if (value === undefined) return;
      for (const form of spellings(value, options.lines === true)) {
        if (!secrets.has(form)) {
          secrets.add(form);
          dirty = true;
        }
      }
    },
    addSensitiveKey(name) {
      if (name !== "" && !keys.has(name)) {
        keys.add(name);
        dirty = true;
      }
    },
    redact,
    redactOutput,
    holds: (text) => secretRanges(text).length > 0,
    redactHead(text, max) {
      if (text.length <= max) return redact(text);
      if (dirty) rebuild();
      let end = max;
      // Only secrets near the cut can be split by it, with the secrets they overlap: the
      // window grows back while a run of overlapping secrets reaches its start.
      for (let back = 2 * longest; ; back *= 2) {
        const from = Math.max(0, max - back);
        const ranges = secretRanges(text.slice(from, max + longest));
        // A secret starting before the window may overlap the first range found in it.
        if (from > 0 && ranges[0] !== undefined && ranges[0][0] < longest) continue;
        for (const [start, stop] of ranges) if (from + start < max && from + stop > max) end = from + start;
        break;
      }
      let head = redact(text.slice(0, end));
      if (end < max) head += REDACTED;
      if (cutMemberPattern !== undefined) head = head.replace(cutMemberPattern, `$1${REDACTED}`);
      // user:pass@ whose @ is past the cut.
      return replaceCutUrlCredentials(head, REDACTED);
    },
  };

  /** Where secrets are in `text`: [start, end) ranges, those that overlap merged. */
  function secretRanges(text: string): [number, number][] {
    if (dirty) rebuild();
    const ranges: [number, number][] = [];
    if (secretPattern === undefined || anySecret?.test(text) !== true) return ranges;
    for (const match of text.matchAll(secretPattern)) {
      const start = match.index;
      const stop = start + (match[1] ?? "").length;
      const last = ranges[ranges.length - 1];
      if (last !== undefined && start < last[1]) last[1] = Math.max(last[1], stop);
      else ranges.push([start, stop]);
    }
    return ranges;
  }

  /**
   * The `"KEY": "value"` form is how a server quotes a sensitive key; in a document of the
   * tool's own it would also match the document's fields. There each string is redacted on
   * its own (a server's message inside one still is), and a sensitive key's value only in
   * an `environment` map, where the documents keep a job's variables; "(sensitive)", what
   * the plan already shows for one, stays as the schema describes it.
   */
  function redactOutput(text: string): string {
    // Without a sensitive key the rule that could hit a document's fields never runs: the
    // text is redacted whole, as a large plan's JSON is not parsed again for nothing.
    if (keys.size === 0 || !/^[[{][\s\S]*[\]}]\n$/.test(text)) return redact(text);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return redact(text);
    }
    if (dirty) rebuild();
    const walk = (value: unknown, environment: boolean): unknown => {
      if (typeof value === "string") return redact(value);
      if (Array.isArray(value)) return value.map((item) => walk(item, false));
      if (value === null || typeof value !== "object") return value;
      // fromEntries defines each key as its own property, `__proto__` included.
      return Object.fromEntries(
        Object.entries(value).map(([name, item]) => [
          redact(name),
          environment && keys.has(name) && typeof item === "string" && item !== SENSITIVE ? REDACTED : walk(item, name === "environment"),
        ]),
      );
    };
    return jsonForReaders(walk(doc, false));
  }

  function redact(text: string): string {
    if (dirty) rebuild();
    let out = text;
    const ranges = secretRanges(text);
    if (ranges.length > 0) {
      out = "";
      let at = 0;
      for (const [start, stop] of ranges) {
        out += `${text.slice(at, start)}${REDACTED}`;
        at = stop;
      }
      out += text.slice(at);
    }
    if (keyPattern !== undefined) {
      out = out.replace(
        keyPattern,
        (_match, assign: string | undefined, member: string | undefined) => `${assign ?? member ?? ""}${REDACTED}`,
      );
    }
    return replaceUrlCredentials(out, () => REDACTED);
  }
}

const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Register what a resolved spec holds that must not be printed: each value read through
 * ${env:...} (or its default), and the names of sensitive environment keys. Only the
 * values read are registered, not the whole fields around them: those are the secrets,
 * and specs share a few of them across many jobs, which keeps the pattern small.
 */
export function registerJobSecrets(redactor: Redactor, jobs: readonly DesiredJob[], env: NodeJS.ProcessEnv): void {
  const seen = new Set<string>();
  for (const job of jobs) {
    for (const field of job.sensitive) {
      const template = job.sensitiveTemplates[field] ?? "";
      if (field.startsWith("environment.")) redactor.addSensitiveKey(field.slice("environment.".length));
      if (seen.has(template)) continue;
      seen.add(template);
      // What the environment holds; a default after :- is written in the repository, no secret.
      for (const match of template.matchAll(ENV_REFERENCE)) redactor.addSecret(env[match[1] ?? ""], { lines: true });
    }
  }
}
