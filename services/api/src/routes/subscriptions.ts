import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { ErrorAnswer, SubscribeAccepted } from '../contract/responses.js';
import { html, type TopicChoice } from '../pages/layout.js';
import { confirmed, confirmForm, invalidLink, signedOut, unsubscribed, unsubscribeForm } from '../pages/links.js';
import { preferencesForm } from '../pages/preferences.js';
import { checkInbox, subscribeForm } from '../pages/subscribe.js';
import type { ReaderService } from '../reader/service.js';
import type { SubscriptionService } from '../subscriptions/service.js';
import { requireSignedLink, signedLinkOf } from '../subscriptions/signed-link.js';

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);

/** A form post's fields as text, lists as arrays (a single checkbox arrives as a string). */
type FormBody = Record<string, string | string[] | undefined>;

/**
 * The subscription pages and API: subscribe (form and JSON), and the pages of the signed links in
 * mails (confirm, unsubscribe, preferences, sign out every link). The logic is the service's.
 */
export function registerSubscriptionRoutes(
  app: FastifyInstance,
  deps: {
    service: SubscriptionService;
    readers: ReaderService;
    topics: readonly TopicChoice[];
    perIpPerMinute: number;
  },
): void {
  const { service, readers, topics } = deps;
  // One budget per client for the form and the JSON API together (keyed by address, not by route).
  const subscribeLimit = {
    onRequest: app.rateLimit({
      max: deps.perIpPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `subscribe:${request.ip}`,
    }),
  };
  app.decorateRequest('signedLink', null);
  const invalid = (reply: FastifyReply) => html(reply, 400, invalidLink());
  // Unsubscribe and preferences links must be current: a revoked one is invalid.
  const link = (purpose: 'unsubscribe' | 'preferences') => ({
    preHandler: requireSignedLink(service, purpose, invalid),
  });

  app.get('/', async (_request, reply) => reply.redirect('/subscribe'));
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  app.get('/subscribe', async (_request, reply) => html(reply, 200, subscribeForm(topics)));

  app.post('/subscribe', subscribeLimit, async (request, reply) => {
    const body = (request.body ?? {}) as FormBody;
    const form = {
      email: String(body.email ?? ''),
      topics: ([] as string[]).concat(body.topics ?? []),
      frequency: String(body.frequency ?? 'daily'),
    };
    const parsed = await service.requestSchema.safeParseAsync(form);
    if (!parsed.success) return html(reply, 400, subscribeForm(topics, form, issues(parsed.error)));
    const result = await service.subscribe(parsed.data, request.log);
    if (!result.ok) return html(reply, result.status, subscribeForm(topics, form, result.errors));
    return html(reply, 200, checkInbox());
  });

  app.post<{ Reply: { 202: SubscribeAccepted; 400: ErrorAnswer } }>(
    '/api/subscriptions',
    subscribeLimit,
    async (request, reply) => {
      const parsed = await service.requestSchema.safeParseAsync(request.body ?? {});
      if (!parsed.success) return reply.code(400).send({ error: 'invalid request', details: issues(parsed.error) });
      const result = await service.subscribe(parsed.data, request.log);
      if (!result.ok)
        return reply.code(result.status).send({ error: result.errors[0] ?? 'invalid request', details: result.errors });
      return reply.code(202).send({ status: 'confirmation-sent-if-possible' });
    },
  );

  // A revoked confirmation link reaches the service, which knows when it still means "confirmed".
  const confirmLink = { preHandler: requireSignedLink(service, 'confirm', invalid, { allowRevoked: true }) };
  // Opening the link changes nothing (mail scanners open links before their owner does): a pending
  // subscriber gets a page whose button confirms.
  app.get('/confirm', confirmLink, async (request, reply) => {
    const link = signedLinkOf(request);
    const shown = service.confirmation(link);
    if (shown === 'ask') return html(reply, 200, confirmForm(link.token));
    return shown === 'confirmed' ? html(reply, 200, confirmed()) : invalid(reply);
  });
  app.post('/confirm', confirmLink, async (request, reply) =>
    (await service.confirm(signedLinkOf(request))) ? html(reply, 200, confirmed()) : invalid(reply),
  );

  app.get('/unsubscribe', link('unsubscribe'), async (request, reply) =>
    html(reply, 200, unsubscribeForm(signedLinkOf(request).token)),
  );

  // The page's button and RFC 8058 one-click (`List-Unsubscribe=One-Click` as the form body) both land here.
  app.post('/unsubscribe', link('unsubscribe'), async (request, reply) => {
    await service.unsubscribe(signedLinkOf(request).subscriberId);
    return html(reply, 200, unsubscribed());
  });

  // Reached from the signed link in every digest.
  app.get('/preferences', link('preferences'), async (request, reply) => {
    const { token, subscriberId, tokenVersion } = signedLinkOf(request);
    const feeds = await service.privateFeeds(subscriberId, tokenVersion);
    const learned = await readers.learned(subscriberId);
    return html(
      reply,
      200,
      preferencesForm(token, topics, await service.currentPreferences(subscriberId), { learned, feeds }),
    );
  });

  app.post('/preferences', link('preferences'), async (request, reply) => {
    const { token, subscriberId, tokenVersion } = signedLinkOf(request);
    const feeds = await service.privateFeeds(subscriberId, tokenVersion);
    const body = (request.body ?? {}) as FormBody;
    const parsed = await service.preferencesSchema.safeParseAsync({
      ...body,
      topics: ([] as string[]).concat(body.topics ?? []),
    });
    const learned = await readers.learned(subscriberId);
    const conflict = parsed.success ? await service.keywordConflict(subscriberId, parsed.data) : null;
    if (!parsed.success || conflict) {
      // The reader's input back as typed (the lists as text), with what is wrong with it.
      const current = await service.currentPreferences(subscriberId);
      const typed = (name: 'followedAuthors' | 'keywords' | 'negativeKeywords') =>
        typeof body[name] === 'string' ? [body[name]] : current[name];
      const values = {
        ...current,
        followedAuthors: typed('followedAuthors'),
        keywords: typed('keywords'),
        negativeKeywords: typed('negativeKeywords'),
      };
      const errors = parsed.success ? [conflict!] : issues(parsed.error);
      return html(reply, 400, preferencesForm(token, topics, values, { errors, learned, feeds }));
    }
    await service.updatePreferences(subscriberId, parsed.data);
    const saved = await service.currentPreferences(subscriberId);
    return html(reply, 200, preferencesForm(token, topics, saved, { message: 'Saved.', learned, feeds }));
  });

  // "Clear what paperboy learned": the reader's feedback and model go, in one transaction.
  app.post('/preferences/clear-learned', link('preferences'), async (request, reply) => {
    const { token, subscriberId, tokenVersion } = signedLinkOf(request);
    const feeds = await service.privateFeeds(subscriberId, tokenVersion);
    await readers.clearLearned(subscriberId);
    return html(
      reply,
      200,
      preferencesForm(token, topics, await service.currentPreferences(subscriberId), {
        message: 'Cleared: paperboy forgot your feedback. Your digests are ranked by your topics and the trends again.',
        learned: await readers.learned(subscriberId),
        feeds,
      }),
    );
  });

  // "Sign out every link": a POST from the preferences page, allowed by that page's valid link.
  app.post('/preferences/sign-out', link('preferences'), async (request, reply) => {
    await service.signOutEverywhere(signedLinkOf(request).subscriberId);
    return html(reply, 200, signedOut());
  });
}
