// One field of a multipart/form-data body, as the bytes that were sent. A parser that reads a
// part without a filename as text (as FormData does) decodes it as UTF-8, drops a byte-order
// mark and replaces bytes that are not UTF-8, so an upload sent as Studio's API reference
// sends it (no filename) would be stored, counted and hashed as other bytes than it was.

export interface MultipartField {
  bytes: Buffer;
  /** The part's filename, when it gives one. */
  filename: string | undefined;
  /** Whether a later part has the same name: which one is meant is for the caller to say. */
  repeated: boolean;
}

const CRLF = Buffer.from("\r\n");
const HEADERS_END = Buffer.from("\r\n\r\n");

/**
 * The value of the parameter `key` of a header (`boundary` of a Content-Type, `name` and
 * `filename` of a Content-Disposition), quoted or not; of two, the last, as Studio's server
 * (Django) reads them: curl given the API reference's own sample (a Content-Type with a
 * boundary, and --form) adds the boundary it writes the body with after the sample's. Read
 * parameter by parameter, a quoted value whole: `; name=` inside another's quotes is not one.
 */
function headerParameter(header: string, key: string): string | undefined {
  let value: string | undefined;
  for (const [, name, quoted, bare] of header.matchAll(/;\s*([^\s;=]+)\s*=\s*(?:"([^"]*)"|([^\s;"]*))/g)) {
    if (name?.toLowerCase() === key) value = quoted ?? bare;
  }
  return value;
}

/** The boundary of a multipart Content-Type, or undefined when it names none (RFC 2046: 1 to 70 characters). */
function readBoundary(contentType: string): string | undefined {
  const boundary = headerParameter(contentType, "boundary");
  return boundary !== undefined && boundary.length >= 1 && boundary.length <= 70 ? boundary : undefined;
}

/**
 * The first part named `field` of a multipart body: its bytes untouched, its filename, and
 * whether another part has that name too;
 * null when no part has that name; undefined when the body is not well-formed multipart
 * (no boundary, a part without its headers' end, no closing delimiter).
 */
export function readMultipartField(body: Buffer, contentType: string, field: string): MultipartField | null | undefined {
  const boundary = readBoundary(contentType);
  if (boundary === undefined) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const between = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter opens the body, or ends the preamble (which may be empty: the body
  // then starts with the CRLF that belongs to the delimiter).
  let at: number;
  if (body.subarray(0, delimiter.length).equals(delimiter)) at = 0;
  else {
    const first = body.indexOf(between);
    if (first === -1) return undefined;
    at = first + CRLF.length;
  }
  let found: MultipartField | null = null;
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString("latin1") === "--") return found;
    // The rest of the delimiter's line is padding (spaces, tabs) up to its CRLF.
    const lineEnd = body.indexOf(CRLF, afterDelimiter);
    if (lineEnd === -1 || !/^[ \t]*$/.test(body.subarray(afterDelimiter, lineEnd).toString("latin1"))) return undefined;
    // The part's headers end at a blank line before the next delimiter, not in a later part.
    const headersEnd = body.indexOf(HEADERS_END, lineEnd);
    if (headersEnd === -1) return undefined;
    const next = body.indexOf(between, headersEnd + HEADERS_END.length - CRLF.length);
    if (next === -1 || body.indexOf(between, lineEnd) < headersEnd) return undefined;
    if (found === null || !found.repeated) {
      const headers = body
        .subarray(lineEnd + CRLF.length, headersEnd)
        .toString("utf8")
        .split("\r\n");
      const disposition = headers.find((h) => /^content-disposition\s*:/i.test(h));
      if (disposition !== undefined && headerParameter(disposition, "name") === field) {
        const start = Math.min(headersEnd + HEADERS_END.length, next);
        if (found !== null) found.repeated = true;
        else found = { bytes: body.subarray(start, next), filename: headerParameter(disposition, "filename"), repeated: false };
      }
    }
    at = next + CRLF.length;
  }
}
