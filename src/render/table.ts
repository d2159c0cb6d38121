// A plain, aligned text table: columns padded to their widest cell. Cells come from Studio
// too (a job key from a marker, a cluster's cloud): control and invisible characters are
// shown escaped, so a cell cannot move the cursor, recolour the terminal or add a row.
// Cells are padded to the columns a terminal gives them, not to their UTF-16 length: a job
// key in Chinese, Japanese or Korean, or with an emoji, takes two columns a character, and a
// combining mark or a joined emoji sequence none of its own.

import stringWidth from "string-width";
import { printable } from "../invisible.js";

export function formatTable(headers: readonly string[], cellsOfRows: readonly (readonly string[])[]): string {
  return alignRows([headers, ...cellsOfRows]).join("\n") + "\n";
}

/** Text of ASCII only, every table of ids and names in Latin letters: its length is its width, found without a walk. */
const ASCII = /^[\x20-\x7e]*$/;

/** The columns a terminal gives `text`: string-width's count of grapheme clusters, East Asian wide ones and emoji two. */
function displayWidth(text: string): number {
  return ASCII.test(text) ? text.length : stringWidth(text);
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
