// Keeps secrets out of everything the tool prints. The run registers every sensitive
// value as it learns it (the token, each ${env:...} value of the spec, a password in
// the URL); the CLI's output streams pass all text through `redact`, so no message,
// whatever its source (a server's error quoting our request, --verbose, a stack trace),
// can carry one out of the process.

import type { DesiredJob } from "./desired/types.js";
import { jsonForReaders } from "./invisible.js";
import { spellings, type SecretPart, type SecretUse } from "./secret-spellings.js";
import { replaceCutUrlCredentials, replaceUrlCredentials } from "./url-credentials.js";

export const REDACTED = "***";

/**
 * What a plan shows for a sensitive value, where it stands. Here, not with the plan's
 * settings, because every command loads this module at its start (docs/architecture.md,
 * "The built CLI"), and the settings would bring the table of job fields with them.
 */
export const SENSITIVE = "(sensitive)";

export interface Redactor {
  /**
   * A sensitive value: hidden wherever it appears, in any case, in the forms a server quotes
   * it in (JSON-escaped, URL-encoded, HTML-escaped, base64 for a header's value:
   * src/secret-spellings.ts), also without the blanks around it, and line by line when
   * `lines` (a key file read from the environment); its start or end where a server cut it
   * short, when long enough.
   */
  addSecret: (value: string | undefined, use?: SecretUse) => void;
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
  /**
   * `redact` and `redactHead` for what a server says (the client's errors): there a line break
   * and the text's end count as cuts too, next to which a start or end of a secret is hidden.
   * Elsewhere they would hide an ordinary value that a secret starts with (a spec's
   * `BASE_URL: https://api.example.com/v1` beside a secret URL that goes on past it).
   */
  quoted: Pick<Redactor, "redact" | "redactHead">;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * How a set of forms is looked for: `any`, a plain pattern, tells whether a text holds one
 * (nearly all output holds none, and is passed ten times faster than by `every`); `every`
 * finds each place, one at every position (a lookahead), so that forms that overlap are
 * found each. Longest first, so that a form holding another is found whole. `anyCase`: a
 * server may change it (an upper-cased message, a %2f or \u00E9 written with the other hex
 * digits), and a secret is no less one in capitals.
 */
interface Search {
  any: RegExp;
  every: RegExp;
}

/**
 * A form as a pattern, in groups of at most this many characters: V8 refuses a pattern
 * with a longer run of plain text ("Regular expression too large"), and a token or an
 * ${env:...} value of some 32,000 characters, or its base64, made every command fail
 * with that error, whose text is the pattern: the secret itself, in clear.
 */
const PATTERN_RUN = 1024;

function formPattern(form: string): string {
  if (form.length <= PATTERN_RUN) return escapeRegExp(form);
  const runs: string[] = [];
  for (let at = 0; at < form.length; at += PATTERN_RUN) runs.push(`(?:${escapeRegExp(form.slice(at, at + PATTERN_RUN))})`);
  return runs.join("");
}

function search(forms: Iterable<string>, anyCase: boolean): Search | undefined {
  const sorted = [...forms].sort((a, b) => b.length - a.length).map(formPattern);
  if (sorted.length === 0) return undefined;
  const flags = anyCase ? "i" : "";
  return { any: new RegExp(sorted.join("|"), flags), every: new RegExp(`(?=(${sorted.join("|")}))`, `g${flags}`) };
}

/**
 * What a server writes where it cut a text short, after the part it kept of a secret or
 * before the part it kept of its end: an ellipsis, a line break (also as a JSON string
 * writes it), or the text's own end. Elsewhere a secret's first characters may be any
 * text's (`postgres://` of another URL), and are left alone.
 */
const CUT_AFTER = /^(?:\.\.\.|\u2026)/;
const CUT_BEFORE = /(?:\.\.\.|\u2026)$/;
/** In what a server says, also a line break (as a JSON string writes it too) and the text's end. */
const QUOTED_CUT_AFTER = /^(?:\.\.\.|\u2026|[\r\n]|\\[rn]|$)/;
const QUOTED_CUT_BEFORE = /(?:\.\.\.|\u2026|[\r\n]|\\[rn]|^)$/;

/** [start, end) ranges in order of their start, those that overlap merged. */
function merged(found: readonly (readonly [number, number])[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const [start, stop] of found) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && start < last[1]) last[1] = Math.max(last[1], stop);
    else ranges.push([start, stop]);
  }
  return ranges;
}

