/**
 * What the crawl's enqueue stage spends a page on, part by part (CPU ms of this process, mean over
 * `BENCH_ENQUEUE_PAGES` pages of 50 realistic entries, one ingest batch a page): the payload's zod
 * validation, looking the job id up with `getJob` (a round trip and the job read back) or with
 * a pipelined EXISTS, and the add itself. Prints one JSON line. Run by `pnpm bench enqueue-parts`.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedis, parsePayload, Queues } from '@paperboy/queue';
import { createPage, hfPapersAdapter } from '@paperboy/sources';
import { ingestBatches, jobsInQueue } from '../../services/fetcher/src/crawl/enqueue.js';

const PAGES = Number(process.env.BENCH_ENQUEUE_PAGES ?? 100);

export async function benchEnqueueParts(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-enqueue-'));
  const made = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      fileURLToPath(new URL('./make-pages.ts', import.meta.url)),
      dir,
      String(PAGES),
      '50',
    ],
    { stdio: 'inherit' },
  );
  if (made.status !== 0) throw new Error('make-pages failed');
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'producer');
  const prefix = `bench-enqueue-${Date.now()}`;
  const queues = new Queues(redis, { prefix, fetchAttempts: 3 });
  const cpuOf = async (f: () => unknown) => {
    const c = process.cpuUsage();
    await f();
    const u = process.cpuUsage(c);
    return (u.user + u.system) / 1000;
  };
  const total = { zod: 0, getJob: 0, exists: 0, addBulk: 0 };
  try {
    const files = readdirSync(dir).slice(0, PAGES);
    for (const [i, f] of files.entries()) {
      const url = `http://127.0.0.1/papers/${i}`;
      const page = createPage(url, readFileSync(join(dir, f)));
      const { entries } = await hfPapersAdapter.extract(page);
      const origin = {
        source: 'hf-papers',
        adapter: 'hf-papers',
        listing: url,
        fetchId: i,
        crawlId: i,
        seenAt: new Date(),
        contentHash: `h${i}`,
      };
      const jobs = ingestBatches(origin, entries, 50);
      total.zod += await cpuOf(() => {
        for (const j of jobs) parsePayload('ingest-entries', j.data);
      });
      const queue = queues.get('ingest');
      total.getJob += await cpuOf(() => Promise.all(jobs.map((j) => queue.getJob(j.jobId))));
      total.exists += await cpuOf(() =>
        jobsInQueue(
          queues,
          jobs.map((j) => j.jobId),
        ),
      );
      total.addBulk += await cpuOf(() => queues.addBulk('ingest-entries', jobs));
    }
    // Looked up again now that they are there (a re-enqueue of the same content).
    let getJobHit = 0;
    let existsHit = 0;
    for (const [i] of files.entries()) {
      const origin = { source: 'hf-papers', listing: `http://127.0.0.1/papers/${i}`, contentHash: `h${i}` };
      const id = ingestBatches({ ...origin, adapter: 'x', fetchId: null, seenAt: new Date() }, [1], 50)[0]!.jobId;
      getJobHit += await cpuOf(() => queues.get('ingest').getJob(id));
      existsHit += await cpuOf(() => jobsInQueue(queues, [id]));
    }
    const per = (ms: number) => Math.round((ms / files.length) * 1000) / 1000;
    return {
      bench: 'enqueue-parts',
      pages: files.length,
      cpuMsPerPage: {
        zod: per(total.zod),
        getJobMiss: per(total.getJob),
        existsMiss: per(total.exists),
        addBulk: per(total.addBulk),
        getJobHit: per(getJobHit),
        existsHit: per(existsHit),
      },
    };
  } finally {
    await queues.close();
    const keys = await redis.keys(`${prefix}:*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
