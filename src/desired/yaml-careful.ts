// The careful YAML reader: the `yaml` library's nodes, which know their positions.
// It reads documents that use anchors, aliases, merge keys or tags, explains syntax
// errors, and locates problems in any document. Nothing recursive runs on a document
// before its nesting is known to be bounded: the concrete syntax tree is built by an
// iterative parser whose stack is watched, and only then composed into nodes.

import { createRequire } from "node:module";
import type * as YamlLibrary from "yaml";
import type { Alias, Document, Node, Pair, ParsedNode, Scalar, YAMLError, YAMLMap } from "yaml";
import type { CST } from "yaml";
import type { SourceLocation, SpecIssue } from "../errors.js";
import { formatPath, MAX_NESTING, showKey, tooDeep, type DocPath, type ParsedYaml } from "./yaml-source.js";
import { unstorableCharacter } from "../invisible.js";
import { setOwn } from "../own-property.js";

// Loaded only when needed: a valid plain spec never needs it.
const require = createRequire(import.meta.url);
let yamlLibrary: typeof YamlLibrary | undefined;
function yaml(): typeof YamlLibrary {
  yamlLibrary ??= require("yaml") as typeof YamlLibrary;
  return yamlLibrary;
}

/**
 * Values a document may hold once its aliases are expanded. A spec that shares settings
 * through anchors stays far below it; a "billion laughs" document is refused.
 */
export const MAX_EXPANDED_VALUES = 1_000_000;

type At = (offset: number) => SourceLocation;

/** YAML errors reported per file. */
const MAX_SYNTAX_ISSUES = 10;

export function parseCarefully(file: string, text: string): ParsedYaml {
  const read = readDocument(file, text);
  if ("issues" in read) return read;
  // A merge key that merges no mapping is a problem of its own place: the document is read
  // without it, so the rest of the file is still checked and every problem said at once.
  const data = toData(read.doc, read.targets);
  // The nodes weigh several times the data (72 MB against 9 for a 1 MB file of merged jobs,
  // and a spec may have many files): they are let go now, and read again only if a problem
  // in the file needs a place.
  let located: { find: (path: DocPath) => Found; at: At; occurrences: Occurrences } | undefined;
  return {
    recovered: read.badMerges,
    source: {
      file,
      data,
      locate(path, options = {}) {
        if (located === undefined) {
          const again = readDocument(file, text);
          if ("issues" in again) return { file, line: 1, column: 1 };
          located = { find: createFinder(again.doc, again.targets), at: again.at, occurrences: new WeakMap() };
        }
        const found = located.find(path);
        const node = options.key === true && found.pair !== undefined ? (found.pair.key as Node | null) : found.node;
        const range = node?.range ?? found.fallback?.range;
        const start = range?.[0] ?? 0;
        const inside =
          options.occurrence === undefined || node == null ? undefined : occurrenceAt(text, node, options.occurrence, located.occurrences);
        return located.at(inside ?? start);
      },
    },
  };
}

/**
 * Where in `text` the `index`-th `occurrence.text` of a scalar's value is written, or undefined
 * when that is not certain. Folding, chomping and indentation change only line breaks and the
 * white space around them, so each occurrence in the value is one in the source, in order,
 * unless an escape of double quotes made one (`"\x24{"`) or joined lines (`\` at a line's end):
 * the place is trusted only when the value and its source hold the same number. Asked only
 * when a problem is reported.
 */
function occurrenceAt(text: string, node: Node, occurrence: { text: string; index: number }, cache: Occurrences): number | undefined {
  let byText = cache.get(node);
  if (byText === undefined) cache.set(node, (byText = new Map<string, number[] | null>()));
  // One value noted at each of its N URLs asks N times: its places are found once, not N times.
  let places = byText.get(occurrence.text);
  if (places === undefined) byText.set(occurrence.text, (places = placesIn(text, node, occurrence.text)));
  return places === null ? undefined : places[occurrence.index];
}

