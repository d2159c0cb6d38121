// A benchmark row's result, how it is judged, and the table they are printed as.
// Ratios decide; absolute times are printed to inform, and checked only where a target
// names one.

import { runPairs, statsOf, type Measured, type Stats } from "./measure.js";

export type Floor =
  | { kind: "measured"; label: string; runs: Measured[] }
  /** A figure computed, not measured: the latency bound of a row of requests. */
  | { kind: "bound"; label: string; ms: number }
  | { kind: "none" };

export interface Check {
  label: string;
  ok: boolean;
}

export interface RowResult {
  id: string;
  title: string;
  runs: Measured[];
  floor: Floor;
  /** Per-pair ratio (measured floor) or median over bound; undefined without a floor. */
  ratio?: number;
  checks: Check[];
  note?: string;
}

export interface ErrorRow {
  id: string;
  title: string;
  error: string;
}

export function timeStats(runs: readonly Measured[]): Stats {
  return statsOf(runs.map((r) => r.ms));
}

export function peakRssMb(runs: readonly Measured[]): number {
  return Math.max(...runs.map((r) => r.rssMb));
}

/**
 * The ratio of subject to floor. With a measured floor it is the median of the ratios of
 * runs taken side by side, so a burst of load that slowed one pair does not skew it.
 */
export function ratioOf(runs: readonly Measured[], floor: Floor): number | undefined {
  switch (floor.kind) {
    case "measured":
      return statsOf(runs.map((r, i) => r.ms / (floor.runs[i]?.ms ?? Number.NaN))).median;
    case "bound":
      return timeStats(runs).median / floor.ms;
    case "none":
      return undefined;
    default: {
      const never: never = floor;
      return never;
    }
  }
}

/** A row's figures when its floor is measured: spread into the row as they are. */
export interface AgainstFloor {
  runs: Measured[];
  floor: Floor & { kind: "measured" };
  ratio: number;
}

/** `runs` interleaved runs of a subject and the floor it is judged against, and that ratio. */
export async function againstFloor(
  runs: number,
  label: string,
  subject: () => Promise<Measured>,
  floor: () => Promise<Measured>,
): Promise<AgainstFloor> {
  const measured = await runPairs(runs, () => Promise.resolve({ subject, floor }));
  const measuredFloor = { kind: "measured" as const, label, runs: measured.floor };
  return { runs: measured.subject, floor: measuredFloor, ratio: ratioOf(measured.subject, measuredFloor) ?? Number.NaN };
}

/** Median over pairs of subject minus floor, ms: for targets stated as "floor + N ms". */
export function excessMs(runs: readonly Measured[], floor: Measured[]): number {
  return statsOf(runs.map((r, i) => r.ms - (floor[i]?.ms ?? Number.NaN))).median;
}

export function seconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function spread(stats: Stats): string {
  return `${seconds(stats.median)} (${seconds(stats.min)}–${seconds(stats.max)})`;
}

function floorCells(floor: Floor): [string, string, string] {
  switch (floor.kind) {
    case "measured":
      return [floor.label, spread(timeStats(floor.runs)), `${Math.round(peakRssMb(floor.runs))} MB`];
    case "bound":
      return [floor.label, seconds(floor.ms), ""];
    case "none":
      return ["", "", ""];
    default: {
      const never: never = floor;
      return never;
    }
  }
}

export function isOk(row: RowResult | ErrorRow): boolean {
  return "checks" in row && row.checks.every((c) => c.ok);
}

/** The table, Markdown-shaped so that it pastes into an issue as it is. */
export function renderTable(rows: readonly (RowResult | ErrorRow)[], enforced: boolean): string {
  const header = ["row", "runs", "median (range)", "peak RSS", "floor", "floor median (range)", "floor RSS", "ratio", "target", "result"];
  const lines = rows.map((row) => {
    if (!("checks" in row)) return [row.title, "", "", "", "", "", "", "", "", `ERROR: ${row.error}`];
    const verdict = isOk(row) ? "ok" : enforced ? "MISSED" : "missed (not enforced with --quick)";
    return [
      row.title,
      String(row.runs.length),
      spread(timeStats(row.runs)),
      `${Math.round(peakRssMb(row.runs))} MB`,
      ...floorCells(row.floor),
      row.ratio === undefined ? "" : `${row.ratio.toFixed(2)}×`,
      row.checks.map((c) => `${c.ok ? "" : "✗ "}${c.label}`).join("; "),
      row.note === undefined ? verdict : `${verdict}; ${row.note}`,
    ];
  });
  const table = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? "").length)));
  const format = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [format(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(format)].join("\n");
}

/** One line per row as it finishes, on stderr, so a long run shows progress. */
export function renderProgress(row: RowResult | ErrorRow): string {
  if (!("checks" in row)) return `ERROR ${row.title}: ${row.error}`;
  const stats = timeStats(row.runs);
  const ratio = row.ratio === undefined ? "" : `, ${row.ratio.toFixed(2)}× ${row.floor.kind === "none" ? "" : row.floor.label}`;
  const checks = row.checks.map((c) => `${c.ok ? "ok" : "MISS"} ${c.label}`).join(", ");
  return `${isOk(row) ? "ok  " : "MISS"} ${row.title}: ${spread(stats)}, ${Math.round(peakRssMb(row.runs))} MB${ratio} [${checks}]${row.note === undefined ? "" : ` (${row.note})`}`;
}
