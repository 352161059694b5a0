import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, isPrivateAddress } from './address.js';
import { BlockedAddressError, UnsupportedUrlError } from './errors.js';
import { type FetchSettings, fetchPage } from './fetch-page.js';

/**
 * The IANA IPv4 and IPv6 Special-Purpose Address Registries (as of 2025), plus the blocks of the
 * address-space registries that are not global unicast (multicast, site-local, IPv4-compatible,
 * the space outside 2000::/3). Written out here, independently of the classifier under test.
 * IPv4-mapped ::ffff:0:0/96 is not a block here: it is IPv4 written as IPv6, and judged as that
 * IPv4 address (the embedded cases below).
 */
const specialPurposeV4: Array<[string, string]> = [
  ['0.0.0.0/8', '"this network" (RFC 791)'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'shared address space / CGNAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback (RFC 1122)'],
  ['169.254.0.0/16', 'link local (RFC 3927)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'],
  ['192.0.0.0/29', 'DS-Lite (RFC 7335)'],
  ['192.0.0.8/32', 'IPv4 dummy address (RFC 7600)'],
  ['192.0.0.9/32', 'PCP anycast (RFC 7723)'],
  ['192.0.0.10/32', 'TURN anycast (RFC 8155)'],
  ['192.0.0.170/32', 'NAT64/DNS64 discovery (RFC 8880)'],
  ['192.0.0.171/32', 'NAT64/DNS64 discovery (RFC 8880)'],
  ['192.0.2.0/24', 'documentation TEST-NET-1 (RFC 5737)'],
  ['192.31.196.0/24', 'AS112-v4 (RFC 7535)'],
  ['192.52.193.0/24', 'AMT (RFC 7450)'],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast (RFC 7526)'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['192.175.48.0/24', 'direct delegation AS112 (RFC 7534)'],
  ['198.18.0.0/15', 'benchmarking (RFC 2544)'],
  ['198.51.100.0/24', 'documentation TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0/24', 'documentation TEST-NET-3 (RFC 5737)'],
  ['224.0.0.0/4', 'multicast (RFC 5771)'],
  ['240.0.0.0/4', 'reserved (RFC 1112)'],
  ['255.255.255.255/32', 'limited broadcast (RFC 919)'],
];

const specialPurposeV6: Array<[string, string]> = [
  ['::/128', 'unspecified (RFC 4291)'],
  ['::1/128', 'loopback (RFC 4291)'],
  ['::/96', 'IPv4-compatible, deprecated (RFC 4291)'],
  ['::ffff:0:0:0/96', 'IPv4-translated (RFC 6145)'],
  ['64:ff9b::/96', 'IPv4-IPv6 translation, NAT64 (RFC 6052)'],
  ['64:ff9b:1::/48', 'local-use IPv4-IPv6 translation (RFC 8215)'],
  ['100::/64', 'discard-only (RFC 6666)'],
  ['100:0:0:1::/64', 'dummy IPv6 prefix (RFC 9780)'],
  ['2001::/23', 'IETF protocol assignments (RFC 2928)'],
  ['2001::/32', 'Teredo (RFC 4380)'],
  ['2001:1::1/128', 'PCP anycast (RFC 7723)'],
  ['2001:1::2/128', 'TURN anycast (RFC 8155)'],
  ['2001:1::3/128', 'DNS-SD SRP anycast (RFC 9665)'],
  ['2001:2::/48', 'benchmarking (RFC 5180)'],
  ['2001:3::/32', 'AMT (RFC 7450)'],
  ['2001:4:112::/48', 'AS112-v6 (RFC 7535)'],
  ['2001:10::/28', 'ORCHID, deprecated (RFC 4843)'],
  ['2001:20::/28', 'ORCHIDv2 (RFC 7343)'],
  ['2001:30::/28', 'drone remote ID entity tags (RFC 9374)'],
  ['2001:db8::/32', 'documentation (RFC 3849)'],
  ['2002::/16', '6to4 (RFC 3056)'],
  ['2620:4f:8000::/48', 'direct delegation AS112 (RFC 7534)'],
  ['3fff::/20', 'documentation (RFC 9637)'],
  ['5f00::/16', 'segment routing SIDs (RFC 9602)'],
  ['fc00::/7', 'unique local (RFC 4193)'],
  ['fe80::/10', 'link-local unicast (RFC 4291)'],
  ['fec0::/10', 'site-local, deprecated (RFC 3879)'],
  ['ff00::/8', 'multicast (RFC 4291)'],
  ['4000::/3', 'unassigned, outside global unicast 2000::/3'],
];

