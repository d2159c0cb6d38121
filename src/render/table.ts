// A plain, aligned text table: columns padded to their widest cell. Cells come from Studio
// too (a job key from a marker, a cluster's cloud): control and invisible characters are
// shown escaped, so a cell cannot move the cursor, recolour the terminal or add a row.

import { printable } from "../invisible.js";

export function formatTable(headers: readonly string[], cellsOfRows: readonly (readonly string[])[]): string {
  const rows = cellsOfRows.map((cells) => cells.map(printable));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}
