import type { Config } from '@paperboy/config';
import { createDb, preferencesJson, SubscriberRepository, TimeZoneRepository } from '@paperboy/db';
import { loadTaxonomy, normalizeEmail } from '@paperboy/pipeline';
import { subcommand, UsageError } from '../args.js';

const int = (value: string | undefined, flag: string, min: number, max: number, fallback: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `subscribers: --${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      'subscribers',
    );
  return n;
};

type SubscriberRow = Awaited<ReturnType<SubscriberRepository['list']>>[number];

/** A subscriber as `list` prints it: camelCase keys, as every other JSON the CLI prints. */
function subscriberJson(row: SubscriberRow) {
  return {
    id: row.id,
    email: row.email,
    status: row.status,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    ...preferencesJson(row),
  };
}

export async function subscribers(
  config: Config,
  positionals: string[],
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
) {
  const [given, rawEmail, ...extra] = positionals;
  const action = subcommand('subscribers', given, ['add', 'list', 'remove'] as const);
  if (extra.length) throw new UsageError(`subscribers: unexpected ${extra.join(' ')}`, 'subscribers');
  const db = createDb(config.databaseUrl, { max: 2 });
  const repo = new SubscriberRepository(db);
  try {
    if (action === 'list') {
      for (const row of await repo.list()) out(JSON.stringify(subscriberJson(row)));
      return;
    }
    if (rawEmail === undefined || rawEmail.trim() === '')
      throw new UsageError(
        `subscribers ${action}: missing email address; expected subscribers ${action} <email>`,
        'subscribers',
      );
    const email = normalizeEmail(rawEmail);
    if (!email)
      throw new UsageError(
        `subscribers ${action}: ${JSON.stringify(rawEmail ?? '')} is not an email address`,
        'subscribers',
      );
    if (action === 'remove') {
      const found = await repo.findByEmail(email);
      if (!found) throw new UsageError(`subscribers remove: no subscriber ${email}`, 'subscribers');
      await repo.unsubscribe(found.id);
      out(JSON.stringify({ email, status: 'unsubscribed' }));
      return;
    }
    const known = new Set(loadTaxonomy(config.taxonomyPath).topics.map((t) => t.id));
    const topics = [
      ...new Set(
        String(values.topics ?? '')
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
    ];
    const unknown = topics.filter((t) => !known.has(t));
    if (unknown.length)
      throw new UsageError(
        `subscribers add: unknown topic(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`,
        'subscribers',
      );
    const frequency = String(values.frequency ?? 'daily');
    if (frequency !== 'daily' && frequency !== 'weekly')
      throw new UsageError(
        `subscribers add: --frequency must be daily or weekly, got ${JSON.stringify(frequency)}`,
        'subscribers',
      );
    const timeZone = String(values['time-zone'] ?? 'UTC');
    // Checked against Postgres: the digest planner computes local hours there, and Intl accepts names it refuses.
    if (!(await new TimeZoneRepository(db).isKnown(timeZone)))
      throw new UsageError(
        `subscribers add: unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Europe/Paris)`,
        'subscribers',
      );
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
