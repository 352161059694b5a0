/**
 * Render arXiv listing pages: the 2024 server layout of `/list/<cat>/new` (single-quoted
 * attributes where the server writes them so, one `dl#articles` per section) and the
 * legacy layout (before 2024: `span.list-identifier`, "Authors:" descriptor, headings in
 * `div#dlpage`).
 */
import { escapeHtml } from './html.js';

export interface ArxivListing {
  id: string;
  title: string;
  authors: readonly string[];
  /** Shown on /new pages for new submissions and cross-lists. */
  abstract?: string;
  comments?: string;
  /** Subject codes, primary first. */
  subjects: readonly string[];
}

export interface ArxivNewPageSpec {
  category: string;
  /** e.g. "Friday, 12 June 2026" */
  listingDate: string;
  newSubmissions: readonly ArxivListing[];
  crossLists: readonly ArxivListing[];
  replacements: readonly ArxivListing[];
}

const SUBJECT_NAMES: Record<string, string> = {
  'cs.AI': 'Artificial Intelligence',
  'cs.CL': 'Computation and Language',
  'cs.CV': 'Computer Vision and Pattern Recognition',
  'cs.DC': 'Distributed, Parallel, and Cluster Computing',
  'cs.IR': 'Information Retrieval',
  'cs.LG': 'Machine Learning',
  'cs.MA': 'Multiagent Systems',
  'cs.PF': 'Performance',
  'cs.RO': 'Robotics',
  'math-ph': 'Mathematical Physics',
  'hep-th': 'High Energy Physics - Theory',
  'hep-ph': 'High Energy Physics - Phenomenology',
  'gr-qc': 'General Relativity and Quantum Cosmology',
};

function subjectName(code: string): string {
  const name = SUBJECT_NAMES[code];
  if (!name) throw new Error(`add a subject name for ${code}`);
  return `${name} (${code})`;
}

function archiveOf(code: string): string {
  return code.split('.')[0] ?? code;
}

/** "Lastname,+F+M" as arXiv's author search links spell it. */
function authorQuery(name: string): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  const parts = name.split(/\s+/).filter(Boolean);
  const last = parts.pop() ?? name;
  const initials = parts.map((p) => encode(p.charAt(0)));
  return initials.length > 0 ? `${encode(last)},+${initials.join('+')}` : encode(last);
}

