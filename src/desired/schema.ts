// Validation of a parsed spec file against schema/studio-jobs.schema.json, with
// ajv's errors turned into sentences a user understands, each at its file:line:column.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Ajv2020Module from "ajv/dist/2020.js";
import type { Ajv2020, ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type { SpecIssue } from "../errors.js";
import { unfilled } from "./fill-in.js";
import { FIRST_REFERENCE, formatPath, showKey, showValue, type DocPath, type YamlSource } from "./yaml-source.js";

// ajv itself is loaded only to compile the schema (the build does, and tests from source):
// the built tool runs the validator compiled ahead of time, and loading ajv cost ~80 ms.
type AddFormats = (ajv: Ajv2020, formats: string[]) => void;

const require = createRequire(import.meta.url);

let compiled: ValidateFunction | undefined;
let schemaCache: Record<string, unknown> | undefined;

/**
 * A schema the package ships, `schema/<name>`, parsed: the spec's and the plan file's. Looked
 * for from this module, which src/desired/ and the bundle's dist/bin/ hold two levels below the
 * package root, and dist/src/desired/ three.
 */
export function readSchemaFile(name: string): Record<string, unknown> {
  for (const up of ["../../", "../../../"]) {
    try {
      return JSON.parse(readFileSync(new URL(`${up}schema/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
    } catch {
      // try the next place
    }
  }
  throw new Error(`schema/${name} not found beside the tool`);
}

export function loadSchema(): Record<string, unknown> {
  return (schemaCache ??= readSchemaFile("studio-jobs.schema.json"));
}

/** The ajv set-up for the spec schema; the build uses it too, to compile the validator ahead of time. */
export function createSchemaAjv(options: { source?: boolean } = {}): Ajv2020 {
  const { Ajv2020: Ajv } = require("ajv/dist/2020.js") as typeof Ajv2020Module;
  // ajv-formats is CommonJS with a default export.
  const formats = require("ajv-formats") as { default?: AddFormats } & AddFormats;
  const addFormats: AddFormats = formats.default ?? formats;
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
    ...(options.source === true ? { code: { source: true } } : {}),
  });
  addFormats(ajv, ["date-time"]);
  ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
  return ajv;
}

/** The file the build writes beside the compiled module: the validator as plain code. */
export const PRECOMPILED_VALIDATOR = "schema-validator.cjs";

function validator(): ValidateFunction {
  if (compiled === undefined) {
    // Built: load the validator compiled ahead of time (saves ~100 ms per command).
    // From source (tests): compile it now, with the same set-up.
    try {
      compiled = require(`./${PRECOMPILED_VALIDATOR}`) as ValidateFunction;
    } catch {
      compiled = createSchemaAjv().compile(loadSchema());
    }
  }
  return compiled;
}

/** Property names a schema node allows, for "did you mean". */
function allowedKeys(schema: unknown): string[] {
  const root = loadSchema();
  const keys = new Set<string>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    const props = record["properties"];
    if (props !== null && typeof props === "object") for (const key of Object.keys(props)) keys.add(key);
    const ref = record["$ref"];
    if (typeof ref === "string" && ref.startsWith("#/$defs/")) visit((root["$defs"] as Record<string, unknown>)[ref.slice(8)]);
  };
  visit(schema);
  return [...keys];
}

/**
 * Which of the `allowed` settings takes `key` as one of its own keys (`cron` is
 * `schedule.cron`): written beside them, as a Kubernetes CronJob would have it, it is an unknown key.
 */
function keyOfSetting(key: string, allowed: readonly string[]): string | undefined {
  const settings = (loadSchema()["$defs"] as Record<string, { properties?: Record<string, unknown> }>)["settings"]?.properties ?? {};
  return allowed.find((name) => Object.hasOwn(settings, name) && allowedKeys(settings[name]).includes(key));
}

/** A JSON pointer into the document as a path: an index into a list is a number, so that it is located and shown as `[1]`. */
function pointerToPath(pointer: string, document: unknown): (string | number)[] {
  if (pointer === "") return [];
  let node = document;
  return pointer
    .slice(1)
    .split("/")
    .map((escaped) => {
      const part = escaped.replace(/~1/g, "/").replace(/~0/g, "~");
      const here = node;
      if (Array.isArray(here)) {
        node = here[Number(part)];
        return Number(part);
      }
      node = here !== null && typeof here === "object" ? (here as Record<string, unknown>)[part] : undefined;
      return part;
    });
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${showValue(value)}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
};

export function closest(word: string, candidates: readonly string[]): string | undefined {
  // A key far longer than any candidate is no typo of one; and the distance costs length squared.
  if (word.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

/** A `${var:` or `${env:` reference, not escaped as `$${`. */
const REFERENCE = /(?:^|[^$])\$\{(?:env|var):/;

interface Described {
  path: DocPath;
  key: boolean;
  message: string;
}

function describe(error: ErrorObject, document: unknown): Described | undefined {
  const path = pointerToPath(error.instancePath, document);
  const parent: unknown = error.parentSchema;
  const custom = parent !== null && typeof parent === "object" ? (parent as Record<string, unknown>)["x-message"] : undefined;
  const params = error.params;
  if (error.propertyName !== undefined && error.keyword !== "propertyNames") {
    // A key that is not allowed as a name: every failing rule says the same sentence.
    return {
      path: [...path, error.propertyName],
      key: true,
      message: `"${showKey(error.propertyName)}": ${typeof custom === "string" ? custom : (error.message ?? "is not allowed here")}`,
    };
  }
  // A start_after left as import wrote it fails the schema's date-time format first.
  const fillIn = error.propertyName === undefined ? unfilled(path.at(-1), error.data) : undefined;
  if (fillIn !== undefined) return { path, key: false, message: fillIn };
  switch (error.keyword) {
    case "required": {
      const missing = String(params["missingProperty"]);
      // A spec without its format's version is most often one written before it had one.
      const fix = path.length === 0 && missing === "version" ? `; add "version: 1" at the top of the file` : "";
      return { path, key: false, message: `missing required key "${missing}"${fix}` };
    }
    case "pattern":
      // The stack is who owns the jobs: a variable would let one spec change owner by a flag.
      if (path.length === 1 && path[0] === "stack" && typeof error.data === "string" && REFERENCE.test(error.data)) {
        return {
          path,
          key: false,
          message: "the stack is not interpolated: ${var:...} or ${env:...} in it would be read as its name; write the name out",
        };
      }
      break;
    case "additionalProperties":
    case "unevaluatedProperties": {
      const extra = String(params["additionalProperty"] ?? params["unevaluatedProperty"]);
      const allowed = allowedKeys(error.parentSchema);
      const suggestion = closest(extra, allowed);
      const nested = suggestion === undefined ? keyOfSetting(extra, allowed) : undefined;
      const hint =
        suggestion !== undefined
          ? `; did you mean "${suggestion}"?`
          : nested !== undefined
            ? `; it belongs under ${nested}: write ${nested}: {${extra}: ...}`
            : "";
      return { path: [...path, extra], key: true, message: `unknown key "${showKey(extra)}"${hint}` };
    }
    case "propertyNames":
      return undefined; // the failing name's own error says what is wrong
    case "const":
      if (path.length === 1 && path[0] === "version") {
        if (error.data === "1") return { path, key: false, message: 'version must be the number 1, not the string "1"; remove the quotes' };
        return { path, key: false, message: `unsupported version ${showValue(error.data)}: this tool reads version 1` };
      }
      return { path, key: false, message: `must be ${JSON.stringify(params["allowedValue"])}` };
    case "enum":
      return {
        path,
        key: false,
        message: `must be one of ${(params["allowedValues"] as unknown[]).join(", ")}, got ${describeValue(error.data)}`,
      };
    case "type": {
      const wanted = String(params["type"])
        .split(",")
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(" or ");
      // YAML read an unquoted 1, 1.10 or yes as a number or a boolean: quoted, it is the text written.
      const quote =
        params["type"] === "string" && (typeof error.data === "number" || typeof error.data === "boolean")
          ? "; put the value in quotes, as written"
          : "";
      const message =
        typeof custom === "string"
          ? `${custom}, got ${describeValue(error.data)}${custom.includes("quote") ? "" : quote}`
          : `must be ${wanted}, got ${describeValue(error.data)}${quote}`;
      return { path, key: false, message };
    }
    case "anyOf":
      return { path, key: false, message: typeof custom === "string" ? custom : "does not match any allowed form" };
    case "minimum":
    case "maximum":
      // A range with a message of its own says it whole; else name the bound that was crossed.
      if (typeof custom === "string") return { path, key: false, message: `${custom}, got ${String(error.data)}` };
      return {
        path,
        key: false,
        message: `must be at ${error.keyword === "minimum" ? "least" : "most"} ${String(params["limit"])}, got ${String(error.data)}`,
      };
    case "minLength":
      return { path, key: false, message: "must not be empty" };
    case "uniqueItems": {
      // ajv names the pair; the later one is the one to remove.
      const [later, earlier] = [Number(params["j"]), Number(params["i"])];
      const items = Array.isArray(error.data) ? (error.data as unknown[]) : [];
      return {
        path: [...path, later],
        key: false,
        message: `${typeof items[later] === "string" ? `"${showKey(items[later])}"` : describeValue(items[later])} is listed twice (also at [${earlier}]); remove one`,
      };
    }
    default:
      break;
  }
  return { path, key: false, message: typeof custom === "string" ? custom : (error.message ?? "is not valid") };
}

/** Errors under an anyOf repeat what the anyOf says; keep the most useful one per place. */
function prune(errors: readonly ErrorObject[]): ErrorObject[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  return errors.filter((e) => {
    if (e.keyword === "anyOf") return true;
    for (const path of anyOfPaths) {
      if ((e.instancePath === path || e.instancePath.startsWith(`${path}/`)) && e.schemaPath.includes("/anyOf/")) return false;
    }
    return true;
  });
}

/** Every schema problem of one file, and the document paths they are at. */
export function validateAgainstSchema(source: YamlSource): { issues: SpecIssue[]; paths: DocPath[] } {
  const validate = validator();
  if (validate(source.data)) return { issues: [], paths: [] };
  const issues: SpecIssue[] = [];
  const paths: DocPath[] = [];
  const seen = new Set<string>();
  for (const error of prune(validate.errors ?? [])) {
    const described = describe(error, source.data);
    if (described === undefined) continue;
    // A value refused for the ${ in it is placed at that ${.
    const reference =
      error.keyword === "pattern" && !described.key && typeof error.data === "string" && String(error.params["pattern"]).includes("\\$\\{");
    const location = source.locate(described.path, reference ? FIRST_REFERENCE : { key: described.key });
    const issue = { location, path: formatPath(described.path), message: described.message };
    const id = `${issue.path}|${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
    // A missing key spoils only its own place, not the mapping that lacks it.
    paths.push(error.keyword === "required" ? [...described.path, String(error.params["missingProperty"])] : described.path);
  }
  return { issues, paths };
}
