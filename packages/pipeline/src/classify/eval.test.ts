import { describe, expect, it } from 'vitest';
import {
  evaluate,
  evaluateCategoryEvidence,
  type LabelledPaper,
  loadLabelledPapers,
  parseLabelledPapers,
  withoutCategories,
} from './eval.js';
import { loadTaxonomy, parseTaxonomy } from './taxonomy.js';

const taxonomy = loadTaxonomy();
const papers = loadLabelledPapers();

describe('labelled evaluation set', () => {
  it('has at least 100 papers, every topic several times, and only known topic ids', () => {
    expect(papers.length).toBeGreaterThanOrEqual(100);
    const ids = new Set(taxonomy.topics.map((t) => t.id));
    const perTopic = new Map<string, number>();
    for (const p of papers) {
      expect(ids.has(p.topic), `${p.arxivId}: ${p.topic}`).toBe(true);
      for (const alt of p.alsoAcceptable ?? []) {
        expect(ids.has(alt), `${p.arxivId}: ${alt}`).toBe(true);
        expect(alt, p.arxivId).not.toBe(p.topic);
      }
      perTopic.set(p.topic, (perTopic.get(p.topic) ?? 0) + 1);
    }
    for (const id of ids) expect(perTopic.get(id) ?? 0, id).toBeGreaterThanOrEqual(5);
  });

  it('splits about 30% of papers into the holdout by a hash of the arXiv id', () => {
    const fnv1a = (s: string) => {
      let h = 0x811c9dc5;
      for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
      return h;
    };
    for (const p of papers) expect(p.split, p.arxivId).toBe(fnv1a(p.arxivId) % 10 < 3 ? 'holdout' : 'dev');
    const holdout = papers.filter((p) => p.split === 'holdout').length / papers.length;
    expect(holdout).toBeGreaterThan(0.2);
    expect(holdout).toBeLessThan(0.4);
  });

  it('rejects malformed lines with their line number', () => {
    expect(() => parseLabelledPapers('{"arxivId":"1"}\n', 'x')).toThrow(/^x line 1: /);
    expect(() => parseLabelledPapers('\nnot json\n', 'x')).toThrow(/^x line 2: invalid JSON/);
  });
});

describe('evaluate', () => {
  it('reaches top-1 accuracy >= 0.8 on the whole labelled set', () => {
    const report = evaluate(papers, taxonomy);
    expect(report.overall.n).toBe(papers.length);
    expect(report.bySplit.dev.n + report.bySplit.holdout.n).toBe(papers.length);
    expect(report.overall.top1).toBeGreaterThanOrEqual(0.8);
    expect(report.overall.acceptable).toBeGreaterThanOrEqual(report.overall.top1);
  });

  it('counts top-1, acceptable, per-split, per-topic and confusions correctly', () => {
    const toy = parseTaxonomy(
      `
version: t
threshold: 0.05
topics:
  - { id: a, label: A, description: A., keywords: [apple] }
  - { id: b, label: B, description: B., keywords: [banana] }
  - { id: c, label: C, description: C., keywords: [cherry] }
`,
      'toy',
    );
    const mk = (
      arxivId: string,
      title: string,
      topic: string,
      split: 'dev' | 'holdout',
      also?: string[],
    ): LabelledPaper => ({
      arxivId,
      title,
      abstract: '',
      topic,
      source: 'test',
      split,
      ...(also ? { alsoAcceptable: also } : {}),
    });
    const report = evaluate(
      [
        mk('1', 'apple', 'a', 'dev'),
        mk('2', 'banana', 'a', 'dev', ['b']),
        mk('3', 'cherry', 'b', 'holdout'),
        mk('4', 'nothing here', 'c', 'holdout'),
      ],
      toy,
    );
    expect(report.overall).toEqual({ n: 4, correct: 1, acceptableCorrect: 2, top1: 0.25, acceptable: 0.5 });
    expect(report.bySplit.dev).toEqual({ n: 2, correct: 1, acceptableCorrect: 2, top1: 0.5, acceptable: 1 });
    expect(report.bySplit.holdout).toEqual({ n: 2, correct: 0, acceptableCorrect: 0, top1: 0, acceptable: 0 });
    expect(report.byTopic.a).toMatchObject({ n: 2, correct: 1, predicted: 1, precision: 1 });
    expect(report.byTopic.b).toMatchObject({ n: 1, correct: 0, predicted: 1, precision: 0 });
    expect(report.byTopic.c).toMatchObject({ n: 1, correct: 0, predicted: 1, precision: 0 });
    expect(report.noPrediction).toBe(1);
    expect(report.confusion).toEqual([
      { expected: 'a', predicted: 'b', count: 1 },
      { expected: 'b', predicted: 'c', count: 1 },
      { expected: 'c', predicted: '(none)', count: 1 },
    ]);
    expect(report.predictions.map((p) => p.predicted)).toEqual(['a', 'b', 'c', null]);
  });
});

