// A plain, aligned text table: columns padded to their widest cell. Cells come from Studio
// too (a job key from a marker, a cluster's cloud): control and invisible characters are
// shown escaped, so a cell cannot move the cursor, recolour the terminal or add a row.

import { printable } from "../invisible.js";

export function formatTable(headers: readonly string[], cellsOfRows: readonly (readonly string[])[]): string {
  const rows = cellsOfRows.map((cells) => cells.map(printable));
  // A loop: Math.max with a width of every row as its arguments runs out of stack past some 120,000 rows.
  const widths = headers.map((h) => h.length);
  for (const row of rows) widths.forEach((width, i) => (widths[i] = Math.max(width, (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}