/** First, middle and last address of a block, computed here so the test does not trust the code under test. */
function samples(cidr: string): string[] {
  const [net, bits] = cidr.split('/') as [string, string];
  const v6 = net.includes(':');
  const width = v6 ? 128 : 32;
  const base = v6 ? v6ToBig(net) : net.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n);
  const size = 1n << BigInt(width - Number(bits));
  const toText = v6 ? bigToV6 : bigToV4;
  return [...new Set([base, base + size / 2n, base + size - 1n])].map(toText);
}

function v6ToBig(text: string): bigint {
  const [head, tail = ''] = text.split('::') as [string, string?];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = text.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(`0x${group}`), 0n);
}

function bigToV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(16 * (7 - i))) & 0xffffn).toString(16));
  return groups.join(':');
}

function bigToV4(value: bigint): string {
  return Array.from({ length: 4 }, (_, i) => String((value >> BigInt(8 * (3 - i))) & 0xffn)).join('.');
}

describe('isPrivateAddress: only public unicast addresses pass', () => {
  it.each([...specialPurposeV4, ...specialPurposeV6])('refuses every address of %s, %s', (cidr) => {
    for (const address of samples(cidr)) expect(isPrivateAddress(address), address).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '9.9.9.9',
    '151.101.1.69',
    '100.63.255.255', // just below CGNAT
    '172.32.0.1', // just above 172.16/12
    '198.20.0.1', // just above benchmarking 198.18/15
    '223.255.254.1',
    '2606:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001:80b::200e',
    '2001:200::1', // just above 2001::/23
    '2003::1', // just above 6to4
    '::ffff:8.8.8.8', // IPv4-mapped: the same host as 8.8.8.8
  ])('allows the public address %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
    expect(classifyAddress(address).public).toBe(true);
  });

  it.each([
    ['::ffff:127.0.0.1', 'IPv4-mapped', '127.0.0.1'],
    ['::ffff:7f00:1', 'IPv4-mapped', '127.0.0.1'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped', '169.254.169.254'],
    ['::127.0.0.1', 'IPv4-compatible', '127.0.0.1'],
    ['::7f00:1', 'IPv4-compatible', '127.0.0.1'],
    ['::ffff:0:a00:1', 'IPv4-translated', '10.0.0.1'],
    ['64:ff9b::a00:1', 'NAT64', '10.0.0.1'],
    ['64:ff9b::127.0.0.1', 'NAT64', '127.0.0.1'],
    ['64:ff9b:1::c0a8:101', 'NAT64', '192.168.1.1'],
    ['2002:7f00:1::', '6to4', '127.0.0.1'],
    ['2002:a00:1:1::1', '6to4', '10.0.0.1'],
    // Teredo: the client address is stored inverted (RFC 4380 §4); 80ff:fffe is 127.0.0.1.
    ['2001:0:808:808:0:0:80ff:fffe', 'Teredo', '127.0.0.1'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo', '192.0.2.45'],
  ])('decodes the IPv4 address embedded in %s (%s %s) and refuses it', (address, form, ipv4) => {
    const verdict = classifyAddress(address);
    expect(verdict.public).toBe(false);
    expect(verdict.embedded).toMatchObject({ form, address: ipv4, public: false });
    expect(verdict.reason).toContain(ipv4);
  });

  it('refuses an embedding form even when the IPv4 address inside is public', () => {
    for (const address of [
      '64:ff9b::808:808',
      '::8.8.8.8',
      '2002:808:808::1',
      '::808:808',
      '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
    ]) {
      const verdict = classifyAddress(address);
      expect(verdict.public, address).toBe(false);
      expect(verdict.embedded?.public, address).toBe(true);
    }
  });

  it.each([
    '',
    'abc',
    'localhost',
    '127.1', // legacy shorthands that some parsers accept for 127.0.0.1
    '0x7f.0.0.1',
    '2130706433',
    '017700000001',
    '127.000.000.001',
    '1.2.3.4.5',
    '256.1.1.1',
    ' 8.8.8.8',
    '8.8.8.8 ',
    '[::1]',
    '[2606:4700::1111]',
    '1::2::3',
    'gggg::1',
    ':::',
    '2606:4700::1111:',
    '::ffff:1.2.3',
    // A zone id only makes sense for a scoped (non-global) address: refused whatever the address.
    'fe80::1%eth0',
    '2606:4700::1111%eth0',
    '8.8.8.8%eth0',
  ])('refuses the malformed or scoped address %j', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
    expect(classifyAddress(address).public).toBe(false);
  });
});

