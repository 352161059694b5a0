import { ReaderRepository, SubscriberRepository } from '@paperboy/db';
import { verifyToken } from '@paperboy/pipeline';
import { insertPaperRows, insertPaperTopicRows, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './api-harness.js';
import { chromiumAvailable } from './browser.js';

/**
 * Issue 14 end to end: a real digest mail (notifier workers, SMTP) carries "more/less like this"
 * links; a reader clicks them in Chromium (and undoes and redoes one); the train-reader job the
 * clicks queue trains their model; their next digest ranks a paper like the one they liked above a
 * paper like the one they disliked, which trends more and which a reader without feedback gets first.
 */
const SECRET = 'personal-digest-browser-secret-Qz7Wn3Lp';
let h: ApiHarness;
let t: TestDatabase;

const RAG = 'Retrieval-augmented generation with dense passage retrieval for open-domain question answering';
const RAG_ABSTRACT =
  'We retrieve passages with a dense retriever and condition generation on the retrieved passages; retrieval quality drives answer accuracy on open-domain question answering.';
const RLHF = 'Reinforcement learning from human feedback with learned reward models';
const RLHF_ABSTRACT =
  'We fine-tune a policy with reinforcement learning against a reward model trained on human preference comparisons, with a KL penalty to the reference policy.';

async function paper(arxivId: string, title: string, abstract: string, upvotes: number): Promise<number> {
  const [id] = await insertPaperRows(t.db, [
    {
      arxiv_id: arxivId,
      title,
      title_key: arxivId,
      abstract,
      upvotes,
      first_seen_at: new Date(),
      last_seen_at: new Date(),
    },
  ]);
  await insertPaperTopicRows(t.db, [
    { paper_id: id!, topic_id: 'llm', score: 0.9, position: 0, taxonomy_version: 'v' },
  ]);
  return id!;
}

/** Plans (forced) and waits for a digest to reach each address; returns their HTML. */
async function digestsTo(emails: readonly string[]): Promise<Map<string, string>> {
  const before = h.smtp!.messages.length;
  await h.queues.add('plan-digests', { frequency: 'daily', force: true });
  const deadline = Date.now() + 30_000;
  const got = () => h.smtp!.messages.slice(before).filter((m) => emails.includes(m.rcptTo[0]!));
  while (got().length < emails.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(
    got()
      .map((m) => m.rcptTo[0])
      .sort(),
  ).toEqual([...emails].sort());
  return new Map(got().map((m) => [m.rcptTo[0]!, String(m.parsed.html)]));
}

/** The arXiv ids of a digest's papers, in order (each title links to its abstract page). */
const order = (html: string) =>
  [...html.matchAll(/https:\/\/arxiv\.org\/abs\/(\d{4}\.\d{5})/g)]
    .map((m) => m[1])
    .filter((id, i, all) => all.indexOf(id) === i);

/** A digest's feedback links by paper and signal, each verified. */
function feedbackLinks(html: string): Map<string, string> {
  const links = new Map<string, string>();
  for (const [, href] of html.matchAll(/href="([^"]*\/feedback\?token=[^"]+)"/g)) {
    const url = href!.replaceAll('&amp;', '&');
    const check = verifyToken(SECRET, new URL(url).searchParams.get('token')!, 'feedback', new Date());
    if (check.ok && check.feedback) links.set(`${check.feedback.paperId}:${check.feedback.signal}`, url);
  }
  return links;
}

beforeAll(async () => {
  if (!chromiumAvailable) return;
  h = await startApiHarness({ secret: SECRET, smtp: true });
  t = h.t;
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe.skipIf(!chromiumAvailable)('a digest that learns its reader, in a browser', () => {
  it('clicks in the mail train the model, and the next digest ranks the liked kind first', async () => {
    const subscribers = new SubscriberRepository(t.db);
    const reader = await subscribers.subscribe('reader@example.org', { topics: ['llm'], frequency: 'daily' }, 'active');
    await subscribers.subscribe('control@example.org', { topics: ['llm'], frequency: 'daily' }, 'active');
    const rag = await paper('2612.50001', RAG, RAG_ABSTRACT, 50);
    const rlhf = await paper('2612.50002', RLHF, RLHF_ABSTRACT, 60);

    const first = await digestsTo(['reader@example.org', 'control@example.org']);
    const mail = first.get('reader@example.org')!;
    expect(order(mail)).toEqual(['2612.50002', '2612.50001']); // trending order before any feedback
    const links = feedbackLinks(mail);
    expect(links.size).toBe(4); // more and less for each paper

    const page = await h.browser.newPage({ javaScriptEnabled: false });
    await page.setContent(mail);
    // "Less like this" on the RLHF paper, undone and redone; "More like this" on the RAG paper.
    await page.click(`a[href="${links.get(`${rlhf}:-1`)}"]`);
    expect(await page.locator('h1').textContent()).toBe('Noted');
    await page.click('button:has-text("Undo")');
    expect(await page.locator('h1').textContent()).toBe('Undone');
    await page.click('a:has-text("Redo")');
    expect(await page.locator('h1').textContent()).toBe('Noted');
    await page.setContent(mail);
    await page.click(`a[href="${links.get(`${rag}:1`)}"]`);
    expect(await page.locator('[role=status]').textContent()).toContain(RAG);
    await page.close();
    const words = await sql<{ paper_id: number; signal: number }>`
      SELECT paper_id, signal FROM paper_feedback WHERE subscriber_id = ${reader.id} ORDER BY paper_id`.execute(t.db);
    expect(words.rows).toEqual([
      { paper_id: rag, signal: 1 },
      { paper_id: rlhf, signal: -1 },
    ]);

    // The clicks' train-reader job (after its merge delay) stores a model of both words.
    const readers = new ReaderRepository(t.db);
    const deadline = Date.now() + 30_000;
    while ((await readers.readerModel(reader.id))?.examples !== 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect((await readers.readerModel(reader.id))?.examples).toBe(2);

    // The next day: a paper like each, the RLHF-like one trending more.
    await sql`UPDATE deliveries SET period_key = 'daily-2000-01-01'`.execute(t.db);
    await paper(
      '2612.50003',
      'Dense retrieval augmented generation for multi-hop question answering',
      'A dense passage retriever feeds retrieved passages to the generator; retrieval quality decides the answers.',
      20,
    );
    await paper(
      '2612.50004',
      'Reward models for reinforcement learning from human feedback at scale',
      'We train reward models on human preference comparisons and optimise the policy with reinforcement learning and a KL penalty.',
      40,
    );
    const next = await digestsTo(['reader@example.org', 'control@example.org']);
    expect(order(next.get('control@example.org')!)).toEqual(['2612.50004', '2612.50003']);
    const mine = next.get('reader@example.org')!;
    expect(order(mine)).toEqual(['2612.50003', '2612.50004']);
    expect(mine).toMatch(/like “Retrieval-augmented generation with dense passage retrieval/);
  }, 120_000);
});
