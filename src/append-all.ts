// Appending one list to another. `target.push(...items)` passes every item as an argument of
// its own, and past some 120,000 of them V8 runs out of stack (RangeError): a spec's schema
// problems, a team's warnings or actions, and status's rows can be that many.

export function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
