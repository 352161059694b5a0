import { loadConfig } from '@paperboy/config';
import { appendEvents, EventRepository, formatPosition, WebhookRepository } from '@paperboy/db';
import { createLogger } from '@paperboy/logger';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { buildApi } from './app.js';
import { jsonSchemaOf } from './contract/openapi-schemas.js';
import { eventSchemas } from './events/schemas.js';

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const TOKEN = 'admin-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
let app: Awaited<ReturnType<typeof buildApi>>;
const logLines: string[] = [];

beforeAll(async () => {
  t = await testEnv.start();
  app = await buildApi({
    db: t.db,
    config: loadConfig({
      PAPERBOY_QUEUE_PREFIX: prefix,
      PAPERBOY_ADMIN_TOKEN: TOKEN,
      PAPERBOY_EVENT_RETENTION_DAYS: '14',
    }),
    logger: createLogger({ level: 'debug', pretty: false, stream: { write: (line: string) => logLines.push(line) } }),
    redis,
    jobs: queues,
    taxonomy: loadTaxonomy(),
  });
});
afterAll(async () => {
  await app?.close();
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

const post = (url: string, payload: object = {}): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url, headers: auth, payload });

describe('/api/admin/webhooks', () => {
  it('adds an endpoint with a generated secret shown once, then lists and gets it without the secret', async () => {
    const created = await post('/api/admin/webhooks', {
      url: 'https://hooks.example.org/paperboy',
      eventTypes: ['paper.created', 'paper.trending'],
      topics: ['llm'],
      description: 'the search index',
    });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(body).toMatchObject({
      url: 'https://hooks.example.org/paperboy',
      eventTypes: ['paper.created', 'paper.trending'],
      topics: ['llm'],
      description: 'the search index',
      enabled: true,
      pendingEvents: 0,
      secretPrefix: `${body.secret.slice(0, 8)}…`,
    });
    expect((await new WebhookRepository(t.db).get(body.id))?.secret).toBe(body.secret);

    const list = await app.inject({ url: '/api/admin/webhooks', headers: auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().endpoints.map((e: { id: number }) => e.id)).toContain(body.id);
    expect(list.body).not.toContain(body.secret.slice(8));
    const one = await app.inject({ url: `/api/admin/webhooks/${body.id}`, headers: auth });
    expect(one.json()).toMatchObject({ id: body.id, secretPrefix: body.secretPrefix });
    expect(one.body).not.toContain(body.secret.slice(8));
    // Never logged either (the request body is not logged; the creation line names the endpoint only).
    expect(logLines.join('\n')).not.toContain(body.secret.slice(8));
    expect(logLines.join('\n')).toContain('webhook endpoint created');
  });

  it('takes a given secret, changes fields with PATCH, and removes', async () => {
    const created = (
      await post('/api/admin/webhooks', { url: 'https://a.example.org/', secret: 'my-own-secret-0123456789' })
    ).json();
    expect(created.secret).toBe('my-own-secret-0123456789');
    const changed = await app.inject({
      method: 'PATCH',
      url: `/api/admin/webhooks/${created.id}`,
      headers: auth,
      payload: { url: 'https://b.example.org/hook', topics: ['vision'], description: null },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ url: 'https://b.example.org/hook', topics: ['vision'], description: null });
    expect(changed.json().secret).toBeUndefined();
    const removed = await app.inject({ method: 'DELETE', url: `/api/admin/webhooks/${created.id}`, headers: auth });
    expect(removed.statusCode).toBe(204);
    expect((await app.inject({ url: `/api/admin/webhooks/${created.id}`, headers: auth })).statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/admin/webhooks/${created.id}`, headers: auth })).statusCode,
    ).toBe(404);
  });

  it('refuses bad input with 400 naming each bad field', async () => {
    const bad = await post('/api/admin/webhooks', {
      url: 'https://user:pw@hooks.example.org/',
      eventTypes: ['paper.deleted'],
      topics: ['astrology'],
    });
    expect(bad.statusCode).toBe(400);
    const details: string[] = bad.json().details;
    expect(details.find((d) => d.startsWith('url:'))).toMatch(/no credentials/);
    expect(details.find((d) => d.startsWith('eventTypes:'))).toMatch(/paper\.deleted/);
    expect(details.find((d) => d.startsWith('topics:'))).toMatch(/astrology/);
    for (const url of ['ftp://h.example.org/', 'http://127.0.0.1:8080/', 'http://[::1]/', 'http://169.254.169.254/'])
      expect((await post('/api/admin/webhooks', { url })).json().details.join(), url).toMatch(/^url: /);
    expect((await post('/api/admin/webhooks', {})).json().details.join()).toMatch(/^url: Required/);
    const patch = await app.inject({ method: 'PATCH', url: '/api/admin/webhooks/1', headers: auth, payload: {} });
    expect(patch.statusCode).toBe(400);
    expect(patch.body).toContain('nothing to change');
    expect((await app.inject({ url: '/api/admin/webhooks/abc', headers: auth })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/admin/webhooks/99999999999999999999999', headers: auth })).statusCode).toBe(
      400,
    );
  });

  it('is behind the admin token', async () => {
    expect((await app.inject({ url: '/api/admin/webhooks' })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'POST', url: '/api/admin/webhooks', payload: { url: 'https://x.example.org/' } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ method: 'POST', url: '/api/admin/webhooks/1/replay', payload: { since: '1h' } })).statusCode,
    ).toBe(401);
  });

  it("takes the token only as a Bearer header: the dashboard's cookie and ?token= do not make a cross-site form post count", async () => {
    // The cookie the dashboard sets for a browser that opened it with ?token=.
    const page = await app.inject({ url: `/dashboard?token=${TOKEN}` });
    const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^paperboy_admin=/);
    expect((await app.inject({ url: '/dashboard', headers: { cookie } })).statusCode).toBe(200);
    const forged = await app.inject({
      method: 'POST',
      url: '/api/admin/webhooks',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'url=https://evil.example/collect',
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.body).toContain('Authorization: Bearer');
    expect((await app.inject({ url: `/api/admin/webhooks?token=${TOKEN}` })).statusCode).toBe(401);
    const listed = await app.inject({ url: '/api/admin/webhooks', headers: auth });
    expect(JSON.stringify(listed.json())).not.toContain('evil.example');
  });

  it('disables with a reason and enables again', async () => {
    const { id } = (await post('/api/admin/webhooks', { url: 'https://c.example.org/' })).json();
    const disabled = await post(`/api/admin/webhooks/${id}/disable`, { reason: 'receiver migrating' });
    expect(disabled.json()).toMatchObject({ enabled: false, disabledReason: 'receiver migrating' });
    expect(disabled.json().disabledAt).toMatch(/^\d{4}-/);
    const enabled = await post(`/api/admin/webhooks/${id}/enable`);
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    expect((await post('/api/admin/webhooks/999999/enable')).statusCode).toBe(404);
  });

  it('replays: rewinds the position to just before the first event since, with the events now pending', async () => {
    const events = new EventRepository(t.db);
    // Three events two hours ago, two an hour ago: a replay since 90 minutes gets the last two.
    await appendEvents(
      t.db,
      [1, 2, 3].map((n) => ({ type: 'paper.created', version: 1, data: { n }, paperId: n })),
    );
    await sql`UPDATE events SET occurred_at = now() - interval '2 hours'`.execute(t.db);
    await appendEvents(
      t.db,
      [4, 5].map((n) => ({ type: 'paper.created', version: 1, data: { n }, paperId: n })),
    );
    await sql`UPDATE events SET occurred_at = now() - interval '1 hour' WHERE occurred_at > now() - interval '1 hour'`.execute(
      t.db,
    );
    // Settled (no older transaction of this database still runs) before the endpoint starts at the head.
    const { rows } = await sql<{ id: string }>`SELECT max(id)::text AS id FROM events`.execute(t.db);
    for (let i = 0; i < 500 && (await events.head()).id !== rows[0]!.id; i++)
      await new Promise((r) => setTimeout(r, 20));
    const { id, cursor } = (await post('/api/admin/webhooks', { url: 'https://d.example.org/' })).json();
    expect(cursor).toBe(formatPosition(await events.head()));

    const replay = await post(`/api/admin/webhooks/${id}/replay`, { since: '90m' });
    expect(replay.statusCode, replay.body).toBe(200);
    const all = await events.after({ tx: '0', id: '0' }, {}, 100);
    const third = all.find((e) => (e.data as { n: number }).n === 3)!;
    expect(replay.json()).toMatchObject({ from: formatPosition(third.position), pendingEvents: 2 });
    expect((await new WebhookRepository(t.db).get(id))?.cursor).toEqual(third.position);

    const tooOld = await post(`/api/admin/webhooks/${id}/replay`, { since: '30d' });
    expect(tooOld.statusCode).toBe(400);
    expect(tooOld.json().details[0]).toMatch(/older than the retention window.*oldest event kept occurred at/);
    expect((await post(`/api/admin/webhooks/${id}/replay`, { since: 'last tuesday' })).json().details[0]).toMatch(
      /^since: a duration/,
    );
    expect((await post('/api/admin/webhooks/999999/replay', { since: '1h' })).statusCode).toBe(404);
  });

  it('answers what /api/openapi.json says: real answers parse with the schemas and carry no field they do not name', async () => {
    const schemas = eventSchemas(loadTaxonomy(), false);
    const created = (await post('/api/admin/webhooks', { url: 'https://e.example.org/', topics: ['llm'] })).json();
    const checks: Array<[unknown, z.ZodTypeAny]> = [
      [created, schemas.created],
      [(await app.inject({ url: `/api/admin/webhooks/${created.id}`, headers: auth })).json(), schemas.endpoint],
      [(await post(`/api/admin/webhooks/${created.id}/replay`, { since: '1h' })).json(), schemas.replayAnswer],
      ...((await app.inject({ url: '/api/admin/webhooks', headers: auth })).json().endpoints as unknown[]).map(
        (e) => [e, schemas.endpoint] as [unknown, z.ZodTypeAny],
      ),
    ];
    for (const [body, schema] of checks) {
      const parsed = schema.safeParse(body);
      expect(parsed.success, parsed.error?.message).toBe(true);
      expect(parsed.data).toEqual(body); // zod drops what a schema does not name
    }
    const doc = (await app.inject({ url: '/api/openapi.json' })).json();
    expect(doc.paths['/api/admin/webhooks/{id}'].get.responses['200'].content['application/json'].schema).toEqual(
      jsonSchemaOf(schemas.endpoint),
    );
    expect(doc.paths['/api/admin/webhooks'].post.security).toEqual([{ adminToken: [] }]);
  });

  it('is described in /api/openapi.json', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/events',
        '/api/admin/webhooks',
        '/api/admin/webhooks/{id}',
        '/api/admin/webhooks/{id}/replay',
      ]),
    );
    const create = doc.paths['/api/admin/webhooks'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(['url']);
    expect(doc.paths['/api/events'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['types', 'topics', 'lastEventId', 'Last-Event-ID']),
    );
  });
});
