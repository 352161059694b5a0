import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import {
  BlockedAddressError,
  FetchError,
  HttpStatusError,
  TooManyRedirectsError,
  UnsupportedUrlError,
} from './errors.js';
import { type FetchSettings, fetchPage } from './fetch-page.js';

// ---------------------------------------------------------------------------------------------
// Parsing and matching (RFC 9309), pure.
// ---------------------------------------------------------------------------------------------

export interface RobotsRule {
  allow: boolean;
  /** Normalized path pattern: `*` matches any run of characters, a final `$` anchors the end. */
  pattern: string;
}

/** The rules of robots.txt that apply to one product token. */
export interface RobotsRules {
  rules: RobotsRule[];
  /** From `Crawl-delay` (seconds in the file), when the matching groups have one. */
  crawlDelayMs?: number;
}

interface Group {
  agents: string[];
  rules: RobotsRule[];
  crawlDelayMs?: number;
}

/**
 * The product token of a User-Agent, lowercased: its leading run of letters, `_` and `-`
 * (`paperboy/0.1 (+https://…)` → `paperboy`), which is what robots.txt groups name.
 */
export function productToken(userAgent: string): string {
  return (/^[A-Za-z_-]+/.exec(userAgent.trim())?.[0] ?? '').toLowerCase();
}

const unreserved = /[A-Za-z0-9\-._~]/;

/**
 * One form for paths and patterns so they compare byte for byte: non-ASCII and the characters
 * the URL parser escapes are percent-encoded, `%xx` is uppercased, and escaped unreserved
 * characters are decoded (RFC 9309 §2.2.2).
 */
export function normalizeRobotsPath(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) {
      const decoded = String.fromCharCode(parseInt(path.slice(i + 1, i + 3), 16));
      out += unreserved.test(decoded) ? decoded : `%${path.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
      continue;
    }
    const code = ch.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < path.length) {
      out += encodeURIComponent(path.slice(i, i + 2));
      i += 1;
    } else if (code > 0x7e || code <= 0x20 || '"<>`{}'.includes(ch)) {
      out += code >= 0xd800 && code <= 0xdfff ? '%EF%BF%BD' : encodeURIComponent(ch);
    } else {
      out += ch;
    }
  }
  return out;
}

function ruleKind(key: string): 'agent' | 'allow' | 'disallow' | 'crawl-delay' | null {
  switch (key) {
    case 'user-agent':
    case 'useragent':
    case 'user agent':
      return 'agent';
    case 'allow':
      return 'allow';
    case 'disallow':
      return 'disallow';
    case 'crawl-delay':
    case 'crawldelay':
      return 'crawl-delay';
    default:
      return null; // sitemap, host, unknown: not part of a group, do not end one
  }
}

function parseGroups(text: string): Group[] {
  const groups: Group[] = [];
  let current: Group | null = null;
  let collectingAgents = false;
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    // A comment runs to the end of the line. indexOf, not /#.*$/: that pattern retries from every '#'
    // when a line holds a character '.' does not match (U+2028), quadratic on a hostile robots.txt.
    const hash = rawLine.indexOf('#');
    const line = (hash === -1 ? rawLine : rawLine.slice(0, hash)).trim();
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const kind = ruleKind(line.slice(0, colon).trim().toLowerCase().replace(/\s+/g, ' '));
    const value = line.slice(colon + 1).trim();
    if (kind === null) continue;
    if (kind === 'agent') {
      const agent = value.startsWith('*') ? '*' : productToken(value);
      if (!agent) continue;
      if (!current || !collectingAgents) {
        current = { agents: [], rules: [] };
        groups.push(current);
        collectingAgents = true;
      }
      current.agents.push(agent);
      continue;
    }
    if (!current) continue; // rules before any user-agent line belong to no group
    collectingAgents = false;
    if (kind === 'crawl-delay') {
      const seconds = Number(value);
      if (value !== '' && Number.isFinite(seconds) && seconds >= 0) {
        current.crawlDelayMs = Math.max(current.crawlDelayMs ?? 0, Math.round(seconds * 1000));
      }
    } else if (value !== '') {
      // An empty Disallow (or Allow) is no rule at all.
      current.rules.push({ allow: kind === 'allow', pattern: normalizeRobotsPath(value) });
    }
  }
  return groups;
}

