import type { CommandSpec } from '../args.js';

/** The event types, for --help (written out here: --help loads no package code). */
export const EVENT_TYPE_NAMES =
  'paper.created, paper.updated, paper.trending, source.health_changed, digest.period_sent';

/**
 * Every command's name, usage, options and help text, without its implementation: `--help` and the generated
 * command reference (docs/reference/commands.md, `pnpm docs:generate`) read these alone, and main.ts imports a command's
 * implementation only when that command runs (so `paperboy --help` loads neither BullMQ nor Kysely nor pg).
 */

/** Said in `--help`, in the refusal without `--yes`, and in the output of a resend. */
export const AT_LEAST_ONCE =
  'at least once for these: the server may have accepted a stuck digest before its sender died, so a reader may get it twice';

export const migrateSpec: CommandSpec = {
  name: 'migrate',
  summary: 'Create the database named in DATABASE_URL if it does not exist, then run the migrations.',
  usage: 'migrate',
  options: {},
};

export const ingestSpec: CommandSpec = {
  name: 'ingest',
  summary:
    'Fetch listing pages, run them through the real queue and workers, wait for every job, print a JSON summary.',
  usage: 'ingest --source <adapter> --url <url> [--url <url> ...] [--processes <n>]',
  options: {
    source: {
      type: 'string',
      description: 'adapter that reads the pages (listed under Adapters)',
      valueName: 'adapter',
    },
    url: { type: 'string', multiple: true, description: 'listing page to fetch (repeatable)', valueName: 'url' },
    processes: {
      type: 'string',
      description:
        "processes to fetch and process in: this one and n-1 worker processes (default PAPERBOY_PROCESSES, else the machine's cores)",
      valueName: 'n',
    },
  },
  details: '',
};

export const exportSpec: CommandSpec = {
  name: 'export',
  summary: 'Write every stored paper to stdout, one JSON object per line (or CSV).',
  usage: 'export papers --format jsonl|csv',
  positionals: 'papers',
  options: {
    format: {
      type: 'string',
      description: 'output format: jsonl (the default) or csv (a header row, then one row per paper)',
      valueName: 'jsonl|csv',
    },
  },
  details:
    'Each line: arxivId, title, abstract, authors (names), upvotes (latest), topics ([{id, score}], best first;\n' +
    'manual labels replace computed topics), sources (source ids; adapter ids for one-off ingest runs), firstSeenAt, lastSeenAt,\n' +
    'then what the sources give (null or [] when none did): codeUrl, codeStars, projectPage, aiSummary, aiKeywords,\n' +
    'organization, submittedBy, thumbnail, mediaUrls, primaryCategory, arxivComments, journalRef, doi, license,\n' +
    'latestVersion, and links {paper, abstract, pdf, huggingFace, discussion, code, codeStars, projectPage, seenAt}\n' +
    '(canonical links; seenAt: the listing page it was seen on, when that is none of them).\n' +
    'CSV: the same columns in that order (topics as ids; lists joined with ";"), the links as paperUrl, abstractUrl,\n' +
    'pdfUrl, huggingFaceUrl, discussionUrl, seenAt. New columns are only ever appended.',
};

export const startSpec: CommandSpec = {
  name: 'start',
  summary:
    'Crawl the configured sources on their schedules, refresh the dashboard views and send due digests: fetcher, processor and notifier workers until SIGINT or SIGTERM.',
  usage: 'start [--processes <n>]',
  options: {
    processes: {
      type: 'string',
      description:
        "processes to run workers in: this one and n-1 worker processes, restarted if they die (default PAPERBOY_PROCESSES, else the machine's cores)",
      valueName: 'n',
    },
  },
  service: true,
  details:
    'On boot it declares its job schedulers: one per enabled source of the sources file (PAPERBOY_SOURCES;\n' +
    'those of removed or disabled sources are removed), the daily archive pruning, the digest planners (every\n' +
    '15 minutes) and the dashboard refreshes (every PAPERBOY_DASHBOARD_REFRESH_SECONDS, a full rebuild nightly). Safe on every\n' +
    'boot and from several processes; the separate service processes declare their own the same way.\n' +
    'While running, each process re-declares any of its schedules missing from Redis (after a flush or a restart\n' +
    'without persistence), on every reconnect and every PAPERBOY_SCHEDULE_CHECK_SECONDS (default 60).\n' +
    'This process declares the schedules, serves the health port (its /healthz lists the worker processes) and runs\n' +
    'workers; --processes n adds n-1 worker processes (fetcher, processor, notifier) on the same queues, each\n' +
    'restarted with backoff if it dies; SIGINT/SIGTERM lets them finish the jobs they hold, and they stop on their own\n' +
    'when this process is gone.\n' +
    'For larger setups run the services as separate processes, as many of each as you like:\n' +
    '  pnpm --filter @paperboy/fetcher start    pnpm --filter @paperboy/processor start    pnpm --filter @paperboy/notifier start',
};

