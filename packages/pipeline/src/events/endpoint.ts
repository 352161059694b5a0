import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { parseDayOrInstant } from '../dates.js';
import { EVENT_TYPES, isEventType } from './schemas.js';

/**
 * What a webhook endpoint may be, checked the same way by the admin API and `paperboy webhooks`:
 * pure (no I/O), so both answer the same mistakes with the same words.
 */

export const WEBHOOK_URL_MAX = 2048;
export const WEBHOOK_DESCRIPTION_MAX = 500;

/**
 * Literal addresses an endpoint may not name unless PAPERBOY_WEBHOOK_ALLOW_PRIVATE=1. Only a first
 * line of defence against a typo or a probe of the internal network: a host name can still resolve to
 * such an address, which the delivery side refuses on the address it connects to.
 */
const privateRanges = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 3],
  ] as const)
    list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [
    ['::', 127], // :: and ::1
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
    ['64:ff9b::', 96],
    ['2002::', 16],
    ['2001::', 32],
  ] as const)
    list.addSubnet(net, prefix, 'ipv6');
  return list;
})();

/** An IPv4-mapped IPv6 address (`::ffff:7f00:1`, as URL writes it) as its IPv4 address. */
function unmapped(address: string): string {
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
}

/** Whether a URL's host is a literal private, loopback, link-local or otherwise non-public address. */
export function isPrivateLiteralHost(hostname: string): boolean {
  const address = unmapped(hostname.replace(/^\[|\]$/g, ''));
  const family = isIP(address);
  if (family === 0) {
    // A trailing dot names the same host (`localhost.`); case is already folded by URL.
    const name = hostname.replace(/\.+$/, '');
    return name === 'localhost' || name.endsWith('.localhost');
  }
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The problem with `url` as a webhook endpoint, or null when there is none. */
export function webhookUrlProblem(url: string, allowPrivate: boolean): string | null {
  if (url.length > WEBHOOK_URL_MAX) return `at most ${WEBHOOK_URL_MAX} characters`;
  // URL parsing drops tabs and newlines silently (the request would go elsewhere than the URL stored
  // and shown), and escape sequences would reach an operator's terminal through `webhooks list`.
  if (/\p{Cc}/u.test(url)) return 'no control characters (newlines, tabs, escapes)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not an absolute URL (expected https://host/path)';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `http or https only, not ${parsed.protocol}`;
  if (parsed.username || parsed.password)
    return 'no credentials in the URL: the receiver checks the paperboy-signature header instead';
  if (parsed.hash) return 'no #fragment (it is never sent)';
  if (parsed.port === '0') return 'port 0 is not a port one can connect to';
  if (!allowPrivate && isPrivateLiteralHost(parsed.hostname))
    return `${parsed.hostname} is a private or loopback address (set PAPERBOY_WEBHOOK_ALLOW_PRIVATE=1 to allow it)`;
  return null;
}

/**
 * An endpoint URL as pages, logs and errors show it: its origin and `/…` when it has more. Webhook URLs
 * often carry a token in their path or query (a chat hook's secret), which only the admin API and
 * `paperboy webhooks list` (both behind the admin token) show whole.
 */
export function shownWebhookUrl(rawUrl: string): string {
  try {
    const url = new URL(rawUrl);
    return url.pathname === '/' && !url.search ? url.origin : `${url.origin}/…`;
  } catch {
    return '<the endpoint URL>';
  }
}

/** `message` with the endpoint's URL cut to `shownWebhookUrl` wherever it appears (errors are logged and stored). */
export function withoutUrlSecrets(message: string, rawUrl: string): string {
  const shown = shownWebhookUrl(rawUrl);
  let href = rawUrl;
  try {
    href = new URL(rawUrl).toString();
  } catch {}
  return message.split(href).join(shown).split(rawUrl).join(shown);
}

/** A comma-separated list (`a,b`), trimmed, without empties or duplicates. */
export function splitList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/** Event type names, each checked against EVENT_TYPES. */
export const eventTypeList = z
  .array(z.string())
  .max(EVENT_TYPES.length)
  .superRefine((types, ctx) => {
    const unknown = types.filter((t) => !isEventType(t));
    if (unknown.length)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `unknown event type(s) ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')}`,
      });
  })
  .transform((types) => [...new Set(types)]);

/** Topic ids, each checked against the taxonomy's. */
export function topicList(known: readonly string[]) {
  const set = new Set(known);
  return z
    .array(z.string())
    .max(known.length || 1)
    .superRefine((topics, ctx) => {
      const unknown = topics.filter((t) => !set.has(t));
      if (unknown.length)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `unknown topic(s) ${unknown.join(', ')}; known: ${known.join(', ')}`,
        });
    })
    .transform((topics) => [...new Set(topics)]);
}

