/**
 * The console's shell: hash routes (#/tables, #/tables/<name>, #/jobs, #/events, #/graph/<name>) to pages, the
 * token form when the gateway answers 401, the flash line actions report in, and the gateway's health in the header.
 */
import { ApiError, get, storedToken, storeToken } from './api.js';
import { h, replace } from './dom.js';
import { eventsPage } from './events-page.js';
import { graphPage } from './graph-page.js';
import { jobsPage } from './jobs-page.js';
import { tablePage } from './table-page.js';
import { tablesPage } from './tables-page.js';

const PAGES = { tables: tablesPage, jobs: jobsPage, events: eventsPage, graph: graphPage };
/** List pages show new data on their own; a page with a form or a graph waits to be asked. */
const AUTO_RELOAD_MS = 30000;

const main = document.getElementById('main');
let rendering = 0;
let leaving = [];
let flash = null;

/** `#/tables/default.main.orders?state=STALE` → `{page: 'table', params: ['default.main.orders'], query}`. */
function parseHash(hash) {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [first = 'tables', ...rest] = path.split('/').filter((part) => part !== '');
  const params = rest.map((part) => decodeURIComponent(part));
  const page = first === 'tables' && params.length > 0 ? 'table' : first;
  return { page, params, query: new URLSearchParams(search), section: first };
}

function hashOf(section, params, query) {
  const search = new URLSearchParams(
    Object.entries(query).filter(([, v]) => v !== '' && v !== undefined && v !== null),
  );
  const text = search.toString();
  return `#/${[section, ...params.map(encodeURIComponent)].join('/')}${text ? `?${text}` : ''}`;
}

function markNav(section) {
  for (const link of document.querySelectorAll('.nav a')) {
    if (link.dataset.page === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function flashLine() {
  if (flash === null) return null;
  return h('p', { class: `flash flash-${flash.tone}`, id: 'flash', role: 'status' }, flash.text);
}

function forgetToken() {
  storeToken(null);
  render();
}

/** The form that asks for a bearer token: shown on a 401, and by the header's Token button. */
function tokenForm(message) {
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    required: true,
    'aria-label': 'Bearer token',
    placeholder: 'Bearer token',
  });
  const form = h(
    'form',
    {
      class: 'token-form',
      id: 'token-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          storeToken(input.value.trim());
          render();
        },
      },
    },
    h('h1', {}, 'Token'),
    h('p', {}, message),
    h(
      'p',
      { class: 'muted small' },
      'The token is kept in this tab only (sessionStorage) and sent with each API call.',
    ),
    h('div', { class: 'toolbar' }, input, h('button', { type: 'submit', class: 'button primary' }, 'Use token')),
    storedToken()
      ? h('button', { type: 'button', class: 'button', on: { click: forgetToken } }, 'Forget the token')
      : null,
  );
  replace(main, form);
  input.focus();
}

async function showHealth() {
  const badge = document.getElementById('health');
  try {
    const health = await get('health');
    badge.className = `health health-${health.status}`;
    badge.textContent = `${health.status} · ${health.scheduler}`;
  } catch (error) {
    badge.className = 'health health-degraded';
    badge.textContent = error.status === 503 ? 'degraded' : 'unreachable';
  }
}

function errorBox(error) {
  const code = error instanceof ApiError ? `${error.code} (${error.status})` : 'Error';
  return h(
    'div',
    { class: 'page' },
    h('div', { class: 'error-box', role: 'alert' }, h('strong', {}, code), ' ', error.message),
  );
}

/** Renders the page the hash names; a newer render wins over a slower older one. */
async function render({ quiet = false } = {}) {
  const ticket = ++rendering;
  const route = parseHash(window.location.hash);
  const page = route.page === 'table' ? tablePage : PAGES[route.page];
  markNav(route.section);
  for (const leave of leaving) leave();
  leaving = [];
  const mounted = [];
  const ctx = {
    params: route.params,
    query: route.query,
    navigate: (hash) => {
      window.location.hash = hash;
    },
    setQuery: (query) => ctx.navigate(hashOf(route.section, route.params, query)),
    reload: () => render({ quiet: true }),
    flash: (text, tone) => {
      flash = { text, tone };
      const line = document.getElementById('flash');
      if (line) line.replaceWith(flashLine());
      else main.prepend(flashLine());
    },
    askToken: (message) => tokenForm(message),
    afterMount: (fn) => mounted.push(fn),
    onLeave: (fn) => leaving.push(fn),
  };
  if (!quiet) main.setAttribute('aria-busy', 'true');
  showHealth();
  try {
    if (page === undefined) throw new Error(`There is no page ${window.location.hash}.`);
    const node = await page(ctx);
    if (ticket !== rendering) return;
    replace(main, flashLine(), node);
    for (const fn of mounted) fn();
  } catch (error) {
    if (ticket !== rendering) return;
    if (error instanceof ApiError && error.status === 401)
      tokenForm(`${error.message} Enter one of the gateway's tokens.`);
    else replace(main, flashLine(), errorBox(error));
  } finally {
    if (ticket === rendering) main.removeAttribute('aria-busy');
  }
}

document
  .getElementById('token-button')
  .addEventListener('click', () =>
    tokenForm(
      storedToken()
        ? 'A token is in use for this tab. Enter another, or forget it.'
        : 'Enter a bearer token for this gateway.',
    ),
  );
window.addEventListener('hashchange', () => {
  flash = null;
  render();
});
setInterval(() => {
  const route = parseHash(window.location.hash);
  const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement?.tagName ?? '');
  if (['tables', 'jobs', 'events'].includes(route.page) && document.visibilityState === 'visible' && !typing) {
    render({ quiet: true });
  }
}, AUTO_RELOAD_MS);
if (!window.location.hash) window.location.replace('#/tables');
else render();
