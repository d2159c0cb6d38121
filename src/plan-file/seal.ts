// The seal of a saved plan: an HMAC-SHA256, under the plan's digest key (./secret-digest.ts),
// of the canonical JSON of everything else in the file. `show` prints the file and `apply`
// sends its jobs; the seal makes an edit between the two (an artifact changed across an
// approval gate) refuse the apply, whatever was edited. Why a keyed seal rather than a
// hash: docs/architecture.md, "The plan file".

import { canonicalJson } from "../identity/fingerprint.js";
import type { PlanDocument } from "./document.js";
import { sameHex, sealDigest, type DigestKey } from "./secret-digest.js";

/** The seal of `doc`: every field but `seal` itself, in canonical JSON (keys sorted, undefined left out). */
export function sealPlanDocument(doc: PlanDocument, key: DigestKey): string {
  const { seal: _seal, ...sealed } = doc;
  return sealDigest(key, canonicalJson(sealed));
}

/** Whether `doc` is as `plan --out` sealed it with `key`. */
export function isSealed(doc: PlanDocument, key: DigestKey): boolean {
  return doc.seal !== undefined && sameHex(sealPlanDocument(doc, key), doc.seal);
}
