import { describe, expect, it } from 'vitest';
import { evaluate, type LabelledPaper, loadLabelledPapers, parseLabelledPapers } from './eval.js';
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
