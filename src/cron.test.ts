// Next run times: right in UTC, and computed once per (expression, time) without
// callers being able to spoil each other's copy.

import { expect, it } from "vitest";
import { checkCron, nextCronRuns } from "./cron.js";

it("gives the next firings strictly after the reference time, and a fresh copy every call", () => {
  const at = new Date("2026-11-29T03:00:00Z");
  const first = nextCronRuns("0 3 * * *", at, 3);
  expect(first.map((d) => d.toISOString())).toEqual(["2026-11-30T03:00:00.000Z", "2026-12-01T03:00:00.000Z", "2026-12-02T03:00:00.000Z"]);
  first[0]?.setUTCFullYear(1999);
  first.pop();
  const again = nextCronRuns(" 0 3 * * * ", at, 3);
  expect(again.map((d) => d.toISOString())).toEqual(["2026-11-30T03:00:00.000Z", "2026-12-01T03:00:00.000Z", "2026-12-02T03:00:00.000Z"]);
  expect(nextCronRuns("@hourly", at, 2).map((d) => d.toISOString())).toEqual(["2026-11-29T04:00:00.000Z", "2026-11-29T05:00:00.000Z"]);
});

it("gives the same firings as croner's named UTC zone, across month ends, leap days and the machine's daylight-saving changes", async () => {
  const { Cron } = await import("croner");
  const expressions = [
    "0 3 * * *",
    "30 2 * * 0",
    "0 0 29 2 *",
    "59 23 L * *",
    "*/7 1-3 * * 1-5",
    "0 12 1 */3 *",
    "15 0 * * 6#2",
    "@weekly",
    "@yearly",
  ];
  // Around the European and American clock changes of 2026, a leap day and a year end.
  const starts = [
    "2026-03-08T06:59:00Z",
    "2026-03-29T00:30:00Z",
    "2026-10-25T00:59:00Z",
    "2026-11-01T05:00:00Z",
    "2028-02-28T23:00:00Z",
    "2026-12-31T23:59:30Z",
  ];
  for (const expression of expressions) {
    const named = new Cron(expression, { mode: "5-part", timezone: "UTC", paused: true });
    for (const start of starts) {
      const at = new Date(start);
      const expected = named.nextRuns(5, at).map((d) => d.toISOString());
      expect(expected).toHaveLength(5);
      expect(
        nextCronRuns(expression, at, 5).map((d) => d.toISOString()),
        `${expression} after ${start}`,
      ).toEqual(expected);
    }
  }
});

it("judges plain fields (a star or a number) exactly as croner does, at and past each field's bounds", async () => {
  const { Cron } = await import("croner");
  const cronerTakes = (expression: string) => {
    try {
      new Cron(expression, { mode: "5-part", utcOffset: 0, paused: true });
      return true;
    } catch {
      return false;
    }
  };
  const values = [
    "*",
    "0",
    "00",
    "01",
    "1",
    "7",
    "8",
    "12",
    "13",
    "23",
    "24",
    "31",
    "32",
    "59",
    "60",
    "99",
    "100",
    "-1",
    "+1",
    "1.0",
    " 1",
  ];
  let judged = 0;
  for (let field = 0; field < 5; field++) {
    for (const value of values) {
      const parts = ["1", "1", "1", "1", "1"];
      parts[field] = value;
      const expression = parts.join(" ");
      if (expression.trim().split(/\s+/).length !== 5) continue;
      expect(checkCron(expression) === undefined, expression).toBe(cronerTakes(expression));
      judged++;
    }
  }
  expect(judged).toBeGreaterThan(90);
  expect(checkCron("0 0 31 2 *")).toBeUndefined();
  expect(checkCron("59 23 31 12 7")).toBeUndefined();
  expect(checkCron("60 1 * * *")).toMatch(/^"60 1 \* \* \*" is not a valid cron expression: /);
  expect(checkCron("1 24 * * *")).toMatch(/^"1 24 \* \* \*" is not a valid cron expression: /);
});
