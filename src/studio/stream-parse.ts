// Reading a job listing as it streams in. A busy team's listing is mostly runs, which the
// planner never looks at: parsed whole, it is one string of the whole body plus every
// record as an object, all alive at once (hundreds of MB, and most of the time spent in
// the garbage collector). Here the body is cut into runs of the array's elements as it
// arrives; each run is parsed, its records checked on their own (wire.ts) and dropped at
// once unless kept, so no more than a piece of the body and the kept records are held.
//
// Where to cut is found cheaply, and JSON.parse says whether the cut was right (see
// createArraySplitter); only when it was not, or the body is not written compactly, does
// a scanner in JS find the elements' ends character by character (docs/architecture.md,
// "Reading a listing").
//
// Only the bare array Studio answers is streamed. Anything else (the older
// {"jobs": [...]} wrapper, an error page, an empty body) is gathered and read whole, as
// before: that is a small reply, or one that is refused anyway.

import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "../json-codes.js";
import { createJobListReader, jobListItems, type ListingOptions } from "./wire.js";
import type { JobOutput } from "./types.js";

/** The body is not JSON, or not the JSON array it started as; said without quoting it. */
export class ReplySyntaxError extends Error {
  override readonly name = "ReplySyntaxError";
  /** When the whole body was read and is not JSON: its start, for the caller to describe. */
  readonly body: string | undefined;
  /** `body` is only the start of what was read. */
  readonly bodyCut: boolean;

  constructor(message: string, body?: string, bodyCut = false) {
    super(message);
    this.body = body;
    this.bodyCut = bodyCut;
  }
}

/** A reply read piece by piece: `write` each decoded piece of text, then `end` for the value. */
export interface ReplyStream<T> {
  write(text: string): void;
  end(): T;
}

export interface ArrayHandlers {
  /** One element of the top-level array, parsed, in order. */
  item(value: unknown, index: number): void;
  /** The whole body, when it is not an array. */
  whole(text: string): void;
}

/** How compact JSON writes one object after another in a list: where the fast way cuts. */
const SEAM = '},{"';

/**
 * Text the fast way gathers without finding a seam (a record this long, or a body not
 * written compactly) before the scanner takes over: it is then scanned once, not searched
 * again and again.
 */
const FAST_PENDING_LIMIT = 1024 * 1024;

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function parseItem(text: string, index: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ReplySyntaxError(`item ${index} of the list does not parse`);
  }
}

/**
 * Cuts a top-level JSON array into its elements, parsed, across pieces split anywhere (in
 * a string, an escape, between brackets). Whatever is wrong is refused: an element that
 * does not parse, and between elements a missing comma, an empty element, something after
 * the closing bracket, a body that stops short.
 *
 * Two ways to find where elements end. The fast way looks for the last `},{"` in the
 * newest piece (where one compactly written object ends and the next begins) and hands
 * the text from the current element's start to that `}`, between `[` and `]`, to
 * JSON.parse in one call. The text starts where an element starts, so if the `}` closes a
 * nested value or stands in a string, the wrapped text is unbalanced or ends in an open
 * string, and JSON.parse refuses it: a parse that succeeds proves the cut fell between
 * elements, and has checked every element before it. When the parse fails (a `},{"` in a
 * string, a broken body) or no seam turns up (a body not written compactly), the scanner
 * reads that same text exactly, element by element, and says what is wrong as it always
 * did; at the first element boundary in a later piece the fast way takes over again. A
 * hostile body can make this no slower than the scanner plus one failed parse a piece.
 *
 * The scanner tracks only what decides where an element ends: nesting depth and whether
 * it is inside a string. Whether an element is valid JSON is for JSON.parse to say.
 */
