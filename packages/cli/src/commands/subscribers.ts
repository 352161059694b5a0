import type { Config } from '@paperboy/config';
import {
  createDb,
  type Db,
  type Preferences,
  preferencesJson,
  SubscriberRepository,
  TimeZoneRepository,
} from '@paperboy/db';
import {
  cleanTermList,
  keywordConflict,
  loadTaxonomy,
  normalizeEmail,
  splitTermList,
  type TermListKind,
} from '@paperboy/pipeline';
import { subcommand, UsageError } from '../args.js';

const int = (value: string | boolean | undefined, flag: string, min: number, max: number) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `subscribers: --${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      'subscribers',
    );
  return n;
};

/** A list option (`--keywords a,b`): cleaned as the API cleans it (`cleanTermList`); undefined when not given. */
function termsOf(value: string | boolean | undefined, flag: string, action: string, kind: TermListKind) {
  if (value === undefined) return undefined;
  const cleaned = cleanTermList(splitTermList(String(value === true ? '' : value), kind), kind);
  if (!cleaned.ok) throw new UsageError(`subscribers ${action}: --${flag}: ${cleaned.error}`, 'subscribers');
  return cleaned.terms;
}

/** The preferences the options give (only those given: `set` changes nothing else), each checked. */
async function preferencesOf(
  values: Record<string, string | boolean | undefined>,
  action: 'add' | 'set',
  db: Db,
  config: Config,
): Promise<Partial<Preferences>> {
  const preferences: Partial<Preferences> = {};
  if (values.topics !== undefined) {
    const known = new Set(loadTaxonomy(config.taxonomyPath).topics.map((t) => t.id));
    const topics = [
      ...new Set(
        String(values.topics)
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
    ];
    const unknown = topics.filter((t) => !known.has(t));
    if (unknown.length)
      throw new UsageError(
        `subscribers ${action}: unknown topic(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`,
        'subscribers',
      );
    preferences.topics = topics;
  }
  if (values.frequency !== undefined) {
    const frequency = String(values.frequency);
    if (frequency !== 'daily' && frequency !== 'weekly')
      throw new UsageError(
        `subscribers ${action}: --frequency must be daily or weekly, got ${JSON.stringify(frequency)}`,
        'subscribers',
      );
    preferences.frequency = frequency;
  }
  if (values['time-zone'] !== undefined) {
    const timeZone = String(values['time-zone']);
    // Checked against Postgres: the digest planner computes local hours there, and Intl accepts names it refuses.
    if (!(await new TimeZoneRepository(db).isKnown(timeZone)))
      throw new UsageError(
        `subscribers ${action}: unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Europe/Paris)`,
        'subscribers',
      );
    preferences.timeZone = timeZone;
  }
  const others = {
    sendHour: int(values['send-hour'], 'send-hour', 0, 23),
    minUpvotes: int(values['min-upvotes'], 'min-upvotes', 0, 1_000_000),
    maxPapers: int(values['max-papers'], 'max-papers', 1, 100),
    // Names contain commas ("Smith, J."): authors are separated by semicolons (splitTermList).
    followedAuthors: termsOf(values['follow-authors'], 'follow-authors', action, 'authors'),
    keywords: termsOf(values.keywords, 'keywords', action, 'keywords'),
    negativeKeywords: termsOf(values['not-keywords'], 'not-keywords', action, 'keywords'),
  };
  for (const [key, value] of Object.entries(others))
    if (value !== undefined) Object.assign(preferences, { [key]: value });
  return preferences;
}

type SubscriberRow = Awaited<ReturnType<SubscriberRepository['list']>>[number];

/** A subscriber as `list` (and `add`, `set`) prints it: camelCase keys, as every other JSON the CLI prints. */
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

/** A keyword that is also a negative keyword would never select a paper: refused as the API refuses it. */
function refuseKeywordConflict(
  action: 'add' | 'set',
  lists: { keywords: readonly string[]; negativeKeywords: readonly string[] },
): void {
  const problem = keywordConflict(lists.keywords, lists.negativeKeywords);
  if (problem) throw new UsageError(`subscribers ${action}: ${problem}`, 'subscribers');
}

export async function subscribers(
  config: Config,
  positionals: string[],
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
) {
  const [given, rawEmail, ...extra] = positionals;
  const action = subcommand('subscribers', given, ['add', 'set', 'list', 'remove'] as const);
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
    if (action === 'set') {
      const found = await repo.findByEmail(email);
      if (!found) throw new UsageError(`subscribers set: no subscriber ${email}`, 'subscribers');
      const changes = await preferencesOf(values, action, db, config);
      if (Object.keys(changes).length === 0)
        throw new UsageError(`subscribers set: nothing to change; give at least one option`, 'subscribers');
      const before = await repo.preferences(found.id);
      refuseKeywordConflict(action, {
        keywords: changes.keywords ?? before?.keywords ?? [],
        negativeKeywords: changes.negativeKeywords ?? before?.negative_keywords ?? [],
      });
      if (!(await repo.updatePreferences(found.id, changes)))
        throw new UsageError(`subscribers set: ${email} has no preferences to change`, 'subscribers');
      const stored = (await repo.preferences(found.id))!;
      out(JSON.stringify(subscriberJson({ ...stored, ...found })));
      return;
    }
    const given = await preferencesOf(values, action, db, config);
    // Adding an address already here changes only the options given: the rest stays as its reader
    // (or an earlier command) left it, followed authors and keywords included.
    const known = await repo.findByEmail(email);
    const stored = known ? await repo.preferences(known.id) : undefined;
    const before = stored ? preferencesJson(stored) : {};
    const preferences = {
      ...before,
      ...given,
    } as Preferences;
    const defaults = {
      topics: given.topics ?? [],
      frequency: given.frequency ?? 'daily',
      sendHour: given.sendHour ?? 8,
      timeZone: given.timeZone ?? 'UTC',
      minUpvotes: given.minUpvotes ?? 0,
      maxPapers: given.maxPapers ?? 10,
      followedAuthors: given.followedAuthors ?? [],
      keywords: given.keywords ?? [],
      negativeKeywords: given.negativeKeywords ?? [],
    };
    const chosen = stored ? preferences : defaults;
    refuseKeywordConflict(action, { keywords: chosen.keywords ?? [], negativeKeywords: chosen.negativeKeywords ?? [] });
    await repo.subscribe(email, chosen, 'active');
    // Printed as `list` and `set` print it (a superset of the fields `add` printed before).
    const added = (await repo.findByEmail(email))!;
    out(JSON.stringify(subscriberJson({ ...(await repo.preferences(added.id))!, ...added })));
  } finally {
    await db.destroy();
  }
}
