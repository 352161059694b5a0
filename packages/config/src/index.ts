import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The only code that reads process.env. Every setting has a default that works
 * on a developer machine with local Postgres and Redis.
 */
const bool = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''], {
    errorMap: () => ({ message: 'expected 1 or 0 (also true/false, yes/no)' }),
  })
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/**
 * A number written in plain decimal digits (no 1e3, 0x20; no fraction for a whole number), within
 * bounds; the message says what is expected whatever is wrong.
 */
const number = (min: number, max: number, whole: boolean) => {
  const message = `expected a ${whole ? 'whole number' : 'number'} from ${min} to ${max}`;
  const digits = whole ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const schema = z.number({ invalid_type_error: message }).min(min, message).max(max, message);
  return z.preprocess(
    (value) => (typeof value === 'string' && digits.test(value.trim()) ? Number(value) : value),
    whole ? schema.int(message) : schema,
  );
};
const int = (min: number, max: number) => number(min, max, true);
const decimal = (min: number, max: number) => number(min, max, false);

/** A setting that, when given, is not empty. */
const text = () => z.string().min(1);

/** Comma-separated whole numbers within bounds, sorted and deduplicated; `none` is an empty list. */
const wholeNumberList = (min: number, max: number) =>
  z.string().transform((value, ctx) => {
    if (value.trim().toLowerCase() === 'none') return [];
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    const numbers: number[] = [];
    for (const item of items) {
      const n = /^\d+$/.test(item) ? Number(item) : Number.NaN;
      if (!(n >= min && n <= max)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `expected comma-separated whole numbers from ${min} to ${max}, got "${item}"`,
        });
        return z.NEVER;
      }
      numbers.push(n);
    }
    return [...new Set(numbers)].sort((a, b) => a - b);
  });

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/**
 * A Postgres URL naming its database: without one, node-postgres connects to a database named after
 * the user while `ensureDatabase` would create one named `postgres` — tables land where nobody looks.
 */
const postgresUrl = () =>
  url(['postgres:', 'postgresql:']).refine(
    (value) => {
      try {
        const parsed = new URL(value);
        if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return true; // url() says why
        return decodeURIComponent(parsed.pathname).replace(/^\//, '') !== '';
      } catch {
        return true; // malformed: url() says why
      }
    },
    { message: 'name the database in the URL (postgres://host:5432/paperboy)' },
  );

/**
 * Secrets anyone can read (in this repository's history, or the usual placeholders): a deployment
 * signing links with one of them lets strangers confirm and unsubscribe anyone.
 */
const PUBLISHED_SECRETS = ['paperboy-development-secret-not-for-production', 'change-me-to-a-long-random-secret'];
const PLACEHOLDER_WORDS = /changeme|replaceme|yoursecret|secrethere|notforproduction|placeholder|password|example/;

/** Why a PAPERBOY_SECRET must not be used, or null when it may. */
export function linkSecretProblem(value: string): string | null {
  const fix =
    'use 32+ random characters (e.g. `openssl rand -base64 32`), or unset it to use the secret generated in the database';
  if (value.length < 32) return `too short (${value.length} characters): ${fix}`;
  const letters = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  const published = PUBLISHED_SECRETS.some((known) => known.replace(/[^a-z0-9]/g, '') === letters);
  if (published || PLACEHOLDER_WORDS.test(letters) || new Set(value).size < 8)
    return `a published default or a placeholder: ${fix}`;
  return null;
}

let root: string | undefined;

/**
 * The checkout paperboy runs from: the nearest directory above this package holding
 * pnpm-workspace.yaml (the repository, /app in the image), else the current directory. Relative
 * paths in settings are taken from it, so `pnpm paperboy …` (run at the root) and a service started
 * in its own folder (`pnpm --filter @paperboy/api start`) agree on them.
 */
export function repositoryRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml')) || dirname(dir) === dir) {
      root = existsSync(join(dir, 'pnpm-workspace.yaml')) ? dir : process.cwd();
      return root;
    }
  }
}

/** Settings whose values an error message must not repeat. */
const SECRET_SETTINGS = new Set(['PAPERBOY_SECRET', 'PAPERBOY_ADMIN_TOKEN']);

/**
 * Which proxies may name the client in X-Forwarded-For (Fastify's trustProxy): unset or 0 trusts
 * none; a hop count; or a comma-separated list of addresses, CIDR ranges and proxy-addr's names
 * (loopback, linklocal, uniquelocal). `true` (trust anyone) is refused: anyone could then pick the
 * address every per-client limit counts.
 */
const trustProxyMessage =
  'expected a hop count, or comma-separated IP addresses or CIDR ranges (e.g. 10.0.0.0/8, ::1) or loopback/linklocal/uniquelocal';
function trustedProxy(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const version = isIP(address ?? '');
  if (!version || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}
const trustProxy = z.string().transform((value, ctx): false | number | string[] => {
  const text = value.trim();
  if (/^\d{1,3}$/.test(text)) return Number(text) === 0 ? false : Number(text);
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length && entries.every(trustedProxy)) return entries;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: trustProxyMessage });
  return z.NEVER;
});

/** A Redis Cluster named by its seed nodes (REDIS_URL=redis+cluster://host:port,host:port). */
export interface RedisClusterTarget {
  nodes: Array<{ host: string; port: number }>;
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?(\d*)$/;

/** Whether a Redis URL names a cluster (`redis+cluster://` or `rediss+cluster://`) rather than one server. */
export function isRedisClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:/i.test(url.trim());
}

/**
 * Reads `redis+cluster://[user:password@]host:port[,host:port…]` (`rediss+cluster://` for TLS): the
 * seed nodes a cluster client asks for the slot map (one is enough, more survive one being down).
 * A cluster has no databases but 0, so a path other than /0 is refused. Throws a message naming what is wrong.
 */
