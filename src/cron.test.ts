// Next run times: right in UTC, and computed once per (expression, time) without
// callers being able to spoil each other's copy.

import { Cron } from "croner";
import fc from "fast-check";
import { expect, it } from "vitest";
import { checkCron, latestCronRun, nextCronRuns } from "./cron.js";
import { nextRuns } from "./run-times.js";

/** The next firings as ours says them and as croner does (UTC as offset 0), side by side. */
function expectCronersRuns(cron: string, at: Date, count: number): void {
  const croner = new Cron(cron, { mode: "5-part", utcOffset: 0, paused: true }).nextRuns(count, at).map((d) => d.toISOString());
  expect(
    nextCronRuns(cron, at, count).map((d) => d.toISOString()),
    `${cron} after ${at.toISOString()}`,
  ).toEqual(croner);
}

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

it("gives the same firings as croner's named UTC zone, across month ends, leap days and the machine's daylight-saving changes", () => {
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

it("judges plain fields (a star or a number) exactly as croner does, at and past each field's bounds", () => {
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
  expect(checkCron("0 0 29 2 *")).toBeUndefined();
  expect(checkCron("59 23 31 12 7")).toBeUndefined();
  expect(checkCron("60 1 * * *")).toMatch(/^"60 1 \* \* \*" is not a valid cron expression: /);
  expect(checkCron("1 24 * * *")).toMatch(/^"1 24 \* \* \*" is not a valid cron expression: /);
});

it("finds the next firings of plain schedules without croner, and they are croner's", async () => {
  const fc = await import("fast-check");
  const field = (low: number, high: number) => fc.oneof(fc.constant("*"), fc.integer({ min: low, max: high }).map(String));
  const expression = fc.tuple(field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 7)).map((fields) => fields.join(" "));
  // From 2020 to 2110: leap years, 2100 (not one), every weekday of every month.
  const after = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2110, 0, 1) }).map((ms) => new Date(ms));
  fc.assert(
    fc.property(expression, after, fc.integer({ min: 1, max: 4 }), (cron, at, count) => expectCronersRuns(cron, at, count)),
    { numRuns: 3_000, seed: 20261129 },
  );
  // The cases a random walk may miss: a 29 February (and 2100, which has none), a 31st, a
  // weekday and a day of the month together, 7 for Sunday, and a firing at the very instant.
  for (const [cron, at] of [
    ["0 0 29 2 *", "2097-03-01T00:00:00Z"],
    ["0 0 31 * *", "2026-01-31T00:00:00Z"],
    ["30 4 13 * 5", "2026-11-29T12:00:00Z"],
    ["0 12 * * 7", "2026-11-29T12:00:00Z"],
    ["* * * * *", "2026-12-31T23:58:59.999Z"],
    ["0 0 31 2 *", "2026-01-01T00:00:00Z"],
  ] as const) {
    expectCronersRuns(cron, new Date(at), 3);
  }
});

it("answers as croner does for a reference time that is not a date, or at croner's horizon of the year 3000", () => {
  // A leap second passes a date-time format check but is no Date: a saved plan may carry one.
  const invalid = new Date("2016-12-31T23:59:60Z");
  expect(Number.isNaN(invalid.getTime())).toBe(true);
  expect(() => nextCronRuns("0 3 * * *", invalid, 3)).toThrow();
  expect(nextRuns("0 3 * * *", invalid)).toEqual([]);
  for (const [cron, at] of [
    ["0 3 * * *", "3000-06-01T00:00:00Z"],
    ["0 3 * * *", "2999-12-31T02:00:00Z"],
    ["0 0 1 1 *", "2998-06-01T00:00:00Z"],
  ] as const) {
    expectCronersRuns(cron, new Date(at), 3);
  }
});

it("says a number out of its field's range in words, where croner is off by one", () => {
  expect(checkCron("* * 0 * *")).toBe('"* * 0 * *" is not a valid cron expression: day of month 0 is out of range 1-31');
  expect(checkCron("* * 32 * *")).toBe('"* * 32 * *" is not a valid cron expression: day of month 32 is out of range 1-31');
  expect(checkCron("* * * 13 *")).toBe('"* * * 13 *" is not a valid cron expression: month 13 is out of range 1-12');
  expect(checkCron("* * * 0 *")).toBe('"* * * 0 *" is not a valid cron expression: month 0 is out of range 1-12');
  expect(checkCron("0-60 * * * *")).toBe('"0-60 * * * *" is not a valid cron expression: minute 60 is out of range 0-59');
  expect(checkCron("1 2,24 * * *")).toBe('"1 2,24 * * *" is not a valid cron expression: hour 24 is out of range 0-23');
  expect(checkCron("* * * * 8/2")).toBe(
    '"* * * * 8/2" is not a valid cron expression: day of week 8 is out of range 0-7 (0 and 7 are Sunday)',
  );
});

