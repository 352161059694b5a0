import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawHeader, type SmtpTestServer, type SmtpTestServerOptions, startSmtpTestServer } from '@paperboy/test-utils';
import { type ParsedMail, simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { digestInput, HOSTILE_TITLE, paper } from './digest.fixtures.js';
import { type RenderedDigest, renderDigest } from './digest.js';
import { MailPermanentError, MailTemporaryError } from './errors.js';
import { createTransport, type MailTransport, outboxFileName } from './transport.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function smtpServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const server = await startSmtpTestServer(options);
  cleanups.push(() => server.close());
  return server;
}

function transport(config: Parameters<typeof createTransport>[0]): MailTransport {
  const created = createTransport(config);
  cleanups.push(() => created.close());
  return created;
}

async function outboxDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paperboy-outbox-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const expectedHeaders = {
  'list-unsubscribe': '<https://paperboy.example/unsubscribe?token=abc>',
  'list-unsubscribe-post': 'List-Unsubscribe=One-Click',
  'list-id': 'paperboy digest <digest.paperboy.example>',
};

function expectDigestHeaders(parsed: ParsedMail, digest: RenderedDigest): void {
  for (const [name, value] of Object.entries(expectedHeaders)) expect(rawHeader(parsed, name)).toBe(value);
  expect(rawHeader(parsed, 'message-id')).toBe(digest.messageId);
  expect(parsed.messageId).toBe(digest.messageId);
  expect(parsed.subject).toBe(digest.subject);
}

/** Header names in the raw header block, lowercased: what a receiving MTA would see. */
function headerNames(raw: Buffer): string[] {
  const head = raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
  return head
    .split(/\r?\n/)
    .filter((line) => line && !/^[ \t]/.test(line))
    .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}

describe('SMTP transport', () => {
  it('delivers a digest with text and HTML parts, list headers and the stable Message-ID', async () => {
    const server = await smtpServer();
    const mail = transport({ smtpUrl: server.url, outboxDir: '/nonexistent' });
    const digest = renderDigest(digestInput());
    const result = await mail.send(digest);

    expect(result.messageId).toBe(digest.messageId);
    expect(result.response).toMatch(/^250/);
    expect(server.messages).toHaveLength(1);
    const [received] = server.messages;
    expect(received?.rcptTo).toEqual(['reader@example.com']);
    expect(received?.mailFrom).toBe('digest@paperboy.example');
    const parsed = received!.parsed;
    expectDigestHeaders(parsed, digest);
    expect(parsed.text).toContain('1. Sparse Attention at Scale');
    expect(parsed.html).toContain('<a href="https://arxiv.org/abs/2611.01234"');
    expect(parsed.html).toContain('We study sparse attention.');

    // Same subscriber and period: same id on a retry. Another period: another id.
    await mail.send(renderDigest(digestInput()));
    await mail.send(
      renderDigest(digestInput({ period: { label: 'Daily digest, 29 Nov 2026', key: 'daily-2026-11-29' } })),
    );
    const ids = server.messages.map((message) => message.parsed.messageId);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[2]).toMatch(/^<digest\.[0-9a-f]{32}@paperboy\.example>$/);
  });

  it('delivers a hostile title escaped in HTML, intact in text, and injects no header', async () => {
    const server = await smtpServer();
    const mail = transport({ smtpUrl: server.url, outboxDir: '/nonexistent', pool: false });
    const digest = renderDigest(
      digestInput({
        subscriber: { email: 'reader@example.com', name: 'Reader\r\nBcc: evil@example.com' },
        papers: [
          // No arXiv id: the stored URL is the title's link.
          paper({ arxivId: null, title: HOSTILE_TITLE, url: 'javascript:alert(1)' }),
          paper({ arxivId: null, title: 'ok', url: 'data:text/html,x' }),
        ],
      }),
    );
    await mail.send(digest);

    const [received] = server.messages;
    const parsed = received!.parsed;
    expect(received?.rcptTo).toEqual(['reader@example.com']);
    expect(parsed.bcc).toBeUndefined();
    expect(headerNames(received!.raw)).not.toContain('bcc');
    expect(parsed.headerLines.filter((line) => line.key === 'subject')).toHaveLength(1);
    expect(parsed.subject).toBe(
      'Daily digest, 28 Nov 2026: Attack <script>alert(1)</script> "quoted" & more Bcc: evil@example.com and 1 more',
    );

    const html = parsed.html || '';
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; more Bcc: evil@example.com');
    expect(parsed.text).toContain('Attack <script>alert(1)</script> "quoted" & more Bcc: evil@example.com');

    // Non-http(s) paper links arrive as "#".
    expect(html.match(/<a href="#"/g)).toHaveLength(2);
    expect(html).not.toMatch(/javascript:|data:text/);
  });

  it.each([
    ['RCPT TO', { rejectRcpt: { responseCode: 451, message: 'Try again later' } }],
    ['DATA', { rejectData: { responseCode: 451, message: 'Try again later' } }],
  ])('turns a 451 reply to %s into MailTemporaryError', async (_command, options) => {
    const server = await smtpServer(options);
    const mail = transport({ smtpUrl: server.url, outboxDir: '/nonexistent' });
    const error = await mail.send(renderDigest(digestInput())).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MailTemporaryError);
    expect(error).toMatchObject({ responseCode: 451, retryable: true });
    expect((error as MailTemporaryError).response).toMatch(/^451 .*Try again later/);
  });

  it.each([
    ['RCPT TO', { rejectRcpt: { responseCode: 550, message: 'No such user' } }],
    ['DATA', { rejectData: { responseCode: 550, message: 'Message rejected' } }],
  ])('turns a 550 reply to %s into MailPermanentError', async (_command, options) => {
    const server = await smtpServer(options);
    const mail = transport({ smtpUrl: server.url, outboxDir: '/nonexistent' });
    const error = await mail.send(renderDigest(digestInput())).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MailPermanentError);
    expect(error).toMatchObject({ responseCode: 550, retryable: false });
    expect((error as MailPermanentError).response).toMatch(/^550 /);
  });

  it('turns an unreachable server into MailTemporaryError without a response code', async () => {
    const server = await startSmtpTestServer();
    await server.close();
    const mail = transport({ smtpUrl: server.url, outboxDir: '/nonexistent', pool: false });
    const error = await mail.send(renderDigest(digestInput())).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MailTemporaryError);
    expect(error).toMatchObject({ responseCode: null, retryable: true });
  });

  it('sends 50 messages over a pool of fewer connections', async () => {
    const server = await smtpServer();
    const mail = transport({ smtpUrl: server.url, outboxDir: '/nonexistent', pool: true, maxConnections: 2 });
    const digests = Array.from({ length: 50 }, (_, i) =>
      renderDigest(digestInput({ subscriber: { email: `reader${i}@example.com` } })),
    );
    const results = await Promise.all(digests.map((digest) => mail.send(digest)));

    expect(results.map((result) => result.messageId)).toEqual(digests.map((digest) => digest.messageId));
    expect(server.messages).toHaveLength(50);
    expect(server.connections).toBeGreaterThan(0);
    expect(server.connections).toBeLessThanOrEqual(2);
  });
});