export function createArraySplitter(handlers: ArrayHandlers, fastPendingLimit = FAST_PENDING_LIMIT): ReplyStream<void> {
  let mode: "start" | "fast" | "scan" | "after" | "whole" = "start";
  /** Whole-body mode: every piece, joined at the end. */
  const gathered: string[] = [];
  let index = 0;

  // The fast way: the text since the current element's start, in pieces.
  let pending: string[] = [];
  let pendingLength = 0;

  // The scanner.
  /** Nesting inside the current element (0: between elements). */
  let depth = 0;
  let inString = false;
  /** The piece ended on a backslash inside a string: the next character is escaped. */
  let escaped = false;
  /** The current element's text from earlier pieces (kept as pieces: joining once is linear). */
  let carried: string[] = [];
  /** Whether anything but whitespace has been seen since the last comma or the `[`. */
  let started = false;
  /** Whether the scanner may hand back to the fast way at the next comma between elements. */
  let mayHandBack = false;

  /** Where the splitter is, for a problem: by items, never by quoting the text. */
  function position(): string {
    return index === 0 ? "before its first item" : `after item ${index - 1}`;
  }

  /** The pending text, joined once. */
  function takePending(): string {
    const text = pending.length === 1 ? (pending[0] as string) : pending.join("");
    pending = [];
    pendingLength = 0;
    return text;
  }

  function fastWrite(piece: string): void {
    const seam = piece.lastIndexOf(SEAM);
    if (seam === -1) {
      pending.push(piece);
      pendingLength += piece.length;
      if (pendingLength > fastPendingLimit) scanFrom(takePending());
      return;
    }
    const before = takePending();
    let values: unknown[];
    try {
      // One string built, copied once when JSON.parse flattens it.
      values = JSON.parse(`[${before}${piece.slice(0, seam + 1)}]`) as unknown[];
    } catch {
      scanFrom(before + piece);
      return;
    }
    for (const value of values) handlers.item(value, index++);
    const rest = piece.slice(seam + 2);
    pending.push(rest);
    pendingLength = rest.length;
  }

  /** The scanner reads `text`, which starts where an element starts, to its end. */
  function scanFrom(text: string): void {
    mode = "scan";
    depth = 0;
    inString = false;
    escaped = false;
    carried = [];
    started = false;
    mayHandBack = false;
    scanArray(text, 0);
  }

  function emit(text: string): void {
    if (!started) throw new ReplySyntaxError(`the list has an empty item ${position()}`);
    handlers.item(parseItem(text, index), index);
    index++;
    started = false;
  }

  /** The text of the element that ends at `end` of `piece`, begun at `from` (or in earlier pieces). */
  function take(piece: string, from: number, end: number): string {
    if (carried.length === 0) return piece.slice(from, end);
    carried.push(piece.slice(from, end));
    const text = carried.join("");
    carried = [];
    return text;
  }

  /** Past the end of the string that `i` is in; `piece.length` if it goes on into the next piece. */
  function skipString(piece: string, i: number): number {
    for (;;) {
      const quote = piece.indexOf('"', i);
      if (quote === -1) {
        // Does the piece end on an unpaired backslash? Count those before the end.
        let run = 0;
        for (let k = piece.length - 1; k >= i && piece.charCodeAt(k) === BACKSLASH; k--) run++;
        escaped = run % 2 === 1;
        return piece.length;
      }
      // A quote ends the string unless an odd run of backslashes precedes it. Position `i`
      // is never itself escaped, so counting back to it suffices.
      let run = 0;
      for (let k = quote - 1; k >= i && piece.charCodeAt(k) === BACKSLASH; k--) run++;
      if (run % 2 === 0) {
        inString = false;
        return quote + 1;
      }
      i = quote + 1;
    }
  }

  function scanArray(piece: string, from: number): void {
    let i = from;
    /** Where the current element's text starts in this piece. */
    let start = from;
    const length = piece.length;
    while (i < length) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        i = skipString(piece, i);
        continue;
      }
      const c = piece.charCodeAt(i);
      if (c === QUOTE) {
        inString = true;
        started = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
        started = true;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth > 0) {
          depth--;
        } else if (c === CLOSE_BRACE) {
          throw new ReplySyntaxError(`the list is closed with "}" ${position()}`);
        } else {
          // The end of the list: the last element, unless the list is empty.
          const text = take(piece, start, i);
          if (started || index > 0) emit(text);
          mode = "after";
          afterList(piece, i + 1);
          return;
        }
      } else if (c === COMMA && depth === 0) {
        emit(take(piece, start, i));
        start = i + 1;
        if (mayHandBack) {
          mode = "fast";
          fastWrite(piece.slice(start));
          return;
        }
      } else if (!started && !isJsonSpace(c)) {
        started = true;
      }
      i++;
    }
    if (start < length) carried.push(piece.slice(start));
  }

  function afterList(piece: string, from: number): void {
    for (let i = from; i < piece.length; i++) {
      if (!isJsonSpace(piece.charCodeAt(i))) throw new ReplySyntaxError("something follows the end of the list");
    }
  }

  return {
    write(piece) {
      switch (mode) {
        case "start": {
          let i = 0;
          while (i < piece.length && isJsonSpace(piece.charCodeAt(i))) i++;
          if (i === piece.length) {
            gathered.push(piece); // only whitespace so far
            return;
          }
          if (piece.charCodeAt(i) === OPEN_BRACKET) {
            gathered.length = 0;
            mode = "fast";
            fastWrite(piece.slice(i + 1));
          } else {
            mode = "whole";
            gathered.push(piece);
          }
          return;
        }
        case "fast":
          fastWrite(piece);
          return;
        case "scan":
          mayHandBack = true;
          scanArray(piece, 0);
          return;
        case "after":
          afterList(piece, 0);
          return;
        case "whole":
          gathered.push(piece);
          return;
        default: {
          const never: never = mode;
          return never;
        }
      }
    },
    end() {
      if (mode === "fast") scanFrom(takePending());
      if (mode === "start" || mode === "whole") {
        handlers.whole(gathered.join(""));
        gathered.length = 0;
      } else if (mode === "scan") {
        throw new ReplySyntaxError(`it ends inside the list, ${position()}`);
      }
    },
  };
}

