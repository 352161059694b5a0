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

describe('classify: arXiv categories as evidence (default taxonomy)', () => {
  // Titles whose text alone leans only slightly towards one of two topics.
  const gnnRec = { title: 'Graph neural networks for recommendation' };
  const spikingRobot = { title: 'Spiking networks for robot control' };
  const rag = { title: 'Retrieval-augmented generation for question answering' };

  it('decides between topics the text leaves close', () => {
    expect(classify(gnnRec, taxonomy).map((t) => t.id)).toEqual(['graphs', 'recsys']);
    expect(top({ ...gnnRec, categories: ['cs.IR'] })).toBe('recsys');
    expect(top({ ...gnnRec, categories: ['cs.SI'] })).toBe('graphs');
    expect(classify(spikingRobot, taxonomy).map((t) => t.id)).toEqual(['neuro', 'rl-robotics']);
    expect(top({ ...spikingRobot, categories: ['cs.RO'] })).toBe('rl-robotics');
    expect(top(rag)).toBe('llm');
    expect(top({ ...rag, categories: ['cs.IR', 'cs.CL'] })).toBe('recsys');
    const recsys = classify({ ...gnnRec, categories: ['cs.IR'] }, taxonomy)[0]!;
    expect(recsys.evidence).toContain('category:cs.IR');
  });

  it('files a paper with no telling text under a specific primary category on its own', () => {
    const text = {
      title: 'Learning from noisy sequences',
      abstract: 'We propose a model and evaluate it on benchmarks.',
    };
    expect(classify(text, taxonomy)).toEqual([]);
    expect(top({ ...text, categories: ['cs.RO'] })).toBe('rl-robotics');
    expect(top({ ...text, categories: ['eess.AS'] })).toBe('speech-audio');
    expect(top({ ...text, categories: ['astro-ph.GA'] })).toBe('science');
    // A broad category is not enough alone: the text has to say something.
    expect(classify({ ...text, categories: ['cs.CL'] }, taxonomy)).toEqual([]);
    expect(classify({ ...text, categories: ['cs.CV'] }, taxonomy)).toEqual([]);
  });

  it('does not let a broad category override clear text', () => {
    const text = { title: 'Denoising audio and images with one diffusion model' };
    expect(top(text)).toBe('generative');
    expect(top({ ...text, categories: ['cs.CV'] })).toBe('generative');
  });

  it('weighs the primary category more than a cross-list', () => {
    expect(top({ ...gnnRec, categories: ['cs.IR', 'cs.SI'] })).toBe('recsys');
    expect(top({ ...gnnRec, categories: ['cs.SI', 'cs.IR'] })).toBe('graphs');
    expect(top({ ...spikingRobot, categories: ['cs.RO', 'cs.NE'] })).toBe('rl-robotics');
    expect(top({ ...spikingRobot, categories: ['cs.NE', 'cs.RO'] })).toBe('neuro');
    // primaryCategory names the primary whatever the order of the list.
    expect(top({ ...spikingRobot, primaryCategory: 'cs.NE', categories: ['cs.RO', 'cs.NE'] })).toBe('neuro');
    expect(top({ ...spikingRobot, primaryCategory: 'cs.RO', categories: ['cs.NE'] })).toBe('rl-robotics');
  });

  it('ignores categories no rule names', () => {
    for (const paper of [gnnRec, spikingRobot, rag]) {
      const plain = classify(paper, taxonomy);
      expect(classify({ ...paper, categories: ['cs.LG', 'cs.AI', 'stat.ME', 'xx.YY', 'math.GM'] }, taxonomy)).toEqual(
        plain,
      );
      // An unknown primary does not promote a known cross-list to primary.
      const cross = classify({ ...paper, categories: ['cs.LG', 'cs.IR'] }, taxonomy);
      const asPrimary = classify({ ...paper, categories: ['cs.IR'] }, taxonomy);
      const crossRecsys = cross.find((t) => t.id === 'recsys');
      const primaryRecsys = asPrimary.find((t) => t.id === 'recsys');
      expect(primaryRecsys!.score).toBeGreaterThan(crossRecsys?.score ?? 0);
    }
  });
});

describe('classify: primary and cross-list multipliers', () => {
  const weighted = parseTaxonomy(
    `
version: w
threshold: 0.01
saturation: 4
primaryCategoryMultiplier: 2
crossListMultiplier: 0.25
topics:
  - { id: a, label: A, description: A., keywords: [apple], categories: [{ id: cs.CL, weight: 1 }] }
  - { id: b, label: B, description: B., keywords: [banana], categories: [{ id: astro-ph, weight: 1 }] }
`,
    'weighted',
  );
  const raw = (score: number) => -4 * Math.log(1 - score);

  it('multiplies a rule matched by the primary, or only by a cross-list', () => {
    const primary = classify({ title: '', categories: ['cs.CL', 'astro-ph.GA'] }, weighted);
    expect(primary.map((t) => t.id)).toEqual(['a', 'b']);
    expect(raw(primary[0]!.score)).toBeCloseTo(2, 2);
    expect(raw(primary[1]!.score)).toBeCloseTo(0.25, 2);
    expect(primary[0]!.evidence).toEqual(['category:cs.CL']);
  });

  it('counts a rule once, through its strongest match', () => {
    // astro-ph.GA (primary) and astro-ph.CO (cross-list) both match the astro-ph rule: 1 x 2, not 1 x 2 + 1 x 0.25.
    const [b] = classify({ title: '', categories: ['astro-ph.GA', 'astro-ph.CO'] }, weighted);
    expect(raw(b!.score)).toBeCloseTo(2, 2);
    expect(b!.evidence).toEqual(['category:astro-ph.GA']);
    // The same category given as primary and in the list counts once, as the primary.
    const [a] = classify({ title: '', primaryCategory: ' cs.CL ', categories: ['cs.CL', 'CS.CL'] }, weighted);
    expect(raw(a!.score)).toBeCloseTo(2, 2);
  });

  it('defaults both multipliers to 1', () => {
    expect(toy.primaryCategoryMultiplier).toBe(1);
    expect(toy.crossListMultiplier).toBe(1);
    const [sky] = classify({ title: '', categories: ['cs.LG', 'astro-ph.GA'] }, toy);
    expect(sky!.score).toBeCloseTo(1 - Math.exp(-1 / 4), 4);
  });

  it('ignores a blank or non-string primary category', () => {
    const odd = { title: '', primaryCategory: '  ', categories: ['astro-ph.GA', 'cs.CL'] };
    const [b, a] = classify(odd, weighted);
    expect([b!.id, a!.id]).toEqual(['b', 'a']);
    expect(() => classify({ title: '', primaryCategory: 7 as unknown as string }, weighted)).not.toThrow();
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
