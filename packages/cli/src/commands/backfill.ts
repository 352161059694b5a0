import { createHash } from 'node:crypto';
import type { Config } from '@paperboy/config';
import { BackfillRepository } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import { parseCalendarDay } from '@paperboy/pipeline';
import { expandUrl, isDated, loadSourcesFile } from '@paperboy/sources-file';
import { UsageError } from '../args.js';
import { crawlAndWait, emptySummary, type IngestSummary, withPipeline } from '../run-ingest.js';

const DAY = 86_400_000;

function parseDay(value: string | undefined, flag: string): Date {
  if (!value || !parseCalendarDay(value)) {
    throw new UsageError(
      `backfill: --${flag} must be a date YYYY-MM-DD, got ${JSON.stringify(value ?? '')}`,
      'backfill',
    );
  }
  return new Date(`${value}T00:00:00Z`);
}

const dayString = (d: Date) => d.toISOString().slice(0, 10);

function progressBar(done: number, total: number, label: string): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} days ${label}`;
}

export interface BackfillSummary extends IngestSummary {
  days: number;
  /** The first day this run did, when not --from (the day after --to when the range was already done). */
  resumedFrom: string | null;
  /** Days of this run with a failed page (or batch): not done, redone by the next run. */
  daysFailed: string[];
  /** The range was complete before this run: nothing fetched. */
  alreadyDone: boolean;
}

export async function backfill(
  config: Config,
  args: { source?: string; from?: string; to?: string },
  logger: Logger,
): Promise<BackfillSummary> {
  if (!args.source) throw new UsageError('backfill: --source is required', 'backfill');
  const from = parseDay(args.from, 'from');
  const to = parseDay(args.to, 'to');
  if (to < from) throw new UsageError('backfill: --to is before --from', 'backfill');
  const today = dayString(new Date());
  for (const [flag, day] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (dayString(day) > today)
      throw new UsageError(
        `backfill: --${flag} ${dayString(day)} is in the future (today is ${today} UTC)`,
        'backfill',
      );
  }
  const sources = loadSourcesFile(config.sourcesPath);
  const source = sources.sources.find((s) => s.id === args.source);
  if (!source)
    throw new UsageError(
      `backfill: no source "${args.source}" in ${sources.path}; known: ${sources.sources.map((s) => s.id).join(', ')}`,
      'backfill',
    );
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
    const daysFailed: string[] = [];
    // Crawl job ids: the same for a run resumed after a crash (it takes over the killed run's jobs),
    // new once pages have failed (a failed job is kept by the queue: its id would only return the failure).
    const attempt = progress.pagesFailed ? `${progress.id}-${progress.pagesFailed}` : `${progress.id}`;
    const alreadyDone = new Date(`${progress.nextDate}T00:00:00Z`) > to;
    if (alreadyDone)
      logger.info(
        { source: source.id, from: dayString(from), to: dayString(to) },
        'backfill: every day of the range is already done',
      );
    let day = new Date(`${progress.nextDate}T00:00:00Z`);
    while (day <= to) {
      const urls = [...new Set(templates.map((t) => expandUrl(t, day)))].filter((u) => !seen.has(u));
      for (const u of urls) seen.add(u);
      summary.pages += urls.length;
      const failedBefore = summary.pagesFailed;
      const errorsBefore = summary.errors.length;
      await crawlAndWait(
        pipeline,
        urls.map((url) => ({
          data: { source: source.id, adapter: source.adapter, url, trigger: 'backfill' },
          jobId: `backfill-${createHash('sha256').update(`${source.id}\u0000${url}`).digest('hex').slice(0, 32)}-${attempt}`,
        })),
        summary,
      );
      const next = new Date(day.getTime() + DAY);
      // A day is done only when none of its pages (nor their batches) failed; the saved cursor never
      // passes a failed day, so the next run starts again there.
      const failed = summary.pagesFailed - failedBefore;
      if (failed || summary.errors.length > errorsBefore) {
        daysFailed.push(dayString(day));
        logger.warn(
          { source: source.id, day: dayString(day), failed },
          'backfill day failed: not done, the next run redoes it',
        );
      }
      await backfills.dayDone(progress.id, daysFailed[0] ?? dayString(next), urls.length, failed);
      const done = Math.round((next.getTime() - from.getTime()) / DAY);
      if (tty) process.stderr.write(progressBar(done, totalDays, dayString(day)));
      else
        logger.info(
          { source: source.id, day: dayString(day), done, total: totalDays, pages: urls.length },
          'backfill progress',
        );
      day = next;
    }
    if (tty) process.stderr.write('\n');
    summary.durationMs = Date.now() - started;
    return { ...summary, days: totalDays, resumedFrom, daysFailed, alreadyDone };
  });
}
