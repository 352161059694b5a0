import { describe, expect, it } from 'vitest';
import { packFeatures, paperFeatures, unpackFeatures } from './features.js';
import {
  DEFAULT_RANKING_WEIGHTS,
  followedAuthorKey,
  type PreparedCandidate,
  prepareCandidate,
  type RankCandidate,
  type ReaderProfile,
  rankForReader,
} from './ranking.js';
import { emptyReaderModel, type ReaderModel, relevance, trainReaderModel } from './reader-model.js';

const paper = (id: number, over: Partial<RankCandidate> = {}): PreparedCandidate =>
  prepareCandidate({
    id,
    score: 100 - id,
    topics: ['llm'],
    upvotes: 10,
    title: `Paper ${id}`,
    abstract: null,
    authors: [],
    ...over,
  });

const reader = (over: Partial<ReaderProfile> = {}): ReaderProfile => ({
  topics: ['llm'],
  minUpvotes: 0,
  followedAuthors: [],
  keywords: [],
  negativeKeywords: [],
  model: null,
  liked: [],
  ...over,
});

const ids = (picks: ReadonlyArray<{ id: number }>) => picks.map((p) => p.id);

/** A model that likes diffusion and dislikes agent benchmarks. */
function diffusionFan(): ReaderModel {
  const like = (title: string, abstract: string) => ({
    features: paperFeatures({ title, abstract }),
    signal: 1 as const,
  });
  const dislike = (title: string, abstract: string) => ({
    features: paperFeatures({ title, abstract }),
    signal: -1 as const,
  });
  return trainReaderModel(emptyReaderModel(), [
    like('Diffusion models for image synthesis', 'Denoising diffusion generates images.'),
    like('Latent diffusion', 'Diffusion in a latent space for images.'),
    dislike('A benchmark for code agents', 'Agents benchmarked on repositories.'),
    dislike('Web agent benchmark', 'Agents browse; a benchmark scores them.'),
  ]);
}

