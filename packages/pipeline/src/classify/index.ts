/**
 * Topic classification, shipped as data: a YAML taxonomy of weighted keyword
 * rules (packages/pipeline/taxonomy/default.yaml) compiled once and applied
 * to each paper's title, abstract and arXiv categories.
 *
 *   const taxonomy = loadTaxonomy();            // once
 *   const topics = classify(paper, taxonomy);   // per paper, ~40 µs of CPU
 */
export { classify } from "./classify.js";
export { DEFAULT_TAXONOMY_PATH, TaxonomyError, loadTaxonomy, parseTaxonomy } from "./taxonomy.js";
export {
  DEFAULT_EVAL_SET_PATH,
  evaluate,
  loadLabelledPapers,
  parseLabelledPapers,
  type Accuracy,
  type EvalReport,
  type EvalSplit,
  type LabelledPaper,
  type Prediction,
  type TopicAccuracy,
} from "./eval.js";
export type { PaperInput, Taxonomy, TopicInfo, TopicScore } from "./types.js";