/** What a caller supplies for a new endpoint; the ones of a change are the same fields, each optional. */
export function webhookEndpointSchemas(options: { topics: readonly string[]; allowPrivate: boolean }) {
  const url = z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value, options.allowPrivate);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    })
    // Stored as it will be requested: the normalised form (`HTTP://Host` is `http://host/`).
    .transform((value) => new URL(value).href)
    .describe('where events are POSTed: http(s), no credentials; a literal private address is refused');
  const fields = {
    url,
    eventTypes: eventTypeList.describe(`event types to deliver (none: every type): ${EVENT_TYPES.join(', ')}`),
    topics: topicList(options.topics).describe('topic ids (none: every topic); events not about a paper always pass'),
    description: z
      .string()
      .trim()
      .max(WEBHOOK_DESCRIPTION_MAX)
      .regex(/^\P{Cc}*$/u, 'no control characters (newlines, tabs, escapes)')
      .nullable()
      .describe('a note for operators'),
    secret: z
      .string()
      .regex(/^[\x21-\x7e]{16,200}$/, '16 to 200 printable characters without spaces')
      .describe('the HMAC key of the paperboy-signature header (default: a new whsec_… secret)'),
  };
  const create = z
    .object({
      url: fields.url,
      eventTypes: fields.eventTypes.optional(),
      topics: fields.topics.optional(),
      description: fields.description.optional(),
      secret: fields.secret.optional(),
    })
    .strict();
  const change = z
    .object({
      url: fields.url.optional(),
      eventTypes: fields.eventTypes.optional(),
      topics: fields.topics.optional(),
      description: fields.description.optional(),
      secret: fields.secret.optional(),
    })
    .strict()
    .refine(
      (c) => Object.keys(c).length > 0,
      'nothing to change: give at least one of url, eventTypes, topics, description, secret',
    );
  return { create, change };
}

/** A zod error as one line per problem, each naming its field: `url: http or https only, not ftp:`. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
}

/** A secret as lists show it: enough to tell two apart, never enough to sign with. */
export function maskSecret(secret: string): string {
  const prefix = secret.startsWith('whsec_') ? secret.slice(0, 8) : secret.slice(0, 2);
  return `${prefix}…`;
}

/** An endpoint without its secret (lists, the dashboard, every answer but the one that created it). */
export function withoutSecret<T extends { secret: string }>(endpoint: T): Omit<T, 'secret'> & { secretPrefix: string } {
  const { secret, ...rest } = endpoint;
  return { ...rest, secretPrefix: maskSecret(secret) };
}

const DURATION_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/**
 * A replay's start: a day (YYYY-MM-DD), an ISO 8601 time with a zone, or a duration back from `now`
 * (`90m`, `2h`, `3d`, `1w`). Null when it is none of them, or in the future.
 */
export function parseReplaySince(text: string, now: Date = new Date()): Date | null {
  const duration = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  const date = duration
    ? new Date(now.getTime() - Number(duration[1]) * DURATION_UNITS[duration[2] as keyof typeof DURATION_UNITS])
    : parseDayOrInstant(text.trim());
  return date && date.getTime() <= now.getTime() ? date : null;
}

export const REPLAY_SINCE_FORMS =
  'a duration back from now (90m, 2h, 3d, 1w), a day YYYY-MM-DD or an ISO 8601 time with a zone, not in the future';

/**
 * Why a replay from `since` would silently do less than asked, or null: events older than the
 * retention window are pruned, so a start before it would skip them. Names what is left.
 */
export function replayRetentionProblem(
  since: Date,
  retentionDays: number,
  oldestKept: Date | null,
  now: Date = new Date(),
): string | null {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  if (since.getTime() >= cutoff.getTime()) return null;
  const left = oldestKept
    ? `the oldest event kept occurred at ${oldestKept.toISOString()}`
    : 'the outbox holds no events at all';
  return `since ${since.toISOString()} is older than the retention window (PAPERBOY_EVENT_RETENTION_DAYS=${retentionDays}: events before ${cutoff.toISOString()} are pruned); ${left}. Replay from ${(oldestKept && oldestKept > cutoff ? oldestKept : cutoff).toISOString()} or later: nothing older can be re-delivered`;
}

/** The fields of a stored endpoint the shared view reads (WebhookRepository's WebhookEndpoint has them). */
interface StoredEndpoint {
  secret: string;
  cursor: { tx: string; id: string };
  disabledAt: Date | null;
  failingSince: Date | null;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  createdAt: Date;
}

/**
 * An endpoint as the admin API, `paperboy webhooks` and the dashboard show it: no secret (its prefix
 * only), dates as ISO text, the position as its token, and its backlog.
 */
export function webhookEndpointJson<T extends StoredEndpoint>(endpoint: T, pendingEvents: number) {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const { cursor, ...rest } = withoutSecret(endpoint);
  return {
    ...rest,
    cursor: `${cursor.tx}.${cursor.id}`,
    pendingEvents,
    disabledAt: iso(endpoint.disabledAt),
    failingSince: iso(endpoint.failingSince),
    lastAttemptAt: iso(endpoint.lastAttemptAt),
    lastSuccessAt: iso(endpoint.lastSuccessAt),
    lastFailureAt: iso(endpoint.lastFailureAt),
    createdAt: endpoint.createdAt.toISOString(),
  };
}
