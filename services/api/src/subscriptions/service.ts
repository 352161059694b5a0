import {
  type Db,
  lazyLinkSecret,
  preferencesJson,
  SubscriberRepository,
  type SubscriberStatus,
  TimeZoneRepository,
} from '@paperboy/db';
import { feedbackLinks } from '@paperboy/notifier';
import {
  cleanTermList,
  type FeedbackClaim,
  keywordConflict,
  normalizeEmail,
  splitTermList,
  type Taxonomy,
  type TermListKind,
  type TokenPurpose,
  verifyToken,
} from '@paperboy/pipeline';
import type { Queues } from '@paperboy/queue';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { privateFeedUrl } from '../feeds/private-feed.js';
import type { FeedFormat } from '../feeds/render.js';

/** A correctly signed, unexpired link: its subscriber's state, and whether it carries their current token version. */
export interface CheckedLink {
  subscriberId: number;
  /** The token version the link carries. */
  version: number;
  /** The version the subscriber's links must carry now. */
  tokenVersion: number;
  status: SubscriberStatus;
  /** False when a re-subscription or "sign out every link" has revoked the link since it was mailed. */
  current: boolean;
  /** A feedback link's paper and signal (verified with the signature); absent on every other purpose. */
  feedback?: FeedbackClaim;
}

/** An active subscriber whose confirmation link this is (or was, before this confirmation revoked it). */
function confirmedAlready(link: CheckedLink): boolean {
  return link.status === 'active' && (link.current || link.version === link.tokenVersion - 1);
}

export type SubscribeResult = { ok: true } | { ok: false; status: 400; errors: string[] };

export interface SubscriptionServiceDeps {
  db: Db;
  /** PAPERBOY_SECRET, else the secret kept in the database (read on first use). */
  secret: string | undefined;
  /** Where subscribe requests enqueue their confirmation mail (sent by the notifier). */
  jobs: Queues;
  taxonomy: Taxonomy;
  now: () => Date;
  /** PAPERBOY_PUBLIC_URL: where the private feed links of the preferences page point. */
  publicUrl: string;
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;

/**
 * A list preference: an array, or text (a textarea: one a line, or comma-separated; authors
 * semicolon-separated), cleaned by `cleanTermList`. Errors name the field (the path).
 */
function termList(kind: TermListKind) {
  return z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
    const cleaned = cleanTermList(typeof value === 'string' ? splitTermList(value, kind) : value, kind);
    if (cleaned.ok) return cleaned.terms;
    ctx.addIssue({ code: 'custom', message: cleaned.error });
    return z.NEVER;
  });
}

/**
 * The subscription logic behind the routes: subscribe with double opt-in, the check of a signed
 * link, confirm, unsubscribe, preferences and "sign out every link". The routes parse requests and
 * render pages; nothing here knows about HTTP.
 */
