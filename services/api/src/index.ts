export { buildApi, type ApiDeps } from './app.js';
