/** `#/events`: the freshness monitor's recorded state changes, newest first, with their causes. */
import { get } from './api.js';
import { h } from './dom.js';
import { causeText, chip, duration, tableHref, when } from './format.js';
import { grid } from './table-sections.js';

export async function eventsPage(ctx) {
  const table = ctx.query.get('table') ?? '';
  const { events } = await get('v3/freshness/events', { table, limit: 200 });
  const input = h('input', {
    type: 'search',
    name: 'table',
    value: table,
    placeholder: 'Table',
    'aria-label': 'Only events of this table',
    on: { change: (event) => ctx.setQuery({ table: event.target.value.trim() }) },
  });
  const rows = events.map((e) => [
    when(e.at),
    h('a', { href: tableHref(e.table) }, e.table),
    h('span', { class: 'nowrap' }, e.previousState ? [chip(e.previousState), ' → '] : null, chip(e.state)),
    h('span', { class: 'nowrap' }, `${duration(e.lagSeconds)} / ${duration(e.targetLagSeconds)}`),
    h('span', { class: `cause cause-${e.state}` }, causeText(e.cause)),
  ]);
  return h(
    'section',
    { class: 'page events-page' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Freshness events'), h('div', { class: 'toolbar' }, input)),
    events.length === 0
      ? h('p', { class: 'muted' }, 'No state change recorded yet: the monitor records one when a table changes state.')
      : grid('events', ['When', 'Table', 'Change', 'Lag / target', 'Cause'], rows, (i) => ({
          dataset: { table: events[i].table, state: events[i].state },
        })),
  );
}