export function parseRedisClusterUrl(url: string): RedisClusterTarget {
  const form = 'expected redis+cluster://[user:password@]host:port[,host:port...] (rediss+cluster:// for TLS)';
  const match = CLUSTER_URL.exec(url.trim());
  if (!match) throw new Error(form);
  const [, scheme, auth, hosts, db] = match;
  if (db && db !== '0') throw new Error(`a Redis Cluster has only database 0, not /${db}`);
  const nodes = hosts!.split(',').map((entry) => {
    const node = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry.trim());
    const port = Number(node?.[2]);
    if (!node || port < 1 || port > 65535) throw new Error(`"${entry}" is not host:port; ${form}`);
    return { host: node[1]!.replace(/^\[|\]$/g, ''), port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (auth) {
    const colon = auth.indexOf(':');
    username = decodeURIComponent(colon === -1 ? auth : auth.slice(0, colon)) || undefined;
    password = colon === -1 ? undefined : decodeURIComponent(auth.slice(colon + 1)) || undefined;
  }
  return { nodes, username, password, tls: scheme === 'rediss' };
}

const redisUrl = z.string().superRefine((value, ctx) => {
  if (isRedisClusterUrl(value)) {
    try {
      parseRedisClusterUrl(value);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    }
    return;
  }
  const single = url(['redis:', 'rediss:']).safeParse(value);
  if (!single.success) {
    const several = value.includes(',') ? '; several nodes are a cluster: redis+cluster://host:port,host:port' : '';
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `expected a URL starting with redis:// or rediss:// (a Redis Cluster: redis+cluster://host:port,host:port)${several}`,
    });
  }
});

/** Most processes `start` and `ingest` run (PAPERBOY_PROCESSES, --processes). */
export const MAX_PROCESSES = 256;

/** Processes when PAPERBOY_PROCESSES is unset: the cores this machine offers, within the accepted range. */
export function defaultProcesses(): number {
  return Math.max(1, Math.min(MAX_PROCESSES, availableParallelism()));
}

