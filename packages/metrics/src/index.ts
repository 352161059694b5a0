import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Queue states reported by `paperboy_queue_jobs`. */
export const queueStates = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof queueStates)[number];

export type EmailOutcome = 'sent' | 'failed' | 'skipped';

/**
 * What the queue gauge needs of a queue: a BullMQ `Queue` fits. Kept structural so this package
 * does not depend on bullmq (nor on a particular Redis connection).
 */
export interface QueueLike {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

export interface MetricsOptions {
  /**
   * Queues whose job counts are read on every scrape: a list, or a function returning the current
   * list (so queues created later, e.g. by `Queues.get`, can be reported).
   */
  queues?: readonly QueueLike[] | (() => readonly QueueLike[]);
  /** Node process metrics (`paperboy_process_*`, `paperboy_nodejs_*`). Default true. */
  defaultMetrics?: boolean;
  /** Upper bound for reading the queue counts on one scrape; a queue not answered in time is left out. Default 2000 ms. */
  queueTimeoutMs?: number;
  /** Added to every series (e.g. `{ service: 'fetcher' }`). */
  defaultLabels?: Record<string, string>;
}

export interface Metrics {
  registry: Registry;
  /** Pages fetched, by source and outcome (`status`: the HTTP status, or e.g. `error`, `not-modified`). */
  pagesFetched: Counter<'source' | 'status'>;
  /** Raw entries found on fetched pages. */
  entries: Counter<'source'>;
  /** Papers stored for the first time. */
  papersNew: Counter<'source'>;
  /** Entries merged into a paper first seen elsewhere (another source, or matched by title). */
  papersMerged: Counter<'source'>;
  /** Time to classify one paper's topics. */
  classifySeconds: Histogram<never>;
  /** Time of one crawl of a source's page, from start to stored result. */
  crawlDurationSeconds: Histogram<'source'>;
  /** Digest emails, by outcome. */
  emails: Counter<'outcome'>;
  /** Time of one refresh of the precomputed dashboard views, by mode (incremental, full). */
  dashboardRefreshSeconds: Histogram<'mode'>;
  /** Ingest batches enqueued longer than the grace period and not stored, per source, as the reconciler last found them. */
  batchesUnstored: Gauge<'source'>;
  /** Ingest batches the reconciler put back in the queue (from the archive) or retried. */
  batchesReenqueued: Counter<'source'>;
  /** Jobs per queue and state, read from Redis on scrape. */
  queueJobs: Gauge<'queue' | 'state'>;
  /** Events written to the outbox by this process (counted after their transaction committed), by type. */
  eventsEmitted: Counter<'type'>;
  /** Webhook deliveries by endpoint (its id) and outcome: delivered, failed. */
  webhookDeliveries: Counter<'endpoint' | 'outcome'>;
  /** Time of one webhook delivery (request to answer), by endpoint. */
  webhookDeliverySeconds: Histogram<'endpoint'>;
  /** Webhook endpoints disabled after failing for PAPERBOY_WEBHOOK_DISABLE_AFTER_MINUTES. */
  webhooksDisabled: Counter<'endpoint'>;
  /** Counts one digest email; typed so the outcome is one of sent, failed, skipped. */
  countEmail(outcome: EmailOutcome, count?: number): void;
  /**
   * Reports `paperboy_deliveries_stuck{threshold_minutes}`: `read` (e.g. a count in Postgres) is
   * called on every scrape. Only processes that call this expose the gauge (a process that cannot
   * count reports nothing rather than 0); a read that fails or times out leaves it out of that scrape.
   */
  watchStuckDeliveries(thresholdMinutes: number, read: () => Promise<number>): void;
}

/** Buckets for work that takes milliseconds (classifying one paper). */
const classifyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Buckets for a crawl: a fast page to a slow, retried, rate-limited one. */
const crawlBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Adds the events a transaction wrote (by type, as appendEventsByType returns them) to
 * `paperboy_events_emitted_total`: call it once the transaction committed.
 */
export function countEmittedEvents(metrics: Metrics | undefined, written: Readonly<Record<string, number>>): void {
  if (!metrics) return;
  for (const [type, count] of Object.entries(written)) if (count > 0) metrics.eventsEmitted.inc({ type }, count);
}

/** A registry of its own (not prom-client's global one) holding every paperboy metric. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'paperboy_' });
  const registers = [registry];
  const listQueues =
    typeof options.queues === 'function'
      ? options.queues
      : () => (options.queues as readonly QueueLike[] | undefined) ?? [];
  const queueTimeoutMs = options.queueTimeoutMs ?? 2000;

  const pagesFetched = new Counter({
    name: 'paperboy_pages_fetched_total',
    help: 'Listing pages fetched, by source and status (HTTP status code, or the outcome when there was none)',
    labelNames: ['source', 'status'] as const,
    registers,
  });
  const entries = new Counter({
    name: 'paperboy_entries_total',
    help: 'Raw entries found on fetched listing pages',
    labelNames: ['source'] as const,
    registers,
  });
  const papersNew = new Counter({
    name: 'paperboy_papers_new_total',
    help: 'Papers stored for the first time',
    labelNames: ['source'] as const,
    registers,
  });
  const papersMerged = new Counter({
    name: 'paperboy_papers_merged_total',
    help: 'Entries merged into an existing paper this source had not shown before',
    labelNames: ['source'] as const,
    registers,
  });
  const classifySeconds = new Histogram({
    name: 'paperboy_classify_seconds',
    help: "Time to classify one paper's topics",
    buckets: classifyBuckets,
    registers,
  });
  const crawlDurationSeconds = new Histogram({
    name: 'paperboy_crawl_duration_seconds',
    help: 'Time of one page crawl, from start to stored result',
    labelNames: ['source'] as const,
    buckets: crawlBuckets,
    registers,
  });
  const emails = new Counter({
    name: 'paperboy_emails_total',
    help: 'Digest emails by outcome: sent, failed, skipped',
    labelNames: ['outcome'] as const,
    registers,
  });
  const dashboardRefreshSeconds = new Histogram({
    name: 'paperboy_dashboard_refresh_seconds',
    help: 'Time of one refresh of the precomputed dashboard views, by mode: incremental, full',
    labelNames: ['mode'] as const,
    buckets: crawlBuckets,
    registers,
  });
  const batchesUnstored = new Gauge({
    name: 'paperboy_batches_unstored',
    help: 'Ingest batches enqueued longer than PAPERBOY_RECONCILE_GRACE_MINUTES ago and not stored, per source, as the reconciler last found them',
    labelNames: ['source'] as const,
    registers,
  });
  const batchesReenqueued = new Counter({
    name: 'paperboy_batches_reenqueued_total',
    help: 'Ingest batches enqueued but not stored that the reconciler re-enqueued from the archive (or retried)',
    labelNames: ['source'] as const,
    registers,
  });
  const queueJobs = new Gauge({
    name: 'paperboy_queue_jobs',
    help: 'Jobs per BullMQ queue and state (waiting includes paused and prioritized jobs), read on scrape',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      const queues = listQueues();
      const counted = await Promise.all(queues.map((queue) => readCounts(queue, queueTimeoutMs)));
      // A queue that did not answer is left out of this scrape rather than reported with stale numbers.
      this.reset();
      queues.forEach((queue, i) => {
        const counts = counted[i];
        if (!counts) return;
        for (const state of queueStates) this.set({ queue: queue.name, state }, counts[state]);
      });
    },
  });

  const eventsEmitted = new Counter({
    name: 'paperboy_events_emitted_total',
    help: 'Events written to the outbox (counted once their transaction committed), by type',
    labelNames: ['type'] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: 'paperboy_webhook_deliveries_total',
    help: 'Webhook deliveries by endpoint id and outcome: delivered (2xx), failed (any other answer, a timeout, a refused address)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers,
  });
  const webhookDeliverySeconds = new Histogram({
    name: 'paperboy_webhook_delivery_seconds',
    help: 'Time of one webhook delivery, request to answer, by endpoint id',
    labelNames: ['endpoint'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const webhooksDisabled = new Counter({
    name: 'paperboy_webhooks_disabled_total',
    help: 'Webhook endpoints disabled after failing every attempt for PAPERBOY_WEBHOOK_DISABLE_AFTER_MINUTES, by endpoint id',
    labelNames: ['endpoint'] as const,
    registers,
  });

  return {
    registry,
    pagesFetched,
    entries,
    papersNew,
    papersMerged,
    classifySeconds,
    crawlDurationSeconds,
    emails,
    dashboardRefreshSeconds,
    batchesUnstored,
    batchesReenqueued,
    queueJobs,
    eventsEmitted,
    webhookDeliveries,
    webhookDeliverySeconds,
    webhooksDisabled,
    countEmail: (outcome, count = 1) => emails.inc({ outcome }, count),
    watchStuckDeliveries(thresholdMinutes, read) {
      // A second call replaces the reader (one gauge per registry).
      registry.removeSingleMetric('paperboy_deliveries_stuck');
      new Gauge({
        name: 'paperboy_deliveries_stuck',
        help: 'Digest deliveries claimed longer than threshold_minutes and never finished (the sender died mid-send; not re-sent unless an operator runs `paperboy digest resend-stuck`), read on scrape',
        labelNames: ['threshold_minutes'] as const,
        registers,
        async collect() {
          const count = await within(read, queueTimeoutMs);
          this.reset();
          if (count !== null) this.set({ threshold_minutes: String(thresholdMinutes) }, count);
        },
      });
    },
  };
}

/** The value `read` gives, or null when it fails (even synchronously) or takes longer than `ms`. */
async function within<T>(read: () => Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  try {
    return await Promise.race([Promise.resolve().then(read), timeout]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function readCounts(queue: QueueLike, timeoutMs: number): Promise<Record<QueueState, number> | null> {
  const counts = await within(
    () => queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
    timeoutMs,
  );
  if (!counts) return null;
  const n = (key: string) => counts[key] ?? 0;
  return {
    // BullMQ keeps paused and prioritized jobs in lists of their own; all of them wait for a worker.
    waiting: n('waiting') + n('paused') + n('prioritized'),
    active: n('active'),
    delayed: n('delayed'),
    failed: n('failed'),
  };
}

export interface MetricsHandler {
  contentType: string;
  body(): Promise<string>;
}

/** What an HTTP server needs to answer a scrape (see `startHealthServer` in @paperboy/runtime). */
export function metricsHandler(registry: Registry): MetricsHandler {
  return {
    contentType: registry.contentType,
    body: () => registry.metrics(),
  };
}