describe('who qualifies', () => {
  it('a paper by a followed author qualifies outside the topics, under the minimum upvotes, despite a negative keyword', () => {
    const candidates = [
      paper(1, { topics: ['vision'], upvotes: 0, authors: ['Grace Hopper', 'Ada Lovelace'], title: 'A survey' }),
      paper(2, { topics: ['vision'], upvotes: 50 }),
      paper(3, { topics: ['llm'], upvotes: 0 }),
    ];
    const picks = rankForReader(
      candidates,
      reader({ minUpvotes: 5, followedAuthors: ['ada  LOVELACE'], negativeKeywords: ['survey'] }),
    );
    expect(ids(picks)).toEqual([1]);
    expect(picks[0]!.reason).toBe('author');
    expect(picks[0]!.why).toBe('by an author you follow (Ada Lovelace)');
  });

  it('followed authors match without case, accents or punctuation mattering', () => {
    expect(followedAuthorKey('Zoë  Müller-Lüdenscheidt')).toBe(followedAuthorKey('zoe muller ludenscheidt'));
    expect(followedAuthorKey('A. Turing')).toBe('a turing');
    // "Last, First"; letters NFKD keeps whole; apostrophes; a middle initial.
    expect(followedAuthorKey('Ecsedi, Boglárka')).toBe(followedAuthorKey('Boglarka Ecsedi'));
    expect(followedAuthorKey('Łukasz Kaiser')).toBe(followedAuthorKey('Lukasz Kaiser'));
    expect(followedAuthorKey('Søren Straße')).toBe('soren strasse');
    expect(followedAuthorKey("Seán O'Brien")).toBe(followedAuthorKey('Sean OBrien'));
    expect(followedAuthorKey('C. Karen Liu')).toBe(followedAuthorKey('Karen Liu'));
    expect(followedAuthorKey('Martin Luther King, Jr.')).toBe('martin luther king jr');
    // A surname alone never stands for a name with an initial: "J. Smith" is not every Smith.
    expect(followedAuthorKey('J. Smith')).toBe('j smith');
    expect(followedAuthorKey('J. Smith')).not.toBe(followedAuthorKey('K. Smith'));
    expect(followedAuthorKey('Zhang Wei')).not.toBe(followedAuthorKey('Wei Zhang')); // order matters without a comma
    const picks = rankForReader(
      [paper(1, { topics: ['x'], authors: ['José Ñúñez'] })],
      reader({ followedAuthors: ['jose nunez'] }),
    );
    expect(ids(picks)).toEqual([1]);
  });

  it('negative keywords exclude: whole phrases, stemmed, case-insensitive, in the title or the abstract', () => {
    const candidates = [
      paper(1, { title: 'A Survey of Agents' }),
      paper(2, { title: 'Agents', abstract: 'We introduce BENCHMARKS for Web Agents.' }),
      paper(3, { title: 'Web browsing', abstract: 'Of language agents.' }), // both words, not the phrase
      paper(4, { title: 'Reading surveys' }), // "survey" stemmed: excluded too
      paper(5, { title: 'Surveillance of models' }), // not the word "survey"
    ];
    const picks = rankForReader(candidates, reader({ negativeKeywords: ['surveys', 'web agent'] }));
    expect(ids(picks)).toEqual([3, 5]);
    // An empty negative keyword excludes nothing (rather than everything).
    expect(ids(rankForReader(candidates, reader({ negativeKeywords: ['', ' , '] })))).toEqual([1, 2, 3, 4, 5]);
  });

  it('keywords keep every word the reader typed, stopwords of the features included', () => {
    const candidates = [
      paper(1, { title: 'Learning world models for robots' }),
      paper(2, { title: 'Around the world in eighty GPUs' }), // "world" without "model"
      paper(3, { title: 'A new benchmark for agents' }),
      paper(4, { title: 'An old benchmark, revisited' }), // "benchmark" without "new"
    ];
    // "model" and "new" are stopwords of the features: dropping them would match 2 and exclude 4.
    const widened = rankForReader(candidates, reader({ topics: ['vision'], keywords: ['World Models'] }));
    expect(ids(widened)).toEqual([1]);
    expect(ids(rankForReader(candidates, reader({ negativeKeywords: ['new benchmark'] })))).toEqual([1, 2, 4]);
  });

  it('keywords widen the topics: a matching paper qualifies outside them, and is boosted', () => {
    const candidates = [
      paper(1, { topics: ['vision'], title: 'Diffusion Models in the wild', score: 10 }),
      paper(2, { topics: ['vision'], title: 'Image segmentation', score: 90 }),
      paper(3, { topics: ['llm'], title: 'Tokenizers', score: 20 }),
    ];
    const picks = rankForReader(candidates, reader({ keywords: ['diffusion model'] }));
    expect(ids(picks)).toEqual([1, 3]);
    expect(picks[0]!.why).toBe('matches “diffusion model”');
    expect(picks[0]!.reason).toBe('keyword');
    // Still under the minimum upvotes rule (only followed authors pass it).
    expect(
      ids(
        rankForReader(
          [paper(1, { title: 'Diffusion models', upvotes: 1, topics: [] })],
          reader({ keywords: ['diffusion'], minUpvotes: 2 }),
        ),
      ),
    ).toEqual([]);
  });

  it('no topics: every paper qualifies (above the minimum upvotes), keywords only boost', () => {
    const candidates = [
      paper(1, { topics: ['a'] }),
      paper(2, { topics: [], title: 'Graph kernels' }),
      paper(3, { upvotes: 0 }),
    ];
    expect(ids(rankForReader(candidates, reader({ topics: [] })))).toEqual([1, 2, 3]);
    expect(ids(rankForReader(candidates, reader({ topics: [], minUpvotes: 1 })))).toEqual([1, 2]);
    // No topic means every topic (the subscribe page says so): a keyword lifts its papers, it does not narrow.
    const boosted = rankForReader(candidates, reader({ topics: [], keywords: ['graph kernel'] }));
    expect(ids(boosted)).toEqual([2, 1, 3]);
    expect(boosted[0]!.why).toBe('matches “graph kernel”');
  });
});

