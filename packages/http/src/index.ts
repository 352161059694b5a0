export { type AddressClass, classifyAddress, type EmbeddingForm, isPrivateAddress } from './address.js';
export * from './errors.js';
export {
  type ConditionalRequest,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  type FetchedPage,
  type FetchSettings,
  fetchPage,
  mediaType,
} from './fetch-page.js';
export {
  type AcquireResult,
  HostLimiter,
  type HostLimiterOptions,
  type HostLimits,
  type HostRefusal,
  type HostSlot,
} from './host-limiter.js';
export { type PostAnswer, type PostSettings, postJson } from './post-json.js';
export {
  backoffWithJitter,
  DEFAULT_THROTTLE_PAUSE_MS,
  MAX_HOST_PAUSE_MS,
  type RetryDecision,
  type RetryPolicy,
  retryDecision,
} from './retry.js';
export {
  capCrawlDelay,
  DEFAULT_MAX_CRAWL_DELAY_MS,
  parseRobotsTxt,
  productToken,
  RobotsCache,
  type RobotsCacheOptions,
  type RobotsCheckOptions,
  type RobotsOutcome,
  type RobotsRule,
  type RobotsRules,
  type RobotsVerdict,
  robotsAllows,
} from './robots.js';