/** `text` with each range (in order of their start) blanked out: as long, with nothing there to match. */
function blanked(text: string, ranges: readonly (readonly [number, number])[]): string {
  if (ranges.length === 0) return text;
  let out = "";
  let at = 0;
  for (const [start, stop] of ranges) {
    if (stop <= at) continue;
    out += text.slice(at, Math.max(at, start)) + "\u0000".repeat(stop - Math.max(at, start));
    at = stop;
  }
  return out + text.slice(at);
}

/**
 * Where a part of a secret found at `start` (to `stop`) stands, grown over as much more of
 * the secret as the text holds there; undefined when no cut is next to it.
 */
function partRange(text: string, part: SecretPart, start: number, stop: number, quoted: boolean): [number, number] | undefined {
  const { secret } = part;
  if (part.end) {
    let from = start;
    for (let i = secret.length - part.text.length - 1; i >= 0 && text[from - 1] === secret[i]; i--) from--;
    return (quoted ? QUOTED_CUT_BEFORE : CUT_BEFORE).test(text.slice(Math.max(0, from - 3), from)) ? [from, stop] : undefined;
  }
  let to = stop;
  for (let i = part.text.length; i < secret.length && text[to] === secret[i]; i++) to++;
  return (quoted ? QUOTED_CUT_AFTER : CUT_AFTER).test(text.slice(to, to + 3)) ? [start, to] : undefined;
}

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  /** Those of `secrets` that are a secret's base64: looked for apart, where a text holds none. */
  const encoded = new Set<string>();
  /** The starts and ends of secrets, by their text. */
  const parts = new Map<string, SecretPart[]>();
  const keys = new Set<string>();
  // Rebuilt lazily when the sets change; most runs register a handful of values once.
  /** The forms of the secrets' text, and their base64 forms. */
  let searches: Search[] = [];
  /** The starts and ends of secrets. */
  let partSearch: Search | undefined;
  let keyPattern: RegExp | undefined;
  /** A sensitive key's JSON member whose value runs to the end of the text (cut off). */
  let cutMemberPattern: RegExp | undefined;
  let longest = 0;
  let dirty = false;

  function rebuild(): void {
    dirty = false;
    // The base64 forms apart: the characters they may start with are so many that, in one
    // pattern with the rest, every position of a text would be tried (a 16 MB plan took
    // twice as long to pass). The parts of secrets apart too, as a part is hidden only next
    // to a cut: one that is not must not keep a shorter secret at its place from being found.
    // Those in their own case only: a server that both cuts and re-cases a secret is rare,
    // and in any case the parts (which start with any character) cost three times as much.
    searches = [[...secrets].filter((form) => !encoded.has(form)), [...encoded]].flatMap((forms) => search(forms, true) ?? []);
    partSearch = search(parts.keys(), false);
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
    addSecret(value, use = {}) {
      if (value === undefined) return;
      // Also without the blanks around it: a token pasted with a space at its end reaches
      // Studio without it (HTTP drops them from a header), and is quoted so.
      for (const each of new Set([value, value.trim()])) {
        const spelled = spellings(each, use);
        for (const form of [...spelled.text, ...spelled.base64]) {
          if (secrets.has(form)) continue;
          secrets.add(form);
          if (spelled.base64.includes(form)) encoded.add(form);
          dirty = true;
        }
        for (const part of spelled.parts) {
          const known = parts.get(part.text) ?? [];
          if (known.some((other) => other.secret === part.secret && other.end === part.end)) continue;
          parts.set(part.text, [...known, part]);
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
    redact: (text) => redact(text, false),
    redactOutput,
    holds: (text) => secretRanges(text, false).length > 0,
    redactHead: (text, max) => redactHead(text, max, false),
    quoted: { redact: (text) => redact(text, true), redactHead: (text, max) => redactHead(text, max, true) },
  };

  function redactHead(text: string, max: number, quoted: boolean): string {
    if (text.length <= max) return redact(text, quoted);
    if (dirty) rebuild();
    let end = max;
    // Only secrets near the cut can be split by it, with the secrets they overlap: the
    // window grows back while a run of overlapping secrets reaches its start.
    for (let back = 2 * longest; ; back *= 2) {
      const from = Math.max(0, max - back);
      const ranges = secretRanges(text.slice(from, max + longest), quoted);
      // A secret starting before the window may overlap the first range found in it.
      if (from > 0 && ranges[0] !== undefined && ranges[0][0] < longest) continue;
      for (const [start, stop] of ranges) if (from + start < max && from + stop > max) end = from + start;
      break;
    }
    let head = redact(text.slice(0, end), quoted);
    if (end < max) head += REDACTED;
    if (cutMemberPattern !== undefined) head = head.replace(cutMemberPattern, `$1${REDACTED}`);
    // user:pass@ whose @ is past the cut.
    return replaceCutUrlCredentials(head, REDACTED);
  }

  /** Where secrets are in `text`: [start, end) ranges, those that overlap merged; `quoted`: a server's words. */
  function secretRanges(text: string, quoted: boolean): [number, number][] {
    if (dirty) rebuild();
    const found: [number, number][] = [];
    for (const { any, every } of searches) {
      if (!any.test(text)) continue;
      for (const match of text.matchAll(every)) found.push([match.index, match.index + (match[1] ?? "").length]);
    }
    if (partSearch === undefined) return merged(found.sort((a, b) => a[0] - b[0]));
    // Looked for only where no whole secret is, which in nearly every text holding one
    // leaves nothing to look at: a text with a secret at each of its 10,000 lines (a 16 MB
    // plan) would otherwise be searched through once more.
    found.sort((a, b) => a[0] - b[0]);
    const rest = blanked(text, found);
    if (!partSearch.any.test(rest)) return merged(found);
    for (const match of rest.matchAll(partSearch.every)) {
      const seen = match[1] ?? "";
      for (const part of parts.get(seen) ?? []) {
        const range = partRange(text, part, match.index, match.index + seen.length, quoted);
        if (range !== undefined) found.push(range);
      }
    }
    // A part grown back over the secret's start may begin before the ranges found so far.
    return merged(found.sort((a, b) => a[0] - b[0]));
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
    if (keys.size === 0 || !/^[[{][\s\S]*[\]}]\n$/.test(text)) return redact(text, false);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return redact(text, false);
    }
    if (dirty) rebuild();
    const walk = (value: unknown, environment: boolean): unknown => {
      if (typeof value === "string") return redact(value, false);
      if (Array.isArray(value)) return value.map((item) => walk(item, false));
      if (value === null || typeof value !== "object") return value;
      // fromEntries defines each key as its own property, `__proto__` included.
      return Object.fromEntries(
        Object.entries(value).map(([name, item]) => [
          redact(name, false),
          environment && keys.has(name) && typeof item === "string" && item !== SENSITIVE ? REDACTED : walk(item, name === "environment"),
        ]),
      );
    };
    return jsonForReaders(walk(doc, false));
  }

  function redact(text: string, quoted: boolean): string {
    if (dirty) rebuild();
    let out = text;
    const ranges = secretRanges(text, quoted);
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
 * ${env:...} from the environment (not a default, which the spec itself holds), and the
 * names of sensitive environment keys. Only the
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
