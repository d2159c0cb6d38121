// A plain, aligned text table: columns padded to their widest cell. Cells come from Studio
// too (a job key from a marker, a cluster's cloud): control and invisible characters are
// shown escaped, so a cell cannot move the cursor, recolour the terminal or add a row.
// Cells are padded to the columns a terminal gives them, not to their UTF-16 length: a job
// key in Chinese, Japanese or Korean, or with an emoji, takes two columns a character.

import { printable } from "../invisible.js";

export function formatTable(headers: readonly string[], cellsOfRows: readonly (readonly string[])[]): string {
  return alignRows([headers, ...cellsOfRows]).join("\n") + "\n";
}

/** Characters a terminal draws two columns wide: East Asian wide and fullwidth ones, and emoji. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]|\p{Emoji_Presentation}/u;
/** Characters drawn on the one before them: combining marks (variation selectors among them) and a zero-width joiner. */
const ZERO_WIDTH = /\p{Mn}|\p{Me}|\u200d/u;

/** Text of ASCII only, every table of ids and names in Latin letters: its length is its width, found without a walk. */
const ASCII = /^[\x20-\x7e]*$/;

/** The columns a terminal gives `text`, one a character but for those above. */
function displayWidth(text: string): number {
  if (ASCII.test(text)) return text.length;
  let width = 0;
  for (const character of text) width += ZERO_WIDTH.test(character) ? 0 : WIDE.test(character) ? 2 : 1;
  return width;
}

/** Rows as lines, each column but the last padded to its widest cell, two spaces between. */
export function alignRows(cellsOfRows: readonly (readonly string[])[]): string[] {
  const rows = cellsOfRows.map((cells) => cells.map(printable));
  // A loop: Math.max with a width of every row as its arguments runs out of stack past some 120,000 rows.
  const widths: number[] = [];
  const cellWidths = rows.map((cells) => cells.map(displayWidth));
  for (const row of cellWidths) row.forEach((width, i) => (widths[i] = Math.max(widths[i] ?? 0, width)));
  return rows.map((cells, row) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - (cellWidths[row]?.[i] ?? 0))))
      .join("  ")
      .trimEnd(),
  );
}
