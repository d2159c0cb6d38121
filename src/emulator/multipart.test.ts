import { describe, expect, it } from "vitest";
import { readMultipartField } from "./multipart.js";

const TYPE = "multipart/form-data; boundary=XX";

function body(...parts: (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : p)));
}

function read(raw: Buffer, type = TYPE) {
  const field = readMultipartField(raw, type, "file");
  return field === null || field === undefined ? field : { bytes: [...field.bytes], filename: field.filename };
}

describe("readMultipartField", () => {
  it("gives the bytes of the first part named file, its filename, and whether another part has its name", () => {
    const raw = body(
      '--XX\r\nContent-Disposition: form-data; name="other"\r\n\r\nno\r\n',
      '--XX\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n',
      Buffer.from([0xff, 0x0d, 0x0a, 0x00]),
      '\r\n--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\nsecond\r\n--XX--\r\n',
    );
    expect(read(raw)).toEqual({ bytes: [0xff, 0x0d, 0x0a, 0x00], filename: "a.csv" });
    expect(readMultipartField(raw, TYPE, "file")?.repeated).toBe(true);
    expect(readMultipartField(raw, TYPE, "other")?.repeated).toBe(false);
  });

  it("takes a preamble, a quoted boundary, padding after a delimiter, unquoted names and an empty part", () => {
    const raw = body("preamble\r\n--a b  \r\ncontent-disposition: form-data; name=file\r\n\r\n\r\n--a b--");
    expect(read(raw, 'multipart/form-data; boundary="a b"')).toEqual({ bytes: [], filename: undefined });
  });

  it("takes a body that starts with the CRLF of its first delimiter (an empty preamble), as FormData did (from review)", () => {
    const raw = body('\r\n--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\nDATA\r\n--XX--');
    expect(read(raw)).toEqual({ bytes: [...Buffer.from("DATA")], filename: undefined });
  });

  it("takes the last of two boundaries, as curl sends the API reference's sample and Django reads it (from the fidelity audit)", () => {
    const raw = body('--curls\r\nContent-Disposition: form-data; name="file"\r\n\r\nstring\r\n--curls--\r\n');
    expect(read(raw, "multipart/form-data; boundary=---011000010111000001101001; boundary=curls")).toEqual({
      bytes: [...Buffer.from("string")],
      filename: undefined,
    });
    expect(read(raw, 'multipart/form-data; boundary="curls"; boundary=other')).toBeUndefined();
    // A boundary inside another parameter's quotes is not one.
    expect(read(raw, 'multipart/form-data; boundary=curls; note="x; boundary=other"')).not.toBeUndefined();
    expect(read(raw, 'multipart/form-data; note="x; boundary=curls"')).toBeUndefined();
    const quotedName = body('--XX\r\nContent-Disposition: form-data; filename="a; name=file"; name="other"\r\n\r\nv\r\n--XX--\r\n');
    expect(read(quotedName)).toBeNull();
  });

  it("reads a parameter's name in any case, an empty value as one, a boundary of 1 to 70 characters, and a parameter only after a semicolon", () => {
    // Found by mutation testing: none of these was held by a test once parameters were read one by one.
    const part = (boundary: string) => body(`--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\nv\r\n--${boundary}--\r\n`);
    const v = { bytes: [...Buffer.from("v")], filename: undefined };
    expect(read(part("XX"), "multipart/form-data; BOUNDARY=XX")).toEqual(v);
    expect(read(body('--XX\r\nContent-Disposition: form-data; NAME="file"; FileName="a.csv"\r\n\r\nv\r\n--XX--\r\n'))).toEqual({
      ...v,
      filename: "a.csv",
    });
    // An empty value is a value, and the last: no boundary, another name.
    expect(read(part("XX"), "multipart/form-data; boundary=XX; boundary=")).toBeUndefined();
    expect(read(part(""), 'multipart/form-data; boundary=""')).toBeUndefined();
    expect(read(body('--XX\r\nContent-Disposition: form-data; name="file"; name=\r\n\r\nv\r\n--XX--\r\n'))).toBeNull();
    const [longest, tooLong] = ["b".repeat(70), "b".repeat(71)];
    expect(read(part(longest), `multipart/form-data; boundary=${longest}`)).toEqual(v);
    expect(read(part(tooLong), `multipart/form-data; boundary=${tooLong}`)).toBeUndefined();
    // Not a parameter without its semicolon.
    expect(read(part("XX"), "multipart/form-data boundary=XX")).toBeUndefined();
    expect(read(body('--XX\r\nContent-Disposition: form-data name="file"\r\n\r\nv\r\n--XX--\r\n'))).toBeNull();
  });

  it("does not take a filename parameter for the name", () => {
    const raw = body('--XX\r\nContent-Disposition: form-data; filename="file"; name="x"\r\n\r\nv\r\n--XX--\r\n');
    expect(read(raw)).toBeNull();
  });

  it.each([
    ["no boundary", body("--XX\r\n\r\nv\r\n--XX--"), "multipart/form-data"],
    ["no delimiter", body("just text"), TYPE],
    ["a part whose headers never end", body('--XX\r\nContent-Disposition: form-data; name="file"\r\nv\r\n--XX--'), TYPE],
    [
      "a part whose headers end only in the next part (from review: it took the next part's bytes)",
      body(
        '--XX\r\nContent-Disposition: form-data; name="file"\r\nX-Junk\r\n--XX\r\nContent-Disposition: form-data; name="other"\r\n\r\nOTHER\r\n--XX--',
      ),
      TYPE,
    ],
    ["no closing delimiter", body('--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\nv'), TYPE],
    ["text after a delimiter", body('--XXjunk\r\nContent-Disposition: form-data; name="file"\r\n\r\nv\r\n--XX--'), TYPE],
  ])("refuses a body with %s", (_what, raw, type) => {
    expect(read(raw, type)).toBeUndefined();
  });
});
