// Next run times: right in UTC, and computed once per (expression, time) without
// callers being able to spoil each other's copy.

import { expect, it } from "vitest";
import { nextCronRuns } from "./cron.js";

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