export const configSchema = z.object({
  DATABASE_URL: postgresUrl()
    .default('postgres://127.0.0.1:5432/paperboy')
    .describe('Postgres; without a user name, the operating-system user (as psql does)'),
  DATABASE_READ_URL: postgresUrl()
    .optional()
    .describe(
      "a read replica for the API's read API and dashboard page (default: `DATABASE_URL`); everything that writes stays on `DATABASE_URL`; `/readyz` checks both",
    ),
  REDIS_URL: redisUrl
    .default('redis://127.0.0.1:6379')
    .describe(
      'Redis for the queues (in production AOF and `maxmemory-policy noeviction`: `infra/redis.conf`); a Redis Cluster as `redis+cluster://host:port[,host:port…]` (`rediss+cluster://` for TLS), its queue keys then hash-tagged `{PAPERBOY_QUEUE_PREFIX}` (docs/recovery/cluster.md)',
    ),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('the least severe log level written'),
  PAPERBOY_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('paperboy')
    .describe('BullMQ key prefix, to share one Redis between setups'),
  PAPERBOY_FETCH_ALLOW_PRIVATE: bool
    .default('0')
    .describe(
      '`1` allows fetching private and loopback addresses (refused by default, on every redirect hop and on the address actually connected to)',
    ),
  PAPERBOY_FETCH_TIMEOUT_MS: int(100, 600_000).default(20_000).describe('deadline for a whole page fetch, in ms'),
  PAPERBOY_FETCH_MAX_BYTES: int(1024, 1024 * 1024 * 1024)
    .default(8 * 1024 * 1024)
    .describe('largest body accepted, counted after decompression'),
  PAPERBOY_FETCH_MAX_REDIRECTS: int(0, 20).default(5).describe('redirects followed (a loop is stopped at once)'),
  PAPERBOY_FETCH_CONCURRENCY: int(1, 64).default(4).describe('pages fetched at once per fetcher process'),
  PAPERBOY_FETCH_ATTEMPTS: int(1, 20)
    .default(3)
    .describe('tries per page for retryable failures (5xx, 408, 429, timeouts, network errors)'),
  PAPERBOY_MAX_CRAWL_DELAY_SECONDS: int(1, 86_400)
    .default(60)
    .describe('largest robots.txt `Crawl-delay` honoured; a longer one is capped, with a warning on the crawl'),
  PAPERBOY_USER_AGENT: text()
    .optional()
    .describe(
      'User-Agent of every request, its first word the robots.txt token (unset: `paperboy/0.1 (+<PAPERBOY_CONTACT_URL>)`)',
    ),
  PAPERBOY_CONTACT_URL: url(['http:', 'https:', 'mailto:'])
    .default('https://github.com/paperboy-papers/paperboy')
    .describe('where site operators can reach you: put in the User-Agent'),
  PAPERBOY_SOURCES: text()
    .optional()
    .describe('the sources file, YAML or JSON (unset: the shipped `services/fetcher/sources.yaml`)'),
  PAPERBOY_ARCHIVE_RETENTION_DAYS: int(1, 36_500)
    .default(90)
    .describe('archived page bodies no fetch has seen for this many days are deleted (a daily job)'),
  PAPERBOY_ENRICH: z
    .string()
    .transform((value, ctx) => {
      const kinds = value
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== '');
      if (kinds.length === 1 && kinds[0] === 'none') return [] as Array<'arxiv' | 'hf'>;
      const bad = kinds.filter((k) => k !== 'arxiv' && k !== 'hf');
      if (bad.length > 0) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `expected arxiv, hf, both (arxiv,hf) or none; got ${bad.join(', ')}`,
        });
        return z.NEVER;
      }
      return [...new Set(kinds)].sort() as Array<'arxiv' | 'hf'>;
    })
    .default('arxiv,hf')
    .describe(
      'enrichment kinds fetched for stored papers: `arxiv` (arXiv API), `hf` (Hugging Face paper API), `arxiv,hf` or `none`',
    ),
  PAPERBOY_ENRICH_ARXIV_URL: url(['http:', 'https:'])
    .default('https://export.arxiv.org/api/query')
    .describe('the arXiv API query endpoint enrichment asks (`?id_list=…&max_results=…`)'),
  PAPERBOY_ENRICH_HF_URL: url(['http:', 'https:'])
    .default('https://huggingface.co/api/papers')
    .describe('the Hugging Face paper API enrichment asks (`<url>/<arXiv id>`)'),
  PAPERBOY_ENRICH_REFRESH_DAYS: int(1, 365)
    .default(7)
    .describe('details older than this many days are fetched again for papers seen in a listing in the last 2 days'),
  PAPERBOY_RECONCILE_GRACE_MINUTES: int(1, 1440)
    .default(15)
    .describe(
      'batches enqueued this long ago and not stored are re-enqueued from the archive by `reconcile-crawls` (every 5 minutes)',
    ),
  PAPERBOY_PUBLIC_URL: url(['http:', 'https:'])
    .default('http://localhost:3000')
    .describe(
      'base of the links in mails, the root of a host (the pages link from /; the API warns at start about a path); use https in production: one-click unsubscribe (RFC 8058) is offered only over https, and the notifier warns otherwise',
    ),
  PAPERBOY_SECRET: z
    .string()
    .superRefine((value, ctx) => {
      const problem = linkSecretProblem(value);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    })
    .optional()
    .describe(
      'HMAC secret of subscriber links: 32+ random characters (`openssl rand -base64 32`); short, published or placeholder values are refused (unset: a random secret generated once and kept in the database)',
    ),
  SMTP_URL: url(['smtp:', 'smtps:'])
    .optional()
    .describe('`smtp(s)://user:pass@host:port` (unset: mails are written as `.eml` files to `PAPERBOY_OUTBOX_DIR`)'),
  PAPERBOY_OUTBOX_DIR: text().default('.outbox').describe('where mails go without `SMTP_URL`'),
  PAPERBOY_MAIL_FROM: z.string().min(3).default('paperboy <digest@paperboy.localhost>').describe('From of digests'),
  PAPERBOY_MAIL_PER_MINUTE: int(1, 100_000)
    .default(600)
    .describe('mails sent per minute across every notifier process (each mail counts, digests and confirmations)'),
  PAPERBOY_MAIL_CHUNK_SIZE: int(1, 1000)
    .default(100)
    .describe(
      'digests per send job: claimed together in one statement and sent over the pool at once; a notifier crash leaves the chunks in flight stuck (at most PAPERBOY_NOTIFY_CONCURRENCY of them a process)',
    ),
  PAPERBOY_SMTP_CONNECTIONS: int(1, 100)
    .default(5)
    .describe(
      'pooled SMTP connections per notifier process (each kept open for any number of messages; at most two mails a connection rendered or in flight)',
    ),
  PAPERBOY_BOUNCE_LIMIT: int(1, 100)
    .default(3)
    .describe('permanent SMTP failures before a subscriber is marked bounced'),
  PAPERBOY_CONFIRMATIONS_PER_HOUR: int(1, 100)
    .default(3)
    .describe('confirmation mails sent to one address per hour; further requests get the same answer and no mail'),
  PAPERBOY_SKIP_EMPTY_DIGESTS: bool.default('1').describe('`0` sends empty digests too'),
  PAPERBOY_NOTIFY_CONCURRENCY: int(1, 64).default(8).describe('send jobs at once per notifier process'),
  // The defaults are DEFAULT_RANKING_WEIGHTS of packages/pipeline (a notifier test holds them equal).
  PAPERBOY_RANK_TRENDING_WEIGHT: decimal(0, 1000)
    .default(1)
    .describe(
      "digest ranking: weight of a paper's trending score (0 to 1, relative to the best candidate's) in the blend",
    ),
  PAPERBOY_RANK_RELEVANCE_WEIGHT: decimal(0, 1000)
    .default(2)
    .describe(
      "digest ranking: weight of the reader's own model (−1 to 1, learned from their “more/less like this” links) in the blend",
    ),
  PAPERBOY_RANK_AUTHOR_BOOST: decimal(0, 1000)
    .default(0.5)
    .describe('digest ranking: added to a paper by an author the reader follows'),
  PAPERBOY_RANK_KEYWORD_BOOST: decimal(0, 1000)
    .default(0.3)
    .describe("digest ranking: added to a paper matching one of the reader's keywords"),
  PAPERBOY_STUCK_DELIVERY_MINUTES: int(1, 10_080)
    .default(15)
    .describe('a delivery claimed this long and not finished is stuck (metrics, dashboard, `digest stuck`)'),
  PAPERBOY_HEALTH_PORT: int(1, 65535)
    .optional()
    .describe('port of `/healthz`, `/readyz` and `/metrics` in worker processes (unset: no server)'),
  PAPERBOY_ADMIN_TOKEN: z
    .string()
    .min(16, 'at least 16 characters')
    .optional()
    .describe(
      "token of the queue board at `/admin/queues`, the dashboard page and the API's `/metrics` (unset: all three refused)",
    ),
  PAPERBOY_BATCH_SIZE: int(1, 1000).default(50).describe('raw entries per ingest job'),
  PAPERBOY_PROCESSOR_CONCURRENCY: int(1, 64).default(4).describe('ingest jobs processed at once per processor process'),
  PAPERBOY_NEAR_DUPLICATE_THRESHOLD: decimal(0.3, 1)
    .default(0.75)
    .describe('pg_trgm title similarity from which two titles are near-duplicates'),
  PAPERBOY_TAXONOMY: text()
    .optional()
    .describe('path of your own taxonomy file (unset: the shipped `packages/pipeline/taxonomy/default.yaml`)'),
  PAPERBOY_SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(15_000).describe('deadline for a graceful shutdown, in ms'),
  PAPERBOY_JOB_LOCK_MS: int(1000, 600_000)
    .default(30_000)
    .describe('job lock, in ms: a job whose worker died is handed to another worker after about this long'),
  PAPERBOY_STALE_CRAWL_MS: int(1000, 7 * 86_400_000)
    .default(1_800_000)
    .describe(
      'a crawl still `running` this long (ms) after it began is closed as failed (`interrupted`) when a fetcher starts',
    ),
  PAPERBOY_DASHBOARD_REFRESH_SECONDS: int(10, 86_400)
    .default(300)
    .describe(
      'seconds between refreshes of the precomputed dashboard views; a full rebuild also runs nightly at 03:37 UTC',
    ),
  PAPERBOY_SCHEDULES: bool
    .default('1')
    .describe(
      '`0`: this process (`start` or a service) declares no job schedules on boot; schedules already declared keep running',
    ),
  PAPERBOY_SCHEDULE_CHECK_SECONDS: int(1, 3600)
    .default(60)
    .describe(
      'seconds between checks that every schedule is still in Redis (also on every reconnect); missing ones are re-declared',
    ),
  PAPERBOY_PROCESSES: int(1, MAX_PROCESSES)
    .optional()
    .describe(
      "processes `start` and `ingest` run their workers in (`--processes` overrides it): the command's own and N-1 worker processes on the same queues; `1`: everything in one process (unset: the cores the machine offers, `os.availableParallelism()`)",
    ),
  PAPERBOY_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .optional()
    .describe(
      "prefix of paperboy's own Redis keys (host limits, robots cache, the API's rate limits; the mail rate limit stays under `PAPERBOY_QUEUE_PREFIX`) (unset: `PAPERBOY_QUEUE_PREFIX`)",
    ),
  PORT: int(0, 65535).default(3000).describe('port the API listens on (`0`: a free port)'),
  HOST: text().default('0.0.0.0').describe('address the API listens on (`0.0.0.0`: every interface)'),
  PAPERBOY_TRUST_PROXY: trustProxy
    .optional()
    .describe(
      'proxies whose `X-Forwarded-For`/`-Proto` the API believes: a hop count, or comma-separated IPs/CIDRs and `loopback`/`linklocal`/`uniquelocal`; `true` is refused (unset: none)',
    ),
  PAPERBOY_PUBLIC_DASHBOARD: bool
    .default('0')
    .describe('`1` serves `/dashboard` without the admin token (`/metrics` keeps it)'),
  PAPERBOY_READ_PER_MINUTE: int(1, 1_000_000)
    .default(120)
    .describe('read API requests per client and minute before a 429'),
  PAPERBOY_READ_CACHE_MS: int(0, 60_000)
    .default(2000)
    .describe(
      'how long the API keeps a rendered read answer (paper lists, trending, topics, sources, `/dashboard`), in ms; served up to twice that while one request recomputes it; 0 = off',
    ),
  PAPERBOY_API_STATEMENT_TIMEOUT_MS: int(0, 600_000)
    .default(5000)
    .describe(
      "longest a read API or `/dashboard` query may run (Postgres `statement_timeout` of the API's read connections only), in ms; a query that hits it answers 503 with `Retry-After`; 0 = no limit",
    ),
  PAPERBOY_EVENT_RETENTION_DAYS: int(1, 3650)
    .default(30)
    .describe('days events stay in the outbox (what `events replay` and the live stream can go back to)'),
  PAPERBOY_EVENT_UPVOTE_THRESHOLDS: wholeNumberList(1, 1_000_000)
    .default('50,100,200,500')
    .describe('upvote counts whose crossing is a `paper.trending` event (comma-separated; `none`: no such events)'),
  PAPERBOY_EVENT_TRENDING_TOP: int(0, 1000)
    .default(25)
    .describe('a paper entering the top this many of the trending list is a `paper.trending` event (0: none)'),
  PAPERBOY_EVENT_RELAY_MS: int(100, 60_000)
    .default(1000)
    .describe('how often the relay looks for events to deliver to webhooks, in ms'),
  PAPERBOY_EVENT_STREAM_CLIENTS: int(1, 100_000)
    .default(100)
    .describe('live stream (`/api/events`) connections per API process; more are answered 503'),
  PAPERBOY_WEBHOOK_TIMEOUT_MS: int(100, 120_000)
    .default(10_000)
    .describe('longest a webhook delivery may take (connect to last byte of the answer), in ms; longer is a failure'),
  PAPERBOY_WEBHOOK_RETRY_BASE_MS: int(10, 3_600_000)
    .default(10_000)
    .describe(
      'first wait after a failed webhook delivery, in ms; doubled at each failure (with jitter) up to PAPERBOY_WEBHOOK_RETRY_MAX_MS',
    ),
  PAPERBOY_WEBHOOK_RETRY_MAX_MS: int(10, 86_400_000)
    .default(3_600_000)
    .describe('longest wait between webhook delivery attempts, in ms'),
  PAPERBOY_WEBHOOK_DISABLE_AFTER_MINUTES: int(1, 43_200)
    .default(1440)
    .describe(
      'an endpoint failing every attempt for this long is disabled (`webhooks enable` turns it back on); events wait in the outbox',
    ),
  PAPERBOY_WEBHOOK_CONCURRENCY: int(1, 64)
    .default(8)
    .describe('deliveries in flight to one endpoint at once (events of one paper always one after another, in order)'),
  PAPERBOY_WEBHOOK_ALLOW_PRIVATE: bool
    .default('0')
    .describe(
      '`1` lets webhooks go to private and loopback addresses (refused by default, as PAPERBOY_FETCH_ALLOW_PRIVATE does for pages)',
    ),
});

