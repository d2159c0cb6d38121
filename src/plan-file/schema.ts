// The check of a plan file against schema/plan.schema.json. The build compiles the
// validator ahead of time (scripts/compile-schema.mjs), which saves ~200 ms per `apply
// FILE` or `show`; from source (tests) it is compiled on first use, with the same set-up.

import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { UsageError } from "../errors.js";
import { createSchemaAjv, readSchemaFile } from "../desired/schema.js";
import type { PlanDocument } from "./document.js";

/** The file the build writes beside the compiled module: the plan validator as plain code. */
export const PRECOMPILED_PLAN_VALIDATOR = "plan-validator.cjs";

export function loadPlanSchema(): object {
  return readSchemaFile("plan.schema.json");
}

const require = createRequire(import.meta.url);
let planValidator: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (planValidator === undefined) {
    try {
      planValidator = require(`./${PRECOMPILED_PLAN_VALIDATOR}`) as ValidateFunction;
    } catch {
      planValidator = createSchemaAjv().compile(loadPlanSchema());
    }
  }
  return planValidator;
}

/**
 * Past this check the rest of the code may rely on the file's shape: a damaged file stops
 * here, with where, instead of failing half-way through an apply.
 */
export function checkPlanSchema(doc: unknown, shown: string): asserts doc is PlanDocument {
  const validate = validator();
  if (validate(doc)) return;
  const first = validate.errors?.[0];
  const where =
    first?.instancePath === undefined || first.instancePath === "" ? "the top level" : first.instancePath.slice(1).replaceAll("/", ".");
  throw new UsageError(
    `${shown} is not a valid plan file: at ${where}, ${first?.message ?? "it does not match schema/plan.schema.json"}.`,
    "Make a new plan with `studio-jobs plan --out FILE`.",
  );
}
