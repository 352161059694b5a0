/**
 * Digest benchmark: 5,000 papers and 20,000 active subscribers in a fresh database, then the real
 * notifier (`services/notifier/src/main.ts`, its own process, as deployed) plans one forced
 * `plan-digests` job per frequency (like `digest run --now`) and sends every digest (send-digests
 * chunks) through its pooled SMTP transport to a lean counting SMTP sink on 127.0.0.1 in a third
 * process (smtp-sink.ts: it drains each message without parsing it). Measures wall time (plan jobs
 * added → last delivery finished), emails/s, the planner's own time, and the notifier process's
 * peak RSS (/proc/<pid>/status, VmHWM and VmRSS sampled every 20 ms); the same at 2,000 subscribers
 * shows whether memory is flat in the number of subscribers.
 *
 * The ceiling, in the same run: the same mails (rendered again from the deliveries just sent and
 * their recorded papers, before the clock starts) through the same transport settings (a nodemailer
 * pool of PAPERBOY_SMTP_CONNECTIONS) to the same sink process, all handed to the pool at once, with
 * no database and no queue. ratio = emailsPerSec / ceilingEmailsPerSec. Prints one JSON line.
 *
 * Personalised readers (issue 14): BENCH_DIGEST_PERSONAL (0 to 1, default 0) of the active subscribers
 * follow authors, keywords or negative keywords, and most of those have a model trained on 10 to 40
 * feedback rows (personalise()); the others take the fast path. `personalReaders` reports how many.
 *
 * Knobs: BENCH_DIGEST_SUBSCRIBERS (20000), BENCH_DIGEST_PAPERS (5000), PAPERBOY_NOTIFY_CONCURRENCY,
 * PAPERBOY_MAIL_CHUNK_SIZE and PAPERBOY_SMTP_CONNECTIONS (passed on to the notifier and used by the
 * ceiling), BENCH_DIGEST_CPU_PROF=<dir> (the notifier runs with --cpu-prof).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@paperboy/config';
import { type Db, type DigestPaper, DigestRepository } from '@paperboy/db';
import { createTransport, type OutgoingMail } from '@paperboy/mail';
import { buildDigestMail } from '@paperboy/notifier';
import {
  emptyReaderModel,
  loadTaxonomy,
  paperFeatures,
  serializeReaderModel,
  trainReaderModel,
} from '@paperboy/pipeline';
import { createQueueEvents, createRedis, type PlanDigestsResult, Queues } from '@paperboy/queue';
import { deleteRedisPrefix } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { freshDatabase } from './fresh-database.js';
import { startSinkProcess } from './smtp-sink.js';

export { startCountingSmtpSink } from './smtp-sink.js';

const SUBSCRIBERS = Number(process.env.BENCH_DIGEST_SUBSCRIBERS ?? 20_000);
const SMALL_SUBSCRIBERS = 2_000;
const PERSONAL_SHARE = Number(process.env.BENCH_DIGEST_PERSONAL ?? 0);
const PAPERS = Number(process.env.BENCH_DIGEST_PAPERS ?? 5_000);
const NOTIFIER_MAIN = fileURLToPath(new URL('../../services/notifier/src/main.ts', import.meta.url));

/** The default taxonomy's topic ids (the bench's subscribers and papers pick among them). */
export const TOPICS: readonly string[] = loadTaxonomy().topics.map((topic) => topic.id);

export const TIME_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Moscow',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Shanghai',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Pacific/Auckland',
] as const;

