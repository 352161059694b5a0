import { buildApi } from '@paperboy/api';
import { loadConfig } from '@paperboy/config';
import { SubscriberRepository } from '@paperboy/db';
import { createTransport } from '@paperboy/mail';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis, Queues, UnrecoverableError, type Worker } from '@paperboy/queue';
import {
  backdateConfirmationWindow,
  type SmtpTestServer,
  startSmtpTestServer,
  testEnvironment,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifierWorkers } from '../notifier.js';
import { createSendConfirmationHandler } from './send-confirmation.handler.js';

// The confirmation mail as a job: the API queues it, the notifier sends it through a real SMTP
// server, at most PAPERBOY_CONFIRMATIONS_PER_HOUR mails per address and hour.

const logger = pino({ level: 'silent' });
const job = { queueName: 'notify', id: 'test', name: 'send-confirmation', data: {} } as never;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(smtpOptions: Parameters<typeof startSmtpTestServer>[0] = {}, options: { workers?: boolean } = {}) {
  const testEnv = testEnvironment();
  const { prefix, redisUrl } = testEnv;
  const t = await testEnv.start();
  const smtp: SmtpTestServer = await startSmtpTestServer(smtpOptions);
  const config = loadConfig({
    SMTP_URL: smtp.url,
    PAPERBOY_SECRET: 'confirmation-test-secret-Tf6Nw2Qp9Lx4Zc',
    PAPERBOY_PUBLIC_URL: 'https://papers.example.org',
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_CONFIRMATIONS_PER_HOUR: '3',
  });
  const producer = createRedis(redisUrl, 'producer');
  const connection = createRedis(redisUrl, 'worker');
  const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
  const transport = createTransport({ smtpUrl: smtp.url, outboxDir: '/tmp/unused', pool: false });
  const workers: Worker[] =
    options.workers === false ? [] : createNotifierWorkers({ db: t.db, logger, config, connection, queues, transport });
  for (const worker of workers) void worker.run();
  const api = await buildApi({
    db: t.db,
    config,
    logger,
    redis: producer,
    jobs: queues,
    taxonomy: loadTaxonomy(),
    perIpPerMinute: 1000,
  });
  cleanups.push(
    () => testEnv.stop(),
    () => smtp.close(),
    async () => {
      producer.disconnect();
      connection.disconnect();
    },
    () => transport.close(),
    () => queues.close(),
    () => Promise.all(workers.map((w) => w.close(true))),
    () => api.close(),
  );
  const handler = createSendConfirmationHandler({ db: t.db, logger, config, transport });
  const subscribe = (email: string) =>
    api.inject({ method: 'POST', url: '/api/subscriptions', payload: { email, topics: ['llm'] } });
  /** Waits until the notify queue holds nothing left to do (every job sent, limited or failed). */
  const drained = async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const counts = await queues.get('notify').getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
      if (Object.values(counts).every((n) => n === 0)) return;
      if (Date.now() > deadline) throw new Error(`notify queue not drained: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const mailsTo = (email: string) => smtp.messages.filter((m) => m.rcptTo[0] === email);
  const confirmLink = (text: string) =>
    new URL(/https:\/\/papers\.example\.org\/confirm\?token=[\w.-]+/.exec(text)![0]);
  const status = async (email: string) =>
    await t.db
      .selectFrom('subscribers')
      .select(['id', 'status', 'confirmations_sent'])
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
  return { t, smtp, queues, api, handler, subscribe, drained, mailsTo, confirmLink, status, transport };
}

describe('send-confirmation', () => {
  it('subscribe → job → the mail arrives; its link confirms', async () => {
    const { api, subscribe, drained, mailsTo, confirmLink, status } = await setup();
    expect((await subscribe('ada@example.org')).statusCode).toBe(202);
    await drained();
    const mails = mailsTo('ada@example.org');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.parsed.subject).toBe('Confirm your paperboy subscription');
    const link = confirmLink(mails[0]!.parsed.text ?? '');
    expect((await api.inject({ method: 'POST', url: `${link.pathname}${link.search}` })).statusCode).toBe(200);
    expect((await status('ada@example.org')).status).toBe('active');
  }, 60_000);

  it('10 requests for one address: the same answer each time, at most 3 mails, and the owner confirms with a link received', async () => {
    const { api, subscribe, drained, mailsTo, confirmLink, status } = await setup();
    const answers = [];
    for (let i = 0; i < 10; i++) {
      answers.push(await subscribe('victim@example.org'));
      if (i % 2 === 1) await drained(); // let some sends happen between requests, as an attacker spacing them would
    }
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    await drained();
    const mails = mailsTo('victim@example.org');
    expect(mails.length).toBeGreaterThanOrEqual(1);
    expect(mails.length).toBeLessThanOrEqual(3);
    expect((await status('victim@example.org')).confirmations_sent).toBe(mails.length);
    // The owner asks once more after the attacker's burst: same answer, and any mail received still works.
    expect((await subscribe('victim@example.org')).body).toBe(answers[0]!.body);
    const link = confirmLink(mails[mails.length - 1]!.parsed.text ?? '');
    expect((await api.inject({ method: 'POST', url: `${link.pathname}${link.search}` })).statusCode).toBe(200);
    expect((await status('victim@example.org')).status).toBe('active');
  }, 60_000);

  it('sends at most 3 confirmation mails per address and hour, counting mails sent, not requests', async () => {
    const { t, smtp, handler, transport } = await setup({}, { workers: false });
    const { id } = await new SubscriberRepository(t.db).subscribe(
      'many@example.org',
      { topics: [], frequency: 'daily' },
      'pending',
    );
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push((await handler({ subscriberId: id }, job)).outcome);
    expect(outcomes).toEqual(['sent', 'sent', 'sent', ...Array(7).fill('limited')]);
    // An hour after the first mail, the address may get one again.
    await backdateConfirmationWindow(t.db, id, 61);
    expect((await handler({ subscriberId: id }, job)).outcome).toBe('sent');
    await transport.close();
    expect(smtp.messages).toHaveLength(4);
  });

  it('sends nothing to an address no longer pending (confirmed meanwhile, or bounced)', async () => {
    const { t, smtp, handler, transport } = await setup({}, { workers: false });
    const repo = new SubscriberRepository(t.db);
    const active = await repo.subscribe('active@example.org', { topics: [], frequency: 'daily' }, 'active');
    expect(await handler({ subscriberId: active.id }, job)).toEqual({ outcome: 'not-pending' });
    expect(await handler({ subscriberId: 999_999 }, job)).toEqual({ outcome: 'not-pending' });
    await transport.close();
    expect(smtp.messages).toHaveLength(0);
  });

  it('SMTP 4xx gives the mail back to the limit and retries; the retry sends', async () => {
    const { t, smtp, handler, transport, status } = await setup(
      { rejectRcpt: { responseCode: 451, message: 'Try again later' }, rejectTimes: 1 },
      { workers: false },
    );
    const { id } = await new SubscriberRepository(t.db).subscribe(
      'later@example.org',
      { topics: [], frequency: 'daily' },
      'pending',
    );
    const first = await handler({ subscriberId: id }, job).catch((e: unknown) => e);
    expect(first).not.toBeInstanceOf(UnrecoverableError);
    expect((first as { responseCode?: number }).responseCode).toBe(451);
    expect((await status('later@example.org')).confirmations_sent).toBe(0);
    expect(await handler({ subscriberId: id }, job)).toMatchObject({ outcome: 'sent' });
    await transport.close();
    expect(smtp.messages).toHaveLength(1);
  });

  it('through the worker, a 4xx is retried with backoff until the mail is sent', async () => {
    const { t, queues, drained, mailsTo } = await setup({
      rejectRcpt: { responseCode: 451, message: 'Try again later' },
      rejectTimes: 2,
    });
    const { id } = await new SubscriberRepository(t.db).subscribe(
      'retry@example.org',
      { topics: [], frequency: 'daily' },
      'pending',
    );
    // The default backoff starts at 15 s; a short one keeps the test quick, the retry path is the same.
    const added = await queues
      .get('notify')
      .add('send-confirmation', { subscriberId: id }, { attempts: 4, backoff: { type: 'fixed', delay: 50 } });
    await drained();
    expect(mailsTo('retry@example.org')).toHaveLength(1);
    const finished = await queues.get('notify').getJob(added.id!);
    expect(finished?.attemptsMade).toBe(3);
    expect(await finished?.getState()).toBe('completed');
  }, 60_000);

  it('an address that unsubscribed gets a new confirmation mail, and confirming re-activates it', async () => {
    const { t, api, subscribe, drained, mailsTo, confirmLink, status } = await setup();
    const repo = new SubscriberRepository(t.db);
    const { id } = await repo.subscribe('back@example.org', { topics: ['llm'], frequency: 'daily' }, 'active');
    await repo.unsubscribe(id);
    expect((await subscribe('back@example.org')).statusCode).toBe(202);
    await drained();
    const mails = mailsTo('back@example.org');
    expect(mails).toHaveLength(1);
    expect((await status('back@example.org')).status).toBe('pending');
    const link = confirmLink(mails[0]!.parsed.text ?? '');
    expect((await api.inject({ method: 'POST', url: `${link.pathname}${link.search}` })).statusCode).toBe(200);
    expect((await status('back@example.org')).status).toBe('active');
  }, 60_000);
});
