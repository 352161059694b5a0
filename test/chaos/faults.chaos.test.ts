/**
 * Issue 10, "tested by faults, not by hope": a crawl of PAPERBOY_CHAOS_PAGES × 50 papers through
 * separate fetcher, processor and notifier processes, with one fault injected per test, mid-crawl.
 * Each test then asserts the final state exactly (harness.ts, `expectFinalState`): every expected
 * paper once, each on its listing, no sighting twice for one observation and no observation half
 * stored, no job left unfinished, every schedule in Redis, every service running (a process that
 * ended died of our signal). Run with `pnpm test:chaos`.
 */
import { SubscriberRepository } from '@paperboy/db';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../e2e/helpers.js';
import {
  EXPECTED_PAPERS,
  EXPECTED_SCHEDULERS,
  eventually,
  PAGES,
  type Run,
  type ServiceName,
  sleep,
  startRun,
  startWorld,
  type World,
} from './harness.js';

let world: World;
let run: Run | undefined;

beforeAll(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await run?.close();
  run = undefined;
});
afterAll(async () => {
  await world?.close();
});

/** Mid-crawl: some of the crawl is stored (and, with `pagesFetched`, some pages fetched), not all. */
async function midCrawl(r: Run, what: 'sightings' | 'fetches' = 'sightings'): Promise<void> {
  await eventually(async () => (await r.count(what)) > 0, 120_000, `the crawl to begin (${what})\n${r.logs()}`);
}

