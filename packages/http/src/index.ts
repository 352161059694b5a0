export * from './errors.js';
export { isPrivateAddress } from './address.js';
export { fetchPage, mediaType, type FetchSettings, type FetchedPage } from './fetch-page.js';
