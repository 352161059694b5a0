/**
 * `pnpm bench personalize`: does the blended ranking (trending + the reader's model) give simulated
 * readers better digests than topics-only (trending order within their topics), and what does it cost?
 *
 * The papers: the 199 labelled papers (packages/pipeline/eval), filed by the real classifier as
 * production files them (the digest filters on those topics, not on the hand labels). Per seed they
 * get heavy-tailed synthetic upvotes and trending scores and arrive over `WEEKS` weeks.
 *
 * A reader likes one or two topics (by label) and dislikes another; they subscribe wider than they
 * like: their liked topics, plus the disliked one and/or a neighbour (the topic the classifier most
 * often files beside a liked one): the "too many irrelevant papers" reader. Each week they get a
 * digest of 10 from that week's qualifying papers. On the first `TRAIN_DIGESTS` digests they click
 * (some papers skipped, some clicks flipped), and the model is trained incrementally after each
 * digest, as the feedback job does. The later digests are measured: precision@10, a paper relevant
 * when its label is a liked topic. Those digests hold only papers of later weeks, never a paper the
 * reader gave feedback on (no leakage).
 *
 * Caveat, printed too: 199 papers are few (a reader's week has 10 to 30 qualifying papers), so the
 * figures are noisy; hence many readers, several seeds, and the spread over seeds.
 */
import {
  classify,
  DEFAULT_RANKING_WEIGHTS,
  DEFAULT_TRAINING,
  emptyReaderModel,
  type FeedbackExample,
  type LabelledPaper,
  loadLabelledPapers,
  loadTaxonomy,
  type PreparedCandidate,
  prepareCandidate,
  type RankingWeights,
  type ReaderModel,
  type ReaderProfile,
  rankForReader,
  type TrainingOptions,
  trainReaderModel,
  unpackFeatures,
} from '@paperboy/pipeline';
import { random } from './digest.bench.js';

const DIGEST_SIZE = 10;
const WEEKS = 4;
const TRAIN_DIGESTS = 2;
/** Seeds the defaults were tuned on (`pnpm bench personalize-tune`), and the ones reported: never the same. */
export const TUNING_SEEDS = [1, 2, 3, 4, 5];
export const REPORT_SEEDS = [11, 12, 13, 14, 15, 16, 17, 18];
const READERS = Number(process.env.BENCH_PERSONALIZE_READERS ?? 300);
const WORD_FEATURES_ONLY = process.env.BENCH_PERSONALIZE_TOPIC_FEATURES === '0';
/** A shown paper the reader does not click on. */
const SKIP = 0.3;
/** A click that says the opposite of the reader's interest (a misclick, a mood). */
const FLIP = 0.15;

/**
 * Cold start: what a reader might type for each topic, as keywords (their liked topics') and as a
 * negative keyword (the first of their disliked topic's). Written by hand from the topics' names,
 * not tuned on the labelled papers.
 */
const TOPIC_KEYWORDS: Record<string, string[]> = {
  llm: ['language model', 'llm'],
  vision: ['segmentation', 'object detection'],
  generative: ['diffusion', 'generative'],
  multimodal: ['vision-language', 'multimodal'],
  efficiency: ['quantization', 'pruning'],
  architectures: ['transformer', 'state space'],
  theory: ['convergence', 'optimization'],
  'rl-robotics': ['reinforcement learning', 'robot'],
  graphs: ['graph neural', 'graph'],
  recsys: ['recommendation', 'retrieval'],
  neuro: ['spiking', 'neuromorphic'],
  'continual-transfer': ['continual learning', 'transfer learning'],
  automl: ['neural architecture search', 'hyperparameter'],
  science: ['protein', 'molecule'],
  agents: ['agent', 'tool use'],
  safety: ['alignment', 'safety'],
  'speech-audio': ['speech', 'audio'],
  data: ['dataset', 'benchmark'],
};

interface EvalPaper {
  index: number;
  label: string;
  /** The classifier's topics, best first. */
  topics: string[];
  paper: LabelledPaper;
}

interface Reader {
  liked: Set<string>;
  disliked: string;
  profile: Omit<ReaderProfile, 'model' | 'liked'>;
}

export interface Arm {
  weights: RankingWeights;
  training: TrainingOptions;
}

