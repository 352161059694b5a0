import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TAXONOMY_PATH, loadTaxonomy, parseTaxonomy, TaxonomyError } from './taxonomy.js';

const REQUIRED_IDS = [
  'llm',
  'vision',
  'generative',
  'multimodal',
  'efficiency',
  'architectures',
  'theory',
  'rl-robotics',
  'graphs',
  'recsys',
  'neuro',
  'continual-transfer',
  'automl',
  'science',
  'agents',
  'safety',
  'speech-audio',
  'data',
];

const MINIMAL = `
version: "1"
topics:
  - id: alpha
    label: Alpha
    description: The first topic.
    keywords:
      - { term: alpha beta, weight: 2 }
      - gamma
`;

/** Parses and returns the TaxonomyError's issue lines, failing if parsing succeeds. */
function issuesOf(yaml: string): string[] {
  try {
    parseTaxonomy(yaml, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(TaxonomyError);
    return [...(err as TaxonomyError).issues];
  }
  throw new Error('expected parseTaxonomy to throw');
}

describe('default taxonomy', () => {
  const taxonomy = loadTaxonomy();

  it('loads from the package without a path', () => {
    expect(taxonomy.name).toBe(DEFAULT_TAXONOMY_PATH);
    expect(taxonomy.topics.length).toBeGreaterThan(0);
  });

  it('has every required topic id exactly once, in the documented order', () => {
    const ids = taxonomy.topics.map((t) => t.id);
    for (const id of REQUIRED_IDS)
      expect(
        ids.filter((x) => x === id),
        id,
      ).toHaveLength(1);
    expect(ids).toEqual(REQUIRED_IDS);
  });

  it('gives every topic a label and a one-line description', () => {
    for (const topic of taxonomy.topics) {
      expect(topic.label.trim(), topic.id).not.toBe('');
      expect(topic.description.trim(), topic.id).not.toBe('');
      expect(topic.description, topic.id).not.toContain('\n');
    }
  });

  it('has an effective version of declared version + content hash', () => {
    expect(taxonomy.version).toMatch(/^\S+\+[0-9a-f]{8}$/);
    expect(taxonomy.version).toBe(`${taxonomy.declaredVersion}+${taxonomy.contentHash}`);
  });

  it('documents its format in a comment block at the top', () => {
    const text = readFileSync(DEFAULT_TAXONOMY_PATH, 'utf8');
    const header = text.split('\n').slice(0, 10);
    expect(header.every((line) => line.startsWith('#') || line.trim() === '')).toBe(true);
  });
});

describe('parseTaxonomy', () => {
  it('accepts a minimal file and fills in defaults', () => {
    const t = parseTaxonomy(MINIMAL, 'minimal');
    expect(t.name).toBe('minimal');
    expect(t.declaredVersion).toBe('1');
    expect(t.threshold).toBe(0.25);
    expect(t.saturation).toBe(8);
    expect(t.titleMultiplier).toBe(2.5);
    expect(t.primaryCategoryMultiplier).toBe(1);
    expect(t.crossListMultiplier).toBe(1);
    expect(t.topics).toEqual([{ id: 'alpha', label: 'Alpha', description: 'The first topic.' }]);
  });

  it('changes the effective version when the rules change, even without a bump', () => {
    const a = parseTaxonomy(MINIMAL, 'a');
    const b = parseTaxonomy(MINIMAL.replace('weight: 2', 'weight: 3'), 'b');
    expect(a.declaredVersion).toBe(b.declaredVersion);
    expect(a.version).not.toBe(b.version);
  });

  it('keeps the version when only comments or layout change', () => {
    const a = parseTaxonomy(MINIMAL, 'a');
    const b = parseTaxonomy(`# a comment\n${MINIMAL}\n\n# trailing`, 'b');
    expect(b.version).toBe(a.version);
  });

  it('names the field and the expected type when a weight is not a number', () => {
    const yaml = MINIMAL.replace('weight: 2', 'weight: "high"');
    const issues = issuesOf(yaml);
    expect(issues).toEqual(['topics[0].keywords[0].weight: expected a number, got string']);
  });

  it('reports the documented example path for a deeper error', () => {
    const topics = Array.from(
      { length: 4 },
      (_, i) => `  - id: t${i}
    label: T${i}
    description: Topic ${i}.
    keywords:
      - { term: one, weight: 1 }
      - { term: two, weight: 1 }
      - { term: three, weight: ${i === 3 ? 'lots' : '1'} }
`,
    ).join('');
    const issues = issuesOf(`version: v\ntopics:\n${topics}`);
    expect(issues.join('\n')).toContain('topics[3].keywords[2].weight: expected a number');
  });

  it('reads the category multipliers and rejects negative or non-numeric ones', () => {
    const t = parseTaxonomy(`primaryCategoryMultiplier: 1.5\ncrossListMultiplier: 0\n${MINIMAL}`, 'm');
    expect(t.primaryCategoryMultiplier).toBe(1.5);
    expect(t.crossListMultiplier).toBe(0);
    expect(issuesOf(`primaryCategoryMultiplier: -1\ncrossListMultiplier: lots\n${MINIMAL}`)).toEqual([
      'primaryCategoryMultiplier: expected a number >= 0',
      'crossListMultiplier: expected a number, got string',
    ]);
  });

  it('weighs the primary category of the default taxonomy above its cross-lists', () => {
    const t = loadTaxonomy();
    expect(t.primaryCategoryMultiplier).toBeGreaterThan(t.crossListMultiplier);
  });

  it('reports missing fields, unknown fields and bad values, all at once', () => {
    const issues = issuesOf(`
topics:
  - id: Bad Id
    label: ""
    description: x
    keywords: []
    colour: blue
threshold: 2
`);
    expect(issues).toEqual(
      expect.arrayContaining([
        'version: required, expected a string',
        expect.stringMatching(/^topics\[0\]\.id: expected a lower-case slug/),
        'topics[0].label: must not be empty',
        'topics[0].keywords: expected at least 1 item(s)',
        'topics[0]: unknown field "colour"',
        'threshold: expected a number < 1',
      ]),
    );
  });

  it('rejects duplicate topic ids', () => {
    const yaml = `${MINIMAL}
  - id: alpha
    label: Again
    description: Duplicate.
    keywords: [delta]
`;
    expect(issuesOf(yaml)).toEqual(['topics[1].id: duplicate topic id "alpha" (already used by topics[0])']);
  });

  it('rejects malformed terms and categories', () => {
    const yaml = `
version: "1"
topics:
  - id: alpha
    label: Alpha
    description: A.
    keywords:
      - { term: "qu*ant", weight: 1 }
      - { term: "ab*", weight: 1 }
      - { term: "!!!", weight: 1 }
      - { term: gamma, weight: 0 }
      - gamma
      - gammas
    categories:
      - { id: "cs CV", weight: 1 }
`;
    const issues = issuesOf(yaml);
    expect(issues).toEqual(
      expect.arrayContaining([
        'topics[0].keywords[3].weight: expected a number > 0',
        expect.stringMatching(/^topics\[0\]\.categories\[0\]\.id: expected an arXiv category/),
      ]),
    );
    // Term-level checks run once the shape is valid.
    const termIssues = issuesOf(yaml.replace('weight: 0', 'weight: 1').replace('"cs CV"', 'cs.CV'));
    expect(termIssues).toEqual([
      "topics[0].keywords[0].term: '*' is only allowed at the end of a term",
      "topics[0].keywords[1].term: a prefix before '*' needs at least 3 letters",
      'topics[0].keywords[2].term: term "!!!" has no letters or digits',
      'topics[0].keywords[4].term: "gamma" duplicates topics[0].keywords[3] in the same topic',
      'topics[0].keywords[5].term: "gammas" duplicates topics[0].keywords[3] in the same topic',
    ]);
  });

  it('reports YAML syntax errors and a non-mapping root', () => {
    expect(issuesOf('version: [1, 2\n')[0]).toMatch(/^YAML syntax error/);
    expect(issuesOf('- just\n- a list\n')).toEqual(["(root): expected a mapping with 'version' and 'topics'"]);
    expect(() => parseTaxonomy('version: 1\ntopics: []\n', 'x')).toThrow(/topics: expected at least 1 item/);
  });

  it('puts the taxonomy name in the error message', () => {
    expect(() => parseTaxonomy('version: 1', 'my-rules.yaml')).toThrow(/invalid taxonomy "my-rules.yaml"/);
  });

  it('fails clearly when the file cannot be read', () => {
    expect(() => loadTaxonomy('/nonexistent/taxonomy.yaml')).toThrow(/cannot read file/);
  });
});
