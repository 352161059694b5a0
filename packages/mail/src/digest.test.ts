import { describe, expect, it } from 'vitest';
import { digestInput, feedbackOf, HOSTILE_TITLE, paper, richDigestInput } from './digest.fixtures.js';
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
    expect(digest.html).not.toMatch(/<script/i);
    // One <style> block, in the head, for dark mode and small screens only: the light look is inline.
    expect(digest.html.match(/<style/g)).toHaveLength(1);
    expect(digest.html.indexOf('</style>')).toBeLessThan(digest.html.indexOf('<body'));
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
          // No arXiv id: the stored URL is the title's link.
          paper({ arxivId: null, title: 'js', url: 'javascript:alert(1)' }),
          paper({ arxivId: null, title: 'data', url: 'data:text/html,<script>alert(1)</script>' }),
          paper({ arxivId: null, title: 'relative', url: '/abs/1' }),
          paper({ arxivId: null, title: 'quote', url: 'https://example.com/a"onmouseover="alert(1)' }),
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

describe('renderDigest with the richer fields', () => {
  it('matches the text snapshot of the fixture digest', async () => {
    const digest = renderDigest(richDigestInput());
    await expect(digest.text).toMatchFileSnapshot('./__snapshots__/digest.rich.txt');
    await expect(digest.html).toMatchFileSnapshot('./__snapshots__/digest.rich.html');
  });

  it('links the title to the canonical page, never to the listing it was seen on', () => {
    const { html, text } = renderDigest(richDigestInput());
    // arXiv first (version dropped), then Hugging Face, then the stored URL.
    expect(html).toContain('<a href="https://arxiv.org/abs/2612.04567" class="pb-link"');
    expect(html).not.toContain('127.0.0.1');
    expect(text).not.toContain('127.0.0.1');
    expect(html).toContain('<a href="https://arxiv.org/abs/2612.01001" class="pb-link"');
    expect(html).toContain('<a href="https://huggingface.co/papers/openpixel-2026" class="pb-link"');
    expect(html).toContain('<a href="https://workshop.example.org/2026/papers/17" class="pb-link"');
    expect(text).toContain('   Paper: https://arxiv.org/abs/2612.04567\n');
  });

  it('links PDF, code with its stars, project page and discussion only when known', () => {
    const { html, text } = renderDigest(richDigestInput());
    expect(html).toContain('href="https://arxiv.org/pdf/2612.04567"');
    expect(html).toContain('>Code (★ 15.6k)</a>');
    expect(html).toContain('href="https://github.com/example-lab/draft-trees"');
    expect(html).toContain('href="https://example-lab.github.io/draft-trees/"');
    expect(html).toContain('href="https://huggingface.co/papers/2612.04567#community"');
    expect(text).toContain('   Code (★ 15.6k): https://github.com/example-lab/draft-trees\n');
    expect(text).toContain('   Discussion: https://huggingface.co/papers/2612.04567#community');
    // The arXiv-only paper: a PDF, no code, no discussion; the Hugging Face one: stars without code in its meta.
    const second = text.slice(text.indexOf('2. '), text.indexOf('3. '));
    expect(second).toContain('PDF: https://arxiv.org/pdf/2612.01001');
    expect(second).not.toMatch(/Code|Discussion|huggingface/);
    const third = text.slice(text.indexOf('3. '), text.indexOf('4. '));
    expect(third).toContain('vision · 12 upvotes · ★ 420');
    expect(third).not.toMatch(/PDF|arxiv/);
    expect(html.match(/Code \(/g)).toHaveLength(1);
  });

  it('shows the source summary, else the first whole sentences of the abstract', () => {
    const { text, html } = renderDigest(richDigestInput());
    expect(html).toContain('Draft trees let a small model propose several continuations at once');
    expect(html).not.toContain('Long-context decoding is slow');
    // "e.g.", "et al.", "cf. Fig." and "3.5" do not end a sentence; two sentences fit in 300 characters.
    expect(html).toContain(
      'Policies trained in simulation, e.g. with PPO, often fail on hardware. Following Lee et al. we randomize dynamics, but adapt the ranges online (cf. Fig. 2) from 3.5 hours of real data.</p>',
    );
    expect(html).not.toContain('The robot walks');
    // A sentence too long for 300 characters is cut at a word, with an ellipsis.
    expect(html).toContain('abstract that goes on without a…</p>');
    const fourth = text.slice(text.indexOf('4. '));
    expect(fourth).toContain('…');
    expect(fourth).not.toContain('ends here');
  });

  it('shortens authors and keeps homonyms; shows the topics it is given', () => {
    const { text } = renderDigest(richDigestInput());
    expect(text).toContain('Wei Wang, Maria Garcia, Wei Wang et al.');
    expect(text).toContain('Jonas Berg and Priya Natarajan');
    expect(text).toContain('llm · 87 upvotes · arXiv:2612.04567');
    expect(text).toContain('rl-robotics · vision · arXiv:2612.01001');
  });

  it('says why each paper was picked and links "More like this" / "Less like this", in both parts', () => {
    const { html, text } = renderDigest(richDigestInput());
    expect(html).toContain('>Why: by an author you follow (Priya Natarajan)</p>');
    expect(html).toContain(
      '>Why: like “Medusa: Simple LLM Inference Acceleration with Multiple Decoding Heads” you liked</p>',
    );
    expect(html).toContain(`<a href="${feedbackOf(3).moreUrl}" class="pb-link"`);
    expect(html).toContain(`<a href="${feedbackOf(3).lessUrl}" class="pb-link"`);
    expect(html.match(/>More like this<\/a>/g)).toHaveLength(4);
    expect(html.match(/>Less like this<\/a>/g)).toHaveLength(4);
    const third = text.slice(text.indexOf('3. '), text.indexOf('4. '));
    expect(third).toContain('   vision · 12 upvotes · ★ 420\n   Why: trending in vision\n');
    expect(third).toContain(
      `   More like this:\n   ${feedbackOf(3).moreUrl}\n   Less like this:\n   ${feedbackOf(3).lessUrl}`,
    );
    // No tracking: nothing but links the reader clicks, and the paper links as they were.
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('<a href="https://arxiv.org/abs/2612.04567" class="pb-link"');
  });

  it('escapes a reason, shortens a long one, and leaves out what is missing or unsafe', () => {
    const { html, text } = renderDigest(
      digestInput({
        papers: [
          paper({
            why: 'like “<script>alert(1)</script>” you\r\nliked',
            feedback: { moreUrl: 'javascript:alert(1)', lessUrl: 'https://x.example/l' },
          }),
          paper({ title: 'Long', why: `matches “${'word '.repeat(60)}”` }),
          paper({ title: 'None' }),
        ],
      }),
    );
    expect(html).toContain('Why: like “&lt;script&gt;alert(1)&lt;/script&gt;” you liked');
    expect(html).not.toMatch(/<script|javascript:/);
    // An unsafe link drops the pair: no half of it.
    expect(html).not.toContain('like this');
    expect(text).not.toContain('like this');
    const long = text.slice(text.indexOf('2. '), text.indexOf('3. '));
    expect(long).toMatch(/Why: matches “(word ){10,}/);
    expect(long).toContain('…');
    expect(text.slice(text.indexOf('3. '))).not.toContain('Why:');
  });

  it('declares both colour schemes and styles the dark one', () => {
    const { html } = renderDigest(richDigestInput());
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('<meta name="supported-color-schemes" content="light dark">');
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    expect(html).toMatch(/max-width:600px/);
    expect(html).not.toMatch(/<img|<link|@import|url\(/i);
  });

  it('drops unsafe extra links and refuses ids that would build a hostile URL', () => {
    const { html, text } = renderDigest(
      digestInput({
        papers: [
          paper({
            arxivId: '"><script>alert(1)</script>',
            url: 'https://example.org/p',
            githubRepo: 'javascript:alert(1)',
            projectPage: 'data:text/html,x',
            huggingfaceId: '../../admin"',
            githubStars: 5,
          }),
        ],
      }),
    );
    expect(html).not.toMatch(/javascript:|data:text|<script|admin/);
    expect(text).not.toMatch(/javascript:|data:text|admin/);
    expect(html).toContain('<a href="https://example.org/p" class="pb-link"');
    expect(html).not.toMatch(/>Code|>Project page|>Discussion|>PDF/);
    // The stars still show, without a code link to carry them.
    expect(text).toContain('★ 5');
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