/** Where in `text` the scalar `node` writes each `part` of its value, or null when that is not certain (see occurrenceAt). */
function placesIn(text: string, node: Node, part: string): number[] | null {
  const { isScalar } = yaml();
  if (!isScalar(node) || typeof node.value !== "string" || node.range == null) return null;
  const [start, end] = node.range;
  // A block scalar's header line (`|2- # comment`) is not its value.
  const block = node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED";
  const from = block ? text.indexOf("\n", start) + 1 : start;
  if (block && from === 0) return null;
  const inSource = positions(text.slice(from, end), part);
  if (positions(node.value, part).length !== inSource.length) return null;
  return inSource.map((place) => from + place);
}

/** The places found of each scalar's parts, for one document. */
type Occurrences = WeakMap<Node, Map<string, number[] | null>>;

/** Where `text` occurs in `within`, not overlapping. */
function positions(within: string, text: string): number[] {
  const out: number[] = [];
  for (let i = within.indexOf(text); i !== -1; i = within.indexOf(text, i + text.length)) out.push(i);
  return out;
}

/** The document's nodes once they are known to be sound, or its problems. */
function readDocument(
  file: string,
  text: string,
): { doc: Document.Parsed; targets: Map<Alias, Node>; badMerges: SpecIssue[]; at: At } | { issues: SpecIssue[] } {
  const { LineCounter } = yaml();
  const lineCounter = new LineCounter();
  const at: At = (offset) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };

  const composed = compose(text, lineCounter, at);
  if ("issues" in composed) return composed;
  const { doc } = composed;

  const shape = measure(doc, at);
  if (shape.issues.length > 0) return { issues: [...shape.issues, ...shape.badMerges] };
  const badKeys = checkKeys(doc, text, at);
  if (badKeys.length > 0) return { issues: [...shape.badMerges, ...badKeys] };
  return { doc, targets: shape.targets, badMerges: shape.badMerges, at };
}

/** Thrown to stop the composer once it has reported enough errors. */
const FLOOD = new Error("too many YAML errors");

/**
 * The document's nodes, or its syntax problems: the first few of them, then a line saying
 * more follow. A broken file can make the library report an error per token, hundreds of
 * thousands of them: past the first few, reading stops.
 */