export function createSubscriptionService(deps: SubscriptionServiceDeps) {
  const subscribers = new SubscriberRepository(deps.db);
  const linkSecret = lazyLinkSecret(deps.db, deps.secret);
  // Time zones are checked against Postgres, where the digest planner uses them (Intl accepts more).
  const timeZones = new TimeZoneRepository(deps.db);
  const validTimeZone = (zone: string) => timeZones.isKnown(zone);
  const topicIds = deps.taxonomy.topics.map((t) => t.id);

  /** The fields of a subscribe request (the form's and the JSON API's), with the given time zone check. */
  const subscribeRequest = <T extends z.ZodTypeAny>(timeZone: T) =>
    z.object({
      // Checked with the other fields, so one answer names every problem.
      email: z
        .string()
        .max(254)
        .refine((v) => normalizeEmail(v) !== null, 'not an email address'),
      topics: z
        .array(z.enum(topicIds as [string, ...string[]]))
        .max(topicIds.length)
        .default([]),
      frequency: z.enum(['daily', 'weekly']).default('daily'),
      timeZone,
      sendHour: z.number().int().min(0).max(23).default(8),
    });
  const requestSchema = subscribeRequest(z.string().refine(validTimeZone, 'not an IANA time zone').default('UTC'));
  /**
   * The same fields for the OpenAPI request body, without the database check: zod-to-json-schema asks
   * each field isOptional(), which parses its default synchronously, so the check would run at start-up
   * with its promise dropped, and a Postgres not yet reachable would end the process (unhandled rejection).
   */
  const requestDocument = subscribeRequest(z.string().default('UTC'));

  /** The preferences' fields (the form posts numbers as text and lists as text; the JSON API as numbers and arrays). */
  const preferencesRequest = <T extends z.ZodTypeAny>(timeZone: T) =>
    z.object({
      topics: z
        .array(z.enum(topicIds as [string, ...string[]]))
        .default([])
        .transform((topics) => [...new Set(topics)]),
      frequency: z.enum(['daily', 'weekly']),
      sendHour: z.coerce.number().int().min(0).max(23),
      timeZone,
      minUpvotes: z.coerce.number().int().min(0).max(1_000_000),
      maxPapers: z.coerce.number().int().min(1).max(100),
      // Optional: a form or request without them leaves them as they are.
      followedAuthors: termList('authors').optional(),
      keywords: termList('keywords').optional(),
      negativeKeywords: termList('keywords').optional(),
    });
  const preferencesSchema = preferencesRequest(z.string().refine(validTimeZone, 'not an IANA time zone'));
  /** A JSON update (`PUT /api/preferences`): any of the fields, nothing else. */
  const preferencesUpdateSchema = preferencesSchema.partial().strict();
  /** The same for the OpenAPI document, without the database check (see `requestDocument`). */
  const preferencesDocument = preferencesRequest(z.string()).partial().strict();

  /** The reader's preferences as the page and the API show them (the defaults when none are stored). */
  async function currentPreferences(subscriberId: number) {
    const row = await subscribers.preferences(subscriberId);
    return row
      ? preferencesJson(row)
      : {
          topics: [],
          frequency: 'daily' as const,
          sendHour: 8,
          timeZone: 'UTC',
          minUpvotes: 0,
          maxPapers: 10,
          followedAuthors: [],
          keywords: [],
          negativeKeywords: [],
        };
  }

  return {
    requestSchema,
    requestDocument,
    preferencesSchema,
    preferencesUpdateSchema,
    preferencesDocument,

    /**
     * Subscribes (pending) and queues a confirmation mail; answers the same whatever the address's
     * state. New, pending and unsubscribed addresses get a mail (the send job limits mails per address
     * and hour, so repeated requests cannot flood an inbox nor lock anyone out); active ones get none;
     * bounced ones get none either, and the operator is told in the log, not the visitor.
     */
    async subscribe(input: z.infer<typeof requestSchema>, log: FastifyBaseLogger): Promise<SubscribeResult> {
      const email = normalizeEmail(input.email);
      if (!email) return { ok: false, status: 400, errors: ['email: not an email address'] };
      const subscriber = await subscribers.subscribe(
        email,
        { topics: input.topics, frequency: input.frequency, timeZone: input.timeZone, sendHour: input.sendHour },
        'pending',
      );
      if (subscriber.status === 'pending') {
        // One job per address while one waits: a burst of requests queues one mail.
        await deps.jobs.addBulk('send-confirmation', [
          { data: { subscriberId: subscriber.id }, deduplicationId: `confirm-${subscriber.id}` },
        ]);
      } else if (subscriber.status === 'bounced') {
        log.warn({ subscriberId: subscriber.id }, 'subscribe request for a bounced address: no confirmation mail sent');
      }
      return { ok: true };
    },

    /** The link a token is, or null: a bad signature, another purpose, expired, or no such subscriber. */
    async checkLink(token: string, purpose: TokenPurpose): Promise<CheckedLink | null> {
      const check = verifyToken(await linkSecret(), token, purpose, deps.now());
      if (!check.ok) return null;
      const state = await subscribers.linkState(check.subscriberId);
      return (
        state && {
          subscriberId: check.subscriberId,
          version: check.version,
          ...state,
          current: state.tokenVersion === check.version,
          ...(check.feedback ? { feedback: check.feedback } : {}),
        }
      );
    },

    /** Whether a confirmation link leaves its subscriber confirmed (false: the link is no good). */
    /**
     * What opening a confirmation link shows, changing nothing: `ask` (a pending subscriber: a page
     * with a button, since mail scanners open links before their owner does), `confirmed` (already
     * active: opened again), else `invalid`.
     */
    confirmation(link: CheckedLink): 'ask' | 'confirmed' | 'invalid' {
      if (link.current && link.status === 'pending') return 'ask';
      return confirmedAlready(link) ? 'confirmed' : 'invalid';
    },

    async confirm(link: CheckedLink): Promise<boolean> {
      if (link.current && (await subscribers.confirm(link.subscriberId))) return true;
      // Clicked again (or fetched first by a mail scanner): an active subscriber stays confirmed, even
      // when this confirmation revoked the link (a re-subscription bumps the version). Nothing changes.
      // Unsubscribed or bounced since: an old confirmation must not bring the address back.
      return confirmedAlready(link);
    },

    async unsubscribe(subscriberId: number): Promise<void> {
      await subscribers.unsubscribe(subscriberId);
    },

    /** A subscriber's preferences, or the defaults when none are stored. */
    /**
     * Why an update would leave a keyword that is also a negative keyword (`keywordConflict`), with
     * the list it does not give taken as stored; null when it would not.
     */
    async keywordConflict(
      subscriberId: number,
      update: { keywords?: string[] | undefined; negativeKeywords?: string[] | undefined },
    ): Promise<string | null> {
      if (update.keywords === undefined && update.negativeKeywords === undefined) return null;
      const current = await currentPreferences(subscriberId);
      const problem = keywordConflict(
        update.keywords ?? current.keywords,
        update.negativeKeywords ?? current.negativeKeywords,
      );
      return problem ? `negativeKeywords: ${problem}` : null;
    },

    currentPreferences,

    /** Sets the preferences given; the others stay as they are. */
    async updatePreferences(subscriberId: number, preferences: z.infer<typeof preferencesUpdateSchema>): Promise<void> {
      await subscribers.updatePreferences(subscriberId, preferences);
    },

    /** The subscriber's private feed in each format, signed with their current token version (revoked with every link). */
    async privateFeeds(subscriberId: number, tokenVersion: number): Promise<Record<FeedFormat, string>> {
      const secret = await linkSecret();
      const url = (format: FeedFormat) => privateFeedUrl(deps.publicUrl, secret, subscriberId, tokenVersion, format);
      return { rss: url('rss'), atom: url('atom'), json: url('json') };
    },

    /** The reader's "more / less like this" links of papers, as their digest carries them (for their private feed). */
    async feedbackLinks(
      subscriberId: number,
      tokenVersion: number,
      paperIds: readonly number[],
    ): Promise<Map<number, { moreUrl: string; lessUrl: string }>> {
      const settings = { publicUrl: deps.publicUrl, secret: await linkSecret() };
      const subscriber = { id: subscriberId, tokenVersion };
      return new Map(paperIds.map((id) => [id, feedbackLinks(settings, subscriber, id)]));
    },

    /** "Sign out every link": every link mailed so far (the one used included) stops working; the next digest brings new ones. */
    async signOutEverywhere(subscriberId: number): Promise<void> {
      await subscribers.signOutEverywhere(subscriberId);
    },
  };
}
