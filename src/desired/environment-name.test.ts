// The environment-name rule import checks is the schema's own.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ENVIRONMENT_NAME_PATTERN, isEnvironmentName } from "./environment-name.js";

it("is the schema's pattern, and refuses __proto__ as the schema does", () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, "../../schema/studio-jobs.schema.json"), "utf8")) as {
    $defs: { settings: { properties: { environment: { propertyNames: { allOf: [{ pattern: string }, { not: { const: string } }] } } } } };
  };
  const [named, refused] = schema.$defs.settings.properties.environment.propertyNames.allOf;
  expect([named.pattern, refused.not.const]).toEqual([ENVIRONMENT_NAME_PATTERN, "__proto__"]);
  expect(["A", "_x1", "True", "__proto__", "my-var", "1X", "<<", "A B", ""].map(isEnvironmentName)).toEqual([
    true,
    true,
    true,
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
});
