import { describe, expect, it } from "vitest";
import { interpolate } from "./interpolate.js";

const ctx = { env: { SET: "s3cret" }, vars: { y: "why" } };
const value = (text: string) => interpolate(text, ctx);

describe("interpolate", () => {
  it("reads references, defaults and $${ as before", () => {
    expect(value("a-${var:y}-${env:SET}")).toEqual({ ok: true, value: "a-why-s3cret", sensitive: true, unsetEnv: [] });
    expect(value("${env:NOPE:-a:-b}|${env:NOPE:-}|$${env:X}|$$${var:y}|${var:y}${var:y}")).toMatchObject({
      ok: true,
      value: "a:-b||${env:X}|$${var:y}|whywhy",
    });
    expect(interpolate("${env:NOPE}", { ...ctx, lenientEnv: true })).toEqual({
      ok: true,
      value: "",
      sensitive: true,
      unsetEnv: [{ name: "NOPE", offset: 0 }],
    });
  });

  it("refuses a ${ that is never closed, rather than sending it as text", () => {
    expect(value("${env:EMBED_API_KEY")).toMatchObject({
      ok: false,
      problems: [{ message: '"${env:EMBED_API_KEY" is not closed: end it with }, or write $${ for a literal ${', offset: 0 }],
    });
    expect(value("x ${var:y} then ${var:x")).toMatchObject({
      ok: false,
      problems: [{ message: '"${var:x" is not closed: end it with }, or write $${ for a literal ${', offset: 16 }],
    });
  });

  it("refuses a reference inside another, a default included", () => {
    const nested = {
      ok: false,
      message:
        '"${env:X:-" is not closed before the next ${ (a reference cannot hold another, not even in its default): end it with }, or write $${ for a literal ${',
    };
    expect(value("${env:X:-${var:y}}")).toMatchObject(nested);
    expect(value("${env:A ${var:y}")).toMatchObject({ ...nested, message: nested.message.replace("${env:X:-", "${env:A ") });
  });

  it("still says what is not understood", () => {
    expect(value("${foo}")).toMatchObject({
      ok: false,
      message: '"${foo}" is not understood; use ${env:NAME}, ${env:NAME:-default} or ${var:name} (write $${ for a literal ${)',
    });
  });

  it("finds every problem of a text, each at its own ${, and reads on past a reference left open before the next", () => {
    const read = value("${var:a} $${var:b} ${foo} ${env:NOPE} ${var:y} ${env:X:-${var:c}} ${var:d");
    expect(read.ok ? [] : read.problems.map((p) => [p.offset, p.unknownVar ?? p.message.slice(0, 20)])).toEqual([
      [0, "a"],
      [19, '"${foo}" is not unde'],
      [26, "environment variable"],
      [47, '"${env:X:-" is not c'],
      [56, "c"],
      [66, '"${var:d" is not clo'],
    ]);
  });
});
