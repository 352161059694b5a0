import { page } from './layout.js';

/** Where the signed links of mails land: confirmation, unsubscribe, sign-out, and a link that is no good. */

export const confirmed = () =>
  page('Subscription confirmed', '<p>You will receive your first digest when it is due.</p>');

export function confirmForm(token: string): string {
  return page(
    'Confirm your subscription',
    `<p>Receive paperboy digests at this address?</p>
<form method="post" action="/confirm?token=${encodeURIComponent(token)}"><button type="submit">Confirm</button></form>`,
  );
}

export const invalidLink = () =>
  page(
    'This link is not valid',
    '<p>The link is invalid or has expired. You can <a href="/subscribe">subscribe again</a>.</p>',
  );

export function unsubscribeForm(token: string): string {
  return page(
    'Unsubscribe',
    `<p>Stop receiving paperboy digests at this address?</p>
<form method="post" action="/unsubscribe?token=${encodeURIComponent(token)}"><button type="submit">Unsubscribe</button></form>`,
  );
}

export const unsubscribed = () =>
  page(
    'You are unsubscribed',
    '<p>You will receive no more digests. <a href="/subscribe">Subscribe again</a> any time.</p>',
  );

export const signedOut = () =>
  page(
    'Every link is signed out',
    '<p>The links in the digests we sent you no longer work, this one included. Your subscription is unchanged: your next digest brings new links.</p>',
  );
