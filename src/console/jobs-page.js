/** `#/jobs`: refresh jobs, newest first, filtered by state, trigger and table. */
import { get } from './api.js';
import { h } from './dom.js';
import { dateTime, elapsed, runState, tableHref, when } from './format.js';
import { grid } from './table-sections.js';

const FALLBACK = {
  status: ['PENDING', 'WAITING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED'],
  trigger: ['SCHEDULED', 'MANUAL', 'CREATION', 'CONTINUOUS'],
};
let choices = null;

/** The values GET /v3/jobs accepts for `status` and `trigger`, as its OpenAPI document lists them. */
async function filterChoices() {
  if (choices !== null) return choices;
  try {
    const doc = await get('v3/openapi.json');
    const parameters = doc.paths['/v3/jobs'].get.parameters;
    const values = (name) => parameters.find((p) => p.name === name)?.schema?.enum ?? FALLBACK[name];
    choices = { status: values('status'), trigger: values('trigger') };
  } catch {
    choices = FALLBACK;
  }
  return choices;
}

function select(label, name, values, current, onChange) {
  return h(
    'label',
    { class: 'field' },
    `${label} `,
    h(
      'select',
      { name, on: { change: (event) => onChange(event.target.value) } },
      h('option', { value: '' }, 'any'),
      values.map((v) => h('option', { value: v, selected: v === current }, v)),
    ),
  );
}

function jobRows(jobs) {
  return jobs.map((job) => [
    h('code', { title: job.jobId }, job.jobId.slice(0, 8)),
    runState(job.status),
    job.trigger,
    job.tables.map((t, i) => [i > 0 ? ', ' : '', h('a', { href: tableHref(t.table) }, t.table)]),
    h('span', { class: 'date', title: job.scheduleTime }, dateTime(job.scheduleTime)),
    when(job.createdAt),
    elapsed(job.startedAt, job.finishedAt),
    h('span', { class: job.error ? 'error-text' : '' }, job.error ?? ''),
  ]);
}

export async function jobsPage(ctx) {
  const filter = {
    status: ctx.query.get('status') ?? '',
    trigger: ctx.query.get('trigger') ?? '',
    table: ctx.query.get('table') ?? '',
    limit: Math.min(Number(ctx.query.get('limit')) || 50, 1000),
  };
  const set = (change) => ctx.setQuery({ ...filter, limit: '', ...change });
  const [values, page] = await Promise.all([
    filterChoices(),
    get('v3/jobs', { status: filter.status, trigger: filter.trigger, table: filter.table, limit: filter.limit }),
  ]);
  const tableInput = h('input', {
    type: 'search',
    name: 'table',
    value: filter.table,
    placeholder: 'Table',
    'aria-label': 'Only jobs of this table',
    on: { change: (event) => set({ table: event.target.value.trim() }) },
  });
  return h(
    'section',
    { class: 'page jobs-page' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Jobs'),
      h(
        'div',
        { class: 'toolbar' },
        select('State', 'status', values.status, filter.status, (status) => set({ status })),
        select('Trigger', 'trigger', values.trigger, filter.trigger, (trigger) => set({ trigger })),
        tableInput,
      ),
    ),
    h(
      'p',
      { class: 'muted small' },
      `${page.total} job${page.total === 1 ? '' : 's'}; the newest ${page.jobs.length} shown`,
    ),
    page.jobs.length === 0
      ? h('p', { class: 'muted' }, 'No job matches.')
      : grid(
          'jobs',
          ['Job', 'State', 'Trigger', 'Tables', 'Scheduled', 'Created', 'Took', 'Error'],
          jobRows(page.jobs),
          (i) => ({ dataset: { job: page.jobs[i].jobId, state: page.jobs[i].status } }),
        ),
    page.jobs.length < page.total && filter.limit < 1000
      ? h(
          'button',
          { type: 'button', class: 'button', on: { click: () => set({ limit: filter.limit + 50 }) } },
          'Show more',
        )
      : null,
  );
}
