/** How the console writes durations, times, states and causes. */
import { h } from './dom.js';

/** The five freshness states, worst first (the order GET /v3/freshness lists tables in). */
export const STATES = ['STALE', 'WARN', 'UNKNOWN', 'PAUSED', 'FRESH'];

/** The colour of each freshness state, for the graph (the page's chips take theirs from styles.css). */
export const STATE_COLOURS = {
  FRESH: '#1a7f37',
  WARN: '#bf8700',
  STALE: '#cf222e',
  UNKNOWN: '#8c959f',
  PAUSED: '#0969da',
};

/** `1 d 3 h`, `2 h 5 m`, `45 s`: the two largest units, enough to compare against a target. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.round(Math.abs(seconds));
  const parts = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ]) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(' ');
}

/** How long something took from `startIso` to `endIso`: `85 ms`, `2 m 5 s`; `—` unless both are known. */
export function elapsed(startIso, endIso) {
  if (!startIso || !endIso) return '—';
  const ms = Date.parse(endIso) - Date.parse(startIso);
  return ms < 1000 ? `${Math.max(ms, 0)} ms` : duration(ms / 1000);
}

const pad = (n) => String(n).padStart(2, '0');

/** `2024-06-01 10:00:00` in the browser's time zone; the ISO instant is in the element's title. */
export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `5 m ago`, `in 3 m`. */
export function relative(iso, now = Date.now()) {
  if (!iso) return '—';
  const seconds = (Date.parse(iso) - now) / 1000;
  if (Number.isNaN(seconds)) return iso;
  if (Math.abs(seconds) < 1) return 'now';
  return seconds < 0 ? `${duration(-seconds)} ago` : `in ${duration(seconds)}`;
}

/** A time element: relative text, the full date and time on hover. */
export function when(iso, { absolute = false } = {}) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: `${dateTime(iso)} (${iso})` }, absolute ? dateTime(iso) : relative(iso));
}

/** A coloured freshness chip. */
export function chip(state) {
  const known = STATES.includes(state) ? state : 'UNKNOWN';
  return h('span', { class: `chip state-${known}`, dataset: { state: state ?? 'UNKNOWN' } }, state ?? 'UNKNOWN');
}

/** A refresh or job state in its colour (SUCCEEDED green, FAILED red, the rest neutral). */
export function runState(state) {
  const tone = {
    SUCCEEDED: 'ok',
    FAILED: 'bad',
    UPSTREAM_FAILED: 'bad',
    BLOCKED: 'bad',
    RUNNING: 'busy',
    PENDING: 'busy',
    WAITING: 'busy',
  }[state];
  return h('span', { class: `run run-${tone ?? 'other'}` }, state ?? '—');
}

/** What the freshness monitor says is wrong, in its own words. */
export function causeText(cause) {
  if (!cause) return '';
  return cause.message ?? cause.kind ?? '';
}

/** The part of a dotted identifier after the last dot: `default.main.orders` → `orders`. */
export function shortName(identifier) {
  const dot = identifier.lastIndexOf('.');
  return dot < 0 ? identifier : identifier.slice(dot + 1);
}

/** The route of a table's page. */
export function tableHref(identifier) {
  return `#/tables/${encodeURIComponent(identifier)}`;
}

/** Seconds in a freshness text: `INTERVAL '5' MINUTE` → 300; null when it does not read as one. */
export function freshnessSeconds(text) {
  const match = /INTERVAL\s+'(\d+)'\s+(SECOND|MINUTE|HOUR|DAY)/i.exec(text ?? '');
  if (!match) return null;
  const unit = { SECOND: 1, MINUTE: 60, HOUR: 3600, DAY: 86400 }[match[2].toUpperCase()];
  return Number(match[1]) * unit;
}
