import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '@paperboy/config';
import { DashboardRepository, ExportRepository } from '@paperboy/db';
import { addFetcher } from '@paperboy/fetcher';
import { type Logger, redactUrl } from '@paperboy/logger';
import { addProcessor } from '@paperboy/processor';
import { parseSourcesFile } from '@paperboy/sources-file';
import { createCheckedContext, type IngestSummary, runIngest, stopOnSignal, wasInterrupted } from '../run-ingest.js';
import { migrate } from './migrate.js';

/**
 * The sample listings shipped with the CLI (packages/cli/demo/, see its README), found from this module:
 * the same relative path from src/commands/ and, compiled, from dist/commands/.
 */
export const demoDir = fileURLToPath(new URL('../../demo/', import.meta.url));

/** Which adapter reads a sample file, by its name. */
function adapterFor(file: string): string | null {
  if (file.startsWith('hf-papers-')) return 'hf-papers';
  if (file.startsWith('hf-api-')) return 'hf-api';
  if (file.startsWith('arxiv-list-')) return 'arxiv-list';
  return null;
}

const typeOf = (file: string) => (file.endsWith('.json') ? 'application/json' : 'text/html; charset=utf-8');

export async function demo(
  config: Config,
  logger: Logger,
  out: NodeJS.WritableStream = process.stdout,
): Promise<IngestSummary[]> {
  // Ctrl-C before the workers run (migrating, starting the server) has nothing to stop or remove: say so and go.
  const early = () => {
    process.stderr.write('paperboy: interrupted before the pipeline started: nothing was queued\n');
    process.exit(130);
  };
  process.once('SIGINT', early).once('SIGTERM', early);
  await migrate(config);
  const files = (await readdir(demoDir))
    .filter((f) => adapterFor(f))
    .sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const server = createServer(async (req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0]!);
    if (!files.includes(name)) return void res.writeHead(404).end('not found');
    const body = await readFile(`${demoDir}${name}`);
    res.writeHead(200, { 'content-type': typeOf(name), 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The demo fetches only its own loopback server, so it may pass the private-address guard; it
  // needs no internet, so its papers are not enriched from the arXiv and Hugging Face APIs.
  const demoConfig: Config = Object.freeze({
    ...config,
    fetch: Object.freeze({ ...config.fetch, allowPrivate: true }),
    enrich: Object.freeze({ ...config.enrich, kinds: [] }),
  });
  const summaries: IngestSummary[] = [];
  const ctx = await createCheckedContext(demoConfig, logger).catch((error: unknown) => {
    server.close();
    throw error;
  });
  try {
    // Its own loopback server needs no politeness delays.
    addFetcher(
      ctx,
      parseSourcesFile(
        'defaults: { politeness: { concurrency: 4, minDelay: 0s, robots: false } }\nsources: []\n',
        'demo',
      ),
    );
    addProcessor(ctx);
    ctx.lifecycle.start();
    // Ctrl-C: as in `ingest`, the workers finish what they hold and this run's unfinished crawl jobs are removed.
    const crawlJobIds = new Set<string>();
    process.off('SIGINT', early).off('SIGTERM', early);
    stopOnSignal(ctx, crawlJobIds, () => {
      server.closeAllConnections();
      server.close();
    });
    out.write(
      `paperboy demo: serving ${files.length} sample listings at ${base} and running them through the queue and workers\n\n`,
    );
    for (const file of files) {
      const summary = await runIngest(demoConfig, adapterFor(file)!, [`${base}/${file}`], {
        context: ctx,
        crawlJobIds,
      });
      if (wasInterrupted()) return new Promise<never>(() => {}); // the signal handler reports and exits
      summaries.push(summary);
      const parts = [
        `${summary.new} new`,
        `${summary.updated} updated`,
        `${summary.merged} merged from another source`,
      ];
      if (summary.failed) parts.push(`${summary.failed} failed`);
      out.write(
        `  ${adapterFor(file)!.padEnd(11)} ${file.padEnd(28)} ${String(summary.entries).padStart(3)} entries: ${parts.join(', ')}\n`,
      );
      for (const e of summary.errors) out.write(`      error: ${e.error}\n`);
    }
    // What the processor's scheduled job does, at once: the dashboard views show the demo's papers.
    const refreshed = await new DashboardRepository(ctx.db).refresh();
    await report(new ExportRepository(ctx.db), out, refreshed.trendingPapers);
    out.write(whereThingsAre(config));
  } finally {
    server.closeAllConnections();
    server.close();
    await ctx.lifecycle.shutdown();
  }
  return summaries;
}

function order(file: string): number {
  return file.startsWith('hf-papers-') ? 0 : file.startsWith('hf-api-') ? 1 : 2;
}

const short = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

async function report(repo: ExportRepository, out: NodeJS.WritableStream, trending: number) {
  const counts = await repo.counts();
  out.write(
    `\nIn the database now: ${counts.papers} papers, ${counts.sightings} sightings, ` +
      `${counts.crossSource} papers seen on more than one source, ${counts.rejected} rejected entries.\n`,
  );
  const merged = await repo.crossSourcePapers(5);
  if (merged.length) {
    out.write('\nOne record per paper across sources, e.g.:\n');
    for (const p of merged)
      out.write(`  ${(p.arxivId ?? '-').padEnd(11)} ${short(p.title, 70).padEnd(70)} ${p.sources.join(' + ')}\n`);
  }
  const topics = await repo.topTopicCounts();
  if (topics.length) out.write(`\nBest topic per paper: ${topics.map((t) => `${t.topic} ${t.papers}`).join(', ')}\n`);
  const changes = await repo.upvoteChanges(5);
  if (changes.length) {
    out.write('\nUpvotes that changed between sightings:\n');
    for (const c of changes) {
      const delta = c.last - c.first;
      out.write(
        `  ${(c.arxivId ?? '-').padEnd(11)} ${short(c.title, 60).padEnd(60)} ${c.first} → ${c.last} (${delta > 0 ? '+' : ''}${delta})\n`,
      );
    }
  }
  out.write(
    `\nDashboard views refreshed: ${trending} papers in dashboard.trending_now (see packages/db/src/migrations/README.md).\n`,
  );
}

/** Where the demo left things and how to look at them: the database, where mail goes, the API and dashboard. */
export function whereThingsAre(config: Config): string {
  const mail = config.mail.smtpUrl
    ? `sent through ${redactUrl(config.mail.smtpUrl)} (SMTP_URL)`
    : `written as .eml files to ${resolve(config.mail.outboxDir)} (PAPERBOY_OUTBOX_DIR; set SMTP_URL to send them)`;
  const api = `http://localhost:${config.api.port}`;
  const dashboard = config.publicDashboard ? `${api}/dashboard` : `${api}/dashboard?token=<PAPERBOY_ADMIN_TOKEN>`;
  return [
    '',
    'Where things are:',
    `  database   ${redactUrl(config.databaseUrl)} (DATABASE_URL)`,
    `  mail       digests and confirmations are ${mail}`,
    `  API        pnpm --filter @paperboy/api start, then ${api}/api/papers and ${api}/api/sources`,
    `  dashboard  ${dashboard} on the same server${config.publicDashboard || config.adminToken ? '' : ' (set PAPERBOY_ADMIN_TOKEN, 16+ characters, or PAPERBOY_PUBLIC_DASHBOARD=1)'}`,
    '',
    'Next: pnpm paperboy export papers --format jsonl | head -n 3',
    '',
  ].join('\n');
}
