import { describe, expect, it } from 'vitest';
import {
  capCrawlDelay,
  DEFAULT_MAX_CRAWL_DELAY_MS,
  normalizeRobotsPath,
  parseRobotsTxt,
  productToken,
  robotsAllows,
  robotsPatternMatches,
} from './robots.js';

const allowed = (text: string, path: string, token = 'paperboy') =>
  robotsAllows(parseRobotsTxt(text, token), `https://site.example${path}`);

describe('productToken', () => {
  it.each([
    ['paperboy/0.1 (+https://example.org/bot)', 'paperboy'],
    ['PaperBoy', 'paperboy'],
    ['paperboy-test/1', 'paperboy-test'],
    ['  Mozilla/5.0 (compatible; paperboy)', 'mozilla'],
    ['/nothing', ''],
  ])('%j → %j', (ua, token) => {
    expect(productToken(ua)).toBe(token);
  });
});

describe('parseRobotsTxt: groups', () => {
  const text = [
    'User-agent: *',
    'Disallow: /private',
    '',
    'User-agent: PaperBoy/2.0',
    'Disallow: /only-for-others',
    'Crawl-delay: 2.5',
    '',
    'User-agent: otherbot',
    'Disallow: /',
  ].join('\n');

  it('uses the group naming our product token, case-insensitively, ignoring its version', () => {
    expect(allowed(text, '/only-for-others')).toBe(false);
    expect(allowed(text, '/private')).toBe(true); // our group does not say so; * does not apply to us
    expect(parseRobotsTxt(text, 'paperboy').crawlDelayMs).toBe(2500);
  });

  it('falls back to the * group when no group names us', () => {
    expect(allowed(text, '/private', 'somebot')).toBe(false);
    expect(allowed(text, '/only-for-others', 'somebot')).toBe(true);
    expect(parseRobotsTxt(text, 'somebot').crawlDelayMs).toBeUndefined();
  });

  it('does not match a token that only starts like ours', () => {
    expect(allowed('User-agent: paperboyish\nDisallow: /\n', '/x')).toBe(true);
  });

  it('allows everything with no matching group, an empty file or junk', () => {
    expect(allowed('User-agent: otherbot\nDisallow: /\n', '/x')).toBe(true);
    expect(allowed('', '/x')).toBe(true);
    expect(allowed('<html><body>Not a robots file</body></html>', '/x')).toBe(true);
  });

  it('merges every group that names us, and lets several user-agent lines share one group', () => {
    const merged = [
      'User-agent: a',
      'User-agent: paperboy',
      'Disallow: /one',
      '',
      'User-agent: paperboy',
      'Disallow: /two',
    ].join('\n');
    expect(allowed(merged, '/one')).toBe(false);
    expect(allowed(merged, '/two')).toBe(false);
    expect(allowed(merged, '/one', 'a')).toBe(false);
    expect(allowed(merged, '/two', 'a')).toBe(true);
  });

  it('starts a new group at a user-agent line that follows rules', () => {
    const text2 = ['User-agent: paperboy', 'Disallow: /a', 'User-agent: other', 'Disallow: /b'].join('\n');
    expect(allowed(text2, '/a')).toBe(false);
    expect(allowed(text2, '/b')).toBe(true);
  });

  it('ignores rules before any user-agent, comments, sitemaps, unknown lines, CRLF and a BOM', () => {
    const text2 =
      '\uFEFFDisallow: /before\r\nSitemap: https://site.example/sitemap.xml\r\nUSER-AGENT: * # everyone\r\nfoo: bar\r\nDISALLOW: /tmp # scratch\r\n';
    expect(allowed(text2, '/before')).toBe(true);
    expect(allowed(text2, '/tmp/file')).toBe(false);
    expect(allowed(text2, '/tmpx')).toBe(false);
    expect(allowed(text2, '/other')).toBe(true);
  });

  it('treats an empty Disallow as no rule', () => {
    expect(allowed('User-agent: *\nDisallow:\n', '/anything')).toBe(true);
  });
});

