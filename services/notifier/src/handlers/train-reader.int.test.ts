import { ReaderRepository, SubscriberRepository } from '@paperboy/db';
import {
  deserializeReaderModel,
  emptyReaderModel,
  paperFeatures,
  type ReaderModel,
  relevance,
  serializeReaderModel,
  trainReaderModel,
} from '@paperboy/pipeline';
import { createRedis, createWorker, Queues, trainReaderJobs } from '@paperboy/queue';
import { insertPaperRows, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanDigestsHandler } from './plan-digests.handler.js';
import { createTrainReaderHandler } from './train-reader.handler.js';

/**
 * The train-reader job against a real Postgres (and Redis for the stale sweep): incremental and full
 * training give a model that ranks a liked paper's near-duplicate above a disliked one's; an undo or
 * a flipped word retrains from scratch; a re-run changes nothing; racing trainings and a "clear"
 * during a training never leave an older model or bring the cleared one back.
 */
let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const producer = createRedis(redisUrl, 'producer');
const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
const logger = pino({ level: 'silent' });
const job = { queueName: 'planning', id: 'test', name: 'train-reader', data: {} } as never;
let train: ReturnType<typeof createTrainReaderHandler>;
let readers: ReaderRepository;

const PAPERS = {
  liked: {
    title: 'Denoising diffusion models for high-resolution image generation',
    abstract:
      'We train a latent diffusion model that generates images by iterative denoising, with a new noise schedule.',
  },
  likedTwin: {
    title: 'Faster denoising diffusion for image generation',
    abstract: 'A distilled diffusion sampler generates high-resolution images in four denoising steps.',
  },
  disliked: {
    title: 'Graph neural networks for molecular property prediction',
    abstract: 'Message passing graph neural networks predict molecule properties such as solubility and toxicity.',
  },
  dislikedTwin: {
    title: 'Equivariant graph neural networks predict molecular properties',
    abstract:
      'An equivariant message passing network for molecule property prediction on quantum chemistry benchmarks.',
  },
  other: {
    title: 'Speculative decoding for large language model inference',
    abstract: 'Draft tokens from a small language model are verified by a large one to speed up decoding.',
  },
  otherTwo: {
    title: 'Retrieval-augmented question answering over long documents',
    abstract: 'A retriever selects passages of long documents that a reader model uses to answer questions.',
  },
} as const;
type PaperKey = keyof typeof PAPERS;
const ids = {} as Record<PaperKey, number>;
let seq = 0;

async function reader(): Promise<number> {
  const subscriber = await new SubscriberRepository(t.db).subscribe(
    `reader${++seq}@example.org`,
    { topics: [], frequency: 'daily' },
    'active',
  );
  return subscriber.id;
}

async function storedModel(subscriberId: number): Promise<ReaderModel> {
  const row = await readers.readerModel(subscriberId);
  expect(row).not.toBeNull();
  const model = deserializeReaderModel(row!);
  expect(model).not.toBeNull();
  return model!;
}

const relevanceOf = (model: ReaderModel, key: PaperKey) => relevance(model, paperFeatures(PAPERS[key]));

/** The liked paper's near-duplicate ranks above the disliked one's. */
function expectLearned(model: ReaderModel) {
  expect(relevanceOf(model, 'likedTwin')).toBeGreaterThan(0);
  expect(relevanceOf(model, 'dislikedTwin')).toBeLessThan(0);
  expect(relevanceOf(model, 'likedTwin')).toBeGreaterThan(relevanceOf(model, 'dislikedTwin'));
}

beforeAll(async () => {
  t = await testEnv.start();
  train = createTrainReaderHandler({ db: t.db, logger });
  readers = new ReaderRepository(t.db);
  const now = new Date();
  const keys = Object.keys(PAPERS) as PaperKey[];
  const inserted = await insertPaperRows(
    t.db,
    keys.map((key, i) => ({
      arxiv_id: `2612.0000${i}`,
      title: PAPERS[key].title,
      title_key: PAPERS[key].title.toLowerCase(),
      abstract: PAPERS[key].abstract,
      first_seen_at: now,
      last_seen_at: now,
    })),
  );
  keys.forEach((key, i) => {
    ids[key] = inserted[i]!;
  });
});
afterAll(async () => {
  await queues.close();
  producer.disconnect();
  await testEnv.stop();
});