describe('the order', () => {
  const shuffled = [7, 3, 9, 1, 5, 2, 8, 4, 6].map((id) =>
    paper(id, { score: [0, 5, 80, 3, 80, 12, 7, 1, 0.5, 40][id]!, title: `Title ${id} diffusion` }),
  );

  it('relevance 0 and no boosts: exactly the trending order (ties by id)', () => {
    const byTrending = [...shuffled].sort((a, b) => b.score - a.score || a.id - b.id).map((p) => p.id);
    expect(ids(rankForReader(shuffled, reader()))).toEqual(byTrending);
    // A model that has learned nothing yet is no model.
    expect(ids(rankForReader(shuffled, reader({ model: emptyReaderModel() })))).toEqual(byTrending);
    // Nor does the relevance weight matter without a model, nor the top score given.
    expect(ids(rankForReader(shuffled, reader(), { ...DEFAULT_RANKING_WEIGHTS, relevance: 5 }, 1000))).toEqual(
      byTrending,
    );
    expect(byTrending.slice(0, 2)).toEqual([2, 4]); // the tie at 80 goes to the lower id
  });

  it('ties are deterministic: equal blended scores by trending score, then id, whatever the input order', () => {
    const same = [5, 1, 4, 2, 3].map((id) => paper(id, { score: 10 }));
    expect(ids(rankForReader(same, reader()))).toEqual([1, 2, 3, 4, 5]);
    expect(ids(rankForReader([...same].reverse(), reader()))).toEqual([1, 2, 3, 4, 5]);
  });

  it('the blend: t = score ÷ top score, plus relevance and the boosts, with the weights given', () => {
    const a = paper(1, { score: 50, title: 'Latent diffusion for images', authors: ['Ada Lovelace'] });
    const b = paper(2, { score: 100, title: 'Agent benchmark' });
    const c = paper(3, { score: 25, title: 'Tokenizers', abstract: 'Byte pair encoding.' });
    const model = diffusionFan();
    const picks = rankForReader(
      [a, b, c],
      reader({ model, followedAuthors: ['Ada Lovelace'], keywords: ['tokenizer'] }),
      {
        trending: 2,
        relevance: 0,
        author: 0.5,
        keyword: 0.3,
      },
    );
    expect(picks.map((p) => [p.id, p.blended])).toEqual([
      [2, 2],
      [1, 1.5],
      [3, 0.8],
    ]);
    // topScore given: t is relative to it.
    const scaled = rankForReader([c], reader(), { trending: 1, relevance: 0, author: 0, keyword: 0 }, 100);
    expect(scaled[0]!.blended).toBeCloseTo(0.25, 12);
    // No positive score: t is 0, not NaN.
    expect(rankForReader([paper(1, { score: 0 })], reader())[0]!.blended).toBe(0);
  });

  it("the relevance in the blend is exactly the model's relevance(), for every candidate, ranking after ranking", () => {
    const model = diffusionFan();
    const candidates = [
      paper(1, { title: 'Diffusion for images', abstract: 'Denoising diffusion model for images.' }),
      paper(2, { title: 'A benchmark for agents', abstract: 'Agents benchmarked on the web.' }),
      paper(3, { title: 'Unrelated words', abstract: null }),
    ];
    const onlyRelevance = { trending: 0, relevance: 1, author: 0, keyword: 0 };
    for (let round = 0; round < 2; round++) {
      const picks = rankForReader(candidates, reader({ model }), onlyRelevance);
      for (const pick of picks)
        expect(pick.blended).toBe(relevance(model, unpackFeatures(candidates[pick.id - 1]!.features)));
      expect(picks.map((p) => p.id)).toEqual([1, 3, 2]);
    }
    // Another reader's model right after: nothing of the first one's weights is left behind.
    const other = trainReaderModel(emptyReaderModel(), [
      { features: unpackFeatures(candidates[1]!.features), signal: 1 },
    ]);
    for (const pick of rankForReader(candidates, reader({ model: other }), onlyRelevance))
      expect(pick.blended).toBe(relevance(other, unpackFeatures(candidates[pick.id - 1]!.features)));
  });

  it("the reader's model moves liked papers up and disliked ones down; trending still counts", () => {
    const candidates = [
      paper(1, { score: 100, title: 'A benchmark for agents', abstract: 'Agents benchmarked on the web.' }),
      paper(2, { score: 10, title: 'Diffusion for images', abstract: 'Denoising diffusion model for images.' }),
      paper(3, { score: 60, title: 'Tokenizers', abstract: 'Byte pair encoding revisited.' }),
    ];
    expect(ids(rankForReader(candidates, reader()))).toEqual([1, 3, 2]);
    const personal = rankForReader(candidates, reader({ model: diffusionFan() }));
    expect(ids(personal)[0]).toBe(2);
    expect(ids(personal).indexOf(1)).toBeGreaterThan(ids(personal).indexOf(2));
    // With trending weighted far above relevance the trending order comes back.
    expect(
      ids(rankForReader(candidates, reader({ model: diffusionFan() }), { ...DEFAULT_RANKING_WEIGHTS, trending: 100 })),
    ).toEqual([1, 3, 2]);
  });
});

