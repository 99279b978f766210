/**
 * The web console (/console) in a real browser: Debian's chromium through playwright-core, against a seeded gateway.
 * It runs as its own mocha group (.mocharc.browser.json), after the main suite, in `npm test`.
 */
import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import type { TestGateway } from '../helpers/gateway';
import {
  type Browser,
  CHROMIUM,
  collectErrors,
  hasChromium,
  launchBrowser,
  STALE_ERROR,
  screenshot,
  seededGateway,
  T,
} from './console-harness';

const RED = 'rgb(207, 34, 46)';
const BLUE = 'rgb(9, 105, 218)';

describe('web console in chromium', function () {
  this.timeout(120_000);
  let browser: Browser;
  let gw: TestGateway;
  let page: Page;
  let errors: string[];

  before(async function () {
    if (!hasChromium()) {
      // CI installs chromium (.ci/run); elsewhere a machine without it cannot run these tests, and says why.
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
      this.skip();
    }
    gw = await seededGateway();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });
  beforeEach(async () => {
    page = await browser.context.newPage();
    errors = collectErrors(page);
  });
  afterEach(async () => {
    await page.close();
    assert.deepEqual(errors, [], 'the page reported no errors');
  });

  const open = async (hash: string) => {
    await page.goto(`${gw.url}/console/${hash}`);
    await page.waitForSelector('main:not([aria-busy])');
  };
  const tableRow = (id: string) => page.locator(`#tables tr[data-table="${id}"]`);

  it('lists the tables; the stale one is red and says why', async () => {
    await open('#/tables');
    const stale = tableRow(T.orderIds);
    const staleChip = stale.locator('.chip');
    assert.equal(await staleChip.textContent(), 'STALE');
    assert.equal(await staleChip.evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor), RED);
    const cause = await stale.locator('.cause').textContent();
    assert.match(cause ?? '', /The last refresh failed: /);
    assert.match(cause ?? '', STALE_ERROR);
    assert.equal(await stale.locator('.cause').evaluate((el) => (globalThis as any).getComputedStyle(el).color), RED);

    // The other states, each in its colour, the paused one with its reason.
    assert.equal(await tableRow(T.spend).locator('.chip').textContent(), 'FRESH');
    assert.equal(await tableRow(T.regional).locator('.chip').textContent(), 'WARN');
    assert.equal(await tableRow(T.backlog).locator('.chip').textContent(), 'UNKNOWN');
    const paused = tableRow(T.archive);
    assert.equal(
      await paused.locator('.chip').evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor),
      BLUE,
    );
    assert.match((await paused.locator('td[data-label="Status"]').textContent()) ?? '', /SUSPENDED/);
    assert.match((await paused.locator('.cause').textContent()) ?? '', /Suspended by ALTER DYNAMIC TABLE/);
    // Worst first, and every column there.
    const order = await page
      .locator('#tables tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    assert.equal(order[0], 'STALE');
    const headers = await page.locator('#tables th').allTextContents();
    assert.deepEqual(headers, [
      'Table',
      'Status',
      'Mode',
      'Freshness',
      'Lag / target',
      'Last refresh',
      'Next run',
      'Scheduler',
    ]);
    assert.match((await tableRow(T.spend).textContent()) ?? '', /embedded/);
    assert.match((await tableRow(T.spend).locator('td[data-label="Next run"]').textContent()) ?? '', /^in /);
    await screenshot(page, 'tables');

    // The state chips above filter the list.
    await page.locator('.counts button', { hasText: 'STALE' }).click();
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#tables tbody tr').length === 2);
    const shown = await page
      .locator('#tables tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-table')));
    assert.deepEqual(shown.sort(), [T.audit, T.orderIds].sort());
  });

  it("shows a table's definition, columns, lag chart, history, partitions and schema versions", async () => {
    await open(`#/tables/${encodeURIComponent(T.orderIds)}`);
    assert.match((await page.locator('#cause').textContent()) ?? '', STALE_ERROR);
    assert.match((await page.locator('#section-definition pre').textContent()) ?? '', /SELECT id FROM order_rows/);
    assert.match((await page.locator('#section-columns').textContent()) ?? '', /id/);
    const history = await page
      .locator('#history tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    assert.deepEqual(history, ['FAILED', 'SUCCEEDED']);
    assert.equal(await page.locator('#section-lag svg .failure-mark').count(), 1, 'the failed refresh is marked');
    assert.equal(await page.locator('#section-lag svg .lag-line').count(), 1);
    assert.match((await page.locator('#section-lag svg').textContent()) ?? '', /off the scale/);
    assert.match((await page.locator('#section-schema').textContent()) ?? '', /first version/);
    await screenshot(page, 'table-stale');

    // A table reading a registered source shows the source's windows, its gap and its lock.
    await open(`#/tables/${encodeURIComponent(T.spend)}`);
    const feed = page.locator('#section-partitions .source-block[data-source="sales.orders_feed"]');
    assert.match((await feed.textContent()) ?? '', /4 partitions.*1 gap, 1 locked/);
    assert.equal(await feed.locator('.partition-GAP').count(), 1);
    assert.equal(await feed.locator('.partition-LOCKED').count(), 1);
    assert.equal(await feed.locator('.partition-READY').count(), 3);
    await screenshot(page, 'table-fresh');
  });

  it('refreshes a table from its page: the history gains a row', async () => {
    await open(`#/tables/${encodeURIComponent(T.spend)}`);
    const before = await page.locator('#history tbody tr').count();
    await page.locator('#action-refresh').click();
    await page.waitForSelector('#flash.flash-ok');
    assert.match((await page.locator('#flash').textContent()) ?? '', /Refresh succeeded/);
    await page.waitForFunction(
      (n) => (globalThis as any).document.querySelectorAll('#history tbody tr').length === n + 1,
      before,
    );
    const newest = page.locator('#history tbody tr').first();
    assert.equal(await newest.getAttribute('data-state'), 'SUCCEEDED');
    assert.match((await newest.textContent()) ?? '', /MANUAL/);
    await screenshot(page, 'table-refreshed');
  });

  it('suspends and resumes a table', async () => {
    await open(`#/tables/${encodeURIComponent(T.vip)}`);
    await page.locator('#action-suspend').click();
    await page.waitForSelector('#action-resume');
    assert.match((await page.locator('#flash').textContent()) ?? '', /suspended/);
    assert.match((await page.locator('#section-overview').textContent()) ?? '', /StatusSUSPENDED/);
    assert.match((await page.locator('#cause').textContent()) ?? '', /Suspended by ALTER DYNAMIC TABLE/);
    assert.equal(await page.locator('.table-head .chip').textContent(), 'PAUSED');
    await page.locator('#action-resume').click();
    await page.waitForSelector('#action-suspend');
    assert.match((await page.locator('#section-overview').textContent()) ?? '', /StatusACTIVATED/);
    assert.equal((await gw.table(T.vip)).refreshStatus, 'ACTIVATED');
  });

  it('opens the lineage graph around a table and adds neighbours on click', async () => {
    await open(`#/graph/${encodeURIComponent(T.spend)}`);
    await page.waitForSelector('#graph-canvas[data-nodes]');
    const nodes = async () =>
      (
        await page.locator('#graph-nodes li').evaluateAll((items) => items.map((i) => i.getAttribute('data-node')))
      ).sort();
    assert.deepEqual(await nodes(), [T.customers, T.spend, T.orders, T.top].sort(), 'one step up and down');
    assert.equal(await page.locator('#graph-canvas').getAttribute('data-nodes'), '4');
    assert.equal((await page.locator('#graph-canvas canvas').count()) > 0, true, 'cytoscape drew it');

    // Click top_customers where cytoscape drew it: its reader vip_alerts appears.
    const point = await page.locator('#graph-canvas').evaluate((el, id) => {
      const cy = (el as unknown as { cy: any }).cy;
      const at = cy.getElementById(id).renderedPosition();
      const box = el.getBoundingClientRect();
      return { x: box.left + at.x, y: box.top + at.y };
    }, T.top);
    await page.mouse.click(point.x, point.y);
    await page.waitForSelector('#graph-canvas[data-nodes="5"]:not([data-busy])');
    assert.deepEqual(await nodes(), [T.customers, T.spend, T.orders, T.top, T.vip].sort());
    assert.match((await page.locator('#graph-detail').textContent()) ?? '', /top_customers/);
    // Colours follow freshness: the node list carries each state.
    const colour = await page
      .locator('#graph-canvas')
      .evaluate((el, id) => (el as unknown as { cy: any }).cy.getElementById(id).style('background-color'), T.top);
    assert.equal(colour, 'rgb(26,127,55)');
    await screenshot(page, 'graph');

    // Around the stale table, the table reading it is red too (its upstream is stale).
    await open(`#/graph/${encodeURIComponent(T.orderIds)}`);
    await page.waitForSelector('#graph-canvas[data-nodes]');
    assert.equal(await page.locator(`#graph-nodes li[data-node="${T.audit}"]`).getAttribute('data-state'), 'STALE');
  });

  it('lists jobs by state, and freshness events', async () => {
    await open('#/jobs?status=FAILED');
    const states = await page
      .locator('#jobs tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    assert.ok(states.length >= 1);
    assert.ok(
      states.every((s) => s === 'FAILED'),
      states.join(),
    );
    assert.match((await page.locator('#jobs').textContent()) ?? '', STALE_ERROR);
    await page.locator('select[name="status"]').selectOption('SUCCEEDED');
    await page.waitForFunction(() => (globalThis as any).location.hash.includes('status=SUCCEEDED'));
    await page.waitForSelector('main:not([aria-busy]) #jobs tbody tr[data-state="SUCCEEDED"]');
    await screenshot(page, 'jobs');

    await open('#/events');
    // The monitor records a change of state; which cause it saw first depends on when it ran during the seeding.
    const stale = page.locator(`#events tr[data-table="${T.orderIds}"][data-state="STALE"]`).first();
    assert.match((await stale.locator('.cause').textContent()) ?? '', /The last refresh failed|No refresh has brought/);
    assert.equal(
      await stale
        .locator('.chip[data-state="STALE"]')
        .evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor),
      RED,
    );
    await screenshot(page, 'events');
  });

  it('fits a phone-width screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    for (const [hash, name] of [
      ['#/tables', 'phone-tables'],
      [`#/tables/${encodeURIComponent(T.orderIds)}`, 'phone-table'],
      ['#/jobs', 'phone-jobs'],
      ['#/events', 'phone-events'],
      [`#/graph/${encodeURIComponent(T.spend)}`, 'phone-graph'],
    ]) {
      await open(hash as string);
      const width = await page.evaluate(() => ({
        scroll: (globalThis as any).document.documentElement.scrollWidth,
        client: (globalThis as any).document.documentElement.clientWidth,
      }));
      assert.ok(width.scroll <= width.client, `${hash}: the page is ${width.scroll}px wide in ${width.client}px`);
      await screenshot(page, name as string);
    }
    assert.equal(await tableRow(T.orderIds).count(), 0, 'left the tables page');
  });

  it('serves its files without a token, with a content security policy, and 404s the rest', async () => {
    const bare = await fetch(`${gw.url}/console`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/console/');
    const index = await fetch(`${gw.url}/console/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    for (const asset of [
      'app.js',
      'styles.css',
      'vendor/cytoscape.min.js',
      'vendor/dagre.min.js',
      'vendor/cytoscape-dagre.js',
    ]) {
      const res = await fetch(`${gw.url}/console/${asset}`);
      assert.equal(res.status, 200, asset);
      assert.match(res.headers.get('content-type') ?? '', asset.endsWith('.css') ? /^text\/css/ : /javascript/, asset);
      await res.arrayBuffer();
    }
    for (const missing of [
      'nope.js',
      'vendor/lodash.js',
      'vendor/%2e%2e%2fapp.js',
      '..%2fpackage.json',
      'deep/er/file.js',
    ]) {
      const res = await fetch(`${gw.url}/console/${missing}`);
      assert.equal(res.status, 404, missing);
      assert.equal(((await res.json()) as any).error.code, 'NOT_FOUND');
    }
  });
});

describe('web console in chromium, with auth on', function () {
  this.timeout(120_000);
  const admin = 'console-admin-token';
  const reader = 'console-read-token';
  let browser: Browser;
  let gw: TestGateway;

  before(async function () {
    if (!hasChromium()) {
      // As above: CI installs chromium; a machine without it cannot run these tests, and says why.
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
      this.skip();
    }
    const tokens = [
      { token: admin, scopes: ['admin' as const] },
      { token: reader, scopes: ['read' as const] },
    ];
    gw = await seededGateway({ auth: { tokens } }, admin);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('asks for a token, works once one is entered, and shows a refusal for a token without the scope', async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${gw.url}/console/#/tables`);
    await page.waitForSelector('#token-form');
    assert.match((await page.locator('#token-form').textContent()) ?? '', /Authentication required/);
    await screenshot(page, 'token');

    await page.locator('#token-form input[name="token"]').fill(reader);
    await page.locator('#token-form button[type="submit"]').click();
    await page.waitForSelector(`#tables tr[data-table="${T.orderIds}"]`);
    assert.equal(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('freshet-token')), reader);
    assert.equal(await page.evaluate(() => (globalThis as any).localStorage.length), 0, 'nothing kept beyond the tab');

    // A read token may look but not refresh: the gateway's refusal is shown.
    await page.goto(`${gw.url}/console/#/tables/${encodeURIComponent(T.spend)}`);
    await page.waitForSelector('#action-refresh');
    await page.locator('#action-refresh').click();
    await page.waitForSelector('#flash.flash-bad');
    assert.match((await page.locator('#flash').textContent()) ?? '', /needs the operate scope/);

    // Another tab starts without the token.
    const other = await browser.context.newPage();
    await other.goto(`${gw.url}/console/#/jobs`);
    await other.waitForSelector('#token-form');
    await other.close();
    await page.close();
    assert.deepEqual(errors, []);
  });
});
