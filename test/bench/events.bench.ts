import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadConfig } from '@paperboy/config';
import { appendEvents, OUTBOX_START, WebhookRepository } from '@paperboy/db';
import { postJson } from '@paperboy/http';
import { createMetrics } from '@paperboy/metrics';
import { createNotifierWorkers } from '@paperboy/notifier';
import { newWebhookSecret, outboxEvent, signatureHeader } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { deleteRedisPrefix } from '@paperboy/test-utils';
import { pino } from 'pino';
import { freshDatabase } from './fresh-database.js';

/**
 * `pnpm bench events`: BENCH_EVENTS events (default 20,000) about BENCH_EVENT_PAPERS papers (2,000)
 * in the outbox, one webhook endpoint on a loopback receiver in a process of its own (answers 200 at
 * once, keep-alive), and the notifier's webhook worker in this process delivering them all, as
 * `paperboy start` would (relay every 100 ms, PAPERBOY_WEBHOOK_CONCURRENCY requests in flight).
 * Prints events delivered a second, request time p50/p95 (from paperboy_webhook_delivery_seconds, as
 * Prometheus' histogram_quantile reads it) and, as a ceiling, the same signed POSTs sent straight
 * from memory at the same concurrency with no database and no queue.
 */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const PAPERS = Number(process.env.BENCH_EVENT_PAPERS ?? 2_000);

const RECEIVER = `
const http = require('node:http');
let count = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { count++; res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('message', () => process.send(count));
`;

async function startReceiver(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${line.toString().trim()}/hook`, child };
}

/** histogram_quantile over a prom-client histogram's cumulative buckets (linear within a bucket). */
function quantile(buckets: Array<{ le: number; count: number }>, q: number): number {
  const total = buckets.at(-1)!.count;
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return previous.le;
      const within = bucket.count - previous.count;
      return previous.le + (bucket.le - previous.le) * (within === 0 ? 0 : (rank - previous.count) / within);
    }
    previous = bucket;
  }
  return previous.le;
}

function envelopeBody(n: number): string {
  const paperId = 1 + (n % PAPERS);
  return JSON.stringify({
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'paper.trending',
    version: 1,
    occurredAt: new Date().toISOString(),
    data: trendingData(paperId, n),
  });
}

function trendingData(paperId: number, n: number) {
  return {
    paper: {
      id: paperId,
      arxivId: `2612.${String(paperId).padStart(5, '0')}`,
      title: `A paper about benchmarks, number ${paperId}`,
      authors: ['Ada Lovelace', 'Alan Turing'],
      url: `https://arxiv.org/abs/2612.${String(paperId).padStart(5, '0')}`,
      upvotes: n,
      topics: ['llm'],
      firstSeenAt: '2026-12-01T00:00:00.000Z',
    },
    reason: 'upvotes' as const,
    threshold: n,
    rank: null,
  };
}

/** The same signed POSTs from memory, `concurrency` in flight: what the machine allows without database or queue. */
async function ceiling(url: string, concurrency: number, secret: string): Promise<number> {
  const count = Math.min(EVENTS, 10_000);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const body = envelopeBody(next++);
        const answer = await postJson(url, body, {
          headers: { 'paperboy-signature': signatureHeader(secret, Math.floor(Date.now() / 1000), body) },
          timeoutMs: 10_000,
          allowPrivate: true,
          policy: { verb: 'deliver to', setting: 'PAPERBOY_WEBHOOK_ALLOW_PRIVATE' },
        });
        if (answer.status !== 200) throw new Error(`ceiling: receiver answered ${answer.status}`);
      }
    }),
  );
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

export async function benchEvents(): Promise<Record<string, number>> {
  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  const prefix = `bench-events-${Date.now()}`;
  const config = loadConfig({
    ...process.env,
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_EVENT_RELAY_MS: '100',
    PAPERBOY_WEBHOOK_ALLOW_PRIVATE: '1',
  });
  const { db } = await freshDatabase(
    process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/paperboy_bench',
    'paperboy_bench_events',
    { max: 6 },
  );
  const receiver = await startReceiver();
  const producer = createRedis(config.redisUrl, 'producer');
  const connection = createRedis(config.redisUrl, 'worker');
  const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
  const metrics = createMetrics({ defaultMetrics: false });
  const workers = createNotifierWorkers({
    db,
    logger: pino({ level: 'warn' }),
    config,
    connection,
    queues,
    transport: { send: async () => ({}), close: async () => {} } as never,
    metrics,
  });
  try {
    const hooks = new WebhookRepository(db);
    const endpoint = await hooks.create({ url: receiver.url, secret: newWebhookSecret() });
    const writeStarted = Date.now();
    for (let from = 0; from < EVENTS; from += 1000) {
      const rows = Array.from({ length: Math.min(1000, EVENTS - from) }, (_, i) => {
        const n = from + i;
        const paperId = 1 + (n % PAPERS);
        return outboxEvent('paper.trending', trendingData(paperId, n), { paperId, topics: ['llm'] });
      });
      await db.transaction().execute((trx) => appendEvents(trx, rows));
    }
    const writeSeconds = (Date.now() - writeStarted) / 1000;
    if (endpoint.cursor.tx !== OUTBOX_START.tx) throw new Error('bench: the endpoint should start before every event');

    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    await queues.declareSchedules([{ name: 'relay-events', id: 'events-relay', repeat: { every: 100 }, payload: {} }]);
    for (const worker of workers) void worker.run();
    for (;;) {
      const now = await hooks.get(endpoint.id);
      if ((now?.delivered ?? 0) >= EVENTS) break;
      if (now && now.consecutiveFailures > 3) throw new Error(`bench: deliveries failing: ${now.lastError}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const histogram = await metrics.webhookDeliverySeconds.get();
    const buckets = histogram.values
      .filter((v) => v.metricName === 'paperboy_webhook_delivery_seconds_bucket')
      .map((v) => {
        const le = String((v.labels as Record<string, string | number>).le);
        return { le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: v.value };
      })
      .sort((a, b) => a.le - b.le);
    const requests = (await metrics.webhookDeliveries.get()).values.reduce((sum, v) => sum + v.value, 0);
    await Promise.all(workers.map((w) => w.close()));
    const ceilingPerSec = await ceiling(receiver.url, config.webhooks.concurrency, endpoint.secret);
    return {
      events: EVENTS,
      papers: PAPERS,
      concurrency: config.webhooks.concurrency,
      writeEventsPerSec: round(EVENTS / writeSeconds),
      eventsDeliveredPerSec: round(EVENTS / seconds),
      seconds: round(seconds, 2),
      requests,
      requestP50Ms: round(quantile(buckets, 0.5) * 1000, 2),
      requestP95Ms: round(quantile(buckets, 0.95) * 1000, 2),
      cpuMsPerEvent: round((cpu.user + cpu.system) / 1000 / EVENTS, 3),
      ceilingEventsPerSec: round(ceilingPerSec),
      ratio: round(EVENTS / seconds / ceilingPerSec, 2),
    };
  } finally {
    await Promise.all(workers.map((w) => w.close(true)));
    await queues.close();
    producer.disconnect();
    connection.disconnect();
    receiver.child.kill('SIGTERM');
    await db.destroy();
    await deleteRedisPrefix(config.redisUrl, prefix);
  }
}
