import type { Config } from '@paperboy/config';

/** Whether a URL's host can only be this machine (localhost, *.localhost, 127.0.0.0/8, ::1). */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Why the links in mails (PAPERBOY_PUBLIC_URL) cannot reach this server, or null: a loopback host
 * names this machine, so a port other than the one listened on is someone else (or no one). Any other
 * host may be a proxy in front, which this process cannot check; but a path under it would break the
 * pages' own root-relative forms and links (a sub-path behind a proxy is not supported).
 */
export function publicUrlProblem(publicUrl: string, listeningPort: number): string | null {
  const url = new URL(publicUrl);
  const path = url.pathname.replace(/\/+$/, '');
  if (path !== '')
    return (
      `PAPERBOY_PUBLIC_URL=${publicUrl} has a path (${path}): the links in mails carry it, but the pages' own ` +
      `forms and links (Undo, Redo, Save, preferences) are root-relative; serve the API at the root of a host`
    );
  if (!isLoopbackHost(url.hostname)) return null;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (port === listeningPort) return null;
  return (
    `PAPERBOY_PUBLIC_URL=${publicUrl} is port ${port} of this machine but the API listens on port ${listeningPort}: ` +
    `links in mails will not reach it (set PAPERBOY_PUBLIC_URL=${url.protocol}//${url.hostname}:${listeningPort}, or PORT=${port})`
  );
}

/** The startup log's fields: where the API listens, what its links point at, and where mail goes. */
export function startupSummary(config: Config, listeningPort: number) {
  return {
    listening: `http://${config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host}:${listeningPort}`,
    publicUrl: config.mail.publicUrl,
    // The notifier sends the confirmation mails this API queues; without SMTP_URL it writes them here.
    mail: config.mail.smtpUrl ? 'SMTP (SMTP_URL)' : `outbox ${config.mail.outboxDir}`,
  };
}
