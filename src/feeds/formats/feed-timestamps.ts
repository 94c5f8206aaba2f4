/**
 * Feed timestamps in any of the forms Microsoft's feeds and CSV exports use, to ISO 8601 UTC. The
 * `ctip`, `url-json` and `csv` formats read `firstSeen`/`lastSeen` and date columns here:
 *
 *   ISO 8601                `2023-11-14T21:33:19Z`, `2023-11-14T21:33:19.1234567+01:00`, `2023-11-14 21:33:19`, `2023-11-14`
 *   .NET JSON date          `/Date(1699997599000)/`, `/Date(1699997599000+0100)/` (milliseconds are UTC either way)
 *   US month/day/year       `11/14/2023`, `11/14/2023 9:33:19 PM`, `11/14/2023 21:33:19`
 *   written-out month       `Tuesday November 14 2023 21:33:19.0000`, `Nov 14, 2023` (CTIP `DateTimeReceivedUtcTxt`)
 *   number                  Windows FILETIME (100 ns ticks since 1601, CTIP's Azure records) from 10^16,
 *                           Unix milliseconds from 10^11, else Unix seconds; digit strings of 10 or more
 *                           digits are read the same way
 *
 * A time without a zone is taken as UTC. Fractions finer than a millisecond are cut off. Values that
 * name a day or time that does not exist (`19/20/2022`, `2/30/2023`, `25:00`) are rejected, and so
 * are numeric times before 1970.
 */

/** Numbers at least this large are Windows FILETIME ticks: 10^16 ticks after 1601 is the year 1632. */
const FILETIME_MINIMUM = 1e16;
/** Numbers at least this large (and below FILETIME_MINIMUM) are Unix milliseconds: 10^11 ms is March 1973. */
const UNIX_MILLISECONDS_MINIMUM = 1e11;
/** Milliseconds between 1601-01-01 and 1970-01-01, the FILETIME and Unix epochs. */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000;
/** Numeric times from the year 10000 on are taken as garbage rather than guessed at. */
const MAX_TIME_MS = Date.UTC(10000, 0, 1);

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?)?$/;
const DOTNET_DATE = /^\/Date\((\d+)(?:[+-]\d{4})?\)\/$/;
const MONTH_DAY_YEAR =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp][Mm])?)?\s*(?:Z|UTC)?$/;
const MONTH_NAME_DATE =
  /^(?:[A-Za-z]+,?\s+)?([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp][Mm])?)?\s*(?:Z|UTC|GMT)?$/;
const DIGITS = /^\d{10,}$/;

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Month number of an English month name or its three-letter abbreviation (and `sept`). */
function monthOfName(name: string): number | undefined {
  const lower = name.toLowerCase();
  if (lower === 'sept') return 9;
  const index = MONTH_NAMES.findIndex((month) => month === lower || (lower.length === 3 && month.startsWith(lower)));
  return index === -1 ? undefined : index + 1;
}

/** Milliseconds of a fraction of a second written as digits after the point ("4870" is 487 ms). */
function fractionMilliseconds(digits: string | undefined): number {
  if (digits === undefined) return 0;
  return Number(digits.slice(0, 3).padEnd(3, '0'));
}

/** Hour on a 24-hour clock, or -1 when `hour` is out of range for the clock `meridiem` implies. */
function hourOf(hour: number, meridiem: string | undefined): number {
  if (meridiem === undefined) return hour <= 23 ? hour : -1;
  if (hour < 1 || hour > 12) return -1;
  return (hour % 12) + (meridiem.toLowerCase() === 'pm' ? 12 : 0);
}

/**
 * Milliseconds since the Unix epoch of a calendar time in UTC, or undefined when a field is out of
 * range or the day does not exist in that month.
 */
function utcMilliseconds(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute > 59 || second > 59) return undefined;
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 2/30 over to 3/2; a different day of the month means the date does not exist.
  if (new Date(time).getUTCDate() !== day) return undefined;
  return time;
}

/** Minutes east of UTC of a zone designator (`Z`, `UTC`, `+01:00`, `-0530`, `+01`), or undefined when invalid. */
function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z' || zone === 'UTC') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

function fromNumber(value: number): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  let time: number;
  if (value >= FILETIME_MINIMUM) time = value / 10_000 - FILETIME_EPOCH_OFFSET_MS;
  else if (value >= UNIX_MILLISECONDS_MINIMUM) time = value;
  else time = value * 1000;
  time = Math.floor(time);
  return time >= 0 && time < MAX_TIME_MS ? time : undefined;
}

function fromText(text: string): number | undefined {
  let match = ISO_8601.exec(text);
  if (match !== null) {
    const offset = zoneOffsetMinutes(match[8]);
    if (offset === undefined) return undefined;
    const local = utcMilliseconds(
      Number(match[1]),
      Number(match[2]),
      Number(match[3]),
      Number(match[4] ?? 0),
      Number(match[5] ?? 0),
      Number(match[6] ?? 0),
      fractionMilliseconds(match[7]),
    );
    return local === undefined ? undefined : local - offset * 60_000;
  }

  match = DOTNET_DATE.exec(text);
  if (match !== null) {
    const time = Number(match[1]);
    return time < MAX_TIME_MS ? time : undefined;
  }

  match = MONTH_DAY_YEAR.exec(text);
  if (match !== null) {
    const hour = hourOf(Number(match[4] ?? 0), match[8]);
    if (hour < 0) return undefined;
    return utcMilliseconds(Number(match[3]), Number(match[1]), Number(match[2]), hour, Number(match[5] ?? 0), Number(match[6] ?? 0), fractionMilliseconds(match[7]));
  }

  match = MONTH_NAME_DATE.exec(text);
  if (match !== null) {
    const month = monthOfName(match[1]!);
    if (month === undefined) return undefined;
    const hour = hourOf(Number(match[4] ?? 0), match[8]);
    if (hour < 0) return undefined;
    return utcMilliseconds(Number(match[3]), month, Number(match[2]), hour, Number(match[5] ?? 0), Number(match[6] ?? 0), fractionMilliseconds(match[7]));
  }

  if (DIGITS.test(text)) return fromNumber(Number(text));
  return undefined;
}

/**
 * Parses a feed timestamp (a string or a number in a form the module comment lists) into
 * milliseconds since the Unix epoch. Returns undefined for anything else, including null and ''.
 */
export function parseFeedTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length === 0) return undefined;
  return fromText(text);
}

/** Returns a feed timestamp as ISO 8601 UTC with milliseconds (`2023-11-14T21:33:19.000Z`), or undefined. */
export function normalizeFeedTimestamp(value: unknown): string | undefined {
  const time = parseFeedTimestamp(value);
  return time === undefined ? undefined : new Date(time).toISOString();
}

/** Returns the UTC calendar date of a feed timestamp as ISO 8601 (`2023-11-14`), or undefined. */
export function normalizeFeedDate(value: unknown): string | undefined {
  return normalizeFeedTimestamp(value)?.slice(0, 10);
}
