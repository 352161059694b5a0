import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** How an IPv6 address carries an IPv4 address inside it. */
export type EmbeddingForm = 'IPv4-mapped' | 'IPv4-compatible' | 'IPv4-translated' | 'NAT64' | '6to4' | 'Teredo';

export interface AddressClass {
  /** May a page be fetched from it. */
  public: boolean;
  /**
   * ipaddr.js's name for the block it lies in (`unicast`, `loopback`, `private`, `6to4`, `teredo`, …),
   * or ours: `ipv4Compatible`, `unallocated` (IPv6 outside 2000::/3), `scoped` (a zone id), `malformed`.
   */
  range: string;
  /** The IPv4 address an IPv6 address embeds, judged by the same rule. */
  embedded?: { form: EmbeddingForm; address: string; range: string; public: boolean };
  /** Why it is not public, naming any embedded IPv4 address; empty when public. */
  reason: string;
}

/** The only IPv6 space IANA allocates global unicast addresses from; the rest is reserved or special. */
const globalUnicastV6 = ipaddr.IPv6.parseCIDR('2000::/3');

function ipv4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * `::1.2.3.4` with its dotted tail as two hex groups (`::102:304`), as the OS reads it: ipaddr.js
 * takes `::1.2.3.4` for the IPv4-mapped `::ffff:1.2.3.4`, not the IPv4-compatible address it is.
 */
function dottedTailAsHex(address: string): string {
  return address.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_all, a: string, b: string, c: string, d: string) =>
      `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
}

/** The IPv4 address inside an IPv6 one, by the form its block defines; null when it has none. */
function embeddedIPv4(ip: ipaddr.IPv6, range: string): { form: EmbeddingForm; ip: ipaddr.IPv4 } | null {
  const p = ip.parts;
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
      return { form: 'IPv4-mapped', ip: ipv4From(p[6]!, p[7]!) };
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return { form: 'IPv4-translated', ip: ipv4From(p[6]!, p[7]!) };
    case 'rfc6052': // 64:ff9b::a.b.c.d; the local-use 64:ff9b:1::/48 read with the usual /96 prefix
      return { form: 'NAT64', ip: ipv4From(p[6]!, p[7]!) };
    case '6to4': // 2002:aabb:ccdd::/48
      return { form: '6to4', ip: ipv4From(p[1]!, p[2]!) };
    case 'teredo': // 2001:0:server:server:flags:port:client:client, the client stored inverted (RFC 4380 §4)
      return { form: 'Teredo', ip: ipv4From(p[6]! ^ 0xffff, p[7]! ^ 0xffff) };
    default:
      // ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1); :: and ::1 have ranges of their own.
      if (range === 'unicast' && p.slice(0, 6).every((part) => part === 0))
        return { form: 'IPv4-compatible', ip: ipv4From(p[6]!, p[7]!) };
      return null;
  }
}

/**
 * Classifies an address a crawler is about to connect to. The rule: an address is public, and may be
 * fetched, only when it is
 * - a well-formed IPv4 dotted quad or IPv6 address, without a zone id (a zone id means a scoped,
 *   non-global address; legacy IPv4 forms such as `127.1` or `0x7f.1` are not addresses here);
 * - classified `unicast` by ipaddr.js, whose ranges cover the IANA IPv4 and IPv6 special-purpose
 *   registries, multicast and the deprecated site-local block;
 * - for IPv6, inside 2000::/3, the global unicast space (this also refuses IPv4-compatible ::/96 and
 *   any block the registries add outside it);
 * - and, when it embeds an IPv4 address (IPv4-mapped, -compatible, -translated, NAT64, 6to4, Teredo),
 *   that IPv4 address is public too. An IPv4-mapped address is that IPv4 address written as IPv6, so
 *   it is judged as the IPv4 address alone; every other embedding form is refused whatever it carries.
 */
export function classifyAddress(address: string): AddressClass {
  if (address.includes('%')) return { public: false, range: 'scoped', reason: 'a scoped address with a zone id' };
  const family = isIP(address);
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    if (family === 0) throw new Error('not an address');
    ip = family === 4 ? ipaddr.IPv4.parse(address) : ipaddr.IPv6.parse(dottedTailAsHex(address));
  } catch {
    return { public: false, range: 'malformed', reason: 'not an IP address' };
  }
  if (ip.kind() === 'ipv4') {
    const range = ip.range();
    return { public: range === 'unicast', range, reason: range === 'unicast' ? '' : range };
  }
  const v6 = ip as ipaddr.IPv6;
  let range: string = v6.range();
  const inner = embeddedIPv4(v6, range);
  if (inner?.form === 'IPv4-compatible') range = 'ipv4Compatible';
  else if (range === 'unicast' && !v6.match(globalUnicastV6)) range = 'unallocated';
  if (!inner) return { public: range === 'unicast', range, reason: range === 'unicast' ? '' : range };

  const innerRange = inner.ip.range();
  const embedded = {
    form: inner.form,
    address: inner.ip.toString(),
    range: innerRange,
    public: innerRange === 'unicast',
  };
  const isPublic = embedded.public && inner.form === 'IPv4-mapped';
  const reason = isPublic
    ? ''
    : `${inner.form} address of ${embedded.address}, ${embedded.public ? 'a form never fetched' : innerRange}`;
  return { public: isPublic, range, embedded, reason };
}

/** Addresses a crawler must never be pointed at by a page or a DNS answer: whatever classifyAddress does not call public. */
export function isPrivateAddress(address: string): boolean {
  return !classifyAddress(address).public;
}