describe('reasons', () => {
  it('"like “X” you liked" names the most similar liked paper, shortened at a word near 60 characters', () => {
    const longTitle = 'Denoising diffusion probabilistic models for high resolution image synthesis at scale';
    const liked = [
      {
        title: 'Agents that browse',
        features: packFeatures(paperFeatures({ title: 'Agents that browse', abstract: null })),
      },
      { title: longTitle, features: packFeatures(paperFeatures({ title: longTitle, abstract: null })) },
    ];
    const picks = rankForReader(
      [paper(1, { title: 'Diffusion models for image synthesis', abstract: 'Denoising diffusion for images.' })],
      reader({ model: diffusionFan(), liked }),
    );
    expect(picks[0]!.reason).toBe('liked');
    expect(picks[0]!.why).toBe('like “Denoising diffusion probabilistic models for high…” you liked');
    expect(picks[0]!.why.length).toBeLessThan(90);
  });

  it('"close to papers you liked" when no liked paper is similar enough to name', () => {
    const liked = [
      { title: 'Robots', features: packFeatures(paperFeatures({ title: 'Robot grasping', abstract: null })) },
    ];
    const picks = rankForReader(
      [paper(1, { title: 'Diffusion models for image synthesis', abstract: 'Denoising diffusion for images.' })],
      reader({ model: diffusionFan(), liked }),
    );
    expect(picks[0]!.why).toBe('close to papers you liked');
  });

  it('"trending in <topic>" for a topic pick, the first of the paper\'s topics the reader chose; "trending" without one', () => {
    const picks = rankForReader(
      [paper(1, { topics: ['vision', 'llm', 'agents'] })],
      reader({ topics: ['agents', 'llm'] }),
    );
    expect(picks[0]).toMatchObject({ reason: 'trending', why: 'trending in llm' });
    expect(rankForReader([paper(1, { topics: ['vision'] })], reader({ topics: [] }))[0]!.why).toBe(
      'trending in vision',
    );
    expect(rankForReader([paper(1, { topics: [] })], reader({ topics: [] }))[0]!.why).toBe('trending');
  });

  it('an author beats a liked paper, a liked paper beats a keyword, a keyword beats trending', () => {
    const p = paper(1, {
      title: 'Diffusion models for images',
      abstract: 'Denoising diffusion.',
      authors: ['Ada Lovelace'],
    });
    const model = diffusionFan();
    const liked = [
      {
        title: 'Latent diffusion',
        features: packFeatures(paperFeatures({ title: 'Latent diffusion', abstract: null })),
      },
    ];
    const base = { model, liked, keywords: ['diffusion'] };
    expect(rankForReader([p], reader({ ...base, followedAuthors: ['Ada Lovelace'] }))[0]!.reason).toBe('author');
    expect(rankForReader([p], reader(base))[0]!.reason).toBe('liked');
    expect(rankForReader([p], reader({ ...base, model: null }))[0]!.reason).toBe('keyword');
  });
});

