import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { feedbackAsk, feedbackConfirm, feedbackNoPaper, feedbackNoted, feedbackUndone } from '../pages/feedback.js';
import { html } from '../pages/layout.js';
import { invalidLink } from '../pages/links.js';
import type { FeedbackOrigin, ReaderService } from '../reader/service.js';
import type { SubscriptionService } from '../subscriptions/service.js';
import { requireSignedLink, signedLinkOf } from '../subscriptions/signed-link.js';

/**
 * The one-click feedback links of digests (`/feedback?token=`, a 'feedback' token signing the
 * paper and the signal): no login, a landing page that confirms and offers Undo. HEAD never records
 * (link checkers send it); the mail scanner defence is the service's. Limited per client like the
 * subscribe routes, with a budget of its own.
 */
export function registerFeedbackRoutes(
  app: FastifyInstance,
  deps: { subscriptions: SubscriptionService; readers: ReaderService; perIpPerMinute: number },
): void {
  const { readers } = deps;
  const invalid = (reply: FastifyReply) => html(reply, 400, invalidLink());
  const limit = app.rateLimit({
    max: deps.perIpPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `feedback:${request.ip}`,
  });
  // Feedback links must be current: "sign out every link" and a re-subscription revoke them.
  const guarded = { onRequest: limit, preHandler: requireSignedLink(deps.subscriptions, 'feedback', invalid) };

  const record = async (request: FastifyRequest, reply: FastifyReply, origin: FeedbackOrigin) => {
    const link = signedLinkOf(request);
    // Each opening must reach the server (and the scanner check): no cache may answer for it.
    reply.header('cache-control', 'no-store');
    const result = await readers.giveFeedback(link, origin);
    if (result.outcome === 'no-paper') return html(reply, 404, feedbackNoPaper());
    const signal = link.feedback!.signal;
    if (result.outcome === 'scanner') return html(reply, 200, feedbackAsk(result.title, signal, link.token));
    if (result.outcome === 'confirm') return html(reply, 200, feedbackConfirm(result.title, signal, link.token));
    return html(reply, 200, feedbackNoted(result.title, signal, link.token, await readers.preferencesToken(link)));
  };

  // No automatic HEAD route: Fastify's would run the GET handler, and record.
  app.get('/feedback', { ...guarded, exposeHeadRoute: false }, (request, reply) => record(request, reply, 'link'));
  // HEAD checks the link as GET does (a bad one is a 400) and records nothing.
  app.head('/feedback', guarded, async (_request, reply) =>
    reply.code(200).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(),
  );
  // The button of the "Was this you?" page: a form post is a person.
  app.post('/feedback', guarded, (request, reply) => record(request, reply, 'button'));

  app.post('/feedback/undo', guarded, async (request, reply) => {
    const link = signedLinkOf(request);
    const { undone, restored, title } = await readers.undoFeedback(link);
    reply.header('cache-control', 'no-store');
    return html(
      reply,
      200,
      feedbackUndone(
        title,
        link.feedback!.signal,
        { undone, restored },
        link.token,
        await readers.preferencesToken(link),
      ),
    );
  });
}
