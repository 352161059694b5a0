/**
 * The digest bench's SMTP sink: a lean smtp-server on 127.0.0.1 that drains each message without
 * parsing it and counts messages per recipient (`startCountingSmtpSink`, in this process, as the
 * digest-scale e2e test uses it). The bench runs it in a process of its own (so neither the notifier
 * nor the ceiling shares an event loop with it), started by `startSinkProcess` with an IPC
 * channel: it sends `{ port }` once listening and answers `{ type: 'count' }` with
 * `{ count, recipients, maxPerRecipient }`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';

interface SinkCount {
  count: number;
  recipients: number;
  maxPerRecipient: number;
}

export interface SinkProcess {
  url: string;
  pid: number;
  count(): Promise<SinkCount>;
  close(): Promise<void>;
}

/** Starts the sink in a child process and waits until it listens. */
export async function startSinkProcess(): Promise<SinkProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code}) before listening`)));
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    pid: child.pid!,
    count: () =>
      new Promise<SinkCount>((resolve) => {
        child.once('message', (m) => resolve(m as SinkCount));
        child.send({ type: 'count' });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A lean SMTP sink: drains each message without parsing it, counts messages per recipient. */
export async function startCountingSmtpSink(): Promise<{
  url: string;
  count: () => number;
  perRecipient: Map<string, number>;
  close: () => Promise<void>;
}> {
  let count = 0;
  const perRecipient = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // Pooled clients keep their connections: no limit on messages per connection.
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        count++;
        for (const rcpt of session.envelope.rcptTo)
          perRecipient.set(rcpt.address, (perRecipient.get(rcpt.address) ?? 0) + 1);
        callback();
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
    count: () => count,
    perRecipient,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function serve(): Promise<void> {
  const sink = await startCountingSmtpSink();
  process.send!({ port: Number(new URL(sink.url).port) });
  process.on('message', () => {
    let max = 0;
    for (const n of sink.perRecipient.values()) max = Math.max(max, n);
    process.send!({ count: sink.count(), recipients: sink.perRecipient.size, maxPerRecipient: max });
  });
  const exit = () => void sink.close().then(() => process.exit(0));
  process.on('SIGTERM', exit);
  process.on('disconnect', exit);
}

if (process.argv.includes('--serve')) await serve();
