// Which paths a command takes for a saved plan rather than a spec: those ending in .json,
// which no spec does (`plan --out` refuses any other). On its own, so that the commands that
// read a spec can tell before they load the plan-file code.

/** Whether `path` names a saved plan, not a spec: it ends in .json. */
export function isPlanPath(path: string): boolean {
  return path.endsWith(".json");
}
