import type {
  DashboardRefreshRow,
  PaperLinkFieldsRow,
  PaperWithCodeRow,
  SourceReport,
  TopicTrendRow,
  TrendingPaperRow,
} from '@paperboy/db';
import { escapeHtml } from '@paperboy/mail';
import { shownWebhookUrl, storedPaperLinks } from '@paperboy/pipeline';
import { DASHBOARD_SCRIPT_PATH } from './dashboard-live.js';
import { page } from './layout.js';

const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#be185d',
  '#65a30d',
  '#7c3aed',
  '#0d9488',
];

/**
 * The dashboard's style block, legend colours included (classes, not style attributes: the CSP
 * allows this block by its hash, in plugins/security-headers.ts, and no inline style attribute).
 */
export const DASHBOARD_STYLE = `table{border-collapse:collapse;margin:.5rem 0 1.5rem}.live{color:#52525b;font-size:.85rem}.live[data-state=open]{color:#15803d}.live[data-state=open]::before{content:"● "}#live-events{font-size:.85rem;color:#3f3f46;max-height:10rem;overflow:auto}td,th{border-bottom:1px solid #e4e4e7;padding:.25rem .5rem;text-align:left;font-size:.9rem}body{max-width:60rem}.alert{color:#b91c1c;font-weight:600}
${PALETTE.map((colour, n) => `.series-${n}{color:${colour}}`).join('')}`;

/** A line chart as inline SVG: one line per series over the given days; no script needed. */
export function lineChart(
  days: readonly string[],
  series: ReadonlyArray<{ name: string; values: number[] }>,
  width = 720,
  height = 240,
): string {
  const pad = { left: 40, right: 10, top: 10, bottom: 30 };
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i: number) => pad.left + (days.length <= 1 ? 0 : (i * (width - pad.left - pad.right)) / (days.length - 1));
  const y = (v: number) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const lines = series
    .map((s, n) => {
      const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline class="series" data-series="${escapeHtml(s.name)}" fill="none" stroke="${PALETTE[n % PALETTE.length]}" stroke-width="2" points="${points}"><title>${escapeHtml(s.name)}</title></polyline>`;
    })
    .join('');
  const legend = series
    .map((s, n) => `<span class="series-${n % PALETTE.length}">■ ${escapeHtml(s.name)}</span>`)
    .join(' ');
  const axis = `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#a1a1aa"/>
<text x="4" y="${pad.top + 10}" font-size="11" fill="#52525b">${max}</text>
<text x="${pad.left}" y="${height - 8}" font-size="11" fill="#52525b">${escapeHtml(days[0] ?? '')}</text>
<text x="${width - pad.right}" y="${height - 8}" font-size="11" fill="#52525b" text-anchor="end">${escapeHtml(days[days.length - 1] ?? '')}</text>`;
  return `<svg role="img" aria-label="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${axis}${lines}</svg><p>${legend}</p>`;
}

/** Top topics of the period, each as a series of papers sighted per day. */
export function topicSeries(
  rows: readonly TopicTrendRow[],
  days: readonly string[],
  top = 6,
): Array<{ name: string; values: number[] }> {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.topicId ?? 'none', (totals.get(r.topicId ?? 'none') ?? 0) + r.papers);
  const topics = [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([t]) => t);
  return topics.map((topic) => ({
    name: topic,
    values: days.map((day) => rows.find((r) => r.day === day && (r.topicId ?? 'none') === topic)?.papers ?? 0),
  }));
}

/** The health of `paperboy sources` and /api/sources: the verdict, and its reason where there is one. */
const healthCell = (h: SourceReport): string => (h.reason ? `${h.health}: ${h.reason}` : h.health);

/** A cell's HTML, already escaped (`table` escapes plain text cells). */
interface Html {
  html: string;
}

