import { describe, expect, it } from "vitest";
import { createRedactor, registerJobSecrets } from "./redact.js";
import type { DesiredJob } from "./desired/types.js";

describe("the redactor", () => {
  it("hides a secret as is, JSON-escaped and URL-encoded", () => {
    const r = createRedactor();
    r.addSecret('pa"ss/wo rd');
    expect(r.redact('plain pa"ss/wo rd, json "pa\\"ss/wo rd", url pa%22ss%2Fwo%20rd.')).toBe('plain ***, json "***", url ***.');
  });

  it("replaces the longest secret first, so one inside another leaves nothing behind", () => {
    const r = createRedactor();
    r.addSecret("abcd");
    r.addSecret("abcdefgh");
    expect(r.redact("x abcdefgh y abcd")).toBe("x *** y ***");
  });

  it("does not garble the output for a value under 4 characters, but hides it as a sensitive key's value", () => {
    const r = createRedactor();
    r.addSecret("eu");
    r.addSensitiveKey("REGION");
    expect(r.redact('queue: europe, REGION=eu\\nOTHER=1, {"REGION": "eu"}, XREGION=eu')).toBe(
      'queue: europe, REGION=***\\nOTHER=1, {"REGION": "***"}, XREGION=eu',
    );
  });

  it("hides the lines of a multi-line secret one by one", () => {
    const r = createRedactor();
    r.addSecret("-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----", { lines: true });
    expect(r.redact("bad line AAAABBBBCCCC at 2")).toBe("bad line *** at 2");
  });

  it("hides the credentials of any URL", () => {
    const r = createRedactor();
    expect(r.redact("GET https://user:pass@studio.example/api and http://tok@h/")).toBe(
      "GET https://***@studio.example/api and http://***@h/",
    );
  });

  it("registers a spec's ${env:...} values, with their defaults, and the sensitive keys", () => {
    const r = createRedactor();
    const job = {
      sensitive: ["environment.API_KEY", "credentials", "repository"],
      sensitiveTemplates: {
        "environment.API_KEY": "${env:KEY}",
        credentials: "${env:CREDS:-aws-default-creds}",
        repository: "https://${env:GH}@github.com/x",
      },
    } as unknown as DesiredJob;
    registerJobSecrets(r, [job], { KEY: "key-from-env", GH: "gh-token-1234" });
    expect(r.redact("key-from-env aws-default-creds https://gh-token-1234@github.com/x gh-token-1234 API_KEY=ab REGION=eu")).toBe(
      "*** *** https://***@github.com/x *** API_KEY=*** REGION=eu",
    );
  });
});
