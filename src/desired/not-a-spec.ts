// A YAML file of something else among the spec files: docker-compose.yml, mkdocs.yml or a
// var file in a stack's directory, which a directory given reads whole. It is refused with
// one sentence saying to leave it out, rather than key by key as a spec missing its
// version, stack and jobs, or for a tag a spec may not carry (docs/architecture.md,
// "Spec files left out").

import { yamlDocuments } from "./any-yaml.js";
import { levenshtein } from "./schema.js";

/** A spec's own top-level keys: a file that holds none of them was never meant as one. */
const SPEC_KEYS = ["version", "stack", "teams", "vars", "defaults", "jobs"];

export const NOT_A_SPEC =
  "not a studio-jobs spec: it has none of version, stack and jobs. Leave it out of the paths given: a directory is read with " +
  "every .yaml and .yml file in it, so give the spec's own files, or a quoted glob ('jobs/*.yaml'), instead";

/**
 * Whether `document` is a mapping without any key a spec has, nor one two letters or less
 * from one (`stak:`, `verison:`): a misspelt spec is told its keys one by one, with the
 * spelling meant. Kubernetes' `apiVersion` is three from `version`.
 */
export function isOtherMapping(document: unknown): boolean {
  if (document === null || typeof document !== "object" || Array.isArray(document)) return false;
  return Object.keys(document).every((key) => key.length > 64 || SPEC_KEYS.every((name) => levenshtein(key.toLowerCase(), name) > 2));
}

/**
 * Whether `text`, which the spec reader refused, is YAML of something else: every document
 * read as any YAML is (whatever its tags) a mapping without a spec's keys, and there is one.
 */
export function isOtherYaml(text: string): boolean {
  const documents = yamlDocuments(text)?.filter((document) => document !== null && document !== undefined);
  return documents !== undefined && documents.length > 0 && documents.every(isOtherMapping);
}
