import { describe, expect, it } from 'vitest';
import { buildRegistry, getAdapter, listAdapters } from './registry.js';
import type { SourceAdapter } from './types.js';

const stub = (id: string): SourceAdapter => ({
  id,
  description: id,
  accepts: ['text/html'],
  exampleUrls: ['https://example.org/'],
  extract: () => ({ entries: [], warnings: [] }),
});

describe('registry', () => {
  it('lists the adapters in registration order', () => {
    expect(listAdapters().map((a) => a.id)).toEqual(['hf-papers', 'hf-api', 'arxiv-list', 'arxiv-rss', 'generic']);
  });

  it('finds an adapter by id', () => {
    expect(getAdapter('arxiv-list').id).toBe('arxiv-list');
  });

  it('names the known ids when an id is unknown', () => {
    expect(() => getAdapter('github-trending')).toThrow(
      'unknown source adapter "github-trending"; known adapters: hf-papers, hf-api, arxiv-list, arxiv-rss, generic',
    );
  });

  it('refuses two adapters with one id', () => {
    expect(() => buildRegistry([stub('a'), stub('b'), stub('a')])).toThrow('duplicate source adapter id "a"');
  });

  it('has kebab-case ids', () => {
    for (const adapter of listAdapters()) expect(adapter.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });
});
