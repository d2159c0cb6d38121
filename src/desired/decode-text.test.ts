import { describe, expect, it } from "vitest";
import { decodeText, describeTextProblem } from "./decode-text.js";

describe("decodeText", () => {
  it("takes UTF-8 text and drops a byte order mark at its start, not elsewhere", () => {
    expect(decodeText(Buffer.from("\ufeff#!/bin/sh\necho café\ufeff\n"))).toEqual({ text: "#!/bin/sh\necho café\ufeff\n" });
    expect(decodeText(Buffer.alloc(0))).toEqual({ text: "" });
  });

  it("says where the first byte that is not UTF-8 is, in characters, a byte order mark not counted", () => {
    const problem = { kind: "not-utf8", byte: 0xe9, line: 2, column: 3 } as const;
    expect(decodeText(Buffer.concat([Buffer.from("\ufeffé\n"), Buffer.from("ab\xe9", "latin1")]))).toEqual({ problem });
    expect(decodeText(Buffer.from("é\xff", "latin1"))).toEqual({ problem: { kind: "not-utf8", byte: 0xe9, line: 1, column: 1 } });
    expect(describeTextProblem(problem)).toBe("is not UTF-8 text (byte 0xe9 at line 2, column 3); save it as UTF-8");
  });

  it("refuses a NUL byte as a binary file", () => {
    const decoded = decodeText(Buffer.from("é\n\u00e9x\0"));
    expect(decoded).toEqual({ problem: { kind: "binary", line: 2, column: 3 } });
    if ("problem" in decoded)
      expect(describeTextProblem(decoded.problem)).toBe("is a binary file, not text (a NUL byte at line 2, column 3)");
  });
});

describe("UTF-16", () => {
  it("is known by its byte order mark, either way round, and not called binary", () => {
    for (const bytes of [Buffer.from("\ufeffa: 1\n", "utf16le"), Buffer.from("\ufeffa: 1\n", "utf16le").swap16()]) {
      expect(decodeText(bytes)).toEqual({ problem: { kind: "utf-16" } });
    }
    expect(describeTextProblem({ kind: "utf-16" })).toBe("is UTF-16; save it as UTF-8");
  });
});

describe("where a problem is", () => {
  it("counts lines ended by LF, CRLF or a lone CR, as YAML does", () => {
    const bytes = Buffer.concat([Buffer.from("a\rb\r\nc\nd\r\rab"), Buffer.from([0xe9])]);
    expect(decodeText(bytes)).toEqual({ problem: { kind: "not-utf8", byte: 0xe9, line: 6, column: 3 } });
  });
});
