import { escapeHtml } from '@paperboy/mail';
import { errorList, page, type TopicChoice, topicAndFrequencyFields } from './layout.js';

export interface PreferencesValues {
  topics: string[];
  frequency: string;
  sendHour: number;
  timeZone: string;
  minUpvotes: number;
  maxPapers: number;
}

/** The preferences page of a digest's signed link: the form, and the "Sign out every link" button. */
export function preferencesForm(
  token: string,
  topics: readonly TopicChoice[],
  values: PreferencesValues,
  message: string | null = null,
  errors: string[] = [],
): string {
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
<button type="submit">Save</button>
</form>
<form method="post" action="/preferences/sign-out?token=${encodeURIComponent(token)}">
<p>Forwarded a digest, or lost control of this mailbox? Make every link we sent so far stop working, this one included: your next digest brings new ones.</p>
<button type="submit">Sign out every link</button>
</form>`,
  );
}
