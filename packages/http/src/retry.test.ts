import { describe, expect, it } from 'vitest';
import {
  BlockedAddressError,
  BodyTooLargeError,
  FetchTimeoutError,
  HttpStatusError,
  NetworkError,
  TooManyRedirectsError,
  UnexpectedContentTypeError,
  UnsupportedUrlError,
} from './errors.js';
import { backoffWithJitter, retryDecision } from './retry.js';

const url = 'https://papers.example.test/list';
const http = (status: number, retryAfterMs: number | null = null) => new HttpStatusError(status, url, retryAfterMs);

describe('retryDecision', () => {
  it('pauses the host for a 429, for its Retry-After or a default minute', () => {
    expect(retryDecision(http(429, 7000))).toEqual({ retry: true, pauseHost: true, delayMs: 7000 });
    expect(retryDecision(http(429))).toEqual({ retry: true, pauseHost: true, delayMs: 60_000 });
    expect(retryDecision(http(429), { defaultThrottlePauseMs: 5000 })).toEqual({
      retry: true,
      pauseHost: true,
      delayMs: 5000,
    });
  });

  it('pauses the host for a 503 with Retry-After; without one, plain backoff', () => {
    expect(retryDecision(http(503, 30_000))).toEqual({ retry: true, pauseHost: true, delayMs: 30_000 });
    expect(retryDecision(http(503))).toEqual({ retry: true });
  });

  it('caps a pause at an hour (or the given cap)', () => {
    expect(retryDecision(http(429, 10 * 3600_000))).toEqual({ retry: true, pauseHost: true, delayMs: 3600_000 });
    expect(retryDecision(http(503, 10 * 3600_000), { maxPauseMs: 120_000 })).toMatchObject({ delayMs: 120_000 });
  });

  it.each([500, 502, 504, 599, 408])('retries %i with backoff, no fixed delay', (status) => {
    expect(retryDecision(http(status, 9000))).toEqual({ retry: true });
  });

  it.each([400, 401, 403, 404, 410, 451, 304])('does not retry %i', (status) => {
    expect(retryDecision(http(status))).toEqual({ retry: false });
  });

  it('retries timeouts and network errors', () => {
    expect(retryDecision(new FetchTimeoutError(url, 1000, 'connect', 'connectTimeoutMs'))).toEqual({ retry: true });
    expect(retryDecision(new NetworkError(url, new Error('ECONNRESET')))).toEqual({ retry: true });
  });

  it('does not retry what another attempt cannot change', () => {
    for (const error of [
      new BlockedAddressError('papers.example.test', '10.0.0.1'),
      new BodyTooLargeError(url, 1024),
      new UnsupportedUrlError('ftp://x', 'protocol ftp: is not http or https'),
      new TooManyRedirectsError(url, 5),
      new UnexpectedContentTypeError(url, 'image/png', ['text/html']),
    ]) {
      expect(retryDecision(error), error.name).toEqual({ retry: false });
    }
  });

  it('treats an unknown error as transient', () => {
    expect(retryDecision(new Error('ECONNREFUSED from somewhere else'))).toEqual({ retry: true });
  });
});

describe('backoffWithJitter', () => {
  it('spans [0, base·2^(attempt−1)] and stops growing at the cap', () => {
    const top = () => 0.999999;
    expect(backoffWithJitter(1, 1000, 60_000, top)).toBe(999);
    expect(backoffWithJitter(2, 1000, 60_000, top)).toBe(1999);
    expect(backoffWithJitter(4, 1000, 60_000, top)).toBe(7999);
    expect(backoffWithJitter(10, 1000, 60_000, top)).toBe(59_999);
    expect(backoffWithJitter(5000, 1000, 60_000, top)).toBe(59_999);
    expect(backoffWithJitter(3, 1000, 60_000, () => 0)).toBe(0);
    expect(backoffWithJitter(3, 1000, 60_000, () => 0.5)).toBe(2000);
  });

  it('treats attempts below 1 (or not a number) as the first', () => {
    expect(backoffWithJitter(0, 1000, 60_000, () => 0.5)).toBe(500);
    expect(backoffWithJitter(Number.NaN, 1000, 60_000, () => 0.5)).toBe(500);
  });

  it('stays within bounds with the real random source, and spreads', () => {
    const samples = Array.from({ length: 500 }, () => backoffWithJitter(6, 100, 10_000));
    for (const delay of samples) {
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(3200);
    }
    expect(new Set(samples).size).toBeGreaterThan(50);
  });
});
