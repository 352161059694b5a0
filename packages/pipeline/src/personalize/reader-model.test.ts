import { describe, expect, it } from 'vitest';
import { FEATURE_KIND, paperFeatures, type SparseVector } from './features.js';
import {
  deserializeReaderModel,
  emptyReaderModel,
  type FeedbackExample,
  margin,
  relevance,
  serializeReaderModel,
  trainReaderModel,
} from './reader-model.js';

const liked = [
  ['Diffusion models for image synthesis', 'Denoising diffusion generates images from noise.'],
  ['Latent diffusion at scale', 'A diffusion model in a latent space generates high-resolution images.'],
  ['Faster sampling for diffusion', 'Fewer denoising steps for image diffusion models.'],
  ['Video diffusion with temporal attention', 'Diffusion generates video frames that stay consistent.'],
];
const disliked = [
  ['A benchmark for code agents', 'We benchmark language model agents on repository tasks.'],
  ['Survey of agent benchmarks', 'A survey of benchmarks that evaluate tool-using agents.'],
  ['Web agents benchmark', 'Agents navigate websites; the benchmark measures success.'],
  ['Benchmarking planning agents', 'A benchmark of long-horizon planning for agents.'],
];
const features = ([title, abstract]: string[]) => paperFeatures({ title: title!, abstract: abstract! });
const examples = (rows: string[][], signal: 1 | -1): FeedbackExample[] =>
  rows.map((r) => ({ features: features(r), signal }));
const trainingSet = [...examples(liked, 1), ...examples(disliked, -1)];
const unseenLiked = features([
  'Consistency models distil diffusion',
  'One-step image generation from a diffusion teacher.',
]);
const unseenDisliked = features([
  'An agent benchmark for spreadsheets',
  'Agents are benchmarked on spreadsheet tasks.',
]);