export function renderArxivNewPage(spec: ArxivNewPageSpec): string {
  const categoryTitle = SUBJECT_NAMES[spec.category] ?? spec.category;
  const total = spec.newSubmissions.length + spec.crossLists.length + spec.replacements.length;
  let item = 0;
  const section = (heading: string, entries: readonly ArxivListing[], kind: 'new' | 'cross' | 'replaced') =>
    `<dl id='articles'>
    <h3>${heading} (showing ${entries.length} of ${entries.length} entries)</h3>
${entries.map((e) => renderEntry2024(e, ++item, kind, spec.category)).join('')}</dl>
`;
  const newHtml = section('New submissions', spec.newSubmissions, 'new');
  const crossStart = spec.newSubmissions.length + 1;
  const crossHtml = section('Cross submissions', spec.crossLists, 'cross');
  const replacedStart = crossStart + spec.crossLists.length;
  const replacedHtml = section('Replacement submissions', spec.replacements, 'replaced');
  return `<!DOCTYPE html>
<html lang="en">

<head>  <title>${escapeHtml(categoryTitle)}  </title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="apple-touch-icon" sizes="180x180" href="/static/browse/0.3.4/images/icons/apple-touch-icon.png">
  <link rel="stylesheet" type="text/css" media="screen" href="/static/browse/0.3.4/css/arXiv.css?v=20241206" />
  <script type="text/x-mathjax-config">
    MathJax.Hub.Config({ tex2jax: { inlineMath: [['$','$'],['\\\\(','\\\\)']], processEscapes: true } });
  </script>
  <script src='//static.arxiv.org/MathJax-2.7.3/MathJax.js'></script>
</head>

<body  class="with-cu-identity">
  <div class="flex-wrap-footer">
    <header>
      <a href="#content" class="is-sr-only">Skip to main content</a>
      <div class="column" id="cu-identity"><a href="https://www.cornell.edu/">Cornell University</a></div>
      <div class="level is-marginless">
        <div class="level-left">
          <h1 class="header-breadcrumbs"><a href="/"><img src="/static/browse/0.3.4/images/arxiv-logo-one-color-white.svg" alt="arxiv logo" style="height:40px;"/></a> <span>&gt;</span> <a href="/list/${spec.category}/recent">${spec.category}</a></h1>
        </div>
      </div>
    </header>
    <main>
      <div id="content">
<div id='content-inner'>
  <div id='dlpage'>
    <h1>${escapeHtml(categoryTitle)}</h1>
    <h3>Showing new listings for ${escapeHtml(spec.listingDate)}</h3>
    <div class='paging'>Total of ${total} entries
    </div>
    <div class='morefewer'>Showing up to 2000 entries per page:
      <a href=/list/${spec.category}/new?skip=0&amp;show=1000 rel="nofollow">fewer</a> |
      <span style="color: #454545">more</span> |
      <span style="color: #454545">all</span>
    </div>
    <ul>
      <li><a href=#item1>New submissions</a></li>
      <li><a href=#item${crossStart}>Cross-lists</a></li>
      <li><a href=#item${replacedStart}>Replacements</a></li>
    </ul>
    <p>See <a id='recent-${spec.category}' aria-labelledby='recent-${spec.category}' href='/list/${spec.category}/recent'>recent</a> articles</p>
${newHtml}${crossHtml}${replacedHtml}
    <div class='paging'>Total of ${total} entries
    </div>
  </div>
</div>
      </div>
    </main>
    <footer style="clear: both;">
      <ul style="list-style: none; line-height: 2;">
        <li><a href="https://info.arxiv.org/about">About</a></li>
        <li><a href="https://info.arxiv.org/help">Help</a></li>
      </ul>
    </footer>
  </div>
</body>
</html>
`;
}

function renderEntry2024(e: ArxivListing, item: number, kind: 'new' | 'cross' | 'replaced', category: string): string {
  const primary = e.subjects[0] ?? category;
  const marker =
    kind === 'cross'
      ? `\n          (cross-list from ${primary})\n`
      : kind === 'replaced'
        ? `\n          (replaced)\n`
        : '\n';
  const authors = e.authors
    .map(
      (name) =>
        `<a href="https://arxiv.org/search/${archiveOf(primary)}?searchtype=author&amp;query=${authorQuery(name)}">${escapeHtml(name)}</a>`,
    )
    .join(', ');
  const [first, ...rest] = e.subjects;
  const subjects =
    `<span class="primary-subject">${escapeHtml(subjectName(first ?? category))}</span>` +
    rest.map((code) => `; ${escapeHtml(subjectName(code))}`).join('');
  const comments = e.comments
    ? `\n        <div class='list-comments mathjax'><span class='descriptor'>Comments:</span>\n          ${escapeHtml(e.comments)}\n        </div>`
    : '';
  const showAbstract = kind !== 'replaced' && e.abstract;
  const abstract = showAbstract
    ? `\n        <p class='mathjax'>\n          ${escapeHtml(e.abstract ?? '')}\n        </p>`
    : '';
  return `    <dt>
      <a name='item${item}'>[${item}]</a>
      <a href ="/abs/${e.id}" title="Abstract" id="${e.id}">
        arXiv:${e.id}
      </a>${marker}
      [<a href="/pdf/${e.id}" title="Download PDF" id="pdf-${e.id}" aria-labelledby="pdf-${e.id}">pdf</a>, <a href="https://arxiv.org/html/${e.id}v1" title="View HTML" id="html-${e.id}" aria-labelledby="html-${e.id}"  rel="noopener noreferrer" target="_blank">html</a>, <a href="/format/${e.id}" title="Other formats" id="oth-${e.id}" aria-labelledby="oth-${e.id}">other</a>]
    </dt>
    <dd>
      <div class='meta'>
        <div class='list-title mathjax'><span class='descriptor'>Title:</span>
          ${escapeHtml(e.title)}
        </div>
        <div class='list-authors'>${authors}</div>${comments}
        <div class='list-subjects'><span class='descriptor'>Subjects:</span>
          ${subjects}
        </div>${abstract}
      </div>
    </dd>
`;
}

