import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EnrichKind, EnrichmentRepository, listSources, PaperRepository } from '@paperboy/db';
import { HostLimiter, RobotsCache } from '@paperboy/http';
import { createLogger } from '@paperboy/logger';
import { createMetrics } from '@paperboy/metrics';
import { classify, loadTaxonomy } from '@paperboy/pipeline';
import { createRedis, Queues, type Worker } from '@paperboy/queue';
import {
  createTestDatabase,
  deleteRedisPrefix,
  type FixtureServer,
  outboxEvents,
  requireEnv,
  send,
  startFixtureServer,
  type TestDatabase,
  testQueuePrefix,
} from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
// The adapters themselves, on the real captures: what the fetcher would enqueue.
import { createPage, getAdapter } from '../../../../packages/sources/src/index.js';
import { parseEntries } from '../handlers/ingest.handler.js';
import { createProcessorWorkers } from '../processor.js';
import { ENRICH_DUE_SCHEDULER, syncDashboardSchedulers } from '../schedulers.js';
import { type BatchContext, storeBatch } from '../store-batch.js';
import { createEnrichDueHandler } from './enrich-due.handler.js';

const redisUrl = requireEnv('TEST_REDIS_URL');
const redis = createRedis(redisUrl, 'producer');
const workerRedis = createRedis(redisUrl, 'worker');
const taxonomy = loadTaxonomy();
const logger = createLogger({ level: 'silent' });
const prefixes: string[] = [];

const sourcesFixtures = new URL('../../../../packages/sources/test/fixtures/', import.meta.url);
const ownFixtures = new URL('../../test/fixtures/enrich/', import.meta.url);
const read = (base: URL, path: string) => readFileSync(new URL(path, base), 'utf8');
/** The real captures, and the fixtures written in their shape. */
const HF_LISTING = read(sourcesFixtures, 'hf-api/hf-api-daily_papers-3items-2026-05-11.json');
const ARXIV_API_REAL = read(sourcesFixtures, 'arxiv-rss/seeds/arxiv-api-query-cat-cs.CL-2026-05-11.atom.xml');
const ARXIV_API_TRANSFORMER = read(
  sourcesFixtures,
  'arxiv-rss/seeds/arxiv-api-query-transformer-cs.LG-2026-06-14.atom.xml',
);
const ARXIV_API_WRITTEN = read(ownFixtures, 'arxiv-api-id_list-2605.05242.atom.xml');
const HF_PAPER_WRITTEN = read(ownFixtures, 'hf-paper-2605.08083.json');

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  await t?.drop();
});
afterAll(async () => {
  for (const p of prefixes) await deleteRedisPrefix(redisUrl, p);
  redis.disconnect();
  workerRedis.disconnect();
});

/** Stores a listing as the processor does, papers marked due for the kinds given. */
async function storeListing(adapter: string, body: string, contentType: string, enrich: EnrichKind[]) {
  const url = adapter === 'hf-api' ? 'https://huggingface.co/api/daily_papers' : 'https://export.arxiv.org/api/query';
  const { entries: raw } = getAdapter(adapter).extract(createPage(url, body, contentType));
  const { entries, rejected } = parseEntries(JSON.parse(JSON.stringify(raw)) as unknown[]);
  const context: BatchContext = {
    source: adapter,
    listing: url,
    seenAt: new Date('2026-05-11T08:00:00Z'),
    fetchId: null,
  };
  await storeBatch(t.db, new PaperRepository(t.db), context, entries, rejected, {
    taxonomy,
    nearDuplicateThreshold: 0.75,
    enrich,
  });
}

const paper = (arxivId: string) =>
  t.db.selectFrom('papers').selectAll().where('arxiv_id', '=', arxivId).executeTakeFirstOrThrow();
