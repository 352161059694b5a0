import { describe, expect, it } from 'vitest';
import { renderConfirmationMail } from './confirmation.js';

describe('confirmation mail', () => {
  it('carries the link in both parts, escaped in the HTML', () => {
    const confirmUrl = 'https://paperboy.example/confirm?token=a"b<c&d';
    const from = 'paperboy <digest@paperboy.example>';
    const mail = renderConfirmationMail({ from, to: 'reader@example.org', confirmUrl });
    expect(mail).toMatchObject({ from, to: 'reader@example.org', subject: 'Confirm your paperboy subscription' });
    expect(mail.text).toContain(`\n${confirmUrl}\n`);
    expect(mail.html).toContain('href="https://paperboy.example/confirm?token=a&quot;b&lt;c&amp;d"');
    expect(mail.html).not.toContain(confirmUrl);
  });
});
