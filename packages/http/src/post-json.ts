import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { isPrivateAddress } from './address.js';
import { type AddressPolicy, BlockedAddressError, FetchError, FetchTimeoutError, NetworkError } from './errors.js';
import { checkUrl, guardedLookup } from './fetch-page.js';

export interface PostSettings {
  /** Headers sent besides Content-Type and Content-Length (names in any case). */
  headers: Record<string, string>;
  /** Deadline for the whole exchange, connect to the last byte of the answer. */
  timeoutMs: number;
  allowPrivate: boolean;
  /** Named in the error when a private address is refused (which setting allows it). */
  policy: AddressPolicy;
  /** Bytes of the answer's body read at most (the rest is dropped with the connection); default 64 KiB. */
  maxResponseBytes?: number;
  /** A keep-alive agent of the caller's (one per endpoint bounds its connections); default one shared per protocol. */
  agents?: { http: http.Agent; https: https.Agent };
  /** As in FetchSettings: tests only. */
  isPrivate?: (address: string) => boolean;
}

export interface PostAnswer {
  /** Any status: the caller decides what counts as accepted. Redirects are not followed. */
  status: number;
  /** The start of the answer's body, as text, for an error message (at most 200 characters). */
  excerpt: string;
  durationMs: number;
}

const keepAlive = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16 };
const sharedAgents = { http: new http.Agent(keepAlive), https: new https.Agent(keepAlive) };

/**
 * POSTs `body` and resolves with the answer's status, whatever it is: a webhook delivery. The
 * private-address policy of `fetchPage` applies (checked on the URL, on the DNS answer and on the
 * address connected to, a kept-alive connection included); one deadline bounds the whole exchange;
 * the answer's body is read up to a limit and discarded. Rejects with a FetchError: BlockedAddressError,
 * UnsupportedUrlError, FetchTimeoutError, NetworkError.
 */
export function postJson(rawUrl: string, body: string | Buffer, settings: PostSettings): Promise<PostAnswer> {
  const isPrivate = settings.isPrivate ?? isPrivateAddress;
  let url: URL;
  try {
    url = checkUrl(rawUrl, settings.allowPrivate, isPrivate, settings.policy);
  } catch (error) {
    return Promise.reject(error);
  }
  const started = Date.now();
  const href = url.toString();
  const isHttps = url.protocol === 'https:';
  const agents = settings.agents ?? sharedAgents;
  const maxBytes = settings.maxResponseBytes ?? 64 * 1024;
  return new Promise<PostAnswer>((resolve, reject) => {
    let settled = false;
    let phase: 'connect' | 'headers' | 'body' = 'connect';
    const finish = (error: Error | null, answer?: PostAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (error) {
        request.destroy();
        reject(error);
      } else resolve(answer!);
    };
    const request = (isHttps ? https : http).request(
      url,
      {
        method: 'POST',
        agent: isHttps ? agents.https : agents.http,
        lookup: guardedLookup(settings.allowPrivate, undefined, isPrivate, settings.policy),
        headers: {
          ...settings.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (response) => {
        phase = 'body';
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const answer = () => ({
          status,
          excerpt: Buffer.concat(chunks).toString('utf8', 0, Math.min(size, 400)).slice(0, 200),
          durationMs: Date.now() - started,
        });
        response.on('data', (chunk: Buffer) => {
          if (settled) return;
          size += chunk.length;
          if (size <= maxBytes) chunks.push(chunk);
          else {
            // Enough of it: the answer is known; drop the connection rather than read on.
            finish(null, answer());
            request.destroy();
          }
        });
        response.on('end', () => finish(null, answer()));
        response.on('error', (error) => finish(new NetworkError(href, error)));
      },
    );
    const deadline = setTimeout(
      () => finish(new FetchTimeoutError(href, settings.timeoutMs, phase)),
      settings.timeoutMs,
    );
    request.on('socket', (socket: Socket) => {
      // The address connected to, kept-alive connections included (IP literals skip the lookup).
      const check = () => {
        const peer = socket.remoteAddress;
        if (!settings.allowPrivate && peer && isPrivate(peer))
          finish(new BlockedAddressError(url.hostname, peer, settings.policy));
        else phase = 'headers';
      };
      if (socket.connecting) socket.once('connect', check);
      else check();
    });
    request.on('error', (error) => {
      if (error instanceof FetchError) finish(error);
      else if ((error as { cause?: unknown }).cause instanceof FetchError)
        finish((error as { cause: FetchError }).cause);
      else finish(new NetworkError(href, error));
    });
    request.end(body);
  });
}
