/**
 * What the console can do to a table, through the public REST API: refresh it now (POST
 * /v3/dynamic-tables/refresh, then its job until it settles), suspend or resume it (ALTER DYNAMIC TABLE through
 * POST /v3/statements). A refusal (403 for a token without the scope) is shown as the gateway words it.
 */
import { requestRefresh, runSql, waitForJob } from './api.js';
import { h } from './dom.js';
import { elapsed, shortName } from './format.js';

function jobOutcome(job, table) {
  const mine = job.tables.find((t) => t.table === table) ?? {};
  const took = job.startedAt && job.finishedAt ? ` in ${elapsed(job.startedAt, job.finishedAt)}` : '';
  const error = mine.error ?? job.error;
  const tone = job.status === 'SUCCEEDED' ? 'ok' : job.status === 'FAILED' ? 'bad' : 'info';
  return { text: `Refresh ${job.status.toLowerCase()}${took}${error ? `: ${error}` : '.'}`, tone };
}

/** Runs `work` with every action button disabled, then shows its outcome and reloads the page's data. */
async function act(box, ctx, busyText, work) {
  for (const button of box.querySelectorAll('button')) button.disabled = true;
  ctx.flash(busyText, 'info');
  try {
    const outcome = await work();
    ctx.flash(outcome.text, outcome.tone);
  } catch (error) {
    if (error.status === 401) {
      ctx.askToken(error.message);
      return;
    }
    ctx.flash(error.message, 'bad');
  }
  await ctx.reload();
}

/** The action buttons of a table's page. */
export function tableActions(detail, ctx) {
  const table = detail.identifier;
  const suspended = detail.refreshStatus === 'SUSPENDED';
  const box = h('div', { class: 'actions' });
  const refresh = h(
    'button',
    {
      type: 'button',
      class: 'button primary',
      id: 'action-refresh',
      on: {
        click: () =>
          act(box, ctx, `Refreshing ${shortName(table)}…`, async () => {
            const jobId = await requestRefresh(table);
            return jobOutcome(await waitForJob(jobId), table);
          }),
      },
    },
    'Refresh',
  );
  const verb = suspended ? 'RESUME' : 'SUSPEND';
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'button',
      id: suspended ? 'action-resume' : 'action-suspend',
      on: {
        click: () =>
          act(box, ctx, `${suspended ? 'Resuming' : 'Suspending'} ${shortName(table)}…`, async () => {
            const { results } = await runSql(`ALTER DYNAMIC TABLE ${table} ${verb}`);
            return { text: results[0]?.message ?? 'Done.', tone: 'ok' };
          }),
      },
    },
    suspended ? 'Resume' : 'Suspend',
  );
  const graph = h('a', { class: 'button', href: `#/graph/${encodeURIComponent(table)}` }, 'Lineage');
  box.append(refresh, toggle, graph);
  return box;
}