/**
 * The rules of a robots.txt that apply to a product token: every group naming the token
 * (case-insensitive) merged, else every `*` group merged, else none (everything allowed).
 */
export function parseRobotsTxt(text: string, token: string): RobotsRules {
  const groups = parseGroups(text);
  const wanted = token.toLowerCase();
  let chosen = groups.filter((g) => g.agents.includes(wanted));
  if (chosen.length === 0) chosen = groups.filter((g) => g.agents.includes('*'));
  const delays = chosen.map((g) => g.crawlDelayMs).filter((d): d is number => d !== undefined);
  const rules: RobotsRules = { rules: chosen.flatMap((g) => g.rules) };
  if (delays.length > 0) rules.crawlDelayMs = Math.max(...delays);
  return rules;
}

/**
 * Default cap on a robots.txt Crawl-delay (PAPERBOY_MAX_CRAWL_DELAY_SECONDS): the file is the site's,
 * and `Crawl-delay: 86400` would otherwise hold every page of the host for a day.
 */
export const DEFAULT_MAX_CRAWL_DELAY_MS = 60_000;

/**
 * The delay to keep between two requests to a host whose robots.txt declares `declaredMs`: the
 * declared delay, or `capMs` when it asks for more (or for something unreadable, like Infinity).
 */
export function capCrawlDelay(declaredMs: number, capMs: number): { delayMs: number; capped: boolean } {
  if (Number.isNaN(declaredMs) || declaredMs <= 0) return { delayMs: 0, capped: false };
  return declaredMs > capMs ? { delayMs: capMs, capped: true } : { delayMs: declaredMs, capped: false };
}

/**
 * Whether a pattern matches the start of a path (the whole path with a final `$`). A greedy
 * matcher that backtracks only to the last `*`: linear-ish, unlike a regex a hostile file
 * could make explode.
 */
