import type { Config } from '@paperboy/config';
import type { Db } from '@paperboy/db';
import type { Taxonomy } from '@paperboy/pipeline';
import type { FastifyInstance } from 'fastify';
import type { AnswerCache } from '../read/cache.js';
import type { SubscriptionService } from '../subscriptions/service.js';
import { personalRanking } from './private-feed.js';
import { registerFeedRoutes } from './routes.js';

export { privateFeedUrl } from './private-feed.js';
export { FEED_FORMATS, type FeedFormat } from './render.js';

/** The feeds (routes.ts) on the API's read pool, answer cache and link check. */
export function registerFeeds(
  app: FastifyInstance,
  deps: {
    db: Db;
    config: Config;
    taxonomy: Taxonomy;
    cache: AnswerCache;
    links: Pick<SubscriptionService, 'checkLink' | 'feedbackLinks'>;
  },
): void {
  registerFeedRoutes(app, {
    db: deps.db,
    taxonomy: deps.taxonomy,
    publicUrl: deps.config.mail.publicUrl,
    perMinute: deps.config.readPerMinute,
    cache: deps.cache,
    links: deps.links,
    personal: personalRanking(deps.db, deps.config.ranking),
  });
}