export const demoSpec: CommandSpec = {
  name: 'demo',
  summary:
    'A first run without internet: serve the bundled sample listings on a loopback port and run the whole pipeline on them.',
  usage: 'demo',
  options: {},
  details:
    'Creates and migrates the database if needed, serves two Hugging Face listing dates (upvotes change between\n' +
    'them) and an arXiv listing that overlaps them, ingests them through the real queue and workers, and prints\n' +
    'what was stored. Uses DATABASE_URL and REDIS_URL like every other command.',
};

export const reclassifySpec: CommandSpec = {
  name: 'reclassify',
  summary: 'Re-score the topics of every paper with the current taxonomy, in batches (after editing the taxonomy).',
  usage: 'reclassify [--batch-size <n>]',
  options: { 'batch-size': { type: 'string', description: 'papers per transaction (default 500)', valueName: 'n' } },
  details: 'Manual labels are kept and still win over computed topics. Prints a JSON summary as its last line.',
};

export const sourcesSpec: CommandSpec = {
  name: 'sources',
  summary:
    'List the sources with their schedule, last crawl, last success and health: those of the sources file, then any other with crawls recorded.',
  usage: 'sources [--json]',
  options: { json: { type: 'boolean', description: 'one JSON object per source instead of a table' } },
  details:
    'health: ok; quiet (nothing new, and the page says that is normal); unchanged (304 or same content);\n' +
    'retrying (the last attempt failed, another follows); suspect (far fewer entries than usual, or a page whose\n' +
    'structure no longer matches); failing; never crawled.\n' +
    'Crawls of `ingest`, `demo` and of sources removed from the file are recorded under their own ids: they are\n' +
    'listed after the file\'s sources as "not in the sources file", as /api/sources and the dashboard show them.',
};

export const replaySpec: CommandSpec = {
  name: 'replay',
  summary: 'Run archived pages through the current extract, parse, dedupe and classify code again.',
  usage: 'replay [--source <id>] [--since <date>]',
  options: {
    source: {
      type: 'string',
      description:
        'only pages of this source: a source id (of the sources file, or one with archived pages), or an adapter id for `ingest` pages',
      valueName: 'id',
    },
    since: {
      type: 'string',
      description: 'only pages fetched on or after this date (YYYY-MM-DD or an ISO time)',
      valueName: 'date',
    },
  },
  details:
    'Each page keeps the time it was fetched, so a replay records no new sightings: running it twice changes\n' +
    'nothing the second time. Prints a JSON summary like ingest as its last line. A --source that is not in the\n' +
    'sources file, not an adapter id and has no fetches recorded is a usage error listing the known ids.',
};

export const backfillSpec: CommandSpec = {
  name: 'backfill',
  summary: "Crawl a source's dated listing pages for a range of days, resumably.",
  usage: 'backfill --source <id> --from <YYYY-MM-DD> --to <YYYY-MM-DD>',
  options: {
    source: {
      type: 'string',
      description: 'a source of the sources file whose URL has a {date} placeholder',
      valueName: 'id',
    },
    from: { type: 'string', description: 'first day (UTC)', valueName: 'YYYY-MM-DD' },
    to: { type: 'string', description: 'last day, included', valueName: 'YYYY-MM-DD' },
  },
  details:
    'Day by day, politely (the host limits of the sources file apply). Progress is saved after each day: run\n' +
    'the same command again after a crash or a failure and it goes on from the first day not done (a day is\n' +
    'done once none of its pages failed; a failed day and the days after it are fetched again, harmlessly).\n' +
    'Exit status 1 while any day failed. A progress bar in a terminal, progress logs otherwise; a JSON\n' +
    'summary as the last line of stdout (daysFailed: the days that failed; alreadyDone: the range was\n' +
    'already complete, nothing fetched). --from and --to may not be in the future.',
};

