// The UTF-16 codes of JSON's punctuation, for the scanners that walk JSON text with
// charCodeAt: the listing splitter (src/studio/stream-parse.ts) and the duplicate-key scan
// of a saved plan (src/plan-file/duplicate-keys.ts).

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
