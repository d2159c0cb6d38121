// `-`, which many tools take for standard input or output. studio-jobs reads specs, var files
// and saved plans from files only (a spec's query files are found beside it, a saved plan's
// paths are relative to where it was made), so a `-` given for one is refused, not read as a
// file named "-" in the current directory, which it then said did not exist.

import { InvalidArgumentError } from "commander";
import { UsageError } from "../errors.js";

/** The word for standard input or output. */
export const DASH = "-";

const FILE_NAMED_DASH = "(./- names a file called -)";

/** Refuse a `-` among the spec paths: `what` is what the paths are, "spec" or "saved plan or spec". */
export function refuseStandardInput(paths: readonly string[], what: string): void {
  if (!paths.includes(DASH)) return;
  throw new UsageError(
    `- would be standard input, but a ${what} is read from a file, not from standard input.`,
    `Give its path ${FILE_NAMED_DASH}.`,
  );
}

/** The same for a file option's value (--var-file -, the emulator's --data and --config), as commander says an invalid one. */
export function refuseDashValue(value: string): string {
  if (value === DASH) throw new InvalidArgumentError(`Give a file path: this option takes no standard input or output ${FILE_NAMED_DASH}.`);
  return value;
}
