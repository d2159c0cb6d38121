// Option builders shared by the commands: numbers parsed and checked where they enter,
// repeatable flags, and the examples that end every command's help.

import { Help, InvalidArgumentError, Option, type Argument, type Command } from "commander";
import { refuseDashValue } from "./standard-input.js";

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A whole-number option: the value reaches the command as a number, checked against its range. */
export function integerOption(flags: string, description: string, range: { min: number; max?: number }, defaultValue?: number): Option {
  const option = new Option(flags, description).argParser((value: string) => {
    const n = /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) {
      throw new InvalidArgumentError(
        range.max === undefined
          ? `Give a whole number of at least ${range.min}.`
          : `Give a whole number from ${range.min} to ${range.max}.`,
      );
    }
    return n;
  });
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/** A probability: a number from 0 to 1. */
export function fractionOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string) => {
    // Decimal only: Number() reads "0x1" and "0b1" as 1 too, where an integer option refuses them.
    // The digits after the point only after one: `\d+\.?\d*` split a run of digits every way before refusing it.
    const n = /^\s*(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\s*$/i.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("Give a number from 0 to 1.");
    return n;
  });
}

/** A file path option: an empty one (`--out "$UNSET"`) would name the current directory. */
export function fileOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser(filePath);
}

/** The same, given any number of times (`--var-file`): every path, in order; `-` is refused (./standard-input.ts). */
export function fileListOption(flags: string, description: string): Option {
  return new Option(flags, description)
    .argParser((value: string, previous: string[]) => collect(refuseDashValue(filePath(value)), previous))
    .default([]);
}

/** `--target KEY`, given any number of times: an empty one (`--target "$UNSET"`) names no job, and was said as `--target  matches no job`. */
export function targetOption(description: string): Option {
  return new Option("--target <key>", description)
    .argParser((value: string, previous: string[]) => {
      if (value === "") throw new InvalidArgumentError("Give a job key.");
      // A key given twice is one: the plan names each once.
      return previous.includes(value) ? previous : collect(value, previous);
    })
    .default([]);
}

function filePath(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("Give a file path.");
  return value;
}

/** The text after a command's help: a few real invocations, each after what it does. */
export function examples(lines: readonly [command: string, comment: string][]): string {
  return `\nExamples:\n${lines.map(([command, comment]) => `  # ${comment}\n  $ ${command}`).join("\n")}`;
}

/**
 * Help without `(default: false)` after every on/off flag, nor `(default: [])` after every
 * repeatable one: that is what a flag not given means. Other defaults are still shown, and
 * a list default reads as the words a user would type.
 */
export const helpConfiguration: Partial<Help> = {
  showGlobalOptions: true,
  optionDescription(option: Option): string {
    const noise =
      (option.isBoolean() && option.defaultValue === false) || (Array.isArray(option.defaultValue) && option.defaultValue.length === 0);
    if (noise && option.argChoices === undefined) return option.description;
    return Help.prototype.optionDescription.call(this, option);
  },
  argumentDescription(argument: Argument): string {
    const value: unknown = argument.defaultValue;
    if (Array.isArray(value) && argument.argChoices === undefined) return `${argument.description} (default: ${value.join(" ")})`;
    return Help.prototype.argumentDescription.call(this, argument);
  },
};

/**
 * The emulator's help: the global options it reads, as it reads them. `--token` and `--team`
 * are the one token it takes and that token's team, never DATACHAIN_STUDIO_* nor datachain's
 * config; `--url` is refused (it prints its own), and `--insecure` and `--timeout`, which are
 * about talking to a Studio, are not listed.
 */
const EMULATOR_GLOBALS: ReadonlyMap<string, string | undefined> = new Map([
  ["--url", undefined],
  ["--insecure", undefined],
  ["--timeout", undefined],
  ["--token", "the one token the emulator takes, without --config (default: dev-token; DATACHAIN_STUDIO_TOKEN is not read)"],
  ["--team", "the one team that token reads and writes, without --config (default: demo; DATACHAIN_STUDIO_TEAM is not read)"],
]);

export const emulatorHelpConfiguration: Partial<Help> = {
  ...helpConfiguration,
  visibleGlobalOptions(cmd: Command): Option[] {
    return Help.prototype.visibleGlobalOptions.call(this, cmd).flatMap((option) => {
      if (option.long === undefined || !EMULATOR_GLOBALS.has(option.long)) return [option];
      const description = EMULATOR_GLOBALS.get(option.long);
      return description === undefined ? [] : [new Option(option.flags, description)];
    });
  },
};

/** The long flags the user wrote on the command line (not defaults), e.g. `--max-cancel`. */
export function givenFlags(command: Command): string[] {
  return command.options
    .filter((option) => command.getOptionValueSource(option.attributeName()) === "cli")
    .map((option) => option.long ?? option.flags);
}
