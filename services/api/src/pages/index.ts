/** Every server-rendered page of the API: plain HTML, no script, every value escaped. */
export { page, PAGE_STYLE, type TopicChoice } from './layout.js';
export { checkInbox, subscribeForm, tooManyRequests } from './subscribe.js';
export { preferencesForm, type PreferencesValues } from './preferences.js';
export { confirmed, invalidLink, signedOut, unsubscribeForm, unsubscribed } from './links.js';
export { DASHBOARD_STYLE, dashboardPage, lineChart, stuckDigestsLine, topicSeries, type DashboardData } from './dashboard.js';
