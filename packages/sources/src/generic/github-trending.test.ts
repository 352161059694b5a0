/**
 * The example source examples/github-trending.source.yaml, checked as a user would use it:
 * validated with the adapter's schema, then run on a real capture of github.com/trending.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { githubTrendingSource } from '../../test/fixtures/generic/examples.js';
import { createPage } from '../page.js';
import type { RawEntry } from '../types.js';
import { genericAdapter, genericOptionsSchema } from './index.js';

const CAPTURE = readFileSync(
  new URL('../../test/fixtures/generic/github-trending-2023-05-18.html', import.meta.url),
  'utf8',
);

function extract(body: string): { entries: RawEntry[]; warnings: string[] } {
  const options = genericOptionsSchema.parse(githubTrendingSource.options);
  return genericAdapter.extract(createPage(githubTrendingSource.url, body, 'text/html'), options);
}

describe('examples/github-trending.source.yaml', () => {
  it('is a sources-file entry for the generic adapter, and its options validate', () => {
    expect(githubTrendingSource).toMatchObject({
      id: 'github-trending',
      adapter: 'generic',
      url: 'https://github.com/trending',
      schedule: { every: '6h', jitter: '10m' },
    });
    expect(genericOptionsSchema.safeParse(githubTrendingSource.options).success).toBe(true);
  });

  const { entries, warnings } = extract(CAPTURE);

  it('reads all 25 repositories of the real capture in page order, no warnings', () => {
    expect(warnings).toEqual([]);
    expect(entries.map((e) => e.title)).toEqual([
      'smol-ai/developer',
      'StanGirard/quivr',
      'sunner/ChatALL',
      'microsoft/guidance',
      'langgenius/dify',
      'DataTalksClub/mlops-zoomcamp',
      'dsdanielpark/Bard-API',
      'airbnb/javascript',
      'bluesky-social/social-app',
      'Gioman101/FlipperAmiibo',
      'geekan/HowToLiveLonger',
      'toverainc/willow',
      'Yidadaa/ChatGPT-Next-Web',
      'pengzhile/pandora',
      'csunny/DB-GPT',
      'go-skynet/LocalAI',
      'haoel/haoel.github.io',
      'microsoft/playwright',
      'e-johnstonn/BriefGPT',
      'PrefectHQ/marvin',
      'brexhq/prompt-engineering',
      'Tencent/secguide',
      'UberGuidoZ/Flipper',
      'openai/chatgpt-retrieval-plugin',
      'public-apis/public-apis',
    ]);
    for (const entry of entries) {
      expect(entry.externalId).toBe(entry.title);
      expect(entry.url).toBe(`https://github.com/${entry.title}`);
    }
  });

  it('reads descriptions, stars today and contributors (checked by hand against the capture)', () => {
    const byName = new Map(entries.map((e) => [e.title, e]));
    expect(byName.get('smol-ai/developer')).toEqual({
      rank: 1,
      externalId: 'smol-ai/developer',
      title: 'smol-ai/developer',
      url: 'https://github.com/smol-ai/developer',
      abstract:
        "with 100k context windows on the way, it's now feasible for every dev to have their own smol developer",
      authors: ['sw-yx', 'talboren', 'Kilian', 'fardeem'],
      upvotes: 1582,
    });
    expect(byName.get('microsoft/guidance')).toMatchObject({
      rank: 4,
      upvotes: 2268,
      abstract: 'A guidance language for controlling large language models.',
    });
    expect(byName.get('geekan/HowToLiveLonger')).toMatchObject({
      upvotes: 176,
      abstract: "程序员延寿指南 | A programmer's guide to live longer",
    });
    expect(byName.get('Tencent/secguide')).toMatchObject({ rank: 22, upvotes: 15 });
    expect(byName.get('public-apis/public-apis')).toMatchObject({
      rank: 25,
      upvotes: 97,
      abstract: 'A collective list of free APIs',
    });
    // The one repository without a description.
    expect(byName.get('haoel/haoel.github.io')).toMatchObject({ upvotes: 81 });
    expect(byName.get('haoel/haoel.github.io')?.abstract).toBeUndefined();
    expect(entries.filter((e) => e.abstract !== undefined)).toHaveLength(24);
    expect(entries.every((e) => Number.isInteger(e.upvotes) && (e.authors?.length ?? 0) > 0)).toBe(true);
  });

  it('does not depend on class names: the same entries with every class attribute removed', () => {
    const classless = CAPTURE.replace(/\sclass="[^"]*"/g, '');
    expect(classless).not.toContain('Box-row');
    expect(extract(classless)).toEqual({ entries, warnings: [] });
  });
});
