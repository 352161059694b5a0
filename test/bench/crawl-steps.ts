/**
 * The crawl of a page, step by step: each step of what the fetcher does with a Hugging Face
 * listing page timed on its own, one page at a time (nothing else running in this process), so the
 * figures add up to what a page costs. Used by the ingest and crawl benchmarks (`steps`).
 */
import { createHash } from 'node:crypto';
import { ArchiveRepository, type Db, encodeArchivedBody } from '@paperboy/db';
import { type FetchSettings, fetchPage } from '@paperboy/http';
import { normalizeEntry } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { createPage, getAdapter } from '@paperboy/sources';
import { mapHfEntries } from '../../packages/sources/src/hf-entry.js';
import { decodeAttributeText, findEntryList, propsAttributes } from '../../packages/sources/src/hf-papers/index.js';
import { propsJsonFromBytes } from '../../packages/sources/src/hf-papers/props-bytes.js';
import { ingestBatches } from '../../services/fetcher/src/crawl/enqueue.js';

export interface CrawlSteps {
  fetch: number;
  hash: number;
  /** Finding the props attributes in the bytes and decoding their references: the fast path's "scan". */
  scanBytes: number;
  parse: number;
  map: number;
  normalize: number;
  compress: number;
  archiveInsert: number;
  enqueue: number;
  /** The adapter's extract as the fetcher calls it (scan through map in one), to check the parts against. */
  extract: number;
  /** The text path, kept for pages made from text and as the reference: the body decoded as UTF-8, */
  textUtf8: number;
  /** the attributes found in the text, */
  textScan: number;
  /** their references decoded as text, */
  textDecode: number;
  /** and the adapter's whole extract from text. */
  textExtract: number;
}

/**
 * Mean milliseconds a page for each step over `urls` (the first few are a warm-up and not counted).
 * `queuePrefix` names a queue prefix of this run's own; the caller deletes it.
 */
export async function measureCrawlSteps(options: {
  urls: readonly string[];
  db: Db;
  redisUrl: string;
  queuePrefix: string;
  fetch: FetchSettings;
  batchSize: number;
}): Promise<CrawlSteps> {
  const adapter = getAdapter('hf-papers');
  const archive = new ArchiveRepository(options.db);
  const redis = createRedis(options.redisUrl, 'producer');
  const queues = new Queues(redis, { prefix: options.queuePrefix, fetchAttempts: 1 });
  const total: CrawlSteps = {
    fetch: 0,
    hash: 0,
    scanBytes: 0,
    parse: 0,
    map: 0,
    normalize: 0,
    compress: 0,
    archiveInsert: 0,
    enqueue: 0,
    extract: 0,
    textUtf8: 0,
    textScan: 0,
    textDecode: 0,
    textExtract: 0,
  };
  const warmUp = Math.min(5, Math.floor(options.urls.length / 4));
  let counted = 0;
  try {
    for (const [i, url] of options.urls.entries()) {
      const step: Partial<CrawlSteps> = {};
      let t = performance.now();
      const lap = (name: keyof CrawlSteps) => {
        const now = performance.now();
        step[name] = now - t;
        t = now;
      };
      const page = await fetchPage(url, options.fetch);
      lap('fetch');
      const contentHash = createHash('sha256').update(page.body).digest('hex');
      lap('hash');
      const decoded = [...propsJsonFromBytes(page.body, decodeAttributeText)];
      lap('scanBytes');
      const parsed = decoded.map((json) => JSON.parse(json) as unknown);
      lap('parse');
      const lists = parsed.map((props) => findEntryList(props)).filter((list) => list !== undefined);
      const longest = lists.reduce((a, b) => (b.length > a.length ? b : a));
      const { entries } = mapHfEntries(longest, page.finalUrl);
      lap('map');
      let kept = 0;
      for (const entry of entries) if (normalizeEntry(entry).ok) kept++;
      if (kept !== entries.length) throw new Error(`only ${kept} of ${entries.length} entries normalized`);
      lap('normalize');
      const stored = await encodeArchivedBody(page.body);
      lap('compress');
      await archive.storeBody({
        contentHash,
        encoding: stored.encoding,
        body: stored.body,
        bytes: page.body.length,
        contentType: page.contentType,
        fetchedAt: page.fetchedAt,
      });
      lap('archiveInsert');
      const origin = {
        source: 'hf-papers',
        adapter: 'hf-papers',
        listing: url,
        fetchId: null,
        seenAt: page.fetchedAt,
        contentHash,
      };
      await queues.addBulk('ingest-entries', ingestBatches(origin, entries, options.batchSize));
      lap('enqueue');
      const extracted = adapter.extract(createPage(page.finalUrl, page.body, page.contentType));
      lap('extract');
      if (extracted.entries.length !== entries.length) throw new Error('extract and the steps disagree');
      const text = page.body.toString('utf8');
      lap('textUtf8');
      const candidates = [...propsAttributes(text)].filter((raw) => raw.includes('['));
      lap('textScan');
      for (const raw of candidates) if (raw.includes('&')) decodeAttributeText(raw);
      lap('textDecode');
      const fromText = adapter.extract(createPage(page.finalUrl, text, page.contentType));
      lap('textExtract');
      if (fromText.entries.length !== entries.length) throw new Error('the text path disagrees');
      if (i < warmUp) continue;
      counted++;
      for (const [name, ms] of Object.entries(step)) total[name as keyof CrawlSteps] += ms;
    }
  } finally {
    await queues.close();
    redis.disconnect();
  }
  const round = (ms: number) => Math.round((ms / counted) * 100) / 100;
  return Object.fromEntries(Object.entries(total).map(([name, ms]) => [name, round(ms)])) as unknown as CrawlSteps;
}
