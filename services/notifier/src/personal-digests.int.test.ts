import { DigestRepository, SubscriberRepository } from '@paperboy/db';
import {
  DEFAULT_RANKING_WEIGHTS,
  emptyReaderModel,
  paperFeatures,
  prepareCandidate,
  rankForReader,
  serializeReaderModel,
  trainReaderModel,
} from '@paperboy/pipeline';
import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestCandidates, PERSONAL_POOL, trendingWhy } from './candidates.js';

// Digests ranked for each reader (issue 14): the fast path for readers who told nothing more than
// topics, the blend of trending, their model, followed authors and keywords for the others.

let t: TestDatabase;
let digests: DigestRepository;
let subscribers: SubscriberRepository;

interface PaperSpec {
  arxivId: string;
  title: string;
  abstract?: string;
  authors?: string[];
  upvotes: number;
  topics: string[];
  hoursOld?: number;
}

async function insertPapers(papers: readonly PaperSpec[]): Promise<Map<string, number>> {
  const { rows } = await sql<{ id: number; arxiv_id: string }>`
    INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, upvotes, first_seen_at, last_seen_at)
    SELECT u.arxiv_id, u.title, lower(u.title), u.abstract, string_to_array(u.authors, '|'), u.upvotes,
           now() - make_interval(hours => u.hours), now()
    FROM unnest(${papers.map((p) => p.arxivId)}::text[], ${papers.map((p) => p.title)}::text[],
                ${papers.map((p) => p.abstract ?? null)}::text[], ${papers.map((p) => (p.authors ?? ['Someone Else']).join('|'))}::text[],
                ${papers.map((p) => p.upvotes)}::int[], ${papers.map((p) => p.hoursOld ?? 2)}::int[])
      AS u(arxiv_id, title, abstract, authors, upvotes, hours)
    RETURNING id, arxiv_id`.execute(t.db);
  const ids = new Map(rows.map((r) => [r.arxiv_id, Number(r.id)]));
  const topics = papers.flatMap((p) =>
    p.topics.map((topic, position) => ({ id: ids.get(p.arxivId)!, topic, position })),
  );
  await sql`
    INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
    SELECT u.id, u.topic, 0.9, u.position, 'v'
    FROM unnest(${topics.map((x) => x.id)}::bigint[], ${topics.map((x) => x.topic)}::text[], ${topics.map((x) => x.position)}::smallint[])
      AS u(id, topic, position)`.execute(t.db);
  return ids;
}

async function reader(
  email: string,
  preferences: { topics: string[]; minUpvotes?: number; maxPapers?: number },
  personal: { followedAuthors?: string[]; keywords?: string[]; negativeKeywords?: string[] } = {},
): Promise<number> {
  const { id } = await subscribers.subscribe(
    email,
    { topics: preferences.topics, frequency: 'daily', minUpvotes: preferences.minUpvotes ?? 0 },
    'active',
  );
  await sql`
    UPDATE subscriber_preferences
    SET followed_authors = ${personal.followedAuthors ?? []}::text[], keywords = ${personal.keywords ?? []}::text[],
        negative_keywords = ${personal.negativeKeywords ?? []}::text[], max_papers = ${preferences.maxPapers ?? 10}
    WHERE subscriber_id = ${id}`.execute(t.db);
  return id;
}

/** Trains the reader's model on their feedback rows (as the train-reader job will) and stores it. */
async function trainAndStore(subscriberId: number): Promise<void> {
  const { rows } = await sql<{ title: string; abstract: string | null; signal: 1 | -1 }>`
    SELECT p.title, p.abstract, f.signal FROM paper_feedback f JOIN papers p ON p.id = f.paper_id
    WHERE f.subscriber_id = ${subscriberId} ORDER BY f.given_at, f.paper_id`.execute(t.db);
  const model = serializeReaderModel(
    trainReaderModel(
      emptyReaderModel(),
      rows.map((r) => ({ features: paperFeatures(r), signal: r.signal })),
    ),
  );
  await sql`
    INSERT INTO reader_models (subscriber_id, kind, bias, feature_ids, weights, examples, trained_through)
    VALUES (${subscriberId}, ${model.kind}, ${model.bias}, ${model.featureIds}::integer[], ${model.weights}::real[], ${model.examples}, now())
    ON CONFLICT (subscriber_id) DO UPDATE SET kind = excluded.kind, bias = excluded.bias, feature_ids = excluded.feature_ids,
      weights = excluded.weights, examples = excluded.examples, trained_through = excluded.trained_through`.execute(
    t.db,
  );
}

