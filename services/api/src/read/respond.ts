import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedAnswer } from './cache.js';

/**
 * CSV with a header row; every field quoted, quotes doubled; arrays joined with `;`. A cell whose
 * text a spreadsheet would read as a formula (starting with =, +, -, @, tab or CR: scraped titles
 * and authors are untrusted) gets a leading single quote, as OWASP's "CSV injection" advises;
 * numbers are written as they are (a negative count stays a number).
 */
export function toCsv(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): string {
  const cell = (value: unknown) => {
    const text = Array.isArray(value) ? value.join(';') : value === null || value === undefined ? '' : String(value);
    const safe = typeof value !== 'number' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    return `"${safe.replace(/"/g, '""')}"`;
  };
  return (
    [columns.map(cell).join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\r\n') +
    '\r\n'
  );
}

/** Whether an If-None-Match header names this ETag (a list, `*`, weak or strong: weak comparison, RFC 9110 13.1.2). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/** Whether this request asks for CSV (`format=csv` or an Accept naming text/csv). */
export function wantsCsv(request: FastifyRequest): boolean {
  return (request.query as { format?: string }).format === 'csv' || /text\/csv/.test(request.headers.accept ?? '');
}

/**
 * JSON or CSV with an ETag, ready to send (or to keep in the answer cache). The ETag is strong (a
 * hash of the bytes), or weak when `validator` is given: a hash of what the answer means. Trending
 * scores decay with every second, so their lists carry a weak ETag over the papers, their order and
 * counts, not the scores: it changes when the ranking does.
 */
export function render(
  request: FastifyRequest,
  body: unknown,
  csv?: { rows: Array<Record<string, unknown>>; columns: string[] },
  validator?: unknown,
): CachedAnswer {
  const asCsv = csv !== undefined && wantsCsv(request);
  const payload = asCsv ? toCsv(csv.rows, csv.columns) : JSON.stringify(body);
  const hashed = validator === undefined ? payload : `${asCsv ? 'csv' : 'json'}:${JSON.stringify(validator)}`;
  const etag = `${validator === undefined ? '' : 'W/'}"${createHash('sha256').update(hashed).digest('base64url').slice(0, 27)}"`;
  return {
    status: 200,
    contentType: asCsv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    payload,
    etag,
  };
}

/** Sends a rendered answer; a matching If-None-Match gets a 304 without a body. */
export function sendAnswer(request: FastifyRequest, reply: FastifyReply, answer: CachedAnswer) {
  if (answer.etag) {
    reply.header('etag', answer.etag).header('cache-control', 'no-cache').header('vary', 'accept');
    if (answer.status === 200 && matches(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
  }
  return reply.code(answer.status).type(answer.contentType).send(answer.payload);
}

/** Sends JSON or CSV with an ETag (see `render`); a matching If-None-Match gets a 304 without a body. */
export function send(
  request: FastifyRequest,
  reply: FastifyReply,
  body: unknown,
  csv?: { rows: Array<Record<string, unknown>>; columns: string[] },
  validator?: unknown,
) {
  return sendAnswer(request, reply, render(request, body, csv, validator));
}

/** What a page of papers says, but for the scores (which decay every second): its weak ETag's input. */
export const withoutScores = (page: { papers: ReadonlyArray<{ score: number }> } & Record<string, unknown>) => ({
  ...page,
  papers: page.papers.map(({ score: _score, ...paper }) => paper),
});
