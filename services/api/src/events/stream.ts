import type { ServerResponse } from 'node:http';
import {
  positionAfter as after,
  type EventFilter,
  type EventPosition,
  type EventRepository,
  formatPosition,
  type StoredEvent,
} from '@paperboy/db';
import { envelopeOf } from '@paperboy/pipeline';

/** One Server-Sent Events message: the position as its id (what Last-Event-ID resumes from), the type as its event name. */
export function sseMessage(event: StoredEvent): string {
  return `id: ${formatPosition(event.position)}\nevent: ${event.type}\ndata: ${JSON.stringify(envelopeOf(event))}\n\n`;
}

const passes = (event: StoredEvent, filter: EventFilter) =>
  (!filter.types?.length || filter.types.includes(event.type)) &&
  (!filter.topics?.length || event.paperId === null || event.topics.some((t) => filter.topics!.includes(t)));

/** Batches a client behind reads per tick before the others' turn (the next tick follows at once). */
const CATCH_UP_BATCHES = 4;

interface Client {
  res: ServerResponse;
  filter: EventFilter;
  /** The last position this client has been given (or passed over by its filter). */
  position: EventPosition;
  /** Still reading its own way up to the hub's position (a resume, or a start just before the hub's last poll). */
  catchingUp: boolean;
}

export interface EventHubOptions {
  /** How often the outbox is read while clients are connected (ms). */
  pollMs?: number;
  /** How often a comment line keeps idle connections open through proxies (ms). */
  heartbeatMs?: number;
  /** Events read per query. */
  batch?: number;
  /** A client whose unsent output exceeds this many bytes is dropped (it resumes with Last-Event-ID). */
  maxBufferedBytes?: number;
  onError?: (error: unknown) => void;
}

/**
 * The live stream's one poller per process. While any client is connected it reads the outbox once
 * per tick from its own position (every type, every topic) and hands each live client what passes
 * that client's filter: one query a tick whatever the number of clients. A client that starts behind
 * (a Last-Event-ID resume, or a start between two polls) reads its own way forward with its filter in
 * SQL until it reaches the hub's position, then joins the shared feed. Positions only ever appear in
 * order (the outbox reads only settled events), so nothing is sent twice or skipped on the way.
 */
export class EventHub {
  private readonly clients = new Set<Client>();
  private position: EventPosition | undefined;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly batch: number;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly events: EventRepository,
    private readonly options: EventHubOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 750;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.batch = options.batch ?? 500;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1_048_576;
  }

  get size(): number {
    return this.clients.size;
  }

  /** The outbox's head: where a client without Last-Event-ID starts. */
  head(): Promise<EventPosition> {
    return this.events.head();
  }

  /** Adds a client whose headers are sent; it receives events after `from`. Removed when its connection closes. */
  add(res: ServerResponse, filter: EventFilter, from: EventPosition): void {
    const client: Client = { res, filter, position: from, catchingUp: true };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    this.start();
  }

  /** Ends every stream and stops polling: the server is closing (clients reconnect elsewhere and resume). */
  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    await this.ticking;
  }

  private start(): void {
    if (this.timer || this.closed) return;
    const loop = () => {
      let behind = false;
      this.ticking = this.tick()
        .then((more) => {
          behind = more;
        })
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.ticking = undefined;
          if (this.clients.size === 0 || this.closed) return this.stop();
          // A client still catching up goes on at once; the others wait for new events.
          this.timer = setTimeout(loop, behind ? 0 : this.pollMs);
        });
    };
    this.timer = setTimeout(loop, 0);
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) this.write(client, ': keep-alive\n\n');
    }, this.heartbeatMs);
  }

  private stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
    // Read the head again when clients come back: nobody needed the events in between.
    this.position = undefined;
  }

  /** One poll: the shared feed, then each client behind; true when a client is still behind after it. */
  private async tick(): Promise<boolean> {
    this.position ??= await this.events.head();
    // The shared feed: everything after the hub's position, in order, as many batches as there are.
    for (;;) {
      const events = await this.events.after(this.position, {}, this.batch);
      for (const event of events) {
        for (const client of this.clients) {
          if (client.catchingUp || !after(event.position, client.position)) continue;
          client.position = event.position;
          if (passes(event, client.filter)) this.write(client, sseMessage(event));
        }
        this.position = event.position;
      }
      if (events.length < this.batch || this.closed) break;
    }
    const hub = this.position;
    for (const client of this.clients) if (!client.catchingUp && after(hub, client.position)) client.position = hub;
    // Clients behind: their own filtered reads, up to the hub's position (what lies beyond it the shared feed brings).
    // A few batches each per tick, so one client far behind does not hold up the live feed of the others.
    let behind = false;
    for (const client of [...this.clients].filter((c) => c.catchingUp)) {
      for (let n = 0; n < CATCH_UP_BATCHES && client.catchingUp && !this.closed; n++) {
        // Read on only while the client keeps up: its unsent output stays small, and it is never dropped for a catch-up.
        if (client.res.writableLength > this.maxBufferedBytes / 4) break;
        const events = await this.events.after(client.position, client.filter, this.batch);
        const upToHub = events.filter((e) => !after(e.position, hub));
        for (const event of upToHub) this.write(client, sseMessage(event), false);
        if (upToHub.length === events.length && events.length === this.batch) {
          client.position = events[events.length - 1]!.position; // a full batch, all behind the hub: more to read
        } else if (after(client.position, hub)) {
          // It started past the hub's position (a head read after the hub's last poll): the shared feed gets there.
          client.catchingUp = false;
        } else {
          client.position = hub;
          client.catchingUp = false;
        }
      }
      // Still behind and reading fast enough: the next tick follows at once (a slow reader waits for the next poll).
      if (client.catchingUp && this.clients.has(client) && client.res.writableLength <= this.maxBufferedBytes / 4)
        behind = true;
    }
    return behind;
  }

  /** Writes to one client; one that cannot keep up with the live feed is dropped rather than buffered without end. */
  private write(client: Client, text: string, mayDrop = true): void {
    if (client.res.writableEnded || client.res.destroyed) return;
    client.res.write(text);
    if (mayDrop && client.res.writableLength > this.maxBufferedBytes) {
      this.clients.delete(client);
      client.res.end();
    }
  }
}
