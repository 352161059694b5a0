import { EVENT_TYPES } from '@paperboy/pipeline';

/** Where the dashboard's script is served (a file from here: the CSP allows no inline script). */
export const DASHBOARD_SCRIPT_PATH = '/dashboard/live.js';

/** Least time between two re-fetches of the page's data, and how long events are gathered before one (ms). */
export const REFRESH_MIN_MS = 5000;
export const REFRESH_DEBOUNCE_MS = 1500;

/**
 * The dashboard's one script: it opens the live stream (/api/events) and, as events arrive, lists
 * them at the top (text only: every value goes through textContent) and re-fetches the page to swap
 * in its data section, at most every REFRESH_MIN_MS. Without JavaScript the page is as before.
 */
export const DASHBOARD_SCRIPT = `'use strict';
(function () {
  var TYPES = ${JSON.stringify(EVENT_TYPES)};
  var indicator = document.getElementById('live');
  var list = document.getElementById('live-events');
  if (!indicator || !list) return;
  if (typeof EventSource === 'undefined') {
    indicator.textContent = 'Live updates: not supported by this browser (reload to refresh).';
    return;
  }
  function state(text, name) {
    indicator.textContent = text;
    indicator.setAttribute('data-state', name);
  }
  var lastRefresh = 0;
  var timer = null;
  function refresh() {
    timer = null;
    lastRefresh = Date.now();
    fetch(location.pathname, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('dashboard-data');
        var current = document.getElementById('dashboard-data');
        if (fresh && current) current.replaceWith(document.adoptNode(fresh));
        document.body.setAttribute('data-refreshed', String(Date.now()));
      })
      .catch(function (error) {
        state('Live: the page could not be refreshed (' + error.message + '); retrying with the next event.', 'error');
      });
  }
  function scheduleRefresh() {
    if (timer) return;
    var wait = Math.max(${REFRESH_DEBOUNCE_MS}, lastRefresh + ${REFRESH_MIN_MS} - Date.now());
    timer = setTimeout(refresh, wait);
  }
  function summary(envelope) {
    var d = envelope.data || {};
    if (d.paper && d.paper.title) return d.paper.title;
    if (d.source) return d.source + (d.to ? ': ' + d.to : '');
    if (d.periodKey) return d.frequency + ' ' + d.periodKey;
    return '';
  }
  function show(message) {
    var envelope;
    try {
      envelope = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    var item = document.createElement('li');
    item.className = 'live-event';
    item.textContent = new Date(envelope.occurredAt).toISOString().slice(11, 19) + ' ' + envelope.type + ' ' + summary(envelope);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 20) list.removeChild(list.lastChild);
    scheduleRefresh();
  }
  var source = new EventSource('/api/events');
  source.onopen = function () {
    state('Live: updating as events arrive.', 'open');
  };
  source.onerror = function () {
    state(source.readyState === EventSource.CLOSED ? 'Live updates stopped (reload to try again).' : 'Live: reconnecting…', 'reconnecting');
  };
  for (var i = 0; i < TYPES.length; i++) source.addEventListener(TYPES[i], show);
})();
`;
