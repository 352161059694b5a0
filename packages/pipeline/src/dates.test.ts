import { describe, expect, it } from 'vitest';
import { parseCalendarDay, parseDayOrInstant } from './dates.js';

describe('strict dates', () => {
  it('takes real days and refuses impossible ones instead of rolling them over', () => {
    expect(parseCalendarDay('2026-11-28')?.toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(parseCalendarDay('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    for (const bad of ['2026-02-30', '2025-02-29', '2026-13-45', '2026-1-5', '28/11/2026', '', 'yesterday'])
      expect(parseCalendarDay(bad), bad).toBeNull();
  });

  it('takes a day or an instant with a zone', () => {
    expect(parseDayOrInstant('2026-11-28')?.toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(parseDayOrInstant('2026-11-28T09:30:00+01:00')?.toISOString()).toBe('2026-11-28T08:30:00.000Z');
    expect(parseDayOrInstant('2026-11-28T09:30Z')?.toISOString()).toBe('2026-11-28T09:30:00.000Z');
    for (const bad of ['2026-02-30T00:00:00Z', '2026-11-28T25:00:00Z', '2026-11-28T09:30:00', '2026-13-45', 'now'])
      expect(parseDayOrInstant(bad), bad).toBeNull();
  });
});
