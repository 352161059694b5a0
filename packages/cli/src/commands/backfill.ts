import { parseCalendarDay } from '@paperboy/pipeline';
import { createHash } from 'node:crypto';
import type { Config } from '@paperboy/config';
import { expandUrl, isDated, loadSourcesFile } from '@paperboy/fetcher';
import type { Logger } from '@paperboy/logger';
import { BackfillRepository } from '@paperboy/db';
import { UsageError, type CommandSpec } from '../args.js';
import { crawlAndWait, emptySummary, withPipeline, type IngestSummary } from '../run-ingest.js';

export const backfillSpec: CommandSpec = {
  name: 'backfill',
  summary: "Crawl a source's dated listing pages for a range of days, resumably.",
  usage: 'backfill --source <id> --from <YYYY-MM-DD> --to <YYYY-MM-DD>',
  options: {
    source: { type: 'string', description: 'a source of the sources file whose URL has a {date} placeholder', valueName: 'id' },
    from: { type: 'string', description: 'first day (UTC)', valueName: 'YYYY-MM-DD' },
    to: { type: 'string', description: 'last day, included', valueName: 'YYYY-MM-DD' },
  },
  details:
    'Day by day, politely (the host limits of the sources file apply). Progress is saved after each day: run\n' +
    'the same command again after a crash and it goes on where it stopped. A progress bar in a terminal,\n' +
    'progress logs otherwise; a JSON summary as the last line of stdout.',
};

const DAY = 86_400_000;

function parseDay(value: string | undefined, flag: string): Date {
  if (!value || !parseCalendarDay(value)) {
    throw new UsageError(`backfill: --${flag} must be a date YYYY-MM-DD, got ${JSON.stringify(value ?? '')}`, 'backfill');
  }
  return new Date(`${value}T00:00:00Z`);
}

const dayString = (d: Date) => d.toISOString().slice(0, 10);

function progressBar(done: number, total: number, label: string): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} days ${label}`;
}

export async function backfill(config: Config, args: { source?: string; from?: string; to?: string }, logger: Logger): Promise<IngestSummary & { days: number; resumedFrom: string | null }> {
  if (!args.source) throw new UsageError('backfill: --source is required', 'backfill');
  const from = parseDay(args.from, 'from');
  const to = parseDay(args.to, 'to');
  if (to < from) throw new UsageError('backfill: --to is before --from', 'backfill');
  const sources = loadSourcesFile(config.sourcesPath);
  const source = sources.sources.find((s) => s.id === args.source);
  if (!source) throw new UsageError(`backfill: no source "${args.source}" in ${sources.path}; known: ${sources.sources.map((s) => s.id).join(', ')}`, 'backfill');
  const templates = source.urls.filter(isDated);
  if (!templates.length) throw new UsageError(`backfill: source "${source.id}" has no {date} in its URLs`, 'backfill');
  const started = Date.now();
  const totalDays = Math.round((to.getTime() - from.getTime()) / DAY) + 1;
  const tty = Boolean(process.stderr.isTTY);

  return withPipeline(config, { logger }, async (pipeline) => {
    const backfills = new BackfillRepository(pipeline.ctx.db);
    const progress = await backfills.startOrResume(source.id, dayString(from), dayString(to));
    const resumedFrom = progress.nextDate !== dayString(from) ? progress.nextDate : null;
    if (resumedFrom) logger.info({ source: source.id, resumedFrom }, 'resuming backfill');
    const summary = emptySummary(0);
    const seen = new Set<string>();
    let day = new Date(`${progress.nextDate}T00:00:00Z`);
    while (day <= to) {
      const urls = [...new Set(templates.map((t) => expandUrl(t, day)))].filter((u) => !seen.has(u));
      urls.forEach((u) => seen.add(u));
      summary.pages += urls.length;
      const failedBefore = summary.pagesFailed;
      await crawlAndWait(
        pipeline,
        urls.map((url) => ({
          data: { source: source.id, adapter: source.adapter, url, trigger: 'backfill' },
          jobId: `backfill-${createHash('sha256').update(`${source.id}\u0000${url}`).digest('hex').slice(0, 32)}-${progress.id}`,
        })),
        summary,
      );
      const next = new Date(day.getTime() + DAY);
      await backfills.dayDone(progress.id, dayString(next), urls.length, summary.pagesFailed - failedBefore);
      const done = Math.round((next.getTime() - from.getTime()) / DAY);
      if (tty) process.stderr.write(progressBar(done, totalDays, dayString(day)));
      else logger.info({ source: source.id, day: dayString(day), done, total: totalDays, pages: urls.length }, 'backfill progress');
      day = next;
    }
    if (tty) process.stderr.write('\n');
    summary.durationMs = Date.now() - started;
    return { ...summary, days: totalDays, resumedFrom };
  });
}
