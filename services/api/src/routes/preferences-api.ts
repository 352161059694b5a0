import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { ErrorAnswer, LearnedAnswer, LearnedCleared, PreferencesAnswer } from '../contract/responses.js';
import type { ReaderService } from '../reader/service.js';
import type { SubscriptionService } from '../subscriptions/service.js';
import { requireSignedLink, signedLinkOf } from '../subscriptions/signed-link.js';

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);

/**
 * The preferences page as JSON, with the reader's preferences link (`?token=`): read and update the
 * preferences (a partial update changes only the fields given), read and clear what paperboy learned.
 */
export function registerPreferencesApi(
  app: FastifyInstance,
  deps: { subscriptions: SubscriptionService; readers: ReaderService },
): void {
  const { subscriptions, readers } = deps;
  const invalid = (reply: FastifyReply) => reply.code(400).send({ error: 'invalid link' } satisfies ErrorAnswer);
  const link = { preHandler: requireSignedLink(subscriptions, 'preferences', invalid) };

  // Each answer typed by the schema that describes it in /api/openapi.json (contract/responses.ts).
  app.get<{ Reply: PreferencesAnswer }>('/api/preferences', link, async (request) =>
    subscriptions.currentPreferences(signedLinkOf(request).subscriberId),
  );

  app.put<{ Reply: { 200: PreferencesAnswer; 400: ErrorAnswer } }>('/api/preferences', link, async (request, reply) => {
    const { subscriberId } = signedLinkOf(request);
    const parsed = await subscriptions.preferencesUpdateSchema.safeParseAsync(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'invalid request', details: issues(parsed.error) });
    const conflict = await subscriptions.keywordConflict(subscriberId, parsed.data);
    if (conflict) return reply.code(400).send({ error: 'invalid request', details: [conflict] });
    await subscriptions.updatePreferences(subscriberId, parsed.data);
    return subscriptions.currentPreferences(subscriberId);
  });

  app.get<{ Reply: LearnedAnswer }>('/api/preferences/learned', link, async (request) =>
    readers.learned(signedLinkOf(request).subscriberId),
  );

  app.delete<{ Reply: LearnedCleared }>('/api/preferences/learned', link, async (request) => ({
    cleared: await readers.clearLearned(signedLinkOf(request).subscriberId),
  }));
}
