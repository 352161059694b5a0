import { escapeHtml } from '@paperboy/mail';

/** Server-rendered pages: plain HTML forms that work without JavaScript; every value escaped. */

/** The pages' one style block; the CSP allows it by its hash (app.ts), so it must stay constant. */
export const PAGE_STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#18181b}
fieldset{border:1px solid #d4d4d8;border-radius:.5rem;margin:1rem 0}label{display:inline-block;margin:.25rem .75rem .25rem 0}
input[type=email]{width:100%;padding:.5rem;font-size:1rem}button{padding:.5rem 1rem;font-size:1rem;margin-top:1rem}
.error{color:#b91c1c}`;

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · paperboy</title>
<style>${PAGE_STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export interface TopicChoice {
  id: string;
  label: string;
}

/** The topic checkboxes and the frequency choice, shared by the subscribe and preferences forms. */
function topicAndFrequencyFields(topics: readonly TopicChoice[], chosen: ReadonlySet<string>, frequency: string | undefined): string {
  return `<fieldset><legend>Topics (none: every topic)</legend>
${topics.map((t) => `<label><input type="checkbox" name="topics" value="${escapeHtml(t.id)}"${chosen.has(t.id) ? ' checked' : ''}> ${escapeHtml(t.label)}</label>`).join('\n')}
</fieldset>
<fieldset><legend>How often</legend>
<label><input type="radio" name="frequency" value="daily"${frequency !== 'weekly' ? ' checked' : ''}> Daily</label>
<label><input type="radio" name="frequency" value="weekly"${frequency === 'weekly' ? ' checked' : ''}> Weekly</label>
</fieldset>`;
}

export interface PreferencesValues {
  topics: string[];
  frequency: string;
  sendHour: number;
  timeZone: string;
  minUpvotes: number;
  maxPapers: number;
}

export function preferencesForm(token: string, topics: readonly TopicChoice[], values: PreferencesValues, message: string | null = null, errors: string[] = []): string {
  const chosen = new Set(values.topics);
  return page(
    'Your digest preferences',
    `${message ? `<p role="status">${escapeHtml(message)}</p>` : ''}${errors.length ? `<ul class="error" role="alert">${errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''}
<form method="post" action="/preferences?token=${encodeURIComponent(token)}">
${topicAndFrequencyFields(topics, chosen, values.frequency)}
<fieldset><legend>When and how much</legend>
<label>Hour <input name="sendHour" type="number" min="0" max="23" value="${values.sendHour}"></label>
<label>Time zone <input name="timeZone" value="${escapeHtml(values.timeZone)}"></label>
<label>At least <input name="minUpvotes" type="number" min="0" value="${values.minUpvotes}"> upvotes</label>
<label>At most <input name="maxPapers" type="number" min="1" max="100" value="${values.maxPapers}"> papers</label>
</fieldset>
<button type="submit">Save</button>
</form>
<form method="post" action="/preferences/sign-out?token=${encodeURIComponent(token)}">
<p>Forwarded a digest, or lost control of this mailbox? Make every link we sent so far stop working, this one included: your next digest brings new ones.</p>
<button type="submit">Sign out every link</button>
</form>`,
  );
}

export function subscribeForm(topics: readonly TopicChoice[], values: { email?: string; topics?: string[]; frequency?: string } = {}, errors: string[] = []): string {
  const chosen = new Set(values.topics ?? []);
  return page(
    'Get trending papers in your email inbox',
    `${errors.length ? `<ul class="error" role="alert">${errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''}
<form method="post" action="/subscribe">
<label for="email">Email address</label>
<input id="email" name="email" type="email" required autocomplete="email" value="${escapeHtml(values.email ?? '')}">
${topicAndFrequencyFields(topics, chosen, values.frequency)}
<button type="submit">Subscribe</button>
</form>`,
  );
}

export const checkInbox = () =>
  page('Check your inbox', '<p>If this address can receive our mail, a message with a confirmation link is on its way. Nothing is sent until you confirm.</p>');

export const confirmed = () => page('Subscription confirmed', '<p>You will receive your first digest when it is due.</p>');

export const tooManyRequests = () => page('Too many requests', '<p>Too many subscribe requests from your address. Please try again in a minute.</p>');
export const invalidLink = () => page('This link is not valid', '<p>The link is invalid or has expired. You can <a href="/subscribe">subscribe again</a>.</p>');

export function unsubscribeForm(token: string): string {
  return page(
    'Unsubscribe',
    `<p>Stop receiving paperboy digests at this address?</p>
<form method="post" action="/unsubscribe?token=${encodeURIComponent(token)}"><button type="submit">Unsubscribe</button></form>`,
  );
}

export const signedOut = () =>
  page('Every link is signed out', '<p>The links in the digests we sent you no longer work, this one included. Your subscription is unchanged: your next digest brings new links.</p>');

export const unsubscribed = () => page('You are unsubscribed', '<p>You will receive no more digests. <a href="/subscribe">Subscribe again</a> any time.</p>');
