// A plain, aligned text table: columns padded to their widest cell. Cells come from Studio
// too (a job key from a marker, a cluster's cloud): control and invisible characters are
// shown escaped, so a cell cannot move the cursor, recolour the terminal or add a row.
// Cells are padded to the columns a terminal gives them, not to their UTF-16 length: a job
// key in Chinese, Japanese or Korean, or with an emoji, takes two columns a character, and a
// combining mark or a joined emoji sequence none of its own. string-width is loaded only for a
// table with a cell outside ASCII: loading it costs some 40 ms (its Unicode property patterns
// and an Intl.Segmenter), which every apply paid for a table of ids and Latin keys
// (docs/architecture.md, "The built CLI").

import { printable } from "../invisible.js";

export async function formatTable(headers: readonly string[], cellsOfRows: readonly (readonly string[])[]): Promise<string> {
  return (await alignRows([headers, ...cellsOfRows])).join("\n") + "\n";
}

/** Text of ASCII only, every table of ids and names in Latin letters: its length is its width, found without a walk. */
const ASCII = /^[\x20-\x7e]*$/;

/**
 * How many columns a terminal gives each text: its length for ASCII, else string-width's count
 * of grapheme clusters, East Asian wide ones and emoji two.
 */
async function displayWidths(texts: readonly string[]): Promise<number[]> {
  if (texts.every((text) => ASCII.test(text))) return texts.map((text) => text.length);
  const { default: stringWidth } = await import("string-width");
  return texts.map((text) => (ASCII.test(text) ? text.length : stringWidth(text)));
}

/** Rows as lines, each column but the last padded to its widest cell, two spaces between. */
export async function alignRows(cellsOfRows: readonly (readonly string[])[]): Promise<string[]> {
  const rows = cellsOfRows.map((cells) => cells.map(printable));
  // A loop: Math.max with a width of every row as its arguments runs out of stack past some 120,000 rows.
  const widths: number[] = [];
  const flat = await displayWidths(rows.flat());
  let next = 0;
  const cellWidths = rows.map((cells) => cells.map(() => flat[next++] as number));
  for (const row of cellWidths) row.forEach((width, i) => (widths[i] = Math.max(widths[i] ?? 0, width)));
  return rows.map((cells, row) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - (cellWidths[row]?.[i] ?? 0))))
      .join("  ")
      .trimEnd(),
  );
}
