import type { Config } from '@paperboy/config';
import {
  createDb,
  type Db,
  EventRepository,
  formatPosition,
  OUTBOX_START,
  WebhookBacklogRepository,
  type WebhookEndpoint,
  WebhookRepository,
} from '@paperboy/db';
import {
  eventTypeList,
  issueLines,
  loadTaxonomy,
  newWebhookSecret,
  parseReplaySince,
  REPLAY_SINCE_FORMS,
  replayRetentionProblem,
  splitList,
  webhookEndpointJson,
  webhookEndpointSchemas,
} from '@paperboy/pipeline';
import { subcommand, UsageError } from '../args.js';

type Values = Record<string, string | boolean | undefined>;
type Out = (line: string) => void;

/** The endpoint id of `webhooks <action> <id>` or `--endpoint <id>`. */
function endpointId(command: string, given: string | undefined, what: string): number {
  if (given === undefined || given.trim() === '')
    throw new UsageError(
      `${command}: missing endpoint id; expected ${what} (webhooks list shows the ids)`,
      command.split(' ')[0],
    );
  const id = Number(given);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new UsageError(
      `${command}: endpoint id must be a positive integer, got ${JSON.stringify(given)}`,
      command.split(' ')[0],
    );
  return id;
}

async function withDb<T>(config: Config, run: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(config.databaseUrl, { max: 2 });
  try {
    return await run(db);
  } finally {
    await db.destroy();
  }
}

const short = (text: string | null, max = 40) =>
  !text ? '-' : text.length > max ? `${text.slice(0, max - 1)}…` : text;

