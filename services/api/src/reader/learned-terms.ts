import { contentWords, type PaperText, type ReaderModel, termBucket } from '@paperboy/pipeline';

export interface LearnedTerm {
  /** The word or two-word phrase as the papers spell it (lower-cased). */
  term: string;
  weight: number;
}

const WORD = /[\p{L}\p{N}]+/gu;

/**
 * The words and two-word phrases of the papers a reader gave feedback on that count most for and
 * against in their model: each looked up by the bucket the features hash it to (`termBucket`).
 * Approximate: a bucket may hold other terms too (hash collisions), and the model's weight of a
 * word is not the whole reason a paper ranks where it does.
 */
export function learnedTerms(
  model: ReaderModel | null,
  papers: readonly PaperText[],
  top = 5,
): { for: LearnedTerm[]; against: LearnedTerm[] } {
  if (!model || model.weights.size === 0) return { for: [], against: [] };
  const byBucket = new Map<number, LearnedTerm>();
  const consider = (term: string) => {
    const bucket = termBucket(term);
    if (bucket === null || byBucket.has(bucket)) return;
    const weight = model.weights.get(bucket);
    if (weight !== undefined) byBucket.set(bucket, { term, weight });
  };
  for (const paper of papers) {
    for (const text of [paper.title, paper.abstract ?? '']) {
      // The content words in order (as the features pair them: stopwords between two words drop out).
      const words = (text.toLowerCase().match(WORD) ?? []).filter((w) => contentWords(w).length === 1);
      for (let i = 0; i < words.length; i++) {
        consider(words[i]!);
        if (i + 1 < words.length) consider(`${words[i]} ${words[i + 1]}`);
      }
    }
  }
  const terms = [...byBucket.values()];
  return {
    for: terms
      .filter((t) => t.weight > 0)
      .sort((a, b) => b.weight - a.weight)
      .slice(0, top),
    against: terms
      .filter((t) => t.weight < 0)
      .sort((a, b) => a.weight - b.weight)
      .slice(0, top),
  };
}
