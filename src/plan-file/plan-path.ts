// Which paths a command takes for a saved plan rather than a spec: those ending in .json,
// which no spec does (`plan --out` refuses any other). On its own, so that the commands that
// read a spec can tell before they load the plan-file code.

/**
 * Whether `path` names a saved plan, not a spec: it ends in .json, in any case (`plan.JSON`),
 * as a spec's .yaml and .yml are told in any case (src/desired/walk.ts): on a file system
 * that ignores case (macOS, Windows) `p.JSON` is `p.json`, and `plan --out p.JSON` refused a
 * name that `apply p.JSON` then read as a spec.
 */
export function isPlanPath(path: string): boolean {
  return path.slice(-5).toLowerCase() === ".json";
}
