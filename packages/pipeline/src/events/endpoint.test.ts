import { describe, expect, it } from 'vitest';
import {
  isPrivateLiteralHost,
  issueLines,
  maskSecret,
  parseReplaySince,
  replayRetentionProblem,
  shownWebhookUrl,
  webhookEndpointSchemas,
  webhookUrlProblem,
  withoutSecret,
  withoutUrlSecrets,
} from './endpoint.js';

describe('webhook endpoint validation', () => {
  it('takes http(s) URLs and refuses other schemes, credentials, fragments and overlong ones', () => {
    expect(webhookUrlProblem('https://hooks.example.org/paperboy?x=1', false)).toBeNull();
    expect(webhookUrlProblem('http://hooks.example.org/', false)).toBeNull();
    expect(webhookUrlProblem('ftp://hooks.example.org/', false)).toMatch(/http or https only/);
    expect(webhookUrlProblem('javascript:alert(1)', false)).toMatch(/http or https only/);
    expect(webhookUrlProblem('hooks.example.org/x', false)).toMatch(/not an absolute URL/);
    expect(webhookUrlProblem('https://user:pw@hooks.example.org/', false)).toMatch(/no credentials/);
    expect(webhookUrlProblem('https://hooks.example.org/#x', false)).toMatch(/fragment/);
    expect(webhookUrlProblem(`https://hooks.example.org/${'a'.repeat(2048)}`, false)).toMatch(/at most 2048/);
  });

  it('refuses literal private and loopback hosts in every spelling URL normalizes, unless allowed', () => {
    for (const host of [
      '127.0.0.1',
      '127.1',
      '0x7f.0.0.1',
      '2130706433',
      '10.1.2.3',
      '192.168.0.10',
      '172.20.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '[::1]',
      '[::]',
      '[fd00::1]',
      '[fe80::1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:10.0.0.1]',
      'localhost',
      'localhost.',
      'LOCALHOST..',
      'api.localhost',
      'api.localhost.',
    ]) {
      expect(webhookUrlProblem(`https://${host}/hook`, false), host).toMatch(/private or loopback/);
      expect(webhookUrlProblem(`https://${host}/hook`, true), host).toBeNull();
    }
    for (const host of ['93.184.215.14', '[2606:4700::1111]', 'hooks.example.org', '[::ffff:93.184.215.14]'])
      expect(isPrivateLiteralHost(new URL(`https://${host}/`).hostname), host).toBe(false);
  });

  it('refuses control characters (a URL parser drops them silently; a terminal obeys them) and port 0', () => {
    for (const url of [
      'http://example.com/a\nb',
      'http://example.com/\x1b[2J',
      'http://exa\tmple.com/',
      'http://example.com/\u0085',
    ])
      expect(webhookUrlProblem(url, false), JSON.stringify(url)).toMatch(/no control characters/);
    expect(webhookUrlProblem('http://example.com:0/', false)).toMatch(/port 0/);
    const { create } = webhookEndpointSchemas({ topics: [], allowPrivate: false });
    expect(create.safeParse({ url: 'https://x.example/', description: 'evil\x1b[31mRED' }).success).toBe(false);
  });

  it('stores the URL as it will be requested (normalised)', () => {
    const { create } = webhookEndpointSchemas({ topics: [], allowPrivate: false });
    expect(create.parse({ url: 'HTTP://Hooks.EXAMPLE.org:80/a/../b?x=1' }).url).toBe('http://hooks.example.org/b?x=1');
  });

  it('shows an endpoint URL by its origin only, in pages and in errors', () => {
    const url = 'https://hooks.example.org/services/T0/B0?token=SEKRIT';
    expect(shownWebhookUrl(url)).toBe('https://hooks.example.org/…');
    expect(shownWebhookUrl('https://hooks.example.org/')).toBe('https://hooks.example.org');
    expect(shownWebhookUrl('not a url')).toBe('<the endpoint URL>');
    expect(withoutUrlSecrets(`connect ECONNREFUSED while posting to ${url}`, url)).toBe(
      'connect ECONNREFUSED while posting to https://hooks.example.org/…',
    );
  });

  it('checks event types and topics, and names each bad field', () => {
    const { create, change } = webhookEndpointSchemas({ topics: ['llm', 'vision'], allowPrivate: false });
    expect(
      create.parse({
        url: ' https://h.example.org/ ',
        eventTypes: ['paper.created', 'paper.created'],
        topics: ['llm'],
      }),
    ).toEqual({ url: 'https://h.example.org/', eventTypes: ['paper.created'], topics: ['llm'] });
    const bad = create.safeParse({
      url: 'ftp://x',
      eventTypes: ['paper.deleted'],
      topics: ['astrology'],
      secret: 'short',
      extra: 1,
    });
    expect(bad.success).toBe(false);
    const lines = issueLines(bad.error!);
    expect(lines.find((l) => l.startsWith('url:'))).toMatch(/http or https only/);
    expect(lines.find((l) => l.startsWith('eventTypes:'))).toMatch(/paper\.deleted.*known: paper\.created/);
    expect(lines.find((l) => l.startsWith('topics:'))).toMatch(/astrology.*known: llm, vision/);
    expect(lines.find((l) => l.startsWith('secret:'))).toMatch(/16 to 200/);
    expect(lines.join('\n')).toMatch(/extra/);
    expect(create.safeParse({}).success).toBe(false);
    expect(change.safeParse({}).success).toBe(false);
    expect(change.parse({ topics: [] })).toEqual({ topics: [] });
  });

  it('never shows a secret in full', () => {
    const secret = 'whsec_abcdefghijklmnopqrstuvwxyz0123456789';
    expect(maskSecret(secret)).toBe('whsec_ab…');
    expect(maskSecret('my-own-secret-0123456789')).toBe('my…');
    const shown = withoutSecret({ id: 1, secret });
    expect(shown).toEqual({ id: 1, secretPrefix: 'whsec_ab…' });
    expect(JSON.stringify(shown)).not.toContain(secret.slice(8));
  });
});

