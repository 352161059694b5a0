import { mapHfEntries } from '../hf-entry.js';
import type { ExtractResult, SourceAdapter } from '../types.js';

export const hfApiAdapter: SourceAdapter = {
  id: 'hf-api',
  description: 'Hugging Face daily papers JSON API (/api/daily_papers, by date, week or month)',
  accepts: ['application/json'],
  exampleUrls: [
    'https://huggingface.co/api/daily_papers',
    'https://huggingface.co/api/daily_papers?date=2026-07-31',
    'https://huggingface.co/api/daily_papers?week=2026-W24',
    'https://huggingface.co/api/daily_papers?month=2026-06&limit=100',
  ],
  extract(page) {
    let body: unknown;
    try {
      body = page.json();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { entries: [], warnings: [`hf-api: body is not valid JSON (${message})`] };
    }
    return extractHfApi(body, page.url);
  },
};

/** Entries of a `/api/daily_papers` response: a JSON array of entries, in response order. */
export function extractHfApi(body: unknown, pageUrl: string): ExtractResult {
  if (!Array.isArray(body)) {
    const kind = body === null ? 'null' : typeof body;
    return { entries: [], warnings: [`hf-api: expected a JSON array of entries, got ${kind}`] };
  }
  const { entries, skipped } = mapHfEntries(body, pageUrl);
  const warnings = skipped > 0 ? [`hf-api: skipped ${skipped} entries without paper.id`] : [];
  // An empty array is a day with no papers yet: quiet, not broken.
  return body.length === 0 ? { entries, warnings, quiet: true } : { entries, warnings };
}
