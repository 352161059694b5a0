import { emptyReaderModel, paperFeatures, termBucket, trainReaderModel } from '@paperboy/pipeline';
import { describe, expect, it } from 'vitest';
import { learnedTerms } from './learned-terms.js';

const liked = { title: 'Diffusion models for image generation', abstract: 'Denoising diffusion generates images.' };
const disliked = { title: 'Graph neural networks for molecules', abstract: 'Message passing over molecular graphs.' };

describe('learnedTerms', () => {
  it('names the words and phrases of the rated papers that weigh most for and against, as the papers spell them', () => {
    const model = trainReaderModel(emptyReaderModel(), [
      { features: paperFeatures(liked), signal: 1 },
      { features: paperFeatures(disliked), signal: -1 },
    ]);
    const terms = learnedTerms(model, [liked, disliked], 5);
    expect(terms.for).toHaveLength(5);
    expect(terms.against).toHaveLength(5);
    expect(terms.for.map((t) => t.term)).toContain('diffusion');
    expect(terms.against.map((t) => t.term)).toContain('graph');
    expect(terms.for.some((t) => t.term.includes(' '))).toBe(true); // two-word phrases too
    for (const t of terms.for) expect(t.weight).toBe(model.weights.get(termBucket(t.term)!));
    expect(terms.for.map((t) => t.weight)).toEqual([...terms.for.map((t) => t.weight)].sort((a, b) => b - a));
    // Stopwords are no terms ("for", "the"), and each bucket is named once.
    expect([...terms.for, ...terms.against].map((t) => t.term)).not.toContain('for');
    const buckets = [...terms.for, ...terms.against].map((t) => termBucket(t.term));
    expect(new Set(buckets).size).toBe(buckets.length);
  });

  it('says nothing without a model', () => {
    expect(learnedTerms(null, [liked])).toEqual({ for: [], against: [] });
    expect(learnedTerms(emptyReaderModel(), [liked])).toEqual({ for: [], against: [] });
  });
});
