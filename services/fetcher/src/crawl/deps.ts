import type { Db } from '@paperboy/db';
import type { FetchSettings } from '@paperboy/http';
import type { Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import type { Queues } from '@paperboy/queue';
import type { SourcesFile } from '@paperboy/sources-file';
import type { HostGate, RobotsGate } from '../politeness.js';

/** What the stages of a crawl use: the database, the queues, politeness and the sources file. */
export interface CrawlDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  fetch: Omit<FetchSettings, 'accept' | 'conditional'>;
  batchSize: number;
  sources: SourcesFile;
  hosts: HostGate;
  robots: RobotsGate;
  /** Longest robots.txt Crawl-delay honoured (PAPERBOY_MAX_CRAWL_DELAY_SECONDS); a longer one is cut to it. 60 s. */
  maxCrawlDelayMs?: number;
  metrics?: Metrics;
}
