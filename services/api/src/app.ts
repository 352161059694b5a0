import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { Config } from '@paperboy/config';
import { lazyLinkSecret, SubscriberRepository, TimeZoneRepository, type Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import { normalizeEmail, verifyToken, type TokenPurpose, type Taxonomy } from '@paperboy/pipeline';
import { Queues, type RedisClient } from '@paperboy/queue';
import Fastify, { type FastifyServerOptions, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Queue } from 'bullmq';
import type { MetricsHandler } from '@paperboy/metrics';
import { checkReadiness, type ReadinessChecks } from '@paperboy/runtime/health';
import { z } from 'zod';
import { createHash } from 'node:crypto';
import { adminGuard, registerQueueBoard } from './admin.js';
import { registerReadApi } from './read.js';
import { DASHBOARD_STYLE, registerDashboardPage } from './dashboard.js';
import { registerOpenApi } from './openapi.js';
import { checkInbox, confirmed, invalidLink, PAGE_STYLE, preferencesForm, signedOut, subscribeForm, tooManyRequests, unsubscribeForm, unsubscribed } from './pages.js';

export interface ApiDeps {
  db: Db;
  /**
   * Where the read API and the dashboard page query (DATABASE_READ_URL: a replica); default `db`.
   * Only pages that neither write nor need to read their own writes use it.
   */
  readDb?: Db;
  config: Config;
  logger: Logger;
  redis: RedisClient;
  /** Where subscribe requests enqueue their confirmation mail (default: queues on `redis`). */
  jobs?: Queues;
  taxonomy: Taxonomy;
  /** Queues shown on the admin board, and whose depth /metrics reports. */
  queues?: readonly Queue[];
  /** Readiness checks and metrics of the process, for /readyz and /metrics. */
  readiness?: ReadinessChecks;
  metrics?: MetricsHandler;
  /** Per-IP limit on subscribe requests, per minute (default 10). */
  perIpPerMinute?: number;
  now?: () => Date;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}
const routesOf = new WeakMap<FastifyInstance, RegisteredRoute[]>();
/** Every route registered on an app built by buildApi (plugins' routes included), e.g. to test them all. */
export const registeredRoutes = (app: FastifyInstance): readonly RegisteredRoute[] => routesOf.get(app) ?? [];

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Security headers of every answer (@fastify/helmet). The pages are plain forms with no script:
 * the CSP allows nothing but their two inline style blocks (by hash), images from here, and forms
 * posting here; no framing, no referrer (links carry signed tokens).
 */
function securityHeaders(https: boolean) {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: [sha256(PAGE_STYLE), sha256(DASHBOARD_STYLE)],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    frameguard: { action: 'deny' as const },
    // Strict-Transport-Security only means something (and only should be sent) over https.
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : (false as const),
    referrerPolicy: { policy: 'no-referrer' as const },
  };
}