/** Deterministic (mulberry32), so every run builds the same data. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const sample = <T>(xs: readonly T[], n: number): T[] => {
    const copy = [...xs];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, n);
  };
  return { next, int, pick, sample };
}

const WORDS = {
  adjectives: [
    'Scalable',
    'Efficient',
    'Robust',
    'Sparse',
    'Hierarchical',
    'Contrastive',
    'Causal',
    'Adaptive',
    'Latent',
    'Diffusion-Based',
    'Self-Supervised',
    'Multilingual',
    'Federated',
    'Probabilistic',
    'Equivariant',
    'Long-Context',
  ],
  nouns: [
    'Transformers',
    'Language Models',
    'Vision Encoders',
    'Policy Optimization',
    'Graph Networks',
    'Retrieval',
    'Reward Models',
    'Mixture-of-Experts',
    'Speech Recognition',
    'World Models',
    'Agents',
    'Tokenizers',
    'Benchmarks',
    'Attention',
    'Representations',
    'Planners',
  ],
  purposes: [
    'for Reasoning',
    'at Scale',
    'without Labels',
    'in the Wild',
    'for Robotics',
    'under Distribution Shift',
    'with Human Feedback',
    'on Edge Devices',
    'for Scientific Discovery',
    'via Distillation',
  ],
  sentence: [
    'We propose a simple method that improves sample efficiency across a wide range of benchmarks.',
    'Our approach combines a lightweight adapter with a frozen backbone and requires no additional labelled data.',
    'Experiments on twelve datasets show consistent gains over strong baselines, with up to 4.2 points of accuracy.',
    'We analyse the failure modes of existing models and identify spurious correlations in the training distribution.',
    'The resulting model matches the quality of systems ten times its size while using a fraction of the compute.',
    'We release code, checkpoints and an evaluation harness to support reproducible research.',
    'A theoretical analysis shows that the estimator is unbiased and its variance decreases with the number of samples.',
    'Ablations confirm that each component contributes, and that the gains persist at larger scales.',
    'We further introduce a benchmark of 3,000 human-annotated examples covering long-tail phenomena.',
    'Human evaluation indicates that annotators prefer our outputs in 71% of pairwise comparisons.',
    'Finally, we discuss limitations, including sensitivity to prompt formatting and the cost of inference.',
    'This suggests that careful data curation matters more than architectural changes in this regime.',
  ],
  first: [
    'Ada',
    'Wei',
    'Priya',
    'Lukas',
    'Sofia',
    'Kenji',
    'Amara',
    'Mateo',
    'Yuna',
    'Omar',
    'Elena',
    'Tomas',
    'Chen',
    'Fatima',
    'Noah',
    'Ingrid',
  ],
  last: [
    'Lovelace',
    'Zhang',
    'Sharma',
    'Müller',
    'García',
    'Tanaka',
    'Okafor',
    'Rossi',
    'Kim',
    'Haddad',
    'Petrova',
    'Novak',
    'Li',
    'Benali',
    'Smith',
    'Larsen',
  ],
};

/** Inserts `count` papers (realistic sizes), their topics, a few manual labels and recent sightings. */
export async function seedPapers(db: Db, count: number, seed = 1): Promise<void> {
  const r = random(seed);
  const now = Date.now();
  const hour = 3_600_000;
  for (let start = 0; start < count; start += 1000) {
    const n = Math.min(1000, count - start);
    const rows = Array.from({ length: n }, (_, k) => {
      const i = start + k;
      const title = `${r.pick(WORDS.adjectives)} ${r.pick(WORDS.nouns)} ${r.pick(WORDS.purposes)} (${i})`;
      let abstract = '';
      while (abstract.length < 950) abstract += `${r.pick(WORDS.sentence)} `;
      const firstSeen = now - r.next() * 72 * hour;
      const lastSeen = Math.max(firstSeen, now - r.next() * 20 * hour);
      // Heavy-tailed upvotes: most papers have a few, some hundreds.
      const upvotes = Math.floor(r.next() ** 3 * 600);
      return {
        arxivId: `2611.${String(10000 + i).padStart(5, '0')}`,
        title,
        titleKey: title
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, ' ')
          .trim(),
        abstract: abstract.trim(),
        authors: Array.from({ length: r.int(1, 8) }, () => `${r.pick(WORDS.first)} ${r.pick(WORDS.last)}`),
        upvotes,
        comments: r.int(0, 30),
        firstSeen: new Date(firstSeen).toISOString(),
        lastSeen: new Date(lastSeen).toISOString(),
        topics: r.sample(TOPICS, r.int(1, 3)),
        label: r.next() < 0.03 ? r.pick(TOPICS) : null,
        sightings: r.next() < 0.6 ? r.int(2, 6) : 0,
      };
    });
    const { rows: ids } = await sql<{ id: number }>`
      INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, categories, url, upvotes, comments, counts_seen_at, first_seen_at, last_seen_at)
      SELECT u.arxiv_id, u.title, u.title_key, u.abstract, string_to_array(u.authors, '|'), '{cs.LG}', 'https://huggingface.co/papers/' || u.arxiv_id,
             u.upvotes, u.comments, u.last_seen, u.first_seen, u.last_seen
      FROM unnest(${rows.map((x) => x.arxivId)}::text[], ${rows.map((x) => x.title)}::text[], ${rows.map((x) => x.titleKey)}::text[],
                  ${rows.map((x) => x.abstract)}::text[], ${rows.map((x) => x.authors.join('|'))}::text[], ${rows.map((x) => x.upvotes)}::int[],
                  ${rows.map((x) => x.comments)}::int[], ${rows.map((x) => x.firstSeen)}::timestamptz[], ${rows.map((x) => x.lastSeen)}::timestamptz[])
        WITH ORDINALITY AS u(arxiv_id, title, title_key, abstract, authors, upvotes, comments, first_seen, last_seen, ord)
      ORDER BY u.ord
      RETURNING id`.execute(db);
    const topicRows = rows.flatMap((x, k) =>
      x.topics.map((t, position) => ({ id: ids[k]!.id, t, position, score: 0.9 - position * 0.2 })),
    );
    await sql`
      INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
      SELECT * , 'bench' FROM unnest(${topicRows.map((x) => x.id)}::bigint[], ${topicRows.map((x) => x.t)}::text[],
                                     ${topicRows.map((x) => x.score)}::real[], ${topicRows.map((x) => x.position)}::smallint[])`.execute(
      db,
    );
    const labelRows = rows.flatMap((x, k) => (x.label ? [{ id: ids[k]!.id, t: x.label }] : []));
    if (labelRows.length) {
      await sql`INSERT INTO paper_labels (paper_id, topic_id, labelled_by)
                SELECT u.id, u.t, 'bench' FROM unnest(${labelRows.map((x) => x.id)}::bigint[], ${labelRows.map((x) => x.t)}::text[]) AS u(id, t)`.execute(
        db,
      );
    }
    // Sightings over the last 30 hours with rising upvotes, so the 24-hour growth term matters.
    const sightingRows = rows.flatMap((x, k) =>
      Array.from({ length: x.sightings }, (_, s) => ({
        id: ids[k]!.id,
        rank: r.int(1, 50),
        upvotes: Math.floor((x.upvotes * (s + 1)) / x.sightings),
        seenAt: new Date(now - ((x.sightings - s) / x.sightings) * 30 * hour).toISOString(),
      })),
    );
    if (sightingRows.length) {
      await sql`
        INSERT INTO sightings (paper_id, source, listing, rank, upvotes, comments, seen_at)
        SELECT u.id, 'hf-papers', 'https://huggingface.co/papers', u.rank, u.upvotes, 0, u.seen_at
        FROM unnest(${sightingRows.map((x) => x.id)}::bigint[], ${sightingRows.map((x) => x.rank)}::int[],
                    ${sightingRows.map((x) => x.upvotes)}::int[], ${sightingRows.map((x) => x.seenAt)}::timestamptz[]) AS u(id, rank, upvotes, seen_at)`.execute(
        db,
      );
    }
  }
  await sql`ANALYZE`.execute(db);
}