const table = (headers: string[], rows: Array<Array<string | Html>>) =>
  `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'string' ? escapeHtml(c) : c.html}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

const anchor = (href: string, text: string, className: string) =>
  `<a class="${className}" href="${escapeHtml(href)}" rel="noopener noreferrer">${escapeHtml(text)}</a>`;

/**
 * A listed paper's title, linked to its canonical page (storedPaperLinks: arXiv's abstract page when it
 * has an arXiv id, never the listing it was seen on then), and its code link with stars where known.
 */
export function paperCells(
  paper: { paperId: number; arxivId: string | null; title: string },
  fields: PaperLinkFieldsRow | undefined,
): { title: Html; code: Html } {
  const links = storedPaperLinks(
    fields ?? {
      arxivId: paper.arxivId,
      url: null,
      codeUrl: null,
      codeStars: null,
      projectPage: null,
      aiSummary: null,
      submittedBy: null,
    },
  );
  const title = links.paper ? anchor(links.paper, paper.title, 'paper-link') : escapeHtml(paper.title);
  const stars = links.codeStars === null ? '' : ` ★ ${links.codeStars.toLocaleString('en-US')}`;
  const code = links.code ? `${anchor(links.code, 'code', 'code-link')}${escapeHtml(stars)}` : '';
  return { title: { html: title }, code: { html: code } };
}

/** The stuck digests' line: how many, and what the operator can do about them. */
export function stuckDigestsLine(count: number, minutes: number): string {
  if (count === 0) return `<p class="stuck-digests">No stuck digests (none claimed over ${minutes} minutes).</p>`;
  return `<p class="stuck-digests alert">${count} stuck digest${count === 1 ? '' : 's'}: claimed over ${minutes} minutes ago and never finished (the sender died mid-send), so not sent again by itself. <code>pnpm paperboy digest stuck</code> lists them; <code>pnpm paperboy digest resend-stuck --yes</code> re-sends them (a reader may then get one twice).</p>`;
}

/** A webhook endpoint as the dashboard shows it (@paperboy/pipeline webhookEndpointJson: no secret). */
export interface DashboardWebhook {
  id: number;
  url: string;
  eventTypes: readonly string[];
  topics: readonly string[];
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  failingSince: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  delivered: number;
  failed: number;
  pendingEvents: number;
}

const minute = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 16) : '-');

/** The webhook endpoints' panel: where each one stands, and what failed last. */
export function webhooksPanel(endpoints: readonly DashboardWebhook[]): string {
  if (endpoints.length === 0)
    return '<p class="webhooks">No webhook endpoints. <code>pnpm paperboy webhooks add &lt;url&gt;</code> adds one.</p>';
  return `<div class="webhooks">${table(
    [
      'endpoint',
      'events',
      'topics',
      'state',
      'pending',
      'delivered / failed',
      'last success',
      'last failure',
      'last answer',
      'failures in a row',
    ],
    endpoints.map((e) => [
      // Origin only: the rest of a hook URL is often its token, and this page may be public.
      `#${e.id} ${shownWebhookUrl(e.url)}`,
      e.eventTypes.length ? e.eventTypes.join(', ') : 'all',
      e.topics.length ? e.topics.join(', ') : 'all',
      e.enabled
        ? e.consecutiveFailures
          ? `failing since ${minute(e.failingSince)}`
          : 'enabled'
        : { html: `<span class="alert">disabled</span>${e.disabledReason ? `: ${escapeHtml(e.disabledReason)}` : ''}` },
      e.pendingEvents >= 10_000 ? '10000+' : String(e.pendingEvents),
      `${e.delivered} / ${e.failed}`,
      minute(e.lastSuccessAt),
      minute(e.lastFailureAt),
      e.lastError ? `${e.lastStatus ?? ''} ${e.lastError}`.trim().slice(0, 200) : String(e.lastStatus ?? '-'),
      String(e.consecutiveFailures),
    ]),
  )}</div>`;
}

/** What the dashboard shows, as its route read it. */
export interface DashboardData {
  days: readonly string[];
  trending: readonly TrendingPaperRow[];
  trends: readonly TopicTrendRow[];
  /** The sources and their health, as `paperboy sources` and /api/sources list them. */
  health: readonly SourceReport[];
  refreshes: readonly DashboardRefreshRow[];
  pending: { seen: number; first: number };
  queueCounts: ReadonlyArray<{ name: string; counts: Record<string, number | undefined> }>;
  stuckDigests: number;
  stuckMinutes: number;
  /** The link fields of the listed papers, by paper id (DashboardRepository.paperLinkFields). */
  links?: ReadonlyMap<number, PaperLinkFieldsRow>;
  /** Papers with code, most stars first (dashboard.papers_with_code). */
  withCode?: readonly PaperWithCodeRow[];
  /** The webhook endpoints and their health. */
  webhooks?: readonly DashboardWebhook[];
}

/** The dashboard page: trending papers by topic, topic trends over 30 days, source health, queue depths, stuck digests. */
export function dashboardPage(data: DashboardData): string {
  const { days, trending, trends, health, refreshes, pending, queueCounts, stuckDigests } = data;
  const links = data.links ?? new Map<number, PaperLinkFieldsRow>();
  const withCode = data.withCode ?? [];
  const byTopic = new Map<string, typeof trending>();
  for (const p of trending) {
    const key = p.bestTopic ?? 'none';
    byTopic.set(key, [...(byTopic.get(key) ?? []), p]);
  }
  const asOf = refreshes.map((r) => r.startedAt.getTime()).reduce((a, b) => Math.max(a, b), 0);
  const waiting =
    pending.seen + pending.first > 0
      ? ' Newer data is waiting for the next refresh (the processor runs one every few minutes; <code>pnpm paperboy dashboard refresh</code> runs one now).'
      : '';
  const freshness = asOf
    ? `<p class="as-of">Trends and trending as of ${escapeHtml(new Date(asOf).toISOString().replace('T', ' ').slice(0, 16))} UTC.${waiting}</p>`
    : `<p class="as-of">Trends and trending have not been computed yet.${waiting}</p>`;
  // The live part (indicator, events as they arrive) stays put; the script swaps #dashboard-data for a re-fetched one.
  const body = `<style>${DASHBOARD_STYLE}</style>
