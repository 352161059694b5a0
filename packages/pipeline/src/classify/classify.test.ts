import { describe, expect, it } from 'vitest';
import { classify } from './classify.js';
import { loadLabelledPapers } from './eval.js';
import { loadTaxonomy, parseTaxonomy } from './taxonomy.js';
import type { PaperInput, Taxonomy } from './types.js';

const taxonomy = loadTaxonomy();
const top = (paper: PaperInput, tax: Taxonomy = taxonomy) => classify(paper, tax)[0]?.id ?? null;

/** A small taxonomy whose scores are easy to reason about. */
const toy = parseTaxonomy(
  `
version: toy
threshold: 0.1
saturation: 4
titleMultiplier: 2
maxEvidence: 5
topics:
  - id: lang
    label: Language
    description: Language.
    keywords:
      - { term: language model, weight: 2 }
      - { term: large language model, weight: 3 }
      - { term: model, weight: 1 }
      - { term: quantiz*, weight: 1 }
    negative:
      - { term: vision-language, weight: 1.5 }
    categories:
      - { id: cs.CL, weight: 1 }
  - id: twin
    label: Twin
    description: Scores exactly like "lang" on the word "twin".
    keywords:
      - { term: twin, weight: 2 }
  - id: twin-b
    label: Twin B
    description: Same rule as "twin".
    keywords:
      - { term: twin, weight: 2 }
  - id: sky
    label: Sky
    description: Astronomy.
    keywords: [galaxy]
    categories:
      - { id: astro-ph, weight: 1 }
`,
  'toy',
);

describe('classify: real papers get the expected top topic', () => {
  // Well-known titles (no abstract) with their arXiv categories.
  const famous: [string, string[], string][] = [
    ['Denoising Diffusion Probabilistic Models', ['cs.LG', 'stat.ML'], 'generative'],
    ['Deep Residual Learning for Image Recognition', ['cs.CV'], 'vision'],
    ['Semi-Supervised Classification with Graph Convolutional Networks', ['cs.LG', 'stat.ML'], 'graphs'],
    ['Playing Atari with Deep Reinforcement Learning', ['cs.LG'], 'rl-robotics'],
    ['Overcoming catastrophic forgetting in neural networks', ['cs.LG', 'cs.AI', 'stat.ML'], 'continual-transfer'],
    ['Fourier Neural Operator for Parametric Partial Differential Equations', ['cs.LG', 'math.NA'], 'science'],
    [
      'wav2vec 2.0: A Framework for Self-Supervised Learning of Speech Representations',
      ['cs.CL', 'cs.LG', 'cs.SD', 'eess.AS'],
      'speech-audio',
    ],
    ['Mamba: Linear-Time Sequence Modeling with Selective State Spaces', ['cs.LG', 'cs.AI'], 'architectures'],
    ['LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale', ['cs.LG', 'cs.AI'], 'efficiency'],
    ['Neural Collaborative Filtering', ['cs.IR'], 'recsys'],
    ['Towards Deep Learning Models Resistant to Adversarial Attacks', ['stat.ML', 'cs.LG', 'cs.NE'], 'safety'],
    ['Neural Architecture Search with Reinforcement Learning', ['cs.LG', 'cs.AI', 'cs.NE'], 'automl'],
    ['Surrogate Gradient Learning in Spiking Neural Networks', ['cs.NE', 'q-bio.NC'], 'neuro'],
    ['Training language models to follow instructions with human feedback', ['cs.CL', 'cs.AI', 'cs.LG'], 'llm'],
  ];
  it.each(famous)('%s -> %s', (title, categories, expected) => {
    expect(top({ title, categories })).toBe(expected);
  });

  // Dev-split papers of the labelled set, with their full abstracts.
  const papers = new Map(loadLabelledPapers().map((p) => [p.arxivId, p]));
  const devCases: [string, string][] = [
    ['2505.10371', 'neuro'],
    ['2509.11084', 'speech-audio'],
    ['2504.06649', 'graphs'],
    ['2510.06175', 'efficiency'],
    ['2403.19232', 'automl'],
    ['2606.12575', 'generative'],
  ];
  it.each(devCases)('labelled paper %s -> %s', (arxivId, expected) => {
    const paper = papers.get(arxivId);
    expect(paper?.split).toBe('dev');
    expect(top(paper!)).toBe(expected);
  });
});

