import type { RedisClient } from '@paperboy/queue';

/**
 * Takes up to ARGV[1] mails from the current window of KEYS[1] (at most ARGV[2] a window of ARGV[3]
 * ms). Returns { granted, ms until the window ends }. One key, so it works on Redis Cluster too.
 */
const TAKE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if grant > 0 then
  redis.call('INCRBY', KEYS[1], grant)
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 and grant > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  ttl = tonumber(ARGV[3])
end
if grant < 0 then grant = 0 end
return { grant, ttl }
`;

/** Gives back up to ARGV[1] mails to the current window (mails taken and then not sent), never below zero. */
const GIVE_BACK = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local back = math.min(tonumber(ARGV[1]), used)
if back > 0 then redis.call('DECRBY', KEYS[1], back) end
return back
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * PAPERBOY_MAIL_PER_MINUTE, shared by every notifier process and counted in mails (not jobs: a
 * send-digests job carries a chunk of mails). A fixed window in Redis: each process takes the
 * mails it is about to send from the window's count and waits for the next window when it is
 * spent, so all processes together send at most `perWindow` mails a window (as BullMQ's own limiter
 * did for one-mail jobs). A send job takes its chunk's mails before claiming them, so deliveries
 * never wait for the limit while claimed.
 */
export class MailRateLimit {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly perWindow: number,
    private readonly windowMs = 60_000,
  ) {
    this.key = `${prefix}:mail-rate`;
  }

  /** Takes `mails` from the limit, waiting for as many windows as that needs. */
  async take(mails: number): Promise<void> {
    let taken = 0;
    while (taken < mails) {
      const [granted, ttl] = (await this.redis.eval(
        TAKE,
        1,
        this.key,
        mails - taken,
        this.perWindow,
        this.windowMs,
      )) as [number, number];
      taken += granted;
      if (taken < mails) await sleep(Math.max(ttl, 5));
    }
  }

  /** Returns mails taken and not sent (deliveries another worker had claimed) to the current window. */
  async giveBack(mails: number): Promise<void> {
    if (mails > 0) await this.redis.eval(GIVE_BACK, 1, this.key, mails);
  }
}
