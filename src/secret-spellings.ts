// The forms a secret takes in what a server sends back or the tool itself writes: the
// redactor (src/redact.ts) hides each of them. See docs/architecture.md, "Secrets in output".
// The redactor matches them without regard to case, so a spelling that differs only in case
// (hex digits of an escape, a message a server upper-cases) needs no form of its own.

import { escapeUnseenInJson, printable } from "./invisible.js";
import { escapeMarkdown } from "./markdown-text.js";
import { escapeData, escapeProperty, withoutWorkflowCommands } from "./workflow-commands.js";

/**
 * Values shorter than this are not replaced wherever they occur: replacing every "1" or
 * "eu" in the output would garble it and protect nothing, since so short a value is
 * guessed in a few tries. They are still hidden where they stand as the value of a
 * sensitive key (`API_KEY=ab`, `"API_KEY": "ab"`), which is how a server quotes them.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * The shortest base64 form hidden: the characters of a short value's encoding that no
 * neighbour changes are few, and as few letters and digits may be anything in a text.
 */
const MIN_BASE64_LENGTH = 8;

/**
 * The shortest start or end of a secret hidden where a server cut the secret short: at
 * least this long, and at least a quarter of the secret. What a cut may leave shown is then
 * at most 9 characters at each end of a short secret, less than a quarter at each end of a
 * long one (pydantic shows the first and last 24 characters of a value past 50).
 */
const MIN_PART_LENGTH = 10;

/**
 * Values hidden only where they stand, like short ones: a JSON word (`false`, `null`) or a
 * number of up to 5 characters (`8080`, `3.12`). Replaced wherever they occur they would
 * protect nothing (they are guessed at once) and would break what the tool prints:
 * `"protect": false` in a JSON plan would become `"protect": ***`.
 */
function tooCommon(form: string): boolean {
  return /^(?:true|false|null)$/i.test(form) || (form.length <= 5 && /^[-+]?\d+(?:\.\d*)?$/.test(form));
}

/** A surrogate without its pair: what String.prototype.toWellFormed replaces with U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The characters the WHATWG URL parser percent-encodes in a path, a query (of an http(s) URL)
 * and a fragment: controls, the blank, some punctuation, and every character past `~`.
 */
