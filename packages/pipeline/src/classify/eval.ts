/**
 * Accuracy of the classifier against the hand-labelled evaluation set
 * (packages/pipeline/eval/labelled-papers.jsonl; see eval/README.md).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { classify } from './classify.js';
import type { Taxonomy, TopicScore } from './types.js';

/** Absolute path of the labelled set shipped with the package. */
export const DEFAULT_EVAL_SET_PATH = fileURLToPath(new URL('../../eval/labelled-papers.jsonl', import.meta.url));

export type EvalSplit = 'dev' | 'holdout';

const labelledPaperSchema = z
  .object({
    arxivId: z.string().min(1),
    title: z.string().min(1),
    abstract: z.string(),
    categories: z.array(z.string()).optional(),
    primaryCategory: z.string().min(1).optional(),
    topic: z.string().min(1),
    alsoAcceptable: z.array(z.string()).optional(),
    source: z.string().min(1),
    split: z.enum(['dev', 'holdout']),
  })
  .strict();

/** One line of the labelled set. */
export type LabelledPaper = z.infer<typeof labelledPaperSchema>;

/** Parses the JSONL text of a labelled set; throws with the line number on a bad line. */
export function parseLabelledPapers(jsonl: string, name = 'labelled set'): LabelledPaper[] {
  const papers: LabelledPaper[] = [];
  const seen = new Set<string>();
  jsonl.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new Error(`${name} line ${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    const parsed = labelledPaperSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${name} line ${i + 1}: ${issue.path.join('.') || '(line)'}: ${issue.message}`);
    }
    if (seen.has(parsed.data.arxivId))
      throw new Error(`${name} line ${i + 1}: duplicate arxivId ${parsed.data.arxivId}`);
    seen.add(parsed.data.arxivId);
    papers.push(parsed.data);
  });
  return papers;
}

/** Reads the labelled set (default: the one shipped with the package). */
export function loadLabelledPapers(path: string = DEFAULT_EVAL_SET_PATH): LabelledPaper[] {
  return parseLabelledPapers(readFileSync(path, 'utf8'), path);
}

/** Accuracy over a group of papers. */
export interface Accuracy {
  /** Papers in the group. */
  n: number;
  /** Papers whose top topic equals the label. */
  correct: number;
  /** Papers whose top topic is the label or one of `alsoAcceptable`. */
  acceptableCorrect: number;
  /** correct / n (0 when n = 0). */
  top1: number;
  /** acceptableCorrect / n (0 when n = 0). */
  acceptable: number;
}

/** Per-topic figures: recall-style accuracy over papers labelled with the topic, plus precision of predictions. */
export interface TopicAccuracy extends Accuracy {
  /** Papers whose top prediction was this topic. */
  predicted: number;
  /** Of those, the share labelled with this topic (null when never predicted). */
  precision: number | null;
}

export interface Prediction {
  arxivId: string;
  split: EvalSplit;
  expected: string;
  /** Top topic, or null when nothing passed the threshold. */
  predicted: string | null;
  correct: boolean;
  acceptable: boolean;
  scores: TopicScore[];
}

export interface EvalReport {
  taxonomyVersion: string;
  overall: Accuracy;
  bySplit: Record<EvalSplit, Accuracy>;
  /** Keyed by topic id, in taxonomy order; labels unknown to the taxonomy are listed too. */
  byTopic: Record<string, TopicAccuracy>;
  /** Papers with no topic above the threshold. */
  noPrediction: number;
  /** Off-diagonal (expected -> predicted) pairs, most frequent first; predicted "(none)" for no prediction. */
  confusion: { expected: string; predicted: string; count: number }[];
  predictions: Prediction[];
}

function emptyAccuracy(): Accuracy {
  return { n: 0, correct: 0, acceptableCorrect: 0, top1: 0, acceptable: 0 };
}

function finish<T extends Accuracy>(a: T): T {
  a.top1 = a.n === 0 ? 0 : a.correct / a.n;
  a.acceptable = a.n === 0 ? 0 : a.acceptableCorrect / a.n;
  return a;
}