export type Config = Readonly<{
  databaseUrl: string;
  /**
   * Where the API's read-only pages (read API, dashboard) query: a streaming replica, or
   * DATABASE_URL itself when DATABASE_READ_URL is unset. Everything that writes uses databaseUrl.
   */
  databaseReadUrl: string;
  redisUrl: string;
  /** REDIS_URL names a Redis Cluster (redis+cluster://…): BullMQ keys are hash-tagged, see queuePrefix. */
  redisCluster: boolean;
  logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  /**
   * BullMQ's key prefix: PAPERBOY_QUEUE_PREFIX, wrapped as a cluster hash tag (`{paperboy}`) when
   * REDIS_URL names a cluster, so every key a BullMQ script touches lands in one slot.
   */
  queuePrefix: string;
  /**
   * Prefix of paperboy's own keys (host limits, robots cache, the API's rate limits): PAPERBOY_QUEUE_PREFIX as
   * given. Each of those keys (or a host's keys, by their own hash tag) stands alone, so in a
   * cluster they spread over the nodes instead of all following the queues' slot.
   */
  keyPrefix: string;
  fetch: Readonly<{
    allowPrivate: boolean;
    timeoutMs: number;
    maxBytes: number;
    maxRedirects: number;
    concurrency: number;
    attempts: number;
    userAgent: string;
    /** Longest robots.txt Crawl-delay honoured, in ms; a longer one is cut to it (and the crawl says so). */
    maxCrawlDelayMs: number;
  }>;
  /** The sources file; undefined means the shipped default. */
  sourcesPath: string | undefined;
  /** Enrichment (arXiv API, Hugging Face paper API): the kinds on, their endpoints, the refresh age. */
  enrich: Readonly<{ kinds: ReadonlyArray<'arxiv' | 'hf'>; arxivUrl: string; hfUrl: string; refreshDays: number }>;
  archiveRetentionDays: number;
  /** Batches enqueued this long ago (ms) and not stored count as stranded: shown in health and re-enqueued by the reconciler. */
  reconcileGraceMs: number;
  /** Port of the /healthz, /readyz and /metrics server of worker processes; none when unset. */
  healthPort: number | undefined;
  /** Where the API listens (PORT 0: a free port). */
  api: Readonly<{ host: string; port: number }>;
  /** Token of the queue board at /admin/queues; the board is off when unset. */
  adminToken: string | undefined;
  mail: Readonly<{
    publicUrl: string;
    /**
     * HMAC secret of subscriber links from PAPERBOY_SECRET; undefined: the secret generated once
     * and kept in the database (`LinkSecretRepository.resolve` in @paperboy/db gives either).
     */
    secret: string | undefined;
    smtpUrl: string | undefined;
    /** An absolute path: PAPERBOY_OUTBOX_DIR, a relative one taken from the repository root. */
    outboxDir: string;
    from: string;
    perMinute: number;
    /** Digests per send-digests job (PAPERBOY_MAIL_CHUNK_SIZE). */
    chunkSize: number;
    /** Pooled SMTP connections per process (PAPERBOY_SMTP_CONNECTIONS). */
    connections: number;
    bounceLimit: number;
    /** Confirmation mails sent to one address per hour, whatever the number of requests. */
    confirmationsPerHour: number;
    skipEmpty: boolean;
    concurrency: number;
    /**
     * Minutes a delivery may stay claimed before it counts as stuck (its sender died mid-send):
     * reported by metrics and the dashboard, listed and re-sent by `paperboy digest stuck|resend-stuck`.
     */
    stuckMinutes: number;
  }>;
  /** The weights of the digest ranking's blend (PAPERBOY_RANK_*; `RankingWeights` of packages/pipeline). */
  ranking: Readonly<{ trending: number; relevance: number; author: number; keyword: number }>;
  batchSize: number;
  processorConcurrency: number;
  nearDuplicateThreshold: number;
  taxonomyPath: string | undefined;
  shutdownTimeoutMs: number;
  jobLockMs: number;
  /** A crawl still `running` this long after it began is closed as failed (interrupted) when a fetcher starts. */
  staleCrawlMs: number;
  /** Seconds between incremental refreshes of the precomputed dashboard views. */
  dashboardRefreshSeconds: number;
  /** Whether long-running processes declare their job schedules on boot. */
  schedules: boolean;
  /** Seconds between checks that this process's job schedulers are still in Redis (re-declared when missing). */
  scheduleCheckSeconds: number;
  /** Proxies whose X-Forwarded-For names the client (Fastify's trustProxy): false, a hop count, or addresses and ranges. */
  trustProxy: false | number | readonly string[];
  /** Whether /dashboard is served without the admin token. */
  publicDashboard: boolean;
  /** Read API requests per client and minute. */
  readPerMinute: number;
  /** How long rendered read answers are kept by the API, in ms (0 = not kept). */
  readCacheMs: number;
  /** statement_timeout of the API's read connections (read API, /dashboard), in ms (0 = none). */
  apiStatementTimeoutMs: number;
  /** Processes `start` and `ingest` run their workers in: the command's own and processes - 1 worker processes. */
  processes: number;
  /** The outbox and what reads it (issue 15; PAPERBOY_EVENT_*). */
  events: Readonly<{
    retentionDays: number;
    /** Upvote counts whose crossing is a paper.trending event, ascending. */
    upvoteThresholds: readonly number[];
    /** Entering the trending top this many is a paper.trending event; 0: none. */
    trendingTop: number;
    /** Period of the relay-events schedule, in ms. */
    relayMs: number;
    /** Live stream connections per API process. */
    streamClients: number;
  }>;
  /** Webhook delivery (PAPERBOY_WEBHOOK_*). */
  webhooks: Readonly<{
    timeoutMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    disableAfterMinutes: number;
    /** Deliveries in flight to one endpoint at once (different papers). */
    concurrency: number;
    allowPrivate: boolean;
  }>;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; the result is frozen. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = issue.path.join('.');
        const value = env[key];
        if (SECRET_SETTINGS.has(key)) return `${key} (value not shown): ${issue.message}`;
        return `${key}=${JSON.stringify(value)}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.PAPERBOY_WEBHOOK_RETRY_BASE_MS > e.PAPERBOY_WEBHOOK_RETRY_MAX_MS)
    throw new ConfigError([
      `PAPERBOY_WEBHOOK_RETRY_BASE_MS=${e.PAPERBOY_WEBHOOK_RETRY_BASE_MS} is more than PAPERBOY_WEBHOOK_RETRY_MAX_MS=${e.PAPERBOY_WEBHOOK_RETRY_MAX_MS}: the first wait cannot be longer than the longest`,
    ]);
  return deepFreeze({
    databaseUrl: e.DATABASE_URL,
    databaseReadUrl: e.DATABASE_READ_URL ?? e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisCluster: isRedisClusterUrl(e.REDIS_URL),
    logLevel: e.LOG_LEVEL,
    queuePrefix: isRedisClusterUrl(e.REDIS_URL) ? `{${e.PAPERBOY_QUEUE_PREFIX}}` : e.PAPERBOY_QUEUE_PREFIX,
    keyPrefix: e.PAPERBOY_KEY_PREFIX ?? e.PAPERBOY_QUEUE_PREFIX,
    fetch: {
      allowPrivate: e.PAPERBOY_FETCH_ALLOW_PRIVATE,
      timeoutMs: e.PAPERBOY_FETCH_TIMEOUT_MS,
      maxBytes: e.PAPERBOY_FETCH_MAX_BYTES,
      maxRedirects: e.PAPERBOY_FETCH_MAX_REDIRECTS,
      concurrency: e.PAPERBOY_FETCH_CONCURRENCY,
      attempts: e.PAPERBOY_FETCH_ATTEMPTS,
      maxCrawlDelayMs: e.PAPERBOY_MAX_CRAWL_DELAY_SECONDS * 1000,
      // The User-Agent names the project and says where to reach whoever runs it.
      userAgent: e.PAPERBOY_USER_AGENT ?? `paperboy/0.1 (+${e.PAPERBOY_CONTACT_URL})`,
    },
    sourcesPath: e.PAPERBOY_SOURCES,
    enrich: {
      kinds: e.PAPERBOY_ENRICH,
      arxivUrl: e.PAPERBOY_ENRICH_ARXIV_URL,
      hfUrl: e.PAPERBOY_ENRICH_HF_URL,
      refreshDays: e.PAPERBOY_ENRICH_REFRESH_DAYS,
    },
    healthPort: e.PAPERBOY_HEALTH_PORT,
    api: { host: e.HOST, port: e.PORT },
    adminToken: e.PAPERBOY_ADMIN_TOKEN,
    archiveRetentionDays: e.PAPERBOY_ARCHIVE_RETENTION_DAYS,
    reconcileGraceMs: e.PAPERBOY_RECONCILE_GRACE_MINUTES * 60_000,
    mail: {
      publicUrl: e.PAPERBOY_PUBLIC_URL.replace(/\/+$/, ''),
      secret: e.PAPERBOY_SECRET,
      smtpUrl: e.SMTP_URL,
      outboxDir: resolve(repositoryRoot(), e.PAPERBOY_OUTBOX_DIR),
      from: e.PAPERBOY_MAIL_FROM,
      perMinute: e.PAPERBOY_MAIL_PER_MINUTE,
      chunkSize: e.PAPERBOY_MAIL_CHUNK_SIZE,
      connections: e.PAPERBOY_SMTP_CONNECTIONS,
      bounceLimit: e.PAPERBOY_BOUNCE_LIMIT,
      confirmationsPerHour: e.PAPERBOY_CONFIRMATIONS_PER_HOUR,
      skipEmpty: e.PAPERBOY_SKIP_EMPTY_DIGESTS,
      concurrency: e.PAPERBOY_NOTIFY_CONCURRENCY,
      stuckMinutes: e.PAPERBOY_STUCK_DELIVERY_MINUTES,
    },
    ranking: {
      trending: e.PAPERBOY_RANK_TRENDING_WEIGHT,
      relevance: e.PAPERBOY_RANK_RELEVANCE_WEIGHT,
      author: e.PAPERBOY_RANK_AUTHOR_BOOST,
      keyword: e.PAPERBOY_RANK_KEYWORD_BOOST,
    },
    batchSize: e.PAPERBOY_BATCH_SIZE,
    processorConcurrency: e.PAPERBOY_PROCESSOR_CONCURRENCY,
    nearDuplicateThreshold: e.PAPERBOY_NEAR_DUPLICATE_THRESHOLD,
    taxonomyPath: e.PAPERBOY_TAXONOMY,
    shutdownTimeoutMs: e.PAPERBOY_SHUTDOWN_TIMEOUT_MS,
    jobLockMs: e.PAPERBOY_JOB_LOCK_MS,
    staleCrawlMs: e.PAPERBOY_STALE_CRAWL_MS,
    dashboardRefreshSeconds: e.PAPERBOY_DASHBOARD_REFRESH_SECONDS,
    schedules: e.PAPERBOY_SCHEDULES,
    scheduleCheckSeconds: e.PAPERBOY_SCHEDULE_CHECK_SECONDS,
    trustProxy: e.PAPERBOY_TRUST_PROXY ?? false,
    publicDashboard: e.PAPERBOY_PUBLIC_DASHBOARD,
    readPerMinute: e.PAPERBOY_READ_PER_MINUTE,
    readCacheMs: e.PAPERBOY_READ_CACHE_MS,
    apiStatementTimeoutMs: e.PAPERBOY_API_STATEMENT_TIMEOUT_MS,
    processes: e.PAPERBOY_PROCESSES ?? defaultProcesses(),
    events: {
      retentionDays: e.PAPERBOY_EVENT_RETENTION_DAYS,
      upvoteThresholds: e.PAPERBOY_EVENT_UPVOTE_THRESHOLDS,
      trendingTop: e.PAPERBOY_EVENT_TRENDING_TOP,
      relayMs: e.PAPERBOY_EVENT_RELAY_MS,
      streamClients: e.PAPERBOY_EVENT_STREAM_CLIENTS,
    },
    webhooks: {
      timeoutMs: e.PAPERBOY_WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.PAPERBOY_WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: e.PAPERBOY_WEBHOOK_RETRY_MAX_MS,
      disableAfterMinutes: e.PAPERBOY_WEBHOOK_DISABLE_AFTER_MINUTES,
      concurrency: e.PAPERBOY_WEBHOOK_CONCURRENCY,
      allowPrivate: e.PAPERBOY_WEBHOOK_ALLOW_PRIVATE,
    },
  });
}

/** A Config that no environment can express (a field derived from another set apart from it). */
export class ConfigNotExpressibleError extends Error {}

/**
 * The environment that `loadConfig` reads back as this exact Config: its inverse, for processes
 * started with the parent's effective configuration (values set in code included). Settings whose
 * value is the default are written too, so the result does not depend on the environment it is
 * merged into. Throws a ConfigNotExpressibleError for a Config no environment gives (a fraction of
 * a second where whole seconds are read, a queue prefix not wrapped as a cluster needs).
 */
export function configToEnv(config: Config): Record<keyof typeof configSchema.shape, string | undefined> {
  const fail = (what: string) => {
    throw new ConfigNotExpressibleError(`configToEnv: ${what}`);
  };
  const whole = (ms: number, unit: number, what: string) => {
    if (ms % unit !== 0) fail(`${what} of ${ms} ms is not a whole number of ${unit === 1000 ? 'seconds' : 'minutes'}`);
    return String(ms / unit);
  };
  const optional = (value: string | number | undefined) => (value === undefined ? undefined : String(value));
  if (config.redisCluster !== isRedisClusterUrl(config.redisUrl))
    fail(`redisCluster ${config.redisCluster} does not follow from REDIS_URL`);
  let queuePrefix = config.queuePrefix;
  if (config.redisCluster) {
    if (!/^\{[^{}]+\}$/.test(queuePrefix)) fail(`a cluster's queue prefix must be {…}, got ${queuePrefix}`);
    queuePrefix = queuePrefix.slice(1, -1);
  }
  const { fetch, mail } = config;
  return {
    DATABASE_URL: config.databaseUrl,
    DATABASE_READ_URL: config.databaseReadUrl === config.databaseUrl ? undefined : config.databaseReadUrl,
    REDIS_URL: config.redisUrl,
    LOG_LEVEL: config.logLevel,
    PAPERBOY_QUEUE_PREFIX: queuePrefix,
    PAPERBOY_KEY_PREFIX: config.keyPrefix === queuePrefix ? undefined : config.keyPrefix,
    PAPERBOY_FETCH_ALLOW_PRIVATE: fetch.allowPrivate ? '1' : '0',
    PAPERBOY_FETCH_TIMEOUT_MS: String(fetch.timeoutMs),
    PAPERBOY_FETCH_MAX_BYTES: String(fetch.maxBytes),
    PAPERBOY_FETCH_MAX_REDIRECTS: String(fetch.maxRedirects),
    PAPERBOY_FETCH_CONCURRENCY: String(fetch.concurrency),
    PAPERBOY_FETCH_ATTEMPTS: String(fetch.attempts),
    PAPERBOY_MAX_CRAWL_DELAY_SECONDS: whole(fetch.maxCrawlDelayMs, 1000, 'maxCrawlDelayMs'),
    // The User-Agent as used: the contact URL is read only to build it.
    PAPERBOY_USER_AGENT: fetch.userAgent,
    PAPERBOY_CONTACT_URL: undefined,
    PAPERBOY_SOURCES: config.sourcesPath,
    PAPERBOY_ARCHIVE_RETENTION_DAYS: String(config.archiveRetentionDays),
    PAPERBOY_ENRICH: config.enrich.kinds.length === 0 ? 'none' : config.enrich.kinds.join(','),
    PAPERBOY_ENRICH_ARXIV_URL: config.enrich.arxivUrl,
    PAPERBOY_ENRICH_HF_URL: config.enrich.hfUrl,
    PAPERBOY_ENRICH_REFRESH_DAYS: String(config.enrich.refreshDays),
    PAPERBOY_RECONCILE_GRACE_MINUTES: whole(config.reconcileGraceMs, 60_000, 'reconcileGraceMs'),
    PAPERBOY_PUBLIC_URL: mail.publicUrl,
    PAPERBOY_SECRET: mail.secret,
    SMTP_URL: mail.smtpUrl,
    PAPERBOY_OUTBOX_DIR: mail.outboxDir,
    PAPERBOY_MAIL_FROM: mail.from,
    PAPERBOY_MAIL_PER_MINUTE: String(mail.perMinute),
    PAPERBOY_BOUNCE_LIMIT: String(mail.bounceLimit),
    PAPERBOY_CONFIRMATIONS_PER_HOUR: String(mail.confirmationsPerHour),
    PAPERBOY_SKIP_EMPTY_DIGESTS: mail.skipEmpty ? '1' : '0',
    PAPERBOY_NOTIFY_CONCURRENCY: String(mail.concurrency),
    PAPERBOY_MAIL_CHUNK_SIZE: String(mail.chunkSize),
    PAPERBOY_SMTP_CONNECTIONS: String(mail.connections),
    PAPERBOY_STUCK_DELIVERY_MINUTES: String(mail.stuckMinutes),
    PAPERBOY_RANK_TRENDING_WEIGHT: String(config.ranking.trending),
    PAPERBOY_RANK_RELEVANCE_WEIGHT: String(config.ranking.relevance),
    PAPERBOY_RANK_AUTHOR_BOOST: String(config.ranking.author),
    PAPERBOY_RANK_KEYWORD_BOOST: String(config.ranking.keyword),
    PAPERBOY_HEALTH_PORT: optional(config.healthPort),
    PAPERBOY_ADMIN_TOKEN: config.adminToken,
    PAPERBOY_BATCH_SIZE: String(config.batchSize),
    PAPERBOY_PROCESSOR_CONCURRENCY: String(config.processorConcurrency),
    PAPERBOY_NEAR_DUPLICATE_THRESHOLD: String(config.nearDuplicateThreshold),
    PAPERBOY_TAXONOMY: config.taxonomyPath,
    PAPERBOY_SHUTDOWN_TIMEOUT_MS: String(config.shutdownTimeoutMs),
    PAPERBOY_JOB_LOCK_MS: String(config.jobLockMs),
    PAPERBOY_STALE_CRAWL_MS: String(config.staleCrawlMs),
    PAPERBOY_DASHBOARD_REFRESH_SECONDS: String(config.dashboardRefreshSeconds),
    PAPERBOY_SCHEDULES: config.schedules ? '1' : '0',
    PAPERBOY_SCHEDULE_CHECK_SECONDS: String(config.scheduleCheckSeconds),
    PAPERBOY_PROCESSES: String(config.processes),
    PORT: String(config.api.port),
    HOST: config.api.host,
    PAPERBOY_TRUST_PROXY:
      config.trustProxy === false
        ? undefined
        : typeof config.trustProxy === 'number'
          ? String(config.trustProxy)
          : config.trustProxy.join(','),
    PAPERBOY_PUBLIC_DASHBOARD: config.publicDashboard ? '1' : '0',
    PAPERBOY_READ_PER_MINUTE: String(config.readPerMinute),
    PAPERBOY_READ_CACHE_MS: String(config.readCacheMs),
    PAPERBOY_API_STATEMENT_TIMEOUT_MS: String(config.apiStatementTimeoutMs),
    PAPERBOY_EVENT_RETENTION_DAYS: String(config.events.retentionDays),
    PAPERBOY_EVENT_UPVOTE_THRESHOLDS: config.events.upvoteThresholds.join(',') || 'none',
    PAPERBOY_EVENT_TRENDING_TOP: String(config.events.trendingTop),
    PAPERBOY_EVENT_RELAY_MS: String(config.events.relayMs),
    PAPERBOY_EVENT_STREAM_CLIENTS: String(config.events.streamClients),
    PAPERBOY_WEBHOOK_TIMEOUT_MS: String(config.webhooks.timeoutMs),
    PAPERBOY_WEBHOOK_RETRY_BASE_MS: String(config.webhooks.retryBaseMs),
    PAPERBOY_WEBHOOK_RETRY_MAX_MS: String(config.webhooks.retryMaxMs),
    PAPERBOY_WEBHOOK_DISABLE_AFTER_MINUTES: String(config.webhooks.disableAfterMinutes),
    PAPERBOY_WEBHOOK_CONCURRENCY: String(config.webhooks.concurrency),
    PAPERBOY_WEBHOOK_ALLOW_PRIVATE: config.webhooks.allowPrivate ? '1' : '0',
  };
}

