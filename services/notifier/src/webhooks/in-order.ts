/**
 * Sends a batch of events with up to `concurrency` in flight, the events of one key (a paper) strictly
 * one after another in batch order. At the first failure no further event is started (the endpoint
 * is failing: back off); those in flight finish. Returns how many events at the head of the batch
 * were all accepted: the endpoint's position may move through them and no further, so a retry starts
 * again at the first failure (events after it already accepted are sent again: at least once).
 */
export async function sendInOrder<E>(
  events: readonly E[],
  options: { concurrency: number; keyOf: (event: E) => string; send: (event: E) => Promise<boolean> },
): Promise<{ prefix: number; accepted: number; failed: number }> {
  const outcome: Array<boolean | undefined> = new Array(events.length);
  const pending: number[] = events.map((_, i) => i);
  const busy = new Set<string>();
  let stopped = false;
  let accepted = 0;
  let failed = 0;

  /** The first pending event whose key is idle and has no earlier pending event (its turn). */
  const nextReady = (): number | undefined => {
    const passed = new Set<string>();
    for (let at = 0; at < pending.length; at++) {
      const key = options.keyOf(events[pending[at]!]!);
      if (!busy.has(key) && !passed.has(key)) return pending.splice(at, 1)[0];
      passed.add(key);
    }
    return undefined;
  };

  await new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    const pump = () => {
      while (!stopped && inFlight < options.concurrency) {
        const index = nextReady();
        if (index === undefined) break;
        const key = options.keyOf(events[index]!);
        busy.add(key);
        inFlight++;
        options.send(events[index]!).then(
          (ok) => {
            outcome[index] = ok;
            if (ok) accepted++;
            else {
              failed++;
              stopped = true;
            }
            busy.delete(key);
            inFlight--;
            pump();
          },
          (error: unknown) => {
            stopped = true;
            reject(error);
          },
        );
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });

  let prefix = 0;
  while (prefix < events.length && outcome[prefix] === true) prefix++;
  return { prefix, accepted, failed };
}