async function recordSent(subscriberId: number, paperIds: number[], periodKey: string): Promise<void> {
  const [delivery] = await digests.planDeliveries([{ id: subscriberId, email: 'x', periodKey }]);
  await digests.recordDeliveredPapers(subscriberId, delivery!.deliveryId, paperIds);
}

const fresh = () => new DigestCandidates(t.db, { ttlMs: 0 });

// 60 papers over three topics with spread upvotes and ages, so trending order is not id order.
const BACKGROUND: PaperSpec[] = Array.from({ length: 60 }, (_, i) => ({
  arxivId: `2612.9${String(i).padStart(4, '0')}`,
  title: `Background paper number ${i} on ${['graphs', 'proteins', 'compilers'][i % 3]}`,
  abstract: `A study of ${['graphs', 'proteins', 'compilers'][i % 3]} with method ${i}.`,
  upvotes: (i * 37) % 101,
  topics: [['llm'], ['vision'], ['llm', 'safety']][i % 3]!,
  hoursOld: (i * 7) % 48,
}));

beforeAll(async () => {
  t = await createTestDatabase();
  digests = new DigestRepository(t.db);
  subscribers = new SubscriberRepository(t.db);
  await insertPapers(BACKGROUND);
});
afterAll(async () => t?.drop());

describe('the fast path', () => {
  it('equals the blended ranking of a reader with topics only, and the old trending walk', async () => {
    const readers = [
      { id: await reader('llm@example.org', { topics: ['llm'], maxPapers: 7 }), topics: ['llm'], minUpvotes: 0 },
      { id: await reader('all@example.org', { topics: [], maxPapers: 12 }), topics: [], minUpvotes: 0 },
      {
        id: await reader('picky@example.org', { topics: ['vision', 'safety'], minUpvotes: 40, maxPapers: 5 }),
        topics: ['vision', 'safety'],
        minUpvotes: 40,
      },
    ];
    const candidates = await digests.rankedCandidates();
    const prepared = candidates.map(prepareCandidate);
    await recordSent(readers[0]!.id, [candidates.find((c) => c.topics.includes('llm'))!.id], 'daily-earlier');
    const got = await fresh().digestPapersOf(readers.map((r) => r.id));
    for (const r of readers) {
      const context = (await digests.digestContext(r.id))!;
      const papers = got.get(r.id)!;
      expect(papers.length, r.topics.join()).toBe(context.maxPapers);
      // The blend with no model, no follows and no keywords, over every candidate.
      const blended = rankForReader(
        prepared,
        { ...context, followedAuthors: [], keywords: [], negativeKeywords: [], model: null, liked: [] },
        { ...DEFAULT_RANKING_WEIGHTS },
      )
        .filter((p) => !context.sent.has(p.id))
        .slice(0, context.maxPapers);
      expect(papers.map((p) => [p.id, p.why])).toEqual(blended.map((p) => [p.id, p.why]));
      // The old walk: the trending list filtered by topics and upvotes, never what was sent.
      const wanted = new Set(r.topics);
      const walk = candidates
        .filter((c) => c.upvotes >= r.minUpvotes && (wanted.size === 0 || c.topics.some((x) => wanted.has(x))))
        .filter((c) => !context.sent.has(c.id))
        .slice(0, context.maxPapers);
      expect(papers.map((p) => p.id)).toEqual(walk.map((c) => c.id));
      expect(papers.every((p) => /^trending( in \S+)?$/.test(p.why))).toBe(true);
    }
    // What was sent is not sent again.
    expect(got.get(readers[0]!.id)!.map((p) => p.id)).not.toContain(
      candidates.find((c) => c.topics.includes('llm'))!.id,
    );
  });

  it('gives the same digest as the personal path when the personal part changes nothing', async () => {
    const plain = await reader('plain@example.org', { topics: ['llm', 'vision'], minUpvotes: 20 });
    // A negative keyword no paper contains sends the reader down the personal path.
    const personal = await reader(
      'personal@example.org',
      { topics: ['llm', 'vision'], minUpvotes: 20 },
      { negativeKeywords: ['zeppelin'] },
    );
    const got = await fresh().digestPapersOf([plain, personal]);
    expect(got.get(plain)!.length).toBe(10);
    expect(got.get(personal)).toEqual(got.get(plain));
  });

  it('words a trending pick as rankForReader does', () => {
    expect(trendingWhy(['vision', 'llm'], ['llm'])).toBe('trending in llm');
    expect(trendingWhy(['vision', 'llm'], [])).toBe('trending in vision');
    expect(trendingWhy([], [])).toBe('trending');
  });
});