describe('trainReaderModel', () => {
  it('learns a separable set: every training example on its side, and unseen papers like them too', () => {
    const model = trainReaderModel(emptyReaderModel(), trainingSet);
    for (const { features: x, signal } of trainingSet) expect(Math.sign(margin(model, x))).toBe(signal);
    expect(relevance(model, unseenLiked)).toBeGreaterThan(0);
    expect(relevance(model, unseenDisliked)).toBeLessThan(0);
    expect(model.examples).toBe(trainingSet.length);
    expect(model.kind).toBe(FEATURE_KIND);
  });

  it('learns topics from the topic features: an unseen paper without a known word ranks by its topic', () => {
    const clicks: FeedbackExample[] = [
      ...liked.map(([title, abstract]) => ({
        features: paperFeatures({ title: title!, abstract: abstract!, topics: ['generative'] }),
        signal: 1 as const,
      })),
      ...disliked.map(([title, abstract]) => ({
        features: paperFeatures({ title: title!, abstract: abstract!, topics: ['agents'] }),
        signal: -1 as const,
      })),
    ];
    const model = trainReaderModel(emptyReaderModel(), clicks);
    const text = { title: 'Quantum annealing schedules', abstract: 'Adiabatic evolution on superconducting qubits.' };
    const inLiked = paperFeatures({ ...text, topics: ['generative'] });
    const inDisliked = paperFeatures({ ...text, topics: ['agents'] });
    expect(relevance(model, inLiked)).toBeGreaterThan(relevance(model, inDisliked));
    // The words alone tell the two apart not at all.
    expect(margin(model, paperFeatures(text))).toBe(model.bias);
  });

  it('does not change the model it starts from', () => {
    const start = trainReaderModel(emptyReaderModel(), trainingSet.slice(0, 2));
    const copy = serializeReaderModel(start);
    trainReaderModel(start, trainingSet.slice(2));
    expect(serializeReaderModel(start)).toEqual(copy);
  });

  it('incremental training (A, then B) ranks papers as training on A and B together does', () => {
    const a = [...examples(liked.slice(0, 2), 1), ...examples(disliked.slice(0, 2), -1)];
    const b = [...examples(liked.slice(2), 1), ...examples(disliked.slice(2), -1)];
    const incremental = trainReaderModel(trainReaderModel(emptyReaderModel(), a), b);
    const together = trainReaderModel(emptyReaderModel(), [...a, ...b]);
    expect(incremental.examples).toBe(together.examples);
    const probes = [unseenLiked, unseenDisliked, ...trainingSet.map((e) => e.features)];
    const order = (m: typeof together) =>
      probes
        .map((x, i) => ({ i, r: relevance(m, x) }))
        .sort((p, q) => q.r - p.r)
        .map((p) => p.i);
    // Same side for every probe, and the likes all above the dislikes in both.
    for (const x of probes) expect(Math.sign(margin(incremental, x))).toBe(Math.sign(margin(together, x)));
    const likes = new Set([0, 2, 3, 4, 5]);
    for (const m of [incremental, together]) {
      const ranked = order(m);
      expect(new Set(ranked.slice(0, likes.size))).toEqual(likes);
    }
  });

  it('a reader who changes their mind: later feedback wins over earlier', () => {
    const first = trainReaderModel(emptyReaderModel(), examples(liked, 1));
    expect(relevance(first, unseenLiked)).toBeGreaterThan(0);
    const later = trainReaderModel(first, [...examples(liked, -1), ...examples(liked, -1)]);
    expect(relevance(later, unseenLiked)).toBeLessThan(0);
  });

  it('keeps at most maxWeights weights, the largest', () => {
    const many: FeedbackExample[] = Array.from({ length: 60 }, (_, i) => ({
      features: paperFeatures({ title: `topic${i} word${i}`, abstract: `alpha${i} beta${i} gamma${i} delta${i}` }),
      signal: i % 2 === 0 ? 1 : -1,
    }));
    const unbounded = trainReaderModel(emptyReaderModel(), many, { maxWeights: 1_000_000 });
    const bounded = trainReaderModel(emptyReaderModel(), many, { maxWeights: 50 });
    expect(unbounded.weights.size).toBeGreaterThan(50);
    expect(bounded.weights.size).toBe(50);
    const smallestKept = Math.min(...[...bounded.weights.values()].map(Math.abs));
    const dropped = [...unbounded.weights].filter(([id]) => !bounded.weights.has(id));
    for (const [, w] of dropped) expect(Math.abs(w)).toBeLessThanOrEqual(smallestKept);
  });

  it('no NaN or Infinity: extreme inputs, many repetitions, huge learning rate', () => {
    const extreme: SparseVector = new Map([
      [1, 1e6],
      [2, -1e6],
      [3, 1e-300],
    ]);
    const broken: SparseVector = new Map([
      [1, Number.NaN],
      [4, Number.POSITIVE_INFINITY],
      [5, 0.5],
    ]);
    const models = [
      trainReaderModel(emptyReaderModel(), [{ features: extreme, signal: 1 }], { learningRate: 1e6, epochs: 400 }),
      trainReaderModel(emptyReaderModel(), Array(500).fill({ features: unseenLiked, signal: 1 }), { epochs: 40 }),
      trainReaderModel(emptyReaderModel(), [{ features: new Map(), signal: -1 }]),
      trainReaderModel(emptyReaderModel(), [{ features: broken, signal: 1 }], { learningRate: 1e6, epochs: 400 }),
    ];
    for (const model of models) {
      expect(Number.isFinite(model.bias)).toBe(true);
      for (const w of model.weights.values()) expect(Number.isFinite(w)).toBe(true);
      for (const x of [extreme, broken, unseenLiked, unseenDisliked, new Map<number, number>()]) {
        const r = relevance(model, x);
        expect(Number.isFinite(r) && r >= -1 && r <= 1).toBe(true);
      }
    }
  });

  it('an empty batch changes nothing but the copy', () => {
    const model = trainReaderModel(emptyReaderModel(), trainingSet);
    expect(serializeReaderModel(trainReaderModel(model, []))).toEqual(serializeReaderModel(model));
  });
});

describe('relevance', () => {
  it('is 0 without a model or before any feedback, within (-1, 1) otherwise', () => {
    expect(relevance(null, unseenLiked)).toBe(0);
    expect(relevance(emptyReaderModel(), unseenLiked)).toBe(0);
    const model = trainReaderModel(emptyReaderModel(), trainingSet);
    expect(Math.abs(relevance(model, unseenLiked))).toBeLessThan(1);
    expect(relevance(model, unseenLiked)).toBeCloseTo(2 / (1 + Math.exp(-margin(model, unseenLiked))) - 1, 12);
  });
});

describe('serialize / deserialize', () => {
  it('round-trips: same weights, bias and examples, same relevance, ids ascending', () => {
    const model = trainReaderModel(emptyReaderModel(), trainingSet);
    const row = serializeReaderModel(model);
    expect(row.featureIds).toEqual([...row.featureIds].sort((a, b) => a - b));
    // Through JSON, as a jsonb column or an API would carry it.
    const back = deserializeReaderModel(JSON.parse(JSON.stringify(row)))!;
    expect(back.bias).toBe(model.bias);
    expect(back.examples).toBe(model.examples);
    expect(back.weights).toEqual(model.weights);
    expect(relevance(back, unseenLiked)).toBe(relevance(model, unseenLiked));
  });

  it('another feature kind, or ids and weights of different lengths, give null (retrain from the feedback)', () => {
    const row = serializeReaderModel(trainReaderModel(emptyReaderModel(), trainingSet));
    expect(deserializeReaderModel({ ...row, kind: 'tfidf-v1' })).toBeNull();
    expect(deserializeReaderModel({ ...row, weights: row.weights.slice(1) })).toBeNull();
  });
});