interface SeedFigures {
  seed: number;
  /** Precision@10 of the measured digests, topics-only and blended (mean over digests). */
  topicsOnly: number;
  blended: number;
  /** The best a ranking could do with these candidates (every relevant one first). */
  ideal: number;
  /** Share of the topics-only digest (the week's top trending qualifying papers) the blended digest keeps. */
  trendingKept: number;
  /** The same share for a digest of 10 drawn at random from the qualifying papers (the pools are small). */
  trendingKeptByChance: number;
  /** Mean trending percentile (1 = the week's top qualifying paper, 0 = its last) of the picks. */
  blendedTrendingPercentile: number;
  topicsTrendingPercentile: number;
  /** Measured digests with more qualifying papers than fit (where the ranking chooses). */
  digests: number;
  choosing: number;
  /** Cold start (no feedback): precision@10 with the reader's keywords, and with a negative keyword too. */
  coldKeywords: number;
  coldKeywordsAndNegative: number;
  /** Blended picks whose reason is a liked paper, and of those the share naming one ("like “X” you liked"). */
  likedNamed: number;
  /** Of the blended picks given as "like … you liked", the share relevant; of the other picks, the same. */
  likedReasonPrecision: number;
  otherReasonPrecision: number;
  /** Mean feedback clicks a reader gave before the measured digests. */
  feedbackPerReader: number;
  reasons: Record<string, number>;
}

function labelledPapers(): EvalPaper[] {
  const taxonomy = loadTaxonomy();
  return loadLabelledPapers().map((paper, index) => ({
    index,
    label: paper.topic,
    topics: classify(paper, taxonomy).map((t) => t.id),
    paper,
  }));
}

/** For each topic, the topic the classifier most often files beside it (its neighbour for the readers). */
function neighbours(papers: readonly EvalPaper[]): Map<string, string> {
  const together = new Map<string, Map<string, number>>();
  for (const { topics } of papers)
    for (const a of topics)
      for (const b of topics) {
        if (a === b) continue;
        const row = together.get(a) ?? new Map<string, number>();
        row.set(b, (row.get(b) ?? 0) + 1);
        together.set(a, row);
      }
  return new Map(
    [...together].map(([topic, row]) => [topic, [...row].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]![0]]),
  );
}

function makeReader(r: ReturnType<typeof random>, topics: readonly string[], near: Map<string, string>): Reader {
  const [first, second, disliked] = r.sample(topics, 3) as [string, string, string];
  const liked = new Set(r.next() < 0.5 ? [first] : [first, second]);
  const subscribed = new Set(liked);
  const neighbour = [...liked].map((t) => near.get(t)).find((t) => t && !liked.has(t) && t !== disliked);
  const mix = r.next();
  if (mix < 0.75 || !neighbour) subscribed.add(disliked);
  if (mix >= 0.5 && neighbour) subscribed.add(neighbour);
  return {
    liked,
    disliked,
    profile: {
      topics: [...subscribed],
      minUpvotes: r.next() < 0.2 ? 3 : 0,
      followedAuthors: [],
      keywords: [],
      negativeKeywords: [],
    },
  };
}

/** A standard normal draw (Box–Muller). */
function normal(r: ReturnType<typeof random>): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/** TRENDING_SCORE_SQL's formula (migration 0017): (ln(1 + upvotes) + ln(1 + growth)) · 0.5^(hours since first seen / 48). */
function trendingScore(upvotes: number, growth: number, ageHours: number): number {
  return (Math.log1p(upvotes) + Math.log1p(growth)) * 0.5 ** (ageHours / 48);
}

/**
 * One seed's papers as candidates, week by week: heavy-tailed upvotes (log-normal, median 5, one in
 * a hundred over 80), the last day's growth a random share of them, first seen at a random hour of
 * their week (the digest is sent at its end), and the trending score of production from those.
 */
function seedCandidates(papers: readonly EvalPaper[], r: ReturnType<typeof random>): PreparedCandidate[][] {
  const weeks: PreparedCandidate[][] = Array.from({ length: WEEKS }, () => []);
  const order = r.sample(papers, papers.length);
  order.forEach((p, i) => {
    const upvotes = Math.floor(Math.exp(1.6 + 1.2 * normal(r)));
    const growth = Math.floor(upvotes * r.next() ** 2);
    const score = trendingScore(upvotes, growth, r.next() * 7 * 24);
    const candidate = {
      id: p.index,
      score,
      topics: p.topics,
      upvotes,
      title: p.paper.title,
      abstract: p.paper.abstract,
    };
    // BENCH_PERSONALIZE_TOPIC_FEATURES=0: features from the words alone (the topics still decide who qualifies).
    const prepared = WORD_FEATURES_ONLY
      ? { ...prepareCandidate({ ...candidate, topics: [], authors: [] }), topics: p.topics }
      : prepareCandidate({ ...candidate, authors: [] });
    weeks[i % WEEKS]!.push(prepared);
  });
  return weeks;
}

