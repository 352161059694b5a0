import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * An SMTP server that takes a whole message and then holds its reply (the 250 after DATA) until
 * the test releases it: a send caught exactly mid-transaction, with no sleep involved. Messages
 * count as received when their data has arrived, as a real server would have them.
 */
export interface HeldSmtpServer {
  url: string;
  /** Recipients of every message whose data arrived, in order. */
  received: string[];
  /** Replies being held. */
  readonly held: number;
  /** Sends the held replies (250), and from now on replies at once. */
  release(): void;
  close(): Promise<void>;
}

export async function startHeldSmtpServer(): Promise<HeldSmtpServer> {
  const received: string[] = [];
  let waiting: Array<() => void> = [];
  let released = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 200, // close() ends held connections instead of waiting 30 s for them
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push(...session.envelope.rcptTo.map((rcpt) => rcpt.address));
        if (released) callback();
        else waiting.push(() => callback());
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    get held() {
      return waiting.length;
    },
    release() {
      released = true;
      for (const reply of waiting.splice(0)) reply();
    },
    close: () => {
      waiting = [];
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
