// What an environment variable's name and value may be in a spec: checked again where they
// do not come from a spec, so that `import` never writes a spec validate refuses.

/** The schema's pattern for an environment variable's name (a test keeps the two the same). */
export const ENVIRONMENT_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

const ENVIRONMENT_NAME = new RegExp(ENVIRONMENT_NAME_PATTERN);

/** Whether a spec can hold a variable of this name (the schema refuses `__proto__` too). */
export function isEnvironmentName(name: string): boolean {
  return ENVIRONMENT_NAME.test(name) && name !== "__proto__";
}

/**
 * What ends a line to some reader of KEY=VALUE lines: LF, and what Python's str.splitlines()
 * also splits at (CR, VT, FF, FS, GS, RS, NEL, U+2028, U+2029). A value holding one would be
 * read there as a second variable (a marker, say) that the plan shows inside the first.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const LINE_BREAK = /[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

/** Whether a value is one line: what a spec can hold in a variable, a requirement, a credentials name, a repository, a Python version. */
export function isOneLine(value: string): boolean {
  return !LINE_BREAK.test(value);
}

/**
 * Whether a requirements item or an environment value is one line of the text sent: a CR
 * that ends it is half of a CRLF (as `import` writes Studio's CRLF text: `A=1\r\nB=2` is read
 * back as A "1\r"), sent as a line ending; any other break would make it two.
 */
export function isOneSentLine(line: string): boolean {
  return isOneLine(line.endsWith("\r") ? line.slice(0, -1) : line);
}
