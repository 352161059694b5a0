import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapHfEntries } from '../hf-entry.js';
import { createPage } from '../page.js';
import type { ExtractResult } from '../types.js';
import { extractHfApi, hfApiAdapter } from './index.js';

const API_URL = 'https://huggingface.co/api/daily_papers';

function run(body: string, url = API_URL): ExtractResult {
  return hfApiAdapter.extract(createPage(url, body, 'application/json'));
}

function capture(name: string): string {
  return readFileSync(new URL(`../../test/fixtures/hf-api/${name}`, import.meta.url), 'utf8');
}

describe('hf-api on the real captures', () => {
  it.each([
    ['hf-api-daily_papers-limit30-2026-06-13.json', 30],
    ['hf-api-daily_papers-date-2026-07-31-5items.json', 5],
    ['hf-api-daily_papers-3items-2026-05-11.json', 3],
    ['hf-api-daily_papers-limit3-2026-08-03.json', 3],
  ])('%s gives %i entries in response order, no warnings', (name, count) => {
    const body = capture(name);
    const { entries, warnings } = run(body);
    expect(warnings).toEqual([]);
    expect(entries).toHaveLength(count);
    expect(entries.map((e) => e.externalId)).toEqual(
      (JSON.parse(body) as Array<{ paper: { id: string } }>).map((e) => e.paper.id),
    );
  });

  it('maps an entry fully', () => {
    const [first] = run(capture('hf-api-daily_papers-3items-2026-05-11.json')).entries;
    expect(first).toMatchObject({
      rank: 1,
      externalId: '2605.05242',
      arxivId: '2605.05242',
      title: 'Beyond Semantic Similarity: Rethinking Retrieval for Agentic Search via Direct Corpus Interaction',
      url: 'https://huggingface.co/papers/2605.05242',
      upvotes: 86,
      comments: 3,
      publishedAt: '2026-05-03T00:00:00.000Z',
    });
    expect(first?.authors).toHaveLength(19);
    expect(first?.authors?.slice(0, 5)).toEqual(['Zhuofeng Li', 'Haoxiang Zhang', 'Cong Wei', 'Pan Lu', 'Ping Nie']);
    expect(first?.abstract).toMatch(/^Modern retrieval systems, whether lexical or semantic, expose a corpus/);
  });

  it('keeps what the source gives beyond the listing: code, stars, project page, summary, keywords, organization, submitter, media', () => {
    const { entries } = run(capture('hf-api-daily_papers-limit30-2026-06-13.json'));
    const has = (key: keyof (typeof entries)[number]) => entries.filter((e) => e[key] !== undefined).length;
    // As many as the capture carries (16 with code, 13 with a project page, 2 with media).
    expect([has('githubRepo'), has('githubStars'), has('projectPage'), has('organization'), has('mediaUrls')]).toEqual([
      16, 16, 13, 16, 2,
    ]);
    expect([has('aiSummary'), has('aiKeywords'), has('submittedBy'), has('thumbnail')]).toEqual([30, 30, 30, 30]);
    expect(entries[0]).toMatchObject({
      externalId: '2606.00467',
      aiSummary: expect.stringMatching(/^Large language models exhibit limited ability to correct zero-shot errors/),
      organization: 'caltech',
      submittedBy: 'RKocielnik',
      thumbnail: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.00467.png',
    });
    expect(entries[0]?.aiKeywords).toHaveLength(14);
    expect(entries[0]?.githubRepo).toBeUndefined();
    expect(entries.find((e) => e.externalId === '2606.13392')).toMatchObject({
      githubRepo: 'https://github.com/MiniMax-AI/MSA',
      githubStars: 251,
    });
    expect(entries.find((e) => e.externalId === '2606.08063')).toMatchObject({
      githubRepo: 'https://github.com/jqtangust/Robust-U1',
      githubStars: 86,
      projectPage: 'https://huggingface.co/spaces/Jiaqi-hkust/Robust-U1',
    });
    expect(entries[6]?.mediaUrls).toEqual([
      'https://cdn-uploads.huggingface.co/production/uploads/63cacbc502ee13c2af9d6759/huBiURDQzAZU1eFYFd9fi.png',
    ]);
  });

  it('drops links that are not http(s), caps texts and lists, reads stars given as text', () => {
    const long = 'x'.repeat(10_000);
    const { entries } = mapHfEntries(
      [
        {
          paper: {
            id: '2612.00001',
            githubRepo: 'javascript:alert(1)',
            githubStars: '1.2k',
            projectPage: '/spaces/a/b',
            ai_summary: ` ${long} `,
            ai_keywords: [...Array.from({ length: 80 }, (_, i) => `k${i}`), 3, null],
            mediaUrls: ['data:image/png;base64,xx', 'https://a.example/1.png', 'https://a.example/1.png', 7],
            organization: { fullname: 'No handle' },
          },
          submittedBy: { name: '  someone  ' },
          thumbnail: 'mailto:x@example.org',
        },
        { paper: { id: '2612.00002', githubStars: -3, ai_keywords: 'not a list', submittedOnDailyBy: { user: 'u1' } } },
      ],
      API_URL,
    );
    expect(entries[0]).toMatchObject({
      githubStars: 1200,
      projectPage: 'https://huggingface.co/spaces/a/b',
      submittedBy: 'someone',
      mediaUrls: ['https://a.example/1.png'],
    });
    expect(entries[0]?.githubRepo).toBeUndefined();
    expect(entries[0]?.thumbnail).toBeUndefined();
    expect(entries[0]?.organization).toBeUndefined();
    expect(entries[0]?.aiSummary).toHaveLength(4_000);
    expect(entries[0]?.aiKeywords).toHaveLength(50);
    expect(entries[1]).toMatchObject({ submittedBy: 'u1' });
    expect(entries[1]?.githubStars).toBeUndefined();
    expect(entries[1]?.aiKeywords).toBeUndefined();
  });

  it('keeps the response order (a limit response is not sorted by upvotes)', () => {
    const { entries } = run(capture('hf-api-daily_papers-limit30-2026-06-13.json'));
    expect(entries.slice(0, 3).map((e) => [e.rank, e.externalId, e.upvotes])).toEqual([
      [1, '2606.00467', 0],
      [2, '2606.12730', 5],
      [3, '2606.13594', 3],
    ]);
    expect(entries.find((e) => e.externalId === '2606.13681')).toMatchObject({ rank: 28, upvotes: 118, comments: 3 });
  });

  it('reads unicode titles as they are', () => {
    const titles = run(capture('hf-api-daily_papers-date-2026-07-31-5items.json')).entries.map((e) => e.title);
    expect(titles).toContain('Σ-Mem: An Online Reliability Memory for LLM-based Multi-Agent Systems');
    expect(titles).toContain('β-OPSD: Deriving with Policy Optimization, Training with Self-Distillation');
  });
});