describe('followed authors and keywords', () => {
  it('a followed author’s paper qualifies outside the topics and under the minimum upvotes; a negative keyword excludes; a keyword widens', async () => {
    const ids = await insertPapers([
      {
        arxivId: '2612.80001',
        title: 'Protein folding with quiet transformers',
        authors: ['Ada Lovelace', 'Bob Smith'],
        upvotes: 1,
        topics: ['bio'],
      },
      { arxivId: '2612.80002', title: 'Chatbot evaluation with crowd workers', upvotes: 95, topics: ['llm'] },
      { arxivId: '2612.80003', title: 'Mixture of experts routing at scale', upvotes: 60, topics: ['systems'] },
    ]);
    const topicsOnly = await reader('topics@example.org', { topics: ['llm'], minUpvotes: 10, maxPapers: 40 });
    const id = await reader(
      'follows@example.org',
      { topics: ['llm'], minUpvotes: 10, maxPapers: 40 },
      { followedAuthors: ['ada lovelace'], keywords: ['Mixture of Experts'], negativeKeywords: ['chatbot'] },
    );
    const got = await fresh().digestPapersOf([topicsOnly, id]);
    const before = got.get(topicsOnly)!.map((p) => p.id);
    const after = got.get(id)!;
    const afterIds = after.map((p) => p.id);
    expect(before).toContain(ids.get('2612.80002'));
    expect(before).not.toContain(ids.get('2612.80001'));
    expect(before).not.toContain(ids.get('2612.80003'));
    // By Ada Lovelace: outside llm, 1 upvote, first thanks to the author boost; its reason names her.
    const ada = after.find((p) => p.id === ids.get('2612.80001'));
    expect(ada?.why).toBe('by an author you follow (Ada Lovelace)');
    // The keyword widens the topics; the negative keyword drops the 95-upvote chatbot paper.
    expect(after.find((p) => p.id === ids.get('2612.80003'))?.why).toBe('matches “Mixture of Experts”');
    expect(afterIds).not.toContain(ids.get('2612.80002'));
    // The rest are the reader's llm papers, trending.
    expect(after.filter((p) => p.why.startsWith('trending')).map((p) => p.id)).toEqual(
      before.filter((x) => x !== ids.get('2612.80002')).slice(0, after.length - 2),
    );
  });

  it('finds every followed author’s and keyword’s paper even far below the pool by trending', async () => {
    // More qualifying papers than the pool, all above the followed author's paper by trending.
    await insertPapers(
      Array.from({ length: PERSONAL_POOL + 20 }, (_, i) => ({
        arxivId: `2612.7${String(i).padStart(4, '0')}`,
        title: `Filler ${i}`,
        upvotes: 200 + i,
        topics: ['rl-robotics'],
      })),
    );
    const ids = await insertPapers([
      { arxivId: '2612.79999', title: 'A quiet paper', authors: ['Grace Hopper'], upvotes: 0, topics: ['rl-robotics'] },
      { arxivId: '2612.79998', title: 'Zeppelin docking', upvotes: 0, topics: ['rl-robotics'] },
    ]);
    const id = await reader(
      'robots@example.org',
      { topics: ['rl-robotics'], maxPapers: 3 },
      { followedAuthors: ['Grace Hopper'] },
    );
    const keyword = await reader(
      'airships@example.org',
      { topics: ['rl-robotics'], maxPapers: 3 },
      { keywords: ['zeppelin'] },
    );
    // An author boost above the whole trending range puts it first, if it was scored at all.
    const boosted = new DigestCandidates(t.db, {
      ttlMs: 0,
      weights: { ...DEFAULT_RANKING_WEIGHTS, author: 2, keyword: 2 },
    });
    const got = await boosted.digestPapersOf([id, keyword]);
    const papers = got.get(id)!;
    expect(papers[0]).toMatchObject({ id: ids.get('2612.79999'), why: 'by an author you follow (Grace Hopper)' });
    expect(papers).toHaveLength(3);
    expect(got.get(keyword)![0]).toMatchObject({ id: ids.get('2612.79998'), why: 'matches “zeppelin”' });
    // With the default boost (0.5), the fillers' trending (near 1) stays ahead of it (0 + 0.5).
    expect((await fresh().digestPapersOf([id])).get(id)!.map((p) => p.id)).not.toContain(ids.get('2612.79999'));
  });
});

