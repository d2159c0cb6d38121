// FILL-IN: what `import` writes where Studio does not return a value. A spec that still holds
// one is refused where it is written, saying so: a cluster named so passed validate (a name is
// checked against Studio's clusters only when planning), and a cron's or a start's was refused
// in words that said neither that import wrote it nor what to write instead.

export const FILL_IN = "FILL-IN";

/** What to write instead, by the setting's last key (a cluster's `{name}` too). */
const INSTEAD: Readonly<Record<string, string>> = {
  cron: 'the job\'s cron expression, e.g. "0 3 * * *"',
  start_after: "when the job is to run, e.g. 2026-12-01T00:00:00Z",
  cluster: "the job's cluster (`studio-jobs clusters` lists them)",
};

/** The problem with a value left as import wrote it, or undefined when it is not a FILL-IN. */
export function unfilled(setting: string | number | undefined, value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() !== FILL_IN) return undefined;
  const instead = INSTEAD[String(setting === "name" ? "cluster" : setting)] ?? "the job's own value";
  return `${FILL_IN} is what import writes where Studio does not return the value: replace it with ${instead}`;
}
