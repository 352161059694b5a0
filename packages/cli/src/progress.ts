/**
 * Progress of `paperboy ingest` on a terminal, and the pacing warning before it: pure formatters
 * (counts and times in, a line out) and a renderer that redraws one line in place at most a few
 * times a second, and writes nothing at all when stderr is not a terminal.
 */

/** "850 ms", "12 s", "4 min 05 s", "2 h 13 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export interface ProgressCounts {
  pages: number;
  pagesDone: number;
  pagesFailed: number;
  entries: number;
  elapsedMs: number;
}

/** The progress line: pages done of all, entries found, pages a second, and the time left at that rate. */
export function formatProgress(c: ProgressCounts): string {
  const percent = c.pages ? Math.floor((100 * c.pagesDone) / c.pages) : 100;
  const rate = c.elapsedMs > 0 ? c.pagesDone / (c.elapsedMs / 1000) : 0;
  const left = c.pages - c.pagesDone;
  const eta = left === 0 ? 'done' : rate > 0 ? `ETA ${formatDuration((left / rate) * 1000)}` : 'ETA …';
  const rateText = rate >= 10 ? rate.toFixed(0) : rate >= 1 ? rate.toFixed(1) : rate.toFixed(2);
  return [
    `ingest: ${c.pagesDone}/${c.pages} pages (${percent}%)${c.pagesFailed ? `, ${c.pagesFailed} failed` : ''}`,
    `${c.entries} entries`,
    `${rateText} pages/s`,
    eta,
    formatDuration(c.elapsedMs),
  ].join(' · ');
}

/** A stream the renderer may draw on: only a terminal is drawn on. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Redraws the progress line on `stream` when it is a terminal (at most every `intervalMs`); otherwise does nothing. */
export function progressRenderer(
  stream: ProgressStream,
  pages: number,
  options: { intervalMs?: number; now?: () => number } = {},
): { pageDone(entries: number | null): void; finish(): void } {
  if (!stream.isTTY) return { pageDone: () => {}, finish: () => {} };
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 250;
  const started = now();
  const counts = { pages, pagesDone: 0, pagesFailed: 0, entries: 0 };
  let drawnAt = 0;
  const draw = () => {
    drawnAt = now();
    stream.write(`\r${formatProgress({ ...counts, elapsedMs: drawnAt - started })}\x1b[K`);
  };
  // Time passes while a paced run waits: the elapsed time and ETA move on between pages too.
  const timer = setInterval(draw, 1000);
  timer.unref();
  draw();
  return {
    pageDone(entries) {
      counts.pagesDone++;
      if (entries === null) counts.pagesFailed++;
      else counts.entries += entries;
      if (now() - drawnAt >= intervalMs || counts.pagesDone === pages) draw();
    },
    finish() {
      clearInterval(timer);
      draw();
      stream.write('\n');
    },
  };
}

export interface HostPacing {
  host: string;
  pages: number;
  /** Gap between two requests to the host, and requests at once. */
  minDelayMs: number;
  concurrency: number;
  /** The least time its pages take: one request every minDelayMs after the first. */
  minimumMs: number;
}

/** Pages per host against the host's limits (`politenessFor`), slowest first. */
export function pacingByHost(
  urls: readonly string[],
  politenessFor: (url: URL) => { minDelayMs: number; concurrency: number },
): HostPacing[] {
  const hosts = new Map<string, HostPacing>();
  for (const raw of urls) {
    const url = new URL(raw);
    const known = hosts.get(url.host);
    if (known) {
      known.pages++;
      known.minimumMs = (known.pages - 1) * known.minDelayMs;
      continue;
    }
    const { minDelayMs, concurrency } = politenessFor(url);
    hosts.set(url.host, { host: url.host, pages: 1, minDelayMs, concurrency, minimumMs: 0 });
  }
  return [...hosts.values()].sort((a, b) => b.minimumMs - a.minimumMs);
}

/** A run whose politeness limits alone make it last this long (or longer) is warned about. */
export const PACED_WARNING_MS = 10_000;

/** The warning before a paced run (`null` when no host paces it for PACED_WARNING_MS or more). */
export function pacingWarning(pacing: readonly HostPacing[], sourcesPath: string): string | null {
  const paced = pacing.filter((h) => h.minimumMs >= PACED_WARNING_MS);
  if (!paced.length) return null;
  const hosts = paced
    .slice(0, 3)
    .map(
      (h) =>
        `${h.pages} pages on ${h.host} at one request per ${formatDuration(h.minDelayMs)} take at least ${formatDuration(h.minimumMs)}`,
    );
  const more = paced.length > 3 ? ` (and ${paced.length - 3} more hosts)` : '';
  const example = paced[0]!.host;
  return (
    `paperboy ingest: this run is paced by the politeness limits: ${hosts.join('; ')}${more}.\n` +
    `  For a host you own, add it under \`hosts:\` in the sources file (${sourcesPath}, PAPERBOY_SOURCES) with a\n` +
    `  shorter minDelay, e.g.  hosts: { "${example}": { minDelay: 0s, concurrency: 4 } }`
  );
}
