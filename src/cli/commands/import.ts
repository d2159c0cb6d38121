// `studio-jobs import`: a spec for a team's live jobs that studio-jobs does not manage
// yet, to adopt them with `plan --adopt`. What Studio does not return (schedules,
// clusters, files) is marked for the user to fill in. Environment values are written as
// they are, except those whose name or value looks secret: those become ${env:...}
// references under names no runner sets by accident, listed at the end for the user to set.
// So do the credentials of a URL in any other text (requirements, repository, the query),
// and a value that holds the Studio token (or another secret the run knows), whole.

import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Document, Pair, Scalar, visit, type YAMLMap } from "yaml";
import { UsageError } from "../../errors.js";
import { holdsWorkflowCommand, withoutWorkflowCommands } from "../../workflow-commands.js";
import {
  escapeInvisible,
  hasInvisible,
  printable,
  quoted,
  replaceUnseen,
  unicodeEscaped,
  unstorableCharacter,
  withoutInvisible,
} from "../../invisible.js";
import { isEnvironmentName, isOneLine, isOneSentLine } from "../../desired/environment-name.js";
import { sizePast } from "../../desired/files.js";
import { MAX_SPEC_BYTES } from "../../desired/load.js";
import { FILL_IN } from "../../desired/fill-in.js";
import { looksSecret, secretLookingValues } from "../../plan/secret-names.js";
import { classify, managedAs, type UnmanagedJob } from "../../identity/classify.js";
import { MARKER_PREFIX, MARKERS, userEnvironment } from "../../identity/markers.js";
import { resolveConnection } from "../../studio/config.js";
import { isLive, isSchedule, isWaitingToStart, runParentId } from "../../studio/job-status.js";
import { newestFirst } from "../../studio/time.js";
import { interrupted } from "../../studio/try-abort.js";
import type { Cluster, JobOutput } from "../../studio/types.js";
import { replaceFile, ReplaceFileError, whyNotReplaceable } from "../../replace-file.js";
import { hasUrlCredentials, replaceUrlCredentials } from "../../url-credentials.js";
import { connect, type GlobalOptions } from "../connect.js";
import { listCoverage } from "../planning.js";
import { shownPath } from "../shell-words.js";
import { DASH } from "../standard-input.js";
import { stopAsked, type CliIo } from "../io.js";
import { byCodeUnits } from "../../code-unit-order.js";

export interface ImportFlags {
  stack: string;
  out?: string;
  force: boolean;
}

/** The markers studio-jobs writes: adopting a job writes its own, so a hand-made job's are not imported. */
const MARKER_NAMES: ReadonlySet<string> = new Set(Object.values(MARKERS));

/**
 * Said of a value that holds a secret the run knows: the Studio token, most likely, which a
 * job made by hand may carry under any name, or a copy of a secret-looking variable's value
 * (the user gave studio-jobs neither that value nor, maybe, the token: datachain's config has it). Written out, it would be in a file meant for Git
 * (printed, it would be `***`, and adopting the job would break it).
 */
const A_SECRET = "the Studio token or another secret studio-jobs knows, such as the value of a variable that looks secret";
const HOLDS_SECRET = ` (it holds ${A_SECRET})`;

/** A variable the imported spec reads a secret from, and where the secret was. */
interface SecretVariable {
  variable: string;
  job: string;
  name: string;
}

/** Spec strings are interpolated: a literal `${` is written `$${`. */
function literal(text: string): string {
  // A function, because in a replacement string `$$` itself means `$`.
  return text.replaceAll("${", () => "$${");
}

/** STUDIO_SECRET_<JOB>_<NAME>: upper case, letters, digits and '_', unique within the file. */
function secretVariable(job: string, name: string, taken: Set<string>): string {
  const part = (text: string) =>
    text
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "");
  const base = `STUDIO_SECRET_${part(job) || "JOB"}_${part(name) || "VALUE"}`;
  let variable = base;
  for (let n = 2; taken.has(variable); n++) variable = `${base}_${n}`;
  taken.add(variable);
  return variable;
}

/** Outside printable ASCII: only a name with such a character has another Unicode form. */
const NOT_ASCII = /[^ -~]/;

