import { createServer } from 'node:net';
import { DigestRepository, SubscriberRepository } from '@paperboy/db';
import { createRedis, Queues } from '@paperboy/queue';
import {
  type SmtpTestServer,
  seedDigestPapers,
  startSmtpTestServer,
  type TestDatabase,
  testEnvironment,
} from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, lastJson, runCli, spawnService, until } from './helpers.js';

// Issue 10, "stuck digests": a notifier SIGKILLed inside its SMTP transaction leaves the delivery
// claimed for good (at most once). It must be counted (metrics), listed (`digest stuck`) and, when
// the operator says so, re-sent once (`digest resend-stuck --yes`), through a real notifier
// process, Redis, Postgres and SMTP server.

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let t: TestDatabase;
let smtp: SmtpTestServer;
let env: Record<string, string>;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const producer = createRedis(redisUrl, 'producer');

beforeAll(async () => {
  t = await testEnv.start();
  // The first message's DATA is never answered: its sender stays inside the SMTP transaction until killed.
  smtp = await startSmtpTestServer({ stallData: 1 });
  env = {
    ...testEnv.processEnv(),
    SMTP_URL: smtp.url,
    PAPERBOY_SECRET: 'e2e-stuck-secret-Rw7Kd3Vx9Mq2Lb5Tz8',
    PAPERBOY_SCHEDULES: '0',
    // The killed notifier's job is not handed to another worker during the test: with the default
    // threshold (15 min) that hand-over (after ~30 s) has long happened, and found the delivery claimed.
    PAPERBOY_JOB_LOCK_MS: '600000',
    LOG_LEVEL: 'warn',
  };
  await seedDigestPapers(t.db);
});
afterAll(async () => {
  await smtp?.close();
  producer.disconnect();
  await testEnv.stop();
});

