import { classifyAddress } from './address.js';

/**
 * Fetch errors carry the retry decision: a retryable one is worth another attempt later
 * (timeouts, 5xx, 429, network), a permanent one is not (4xx, blocked address, bad URL, too large).
 */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class HttpStatusError extends FetchError {
  constructor(status: number, url: string, retryAfterMs: number | null) {
    const retryable = status >= 500 || status === 408 || status === 429;
    super(`HTTP ${status} from ${url}`, retryable, status, retryAfterMs);
  }
}

/** Where a request was when its time ran out. */
export type FetchPhase = 'connect' | 'headers' | 'body';
/** The setting whose limit was reached. */
export type FetchTimeoutLimit = 'connectTimeoutMs' | 'headersTimeoutMs' | 'timeoutMs';

const doing: Record<FetchPhase, string> = {
  connect: 'connecting (DNS, TCP, TLS)',
  headers: 'waiting for the response headers',
  body: 'reading the body',
};

function timeoutMessage(url: string, ms: number, phase: FetchPhase, limit: FetchTimeoutLimit): string {
  if (limit === 'connectTimeoutMs')
    return `connect timeout: could not connect to ${url} within ${ms} ms (connectTimeoutMs)`;
  if (limit === 'headersTimeoutMs')
    return `headers timeout: no response headers from ${url} within ${ms} ms of connecting (headersTimeoutMs)`;
  return `${phase} timeout: no complete response from ${url} within ${ms} ms (timeoutMs), timed out while ${doing[phase]}`;
}

export class FetchTimeoutError extends FetchError {
  constructor(
    url: string,
    ms: number,
    readonly phase: FetchPhase = 'body',
    readonly limit: FetchTimeoutLimit = 'timeoutMs',
  ) {
    super(timeoutMessage(url, ms, phase, limit), true);
  }
}

export class NetworkError extends FetchError {
  constructor(url: string, cause: Error) {
    super(`network error fetching ${url}: ${networkCause(cause)}`, true);
  }
}

/** A network error as what it is: a refused connection names the address that refused it (nothing listens there). */
function networkCause(cause: Error & { code?: string; address?: string; port?: number }): string {
  if (cause.code !== 'ECONNREFUSED' || !cause.address) return cause.message;
  const host = cause.address.includes(':') ? `[${cause.address}]` : cause.address;
  return `connection refused by ${host}${cause.port ? `:${cause.port}` : ''} (ECONNREFUSED: nothing listens there)`;
}

export class BodyTooLargeError extends FetchError {
  constructor(url: string, limit: number) {
    super(`body of ${url} exceeds the limit of ${limit} bytes`, false);
  }
}

export class TooManyRedirectsError extends FetchError {
  constructor(url: string, limit: number) {
    super(`more than ${limit} redirects starting at ${url}`, false);
  }
}

/** Who refused a non-public address: what it was doing and the setting that allows such addresses. */
export interface AddressPolicy {
  verb: string;
  setting: string;
}

export const FETCH_ADDRESS_POLICY: AddressPolicy = { verb: 'fetch', setting: 'PAPERBOY_FETCH_ALLOW_PRIVATE' };

export class BlockedAddressError extends FetchError {
  constructor(host: string, address: string, policy: AddressPolicy = FETCH_ADDRESS_POLICY) {
    // Name the block (and any IPv4 address embedded in an IPv6 one), so the operator sees why.
    const why = classifyAddress(address).reason;
    super(
      `refusing to ${policy.verb} ${host}: it resolves to the non-public address ${address}${why ? ` (${why})` : ''} (set ${policy.setting}=1 to allow)`,
      false,
    );
  }
}

export class UnsupportedUrlError extends FetchError {
  constructor(url: string, reason: string) {
    super(`cannot fetch ${url}: ${reason}`, false);
  }
}

export class UnexpectedContentTypeError extends FetchError {
  constructor(url: string, got: string, expected: readonly string[]) {
    super(`${url} answered with ${got || 'no content type'}, expected ${expected.join(' or ')}`, false);
  }
}
