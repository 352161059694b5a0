import { loadConfig } from '@paperboy/config';
import { DigestRepository, SubscriberRepository } from '@paperboy/db';
import { createTransport, type MailTransport } from '@paperboy/mail';
import { createRedis, type RedisClient, UnrecoverableError } from '@paperboy/queue';
import {
  createTestDatabase,
  deleteRedisPrefix,
  renameTable,
  requireEnv,
  type SmtpTestServer,
  seedSendDigestPapers,
  startSmtpTestServer,
  type TestDatabase,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestCandidates } from '../candidates.js';
import { MailRateLimit } from '../mail-rate.js';
import { createSendDigestsHandler, DigestsDeferredError } from './send-digests.handler.js';

// send-digests on a real Postgres, Redis (the rate limit) and SMTP server: each delivery of a chunk
// keeps the guarantee of send-digest.handler.ts whatever happens to the others.

let t: TestDatabase;
let redis: RedisClient;
const prefix = `test-send-digests-${process.pid}-${Date.now()}`;
const servers: SmtpTestServer[] = [];
const transports: MailTransport[] = [];
const logger = pino({ level: 'silent' });
const TEST_SECRET = 'send-digests-test-secret-Hw4Pz8Qm2Ty6Rc1';
const job = { queueName: 'notify', id: 'test', name: 'send-digests', data: {} } as never;
let run = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedSendDigestPapers(t.db);
  redis = createRedis(requireEnv('TEST_REDIS_URL'), 'producer');
});
afterAll(async () => {
  await Promise.all(transports.map((x) => x.close()));
  await Promise.all(servers.map((s) => s.close()));
  redis?.disconnect();
  await deleteRedisPrefix(requireEnv('TEST_REDIS_URL'), prefix);
  await t?.drop();
});

async function server(options: Parameters<typeof startSmtpTestServer>[0] = {}) {
  const s = await startSmtpTestServer(options);
  servers.push(s);
  return s;
}

/** `n` active subscribers with a planned delivery each; a handler sending through a pool of `connections`. */
async function setup(
  smtp: SmtpTestServer,
  n: number,
  options: { env?: Record<string, string>; connections?: number; rateLimit?: MailRateLimit } = {},
) {
  run += 1;
  const config = loadConfig({
    SMTP_URL: smtp.url,
    PAPERBOY_SECRET: TEST_SECRET,
    PAPERBOY_PUBLIC_URL: 'https://localhost:3000',
    ...options.env,
  });
  const subscribers = new SubscriberRepository(t.db);
  const due = [];
  for (let i = 0; i < n; i++) {
    const email = `r${run}-${i}@example.org`;
    const { id } = await subscribers.subscribe(email, { topics: ['llm'], frequency: 'daily' }, 'active');
    due.push({ id, email, periodKey: 'daily-2026-12-07' });
  }
  const planned = await new DigestRepository(t.db).planDeliveries(due);
  const transport = createTransport({
    smtpUrl: smtp.url,
    outboxDir: '/tmp/unused',
    maxConnections: options.connections ?? 3,
  });
  transports.push(transport);
  const handler = createSendDigestsHandler({
    db: t.db,
    logger,
    config,
    transport,
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
  });
  return { handler, transport, deliveryIds: planned.map((d) => d.deliveryId), emails: due.map((d) => d.email) };
}

const statuses = async (ids: number[]) =>
  t.db
    .selectFrom('deliveries')
    .select(['id', 'status', 'attempts', 'error'])
    .where('id', 'in', ids)
    .orderBy('id')
    .execute();

const perRecipient = (smtp: SmtpTestServer) => {
  const counts = new Map<string, number>();
  for (const m of smtp.messages) for (const r of m.rcptTo) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
};

