import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@paperboy/config';
import { appendEvents, EventRepository, type WebhookEndpoint, WebhookRepository } from '@paperboy/db';
import { createMetrics, type Metrics } from '@paperboy/metrics';
import { type EventEnvelope, newWebhookSecret, outboxEvent, verifySignature } from '@paperboy/pipeline';
import { createRedis, Queues, type Worker } from '@paperboy/queue';
import { deleteRedisPrefix, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifierWorkers } from '../notifier.js';
import { syncEventSchedulers } from '../schedulers.js';

/**
 * Webhook delivery end to end: the notifier's real workers (relay on a 100 ms schedule, deliver,
 * on a real Redis), events written to the real outbox, and a real HTTP receiver on loopback that
 * answers as each test tells it: signatures that verify over the raw body, order per paper under
 * concurrency, retries after 500s and after a timeout, the private-address policy, disabling after
 * persistent failure, and delivery resuming from the Postgres position after Redis lost the job.
 */

type Answer = number | 'hang';
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  envelope: EventEnvelope;
}

/** A webhook receiver: each path answers by its behaviour (default 200 after a small random delay). */
async function startReceiver() {
  const received: Received[] = [];
  const behaviours = new Map<string, (nth: number) => Answer>();
  const counts = new Map<string, number>();
  const hanging: ServerResponse[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const nth = (counts.get(path) ?? 0) + 1;
      counts.set(path, nth);
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ path, headers: req.headers, raw, envelope: JSON.parse(raw) as EventEnvelope });
      const answer = behaviours.get(path)?.(nth) ?? 200;
      if (answer === 'hang') return void hanging.push(res);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(
        () => {
          inFlight--;
          res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'receiver says no');
        },
        Math.floor(Math.random() * 8),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    on: (path: string, behaviour: (nth: number) => Answer) => behaviours.set(path, behaviour),
    of: (path: string) => received.filter((r) => r.path === path),
    maxInFlight: () => maxInFlight,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(env: Record<string, string> = {}) {
  const testEnv = testEnvironment();
  const { prefix, redisUrl } = testEnv;
  const t: TestDatabase = await testEnv.start();
  const receiver = await startReceiver();
  const config = loadConfig({
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_EVENT_RELAY_MS: '100',
    PAPERBOY_WEBHOOK_ALLOW_PRIVATE: '1',
    PAPERBOY_WEBHOOK_TIMEOUT_MS: '300',
    PAPERBOY_WEBHOOK_RETRY_BASE_MS: '20',
    PAPERBOY_WEBHOOK_RETRY_MAX_MS: '200',
    PAPERBOY_WEBHOOK_CONCURRENCY: '4',
    ...env,
  });
  const producer = createRedis(redisUrl, 'producer');
  const connection = createRedis(redisUrl, 'worker');
  const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
  const metrics: Metrics = createMetrics({ defaultMetrics: false });
  const workers: Worker[] = createNotifierWorkers({
    db: t.db,
    logger: pino({ level: 'silent' }),
    config,
    connection,
    queues,
    transport: { send: async () => ({}), close: async () => {} } as never,
    metrics,
    // Small batches and a short budget: every test also goes through many rounds and the job continuing as its next run.
    webhooks: { disableAfterMs: 1000, batchSize: 7, budgetMs: 30 },
  });
  for (const worker of workers) void worker.run();
  await syncEventSchedulers(queues, config.events.relayMs);
  cleanups.push(
    () => testEnv.stop(),
    async () => {
      producer.disconnect();
      connection.disconnect();
    },
    () => receiver.close(),
    () => queues.close(),
    // Not forced: a job finishing after a forced close could update its scheduler over a closed connection.
    () => Promise.all(workers.map((w) => w.close())),
  );
  const hooks = new WebhookRepository(t.db);
  let threshold = 0;
  return {
    t,
    prefix,
    redisUrl,
    queues,
    receiver,
    hooks,
    metrics,
    /** A new endpoint on the receiver at `path` (from the outbox's head on), with its secret. */
    endpoint: (path: string, options: { url?: string; eventTypes?: string[] } = {}) =>
      hooks.create({ url: options.url ?? receiver.url(path), secret: newWebhookSecret(), ...options }),
    /** Writes one paper.trending event per paper id, in this order, in one transaction; `threshold` numbers them. */
    async paperEvents(paperIds: number[]): Promise<number[]> {
      const numbers = paperIds.map(() => ++threshold);
      await t.db.transaction().execute((trx) =>
        appendEvents(
          trx,
          paperIds.map((paperId, i) =>
            outboxEvent(
              'paper.trending',
              {
                paper: {
                  id: paperId,
                  arxivId: null,
                  title: `Paper ${paperId}`,
                  authors: [],
                  url: null,
                  upvotes: numbers[i]!,
                  topics: ['llm'],
                  firstSeenAt: new Date().toISOString(),
                },
                reason: 'upvotes',
                threshold: numbers[i]!,
                rank: null,
              },
              { paperId, topics: ['llm'] },
            ),
          ),
        ),
      );
      return numbers;
    },
    async sourceEvent(source: string) {
      await appendEvents(t.db, [
        outboxEvent(
          'source.health_changed',
          { source, from: 'healthy', to: 'failing', reason: 'HTTP 503', crawlId: null },
          { source },
        ),
      ]);
    },
  };
}

