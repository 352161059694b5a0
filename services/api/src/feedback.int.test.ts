import { createHmac } from 'node:crypto';
import { loadConfig } from '@paperboy/config';
import { SubscriberRepository } from '@paperboy/db';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { insertPaperRows, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

/**
 * The one-click feedback links of digests against the real API, Postgres and Redis: a click records
 * the reader's word and queues their training; Undo takes it back (never a later opposite word);
 * forged, revoked and wrong-purpose links store nothing; HEAD records nothing; a mail scanner that
 * opens both links of a paper leaves no word.
 */
let t: TestDatabase;
let app: FastifyInstance;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const SECRET = 'feedback-test-secret-Hq7Lm2Wx9Rt4Zc';
const config = loadConfig({
  PAPERBOY_QUEUE_PREFIX: prefix,
  PAPERBOY_KEY_PREFIX: prefix,
  PAPERBOY_SECRET: SECRET,
  PAPERBOY_PUBLIC_URL: 'https://papers.example.org',
});
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const HOSTILE = 'Attention <script>alert("x")</script> & “quotes” are all you need';
let papers: { hostile: number; plain: number; other: number };
let seq = 0;

const api = (options: { feedbackPerIpPerMinute?: number } = {}) =>
  buildApi({
    db: t.db,
    config,
    logger: pino({ level: 'silent' }),
    redis,
    jobs: queues,
    taxonomy: loadTaxonomy(),
    perIpPerMinute: 1000,
    feedbackPerIpPerMinute: options.feedbackPerIpPerMinute ?? 1000,
  });

beforeAll(async () => {
  t = await testEnv.start();
  app = await api();
  const now = new Date();
  const [hostile, plain, other] = await insertPaperRows(
    t.db,
    [HOSTILE, 'Plain paper on diffusion', 'Another paper on graphs'].map((title, i) => ({
      arxiv_id: `2612.1000${i}`,
      title,
      title_key: `key ${i}`,
      abstract: 'An abstract.',
      first_seen_at: now,
      last_seen_at: now,
    })),
  );
  papers = { hostile: hostile!, plain: plain!, other: other! };
});
afterAll(async () => {
  await app?.close();
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

async function reader(): Promise<number> {
  const subscribers = new SubscriberRepository(t.db);
  return (await subscribers.subscribe(`fb${++seq}@example.org`, { topics: [], frequency: 'daily' }, 'active')).id;
}
const token = (subscriberId: number, paperId: number, signal: 1 | -1, version = 1, secret = SECRET) =>
  signToken(secret, 'feedback', subscriberId, null, version, { paperId, signal });
const feedbackRows = (subscriberId: number) =>
  t.db
    .selectFrom('paper_feedback')
    .select(['paper_id', 'signal', 'given_at'])
    .where('subscriber_id', '=', subscriberId)
    .orderBy('paper_id')
    .execute();
const trainingJobs = async (subscriberId: number) =>
  (await queues.get('planning').getJobs(['delayed', 'waiting', 'active', 'completed'])).filter(
    (j) => j.name === 'train-reader' && j.data.subscriberId === subscriberId,
  );
/** As if the notifier had run them: gone jobs no longer merge the next add. */
const runTrainings = async (subscriberId: number) => {
  for (const job of await trainingJobs(subscriberId)) await job.remove();
};
/** A click in a browser (the headers it sends on a navigation the user started). */
const click = (url: string) => app.inject({ method: 'GET', url, headers: { 'sec-fetch-user': '?1' } });
/** A fetch without those headers: a scanner, a link preview, an older browser. */
const open = (url: string) => app.inject({ method: 'GET', url });
const post = (url: string) => app.inject({ method: 'POST', url });
const invalid = (res: { statusCode: number; body: string }) =>
  res.statusCode === 400 && res.body.includes('The link is invalid or has expired');

describe('feedback links', () => {
  it('one click records the word, queues the training and confirms with the title escaped, Undo and preferences links', async () => {
    const id = await reader();
    const more = token(id, papers.hostile, 1);
    const res = await click(`/feedback?token=${more}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(
      'Noted: you want more papers like “Attention &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; “quotes” are all you need”.',
    );
    expect(res.body).not.toContain('<script>');
    expect(res.body).toContain(
      `<form method="post" action="/feedback/undo?token=${more}"><button type="submit">Undo</button>`,
    );
    expect(await feedbackRows(id)).toEqual([expect.objectContaining({ paper_id: papers.hostile, signal: 1 })]);
    const jobs = await trainingJobs(id);
    expect(jobs.map((j) => j.data)).toEqual([{ subscriberId: id }]);
    expect(await jobs[0]!.isDelayed()).toBe(true); // merged with the next clicks of the digest

    // The preferences link on the page works (signed with the reader's current version).
    const preferences = /href="(\/preferences\?token=[^"]+)"/.exec(res.body)?.[1];
    expect(preferences).toBeDefined();
    const page = await app.inject({ method: 'GET', url: preferences!.replaceAll('&amp;', '&') });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('What paperboy learned about you');

    // A second click changes nothing: same word, same time, no second training while one waits.
    const before = await feedbackRows(id);
    expect((await click(`/feedback?token=${more}`)).statusCode).toBe(200);
    expect(await feedbackRows(id)).toEqual(before);
    expect(await trainingJobs(id)).toHaveLength(1);
  });

  it('Undo removes the word and queues a training; the page offers the link again', async () => {
    const id = await reader();
    const less = token(id, papers.plain, -1);
    await click(`/feedback?token=${less}`);
    await runTrainings(id);
    const res = await post(`/feedback/undo?token=${less}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Undone</h1>');
    expect(res.body).toContain('paperboy forgets that you want fewer papers like “Plain paper on diffusion”');
    expect(res.body).toContain(`<a href="/feedback?token=${less}">Redo: fewer papers like this</a>`);
    expect(await feedbackRows(id)).toEqual([]);
    expect(await trainingJobs(id)).toHaveLength(1);
    // Redo: the same link records it again.
    await click(`/feedback?token=${less}`);
    expect(await feedbackRows(id)).toEqual([expect.objectContaining({ signal: -1 })]);
  });

  it('Undo after a change of mind gives back the earlier word, with its time', async () => {
    const id = await reader();
    const more = token(id, papers.other, 1);
    const less = token(id, papers.other, -1);
    // "More" last week; today the reader clicks "less" on the same paper.
    await post(`/feedback?token=${more}`);
    const lastWeek = new Date(Date.now() - 7 * 86_400_000);
    await t.db.updateTable('paper_feedback').set({ given_at: lastWeek }).where('subscriber_id', '=', id).execute();
    expect((await click(`/feedback?token=${less}`)).body).toContain('Noted: you want fewer papers like');
    expect(await feedbackRows(id)).toEqual([expect.objectContaining({ signal: -1 })]);
    await runTrainings(id);

    const res = await post(`/feedback/undo?token=${less}`);
    expect(res.body).toContain('<h1>Undone</h1>');
    expect(res.body).toContain('Your earlier word stands again: you want more papers like it.');
    expect(await feedbackRows(id)).toEqual([{ paper_id: papers.other, signal: 1, given_at: lastWeek }]);
    expect(await trainingJobs(id)).toHaveLength(1);
    // One level: Undo again changes nothing ("less" is no longer the word); undoing "more" leaves none.
    expect((await post(`/feedback/undo?token=${less}`)).body).toContain('<h1>Nothing to undo</h1>');
    const last = await post(`/feedback/undo?token=${more}`);
    expect(last.body).toContain('<h1>Undone</h1>');
    expect(last.body).not.toContain('earlier word');
    expect(await feedbackRows(id)).toEqual([]);
  });

  it('an old Undo does not remove a later opposite word', async () => {
    const id = await reader();
    const more = token(id, papers.plain, 1);
    const less = token(id, papers.plain, -1);
    await click(`/feedback?token=${more}`);
    // Changed their mind at once: both links of the paper opened within the scanner window are
    // asked about, and the page's button records the latest word.
    expect((await click(`/feedback?token=${less}`)).body).toContain('Was this you?');
    expect(await feedbackRows(id)).toEqual([]);
    expect((await post(`/feedback?token=${less}`)).body).toContain('Noted: you want fewer papers like');
    expect(await feedbackRows(id)).toEqual([expect.objectContaining({ signal: -1 })]);
    await runTrainings(id);
    const res = await post(`/feedback/undo?token=${more}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Nothing to undo</h1>');
    expect(await feedbackRows(id)).toEqual([expect.objectContaining({ signal: -1 })]);
    expect(await trainingJobs(id)).toEqual([]);
  });

  it('forged, revoked and wrong-purpose links get the invalid-link page and store nothing', async () => {
    const id = await reader();
    const victim = await reader();
    const more = token(id, papers.plain, 1);
    const [payload, signature] = more.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const tampered = (change: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${signature}`;
    const resigned = (change: Record<string, unknown>, key: string) => {
      const body = Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url');
      return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
    };
    const forged = [
      tampered({ g: -1 }), // the signal flipped
      tampered({ x: papers.other }), // another paper
      tampered({ s: victim }), // another subscriber
      resigned({}, 'not-the-secret'),
      token(id, papers.plain, 1, 1, 'another-deployment-secret'),
      signToken(SECRET, 'preferences', id, null, 1), // another purpose
      signToken(SECRET, 'unsubscribe', id, null, 1),
      resigned({ x: 'x' }, SECRET), // a well-signed token without a valid claim
      resigned({ g: 0 }, SECRET),
      token(id, papers.plain, 1, 2), // a version not yet issued
      'garbage',
      '',
    ];
    for (const forgedToken of forged) {
      expect(invalid(await click(`/feedback?token=${encodeURIComponent(forgedToken)}`)), forgedToken).toBe(true);
      expect(invalid(await post(`/feedback?token=${encodeURIComponent(forgedToken)}`)), forgedToken).toBe(true);
      expect(invalid(await post(`/feedback/undo?token=${encodeURIComponent(forgedToken)}`)), forgedToken).toBe(true);
    }
    // A feedback token does not open the preferences page either.
    expect(invalid(await click(`/preferences?token=${more}`))).toBe(true);
    expect(await feedbackRows(id)).toEqual([]);
    expect(await feedbackRows(victim)).toEqual([]);

    // Revoked: "sign out every link" after the digest went out.
    await new SubscriberRepository(t.db).signOutEverywhere(id);
    expect(invalid(await click(`/feedback?token=${more}`))).toBe(true);
    expect(await feedbackRows(id)).toEqual([]);
    expect(await trainingJobs(id)).toEqual([]);
    expect(await trainingJobs(victim)).toEqual([]);
  });

  it('HEAD records nothing, and checks the link as GET does', async () => {
    const id = await reader();
    const res = await app.inject({ method: 'HEAD', url: `/feedback?token=${token(id, papers.plain, 1)}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await app.inject({ method: 'HEAD', url: '/feedback?token=garbage' })).statusCode).toBe(400);
    expect(await feedbackRows(id)).toEqual([]);
    expect(await trainingJobs(id)).toEqual([]);
  });

  it('a paper merged away or deleted since the digest: a clear page, nothing stored', async () => {
    const id = await reader();
    const [gone] = await insertPaperRows(t.db, [
      {
        arxiv_id: '2612.19999',
        title: 'Soon merged',
        title_key: 'soon merged',
        first_seen_at: new Date(),
        last_seen_at: new Date(),
      },
    ]);
    await t.db.deleteFrom('papers').where('id', '=', gone!).execute();
    const res = await click(`/feedback?token=${token(id, gone!, 1)}`);
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('This paper is no longer here');
    expect(await feedbackRows(id)).toEqual([]);
    expect(await trainingJobs(id)).toEqual([]);
  });

  it('a mail scanner opening both links of a paper leaves no word; the page button records', async () => {
    const id = await reader();
    const more = token(id, papers.plain, 1);
    const less = token(id, papers.plain, -1);
    const moreOther = token(id, papers.other, 1);
    const lessOther = token(id, papers.other, -1);
    // The scanner opens every link of the mail (with or without Sec-Fetch headers: headless
    // Chromium sends Sec-Fetch-User ?1 on a scripted navigation too).
    expect((await open(`/feedback?token=${more}`)).body).toContain('Noted');
    const second = await click(`/feedback?token=${less}`);
    expect(second.statusCode).toBe(200);
    expect(second.headers['cache-control']).toBe('no-store');
    expect(second.body).toContain('Was this you?');
    expect(second.body).toContain(`<form method="post" action="/feedback?token=${less}">`);
    await open(`/feedback?token=${moreOther}`);
    await open(`/feedback?token=${lessOther}`);
    // A second pass of the scanner does not bring a word back.
    expect((await open(`/feedback?token=${more}`)).body).toContain('Was this you?');
    expect(await feedbackRows(id)).toEqual([]);

    // The person, soon after the scan: asked once more, the button records (a form post is a person).
    expect((await click(`/feedback?token=${more}`)).body).toContain('Was this you?');
    expect((await post(`/feedback?token=${more}`)).body).toContain('Noted: you want more papers like');
    expect((await post(`/feedback?token=${lessOther}`)).body).toContain('Noted: you want fewer papers like');
    expect(await feedbackRows(id)).toEqual([
      expect.objectContaining({ paper_id: papers.plain, signal: 1 }),
      expect.objectContaining({ paper_id: papers.other, signal: -1 }),
    ]);
  });

  it("a scanner's pass over an old digest leaves the reader's earlier word as it was, whichever link it opens first", async () => {
    const id = await reader();
    const hourAgo = new Date(Date.now() - 3600_000);
    const backdate = () =>
      t.db.updateTable('paper_feedback').set({ given_at: hourAgo }).where('subscriber_id', '=', id).execute();
    // The reader said "less" about one paper and "more" about another, an hour ago.
    await post(`/feedback?token=${token(id, papers.plain, -1)}`);
    await post(`/feedback?token=${token(id, papers.other, 1)}`);
    await backdate();
    const before = await feedbackRows(id);
    // A scanner opens every link of that digest again: "more" first, then "less".
    expect((await open(`/feedback?token=${token(id, papers.plain, 1)}`)).body).toContain('Noted'); // flips it, for now
    expect((await open(`/feedback?token=${token(id, papers.plain, -1)}`)).body).toContain('Was this you?');
    expect((await open(`/feedback?token=${token(id, papers.other, 1)}`)).body).toContain('Noted'); // the same word
    expect((await open(`/feedback?token=${token(id, papers.other, -1)}`)).body).toContain('Was this you?');
    expect(await feedbackRows(id)).toEqual(before); // both words, with their times
  });

  it('a single opening records, with or without Sec-Fetch headers: one click is enough', async () => {
    const id = await reader();
    const res = await open(`/feedback?token=${token(id, papers.other, 1)}`);
    expect(res.body).toContain('Noted: you want more papers like “Another paper on graphs”');
    expect(await feedbackRows(id)).toEqual([expect.objectContaining({ paper_id: papers.other, signal: 1 })]);
  });

  it('the scanner window ends: opposite words opened later are a change of mind, the latest wins', async () => {
    const short = await buildApi({
      db: t.db,
      config,
      logger: pino({ level: 'silent' }),
      redis,
      jobs: queues,
      taxonomy: loadTaxonomy(),
      feedbackScannerWindowMs: 300,
      feedbackPerIpPerMinute: 1000, // the main app's requests count against the same per-client budget
    });
    try {
      const id = await reader();
      await short.inject({ url: `/feedback?token=${token(id, papers.plain, 1)}` });
      await new Promise((r) => setTimeout(r, 400));
      const res = await short.inject({ url: `/feedback?token=${token(id, papers.plain, -1)}` });
      expect(res.body).toContain('Noted: you want fewer papers like');
      expect(await feedbackRows(id)).toEqual([expect.objectContaining({ signal: -1 })]);
    } finally {
      await short.close();
    }
  });

  it('is limited per client', async () => {
    const limited = await api({ feedbackPerIpPerMinute: 2 });
    try {
      const id = await reader();
      const statuses: number[] = [];
      for (const paper of [papers.plain, papers.other, papers.hostile])
        statuses.push(
          (await limited.inject({ url: `/feedback?token=${token(id, paper, 1)}`, remoteAddress: '203.0.113.9' }))
            .statusCode,
        );
      expect(statuses).toEqual([200, 200, 429]);
      expect(await feedbackRows(id)).toHaveLength(2);
      // A person over the limit reads a page, with when to try again; the undo counts in the same budget.
      const over = await limited.inject({
        method: 'POST',
        url: `/feedback/undo?token=${token(id, papers.plain, 1)}`,
        remoteAddress: '203.0.113.9',
      });
      expect(over.statusCode).toBe(429);
      expect(over.headers['content-type']).toContain('text/html');
      expect(over.body).toContain('Too many feedback clicks from your address');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      expect(await feedbackRows(id)).toHaveLength(2);
      // Counted under the limit's own name, once for every route of it (no route segment of undefineds).
      const keys = await redis.keys(`${prefix}:ratelimit:*`);
      expect(keys).toContain(`${prefix}:ratelimit:feedback:203.0.113.9`);
      expect(keys.filter((k) => k.includes('undefined'))).toEqual([]);
      expect(Number(await redis.get(`${prefix}:ratelimit:feedback:203.0.113.9`))).toBe(4);
      expect(await redis.pttl(`${prefix}:ratelimit:feedback:203.0.113.9`)).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