/** Classifies every paper and measures top-1 and "acceptable" accuracy. */
export function evaluate(papers: readonly LabelledPaper[], taxonomy: Taxonomy): EvalReport {
  const overall = emptyAccuracy();
  const bySplit: Record<EvalSplit, Accuracy> = { dev: emptyAccuracy(), holdout: emptyAccuracy() };
  const byTopic: Record<string, TopicAccuracy> = {};
  const topicEntry = (id: string): TopicAccuracy =>
    (byTopic[id] ??= { ...emptyAccuracy(), predicted: 0, precision: null });
  for (const t of taxonomy.topics) topicEntry(t.id);

  const confusionCounts = new Map<string, number>();
  const predictions: Prediction[] = [];
  let noPrediction = 0;

  for (const paper of papers) {
    const scores = classify(paper, taxonomy);
    const predicted = scores[0]?.id ?? null;
    const correct = predicted === paper.topic;
    const acceptable = correct || (predicted !== null && (paper.alsoAcceptable ?? []).includes(predicted));
    predictions.push({
      arxivId: paper.arxivId,
      split: paper.split,
      expected: paper.topic,
      predicted,
      correct,
      acceptable,
      scores,
    });

    for (const group of [overall, bySplit[paper.split], topicEntry(paper.topic)]) {
      group.n++;
      if (correct) group.correct++;
      if (acceptable) group.acceptableCorrect++;
    }
    if (predicted === null) noPrediction++;
    else topicEntry(predicted).predicted++;
    if (!correct) {
      const key = `${paper.topic}\u0000${predicted ?? '(none)'}`;
      confusionCounts.set(key, (confusionCounts.get(key) ?? 0) + 1);
    }
  }

  for (const [id, acc] of Object.entries(byTopic)) {
    finish(acc);
    const hits = predictions.filter((p) => p.predicted === id && p.expected === id).length;
    acc.precision = acc.predicted === 0 ? null : hits / acc.predicted;
  }
  const confusion = [...confusionCounts.entries()]
    .map(([key, count]) => {
      const [expected, predicted] = key.split('\u0000') as [string, string];
      return { expected, predicted, count };
    })
    .sort(
      (a, b) => b.count - a.count || a.expected.localeCompare(b.expected) || a.predicted.localeCompare(b.predicted),
    );

  return {
    taxonomyVersion: taxonomy.version,
    overall: finish(overall),
    bySplit: { dev: finish(bySplit.dev), holdout: finish(bySplit.holdout) },
    byTopic,
    noPrediction,
    confusion,
    predictions,
  };
}

/** The same papers with their arXiv categories removed: what a paper known only from Hugging Face looks like. */
export function withoutCategories(papers: readonly LabelledPaper[]): LabelledPaper[] {
  return papers.map(({ categories: _categories, primaryCategory: _primary, ...rest }) => rest);
}

/** Accuracy overall and per split, for one way of presenting the papers. */
export interface VariantAccuracy {
  overall: Accuracy;
  dev: Accuracy;
  holdout: Accuracy;
}

/**
 * The labelled set measured four ways, to show what categories contribute:
 * - `withCategories`: every paper as labelled (categories where the source gave them, 59 of 199);
 * - `withoutCategories`: every paper with its categories removed;
 * - `categorised.with` / `categorised.without`: only the papers that have categories, with and without them.
 */
export interface CategoryEvalReport {
  withCategories: VariantAccuracy;
  withoutCategories: VariantAccuracy;
  categorised: { with: VariantAccuracy; without: VariantAccuracy };
}

function variant(report: EvalReport): VariantAccuracy {
  return { overall: report.overall, dev: report.bySplit.dev, holdout: report.bySplit.holdout };
}

/** Evaluates the set with and without categories (see `CategoryEvalReport`). */
export function evaluateCategoryEvidence(papers: readonly LabelledPaper[], taxonomy: Taxonomy): CategoryEvalReport {
  const categorised = papers.filter((p) => (p.categories ?? []).length > 0 || p.primaryCategory !== undefined);
  return {
    withCategories: variant(evaluate(papers, taxonomy)),
    withoutCategories: variant(evaluate(withoutCategories(papers), taxonomy)),
    categorised: {
      with: variant(evaluate(categorised, taxonomy)),
      without: variant(evaluate(withoutCategories(categorised), taxonomy)),
    },
  };
}
