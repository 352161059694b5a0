// The notifier's public surface: what a process needs to run it (its own main.ts, the CLI's `start`
// and `digest` commands) and what the end-to-end tests drive directly. Everything else in src/ is internal.

/** Adds the notifier's workers (digest planning and sending, confirmation mails) and its mail transport to a process. */
export { addNotifier } from './add-notifier.js';
/** The ranked candidate papers that digests are filled from, scored once and shared by the process's sends (`digest preview` fills one). */
export { DigestCandidates } from './candidates.js';

/** One subscriber's digest mail for a period, as sent (`paperboy digest preview` renders it). */
export { buildDigestMail, feedbackLinks } from './digest-mail.js';
/** The notifier's workers on explicit dependencies, for tests that run them without an `AppContext`. */
export { createNotifierWorkers, type NotifierDeps } from './notifier.js';
/** The digest planners' and the events' (webhook relay, retention) schedules, and their declaration on boot. */
export { digestSchedules, eventSchedules, syncDigestSchedulers, syncEventSchedulers } from './schedulers.js';
