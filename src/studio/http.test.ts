import * as undici from "undici";
import { describe, expect, it } from "vitest";
import { Agent, loadFormData } from "./http.js";

describe("undici, loaded by parts", () => {
  // Fails on an undici upgrade that moves these modules: update the paths in http.ts.
  it("is undici's own Agent and FormData, the classes the package exports", () => {
    expect(Agent).toBe(undici.Agent);
    expect(loadFormData()).toBe(undici.FormData);
  });
});