<p id="live" class="live" data-state="off">Live updates need JavaScript: reload to refresh.</p>
<ul id="live-events" aria-live="polite"></ul>
<div id="dashboard-data">
${freshness}
<h2>Topic trends, last 30 days</h2>
${lineChart(days, topicSeries(trends, days))}
<h2>Trending now, by topic</h2>
${
  [...byTopic]
    .map(
      ([topic, papers]) =>
        `<h3>${escapeHtml(topic)}</h3>${table(
          ['arXiv', 'title', 'upvotes', '+24 h', 'score', 'code'],
          papers.slice(0, 5).map((p) => {
            const cells = paperCells(p, links.get(p.paperId));
            return [
              p.arxivId ?? '',
              cells.title,
              String(p.upvotes ?? ''),
              String(p.growth24h),
              p.score.toFixed(2),
              cells.code,
            ];
          }),
        )}`,
    )
    .join('') || '<p>No papers yet.</p>'
}
<h2>Papers with code</h2>
${
  withCode.length
    ? `<div class="papers-with-code">${table(
        ['arXiv', 'title', 'code', 'upvotes', 'first seen'],
        withCode.map((p) => {
          const cells = paperCells(p, links.get(p.paperId));
          return [
            p.arxivId ?? '',
            cells.title,
            cells.code,
            String(p.upvotes ?? ''),
            p.firstSeenAt.toISOString().slice(0, 10),
          ];
        }),
      )}</div>`
    : '<p>No papers with code yet.</p>'
}
<h2>Source health</h2>
${
  health.length
    ? table(
        ['source', 'last crawl', 'outcome', 'status', 'entries', 'last success', 'health'],
        health.map((h) => [
          h.id,
          h.lastCrawlAt ?? '',
          h.lastOutcome ?? '',
          String(h.lastStatus ?? ''),
          String(h.lastEntries ?? ''),
          h.lastSuccessAt ?? '',
          healthCell(h),
        ]),
      )
    : '<p>No sources: none in the sources file, and no crawls yet.</p>'
}
<h2>Digests</h2>
${stuckDigestsLine(stuckDigests, data.stuckMinutes)}
<h2>Queues</h2>
${table(
  ['queue', 'waiting', 'active', 'delayed', 'failed'],
  queueCounts.map((q) => [
    q.name,
    String(q.counts.waiting ?? 0),
    String(q.counts.active ?? 0),
    String(q.counts.delayed ?? 0),
    String(q.counts.failed ?? 0),
  ]),
)}
<h2>Webhook endpoints</h2>
${webhooksPanel(data.webhooks ?? [])}
</div>`;
  return page('paperboy dashboard', body, `<script src="${DASHBOARD_SCRIPT_PATH}" defer></script>`);
}