/** What the configuration reference and `--help` say of one setting, read from the schema itself. */
export interface SettingReference {
  name: keyof typeof configSchema.shape;
  /** The default as text, or undefined for a setting that is unset unless given (its description says what then). */
  default: string | undefined;
  /** What a value may be, where the schema says so (number bounds, a list of words), else ''. */
  accepted: string;
  description: string;
}

/** The parts of a zod schema the reference reads. */
interface SchemaNode {
  description?: string;
  _def: {
    typeName: string;
    innerType?: SchemaNode;
    schema?: SchemaNode;
    defaultValue?: () => unknown;
    checks?: Array<{ kind: string; value?: number }>;
    values?: readonly string[];
  };
}

function acceptedValues(schema: SchemaNode): string {
  let inner = schema;
  while (['ZodDefault', 'ZodOptional', 'ZodEffects'].includes(inner._def.typeName)) {
    inner = (inner._def.innerType ?? inner._def.schema)!;
  }
  if (inner._def.typeName === 'ZodNumber') {
    const check = (kind: string) => inner._def.checks?.find((c) => c.kind === kind);
    return `${check('int') ? 'whole number' : 'number'}, ${check('min')?.value} to ${check('max')?.value}`;
  }
  if (inner._def.typeName === 'ZodEnum') {
    const options = inner._def.values ?? [];
    if (options.includes('1') && options.includes('0')) return '`1` or `0` (also true/false, yes/no)';
    return options.map((o) => `\`${o}\``).join(', ');
  }
  return '';
}

/** Every setting in the schema's order, with its one description, default and accepted values. */
export function settingsReference(): SettingReference[] {
  return Object.entries(configSchema.shape as unknown as Record<string, SchemaNode>).map(([name, schema]) => ({
    name: name as SettingReference['name'],
    default: schema._def.typeName === 'ZodDefault' ? String(schema._def.defaultValue!()) : undefined,
    accepted: acceptedValues(schema),
    description: schema.description ?? '',
  }));
}

/** One line per setting, for `--help`: the schema's description and default (the reference's words, without markup). */
export const configHelp = Object.fromEntries(
  settingsReference().map((s) => [
    s.name,
    `${s.description.replaceAll('`', '')}${s.default === undefined ? '' : ` (default ${s.default})`}`,
  ]),
) as Record<keyof typeof configSchema.shape, string>;

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object') deepFreeze(inner);
  }
  return Object.freeze(value);
}
