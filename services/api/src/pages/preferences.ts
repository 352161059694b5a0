import { escapeHtml } from '@paperboy/mail';
import type { LearnedSummary } from '../reader/service.js';
import { errorList, page, type TopicChoice, topicAndFrequencyFields } from './layout.js';

export interface PreferencesValues {
  topics: string[];
  frequency: string;
  sendHour: number;
  timeZone: string;
  minUpvotes: number;
  maxPapers: number;
  followedAuthors: string[];
  keywords: string[];
  negativeKeywords: string[];
}

/** A list preference's textarea: one item a line. */
const listField = (name: string, label: string, hint: string, values: readonly string[]) =>
  `<label>${label} <small>(${hint})</small><br><textarea name="${name}" rows="4" cols="50">${escapeHtml(values.join('\n'))}</textarea></label>`;

const day = (iso: string) => iso.slice(0, 10);
const termList = (terms: LearnedSummary['termsFor']) =>
  terms.length ? terms.map((t) => escapeHtml(t.term)).join(', ') : 'nothing yet';

/** "What paperboy learned about you", and the button that clears it. */
function learnedSection(token: string, learned: LearnedSummary): string {
  const latest = learned.latest.length
    ? `<ul>${learned.latest
        .map((w) => `<li>${w.signal === 1 ? 'More' : 'Less'} like “${escapeHtml(w.title)}” (${day(w.givenAt)})</li>`)
        .join('')}</ul>`
    : '<p>No feedback yet: use the “more like this” and “less like this” links in your digests.</p>';
  return `<section><h2>What paperboy learned about you</h2>
<p>${learned.more} “more like this” and ${learned.less} “less like this”.</p>
${latest}
<p>Words that count most for a paper: ${termList(learned.termsFor)}.<br>
Words that count most against: ${termList(learned.termsAgainst)}.<br>
<small>Approximate: read from your model's weights for the words of the papers you rated.</small></p>
<form method="post" action="/preferences/clear-learned?token=${encodeURIComponent(token)}">
<button type="submit">Clear what paperboy learned</button>
</form></section>`;
}

/**
 * The preferences page of a digest's signed link: the form, what paperboy learned (with its clear
 * button), and the "Sign out every link" button.
 */
export function preferencesForm(
  token: string,
  topics: readonly TopicChoice[],
  values: PreferencesValues,
  options: {
    message?: string | null;
    errors?: string[];
    learned?: LearnedSummary | null;
    /** The reader's private feed per format (signed links). */
    feeds?: { rss: string; atom: string; json: string } | null;
  } = {},
): string {
  const { message = null, errors = [], learned = null, feeds = null } = options;
  const chosen = new Set(values.topics);
  return page(
    'Your digest preferences',
    `${message ? `<p role="status">${escapeHtml(message)}</p>` : ''}${errorList(errors)}
<form method="post" action="/preferences?token=${encodeURIComponent(token)}">
${topicAndFrequencyFields(topics, chosen, values.frequency)}
<fieldset><legend>When and how much</legend>
<label>Hour <input name="sendHour" type="number" min="0" max="23" value="${values.sendHour}"></label>
<label>Time zone <input name="timeZone" value="${escapeHtml(values.timeZone)}"></label>
<label>At least <input name="minUpvotes" type="number" min="0" value="${values.minUpvotes}"> upvotes</label>
<label>At most <input name="maxPapers" type="number" min="1" max="100" value="${values.maxPapers}"> papers</label>
</fieldset>
<fieldset><legend>Authors and keywords</legend>
${listField('followedAuthors', 'Authors you follow: their papers always qualify', 'one a line, or separated by semicolons', values.followedAuthors)}
${listField('keywords', 'Keywords: a paper that mentions one qualifies', 'one a line or comma-separated', values.keywords)}
${listField('negativeKeywords', 'Not: a paper that mentions one is left out (unless by an author you follow)', 'one a line or comma-separated', values.negativeKeywords)}
</fieldset>
<button type="submit">Save</button>
</form>
${learned ? learnedSection(token, learned) : ''}${feeds ? privateFeedSection(feeds) : ''}
<form method="post" action="/preferences/sign-out?token=${encodeURIComponent(token)}">
<p>Forwarded a digest, or lost control of this mailbox? Make every link we sent so far stop working, this one included: your next digest brings new ones.</p>
<button type="submit">Sign out every link</button>
</form>`,
  );
}

/** The reader's private feed: their personal ranking for a feed reader; the links are as secret as this page's. */
function privateFeedSection(feeds: { rss: string; atom: string; json: string }): string {
  return `<section><h2>Your private feed</h2>
<p>Your digest's ranking in a feed reader: <a href="${escapeHtml(feeds.rss)}">RSS</a>, <a href="${escapeHtml(feeds.atom)}">Atom</a>, <a href="${escapeHtml(feeds.json)}">JSON Feed</a>. Keep these links to yourself; "Sign out every link" below revokes them too.</p>
</section>`;
}
