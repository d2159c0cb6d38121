import { describe, expect, it } from "vitest";
import { createRedactor } from "../redact.js";
import { shownPath, specArguments } from "./shell-words.js";

const plain = { secrets: createRedactor() };

describe("a path said back", () => {
  it("is bare where no part holds what a shell reads, else quoted part by part", () => {
    const shown = (path: string) => shownPath(path, plain);
    expect(shown("ml/jobs.yaml")).toBe("ml/jobs.yaml");
    // Characters a POSIX shell takes as they are in a word.
    expect(shown("a@b%c+d=e:f,g.h_i-j/K9.json")).toBe("a@b%c+d=e:f,g.h_i-j/K9.json");
    expect(shown("my dir/p'x.json")).toBe("'my dir'/'p'\\''x.json'");
    expect(shown("$HOME/`id`/a*b/~/!x/{a,b}")).toBe("'$HOME'/'`id`'/'a*b'/'~'/'!x'/'{a,b}'");
    expect(shown("日次/plan.json")).toBe("'日次'/plan.json");
    // Empty parts (a path that is only /, a trailing /, a doubled /) stay as written.
    expect([shown("/"), shown("sp ace/"), shown("a//b"), shown("/abs/x y")]).toEqual(["/", "'sp ace'/", "a//b", "/abs/'x y'"]);
    // Found by an adversarial tester: `show ""` said "Error:  is a directory", the path shown as nothing.
    expect(shown("")).toBe("''");
  });

  it("that starts with - is given ./ first, which names the same file and is no option", () => {
    expect(shownPath("-p.json", plain)).toBe("./-p.json");
    expect(shownPath("--out", plain)).toBe("./--out");
    expect(shownPath("-my plan.json", plain)).toBe("./'-my plan.json'");
    expect(shownPath("a/-x", plain)).toBe("a/-x");
  });

  it("shows its control characters, inside the quotes", () => {
    expect(shownPath("red\u001b[31m.json", plain)).toBe("'red^[[31m.json'");
    expect(shownPath("no dir/a\nb.yaml", plain)).toBe("'no dir'/'a^Jb.yaml'");
  });

  it("hides a secret before quoting it, also one that spans a / next to a quoted part", () => {
    const secrets = createRedactor();
    // A token may hold / and a space; quoted part by part first, it would be split by quotes the redactor does not know.
    secrets.addSecret("x y/tok3n-S3cr3t-value");
    expect(shownPath("x y/tok3n-S3cr3t-value.json", { secrets })).toBe("'***.json'");
    expect(shownPath("plans/x y/tok3n-S3cr3t-value", { secrets })).toBe("plans/'***'");
  });
});

describe("the spec paths of a command a hint gives", () => {
  it("are each said back after a space, and nothing for ./studio-jobs.yaml alone", () => {
    expect(specArguments(["studio-jobs.yaml"], plain)).toBe("");
    expect(specArguments([], plain)).toBe("");
    expect(specArguments(["studio-jobs.yaml", "ml/"], plain)).toBe(" studio-jobs.yaml ml/");
    expect(specArguments(["sp ace/", "-x.yaml"], plain)).toBe(" 'sp ace'/ ./-x.yaml");
  });
});
