import { describe, expect, it } from "vitest";
import { isOtherMapping, isOtherYaml } from "./not-a-spec.js";

describe("isOtherMapping", () => {
  it("takes a mapping of none of a spec's keys for a file of something else", () => {
    expect(isOtherMapping({ services: { db: {} } })).toBe(true);
    expect(isOtherMapping({ apiVersion: "v1", kind: "Service" })).toBe(true);
    expect(isOtherMapping({ env: "prod" })).toBe(true);
  });

  it("takes a spec, a misspelt one or what is no mapping for no such file", () => {
    expect(isOtherMapping({ version: 1 })).toBe(false);
    expect(isOtherMapping({ stak: "x", job: {} })).toBe(false);
    expect(isOtherMapping({ Verison: 1 })).toBe(false);
    expect(isOtherMapping(["a"])).toBe(false);
    expect(isOtherMapping(null)).toBe(false);
  });
});

describe("isOtherYaml", () => {
  it("reads every document, whatever its tags, and wants them all to be of something else", () => {
    expect(isOtherYaml("a: !Ref b\n---\nkind: x\n")).toBe(true);
    expect(isOtherYaml("kind: x\n---\nstack: s\n")).toBe(false);
    expect(isOtherYaml("a: [\n")).toBe(false);
    expect(isOtherYaml("---\n")).toBe(false);
  });
});