describe('replay start', () => {
  const now = new Date('2026-12-07T12:00:00Z');

  it('takes a duration back from now, a day or a time with a zone, never the future', () => {
    expect(parseReplaySince('2h', now)?.toISOString()).toBe('2026-12-07T10:00:00.000Z');
    expect(parseReplaySince('90m', now)?.toISOString()).toBe('2026-12-07T10:30:00.000Z');
    expect(parseReplaySince('3d', now)?.toISOString()).toBe('2026-12-04T12:00:00.000Z');
    expect(parseReplaySince('1w', now)?.toISOString()).toBe('2026-11-30T12:00:00.000Z');
    expect(parseReplaySince('2026-12-06', now)?.toISOString()).toBe('2026-12-06T00:00:00.000Z');
    expect(parseReplaySince('2026-12-07T09:00:00+01:00', now)?.toISOString()).toBe('2026-12-07T08:00:00.000Z');
    for (const bad of ['', 'yesterday', '2h ago', '-2h', '2026-12-08', '2026-12-07T09:00:00', '5y'])
      expect(parseReplaySince(bad, now), bad).toBeNull();
  });

  it('refuses a start before the retention window, saying what is left', () => {
    expect(replayRetentionProblem(new Date('2026-12-01T00:00:00Z'), 14, null, now)).toBeNull();
    const problem = replayRetentionProblem(new Date('2026-11-01T00:00:00Z'), 14, new Date('2026-11-24T03:00:00Z'), now);
    expect(problem).toMatch(/older than the retention window \(PAPERBOY_EVENT_RETENTION_DAYS=14/);
    expect(problem).toMatch(/oldest event kept occurred at 2026-11-24T03:00:00.000Z/);
    expect(problem).toMatch(/Replay from 2026-11-24T03:00:00.000Z or later/);
  });
});
