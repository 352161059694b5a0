import type { AddressInfo, Socket } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/**
 * A real SMTP server on 127.0.0.1 for tests (not exported from the package): it records every
 * connection and message, and can answer RCPT TO or DATA with an error reply.
 */
export interface ReceivedMail {
  raw: Buffer;
  parsed: ParsedMail;
  mailFrom: string | null;
  rcptTo: string[];
}

export interface SmtpReply {
  responseCode: number;
  message: string;
}

export interface SmtpTestServer {
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Connections opened so far. */
  readonly connections: number;
  /** Messages whose DATA was received and left unanswered (`stallData`). */
  readonly stalled: number;
  /** Cuts every open connection, without a reply: as a server that crashes mid-transaction. */
  dropConnections(): void;
  close(): Promise<void>;
}

export interface SmtpTestServerOptions {
  rejectRcpt?: SmtpReply;
  rejectData?: SmtpReply;
  /** Reject only the first N recipients / messages (then accept), e.g. a 451 followed by success. */
  rejectTimes?: number;
  /**
   * Never answer the DATA of the first N messages (nothing recorded): the client is left inside its
   * SMTP transaction, as with a server that hangs, e.g. to kill a sender mid-send.
   */
  stallData?: number;
}

function replyError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.responseCode });
}

function addressOf(address: SMTPServerAddress | false): string | null {
  return address ? address.address : null;
}

export async function startSmtpTestServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const messages: ReceivedMail[] = [];
  let connections = 0;
  let rejected = 0;
  let stalled = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onRcptTo(_address, _session, callback) {
      const reject = options.rejectRcpt && (options.rejectTimes === undefined || rejected++ < options.rejectTimes);
      callback(reject ? replyError(options.rejectRcpt!) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stalled < (options.stallData ?? 0)) {
          stalled += 1;
          return;
        }
        if (options.rejectData) {
          callback(replyError(options.rejectData));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            messages.push({
              raw,
              parsed,
              mailFrom: addressOf(session.envelope.mailFrom),
              rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get connections() {
      return connections;
    },
    get stalled() {
      return stalled;
    },
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A header exactly as sent (unfolded), looked up in the raw header lines; `undefined` when absent. */
export function rawHeader(parsed: ParsedMail, name: string): string | undefined {
  const line = parsed.headerLines.find((header) => header.key === name.toLowerCase())?.line;
  return line
    ?.slice(line.indexOf(':') + 1)
    .replace(/\r?\n/g, '')
    .trim();
}
