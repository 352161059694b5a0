import { z } from 'zod';

/**
 * The events paperboy tells downstream systems about (issue 15): one zod schema per type and version
 * for its `data`, the single definition the emitters validate against, the OpenAPI document and the
 * JSON Schemas in docs/reference are generated from, and consumers read. A change that would break a
 * consumer (a field removed, renamed or retyped) is a new version of the type, never an edit of one.
 */

const isoTime = z.string().datetime({ offset: true });

/** The paper as events carry it: enough to act on without calling back; the rest at /api/papers/{arxivId}. */
export const eventPaperSchema = z
  .object({
    id: z
      .number()
      .int()
      .describe(
        "paperboy's own id of the paper: stable, the key to deduplicate papers by (the read API looks papers up by arXiv id: /api/papers/{arxivId})",
      ),
    arxivId: z.string().nullable().describe('arXiv id without version, null for papers without one'),
    title: z.string(),
    authors: z.array(z.string()).describe('authors in the order the source lists them'),
    url: z.string().nullable().describe("the paper's own link (the arXiv abstract page when it has an arXiv id)"),
    upvotes: z.number().int().nullable().describe('latest upvotes'),
    topics: z.array(z.string()).describe('topic ids, best first'),
    firstSeenAt: isoTime,
  })
  .describe('The paper, as stored when the event was written');

/** Fields whose change is a paper.updated (upvotes are not: they move every crawl; see paper.trending). */
export const PAPER_UPDATE_FIELDS = [
  'title',
  'abstract',
  'authors',
  'url',
  'arxivId',
  'publishedAt',
  'categories',
  'topics',
  'codeUrl',
  'projectPage',
  'aiSummary',
  'primaryCategory',
  'journalRef',
  'doi',
  'license',
  'latestVersion',
] as const;
export type PaperUpdateField = (typeof PAPER_UPDATE_FIELDS)[number];

/** The health a source is announced in: ok, quiet and unchanged crawls are all `healthy`; retries announce nothing. */
export const EVENT_SOURCE_HEALTH = ['healthy', 'suspect', 'failing'] as const;
export type EventSourceHealth = (typeof EVENT_SOURCE_HEALTH)[number];

const paperCreated = z.object({
  paper: eventPaperSchema,
  source: z.string().describe('the source whose listing first showed it'),
  listing: z.string().nullable().describe('the listing page (URL) it was first seen on'),
  rank: z.number().int().nullable().describe('its rank on that listing'),
});

const change = z.object({ from: z.unknown(), to: z.unknown() });
const paperUpdated = z.object({
  paper: eventPaperSchema,
  changes: z
    .record(z.enum(PAPER_UPDATE_FIELDS), change)
    .describe('each field that changed, with its value before and after (at least one)'),
});

const paperTrending = z.object({
  paper: eventPaperSchema,
  reason: z
    .enum(['upvotes', 'top'])
    .describe('upvotes: it crossed an upvote threshold; top: it entered the trending top N (by trending score)'),
  threshold: z.number().int().nullable().describe('the upvote threshold crossed (reason upvotes)'),
  rank: z.number().int().nullable().describe('its rank in the trending list (reason top)'),
});

const sourceHealthChanged = z.object({
  source: z.string(),
  from: z.enum(EVENT_SOURCE_HEALTH).nullable().describe('the health announced before (null: first announcement)'),
  to: z.enum(EVENT_SOURCE_HEALTH),
  reason: z.string().nullable().describe('why it is suspect or failing (the crawl error, or what looked wrong)'),
  crawlId: z.number().int().nullable().describe('the crawl that changed it'),
});

const digestPeriodSent = z.object({
  frequency: z.enum(['daily', 'weekly']),
  periodKey: z.string().describe('the period (a day or an ISO week, in subscribers’ time zones)'),
  deliveries: z.number().int().describe('deliveries of the period in all'),
  sent: z.number().int(),
  skipped: z.number().int().describe('nothing to send (an empty digest), or unsubscribed meanwhile'),
  failed: z.number().int(),
});

/** Every event type, its current version, and the schema of its `data`. */
export const eventTypes = {
  'paper.created': { version: 1, data: paperCreated, summary: 'a paper paperboy had not seen before was stored' },
  'paper.updated': {
    version: 1,
    data: paperUpdated,
    summary: "a stored paper's record changed (title, abstract, authors, links, details, topics): what changed",
  },
  'paper.trending': {
    version: 1,
    data: paperTrending,
    summary: 'a paper crossed an upvote threshold, or entered the trending top N',
  },
  'source.health_changed': {
    version: 1,
    data: sourceHealthChanged,
    summary: "a source's health changed (healthy, suspect, failing)",
  },
  'digest.period_sent': {
    version: 1,
    data: digestPeriodSent,
    summary: 'every digest of one period (frequency and day or week) is finished',
  },
} as const;

export type EventType = keyof typeof eventTypes;
export const EVENT_TYPES = Object.keys(eventTypes) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof eventTypes)[T]['data']>;
export type EventPaper = z.infer<typeof eventPaperSchema>;

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(eventTypes, value);
}

/**
 * What every delivery (webhook body, stream message, replay) carries: the envelope is the same for
 * every type; `data` is the type's schema at `version`.
 */
export const eventEnvelopeSchema = z.object({
  id: z.string().uuid().describe('stable id of the event: the same on every delivery and replay; deduplicate by it'),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
  version: z.number().int().describe("version of the type's data schema"),
  occurredAt: isoTime.describe('when the change committed (the transaction time)'),
  data: z.unknown(),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** The envelope of a stored event (the outbox row's stable id, type, version, time, data): the same in a webhook body and on the stream. */
export function envelopeOf(event: {
  eventId: string;
  type: string;
  version: number;
  occurredAt: Date;
  data: unknown;
}): EventEnvelope {
  return {
    id: event.eventId,
    type: event.type as EventType,
    version: event.version,
    occurredAt: event.occurredAt.toISOString(),
    data: event.data,
  };
}

/** A row for the outbox (`EventRepository.append`): a typed event, checked against its schema. */
export interface OutboxEvent {
  type: EventType;
  version: number;
  data: unknown;
  /** The paper it is about (paper.*): deliveries are in order per paper. */
  paperId?: number;
  /** The source it is about (source.*). */
  source?: string;
  /** The paper's topics when written: what a subscription's topic filter matches. */
  topics?: readonly string[];
  /** Set for an event that must exist once (ON CONFLICT DO NOTHING): a period sent, a threshold crossed. */
  dedupeKey?: string;
}

/** Builds an outbox row for `type`, its data checked against the type's current schema (throws on a mismatch). */
export function outboxEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  about: Omit<OutboxEvent, 'type' | 'version' | 'data'> = {},
): OutboxEvent {
  const spec = eventTypes[type];
  const parsed = spec.data.safeParse(data);
  if (!parsed.success) throw new Error(`event ${type} does not match its schema: ${parsed.error.message}`);
  return { type, version: spec.version, data: parsed.data, ...about };
}
