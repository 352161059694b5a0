import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@paperboy/config';
import { DashboardRepository, ReaderRepository, SubscriberRepository } from '@paperboy/db';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { insertCrawlRow, seedReadApiPapers, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import openapiTS, { astToString } from 'openapi-typescript';
import { pino } from 'pino';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { buildApi, registeredRoutes } from './app.js';
import { jsonSchemaOf } from './contract/openapi-schemas.js';
import {
  errorSchema,
  healthSchema,
  learnedClearedSchema,
  learnedSchema,
  paperPageSchema,
  paperWithHistorySchema,
  preferencesSchema,
  readinessSchema,
  sourceListSchema,
  subscribeAcceptedSchema,
  topicListSchema,
  trendingSchema,
} from './contract/responses.js';

/**
 * The contract of /api/openapi.json (issue 15): every JSON route is described with its responses;
 * real answers, from an API on a test database holding papers, parse with the zod schemas the
 * document is generated from (and carry nothing they do not say); a client generated from the
 * document (openapi-typescript) type-checks a correct call and refuses wrong ones.
 */
let t: TestDatabase;
let app: FastifyInstance;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const SECRET = 'contract-test-secret-Qw7Lm2Zp9Rt4Hx';
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
let token = '';

interface Operation {
  operationId: string;
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
let doc: Document;

beforeAll(async () => {
  t = await testEnv.start();
  await seedReadApiPapers(t.db);
  await sql`INSERT INTO paper_versions (paper_id, version, first_seen_at, source)
            SELECT id, 2, now(), 'arxiv-list' FROM papers WHERE arxiv_id = '2611.20001'`.execute(t.db);
  await new DashboardRepository(t.db).refresh();
  await insertCrawlRow(t.db, {
    source: 'arxiv-list',
    url: 'https://rss.arxiv.org/rss/cs.LG',
    trigger: 'schedule',
    started_at: new Date(),
    finished_at: new Date(),
    outcome: 'ok',
    entries: 12,
  });
  const subscriber = await new SubscriberRepository(t.db).subscribe(
    'contract@example.org',
    { topics: ['llm'], frequency: 'daily' },
    'active',
  );
  token = signToken(SECRET, 'preferences', subscriber.id, null, subscriber.tokenVersion);
  const { id: paperId } = await t.db
    .selectFrom('papers')
    .select('id')
    .where('arxiv_id', '=', '2611.20003')
    .executeTakeFirstOrThrow();
  await new ReaderRepository(t.db).recordFeedback(subscriber.id, paperId, 1);
  app = await buildApi({
    db: t.db,
    config: loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_SECRET: SECRET }),
    logger: pino({ level: 'silent' }),
    redis,
    jobs: queues,
    taxonomy: loadTaxonomy(),
    readCacheMs: 0,
    perIpPerMinute: 4,
    readiness: {
      postgres: async () => void (await sql`SELECT 1`.execute(t.db)),
      redis: async () => void (await redis.ping()),
      migrations: async () => [],
    },
  });
  doc = (await app.inject({ url: '/api/openapi.json' })).json() as Document;
});
afterAll(async () => {
  await app?.close();
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

/** Routes whose answers are the API's (JSON, feeds, probes): the pages (HTML forms) and the admin board are not. */
const isApiRoute = (url: string) => /^\/(api|feeds)\//.test(url) || url === '/healthz' || url === '/readyz';

/** A Fastify route URL as a pattern of document paths: `:file` and `*` stand for `{param}` (with a suffix, e.g. `{topic}.rss`). */
const pathPattern = (url: string) =>
  new RegExp(
    `^${url
      .split(/(:\w+|\*)/)
      .map((part) =>
        part === '*'
          ? '\\{[^}]+\\}'
          : part.startsWith(':')
            ? '\\{[^}]+\\}[^/]*'
            : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  );

describe('the OpenAPI document', () => {
  it('describes every API route Fastify registers, each with a response schema, and nothing that is not registered', () => {
    const routes = registeredRoutes(app).filter(
      (r) => isApiRoute(r.url) && r.method !== 'HEAD' && r.method !== 'OPTIONS',
    );
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const route of routes) {
      const pattern = pathPattern(route.url);
      const matches = Object.entries(doc.paths).filter(
        ([path, operations]) => pattern.test(path) && operations[route.method.toLowerCase()],
      );
      expect(
        matches.length,
        `${route.method} ${route.url} is not in /api/openapi.json: describe it in routes/openapi.ts (pathFragments)`,
      ).toBeGreaterThan(0);
      for (const [path, operations] of matches) {
        const responses = Object.values(operations[route.method.toLowerCase()]!.responses);
        const described = responses.some((r) => Object.values(r.content ?? {}).some((media) => media.schema));
        expect(described, `${route.method} ${path} has no response with a schema`).toBe(true);
      }
    }
    // Each operation named once (client generators make their function names from these).
    const ids = Object.values(doc.paths).flatMap((operations) => Object.values(operations).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/api/papers/{arxivId}']!.get!.operationId).toBe('getPapersByArxivId');
    // And the converse: a documented operation answers.
    for (const [path, operations] of Object.entries(doc.paths))
      for (const method of Object.keys(operations))
        expect(
          routes.some((r) => r.method.toLowerCase() === method && pathPattern(r.url).test(path)),
          `${method.toUpperCase()} ${path} is documented but no route answers it`,
        ).toBe(true);
  });

  it('answers what it says: real answers parse with the response schemas, with no field the schemas do not name', async () => {
    const cases: Array<{
      method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
      url: string;
      path: string;
      payload?: object;
      status: number;
      schema: z.ZodTypeAny;
    }> = [
      { url: '/api/papers?limit=3', path: '/api/papers', status: 200, schema: paperPageSchema },
      { url: '/api/papers?limit=0', path: '/api/papers', status: 400, schema: errorSchema },
      { url: '/api/papers/2611.20001', path: '/api/papers/{arxivId}', status: 200, schema: paperWithHistorySchema },
      { url: '/api/papers/2611.99999', path: '/api/papers/{arxivId}', status: 404, schema: errorSchema },
      { url: '/api/papers/not-an-id', path: '/api/papers/{arxivId}', status: 400, schema: errorSchema },
      { url: '/api/topics', path: '/api/topics', status: 200, schema: topicListSchema },
      { url: '/api/trending?window=7d&limit=5', path: '/api/trending', status: 200, schema: trendingSchema },
      { url: '/api/sources', path: '/api/sources', status: 200, schema: sourceListSchema },
      {
        method: 'POST',
        url: '/api/subscriptions',
        path: '/api/subscriptions',
        payload: { email: 'new-reader@example.org', topics: ['llm'] },
        status: 202,
        schema: subscribeAcceptedSchema,
      },
      {
        method: 'POST',
        url: '/api/subscriptions',
        path: '/api/subscriptions',
        payload: { email: 'nope' },
        status: 400,
        schema: errorSchema,
      },
      { url: `/api/preferences?token=${token}`, path: '/api/preferences', status: 200, schema: preferencesSchema },
      { url: '/api/preferences?token=forged', path: '/api/preferences', status: 400, schema: errorSchema },
      {
        method: 'PUT',
        url: `/api/preferences?token=${token}`,
        path: '/api/preferences',
        payload: { maxPapers: 5, keywords: ['diffusion'] },
        status: 200,
        schema: preferencesSchema,
      },
      {
        method: 'PUT',
        url: `/api/preferences?token=${token}`,
        path: '/api/preferences',
        payload: { maxPapers: 0 },
        status: 400,
        schema: errorSchema,
      },
      {
        url: `/api/preferences/learned?token=${token}`,
        path: '/api/preferences/learned',
        status: 200,
        schema: learnedSchema,
      },
      {
        method: 'DELETE',
        url: `/api/preferences/learned?token=${token}`,
        path: '/api/preferences/learned',
        status: 200,
        schema: learnedClearedSchema,
      },
      { url: '/feeds/search.rss', path: '/feeds/search.rss', status: 400, schema: errorSchema },
      { url: '/healthz', path: '/healthz', status: 200, schema: healthSchema },
      { url: '/readyz', path: '/readyz', status: 200, schema: readinessSchema },
    ];
    for (const c of cases) {
      const method = c.method ?? 'GET';
      const res = await app.inject({ method, url: c.url, ...(c.payload ? { payload: c.payload } : {}) });
      const name = `${method} ${c.url}`;
      expect(res.statusCode, `${name}: ${res.body}`).toBe(c.status);
      expect(res.headers['content-type'], name).toMatch(/^application\/json/);
      const body = res.json();
      const parsed = c.schema.safeParse(body);
      expect(parsed.success, `${name} does not match its schema: ${parsed.error?.message}`).toBe(true);
      // zod drops fields a schema does not name: equal means the answer says nothing undocumented.
      expect(parsed.data, `${name} has fields its schema does not name`).toEqual(body);
      // And the document says this status answers this schema.
      const response = doc.paths[c.path]![method.toLowerCase()]!.responses[String(c.status)];
      expect(response?.content?.['application/json']?.schema, `${name}: the document's ${c.status}`).toEqual(
        jsonSchemaOf(c.schema),
      );
    }
    // The samples were not trivially empty.
    const paper = paperWithHistorySchema.parse((await app.inject({ url: '/api/papers/2611.20001' })).json());
    expect(paper.sightings.length).toBeGreaterThan(0);
    expect(paper.versions.length).toBeGreaterThan(0);
    const sources = sourceListSchema.parse((await app.inject({ url: '/api/sources' })).json()).sources;
    expect(sources.some((s) => s.lastCrawlAt !== null)).toBe(true);
  });

  it("describes a plugin's error the same way: too many subscribe requests is a 429 with the error body", async () => {
    let res = await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'x' } });
    for (let i = 0; i < 10 && res.statusCode !== 429; i++)
      res = await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'x' } });
    expect(res.statusCode).toBe(429);
    expect(errorSchema.parse(res.json())).toEqual(res.json());
    expect(doc.paths['/api/subscriptions']!.post!.responses['429']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
  });

  it('names the events: the envelope, each type and version, any event', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'EventEnvelope',
        'EventPaper',
        'EventPaperCreatedV1',
        'EventPaperUpdatedV1',
        'EventPaperTrendingV1',
        'EventSourceHealthChangedV1',
        'EventDigestPeriodSentV1',
        'Event',
      ]),
    );
  });
});