export interface SubscriberSpec {
  email: string;
  status: 'active' | 'pending' | 'unsubscribed' | 'bounced';
  topics: string[];
  frequency: 'daily' | 'weekly';
  sendHour: number;
  timeZone: string;
  minUpvotes: number;
  maxPapers: number;
}

/** Varied preferences: topic subsets (some none = everything), daily/weekly, send hours, time zones, thresholds. */
export function makeSubscribers(
  count: number,
  seed = 2,
  options: { weeklyShare?: number; inactiveShare?: number } = {},
): SubscriberSpec[] {
  const r = random(seed);
  const statuses = ['pending', 'unsubscribed', 'bounced'] as const;
  return Array.from({ length: count }, (_, i) => ({
    email: `reader${i}@bench.example`,
    status: r.next() < (options.inactiveShare ?? 0) ? r.pick(statuses) : 'active',
    topics: r.next() < 0.15 ? [] : r.sample(TOPICS, r.int(1, 5)),
    frequency: r.next() < (options.weeklyShare ?? 0.2) ? 'weekly' : 'daily',
    sendHour: r.int(0, 23),
    timeZone: r.pick(TIME_ZONES),
    minUpvotes: r.pick([0, 0, 0, 1, 5, 10, 25]),
    maxPapers: r.int(5, 20),
  }));
}

