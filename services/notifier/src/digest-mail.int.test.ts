import { loadConfig } from '@paperboy/config';
import { DigestRepository, SubscriberRepository } from '@paperboy/db';
import { createTransport } from '@paperboy/mail';
import { DEFAULT_RANKING_WEIGHTS, verifyToken } from '@paperboy/pipeline';
import { createTestDatabase, type SmtpTestServer, startSmtpTestServer, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shownTopics } from './candidates.js';
import { huggingfaceIdOf } from './digest-mail.js';
import { createSendDigestHandler } from './handlers/send-digest.handler.js';
import { createSendDigestsHandler } from './handlers/send-digests.handler.js';

// What a digest shows of stored papers, through both send paths (the chunked send-digests and the
// single send-digest that resend-stuck uses), on a real Postgres and SMTP server.

let t: TestDatabase;
const servers: SmtpTestServer[] = [];
const logger = pino({ level: 'silent' });
const job = { queueName: 'notify', id: 'test', name: 'send', data: {} } as never;

beforeAll(async () => {
  t = await createTestDatabase();
  // A versioned arXiv paper first seen on a (loopback) listing, a Hugging Face paper without an
  // arXiv id, and one known only by its listing. Each has a second topic the readers below did not choose.
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, url, upvotes, first_seen_at, last_seen_at)
    VALUES ('2612.00001v2', 'Draft trees', 'draft trees',
            'Decoding is slow, e.g. for long inputs. We propose draft trees. They are fast.',
            '{Wei Wang,Maria Garcia,Wei Wang,Kenji Tanaka}', 'http://127.0.0.1:8081/papers/2612.00001', 30, now(), now()),
           (NULL, 'Open tokenizer', 'open tokenizer', 'An open image tokenizer. Everything is released.',
            '{Lena Fischer,Jonas Berg}', 'https://huggingface.co/papers/open-tokenizer', 20, now(), now()),
           (NULL, 'Workshop paper', 'workshop paper', NULL, '{}', 'https://workshop.example.org/p/3', 10, now(), now())`.execute(
    t.db,
  );
  // What Hugging Face gives beyond the listing (migration 0020), on the tokenizer.
  await sql`
    UPDATE papers SET ai_summary = 'OpenPixel releases every weight of an image tokenizer.',
                      code_url = 'https://github.com/example/openpixel', code_stars = 15600,
                      project_page = 'https://openpixel.example.org/'
    WHERE title = 'Open tokenizer'`.execute(t.db);
  await sql`
    INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
    SELECT id, t.topic, 0.9, t.position, 'v' FROM papers,
      LATERAL (VALUES (CASE WHEN title = 'Open tokenizer' THEN 'vision' ELSE 'llm' END, 0),
                      (CASE WHEN title = 'Open tokenizer' THEN 'llm' ELSE 'safety' END, 1)) AS t(topic, position)`.execute(
    t.db,
  );
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await t?.drop();
});

async function plan(email: string, topics: string[]) {
  const subscribers = new SubscriberRepository(t.db);
  const { id } = await subscribers.subscribe(email, { topics, frequency: 'daily' }, 'active');
  const [delivery] = await new DigestRepository(t.db).planDeliveries([{ id, email, periodKey: 'daily-2026-12-07' }]);
  return { id, deliveryId: delivery!.deliveryId };
}

async function smtpAndConfig() {
  const server = await startSmtpTestServer();
  servers.push(server);
  const config = loadConfig({
    SMTP_URL: server.url,
    PAPERBOY_SECRET: 'digest-mail-test-secret-Rt5Yu8Io2Pa4Sd7',
    PAPERBOY_PUBLIC_URL: 'https://localhost:3000',
  });
  return { server, config, transport: createTransport({ smtpUrl: server.url, outboxDir: '/tmp/unused', pool: false }) };
}

/** The papers part of a mail: from the greeting to the footer, the reader's own feedback tokens left out. */
function papersPart(body: string, end: string): string {
  return body
    .slice(body.indexOf('for this period.'), body.lastIndexOf(end))
    .replace(/feedback\?token=[A-Za-z0-9_.-]+/g, 'feedback?token=(theirs)');
}

describe('digest mails of stored papers', () => {
  it('render the same through send-digest and send-digests: canonical links, only the reader’s topics', async () => {
    const single = await smtpAndConfig();
    const a = await plan('single@example.org', ['llm']);
    const sendOne = createSendDigestHandler({ db: t.db, logger, config: single.config, transport: single.transport });
    expect(await sendOne({ deliveryId: a.deliveryId, subscriberId: a.id }, job)).toMatchObject({
      outcome: 'sent',
      papers: 3,
    });
    await single.transport.close();

    const chunk = await smtpAndConfig();
    const b = await plan('chunk@example.org', ['llm']);
    const sendChunk = createSendDigestsHandler({ db: t.db, logger, config: chunk.config, transport: chunk.transport });
    expect(await sendChunk({ deliveryIds: [b.deliveryId] }, job)).toMatchObject({ sent: 1 });
    await chunk.transport.close();

    const one = single.server.messages[0]!.parsed;
    const many = chunk.server.messages[0]!.parsed;
    const html = one.html || '';
    const text = one.text ?? '';
    expect(papersPart(html, 'You receive this digest')).toBe(papersPart(many.html || '', 'You receive this digest'));
    expect(papersPart(text, '-- ')).toBe(papersPart(many.text ?? '', '-- '));
    expect(papersPart(text, '-- ').match(/feedback\?token=\(theirs\)/g)).toHaveLength(6);

    // The arXiv paper: its abstract and PDF without version, never the loopback listing it was seen on.
    expect(html).toContain('href="https://arxiv.org/abs/2612.00001"');
    expect(html).toContain('href="https://arxiv.org/pdf/2612.00001"');
    expect(html).not.toContain('127.0.0.1');
    expect(text).not.toContain('127.0.0.1');
    expect(text).toContain('Decoding is slow, e.g. for long inputs. We propose draft trees.\n');
    expect(text).toContain('Wei Wang, Maria Garcia, Wei Wang et al.');
    // The Hugging Face paper: its page and discussion; the listing-only one: its stored URL.
    expect(html).toContain('href="https://huggingface.co/papers/open-tokenizer"');
    expect(html).toContain('href="https://huggingface.co/papers/open-tokenizer#community"');
    expect(text).toContain('Paper: https://workshop.example.org/p/3');
    expect(text).toContain('Lena Fischer and Jonas Berg');
    // Its source's summary instead of the abstract, code with stars, project page.
    expect(text).toContain('OpenPixel releases every weight of an image tokenizer.');
    expect(text).not.toContain('An open image tokenizer.');
    expect(html).toContain('href="https://github.com/example/openpixel"');
    expect(html).toContain('Code (★ 15.6k)');
    expect(html).toContain('href="https://openpixel.example.org/"');
    // Only the reader's topic: not "safety" (a second topic of two papers), not "vision" (the tokenizer's best).
    expect(text).not.toMatch(/safety|vision/);
    expect(text.match(/^ {3}llm · /gm)).toHaveLength(3);
  });

  it('carries per paper its reason and "more/less like this" links whose tokens verify to that paper and signal', async () => {
    const { server, config, transport } = await smtpAndConfig();
    const r = await plan('feedback@example.org', ['llm']);
    const send = createSendDigestsHandler({ db: t.db, logger, config, transport });
    expect(await send({ deliveryIds: [r.deliveryId] }, job)).toMatchObject({ sent: 1 });
    await transport.close();
    const { html, text } = server.messages[0]!.parsed;
    const { rows: papers } = await sql<{ id: number; title: string }>`
      SELECT p.id, p.title FROM delivered_papers d JOIN papers p ON p.id = d.paper_id
      WHERE d.delivery_id = ${r.deliveryId} ORDER BY p.id`.execute(t.db);
    expect(papers).toHaveLength(3);
    const { rows } = await sql<{
      token_version: number;
    }>`SELECT token_version FROM subscribers WHERE id = ${r.id}`.execute(t.db);
    const tokensIn = (body: string) =>
      [...body.matchAll(/https:\/\/localhost:3000\/feedback\?token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!);
    for (const body of [html || '', text ?? '']) {
      const claims = tokensIn(body).map((token) => {
        const check = verifyToken(config.mail.secret!, token, 'feedback', new Date());
        if (!check.ok) throw new Error(`feedback token refused: ${check.reason}`);
        expect(check.subscriberId).toBe(r.id);
        expect(check.version).toBe(rows[0]!.token_version);
        return `${check.feedback!.paperId}:${check.feedback!.signal}`;
      });
      expect(claims.sort()).toEqual(papers.flatMap((p) => [`${p.id}:-1`, `${p.id}:1`]).sort());
      // A feedback token is no unsubscribe or preferences token.
      expect(verifyToken(config.mail.secret!, tokensIn(body)[0]!, 'unsubscribe', new Date())).toMatchObject({
        ok: false,
        reason: 'wrong-purpose',
      });
    }
    // Each paper says why it is there (this reader: their topic), in both parts.
    expect(text?.match(/^ {3}Why: trending in llm$/gm)).toHaveLength(3);
    expect((html || '').match(/>Why: trending in llm<\/p>/g)).toHaveLength(3);
    // The paper links are not rewritten through paperboy.
    expect(html).toContain('href="https://arxiv.org/abs/2612.00001"');
    expect(html).not.toMatch(/<img/i);
  });

  it('shows a reader without a topic filter each paper’s best topic', async () => {
    const single = await smtpAndConfig();
    const c = await plan('everything@example.org', []);
    const send = createSendDigestHandler({ db: t.db, logger, config: single.config, transport: single.transport });
    expect(await send({ deliveryId: c.deliveryId, subscriberId: c.id }, job)).toMatchObject({ papers: 3 });
    await single.transport.close();
    const text = single.server.messages[0]!.parsed.text ?? '';
    expect(text).not.toContain('safety');
    expect(text).toContain('   vision · 20 upvotes');
    expect(text).toContain('   llm · 30 upvotes · arXiv:2612.00001');
  });
});

describe('the ranking weights', () => {
  it('default to DEFAULT_RANKING_WEIGHTS (PAPERBOY_RANK_* unset)', () => {
    expect(loadConfig({}).ranking).toEqual(DEFAULT_RANKING_WEIGHTS);
  });
});

describe('shownTopics and huggingfaceIdOf', () => {
  it('keeps the reader’s topics in the paper’s order, else the best one', () => {
    expect(shownTopics(['vision', 'llm', 'safety'], ['safety', 'vision'])).toEqual(['vision', 'safety']);
    expect(shownTopics(['vision', 'llm'], ['rl-robotics'])).toEqual([]);
    expect(shownTopics(['vision', 'llm'], [])).toEqual(['vision']);
    expect(shownTopics([], [])).toEqual([]);
  });

  it('reads a Hugging Face paper id from its page URL only', () => {
    expect(huggingfaceIdOf('https://huggingface.co/papers/2612.00001')).toBe('2612.00001');
    expect(huggingfaceIdOf('https://www.huggingface.co/papers/2612.00001?x=1')).toBe('2612.00001');
    expect(huggingfaceIdOf('https://huggingface.co/papers/2612.00001#community')).toBe('2612.00001');
    expect(huggingfaceIdOf('https://huggingface.co/papers?date=2026-12-07')).toBeNull();
    expect(huggingfaceIdOf('https://huggingface.co.evil.example/papers/x')).toBeNull();
    expect(huggingfaceIdOf('http://127.0.0.1:8081/papers/2612.00001')).toBeNull();
    expect(huggingfaceIdOf(null)).toBeNull();
  });
});
