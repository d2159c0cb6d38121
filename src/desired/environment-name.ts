// What an environment variable's name is, as the spec's schema says it: checked again where
// a name does not come from a spec, so that `import` never writes a spec validate refuses.

/** The schema's pattern for an environment variable's name (a test keeps the two the same). */
export const ENVIRONMENT_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

const ENVIRONMENT_NAME = new RegExp(ENVIRONMENT_NAME_PATTERN);

/** Whether a spec can hold a variable of this name (the schema refuses `__proto__` too). */
export function isEnvironmentName(name: string): boolean {
  return ENVIRONMENT_NAME.test(name) && name !== "__proto__";
}
