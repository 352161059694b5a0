/** Public types of the topic classifier. */

/** What the classifier needs to know about a paper. */
export interface PaperInput {
  title: string;
  abstract?: string | null;
  /**
   * arXiv categories, e.g. ["cs.CV", "cs.LG"]. Without `primaryCategory`, the first one is taken as
   * the primary (paperboy's entries list the primary first).
   */
  categories?: readonly string[] | null;
  /** The arXiv primary category when the source says which one it is; the others are cross-lists. */
  primaryCategory?: string | null;
}

/** One topic a paper was filed under. */
export interface TopicScore {
  /** Topic id from the taxonomy, e.g. "vision". */
  id: string;
  /** Normalised score in (threshold, 1): 1 - exp(-raw / saturation), rounded to 4 decimals. */
  score: number;
  /**
   * What matched, strongest first: `title:"diffusion"`, `abstract:"denoising"`,
   * `category:cs.CV`; a negative ("unless") rule shows as `-abstract:"llm"`.
   * At most `maxEvidence` entries.
   */
  evidence: string[];
}

/** The human-facing part of a topic definition. */
export interface TopicInfo {
  readonly id: string;
  readonly label: string;
  readonly description: string;
}

/** A validated, compiled taxonomy. Create it with `loadTaxonomy` or `parseTaxonomy`. */
export interface Taxonomy {
  /** Where it came from: the file path, or the name given to `parseTaxonomy`. */
  readonly name: string;
  /** Effective version: `<declared version>+<8 hex chars of the rules' hash>`. */
  readonly version: string;
  /** The `version` string written in the file. */
  readonly declaredVersion: string;
  /** First 8 hex chars of the SHA-256 of the validated rules (comments and layout do not count). */
  readonly contentHash: string;
  /** Topics at or below this normalised score are not reported. */
  readonly threshold: number;
  /** Raw score that maps to 0.63 after normalisation. */
  readonly saturation: number;
  /** How much more a title match counts than an abstract match. */
  readonly titleMultiplier: number;
  /** Evidence strings kept per topic. */
  readonly maxEvidence: number;
  /** A category rule matched by the paper's primary category counts its weight times this. */
  readonly primaryCategoryMultiplier: number;
  /** A category rule matched only by a cross-listed category counts its weight times this. */
  readonly crossListMultiplier: number;
  /** Topics in file order. */
  readonly topics: readonly TopicInfo[];
}