it("takes a nickname in any case, and quotes a long expression cut short", () => {
  for (const nickname of ["@daily", "@DAILY", "@Hourly"]) expect(checkCron(nickname), nickname).toBeUndefined();
  expect(checkCron("@dayly")).toBe(
    '"@dayly" is not a cron nickname; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
  );
  const long = `${"1,".repeat(40)}2 * * *`;
  expect(checkCron(long)).toBe(`"${long.slice(0, 40)}…" has 4 fields; a cron expression has 5: minute hour day-of-month month day-of-week`);
});

it("refuses a schedule that never fires even after the emulator took it, which only asks whether Studio would", () => {
  // One process holds both (the tests run the CLI and the emulator in one): the answer of one must not be the other's.
  expect(checkCron("0 0 30 2 * ", { mustFire: false })).toBeUndefined();
  expect(checkCron("0 0 30 2 * ")).toBe('"0 0 30 2 *" never fires: February has no day 30');
});

it("gives the latest firing at or before a time: the time itself when the schedule fires then", () => {
  const at = new Date("2026-11-01T03:00:00Z");
  expect(latestCronRun("0 3 * * *", at)?.toISOString()).toBe("2026-11-01T03:00:00.000Z");
  expect(latestCronRun("0 3 * * *", new Date(at.getTime() - 1))?.toISOString()).toBe("2026-10-31T03:00:00.000Z");
});

it("refuses an expression that can never fire, and says why", () => {
  expect(checkCron("0 0 30 2 *")).toBe('"0 0 30 2 *" never fires: February has no day 30');
  expect(checkCron("0 0 31 4 *")).toBe('"0 0 31 4 *" never fires: April has no day 31');
  expect(checkCron("0 0 30,31 FEB ?")).toBe('"0 0 30,31 FEB ?" never fires: February has no day 30 or 31');
  expect(checkCron("0 0 31 2-6/2 *")).toBe('"0 0 31 2-6/2 *" never fires: February, April and June have no day 31');
  // Leap days, a month that has the day, and a day of the week (either matches) all fire.
  for (const fires of ["0 0 29 2 *", "0 0 31 2,3 *", "0 0 31 */2 *", "0 0 30 2 MON", "0 0 L 2 *"])
    expect(checkCron(fires), fires).toBeUndefined();
});

it("takes an expression of numbers, ranges, lists and steps exactly when croner takes it and finds it a firing", () => {
  const cronerFires = (expression: string) => {
    try {
      return new Cron(expression, { mode: "5-part", utcOffset: 0, paused: true }).nextRun(new Date("2026-01-01T00:00:00Z")) !== null;
    } catch {
      return false;
    }
  };
  const number = fc.integer({ min: 0, max: 70 }).map(String);
  const item = fc.oneof(
    number,
    fc.constant("*"),
    fc.tuple(number, number).map(([a, b]) => `${a}-${b}`),
    fc.tuple(fc.oneof(number, fc.constant("*")), fc.integer({ min: 0, max: 40 })).map(([a, s]) => `${a}/${s}`),
  );
  const field = fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => items.join(","));
  const dayOfWeek = fc.oneof({ weight: 3, arbitrary: fc.constant("*") }, { weight: 1, arbitrary: field });
  // Days at the end of a month, and the short months, often: where an expression may never fire.
  const lateDays = fc.oneof(field, fc.constantFrom("29", "30", "31", "30,31", "29-31/2"));
  const shortMonths = fc.oneof(field, fc.constantFrom("2", "4", "2,4", "4-11/5", "*/2"));
  fc.assert(
    fc.property(fc.tuple(field, field, lateDays, shortMonths, dayOfWeek), (fields) => {
      const expression = fields.join(" ");
      expect(checkCron(expression) === undefined, expression).toBe(cronerFires(expression));
    }),
    { numRuns: 3_000, seed: 7 },
  );
});