describe('fetchPage: the address check end to end (real guarded lookup and connect)', () => {
  let v4: Server;
  let v6: Server | null = null;
  let v4Port = 0;
  let v6Port = 0;
  let connections = 0;
  const settings: FetchSettings = {
    userAgent: 'paperboy-test/1.0',
    timeoutMs: 3000,
    maxBytes: 1024 * 1024,
    maxRedirects: 3,
    allowPrivate: false,
  };

  const listen = (server: Server, host: string) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
    });

  beforeAll(async () => {
    const handler = (_req: unknown, res: { writeHead(s: number): { end(b: string): void } }) =>
      res.writeHead(200).end('secret');
    v4 = createServer(handler);
    v4.on('connection', () => connections++);
    v4Port = await listen(v4, '127.0.0.1');
    const server6 = createServer(handler);
    server6.on('connection', () => connections++);
    v6Port = await listen(server6, '::1').catch(() => 0);
    if (v6Port) v6 = server6;
  });

  afterAll(async () => {
    await new Promise((resolve) => v4.close(resolve));
    if (v6) await new Promise((resolve) => v6!.close(resolve));
  });

  const refused = async (url: string, extra: Partial<FetchSettings> = {}) => {
    const before = connections;
    const error = await fetchPage(url, { ...settings, ...extra }).catch((e: unknown) => e);
    // Refused before any connection reached the server: not a byte of the request was sent.
    expect(connections - before, url).toBe(0);
    return error;
  };

  it('the fixture servers answer when private addresses are allowed (so a refusal below is the check)', async () => {
    expect((await fetchPage(`http://127.0.0.1:${v4Port}/`, { ...settings, allowPrivate: true })).body.toString()).toBe(
      'secret',
    );
    // The IPv4-mapped literal reaches the IPv4 loopback server: the embedded form is a real way in.
    expect(
      (await fetchPage(`http://[::ffff:7f00:1]:${v4Port}/`, { ...settings, allowPrivate: true })).body.toString(),
    ).toBe('secret');
    if (v6)
      expect((await fetchPage(`http://[::1]:${v6Port}/`, { ...settings, allowPrivate: true })).body.toString()).toBe(
        'secret',
      );
  });

  it.each([
    ['http://[::ffff:7f00:1]:PORT4/', '::ffff:7f00:1'],
    ['http://[::ffff:127.0.0.1]:PORT4/', '::ffff:7f00:1'],
    ['http://[0:0:0:0:0:ffff:7f00:1]:PORT4/', '::ffff:7f00:1'],
    ['http://[::127.0.0.1]:PORT4/', '::7f00:1'],
    ['http://[64:ff9b::7f00:1]:PORT4/', '64:ff9b::7f00:1'],
    ['http://[2002:7f00:1::1]:PORT4/', '2002:7f00:1::1'],
    ['http://[::1]:PORT6/', '::1'],
    ['http://[0:0:0:0:0:0:0:1]:PORT6/', '::1'],
    ['http://0x7f.1:PORT4/', '127.0.0.1'],
    ['http://2130706433:PORT4/', '127.0.0.1'],
  ])('refuses the bracketed or embedded literal %s before connecting', async (template, address) => {
    const url = template.replace('PORT4', String(v4Port)).replace('PORT6', String(v6Port || 1));
    const error = await refused(url);
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect((error as Error).message).toContain(address);
  });

  it('refuses a DNS answer in an embedded form before connecting', async () => {
    for (const answer of ['::ffff:7f00:1', '::ffff:127.0.0.1', '::7f00:1', '64:ff9b::7f00:1']) {
      const resolve = ((
        _host: string,
        _options: unknown,
        callback: (e: null, a: Array<{ address: string; family: number }>) => void,
      ) => callback(null, [{ address: answer, family: 6 }])) as unknown as FetchSettings['dnsLookup'];
      const error = await refused(`http://papers.example.test:${v4Port}/`, { dnsLookup: resolve });
      expect(error, answer).toBeInstanceOf(BlockedAddressError);
      expect((error as Error).message).toMatch(/127\.0\.0\.1/);
    }
  });

  it('refuses a URL with an IPv6 zone id as malformed', async () => {
    for (const url of [`http://[fe80::1%25lo]:${v4Port}/`, `http://[::1%25lo]:${v6Port || 1}/`]) {
      expect(await refused(url)).toBeInstanceOf(UnsupportedUrlError);
    }
  });
});
