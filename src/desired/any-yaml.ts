// YAML read as YAML, not as a spec: every document of a file, whatever tags it carries
// (mkdocs.yml's `!!python/name:`, CloudFormation's `!Ref`), for the sibling-file guard,
// which must tell a file of something else from one that does not parse at all, and for
// the loader, which refuses such a file given as a spec in one sentence (./not-a-spec.ts;
// docs/architecture.md, "Spec files left out"). A spec itself is read by ./yaml-source.ts.

import { DEFAULT_SCHEMA, loadAll, Type, type LoadOptions } from "js-yaml";
import { MAX_NESTING } from "./yaml-source.js";

/** Any tag js-yaml does not know, on any kind of node, read as the plain value under it. */
const anyTag = (kind: "scalar" | "sequence" | "mapping"): Type =>
  new Type("", { kind, multi: true, resolve: () => true, construct: (data: unknown) => data });

const ANY_TAG_SCHEMA = DEFAULT_SCHEMA.extend({ explicit: [anyTag("scalar"), anyTag("sequence"), anyTag("mapping")] });

/** Every document of `text`, or undefined when it is not YAML (a syntax error, a key given twice, nesting past a spec's bound). */
export function yamlDocuments(text: string): unknown[] | undefined {
  try {
    // js-yaml's options type does not declare maxDepth; its loader reads it.
    return loadAll(text, null, { schema: ANY_TAG_SCHEMA, maxDepth: MAX_NESTING } as LoadOptions);
  } catch {
    return undefined;
  }
}