// eslint-disable-next-line no-control-regex -- control characters are exactly what a key may not hold
const NOT_IN_A_KEY = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A reference as the spec's interpolation reads it, which the schema refuses in a job key. */
const READS_AS_REFERENCE = /(?:^|[^$])\$\{(?:env|var):/;

/**
 * Why a job's name cannot be a job key of a spec (schema/studio-jobs.schema.json: the names
 * under `jobs`), said after "Skipped job ID: "; undefined when it can. Written anyway, the
 * imported spec would be refused by validate, with no way to adopt the job.
 */
function keyProblem(name: string): string | undefined {
  // A blank other than the space (U+00A0, say) looks like one: escaped, so the user sees which.
  const shown = `its name "${printable(name).replace(/[^\S ]/g, (c) => unicodeEscaped(c))}"`;
  if (name === "") return "it has no name, and a spec names every job";
  if ([...name].length > 255) return `${shown} is longer than the 255 characters a job key may have; rename it in Studio to adopt it`;
  if (NOT_IN_A_KEY.test(name))
    return `${shown} holds a control character or a line break, which a job key may not; rename it in Studio to adopt it`;
  if (/^\s|\s$/.test(name)) return `${shown} starts or ends with a space, which a job key may not; rename it in Studio to adopt it`;
  if (name === "__proto__") return `${shown} cannot be a job key; rename it in Studio to adopt it`;
  const unstorable = unstorableCharacter(name);
  if (unstorable !== undefined) return `${shown} ${holdsUnstorable(unstorable)}, which a job key may not; rename it in Studio to adopt it`;
  if (READS_AS_REFERENCE.test(name))
    return `${shown} holds what a spec reads as \${var:...} or \${env:...}, which a job key may not; rename it in Studio to adopt it`;
  return undefined;
}

/**
 * Why a job's name cannot be written to a spec, which is meant for Git: it holds a secret,
 * which a job key cannot read from a variable (printed, it would be `***`, a key that adopts
 * nothing). Said after "Skipped job ID: "; undefined when it holds none.
 */
function secretInName(name: string, holdsSecret: (text: string) => boolean): string | undefined {
  const what = hasUrlCredentials(name) ? "a URL's credentials" : holdsSecret(name) ? A_SECRET : undefined;
  return what === undefined ? undefined : `its name holds ${what}, which a spec would carry in clear; rename it in Studio to adopt it`;
}

/** `holds a NUL character` or `holds half a character (\ud800)`. */
function holdsUnstorable(found: string): string {
  return found === "\u0000" ? "holds a NUL character" : `holds half a character (${unicodeEscaped(found)})`;
}

/** Said after why a job is skipped. */
const CANNOT_HOLD = "which a spec cannot hold; fix it in Studio to adopt it";

/**
 * Why a job's settings cannot be written in a spec, said after "Skipped job ID: "; undefined
 * when they can. A spec refuses a NUL and half a character (src/invisible.ts,
 * unstorableCharacter), a blank query, a query_type other than PYTHON or SHELL, fewer than 1
 * worker, a requirements line broken by other than a line feed, and a python_version or
 * repository that is blank or more than one line
 * (src/desired/read-field.ts, filled): written anyway, the imported spec would be refused.
 */
function settingsProblem(job: JobOutput): string | undefined {
  const texts: [string, string | null][] = [
    ["query", job.query],
    ["python_version", job.python_version],
    ["requirements", job.requirements],
    ["repository", job.repository],
  ];
  for (const [field, text] of texts) {
    const found = text === null ? undefined : unstorableCharacter(text);
    if (found !== undefined) return `its ${field} ${holdsUnstorable(found)}, ${CANNOT_HOLD}`;
  }
  if (!/\S/.test(job.query)) return `its query is blank, ${CANNOT_HOLD}`;
  // Written a line an item, as a spec's list sends them: a CR that ends a line is half of a
  // CRLF, but any other break inside a line would be refused as making it two requirements.
  const broken = job.requirements.split("\n").find((line) => !isOneSentLine(line));
  if (broken !== undefined) {
    const found = [...broken.replace(/\r$/, "")].find((c) => !isOneLine(c)) ?? "";
    return `its requirements break a line with ${unicodeEscaped(found)}, not a line feed, which a spec's list of requirements cannot hold; fix it in Studio to adopt it`;
  }
  if (job.query_type !== "PYTHON" && job.query_type !== "SHELL")
    return `its query_type ${shownName(job.query_type)} is neither PYTHON nor SHELL, ${CANNOT_HOLD}`;
  if (job.workers < 1) return `its workers is ${job.workers}, fewer than 1, ${CANNOT_HOLD}`;
  const settings: [string, string | null][] = [
    ["python_version", job.python_version],
    ["repository", job.repository],
  ];
  for (const [field, text] of settings) {
    // Empty is Studio's "not set", which import writes as nothing.
    if (text === null || text === "") continue;
    // The value is not shown: a repository's may hold a URL's credentials.
    if (!/\S/.test(text)) return `its ${field} is blank, ${CANNOT_HOLD}`;
    if (!isOneLine(text)) return `its ${field} is more than one line, ${CANNOT_HOLD}`;
  }
  return undefined;
}

/** The newest of a name's records: the one a spec is written from. */
function newestOf(records: readonly UnmanagedJob[]): UnmanagedJob {
  return [...records].sort((a, b) => newestFirst(a.record, b.record))[0] as UnmanagedJob;
}

/**
 * Names that are another name in another Unicode form (café precomposed, and decomposed), or
 * with an invisible character added (`a`, and U+202E then `a`): a spec refuses them as one
 * job key defined twice (src/desired/resolve.ts, which reads a key so), so one is written, the
 * spelling as it reads (in NFC, without invisible characters) where there is one. Each other
 * spelling, with the name kept in its place.
 */
function otherSpellings(byName: ReadonlyMap<string, readonly UnmanagedJob[]>): Map<string, string> {
  const kept = new Map<string, string>();
  const others = new Map<string, string>();
  const readAs = (name: string) => withoutInvisible(name.normalize("NFC"));
  const notAsReadLast = (name: string) => (name === readAs(name) ? 0 : 1);
  const names = [...byName.keys()].filter((name) => NOT_ASCII.test(name));
  for (const name of names.sort((a, b) => notAsReadLast(a) - notAsReadLast(b) || byCodeUnits(a, b))) {
    const form = readAs(name);
    // An ASCII name, which is read as it is, is not among those sorted: it is kept.
    const first = kept.get(form) ?? (form !== name && byName.has(form) ? form : undefined);
    if (first === undefined) kept.set(form, name);
    else others.set(name, first);
  }
  return others;
}

/** What import writes besides the spec: the variables to set, the live variables left out. */
interface ImportNotes {
  /** Whether a text holds a secret the run knows (the token, in any spelling): the redactor's `holds`. */
  holdsSecret: (text: string) => boolean;
  secrets: SecretVariable[];
  /** Variable names taken in the file. */
  taken: Set<string>;
  /** Per job, the names of the live variables a spec cannot hold. */
  leftOut: { job: string; names: string[] }[];
  /** The jobs written with a FILL-IN: a schedule's cron, a waiting job's start, a cluster. */
  fillIns: number;
  /** The team's clusters, listed when a job has more than one worker; else none. */
  clusters: readonly Cluster[];
}

/** A name as a comment or a message shows it: quoted, with nothing in it that breaks or reorders the line. */
function shownName(name: string): string {
  return printable(JSON.stringify(name));
}

/**
 * The default cluster, when the job asks for more workers than it allows: the job runs on
 * another, which Studio does not return. Written without one, the job is planned on the
 * default cluster, and the plan refuses it ("cluster default allows at most 8").
 */
function outgrown(job: JobOutput, clusters: readonly Cluster[]): Cluster | undefined {
  const fallback = clusters.find((cluster) => cluster.default);
  return fallback !== undefined && job.workers > fallback.max_workers ? fallback : undefined;
}

/** The note on a job that outgrew the default cluster, naming the active clusters that take its workers. */
function clusterNote(job: JobOutput, fallback: Cluster, clusters: readonly Cluster[]): string {
  const fit = clusters
    .filter((cluster) => cluster.is_active && cluster.max_workers >= job.workers)
    .map((cluster) => shownName(cluster.name));
  return ` cluster: Studio does not return it, and the job's ${job.workers} workers are more than the default cluster ${shownName(fallback.name)} allows (${fallback.max_workers}): write the job's cluster${fit.length > 0 ? ` (${fit.join(", ")} take${fit.length === 1 ? "s" : ""} that many)` : ""}`;
}

function jobEntry(doc: Document, { record: job, protect }: UnmanagedJob, notes: ImportNotes): YAMLMap {
  const { secrets, taken, holdsSecret } = notes;
  const readFrom = (name: string, why = ""): string => {
    const variable = secretVariable(job.name, name, taken);
    secrets.push({ variable, job: job.name, name: `${name}${why}` });
    return `\${env:${variable}}`;
  };
  /**
   * A text as the spec writes it: literal, except the credentials of any URL in it
   * (`https://user:token@host`), which become a variable to set, like a secret-looking
   * environment value: a spec is committed, and printing would only hide them as `***`.
   * A text that holds a secret the run knows becomes a variable whole; not for a URL's password
   * it holds only in that URL's credentials.
   */
  const text = (field: string, value: string): string =>
    holdsSecret(replaceUrlCredentials(value, () => ""))
      ? readFrom(field, HOLDS_SECRET)
      : replaceUrlCredentials(literal(value), () => readFrom(field, " (a URL's credentials)"));
  const entry: Record<string, unknown> = { query: text("query", job.query), query_type: job.query_type };
  if (isSchedule(job.status)) entry["schedule"] = { cron: FILL_IN };
  // Without its start, adopting the job would make one that runs at once, months early maybe.
  else if (isWaitingToStart(job.status)) entry["schedule"] = { start_after: FILL_IN };
  if (job.workers !== 1) entry["workers"] = job.workers;
  if (outgrown(job, notes.clusters) !== undefined) entry["cluster"] = FILL_IN;
  if (entry["schedule"] !== undefined || entry["cluster"] !== undefined) notes.fillIns += 1;
  if (job.python_version !== null && job.python_version !== "") entry["python_version"] = text("python_version", job.python_version);
  // Every line as it is, an empty one (a final line break's, say) as "": adopting the job keeps the text.
  if (job.requirements !== "") entry["requirements"] = job.requirements.split("\n").map((line) => text("requirements", line));
  if (job.repository !== null && job.repository !== "") entry["repository"] = text("repository", job.repository);
  // A protect marker set by hand is kept: without it, adopting the job would leave it unprotected.
  if (protect) entry["protect"] = true;
  const node = doc.createNode(entry) as YAMLMap;
  const env = userEnvironment(job.environment);
  // A name the spec's schema refuses (`my-var`, `__proto__`), or a value of more than one line
  // (a CR inside it, say: a final one is half of a CRLF, sent as one) or holding a NUL or half
  // a character, would make the imported spec invalid: such a variable is left out, where
  // the environment is written and on stderr. So is a variable set by hand under the markers'
  // prefix that is no marker (`STUDIO_JOBS_DEBUG`): a spec may not hold the prefix, and
  // userEnvironment() drops it, so without this adopting the job lost it unsaid. So is one
  // whose name holds a secret the run knows: hidden as `***`, the spec was not even YAML.
  const reserved = Object.keys(job.environment ?? {}).filter((name) => name.startsWith(MARKER_PREFIX) && !MARKER_NAMES.has(name));
  const all = [...Object.keys(env), ...reserved].sort();
  const holds = (name: string) =>
    Object.hasOwn(env, name) &&
    isEnvironmentName(name) &&
    !holdsSecret(name) &&
    isOneSentLine(env[name] ?? "") &&
    unstorableCharacter(env[name] ?? "") === undefined;
  const names = all.filter(holds);
  const leftOut = all.filter((name) => !holds(name));
  if (leftOut.length > 0) notes.leftOut.push({ job: job.name, names: leftOut });
  if (all.length > 0) {
    const environment = doc.createNode({}) as YAMLMap;
    if (leftOut.length > 0) {
      environment.commentBefore = ` left out, as a spec cannot hold ${leftOut.length === 1 ? "this variable" : "these variables"} (a name it refuses or that holds a secret, or a value it cannot hold: more than one line, a NUL, half a character): ${leftOut.map(shownName).join(", ")}`;
    }
    for (const name of names) {
      const value = env[name] ?? "";
      let written: string;
      if (looksSecret(name, value)) written = readFrom(name);
      else if (holdsSecret(value)) written = readFrom(name, HOLDS_SECRET);
      else written = literal(value);
      // Always quoted: an unquoted `yes`, `0123` or `1.0` means something else to some YAML readers.
      const scalar = new Scalar(written);
      scalar.type = "QUOTE_DOUBLE";
      // The name a Scalar too, for seenYaml to quote one a YAML 1.1 reader reads as a boolean
      // (`ON`, `Y`): set() would keep it a bare string, which a visit does not reach.
      environment.items.push(new Pair(new Scalar(name), scalar));
    }
    node.set("environment", environment);
  }
  return node;
}

const SCHEMA_IN_PACKAGE = ["node_modules", "studio-jobs", "schema", "studio-jobs.schema.json"];

async function exists(path: string): Promise<boolean> {
  return access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}

/**
 * The `$schema` of a spec written into `dir`: the schema inside the studio-jobs package
 * the project installs, relative to the file, as editors resolve it. It is the schema of
 * the very version that validates the spec, and needs no network. The package is looked
 * for upwards from `dir` to the repository's root; if it is not installed yet, the path
 * is where `npm install --save-dev studio-jobs` beside the nearest package.json puts it.
 */
export async function schemaReference(dir: string): Promise<string> {
  let installed: string | undefined;
  let project: string | undefined;
  for (let here = dir; ; here = dirname(here)) {
    if (await exists(join(here, ...SCHEMA_IN_PACKAGE))) {
      installed = here;
      break;
    }
    if (project === undefined && (await exists(join(here, "package.json")))) project = here;
    if ((await exists(join(here, ".git"))) || dirname(here) === here) break;
  }
  const path = relative(dir, join(installed ?? project ?? dir, ...SCHEMA_IN_PACKAGE))
    .split(sep)
    .join("/");
  return path.startsWith(".") ? path : `./${path}`;
}

/**
 * Plain text a YAML 1.1 reader (PyYAML, and the linters and tools built on it) reads as
 * something else: a boolean (`yes`, `on`, `N`), null, a number (`0b1`, `1_000`, `1:20`), a
 * date (`2024-01-01`), a merge key (`<<`) or `=`. The spec's reader is YAML 1.2, where these
 * are text; such a value (a job named `on`, a variable named `Y`) is written double-quoted, so
 * that every reader reads the same spec. The patterns are PyYAML's, and YAML 1.1's `y` and `n`.
 */
const NOT_TEXT_IN_YAML_1_1 = new RegExp(
  "^(?:" +
    [
      "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
      "~|null|Null|NULL|<<|=",
      "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
      "[-+]?[0-9][0-9_]*\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*",
      "[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)",
      "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?",
    ].join("|") +
    ")$",
);

/** The most characters YAML lets an implicit key (`key: value`) span. */
const MAX_IMPLICIT_KEY = 1024;

/**
 * The spec's text, every character of it seen: a value holding a character that is not
 * (U+202E, which reorders the line in a pull request; a zero-width space) is written
 * double-quoted, where YAML spells it as an escape; so is one of blank lines only, and one
 * that spells a CI runner's command, which stdout writes with an escape that only inside
 * double quotes reads back as the same value (src/workflow-commands.ts). The yaml library writes such a value
 * with the character as itself, so the value is written here, in place of a placeholder
 * only this run can have written.
 */
export function seenYaml(doc: Document): string {
  // Each value written here, as its lines: a key, or a value without a line break inside, is one.
  const quoted: string[][] = [];
  const placeholder = `studio-jobs-quoted-${randomUUID()}-`;
  visit(doc, {
    Scalar(key, node) {
      const value = node.value;
      if (typeof value !== "string") return;
      // A tab inside plain text is YAML, but PyYAML refuses the whole file at it ("found character
      // '\t' that cannot start any token"): such a line is quoted, where the tab is `\t`.
      if (NOT_TEXT_IN_YAML_1_1.test(value) || (value.includes("\t") && !value.includes("\n"))) node.type = "QUOTE_DOUBLE";
      if (!(holdsUnseen(value) || onlyBlankLines(value) || holdsWorkflowCommand(value) || notInABlock(value))) return;
      const written = doubleQuoted(value);
      quoted.push(key === "key" ? [written] : doubleQuotedLines(written));
      // A key is written `key: value` only up to 1024 characters (YAML's limit, which editors
      // and PyYAML enforce), then as `? key`: the yaml library decides by the placeholder's
      // length, so a long key's placeholder is as long as what replaces it.
      const padding = key === "key" && written.length > MAX_IMPLICIT_KEY ? "_".repeat(written.length) : "";
      node.value = `${placeholder}${quoted.length - 1}${padding}`;
      node.type = "PLAIN";
    },
  });
  // No double-quoted value of the yaml library's own: its multi-line form escapes a line of
  // one space twice (`\\ `), which reads back as a backslash, so a query holding "\r\n \n"
  // came back changed, and adopting the job changed it in Studio.
  const text = doc.toString({ lineWidth: 0, doubleQuotedMinMultiLineLength: Number.POSITIVE_INFINITY });
  return text.replace(new RegExp(`${placeholder}(\\d+)_*`, "g"), (_match, i: string, at: number) => {
    const lines = quoted[Number(i)] ?? [];
    // Continued two spaces past the line the value starts on, as a block scalar would be.
    const start = text.lastIndexOf("\n", at) + 1;
    const indent = " ".repeat(text.slice(start, at).search(/\S|$/) + 2);
    return lines.join(`\n${indent}`);
  });
}

/**
 * A value with a line break inside that a block scalar cannot hold (a CR, a control
 * character, U+2028, a byte order mark): the yaml library writes it double-quoted, on one
 * line however long, so a CRLF query of 500 lines was one line of the spec. Written here,
 * line by line (doubleQuotedLines).
 */
function notInABlock(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what a block cannot hold
  return /[\r\n]./s.test(value) && /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(value);
}

/** The pieces of a double-quoted scalar: an escape, or a run of characters that is none. */
const QUOTED_PIECE = /\\U[0-9a-f]{8}|\\u[0-9a-f]{4}|\\.|[^\\]+/g;

/**
 * A double-quoted scalar (doubleQuoted) as lines, broken after each line break of the value
 * but a final one (a CRLF, a lone CR or an LF, each written as its escape): each line but the
 * last ends with `\`, so the break YAML reads there is no character, and each line but the
 * first has a space it starts with escaped (`\ `), as YAML drops the blanks a continued line
 * starts with. The readers read back the same text as from one line.
 */
function doubleQuotedLines(written: string): string[] {
  const pieces = written.match(QUOTED_PIECE) ?? [];
  const lines: string[] = [];
  let line = "";
  pieces.forEach((piece, i) => {
    line += piece;
    const next = pieces[i + 1];
    const breaks = piece === "\\n" || (piece === "\\r" && next !== "\\n");
    // The last piece is the closing quote: a break right before it is the value's final one.
    if (breaks && next !== undefined && next !== '"') {
      lines.push(`${line}\\`);
      line = "";
    }
  });
  lines.push(line);
  return lines.map((text, i) => (i > 0 && text.startsWith(" ") ? `\\${text}` : text));
}

/**
 * U+FE0E or U+FE0F right after a character that is seen, as in `⚠️`: it only chooses how an
 * emoji looks, and escaping it would turn a whole query into one quoted line. A selector
 * anywhere else (a run of them can spell hidden text) is escaped like the rest.
 */
function isPresentationSelector(text: string, at: number, match: string): boolean {
  if ((match !== "\ufe0e" && match !== "\ufe0f") || at === 0) return false;
  const low = text.charCodeAt(at - 1);
  const from = low >= 0xdc00 && low <= 0xdfff && at >= 2 ? at - 2 : at - 1;
  return !hasInvisible(text.slice(from, at));
}

/**
 * Lines of blanks and nothing else: the yaml library writes such a value as a block whose
 * blanks both YAML readers then take for indentation (`" \n"` read back as `"\n"`).
 */
function onlyBlankLines(value: string): boolean {
  return value.includes("\n") && value.trim() === "";
}

function holdsUnseen(value: string): boolean {
  let found = false;
  replaceUnseen(value, (match, at) => {
    if (!isPresentationSelector(value, at, match)) found = true;
    return match;
  });
  return found;
}

/**
 * A YAML double-quoted scalar of `value`: JSON's escapes (YAML's include them), and each
 * character that is not seen as `\uXXXX`, or past U+FFFF as `\UXXXXXXXX`: YAML's `\u` is
 * one character, and readers outside JavaScript do not join two escaped surrogates.
 */
function doubleQuoted(value: string): string {
  let out = "";
  let last = 0;
  replaceUnseen(value, (match, at) => {
    if (isPresentationSelector(value, at, match)) return match;
    const point = value.codePointAt(at) ?? 0;
    const escape = point > 0xffff ? `\\U${point.toString(16).padStart(8, "0")}` : `\\u${point.toString(16).padStart(4, "0")}`;
    out += JSON.stringify(value.slice(last, at)).slice(1, -1) + escape;
    last = at + match.length;
    return match;
  });
  return `"${out}${JSON.stringify(value.slice(last)).slice(1, -1)}"`;
}

/**
 * --stack naming a stack that has live jobs: the spec written holds none of them, so planning
 * it on its own would cancel every one as removed from the spec, in the team imported and in
 * every team the stack's jobs recorded, which a plan covers too (docs/architecture.md, "Identity").
 */
function stackTaken(stack: string, byTeam: ReadonlyMap<string, number>, imported: number): string {
  const count = [...byTeam.values()].reduce((sum, n) => sum + n, 0);
  const teams = [...byTeam.keys()].sort();
  const jobs = count === 1 ? "1 live job" : `${count} live jobs`;
  const where = teams.length === 1 ? `team ${teams[0] ?? ""}` : `teams ${teams.join(", ")}`;
  return `Warning: stack ${stack} already has ${jobs} in ${where}, which the imported spec does not hold: planned on its own, it would cancel ${count === 1 ? "it" : "them"}. ${
    // With nothing imported there is nothing to copy: the spec is only stack S's jobs all gone.
    imported > 0
      ? `Copy the imported jobs into stack ${stack}'s spec, or import again with another --stack.`
      : `It holds no job: do not plan it as stack ${stack}'s spec.`
  }`;
}

/**
 * The stack's live jobs a plan of the imported spec alone would cancel as removed, by team:
 * those it plans (classify's "managed"), in every team it covers (the teams its jobs recorded,
 * finished ones included, as the plan follows them), but for a key the spec holds in the team
 * imported. A job of the stack without its key, or named otherwise, is
 * left alone by a plan, and not counted.
 */
function cancelledByImport(
  stack: string,
  team: string,
  imported: ReadonlySet<string>,
  listings: ReadonlyMap<string, readonly JobOutput[]>,
): Map<string, number> {
  const byTeam = new Map<string, number>();
  for (const [listed, records] of listings) {
    for (const record of records) {
      const job = managedAs(record, stack);
      if (job === undefined || !isLive(record.status) || (listed === team && imported.has(job.key))) continue;
      byTeam.set(listed, (byTeam.get(listed) ?? 0) + 1);
    }
  }
  return byTeam;
}

const OUT_HINT = "Give --out a file path, e.g. --out studio-jobs.yaml, in an existing directory you can write to.";

export async function runImport(flags: ImportFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(flags.stack)) {
    throw new UsageError(`--stack ${quoted(flags.stack)} must be 1 to 63 letters, digits, '.', '_' or '-'.`);
  }
  const settings = await resolveConnection(globals, io.env, io.cwd);
  const team = settings.team;
  if (team === undefined) {
    throw new UsageError(
      "import needs a team: the team whose jobs to import.",
      "Pass --team, set DATACHAIN_STUDIO_TEAM, or set team in the [studio] section of datachain's config.",
    );
  }
  // `--out -` is standard output, as no --out is (and as `-` is to other tools).
  const given = flags.out === DASH ? undefined : flags.out;
  const out = given === undefined ? undefined : resolve(io.cwd, given);
  // The name as messages say it, quoted as a shell takes it back and its escapes shown.
  const shown = given === undefined ? "" : shownPath(given, io);
  const cannotWrite = (error: ReplaceFileError): UsageError =>
    error.exists
      ? new UsageError(`${shown} already exists; nothing was written.`, "Pass --force to overwrite it, or choose another --out.")
      : new UsageError(`Cannot write ${shown}: ${error.reason}; nothing was written.`, OUT_HINT);
  // Said before Studio is asked anything (a directory given as --out, a file there without
  // --force); said again if the path changes meanwhile.
  const refused = out === undefined ? undefined : await whyNotReplaceable(out, { exclusive: !flags.force, shown });
  if (refused !== undefined) throw cannotWrite(refused);
  const { client } = await connect(globals, io, settings);
  // The stack's finished jobs are kept too: the teams they recorded are listed by a plan as well.
  // Of a run, only which schedule it fired from: one that never fired may be waiting for its start_after.
  const fired = new Set<string>();
  const keep = (job: JobOutput) => {
    const parent = runParentId(job);
    if (parent !== undefined) fired.add(parent);
    return parent === undefined && (isLive(job.status) || managedAs(job, flags.stack) !== undefined);
  };
  let listings: Map<string, JobOutput[]>;
  let unreadable: string[];
  let clusters: Cluster[];
  try {
    // Marked jobs are only counted: the markers of flags.stack's alone are checked. The teams
    // the stack's jobs recorded are listed too, as a plan of the imported spec would list them.
    const coverage = await listCoverage(client, flags.stack, [team], keep);
    ({ listings } = coverage);
    // A recorded team this token cannot read: its jobs are not counted, said as a plan says it.
    unreadable = coverage.warnings;
    // Asked only when a job may outgrow the default cluster (outgrown).
    const many = (listings.get(team) ?? []).some((job) => isLive(job.status) && job.workers > 1);
    clusters = many ? await client.listClusters(team) : [];
  } catch (error) {
    // Another team's listing still arriving is not waited for.
    await client.close({ abort: true });
    throw error;
  }
  await client.close();
  for (const warning of unreadable) io.stderr.write(`Warning: ${printable(warning)}\n`);
  const jobs = (listings.get(team) ?? []).filter((job) => isLive(job.status));

  // A value that looks secret is a secret the run knows from here on: the same value under a
  // name that does not look secret, in a query, in another job or in a job's name (which is
  // then skipped, as one holding the token is) becomes a variable too, and is hidden wherever
  // it is printed. Registered before any job is looked at, as one job may hold another's.
  // Of the jobs made by hand only: a large stack's own values would only grow the patterns.
  // Not one the team's or the stack's name holds (SECRET_SCOPE=team42): hidden, it would be
  // the spec's `team: ***` or `stack: ***`.
  const names = [team.toLowerCase(), flags.stack.toLowerCase()];
  for (const record of jobs) {
    if (classify(record, flags.stack).kind !== "unmanaged") continue;
    for (const value of secretLookingValues(userEnvironment(record.environment))) {
      const text = value.trim().toLowerCase();
      if (!names.some((name) => name.includes(text))) io.secrets?.addSecret(value);
    }
  }
  const holdsSecret = io.secrets?.holds ?? (() => false);
  const redact = io.secrets?.redact ?? ((text: string) => text);
  const byName = new Map<string, UnmanagedJob[]>();
  let managed = 0;
  for (const record of jobs) {
    const job = classify(record, flags.stack);
    switch (job.kind) {
      case "run":
        break;
      // Any stack's job, this one's included: it is managed already, there is nothing to adopt.
      case "managed":
      case "managed-without-key":
      case "misnamed":
      case "other-stack":
        managed += 1;
        break;
      case "unmanaged": {
        const problem = keyProblem(record.name) ?? secretInName(record.name, holdsSecret) ?? settingsProblem(record);
        if (problem !== undefined) io.stderr.write(`Skipped job ${printable(record.id)}: ${problem}.\n`);
        else if (byName.has(record.name)) byName.get(record.name)?.push(job);
        else byName.set(record.name, [job]);
        break;
      }
      default: {
        const never: never = job;
        return never;
      }
    }
  }
  for (const [name, kept] of otherSpellings(byName)) {
    const keptId = newestOf(byName.get(kept) ?? []).record.id;
    for (const { record } of byName.get(name) ?? []) {
      io.stderr.write(
        `Skipped job ${printable(record.id)}: its name "${unicodeEscaped(printable(name))}" is "${unicodeEscaped(printable(kept))}" (job ${printable(keptId)}) ${name.normalize("NFC") === kept.normalize("NFC") ? "in another Unicode form" : "with invisible characters added or taken out"}, and a spec holds them as one job key; rename one in Studio to adopt both.\n`,
      );
    }
    byName.delete(name);
  }

  const doc = new Document({ version: 1, stack: flags.stack, defaults: { team }, jobs: {} as Record<string, unknown> });
  const schema = await schemaReference(out === undefined ? io.cwd : dirname(out));
  const jobsNode = doc.get("jobs", true) as YAMLMap;
  const found: ImportNotes = { holdsSecret, secrets: [], taken: new Set(), leftOut: [], fillIns: 0, clusters };
  const { secrets } = found;
  for (const [name, records] of [...byName].sort(([a], [b]) => byCodeUnits(a, b))) {
    const chosen = newestOf(records);
    const newest = chosen.record;
    // As printed: an id or a status from Studio with a reordering character (U+202E) would turn the line round in a review.
    const notes = [` from job ${printable(newest.id)} (${printable(newest.status)})`];
    if (records.length > 1) notes.push(` ${records.length - 1} more live job(s) share this name; --adopt cancels them`);
    if (isSchedule(newest.status)) notes.push(` schedule.cron: Studio does not return it; write the job's cron expression`);
    // Nor a schedule's start_after: one that has not fired may have one still to come, which
    // adopting it without would bring forward (its runs from its next firing on, not from then).
    if (isSchedule(newest.status) && !fired.has(newest.id))
      notes.push(
        ` schedule.start_after: Studio does not return it either, and the schedule has not run yet: if it is to start later, write when (adopted without it, it runs from its next firing)`,
      );
    if (isWaitingToStart(newest.status))
      notes.push(` schedule.start_after: Studio does not return it; write when the job is to run (it has not run yet)`);
    const fallback = outgrown(newest, clusters);
    if (fallback !== undefined) notes.push(clusterNote(newest, fallback, clusters));
    // Plain, `<<` would be YAML's merge key, not a job of that name: seenYaml quotes it.
    const key = new Scalar(name);
    key.commentBefore = notes.join("\n");
    // Pushed: add() looks for the key among every one added before, 15 s of CPU at 40,000
    // jobs, and byName's keys are unique already.
    jobsNode.items.push(new Pair(key, jobEntry(doc, chosen, found)));
  }
  // Written once the jobs are: "replace every FILL-IN" of a spec that holds none sent the user looking for one.
  doc.commentBefore = [
    ` yaml-language-server: $schema=${schema}`,
    ` Imported from team ${team}: ${byName.size} live job${byName.size === 1 ? "" : "s"} not yet managed by studio-jobs.`,
    ` Studio does not return schedules, clusters, priorities, credentials or files: check each job,`,
    found.fillIns > 0
      ? ` replace every ${FILL_IN}, then run \`studio-jobs plan --adopt\` to take the jobs over.`
      : ` then run \`studio-jobs plan --adopt\` to take the jobs over.`,
    ` Values are as in Studio, except environment values that look secret, values that hold the`,
    ` Studio token, and the credentials of URLs: they are read from \${env:STUDIO_SECRET_...}`,
    ` variables when you plan and apply.`,
  ].join("\n");
  // What else Studio sent (a job id, a status, a variable's name) is written as it is
  // printed: with the run's secrets hidden, and a CI runner's command escaped where it stands
  // inside double quotes (seenYaml), as a query's line that starts with `::` may.
  const text = withoutWorkflowCommands(redact(seenYaml(doc)));
  // A stop asked for while the spec was made is heard once the event loop turns (making it
  // holds the loop, seconds for a large team): then nothing is written, as over a file --force
  // was about to replace, and the command fails as any it stops does.
  if (await stopAsked(io.signal)) throw interrupted(io.signal.reason, "before the spec was written: nothing was written", false);
  if (out === undefined) {
    io.stdout.write(text);
  } else {
    try {
      await replaceFile(out, text, { mode: 0o666, exclusive: !flags.force, shown });
    } catch (error) {
      if (!(error instanceof ReplaceFileError)) throw error;
      throw cannotWrite(error);
    }
  }
  io.stderr.write(
    `Imported ${byName.size} job${byName.size === 1 ? "" : "s"} from team ${team}${managed > 0 ? ` (${managed} already managed by studio-jobs left out)` : ""}${out === undefined ? "" : ` into ${shown}`}. ${byName.size === 0 ? "No live job there is left unmanaged: there is nothing to fill in." : found.fillIns > 0 ? `Fill in every ${FILL_IN} before planning.` : "Check each job before planning."}\n`,
  );
  // One file of a large team's jobs (or of a few long queries) may pass what a spec file may
  // be: written all the same, as the jobs are there to copy, but said, or validate is first to.
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SPEC_BYTES) {
    io.stderr.write(
      `Warning: the spec is ${sizePast(bytes, MAX_SPEC_BYTES)}, and a spec file may be at most ${MAX_SPEC_BYTES / 1024 / 1024} MiB: validate refuses it until its jobs are split over several files of stack ${flags.stack} (each with the version, stack and defaults written here), or its longest queries moved to query files.\n`,
    );
  }
  const cancelled = cancelledByImport(flags.stack, team, new Set(byName.keys()), listings);
  if (cancelled.size > 0) io.stderr.write(`${stackTaken(flags.stack, cancelled, byName.size)}\n`);
  if (found.leftOut.length > 0) {
    const count = found.leftOut.reduce((sum, job) => sum + job.names.length, 0);
    io.stderr.write(
      `${count} environment variable${count === 1 ? " was" : "s were"} left out: a spec cannot hold a variable of that name, nor one whose name holds a secret, or a value of more than one line, with a NUL or with half a character, so adopting the job drops it:\n` +
        found.leftOut.map((job) => `  ${printable(job.job)}: ${job.names.map(shownName).join(", ")}\n`).join(""),
    );
  }
  if (secrets.length > 0) {
    const width = Math.max(...secrets.map((s) => s.variable.length));
    io.stderr.write(
      `${secrets.length} value${secrets.length === 1 ? " looks" : "s look"} secret and ${secrets.length === 1 ? "was" : "were"} not written out. Set ${secrets.length === 1 ? "this variable" : "these variables"} wherever you plan and apply (copy the values from Studio):\n` +
        secrets.map((s) => `  ${s.variable.padEnd(width)}  ${escapeInvisible(s.job)}: ${escapeInvisible(s.name)}\n`).join(""),
    );
  }
  return 0;
}