/** Multi-row inserts of subscribers and their preferences, 5,000 a statement. */
export async function insertSubscribers(db: Db, subscribers: readonly SubscriberSpec[]): Promise<void> {
  for (let start = 0; start < subscribers.length; start += 5000) {
    const chunk = subscribers.slice(start, start + 5000);
    await sql`
      WITH u AS (
        SELECT * FROM unnest(${chunk.map((s) => s.email)}::text[], ${chunk.map((s) => s.status)}::text[], ${chunk.map((s) => s.topics.join(','))}::text[],
                             ${chunk.map((s) => s.frequency)}::text[], ${chunk.map((s) => s.sendHour)}::smallint[], ${chunk.map((s) => s.timeZone)}::text[],
                             ${chunk.map((s) => s.minUpvotes)}::int[], ${chunk.map((s) => s.maxPapers)}::int[])
          AS u(email, status, topics, frequency, send_hour, time_zone, min_upvotes, max_papers)
      ), s AS (
        INSERT INTO subscribers (email, status, confirmed_at)
        SELECT email, status, CASE WHEN status = 'pending' THEN NULL ELSE now() END FROM u
        RETURNING id, email
      )
      INSERT INTO subscriber_preferences (subscriber_id, topics, frequency, send_hour, time_zone, min_upvotes, max_papers)
      SELECT s.id, string_to_array(u.topics, ','), u.frequency, u.send_hour, u.time_zone, u.min_upvotes, u.max_papers
      FROM s JOIN u USING (email)`.execute(db);
  }
  await sql`ANALYZE subscribers, subscriber_preferences`.execute(db);
}

/**
 * Makes `share` of the active subscribers personalised readers: among them, 40% follow one or two
 * authors, 40% have a keyword, 20% a negative keyword, and 60% a model trained (as the train-reader
 * job does) on 10 to 40 feedback rows, liking papers about one noun and disliking others. Returns
 * how many readers are personalised.
 */
