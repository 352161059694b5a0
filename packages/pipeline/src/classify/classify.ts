/**
 * Rule-based topic classification of a paper against a compiled taxonomy.
 *
 * Scoring (per topic):
 *   - every distinct keyword that occurs in a field adds
 *       weight x repeat factor x field multiplier
 *     where the repeat factor is 1, 1.5 or 2 for 1, 2 or 3+ occurrences and the
 *     field multiplier is `titleMultiplier` for the title and 1 for the abstract;
 *   - within one topic, at each position the longest matching term wins and
 *     hides the shorter terms of that topic it overlaps ("large language model"
 *     does not also count "language model");
 *   - negative ("unless") terms work the same way with a negative weight;
 *   - each category rule that matches one of the paper's categories adds its
 *     weight once, times `primaryCategoryMultiplier` when the primary category
 *     matches it, else times `crossListMultiplier` (the primary is
 *     `primaryCategory`, or the first of `categories`); categories no rule
 *     names are ignored;
 *   - raw = max(0, sum); score = 1 - exp(-raw / saturation), so scores lie in
 *     [0, 1) and grow with evidence without ever reaching 1.
 * Topics with score > threshold are returned, best first; ties (equal raw
 * score) go to the topic listed earlier in the taxonomy.
 */
import {
  type CompiledCategory,
  type CompiledTaxonomy,
  compiledRules,
  describeToken,
  type TokenInfo,
} from './taxonomy.js';
import { tokenize } from './text.js';
import type { PaperInput, Taxonomy, TopicScore } from './types.js';

interface Evidence {
  label: string;
  value: number;
}

function repeatFactor(count: number): number {
  return count >= 3 ? 2 : count === 2 ? 1.5 : 1;
}

function scoreField(
  text: string,
  field: 'title' | 'abstract',
  multiplier: number,
  rules: CompiledTaxonomy,
  raw: Float64Array,
  evidence: Evidence[][],
): void {
  if (text.length === 0 || multiplier === 0) return;
  const tokens = tokenize(text);
  const n = tokens.length;
  if (n === 0) return;
  const info = new Array<TokenInfo>(n);
  for (let i = 0; i < n; i++) info[i] = describeToken(rules, tokens[i]!);

  const coveredUntil = new Int32Array(rules.topicCount);
  const counts = new Int32Array(rules.terms.length);
  const matched: number[] = [];
  const hit = (index: number): void => {
    if (counts[index] === 0) matched.push(index);
    counts[index] = counts[index]! + 1;
  };

  for (let i = 0; i < n; i++) {
    const { starts, prefixes } = info[i]!;
    if (starts !== undefined) {
      for (const term of starts) {
        if (i < coveredUntil[term.topic]!) continue;
        const len = term.stems.length;
        if (i + len > n) continue;
        let ok = true;
        for (let k = 1; k < len; k++) {
          if (k === len - 1 && term.prefix !== null) {
            if (!tokens[i + k]!.startsWith(term.prefix)) ok = false;
          } else if (info[i + k]!.stem !== term.stems[k]) {
            ok = false;
          }
          if (!ok) break;
        }
        if (!ok) continue;
        hit(term.index);
        coveredUntil[term.topic] = i + len;
      }
    }
    if (prefixes !== undefined) {
      for (const term of prefixes) {
        if (i < coveredUntil[term.topic]!) continue;
        hit(term.index);
        coveredUntil[term.topic] = i + 1;
      }
    }
  }

  for (const index of matched) {
    const term = rules.terms[index]!;
    const value = term.weight * repeatFactor(counts[index]!) * multiplier;
    raw[term.topic] = raw[term.topic]! + value;
    evidence[term.topic]!.push({ label: field === 'title' ? term.titleLabel : term.abstractLabel, value });
  }
}

/** The paper's categories, primary first, trimmed, without blanks or repeats (case-insensitive). */
function categoryList(paper: PaperInput): string[] {
  const given = Array.isArray(paper.categories) ? paper.categories : [];
  const primary = typeof paper.primaryCategory === 'string' ? [paper.primaryCategory] : [];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const c of [...primary, ...given]) {
    if (typeof c !== 'string') continue;
    const trimmed = c.trim();
    const key = trimmed.toLowerCase();
    if (trimmed.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push(trimmed);
  }
  return out;
}

function scoreCategories(
  categories: readonly string[],
  taxonomy: Taxonomy,
  rules: CompiledTaxonomy,
  raw: Float64Array,
  evidence: Evidence[][],
): void {
  if (categories.length === 0 || rules.categories.size === 0) return;
  // Each rule counts once, through the strongest category that matches it (the primary when it does).
  const best = new Map<CompiledCategory, { value: number; category: string }>();
  categories.forEach((category, position) => {
    const multiplier = position === 0 ? taxonomy.primaryCategoryMultiplier : taxonomy.crossListMultiplier;
    const lower = category.toLowerCase();
    const dot = lower.indexOf('.');
    const keys = dot > 0 ? [lower, lower.slice(0, dot)] : [lower];
    for (const key of keys) {
      for (const rule of rules.categories.get(key) ?? []) {
        const value = rule.weight * multiplier;
        const seen = best.get(rule);
        if (seen === undefined || value > seen.value) best.set(rule, { value, category });
      }
    }
  });
  for (const [rule, { value, category }] of best) {
    if (value === 0) continue;
    raw[rule.topic] = raw[rule.topic]! + value;
    evidence[rule.topic]!.push({ label: `category:${category}`, value });
  }
}

/**
 * Files a paper under the taxonomy's topics. Pure: same input, same output.
 * Returns the topics scoring above the taxonomy's threshold, best first;
 * an empty list when nothing matched well enough. Never throws on odd text
 * (empty, TeX, HTML, non-Latin scripts).
 */
export function classify(paper: PaperInput, taxonomy: Taxonomy): TopicScore[] {
  const rules = compiledRules(taxonomy);
  const topicCount = rules.topicCount;
  const raw = new Float64Array(topicCount);
  const evidence: Evidence[][] = Array.from({ length: topicCount }, () => []);

  const title = typeof paper.title === 'string' ? paper.title : '';
  const abstract = typeof paper.abstract === 'string' ? paper.abstract : '';
  scoreField(title, 'title', taxonomy.titleMultiplier, rules, raw, evidence);
  scoreField(abstract, 'abstract', 1, rules, raw, evidence);
  scoreCategories(categoryList(paper), taxonomy, rules, raw, evidence);

  const ranked: { topic: number; raw: number; score: number }[] = [];
  for (let t = 0; t < topicCount; t++) {
    const r = Math.max(0, raw[t]!);
    if (r === 0) continue;
    const score = 1 - Math.exp(-r / taxonomy.saturation);
    if (score > taxonomy.threshold) ranked.push({ topic: t, raw: r, score });
  }
  ranked.sort((a, b) => b.raw - a.raw || a.topic - b.topic);

  return ranked.map(({ topic, score }) => {
    const ev = evidence[topic]!.slice()
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
      .slice(0, taxonomy.maxEvidence)
      .map((e) => e.label);
    return { id: taxonomy.topics[topic]!.id, score: Math.round(score * 1e4) / 1e4, evidence: ev };
  });
}
