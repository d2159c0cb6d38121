// Cron expressions as Studio takes them: five fields, or one of the @-nicknames.
// Parsing and next-run times come from croner (plain schedules are walked here, by its
// rules); this module pins the dialect.

import { Cron } from "croner";
import { joinWords } from "./word-lists.js";

const NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

const checked = new Map<string, string | undefined>();

/**
 * Returns undefined when the expression is valid, otherwise what is wrong with it. A spec's
 * schedule must also fire some day (`0 0 30 2 *` never does). The emulator asks only whether
 * Studio would take it (`mustFire: false`): the API reference says nothing of refusing a
 * schedule that never fires, so the emulator does not make that up.
 */
export function checkCron(expression: string, options: { mustFire?: boolean } = {}): string | undefined {
  const mustFire = options.mustFire ?? true;
  // Specs repeat a few expressions many times: check each once.
  const key = `${mustFire ? "F" : "S"}${expression}`;
  if (checked.has(key)) return checked.get(key);
  const problem = findCronProblem(expression, mustFire);
  if (checked.size < 10_000) checked.set(key, problem);
  return problem;
}

/** An expression as quoted in a message: a long one is cut. */
function quote(expression: string): string {
  return JSON.stringify(expression.length > 60 ? `${expression.slice(0, 40)}…` : expression);
}

function findCronProblem(expression: string, mustFire: boolean): string | undefined {
  const trimmed = expression.trim();
  // crontab's TZ= and CRON_TZ= prefixes: Studio runs every schedule in UTC.
  const zone = /^(?:CRON_)?TZ=\S*/i.exec(trimmed);
  if (zone !== null) {
    return `${quote(zone[0])}: schedules are in UTC and take no timezone; remove it and write the time in UTC`;
  }
  if (trimmed.startsWith("@")) {
    return NICKNAMES.has(trimmed.toLowerCase())
      ? undefined
      : `${quote(trimmed)} is not a cron nickname; use one of ${[...NICKNAMES].join(", ")}`;
  }
  const fields = trimmed.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) {
    return `${quote(trimmed)} has ${fields.length} field${fields.length === 1 ? "" : "s"}; a cron expression has 5: minute hour day-of-month month day-of-week`;
  }
  const outOfRange = findOutOfRange(fields);
  if (outOfRange !== undefined) return `${quote(trimmed)} is not a valid cron expression: ${outOfRange}`;
  if (plainFields(fields) === undefined) {
    try {
      parse(trimmed);
    } catch (error) {
      return `${quote(trimmed)} is not a valid cron expression: ${(error as Error).message.replace(/^CronPattern: /, "")}`;
    }
  }
  const never = mustFire ? findMissingDays(fields) : undefined;
  return never === undefined ? undefined : `${quote(trimmed)} never fires: ${never}`;
}

const FIELD_NAMES = ["minute", "hour", "day of month", "month", "day of week"] as const;

/**
 * A number outside its field's range, in our words: croner's message for it is off by one
 * ("* * 0 * *" is "Invalid value for day: -1"). Each end of a range or list item is looked
 * at, with a day of the month's W and a day of the week's L or #n; steps are croner's to judge.
 */
