// liveSensitivity: which live fields of a job made elsewhere a plan hides.

import { describe, expect, it } from "vitest";
import { record, STACK } from "../../test/plan-fixtures.js";
import { classify } from "../identity/classify.js";
import { liveSensitivity } from "./settings.js";

describe("liveSensitivity", () => {
  it("hides a field holding a secret-looking variable's value, but not one holding a marker's", () => {
    // Found by review: a copy of the stack's job report-v2x, renamed nightly in Studio, keeps
    // STUDIO_JOBS_KEY=report-v2x, named like a key: its query that named the job was hidden.
    const copy = classify(record({ key: "report-v2x", query: 'print("report-v2x")\n' }, { name: "nightly" }), STACK);
    expect(copy.kind).toBe("misnamed");
    expect(liveSensitivity(copy)("query")).toBe(false);
    const secret = "S3cr3t-CFG-hhhh8888";
    const handMade = record(
      { key: "x", stack: null, query: `key = "${secret}"\n` },
      { environment: { API_TOKEN: secret, BACKUP: secret } },
    );
    const hidden = liveSensitivity(classify(handMade, STACK));
    expect(["query", "environment.API_TOKEN", "environment.BACKUP"].map(hidden)).toEqual([true, true, true]);
  });
});