function compose(text: string, lineCounter: YamlLibrary.LineCounter, at: At): { doc: Document.Parsed } | { issues: SpecIssue[] } {
  const { Composer } = yaml();
  // Nobody reads the stack traces of the library's error objects: do not pay for them.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const read = readTokens(text, lineCounter);
    if ("deepAt" in read) return { issues: [tooDeep(at(read.deepAt))] };
    const streamIssues = checkStream(read.tokens, at);
    if (streamIssues.length > 0) return { issues: streamIssues };
    // Warnings (an unknown tag, say) are problems too: nothing is printed by the library itself.
    // resolveKnownTags off: YAML 1.1's !!binary, !!set, !!timestamp... are unknown tags here too.
    const composer = new Composer({
      merge: true,
      resolveKnownTags: false,
      uniqueKeys: false,
      strict: true,
      logLevel: "error",
      version: "1.2",
    });
    // The composer reports through its onError property, into its errors and warnings lists
    // (yaml 2.x internals, pinned in package.json): counted here, to stop a flood.
    const internals = composer as unknown as { onError: (...args: unknown[]) => void; errors: YAMLError[]; warnings: YAMLError[] };
    const report = internals.onError;
    let reported = 0;
    internals.onError = (...args) => {
      report(...args);
      if (++reported > MAX_SYNTAX_ISSUES * 10) throw FLOOD;
    };
    let doc: Document.Parsed | undefined;
    let syntax: YAMLError[];
    let cut = read.cut;
    try {
      doc = [...composer.compose(read.tokens, true, text.length)][0];
      syntax = doc === undefined ? [] : [...doc.errors, ...doc.warnings];
    } catch (error) {
      if (error !== FLOOD) throw error;
      syntax = [...internals.errors, ...internals.warnings];
      cut ??= syntax.at(-1)?.pos[0] ?? 0;
    }
    if (read.bareTagAt !== undefined) {
      // Said in its place among the syntax problems, as an unknown tag is.
      const bare: SpecIssue = { location: at(read.bareTagAt), path: "", message: BARE_TAG };
      const before = (issue: SpecIssue) =>
        issue.location.line < bare.location.line ||
        (issue.location.line === bare.location.line && issue.location.column < bare.location.column);
      const issues = syntax.length > 0 ? syntaxIssues(syntax, cut, at, text) : [];
      const first = issues.filter(before);
      return { issues: [...first, bare, ...issues.slice(first.length)] };
    }
    if (syntax.length > 0) return { issues: syntaxIssues(syntax, cut, at, text) };
    if (doc === undefined) return { issues: [{ location: at(0), path: "", message: "the file holds no YAML document" }] };
    return { doc };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** The first few syntax problems by place, and where more follow if they do. */
function syntaxIssues(problems: YAMLError[], cut: number | undefined, at: At, text: string): SpecIssue[] {
  const sorted = [...problems].sort((a, b) => a.pos[0] - b.pos[0]);
  // After the first few, a syntax error's followers are mostly its echoes.
  const shown: SpecIssue[] = sorted.slice(0, MAX_SYNTAX_ISSUES).map((problem) => ({
    location: at(problem.pos[0]),
    path: "",
    message:
      problem.name === "YAMLWarning"
        ? warningMessage(problem.code, problem.message)
        : yamlMessage(problem.message) +
          (text.charCodeAt(problem.pos[0]) === TAB ? INDENTED_BY_TAB : "") +
          dashesHint(text, problem.pos[0]) +
          starHint(text, problem.pos[0]),
  }));
  const next = sorted[MAX_SYNTAX_ISSUES];
  if (next !== undefined || cut !== undefined) {
    // Once reading stopped early, how many more there are is not known.
    const more = sorted.length - MAX_SYNTAX_ISSUES;
    shown.push({
      location: at(next?.pos[0] ?? cut ?? 0),
      path: "",
      message:
        cut === undefined
          ? `and ${more} more YAML error${more === 1 ? "" : "s"} from here on; fix the ones above first`
          : "and more YAML errors from here on; fix the ones above first",
    });
  }
  return shown;
}

/**
 * The concrete syntax tree, built lexeme by lexeme. The parser keeps its open
 * collections on a stack: once that is deeper than any spec, stop, before the parser
 * (whose cost grows with depth) or the recursive composer ever sees the rest.
 */
function readTokens(
  text: string,
  lineCounter: YamlLibrary.LineCounter,
): { tokens: CST.Token[]; cut: number | undefined; bareTagAt: number | undefined } | { deepAt: number } {
  const { Lexer, Parser } = yaml();
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  // The stack also holds the document and the pair being read: allow a little more than the
  // limit here; the exact count is made on the composed nodes.
  const guard = MAX_NESTING + 8;
  // Tokens that fit nowhere come out as error tokens, or pile up in the `end` list of the
  // value they follow: past a few, stop reading, and let what was read say what is wrong.
  const flood = MAX_SYNTAX_ISSUES * 10;
  let errors = 0;
  let cut: number | undefined;
  let watched: CST.Token | undefined;
  let checked = 0;
  let stray = 0;
  let bareTagAt: number | undefined;
  for (const lexeme of new Lexer().lex(text)) {
    // A lexeme of its own is never part of a scalar: `!` alone is the tag. The parser's offset is where the lexeme starts.
    if (lexeme === "!") bareTagAt ??= parser.offset;
    for (const token of parser.next(lexeme)) {
      tokens.push(token);
      if (token.type === "error") errors += 1;
    }
    // Point at the first collection past the limit (the stack's first entry is the document).
    if (parser.stack.length > guard) return { deepAt: parser.stack[MAX_NESTING + 1]?.offset ?? parser.offset };
    const top = parser.stack.at(-1);
    if (top !== watched) {
      watched = top;
      checked = 0;
      stray = 0;
    }
    const end = top !== undefined && "end" in top && Array.isArray(top.end) ? top.end : [];
    for (; checked < end.length; checked++) if (!TRIVIA.has(end[checked]?.type ?? "space")) stray += 1;
    if (errors > flood || stray > flood) {
      cut = parser.offset;
      break;
    }
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens, cut, bareTagAt };
}

/**
 * The non-specific tag `!` makes a scalar text, and an empty one the empty text where YAML
 * reads null: js-yaml reads `a: !` as null, so a document would change meaning once an
 * anchor sent it to this reader. It is no core tag; like the others, a spec refuses it.
 */
const BARE_TAG = "the tag ! is not used in a spec: remove it (quote a value that must be text)";

/** What may follow a value on its line: anything else there is out of place. */
const TRIVIA = new Set(["space", "newline", "comment"]);

/** One document per file, and no directives: `%YAML 1.1` or `%TAG` would change how the rest reads. */
function checkStream(tokens: readonly CST.Token[], at: At): SpecIssue[] {
  let documents = 0;
  for (const token of tokens) {
    if (token.type === "directive" && !/^%YAML\s+1\.2\s*$/.test(token.source)) {
      return [
        {
          location: at(token.offset),
          path: "",
          message: `the directive "${token.source.slice(0, 40)}" is not used in a spec; remove the line`,
        },
      ];
    }
    if (token.type === "document" && ++documents === 2) {
      return [
        {
          location: at(token.offset),
          path: "",
          message: "a spec file holds one YAML document, and a second one starts here; split the file into two files",
        },
      ];
    }
  }
  return [];
}

const TAB = 0x09;

/**
 * Said of a problem found at a tab: a line indented with one (an editor set to keep tabs)
 * is told only "Tabs are not allowed as indentation", or, in a block scalar (`query: |`),
 * something about indentation indicators.
 */
const INDENTED_BY_TAB = "; YAML indents with spaces only: replace the tab here with spaces";

/**
 * Said of a problem at a line that starts `---` and text (`---# spec`): YAML 1.2 reads that
 * line as text, not as the start of the document, and then says only what the text breaks.
 */
function dashesHint(text: string, offset: number): string {
  if (!text.startsWith("---", offset) || (offset > 0 && text[offset - 1] !== "\n")) return "";
  // YAML's white space is a space or a tab (a no-break space is text), and a line ends in \n or \r.
  return /[^ \t\r\n]/.test(text[offset + 3] ?? "")
    ? "; --- starts the document only when a space or the line's end follows it: write --- # ..., or remove it"
    : "";
}

/**
 * A value of several words written unquoted after `key: ` or `- ` that starts with `*`, as
 * a cron expression often does (an alias alone, `*gpu`, is no problem). Each part stops at a
 * character the next one needs, so a line is matched in one pass: the blanks after the first
 * word end where a character that is none starts, else a line that does not match (a `#`
 * followed by a U+2028) was tried at every split of its blanks, quadratic in their number.
 */
const STARRED_VALUE = /^[ \t]*((?:- +)?(?:[^\s#"':][^:#]*: +)?)(\*[^\s#]*[ \t]+[^ \t#\r\n][^#\r\n]*)(?:#.*)?$/;

/**
 * The same in a flow mapping (`schedule: {cron: *\/15 * * * *}`): a key after `{` or `,`, and its
 * value up to the next `,`, bracket or comment. Each part stops where the next starts, so an
 * attempt at each `{` or `,` ends at the next: linear in the line.
 */
const FLOW_STARRED = /[{,][ \t]*([^\s#"':,{}[\]][^:#,{}[\]]*:)[ \t]+(\*[^,{}[\]#]*)/;

/**
 * Said of a problem on a line whose value starts with `*`: YAML reads a cron expression such
 * as `*\/15 * * * *` unquoted as aliases, and says only "Unexpected alias" (once a star) or
 * "Unexpected scalar", never to quote it.
 */
function starHint(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const end = text.indexOf("\n", offset);
  const line = text.slice(start, end === -1 ? text.length : end).replace(/\r$/, "");
  const match = STARRED_VALUE.exec(line) ?? FLOW_STARRED.exec(line);
  const value = match?.[2]?.trimEnd() ?? "";
  // A first word ending in `:` makes the line a key, an alias written as one (`*gpu: 1`): quoted whole, it would be a value.
  if (!/\S\s+\S/.test(value) || /^\S*:\s/.test(value)) return "";
  const quoted = [match?.[1]?.trim() ?? "", JSON.stringify(value)].filter((part) => part !== "").join(" ");
  return `; a value that starts with * is read as an alias: quote it, ${quoted}`;
}

/**
 * What yaml says of a [list] or {mapping} continued on a line not indented past its key, or
 * never closed, says "sufficiently" but not how far: the spec's rule, in its words.
 */
const FLOW_HINTS: readonly (readonly [RegExp, string])[] = [
  [
    /^Flow sequence in block collection must be sufficiently indented/,
    "; a [list] continued on the next lines must have them indented past its key",
  ],
  [
    /^Flow map in block collection must be sufficiently indented/,
    "; a {mapping} continued on the next lines must have them indented past its key",
  ],
];

function yamlMessage(message: string): string {
  // yaml's messages end with a code excerpt on later lines; keep the first line.
  const first = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  // A quote closed on a line not indented past the key is not closed, to YAML 1.2.
  const hint = /^Missing closing .?quote$/.test(first)
    ? "; quoted text continued on the next lines must have them indented past its key"
    : (FLOW_HINTS.find(([pattern]) => pattern.test(first))?.[1] ?? "");
  return `invalid YAML: ${first}${hint}`;
}

/** The YAML 1.2 core schema's tags, which a spec may carry on a value that fits them. */
const CORE_TAGS = new Set(["!!str", "!!int", "!!float", "!!bool", "!!null", "!!seq", "!!map"]);

function warningMessage(code: string, message: string): string {
  if (code === "TAG_RESOLVE_FAILED") {
    const resolved = /Unresolved tag: (.*)$/.exec(message.split("\n")[0] ?? "")?.[1] ?? "";
    // Shown as written: !!binary rather than tag:yaml.org,2002:binary.
    const tag = resolved.startsWith("tag:yaml.org,2002:") ? `!!${resolved.slice(18)}` : resolved;
    // A core tag is known: what failed is the value it was put on (`!!bool 3`).
    if (CORE_TAGS.has(tag)) return `the value is not what its tag ${tag} says; a spec needs no tags: remove it`;
    return `unknown tag ${tag.slice(0, 60)}: a spec uses only plain values, lists and mappings; remove the tag`;
  }
  return yamlMessage(message);
}

function isMergeKey(pair: Pair): boolean {
  const { isScalar } = yaml();
  // With merge keys on, the library reads a plain `<<` key as a symbol.
  return isScalar(pair.key) && typeof pair.key.value === "symbol";
}

/**
 * A scalar key as the document's data has it: its text. Past checkKeys() every key the tool
 * reads is text; in an `x-` fragment no job merges, a number or boolean keeps its text as
 * js-yaml writes it. A merge key is a symbol.
 */
function keyText(value: unknown): string {
  if (typeof value === "string") return value;
  return typeof value === "number" || typeof value === "boolean" || value === null ? String(value) : "";
}

interface Shape {
  /** Values once aliases are expanded. */
  size: number;
  /** Levels once aliases are expanded: a scalar is 1. */
  depth: number;
}

/**
 * One pass over the nodes, recursive but no deeper than the parser guard allowed: the
 * nesting with aliases expanded, their total expansion, aliases that refer to their own
 * ancestors, merge keys that merge something other than mappings, and keys that are
 * lists or mappings. Also maps each alias to the node it names, for locating.
 */
function measure(doc: Document, at: At): { issues: SpecIssue[]; badMerges: SpecIssue[]; targets: Map<Alias, Node> } {
  const { isAlias, isMap, isSeq, isCollection } = yaml();
  const issues: SpecIssue[] = [];
  const badMerges: SpecIssue[] = [];
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  const shapes = new Map<Node, Shape>();
  const open = new Set<Node>();
  let expanded = 0;
  let tooLarge = false;
  let deep = false;
  const tooDeepAt = (node: Node, how?: string): void => {
    // One place is enough: every node below it is too deep as well.
    if (!deep) issues.push(tooDeep(here(node), how));
    deep = true;
  };
  const here = (node: Node | null | undefined): SourceLocation => at(node?.range?.[0] ?? 0);
  const leaf: Shape = { size: 1, depth: 1 };

  const resolve = (node: unknown): unknown => (isAlias(node) ? targets.get(node) : node);

  const visit = (node: unknown, depth: number): Shape => {
    if (node === null || node === undefined) return leaf;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) {
        // The composer does not say so (the library's toJS() would throw): the alias would read as null.
        issues.push({
          location: here(node),
          path: "",
          message: `the alias *${node.source} names no anchor: define &${node.source} on a value above it, or write the value out`,
        });
        return leaf;
      }
      targets.set(node, target);
      if (open.has(target)) {
        issues.push({
          location: here(node),
          path: "",
          message: `the alias *${node.source} is inside the value it names: a spec cannot contain itself`,
        });
        return leaf;
      }
      const shape = shapes.get(target) ?? leaf;
      expanded += shape.size;
      if (expanded > MAX_EXPANDED_VALUES && !tooLarge) {
        tooLarge = true;
        issues.push({
          location: here(node),
          path: "",
          message: `the YAML aliases expand to more than ${MAX_EXPANDED_VALUES.toLocaleString("en-US")} values: the document would grow without bound; write the values out`,
        });
      }
      if (depth - 1 + shape.depth > MAX_NESTING) tooDeepAt(node, `with the alias *${node.source} expanded, the document`);
      return shape;
    }
    const current = node as Node;
    // An anchor is defined where its node starts: an alias inside the node refers to it.
    if (current.anchor !== undefined) anchors.set(current.anchor, current);
    if (depth > MAX_NESTING) {
      tooDeepAt(current);
      return leaf;
    }
    if (!isCollection(current)) return remember(current, leaf);
    open.add(current);
    let size = 1;
    let deepest = 0;
    const add = (child: unknown): void => {
      const shape = visit(child, depth + 1);
      size += shape.size;
      deepest = Math.max(deepest, shape.depth);
    };
    if (isMap(current)) {
      for (const pair of current.items) {
        add(pair.key);
        add(pair.value);
        checkPair(pair);
      }
    } else if (isSeq(current)) {
      for (const item of current.items) add(item);
    }
    open.delete(current);
    return remember(current, { size, depth: 1 + deepest });
  };

  const remember = (node: Node, shape: Shape): Shape => {
    if (node.anchor !== undefined) shapes.set(node, shape);
    return shape;
  };

  const checkPair = (pair: Pair): void => {
    if (isAlias(pair.key)) {
      // Read as the key "" otherwise: a job, or an environment variable, without a name.
      issues.push({ location: here(pair.key), path: "", message: `a key may not be an alias (*${pair.key.source}): write the name out` });
    } else if (isCollection(pair.key)) {
      issues.push({ location: here(pair.key), path: "", message: "a key must be a plain name, not a list or a mapping" });
    }
    if (isMergeKey(pair)) {
      const value = resolve(pair.value);
      // An alias naming no anchor resolves to undefined: it is reported as that, not here.
      const sources = isSeq(value) ? value.items.map(resolve) : [value];
      if (!sources.every((source) => source === undefined || isMap(source))) {
        badMerges.push({
          location: here(pair.value as Node),
          path: "",
          message: "<< merges mappings into this one: give it an alias of a mapping (<<: *base) or a list of them (<<: [*a, *b])",
        });
      }
    }
  };

  visit(doc.contents, 1);
  return { issues, badMerges, targets };
}

/**
 * The document as plain data, as the library's toJS() makes it, in one pass. Its own
 * toJS() looks each alias up by scanning every earlier anchor, which is quadratic in a
 * spec that merges a base into thousands of jobs; here each alias's value is known.
 * An aliased value is shared, not copied. Runs after measure(): nesting is bounded,
 * aliases point backwards, merge keys merge mappings.
 */
function toData(doc: Document, targets: ReadonlyMap<Alias, Node>): unknown {
  const { isAlias, isMap, isScalar, isSeq } = yaml();
  const values = new Map<Node, unknown>();
  const resolve = (node: unknown): unknown => (isAlias(node) ? targets.get(node) : node);
  const convert = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = targets.get(node);
      return target === undefined ? null : values.get(target);
    }
    let value: unknown;
    if (isScalar(node)) {
      value = node.value;
    } else if (isSeq(node)) {
      value = node.items.map(convert);
    } else if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (isMergeKey(pair)) {
          // Keys already in the mapping win over merged ones, and earlier sources over later.
          // What is not a mapping merges nothing (measure() reported it), but is still read:
          // an anchor on it may be used elsewhere.
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          const merged = sources.map(convert).filter((_, i) => isMap(resolve(sources[i])));
          for (const source of merged) {
            for (const [key, v] of Object.entries(source as Record<string, unknown>)) if (!Object.hasOwn(out, key)) setOwn(out, key, v);
          }
        } else {
          setOwn(out, isScalar(pair.key) ? keyText(pair.key.value) : "", convert(pair.value));
        }
      }
      value = out;
    }
    const current = node as Node;
    if (current.anchor !== undefined) values.set(current, value);
    return value;
  };
  return convert(doc.contents);
}

interface Found {
  node: Node | undefined;
  pair: Pair | undefined;
  /** The deepest node reached, when the path goes further than the document. */
  fallback: Node | undefined;
}

/**
 * Finds the node at a document path, through aliases and merge keys: a value merged from
 * `<<: *base` is found where the base writes it.
 */
function createFinder(doc: Document, targets: ReadonlyMap<Alias, Node>): (path: DocPath) => Found {
  const { isAlias, isMap, isScalar, isSeq } = yaml();
  // Each mapping's own keys indexed once: a spec with thousands of jobs is located in linear time.
  const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  const deref = (node: unknown): unknown => (isAlias(node) ? targets.get(node) : node);

  const ownPair = (map: YAMLMap, key: string): Pair | undefined => {
    let index = keyIndex.get(map);
    if (index === undefined) {
      index = new Map();
      for (const item of map.items) {
        // The first occurrence wins, as duplicates are refused anyway.
        if (isScalar(item.key) && !isMergeKey(item) && !index.has(keyText(item.key.value))) index.set(keyText(item.key.value), item);
      }
      keyIndex.set(map, index);
    }
    return index.get(key);
  };

  // A mapping's own keys win over merged ones; earlier merge sources win over later ones.
  const lookup = (map: YAMLMap, key: string, seen: Set<YAMLMap>): Pair | undefined => {
    const own = ownPair(map, key);
    if (own !== undefined) return own;
    seen.add(map);
    for (const item of map.items) {
      if (!isMergeKey(item)) continue;
      const value = deref(item.value);
      for (const source of isSeq(value) ? value.items.map(deref) : [value]) {
        if (!isMap(source) || seen.has(source)) continue;
        const found = lookup(source, key, seen);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };

  return (path) => {
    let node: unknown = deref(doc.contents);
    let pair: Pair | undefined;
    let fallback = doc.contents as Node | undefined;
    for (const segment of path) {
      pair = undefined;
      if (isMap(node)) {
        const match = lookup(node, String(segment), new Set());
        if (match === undefined) return { node: undefined, pair: undefined, fallback };
        pair = match;
        node = match.value;
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment];
      } else {
        return { node: undefined, pair: undefined, fallback };
      }
      if (node !== null && node !== undefined && typeof node === "object" && "range" in node) fallback = node as Node;
      else if (pair !== undefined && isScalar(pair.key)) fallback = pair.key;
      node = deref(node);
    }
    return { node: node as Node | undefined, pair, fallback };
  };
}

/** The first offset from `offset` that is neither white space nor in a comment (a `#` after white space). */
function pastBlanksAndComments(text: string, offset: number): number {
  let i = offset;
  for (;;) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1] ?? ""))) while (i < text.length && text[i] !== "\n" && text[i] !== "\r") i++;
    else return i;
  }
}