export interface LegacySection {
  /** The whole heading, e.g. "New submissions for Mon, 23 Feb 98". */
  heading: string;
  kind: 'new' | 'cross' | 'replaced';
  entries: readonly ArxivListing[];
}

/** The pre-2024 layout: headings in `div#dlpage`, one plain `<dl>` per section, ids in `span.list-identifier`. */
export function renderArxivLegacyPage(spec: { category: string; sections: readonly LegacySection[] }): string {
  const categoryTitle = SUBJECT_NAMES[spec.category] ?? spec.category;
  let item = 0;
  const sections = spec.sections
    .map(
      (s) =>
        `<h3>${escapeHtml(s.heading)}</h3>\n<dl>\n${s.entries.map((e) => renderEntryLegacy(e, ++item, s.kind)).join('')}</dl>\n`,
    )
    .join('');
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html xmlns:mml="http://www.w3.org/1998/Math/MathML" lang="en">
<head>
<title>${escapeHtml(categoryTitle)} authors/titles "new"</title>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<link rel="stylesheet" type="text/css" media="screen" href="/css/arXiv.css?v=20220215" />
</head>
<body class="with-cu-identity">
<div id="header">
<h1><a href="/">arXiv.org</a> &gt; <a href="/list/${spec.category}/recent">${spec.category}</a></h1>
</div>
<div id="content">
<div id="dlpage">
<h1>${escapeHtml(categoryTitle)}</h1>
<h2>New submissions</h2>
<small>[ total of ${item} entries:  <a href="#item1">1-${item}</a> ]</small>
${sections}<small>[ total of ${item} entries:  <a href="#item1">1-${item}</a> ]</small>
</div>
</div>
</body>
</html>
`;
}

function renderEntryLegacy(e: ArxivListing, item: number, kind: 'new' | 'cross' | 'replaced'): string {
  const primary = e.subjects[0] ?? '';
  const marker = kind === 'cross' ? ` (cross-list from ${primary})` : kind === 'replaced' ? ' (replaced)' : '';
  const authors = e.authors
    .map((name) => {
      const parts = name.split(/\s+/);
      const last = parts.pop() ?? name;
      const initial = (parts[0] ?? '').charAt(0);
      return `<a href="/find/${archiveOf(primary)}/1/au:+${encodeURIComponent(last)}_${initial}/0/1/0/all/0/1">${escapeHtml(name)}</a>`;
    })
    .join(', \n');
  const [first, ...rest] = e.subjects;
  const subjects =
    `<span class="primary-subject">${escapeHtml(subjectName(first ?? ''))}</span>` +
    rest.map((c) => `; ${escapeHtml(subjectName(c))}`).join('');
  const abstract = kind !== 'replaced' && e.abstract ? `<p class="mathjax">${escapeHtml(e.abstract)}\n</p>\n` : '';
  const comments = e.comments
    ? `<div class="list-comments mathjax">\n<span class="descriptor">Comments:</span> ${escapeHtml(e.comments)}\n</div>\n`
    : '';
  return `<dt><a name="item${item}">[${item}]</a>&nbsp;  <span class="list-identifier"><a href="/abs/${e.id}" title="Abstract">arXiv:${e.id}</a>${marker} [<a href="/pdf/${e.id}" title="Download PDF">pdf</a>, <a href="/format/${e.id}" title="Other formats">other</a>]</span></dt>
<dd>
<div class="meta">
<div class="list-title mathjax">
<span class="descriptor">Title:</span> ${escapeHtml(e.title)}
</div>
<div class="list-authors">
<span class="descriptor">Authors:</span> 
${authors}
</div>
${comments}<div class="list-subjects">
<span class="descriptor">Subjects:</span> ${subjects}
</div>
${abstract}</div>
</dd>
`;
}