describe('chaos: one fault at a time under a crawl through separate services', () => {
  it.each(['fetcher', 'processor', 'notifier'] as ServiceName[])(
    'SIGKILL of the %s mid-crawl, then a restart',
    async (name) => {
      run = await startRun(world);
      await midCrawl(run, name === 'fetcher' ? 'fetches' : 'sightings');
      await run.killAndRestart(name, 'SIGKILL');
      await run.settle();
      await run.expectFinalState();
    },
  );

  it('Redis SIGKILLed and restarted from its AOF mid-crawl', async () => {
    run = await startRun(world);
    await midCrawl(run);
    await world.redis.kill();
    await sleep(5_000);
    await world.redis.start();
    await run.settle();
    await run.expectFinalState();
  });

  it('Redis restarted empty mid-crawl: schedules come back, lost batches are rebuilt from the archive', async () => {
    run = await startRun(world);
    await midCrawl(run);
    // Batches enqueued and not stored when Redis empties: the processor is frozen (SIGSTOP) until
    // every page is fetched and enqueued, so the restart is sure to lose some.
    const processor = run.service('processor');
    processor.kill('SIGSTOP');
    try {
      await eventually(
        async () => (await run!.count('fetches')) === PAGES,
        120_000,
        `every page to be fetched and enqueued\n${run.logs()}`,
      );
      expect(await run.count('sightings')).toBeLessThan(EXPECTED_PAPERS);
      await world.redis.restart({ aof: false });
    } finally {
      processor.kill('SIGCONT');
    }
    // Each process re-declares its schedules on reconnect (and every 5 s here).
    await eventually(
      async () => JSON.stringify(await run!.schedulers()) === JSON.stringify(EXPECTED_SCHEDULERS),
      60_000,
      `the schedules to come back\n${run.logs()}`,
    );
    // The batches the empty Redis lost are found by `reconcile-crawls` once older than the grace
    // (1 minute here) and re-enqueued. Its scheduler ran at once when re-declared, before the grace;
    // its next run is 5 minutes later. Time passes in the data, not on the clock: the fetches are
    // made 20 minutes old and the scheduler's next run is brought forward (the job it would add).
    await eventually(
      async () => (await run!.queues.get('ingest').getJobCounts('waiting', 'active')).active === 0,
      60_000,
      'the ingest queue to idle',
    );
    await sql`UPDATE page_fetches SET enqueued_at = enqueued_at - interval '20 minutes' WHERE enqueued_at IS NOT NULL`.execute(
      run.db,
    );
    await run.queues.add('reconcile-crawls', {});
    await run.settle();
    await run.expectFinalState();
  });

  it('Postgres stopped (pg_ctl stop -m immediate) for 20 s mid-crawl, then started', async () => {
    run = await startRun(world);
    await midCrawl(run);
    world.pg.stopImmediate();
    await sleep(20_000);
    for (const name of ['fetcher', 'processor', 'notifier'] as const) {
      const child = run.service(name);
      expect({ name, exitCode: child.exitCode, signal: child.signalCode }, run.logs()).toEqual({
        name,
        exitCode: null,
        signal: null,
      });
    }
    world.pg.start();
    await run.settle();
    await run.expectFinalState();
  });

  it('a network stall: Redis SIGSTOPped for 20 s mid-crawl, then SIGCONT', async () => {
    run = await startRun(world);
    await midCrawl(run);
    world.redis.signal('SIGSTOP');
    try {
      await sleep(20_000);
    } finally {
      world.redis.signal('SIGCONT');
    }
    await run.settle();
    await run.expectFinalState();
  });

  it('the notifier SIGKILLed mid-send: every digest sent once or listed as stuck', async () => {
    const SUBSCRIBERS = 5;
    // The first message's DATA is never answered: its sender is inside the SMTP transaction when killed.
    run = await startRun(world, { smtp: { stallData: 1 } });
    await run.settle();
    const { rows: top } = await sql<{ topic: string }>`
      SELECT topic_id AS topic FROM paper_topics GROUP BY topic_id ORDER BY count(*) DESC, topic_id LIMIT 1`.execute(
      run.db,
    );
    expect(top).toHaveLength(1);
    const subscribers = new SubscriberRepository(run.db);
    const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `reader${i}@example.org`);
    for (const email of emails)
      await subscribers.subscribe(email, { topics: [top[0]!.topic], frequency: 'daily' }, 'active');
    // A digest run (what the daily planner does when due; forced, so it does not depend on the hour).
    await run.queues.add('plan-digests', { frequency: 'daily', force: true });
    await eventually(async () => run!.smtp.stalled === 1, 60_000, `the notifier to reach DATA\n${run.logs()}`);
    await run.killAndRestart('notifier', 'SIGKILL');

    const deliveries = async () =>
      (
        await sql<{ id: number; email: string; status: string }>`
          SELECT d.id, s.email, d.status FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id ORDER BY s.email`.execute(
          run!.db,
        )
      ).rows;
    // The restarted notifier sends the rest; the killed send stays claimed (at most once).
    await eventually(
      async () => (await deliveries()).every((d) => d.status !== 'planned'),
      120_000,
      `the sends to finish\n${run.logs()}`,
    );
    await run.settle();
    await run.expectFinalState();

    const all = await deliveries();
    expect(all.map((d) => d.email)).toEqual(emails);
    // At most once: every delivery the killed notifier had claimed and not finished stays claimed.
    // The five are one send-digests chunk, claimed together: the one inside the SMTP transaction
    // stays claimed, the others went out on other pooled connections and were finished as they
    // completed (or, killed before that, stay claimed too). The chunk's retry on the restarted
    // notifier claims none of them.
    const claimed = all.filter((d) => d.status === 'claimed');
    const finished = all.filter((d) => d.status !== 'claimed');
    expect(claimed.length).toBeGreaterThanOrEqual(1);
    for (const d of finished) expect(d.status, d.email).toBe('sent');
    // Nobody got a digest twice; each `sent` one arrived exactly once. A claimed one may have arrived
    // (accepted by the server on another pooled connection just before the kill, not yet recorded):
    // that is the documented at-most-once window, and why it is listed as stuck rather than re-sent.
    const received = run.smtp.messages.flatMap((m) => m.rcptTo);
    expect(new Set(received).size).toBe(received.length);
    for (const d of finished) expect(received, d.email).toContain(d.email);
    expect(received.every((email) => all.some((d) => d.email === email))).toBe(true);

    // The claimed ones are listed as stuck once past the threshold (time passes in the data), all of them, once.
    await sql`UPDATE deliveries SET claimed_at = claimed_at - interval '20 minutes' WHERE status = 'claimed'`.execute(
      run.db,
    );
    const stuck = await runCli(['digest', 'stuck', '--json'], run.env);
    expect(stuck.code, stuck.stderr).toBe(0);
    const listed = stuck.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { deliveryId: number; email: string });
    expect(
      listed.map((l) => ({ deliveryId: l.deliveryId, email: l.email })).sort((a, b) => a.deliveryId - b.deliveryId),
    ).toEqual(claimed.map((d) => ({ deliveryId: d.id, email: d.email })).sort((a, b) => a.deliveryId - b.deliveryId));
    // The operator re-sends them: every reader then has exactly one digest, and nothing is stuck.
    const resent = await runCli(['digest', 'resend-stuck', '--yes'], run.env, 120_000);
    expect(resent.code, `${resent.stderr}\n${resent.stdout}`).toBe(0);
    // Every reader has a digest now; a second copy only for a stuck one the server had already accepted (at least once, as documented).
    const after = run.smtp.messages.flatMap((m) => m.rcptTo);
    for (const email of emails) {
      const copies = after.filter((e) => e === email).length;
      expect(copies, email).toBe(claimed.some((d) => d.email === email) ? (received.includes(email) ? 2 : 1) : 1);
    }
    expect((await deliveries()).map((d) => d.status)).toEqual(emails.map(() => 'sent'));
    expect((await runCli(['digest', 'stuck', '--json'], run.env)).stdout).toBe('');
  });
});
