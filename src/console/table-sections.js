/**
 * The sections of a table's page that come from other endpoints than the table's own: its refresh history, its
 * partitions with their gaps and locks (the source registry), and its schema versions (reflection).
 */
import { get, getOrNull } from './api.js';
import { h } from './dom.js';
import { dateTime, elapsed, runState, tableHref, when } from './format.js';

/** A section with a heading; `id` names it for links and tests. */
export function section(id, title, ...body) {
  return h('section', { class: `card section-${id}`, id: `section-${id}` }, h('h2', {}, title), ...body);
}

/** A table cell labelled for the narrow layout, where each row is a card of label and value pairs. */
export function cell(label, attrs, ...children) {
  return h('td', { ...attrs, 'data-label': label }, h('div', { class: 'cell' }, ...children));
}

/** A dense table; `rows` are arrays of cells, each labelled for the narrow layout. */
export function grid(id, columns, rows, rowAttrs = () => ({})) {
  return h(
    'div',
    { class: 'grid-wrap' },
    h(
      'table',
      { class: 'grid', id },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells, i) =>
          h(
            'tr',
            rowAttrs(i),
            cells.map((content, j) => cell(columns[j], {}, content)),
          ),
        ),
      ),
    ),
  );
}

function rowsText(r) {
  if (r.rowsWritten === null && r.rowsDeleted === null) return '—';
  const written = r.rowsWritten === -1 ? '?' : (r.rowsWritten ?? 0);
  return `+${written} / −${r.rowsDeleted ?? 0}`;
}

/** The refresh history, newest first. */
export function historySection(refreshes) {
  if (refreshes.length === 0)
    return section('history', 'Refresh history', h('p', { class: 'muted' }, 'No refresh yet.'));
  const rows = refreshes.map((r) => [
    h('span', { class: 'date', title: r.scheduleTime }, dateTime(r.scheduleTime)),
    r.trigger,
    runState(r.state),
    r.action ?? '—',
    rowsText(r),
    when(r.startedAt),
    elapsed(r.startedAt, r.finishedAt),
    h('span', { class: r.error ? 'error-text' : 'muted' }, r.error ?? r.actionDetail ?? ''),
  ]);
  return section(
    'history',
    'Refresh history',
    grid('history', ['Scheduled', 'Trigger', 'State', 'Action', 'Rows', 'Started', 'Took', 'Detail'], rows, (i) => ({
      dataset: { job: refreshes[i].jobId, state: refreshes[i].state },
    })),
  );
}

/** Readiness of a source over the span of the partitions shown: the gaps and locks in it. */
async function readinessOf(source) {
  const items = source.partitions.items;
  if (items.length === 0) return null;
  // ISO instants in UTC sort as text.
  const start = items.map((p) => p.start).sort()[0];
  const end = items
    .map((p) => p.end)
    .sort()
    .at(-1);
  return get(`v3/sources/${encodeURIComponent(source.name)}/readiness`, { start, end });
}

function spanText(start, end) {
  return `${dateTime(start)} → ${dateTime(end)}`;
}

function sourceBlock(title, source, readiness) {
  const items = source.partitions.items;
  // Readiness counts a locked or unfinished window as a gap too; here a gap is a span no partition covers at all.
  const covered = (g) => items.some((p) => p.start <= g.start && p.end >= g.end);
  const gaps = (readiness?.gaps ?? []).filter((g) => !covered(g));
  const locked = readiness?.locked ?? [];
  const summary = h(
    'p',
    { class: 'small' },
    `${source.partitions.total} partition${source.partitions.total === 1 ? '' : 's'}, ready through `,
    when(source.readyThrough, { absolute: true }),
    `; ${gaps.length} gap${gaps.length === 1 ? '' : 's'}, ${locked.length} locked`,
    items.length < source.partitions.total ? ` (the latest ${items.length} shown)` : '',
  );
  const windows = [
    ...items.map((p) => ({ start: p.start, end: p.end, provider: p.provider, state: p.state, since: p.stateSince })),
    ...gaps.map((g) => ({ start: g.start, end: g.end, provider: '', state: 'GAP', since: null })),
  ].sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : 0));
  const rows = windows.map((w) => [
    spanText(w.start, w.end),
    w.provider || '—',
    h('span', { class: `partition partition-${w.state}` }, w.state === 'GAP' ? 'gap' : w.state),
    w.since ? when(w.since) : '',
  ]);
  return h(
    'div',
    { class: 'source-block', dataset: { source: source.name } },
    h('h3', {}, title),
    summary,
    rows.length > 0 ? grid(`partitions-${source.name}`, ['Window', 'Provider', 'State', 'Since'], rows) : null,
  );
}