export async function personalise(db: Db, share: number, seed = 3): Promise<number> {
  if (share <= 0) return 0;
  const r = random(seed);
  const { rows: readers } = await sql<{ id: number }>`
    SELECT s.id FROM subscribers s WHERE s.status = 'active' ORDER BY s.id`.execute(db);
  const { rows: papers } = await sql<{ id: number; title: string; abstract: string | null }>`
    SELECT id, title, abstract FROM papers ORDER BY id`.execute(db);
  const features = new Map(papers.map((p) => [Number(p.id), paperFeatures(p)]));
  const prefs: Array<{ id: number; authors: string[]; keywords: string[]; negative: string[] }> = [];
  const feedback: Array<{ subscriber: number; paper: number; signal: 1 | -1 }> = [];
  const models: Array<ReturnType<typeof serializeReaderModel> & { subscriber: number }> = [];
  for (const { id } of readers) {
    if (r.next() >= share) continue;
    const subscriber = Number(id);
    const name = () => `${r.pick(WORDS.first)} ${r.pick(WORDS.last)}`;
    prefs.push({
      id: subscriber,
      authors: r.next() < 0.4 ? Array.from({ length: r.int(1, 2) }, name) : [],
      keywords: r.next() < 0.4 ? [r.pick(WORDS.nouns).toLowerCase()] : [],
      negative: r.next() < 0.2 ? [r.pick(WORDS.adjectives).toLowerCase()] : [],
    });
    if (r.next() < 0.6) {
      const liked = r.pick(WORDS.nouns);
      const examples = r.sample(papers, r.int(10, 40)).map((p) => ({
        paper: Number(p.id),
        signal: (p.title.includes(liked) ? 1 : r.next() < 0.3 ? 1 : -1) as 1 | -1,
      }));
      for (const e of examples) feedback.push({ subscriber, ...e });
      const model = trainReaderModel(
        emptyReaderModel(),
        examples.map((e) => ({ features: features.get(e.paper)!, signal: e.signal })),
      );
      models.push({ subscriber, ...serializeReaderModel(model) });
    }
  }
  for (let start = 0; start < prefs.length; start += 5000) {
    const chunk = prefs.slice(start, start + 5000);
    // Arrays of arrays travel as JSON: unnest() would flatten a text[][].
    await sql`
      UPDATE subscriber_preferences p
      SET followed_authors = ARRAY(SELECT jsonb_array_elements_text(u.prefs->'authors')),
          keywords = ARRAY(SELECT jsonb_array_elements_text(u.prefs->'keywords')),
          negative_keywords = ARRAY(SELECT jsonb_array_elements_text(u.prefs->'negative'))
      FROM unnest(${chunk.map((x) => x.id)}::bigint[], ${chunk.map((x) => JSON.stringify(x))}::jsonb[]) AS u(id, prefs)
      WHERE p.subscriber_id = u.id`.execute(db);
  }
  for (let start = 0; start < feedback.length; start += 20_000) {
    const chunk = feedback.slice(start, start + 20_000);
    await sql`
      INSERT INTO paper_feedback (subscriber_id, paper_id, signal, given_at)
      SELECT u.s, u.p, u.g, now() - make_interval(mins => u.o::int)
      FROM unnest(${chunk.map((x) => x.subscriber)}::bigint[], ${chunk.map((x) => x.paper)}::bigint[],
                  ${chunk.map((x) => x.signal)}::smallint[], ${chunk.map((_, i) => i % 1000)}::int[]) AS u(s, p, g, o)
      ON CONFLICT DO NOTHING`.execute(db);
  }
  for (const model of models) {
    await sql`
      INSERT INTO reader_models (subscriber_id, kind, bias, feature_ids, weights, examples, trained_through)
      VALUES (${model.subscriber}, ${model.kind}, ${model.bias}, ${model.featureIds}::integer[], ${model.weights}::real[], ${model.examples}, now())`.execute(
      db,
    );
  }
  await sql`ANALYZE subscriber_preferences, paper_feedback, reader_models`.execute(db);
  return prefs.length;
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunResult {
  subscribers: number;
  ceilingEmailsPerSec: number;
  ceilingSeconds: number;
  emails: number;
  sent: number;
  skipped: number;
  failed: number;
  seconds: number;
  plannerSeconds: number;
  peakRssMb: number;
  readyRssMb: number;
  personalReaders: number;
}

/** The digests just sent, rendered again as the notifier did: each sent delivery with its recorded papers. */
async function renderSentMails(db: Db): Promise<OutgoingMail[]> {
  const config = loadConfig({ PAPERBOY_SECRET: 'bench-secret-Vb7Qs2Nx5Kd9Fm4Hr1Tw8' });
  const { rows } = await sql<{
    id: number;
    subscriberId: number;
    email: string;
    tokenVersion: number;
    periodKey: string;
    paperIds: number[];
  }>`
    SELECT d.id, s.id AS "subscriberId", s.email, s.token_version AS "tokenVersion", d.period_key AS "periodKey",
           array_agg(dp.paper_id ORDER BY dp.paper_id) AS "paperIds"
    FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id JOIN delivered_papers dp ON dp.delivery_id = d.id
    WHERE d.status = 'sent' GROUP BY d.id, s.id ORDER BY d.id`.execute(db);
  const ids = [...new Set(rows.flatMap((r) => r.paperIds.map(Number)))];
  const papers = new Map<number, Omit<DigestPaper, 'why'>>(
    (await new DigestRepository(db).papersByIds(ids, new Map())).map((p) => [p.id, p]),
  );
  const settings = { ...config.mail, secret: config.mail.secret! };
  return rows.map((r) =>
    buildDigestMail(
      settings,
      { id: r.subscriberId, email: r.email, tokenVersion: r.tokenVersion },
      r.periodKey,
      // The reasons are not recorded: a line of the usual length stands for each.
      r.paperIds.map((id) => ({ ...papers.get(Number(id))!, why: 'trending in llm' })),
    ),
  );
}

/** One run: fresh database, a fresh notifier process, forced planners for both frequencies, every send finished. */
async function runOnce(dbName: string, subscriberCount: number): Promise<RunResult> {
  const base = loadConfig();
  const { url, db } = await freshDatabase(
    process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/paperboy_bench',
    dbName,
    { max: 4 },
  );
  const prefix = `bench-digest-${Date.now()}`;
  const sink = await startSinkProcess();
  const producer = createRedis(base.redisUrl, 'producer');
  const queues = new Queues(producer, { prefix, fetchAttempts: base.fetch.attempts });
  const planEvents = createQueueEvents('planning', { prefix, redisUrl: base.redisUrl });
  let child: ChildProcess | undefined;
  try {
    await seedPapers(db, PAPERS);
    await insertSubscribers(db, makeSubscribers(subscriberCount));
    const personalReaders = await personalise(db, PERSONAL_SHARE);

    const cpuProf = process.env.BENCH_DIGEST_CPU_PROF;
    child = spawn(
      process.execPath,
      [
        ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []),
        '--conditions=source',
        '--import',
        'tsx',
        NOTIFIER_MAIN,
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: url,
          REDIS_URL: base.redisUrl,
          PAPERBOY_QUEUE_PREFIX: prefix,
          SMTP_URL: sink.url,
          PAPERBOY_MAIL_PER_MINUTE: '100000',
          PAPERBOY_SECRET: 'bench-secret-Vb7Qs2Nx5Kd9Fm4Hr1Tw8',
          PAPERBOY_SCHEDULES: '0', // the benchmark plans digests itself
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const pid = child.pid!;
    const queue = queues.get('notify');
    await planEvents.waitUntilReady();
    // Ready once its worker's connection is registered in Redis (tsx start-up is not measured).
    const readyBy = Date.now() + 30_000;
    while ((await queue.getWorkers()).length === 0) {
      if (Date.now() > readyBy || child.exitCode !== null) throw new Error('the notifier did not start');
      await sleep(50);
    }
    const readyRssKb = procStatusKb(pid, 'VmRSS');
    let peakKb = readyRssKb;
    const sampler = setInterval(() => {
      peakKb = Math.max(peakKb, procStatusKb(pid, 'VmRSS'), procStatusKb(pid, 'VmHWM'));
    }, 20);

    const started = Date.now();
    const plans = await Promise.all(
      (['daily', 'weekly'] as const).map((frequency) => queues.add('plan-digests', { frequency, force: true })),
    );
    const results = await Promise.all(
      plans.map((job) => job.waitUntilFinished(planEvents) as Promise<PlanDigestsResult>),
    );
    const planned = results.reduce((n, r) => n + r.planned, 0);
    const finishedPlans = await Promise.all(plans.map((job) => queues.get('planning').getJob(job.id!)));
    const plannerSeconds =
      (Math.max(...finishedPlans.map((j) => j!.finishedOn!)) - Math.min(...finishedPlans.map((j) => j!.processedOn!))) /
      1000;

    // Every send job finished: no delivery left planned or claimed, and nothing waiting in the queue.
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const { rows } = await sql<{
        open: number;
      }>`SELECT count(*)::int AS open FROM deliveries WHERE status IN ('planned', 'claimed')`.execute(db);
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (rows[0]!.open === 0 && Object.values(counts).every((c) => c === 0)) break;
      if (Date.now() > deadline)
        throw new Error(`send jobs not finished: ${rows[0]!.open} open deliveries, ${JSON.stringify(counts)}`);
      await sleep(50);
    }
    clearInterval(sampler);
    peakKb = Math.max(peakKb, procStatusKb(pid, 'VmHWM'));
    const { rows: summary } = await sql<{ sent: number; skipped: number; failed: number; total: number; last: Date }>`
      SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, count(*) FILTER (WHERE status = 'skipped')::int AS skipped,
             count(*) FILTER (WHERE status = 'failed')::int AS failed, count(*)::int AS total, max(finished_at) AS last
      FROM deliveries`.execute(db);
    const s = summary[0]!;
    if (s.total !== planned) throw new Error(`planned ${planned} deliveries but the table holds ${s.total}`);
    const received = await sink.count();
    if (received.count !== s.sent)
      throw new Error(`the sink received ${received.count} messages but ${s.sent} deliveries are sent`);
    if (received.maxPerRecipient > 1) throw new Error('a subscriber received two digests');
    const seconds = (s.last.getTime() - started) / 1000;

    // The ceiling: the same mails, rendered before the clock starts, through the same pool settings.
    const mails = await renderSentMails(db);
    const transport = createTransport({
      smtpUrl: sink.url,
      outboxDir: '/tmp/unused',
      maxConnections: base.mail.connections,
    });
    const ceilingStarted = process.hrtime.bigint();
    await Promise.all(mails.map((mail) => transport.send(mail)));
    const ceilingSeconds = Number(process.hrtime.bigint() - ceilingStarted) / 1e9;
    await transport.close();
    if ((await sink.count()).count !== 2 * s.sent) throw new Error('the ceiling run lost mails');
    return {
      subscribers: subscriberCount,
      ceilingEmailsPerSec: mails.length / ceilingSeconds,
      ceilingSeconds,
      emails: received.count,
      sent: s.sent,
      skipped: s.skipped,
      failed: s.failed,
      seconds,
      plannerSeconds,
      peakRssMb: mb(peakKb),
      readyRssMb: mb(readyRssKb),
      personalReaders,
    };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
    }
    await planEvents.close();
    await queues.close();
    producer.disconnect();
    await sink.close();
    await db.destroy();
    await deleteRedisPrefix(base.redisUrl, prefix);
  }
}

