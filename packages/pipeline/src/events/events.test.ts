import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventTypes, outboxEvent } from './schemas.js';
import { newWebhookSecret, signatureHeader, verifySignature } from './signature.js';

describe('webhook signatures', () => {
  const secret = newWebhookSecret();
  const body = '{"id":"x","type":"paper.created"}';
  const now = 1_800_000_000;

  it('signs t.body with HMAC-SHA256, as a receiver recomputes it from the raw body', () => {
    const header = signatureHeader(secret, now, body);
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(header).toBe(`t=${now},v1=${expected}`);
    expect(verifySignature(header, body, secret, { now })).toBe(true);
  });

  it('refuses another body, another secret, an old timestamp and malformed headers', () => {
    const header = signatureHeader(secret, now, body);
    expect(verifySignature(header, `${body} `, secret, { now })).toBe(false);
    expect(verifySignature(header, body, newWebhookSecret(), { now })).toBe(false);
    expect(verifySignature(header, body, secret, { now: now + 301 })).toBe(false);
    for (const bad of [undefined, '', 't=', `v1=${'0'.repeat(64)}`, `t=${now}`, `t=${now},v1=zz`, 'garbage'])
      expect(verifySignature(bad, body, secret, { now })).toBe(false);
  });

  it('accepts any of several signatures (a secret being rotated)', () => {
    const old = newWebhookSecret();
    const header = signatureHeader([old, secret], now, body);
    expect(verifySignature(header, body, secret, { now })).toBe(true);
    expect(verifySignature(header, body, old, { now })).toBe(true);
  });
});

describe('event schemas', () => {
  it('checks data against the type and stamps its version', () => {
    const paper = {
      id: 1,
      arxivId: '2401.00001',
      title: 'T',
      authors: ['A'],
      url: 'https://arxiv.org/abs/2401.00001',
      upvotes: 3,
      topics: ['llm'],
      firstSeenAt: '2026-12-07T10:00:00.000Z',
    };
    expect(outboxEvent('paper.created', { paper, source: 'hf', listing: null, rank: 1 }, { paperId: 1 })).toMatchObject(
      {
        type: 'paper.created',
        version: 1,
        paperId: 1,
      },
    );
    expect(() =>
      outboxEvent('paper.created', { paper: { ...paper, id: 'x' }, source: 'hf', listing: null, rank: 1 } as never),
    ).toThrow(/paper.created does not match/);
    expect(EVENT_TYPES).toEqual(Object.keys(eventTypes));
  });
});
