import { describe, expect, it } from 'vitest';
import {
  contentWords,
  FEATURE_KIND,
  featuresOfWords,
  MAX_TEXT_CHARS,
  packedCosine,
  packFeatures,
  paperFeatures,
  type SparseVector,
  TOPIC_FEATURE_VALUE,
  termBucket,
  topicBucket,
  unpackFeatures,
} from './features.js';

const norm = (v: SparseVector) => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
const paper = {
  title: 'Sparse attention for long-context language models',
  abstract: 'We study sparse attention patterns that let language models read long documents at a lower cost.',
};

describe('paperFeatures', () => {
  it('is deterministic: the same text gives the same vector, in any order of calls', () => {
    const a = paperFeatures(paper);
    paperFeatures({ title: 'Something else entirely', abstract: 'Unrelated words here.' });
    const b = paperFeatures({ ...paper });
    expect([...b].sort((x, y) => x[0] - y[0])).toEqual([...a].sort((x, y) => x[0] - y[0]));
    expect(FEATURE_KIND).toBe('hashed-ngrams-v1');
  });

  it('is L2-normalised, and every bucket is a non-negative integer below 2^20', () => {
    const v = paperFeatures(paper);
    expect(v.size).toBeGreaterThan(10);
    expect(norm(v)).toBeCloseTo(1, 12);
    for (const [id, value] of v) {
      expect(Number.isInteger(id) && id >= 0 && id < 1 << 20).toBe(true);
      expect(value).toBeGreaterThan(0);
    }
  });

  it('adds one feature per topic, beside the words and outside their normalisation', () => {
    const words = paperFeatures(paper);
    const withTopics = paperFeatures({ ...paper, topics: ['llm', 'efficiency', 'llm'] });
    expect(withTopics.size).toBe(words.size + 2);
    for (const [id, value] of words) expect(withTopics.get(id)).toBe(value);
    const topicValues = [...withTopics].filter(([id]) => !words.has(id)).map(([, v]) => v);
    expect(topicValues).toEqual([TOPIC_FEATURE_VALUE, TOPIC_FEATURE_VALUE]);
    expect(withTopics.get(topicBucket('llm'))).toBe(TOPIC_FEATURE_VALUE);
    expect(withTopics.get(topicBucket('efficiency'))).toBe(TOPIC_FEATURE_VALUE);
    expect(paperFeatures({ title: '', abstract: null, topics: ['llm'] }).size).toBe(1);
    // Topic features are not word features: a paper saying "llm" does not get the topic's.
    const saysLlm = paperFeatures({ title: 'llm', abstract: null });
    expect([...saysLlm.keys()].some((id) => !words.has(id) && withTopics.has(id))).toBe(false);
  });

  it('an empty or stopword-only paper has no features (and no NaN from dividing by a zero norm)', () => {
    expect(paperFeatures({ title: '', abstract: null }).size).toBe(0);
    expect(paperFeatures({ title: 'The a of and', abstract: 'we propose a new method' }).size).toBe(0);
  });

  it('weights the title over the abstract', () => {
    const v = paperFeatures({ title: 'graph', abstract: 'diffusion' });
    const graph = v.get(termBucket('graph')!)!;
    const diffusion = v.get(termBucket('diffusion')!)!;
    expect(graph / diffusion).toBeCloseTo(1 + Math.log(2), 10);
    // The same words with title and abstract swapped give a different vector.
    const swapped = paperFeatures({ title: 'diffusion', abstract: 'graph' });
    expect(swapped.get(termBucket('graph')!)).toBeCloseTo(diffusion, 10);
  });

  it('counts unigrams and bigrams of the title, unigrams of the abstract, stemmed, sublinearly', () => {
    const v = paperFeatures({ title: 'graph networks graph networks graph networks', abstract: 'message passing' });
    expect(v.has(termBucket('graph network')!)).toBe(true); // stemmed alike
    expect(v.has(termBucket('message')!)).toBe(true);
    expect(v.has(termBucket('message passing')!)).toBe(false);
    // Three times as often is not three times the weight: 1 + ln 6 against 1 + ln 4 (the title counts twice).
    const g = v.get(termBucket('graph')!)!;
    const gn = v.get(termBucket('graph network')!)!;
    const ng = v.get(termBucket('network graph')!)!;
    expect(g / ng).toBeCloseTo((1 + Math.log(6)) / (1 + Math.log(4)), 10);
    expect(gn).toBeCloseTo(g, 10);
    expect(g / v.get(termBucket('message')!)!).toBeCloseTo(1 + Math.log(6), 10);
  });

  it('leaves stopwords and one-letter tokens out', () => {
    expect(contentWords('We propose a novel approach to X-ray imaging of the brain')).toEqual(['ray', 'imag', 'brain']);
    const withStopwords = paperFeatures({ title: 'The graph of the network', abstract: null });
    const without = paperFeatures({ title: 'graph network', abstract: null });
    expect([...withStopwords.keys()].sort()).toEqual([...without.keys()].sort());
  });

  it('reads unicode letters, markup-free: accents, CJK and Cyrillic give features, HTML and TeX do not add noise', () => {
    const v = paperFeatures({ title: 'Réseaux de neurones для графов 图神经网络', abstract: null });
    expect(v.size).toBeGreaterThan(3);
    expect(norm(v)).toBeCloseTo(1, 12);
    const marked = paperFeatures({ title: '<b>Graph</b> &amp; $\\mathcal{O}(n)$ networks', abstract: null });
    const plain = paperFeatures({ title: 'Graph o n networks', abstract: null });
    expect([...marked.keys()].sort()).toEqual([...plain.keys()].sort());
  });

  it('reads only the first MAX_TEXT_CHARS characters of a huge abstract, in bounded time', () => {
    const words = 'transformer attention diffusion graph neural robot policy reward language vision'.split(' ');
    const parts: string[] = [];
    for (let i = 0, length = 0; length < 1_000_000; i++) {
      const word = `${words[i % words.length]}${i % 997}`;
      parts.push(word);
      length += word.length + 1;
    }
    const huge = parts.join(' ');
    const started = performance.now();
    const v = paperFeatures({ title: 'Huge', abstract: huge });
    const elapsed = performance.now() - started;
    expect(v).toEqual(paperFeatures({ title: 'Huge', abstract: huge.slice(0, MAX_TEXT_CHARS) }));
    expect(contentWords(huge).length).toBeLessThan(MAX_TEXT_CHARS / 2);
    // Uncapped this took about a second on the development machine; capped, a few milliseconds (the
    // bound is loose for a busy machine: the equality above is what shows the cap).
    expect(elapsed).toBeLessThan(1000);
  });

  it('survives hostile text: no letters, one endless word, lone surrogates, NUL', () => {
    for (const abstract of [
      '!!!'.repeat(100_000),
      'a'.repeat(1_000_000),
      '\uD800\uDC00\uD800'.repeat(1000),
      '\0\0graph\0network',
    ]) {
      const v = paperFeatures({ title: 'T', abstract });
      for (const value of v.values()) expect(Number.isFinite(value)).toBe(true);
    }
  });

  it('featuresOfWords is paperFeatures from words already split', () => {
    expect(featuresOfWords(contentWords(paper.title), contentWords(paper.abstract))).toEqual(paperFeatures(paper));
  });
});