/** The registered source behind an upstream table, if its owner registered one. */
function registeredAs(sources, upstreamId) {
  return sources.find(
    (s) => s.name === upstreamId || (s.catalog && s.table && `${s.catalog}.${s.table}` === upstreamId),
  );
}

function upstreamTitle(source, upstream) {
  if (source === undefined) return '';
  if (source.kind === 'dynamic') return `Published windows of ${upstream}`;
  return source.name === upstream ? `Source ${source.name}` : `Source ${source.name} (${upstream})`;
}

/**
 * The table's own published windows and those of the registered sources it reads; null when none is registered
 * (a table that was never refreshed has no windows yet).
 */
export async function partitionsSection(detail) {
  const { sources } = await get('v3/sources');
  const wanted = [
    { title: 'Published windows of this table', source: registeredAs(sources, detail.identifier) },
    ...detail.upstream
      .map((u) => ({ source: registeredAs(sources, u.id), upstream: u.id }))
      .map((w) => ({ ...w, title: upstreamTitle(w.source, w.upstream) })),
  ].filter((w) => w.source !== undefined);
  if (wanted.length === 0) return null;
  const blocks = await Promise.all(
    wanted.map(async (w) => {
      const source = await getOrNull(`v3/sources/${encodeURIComponent(w.source.name)}`, { limit: 50 });
      if (source === null) return null;
      return sourceBlock(w.title, source, await readinessOf(source));
    }),
  );
  return section('partitions', 'Partitions', blocks);
}

/** `orders BREAKING (suspended): amount dropped`. */
function impactLine(impact) {
  const columns = impact.columns.map((c) => `${c.column} ${c.change}`).join(', ');
  return h(
    'div',
    { class: `impact impact-${impact.impact}` },
    h('a', { href: tableHref(impact.table) }, impact.table),
    ` ${impact.impact}${impact.action && impact.action !== 'none' ? ` (${impact.action})` : ''}`,
    columns ? `: ${columns}` : '',
  );
}

/** What a source's change did to this table, oldest first (the table's `schemaDrift`). */
export function driftSection(drift) {
  if (!drift || drift.length === 0) return null;
  const rows = drift.map((d) => [
    when(d.detectedAt),
    h('a', { href: tableHref(d.source) }, d.source),
    d.version,
    h('span', { class: `impact impact-${d.impact}` }, d.impact),
    d.policy,
    d.columns.map((c) => `${c.column} ${c.change}`).join(', '),
  ]);
  return section(
    'drift',
    'Schema drift',
    grid('schema-drift', ['Detected', 'Source', 'Version', 'Impact', 'Policy', 'Columns'], rows),
  );
}

function columnsText(columns) {
  return columns.map((c) => `${c.name} ${c.type}`).join(', ');
}

/** The schema versions reflection recorded, newest first; a short note when it has not reflected the table. */
export function schemaSection(history) {
  if (history === null) {
    return section('schema', 'Schema versions', h('p', { class: 'muted' }, 'Not reflected yet.'));
  }
  const rows = history.versions.map((v) => [
    v.version,
    when(v.createdAt),
    v.change,
    h('span', { class: 'small' }, columnsText(v.columns)),
    v.impacts.length === 0 ? '—' : v.impacts.map(impactLine),
  ]);
  return section(
    'schema',
    'Schema versions',
    history.missing ? h('p', { class: 'error-text' }, `Missing since ${dateTime(history.missingSince)}`) : null,
    h('p', { class: 'muted small' }, 'Checked ', when(history.checkedAt)),
    grid('schema-versions', ['Version', 'Recorded', 'Change', 'Columns', 'Impact'], rows),
  );
}
