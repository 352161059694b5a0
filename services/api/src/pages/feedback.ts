import { escapeHtml } from '@paperboy/mail';
import { page } from './layout.js';

/** The landing pages of the "more like this" / "less like this" links of digests. Titles are scraped text: escaped. */

const wants = (signal: 1 | -1) => (signal === 1 ? 'more' : 'fewer');
const quoted = (title: string) => `“${escapeHtml(title)}”`;
const preferencesLink = (preferencesToken: string) =>
  `<p><a href="/preferences?token=${encodeURIComponent(preferencesToken)}">Your preferences, and what paperboy learned about you</a></p>`;

/** The word was recorded (or was already the reader's word): Undo posts back with the same token. */
export function feedbackNoted(title: string, signal: 1 | -1, token: string, preferencesToken: string): string {
  return page(
    'Noted',
    `<p role="status">Noted: you want ${wants(signal)} papers like ${quoted(title)}.</p>
<p>Your next digests learn from it.</p>
<form method="post" action="/feedback/undo?token=${encodeURIComponent(token)}"><button type="submit">Undo</button></form>
${preferencesLink(preferencesToken)}`,
  );
}

/** After an undo (or an undo with nothing left to take back): the same link again. */
export function feedbackUndone(
  title: string | null,
  signal: 1 | -1,
  result: { undone: boolean; restored: 1 | -1 | null },
  token: string,
  preferencesToken: string,
): string {
  const redo = `<p><a href="/feedback?token=${encodeURIComponent(token)}">Redo: ${wants(signal)} papers like this</a></p>`;
  const about = title === null ? 'this paper' : quoted(title);
  const earlier =
    result.restored === null
      ? ''
      : ` Your earlier word stands again: you want ${wants(result.restored)} papers like it.`;
  return page(
    result.undone ? 'Undone' : 'Nothing to undo',
    `<p role="status">${
      result.undone
        ? `Undone: paperboy forgets that you want ${wants(signal)} papers like ${about}.${earlier}`
        : `Your word on ${about} is no longer “${wants(signal)}” (changed or taken back since), so nothing changed.`
    }</p>
${redo}
${preferencesLink(preferencesToken)}`,
  );
}

/**
 * Both links of a paper opened within a short time: what mail scanners do. Nothing is kept; a
 * person presses the button (scanners do not submit forms).
 */
export function feedbackAsk(title: string, signal: 1 | -1, token: string): string {
  return page(
    'Was this you?',
    `<p>Both the “more” and the “less” link of ${quoted(title)} were just opened, as the link scanners of some mail services do, so paperboy kept neither.</p>
<form method="post" action="/feedback?token=${encodeURIComponent(token)}"><button type="submit">Yes: ${wants(signal)} papers like this</button></form>`,
  );
}

/** The paper was merged into another or deleted since the digest went out. */
export const feedbackNoPaper = () =>
  page(
    'This paper is no longer here',
    '<p>The paper of this link was merged into another record or removed since your digest was sent, so nothing was recorded. Your next digest brings links to the papers as they are now.</p>',
  );

/**
 * The link opened while the scanner check cannot run (Redis unreachable): nothing is kept until a
 * person presses the button, which records (scanners do not submit forms).
 */
export function feedbackConfirm(title: string, signal: 1 | -1, token: string): string {
  return page(
    'Confirm',
    `<p>Do you want ${wants(signal)} papers like ${quoted(title)}?</p>
<form method="post" action="/feedback?token=${encodeURIComponent(token)}"><button type="submit">Yes: ${wants(signal)} papers like this</button></form>`,
  );
}