const delivery = (id: number) =>
  t.db.selectFrom('deliveries').select(['status', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();
const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('stuck digests', () => {
  it('a notifier killed mid-send leaves a stuck delivery: counted by /metrics, listed by `digest stuck`, re-sent exactly once by `digest resend-stuck --yes`', async () => {
    const subscribers = new SubscriberRepository(t.db);
    const { id: subscriberId } = await subscribers.subscribe(
      'reader@example.org',
      { topics: ['llm'], frequency: 'daily' },
      'active',
    );
    const [planned] = await new DigestRepository(t.db).planDeliveries([
      { id: subscriberId, email: 'reader@example.org', periodKey: 'daily-2026-12-06' },
    ]);
    const deliveryId = planned!.deliveryId;
    const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
    await queues.add('send-digest', { deliveryId, subscriberId }, `send-${deliveryId}`);
    await queues.close();

    // The sender is killed inside its SMTP transaction (DATA sent, no reply yet).
    const notifier = spawnService('services/notifier/src/main.ts', env);
    try {
      await until(async () => smtp.stalled === 1, 60_000, `the notifier to reach DATA\n${notifier.output()}`);
    } finally {
      notifier.kill('SIGKILL');
    }
    expect(await exited(notifier)).toMatchObject({ signal: 'SIGKILL' });
    expect(await delivery(deliveryId)).toEqual({ status: 'claimed', attempts: 1 });
    expect(smtp.messages).toHaveLength(0);

    // Claimed seconds ago: still within the threshold (a send may be in flight), not stuck yet.
    const early = await runCli(['digest', 'stuck', '--json'], env);
    expect(early.code, early.stderr).toBe(0);
    expect(early.stdout).toBe('');
    // Twenty minutes pass (set in the data, not waited for).
    await sql`UPDATE deliveries SET claimed_at = claimed_at - interval '20 minutes' WHERE id = ${deliveryId}`.execute(
      t.db,
    );

    // Counted: a notifier's /metrics reports it.
    const healthPort = await freePort();
    const watcher = spawnService('services/notifier/src/main.ts', { ...env, PAPERBOY_HEALTH_PORT: String(healthPort) });
    let metrics = '';
    try {
      await until(
        async () => {
          metrics = await fetch(`http://127.0.0.1:${healthPort}/metrics`).then(
            (r) => r.text(),
            () => '',
          );
          return /^paperboy_deliveries_stuck\{/m.test(metrics);
        },
        60_000,
        `the notifier's /metrics\n${watcher.output()}`,
      );
    } finally {
      watcher.kill('SIGTERM');
      await exited(watcher);
    }
    expect(metrics).toMatch(
      /^paperboy_deliveries_stuck\{(?=[^}]*threshold_minutes="15")(?=[^}]*service="notifier")[^}]*\} 1$/m,
    );

    // Listed, as JSON lines and as a table.
    const listed = await runCli(['digest', 'stuck', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(jsonLines(listed.stdout)).toEqual([
      {
        deliveryId,
        email: 'reader@example.org',
        periodKey: 'daily-2026-12-06',
        claimedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        attempts: 1,
        subscriberStatus: 'active',
      },
    ]);
    const table = await runCli(['digest', 'stuck'], env);
    expect(table.stdout).toMatch(/reader@example\.org\s+daily-2026-12-06/);
    expect(table.stdout).toContain('1 stuck digest (claimed over 15 minutes, never finished)');
    expect(jsonLines((await runCli(['digest', 'stuck', '--json', '--older-than', '30'], env)).stdout)).toEqual([]);

    // Nothing is sent without --yes, and the refusal says what a resend means.
    const refused = await runCli(['digest', 'resend-stuck'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('1 stuck digest (claimed over 15 minutes) would be sent again, at least once');
    expect(await delivery(deliveryId)).toEqual({ status: 'claimed', attempts: 1 });

    // Re-sent once, through the real SMTP server.
    const resent = await runCli(['digest', 'resend-stuck', '--yes'], env, 90_000);
    expect(resent.code, resent.stderr).toBe(0);
    expect(lastJson(resent.stdout)).toMatchObject({
      resent: 1,
      skipped: 0,
      sent: 1,
      empty: 0,
      failed: 0,
      unfinished: 0,
    });
    expect(resent.stdout).toContain('at least once');
    expect(smtp.messages.map((m) => m.rcptTo)).toEqual([['reader@example.org']]);
    expect(await delivery(deliveryId)).toEqual({ status: 'sent', attempts: 2 });

    // A second resend sends nothing; nothing is stuck any more.
    const again = await runCli(['digest', 'resend-stuck', '--yes'], env, 90_000);
    expect(again.code, again.stderr).toBe(0);
    expect(lastJson(again.stdout)).toMatchObject({ resent: 0, skipped: 0, sent: 0 });
    expect(smtp.messages).toHaveLength(1);
    expect((await runCli(['digest', 'stuck', '--json'], env)).stdout).toBe('');
  });

  it('refuses bad or misplaced options with exit status 2, and documents the at-least-once resend', async () => {
    const cases = [
      ['digest', 'stuck', '--older-than', 'soon'],
      ['digest', 'stuck', '--older-than', '0'],
      ['digest', 'resend-stuck', '--older-than', '1e3', '--yes'],
      ['digest', 'stuck', '--yes'],
      ['digest', 'run', '--json'],
      ['digest', 'stuck', 'reader@example.org'],
    ];
    const results = await Promise.all(cases.map((args) => runCli(args, env)));
    results.forEach((res, i) => {
      expect(res.code, cases[i]!.join(' ')).toBe(2);
      expect(res.stderr, cases[i]!.join(' ')).toMatch(/^paperboy: digest .+\nTry: pnpm paperboy digest --help\n$/);
    });
    expect(results[0]!.stderr).toContain('--older-than must be a whole number of minutes from 1 to 10080, got "soon"');
    expect(results[3]!.stderr).toContain('--yes is an option of digest resend-stuck');
    const help = await runCli(['digest', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('digest resend-stuck [--older-than <minutes>] --yes');
    expect(help.stdout).toMatch(/at least once for these/);
  });
});
