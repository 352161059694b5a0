import { escapeHtml } from '@paperboy/mail';
import { errorList, page, type TopicChoice, topicAndFrequencyFields } from './layout.js';

/** The subscribe form (`GET /subscribe`), again with the visitor's values and problems after a bad post. */
export function subscribeForm(
  topics: readonly TopicChoice[],
  values: { email?: string; topics?: string[]; frequency?: string } = {},
  errors: string[] = [],
): string {
  const chosen = new Set(values.topics ?? []);
  return page(
    'Get trending papers in your email inbox',
    `${errorList(errors)}
<form method="post" action="/subscribe">
<label for="email">Email address</label>
<input id="email" name="email" type="email" required autocomplete="email" value="${escapeHtml(values.email ?? '')}">
${topicAndFrequencyFields(topics, chosen, values.frequency)}
<button type="submit">Subscribe</button>
</form>`,
    topicFeedLinks(topics),
  );
}

/** Feed discovery: a feed reader given this page's address finds each topic's feed (services/api/src/feeds). */
function topicFeedLinks(topics: readonly TopicChoice[]): string {
  return topics
    .map(
      (t) =>
        `\n<link rel="alternate" type="application/rss+xml" title="${escapeHtml(`paperboy: trending in ${t.label}`)}" href="/feeds/topics/${encodeURIComponent(t.id)}.rss">`,
    )
    .join('');
}

/** After a subscribe post: the same words whatever the address's state. */
export const checkInbox = () =>
  page(
    'Check your inbox',
    '<p>If this address can receive our mail, a message with a confirmation link is on its way. Nothing is sent until you confirm.</p>',
  );

/** The page of a person over a per-client limit (`what`: "subscribe requests", "feedback clicks"). */
export const tooManyRequests = (what: string) =>
  page('Too many requests', `<p>Too many ${what} from your address. Please try again in a minute.</p>`);
