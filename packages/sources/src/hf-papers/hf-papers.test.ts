import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildHfPapersFixtures } from '../../test/fixtures/hf-papers/make-fixtures.js';
import { createPage } from '../page.js';
import type { ExtractResult } from '../types.js';
import { extractHfPapers, hfPapersAdapter } from './index.js';

const DATE_URL = 'https://huggingface.co/papers/date/2026-06-12';

function fixture(name: string): string {
  return readFileSync(new URL(`../../test/fixtures/hf-papers/${name}`, import.meta.url), 'utf8');
}

function run(name: string, url = DATE_URL): ExtractResult {
  return hfPapersAdapter.extract(createPage(url, fixture(name), 'text/html'));
}

function runBody(body: string): ExtractResult {
  return hfPapersAdapter.extract(createPage(DATE_URL, body, 'text/html'));
}

function html(body: string): ExtractResult {
  return hfPapersAdapter.extract(createPage(DATE_URL, `<!doctype html><html><body>${body}</body></html>`, 'text/html'));
}

function props(value: unknown): string {
  return JSON.stringify(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
}

describe('hf-papers: embedded listing JSON', () => {
  it('reads all 30 entries of a day page, in page order', () => {
    const { entries, warnings } = run('hf-papers-date-2026-06-12.html');
    expect(warnings).toEqual([]);
    expect(entries).toHaveLength(30);
    expect(entries.map((e) => e.rank)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(entries[0]).toEqual({
      rank: 1,
      externalId: '2606.13681',
      arxivId: '2606.13681',
      title: 'EvoArena: Tracking Memory Evolution for Robust LLM Agents in Dynamic Environments',
      abstract: expect.stringMatching(/^Large language model \(LLM\) agents have a/),
      authors: [
        'Jundong Xu',
        'Qingchuan Li',
        'Jiaying Wu',
        'Yihuai Lan',
        'Shuyue Stella Li',
        'Huichi Zhou',
        'Bowen Jiang',
        'Lei Wang',
        'Jun Wang',
        'Anh Tuan Luu',
        'Caiming Xiong',
        'Hae Won Park',
        'Bryan Hooi',
        'Zhiyuan Hu',
      ],
      url: 'https://huggingface.co/papers/2606.13681',
      upvotes: 118,
      comments: 3,
      publishedAt: '2026-06-11T00:00:00.000Z',
      githubRepo: 'https://github.com/Aiden0526/EvoArena',
      githubStars: 9,
      projectPage: 'https://aiden0526.github.io/EvoArena/',
      aiSummary: expect.stringMatching(
        /^EvoArena benchmark and EvoMem memory paradigm address .* on evolving tasks\.$/,
      ),
      aiKeywords: [
        'large language model agents',
        'EvoArena',
        'EvoMem',
        'memory evolution',
        'environment changes',
        'progressive updates',
        'terminal domain',
        'software domain',
        'social domain',
        'chain-level accuracy',
        'mechanistic analysis',
      ],
      organization: 'MIT',
      submittedBy: 'zhiyuanhucs',
      thumbnail: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.13681.png',
    });
    expect(entries[1]).toMatchObject({
      externalId: '2606.13392',
      title: 'MiniMax Sparse Attention',
      upvotes: 103,
      comments: 4,
    });
  });

  it('keeps hidden authors (they are still authors)', () => {
    const entry = run('hf-papers-date-2026-06-12.html').entries.find((e) => e.externalId === '2606.12575');
    expect(entry?.authors).toEqual([
      'Dongyang Liu',
      'Ruoyi Du',
      'David Liu',
      'Dengyang Jiang',
      'Liangchen Li',
      'Qilong Wu',
      'Zhen Li',
      'Steven C. H. Hoi',
      'Hongsheng Li',
      'Peng Gao',
    ]);
  });

  it('folds the paragraph breaks of abstracts', () => {
    const entry = run('hf-papers-date-2026-06-12.html').entries.find((e) => e.externalId === '2606.09446');
    expect(entry?.abstract).toContain('positioning. Our contributions');
    expect(entry?.abstract).not.toMatch(/\n|\s{2}/);
  });

  it('finds the listing by shape under another key and data-target', () => {
    const { entries, warnings } = run('hf-papers-other-props-key.html');
    expect(warnings).toEqual([]);
    expect(entries.map((e) => [e.externalId, e.upvotes])).toEqual([
      ['2605.05242', 86],
      ['2605.06548', 68],
      ['2605.06130', 67],
    ]);
  });

  it('reads the trending page (every captured paper)', () => {
    const { entries } = run('hf-papers-trending.html', 'https://huggingface.co/papers/trending');
    expect(entries).toHaveLength(41);
    expect(new Set(entries.map((e) => e.externalId)).size).toBe(41);
    expect(entries[0]).toMatchObject({ externalId: '2606.13681', upvotes: 118 });
  });

  it('prefers the largest list when several hydraters hold paper lists', () => {
    const one = { paper: { id: '2606.00001', title: 'One' } };
    const two = { paper: { id: '2606.00002', title: 'Two' } };
    const { entries } = html(
      `<div data-target="Sidebar" data-props="${props({ related: [one] })}"></div>` +
        `<div data-target="DailyPapers" data-props="${props({ dailyPapers: [two, one] })}"></div>`,
    );
    expect(entries.map((e) => e.externalId)).toEqual(['2606.00002', '2606.00001']);
  });

  it('skips listing items without paper.id, with a warning', () => {
    const { entries, warnings } = html(
      `<div data-props="${props({ dailyPapers: [{ paper: { id: '2606.00001', title: 'A' } }, { title: 'no paper' }, { paper: { id: '2606.00002' } }] })}"></div>`,
    );
    expect(entries.map((e) => [e.rank, e.externalId])).toEqual([
      [1, '2606.00001'],
      [2, '2606.00002'],
    ]);
    expect(warnings).toEqual(['hf-papers: skipped 1 listing entries without paper.id']);
  });

  it('reads the embedded JSON without building the DOM', () => {
    const page = createPage(DATE_URL, fixture('hf-papers-date-2026-06-12.html'), 'text/html');
    const noDom = { url: page.url, body: page.body, $: () => expect.fail('the DOM was built') };
    expect(extractHfPapers(noDom)).toEqual(extractHfPapers(page));
  });

  it('reads the same from the DOM when the markup scan misses the props', () => {
    const body = fixture('hf-papers-tricky-text.html');
    // htmlparser2 lowercases attribute names; the raw-markup scan is case-sensitive and misses this
    const upper = body.replaceAll(' data-props=', ' DATA-PROPS=');
    expect(upper).not.toBe(body);
    expect(runBody(upper)).toEqual(runBody(body));
    expect(runBody(upper).entries).toHaveLength(7);
  });

  it('resolves paper URLs against the page URL', () => {
    const { entries } = run('hf-papers-date-2026-07-31.html', 'http://127.0.0.1:4010/papers/date/2026-07-31');
    expect(entries[0]?.url).toBe('http://127.0.0.1:4010/papers/2607.28582');
  });
});

describe('hf-papers: text', () => {
  const byId = (result: ExtractResult) => new Map(result.entries.map((e) => [e.externalId, e]));

  for (const [label, name] of [
    ['embedded JSON', 'hf-papers-tricky-text.html'],
    ['article cards', 'broken-hf-papers-tricky-text-cards-only.html'],
  ] as const) {
    it(`comes out clean from the ${label}`, () => {
      const entries = byId(run(name));
      // `<script>` in a title is text, never markup
      expect(entries.get('2607.26654')?.title).toBe(
        '<script>alert("x")</script> Constitutional Midtraining: Content Presence Drives Alignment Gains',
      );
      // a double-encoded entity is decoded
      expect(entries.get('2607.28229')?.title).toBe(
        'EMBL AI Librarian: Life-Sciences Knowledge & Data Layer for AI Agents',
      );
      // TeX stays as written
      expect(entries.get('2607.28582')?.title).toBe(
        '$\\beta$-OPSD: Deriving with Policy Optimization, Training with Self-Distillation',
      );
      // hard line breaks, tabs and runs of spaces fold
      expect(entries.get('2607.27958')?.title).toBe(
        'Σ-Mem: An Online Reliability Memory for LLM-based Multi-Agent Systems',
      );
      for (const entry of entries.values()) expect(entry.title).not.toMatch(/\n|\t|\s{2}|^\s|\s$|&amp;|&lt;/);
    });
  }

  it('keeps markup-like text in abstracts literal', () => {
    const abstract = byId(run('hf-papers-tricky-text.html')).get('2606.13106')?.abstract;
    expect(abstract).toContain('The model emits <swi> to enter latent mode and </swi> to exit.');
  });
});

describe('hf-papers: fallback to article cards', () => {
  it('uses the cards when the JSON is truncated, and says so', () => {
    const { entries, warnings } = run('broken-hf-papers-truncated-json.html');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^hf-papers: embedded JSON missing or invalid \(data-props of DailyPapers is not valid JSON: .+\), used 5 article cards$/,
    );
    expect(entries.map((e) => [e.rank, e.externalId, e.upvotes, e.comments])).toEqual([
      [1, '2607.28582', 17, 2],
      [2, '2607.27958', 11, 2],
      [3, '2607.23193', 3, 2],
      [4, '2607.28308', 2, 2],
      [5, '2607.16922', 0, 2],
    ]);
    expect(entries[0]).toEqual({
      rank: 1,
      externalId: '2607.28582',
      arxivId: '2607.28582',
      title: 'β-OPSD: Deriving with Policy Optimization, Training with Self-Distillation',
      url: 'https://huggingface.co/papers/2607.28582',
      upvotes: 17,
      comments: 2,
    });
  });

  it('uses the cards when the listing has no data-props', () => {
    const { entries, warnings } = run('broken-hf-papers-no-json.html');
    expect(warnings).toEqual([
      'hf-papers: embedded JSON missing or invalid (no data-props holds a list of entries with paper.id), used 3 article cards',
    ]);
    expect(entries.map((e) => [e.externalId, e.title, e.upvotes, e.comments])).toEqual([
      [
        '2605.05242',
        'Beyond Semantic Similarity: Rethinking Retrieval for Agentic Search via Direct Corpus Interaction',
        86,
        3,
      ],
      ['2605.06548', 'Continuous Latent Diffusion Language Model', 68, 6],
      ['2605.06130', 'Skill1: Unified Evolution of Skill-Augmented Agents via Reinforcement Learning', 67, 2],
    ]);
  });

  it('uses the cards when the JSON has the wrong shape', () => {
    const { entries, warnings } = run('broken-hf-papers-wrong-shape.html');
    expect(warnings).toEqual([
      'hf-papers: embedded JSON missing or invalid (no data-props holds a list of entries with paper.id), used 3 article cards',
    ]);
    expect(entries.map((e) => e.externalId)).toEqual(['2607.26654', '2607.28229', '2607.27851']);
  });

  it('uses the cards when the embedded listing is empty but cards are shown', () => {
    const { entries, warnings } = html(
      `<div data-props="${props({ dailyPapers: [] })}"><article><h3><a href="/papers/2606.00001">A</a></h3><div class="leading-none">1.2k</div></article></div>`,
    );
    expect(entries).toEqual([
      {
        rank: 1,
        externalId: '2606.00001',
        arxivId: '2606.00001',
        title: 'A',
        url: 'https://huggingface.co/papers/2606.00001',
        upvotes: 1200,
      },
    ]);
    expect(warnings).toEqual(['hf-papers: embedded JSON listing is empty, used 1 article cards']);
  });

  it('ignores cards whose links are not paper pages', () => {
    const { entries } = html(
      '<article><h3><a href="/papers/date/2026-06-11">Previous day</a></h3></article>' +
        '<article><h3><a href="/papers/trending">Trending</a></h3></article>' +
        '<article><h3><a href="https://huggingface.co/papers/2606.00003">Absolute link</a></h3></article>',
    );
    expect(entries.map((e) => e.externalId)).toEqual(['2606.00003']);
  });
});

describe('hf-papers: nothing to read', () => {
  it('gives zero entries and a warning for a page with no listing', () => {
    const { entries, warnings } = run('empty-hf-papers-no-listing.html');
    expect(entries).toEqual([]);
    expect(warnings).toEqual([
      'hf-papers: no paper listing found (no data-props holds a list of entries with paper.id; no article cards)',
    ]);
  });

  it('gives zero entries, no warning and a quiet day for an empty listing', () => {
    expect(html(`<div data-props="${props({ dailyPapers: [], date: '2026-06-13' })}"></div>`)).toEqual({
      entries: [],
      warnings: [],
      quiet: true,
    });
  });

  it('does not throw on garbage', () => {
    for (const body of ['', 'not html', '<div data-props="{">', '<div data-props="[1,2,{}]"></div>', '\u0000\uffff']) {
      expect(() => extractHfPapers(createPage(DATE_URL, body))).not.toThrow();
    }
  });
});

it('the committed fixtures are what make-fixtures.ts generates', () => {
  for (const [name, content] of Object.entries(buildHfPapersFixtures())) expect(fixture(name), name).toBe(content);
});