function findOutOfRange(fields: readonly string[]): string | undefined {
  for (let i = 0; i < 5; i++) {
    const [low, high] = RANGES[i] ?? [0, 0];
    for (const item of (fields[i] ?? "").split(",")) {
      for (const end of (item.split("/")[0] ?? "").split("-")) {
        const number = /^(\d+)(?:W|L|#\d+)?$/i.exec(end)?.[1];
        if (number === undefined || (Number(number) >= low && Number(number) <= high)) continue;
        const sunday = i === 4 ? " (0 and 7 are Sunday)" : "";
        return `${FIELD_NAMES[i]} ${Number(number)} is out of range ${low}-${high}${sunday}`;
      }
    }
  }
  return undefined;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
/** The most days each month has (February: in a leap year). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Why a valid expression can never fire: every day of the month it names is past the end
 * of every month it names ("0 0 30 2 *"). A day of the week given as well fires on its
 * own (either matches), and L or W are croner's: then nothing is said.
 */
function findMissingDays(fields: readonly string[]): string | undefined {
  const [, , dom = "*", month = "*", dow = "*"] = fields;
  if (dow !== "*" && dow !== "?") return undefined;
  const days = listValues(dom, 1, 31);
  const months = listValues(month, 1, 12);
  if (days === undefined || months === undefined) return undefined;
  if (months.some((m) => days.some((d) => d <= (MONTH_DAYS[m - 1] ?? 31)))) return undefined;
  const names = months.map((m) => MONTHS[m - 1] ?? String(m));
  return `${joinWords(names)} ${names.length === 1 ? "has" : "have"} no day ${joinWords(days.map(String), "or")}`;
}

const MONTH_ABBREVIATIONS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** The values a field of numbers, ranges, steps and month names stands for; undefined for anything else. */
function listValues(field: string, low: number, high: number): number[] | undefined {
  const values = new Set<number>();
  const value = (text: string): number | undefined => {
    const named = MONTH_ABBREVIATIONS.indexOf(text.toUpperCase());
    if (high === 12 && named !== -1) return named + 1;
    return /^\d+$/.test(text) ? Number(text) : undefined;
  };
  for (const item of field.split(",")) {
    const match = /^(\*|[^-/]+)(?:-([^-/]+))?(?:\/(\d+))?$/.exec(item);
    if (match === null) return undefined;
    const [, from = "", to, step] = match;
    const start = from === "*" ? low : value(from);
    const end = from === "*" ? high : to !== undefined ? value(to) : step !== undefined ? high : start;
    const by = step === undefined ? 1 : Number(step);
    if (start === undefined || end === undefined || by < 1) return undefined;
    for (let v = start; v <= end; v += by) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** Each field's range: minute, hour, day of month, month, day of week (7 is Sunday too). */
const RANGES: readonly (readonly [number, number])[] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];
const PLAIN_FIELD = /^(?:\*|0|[1-9]\d?)$/;

/**
 * Each field of a plain schedule: undefined for `*`, else its number; undefined for the
 * whole when a field is anything else or out of its range. croner takes these (cron.test.ts
 * checks that it agrees), so the common case is judged, and its next runs found, without
 * building a croner pattern, which for a spec's hundred distinct expressions is most of
 * what checking them costs.
 */
function plainFields(fields: readonly string[]): (number | undefined)[] | undefined {
  if (fields.length !== 5) return undefined;
  const values: (number | undefined)[] = [];
  for (let i = 0; i < 5; i++) {
    const field = fields[i] ?? "";
    if (!PLAIN_FIELD.test(field)) return undefined;
    if (field === "*") {
      values.push(undefined);
      continue;
    }
    const value = Number(field);
    const [low, high] = RANGES[i] ?? [0, 0];
    if (value < low || value > high) return undefined;
    values.push(value);
  }
  return values;
}

const parsed = new Map<string, Cron>();

/**
 * A paused Cron is only asked for next run times, so one per expression serves every caller.
 * UTC as a fixed offset of 0, not the named zone "UTC": the same times (UTC has no daylight
 * saving), without an Intl time-zone conversion at every step of croner's search, which
 * made next-run times about 3x slower (docs/architecture.md, "Performance").
 */
function parse(expression: string): Cron {
  const key = expression.trim();
  let cron = parsed.get(key);
  if (cron === undefined) {
    cron = new Cron(key, { mode: "5-part", utcOffset: 0, paused: true });
    if (parsed.size < 10_000) parsed.set(key, cron);
  }
  return cron;
}

const upcoming = new Map<string, readonly Date[]>();

/**
 * The next `count` firings strictly after `after`, in UTC. The expression must be valid.
 * A plan shows them for every job from one reference time, and specs share a handful of
 * expressions: each (expression, time) pair is computed once.
 */
export function nextCronRuns(expression: string, after: Date, count: number): Date[] {
  const key = `${expression.trim()}\u0000${after.getTime()}\u0000${count}`;
  let runs = upcoming.get(key);
  if (runs === undefined) {
    runs = plainRuns(expression, after, count) ?? parse(expression).nextRuns(count, after);
    if (upcoming.size >= 10_000) upcoming.clear();
    upcoming.set(key, runs);
  }
  return runs.map((date) => new Date(date.getTime()));
}

/**
 * The latest firing at or before `atOrBefore`, or undefined if there is none: found by
 * croner directly, not by walking every firing since some earlier time (a minutely schedule
 * a year behind is half a million steps).
 */
export function latestCronRun(expression: string, atOrBefore: Date): Date | undefined {
  const runs = parse(expression).previousRuns(2, new Date(atOrBefore.getTime() + 1));
  return runs.find((run) => run.getTime() <= atOrBefore.getTime());
}

/** The next firing strictly after `after`, or undefined if it never fires again. */
export function nextCronRun(expression: string, after: Date): Date | undefined {
  const plain = plainRuns(expression, after, 1);
  if (plain !== undefined) return plain[0];
  return parse(expression).nextRun(after) ?? undefined;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** croner finds no firing from the year 3000 on: nor does the walk. */
const CRONER_HORIZON = Date.UTC(3000, 0, 1);
/** How far a plain schedule is searched: past it (a 29 February far off), croner answers. */
const PLAIN_SEARCH_DAYS = 366 * 30;

/**
 * The next firings of a plain schedule (every field `*` or one number: most schedules
 * people write), found day by day without croner: croner builds an ~80 KB pattern per
 * expression and walks it, which for a plan's hundred distinct expressions was most of
 * rendering it (docs/architecture.md, "Performance"). The same rules as croner's: a day
 * of the month and a day of the week both given means either (classic cron), 7 is
 * Sunday. Undefined when the expression is not plain, or when `count` firings are not
 * found within the search: croner decides then. cron.test.ts holds both to the same
 * answers.
 */
function plainRuns(expression: string, after: Date, count: number): Date[] | undefined {
  const plain = plainFields(expression.trim().split(/\s+/));
  const from = after.getTime();
  // Not plain, an invalid date, or one past what croner searches: croner's answer.
  if (plain === undefined || !(from < CRONER_HORIZON)) return undefined;
  const [minute, hour, dom, month, dowField] = plain;
  const dow = dowField === 7 ? 0 : dowField;
  const minutes = minute === undefined ? range(0, 59) : [minute];
  const hours = hour === undefined ? range(0, 23) : [hour];
  const runs: Date[] = [];
  const start = Math.floor(from / DAY_MS) * DAY_MS;
  for (let day = 0; day < PLAIN_SEARCH_DAYS; day++) {
    const date = new Date(start + day * DAY_MS);
    if (month !== undefined && date.getUTCMonth() + 1 !== month) continue;
    const domOk = dom === undefined || date.getUTCDate() === dom;
    const dowOk = dow === undefined || date.getUTCDay() === dow;
    if (dom !== undefined && dow !== undefined ? !domOk && !dowOk : !domOk || !dowOk) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const at = date.getTime() + h * HOUR_MS + m * MINUTE_MS;
        if (at <= from) continue;
        if (at >= CRONER_HORIZON) return undefined;
        runs.push(new Date(at));
        if (runs.length === count) return runs;
      }
    }
  }
  return undefined;
}

function range(low: number, high: number): number[] {
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}