describe('classify: evidence', () => {
  it('names title phrases, abstract phrases and categories that matched', () => {
    const result = classify(
      {
        title: 'Spiking Neural Networks for Event Cameras',
        abstract: 'We train a spiking network with surrogate gradients on neuromorphic hardware.',
        categories: ['cs.NE', 'cs.CV'],
      },
      taxonomy,
    );
    const neuro = result.find((r) => r.id === 'neuro');
    expect(neuro).toBeDefined();
    expect(result[0]!.id).toBe('neuro');
    expect(neuro!.evidence).toEqual(
      expect.arrayContaining(['title:"spiking neural network"', 'abstract:"neuromorphic"', 'category:cs.NE']),
    );
    const vision = result.find((r) => r.id === 'vision');
    expect(vision?.evidence).toContain('title:"event camera"');
    expect(vision?.evidence).toContain('category:cs.CV');
  });

  it('orders evidence strongest first and caps it at maxEvidence', () => {
    const [lang] = classify(
      {
        title: 'A large language model',
        abstract: 'model model model quantized quantization language model',
        categories: ['cs.CL'],
      },
      toy,
    );
    expect(lang!.id).toBe('lang');
    // title "large language model" = 3 x 2; abstract "model" x3 = 1 x 2; abstract "language model" = 2;
    // abstract "quantiz*" x2 = 1 x 1.5; category = 1.
    expect(lang!.evidence).toEqual([
      'title:"large language model"',
      'abstract:"language model"',
      'abstract:"model"',
      'abstract:"quantiz*"',
      'category:cs.CL',
    ]);
  });

  it('lets a longer phrase hide the shorter phrases of the same topic it contains', () => {
    const [lang] = classify({ title: 'large language model' }, toy);
    expect(lang!.evidence).toEqual(['title:"large language model"']);
  });

  it('applies negative rules and shows them as evidence', () => {
    const plain = classify({ title: '', abstract: 'a language model' }, toy)[0]!;
    // "vision-language" (-1.5) covers "vision language", so the "language model" inside it
    // does not count; the trailing "model" (+1) and the later "language model" (+2) do.
    const mixed = classify({ title: '', abstract: 'a vision-language model; a language model' }, toy)[0]!;
    expect(plain.evidence).toEqual(['abstract:"language model"']);
    expect(mixed.evidence).toEqual(['abstract:"language model"', '-abstract:"vision-language"', 'abstract:"model"']);
    expect(mixed.score).toBeCloseTo(1 - Math.exp(-(2 - 1.5 + 1) / 4), 4);
    expect(mixed.score).toBeLessThan(plain.score);
    // A negative rule alone cannot push a topic below zero, so it simply is not reported.
    expect(classify({ title: '', abstract: 'vision-language' }, toy)).toEqual([]);
  });

  it('matches a category family by prefix, once per rule', () => {
    const [sky] = classify({ title: '', categories: ['astro-ph.GA', 'astro-ph.CO'] }, toy);
    expect(sky).toEqual({ id: 'sky', score: expect.any(Number), evidence: ['category:astro-ph.GA'] });
  });
});

describe('classify: scores and ordering', () => {
  it('returns scores in (threshold, 1), best first', () => {
    const papers = loadLabelledPapers();
    for (const paper of papers.slice(0, 60)) {
      const result = classify(paper, taxonomy);
      for (const r of result) {
        expect(r.score).toBeGreaterThan(taxonomy.threshold);
        expect(r.score).toBeLessThan(1);
      }
      for (let i = 1; i < result.length; i++) expect(result[i - 1]!.score).toBeGreaterThanOrEqual(result[i]!.score);
    }
  });

  it('normalises as 1 - exp(-raw / saturation)', () => {
    const [twin] = classify({ title: '', abstract: 'twin' }, toy);
    expect(twin!.score).toBeCloseTo(1 - Math.exp(-2 / 4), 4);
  });

  it('breaks ties by taxonomy order, deterministically', () => {
    const first = classify({ title: 'twin', abstract: 'twin twin' }, toy);
    expect(first.map((r) => r.id)).toEqual(['twin', 'twin-b']);
    expect(first[0]!.score).toBe(first[1]!.score);
    for (let i = 0; i < 5; i++) expect(classify({ title: 'twin', abstract: 'twin twin' }, toy)).toEqual(first);
  });

  it('is pure: the input is not modified', () => {
    const paper = Object.freeze({
      title: 'Graph neural networks',
      abstract: 'GNN',
      categories: Object.freeze(['cs.LG']),
    });
    expect(() => classify(paper, taxonomy)).not.toThrow();
  });
});

describe('classify: odd input', () => {
  it('gives [] for empty or contentless text', () => {
    expect(classify({ title: '' }, taxonomy)).toEqual([]);
    expect(classify({ title: '', abstract: null, categories: null }, taxonomy)).toEqual([]);
    expect(classify({ title: '   ', abstract: '', categories: [] }, taxonomy)).toEqual([]);
    expect(classify({ title: 'Hello world' }, taxonomy)).toEqual([]);
  });

  it('gives low scores for short, vague text', () => {
    // Vague titles naming one field: each gets that field, weakly. (The loop once ran over
    // "A note on images" alone, which gets no topic at all, so it asserted nothing.)
    const vague: [string, string][] = [
      ['A note on graphs', 'graphs'],
      ['A note on diffusion', 'generative'],
      ['A note on agents', 'agents'],
      ['A note on segmentation', 'vision'],
      ['A note on retrieval', 'recsys'],
    ];
    for (const [title, topic] of vague) {
      const result = classify({ title }, taxonomy);
      expect(
        result.map((r) => r.id),
        title,
      ).toEqual([topic]);
      expect(result[0]!.score, title).toBeLessThan(0.5);
    }
    expect(classify({ title: 'A note on images' }, taxonomy)).toEqual([]);
  });

  it('handles TeX and HTML-ish text without throwing, and still reads the words', () => {
    const tex = String.raw`\textbf{G}raph \emph{neural} networks with $\mathcal{O}(|E|)$ message passing \cite{kipf}`;
    const html = '<p>Graph <i>neural</i> networks &amp; message&nbsp;passing</p><script>x<y</script>';
    expect(top({ title: tex })).toBe('graphs');
    expect(top({ title: html })).toBe('graphs');
    const weird = [
      '<<<>>>',
      '&&&;;;',
      '\\\\\\',
      '$$$$',
      '{}{}{}',
      '\u0000\uffff',
      '🙂'.repeat(100),
      'a'.repeat(100000),
    ];
    for (const s of weird) expect(() => classify({ title: s, abstract: s, categories: [s] }, taxonomy)).not.toThrow();
  });

  it('rejects a taxonomy that was not made by parseTaxonomy/loadTaxonomy', () => {
    const fake = { ...taxonomy } as Taxonomy;
    expect(() => classify({ title: 'x' }, fake)).toThrow(/loadTaxonomy/);
  });
});
