import type { Config } from '@paperboy/config';
import { createDb, SubscriberRepository, TimeZoneRepository } from '@paperboy/db';
import { loadTaxonomy, normalizeEmail } from '@paperboy/pipeline';
import { subcommand, UsageError, type CommandSpec } from '../args.js';

export const subscribersSpec: CommandSpec = {
  name: 'subscribers',
  summary: 'Manage subscribers as an operator: add (active at once, no confirmation mail), list, remove.',
  usage: 'subscribers add <email> [--topics a,b] [--frequency daily|weekly] [options] | subscribers list | subscribers remove <email>',
  positionals: '<add|list|remove> [email]',
  options: {
    topics: { type: 'string', description: 'comma-separated topic ids (empty: every topic)', valueName: 'ids' },
    frequency: { type: 'string', description: 'daily or weekly (default daily)', valueName: 'daily|weekly' },
    'send-hour': { type: 'string', description: 'local hour 0-23 the digest is due (default 8)', valueName: 'h' },
    'time-zone': { type: 'string', description: 'IANA time zone (default UTC)', valueName: 'zone' },
    'min-upvotes': { type: 'string', description: 'only papers with at least this many upvotes (default 0)', valueName: 'n' },
    'max-papers': { type: 'string', description: 'papers per digest, 1-100 (default 10)', valueName: 'n' },
  },
  details: '`remove` unsubscribes the address (it keeps its history and gets no further mail). `list` prints one JSON object per line.',
};

const int = (value: string | undefined, flag: string, min: number, max: number, fallback: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`subscribers: --${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`, 'subscribers');
  return n;
};

export async function subscribers(config: Config, positionals: string[], values: Record<string, string | boolean | undefined>, out: (line: string) => void) {
  const [given, rawEmail, ...extra] = positionals;
  const action = subcommand('subscribers', given, ['add', 'list', 'remove'] as const);
  if (extra.length) throw new UsageError(`subscribers: unexpected ${extra.join(' ')}`, 'subscribers');
  const db = createDb(config.databaseUrl, { max: 2 });
  const repo = new SubscriberRepository(db);
  try {
    if (action === 'list') {
      for (const row of await repo.list()) out(JSON.stringify(row));
      return;
    }
    const email = normalizeEmail(rawEmail ?? '');
    if (!email) throw new UsageError(`subscribers ${action}: ${JSON.stringify(rawEmail ?? '')} is not an email address`, 'subscribers');
    if (action === 'remove') {
      const found = await repo.findByEmail(email);
      if (!found) throw new UsageError(`subscribers remove: no subscriber ${email}`, 'subscribers');
      await repo.unsubscribe(found.id);
      out(JSON.stringify({ email, status: 'unsubscribed' }));
      return;
    }
    const known = new Set(loadTaxonomy(config.taxonomyPath).topics.map((t) => t.id));
    const topics = [...new Set(String(values.topics ?? '').split(',').map((t) => t.trim()).filter(Boolean))];
    const unknown = topics.filter((t) => !known.has(t));
    if (unknown.length) throw new UsageError(`subscribers add: unknown topic(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`, 'subscribers');
    const frequency = String(values.frequency ?? 'daily');
    if (frequency !== 'daily' && frequency !== 'weekly') throw new UsageError(`subscribers add: --frequency must be daily or weekly, got ${JSON.stringify(frequency)}`, 'subscribers');
    const timeZone = String(values['time-zone'] ?? 'UTC');
    // Checked against Postgres: the digest planner computes local hours there, and Intl accepts names it refuses.
    if (!(await new TimeZoneRepository(db).isKnown(timeZone))) throw new UsageError(`subscribers add: unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Europe/Paris)`, 'subscribers');
    const subscriber = await repo.subscribe(
      email,
      {
        topics,
        frequency,
        sendHour: int(values['send-hour'] as string | undefined, 'send-hour', 0, 23, 8),
        timeZone,
        minUpvotes: int(values['min-upvotes'] as string | undefined, 'min-upvotes', 0, 1_000_000, 0),
        maxPapers: int(values['max-papers'] as string | undefined, 'max-papers', 1, 100, 10),
      },
      'active',
    );
    out(JSON.stringify({ id: subscriber.id, email, status: subscriber.status, topics, frequency }));
  } finally {
    await db.destroy();
  }
}