describe('train-reader', () => {
  it('trains from scratch, then incrementally; a re-run changes nothing', async () => {
    const id = await reader();
    expect(await train({ subscriberId: id }, job)).toEqual({ mode: 'none', examples: 0, conflicts: 0 });
    await readers.recordFeedback(id, ids.liked, 1);
    await readers.recordFeedback(id, ids.disliked, -1);
    expect(await train({ subscriberId: id }, job)).toEqual({ mode: 'full', examples: 2, conflicts: 0 });
    const first = await storedModel(id);
    expect(first.examples).toBe(2);
    expectLearned(first);

    // A new word: only it is learned, on top of the stored weights.
    await readers.recordFeedback(id, ids.other, 1);
    expect(await train({ subscriberId: id }, job)).toEqual({ mode: 'incremental', examples: 1, conflicts: 0 });
    const second = await storedModel(id);
    expect(second.examples).toBe(3);
    expect(relevanceOf(second, 'other')).toBeGreaterThan(relevanceOf(first, 'other'));
    expectLearned(second);

    // Idempotent: nothing new, nothing written (the row version stays).
    const before = await readers.readerModel(id);
    expect(await train({ subscriberId: id }, job)).toEqual({ mode: 'none', examples: 0, conflicts: 0 });
    expect(await readers.readerModel(id)).toEqual(before);
    // The same word again changes nothing either: its time stays, so it is not learned twice.
    expect(await readers.recordFeedback(id, ids.other, 1)).toMatchObject({ outcome: 'unchanged' });
    expect(await train({ subscriberId: id }, job)).toMatchObject({ mode: 'none' });
  });

  it('retrains from scratch after an undo or a flipped word, and deletes the model once every word is undone', async () => {
    const id = await reader();
    await readers.recordFeedback(id, ids.liked, 1);
    await readers.recordFeedback(id, ids.disliked, -1);
    await readers.recordFeedback(id, ids.other, 1);
    await train({ subscriberId: id }, job);

    // Undo of "more like `other`": the model must forget it, which only a retrain can do.
    expect(await readers.undoFeedback(id, ids.other, 1)).toEqual({ outcome: 'removed', signal: null });
    expect((await readers.readerModel(id))?.trainedThrough).toBeNull();
    expect(await train({ subscriberId: id }, job)).toEqual({ mode: 'full', examples: 2, conflicts: 0 });
    const retrained = await storedModel(id);
    const fresh = trainReaderModel(emptyReaderModel(), [
      { features: paperFeatures(PAPERS.liked), signal: 1 },
      { features: paperFeatures(PAPERS.disliked), signal: -1 },
    ]);
    expect(relevanceOf(retrained, 'other')).toBeCloseTo(relevanceOf(fresh, 'other'), 5);
    expectLearned(retrained);

    // A flipped word: the liked paper becomes disliked, and its twin follows.
    expect(await readers.recordFeedback(id, ids.liked, -1)).toMatchObject({ outcome: 'recorded' });
    expect((await readers.readerModel(id))?.trainedThrough).toBeNull();
    expect(await train({ subscriberId: id }, job)).toMatchObject({ mode: 'full', examples: 2 });
    expect(relevanceOf(await storedModel(id), 'likedTwin')).toBeLessThan(0);

    // An old undo of "more" does nothing now that the word is "less".
    expect(await readers.undoFeedback(id, ids.liked, 1)).toBeNull();

    // Undoing the flip gives back "more" (the word it replaced): a full retrain learns it again.
    expect(await readers.undoFeedback(id, ids.liked, -1)).toEqual({ outcome: 'restored', signal: 1 });
    expect((await readers.readerModel(id))?.trainedThrough).toBeNull();
    expect(await train({ subscriberId: id }, job)).toMatchObject({ mode: 'full', examples: 2 });
    expect(relevanceOf(await storedModel(id), 'likedTwin')).toBeGreaterThan(0);

    expect(await readers.undoFeedback(id, ids.liked, 1)).toEqual({ outcome: 'removed', signal: null });
    expect(await readers.undoFeedback(id, ids.disliked, -1)).toEqual({ outcome: 'removed', signal: null });
    expect(await train({ subscriberId: id }, job)).toMatchObject({ mode: 'cleared' });
    expect(await readers.readerModel(id)).toBeNull();
  });

  it('retrains a model of another feature kind from scratch', async () => {
    const id = await reader();
    await readers.recordFeedback(id, ids.liked, 1);
    await readers.recordFeedback(id, ids.disliked, -1);
    const foreign = { ...serializeReaderModel(emptyReaderModel()), kind: 'tfidf-v0', featureIds: [1], weights: [5] };
    await readers.recordFeedback(id, ids.otherTwo, 1);
    const newest = (await readers.feedbackForTraining(id, null, 10)).at(-1)!.givenAt;
    expect(await readers.storeReaderModel(id, { ...foreign, examples: 3 }, newest, null)).toBe(true);
    expect(await train({ subscriberId: id }, job)).toMatchObject({ mode: 'full', examples: 3 });
    const row = await readers.readerModel(id);
    expect(row?.kind).toBe('hashed-ngrams-v1');
    expectLearned(await storedModel(id));
  });

  it('two trainings racing never store an older model over a newer one', async () => {
    const id = await reader();
    await readers.recordFeedback(id, ids.liked, 1);
    await train({ subscriberId: id }, job);
    const read = await readers.readerModel(id); // what a slow training read
    await readers.recordFeedback(id, ids.disliked, -1);
    await train({ subscriberId: id }, job); // a faster one stores the newer model
    const newer = await readers.readerModel(id);
    expect(newer?.examples).toBe(2);
    // The slow one's store (over the row it read) is refused: the newer model stays.
    const stale = serializeReaderModel(deserializeReaderModel(read!)!);
    expect(await readers.storeReaderModel(id, stale, read!.trainedThrough!, read!.version)).toBe(false);
    expect(await readers.readerModel(id)).toEqual(newer);

    // Truly concurrent: both finish, the model has every word, learned once.
    await readers.recordFeedback(id, ids.other, 1);
    await readers.recordFeedback(id, ids.otherTwo, -1);
    const results = await Promise.all([train({ subscriberId: id }, job), train({ subscriberId: id }, job)]);
    expect(results.map((r) => r.mode).sort()).toEqual(['incremental', 'none']);
    const final = await readers.readerModel(id);
    expect(final?.examples).toBe(4);
    const newestGiven = (await readers.feedbackForTraining(id, null, 10)).at(-1)!.givenAt;
    expect(final?.trainedThrough).toBe(newestGiven);
  });

  it('a training that read the feedback before a "clear" does not bring the model back', async () => {
    const id = await reader();
    await readers.recordFeedback(id, ids.liked, 1);
    const rows = await readers.feedbackForTraining(id, null, 10); // read before the clear
    expect(await readers.clearLearned(id)).toEqual({ feedback: 1, models: 0 });
    const model = trainReaderModel(emptyReaderModel(), [{ features: paperFeatures(PAPERS.liked), signal: 1 }]);
    expect(await readers.storeReaderModel(id, serializeReaderModel(model), rows.at(-1)!.givenAt, null)).toBe(false);
    expect(await readers.readerModel(id)).toBeNull();
  });

  it('finds every kind of stale reader: no model yet, newer feedback, a model marked for a full retrain', async () => {
    const noModel = await reader();
    await readers.recordFeedback(noModel, ids.liked, 1);
    const behind = await reader();
    await readers.recordFeedback(behind, ids.liked, 1);
    await train({ subscriberId: behind }, job);
    const marked = await reader();
    await readers.recordFeedback(marked, ids.liked, 1);
    await train({ subscriberId: marked }, job);
    const upToDate = await reader();
    await readers.recordFeedback(upToDate, ids.liked, 1);
    await train({ subscriberId: upToDate }, job);
    const silent = await reader();
    expect(await readers.staleReaders(1000)).not.toEqual(expect.arrayContaining([behind, marked]));

    await readers.recordFeedback(behind, ids.disliked, -1);
    await readers.undoFeedback(marked, ids.liked, 1); // no word left: the retrain deletes the model
    const stale = await readers.staleReaders(1000);
    expect(stale).toEqual(expect.arrayContaining([noModel, behind, marked]));
    expect(stale).not.toContain(upToDate);
    expect(stale).not.toContain(silent);
    // The longest waiting first, and the limit holds.
    expect(stale.indexOf(noModel)).toBeLessThan(stale.indexOf(behind));
    expect(await readers.staleReaders(1)).toHaveLength(1);
    for (const id of [noModel, behind, marked]) await train({ subscriberId: id }, job);
    expect(await readers.staleReaders(1000)).toEqual([]);
  });

  it('the stale sweep of plan-digests re-enqueues a training Redis lost, and the worker trains the model', async () => {
    const id = await reader();
    await readers.recordFeedback(id, ids.liked, 1);
    await readers.recordFeedback(id, ids.disliked, -1);
    // The API enqueued the training; Redis lost it.
    const [lost] = await queues.addBulk('train-reader', trainReaderJobs([id]));
    await lost!.remove();
    expect(await readers.staleReaders(100)).toContain(id);

    const plan = await createPlanDigestsHandler({ db: t.db, queues, logger })({ frequency: 'daily' }, {
      queueName: 'planning',
      id: 'plan',
      name: 'plan-digests',
      data: {},
    } as never);
    expect(plan.staleReaders).toBeGreaterThanOrEqual(1);
    const offered = (await queues.get('planning').getJobs(['delayed', 'waiting'])).filter(
      (j) => j.name === 'train-reader' && j.data.subscriberId === id,
    );
    expect(offered).toHaveLength(1);
    await offered[0]!.promote(); // no need to wait out the merge delay

    const connection = createRedis(redisUrl, 'worker');
    const worker = createWorker(
      'planning',
      {
        'plan-digests': createPlanDigestsHandler({ db: t.db, queues, logger }),
        'train-reader': createTrainReaderHandler({ db: t.db, logger }),
      },
      { connection, prefix, concurrency: 1, lockDurationMs: 30_000 },
    );
    void worker.run();
    try {
      const deadline = Date.now() + 15_000;
      while ((await readers.readerModel(id)) === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
    } finally {
      await worker.close();
      connection.disconnect();
    }
    expectLearned(await storedModel(id));
    expect(await readers.staleReaders(100)).not.toContain(id);
  });
});
