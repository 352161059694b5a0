/**
 * Render a Hugging Face papers listing page in the shape of the live site (see
 * shared/docs/SOURCES.md): server-rendered Svelte with several `SVELTE_HYDRATER` divs,
 * the listing one carrying the HTML-escaped props JSON, and an `<article>` card per entry.
 */
import { escapeHtml } from './html.js';
import type { HfApiEntry } from './real-data.js';

export interface HfPageSpec {
  /** `<title>` and the page heading. */
  documentTitle: string;
  heading: string;
  entries: readonly HfApiEntry[];
  /** Listing props besides the entries: `date`, `periodType`, `prevDate`, ... */
  props?: Record<string, unknown>;
  /** Where the entries sit in the props: a key path, default `['dailyPapers']`. */
  listingPath?: readonly string[];
  /** `data-target` of the listing hydrater, default `DailyPapers`. */
  listingTarget?: string;
  /** `embedded` (default), `truncated` (JSON cut short: invalid), `none` (no data-props on the listing). */
  json?: 'embedded' | 'truncated' | 'none';
  /** Replace the entries in the JSON (not in the cards): for wrong-shape fixtures. */
  jsonEntries?: readonly unknown[];
  /** Render the listing hydrater at all (default true). */
  listing?: boolean;
  /** Render the `<article>` cards (default true). */
  cards?: boolean;
}

export function renderHfPapersPage(spec: HfPageSpec): string {
  const listing = spec.listing === false ? emptyListing() : renderListing(spec);
  return `<!doctype html>
<html class="">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0, user-scalable=no" />
<meta property="og:title" content="${escapeHtml(spec.documentTitle)}" />
<meta property="og:type" content="website" />
<meta property="og:image" content="https://huggingface.co/front/thumbnails/papers.png" />
<link rel="stylesheet" href="/front/build/kube-2ba8d1c/style.css" />
<title>${escapeHtml(spec.documentTitle)}</title>
<script defer src="/js/script.js"></script>
</head>
<body class="flex flex-col min-h-dvh bg-white dark:bg-gray-950 text-black DailyPapersPage">
<div class="flex min-h-dvh flex-col"><div class="SVELTE_HYDRATER contents" data-target="SystemThemeMonitor" data-props="${hydraterProps({ isLoggedIn: false })}"></div>
<div class="SVELTE_HYDRATER contents" data-target="MainHeader" data-props="${hydraterProps({
    classNames: '',
    isWide: false,
    isZh: false,
    isPro: false,
    navItems: [
      { label: 'Models', href: '/models' },
      { label: 'Datasets', href: '/datasets' },
      { label: 'Spaces', href: '/spaces' },
      { label: 'Papers', href: '/papers' },
    ],
  })}"><header class="border-b border-gray-100 "><div class="w-full px-4 container flex h-16 items-center"><div class="flex flex-1 items-center"><a class="mr-5 flex flex-none items-center lg:mr-6" href="/"><img alt="Hugging Face's logo" class="w-7 md:mr-2" src="/front/assets/huggingface_logo-noborder.svg" /><span class="hidden whitespace-nowrap text-lg font-bold md:block">Hugging Face</span></a></div>
<nav aria-label="Main" class="ml-auto hidden lg:block"><ul class="flex items-center space-x-1.5 2xl:space-x-2"><li><a class="group flex items-center px-2 py-0.5" href="/models">Models</a></li><li><a class="group flex items-center px-2 py-0.5" href="/datasets">Datasets</a></li><li><a class="group flex items-center px-2 py-0.5" href="/spaces">Spaces</a></li><li><a class="group flex items-center px-2 py-0.5" href="/papers">Papers</a></li></ul></nav></div></header></div>
<main class="flex flex-1 flex-col">${listing}</main>
<footer class="b-12 mb-2 flex border-t border-gray-100 md:h-14"><nav class="container relative flex flex-col justify-between space-y-2 py-6 text-gray-500 md:flex-row md:items-center md:space-y-0"><div class="flex space-x-4"><a class="hover:underline" href="/terms-of-service">TOS</a><a class="hover:underline" href="/privacy">Privacy</a><a class="hover:underline" href="/huggingface">About</a></div></nav></footer></div>
<script>
  import("/front/build/kube-2ba8d1c/index.js");
  window.moonSha = "kube-2ba8d1c/";
</script>
</body>
</html>
`;

  function emptyListing(): string {
    return `<section class="container pb-12 pt-6"><h1 class="text-2xl font-bold">${escapeHtml(spec.heading)}</h1><p class="text-gray-500">No papers found for this period.</p></section>`;
  }
}

