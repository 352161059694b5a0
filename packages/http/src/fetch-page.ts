import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { isPrivateAddress } from './address.js';
import {
  type AddressPolicy,
  BlockedAddressError,
  BodyTooLargeError,
  FETCH_ADDRESS_POLICY,
  FetchError,
  type FetchPhase,
  FetchTimeoutError,
  type FetchTimeoutLimit,
  HttpStatusError,
  NetworkError,
  TooManyRedirectsError,
  UnsupportedUrlError,
} from './errors.js';

/** Validators from the copy the caller already holds; sent as If-None-Match / If-Modified-Since. */
export interface ConditionalRequest {
  etag?: string | null;
  lastModified?: string | null;
}

export interface FetchSettings {
  userAgent: string;
  /**
   * Deadline for the whole exchange: every hop, from the start to the last byte of the body.
   * It is what bounds a slow body; the two limits below bound the earlier phases of each hop.
   */
  timeoutMs: number;
  /** DNS lookup plus TCP (and TLS) connect of a new connection, per hop. Default 10 s. */
  connectTimeoutMs?: number;
  /** From the connection being ready to the first byte of the response headers, per hop. Default 15 s. */
  headersTimeoutMs?: number;
  /** Largest body accepted, counted after decompression. */
  maxBytes: number;
  /** Cut a longer body at maxBytes (and say so in `truncated`) instead of failing with BodyTooLargeError. */
  truncateBody?: boolean;
  maxRedirects: number;
  allowPrivate: boolean;
  /**
   * Which addresses count as private. Always the built-in rule (`isPrivateAddress`: anything but
   * public unicast) outside tests; a test passes its own
   * to treat the loopback fixture server as public and check that a later hop is still refused.
   */
  isPrivate?: (address: string) => boolean;
  accept?: string;
  /** Make the request conditional; a 304 answer then resolves with `notModified: true`. */
  conditional?: ConditionalRequest | null;
  /** The resolver; the system one unless a test substitutes another. */
  dnsLookup?: typeof dnsLookup;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;

export interface FetchedPage {
  url: string;
  finalUrl: string;
  /** 2xx, or 304 when `notModified`. */
  status: number;
  contentType: string;
  /** Empty when `notModified`. */
  body: Buffer;
  bytes: number;
  /** sha256 of the (decompressed) body, hex; of the empty body when `notModified`, so check that first. */
  contentHash: string;
  fetchedAt: Date;
  durationMs: number;
  redirects: number;
  /** The server answered 304 to a conditional request: the caller's copy is still current. */
  notModified: boolean;
  /** The response's ETag and Last-Modified headers as sent (null when absent), to store for the next conditional request. */
  etag: string | null;
  lastModified: string | null;
  /** The body was longer than maxBytes and was cut there (only with `truncateBody`). */
  truncated: boolean;
}

const keepAlive = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8 };
const agents = { 'http:': new http.Agent(keepAlive), 'https:': new https.Agent(keepAlive) };

/**
 * Resolves like the system resolver but refuses private answers: the check applies to the
 * address actually connected to, so a DNS answer cannot smuggle in 127.0.0.1.
 */