export interface JobList {
  /** The records kept. */
  jobs: JobOutput[];
  /** Every record the reply held, kept or not: a listing as long as its limit may have been cut short. */
  received: number;
}

/**
 * Up to this much text (about 4 MB, some 5,000 records) a listing is parsed whole: JSON.parse
 * in one call is native code from the first byte, with none of the splitter's JavaScript to
 * warm up, which for a small listing would be much of its cost.
 */
export const WHOLE_LISTING_CHARS = 4 * 1024 * 1024;

/**
 * A job listing read as it streams: each record parsed, checked and kept or dropped as
 * soon as its text is complete. The same checks and the same result as `readJobList` on
 * the whole body. A listing of up to `wholeUpTo` characters is parsed whole instead (it
 * is small), with the same result and the same problems said the same way.
 */
export function createJobListStream(options: ListingOptions = {}, wholeUpTo = WHOLE_LISTING_CHARS): ReplyStream<JobList> {
  const reader = createJobListReader(options);
  let received = 0;
  const addAll = (body: unknown): void => {
    const items = jobListItems(body);
    for (let i = 0; i < items.length; i++) reader.add(items[i], i);
    received = items.length;
  };
  const splitter = createArraySplitter({
    item(value, index) {
      reader.add(value, index);
      received++;
    },
    whole: (text) => addAll(parseWhole(text)),
  });
  /** The pieces so far, while the listing is small enough to be parsed whole. */
  let small: string[] | undefined = [];
  let smallLength = 0;
  return {
    write(text) {
      if (small === undefined) {
        splitter.write(text);
        return;
      }
      small.push(text);
      smallLength += text.length;
      if (smallLength > wholeUpTo) {
        const pieces = small;
        small = undefined;
        for (const piece of pieces) splitter.write(piece);
      }
    },
    end() {
      if (small === undefined) splitter.end();
      else addAll(parseSmall(small.join("")));
      return { jobs: reader.finish(), received };
    },
  };
}

/** A small body parsed whole; when it is not JSON, the splitter finds what is wrong, as streaming it would have. */
function parseSmall(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const locate = createArraySplitter({ item: () => undefined, whole: parseWhole });
    locate.write(text);
    locate.end();
    // Not reached: a list whose items all parse, between brackets and commas, is JSON.
    throw notJson(text);
  }
}

/** A reply read whole, then parsed and checked by `read`: for the small replies. */
export function createWholeReplyStream<T>(read: (body: unknown) => T): ReplyStream<T> {
  let text = "";
  return {
    write(piece) {
      text += piece;
    },
    end: () => read(parseWhole(text)),
  };
}

/**
 * How much of a body that is not JSON is kept to describe it, from its first character that
 * is not blank: more than an error shows of it, which stops short of the cut (call-errors.ts).
 */
const DESCRIBED_LENGTH = 1024 * 1024;

function notJson(text: string): ReplySyntaxError {
  const start = text.trimStart();
  return new ReplySyntaxError("it is not JSON", start.slice(0, DESCRIBED_LENGTH), start.length > DESCRIBED_LENGTH);
}

function parseWhole(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw notJson(text);
  }
}
