import { describe, expect, it } from 'vitest';
import { digestInput, HOSTILE_TITLE, paper } from './digest.fixtures.js';
import { renderDigest } from './digest.js';
import { safeUrl, truncateAtWord } from './escape.js';

describe('renderDigest', () => {
  it('renders every paper with its link, first authors, topics, upvotes and an excerpt', () => {
    const digest = renderDigest(digestInput());
    expect(digest.html).toContain('<a href="https://arxiv.org/abs/2611.01234"');
    expect(digest.html).toContain('Ada Lovelace, Alan Turing, Grace Hopper et al.');
    expect(digest.html).not.toContain('Edsger');
    expect(digest.html).toContain('Machine learning · Efficiency · 42 upvotes · arXiv:2611.01234');
    expect(digest.html).toContain('Second paper');
    expect(digest.html).toContain('href="https://paperboy.example/unsubscribe?token=abc"');
    expect(digest.html).toContain('href="https://paperboy.example/preferences?token=abc"');
    expect(digest.html).not.toMatch(/<style|<script|class=/i);
    expect(digest.text).toContain('1. Sparse Attention at Scale');
    expect(digest.text).toContain('Ada Lovelace, Alan Turing, Grace Hopper et al.');
    expect(digest.text).toContain('2. Second paper');
    expect(digest.text).toContain('Unsubscribe: https://paperboy.example/unsubscribe?token=abc');
    expect(digest.text).toContain('Manage your preferences: https://paperboy.example/preferences?token=abc');
    expect(digest.text.split('\n').every((line) => line.length <= 80)).toBe(true);
    expect(digest.subject).toBe('Daily digest, 28 Nov 2026: Sparse Attention at Scale and 1 more');
    expect(digest.to).toEqual({ name: 'Reader', address: 'reader@example.com' });
  });

  it('builds the list headers and a Message-ID stable per subscriber and period', () => {
    const digest = renderDigest(digestInput());
    expect(digest.headers).toEqual({
      // Only what is processed: the https URL (RFC 8058). No mailto: nothing reads that mailbox.
      'List-Unsubscribe': '<https://paperboy.example/unsubscribe?token=abc>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': 'paperboy digest <digest.paperboy.example>',
    });
    expect(digest.messageId).toMatch(/^<digest\.[0-9a-f]{32}@paperboy\.example>$/);
    expect(renderDigest(digestInput({ papers: [] })).messageId).toBe(digest.messageId);
    expect(renderDigest(digestInput({ subscriber: { email: 'Reader@Example.com ' } })).messageId).toBe(
      digest.messageId,
    );
    expect(renderDigest(digestInput({ period: { label: 'x', key: 'daily-2026-11-29' } })).messageId).not.toBe(
      digest.messageId,
    );
    expect(renderDigest(digestInput({ subscriber: { email: 'other@example.com' } })).messageId).not.toBe(
      digest.messageId,
    );
  });

  it('escapes scraped text in HTML and keeps CR/LF out of the subject and headers', () => {
    const digest = renderDigest(
      digestInput({
        papers: [
          paper({
            title: HOSTILE_TITLE,
            authors: ['<b>Mallory</b>'],
            topics: ['a&b'],
            abstract: '<img src=x onerror=alert(1)>',
          }),
        ],
        period: { label: 'Daily\r\ndigest', key: 'k' },
        listId: 'list\r\nBcc: evil@example.com <digest.paperboy.example>',
      }),
    );
    expect(digest.html).not.toContain('<script>');
    expect(digest.html).not.toContain('<b>Mallory');
    expect(digest.html).not.toContain('<img');
    expect(digest.html).toContain(
      'Attack &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; more Bcc: evil@example.com',
    );
    expect(digest.html).toContain('a&amp;b');
    expect(digest.text).toContain('1. Attack <script>alert(1)</script> "quoted" & more Bcc: evil@example.com');
    for (const value of [digest.subject, ...Object.values(digest.headers), digest.messageId]) {
      expect(value).not.toMatch(/[\r\n]/);
    }
    expect(digest.subject).toBe('Daily digest: Attack <script>alert(1)</script> "quoted" & more Bcc: evil@example.com');
  });

  it('replaces non-http(s) paper links with "#" and escapes URLs in attributes', () => {
    const digest = renderDigest(
      digestInput({
        papers: [
          paper({ title: 'js', url: 'javascript:alert(1)' }),
          paper({ title: 'data', url: 'data:text/html,<script>alert(1)</script>' }),
          paper({ title: 'relative', url: '/abs/1' }),
          paper({ title: 'quote', url: 'https://example.com/a"onmouseover="alert(1)' }),
        ],
      }),
    );
    expect(digest.html).not.toMatch(/javascript:|data:text/);
    expect(digest.html.match(/<a href="#"/g)).toHaveLength(3);
    expect(digest.html).not.toContain('"onmouseover');
    expect(digest.html).toContain('href="https://example.com/a%22onmouseover=%22alert(1)"');
    expect(digest.text).not.toMatch(/javascript:|data:text/);
  });

  it('refuses unusable unsubscribe links, and offers one-click only over https (RFC 8058)', () => {
    const input = digestInput();
    expect(() => renderDigest({ ...input, links: { ...input.links, unsubscribeUrl: 'javascript:alert(1)' } })).toThrow(
      /unsubscribeUrl/,
    );
    expect(() => renderDigest({ ...input, links: { ...input.links, unsubscribeUrl: '/unsubscribe' } })).toThrow(
      /unsubscribeUrl/,
    );
    // A plain-http site (a local setup): the link is kept as it is, so it works, but without one-click.
    const plain = renderDigest({
      ...input,
      links: { ...input.links, unsubscribeUrl: 'http://localhost:3000/unsubscribe?token=abc' },
    });
    expect(plain.headers['List-Unsubscribe']).toBe('<http://localhost:3000/unsubscribe?token=abc>');
    expect(plain.headers).not.toHaveProperty('List-Unsubscribe-Post');
    expect(plain.text).toContain('Unsubscribe: http://localhost:3000/unsubscribe?token=abc');
    expect(() =>
      renderDigest({ ...input, links: { ...input.links, unsubscribeUrl: 'mailto:unsubscribe@paperboy.example' } }),
    ).toThrow(/unsubscribeUrl/);
    expect(() => renderDigest({ ...input, messageIdDomain: 'paperboy.example>\r\nBcc: x' })).toThrow(/messageIdDomain/);
  });
});

describe('escape helpers', () => {
  it('safeUrl keeps only absolute http(s) and mailto URLs', () => {
    expect(safeUrl('https://a.example/x y')).toBe('https://a.example/x%20y');
    expect(safeUrl('mailto:a@example.com')).toBe('mailto:a@example.com');
    expect(safeUrl('  JavaScript:alert(1)')).toBe('#');
    expect(safeUrl('ftp://a.example/')).toBe('#');
    expect(safeUrl('not a url')).toBe('#');
  });

  it('truncateAtWord cuts at a word boundary with an ellipsis', () => {
    expect(truncateAtWord('short text', 300)).toBe('short text');
    const cut = truncateAtWord('word '.repeat(100), 300);
    expect(cut.length).toBeLessThanOrEqual(301);
    expect(cut).toMatch(/ word…$/);
    expect(truncateAtWord('x'.repeat(400), 300)).toBe(`${'x'.repeat(300)}…`);
    expect(truncateAtWord(`${'a'.repeat(299)}😀tail`, 300)).toBe(`${'a'.repeat(299)}…`);
  });
});