export function guardedLookup(
  allowPrivate: boolean,
  resolve: typeof dnsLookup = dnsLookup,
  isPrivate = isPrivateAddress,
  policy: AddressPolicy = FETCH_ADDRESS_POLICY,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as LookupAddress[];
      const usable = allowPrivate ? list : list.filter((a) => !isPrivate(a.address));
      if (usable.length === 0) {
        return callback(
          new BlockedAddressError(hostname, list[0]?.address ?? '?', policy) as unknown as NodeJS.ErrnoException,
          '',
          0,
        );
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      return callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

function decoded(response: IncomingMessage): Readable {
  const encoding = (response.headers['content-encoding'] ?? '').toLowerCase().trim();
  if (encoding === 'gzip' || encoding === 'x-gzip') return response.pipe(createGunzip());
  if (encoding === 'deflate') return response.pipe(createInflate());
  if (encoding === 'br') return response.pipe(createBrotliDecompress());
  return response;
}

/** Retry-After in ms: delta-seconds or an HTTP date (a past date gives 0); null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its day or month; anything else (a negative number, junk) is unreadable.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

interface HopResult {
  status: number;
  headers: IncomingMessage['headers'];
  /** null for a redirect. */
  body: Buffer | null;
  truncated: boolean;
}

/** A header value from untrusted data (a stored ETag): only characters Node accepts in a header, trimmed. */
function headerValue(value: string | null | undefined): string | null {
  const clean = (value ?? '').replace(/[^\t\x20-\x7e\x80-\xff]/g, '').trim();
  return clean === '' ? null : clean;
}

function conditionalHeaders(conditional: ConditionalRequest | null | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  const etag = headerValue(conditional?.etag);
  const lastModified = headerValue(conditional?.lastModified);
  if (etag) headers['if-none-match'] = etag;
  if (lastModified) headers['if-modified-since'] = lastModified;
  return headers;
}

function singleHeader(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? null : first;
}

/**
 * One request, in three phases, each with its own limit: connect (lookup, TCP, TLS) within
 * connectTimeoutMs, then the response headers within headersTimeoutMs, and the whole hop
 * within what is left of the overall deadline.
 */
function requestOnce(url: URL, settings: FetchSettings, deadline: number): Promise<HopResult> {
  return new Promise<HopResult>((resolve, reject) => {
    const href = url.toString();
    const isHttps = url.protocol === 'https:';
    const client = isHttps ? https : http;
    const remaining = Math.max(1, deadline - Date.now());
    let settled = false;
    let phase: FetchPhase = 'connect';
    let phaseTimer: NodeJS.Timeout | undefined;
    const clearTimers = () => {
      clearTimeout(deadlineTimer);
      clearTimeout(phaseTimer);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimers();
      request.destroy();
      reject(error);
    };
    const succeed = (result: HopResult) => {
      if (settled) return;
      settled = true;
      clearTimers();
      resolve(result);
    };
    const enterPhase = (next: FetchPhase, limitMs?: number, limit?: FetchTimeoutLimit) => {
      if (settled) return;
      phase = next;
      clearTimeout(phaseTimer);
      phaseTimer =
        limitMs === undefined
          ? undefined
          : setTimeout(() => fail(new FetchTimeoutError(href, limitMs, next, limit)), limitMs);
    };
    const request = client.request(
      url,
      {
        method: 'GET',
        agent: agents[url.protocol as 'http:' | 'https:'],
        lookup: guardedLookup(settings.allowPrivate, settings.dnsLookup, settings.isPrivate),
        headers: {
          'user-agent': settings.userAgent,
          accept: settings.accept ?? 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.5',
          'accept-encoding': 'gzip, deflate, br',
          ...conditionalHeaders(settings.conditional),
        },
      },
      (response) => {
        enterPhase('body');
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && status !== 304 && response.headers.location) {
          response.resume();
          return succeed({ status, headers: response.headers, body: null, truncated: false });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        const stream = decoded(response);
        stream.on('data', (chunk: Buffer) => {
          if (settled) return;
          if (size + chunk.length > settings.maxBytes) {
            if (!settings.truncateBody) return fail(new BodyTooLargeError(href, settings.maxBytes));
            chunks.push(chunk.subarray(0, settings.maxBytes - size));
            succeed({
              status,
              headers: response.headers,
              body: Buffer.concat(chunks, settings.maxBytes),
              truncated: true,
            });
            request.destroy();
            return;
          }
          size += chunk.length;
          chunks.push(chunk);
        });
        stream.on('error', (error) => fail(new NetworkError(href, error)));
        response.on('error', (error) => fail(new NetworkError(href, error)));
        stream.on('end', () =>
          succeed({ status, headers: response.headers, body: Buffer.concat(chunks, size), truncated: false }),
        );
      },
    );
    const deadlineTimer = setTimeout(
      () => fail(new FetchTimeoutError(href, settings.timeoutMs, phase, 'timeoutMs')),
      remaining,
    );
    enterPhase('connect', settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs');
    const awaitHeaders = () => {
      if (phase === 'connect')
        enterPhase('headers', settings.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, 'headersTimeoutMs');
    };
    request.on('socket', (socket: Socket) => {
      // Belt and braces: check the peer actually connected to (covers IP-literal hosts, which skip lookup).
      const check = () => {
        const peer = socket.remoteAddress;
        if (!settings.allowPrivate && peer && (settings.isPrivate ?? isPrivateAddress)(peer))
          fail(new BlockedAddressError(url.hostname, peer));
      };
      if (!socket.connecting) {
        // A kept-alive connection: already connected (and checked) when it was opened.
        check();
        return awaitHeaders();
      }
      socket.once('connect', check);
      socket.once(isHttps ? 'secureConnect' : 'connect', awaitHeaders);
    });
    request.on('error', (error) => {
      if (error instanceof FetchError) fail(error);
      else if ((error as { cause?: unknown }).cause instanceof FetchError) fail((error as { cause: FetchError }).cause);
      else fail(new NetworkError(href, error));
    });
    request.end();
  });
}

/**
 * The URL parsed and checked before any connection: http(s) only, no credentials, and (unless
 * allowed) no private IP literal or localhost name. Throws UnsupportedUrlError or BlockedAddressError.
 */
export function checkUrl(
  raw: string,
  allowPrivate: boolean,
  isPrivate = isPrivateAddress,
  policy: AddressPolicy = FETCH_ADDRESS_POLICY,
): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsupportedUrlError(raw, 'not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UnsupportedUrlError(raw, `protocol ${url.protocol} is not http or https`);
  if (url.username || url.password) throw new UnsupportedUrlError(raw, 'credentials in URLs are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (isIP(host) ? isPrivate(host) : host === 'localhost' || host.endsWith('.localhost'))) {
    throw new BlockedAddressError(url.hostname, host, policy);
  }
  return url;
}

/**
 * GET a page politely and defensively: a User-Agent naming the project, limits on connect,
 * headers and the whole exchange, a body limit counted after decompression, a redirect limit,
 * and no address but public unicast (checked on every hop, on the address connected to).
 * With `settings.conditional`, a 304 resolves with `notModified: true` and an empty body.
 * Throws a FetchError for any other non-2xx outcome.
 */
export async function fetchPage(rawUrl: string, settings: FetchSettings): Promise<FetchedPage> {
  const started = Date.now();
  const deadline = started + settings.timeoutMs;
  const conditional = Object.keys(conditionalHeaders(settings.conditional)).length > 0;
  let url = checkUrl(rawUrl, settings.allowPrivate, settings.isPrivate);
  const seen = new Set<string>([url.toString()]);
  for (let redirects = 0; ; redirects++) {
    const hop = await requestOnce(url, settings, deadline);
    if (hop.body === null) {
      if (redirects >= settings.maxRedirects) throw new TooManyRedirectsError(rawUrl, settings.maxRedirects);
      const next = checkUrl(
        new URL(String(hop.headers.location), url).toString(),
        settings.allowPrivate,
        settings.isPrivate,
      );
      if (seen.has(next.toString())) throw new TooManyRedirectsError(rawUrl, settings.maxRedirects);
      seen.add(next.toString());
      url = next;
      continue;
    }
    const notModified = hop.status === 304 && conditional;
    if (!notModified && (hop.status < 200 || hop.status >= 300)) {
      throw new HttpStatusError(
        hop.status,
        url.toString(),
        parseRetryAfter(hop.headers['retry-after'] as string | undefined, Date.now()),
      );
    }
    const body = notModified ? Buffer.alloc(0) : hop.body;
    return {
      url: rawUrl,
      finalUrl: url.toString(),
      status: hop.status,
      contentType: String(hop.headers['content-type'] ?? ''),
      body,
      bytes: body.length,
      contentHash: createHash('sha256').update(body).digest('hex'),
      fetchedAt: new Date(started),
      durationMs: Date.now() - started,
      redirects,
      notModified,
      etag: singleHeader(hop.headers.etag),
      lastModified: singleHeader(hop.headers['last-modified']),
      truncated: hop.truncated,
    };
  }
}

/** The media type alone, lowercased: `text/html; charset=utf-8` → `text/html`. */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}
