import { describe, expect, it } from "vitest";
import { InvalidPaths } from "./invalid-paths.js";

describe("InvalidPaths", () => {
  const invalid = new InvalidPaths([["jobs", "a", "workers"], ["vars", "env"], ["jobs", "b"], []]);

  it("touches a path at, above or below a problem, by the text of each segment", () => {
    expect(invalid.touches(["jobs", "a", "workers"])).toBe(true);
    expect(invalid.touches(["jobs", "a"])).toBe(true);
    expect(invalid.touches(["jobs", "b", "schedule", "cron"])).toBe(true);
    expect(invalid.touches(["jobs", "a", "team"])).toBe(false);
    expect(invalid.touches(["jobs", "c"])).toBe(false);
    expect(invalid.touches(["vars", "env"])).toBe(true);
    expect(invalid.touches(["vars", "other"])).toBe(false);
    expect(new InvalidPaths([["files", 1]]).touches(["files", "1"])).toBe(true);
    expect(new InvalidPaths([[]]).touches(["jobs"])).toBe(false);
  });

  it("covers a path only at or below a problem", () => {
    expect(invalid.covers(["jobs", "b"])).toBe(true);
    expect(invalid.covers(["jobs", "b", "workers"])).toBe(true);
    expect(invalid.covers(["jobs", "a"])).toBe(false);
    expect(invalid.covers(["jobs"])).toBe(false);
    expect(invalid.size).toBe(4);
  });
});
