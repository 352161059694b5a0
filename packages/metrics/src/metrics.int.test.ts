import { deleteRedisPrefix, requireEnv, testQueuePrefix } from '@paperboy/test-utils';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, metricsHandler, type QueueLike } from './index.js';

const redisUrl = requireEnv('TEST_REDIS_URL');
const prefix = testQueuePrefix();
let connection: Redis;
let queue: Queue;

beforeAll(() => {
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue('crawl', { connection, prefix });
});

afterAll(async () => {
  await queue?.close();
  connection?.disconnect();
  await deleteRedisPrefix(redisUrl, prefix);
});

const customNames = [
  'paperboy_pages_fetched_total',
  'paperboy_entries_total',
  'paperboy_papers_new_total',
  'paperboy_papers_merged_total',
  'paperboy_classify_seconds',
  'paperboy_crawl_duration_seconds',
  'paperboy_emails_total',
  'paperboy_queue_jobs',
];

describe('createMetrics', () => {
  it('exposes every metric, with the values recorded, and process metrics with the paperboy_ prefix', async () => {
    const metrics = createMetrics();
    metrics.pagesFetched.inc({ source: 'hf-papers', status: '200' });
    metrics.pagesFetched.inc({ source: 'hf-papers', status: '200' });
    metrics.entries.inc({ source: 'hf-papers' }, 30);
    metrics.papersNew.inc({ source: 'hf-papers' }, 12);
    metrics.papersMerged.inc({ source: 'arxiv' });
    metrics.classifySeconds.observe(0.003);
    metrics.crawlDurationSeconds.observe({ source: 'hf-papers' }, 1.7);
    metrics.countEmail('sent', 2);
    metrics.countEmail('skipped');

    const handler = metricsHandler(metrics.registry);
    expect(handler.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await handler.body();
    for (const name of customNames) expect(body).toContain(`# TYPE ${name} `);
    expect(body).toContain('paperboy_pages_fetched_total{source="hf-papers",status="200"} 2');
    expect(body).toContain('paperboy_entries_total{source="hf-papers"} 30');
    expect(body).toContain('paperboy_papers_new_total{source="hf-papers"} 12');
    expect(body).toContain('paperboy_papers_merged_total{source="arxiv"} 1');
    expect(body).toContain('paperboy_classify_seconds_count 1');
    expect(body).toContain('paperboy_crawl_duration_seconds_bucket{le="2.5",source="hf-papers"} 1');
    expect(body).toContain('paperboy_emails_total{outcome="sent"} 2');
    expect(body).toContain('paperboy_emails_total{outcome="skipped"} 1');
    expect(body).toContain('paperboy_process_cpu_seconds_total');
    expect(body).toContain('paperboy_nodejs_heap_size_used_bytes');
  });

  it('two registries in one process do not share values or collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.papersNew.inc({ source: 'x' });
    expect(await b.registry.metrics()).not.toContain('paperboy_papers_new_total{source="x"}');
  });

  it('reads the job counts of real BullMQ queues on scrape', async () => {
    await queue.add('crawl-page', { source: 'hf-papers', url: 'https://example.test/a' });
    await queue.add('crawl-page', { source: 'hf-papers', url: 'https://example.test/b' });
    await queue.add('crawl-page', { source: 'hf-papers', url: 'https://example.test/c' }, { delay: 60_000 });
    await queue.add('crawl-page', { source: 'hf-papers', url: 'https://example.test/d' }, { priority: 5 });
    const metrics = createMetrics({ queues: [queue], defaultMetrics: false });
    let body = await metrics.registry.metrics();
    expect(body).toContain('paperboy_queue_jobs{queue="crawl",state="waiting"} 3');
    expect(body).toContain('paperboy_queue_jobs{queue="crawl",state="active"} 0');
    expect(body).toContain('paperboy_queue_jobs{queue="crawl",state="delayed"} 1');
    expect(body).toContain('paperboy_queue_jobs{queue="crawl",state="failed"} 0');

    // Read again on the next scrape, not cached.
    await queue.add('crawl-page', { source: 'hf-papers', url: 'https://example.test/e' });
    body = await metrics.registry.metrics();
    expect(body).toContain('paperboy_queue_jobs{queue="crawl",state="waiting"} 4');
  });

  it('accepts a function listing the queues, and leaves out a queue that fails or does not answer', async () => {
    const broken: QueueLike = { name: 'ingest', getJobCounts: async () => Promise.reject(new Error('Redis is down')) };
    const hanging: QueueLike = { name: 'notify', getJobCounts: () => new Promise(() => {}) };
    const metrics = createMetrics({
      queues: () => [queue, broken, hanging],
      defaultMetrics: false,
      queueTimeoutMs: 200,
    });
    // `hanging` never answers: that the scrape returns at all shows queueTimeoutMs cut it off.
    const body = await metrics.registry.metrics();
    expect(body).toContain('paperboy_queue_jobs{queue="crawl",state="waiting"}');
    expect(body).not.toContain('queue="ingest"');
    expect(body).not.toContain('queue="notify"');
  });

  it('reports stuck deliveries only where watched, read on every scrape; a failed read leaves the gauge out', async () => {
    const metrics = createMetrics({ defaultMetrics: false, queueTimeoutMs: 200 });
    expect(await metrics.registry.metrics()).not.toContain('paperboy_deliveries_stuck');
    let stuck = 3;
    metrics.watchStuckDeliveries(15, async () => stuck);
    expect(await metrics.registry.metrics()).toContain('paperboy_deliveries_stuck{threshold_minutes="15"} 3');
    stuck = 0;
    expect(await metrics.registry.metrics()).toContain('paperboy_deliveries_stuck{threshold_minutes="15"} 0');
    metrics.watchStuckDeliveries(30, async () => Promise.reject(new Error('Postgres is down')));
    const body = await metrics.registry.metrics();
    expect(body).toContain('# TYPE paperboy_deliveries_stuck gauge');
    expect(body).not.toMatch(/^paperboy_deliveries_stuck\{/m);
  });
});
