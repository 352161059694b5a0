import type { TokenPurpose } from '@paperboy/pipeline';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CheckedLink, SubscriptionService } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The link a route guarded by `requireSignedLink` was reached with (null on every other route). */
    signedLink: SignedLink | null;
  }
}

/** A checked link and its token as given (the pages put it back in their forms' actions). */
export interface SignedLink extends CheckedLink {
  token: string;
}

/** The link of a request past `requireSignedLink`; a route without the guard gets an error, not a silent null. */
export function signedLinkOf(request: FastifyRequest): SignedLink {
  if (!request.signedLink) throw new Error(`${request.routeOptions.url ?? request.url} has no signed-link guard`);
  return request.signedLink;
}

/**
 * The one check of a subscriber's signed link (`?token=`), as a preHandler: a bad signature, another
 * purpose, an expired link or one for no subscriber gets `invalid`; so does a link revoked since it
 * was mailed (a re-subscription or "sign out every link"), unless `allowRevoked` (confirmation links,
 * whose route decides). Otherwise the link is on `request.signedLink` for the handler.
 */
export function requireSignedLink(
  service: Pick<SubscriptionService, 'checkLink'>,
  purpose: TokenPurpose,
  invalid: (reply: FastifyReply) => FastifyReply,
  options: { allowRevoked?: boolean } = {},
) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    // A signed link's page is its reader's alone: no shared or browser cache keeps it.
    reply.header('cache-control', 'no-store');
    const token = String((request.query as { token?: string }).token ?? '');
    const link = await service.checkLink(token, purpose);
    if (link === null || (!link.current && !options.allowRevoked)) return invalid(reply);
    request.signedLink = { ...link, token };
  };
}
