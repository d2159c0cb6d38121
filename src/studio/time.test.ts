import { afterEach, describe, expect, it } from "vitest";
import { isStudioTime, newestFirst, studioTimeMs } from "./time.js";

describe("studioTimeMs", () => {
  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it("reads a time with an offset as the moment it names", () => {
    expect(studioTimeMs("2026-01-01T09:00:00+09:00")).toBe(Date.UTC(2026, 0, 1, 0, 0, 0));
    expect(studioTimeMs("2026-01-01T00:00:00.250Z")).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 250));
  });

  it("reads a time without an offset as UTC, whatever this machine's zone", () => {
    for (const tz of ["America/New_York", "Asia/Tokyo", "UTC"]) {
      process.env.TZ = tz;
      expect(studioTimeMs("2026-07-01T12:30:00"), tz).toBe(Date.UTC(2026, 6, 1, 12, 30, 0));
      expect(studioTimeMs("2026-07-01 12:30:00.123456"), tz).toBe(Date.UTC(2026, 6, 1, 12, 30, 0, 123));
      expect(studioTimeMs("2026-07-01T12:30"), tz).toBe(Date.UTC(2026, 6, 1, 12, 30));
    }
  });

  it("reads the offsets ISO 8601 writes, with a space or a T, and no other form, which Date.parse takes in this machine's zone", () => {
    // Found by an adversarial tester: `2026/07/01 12:30:00` and `Jul 1 2026 12:30:00` were
    // read in the machine's zone, so runners in two zones ordered (and kept) records apart.
    for (const tz of ["America/New_York", "Asia/Tokyo", "UTC"]) {
      process.env.TZ = tz;
      expect(studioTimeMs("2026-07-01 21:30:00+09:00"), tz).toBe(Date.UTC(2026, 6, 1, 12, 30, 0));
      expect(studioTimeMs("2026-07-01T07:30:00.5-0500"), tz).toBe(Date.UTC(2026, 6, 1, 12, 30, 0, 500));
      expect(studioTimeMs("2026-07-01T12:30:00z"), tz).toBe(Date.UTC(2026, 6, 1, 12, 30, 0));
      expect(studioTimeMs("2026-07-01"), tz).toBe(Date.UTC(2026, 6, 1));
      for (const local of [
        "2026/07/01 12:30:00",
        "Jul 1 2026 12:30:00",
        "2026-7-1 12:30:00",
        "Wed, 01 Jul 2026 12:30:00",
        "2026-07-01T12:30:00 ",
      ]) {
        expect(studioTimeMs(local), `${tz}: ${local}`).toBeNaN();
      }
    }
  });

  it("is NaN for what is not a time", () => {
    expect(studioTimeMs("yesterday")).toBeNaN();
    expect(studioTimeMs("")).toBeNaN();
  });

  it("is NaN for a day or an hour not on the calendar, which Date.parse rolls over", () => {
    // Date.parse reads February 30 as March 2 and 24:00 as the next day's midnight.
    for (const off of ["2026-02-30T00:00:00Z", "2026-02-29", "2026-04-31T12:00", "2026-12-01T24:00:00Z", "1900-02-29"])
      expect(studioTimeMs(off), off).toBeNaN();
    expect(studioTimeMs("2028-02-29T00:00:00Z")).toBe(Date.UTC(2028, 1, 29));
    expect(studioTimeMs("2000-02-29")).toBe(Date.UTC(2000, 1, 29));
    expect(studioTimeMs("2026-12-31T23:59:59.999999Z")).toBe(Date.UTC(2026, 11, 31, 23, 59, 59, 999));
  });
});

describe("isStudioTime", () => {
  it("says of Studio's own form, told by one pattern, what studioTimeMs says, and of any other form too", () => {
    const times = [
      "2021-01-01T00:00:00Z",
      "2026-11-30T23:59:59.123456Z",
      "2026-06-15T12:30:00+09:00",
      "2026-06-15T12:30:00-23:59",
      "2024-02-29T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-12-31T00:00:00Z",
      "2026-02-28T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-01-32T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T23:60:00Z",
      "2026-01-01T23:59:60Z",
      "2026-01-01T00:00:00+24:00",
      "2026-01-01T00:00:00",
      "2026-01-01 00:00",
      "2026-01-01",
      "2026-01-01t00:00:00z",
      "yesterday",
      "",
    ];
    for (const time of times) expect([time, isStudioTime(time)]).toEqual([time, !Number.isNaN(studioTimeMs(time))]);
    expect(times.filter(isStudioTime)).toEqual([
      "2021-01-01T00:00:00Z",
      "2026-11-30T23:59:59.123456Z",
      "2026-06-15T12:30:00+09:00",
      "2026-06-15T12:30:00-23:59",
      "2024-02-29T00:00:00Z",
      "2026-12-31T00:00:00Z",
      "2026-02-28T00:00:00Z",
      "2026-01-01T00:00:00",
      "2026-01-01 00:00",
      "2026-01-01",
      "2026-01-01t00:00:00z",
    ]);
  });
});

describe("newestFirst", () => {
  const at = (id: string, created_at: string) => ({ id, created_at });

  it("orders by moment, not by text", () => {
    const records = [at("a", "2026-01-01T00:00:00Z"), at("b", "2026-01-01T00:00:00.500Z"), at("c", "2026-01-01T08:00:00+09:00")];
    expect(records.sort(newestFirst).map((r) => r.id)).toEqual(["b", "a", "c"]);
  });

  it("breaks ties by id, and puts unreadable times last", () => {
    const records = [at("x", "not a time"), at("a", "2026-01-01T00:00:00Z"), at("b", "2026-01-01T00:00:00.000Z")];
    expect(records.sort(newestFirst).map((r) => r.id)).toEqual(["b", "a", "x"]);
  });
});