function renderListing(spec: HfPageSpec): string {
  const target = spec.listingTarget ?? 'DailyPapers';
  let propsAttr = '';
  if (spec.json !== 'none') {
    const props = withPath(spec.props ?? {}, spec.listingPath ?? ['dailyPapers'], spec.jsonEntries ?? spec.entries);
    let json = JSON.stringify(props);
    if (spec.json === 'truncated') json = json.slice(0, Math.floor(json.length * 0.6));
    propsAttr = ` data-props="${escapeHtml(json)}"`;
  }
  const cards = spec.cards === false ? '' : spec.entries.map(renderCard).join('\n');
  return `<div class="SVELTE_HYDRATER contents" data-target="${escapeHtml(target)}"${propsAttr}><section class="container relative pb-12 pt-6"><div class="mb-8 flex flex-col gap-2"><h1 class="text-2xl font-bold md:text-3xl">${escapeHtml(spec.heading)}</h1><div class="text-sm text-gray-500">by <a href="/akhaliq" class="underline">AK</a> and the research community</div></div>
<div class="relative grid grid-cols-1 gap-14 lg:grid-cols-2 xl:grid-cols-3">
${cards}
</div></section></div>`;
}

function withPath(
  props: Record<string, unknown>,
  path: readonly string[],
  entries: readonly unknown[],
): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) throw new Error('listingPath must not be empty');
  const value = rest.length === 0 ? entries : withPath({}, rest, entries);
  return { [head]: value, ...props };
}

/** Svelte writes props as JSON in a double-quoted attribute, so quotes and ampersands come out as entities. */
function hydraterProps(props: unknown): string {
  return escapeHtml(JSON.stringify(props));
}

function renderCard(entry: HfApiEntry): string {
  const { paper } = entry;
  const id = escapeHtml(paper.id);
  const title = escapeHtml(paper.title || entry.title || '');
  const faces = paper.authors
    .slice(0, 4)
    .map(
      (a) =>
        `<li class="-mr-2 h-4 w-4 md:h-5 md:w-5 bg-linear-to-br block flex-none rounded-full border-2 border-white from-gray-300 to-gray-100" title="${escapeHtml(a.name)}" style="content-visibility:auto;"></li>`,
    )
    .join('');
  const thumbnail = escapeHtml(
    entry.thumbnail ?? `https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/${paper.id}.png`,
  );
  return `<article class="relative flex flex-col overflow-hidden rounded-xl border"><a href="/papers/${id}" class="shadow-alternate-sm peer relative block h-56 w-full cursor-pointer overflow-hidden rounded-xl bg-white md:h-64"><img src="${thumbnail}" loading="lazy" decoding="async" alt="" class="h-full w-full object-cover object-top" /></a>
<div class="from-gray-50-to-white -mt-2 bg-linear-to-b px-6 pb-6 pt-8"><div class="flex items-center"><label class="shadow-alternate flex h-14 w-12 gap-px rounded-xl flex-none cursor-pointer select-none flex-col items-center justify-center self-start border border-gray-300 bg-white text-center text-sm text-gray-500"><input type="checkbox" class="peer hidden" /><svg class="text-sm peer-checked:text-gray-500 group-hover:text-gray-500" xmlns="http://www.w3.org/2000/svg" width="1em" height="1em" viewBox="0 0 12 12"><path fill="currentColor" d="M5.19 2.67a.94.94 0 0 1 1.62 0l3.31 5.72a.94.94 0 0 1-.82 1.4H2.7a.94.94 0 0 1-.82-1.4l3.31-5.7v-.02Z"></path></svg>
<div class="leading-none">${paper.upvotes}</div></label>
<div class="w-full"><h3 class="mb-1 text-lg/6 font-semibold hover:underline peer-hover:underline md:text-2xl/7"><a href="/papers/${id}" class="line-clamp-3 cursor-pointer text-balance">${title}</a></h3>
<div class="flex items-center justify-between"><a href="/papers/${id}" class="flex"><ul class="flex items-center flex-row-reverse text-sm">${faces}</ul><div class="ml-3 text-sm text-gray-400">· ${paper.authors.length} authors</div></a>
<a href="/papers/${id}#community" class="ml-auto flex items-center rounded-full bg-blue-500/5 px-2.5 py-0.5 text-sm text-gray-400 hover:text-blue-600"><svg class="mr-1" xmlns="http://www.w3.org/2000/svg" width="1em" height="1em" viewBox="0 0 32 32"><path d="M17.74 30L16 29l4-7h6a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h9v2H6a4 4 0 0 1-4-4V8a4 4 0 0 1 4-4h20a4 4 0 0 1 4 4v12a4 4 0 0 1-4 4h-4.84Z" fill="currentColor"></path></svg>${entry.numComments ?? 0}</a></div></div></div></div></article>`;
}
