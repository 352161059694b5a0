import { testEnvironment } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

/**
 * `paperboy subscribers add|set|list` with issue 14's lists (followed authors, keywords, negative
 * keywords), through the real CLI and Postgres: the same rules as the page and the API.
 */
let env: Record<string, string>;
const testEnv = testEnvironment();

beforeAll(async () => {
  await testEnv.start();
  env = { ...testEnv.processEnv(), LOG_LEVEL: 'warn' };
});
afterAll(async () => {
  await testEnv.stop();
});

const listed = async (email: string) => {
  const list = await runCli(['subscribers', 'list'], env);
  expect(list.code, list.stderr).toBe(0);
  return list.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .find((r) => r.email === email);
};

describe('subscribers: followed authors and keywords', () => {
  it('add on an address already here changes only the options given (it wiped the rest before)', async () => {
    const first = await runCli(
      [
        'subscribers',
        'add',
        'again@example.org',
        '--topics',
        'vision',
        '--frequency',
        'weekly',
        '--max-papers',
        '3',
      ].concat(['--follow-authors', 'Doe, J.', '--not-keywords', 'survey']),
      env,
    );
    expect(first.code, first.stderr).toBe(0);
    const again = await runCli(['subscribers', 'add', 'again@example.org', '--keywords', 'diffusion'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(await listed('again@example.org')).toMatchObject({
      topics: ['vision'],
      frequency: 'weekly',
      maxPapers: 3,
      followedAuthors: ['Doe, J.'],
      keywords: ['diffusion'],
      negativeKeywords: ['survey'],
    });
  });

  it('add takes the lists, list prints them last, set changes only the options given', async () => {
    const added = await runCli(
      [
        'subscribers',
        'add',
        'lists@example.org',
        '--topics',
        'llm',
        '--max-papers',
        '7',
        '--follow-authors',
        'Smith, J.; Doe, A. ;smith, j.',
        '--keywords',
        'rlhf, reward model, RLHF',
        '--not-keywords',
        'survey',
      ],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    const row = await listed('lists@example.org');
    expect(Object.keys(row).slice(-3)).toEqual(['followedAuthors', 'keywords', 'negativeKeywords']);
    expect(JSON.parse(added.stdout.trim())).toEqual(row); // add prints the subscriber as list does
    expect(row).toMatchObject({
      topics: ['llm'],
      maxPapers: 7,
      followedAuthors: ['Smith, J.', 'Doe, A.'],
      keywords: ['rlhf', 'reward model'],
      negativeKeywords: ['survey'],
    });

    const set = await runCli(
      ['subscribers', 'set', 'Lists@Example.org', '--keywords', 'dpo', '--frequency', 'weekly', '--not-keywords', ''],
      env,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout.trim())).toMatchObject({ email: 'lists@example.org', keywords: ['dpo'] });
    expect(await listed('lists@example.org')).toMatchObject({
      topics: ['llm'],
      frequency: 'weekly',
      maxPapers: 7,
      followedAuthors: ['Smith, J.', 'Doe, A.'],
      keywords: ['dpo'],
      negativeKeywords: [],
    });
  });

  it('set refuses an unknown address, no option, and invalid values, changing nothing', async () => {
    expect((await runCli(['subscribers', 'add', 'keep@example.org', '--keywords', 'agents'], env)).code).toBe(0);
    const cases: Array<[string[], RegExp]> = [
      [
        ['subscribers', 'set', 'nobody@example.org', '--keywords', 'x'],
        /subscribers set: no subscriber nobody@example.org/,
      ],
      [['subscribers', 'set', 'keep@example.org'], /subscribers set: nothing to change/],
      [
        [
          'subscribers',
          'set',
          'keep@example.org',
          '--keywords',
          Array.from({ length: 51 }, (_, i) => `k${i}`).join(','),
        ],
        /subscribers set: --keywords: at most 50 items, got 51/,
      ],
      [
        ['subscribers', 'set', 'keep@example.org', '--follow-authors', 'x'.repeat(101)],
        /subscribers set: --follow-authors: "x{20}…" is longer than 100 characters/,
      ],
      [
        ['subscribers', 'set', 'keep@example.org', '--keywords', 'C++'],
        /subscribers set: --keywords: "C\+\+" would match only "c" \(punctuation is not matched\)/,
      ],
      [
        ['subscribers', 'set', 'keep@example.org', '--not-keywords', 'Agents'],
        /subscribers set: "agents" is both a keyword and a negative keyword/,
      ],
      [
        ['subscribers', 'set', 'keep@example.org', '--not-keywords', 'the'],
        /--not-keywords: "the" is too common a word to match on/,
      ],
      [
        ['subscribers', 'set', 'keep@example.org', '--not-keywords', 'a\tb'],
        /--not-keywords: an item contains a control character/,
      ],
      [
        ['subscribers', 'set', 'keep@example.org', '--max-papers', '0'],
        /--max-papers must be an integer from 1 to 100/,
      ],
      [['subscribers', 'set', 'keep@example.org', '--time-zone', 'Mars/Olympus'], /subscribers set: unknown time zone/],
    ];
    for (const [args, error] of cases) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(error);
    }
    expect(await listed('keep@example.org')).toMatchObject({ keywords: ['agents'], maxPapers: 10, timeZone: 'UTC' });
  });
});
