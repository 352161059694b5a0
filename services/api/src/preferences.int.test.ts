import { loadConfig } from '@paperboy/config';
import { ReaderRepository, SubscriberRepository } from '@paperboy/db';
import {
  emptyReaderModel,
  loadTaxonomy,
  paperFeatures,
  serializeReaderModel,
  signToken,
  trainReaderModel,
} from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { insertPaperRows, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

/**
 * Followed authors, keywords and negative keywords on the preferences page and its JSON API, and
 * "what paperboy learned" with its clear button, against the real API and Postgres.
 */
let t: TestDatabase;
let app: FastifyInstance;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const SECRET = 'preferences-test-secret-Vn3Kp8Qs1Xy6Jd';
const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_SECRET: SECRET });
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
let seq = 0;

beforeAll(async () => {
  t = await testEnv.start();
  app = await buildApi({
    db: t.db,
    config,
    logger: pino({ level: 'silent' }),
    redis,
    jobs: queues,
    taxonomy: loadTaxonomy(),
    perIpPerMinute: 1000,
  });
});
afterAll(async () => {
  await app?.close();
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

async function reader(): Promise<{ id: number; token: string }> {
  const subscriber = await new SubscriberRepository(t.db).subscribe(
    `prefs${++seq}@example.org`,
    { topics: ['llm'], frequency: 'daily' },
    'active',
  );
  return { id: subscriber.id, token: signToken(SECRET, 'preferences', subscriber.id, null, subscriber.tokenVersion) };
}
const form = (url: string, fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(key, v);
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  });
};
const basics = {
  topics: ['llm'],
  frequency: 'daily',
  sendHour: '8',
  timeZone: 'UTC',
  minUpvotes: '0',
  maxPapers: '10',
};
const stored = (id: number) =>
  t.db
    .selectFrom('subscriber_preferences')
    .select(['followed_authors', 'keywords', 'negative_keywords', 'max_papers', 'frequency'])
    .where('subscriber_id', '=', id)
    .executeTakeFirstOrThrow();

