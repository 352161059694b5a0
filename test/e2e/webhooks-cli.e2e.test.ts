import { appendEvents, EventRepository } from '@paperboy/db';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

/**
 * `paperboy webhooks …` and `paperboy events replay|list` through the real CLI and Postgres: what an
 * operator types, what it prints, and what it leaves in the database.
 */
let env: Record<string, string>;
let t: TestDatabase;
const testEnv = testEnvironment();

beforeAll(async () => {
  t = await testEnv.start();
  env = { ...testEnv.processEnv(), LOG_LEVEL: 'warn', PAPERBOY_EVENT_RETENTION_DAYS: '14' };
});
afterAll(async () => {
  await testEnv.stop();
});

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** Waits until every event written is settled (no older transaction of this database still runs). */
async function settled(): Promise<void> {
  const events = new EventRepository(t.db);
  const { rows } = await sql<{ id: string }>`SELECT max(id)::text AS id FROM events`.execute(t.db);
  for (let i = 0; i < 500 && (await events.head()).id !== rows[0]!.id; i++) await new Promise((r) => setTimeout(r, 20));
}

describe('paperboy webhooks', () => {
  it('adds (printing the secret once), lists masked, disables with a reason, enables, removes', async () => {
    const added = await runCli(
      [
        'webhooks',
        'add',
        'https://hooks.example.org/paperboy',
        '--events',
        'paper.created,paper.trending',
        '--topics',
        'llm,vision',
        '--description',
        'search index',
      ],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toMatch(/shown this once/);
    const endpoint = lines(added.stdout)[0];
    expect(endpoint).toMatchObject({
      url: 'https://hooks.example.org/paperboy',
      eventTypes: ['paper.created', 'paper.trending'],
      topics: ['llm', 'vision'],
      description: 'search index',
      enabled: true,
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const { rows } = await sql<{
      secret: string;
    }>`SELECT secret FROM webhook_endpoints WHERE id = ${endpoint.id}`.execute(t.db);
    expect(rows[0]?.secret).toBe(endpoint.secret);

    const table = await runCli(['webhooks', 'list'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+STATE\s+URL\s+TYPES\s+TOPICS\s+PENDING/);
    expect(table.stdout).toContain('https://hooks.example.org/paperboy');
    const json = await runCli(['webhooks', 'list', '--json'], env);
    const listed = lines(json.stdout).find((e) => e.id === endpoint.id);
    expect(listed).toMatchObject({ secretPrefix: `${endpoint.secret.slice(0, 8)}…`, pendingEvents: 0 });
    expect(listed.secret).toBeUndefined();
    expect(table.stdout + json.stdout).not.toContain(endpoint.secret.slice(8));

    const disabled = await runCli(['webhooks', 'disable', String(endpoint.id), '--reason', 'receiver down'], env);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(lines(disabled.stdout)[0]).toMatchObject({ enabled: false, disabledReason: 'receiver down' });
    expect((await runCli(['webhooks', 'list'], env)).stdout).toMatch(/disabled: receiver down/);
    const enabled = await runCli(['webhooks', 'enable', String(endpoint.id)], env);
    expect(lines(enabled.stdout)[0]).toMatchObject({ enabled: true, disabledReason: null });

    const removed = await runCli(['webhooks', 'remove', String(endpoint.id)], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(lines(removed.stdout)[0]).toEqual({ id: endpoint.id, removed: true });
    const again = await runCli(['webhooks', 'remove', String(endpoint.id)], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`no endpoint ${endpoint.id}`);
  });

  it('refuses bad input with exit status 2, naming what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['webhooks', 'add', 'ftp://hooks.example.org/'], /<url>: http or https only/],
      [['webhooks', 'add', 'http://127.0.0.1:9000/'], /private or loopback.*PAPERBOY_WEBHOOK_ALLOW_PRIVATE/],
      [
        ['webhooks', 'add', 'https://h.example.org/', '--events', 'paper.deleted'],
        /--events: unknown event type\(s\) paper\.deleted/,
      ],
      [
        ['webhooks', 'add', 'https://h.example.org/', '--topics', 'astrology'],
        /--topics: unknown topic\(s\) astrology/,
      ],
      [['webhooks', 'add', 'https://h.example.org/', '--secret', 'short'], /--secret: 16 to 200/],
      [['webhooks', 'add'], /missing URL/],
      [['webhooks', 'enable', 'x'], /positive integer/],
      [['webhooks', 'frobnicate'], /expected add, list, remove, enable or disable/],
      [['webhooks', 'list', '--reason', 'x'], /--reason is an option of webhooks disable/],
      [['events', 'replay'], /missing --since/],
      [['events', 'replay', '--since', 'yesterday'], /--since "yesterday" is not a duration/],
      [['events', 'list', '--type', 'paper.deleted'], /--type: unknown event type/],
      [['events', 'list', '--limit', '0'], /--limit must be an integer/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });
});

describe('paperboy events', () => {
  it('replay rewinds every enabled endpoint to just before --since and says how many events now wait', async () => {
    // Three events two hours ago, two an hour ago.
    const event = (n: number) => ({ type: 'paper.created', version: 1, data: { n }, paperId: n, topics: ['llm'] });
    await appendEvents(t.db, [event(1), event(2), event(3)]);
    await sql`UPDATE events SET occurred_at = now() - interval '2 hours'`.execute(t.db);
    await appendEvents(t.db, [event(4), event(5)]);
    await sql`UPDATE events SET occurred_at = now() - interval '1 hour' WHERE occurred_at > now() - interval '1 hour'`.execute(
      t.db,
    );
    await settled();
    const a = lines((await runCli(['webhooks', 'add', 'https://a.example.org/'], env)).stdout)[0];
    const b = lines((await runCli(['webhooks', 'add', 'https://b.example.org/', '--topics', 'vision'], env)).stdout)[0];
    const off = lines((await runCli(['webhooks', 'add', 'https://c.example.org/'], env)).stdout)[0];
    await runCli(['webhooks', 'disable', String(off.id)], env);

    const replay = await runCli(['events', 'replay', '--since', '90m'], env);
    expect(replay.code, replay.stderr).toBe(0);
    const all = await new EventRepository(t.db).after({ tx: '0', id: '0' }, {}, 100);
    const third = all.find((e) => (e.data as { n: number }).n === 3)!;
    const from = `${third.position.tx}.${third.position.id}`;
    // The disabled endpoint is left alone; b's topic filter lets none of the five through.
    expect(lines(replay.stdout)).toEqual([
      expect.objectContaining({ endpoint: a.id, from, pendingEvents: 2, previousCursor: a.cursor }),
      expect.objectContaining({ endpoint: b.id, from, pendingEvents: 0 }),
    ]);
    const { rows } = await sql<{ id: number; cursor: string }>`
      SELECT id, cursor_tx::text || '.' || cursor_id::text AS cursor FROM webhook_endpoints ORDER BY id`.execute(t.db);
    expect(rows.map((r) => r.cursor)).toEqual([from, from, off.cursor]);

    // One endpoint, a disabled one included (with a warning), and an older start.
    const one = await runCli(['events', 'replay', '--since', '3h', '--endpoint', String(off.id)], env);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/disabled: nothing is delivered until webhooks enable/);
    expect(lines(one.stdout)).toEqual([expect.objectContaining({ endpoint: off.id, from: '0.0', pendingEvents: 5 })]);

    // Older than the retention window: refused, naming what is left.
    const old = await runCli(['events', 'replay', '--since', '30d'], env);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/refused.*older than the retention window.*oldest event kept occurred at/);
    const missing = await runCli(['events', 'replay', '--since', '1h', '--endpoint', '999999'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no endpoint 999999');
  });

  it('list prints the outbox as JSON lines, filtered by time and type, limited', async () => {
    const listed = await runCli(['events', 'list', '--since', '90m', '--type', 'paper.created', '--limit', '1'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const [first, ...rest] = lines(listed.stdout);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ type: 'paper.created', data: { n: 4 }, paperId: 4, topics: ['llm'] });
    expect(first.position).toMatch(/^\d+\.\d+$/);
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines((await runCli(['events', 'list'], env)).stdout)).toHaveLength(5);
    expect((await runCli(['events', 'list', '--type', 'digest.period_sent'], env)).stdout).toBe('');
  });
});