describe('termBucket', () => {
  it('indexes a word or a two-word phrase as the features do; longer phrases and stopwords have none', () => {
    const v = paperFeatures({ title: 'Diffusion models', abstract: null });
    expect(v.has(termBucket('diffusion')!)).toBe(true);
    expect(v.has(termBucket('Diffusion Model')!)).toBe(true);
    expect(termBucket('three word phrase')).toBeNull();
    expect(termBucket('the')).toBeNull();
  });
});

describe('packFeatures and packedCosine', () => {
  it('packs ids ascending with their values, and unpacks to the same vector', () => {
    const v = paperFeatures({ ...paper, topics: ['llm'] });
    const p = packFeatures(v);
    expect(p.ids.length).toBe(v.size);
    for (let i = 1; i < p.ids.length; i++) expect(p.ids[i]!).toBeGreaterThan(p.ids[i - 1]!);
    expect(unpackFeatures(p)).toEqual(v);
  });

  it('is 1 for the same paper (with topics too), 0 for papers without a shared word or when one is empty, symmetric', () => {
    const t = packFeatures(paperFeatures({ ...paper, topics: ['llm', 'efficiency'] }));
    expect(packedCosine(t, t)).toBeCloseTo(1, 12);
    expect(packedCosine(t, packFeatures(new Map()))).toBe(0);
    const a = packFeatures(paperFeatures(paper));
    const b = packFeatures(
      paperFeatures({ title: 'Robot grasping', abstract: 'Reinforcement learning for dexterous hands.' }),
    );
    const c = packFeatures(paperFeatures({ title: 'Sparse attention kernels', abstract: 'Faster attention on GPUs.' }));
    expect(packedCosine(a, a)).toBeCloseTo(1, 12);
    expect(packedCosine(a, b)).toBe(0);
    expect(packedCosine(a, c)).toBeGreaterThan(0.1);
    expect(packedCosine(a, c)).toBeCloseTo(packedCosine(c, a), 12);
  });

  it("leaves the second vector's ids it is told to out, the first's not", () => {
    const a = new Map([
      [1, 0.6],
      [5, 0.8],
    ]);
    const b = new Map([
      [1, 0.6],
      [5, 0.8],
      [9, 3],
    ]);
    expect(packedCosine(packFeatures(a), packFeatures(b), new Set([9]))).toBeCloseTo(1, 12);
    expect(packedCosine(packFeatures(a), packFeatures(b))).toBeCloseTo(1 / Math.sqrt(10), 12);
    // Left out of b only: a's 5 still counts in a's norm.
    expect(packedCosine(packFeatures(a), packFeatures(b), new Set([5]))).toBeCloseTo(0.36 / Math.sqrt(9.36), 12);
  });
});