export function formatWebhooksTable(rows: ReturnType<typeof webhookEndpointJson<WebhookEndpoint>>[]): string {
  const cells = rows.map((r) => [
    String(r.id),
    r.enabled ? 'enabled' : `disabled${r.disabledReason ? `: ${short(r.disabledReason, 30)}` : ''}`,
    short(r.url, 50),
    r.eventTypes.length ? r.eventTypes.join(',') : 'all',
    r.topics.length ? r.topics.join(',') : 'all',
    String(r.pendingEvents),
    `${r.delivered}/${r.failed}`,
    r.lastSuccessAt ?? '-',
    r.consecutiveFailures
      ? `${r.consecutiveFailures} failing since ${r.failingSince ?? '?'}: ${r.lastStatus ?? ''} ${short(r.lastError)}`.trim()
      : r.lastStatus !== null
        ? `ok ${r.lastStatus}`
        : '-',
  ]);
  const header = ['ID', 'STATE', 'URL', 'TYPES', 'TOPICS', 'PENDING', 'DELIVERED/FAILED', 'LAST SUCCESS', 'HEALTH'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  return [header, ...cells]
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

/** `paperboy webhooks add|list|remove|enable|disable`: the admin API's operations, from a shell. */
export async function webhooks(config: Config, positionals: string[], values: Values, out: Out, warn: Out) {
  const [given, arg, ...extra] = positionals;
  const action = subcommand('webhooks', given, ['add', 'list', 'remove', 'enable', 'disable'] as const);
  if (extra.length) throw new UsageError(`webhooks ${action}: unexpected ${extra.join(' ')}`, 'webhooks');
  const only: Record<string, readonly string[]> = {
    events: ['add'],
    topics: ['add'],
    description: ['add'],
    secret: ['add'],
    json: ['list'],
    reason: ['disable'],
  };
  for (const [option, actions] of Object.entries(only))
    if (values[option] !== undefined && !actions.includes(action))
      throw new UsageError(
        `webhooks ${action}: --${option} is an option of webhooks ${actions.join(', ')}`,
        'webhooks',
      );

  if (action === 'add') {
    if (arg === undefined || arg.trim() === '')
      throw new UsageError('webhooks add: missing URL; expected webhooks add <url>', 'webhooks');
    const { create } = webhookEndpointSchemas({
      topics: loadTaxonomy(config.taxonomyPath).topics.map((t) => t.id),
      allowPrivate: config.webhooks.allowPrivate,
    });
    const input = create.safeParse({
      url: arg,
      ...(values.events !== undefined ? { eventTypes: splitList(String(values.events)) } : {}),
      ...(values.topics !== undefined ? { topics: splitList(String(values.topics)) } : {}),
      ...(values.description !== undefined ? { description: String(values.description) } : {}),
      ...(values.secret !== undefined ? { secret: String(values.secret) } : {}),
    });
    if (!input.success) {
      const flags: Record<string, string> = { url: '<url>', eventTypes: '--events', topics: '--topics' };
      const lines = issueLines(input.error).map((l) =>
        l.replace(/^(\w+):/, (_, f: string) => `${flags[f] ?? `--${f}`}:`),
      );
      throw new UsageError(`webhooks add: ${lines.join('; ')}`, 'webhooks');
    }
    const secret = input.data.secret ?? newWebhookSecret();
    const endpoint = await withDb(config, (db) => new WebhookRepository(db).create({ ...input.data, secret }));
    warn('The secret is shown this once: store it where the receiver checks the paperboy-signature header.');
    out(JSON.stringify({ ...webhookEndpointJson(endpoint, 0), secret }));
    return;
  }

  await withDb(config, async (db) => {
    const repo = new WebhookRepository(db);
    const pending = () => new WebhookBacklogRepository(db).pendingEvents();
    if (action === 'list') {
      const [list, counts] = await Promise.all([repo.list(), pending()]);
      const rows = list.map((e) => webhookEndpointJson(e, counts.get(e.id) ?? 0));
      if (values.json) for (const r of rows) out(JSON.stringify(r));
      else
        out(
          rows.length ? formatWebhooksTable(rows) : 'No webhook endpoints (add one: pnpm paperboy webhooks add <url>).',
        );
      return;
    }
    const id = endpointId(`webhooks ${action}`, arg, `webhooks ${action} <id>`);
    if (action === 'remove') {
      if (!(await repo.remove(id))) throw new UsageError(`webhooks remove: no endpoint ${id}`, 'webhooks');
      out(JSON.stringify({ id, removed: true }));
      return;
    }
    const reason = values.reason === undefined ? 'disabled by an operator' : String(values.reason).trim().slice(0, 500);
    const endpoint = await repo.setEnabled(id, action === 'enable', action === 'enable' ? null : reason);
    if (!endpoint) throw new UsageError(`webhooks ${action}: no endpoint ${id}`, 'webhooks');
    out(JSON.stringify(webhookEndpointJson(endpoint, (await pending()).get(id) ?? 0)));
  });
}

/** `paperboy events replay|list`: re-deliver from a time, or read the outbox. */
export async function events(
  config: Config,
  positionals: string[],
  values: Values,
  out: Out,
  warn: Out,
  now = new Date(),
) {
  const [given, ...extra] = positionals;
  const action = subcommand('events', given, ['replay', 'list'] as const);
  if (extra.length) throw new UsageError(`events ${action}: unexpected ${extra.join(' ')}`, 'events');
  for (const [option, actions] of Object.entries({ endpoint: ['replay'], type: ['list'], limit: ['list'] }))
    if (values[option] !== undefined && !actions.includes(action))
      throw new UsageError(`events ${action}: --${option} is an option of events ${actions.join(', ')}`, 'events');
  const sinceText = values.since === undefined ? undefined : String(values.since);
  const since = sinceText === undefined ? undefined : parseReplaySince(sinceText, now);
  if (sinceText !== undefined && !since)
    throw new UsageError(
      `events ${action}: --since ${JSON.stringify(sinceText)} is not ${REPLAY_SINCE_FORMS}`,
      'events',
    );

  if (action === 'list') {
    const types = values.type === undefined ? [] : eventTypeList.safeParse(splitList(String(values.type)));
    if (!Array.isArray(types) && !types.success)
      throw new UsageError(`events list: --type: ${issueLines(types.error).join('; ')}`, 'events');
    const limitText = values.limit === undefined ? '100' : String(values.limit);
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError(
        `events list: --limit must be an integer from 1 to 10000, got ${JSON.stringify(limitText)}`,
        'events',
      );
    await withDb(config, async (db) => {
      const repo = new EventRepository(db);
      const from = since ? await repo.positionBefore(since) : OUTBOX_START;
      for (const e of await repo.after(from, { types: Array.isArray(types) ? types : types.data }, limit))
        out(
          JSON.stringify({
            position: formatPosition(e.position),
            id: e.eventId,
            type: e.type,
            version: e.version,
            occurredAt: e.occurredAt.toISOString(),
            paperId: e.paperId,
            source: e.source,
            topics: e.topics,
            data: e.data,
          }),
        );
    });
    return;
  }

  if (!since) throw new UsageError('events replay: missing --since; expected events replay --since <time>', 'events');
  const only =
    values.endpoint === undefined ? undefined : endpointId('events replay', String(values.endpoint), '--endpoint <id>');
  await withDb(config, async (db) => {
    const backlog = new WebhookBacklogRepository(db);
    const problem = replayRetentionProblem(since, config.events.retentionDays, await backlog.oldestEventAt(), now);
    if (problem) throw new UsageError(`events replay: refused, --${problem}`, 'events');
    const repo = new WebhookRepository(db);
    const all = await repo.list();
    const targets = only === undefined ? all.filter((e) => e.enabled) : all.filter((e) => e.id === only);
    if (only !== undefined && targets.length === 0)
      throw new UsageError(`events replay: no endpoint ${only} (webhooks list shows the ids)`, 'events');
    if (targets.length === 0) {
      warn('events replay: no enabled webhook endpoints: nothing to rewind.');
      return;
    }
    const from = await new EventRepository(db).positionBefore(since);
    for (const target of targets) await repo.rewind(target.id, from);
    const counts = await backlog.pendingEvents();
    for (const target of targets) {
      if (!target.enabled)
        warn(
          `events replay: endpoint ${target.id} is disabled: nothing is delivered until webhooks enable ${target.id}.`,
        );
      out(
        JSON.stringify({
          endpoint: target.id,
          url: target.url,
          since: since.toISOString(),
          from: formatPosition(from),
          previousCursor: formatPosition(target.cursor),
          pendingEvents: counts.get(target.id) ?? 0,
        }),
      );
    }
  });
}