describe('outbox transport', () => {
  it('writes a parseable .eml named by the Message-ID with the same headers', async () => {
    const dir = join(await outboxDir(), 'nested');
    const mail = transport({ outboxDir: dir });
    const digest = renderDigest(digestInput({ papers: [paper({ title: HOSTILE_TITLE })] }));
    const result = await mail.send(digest);

    expect(result.messageId).toBe(digest.messageId);
    expect(result.path).toBe(join(dir, `${digest.messageId.slice(1, -1)}.eml`));
    const raw = await readFile(result.path!);
    expect(raw.toString('utf8')).toContain('\r\n');
    const parsed = await simpleParser(raw);
    expectDigestHeaders(parsed, digest);
    expect(headerNames(raw)).not.toContain('bcc');
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.text).toContain('<script>alert(1)</script>');

    // A retried send replaces the file instead of adding one.
    await mail.send(digest);
    expect(await readdir(dir)).toEqual([`${digest.messageId.slice(1, -1)}.eml`]);
  });

  it('names files safely whatever the Message-ID holds', async () => {
    const dir = await outboxDir();
    const mail = transport({ outboxDir: dir });
    const result = await mail.send({ ...renderDigest(digestInput()), messageId: '<../../etc/passwd\u0000 x@y>' });
    expect(result.path).toBe(join(dir, outboxFileName(result.messageId)));
    expect(await readdir(dir)).toHaveLength(1);

    expect(outboxFileName('<digest.abc@paperboy.example>')).toBe('digest.abc@paperboy.example.eml');
    expect(outboxFileName('<../../etc/passwd x@y>')).toBe('__.._etc_passwd_x@y.eml');
    expect(outboxFileName('<..>')).toBe('_.eml');
    expect(outboxFileName('<>')).toBe('message.eml');
    expect(outboxFileName(`<${'a'.repeat(500)}@x>`).length).toBeLessThanOrEqual(204);
    for (const name of ['<a/b\\c:d*e?f"g<h>i|j@k>', '<\r\n@x>'])
      expect(outboxFileName(name)).toMatch(/^[A-Za-z0-9_@-][A-Za-z0-9._@-]*\.eml$/);
  });

  it('uses the id nodemailer generates when the message has none', async () => {
    const dir = await outboxDir();
    const mail = transport({ outboxDir: dir });
    const { messageId: _ignored, ...message } = renderDigest(digestInput());
    const result = await mail.send(message);
    expect(result.messageId).toMatch(/^<.+@.+>$/);
    expect(await readdir(dir)).toEqual([outboxFileName(result.messageId)]);
  });
});