export function robotsPatternMatches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const p = anchored ? pattern.slice(0, -1) : `${pattern}*`;
  let pi = 0;
  let si = 0;
  let star = -1;
  let starSi = 0;
  while (si < path.length) {
    if (p[pi] === '*') {
      star = pi++;
      starSi = si;
    } else if (pi < p.length && p[pi] === path[si]) {
      pi++;
      si++;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++starSi;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

/** The path robots.txt rules are matched against: path and query, normalized. */
function robotsPathOf(url: URL): string {
  return normalizeRobotsPath(`${url.pathname || '/'}${url.search}`);
}

/**
 * RFC 9309 §2.2.2: the longest matching pattern decides; on equal length Allow wins; no
 * matching rule allows. /robots.txt itself is always allowed.
 */
export function robotsAllows(rules: RobotsRules, url: string | URL): boolean {
  const target = typeof url === 'string' ? new URL(url) : url;
  if (target.pathname === '/robots.txt') return true;
  const path = robotsPathOf(target);
  let best: RobotsRule | null = null;
  for (const rule of rules.rules) {
    if (!robotsPatternMatches(rule.pattern, path)) continue;
    if (
      !best ||
      rule.pattern.length > best.pattern.length ||
      (rule.pattern.length === best.pattern.length && rule.allow && !best.allow)
    ) {
      best = rule;
    }
  }
  return best?.allow ?? true;
}

// ---------------------------------------------------------------------------------------------
// Fetching and sharing through Redis.
// ---------------------------------------------------------------------------------------------

/** What fetching robots.txt gave: rules, "unavailable" (4xx: allow all), "unreachable" (5xx, network: disallow all). */
export type RobotsOutcome = 'ok' | 'unavailable' | 'unreachable';

export interface RobotsVerdict {
  allowed: boolean;
  crawlDelayMs?: number;
  /**
   * Set when not allowed because robots.txt could not be read (5xx, 429, network error, timeout):
   * why. Unlike a rule this is transient, so the caller should try again later rather than give up.
   */
  unreachable?: string;
}

export interface RobotsCheckOptions {
  /**
   * Read robots.txt again if the cached verdict is "unreachable", however young: a retried page
   * asks this, so its retry (seconds later, with backoff) sees whether the site is back.
   */
  recheckUnreachable?: boolean;
}

export interface RobotsCacheOptions {
  /** One Redis server or a Redis Cluster (every command here touches keys of one slot). */
  redis: Redis | Cluster;
  /** Key prefix; entries live at `<prefix>:robots:<origin>`. */
  prefix: string;
  /** The same safety settings as page fetches; size, redirects and Accept are set for robots.txt. */
  fetch: FetchSettings;
  /** The token matched against User-agent lines. Default: the product token of fetch.userAgent. */
  productToken?: string;
  /** How long a fetched robots.txt (or a 4xx) is trusted. Default 24 h. */
  ttlMs?: number;
  /**
   * How long "unreachable" (5xx, network error) holds before trying again. Default 30 s: long
   * enough that the pages of a dead host do not each ask it, short enough that the outage of a
   * moment does not block the host for long.
   */
  unreachableTtlMs?: number;
  /** Longest robots.txt read; the rest is ignored. Default 500 KiB (the RFC's minimum). */
  maxBytes?: number;
}

interface Entry {
  outcome: RobotsOutcome;
  rules: RobotsRules;
  /** Why robots.txt could not be read, for "unavailable" and "unreachable". */
  error?: string;
}

const MEMO_SIZE = 1000;

/**
 * Answers "may we fetch this URL?" from the site's robots.txt, fetched once per origin and
 * shared by every process through Redis. Parsed rules are kept in memory per stored version,
 * so a hit costs one small Redis round trip.
 */
export class RobotsCache {
  private readonly token: string;
  private readonly ttlMs: number;
  private readonly unreachableTtlMs: number;
  private readonly maxBytes: number;
  private readonly inFlight = new Map<string, Promise<Entry>>();
  private readonly memo = new Map<string, { version: string; entry: Entry }>();

  constructor(private readonly options: RobotsCacheOptions) {
    this.token = (options.productToken ?? productToken(options.fetch.userAgent)).toLowerCase();
    if (!this.token)
      throw new Error(`no product token in the User-Agent "${options.fetch.userAgent}": pass productToken`);
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.unreachableTtlMs = options.unreachableTtlMs ?? 30 * 1000;
    this.maxBytes = options.maxBytes ?? 500 * 1024;
  }

  /**
   * Throws the fetch error when robots.txt may not be fetched by this process at all (a private
   * address without allowPrivate): that is this process's configuration, not the site's answer,
   * so it is neither a verdict nor cached for the others.
   */
  async isAllowed(rawUrl: string, options: RobotsCheckOptions = {}): Promise<RobotsVerdict> {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new UnsupportedUrlError(rawUrl, 'not a valid absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UnsupportedUrlError(rawUrl, `protocol ${url.protocol} is not http or https`);
    if (url.pathname === '/robots.txt') return { allowed: true };
    const entry = await this.entry(url.origin, options.recheckUnreachable ?? false);
    if (entry.outcome === 'unavailable') return { allowed: true };
    if (entry.outcome === 'unreachable')
      return { allowed: false, unreachable: entry.error || 'robots.txt could not be fetched' };
    const verdict: RobotsVerdict = { allowed: robotsAllows(entry.rules, url) };
    if (entry.rules.crawlDelayMs !== undefined) verdict.crawlDelayMs = entry.rules.crawlDelayMs;
    return verdict;
  }

  private key(origin: string): string {
    return `${this.options.prefix}:robots:${origin}`;
  }

  private async entry(origin: string, recheckUnreachable: boolean): Promise<Entry> {
    const cached = await this.cached(origin);
    if (cached && !(recheckUnreachable && cached.outcome === 'unreachable')) return cached;
    let pending = this.inFlight.get(origin);
    if (!pending) {
      pending = this.fetchAndStore(origin).finally(() => this.inFlight.delete(origin));
      this.inFlight.set(origin, pending);
    }
    return pending;
  }

  private async cached(origin: string): Promise<Entry | null> {
    const key = this.key(origin);
    const [outcome, version] = await this.options.redis.hmget(key, 'outcome', 'version');
    if (!outcome || !version) return null;
    const known = this.memo.get(origin);
    if (known?.version === version) return known.entry;
    // Not parsed here yet: read the whole entry in one command, so that its fields belong to one
    // version even when another process replaced it since the read above (that replacement is as
    // good an answer: taking it, rather than fetching robots.txt once more, keeps the fetch shared).
    const [o, v, e, body] = await this.options.redis.hmget(key, 'outcome', 'version', 'error', 'body');
    if (!o || !v || (o === 'ok' && body == null)) return null; // expired meanwhile
    const entry: Entry = {
      outcome: o as RobotsOutcome,
      rules: o === 'ok' ? parseRobotsTxt(body!, this.token) : { rules: [] },
    };
    if (e) entry.error = e;
    return this.remember(origin, v, entry);
  }

  private remember(origin: string, version: string, entry: Entry): Entry {
    this.memo.delete(origin);
    if (this.memo.size >= MEMO_SIZE) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(origin, { version, entry });
    return entry;
  }

  private async fetchAndStore(origin: string): Promise<Entry> {
    const { outcome, status, body, error } = await this.fetchRobots(origin);
    const version = `${Date.now()}-${randomBytes(4).toString('hex')}`;
    const key = this.key(origin);
    await this.options.redis
      .multi()
      .del(key)
      .hset(key, {
        outcome,
        status: status ?? '',
        body,
        error: error ?? '',
        version,
        fetchedAt: new Date().toISOString(),
      })
      .pexpire(key, outcome === 'unreachable' ? this.unreachableTtlMs : this.ttlMs)
      .exec();
    const entry: Entry = { outcome, rules: outcome === 'ok' ? parseRobotsTxt(body, this.token) : { rules: [] } };
    if (error) entry.error = error;
    return this.remember(origin, version, entry);
  }

  private async fetchRobots(
    origin: string,
  ): Promise<{ outcome: RobotsOutcome; status: number | null; body: string; error?: string }> {
    try {
      const page = await fetchPage(`${origin}/robots.txt`, {
        ...this.options.fetch,
        maxBytes: this.maxBytes,
        truncateBody: true,
        maxRedirects: 5,
        accept: 'text/plain, */*;q=0.1',
        conditional: null,
      });
      let body = page.body.toString('utf8');
      // A cut file ends mid-line: drop that line rather than obey half a path.
      if (page.truncated) body = body.slice(0, Math.max(0, body.search(/[\r\n][^\r\n]*$/)));
      return { outcome: 'ok', status: page.status, body };
    } catch (error) {
      // Refused by this process's private-address policy: not the site's answer (see isAllowed).
      if (!(error instanceof FetchError) || error instanceof BlockedAddressError) throw error;
      const status = error.status;
      // 4xx means "no robots.txt": everything allowed (RFC 9309 §2.3.1.3). 429 is treated as a
      // server error (as Google does): the site is asking us to slow down, not to go everywhere.
      if (
        (error instanceof HttpStatusError && status !== null && status < 500 && status !== 429) ||
        error instanceof TooManyRedirectsError
      ) {
        return { outcome: 'unavailable', status, body: '', error: error.message };
      }
      // 5xx, network errors, timeouts: assume complete disallow for now (§2.3.1.4).
      return { outcome: 'unreachable', status, body: '', error: error.message };
    }
  }
}