describe('a client generated from the document (openapi-typescript)', () => {
  /** TypeScript's errors of each source, compiled in one program beside the generated `api.d.ts` ([]: it type-checks). */
  async function compile(dir: string, sources: Record<string, string>): Promise<Record<string, string[]>> {
    const files = Object.keys(sources).map((_name, i) => join(dir, `call-${i}.ts`));
    await Promise.all(Object.values(sources).map((source, i) => writeFile(files[i]!, source)));
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      noUncheckedIndexedAccess: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: [],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    return Object.fromEntries(
      Object.keys(sources).map((name, i) => [
        name,
        diagnostics
          .filter((d) => d.file?.fileName === files[i])
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
      ]),
    );
  }

  // A call as a typed client (openapi-fetch) makes it: the answer's type is the document's.
  const prelude = `
    import type { components, paths } from './api';
    type Json<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
      responses: { [K in S]: { content: { 'application/json': infer B } } };
    } ? B : never;
    declare function get<P extends keyof paths, S extends number = 200>(path: P): Promise<Json<P, 'get', S>>;
    declare const event: components['schemas']['Event'];
  `;

  it('type-checks a correct call and refuses a missing field, a wrong type and another event type’s data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paperboy-client-'));
    try {
      const started = Date.now();
      await writeFile(join(dir, 'api.d.ts'), astToString(await openapiTS(doc as never)));
      const call = (body: string) => `${prelude}\nexport async function use() {\n${body}\n}\n`;
      const errors = await compile(dir, {
        correct: call(`
          const page = await get('/api/papers');
          const title: string = page.papers[0]!.title;
          const next: string | null = page.nextCursor;
          const stars: number | null | undefined = (await get('/api/papers/{arxivId}')).sightings[0]?.stars;
          const trending: '24h' | '7d' = (await get('/api/trending')).window;
          const health: string | undefined = (await get('/api/sources')).sources[0]?.health;
          const error: string = (await get<'/api/papers', 400>('/api/papers')).error;
          if (event.type === 'paper.created') return [event.data.paper.title, event.data.source];
          return [title, next, stars, trending, health, error];`),
        missingField: call(`return (await get('/api/papers')).papers[0]!.titel;`),
        titleAsNumber: call(`const n: number = (await get('/api/papers')).papers[0]!.title; return n;`),
        nullableCursor: call(`const c: string = (await get('/api/papers')).nextCursor; return c;`),
        unknownPath: call(`return get('/api/paper');`),
        otherEventData: call(`if (event.type === 'paper.created') return event.data.threshold;`),
      });
      expect(errors.correct).toEqual([]);
      expect(errors.missingField).toEqual([expect.stringMatching(/'titel' does not exist/)]);
      expect(errors.titleAsNumber).toEqual([expect.stringMatching(/'string' is not assignable to type 'number'/)]);
      expect(errors.nullableCursor).toEqual([expect.stringMatching(/'null' is not assignable to type 'string'/)]);
      expect(errors.unknownPath).toEqual([expect.stringMatching(/"\/api\/paper"/)]);
      expect(errors.otherEventData).toEqual([expect.stringMatching(/'threshold' does not exist/)]);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