async function waitFor<T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean, ms = 10_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const thresholdOf = (r: Received) => (r.envelope.data as { threshold: number }).threshold;
const paperOf = (r: Received) => (r.envelope.data as { paper: { id: number } }).paper.id;
/** Each event once, in the order it was first received. */
const firstSeen = (list: Received[]) => {
  const seen = new Set<string>();
  return list.filter((r) => !seen.has(r.envelope.id) && seen.add(r.envelope.id));
};
const samePosition = (a: WebhookEndpoint['cursor'], b: WebhookEndpoint['cursor']) => a.tx === b.tx && a.id === b.id;

describe('deliver-webhook', () => {
  it('delivers signed envelopes, in order per paper with requests in parallel, and moves the position to the end', async () => {
    const s = await setup();
    const endpoint = await s.endpoint('/all');
    const sourcesOnly = await s.endpoint('/sources', { eventTypes: ['source.health_changed'] });
    const digestsOnly = await s.endpoint('/digests', { eventTypes: ['digest.period_sent'] });
    const papers = Array.from({ length: 60 }, (_, i) => 100 + (i % 6));
    await s.paperEvents(papers.slice(0, 30));
    await s.sourceEvent('hf-papers');
    await s.paperEvents(papers.slice(30));
    await s.sourceEvent('arxiv');

    const got = await waitFor(
      'all 62 events',
      () => s.receiver.of('/all'),
      (l) => l.length >= 62,
    );
    await waitFor(
      'the filtered endpoint',
      () => s.receiver.of('/sources'),
      (l) => l.length >= 2,
    );
    expect(got).toHaveLength(62); // every answer was 200: each event once
    expect(new Set(got.map((r) => r.envelope.id)).size).toBe(62);

    for (const r of got) {
      expect(verifySignature(r.headers['paperboy-signature'] as string, r.raw, endpoint.secret)).toBe(true);
      expect(verifySignature(r.headers['paperboy-signature'] as string, r.raw, sourcesOnly.secret)).toBe(false);
      expect(verifySignature(r.headers['paperboy-signature'] as string, `${r.raw} `, endpoint.secret)).toBe(false);
      expect(r.headers['paperboy-event-id']).toBe(r.envelope.id);
      expect(r.headers['paperboy-event-type']).toBe(r.envelope.type);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toMatch(/^paperboy\//);
      expect(Object.keys(r.envelope).sort()).toEqual(['data', 'id', 'occurredAt', 'type', 'version']);
    }
    // Order per paper: each paper's thresholds ascending, as written.
    for (const paper of new Set(papers)) {
      const order = got.filter((r) => r.envelope.type === 'paper.trending' && paperOf(r) === paper).map(thresholdOf);
      expect(order).toHaveLength(10);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    // ...while different papers went in parallel.
    expect(s.receiver.maxInFlight()).toBeGreaterThan(1);

    const head = await new EventRepository(s.t.db).head();
    const after = await waitFor(
      'the positions at the head',
      () => Promise.all([s.hooks.get(endpoint.id), s.hooks.get(sourcesOnly.id), s.hooks.get(digestsOnly.id)]),
      (l) => l.every((e) => e && samePosition(e.cursor, head)),
    );
    // The endpoint that wants none of them was moved over them all (the relay stays cheap), sent nothing.
    expect(after[2]).toMatchObject({ delivered: 0, failed: 0 });
    expect(s.receiver.of('/digests')).toHaveLength(0);
    expect(after[0]).toMatchObject({ delivered: 62, failed: 0, consecutiveFailures: 0, lastStatus: 200 });
    // The filtered endpoint got its two and passed over the 60 others.
    expect(s.receiver.of('/sources').map((r) => r.envelope.type)).toEqual([
      'source.health_changed',
      'source.health_changed',
    ]);
    expect(after[1]).toMatchObject({ delivered: 2 });
  });

  it('retries after 500s and after a timeout with backoff, then delivers everything and resets its health', async () => {
    const s = await setup();
    const flaky = await s.endpoint('/flaky');
    const slow = await s.endpoint('/slow');
    s.receiver.on('/flaky', (nth) => (nth <= 3 ? 500 : 200));
    s.receiver.on('/slow', (nth) => (nth === 1 ? 'hang' : 200));
    // A closed port (connection refused), its URL carrying a token as chat hooks do.
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    const refused = await s.endpoint('/refused', {
      url: `http://127.0.0.1:${closedPort}/hooks/T0001/SECRETPATH?token=SECRETQUERY`,
    });
    const written = await s.paperEvents([7, 7, 8, 7, 8]);

    const delivered = (path: string) =>
      waitFor(
        `${path} to have all five`,
        () => firstSeen(s.receiver.of(path)),
        (l) => l.length >= 5,
      );
    for (const path of ['/flaky', '/slow']) {
      const got = await delivered(path);
      for (const paper of [7, 8]) {
        const order = got.filter((r) => paperOf(r) === paper).map(thresholdOf);
        expect(order).toEqual(written.filter((_, i) => [7, 7, 8, 7, 8][i] === paper));
      }
    }
    expect(s.receiver.of('/flaky').length).toBeGreaterThanOrEqual(8); // 3 refused, then the 5
    const head = await new EventRepository(s.t.db).head();
    const [flakyNow, slowNow] = await waitFor(
      'both positions at the head',
      () => Promise.all([s.hooks.get(flaky.id), s.hooks.get(slow.id)]),
      (l) => l.every((e) => e && samePosition(e.cursor, head)),
    );
    expect(flakyNow).toMatchObject({ consecutiveFailures: 0, failingSince: null, lastStatus: 200, lastError: null });
    expect(flakyNow!.failed).toBeGreaterThanOrEqual(1);
    expect(flakyNow!.enabled).toBe(true);
    // The request left hanging counted as a failed attempt (the timeout), and the event came again.
    expect(slowNow).toMatchObject({ consecutiveFailures: 0, enabled: true });
    expect(slowNow!.failed).toBeGreaterThanOrEqual(1);
    expect(s.receiver.of('/slow').length).toBeGreaterThan(5);

    // A refused connection is a failure like any other, and its error keeps no more of the URL than its origin.
    const down = await waitFor(
      'the refused endpoint to record failures',
      () => s.hooks.get(refused.id),
      (e) => (e?.consecutiveFailures ?? 0) >= 2,
    );
    expect(down!.lastError).toMatch(/connection refused/);
    expect(down!.lastError).toContain(`http://127.0.0.1:${closedPort}/…`);
    expect(down!.lastError).not.toMatch(/SECRET/);
    expect(down!.delivered).toBe(0);

    const deliveries = await s.metrics.webhookDeliveries.get();
    const count = (endpoint: number, outcome: string) =>
      deliveries.values.find((v) => v.labels.endpoint === String(endpoint) && v.labels.outcome === outcome)?.value ?? 0;
    expect(count(flaky.id, 'failed')).toBeGreaterThanOrEqual(3);
    expect(count(flaky.id, 'delivered')).toBeGreaterThanOrEqual(5);
    expect(count(slow.id, 'failed')).toBeGreaterThanOrEqual(1);
  });

  it('refuses private and loopback addresses unless PAPERBOY_WEBHOOK_ALLOW_PRIVATE=1', async () => {
    const s = await setup({ PAPERBOY_WEBHOOK_ALLOW_PRIVATE: '0' });
    const literal = await s.endpoint('/private');
    const named = await s.endpoint('/named', { url: `http://localhost:${s.receiver.port}/named` });
    await s.paperEvents([1]);
    const [a, b] = await waitFor(
      'both endpoints to record a failure',
      () => Promise.all([s.hooks.get(literal.id), s.hooks.get(named.id)]),
      (l) => l.every((e) => (e?.failed ?? 0) >= 1),
    );
    expect(a!.lastError).toMatch(
      /^refusing to deliver to 127\.0\.0\.1: .*loopback.*\(set PAPERBOY_WEBHOOK_ALLOW_PRIVATE=1 to allow\)$/,
    );
    expect(b!.lastError).toMatch(/^refusing to deliver to localhost: .*PAPERBOY_WEBHOOK_ALLOW_PRIVATE=1/);
    expect(a!.lastStatus).toBeNull();
    expect(samePosition(a!.cursor, literal.cursor)).toBe(true);
    expect(a!.delivered).toBe(0);
    expect(s.receiver.received).toHaveLength(0);
  });

  it('disables an endpoint that fails every attempt for the disabling period, and resumes once enabled', async () => {
    const s = await setup();
    const endpoint = await s.endpoint('/down');
    let up = false;
    s.receiver.on('/down', () => (up ? 200 : 503));
    await s.paperEvents([3, 3]);
    const disabled = await waitFor(
      'the endpoint to be disabled',
      () => s.hooks.get(endpoint.id),
      (e) => e?.enabled === false,
    );
    expect(disabled!.disabledReason).toMatch(/^failed every delivery for \d+ s \(\d+ attempts\); last error: HTTP 503/);
    expect(disabled!.consecutiveFailures).toBeGreaterThanOrEqual(3); // retried with backoff meanwhile
    expect(samePosition(disabled!.cursor, endpoint.cursor)).toBe(true);
    const disabledCount = (await s.metrics.webhooksDisabled.get()).values.find(
      (v) => v.labels.endpoint === String(endpoint.id),
    );
    expect(disabledCount?.value).toBe(1);

    // Disabled: nothing more is sent, though events wait.
    const attempts = s.receiver.of('/down').length;
    await s.paperEvents([3]);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.receiver.of('/down')).toHaveLength(attempts);

    // Enabled again (what `webhooks enable` does): the waiting events go, in order.
    up = true;
    await s.hooks.setEnabled(endpoint.id, true);
    const got = await waitFor(
      'the three events',
      () => firstSeen(s.receiver.of('/down').slice(attempts)),
      (l) => l.length >= 3,
    );
    expect(got.map(thresholdOf)).toEqual([1, 2, 3]);
  });

  it('delivers at once when an operator enables a failing endpoint, not after the backoff its job was waiting out', async () => {
    // A long backoff (an hour at most, 30 s at the first failure), and no disabling in this test's time.
    const s = await setup({ PAPERBOY_WEBHOOK_RETRY_BASE_MS: '30000', PAPERBOY_WEBHOOK_RETRY_MAX_MS: '3600000' });
    const endpoint = await s.endpoint('/fixed');
    let fixed = false;
    s.receiver.on('/fixed', () => (fixed ? 200 : 500));
    await s.paperEvents([9]);
    await waitFor(
      'a failure',
      () => s.hooks.get(endpoint.id),
      (e) => (e?.consecutiveFailures ?? 0) >= 1,
    );
    const attempts = s.receiver.of('/fixed').length;
    // The receiver is fixed and the operator says so (`webhooks enable`, which clears the failure run).
    fixed = true;
    await s.hooks.setEnabled(endpoint.id, true);
    const got = await waitFor(
      'the delivery after enable',
      () => firstSeen(s.receiver.of('/fixed').slice(attempts)),
      (l) => l.length >= 1,
      5000,
    );
    expect(got.map(paperOf)).toEqual([9]);
  });

  it('resumes from the position in Postgres when Redis loses the delivery job', async () => {
    const s = await setup();
    const endpoint = await s.endpoint('/lossy');
    let failing = false;
    s.receiver.on('/lossy', () => (failing ? 500 : 200));
    await s.paperEvents([5, 5, 5]);
    await waitFor(
      'the first three',
      () => s.hooks.get(endpoint.id),
      (e) => e?.delivered === 3,
    );
    failing = true;
    await s.paperEvents([5, 5]);
    await waitFor(
      'a run of failures (the job waiting out its backoff)',
      () => s.hooks.get(endpoint.id),
      (e) => (e?.consecutiveFailures ?? 0) >= 2,
    );
    // Redis loses everything of the queues (a flush); the schedule keeper declares the relay again.
    await deleteRedisPrefix(s.redisUrl, s.prefix);
    await syncEventSchedulers(s.queues, 100);
    const before = s.receiver.of('/lossy').length;
    failing = false;
    const got = await waitFor(
      'the last two',
      () => firstSeen(s.receiver.of('/lossy').slice(before)),
      (l) => l.length >= 2,
    );
    // Only what was after the position: the three delivered earlier are not sent again.
    expect(got.map(thresholdOf)).toEqual([4, 5]);
    const final = await waitFor(
      'the position to reach the end',
      () => s.hooks.get(endpoint.id),
      (e) => e?.delivered === 5,
    );
    expect(final).toMatchObject({ consecutiveFailures: 0, enabled: true });
  });
});