const enrichmentsOf = async (arxivId: string) => new EnrichmentRepository(t.db).ofPaper((await paper(arxivId)).id);
const due = async (kind: EnrichKind) => (await new EnrichmentRepository(t.db).dueCounts())[kind];

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Enrichment workers (with the maintenance queue's sweep) on a queue prefix of their own, against `server`. */
function startEnrichment(server: FixtureServer, kinds: EnrichKind[], options: { graceMs?: number } = {}) {
  const prefix = testQueuePrefix();
  prefixes.push(prefix);
  const queues = new Queues(redis, { prefix, fetchAttempts: 3 });
  const fetch = {
    userAgent: 'paperboy-test/0.1 (+https://example.test)',
    timeoutMs: 5000,
    maxBytes: 5_000_000,
    maxRedirects: 3,
    allowPrivate: true,
  };
  const polite = { redis, prefix: `${prefix}:polite` };
  const metrics = createMetrics({ defaultMetrics: false });
  const workers: Worker[] = createProcessorWorkers({
    db: t.db,
    logger,
    connection: workerRedis,
    prefix,
    concurrency: 1,
    taxonomy,
    nearDuplicateThreshold: 0.75,
    metrics,
    enrichment: {
      kinds,
      arxivUrl: `${server.url}/api/query`,
      hfUrl: `${server.url}/api/papers`,
      refreshDays: 7,
      queues,
      fetch,
      hosts: new HostLimiter(polite),
      robots: new RobotsCache({ ...polite, fetch }),
      graceMs: options.graceMs ?? 15 * 60_000,
      defaultThrottlePauseMs: 300,
    },
  });
  for (const worker of workers) void worker.run();
  return {
    prefix,
    queues,
    metrics,
    sweep: () => queues.add('enrich-due', {}),
    async stop() {
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
    },
  };
}

type Route = (req: IncomingMessage, res: ServerResponse) => void;
/** Answers `faults` first (status and Retry-After), then `route`. */
function faulty(faults: Array<{ status: number; retryAfter?: string }>, route: Route): Route {
  let n = 0;
  return (req, res) => {
    const fault = faults[n++];
    if (!fault) return route(req, res);
    res.writeHead(fault.status, {
      'content-type': 'text/plain',
      ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
    });
    res.end(`status ${fault.status}`);
  };
}
const atom = (body: string) => send(body, 'application/atom+xml; charset=utf-8');
const json = (body: string) => send(body, 'application/json');

describe('enrichment (issue 13)', () => {
  it('gives a paper stored from a Hugging Face listing its categories and versions from the arXiv API; re-running changes nothing', async () => {
    await storeListing('hf-api', HF_LISTING, 'application/json', ['arxiv', 'hf']);
    // Marked due in the batch's transaction: the arXiv kind only (Hugging Face gave its own details).
    expect((await enrichmentsOf('2605.05242')).map((e) => [e.kind, e.due_at !== null])).toEqual([['arxiv', true]]);
    const before = await paper('2605.05242');
    const topicsBefore = await t.db.selectFrom('paper_topics').selectAll().where('paper_id', '=', before.id).execute();

    const server = await startFixtureServer({ '/api/query': atom(ARXIV_API_WRITTEN) });
    const run = startEnrichment(server, ['arxiv', 'hf']);
    try {
      await run.sweep();
      await until(async () => (await due('arxiv')) === 0, 20_000, 'the arXiv enrichment');

      const after = await paper('2605.05242');
      expect(after).toMatchObject({
        categories: ['cs.AI', 'cs.CL', 'cs.IR'],
        primary_category: 'cs.IR',
        arxiv_comments: '28 pages, 9 figures; v2 adds BEIR results',
        journal_ref: 'Proceedings of SIGIR 2026',
        doi: '10.1145/3726302.3730001',
        latest_version: 2,
        // What Hugging Face gave stays: the arXiv API gives no code.
        code_url: 'https://github.com/DCI-Agent/DCI-Agent-Lite',
        code_stars: 101,
        // Details only: no sighting, the listing's link and counts and its times untouched.
        url: before.url,
        upvotes: before.upvotes,
        first_seen_at: before.first_seen_at,
        last_seen_at: before.last_seen_at,
        details_source: 'enrich-arxiv',
      });
      expect(await t.db.selectFrom('sightings').select('source').where('paper_id', '=', after.id).execute()).toEqual([
        { source: 'hf-api' },
      ]);
      const versions = await t.db
        .selectFrom('paper_versions')
        .select(['version', 'source'])
        .where('paper_id', '=', after.id)
        .orderBy('version')
        .execute();
      expect(versions).toContainEqual({ version: 2, source: 'enrich-arxiv' });
      const arxivFacts = await t.db
        .selectFrom('paper_facts')
        .select(['field', 'value'])
        .where('paper_id', '=', after.id)
        .where('source', '=', 'enrich-arxiv')
        .orderBy('field')
        .execute();
      expect(arxivFacts).toContainEqual({ field: 'categories', value: ['cs.IR', 'cs.CL', 'cs.AI'] });
      expect(arxivFacts).toContainEqual({ field: 'primaryCategory', value: 'cs.IR' });
      // Categories changed: the paper was classified again.
      const topicsAfter = await t.db.selectFrom('paper_topics').selectAll().where('paper_id', '=', after.id).execute();
      expect(topicsAfter.length).toBeGreaterThan(0);
      // … with cs.IR as its primary category (strong evidence for recsys), which the HF listing lacked.
      expect(topicsBefore.flatMap((r) => r.evidence).join(' ')).not.toMatch(/cs\.IR/);
      expect(topicsAfter.find((r) => r.topic_id === 'recsys')?.evidence.join(' ')).toMatch(/cs\.IR/);
      // Scored with cs.IR as the primary (stored categories are sorted: the first, cs.AI, is not it).
      const text = { title: after.title, abstract: after.abstract, categories: after.categories };
      const recsys = (primaryCategory: string | null) =>
        classify({ ...text, primaryCategory }, taxonomy).find((topic) => topic.id === 'recsys')?.score ?? 0;
      expect(recsys('cs.IR')).not.toBeCloseTo(recsys(null), 3);
      expect(topicsAfter.find((r) => r.topic_id === 'recsys')!.score).toBeCloseTo(recsys('cs.IR'), 4);
      expect(Math.min(...topicsAfter.map((r) => r.classified_at.getTime()))).toBeGreaterThan(
        Math.max(0, ...topicsBefore.map((r) => r.classified_at.getTime())),
      );

      // One request for the three papers; the two the API left out end `not-found`, the other `ok`.
      expect(server.hits.get('/api/query')).toBe(1);
      expect((await enrichmentsOf('2605.05242'))[0]).toMatchObject({ outcome: 'ok', due_at: null });
      expect((await enrichmentsOf('2605.06548'))[0]).toMatchObject({ outcome: 'not-found', due_at: null });
      const crawls = await t.db.selectFrom('crawls').selectAll().where('source', '=', 'enrich-arxiv').execute();
      expect(crawls).toHaveLength(1);
      expect(crawls[0]).toMatchObject({ trigger: 'enrich', outcome: 'ok', status: 200, entries: 1, error: null });
      expect(crawls[0]!.duration_ms).not.toBeNull();
      expect(await run.metrics.registry.metrics()).toMatch(/source="enrich-arxiv",status="200"/);
      // What enrichment changed is one paper.updated, in its transaction, naming each field from and to.
      const updated = (await outboxEvents(t.db, { types: ['paper.updated'] })).filter((e) => e.paperId === after.id);
      expect(updated).toHaveLength(1);
      const changes = (updated[0]!.data as { changes: Record<string, { from: unknown; to: unknown }> }).changes;
      expect(changes).toMatchObject({
        categories: { to: ['cs.AI', 'cs.CL', 'cs.IR'] },
        primaryCategory: { to: 'cs.IR' },
        journalRef: { from: null, to: 'Proceedings of SIGIR 2026' },
        doi: { from: null, to: '10.1145/3726302.3730001' },
        latestVersion: { to: 2 },
      });
      expect(changes).not.toHaveProperty('codeUrl');
      expect(await run.metrics.registry.metrics()).toMatch(/paperboy_events_emitted_total\{type="paper.updated"\} 1/);

      // Re-running (due again, the same answer): no value, fact, version or topic changes.
      const state = async () => {
        const p = await paper('2605.05242');
        const { details_seen_at: _s, updated_at: _u, ...rest } = p;
        return {
          paper: rest,
          facts: await t.db
            .selectFrom('paper_facts')
            .selectAll()
            .orderBy('paper_id')
            .orderBy('source')
            .orderBy('field')
            .execute(),
          versions: await t.db
            .selectFrom('paper_versions')
            .selectAll()
            .orderBy('paper_id')
            .orderBy('version')
            .execute(),
          topics: await t.db
            .selectFrom('paper_topics')
            .select(['paper_id', 'topic_id', 'score', 'position', 'classified_at'])
            .orderBy('paper_id')
            .orderBy('topic_id')
            .execute(),
          sightings: await t.db.selectFrom('sightings').selectAll().orderBy('id').execute(),
        };
      };
      const once = await state();
      await sql`UPDATE paper_enrichments SET due_at = now(), enqueued_at = NULL`.execute(t.db);
      await run.sweep();
      await until(async () => (await due('arxiv')) === 0, 20_000, 'the second arXiv enrichment');
      expect(server.hits.get('/api/query')).toBe(2);
      expect(await state()).toEqual(once);
      // Nothing changed: no second paper.updated.
      expect(
        (await outboxEvents(t.db, { types: ['paper.updated'] })).filter((e) => e.paperId === once.paper.id),
      ).toHaveLength(1);
    } finally {
      await run.stop();
      await server.close();
    }
  }, 60_000);

  it('gives a paper stored from an arXiv listing its code, stars and summary from the Hugging Face paper API; a 404 for one paper does not fail the other', async () => {
    await storeListing('arxiv-rss', ARXIV_API_REAL, 'application/atom+xml', ['arxiv', 'hf']);
    expect((await enrichmentsOf('2605.08083')).map((e) => e.kind)).toEqual(['hf']);
    const before = await paper('2605.08083');
    const server = await startFixtureServer({ '/api/papers/2605.08083': json(HF_PAPER_WRITTEN) });
    const run = startEnrichment(server, ['arxiv', 'hf']);
    try {
      await run.sweep();
      await until(async () => (await due('hf')) === 0, 20_000, 'the Hugging Face enrichment');
      expect(await paper('2605.08083')).toMatchObject({
        code_url: 'https://github.com/zhengkid/AutoTTS',
        code_stars: 57,
        project_page: 'https://zhengkid.github.io/AutoTTS',
        ai_summary:
          'AutoTTS discovers test-time scaling strategies automatically in a cheap discovery environment, improving the accuracy-cost tradeoff of reasoning models.',
        ai_keywords: ['test-time scaling', 'controller synthesis', 'agentic discovery', 'reasoning trajectories'],
        // arXiv's own details stay.
        primary_category: 'cs.CL',
        arxiv_comments: '25 pages',
        categories: before.categories,
        upvotes: before.upvotes,
        last_seen_at: before.last_seen_at,
      });
      expect((await enrichmentsOf('2605.08083'))[0]).toMatchObject({ outcome: 'ok' });
      expect((await enrichmentsOf('2605.08077'))[0]).toMatchObject({ outcome: 'not-found', due_at: null });
      const crawls = await t.db
        .selectFrom('crawls')
        .select(['url', 'outcome', 'status'])
        .where('source', '=', 'enrich-hf')
        .orderBy('url')
        .execute();
      expect(crawls).toEqual([
        { url: `${server.url}/api/papers/2605.08077`, outcome: 'ok', status: 404 },
        { url: `${server.url}/api/papers/2605.08083`, outcome: 'ok', status: 200 },
      ]);
    } finally {
      await run.stop();
      await server.close();
    }
  }, 60_000);

  const faults: Array<{ kind: EnrichKind; status: number; retryAfter?: string }> = [
    { kind: 'arxiv', status: 429, retryAfter: '1' },
    { kind: 'arxiv', status: 503 },
    { kind: 'hf', status: 429 },
    { kind: 'hf', status: 503, retryAfter: '1' },
  ];
  for (const fault of faults) {
    const how = fault.retryAfter ? `with Retry-After: ${fault.retryAfter}` : 'without Retry-After';
    it(`survives a ${fault.status} (${how}) then 200 from the ${fault.kind} API, the details stored`, async () => {
      const server = await startFixtureServer(
        fault.kind === 'arxiv'
          ? { '/api/query': faulty([fault], atom(ARXIV_API_WRITTEN)) }
          : { '/api/papers/2605.08083': faulty([fault], json(HF_PAPER_WRITTEN)) },
      );
      if (fault.kind === 'arxiv') await storeListing('hf-api', HF_LISTING, 'application/json', ['arxiv']);
      else await storeListing('arxiv-rss', ARXIV_API_REAL, 'application/atom+xml', ['hf']);
      const run = startEnrichment(server, [fault.kind]);
      try {
        await run.sweep();
        await until(async () => (await due(fault.kind)) === 0, 30_000, `the ${fault.kind} enrichment`);
        if (fault.kind === 'arxiv') {
          expect(server.hits.get('/api/query')).toBe(2);
          expect(await paper('2605.05242')).toMatchObject({ primary_category: 'cs.IR', latest_version: 2 });
        } else {
          expect(server.hits.get('/api/papers/2605.08083')).toBe(2);
          expect(await paper('2605.08083')).toMatchObject({
            code_url: 'https://github.com/zhengkid/AutoTTS',
            code_stars: 57,
          });
        }
        // A 429, or a 503 with Retry-After, paused the host and put the job back as a throttle (no
        // attempt spent); a 503 without one was an attempt, retried with backoff.
        const [done] = await run.queues.get('enrich').getCompleted();
        const pause = fault.status === 429 || fault.retryAfter !== undefined;
        expect(done!.data.throttled).toBe(pause ? 1 : undefined);
        expect(done!.attemptsMade).toBe(pause ? 1 : 2);
        // The throttled attempt is on the record (retrying, with its status), the crawl then ended ok.
        const fetches = await t.db
          .selectFrom('page_fetches')
          .select(['status', 'error'])
          .where('adapter', '=', `enrich-${fault.kind}`)
          .orderBy('id')
          .execute();
        expect(fetches.map((f) => f.status)).toContain(fault.status);
        expect(fetches.map((f) => f.status)).toContain(200);
      } finally {
        await run.stop();
        await server.close();
      }
    }, 60_000);
  }

  it('records a malformed answer as an error, not a crash', async () => {
    await storeListing('hf-api', HF_LISTING, 'application/json', ['arxiv']);
    const server = await startFixtureServer({ '/api/query': atom('<html><body>Rate exceeded.</body></html>') });
    const run = startEnrichment(server, ['arxiv']);
    try {
      await run.sweep();
      await until(async () => (await due('arxiv')) === 0, 20_000, 'the arXiv enrichment');
      expect((await enrichmentsOf('2605.05242'))[0]).toMatchObject({ outcome: 'malformed', due_at: null });
      expect((await enrichmentsOf('2605.05242'))[0]!.error).toMatch(/not an RSS or Atom feed/);
      const crawl = await t.db
        .selectFrom('crawls')
        .selectAll()
        .where('source', '=', 'enrich-arxiv')
        .executeTakeFirstOrThrow();
      expect(crawl).toMatchObject({ outcome: 'failed', status: 200 });
      expect(crawl.error).toMatch(/not an RSS or Atom feed/);
      expect((await paper('2605.05242')).primary_category).toBeNull();
    } finally {
      await run.stop();
      await server.close();
    }
  }, 60_000);

  it('emits nothing for a kind switched off', async () => {
    // Off when the batch is stored: nothing is marked.
    await storeListing('hf-api', HF_LISTING, 'application/json', ['hf']);
    expect(await t.db.selectFrom('paper_enrichments').selectAll().execute()).toEqual([]);
    // Off when the sweep runs: the papers stay due, no request is made for them.
    await storeListing('arxiv-rss', ARXIV_API_REAL, 'application/atom+xml', ['hf']);
    expect(await due('hf')).toBe(2);
    const server = await startFixtureServer({ '/api/papers/2605.08083': json(HF_PAPER_WRITTEN) });
    const run = startEnrichment(server, ['arxiv']);
    try {
      const job = await run.sweep();
      await until(async () => (await job.isCompleted()) === true, 10_000, 'the sweep');
      expect((await run.queues.getJob('enrich-due', job.id!))?.returnvalue).toMatchObject({
        jobs: 0,
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(server.hits.size).toBe(0);
      expect(await due('hf')).toBe(2);
      expect(await run.queues.get('enrich').getJobCounts('waiting', 'delayed', 'active', 'completed')).toMatchObject({
        waiting: 0,
        delayed: 0,
        active: 0,
        completed: 0,
      });
    } finally {
      await run.stop();
      await server.close();
    }
  }, 30_000);

  it('catches up a lost enqueue (the enrich jobs gone with Redis) at the next sweep after the grace period', async () => {
    await storeListing('hf-api', HF_LISTING, 'application/json', ['arxiv']);
    // A sweep enqueues the papers, then Redis loses the jobs before any worker ran them.
    const lostPrefix = testQueuePrefix();
    prefixes.push(lostPrefix);
    const lostQueues = new Queues(redis, { prefix: lostPrefix, fetchAttempts: 3 });
    const sweep = createEnrichDueHandler({ db: t.db, logger, queues: lostQueues, kinds: ['arxiv'], refreshDays: 7 });
    const fakeJob = { queueName: 'maintenance', id: '1', name: 'enrich-due', data: {} } as never;
    expect(await sweep({}, fakeJob)).toMatchObject({ enqueued: { arxiv: 3 }, jobs: 1 });
    // Within the grace period a sweep does not enqueue them twice.
    expect(await sweep({}, fakeJob)).toMatchObject({ enqueued: { arxiv: 0 }, jobs: 0 });
    await lostQueues.close();
    await deleteRedisPrefix(redisUrl, lostPrefix);
    expect(await due('arxiv')).toBe(3);

    const server = await startFixtureServer({ '/api/query': atom(ARXIV_API_WRITTEN) });
    const run = startEnrichment(server, ['arxiv'], { graceMs: 0 });
    try {
      await run.sweep();
      await until(async () => (await due('arxiv')) === 0, 20_000, 'the caught-up enrichment');
      expect(await paper('2605.05242')).toMatchObject({ primary_category: 'cs.IR', latest_version: 2 });
      expect(server.hits.get('/api/query')).toBe(1);
    } finally {
      await run.stop();
      await server.close();
    }
  }, 60_000);
  it('is emitted by the processor itself: an ingest batch that creates papers has them enriched, visible in source health', async () => {
    const server = await startFixtureServer({ '/api/query': atom(ARXIV_API_WRITTEN) });
    const run = startEnrichment(server, ['arxiv']);
    try {
      const { entries } = getAdapter('hf-api').extract(
        createPage('https://huggingface.co/api/daily_papers', HF_LISTING, 'application/json'),
      );
      // No sweep is asked for: the ingest job itself asks for one once its batch is committed.
      await run.queues.add('ingest-entries', {
        source: 'hf-api',
        listing: 'https://huggingface.co/api/daily_papers',
        fetchId: null,
        seenAt: '2026-05-11T08:00:00.000Z',
        contentHash: 'test',
        chunk: 0,
        entries: JSON.parse(JSON.stringify(entries)) as unknown[],
      });
      await until(
        async () => (await paper('2605.05242').catch(() => null))?.primary_category === 'cs.IR',
        20_000,
        'the enrichment',
      );
      expect(await due('arxiv')).toBe(0);
      const sources = await listSources(t.db, { configured: [], unstoredGraceMs: 60_000 });
      expect(sources.find((s) => s.id === 'enrich-arxiv')).toMatchObject({ health: 'ok' });
    } finally {
      await run.stop();
      await server.close();
    }
  }, 60_000);

  it('refreshes the details of papers still trending once they are older than the refresh age, and only those', async () => {
    await storeListing('hf-api', HF_LISTING, 'application/json', ['arxiv']);
    const server = await startFixtureServer({ '/api/query': atom(ARXIV_API_WRITTEN) });
    const run = startEnrichment(server, ['arxiv']);
    try {
      await run.sweep();
      await until(async () => (await due('arxiv')) === 0, 20_000, 'the first enrichment');
      const trending = (await paper('2605.05242')).id;
      // 8 days later (refresh age 7): one paper seen in a listing an hour ago, the others not for 10 days.
      await sql`UPDATE paper_enrichments SET enriched_at = now() - interval '8 days'`.execute(t.db);
      await sql`UPDATE papers SET last_seen_at = now() - interval '10 days'`.execute(t.db);
      await sql`UPDATE papers SET last_seen_at = now() - interval '1 hour' WHERE id = ${trending}`.execute(t.db);
      const job = await run.sweep();
      await until(async () => (await job.isCompleted()) === true, 10_000, 'the sweep');
      expect((await run.queues.getJob('enrich-due', job.id!))?.returnvalue).toMatchObject({
        refreshed: { arxiv: 1 },
        enqueued: { arxiv: 1 },
      });
      await until(async () => (await due('arxiv')) === 0, 20_000, 'the refresh');
      expect(server.hits.get('/api/query')).toBe(2);
      const enrichedAt = await t.db
        .selectFrom('paper_enrichments')
        .select(['paper_id', sql<boolean>`enriched_at > now() - interval '1 minute'`.as('fresh')])
        .orderBy('paper_id')
        .execute();
      expect(enrichedAt.filter((r) => r.fresh).map((r) => r.paper_id)).toEqual([trending]);
    } finally {
      await run.stop();
      await server.close();
    }
  }, 60_000);

  it('asks robots.txt, and sends a conditional request the second time (a 304 stores nothing)', async () => {
    await storeListing('arxiv-rss', ARXIV_API_REAL, 'application/atom+xml', ['hf']);
    const server = await startFixtureServer({
      '/robots.txt': send('User-agent: *\nDisallow: /api/papers/2605.08077\n', 'text/plain'),
      '/api/papers/2605.08083': (req, res) => {
        if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
        res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(HF_PAPER_WRITTEN);
      },
    });
    const run = startEnrichment(server, ['hf']);
    try {
      await run.sweep();
      await until(async () => (await due('hf')) === 0, 20_000, 'the enrichment');
      expect((await enrichmentsOf('2605.08077'))[0]).toMatchObject({ outcome: 'disallowed' });
      expect(server.hits.get('/api/papers/2605.08077')).toBeUndefined();
      expect((await enrichmentsOf('2605.08083'))[0]).toMatchObject({ outcome: 'ok' });
      const facts = await t.db.selectFrom('paper_facts').selectAll().orderBy('paper_id').orderBy('field').execute();

      await sql`UPDATE paper_enrichments SET due_at = now(), enqueued_at = NULL WHERE outcome = 'ok'`.execute(t.db);
      await run.sweep();
      await until(async () => (await due('hf')) === 0, 20_000, 'the second enrichment');
      expect(server.hits.get('/api/papers/2605.08083')).toBe(2);
      expect((await enrichmentsOf('2605.08083'))[0]).toMatchObject({ outcome: 'not-modified' });
      expect(await t.db.selectFrom('paper_facts').selectAll().orderBy('paper_id').orderBy('field').execute()).toEqual(
        facts,
      );
      const outcomes = await t.db
        .selectFrom('crawls')
        .select(['outcome', 'status'])
        .where('url', 'like', '%2605.08083')
        .orderBy('id')
        .execute();
      expect(outcomes).toEqual([
        { outcome: 'ok', status: 200 },
        { outcome: 'not-modified', status: 304 },
      ]);
    } finally {
      await run.stop();
      await server.close();
    }
  }, 60_000);
  it('schedules the sweep every minute while a kind is on, and removes it when enrichment is switched off', async () => {
    const prefix = testQueuePrefix();
    prefixes.push(prefix);
    const idle = new Queues(redis, { prefix, fetchAttempts: 1 });
    try {
      const ids = async () => (await idle.get('maintenance').getJobSchedulers(0, -1)).map((s) => s.key).sort();
      await syncDashboardSchedulers(idle, 300, ['arxiv', 'hf']);
      expect(await ids()).toEqual(['dashboard-rebuild-nightly', 'dashboard-refresh', ENRICH_DUE_SCHEDULER]);
      await syncDashboardSchedulers(idle, 300, []);
      expect(await ids()).toEqual(['dashboard-rebuild-nightly', 'dashboard-refresh']);
    } finally {
      await idle.close();
    }
  });
  it('asks both APIs about papers from any other listing, reading the real arXiv API capture: five papers in one request, cross-lists kept', async () => {
    // A configured listing (generic adapter) that names five arXiv papers by id and title only.
    const titles: Record<string, string> = {};
    for (const m of ARXIV_API_TRANSFORMER.matchAll(
      /<id>http:\/\/arxiv\.org\/abs\/([0-9.]+)v\d+<\/id>\s*<title>([^<]+)<\/title>/g,
    ))
      titles[m[1]!] = m[2]!;
    expect(Object.keys(titles)).toHaveLength(5);
    const raw = Object.entries(titles).map(([arxivId, title], i) => ({
      rank: i + 1,
      externalId: arxivId,
      arxivId,
      title,
    }));
    const { entries, rejected } = parseEntries(raw);
    await storeBatch(
      t.db,
      new PaperRepository(t.db),
      {
        source: 'reading-list',
        adapter: 'generic',
        listing: 'https://example.test/list',
        seenAt: new Date(),
        fetchId: null,
      },
      entries,
      rejected,
      { taxonomy, nearDuplicateThreshold: 0.75, enrich: ['arxiv', 'hf'] },
    );
    expect(await due('arxiv')).toBe(5);
    expect(await due('hf')).toBe(5);
    // The real capture; the paper API knows none of them here (404).
    const server = await startFixtureServer({ '/api/query': atom(ARXIV_API_TRANSFORMER) });
    const run = startEnrichment(server, ['arxiv', 'hf']);
    try {
      await run.sweep();
      await until(async () => (await due('arxiv')) + (await due('hf')) === 0, 30_000, 'both enrichments');
      expect(server.hits.get('/api/query')).toBe(1);
      expect(await paper('2606.13677')).toMatchObject({
        primary_category: 'cs.RO',
        categories: ['cs.AI', 'cs.CV', 'cs.LG', 'cs.RO'],
        arxiv_comments: 'Project Page: https://zhaohengyin.github.io/mana',
        latest_version: 1,
      });
      const outcomes = await t.db
        .selectFrom('paper_enrichments')
        .select(['kind', 'outcome', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['kind', 'outcome'])
        .orderBy('kind')
        .execute();
      expect(outcomes.map((o) => [o.kind, o.outcome, Number(o.n)])).toEqual([
        ['arxiv', 'ok', 5],
        ['hf', 'not-found', 5],
      ]);
    } finally {
      await run.stop();
      await server.close();
    }
  }, 60_000);
});