describe('robotsAllows: matching', () => {
  it('lets the longest match decide', () => {
    const text = 'User-agent: *\nDisallow: /papers\nAllow: /papers/public\nDisallow: /papers/public/drafts\n';
    expect(allowed(text, '/papers/x')).toBe(false);
    expect(allowed(text, '/papers/public/1')).toBe(true);
    expect(allowed(text, '/papers/public/drafts/1')).toBe(false);
    expect(allowed(text, '/elsewhere')).toBe(true);
  });

  it('lets Allow win a tie of equal length', () => {
    expect(allowed('User-agent: *\nDisallow: /page\nAllow: /page\n', '/page')).toBe(true);
    expect(allowed('User-agent: *\nAllow: /page\nDisallow: /page\n', '/page')).toBe(true);
  });

  it('understands * anywhere and $ at the end', () => {
    const text = 'User-agent: *\nDisallow: /*.pdf$\nDisallow: /search*q=\nAllow: /$\nDisallow: /\n';
    expect(allowed(text, '/')).toBe(true);
    expect(allowed(text, '/index.html')).toBe(false);
    const pdf = 'User-agent: *\nDisallow: /*.pdf$\nDisallow: /search*q=\n';
    expect(allowed(pdf, '/papers/2401.00001.pdf')).toBe(false);
    expect(allowed(pdf, '/papers/2401.00001.pdf?download=1')).toBe(true);
    expect(allowed(pdf, '/papers/2401.00001.pdfx')).toBe(true);
    expect(allowed(pdf, '/search?q=llm')).toBe(false);
    expect(allowed(pdf, '/search/advanced?lang=en&q=llm')).toBe(false);
    expect(allowed(pdf, '/search?lang=en')).toBe(true);
  });

  it('matches the query string too', () => {
    expect(allowed('User-agent: *\nDisallow: /list?page=\n', '/list?page=2')).toBe(false);
    expect(allowed('User-agent: *\nDisallow: /list?page=\n', '/list')).toBe(true);
  });

  it('compares paths and patterns in one percent-encoded form', () => {
    expect(allowed('User-agent: *\nDisallow: /café\n', '/caf%C3%A9/menu')).toBe(false);
    expect(allowed('User-agent: *\nDisallow: /caf%c3%a9\n', '/café')).toBe(false);
    expect(allowed('User-agent: *\nDisallow: /%7Euser\n', '/~user/home')).toBe(false);
    expect(normalizeRobotsPath('/a%2fb%7e')).toBe('/a%2Fb~');
  });

  it('always allows /robots.txt itself', () => {
    expect(allowed('User-agent: *\nDisallow: /\n', '/robots.txt')).toBe(true);
  });

  it('stays fast on a hostile pattern (no regex backtracking)', () => {
    const pattern = `/${'*a'.repeat(40)}$`;
    const text = `/${'a'.repeat(5000)}b`;
    // Counted, not timed: the path's characters are read through a proxy. Backtracking would
    // read them exponentially often; the matcher reads each at most once per pattern position.
    let reads = 0;
    const path = new Proxy(new String(text), {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return key === 'length' ? text.length : Reflect.get(target, key);
      },
    }) as unknown as string;
    expect(robotsPatternMatches(pattern, path)).toBe(false);
    expect(robotsPatternMatches(pattern, text)).toBe(false);
    expect(reads).toBeGreaterThanOrEqual(text.length);
    expect(reads).toBeLessThanOrEqual(pattern.length * text.length);
  });

  it.each([
    ['/fish', '/fish', true],
    ['/fish', '/fish.html', true],
    ['/fish', '/Fish.asp', false],
    ['/fish*', '/fishheads/yummy.html', true],
    ['/fish/', '/fish', false],
    ['/*.php', '/folder/filename.php?parameters', true],
    ['/*.php$', '/filename.php/', false],
    ['/fish*.php', '/fishheads/catfish.php?parameters', true],
    ['/fish*.php', '/Fish.PHP', false],
    ['*', '/anything', true],
  ])('pattern %s vs %s → %s', (pattern, path, expected) => {
    expect(robotsPatternMatches(pattern, path)).toBe(expected);
  });
});

describe('capCrawlDelay', () => {
  it.each([
    [86_400_000, 60_000, { delayMs: 60_000, capped: true }], // a day, cut to the default cap
    [60_001, 60_000, { delayMs: 60_000, capped: true }],
    [60_000, 60_000, { delayMs: 60_000, capped: false }], // exactly the cap: honoured as declared
    [2_500, 60_000, { delayMs: 2_500, capped: false }],
    [0, 60_000, { delayMs: 0, capped: false }],
    [Number.POSITIVE_INFINITY, 10_000, { delayMs: 10_000, capped: true }],
    [Number.NaN, 60_000, { delayMs: 0, capped: false }],
  ])('declared %d ms, cap %d ms → %j', (declared, cap, expected) => {
    expect(capCrawlDelay(declared, cap)).toEqual(expected);
  });

  it('caps what a hostile robots.txt declares, however large', () => {
    for (const value of ['86400', '1e308', '999999999999']) {
      const declared = parseRobotsTxt(`User-agent: *\nCrawl-delay: ${value}\n`, 'paperboy').crawlDelayMs!;
      expect(capCrawlDelay(declared, DEFAULT_MAX_CRAWL_DELAY_MS), value).toEqual({ delayMs: 60_000, capped: true });
    }
  });
});

describe('parseRobotsTxt: hostile files', () => {
  // The old /#.*$/ retried from every '#' up to a U+2028 it cannot cross: about 10^11 steps here,
  // hours of a blocked event loop. The generous timeout only bounds a regression.
  it('reads a 1 MB comment line that a line-terminator character splits, in linear time', { timeout: 20_000 }, () => {
    const text = `User-agent: *\nDisallow: /private\n${'#'.repeat(1_000_000)}\u2028x\nAllow: /private/open # a comment\n`;
    const robots = parseRobotsTxt(text, 'paperboy');
    expect(robotsAllows(robots, 'https://site.example/private/x')).toBe(false);
    expect(robotsAllows(robots, 'https://site.example/private/open')).toBe(true);
  });
});