describe('send-digests', () => {
  it('claims a chunk in one go and sends each digest once; the same job again, or a second worker on it, sends nothing twice', async () => {
    const smtp = await server();
    const { handler, deliveryIds, emails } = await setup(smtp, 12);
    // Two workers on the same chunk at once (a stalled job handed on while its first worker runs).
    const [a, b] = await Promise.all([handler({ deliveryIds }, job), handler({ deliveryIds }, job)]);
    expect(a.claimed + b.claimed).toBe(12);
    expect(a.sent + b.sent).toBe(12);
    // A retry of the finished chunk claims nothing.
    expect(await handler({ deliveryIds }, job)).toMatchObject({ claimed: 0, sent: 0 });
    expect(smtp.messages).toHaveLength(12);
    expect([...perRecipient(smtp).entries()].sort()).toEqual(emails.map((e) => [e, 1]).sort());
    for (const row of await statuses(deliveryIds)) expect(row).toMatchObject({ status: 'sent', attempts: 1 });
    const papers = await t.db
      .selectFrom('delivered_papers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('delivery_id', 'in', deliveryIds)
      .executeTakeFirstOrThrow();
    expect(Number(papers.n)).toBe(24); // two papers each, recorded so no later digest repeats them
  });

  it('a 4xx on one mail of a chunk: the others are finished sent, that one is released; the retry sends it, once', async () => {
    const smtp = await server({ rejectRcpt: { responseCode: 451, message: 'Try again later' }, rejectTimes: 1 });
    const { handler, deliveryIds, emails } = await setup(smtp, 6);
    const first = await handler({ deliveryIds }, job).catch((e) => e);
    expect(first).toBeInstanceOf(DigestsDeferredError);
    expect(first.message).toMatch(/1 of 6 digests deferred/);
    const after = await statuses(deliveryIds);
    expect(after.filter((r) => r.status === 'sent')).toHaveLength(5);
    expect(after.filter((r) => r.status === 'planned')).toHaveLength(1);
    expect(smtp.messages).toHaveLength(5);
    // The retry (same payload) re-claims only the one still planned.
    expect(await handler({ deliveryIds }, job)).toMatchObject({ claimed: 1, sent: 1 });
    expect(smtp.messages).toHaveLength(6);
    expect([...perRecipient(smtp).values()]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(new Set(perRecipient(smtp).keys())).toEqual(new Set(emails));
    const rows = await statuses(deliveryIds);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(rows.map((r) => r.attempts).sort()).toEqual([1, 1, 1, 1, 1, 2]);
  });

  it('a 5xx on one mail fails that delivery and counts a bounce; the others are sent and the job ends', async () => {
    const smtp = await server({ rejectRcpt: { responseCode: 550, message: 'No such user' }, rejectTimes: 1 });
    const { handler, deliveryIds } = await setup(smtp, 4, { env: { PAPERBOY_BOUNCE_LIMIT: '1' } });
    expect(await handler({ deliveryIds }, job)).toMatchObject({ claimed: 4, sent: 3, failed: 1, uncertain: 0 });
    const rows = await statuses(deliveryIds);
    const failed = rows.filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(3);
    const bounced = await t.db
      .selectFrom('subscribers as s')
      .innerJoin('deliveries as d', 'd.subscriber_id', 's.id')
      .select(['s.status', 's.hard_bounces'])
      .where('d.id', '=', failed[0]!.id)
      .executeTakeFirstOrThrow();
    expect(bounced).toEqual({ status: 'bounced', hard_bounces: 1 });
    expect(await handler({ deliveryIds }, job)).toMatchObject({ claimed: 0 });
    expect(smtp.messages).toHaveLength(3);
  });

  it('no reply after the data of one mail: that delivery stays claimed (stuck, never retried), the others are sent', async () => {
    const smtp = await server({ stallData: 1 });
    // One connection: the first mail stalls, the rest wait for the pool and go out once it is cut.
    const { handler, deliveryIds } = await setup(smtp, 4, { connections: 1 });
    const sending = handler({ deliveryIds }, job);
    while (smtp.stalled < 1) await new Promise((r) => setTimeout(r, 20));
    smtp.dropConnections(); // the server crashes before answering the final dot
    const error = await sending.catch((e) => e);
    expect(error).toBeInstanceOf(UnrecoverableError); // failed for good, listed as such; never retried
    expect(error.message).toMatch(/outcome unknown, left claimed: 1 of 4 digests \(3 sent/);
    const rows = await statuses(deliveryIds);
    const unsure = rows.filter((r) => r.status === 'claimed');
    expect(unsure).toHaveLength(1);
    expect(unsure[0]!.error).toMatch(/^outcome unknown/);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(3);
    // A retry of the job sends nothing: at most once.
    expect(await handler({ deliveryIds }, job)).toMatchObject({ claimed: 0 });
    expect(smtp.messages).toHaveLength(3);
  });

  it('a failure filling the digests (before any SMTP) releases the chunk for the retry, which sends each once', async () => {
    const smtp = await server();
    const { deliveryIds, emails } = await setup(smtp, 3);
    class Failing extends DigestCandidates {
      override async digestPapersOf(): Promise<never> {
        throw new Error('candidates look-up failed');
      }
    }
    const config = loadConfig({ SMTP_URL: smtp.url, PAPERBOY_SECRET: TEST_SECRET });
    const transport = createTransport({ smtpUrl: smtp.url, outboxDir: '/tmp/unused' });
    transports.push(transport);
    const failing = createSendDigestsHandler({ db: t.db, logger, config, transport, candidates: new Failing(t.db) });
    await expect(failing({ deliveryIds }, job)).rejects.toThrow(/candidates look-up failed/);
    expect((await statuses(deliveryIds)).map((r) => r.status)).toEqual(['planned', 'planned', 'planned']);
    const working = createSendDigestsHandler({ db: t.db, logger, config, transport });
    expect(await working({ deliveryIds }, job)).toMatchObject({ claimed: 3, sent: 3 });
    expect([...perRecipient(smtp).entries()].sort()).toEqual(emails.map((e) => [e, 1]).sort());
  });

  it('Postgres failing the write after the server accepted: those deliveries stay claimed (stuck), the job fails, no retry sends them again', async () => {
    const smtp = await server();
    const { transport, deliveryIds, emails } = await setup(smtp, 3);
    const config = loadConfig({ SMTP_URL: smtp.url, PAPERBOY_SECRET: TEST_SECRET });
    // The fault, injected between the SMTP server's acceptance of the first mail and the write that
    // records it: every statement on delivered_papers fails until the table is back.
    let broken = false;
    const breaking: MailTransport = {
      close: () => transport.close(),
      send: async (mail) => {
        const sent = await transport.send(mail);
        if (!broken) {
          broken = true;
          await renameTable(t.db, 'delivered_papers', 'delivered_papers_away');
        }
        return sent;
      },
    };
    const handler = createSendDigestsHandler({ db: t.db, logger, config, transport: breaking });
    try {
      await expect(handler({ deliveryIds }, job)).rejects.toThrow(/delivered_papers/);
    } finally {
      if (broken) await renameTable(t.db, 'delivered_papers_away', 'delivered_papers');
    }
    expect(smtp.messages).toHaveLength(3);
    expect((await statuses(deliveryIds)).map((r) => r.status)).toEqual(['claimed', 'claimed', 'claimed']);
    // BullMQ's retry of the job, with Postgres whole again: claims none, sends none.
    const retry = createSendDigestsHandler({ db: t.db, logger, config, transport });
    expect(await retry({ deliveryIds }, job)).toMatchObject({ claimed: 0, sent: 0 });
    expect([...perRecipient(smtp).entries()].sort()).toEqual(emails.map((e) => [e, 1]).sort());
  });

  it('the rate limit counts mails, not jobs: a chunk takes one per claimed delivery and gives back the rest', async () => {
    const smtp = await server();
    const limit = new MailRateLimit(redis, `${prefix}-count`, 1000);
    const { handler, deliveryIds } = await setup(smtp, 5, { rateLimit: limit });
    await new SubscriberRepository(t.db).claimDelivery(deliveryIds[0]!); // another worker holds one
    expect(await handler({ deliveryIds }, job)).toMatchObject({ claimed: 4, sent: 4 });
    expect(Number(await redis.get(`${prefix}-count:mail-rate`))).toBe(4);
  });

  it('the rate limit holds a chunk to its mails a window, across processes sharing it', async () => {
    const smtp = await server();
    // 3 mails a 1-second window, shared with another "process" that already spent 2 of this window.
    const ours = new MailRateLimit(redis, `${prefix}-window`, 3, 1000);
    const other = new MailRateLimit(redis, `${prefix}-window`, 3, 1000);
    const { handler, deliveryIds } = await setup(smtp, 5, { rateLimit: ours });
    await other.take(2);
    const started = Date.now();
    const result = await handler({ deliveryIds }, job);
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ sent: 5 });
    // 1 mail left in the first window, 3 in the second, 1 in the third: two window ends waited for.
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(smtp.messages).toHaveLength(5);
  });
});