export async function benchDigest(): Promise<Record<string, number>> {
  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  const small = await runOnce('paperboy_bench_digest_small', SMALL_SUBSCRIBERS);
  const large = await runOnce('paperboy_bench_digest', SUBSCRIBERS);
  const settings = loadConfig().mail;
  // Details on stderr; stdout carries the one JSON line.
  process.stderr.write(
    `digest bench details: ${JSON.stringify({ large, small, concurrency: settings.concurrency, chunkSize: settings.chunkSize, connections: settings.connections })}\n`,
  );
  const emailsPerSec = large.emails / large.seconds;
  return {
    subscribers: large.subscribers,
    papers: PAPERS,
    emails: large.emails,
    seconds: round(large.seconds, 2),
    emailsPerSec: round(emailsPerSec),
    ceilingEmailsPerSec: round(large.ceilingEmailsPerSec),
    ratio: round(emailsPerSec / large.ceilingEmailsPerSec, 2),
    peakRssMb: large.peakRssMb,
    peakRssMb2k: small.peakRssMb,
    [`peakRssMb${Math.round(large.subscribers / 1000)}k`]: large.peakRssMb,
    emailsPerSec2k: round(small.emails / small.seconds),
    ceilingEmailsPerSec2k: round(small.ceilingEmailsPerSec),
    plannerSeconds: round(large.plannerSeconds, 2),
    personalReaders: large.personalReaders,
    chunkSize: settings.chunkSize,
    smtpConnections: settings.connections,
    notifyConcurrency: settings.concurrency,
  };
}
