import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { holdsWorkflowCommand, withoutWorkflowCommands } from "./workflow-commands.js";

/** Whether a GitHub runner (or Azure's) would take a line of a log for a command: `::` after blanks, `##[` or `##vso[` anywhere. */
function runnerTakesForCommand(line: string): boolean {
  return /^(?:\s|\u0085)*::/.test(line) || /##(?:vso)?\[/i.test(line);
}

describe("withoutWorkflowCommands", () => {
  it("escapes the character that makes a line a command, and nothing else", () => {
    const cases: [string, string][] = [
      ["::add-mask::cancel", "\\u003a:add-mask::cancel"],
      ["          ::stop-commands::x", "          \\u003a:stop-commands::x"],
      ["ok\n\u3000\t::error::x\r::group::y", "ok\n\u3000\t\\u003a:error::x\r\\u003a:group::y"],
      ["FOO: ##[error]fake", "FOO: ##\\u005berror]fake"],
      ["###[x ##VSO[task.setvariable]", "###\\u005bx ##VSO\\u005btask.setvariable]"],
      ["a::b, x ::y, https://h:1, [##]", "a::b, x ::y, https://h:1, [##]"],
      ["::warning ##[group]x\n##vso[y] ::z\n::w", "\\u003a:warning ##\\u005bgroup]x\n##vso\\u005by] ::z\n\\u003a:w"],
    ];
    expect(cases.map(([text]) => withoutWorkflowCommands(text))).toEqual(cases.map(([, shown]) => shown));
    expect(
      cases.map(([text]) =>
        withoutWorkflowCommands(text)
          .split(/[\r\n]/)
          .some(runnerTakesForCommand),
      ),
    ).toEqual(cases.map(() => false));
  });

  it("changes a JSON text only by escapes that read back as the same value", () => {
    const value = { "##[k": ["::add-mask::cancel", "a\n::x", "##vso[y]"] };
    const shown = withoutWorkflowCommands(JSON.stringify(value, null, 2));
    expect(shown).not.toBe(JSON.stringify(value, null, 2));
    expect(JSON.parse(shown)).toEqual(value);
  });

  it("takes time in proportion to the text, however long a line of blanks", () => {
    // A value of 100,000 blanks in a plan that held "::" anywhere (a query's `a[::2]`) took
    // some 7 s to print, and 1,000,000 blanks some 12 minutes: each blank was read again for
    // every blank after it.
    const blanks = " ".repeat(100_000);
    const started = performance.now();
    const shown = withoutWorkflowCommands(`x[::2]\n${blanks}::add-mask::y`);
    const ms = performance.now() - started;
    expect(shown).toBe(`x[::2]\n${blanks}\\u003a:add-mask::y`);
    expect(ms).toBeLessThan(1_000);
  });

  it("leaves no line a command, and a JSON string the same value, for any text", () => {
    const char = fc.constantFrom(":", "#", "[", "v", "s", "O", " ", "\t", "\n", "\r", "\u0085", "\u2028", "\u3000", "\ufeff", "a", '"');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 24 }), (chars) => {
        const text = chars.join("");
        const lines = withoutWorkflowCommands(text).split(/[\r\n]/);
        expect(lines.some(runnerTakesForCommand)).toBe(false);
        expect(JSON.parse(withoutWorkflowCommands(JSON.stringify(text)))).toBe(text);
      }),
      { numRuns: 3_000 },
    );
  });

  it("tells which values it would change", () => {
    expect(["::x", " ::x", "a\n::x", "##[x", "a ::x", "#[x", "plain"].map(holdsWorkflowCommand)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