const URL_PART_ENCODED = [/[^\u0021-\u007e]|["#<>?`{}]/gu, /[^\u0021-\u007e]|["#<>']/gu, /[^\u0021-\u007e]|["<>`]/gu];

/** A character as a URL writes it percent-encoded: its UTF-8 bytes as %XX. */
function percentEncoded(c: string): string {
  return [...Buffer.from(c, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

/** Every non-ASCII character as a `\uXXXX` escape, as Python's and Java's JSON writers escape them. */
function escapeNonAscii(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A start or an end of a secret, hidden where a server cut the secret short there. */
export interface SecretPart {
  /** The part: the secret's first or last characters. */
  text: string;
  /** The whole secret, as the part spells it. */
  secret: string;
  /** Whether the part is the secret's end (a cut is before it) or its start (a cut is after it). */
  end: boolean;
}

/**
 * The forms of a secret: those of its text, its base64 (letters and digits, which the
 * redactor looks for apart), and the parts of it left where a server cuts it short.
 */
export interface Spellings {
  text: string[];
  base64: string[];
  parts: SecretPart[];
}

/** What is known of where a secret goes, which decides the forms it may take. */
export interface SecretUse {
  /** A multi-line value (a key file) may be quoted one line at a time. */
  lines?: boolean;
  /**
   * Sent in a header (the token, in Authorization), which a server may quote in base64 as it
   * came (Basic auth, a log of the headers). Other values travel in a JSON body, which no
   * server encodes so; their base64 forms are not looked for, as they cost the most to find.
   */
  header?: boolean;
}

/**
 * The forms a value takes when a server quotes it: as is, inside a JSON string (also with
 * every non-ASCII character escaped, as Python writes JSON), in a URL, in HTML, in base64
 * (a header's value); and as a plan's Markdown writes it.
 */
export function spellings(value: string, use: SecretUse = {}): Spellings {
  const forms = new Set<string>([value]);
  const json = JSON.stringify(value).slice(1, -1);
  forms.add(json);
  // Escaped twice: JSON inside a JSON string, and Python's repr (pydantic's
  // input_value='...') as is and inside a JSON error body, with non-ASCII as \uXXXX or not.
  if (json !== value) forms.add(JSON.stringify(json).slice(1, -1));
  // ... the inner JSON written by Python's json.dumps, non-ASCII as \uXXXX: a server that
  // quotes the body it parsed, dumped again, in a JSON error.
  forms.add(JSON.stringify(escapeNonAscii(json)).slice(1, -1));
  // Python picks the repr's quote by the whole string the value is part of (an environment
  // string holding `"` is quoted with `'`), so the value's own quote may be escaped either way.
  for (const quote of ["'", '"'] as const) {
    const repr = pythonRepr(value, quote);
    if (repr === value) continue;
    const inJson = JSON.stringify(repr).slice(1, -1);
    forms.add(repr);
    forms.add(inJson);
    forms.add(escapeNonAscii(inJson));
  }
  forms.add(escapeNonAscii(json));
  // JSON writers that escape `/` too (PHP, some Java ones).
  forms.add(json.replace(/\//g, "\\/"));
  // As the tool itself writes it: in its JSON (jsonForReaders escapes only the controls and
  // invisible characters, not the rest of the non-ASCII), and in its text (printable()).
  forms.add(escapeUnseenInJson(json));
  forms.add(printable(value));
  // URL encodings: encodeURIComponent's, and RFC 3986's (Python's), which also encodes
  // !'()*; each also as Python's quote() writes it (keeping `/`) and as form encoding does
  // (a space as `+`). Lowercase hex digits match too, as every form matches in any case.
  // A lone surrogate has no UTF-8, so encodeURIComponent throws on it; no URL can carry one
  // anyway, and the rest of the value is hidden in its encoded form all the same.
  const encoded = encodeURIComponent(value.replace(LONE_SURROGATE, "\ufffd"));
  const strict = encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  for (const url of [encoded, strict]) {
    for (const form of [url, url.replace(/%2F/g, "/"), url.replace(/%20/g, "+")]) forms.add(form);
  }
  // As the WHATWG URL parser writes it into a URL's path, query or fragment, where it encodes
  // fewer characters: a redirect's Location holding the token was named by its href, where
  // `Tk{ab|cd}` is `Tk%7Bab|cd%7D`, a spelling neither encoding above has.
  const wellFormed = value.replace(LONE_SURROGATE, "\ufffd");
  for (const set of URL_PART_ENCODED) forms.add(wellFormed.replace(set, percentEncoded));
  // HTML escapes, as each writer spells the quotes: Python's html.escape and Django (&quot;
  // and &#x27; or &#39;), Jinja's MarkupSafe (&#34; &#39;), PHP (&#039;), XML (&apos;).
  const html = value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  for (const [double, single] of [
    ["&quot;", "&#x27;"],
    ["&quot;", "&#39;"],
    ["&#34;", "&#39;"],
    ["&quot;", "&#039;"],
    ["&quot;", "&apos;"],
  ] as const) {
    const escaped = html.replace(/"/g, double).replace(/'/g, single);
    // ... also inside a JSON body (an escaped message a server sends as JSON).
    forms.add(escaped).add(JSON.stringify(escaped).slice(1, -1));
  }
  // A plan's Markdown (a pull-request comment) writes `_`, `:`, `@` and the like in a name as
  // character references: a secret Studio echoes in a job's name would pass as sk&#95;live...
  // The dot of `www.` is escaped too, so a secret starting `.`, `w.` or `ww.` is spelled
  // otherwise after a name's `www`, `ww` or `w`; so is the `-` of `gh-`, after `gh` or `g`.
  for (const lead of ["", "w", "ww", "www", "g", "gh"]) forms.add(escapeMarkdown(lead + value).slice(lead.length));
  // As a plan's Markdown diff writes each form, a CI runner's command escaped before the
  // output is redacted (src/render/markdown.ts, fence): a token holding `##[` was printed
  // whole as `##\u005b`. After a `#`, `##` or `##vso` of the text, a secret starting `#[`,
  // `[` or `vso[` is escaped too.
  for (const form of [...forms])
    for (const lead of ["", "#", "##", "##vso"]) forms.add(withoutWorkflowCommands(lead + form).slice(lead.length));
  // As an annotation of `validate --format github` escapes each: its message (`%` as %25, a
  // line break as %0A) and its file (`:` and `,` too). A token holding `%` and a blank was
  // printed whole in an annotation, as no URL encoding spells it so.
  for (const form of [...forms]) forms.add(escapeData(form)).add(escapeProperty(form));
  // A multi-line secret (a key file) may be quoted one line at a time.
  if (use.lines === true && value.includes("\n"))
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_SECRET_LENGTH) forms.add(line);
  const spelled: Spellings = {
    text: [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH && !tooCommon(form)),
    base64: use.header === true ? base64Forms(value).filter((form) => form.length >= MIN_BASE64_LENGTH && !forms.has(form)) : [],
    // As is, and as a JSON body (described as its text) holds it.
    parts: [...new Set([value, json])].flatMap(secretParts),
  };
  // A header's value too short or too common to hide wherever it stands (a token `12345`) is
  // hidden where it stands in the header a server quotes: `Bearer 12345`, as the client sends it.
  if (use.header === true && value.trim() !== "" && (value.length < MIN_SECRET_LENGTH || tooCommon(value))) {
    const inHeader = spellings(`Bearer ${value}`, { header: true });
    spelled.text.push(...inHeader.text);
    spelled.base64.push(...inHeader.base64);
  }
  return spelled;
}

/** The start and the end of a secret long enough to be hidden in part; none of a shorter one. */
function secretParts(secret: string): SecretPart[] {
  const length = Math.max(MIN_PART_LENGTH, Math.ceil(secret.length / 4));
  if (secret.length <= length) return [];
  return [
    { text: secret.slice(0, length), secret, end: false },
    { text: secret.slice(-length), secret, end: true },
  ];
}

/**
 * The value in base64, wherever it stands in the encoded text: a server may quote the
 * Authorization header as it came (`Basic dXNlcjp0b2s...`), or base64 whatever holds the
 * value (`Bearer tok...` as a whole). Which characters encode the value depends on how many
 * bytes come before it, modulo 3: for each of the three, the characters that its bytes alone
 * decide, in the standard and the URL-safe alphabet.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value.replace(LONE_SURROGATE, "\ufffd"), "utf8");
  const forms: string[] = [];
  for (const [lead, dropped] of [
    [0, 0],
    [1, 2],
    [2, 3],
  ] as const) {
    const all = Buffer.concat([Buffer.alloc(lead), bytes]);
    // Each 3 bytes make 4 characters; of a last 1 or 2 bytes, the first 1 or 2 characters are theirs alone.
    const decided = Math.floor(all.length / 3) * 4 + (all.length % 3);
    const core = all.toString("base64").slice(dropped, decided);
    forms.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return forms;
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
