import { createHash, randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export interface HostLimits {
  /** Requests to the host in flight at once, across every process sharing Redis (≥ 1). */
  concurrency: number;
  /** Least time between the starts of two requests to the host (≥ 0). */
  minDelayMs: number;
}

export type HostSlot = { ok: true; release(): Promise<void> };
export type HostRefusal = { ok: false; waitMs: number; reason: 'busy' | 'delay' | 'paused' };
export type AcquireResult = HostSlot | HostRefusal;

export interface HostLimiterOptions {
  /** One Redis server or a Redis Cluster (every command here touches keys of one slot). */
  redis: Redis | Cluster;
  /** Key prefix; a host's keys are `<prefix>:host:{<host>}:slots|last|pause`. */
  prefix: string;
  /** How long a granted slot lasts if never released (a crashed process). Keep it above the fetch timeout. Default 2 min. */
  leaseMs?: number;
  /** The wait suggested when every slot is taken (a release may come at any moment). Default 1 s. */
  busyRetryMs?: number;
  /** The clock, in ms; by default Redis's own (TIME), which every process shares. Tests pass a fake one. */
  now?: () => number;
}

/** Garbage collection only: keys outlive what they record by this much, so a late reader still sees them. */
const KEY_GRACE_MS = 60_000;

const CLOCK = `
if redis.replicate_commands then redis.replicate_commands() end -- Redis < 5: TIME before writes
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * KEYS: slots (zset token → lease expiry), last start, paused-until.
 * ARGV: now ('' = Redis TIME), concurrency, minDelayMs, leaseMs, token, busyRetryMs, graceMs.
 * Returns {1, 'ok', 0} or {0, reason, waitMs}. One script, so check-and-take is atomic across processes.
 */
const ACQUIRE = `${CLOCK}
local concurrency = tonumber(ARGV[2])
local minDelay = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local busyRetry = tonumber(ARGV[6])
local grace = tonumber(ARGV[7])

local pausedUntil = tonumber(redis.call('GET', KEYS[3]) or '')
if pausedUntil ~= nil and pausedUntil > now then
  return {0, 'paused', pausedUntil - now}
end

local delayLeft = 0
local last = tonumber(redis.call('GET', KEYS[2]) or '')
if last ~= nil and now - last < minDelay then delayLeft = minDelay - (now - last) end

-- Leases past their expiry belong to holders that never released them: drop them.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= concurrency then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local untilFree = math.min(tonumber(first[2]) - now, busyRetry)
  return {0, 'busy', math.max(1, untilFree, delayLeft)}
end
if delayLeft > 0 then
  return {0, 'delay', delayLeft}
end

redis.call('ZADD', KEYS[1], string.format('%.0f', now + lease), ARGV[5])
if redis.call('PTTL', KEYS[1]) < lease + grace then redis.call('PEXPIRE', KEYS[1], lease + grace) end
redis.call('SET', KEYS[2], string.format('%.0f', now), 'PX', minDelay + grace)
return {1, 'ok', 0}
`;

/** KEYS: paused-until. ARGV: now, ms, graceMs. Extends a pause, never shortens one. Returns the ms paused from now. */
const PAUSE = `${CLOCK}
local untilMs = now + tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '')
if current == nil or untilMs > current then
  redis.call('SET', KEYS[1], string.format('%.0f', untilMs), 'PX', tonumber(ARGV[2]) + tonumber(ARGV[3]))
  return untilMs - now
end
return current - now
`;

/** KEYS: paused-until. ARGV: now. Returns ms left of the pause, 0 when none. */
const PAUSED_FOR = `${CLOCK}
local current = tonumber(redis.call('GET', KEYS[1]) or '')
if current == nil or current <= now then return 0 end
return current - now
`;

/** A Lua script run by its SHA1, loaded on first use (or after a SCRIPT FLUSH / restart). */
class LuaScript {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis | Cluster, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error as Error).message?.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

const acquireScript = new LuaScript(ACQUIRE);
const pauseScript = new LuaScript(PAUSE);
const pausedForScript = new LuaScript(PAUSED_FOR);

/**
 * Per-host politeness shared by every process using the same Redis and prefix: at most
 * `concurrency` requests in flight to a host, at least `minDelayMs` between two starts, and a
 * host-wide pause (after a 429/503 Retry-After). It never sleeps: `acquire` grants a slot or
 * says how long to wait, so a job can be delayed instead of holding a worker.
 */
export class HostLimiter {
  private readonly leaseMs: number;
  private readonly busyRetryMs: number;

  constructor(private readonly options: HostLimiterOptions) {
    this.leaseMs = options.leaseMs ?? 120_000;
    this.busyRetryMs = options.busyRetryMs ?? 1000;
  }

  async acquire(host: string, limits: HostLimits): Promise<AcquireResult> {
    const { concurrency, minDelayMs } = limits;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError(`concurrency must be an integer ≥ 1, got ${concurrency}`);
    if (!Number.isFinite(minDelayMs) || minDelayMs < 0)
      throw new RangeError(`minDelayMs must be ≥ 0, got ${minDelayMs}`);
    const keys = this.keys(host);
    const token = randomUUID();
    const [granted, reason, waitMs] = (await acquireScript.run(
      this.options.redis,
      [keys.slots, keys.last, keys.pause],
      [this.clock(), concurrency, Math.round(minDelayMs), this.leaseMs, token, this.busyRetryMs, KEY_GRACE_MS],
    )) as [number, string, number];
    if (granted !== 1) return { ok: false, reason: reason as HostRefusal['reason'], waitMs };
    let released = false;
    return {
      ok: true,
      release: async () => {
        if (released) return;
        released = true;
        // Removes only this holder's token: harmless if the lease already expired and was taken.
        await this.options.redis.zrem(keys.slots, token);
      },
    };
  }

  /** Pause the host for every process for `ms` from now (after a 429/503 Retry-After); an existing longer pause stands. */
  async pause(host: string, ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0) return;
    await pauseScript.run(this.options.redis, [this.keys(host).pause], [this.clock(), Math.round(ms), KEY_GRACE_MS]);
  }

  /** Milliseconds left of the host's pause, 0 when it is not paused. */
  async pausedFor(host: string): Promise<number> {
    return Number(await pausedForScript.run(this.options.redis, [this.keys(host).pause], [this.clock()]));
  }

  private clock(): string {
    return this.options.now ? String(Math.round(this.options.now())) : '';
  }

  private keys(host: string) {
    // The hash tag keeps a host's keys in one cluster slot, as a multi-key script requires.
    const base = `${this.options.prefix}:host:{${normalizeHost(host)}}`;
    return { slots: `${base}:slots`, last: `${base}:last`, pause: `${base}:pause` };
  }
}

/** Hosts compare case-insensitively and without a trailing dot. */
function normalizeHost(host: string): string {
  const clean = host.trim().toLowerCase().replace(/\.$/, '');
  if (!clean || /[{}\s]/.test(clean)) throw new RangeError(`not a host name: "${host}"`);
  return clean;
}