export const subscribersSpec: CommandSpec = {
  name: 'subscribers',
  summary:
    "Manage subscribers as an operator: add (active at once, no confirmation mail), set a subscriber's preferences, list, remove.",
  usage:
    'subscribers add <email> [--topics <ids>] [--frequency daily|weekly] [--send-hour <h>] [--time-zone <zone>] [--min-upvotes <n>] [--max-papers <n>] [--follow-authors <names>] [--keywords <list>] [--not-keywords <list>]\n' +
    'subscribers set <email> [any option of add]\n' +
    'subscribers list\n' +
    'subscribers remove <email>',
  positionals: '<add|set|list|remove> [email]',
  options: {
    topics: {
      type: 'string',
      description: 'add, set: comma-separated topic ids (default: every topic)',
      valueName: 'ids',
    },
    frequency: { type: 'string', description: 'add, set: daily or weekly (default daily)', valueName: 'daily|weekly' },
    'send-hour': {
      type: 'string',
      description: 'add, set: local hour 0-23 the digest is due (default 8)',
      valueName: 'h',
    },
    'time-zone': { type: 'string', description: 'add, set: IANA time zone (default UTC)', valueName: 'zone' },
    'min-upvotes': {
      type: 'string',
      description: 'add, set: only papers with at least this many upvotes (default 0)',
      valueName: 'n',
    },
    'max-papers': { type: 'string', description: 'add, set: papers per digest, 1-100 (default 10)', valueName: 'n' },
    'follow-authors': {
      type: 'string',
      description: 'add, set: semicolon-separated authors whose papers always qualify (names contain commas)',
      valueName: 'names',
    },
    keywords: {
      type: 'string',
      description: 'add, set: comma-separated keywords; a paper that mentions one qualifies',
      valueName: 'list',
    },
    'not-keywords': {
      type: 'string',
      description:
        'add, set: comma-separated keywords; a paper that mentions one is left out (unless by an author you follow)',
      valueName: 'list',
    },
  },
  details:
    'Every option is optional. `set` changes only the options given on an existing subscriber (an empty list clears\n' +
    'one: --keywords ""). `add` and `set` print the subscriber as `list` does. Lists are trimmed, duplicates dropped\n' +
    '(ignoring case); at most 50 items of at most 100 characters each; a keyword that cannot match what it says (no\n' +
    'letter or digit, single letters only, only words every paper has, a "not:" prefix), or that is also a negative\n' +
    'keyword, is refused with the reason.\n' +
    '`remove` unsubscribes the address (it keeps its history and gets no further mail). `list` prints one JSON object\n' +
    'per line: id, email, status, createdAt, confirmedAt, topics, frequency, sendHour, timeZone, minUpvotes,\n' +
    'maxPapers, followedAuthors, keywords, negativeKeywords.',
};