function evaluateSeed(papers: readonly EvalPaper[], seed: number, arm: Arm, readers = READERS): SeedFigures {
  const r = random(seed);
  const weeks = seedCandidates(papers, r);
  const labelOf = new Map(papers.map((p) => [p.index, p.label]));
  const topics = [...new Set(papers.map((p) => p.label))].sort();
  const near = neighbours(papers);
  let topicsHits = 0;
  let blendedHits = 0;
  let idealHits = 0;
  let shown = 0;
  let kept = 0;
  let keptOf = 0;
  let keptByChance = 0;
  let blendedPct = 0;
  let topicsPct = 0;
  let digests = 0;
  let choosing = 0;
  let clicks = 0;
  let coldHits = 0;
  let coldShown = 0;
  let coldNegHits = 0;
  let coldNegShown = 0;
  let likedPicks = 0;
  let likedNamed = 0;
  let likedRelevant = 0;
  let otherPicks = 0;
  let otherRelevant = 0;
  const reasons: Record<string, number> = {};
  for (let n = 0; n < readers; n++) {
    const reader = makeReader(r, topics, near);
    let model: ReaderModel | null = null;
    const liked: ReaderProfile['liked'][number][] = [];
    for (let week = 0; week < WEEKS; week++) {
      const candidates = weeks[week]!;
      const blended = rankForReader(candidates, { ...reader.profile, model, liked }, arm.weights).slice(0, DIGEST_SIZE);
      if (week < TRAIN_DIGESTS) {
        const examples: FeedbackExample[] = [];
        for (const pick of blended) {
          if (r.next() < SKIP) continue;
          const relevant = reader.liked.has(labelOf.get(pick.id)!);
          const signal: 1 | -1 = relevant !== r.next() < FLIP ? 1 : -1;
          const paper = candidates.find((c) => c.id === pick.id)!;
          examples.push({ features: unpackFeatures(paper.features), signal });
          if (signal === 1) liked.push({ title: paper.title, features: paper.features });
        }
        clicks += examples.length;
        if (examples.length > 0) model = trainReaderModel(model ?? emptyReaderModel(), examples, arm.training);
        continue;
      }
      const topicsOnly = rankForReader(candidates, { ...reader.profile, model: null, liked: [] }, arm.weights);
      if (topicsOnly.length === 0) continue;
      digests++;
      if (topicsOnly.length > DIGEST_SIZE) choosing++;
      const percentile = new Map(
        topicsOnly.map((p, i) => [p.id, topicsOnly.length === 1 ? 1 : 1 - i / (topicsOnly.length - 1)]),
      );
      const top = topicsOnly.slice(0, DIGEST_SIZE);
      const topIds = new Set(top.map((p) => p.id));
      for (const p of top) if (reader.liked.has(labelOf.get(p.id)!)) topicsHits++;
      idealHits += Math.min(top.length, topicsOnly.filter((p) => reader.liked.has(labelOf.get(p.id)!)).length);
      for (const p of top) topicsPct += percentile.get(p.id)!;
      const keywords = [...reader.liked].flatMap((t) => TOPIC_KEYWORDS[t] ?? []);
      const cold = rankForReader(candidates, { ...reader.profile, keywords, model: null, liked: [] }, arm.weights);
      for (const p of cold.slice(0, DIGEST_SIZE)) if (reader.liked.has(labelOf.get(p.id)!)) coldHits++;
      coldShown += Math.min(DIGEST_SIZE, cold.length);
      const negativeKeywords = (TOPIC_KEYWORDS[reader.disliked] ?? []).slice(0, 1);
      const coldNeg = rankForReader(
        candidates,
        { ...reader.profile, keywords, negativeKeywords, model: null, liked: [] },
        arm.weights,
      ).slice(0, DIGEST_SIZE);
      for (const p of coldNeg) if (reader.liked.has(labelOf.get(p.id)!)) coldNegHits++;
      coldNegShown += coldNeg.length;
      for (const p of blended) {
        const relevant = reader.liked.has(labelOf.get(p.id)!);
        if (p.reason === 'liked') {
          likedPicks++;
          if (relevant) likedRelevant++;
          if (p.why.startsWith('like “')) likedNamed++;
        } else {
          otherPicks++;
          if (relevant) otherRelevant++;
        }
        if (relevant) blendedHits++;
        if (topIds.has(p.id)) kept++;
        blendedPct += percentile.get(p.id)!;
        reasons[p.reason] = (reasons[p.reason] ?? 0) + 1;
      }
      keptOf += top.length;
      keptByChance += (top.length * top.length) / topicsOnly.length;
      shown += top.length;
    }
  }
  const share = (x: number) => round(x / shown);
  return {
    seed,
    topicsOnly: share(topicsHits),
    blended: share(blendedHits),
    ideal: share(idealHits),
    trendingKept: round(kept / keptOf),
    trendingKeptByChance: round(keptByChance / keptOf),
    blendedTrendingPercentile: share(blendedPct),
    topicsTrendingPercentile: share(topicsPct),
    digests,
    choosing,
    coldKeywords: round(coldHits / coldShown),
    coldKeywordsAndNegative: round(coldNegHits / coldNegShown),
    likedNamed: round(likedNamed / Math.max(1, likedPicks)),
    likedReasonPrecision: round(likedRelevant / Math.max(1, likedPicks)),
    otherReasonPrecision: round(otherRelevant / Math.max(1, otherPicks)),
    feedbackPerReader: round(clicks / readers, 2),
    reasons: Object.fromEntries(Object.entries(reasons).map(([k, v]) => [k, share(v)])),
  };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean: round(mean), sd: round(sd) };
}

