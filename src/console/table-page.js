/**
 * `#/tables/<identifier>`: one dynamic table: what it is, how fresh it is and why, its lag against its target over
 * time, its refreshes, partitions and schema versions; and the actions refresh, suspend and resume.
 */
import { get, getOrNull } from './api.js';
import { tableActions } from './actions.js';
import { h } from './dom.js';
import {
  causeText,
  chip,
  dateTime,
  duration,
  freshnessSeconds,
  runState,
  shortName,
  tableHref,
  when,
} from './format.js';
import { lagChart } from './lag-chart.js';
import { nextRun } from './schedule.js';
import { driftSection, historySection, partitionsSection, schemaSection, section } from './table-sections.js';

async function load(id) {
  const route = `v3/dynamic-tables/${encodeURIComponent(id)}`;
  const detail = await get(route);
  const [history, freshness, schema, partitions] = await Promise.all([
    get(`${route}/refreshes`, { limit: 50 }),
    get('v3/freshness'),
    getOrNull(`v3/tables/${encodeURIComponent(detail.identifier)}/schema-versions`),
    partitionsSection(detail),
  ]);
  const fresh = freshness.tables.find((t) => t.table === detail.identifier) ?? null;
  return { detail, refreshes: history.refreshes, fresh, schema, partitions };
}

/** Term and description pairs; empty values are left out. */
function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

function neighbours(list) {
  if (list.length === 0) return null;
  return list.map((n, i) => [
    i > 0 ? ', ' : '',
    n.kind === 'dynamic'
      ? h('a', { href: tableHref(n.id) }, n.id)
      : h('span', { title: 'a table Freshet reads' }, n.id),
  ]);
}

function overview({ detail, fresh }) {
  const next = nextRun(detail, detail.scheduler.nextRun);
  const last = detail.lastRefresh;
  const options = Object.entries(detail.options).map(([k, v]) => `${k} = ${v}`);
  return section(
    'overview',
    'Overview',
    facts([
      ['Status', [detail.refreshStatus, detail.suspendedReason ? ` (${detail.suspendedReason})` : '']],
      [
        'Mode',
        detail.logicalRefreshMode === detail.refreshMode
          ? detail.refreshMode
          : `${detail.refreshMode} (declared ${detail.logicalRefreshMode})`,
      ],
      [
        'Target lag',
        fresh
          ? `${detail.freshness.text}; warn after ${duration(fresh.warnAfterSeconds)}, stale after ${duration(fresh.errorAfterSeconds)}`
          : detail.freshness.text,
      ],
      ['Lag', fresh?.lagSeconds === null || fresh === null ? 'never refreshed' : duration(fresh.lagSeconds)],
      ['Valid through', detail.validThrough ? when(detail.validThrough, { absolute: true }) : null],
      ['Last refresh', last ? [runState(last.state), ' ', when(last.at)] : 'never'],
      ['Next run', next.at ? when(next.at) : next.text],
      [
        'Scheduler',
        [
          detail.scheduler.type ?? '—',
          detail.scheduler.cron ? h('code', { class: 'small' }, ` ${detail.scheduler.cron}`) : '',
        ],
      ],
      [
        'Engine',
        `${detail.location.engine}: ${detail.location.catalog}.${detail.location.database}.${detail.location.table}`,
      ],
      [
        'Incremental',
        [
          detail.incremental.applied,
          h('div', { class: 'muted small' }, detail.incremental.appliedReason ?? detail.incremental.detail),
        ],
      ],
      ['Primary key', detail.primaryKey?.join(', ')],
      ['Partitioned by', detail.partitionKeys.join(', ')],
      ['Options', options.length > 0 ? options.map((o) => h('div', { class: 'small' }, h('code', {}, o))) : null],
      ['Reads', neighbours(detail.upstream)],
      ['Read by', neighbours(detail.downstream)],
      ['Comment', detail.comment],
      ['Created', h('span', { title: detail.createdAt }, dateTime(detail.createdAt))],
    ]),
  );
}

function chartSection({ detail, fresh, refreshes }) {
  const target = fresh?.targetLagSeconds ?? freshnessSeconds(detail.freshness.text) ?? 0;
  const thresholds = {
    targetLagSeconds: target,
    warnAfterSeconds: fresh?.warnAfterSeconds ?? target,
    errorAfterSeconds: fresh?.errorAfterSeconds ?? target * 2,
  };
  return section(
    'lag',
    'Lag against target',
    // Drawn about as wide as it is shown, so that its labels stay legible on a phone.
    lagChart(refreshes, thresholds, { width: Math.max(320, Math.min(640, window.innerWidth - 60)) }),
    h(
      'p',
      { class: 'legend small' },
      h('span', { class: 'key key-line' }),
      ' lag ',
      h('span', { class: 'key key-target' }),
      ` target ${duration(target)} `,
      h('span', { class: 'key key-failure' }),
      ' failed refresh',
    ),
  );
}

function columnsSection(detail) {
  return section(
    'columns',
    'Columns',
    h(
      'ul',
      { class: 'columns' },
      detail.schema.map((c) =>
        h(
          'li',
          {},
          h('span', { class: 'column-name' }, c.name),
          ' ',
          h('span', { class: 'muted' }, `${c.type}${c.nullable ? '' : ' NOT NULL'}`),
        ),
      ),
    ),
  );
}

function heading(data, ctx) {
  const { detail, fresh } = data;
  const cause = causeText(fresh?.cause);
  return h(
    'div',
    { class: 'page-head table-head' },
    h(
      'div',
      { class: 'title' },
      h('h1', {}, shortName(detail.identifier), ' ', chip(fresh?.state)),
      h('div', { class: 'muted small' }, detail.identifier),
      cause ? h('p', { class: `cause cause-${fresh.state}`, id: 'cause' }, cause) : null,
    ),
    tableActions(detail, ctx),
  );
}

export async function tablePage(ctx) {
  const data = await load(ctx.params[0]);
  return h(
    'section',
    { class: 'page table-page', dataset: { table: data.detail.identifier } },
    heading(data, ctx),
    h(
      'div',
      { class: 'cards' },
      overview(data),
      chartSection(data),
      section('definition', 'Definition', h('pre', { class: 'sql' }, data.detail.definitionQuery)),
      columnsSection(data.detail),
    ),
    historySection(data.refreshes),
    data.partitions,
    driftSection(data.detail.schemaDrift),
    schemaSection(data.schema),
  );
}
