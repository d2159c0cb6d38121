// Where bytes stop being UTF-8: for the text files a user wrote and for Studio's replies,
// which must both be UTF-8 and are refused, not read with U+FFFD, where they are not.

/**
 * The offset of the first byte that is not well-formed UTF-8, or -1. A character cut off by
 * the end counts as not well-formed, unless `complete` is false (more bytes are to come).
 */
export function firstInvalidUtf8(bytes: Uint8Array, complete = true): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte: how many continuation bytes, and the range the second one must be in
    // (which excludes overlong forms, surrogates and code points past U+10FFFF).
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return complete ? i : -1;
      if (c < (k === 1 ? low : 0x80) || c > (k === 1 ? high : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}