/** The subscription API and its server-rendered pages. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  // X-Forwarded-For names the client only when it comes from a proxy named in PAPERBOY_TRUST_PROXY:
  // otherwise anyone could pick the address that every per-client limit counts.
  // A hop count is supported at run time, though Fastify's types omit it.
  const trustProxy = (Array.isArray(deps.config.trustProxy) ? [...deps.config.trustProxy] : deps.config.trustProxy) as FastifyServerOptions['trustProxy'];
  const app = Fastify({ loggerInstance: deps.logger.child({ service: 'api' }) as FastifyBaseLogger, trustProxy });
  const routes: RegisteredRoute[] = [];
  routesOf.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) routes.push({ method, url: route.url ?? route.path });
  });
  // A 5xx tells the client no internals (a raw SQL error names tables and columns); the log has them.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    // The subscribe form is a page: a person who submits it too often reads a page, not JSON.
    if (error.statusCode === 429 && request.routeOptions.url === '/subscribe') return html(reply, 429, tooManyRequests());
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.send(error);
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal error', requestId: request.id });
  });
  await app.register(formbody);
  await app.register(helmet, securityHeaders(deps.config.mail.publicUrl.startsWith('https:')));
  await app.register(rateLimit, { global: false, redis: deps.redis, nameSpace: `${deps.config.keyPrefix}:ratelimit:` });
  const subscribers = new SubscriberRepository(deps.db);
  const linkSecret = lazyLinkSecret(deps.db, deps.config.mail.secret);
  // Time zones are checked against Postgres, where the digest planner uses them (Intl accepts more).
  const timeZones = new TimeZoneRepository(deps.db);
  const validTimeZone = (zone: string) => timeZones.isKnown(zone);
  const jobs = deps.jobs ?? new Queues(deps.redis, { prefix: deps.config.queuePrefix, fetchAttempts: deps.config.fetch.attempts });
  if (!deps.jobs) app.addHook('onClose', async () => jobs.close());
  const topicIds = deps.taxonomy.topics.map((t) => t.id);
  const topics = deps.taxonomy.topics.map((t) => ({ id: t.id, label: t.label }));
  const now = deps.now ?? (() => new Date());
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);
  // One budget per client for the form and the JSON API together (keyed by address, not by route).
  const subscribeLimit = { onRequest: app.rateLimit({ max: deps.perIpPerMinute ?? 10, timeWindow: 60_000, keyGenerator: (request) => `subscribe:${request.ip}` }) };

  /**
   * The subscriber a link is for, or null: a bad signature, another purpose, expired, or an older
   * token version than the subscriber's (revoked by a re-subscription or "sign out every link").
   */
  async function linkSubscriber(token: string, purpose: TokenPurpose): Promise<number | null> {
    const link = await checkLink(token, purpose);
    return link?.current ? link.subscriberId : null;
  }

  /** A correctly signed, unexpired link: its subscriber's state, and whether it carries their current token version. */
  async function checkLink(token: string, purpose: TokenPurpose) {
    const check = verifyToken(await linkSecret(), token, purpose, now());
    if (!check.ok) return null;
    const state = await subscribers.linkState(check.subscriberId);
    return state && { subscriberId: check.subscriberId, version: check.version, ...state, current: state.tokenVersion === check.version };
  }

  const requestSchema = z.object({
    // Checked with the other fields, so one answer names every problem.
    email: z.string().max(254).refine((v) => normalizeEmail(v) !== null, 'not an email address'),
    topics: z.array(z.enum(topicIds as [string, ...string[]])).max(topicIds.length).default([]),
    frequency: z.enum(['daily', 'weekly']).default('daily'),
    timeZone: z.string().refine(validTimeZone, 'not an IANA time zone').default('UTC'),
    sendHour: z.number().int().min(0).max(23).default(8),
  });

  /**
   * Subscribes (pending) and queues a confirmation mail; answers the same whatever the address's
   * state. New, pending and unsubscribed addresses get a mail (the send job limits mails per address
   * and hour, so repeated requests cannot flood an inbox nor lock anyone out); active ones get none;
   * bounced ones get none either, and the operator is told in the log, not the visitor.
   */
  async function subscribe(input: z.infer<typeof requestSchema>, log: FastifyBaseLogger): Promise<{ ok: true } | { ok: false; status: number; errors: string[] }> {
    const email = normalizeEmail(input.email);
    if (!email) return { ok: false, status: 400, errors: ['email: not an email address'] };
    const subscriber = await subscribers.subscribe(email, { topics: input.topics, frequency: input.frequency, timeZone: input.timeZone, sendHour: input.sendHour }, 'pending');
    if (subscriber.status === 'pending') {
      // One job per address while one waits: a burst of requests queues one mail.
      await jobs.addBulk('send-confirmation', [{ data: { subscriberId: subscriber.id }, deduplicationId: `confirm-${subscriber.id}` }]);
    } else if (subscriber.status === 'bounced') {
      log.warn({ subscriberId: subscriber.id }, 'subscribe request for a bounced address: no confirmation mail sent');
    }
    return { ok: true };
  }

  const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);

  app.get('/', async (_request, reply) => reply.redirect('/subscribe'));
  // Probes and scrapes come every few seconds for months: their requests are not logged at info
  // (a readiness failure is, as a warning).
  const quiet = { logLevel: 'warn' } as const;
  app.get('/healthz', quiet, async () => ({ status: 'ok' }));
  if (deps.readiness) {
    const checks = deps.readiness;
    app.get('/readyz', quiet, async (request, reply) => {
      const readiness = await checkReadiness(checks);
      if (readiness.status !== 'ok') request.log.warn({ checks: readiness.checks }, 'not ready');
      return reply.code(readiness.status === 'ok' ? 200 : 503).send(readiness);
    });
  }
  // Queue depths and source health are for operators: behind the admin token (Prometheus sends it as a Bearer token).
  const admin = adminGuard(deps.config.adminToken);
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', { ...quiet, onRequest: admin }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.body()));
  }
  await registerQueueBoard(app, deps.queues ?? [], deps.config.adminToken);
  // Read-only pages go to the replica (a few seconds behind at worst); everything that writes, or
  // reads what it has just written (subscriptions, links, preferences), stays on the primary.
  const readDb = deps.readDb ?? deps.db;
  registerReadApi(app, { db: readDb, taxonomy: deps.taxonomy, perMinute: deps.config.readPerMinute });
  registerDashboardPage(app, { db: readDb, queues: deps.queues ?? [], stuckMinutes: deps.config.mail.stuckMinutes, guard: deps.config.publicDashboard ? undefined : admin });
  registerOpenApi(app, deps.taxonomy, requestSchema);
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  app.get('/subscribe', async (_request, reply) => html(reply, 200, subscribeForm(topics)));

  app.post('/subscribe', subscribeLimit, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string | string[] | undefined>;
    const form = {
      email: String(body.email ?? ''),
      topics: ([] as string[]).concat(body.topics ?? []),
      frequency: String(body.frequency ?? 'daily'),
    };
    const parsed = await requestSchema.safeParseAsync(form);
    if (!parsed.success) return html(reply, 400, subscribeForm(topics, form, issues(parsed.error)));
    const result = await subscribe(parsed.data, request.log);
    if (!result.ok) return html(reply, result.status, subscribeForm(topics, form, result.errors));
    return html(reply, 200, checkInbox());
  });

  app.post('/api/subscriptions', subscribeLimit, async (request, reply) => {
    const parsed = await requestSchema.safeParseAsync(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'invalid request', details: issues(parsed.error) });
    const result = await subscribe(parsed.data, request.log);
    if (!result.ok) return reply.code(result.status).send({ error: result.errors[0], details: result.errors });
    return reply.code(202).send({ status: 'confirmation-sent-if-possible' });
  });

  app.get('/confirm', async (request, reply) => {
    const token = String((request.query as { token?: string }).token ?? '');
    const link = await checkLink(token, 'confirm');
    if (link === null) return html(reply, 400, invalidLink());
    if (link.current && (await subscribers.confirm(link.subscriberId))) return html(reply, 200, confirmed());
    // Clicked again (or fetched first by a mail scanner): an active subscriber stays confirmed, even
    // when this confirmation revoked the link (a re-subscription bumps the version). Nothing changes.
    if (link.status === 'active' && (link.current || link.version === link.tokenVersion - 1)) return html(reply, 200, confirmed());
    // Unsubscribed or bounced since: an old confirmation must not bring the address back.
    return html(reply, 400, invalidLink());
  });

  app.get('/unsubscribe', async (request, reply) => {
    const token = String((request.query as { token?: string }).token ?? '');
    if ((await linkSubscriber(token, 'unsubscribe')) === null) return html(reply, 400, invalidLink());
    return html(reply, 200, unsubscribeForm(token));
  });

  // The page's button and RFC 8058 one-click (`List-Unsubscribe=One-Click` as the form body) both land here.
  app.post('/unsubscribe', async (request, reply) => {
    const token = String((request.query as { token?: string }).token ?? '');
    const subscriberId = await linkSubscriber(token, 'unsubscribe');
    if (subscriberId === null) return html(reply, 400, invalidLink());
    await subscribers.unsubscribe(subscriberId);
    return html(reply, 200, unsubscribed());
  });

  const preferencesSchema = z.object({
    topics: z.array(z.enum(topicIds as [string, ...string[]])).default([]),
    frequency: z.enum(['daily', 'weekly']),
    sendHour: z.coerce.number().int().min(0).max(23),
    timeZone: z.string().refine(validTimeZone, 'not an IANA time zone'),
    minUpvotes: z.coerce.number().int().min(0).max(1_000_000),
    maxPapers: z.coerce.number().int().min(1).max(100),
  });

  async function currentPreferences(subscriberId: number) {
    const row = await subscribers.preferences(subscriberId);
    return row
      ? { topics: row.topics, frequency: row.frequency, sendHour: row.send_hour, timeZone: row.time_zone, minUpvotes: row.min_upvotes, maxPapers: row.max_papers }
      : { topics: [], frequency: 'daily', sendHour: 8, timeZone: 'UTC', minUpvotes: 0, maxPapers: 10 };
  }

  // Reached from the signed link in every digest.
  app.get('/preferences', async (request, reply) => {
    const token = String((request.query as { token?: string }).token ?? '');
    const subscriberId = await linkSubscriber(token, 'preferences');
    if (subscriberId === null) return html(reply, 400, invalidLink());
    return html(reply, 200, preferencesForm(token, topics, await currentPreferences(subscriberId)));
  });

  app.post('/preferences', async (request, reply) => {
    const token = String((request.query as { token?: string }).token ?? '');
    const subscriberId = await linkSubscriber(token, 'preferences');
    if (subscriberId === null) return html(reply, 400, invalidLink());
    const body = (request.body ?? {}) as Record<string, string | string[] | undefined>;
    const parsed = await preferencesSchema.safeParseAsync({ ...body, topics: ([] as string[]).concat(body.topics ?? []) });
    if (!parsed.success) return html(reply, 400, preferencesForm(token, topics, await currentPreferences(subscriberId), null, issues(parsed.error)));
    await subscribers.updatePreferences(subscriberId, parsed.data);
    return html(reply, 200, preferencesForm(token, topics, parsed.data, 'Saved.'));
  });

  // "Sign out every link": a POST from the preferences page, allowed by that page's valid link.
  // Every link mailed so far (this one included) stops working; the next digest brings new ones.
  app.post('/preferences/sign-out', async (request, reply) => {
    const token = String((request.query as { token?: string }).token ?? '');
    const subscriberId = await linkSubscriber(token, 'preferences');
    if (subscriberId === null) return html(reply, 400, invalidLink());
    await subscribers.signOutEverywhere(subscriberId);
    return html(reply, 200, signedOut());
  });

  return app;
}
