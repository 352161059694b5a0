import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { isPrivateAddress } from './address.js';
import {
  BlockedAddressError,
  BodyTooLargeError,
  FetchError,
  FetchTimeoutError,
  HttpStatusError,
  NetworkError,
  TooManyRedirectsError,
  UnsupportedUrlError,
} from './errors.js';

export interface FetchSettings {
  userAgent: string;
  /** Whole request, connect to last byte, per hop. */
  timeoutMs: number;
  /** Largest body accepted, counted after decompression. */
  maxBytes: number;
  maxRedirects: number;
  allowPrivate: boolean;
  accept?: string;
  /** The resolver; the system one unless a test substitutes another. */
  dnsLookup?: typeof dnsLookup;
}

export interface FetchedPage {
  url: string;
  finalUrl: string;
  status: number;
  contentType: string;
  body: Buffer;
  bytes: number;
  /** sha256 of the (decompressed) body, hex. */
  contentHash: string;
  fetchedAt: Date;
  durationMs: number;
  redirects: number;
}

const keepAlive = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8 };
const agents = { 'http:': new http.Agent(keepAlive), 'https:': new https.Agent(keepAlive) };

/**
 * Resolves like the system resolver but refuses private answers: the check applies to the
 * address actually connected to, so a DNS answer cannot smuggle in 127.0.0.1.
 */
function guardedLookup(allowPrivate: boolean, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as LookupAddress[];
      const usable = allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address));
      if (usable.length === 0) {
        return callback(new BlockedAddressError(hostname, list[0]?.address ?? '?') as unknown as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
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

function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

interface HopResult {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer | null;
}

function requestOnce(url: URL, settings: FetchSettings, deadline: number): Promise<HopResult> {
  return new Promise<HopResult>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const remaining = Math.max(1, deadline - Date.now());
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const request = client.request(
      url,
      {
        method: 'GET',
        agent: agents[url.protocol as 'http:' | 'https:'],
        lookup: guardedLookup(settings.allowPrivate, settings.dnsLookup),
        headers: {
          'user-agent': settings.userAgent,
          accept: settings.accept ?? 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.5',
          'accept-encoding': 'gzip, deflate, br',
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          settled = true;
          clearTimeout(timer);
          return resolve({ status, headers: response.headers, body: null });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        const stream = decoded(response);
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > settings.maxBytes) return fail(new BodyTooLargeError(url.toString(), settings.maxBytes));
          chunks.push(chunk);
        });
        stream.on('error', (error) => fail(new NetworkError(url.toString(), error)));
        response.on('error', (error) => fail(new NetworkError(url.toString(), error)));
        stream.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status, headers: response.headers, body: Buffer.concat(chunks, size) });
        });
      },
    );
    const timer = setTimeout(() => fail(new FetchTimeoutError(url.toString(), settings.timeoutMs)), remaining);
    request.on('socket', (socket: Socket) => {
      // Belt and braces: check the peer actually connected to (covers IP-literal hosts, which skip lookup).
      const check = () => {
        const peer = socket.remoteAddress;
        if (!settings.allowPrivate && peer && isPrivateAddress(peer)) fail(new BlockedAddressError(url.hostname, peer));
      };
      if (socket.remoteAddress) check();
      else socket.once('connect', check);
    });
    request.on('error', (error) => {
      if (error instanceof FetchError) fail(error);
      else if ((error as { cause?: unknown }).cause instanceof FetchError) fail((error as { cause: FetchError }).cause);
      else fail(new NetworkError(url.toString(), error));
    });
    request.end();
  });
}

function checkUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsupportedUrlError(raw, 'not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsupportedUrlError(raw, `protocol ${url.protocol} is not http or https`);
  if (url.username || url.password) throw new UnsupportedUrlError(raw, 'credentials in URLs are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (isIP(host) ? isPrivateAddress(host) : host === 'localhost' || host.endsWith('.localhost'))) {
    throw new BlockedAddressError(url.hostname, host);
  }
  return url;
}

/**
 * GET a page politely and defensively: a User-Agent naming the project, a deadline for the
 * whole exchange, a body limit counted after decompression, a redirect limit, and no private
 * or loopback address (checked on every hop, on the address connected to).
 * Throws a FetchError for any non-2xx outcome.
 */
export async function fetchPage(rawUrl: string, settings: FetchSettings): Promise<FetchedPage> {
  const started = Date.now();
  const deadline = started + settings.timeoutMs;
  let url = checkUrl(rawUrl, settings.allowPrivate);
  const seen = new Set<string>([url.toString()]);
  for (let redirects = 0; ; redirects++) {
    const hop = await requestOnce(url, settings, deadline);
    if (hop.body === null) {
      if (redirects >= settings.maxRedirects) throw new TooManyRedirectsError(rawUrl, settings.maxRedirects);
      const next = checkUrl(new URL(String(hop.headers.location), url).toString(), settings.allowPrivate);
      if (seen.has(next.toString())) throw new TooManyRedirectsError(rawUrl, settings.maxRedirects);
      seen.add(next.toString());
      url = next;
      continue;
    }
    if (hop.status < 200 || hop.status >= 300) {
      throw new HttpStatusError(hop.status, url.toString(), parseRetryAfter(hop.headers['retry-after'] as string | undefined, Date.now()));
    }
    return {
      url: rawUrl,
      finalUrl: url.toString(),
      status: hop.status,
      contentType: String(hop.headers['content-type'] ?? ''),
      body: hop.body,
      bytes: hop.body.length,
      contentHash: createHash('sha256').update(hop.body).digest('hex'),
      fetchedAt: new Date(started),
      durationMs: Date.now() - started,
      redirects,
    };
  }
}

/** The media type alone, lowercased: `text/html; charset=utf-8` → `text/html`. */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}