describe('preferences: followed authors, keywords, negative keywords', () => {
  it('the page saves the three lists (lines or commas; trimmed, empty and duplicate items dropped) and shows them', async () => {
    const { id, token } = await reader();
    const page = await app.inject({ url: `/preferences?token=${token}` });
    for (const name of ['followedAuthors', 'keywords', 'negativeKeywords'])
      expect(page.body).toContain(`<textarea name="${name}"`);
    const saved = await form(`/preferences?token=${token}`, {
      ...basics,
      followedAuthors: 'Yann LeCun\r\n  Fei-Fei Li ; yann lecun\r\n\r\n',
      keywords: 'RLHF, reward model,\r\nrlhf, <b>DPO</b>',
      negativeKeywords: 'survey, benchmark',
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Saved.');
    expect(await stored(id)).toMatchObject({
      followed_authors: ['Yann LeCun', 'Fei-Fei Li'],
      keywords: ['RLHF', 'reward model', '<b>DPO</b>'],
      negative_keywords: ['survey', 'benchmark'],
    });
    expect(saved.body).toContain('RLHF\nreward model\n&lt;b&gt;DPO&lt;/b&gt;</textarea>');
    expect(saved.body).not.toContain('<b>DPO</b>');
  });

  it('names the field of a list that is too long, has a too long item or a control character; nothing is stored', async () => {
    const { id, token } = await reader();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ keywords: Array.from({ length: 51 }, (_, i) => `k${i}`).join(',') }, /keywords: at most 50 items, got 51/],
      [{ negativeKeywords: 'x'.repeat(101) }, /negativeKeywords: &quot;x{20}…&quot; is longer than 100 characters/],
      [{ followedAuthors: 'Ada\u0007Lovelace' }, /followedAuthors: an item contains a control character/],
    ];
    for (const [fields, error] of cases) {
      const res = await form(`/preferences?token=${token}`, { ...basics, ...fields });
      expect(res.statusCode).toBe(400);
      expect(res.body).toMatch(error);
    }
    expect(await stored(id)).toMatchObject({ followed_authors: [], keywords: [], negative_keywords: [] });
    // Fifty distinct items after dropping duplicates are fine.
    const fifty = [...Array.from({ length: 50 }, (_, i) => `k${i}`), 'K1', 'k2'].join(',');
    expect((await form(`/preferences?token=${token}`, { ...basics, keywords: fifty })).statusCode).toBe(200);
    expect((await stored(id)).keywords).toHaveLength(50);
  });

  it('the JSON API reads and updates them (only the fields given), with 400 on bad input and on a bad link', async () => {
    const { id, token } = await reader();
    const got = await app.inject({ url: `/api/preferences?token=${token}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual({
      topics: ['llm'],
      frequency: 'daily',
      sendHour: 8,
      timeZone: 'UTC',
      minUpvotes: 0,
      maxPapers: 10,
      followedAuthors: [],
      keywords: [],
      negativeKeywords: [],
    });
    const put = await app.inject({
      method: 'PUT',
      url: `/api/preferences?token=${token}`,
      payload: { followedAuthors: ['Smith, J.', ' smith, j. ', 'Doe, A.'], negativeKeywords: 'survey, benchmark' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      frequency: 'daily',
      maxPapers: 10,
      followedAuthors: ['Smith, J.', 'Doe, A.'],
      keywords: [],
      negativeKeywords: ['survey', 'benchmark'],
    });
    // The page shows the lists one a line and saves them back unchanged (names with commas included).
    const page = await app.inject({ url: `/preferences?token=${token}` });
    const textarea = (name: string) =>
      new RegExp(`<textarea name="${name}"[^>]*>([^<]*)</textarea>`).exec(page.body)![1]!.replaceAll('&amp;', '&');
    expect(textarea('followedAuthors')).toBe('Smith, J.\nDoe, A.');
    const resaved = await form(`/preferences?token=${token}`, {
      ...basics,
      followedAuthors: textarea('followedAuthors'),
      keywords: textarea('keywords'),
      negativeKeywords: textarea('negativeKeywords'),
    });
    expect(resaved.statusCode).toBe(200);
    expect(await stored(id)).toMatchObject({
      followed_authors: ['Smith, J.', 'Doe, A.'],
      negative_keywords: ['survey', 'benchmark'],
    });
    // An item that could not be written back as text is refused.
    const comma = await app.inject({
      method: 'PUT',
      url: `/api/preferences?token=${token}`,
      payload: { keywords: ['reward, model'] },
    });
    expect(comma.statusCode).toBe(400);
    expect(comma.json().details).toEqual([
      'keywords: "reward, model" contains a comma, which separates the items of this list',
    ]);

    // Partial: a later update of one field keeps the others.
    await app.inject({ method: 'PUT', url: `/api/preferences?token=${token}`, payload: { maxPapers: 5 } });
    expect(await stored(id)).toMatchObject({ max_papers: 5, followed_authors: ['Smith, J.', 'Doe, A.'] });

    const bad = await app.inject({
      method: 'PUT',
      url: `/api/preferences?token=${token}`,
      payload: { keywords: ['ok', 'x'.repeat(101)], maxPapers: 0, colour: 'blue' },
    });
    expect(bad.statusCode).toBe(400);
    const details = bad.json().details as string[];
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^keywords: /),
        expect.stringMatching(/^maxPapers: /),
        expect.stringMatching(/colour/),
      ]),
    );
    expect(await stored(id)).toMatchObject({ max_papers: 5, keywords: [] });

    for (const url of [
      `/api/preferences?token=${signToken(SECRET, 'unsubscribe', id, null, 1)}`,
      `/api/preferences?token=${signToken('other', 'preferences', id, null, 1)}`,
      '/api/preferences',
    ]) {
      expect((await app.inject({ url })).statusCode).toBe(400);
      expect((await app.inject({ method: 'PUT', url, payload: { maxPapers: 3 } })).json()).toEqual({
        error: 'invalid link',
      });
      expect((await app.inject({ url: url.replace('/api/preferences', '/api/preferences/learned') })).statusCode).toBe(
        400,
      );
    }
    expect(await stored(id)).toMatchObject({ max_papers: 5 });
  });

  it('refuses a keyword that is also a negative keyword, given together or against the stored list, page and API', async () => {
    const { id, token } = await reader();
    const url = `/api/preferences?token=${token}`;
    expect((await app.inject({ method: 'PUT', url, payload: { keywords: ['memory'] } })).statusCode).toBe(200);
    // Only the negative list given: checked against the stored keywords (stemmed, any case).
    const against = await app.inject({ method: 'PUT', url, payload: { negativeKeywords: ['Memory', 'survey'] } });
    expect(against.statusCode).toBe(400);
    expect(against.json()).toEqual({
      error: 'invalid request',
      details: [
        'negativeKeywords: "memory" is both a keyword and a negative keyword: a paper with it would be excluded; keep it in one list',
      ],
    });
    const together = await app.inject({
      method: 'PUT',
      url,
      payload: { keywords: ['diffusion models'], negativeKeywords: ['Diffusion Model'] },
    });
    expect(together.statusCode).toBe(400);
    expect(await stored(id)).toMatchObject({ keywords: ['memory'], negative_keywords: [] });
    // Moving it from one list to the other in one update is fine.
    const moved = await app.inject({ method: 'PUT', url, payload: { keywords: [], negativeKeywords: ['memory'] } });
    expect(moved.statusCode).toBe(200);
    // The page says so too, and keeps what was typed.
    const page = await app.inject({
      method: 'POST',
      url: `/preferences?token=${token}`,
      payload: {
        frequency: 'daily',
        sendHour: '8',
        timeZone: 'UTC',
        minUpvotes: '0',
        maxPapers: '10',
        keywords: 'memory, agents',
        negativeKeywords: 'memory',
      },
    });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('is both a keyword and a negative keyword');
    expect(await stored(id)).toMatchObject({ keywords: [], negative_keywords: ['memory'] });
  });

  it('shows the private feed links, which answer with the feed, and stop working after "Sign out every link"', async () => {
    const { token } = await reader();
    const page = (await app.inject({ url: `/preferences?token=${token}` })).body;
    const links = [...page.matchAll(/href="([^"]*\/feeds\/me\.(rss|atom|json)\?token=[^"]+)"/g)].map((m) =>
      m[1]!.replaceAll('&amp;', '&'),
    );
    expect(links).toHaveLength(3);
    const local = (link: string) => {
      const url = new URL(link);
      return `${url.pathname}${url.search}`;
    };
    for (const link of links) {
      expect(link.startsWith(config.mail.publicUrl)).toBe(true);
      expect((await app.inject({ url: local(link) })).statusCode, link).toBe(200);
    }
    await app.inject({ method: 'POST', url: `/preferences/sign-out?token=${token}` });
    for (const link of links) expect((await app.inject({ url: local(link) })).statusCode, link).toBe(404);
  });

  it('the OpenAPI document describes the preferences routes and their request schema', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/preferences', '/api/preferences/learned']));
    const schema = doc.paths['/api/preferences'].put.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['topics', 'maxPapers', 'followedAuthors', 'keywords', 'negativeKeywords']),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(doc.paths['/api/preferences/learned'].delete).toBeDefined();
  });
});

describe('what paperboy learned, and clearing it', () => {
  it('shows the counts, the latest titles escaped and the strongest words; the button clears feedback and model', async () => {
    const { id, token } = await reader();
    const now = new Date();
    const texts = [
      {
        title: 'Diffusion <script>alert(1)</script> models for image generation',
        abstract: 'Denoising diffusion generates images.',
      },
      { title: 'Graph neural networks for molecules', abstract: 'Message passing over molecular graphs.' },
    ];
    const [liked, disliked] = await insertPaperRows(
      t.db,
      texts.map((p, i) => ({
        arxiv_id: `2612.2000${i}`,
        title: p.title,
        title_key: `learned ${i}`,
        abstract: p.abstract,
        first_seen_at: now,
        last_seen_at: now,
      })),
    );
    const readers = new ReaderRepository(t.db);
    await readers.recordFeedback(id, liked!, 1);
    await readers.recordFeedback(id, disliked!, -1);
    // The model train-reader would store (services/notifier tests the job).
    const model = trainReaderModel(emptyReaderModel(), [
      { features: paperFeatures(texts[0]!), signal: 1 },
      { features: paperFeatures(texts[1]!), signal: -1 },
    ]);
    const newest = (await readers.feedbackForTraining(id, null, 10)).at(-1)!.givenAt;
    expect(await readers.storeReaderModel(id, serializeReaderModel(model), newest, null)).toBe(true);

    const page = await app.inject({ url: `/preferences?token=${token}` });
    expect(page.body).toContain('1 “more like this” and 1 “less like this”');
    expect(page.body).toContain(
      'More like “Diffusion &lt;script&gt;alert(1)&lt;/script&gt; models for image generation”',
    );
    expect(page.body).toContain('Less like “Graph neural networks for molecules”');
    expect(page.body).not.toContain('<script>');
    expect(page.body).toMatch(/Words that count most for a paper: [^<]*diffusion/);
    expect(page.body).toMatch(/Words that count most against: [^<]*graph/);
    expect(page.body).toContain('Approximate');
    expect(page.body).toContain(`action="/preferences/clear-learned?token=${token}"`);

    const api = (await app.inject({ url: `/api/preferences/learned?token=${token}` })).json();
    expect(api).toMatchObject({ more: 1, less: 1, model: true });
    expect(api.latest.map((w: { signal: number }) => w.signal)).toEqual([-1, 1]); // newest first
    expect(api.termsFor[0].weight).toBeGreaterThan(0);
    expect(api.termsAgainst[0].weight).toBeLessThan(0);

    const cleared = await form(`/preferences/clear-learned?token=${token}`, {});
    expect(cleared.statusCode).toBe(200);
    expect(cleared.body).toContain('Cleared');
    expect(cleared.body).toContain('0 “more like this” and 0 “less like this”');
    expect(await readers.readerModel(id)).toBeNull();
    expect(await readers.feedbackSummary(id, 20)).toEqual({ more: 0, less: 0, latest: [] });
  });

  it('DELETE /api/preferences/learned clears both; a bad link clears nothing', async () => {
    const { id, token } = await reader();
    const [paper] = await insertPaperRows(t.db, [
      {
        arxiv_id: '2612.30000',
        title: 'A paper',
        title_key: 'a paper',
        first_seen_at: new Date(),
        last_seen_at: new Date(),
      },
    ]);
    const readers = new ReaderRepository(t.db);
    await readers.recordFeedback(id, paper!, 1);
    const newest = (await readers.feedbackForTraining(id, null, 10)).at(-1)!.givenAt;
    await readers.storeReaderModel(id, serializeReaderModel(emptyReaderModel()), newest, null);
    const bad = await app.inject({
      method: 'DELETE',
      url: `/api/preferences/learned?token=${signToken(SECRET, 'feedback', id, null, 1, { paperId: paper!, signal: 1 })}`,
    });
    expect(bad.statusCode).toBe(400);
    expect((await readers.feedbackSummary(id, 20)).more).toBe(1);
    const res = await app.inject({ method: 'DELETE', url: `/api/preferences/learned?token=${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ cleared: { feedback: 1, models: 1 } });
    expect(await readers.readerModel(id)).toBeNull();
    expect((await readers.feedbackSummary(id, 20)).more).toBe(0);
  });
});
