/**
 * What the console's browser tests (and the README screenshot) stand on: Debian's chromium driven by playwright-core
 * (which downloads no browser), and a gateway seeded with a small pipeline: tables that depend on each other, one
 * STALE because its last refresh failed, one WARN, one PAUSED, one never refreshed, and a registered source with a
 * gap and a lock.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { ConfigInput } from '../../src/config/config';
import { TestGateway } from '../helpers/gateway';

/** Where Debian puts chromium (`apt-get install chromium`); .ci/run installs it when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';

/** Screenshots land here: test-output/browser at the repository's root (the tests run from dist/test/browser). */
export const OUTPUT = path.resolve(__dirname, '../../../test-output/browser');

/** The identifier of each seeded table. */
export const T = {
  orders: 'default.main.orders',
  customers: 'default.main.customers',
  spend: 'default.main.customer_spend',
  top: 'default.main.top_customers',
  vip: 'default.main.vip_alerts',
  orderIds: 'default.main.order_ids',
  audit: 'default.main.order_audit',
  regional: 'default.main.regional_sales',
  archive: 'default.main.monthly_archive',
  backlog: 'default.main.backlog_report',
} as const;

/** The error the stale table's last refresh failed with. */
export const STALE_ERROR = /UNIQUE constraint failed: order_ids\.id/;

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium, headless, with a fresh profile; its background connections off (they are refused where tests run). */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'freshet-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Whether chromium is there to test with. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Saves a full-page screenshot as test-output/browser/<name>.png; answers its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Errors the page reported: uncaught exceptions and console errors (a refused inline style or script among them),
 * except the browser's own line for each API answer that was not 2xx, which the console handles.
 */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return;
    errors.push(message.text());
  });
  return errors;
}

const OLD = '2024-06-01 10:00:00';
const OLDER_PLUS_ONE = '2024-06-01 11:00:00';

async function periodic(gw: TestGateway, table: string, scheduleTime: string, expected: number): Promise<void> {
  const res = await gw.refresh({ tables: table, scheduleTime, isPeriodic: true }, 30);
  if (res.status !== expected) throw new Error(`refresh ${table}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Registers a source for the orders table with three hours ready, a gap, and a locked hour. */
async function registerOrdersFeed(gw: TestGateway): Promise<void> {
  const created = await gw.request('POST', '/v3/sources', {
    name: 'sales.orders_feed',
    owner: 'sales',
    catalog: 'default',
    table: 'main.orders',
  });
  if (created.status !== 201) throw new Error(`register source: ${JSON.stringify(created.body)}`);
  const accessToken = created.body.accessToken as string;
  await gw.request('POST', '/v3/providers', { name: 'orders_loader', source: 'sales.orders_feed', accessToken });
  const hours = [
    ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', 'ready'],
    ['2026-01-01T01:00:00Z', '2026-01-01T02:00:00Z', 'ready'],
    ['2026-01-01T03:00:00Z', '2026-01-01T04:00:00Z', 'ready'],
    ['2026-01-01T04:00:00Z', '2026-01-01T05:00:00Z', 'locked'],
  ];
  for (const [start, end, state] of hours) {
    const res = await gw.request('POST', '/v3/sources/sales.orders_feed/partitions', {
      provider: 'orders_loader',
      start,
      end,
      state,
      accessToken,
    });
    if (res.status !== 201) throw new Error(`register partition: ${JSON.stringify(res.body)}`);
  }
}

/**
 * A gateway on SQLite with the embedded scheduler and a short monitor interval, seeded (see the file's comment).
 * `overrides` adds auth, for instance; the seeding itself goes through an admin token when tokens are configured.
 */
export async function seededGateway(overrides: ConfigInput = {}, adminToken?: string): Promise<TestGateway> {
  const gw = await TestGateway.start({
    catalog: { url: 'sqlite:catalog.db' },
    monitor: { intervalSeconds: 1 },
    ...overrides,
  });
  const asAdmin = adminToken === undefined ? gw : withToken(gw, adminToken);
  await asAdmin.sql(`CREATE TABLE orders (id TEXT, customer TEXT, region TEXT, amount INTEGER);
    INSERT INTO orders VALUES ('o1', 'ada', 'north', 10), ('o2', 'bob', 'south', 7), ('o3', 'ada', 'north', 5);
    CREATE TABLE customers (name TEXT, tier TEXT);
    INSERT INTO customers VALUES ('ada', 'gold'), ('bob', 'silver');
    CREATE TABLE order_rows (id TEXT); INSERT INTO order_rows VALUES ('o1');
    CREATE DYNAMIC TABLE customer_spend FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
      AS SELECT o.customer, c.tier, SUM(o.amount) AS total FROM orders o JOIN customers c ON c.name = o.customer
      GROUP BY o.customer, c.tier;
    CREATE DYNAMIC TABLE top_customers FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
      AS SELECT customer, total FROM customer_spend WHERE total > 5;
    CREATE DYNAMIC TABLE vip_alerts FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
      AS SELECT customer FROM top_customers WHERE total > 10;
    CREATE DYNAMIC TABLE order_ids (id, PRIMARY KEY (id)) WITH ('initialize' = 'on_schedule')
      FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT id FROM order_rows;
    CREATE DYNAMIC TABLE regional_sales WITH ('initialize' = 'on_schedule', 'sla.warn_after' = '1 hour',
      'sla.error_after' = '10000 days') FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
      AS SELECT region, SUM(amount) AS total FROM orders GROUP BY region;
    CREATE DYNAMIC TABLE monthly_archive FRESHNESS = INTERVAL '1' DAY REFRESH_MODE = FULL
      AS SELECT customer, amount FROM orders;
    CREATE DYNAMIC TABLE backlog_report WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '30' MINUTE
      REFRESH_MODE = FULL AS SELECT id FROM orders`);
  await periodic(asAdmin, 'order_ids', OLD, 200);
  await periodic(asAdmin, 'regional_sales', OLD, 200);
  await asAdmin.sql(`INSERT INTO order_rows VALUES ('o1');
    CREATE DYNAMIC TABLE order_audit FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
      AS SELECT id FROM order_ids;
    ALTER DYNAMIC TABLE monthly_archive SUSPEND`);
  await periodic(asAdmin, 'order_ids', OLDER_PLUS_ONE, 500);
  await registerOrdersFeed(asAdmin);
  await asAdmin.request('POST', '/v3/reflection/run', {});
  await gw.gateway.manager.freshnessPass();
  return gw;
}

/** The same gateway's requests with a bearer token. */
function withToken(gw: TestGateway, token: string): TestGateway {
  const headers = { authorization: `Bearer ${token}` };
  const request = gw.request.bind(gw);
  return new Proxy(gw, {
    get(target, key, receiver) {
      if (key === 'request') {
        return (method: string, route: string, body?: unknown, extra: Record<string, string> = {}) =>
          request(method, route, body, { ...headers, ...extra });
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(receiver) : value;
    },
  });
}