describe('a reloaded candidate list', () => {
  it('keeps what it prepared of unchanged papers and prepares a changed one again', async () => {
    const ids = await insertPapers([
      { arxivId: '2612.40001', title: 'Zebra stripes as camouflage', upvotes: 3, topics: ['bio'] },
    ]);
    const id = await reader('zebras@example.org', { topics: [] }, { keywords: ['zebra'] });
    const candidates = new DigestCandidates(t.db, { ttlMs: 0 }); // a new list every call, carried over
    expect((await candidates.feedPapers(id, 5)).map((p) => [p.id, p.why])).toEqual([
      [ids.get('2612.40001'), 'matches “zebra”'],
    ]);
    await sql`UPDATE papers SET title = 'Horse stripes as camouflage' WHERE id = ${ids.get('2612.40001')}`.execute(
      t.db,
    );
    expect(await candidates.feedPapers(id, 5)).toEqual([]);
    await sql`UPDATE papers SET title = 'Zebra stripes as camouflage', upvotes = 4 WHERE id = ${ids.get('2612.40001')}`.execute(
      t.db,
    );
    expect((await candidates.feedPapers(id, 5)).map((p) => [p.id, p.upvotes])).toEqual([[ids.get('2612.40001'), 4]]);
  });
});

describe('a reader’s next digest after their feedback', () => {
  it('changes accordingly: the paper like the one they liked ranks above the one like the one they did not', async () => {
    const X = 'Speculative decoding with draft trees for fast LLM inference';
    const Y = 'Benchmarking chatbots on trivia quiz questions';
    const first = await insertPapers([
      {
        arxivId: '2612.60001',
        title: X,
        abstract: 'Speculative decoding lets a small draft model propose tokens that the large model verifies.',
        upvotes: 30,
        topics: ['nlp-x'],
      },
      {
        arxivId: '2612.60002',
        title: Y,
        abstract: 'A benchmark of trivia quiz questions to compare chatbots and their answers.',
        upvotes: 31,
        topics: ['nlp-x'],
      },
    ]);
    const id = await reader('learner@example.org', { topics: ['nlp-x'], maxPapers: 5 });
    const a = await fresh().digestPapers(id);
    expect(a.map((p) => p.id)).toEqual([first.get('2612.60002'), first.get('2612.60001')]);
    await recordSent(
      id,
      a.map((p) => p.id),
      'daily-a',
    );
    // "More like this" on X, "less like this" on Y; the model is trained on them.
    await sql`INSERT INTO paper_feedback (subscriber_id, paper_id, signal)
              VALUES (${id}, ${first.get('2612.60001')}, 1), (${id}, ${first.get('2612.60002')}, -1)`.execute(t.db);
    await trainAndStore(id);

    // New papers arrive: one about X's subject, one about Y's; by trending alone Y's is ahead.
    const next = await insertPapers([
      {
        arxivId: '2612.60003',
        title: 'Draft trees and speculative decoding make LLM inference fast',
        abstract: 'A small draft model proposes tokens; the large model verifies them with speculative decoding.',
        upvotes: 40,
        topics: ['nlp-x'],
      },
      {
        arxivId: '2612.60004',
        title: 'Trivia quiz questions for benchmarking chatbots',
        abstract: 'We collect trivia quiz questions and compare chatbots on their answers.',
        upvotes: 45,
        topics: ['nlp-x'],
      },
    ]);
    const xLike = next.get('2612.60003')!;
    const yLike = next.get('2612.60004')!;
    const topicsOnly = await reader('control@example.org', { topics: ['nlp-x'], maxPapers: 5 });
    await recordSent(
      topicsOnly,
      a.map((p) => p.id),
      'daily-a',
    );
    const got = await fresh().digestPapersOf([id, topicsOnly]);
    expect(got.get(topicsOnly)!.map((p) => p.id)).toEqual([yLike, xLike]);
    const b = got.get(id)!;
    expect(b.map((p) => p.id)).toEqual([xLike, yLike]);
    expect(b[0]!.why).toBe(`like “${X}” you liked`);
    expect(b[1]!.why).toBe('trending in nlp-x');

    // Their feed ranks the same way and ignores what was sent, but leaves out the papers they gave
    // a word on: the "less" paper never comes back, the "more" one they have seen.
    const feed = (await fresh().feedPapers(id, 10)).map((p) => p.id);
    expect(feed).toEqual([xLike, yLike]);
    expect(await fresh().feedPapers(id, 1)).toHaveLength(1);
    // Without those words (cleared), both come back, the liked one's neighbour still first.
    await sql`DELETE FROM paper_feedback WHERE subscriber_id = ${id}`.execute(t.db);
    const all = (await fresh().feedPapers(id, 10)).map((p) => p.id);
    expect(all).toHaveLength(4);
    expect(all.indexOf(xLike)).toBeLessThan(all.indexOf(yLike));
    expect(all.indexOf(first.get('2612.60001')!)).toBeLessThan(all.indexOf(first.get('2612.60002')!));
  });

  it('ignores a model of other features (and reads a reader without preferences as none)', async () => {
    const id = await reader('stale@example.org', { topics: ['vision'], maxPapers: 4 });
    const plain = await reader('plain-vision@example.org', { topics: ['vision'], maxPapers: 4 });
    await sql`INSERT INTO reader_models (subscriber_id, kind, bias, feature_ids, weights, examples)
              VALUES (${id}, 'tfidf-v0', 5, '{1,2}', '{1,1}', 3)`.execute(t.db);
    const got = await fresh().digestPapersOf([id, plain, 999_999]);
    expect(got.get(id)).toEqual(got.get(plain));
    expect(got.get(999_999)).toEqual([]);
  });
});

