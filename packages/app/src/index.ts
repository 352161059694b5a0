// @paperboy/app builds what a paperboy process runs on, from the configuration: connections,
// queues, metrics, and the lifecycle that closes them. @paperboy/runtime runs it.

/** A process's shared connections, and the function that builds them from the configuration. */
export { type AppContext, type AppContextOptions, createAppContext } from './context.js';
