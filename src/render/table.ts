// A plain, aligned text table: columns padded to their widest cell. Cells come from Studio
// too (a job key from a marker, a cluster's cloud): control and invisible characters are
// shown escaped, so a cell cannot move the cursor, recolour the terminal or add a row.

import { printable } from "../invisible.js";

export function formatTable(headers: readonly string[], cellsOfRows: readonly (readonly string[])[]): string {
  return alignRows([headers, ...cellsOfRows]).join("\n") + "\n";
}

/** Rows as lines, each column but the last padded to its widest cell, two spaces between. */
export function alignRows(cellsOfRows: readonly (readonly string[])[]): string[] {
  const rows = cellsOfRows.map((cells) => cells.map(printable));
  // A loop: Math.max with a width of every row as its arguments runs out of stack past some 120,000 rows.
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((cells) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