export function evaluateArm(papers: readonly EvalPaper[], seeds: readonly number[], arm: Arm, readers = READERS) {
  const perSeed = seeds.map((seed) => evaluateSeed(papers, seed, arm, readers));
  return {
    perSeed,
    topicsOnly: meanSd(perSeed.map((s) => s.topicsOnly)),
    blended: meanSd(perSeed.map((s) => s.blended)),
    ideal: meanSd(perSeed.map((s) => s.ideal)),
    coldKeywords: meanSd(perSeed.map((s) => s.coldKeywords)),
    coldKeywordsAndNegative: meanSd(perSeed.map((s) => s.coldKeywordsAndNegative)),
    likedNamed: meanSd(perSeed.map((s) => s.likedNamed)),
    likedReasons: meanSd(perSeed.map((s) => s.reasons.liked ?? 0)),
    likedReasonPrecision: meanSd(perSeed.map((s) => s.likedReasonPrecision)),
    otherReasonPrecision: meanSd(perSeed.map((s) => s.otherReasonPrecision)),
    difference: meanSd(perSeed.map((s) => s.blended - s.topicsOnly)),
    trendingKept: meanSd(perSeed.map((s) => s.trendingKept)),
    trendingKeptByChance: meanSd(perSeed.map((s) => s.trendingKeptByChance)),
    blendedTrendingPercentile: meanSd(perSeed.map((s) => s.blendedTrendingPercentile)),
    topicsTrendingPercentile: meanSd(perSeed.map((s) => s.topicsTrendingPercentile)),
  };
}

/** BENCH_PERSONALIZE_ARM='{"weights":{"relevance":1},"training":{"learningRate":0.8}}' reports other settings. */
export function benchPersonalize() {
  const papers = labelledPapers();
  const override = JSON.parse(process.env.BENCH_PERSONALIZE_ARM ?? '{}') as Partial<Record<keyof Arm, object>>;
  const arm: Arm = {
    weights: { ...DEFAULT_RANKING_WEIGHTS, ...override.weights },
    training: { ...DEFAULT_TRAINING, ...override.training },
  };
  const report = evaluateArm(papers, REPORT_SEEDS, arm);
  return {
    papers: papers.length,
    readers: READERS,
    weeks: WEEKS,
    trainDigests: TRAIN_DIGESTS,
    digestSize: DIGEST_SIZE,
    noise: { skip: SKIP, flip: FLIP },
    weights: arm.weights,
    training: arm.training,
    topicFeatures: !WORD_FEATURES_ONLY,
    seeds: REPORT_SEEDS,
    ...report,
    caveat: 'few papers (199): a reader-week has 10 to 30 qualifying papers; see the spread over seeds',
  };
}

/**
 * `pnpm bench personalize-tune`: the grid the defaults were chosen from, on TUNING_SEEDS only (one
 * JSON line per setting, best difference first); the chosen setting is then reported on REPORT_SEEDS.
 */
