import { readFileSync } from 'node:fs';
import { createPage, getAdapter, type RawEntry } from '@paperboy/sources';
import { describe, expect, it } from 'vitest';
import { buildDemoPages, DEMO_DIR } from './make-demo.js';

const BASE = 'http://127.0.0.1:4010';

function demoFile(name: string): string {
  return readFileSync(new URL(name, DEMO_DIR), 'utf8');
}

function extract(adapterId: string, name: string, url: string): RawEntry[] {
  const { entries, warnings } = getAdapter(adapterId).extract(createPage(url, demoFile(name), 'text/html'));
  expect(warnings).toEqual([]);
  return entries;
}

describe('demo pages in packages/cli/demo', () => {
  const dateA = extract('hf-papers', 'hf-papers-date-A.html', `${BASE}/papers/date/2026-06-11`);
  const dateB = extract('hf-papers', 'hf-papers-date-B.html', `${BASE}/papers/date/2026-06-12`);
  const arxiv = extract('arxiv-list', 'arxiv-list-cs-new.html', `${BASE}/list/cs.LG/new`);

  it('are what make-demo.ts generates', () => {
    for (const [name, content] of Object.entries(buildDemoPages())) expect(demoFile(name), name).toBe(content);
  });

  it('have two HF days of 13 and 14 papers, linked to the server they come from', () => {
    expect(dateA).toHaveLength(13);
    expect(dateB).toHaveLength(14);
    expect(dateA[0]?.url).toBe(`${BASE}/papers/2606.13392`);
  });

  it('repeat five papers on both days, with more upvotes and another rank on the second', () => {
    const onA = new Map(dateA.map((e) => [e.externalId, e]));
    const both = dateB.filter((e) => onA.has(e.externalId));
    expect(both.map((e) => e.externalId).sort()).toEqual([
      '2606.08063',
      '2606.11409',
      '2606.12243',
      '2606.13392',
      '2606.13681',
    ]);
    for (const b of both) {
      const a = onA.get(b.externalId);
      expect(b.upvotes ?? 0, b.externalId).toBeGreaterThan(a?.upvotes ?? 0);
      expect(b.rank, b.externalId).not.toBe(a?.rank);
    }
  });

  it('have an arXiv listing that shares papers with the HF days and has papers of its own', () => {
    const hf = new Set([...dateA, ...dateB].map((e) => e.arxivId));
    expect(arxiv.filter((e) => hf.has(e.arxivId))).toHaveLength(9);
    expect(arxiv.filter((e) => !hf.has(e.arxivId)).map((e) => e.arxivId)).toEqual([
      '2606.13568',
      '2606.13677',
      '2606.13591',
      '2606.13515',
      '2606.13501',
    ]);
    expect(new Set(arxiv.map((e) => e.section))).toEqual(new Set(['new', 'cross-list', 'replacement']));
  });
});
