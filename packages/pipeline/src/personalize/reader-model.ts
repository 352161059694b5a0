import { FEATURE_KIND, type SparseVector } from './features.js';

/**
 * A reader's model: logistic regression over the paper features (`paperFeatures`), trained on their
 * feedback ("more like this" = 1, "less like this" = -1) by stochastic gradient descent with L2
 * regularisation. Training is incremental: new feedback updates the stored weights; an undone or
 * changed word needs a retrain from the reader's whole feedback (`emptyReaderModel()` as the start),
 * which is cheap (a reader gives tens to hundreds of words, not millions).
 */
export interface ReaderModel {
  kind: string;
  bias: number;
  weights: Map<number, number>;
  /** Feedback examples the model has learned from. */
  examples: number;
}

export interface FeedbackExample {
  features: SparseVector;
  signal: 1 | -1;
}

export interface TrainingOptions {
  /** Passes over the new examples. */
  epochs: number;
  learningRate: number;
  /** L2 penalty per update (applied to the weights an example touches, so sparse updates stay cheap). */
  l2: number;
  /** Weights kept at most (the largest in magnitude): bounds a model's row whatever the feedback. */
  maxWeights: number;
}

/**
 * From `pnpm bench personalize-tune` (test/bench/README.md, "Personalize"): a learning rate of 3 learns
 * most from a reader's first dozen clicks (precision@10 +0.070 over topics-only, against +0.062 at 1
 * and +0.065 at 10); 16 epochs or a smaller l2 gave nothing more, l2 0.01 less.
 */
export const DEFAULT_TRAINING: TrainingOptions = { epochs: 8, learningRate: 3, l2: 0.002, maxWeights: 20_000 };

/**
 * A weight's (and the bias's) bound. Features are L2-normalised, so a margin of a few units is already
 * near certainty; the bound only matters for extreme settings or broken input, where SGD would
 * otherwise run to Infinity and NaN.
 */
const MAX_WEIGHT = 50;
const clamp = (x: number) => Math.min(MAX_WEIGHT, Math.max(-MAX_WEIGHT, x));

export function emptyReaderModel(): ReaderModel {
  return { kind: FEATURE_KIND, bias: 0, weights: new Map(), examples: 0 };
}

/** The model's margin w·x + b for a paper's features. */
export function margin(model: ReaderModel, features: SparseVector): number {
  let sum = model.bias;
  for (const [id, value] of features) {
    const weight = model.weights.get(id);
    if (weight !== undefined) sum += weight * value;
  }
  return sum;
}

/** How much the reader should like a paper, in (-1, 1): 2·sigmoid(margin) − 1; 0 without a model. */
export function relevance(model: ReaderModel | null, features: SparseVector): number {
  if (!model || model.examples === 0) return 0;
  const m = margin(model, features);
  return Number.isNaN(m) ? 0 : Math.tanh(m / 2); // = 2·sigmoid(m) − 1
}

/**
 * The model after learning from `examples` (not changed in place). The examples are visited in
 * the order given, `epochs` times; pass them oldest first.
 */
export function trainReaderModel(
  model: ReaderModel,
  examples: readonly FeedbackExample[],
  options: Partial<TrainingOptions> = {},
): ReaderModel {
  const { epochs, learningRate, l2, maxWeights } = { ...DEFAULT_TRAINING, ...options };
  const weights = new Map(model.weights);
  let bias = model.bias;
  const next: ReaderModel = { kind: model.kind, bias, weights, examples: model.examples + examples.length };
  for (let epoch = 0; epoch < epochs; epoch++) {
    const rate = learningRate / (1 + epoch * 0.5);
    for (const { features, signal } of examples) {
      next.bias = bias;
      const y = signal === 1 ? 1 : 0;
      const m = margin(next, features);
      if (Number.isNaN(m)) continue; // broken features (NaN, Infinity against a zero weight) teach nothing
      const gradient = 1 / (1 + Math.exp(-m)) - y;
      for (const [id, value] of features) {
        if (!Number.isFinite(value)) continue;
        const weight = weights.get(id) ?? 0;
        weights.set(id, clamp(weight - rate * (gradient * value + l2 * weight)));
      }
      // The bias is learned more slowly: it is the reader's mood overall, not a paper's subject.
      bias = clamp(bias - rate * 0.1 * gradient);
    }
  }
  next.bias = bias;
  next.weights = pruned(weights, maxWeights);
  return next;
}

/** Weights without the negligible ones, and at most `max` of them (the largest in magnitude). */
function pruned(weights: Map<number, number>, max: number): Map<number, number> {
  let kept = [...weights].filter(([, w]) => Math.abs(w) >= 1e-5);
  if (kept.length > max) kept = kept.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, max);
  return new Map(kept);
}

/** The model as stored (`reader_models`): feature ids in ascending order with their weights. */
export function serializeReaderModel(model: ReaderModel): {
  kind: string;
  bias: number;
  featureIds: number[];
  weights: number[];
  examples: number;
} {
  const entries = [...model.weights].sort((a, b) => a[0] - b[0]);
  return {
    kind: model.kind,
    bias: model.bias,
    featureIds: entries.map(([id]) => id),
    weights: entries.map(([, w]) => w),
    examples: model.examples,
  };
}

/** A stored model, or null when it was trained on other features (it is then retrained from the feedback). */
export function deserializeReaderModel(row: {
  kind: string;
  bias: number;
  featureIds: readonly number[];
  weights: readonly number[];
  examples: number;
}): ReaderModel | null {
  if (row.kind !== FEATURE_KIND || row.featureIds.length !== row.weights.length) return null;
  return {
    kind: row.kind,
    bias: row.bias,
    weights: new Map(row.featureIds.map((id, i) => [id, row.weights[i]!])),
    examples: row.examples,
  };
}