/**
 * Keys that are not text, and keys defined twice. YAML reads `0x1F:` as the number 31,
 * `1.10:` as 1.1 and `~:` as null, and both readers turn a key into the text of its value:
 * a job, a variable or an environment variable would be silently renamed (to "31", "1.1",
 * "null"). Every key the tool reads is a name, so such a key is refused where it is written.
 * A top-level `x-` fragment is the user's own and ignored (`x-history: {2024: ...}`), except
 * an anchored part of it, which may be merged into a job.
 */
function checkKeys(doc: Document<ParsedNode>, text: string, at: At): SpecIssue[] {
  const { isMap, isScalar, isSeq } = yaml();
  const issues: SpecIssue[] = [];
  // Half a character, or a NUL, comes only from an escape: a document without one is not searched for them.
  const mayHalve = UNSTORABLE_ESCAPE.test(text);
  const whole = (scalar: Scalar, path: (string | number)[], what: string): void => {
    const value = scalar.value;
    if (typeof value !== "string") return;
    const found = unstorableCharacter(value);
    if (found === undefined) return;
    const message = found === "\u0000" ? `the ${what} ${NUL_CHARACTER}` : halfCharacter(what, found);
    issues.push({ location: at(scalar.range?.[0] ?? 0), path: formatPath(path), message });
  };
  // Depth is bounded by measure(); aliases are not followed, so each node is seen once.
  const visit = (node: unknown, path: (string | number)[], ignored = false): void => {
    if (ignored && (node as Node | null)?.anchor !== undefined) ignored = false;
    if (mayHalve && !ignored && isScalar(node)) whole(node, path, "text");
    if (isMap(node)) {
      const seen = new Map<string, SourceLocation>();
      for (const item of node.items) {
        if (isMergeKey(item)) {
          // An inline mapping merged here holds keys of this mapping: checked as its own (an
          // alias's mapping is checked where it is defined).
          const sources = isSeq(item.value) ? item.value.items : [item.value];
          for (const source of sources) if (isMap(source)) visit(source, path, ignored);
          continue;
        }
        if (!isScalar(item.key)) continue;
        const start = item.key.range?.[0] ?? 0;
        const isJob = path.length === 1 && path[0] === "jobs";
        const fragment = ignored || (path.length === 0 && typeof item.key.value === "string" && item.key.value.startsWith("x-"));
        if (typeof item.key.value !== "string" && !ignored) {
          const written = typeof item.key.source === "string" ? item.key.source : "";
          // The library may place an empty key at the start of its line, or in a flow collection
          // right after the `,` before it, lines and comments earlier: point at its `:`.
          let offset = start;
          if (written === "") offset = pastBlanksAndComments(text, offset);
          issues.push({ location: at(offset), path: formatPath([...path, written]), message: notTextKey(item.key, written, isJob) });
          visit(item.value, [...path, written]);
          continue;
        }
        const here = at(start);
        const key = keyText(item.key.value);
        if (mayHalve && !fragment) whole(item.key, [...path, key], "key");
        const first = seen.get(key);
        if (first !== undefined) {
          const what = isJob ? `job "${showKey(key)}" is defined twice` : `key "${showKey(key)}" appears twice`;
          issues.push({
            location: here,
            path: formatPath([...path, key]),
            message: `${what}: first at ${first.file}:${first.line}:${first.column}, again here; keep one`,
          });
        } else {
          seen.set(key, here);
        }
        visit(item.value, [...path, key], fragment);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index], ignored));
    }
  };
  visit(doc.contents, []);
  return issues;
}

