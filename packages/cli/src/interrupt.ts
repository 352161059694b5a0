/** Whether Ctrl-C (or SIGTERM) stopped this command; kept apart from run-ingest so that main.ts reads it without loading the pipeline. */
let interrupted = false;

/** Whether Ctrl-C stopped this command: what fails after it is the stop's doing, and the signal handler says so and exits. */
export const wasInterrupted = (): boolean => interrupted;

/** Records the first Ctrl-C; returns whether one had already come (a second signal exits at once). */
export function markInterrupted(): boolean {
  const already = interrupted;
  interrupted = true;
  return already;
}
