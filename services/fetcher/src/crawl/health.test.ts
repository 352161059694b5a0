import { describe, expect, it } from 'vitest';
import { judgeCrawl } from './health.js';

describe('judgeCrawl', () => {
  it('calls an empty feed that says so a quiet day, not a failure', () => {
    expect(judgeCrawl({ entries: 0, warnings: [], quiet: true }, [30, 30, 30])).toEqual({
      outcome: 'quiet',
      suspect: false,
      reason: null,
    });
  });

  it('flags zero entries where the page does not say it is normal', () => {
    expect(judgeCrawl({ entries: 0, warnings: [], quiet: false }, [30, 31, 29])).toMatchObject({
      suspect: true,
      reason: expect.stringMatching(/no entries/),
    });
  });

  it('flags far fewer entries than usual, and fallbacks', () => {
    expect(judgeCrawl({ entries: 4, warnings: [], quiet: false }, [30, 28, 31, 30])).toMatchObject({
      suspect: true,
      reason: 'found 4 entries where about 30 is usual',
    });
    expect(judgeCrawl({ entries: 25, warnings: [], quiet: false }, [30, 28, 31])).toMatchObject({ suspect: false });
    expect(judgeCrawl({ entries: 12, warnings: ['hf-papers: used 12 article cards'], quiet: false }, [])).toMatchObject(
      { suspect: true, reason: 'hf-papers: used 12 article cards' },
    );
  });

  it('needs a few crawls before it knows what is usual', () => {
    expect(judgeCrawl({ entries: 2, warnings: [], quiet: false }, [30, 30])).toMatchObject({ suspect: false });
  });
});