describe('hf-api on other input', () => {
  it('gives zero entries and a warning for invalid JSON, without throwing', () => {
    const result = run('[{"paper":{"id":"2606.13681","title":"Evo');
    expect(result.entries).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^hf-api: body is not valid JSON \(.+\)$/);
  });

  it('gives zero entries and a warning for JSON that is not an array', () => {
    expect(run('{"error":"Invalid date"}')).toEqual({
      entries: [],
      warnings: ['hf-api: expected a JSON array of entries, got object'],
    });
    expect(extractHfApi(null, API_URL).warnings).toEqual(['hf-api: expected a JSON array of entries, got null']);
    expect(extractHfApi('text', API_URL).warnings).toEqual(['hf-api: expected a JSON array of entries, got string']);
  });

  it('gives zero entries, no warning and a quiet day for an empty array', () => {
    expect(run('[]')).toEqual({ entries: [], warnings: [], quiet: true });
  });

  it('falls back to entry-level title and summary, cleans them, and uses entry publishedAt when the paper has none', () => {
    const { entries } = run(
      JSON.stringify([
        {
          paper: {
            id: '2410.12345',
            authors: [{ name: ' Ada\nLovelace ' }, { name: '' }, { name: 'Hidden One', hidden: true }, {}],
          },
          title: 'A  title\n  with a hard break &amp; an entity',
          summary: 'Old response.\n  Second line.',
          publishedAt: '2024-10-24T13:00:00.000Z',
          numComments: '4',
        },
      ]),
    );
    expect(entries).toEqual([
      {
        rank: 1,
        externalId: '2410.12345',
        arxivId: '2410.12345',
        title: 'A title with a hard break & an entity',
        abstract: 'Old response. Second line.',
        authors: ['Ada Lovelace', 'Hidden One'],
        url: 'https://huggingface.co/papers/2410.12345',
        comments: 4,
        publishedAt: '2024-10-24T13:00:00.000Z',
      },
    ]);
  });

  it('skips entries without paper.id and repeated ids, keeping ranks 1..n', () => {
    const { entries, warnings } = extractHfApi(
      [{ paper: { id: '1' } }, 'junk', { paper: {} }, { paper: { id: '2' } }, { paper: { id: '1' } }],
      API_URL,
    );
    expect(entries.map((e) => [e.rank, e.externalId])).toEqual([
      [1, '1'],
      [2, '2'],
    ]);
    expect(warnings).toEqual(['hf-api: skipped 2 entries without paper.id']);
  });

  it('ignores values of the wrong type', () => {
    const { entries } = mapHfEntries(
      [
        {
          paper: { id: '2606.1', title: 42, upvotes: 'many', authors: 'nobody', publishedAt: 'yesterday' },
          numComments: null,
        },
      ],
      API_URL,
    );
    expect(entries).toEqual([
      { rank: 1, externalId: '2606.1', arxivId: '2606.1', url: 'https://huggingface.co/papers/2606.1' },
    ]);
  });
});