export const digestSpec: CommandSpec = {
  name: 'digest',
  summary:
    "Plan and send the digests that are due, preview a subscriber's next digest, or list and re-send stuck ones.",
  usage:
    'digest run [--frequency daily|weekly] [--now]\n' +
    'digest preview <email>\n' +
    'digest stuck [--older-than <minutes>] [--json]\n' +
    'digest resend-stuck [--older-than <minutes>] --yes',
  positionals: '<run|preview|stuck|resend-stuck> [email]',
  options: {
    frequency: { type: 'string', description: 'run: only this frequency (default both)', valueName: 'daily|weekly' },
    now: { type: 'boolean', description: 'run: as if every active subscriber were due now' },
    'older-than': {
      type: 'string',
      description: 'stuck, resend-stuck: claimed over this many minutes (default PAPERBOY_STUCK_DELIVERY_MINUTES, 15)',
      valueName: 'minutes',
    },
    json: { type: 'boolean', description: 'stuck: one JSON object per stuck delivery instead of a table' },
    yes: {
      type: 'boolean',
      description: 'resend-stuck: really send them again (at least once: a reader may get one twice)',
    },
  },
  details:
    '`run` waits until every send job has finished and prints {planned, sent, skipped, failed} as its last line;\n' +
    'a second run for the same period sends nothing. Without SMTP_URL mails are written to PAPERBOY_OUTBOX_DIR.\n' +
    '`preview` writes the next digest of that subscriber as HTML to stdout, without sending or recording it.\n' +
    'Digests are sent at most once: a delivery is claimed before its SMTP transaction and never claimed again, so a\n' +
    'notifier killed mid-send leaves it claimed for good. Claimed over --older-than minutes, it is stuck.\n' +
    '`stuck` lists those (delivery, email, period, claimed at, attempts, subscriber status); --json: one object a line.\n' +
    `\`resend-stuck --yes\` puts them back to planned and sends them, ${AT_LEAST_ONCE.replace(': ', ':\n')}.\n` +
    'Those of subscribers no longer active are finished as skipped instead. It waits for the sends and prints\n' +
    '{resent, skipped, sent, empty, failed, unfinished, durationMs} as its last line (exit status 1 when some failed\n' +
    'or are unfinished); a second run re-sends nothing. Run it only when no notifier is still inside an SMTP transaction\n' +
    'that old (the default threshold is far above any SMTP timeout). Without --yes nothing is sent (exit status 2).',
};

export const dashboardSpec: CommandSpec = {
  name: 'dashboard',
  summary: 'Refresh the precomputed dashboard views now, or show when they were last refreshed.',
  usage: 'dashboard refresh [--full] | dashboard status',
  positionals: '<refresh|status>',
  options: { full: { type: 'boolean', description: 'recompute every day, not only the days that changed' } },
  details:
    'dashboard.papers_per_day, papers_per_topic_day, topic_trends and trending_now read precomputed rows. The processor refreshes\n' +
    'them every PAPERBOY_DASHBOARD_REFRESH_SECONDS (only the days that changed) and rebuilds them nightly.\n' +
    '`refresh` does it at once, in this process, and prints {mode, durationMs, trendDays, newPaperDays,\n' +
    'trendingPapers, trendingRecomputed} (days and trending rows recomputed; candidates after it);\n' +
    'it waits for a refresh already running elsewhere. `status` prints the latest refresh of each kind and the\n' +
    'days waiting for the next one, as one JSON line.',
};

export const labelSpec: CommandSpec = {
  name: 'label',
  summary: "Set a paper's manual topic labels; they win over computed topics. An empty --topics clears them.",
  usage: 'label <arxiv-id> --topics <id,id,...>',
  positionals: '<arxiv-id>',
  options: { topics: { type: 'string', description: 'comma-separated topic ids from the taxonomy', valueName: 'ids' } },
};

export const webhooksSpec: CommandSpec = {
  name: 'webhooks',
  summary:
    'Manage webhook endpoints: add one (its signing secret is printed once), list them with their health, remove, enable, disable.',
  usage:
    'webhooks add <url> [--events <types>] [--topics <ids>] [--description <text>] [--secret <secret>]\n' +
    'webhooks list [--json]\n' +
    'webhooks remove <id>\n' +
    'webhooks enable <id>\n' +
    'webhooks disable <id> [--reason <text>]',
  positionals: '<add|list|remove|enable|disable> [url|id]',
  options: {
    events: {
      type: 'string',
      description: `add: comma-separated event types to deliver (default every type): ${EVENT_TYPE_NAMES}`,
      valueName: 'types',
    },
    topics: {
      type: 'string',
      description: 'add: comma-separated topic ids (default every topic; events not about a paper always pass)',
      valueName: 'ids',
    },
    description: { type: 'string', description: 'add: a note for operators', valueName: 'text' },
    secret: {
      type: 'string',
      description: 'add: the signing secret, 16-200 printable characters (default a new whsec_… secret)',
      valueName: 'secret',
    },
    json: { type: 'boolean', description: 'list: one JSON object per endpoint instead of a table' },
    reason: { type: 'string', description: 'disable: why (shown on the dashboard and in list)', valueName: 'text' },
  },
  details:
    'An endpoint receives the events written after it was added (see `events replay` for older ones), each POSTed\n' +
    'as JSON with a paperboy-signature header (t=<unix time>,v1=<HMAC-SHA256 of "t.body" with the secret>).\n' +
    '`add` prints the endpoint as one JSON line with its secret: the only time the secret is shown. URLs: http or\n' +
    'https, no credentials, at most 2048 characters; a literal private or loopback address is refused unless\n' +
    "PAPERBOY_WEBHOOK_ALLOW_PRIVATE=1. `list` shows each endpoint's state, filters, events pending (counted up to\n" +
    '10000), delivered/failed counts, last success and its failure run; --json adds every field (secret masked).\n' +
    '`disable` stops deliveries and keeps the position; `enable` resumes from it with a fresh failure run.',
};

