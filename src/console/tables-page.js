/**
 * `#/tables`: every dynamic table with its status, mode, freshness (and why it is not fresh), lag against its
 * target, last refresh, next run and scheduler. Worst first, as the freshness monitor orders them.
 */
import { get, getAll } from './api.js';
import { h } from './dom.js';
import { causeText, chip, duration, runState, STATES, shortName, tableHref, when } from './format.js';
import { nextRun } from './schedule.js';
import { cell } from './table-sections.js';

async function load() {
  const [tables, freshness, health] = await Promise.all([
    getAll('v3/dynamic-tables', 'tables'),
    get('v3/freshness'),
    get('health').catch(() => null),
  ]);
  const states = new Map(freshness.tables.map((t) => [t.table, t]));
  const rank = (t) => {
    const state = states.get(t.identifier)?.state ?? 'UNKNOWN';
    return STATES.indexOf(state) * 1e12 - (t.lagSeconds ?? 0);
  };
  tables.sort((a, b) => rank(a) - rank(b) || a.identifier.localeCompare(b.identifier));
  return { tables, states, scheduler: health?.scheduler ?? '—' };
}

/** Lag over target as a bar: full at three times the target, coloured by the table's state. */
function lagCell(summary, fresh) {
  const target = fresh?.targetLagSeconds ?? null;
  const lag = fresh?.lagSeconds ?? summary.lagSeconds;
  const ratio = target && lag !== null ? Math.min(lag / target / 3, 1) : 0;
  const bar = h('span', { class: 'lag-bar', 'aria-hidden': 'true' });
  const fill = h('span', { class: `lag-fill state-${fresh?.state ?? 'UNKNOWN'}` });
  fill.style.width = `${(ratio * 100).toFixed(1)}%`;
  bar.append(fill);
  return [h('span', { class: 'nowrap' }, `${duration(lag)} / ${duration(target)}`), bar];
}

function row(summary, data) {
  const fresh = data.states.get(summary.identifier);
  const next = nextRun(summary, summary.nextRun);
  const cause = causeText(fresh?.cause);
  const last = summary.lastRefresh;
  return h(
    'tr',
    { dataset: { table: summary.identifier, state: fresh?.state ?? 'UNKNOWN' } },
    cell(
      'Table',
      {},
      h('a', { href: tableHref(summary.identifier), class: 'table-link' }, shortName(summary.identifier)),
      h('div', { class: 'muted small' }, summary.identifier),
    ),
    cell(
      'Status',
      {},
      summary.refreshStatus,
      summary.suspendedReason ? h('div', { class: 'muted small' }, summary.suspendedReason) : null,
    ),
    cell('Mode', {}, summary.refreshMode),
    cell(
      'Freshness',
      { class: 'freshness-cell' },
      chip(fresh?.state),
      cause ? h('div', { class: `cause cause-${fresh.state}` }, cause) : null,
    ),
    cell('Lag / target', {}, lagCell(summary, fresh)),
    cell(
      'Last refresh',
      { title: last?.error ?? '' },
      last ? [runState(last.state), ' ', when(last.at)] : h('span', { class: 'muted' }, 'never'),
    ),
    cell('Next run', {}, next.at ? when(next.at) : h('span', { class: 'muted' }, next.text)),
    cell('Scheduler', {}, data.scheduler),
  );
}

function counts(data, filter) {
  const byState = new Map(STATES.map((state) => [state, 0]));
  for (const t of data.tables) {
    const state = data.states.get(t.identifier)?.state ?? 'UNKNOWN';
    byState.set(state, (byState.get(state) ?? 0) + 1);
  }
  return h(
    'div',
    { class: 'counts' },
    STATES.map((state) =>
      h(
        'button',
        {
          type: 'button',
          class: `count${filter.state === state ? ' selected' : ''}`,
          'aria-pressed': filter.state === state ? 'true' : 'false',
          on: { click: () => filter.set({ state: filter.state === state ? '' : state }) },
        },
        chip(state),
        ` ${byState.get(state)}`,
      ),
    ),
  );
}

const COLUMNS = ['Table', 'Status', 'Mode', 'Freshness', 'Lag / target', 'Last refresh', 'Next run', 'Scheduler'];

/** The page; `ctx.query` carries the filters (`state`, `q`) so that a link or a reload keeps them. */
export async function tablesPage(ctx) {
  const data = await load();
  const filter = {
    state: ctx.query.get('state') ?? '',
    q: ctx.query.get('q') ?? '',
    set: (change) => ctx.setQuery({ state: filter.state, q: filter.q, ...change }),
  };
  const shown = data.tables.filter(
    (t) =>
      (!filter.state || (data.states.get(t.identifier)?.state ?? 'UNKNOWN') === filter.state) &&
      t.identifier.toLowerCase().includes(filter.q.toLowerCase()),
  );
  const search = h('input', {
    type: 'search',
    placeholder: 'Filter by name',
    value: filter.q,
    'aria-label': 'Filter tables by name',
    on: { change: (event) => filter.set({ q: event.target.value }) },
  });
  return h(
    'section',
    { class: 'page tables-page' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Dynamic tables'), h('div', { class: 'toolbar' }, search)),
    counts(data, filter),
    shown.length === 0
      ? h('p', { class: 'muted' }, data.tables.length === 0 ? 'No dynamic tables yet.' : 'No table matches.')
      : h(
          'div',
          { class: 'grid-wrap' },
          h(
            'table',
            { class: 'grid', id: 'tables' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                COLUMNS.map((c) => h('th', { scope: 'col' }, c)),
              ),
            ),
            h(
              'tbody',
              {},
              shown.map((t) => row(t, data)),
            ),
          ),
        ),
  );
}
