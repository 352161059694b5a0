/**
 * Strict date parsing for user input (CLI options, API parameters). `Date` rolls impossible dates
 * over (2026-02-30 becomes March 2) and turns nonsense into an invalid date; these refuse both.
 */

/** A UTC calendar day `YYYY-MM-DD` as its midnight UTC, or null when it is not a real day. */
export function parseCalendarDay(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text ? date : null;
}

/**
 * A day (`YYYY-MM-DD`, midnight UTC) or an ISO 8601 instant with a time zone
 * (`2026-11-28T09:30:00Z`, `…+01:00`), or null. The date part must be a real day.
 */
export function parseDayOrInstant(text: string): Date | null {
  if (text.length === 10) return parseCalendarDay(text);
  const match = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match || !parseCalendarDay(match[1]!)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}
