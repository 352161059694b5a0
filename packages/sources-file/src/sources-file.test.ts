import { describe, expect, it } from 'vitest';
import {
  didYouMean,
  expandUrl,
  isoWeek,
  loadSourcesFile,
  parseDuration,
  parseSourcesFile,
  SourcesFileError,
} from './sources-file.js';

const problemsOf = (text: string) => {
  try {
    parseSourcesFile(text, 'test.yaml');
  } catch (error) {
    if (error instanceof SourcesFileError) return error.problems;
    throw error;
  }
  return [];
};

describe('sources file', () => {
  it('ships a valid default with the live sources', () => {
    const file = loadSourcesFile();
    expect(file.sources.map((s) => s.id)).toEqual([
      'hf-daily',
      'hf-trending',
      'hf-api-daily',
      'arxiv-cs-lg',
      'arxiv-cs-cv',
      'arxiv-cs-cl',
      'arxiv-cs-ai',
    ]);
    expect(file.sources[0]!.urls).toEqual([
      'https://huggingface.co/papers/date/{date}',
      'https://huggingface.co/papers/date/{date-1}',
    ]);
    expect(file.sources[0]!.schedule).toMatchObject({ every: 30 * 60_000, jitterMs: 3 * 60_000 });
    expect(file.politenessFor(new URL('https://huggingface.co/papers'))).toEqual({
      concurrency: 2,
      minDelayMs: 2000,
      robots: true,
    });
    expect(file.politenessFor(new URL('https://example.org/x'))).toEqual({
      concurrency: 1,
      minDelayMs: 5000,
      robots: true,
    });
  });

  it('layers politeness: defaults, then the host, then the source', () => {
    const file = parseSourcesFile(
      `defaults: { politeness: { concurrency: 3, minDelay: 1s } }
hosts:
  example.org: { minDelay: 2s }
  "example.org:8080": { concurrency: 2 }
sources:
  - { id: a, adapter: hf-api, url: "https://example.org:8080/x", schedule: { every: 1h }, politeness: { robots: false } }
`,
      'p.yaml',
    );
    expect(file.politenessFor(new URL('https://example.org:8080/x'), file.sources[0])).toEqual({
      concurrency: 2,
      minDelayMs: 2000,
      robots: false,
    });
    expect(file.politenessFor(new URL('https://example.org/y'))).toEqual({
      concurrency: 3,
      minDelayMs: 2000,
      robots: true,
    });
  });

  it('names the field and the line of every problem', () => {
    const problems = problemsOf(`sources:
  - id: ok-one
    adapter: hf-papers
    url: https://huggingface.co/papers
    schedule: { every: 30m }
  - id: Bad_Id
    adapter: nope
    url: ftp://example.org/x
    schedule: { every: soon }
  - id: ok-one
    adapter: hf-api
    url: https://huggingface.co/api/daily_papers?date={yesterday}
    schedule: { cron: "*/5 * * * *", every: 1h }
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sources\[1\]\.id \(line 6\): lower-case letters/),
        expect.stringMatching(/^sources\[1\]\.schedule\.every \(line 9\): every: expected a duration/),
        expect.stringMatching(/^sources\[2\]\.schedule \(line 13\): give exactly one of "every" or "cron"/),
      ]),
    );
  });

  it('checks adapters, URLs, placeholders and duplicates once the shape is right', () => {
    const problems = problemsOf(`sources:
  - id: a
    adapter: nope
    url: https://example.org
    schedule: { every: 1h }
  - id: b
    adapter: hf-api
    url: ftp://example.org/x
    schedule: { every: 1h }
  - id: b
    adapter: hf-api
    url: https://huggingface.co/api/daily_papers?date={yesterday}
    schedule: { every: 1h }
`);
    expect(problems).toEqual([
      expect.stringMatching(/^sources\[0\]\.adapter \(line 3\): unknown source adapter "nope"; known adapters: /),
      expect.stringMatching(/^sources\[1\]\.url \(line 8\): "ftp:\/\/example.org\/x" is not an http\(s\) URL/),
      expect.stringMatching(/^sources\[2\]\.id \(line 10\): duplicate source id "b"/),
      expect.stringMatching(/^sources\[2\]\.url \(line 12\): unknown placeholder \{yesterday\}/),
    ]);
  });

  it('reports every mistake in one pass, each at the line of its own field, with "did you mean" for misspelt names', () => {
    const problems = problemsOf(`sources:
  - id: a
    adapter: hf-paper
    url: https://huggingface.co/papers
    schedule:
      every: 30 minutes
  - id: b
    adapter: hf-api
    url: https://huggingface.co/api/daily_papers
    shedule: { every: 1h }
    enabled: true
  - id: c
    adapter: hf-api
    url: https://huggingface.co/api/daily_papers
    schedule: { every: 1h, jiter: 5m }
`);
    expect(problems).toEqual([
      'sources[0].schedule.every (line 6): every: expected a duration such as "90s", "5m", "1h" or "2d"',
      expect.stringMatching(
        /^sources\[0\]\.adapter \(line 3\): unknown source adapter "hf-paper"; known adapters: .*; did you mean "hf-papers"\?$/,
      ),
      'sources[1].schedule (line 7): Required',
      'sources[1].shedule (line 10): unknown field "shedule"; did you mean "schedule"?',
      'sources[2].schedule.jiter (line 15): unknown field "jiter"; did you mean "jitter"?',
    ]);
  });

  it('names a misspelt field of the file itself and of a politeness block', () => {
    expect(problemsOf('defaults: { politeness: { concurency: 2 } }\nsources: []\n')).toEqual([
      'defaults.politeness.concurency (line 1): unknown field "concurency"; did you mean "concurrency"?',
    ]);
    expect(problemsOf('source: []\n')).toEqual([
      'sources (line 1): Required',
      'source (line 1): unknown field "source"; did you mean "sources"?',
    ]);
    expect(didYouMean('zzz', ['schedule', 'adapter'])).toBe('');
  });

  it('reports a YAML syntax error in full: its line and column, its message and the lines it points at', () => {
    const [problem] = problemsOf('sources:\n  - id: a\n    adapter: [unclosed\n');
    expect(problem).toMatch(/^line \d+: .+ \(column \d+\)\n {6}.*adapter: \[unclosed/);
  });

  it('reports YAML syntax errors with their line, and reads JSON too', () => {
    expect(problemsOf('sources:\n  - id: a\n    adapter: [unclosed\n')[0]).toMatch(/^line \d+:/);
    const json = parseSourcesFile(
      JSON.stringify({
        sources: [
          {
            id: 'j',
            adapter: 'hf-api',
            url: 'https://huggingface.co/api/daily_papers',
            schedule: { cron: '0 * * * *' },
          },
        ],
      }),
      'x.json',
    );
    expect(json.sources[0]!.schedule.cron).toBe('0 * * * *');
  });
});

describe('templates and durations', () => {
  it('expands dates, weeks and months in UTC', () => {
    const day = new Date('2026-01-01T05:00:00Z');
    expect(expandUrl('https://x/{date}/{date-1}', day)).toBe('https://x/2026-01-01/2025-12-31');
    expect(expandUrl('https://x/{week}', day)).toBe('https://x/2026-W01');
    expect(expandUrl('https://x/{month}/{month-1}', day)).toBe('https://x/2026-01/2025-12');
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('soon')).toBeNull();
  });
});