describe('large inputs', () => {
  it('ranks 200,000 candidates (the default top score is not a spread into Math.max, which overflows the stack)', () => {
    const base = paper(0);
    const many = Array.from({ length: 200_000 }, (_, i) => ({ ...base, id: i, score: i % 1000 }));
    const picks = rankForReader(many, reader());
    expect(picks).toHaveLength(200_000);
    expect(picks[0]).toMatchObject({ id: 999, blended: 1 });
  });

  it('a liked line read twice, spread or serialised is the same text', () => {
    const liked = [
      {
        title: 'Latent diffusion',
        features: packFeatures(paperFeatures({ title: 'Latent diffusion', abstract: null })),
      },
    ];
    const [pick] = rankForReader(
      [paper(1, { title: 'Diffusion models for images', abstract: 'Denoising diffusion.' })],
      reader({ model: diffusionFan(), liked }),
    );
    expect(pick!.why).toBe('like “Latent diffusion” you liked');
    expect(pick!.why).toBe(pick!.why);
    expect({ ...pick }.why).toBe(pick!.why);
    expect(JSON.parse(JSON.stringify(pick)).why).toBe(pick!.why);
  });
});

describe('prepareCandidate', () => {
  it('keeps the candidate, adds the features, the words and the author keys', () => {
    const c = paper(1, { title: 'Graph networks', abstract: 'Message passing.', authors: ['Ada Lovelace'] });
    expect(c.words).toEqual(['graph', 'network', 'messag', 'pass']);
    expect(c.followedAuthorKeys).toEqual(['ada lovelace']);
    expect(c.features.ids.length).toBeGreaterThan(0);
    expect(unpackFeatures(c.features)).toEqual(
      paperFeatures({ title: 'Graph networks', abstract: 'Message passing.', topics: c.topics }),
    );
  });
});

describe('the liked reason after one click', () => {
  it('names the liked paper only for papers like it in words, never the paper itself, nor unrelated papers of its topic', () => {
    const liked = {
      title: 'EvoArena: evolving agents in open-ended arenas',
      abstract: 'Agents evolve strategies in open-ended arenas through self-play tournaments.',
    };
    const likedFeatures = paperFeatures({ ...liked, topics: ['llm'] });
    const model = trainReaderModel(emptyReaderModel(), [{ features: likedFeatures, signal: 1 }]);
    const candidates = [
      paper(1, liked),
      paper(2, {
        title: 'Evolving agents for open-ended arenas',
        abstract: 'Self-play tournaments evolve agent strategies in arenas.',
      }),
      paper(3, {
        title: 'Sparse attention kernels for long contexts',
        abstract: 'We speed up attention with block-sparse kernels.',
      }),
      paper(4, {
        title: 'Quantized inference on phones',
        abstract: 'Four-bit weights run language models on mobile chips.',
      }),
    ];
    const picks = rankForReader(
      candidates,
      reader({ model, liked: [{ title: liked.title, features: packFeatures(likedFeatures) }] }),
    );
    const why = new Map(picks.map((p) => [p.id, p.why]));
    expect(why.get(2)).toBe('like “EvoArena: evolving agents in open-ended arenas” you liked');
    expect(why.get(3)).toBe('trending in llm');
    expect(why.get(4)).toBe('trending in llm');
    expect(why.get(1)).not.toContain('EvoArena'); // not explained by itself
    expect(ids(picks).indexOf(2)).toBeLessThan(ids(picks).indexOf(3));
  });
});
