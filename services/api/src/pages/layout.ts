import { escapeHtml } from '@paperboy/mail';
import type { FastifyReply } from 'fastify';

/** Server-rendered pages: plain HTML forms that work without JavaScript; every value escaped. */

/**
 * The pages' one style block: the CSP allows it by its hash (plugins/security-headers.ts), so it
 * must stay constant.
 */
export const PAGE_STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#18181b}
fieldset{border:1px solid #d4d4d8;border-radius:.5rem;margin:1rem 0}label{display:inline-block;margin:.25rem .75rem .25rem 0}
input[type=email]{width:100%;padding:.5rem;font-size:1rem}button{padding:.5rem 1rem;font-size:1rem;margin-top:1rem}
.error{color:#b91c1c}`;

/** A page; `head`: more of its head, already escaped (the subscribe page's feed links). */
export function page(title: string, body: string, head = ''): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · paperboy</title>${head}
<style>${PAGE_STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** Answers with a page. */
export const html = (reply: FastifyReply, status: number, body: string) =>
  reply.code(status).type('text/html; charset=utf-8').send(body);

export interface TopicChoice {
  id: string;
  label: string;
}

/** A form's problems, one item each (nothing when there are none). */
export const errorList = (errors: readonly string[]): string =>
  errors.length ? `<ul class="error" role="alert">${errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : '';

/** The topic checkboxes and the frequency choice, shared by the subscribe and preferences forms. */
export function topicAndFrequencyFields(
  topics: readonly TopicChoice[],
  chosen: ReadonlySet<string>,
  frequency: string | undefined,
): string {
  return `<fieldset><legend>Topics (none: every topic)</legend>
${topics.map((t) => `<label><input type="checkbox" name="topics" value="${escapeHtml(t.id)}"${chosen.has(t.id) ? ' checked' : ''}> ${escapeHtml(t.label)}</label>`).join('\n')}
</fieldset>
<fieldset><legend>How often</legend>
<label><input type="radio" name="frequency" value="daily"${frequency !== 'weekly' ? ' checked' : ''}> Daily</label>
<label><input type="radio" name="frequency" value="weekly"${frequency === 'weekly' ? ' checked' : ''}> Weekly</label>
</fieldset>`;
}