export const eventsSpec: CommandSpec = {
  name: 'events',
  summary: 'Re-deliver events to webhook endpoints from a time (replay), or read the outbox (list).',
  usage:
    'events replay --since <time> [--endpoint <id>]\n' + 'events list [--since <time>] [--type <types>] [--limit <n>]',
  positionals: '<replay|list>',
  options: {
    since: {
      type: 'string',
      description: 'a duration back from now (90m, 2h, 3d, 1w), a day YYYY-MM-DD or an ISO 8601 time with a zone',
      valueName: 'time',
    },
    endpoint: {
      type: 'string',
      description: 'replay: only this endpoint (default every enabled endpoint)',
      valueName: 'id',
    },
    type: { type: 'string', description: 'list: comma-separated event types (default every type)', valueName: 'types' },
    limit: { type: 'string', description: 'list: at most this many events, 1-10000 (default 100)', valueName: 'n' },
  },
  details:
    '`replay` moves each endpoint back to just before the first event that occurred at or after --since; the relay\n' +
    'then delivers every event after it again (same event ids: receivers deduplicate by them). It prints one JSON\n' +
    'line per endpoint: endpoint, url, since, from (the position delivery restarts after), previousCursor and\n' +
    'pendingEvents. Events older than PAPERBOY_EVENT_RETENTION_DAYS are pruned: a --since before that window is\n' +
    'refused (exit status 2), naming the oldest event kept, rather than silently replaying less.\n' +
    '`list` prints the outbox as JSON lines, oldest first: position, id, type, version, occurredAt, paperId, source,\n' +
    'topics, data (from --since, default the oldest kept).',
};

/** The adapters `ingest --source` takes, and what it prints: loaded when asked for (the adapters bring in cheerio). */
export async function ingestDetails(): Promise<string> {
  const { listAdapters } = await import('@paperboy/sources');
  return (
    'Adapters:\n' +
    listAdapters()
      .map((a) => `  ${a.id.padEnd(12)} ${a.description}\n  ${''.padEnd(12)} e.g. ${a.exampleUrls[0] ?? ''}`)
      .join('\n') +
    '\n\nPoliteness: one request per 5 s to a host the sources file does not name (400 pages: 33 minutes). For a host\n' +
    'you own, add it under `hosts:` in the sources file (PAPERBOY_SOURCES), e.g. hosts: { "example.org": { minDelay: 0s,\n' +
    'concurrency: 4 } }. A run paced for 10 s or more is warned about first; on a terminal a progress line shows\n' +
    'pages done, entries, rate and ETA (nothing of that when stderr is not a terminal).\n' +
    'With --processes n (n > 1), n-1 worker processes fetch and process beside this one; one that dies is named in\n' +
    'the warnings and the run goes on (its jobs are retried after PAPERBOY_JOB_LOCK_MS).' +
    '\n\nThe last line of stdout is one JSON object: pages, pagesFailed, entries, new, updated, merged, failed,\n' +
    'rejected, unchangedPages, unchangedBatches, warnings, errors, durationMs.\n' +
    'Exit status 1 when a page could not be fetched or yielded no entries, or a batch could not be stored.'
  );
}

/** Every command, in the order `paperboy --help` lists them. */
export const commandSpecs: readonly CommandSpec[] = [
  migrateSpec,
  ingestSpec,
  exportSpec,
  startSpec,
  demoSpec,
  reclassifySpec,
  sourcesSpec,
  replaySpec,
  backfillSpec,
  subscribersSpec,
  digestSpec,
  dashboardSpec,
  labelSpec,
  webhooksSpec,
  eventsSpec,
];