/** `\ud83d` or `\U0000D83D`, an escape that may give half of a character; `\0` and its other spellings, one of NUL. */
const UNSTORABLE_ESCAPE = /\\(?:(?:u|U0000)[dD][89a-fA-F]|0|x00|u0000|U00000000)/;

const NUL_CHARACTER = "holds a NUL character, which no text holds and Studio cannot store; remove it";

function halfCharacter(what: string, half: string): string {
  const escaped = `\\u${half.charCodeAt(0).toString(16)}`;
  return `the ${what} holds ${escaped}, half of a character (an unpaired surrogate), which Studio cannot store; write the character itself, or both of its halves as \\uD83D\\uDE00 does`;
}

/** `job key 1.10 is read as the number 1.1; quote it: "1.10":` and the like. */
function notTextKey(key: Scalar, written: string, isJob: boolean): string {
  const subject = isJob ? "job key" : "key";
  if (written === "") return `a ${subject} is empty, which YAML reads as null; give it a name`;
  const value = key.value;
  const read = typeof value === "number" ? `the number ${value}` : typeof value === "boolean" ? `the boolean ${value}` : "null";
  // A core tag (`!!int "7":`) is what made it so: quoting is not enough.
  if (key.tag !== undefined) return `${subject} ${showKey(written)} is read as ${read} because of its tag; remove the tag`;
  return `${subject} ${showKey(written)} is read as ${read}; quote it: "${showKey(written)}":`;
}