describe('evaluateCategoryEvidence', () => {
  const report = evaluateCategoryEvidence(papers, taxonomy);

  it('measures the whole set with and without categories, and the papers that have them both ways', () => {
    const categorised = papers.filter((p) => (p.categories ?? []).length > 0).length;
    expect(categorised).toBe(59);
    expect(report.withCategories.overall.n).toBe(papers.length);
    expect(report.withoutCategories.overall.n).toBe(papers.length);
    expect(report.categorised.with.overall.n).toBe(categorised);
    expect(report.categorised.without.overall.n).toBe(categorised);
    expect(report.withCategories.overall).toEqual(evaluate(papers, taxonomy).overall);
    expect(report.withCategories.dev.n + report.withCategories.holdout.n).toBe(papers.length);
  });

  // Floors are the counts measured on 2026-12-07 before categories were weighted as strong
  // evidence (taxonomy 2026-11-28): categories must not cost accuracy, with or without them.
  it('does not fall below the figures measured before categories became strong evidence', () => {
    expect(report.withoutCategories.overall.correct).toBeGreaterThanOrEqual(179);
    expect(report.withoutCategories.overall.acceptableCorrect).toBeGreaterThanOrEqual(197);
    expect(report.withoutCategories.dev.correct).toBeGreaterThanOrEqual(123);
    expect(report.withoutCategories.holdout.correct).toBeGreaterThanOrEqual(56);
    expect(report.withCategories.overall.correct).toBeGreaterThanOrEqual(181);
    expect(report.withCategories.overall.acceptableCorrect).toBeGreaterThanOrEqual(197);
    expect(report.categorised.with.overall.correct).toBeGreaterThanOrEqual(53);
    expect(report.categorised.with.overall.correct).toBeGreaterThanOrEqual(report.categorised.without.overall.correct);
  });

  it('removes categories and the primary category without touching the input', () => {
    const input: LabelledPaper[] = [
      { arxivId: '1', title: 't', abstract: '', categories: ['cs.CV'], topic: 'vision', source: 's', split: 'dev' },
      { arxivId: '2', title: 't', abstract: '', primaryCategory: 'cs.RO', topic: 'vision', source: 's', split: 'dev' },
    ];
    const stripped = withoutCategories(input);
    expect(stripped).toEqual([
      { arxivId: '1', title: 't', abstract: '', topic: 'vision', source: 's', split: 'dev' },
      { arxivId: '2', title: 't', abstract: '', topic: 'vision', source: 's', split: 'dev' },
    ]);
    expect(input[0]!.categories).toEqual(['cs.CV']);
    expect(input[1]!.primaryCategory).toBe('cs.RO');
  });

  it('reads an optional primaryCategory in the labelled set and classifies with it', () => {
    const line = (primary: string) =>
      JSON.stringify({
        arxivId: primary,
        title: 'Spiking networks for robot control',
        abstract: '',
        categories: ['cs.RO', 'cs.NE'],
        primaryCategory: primary,
        topic: 'neuro',
        source: 's',
        split: 'dev',
      });
    const set = parseLabelledPapers(`${line('cs.NE')}\n${line('cs.RO')}\n`);
    expect(set[0]!.primaryCategory).toBe('cs.NE');
    const r = evaluate(set, taxonomy);
    expect(r.predictions.map((p) => p.predicted)).toEqual(['neuro', 'rl-robotics']);
    const blank = line('cs.NE').replace('"primaryCategory":"cs.NE"', '"primaryCategory":""');
    expect(() => parseLabelledPapers(blank)).toThrow(/line 1: primaryCategory: /);
  });

  it('shows what categories change on a toy set', () => {
    const toy = parseTaxonomy(
      `
version: t
threshold: 0.05
topics:
  - { id: a, label: A, description: A., keywords: [apple], categories: [{ id: cs.CL, weight: 5 }] }
  - { id: b, label: B, description: B., keywords: [banana] }
`,
      'toy',
    );
    const set: LabelledPaper[] = [
      { arxivId: '1', title: 'banana', abstract: '', categories: ['cs.CL'], topic: 'a', source: 's', split: 'dev' },
      { arxivId: '2', title: 'banana', abstract: '', topic: 'b', source: 's', split: 'holdout' },
    ];
    const r = evaluateCategoryEvidence(set, toy);
    expect(r.withCategories.overall.correct).toBe(2);
    expect(r.withoutCategories.overall.correct).toBe(1);
    expect(r.categorised.with.dev).toMatchObject({ n: 1, correct: 1 });
    expect(r.categorised.without.dev).toMatchObject({ n: 1, correct: 0 });
    expect(r.categorised.with.holdout.n).toBe(0);
  });
});
