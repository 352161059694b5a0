/**
 * Topic classification, shipped as data: a YAML taxonomy of weighted keyword
 * rules (packages/pipeline/taxonomy/default.yaml) compiled once and applied
 * to each paper's title, abstract and arXiv categories (the primary weighs more
 * than cross-lists).
 *
 *   const taxonomy = loadTaxonomy();            // once
 *   const topics = classify(paper, taxonomy);   // per paper, ~35 µs of CPU
 */
export { classify } from './classify.js';
export {
  type Accuracy,
  type CategoryEvalReport,
  DEFAULT_EVAL_SET_PATH,
  type EvalReport,
  type EvalSplit,
  evaluate,
  evaluateCategoryEvidence,
  type LabelledPaper,
  loadLabelledPapers,
  type Prediction,
  parseLabelledPapers,
  type TopicAccuracy,
  type VariantAccuracy,
  withoutCategories,
} from './eval.js';
export { DEFAULT_TAXONOMY_PATH, loadTaxonomy, parseTaxonomy, TaxonomyError } from './taxonomy.js';
export type { PaperInput, Taxonomy, TopicInfo, TopicScore } from './types.js';