describe('statements', () => {
  it('fills a chunk in the same number of statements whatever its size and its readers', async () => {
    let statements = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        statements += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const db = t.db.withPlugin(counting);
    const liked = (await digests.rankedCandidates()).slice(0, 60).map((c) => c.id);
    // Liked papers no longer candidates (seen 20 days ago) are read once for the chunk.
    const gone = await insertPapers([
      { arxivId: '2612.50001', title: 'An old favourite', upvotes: 10, topics: ['llm'], hoursOld: 500 },
      { arxivId: '2612.50002', title: 'Another old one', upvotes: 10, topics: ['llm'], hoursOld: 500 },
    ]);
    await sql`UPDATE papers SET last_seen_at = now() - interval '20 days' WHERE arxiv_id IN ('2612.50001', '2612.50002')`.execute(
      t.db,
    );
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      const id = await reader(
        `chunk${i}@example.org`,
        { topics: i % 2 ? ['llm'] : [] },
        i % 3 ? {} : { keywords: ['graphs'] },
      );
      if (i % 5 === 0) {
        const paperIds = [...liked.slice(i, i + 3), ...gone.values()];
        await sql`INSERT INTO paper_feedback (subscriber_id, paper_id, signal)
                  SELECT ${id}, u.id, 1 FROM unnest(${paperIds}::bigint[]) AS u(id)`.execute(t.db);
        await trainAndStore(id);
      }
      ids.push(id);
    }
    const candidates = new DigestCandidates(db, { ttlMs: 60_000 });
    await candidates.digestPapersOf([ids[1]!]); // loads the list: 1 statement
    statements = 0;
    await candidates.digestPapersOf([ids[1]!]);
    const one = statements;
    statements = 0;
    const many = await candidates.digestPapersOf(ids);
    expect(one).toBe(2); // contexts, papers
    expect(statements).toBe(3); // contexts, the liked papers no longer candidates, papers
    expect([...many.values()].every((papers) => papers.length > 0)).toBe(true);
    statements = 0;
    await candidates.digestPapersOf(ids);
    expect(statements).toBe(2); // their features are kept with the list
  });
});