export function tunePersonalize(): void {
  const papers = labelledPapers();
  const readers = Number(process.env.BENCH_PERSONALIZE_TUNE_READERS ?? 150);
  const grid = JSON.parse(process.env.BENCH_PERSONALIZE_GRID ?? '{}') as Partial<Record<string, number[]>>;
  const values = (name: string, fallback: number[]) => grid[name] ?? fallback;
  const rows = [];
  for (const relevanceWeight of values('relevance', [1, 2, 4]))
    for (const learningRate of values('learningRate', [1, 3, 10]))
      for (const epochs of values('epochs', [8]))
        for (const l2 of values('l2', [0.002])) {
          const arm: Arm = {
            weights: { ...DEFAULT_RANKING_WEIGHTS, relevance: relevanceWeight },
            training: { ...DEFAULT_TRAINING, learningRate, epochs, l2 },
          };
          const result = evaluateArm(papers, TUNING_SEEDS, arm, readers);
          const { perSeed: _perSeed, ...summary } = result;
          rows.push({ relevance: relevanceWeight, learningRate, epochs, l2, ...summary });
          process.stderr.write('.');
        }
  rows.sort((a, b) => b.difference.mean - a.difference.mean);
  for (const row of rows) process.stdout.write(`${JSON.stringify({ bench: 'personalize-tune', ...row })}\n`);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * What the digest pays: prepareCandidate per paper (once per candidate list, shared by every reader),
 * and rankForReader over 2,000 prepared candidates per reader, for a typical reader (three topics,
 * a model from 40 clicks, 10 liked papers) and a heavy one (no topic, so every paper qualifies; a
 * model from 400 clicks, 100 liked papers, 5 keywords, 5 negative keywords, 10 followed authors).
 */
export function benchRankingSpeed() {
  const papers = labelledPapers();
  const r = random(7);
  const raw = Array.from({ length: 2000 }, (_, i) => {
    const p = papers[i % papers.length]!;
    return {
      id: i,
      score: r.next() * 5,
      topics: p.topics,
      upvotes: r.int(0, 100),
      title: p.paper.title,
      abstract: p.paper.abstract,
      authors: [`Author ${i % 500}`, `Other ${i % 97}`],
    };
  });
  for (let i = 0; i < 3; i++) raw.forEach(prepareCandidate); // warm-up
  const prepareRuns: number[] = [];
  let prepared: PreparedCandidate[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    prepared = raw.map(prepareCandidate);
    prepareRuns.push(((performance.now() - start) * 1000) / raw.length);
  }
  const clicks = (n: number): FeedbackExample[] =>
    Array.from({ length: n }, () => {
      const p = r.pick(prepared);
      return { features: unpackFeatures(p.features), signal: r.next() < 0.3 ? 1 : -1 };
    });
  const likedOf = (n: number) => r.sample(prepared, n).map((p) => ({ title: p.title, features: p.features }));
  const typical: ReaderProfile = {
    topics: ['llm', 'agents', 'safety'],
    minUpvotes: 0,
    followedAuthors: [],
    keywords: [],
    negativeKeywords: [],
    model: trainReaderModel(emptyReaderModel(), clicks(40)),
    liked: likedOf(10),
  };
  const heavy: ReaderProfile = {
    topics: [],
    minUpvotes: 0,
    followedAuthors: Array.from({ length: 10 }, (_, i) => `Author ${i * 7}`),
    keywords: ['diffusion model', 'reinforcement learning', 'graph', 'speech', 'robot'],
    negativeKeywords: ['survey', 'benchmark', 'position paper', 'dataset', 'leaderboard'],
    model: trainReaderModel(emptyReaderModel(), clicks(400)),
    liked: likedOf(100),
  };
  const time = (reader: ReaderProfile) => {
    for (let i = 0; i < 20; i++) rankForReader(prepared, reader); // warm-up
    const runs: number[] = [];
    for (let i = 0; i < Number(process.env.BENCH_PERSONALIZE_RANK_RUNS ?? 60); i++) {
      const start = performance.now();
      rankForReader(prepared, reader);
      runs.push(performance.now() - start);
    }
    // Wall time, not process CPU time: the latter counts the GC's and the loader's threads too. The
    // fastest run is the least disturbed by the machine's other work.
    return {
      medianMs: round(median(runs), 3),
      minMs: round(Math.min(...runs), 3),
      qualifying: rankForReader(prepared, reader).length,
    };
  };
  return {
    candidates: prepared.length,
    prepareCandidateUs: { median: round(median(prepareRuns), 1), min: round(Math.min(...prepareRuns), 1) },
    rankTypical: { ...time(typical), modelWeights: typical.model!.weights.size },
    rankHeavy: { ...time(heavy), modelWeights: heavy.model!.weights.size },
    rankTypicalNoModel: time({ ...typical, model: null }),
    rankHeavyNoModel: time({ ...heavy, model: null }),
  };
}
