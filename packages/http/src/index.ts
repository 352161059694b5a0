export * from './errors.js';
export { isPrivateAddress, classifyAddress, type AddressClass, type EmbeddingForm } from './address.js';
export {
  fetchPage,
  mediaType,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  type ConditionalRequest,
  type FetchSettings,
  type FetchedPage,
} from './fetch-page.js';
export { retryDecision, backoffWithJitter, MAX_HOST_PAUSE_MS, DEFAULT_THROTTLE_PAUSE_MS, type RetryDecision, type RetryPolicy } from './retry.js';
export {
  RobotsCache,
  parseRobotsTxt,
  capCrawlDelay,
  DEFAULT_MAX_CRAWL_DELAY_MS,
  robotsAllows,
  productToken,
  type RobotsCacheOptions,
  type RobotsCheckOptions,
  type RobotsVerdict,
  type RobotsOutcome,
  type RobotsRules,
  type RobotsRule,
} from './robots.js';
export { HostLimiter, type HostLimiterOptions, type HostLimits, type AcquireResult, type HostSlot, type HostRefusal } from './host-limiter.js';
