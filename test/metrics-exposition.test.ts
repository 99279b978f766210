/**
 * The exposition as a scraper reads it: gzip when asked for (one member whose checksum holds), plain text
 * otherwise, the same samples either way; each family once and in one piece; label values escaped; refresh states
 * Freshet does not know yet counted all the same.
 */
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { GatewayMetrics } from '../src/manager/metrics';
import { gzipBody } from '../src/manager/metrics-segments';
import type { RefreshEnded } from '../src/refresh/refresh-runner';
import { TestGateway } from './helpers/gateway';
import { sleep } from './helpers/wait';
import { parseExposition, sampleValue, samplesOf } from './helpers/prometheus-text';

/** GET with exactly these headers (fetch would add Accept-Encoding and undo the gzip itself). */
function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Each family's HELP and TYPE once, before its samples, and its samples in one run of lines. */
function assertFamiliesWhole(text: string): void {
  const types = new Map<string, string>();
  const closed = new Set<string>();
  let current: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    const family = meta
      ? (meta[2] as string)
      : [...types.keys()].find((name) => {
          const sample = line.split(/[{ ]/)[0] as string;
          return (
            sample === name ||
            (types.get(name) === 'histogram' &&
              /^_(bucket|sum|count)$/.test(sample.slice(name.length)) &&
              sample.startsWith(name))
          );
        });
    assert.ok(family !== undefined, `a sample before its family's TYPE: ${line}`);
    if (family !== current) {
      assert.ok(!closed.has(family), `${family} appears in two places`);
      if (current !== null) closed.add(current);
      current = family;
    }
    if (meta?.[1] === 'TYPE') {
      assert.ok(!types.has(family), `TYPE of ${family} twice`);
      types.set(family, meta[3] as string);
    }
  }
}

const ended = (table: string, state: string, action: string | null = null): RefreshEnded =>
  ({ table, trigger: 'SCHEDULED', state, action, durationMs: 1500, rowsWritten: 3, rowsDeleted: 0 }) as RefreshEnded;

describe('GET /metrics: the exposition a scraper reads', function () {
  this.timeout(60_000);
  let gw: TestGateway;

  before(async () => {
    gw = await TestGateway.start();
    await gw.sql(`CREATE TABLE src (k TEXT); INSERT INTO src VALUES ('a');
      CREATE DYNAMIC TABLE one FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src;
      CREATE DYNAMIC TABLE two FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`);
  });
  after(() => gw.close());

  it('gzips for a scraper that accepts it and sends plain text to one that does not, the same samples', async () => {
    const zipped = await get(`${gw.url}/metrics`, { 'accept-encoding': 'gzip' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.match(String(zipped.headers.vary), /accept-encoding/i);
    const plain = await get(`${gw.url}/metrics`, { 'accept-encoding': 'identity' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(Number(plain.headers['content-length']), plain.body.length);
    const [a, b] = [parseExposition(gunzipSync(zipped.body).toString()), parseExposition(plain.body.toString())];
    assert.ok(zipped.body.length < plain.body.length / 3, `${zipped.body.length} bytes gzipped`);
    // Freshet's own: the process metrics gain series as the process goes (a first garbage collection).
    const names = (m: typeof a) =>
      [...new Set(m.samples.map((s) => s.name).filter((n) => n.startsWith('freshet_')))].sort();
    assert.deepEqual(names(a), names(b));
    for (const table of ['default.main.one', 'default.main.two']) {
      assert.equal(sampleValue(a, 'freshet_dynamic_table_target_lag_seconds', { table }), 3600);
      assert.equal(sampleValue(b, 'freshet_dynamic_table_target_lag_seconds', { table }), 3600);
    }
    assertFamiliesWhole(plain.body.toString());
  });

  it('writes every family once and in one piece, after refreshes and with a table dropped', async () => {
    await gw.sql('ALTER DYNAMIC TABLE one REFRESH; DROP DYNAMIC TABLE two');
    const res = await get(`${gw.url}/metrics`, { 'accept-encoding': 'gzip' });
    const text = gunzipSync(res.body).toString();
    assertFamiliesWhole(text);
    const m = parseExposition(text);
    assert.equal(sampleValue(m, 'freshet_refresh_total', { table: 'default.main.one', trigger: 'MANUAL' }), 1);
    assert.deepEqual(samplesOf(m, 'freshet_dynamic_table_target_lag_seconds', { table: 'default.main.two' }), []);
  });

  it("follows refreshes between scrapes, and a table dropped and created again starts without the old one's", async () => {
    const lastSuccess = async () => {
      const res = await get(`${gw.url}/metrics`, { 'accept-encoding': 'identity' });
      return samplesOf(parseExposition(res.body.toString()), 'freshet_dynamic_table_last_success_timestamp_seconds', {
        table: 'default.main.one',
      }).map((s) => s.value);
    };
    const [before] = await lastSuccess();
    await sleep(20);
    await gw.sql('ALTER DYNAMIC TABLE one REFRESH');
    const [after] = await lastSuccess();
    assert.ok(before !== undefined && after !== undefined && after > before, `${before} then ${after}`);
    await gw.sql(`DROP DYNAMIC TABLE one;
      CREATE DYNAMIC TABLE one WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
        AS SELECT k FROM src`);
    assert.deepEqual(await lastSuccess(), []);
  });
});

describe('GatewayMetrics', () => {
  const catalog = (tables: string[]) => ({
    tables: {
      listFreshness: async () =>
        tables.map((identifier) => ({
          key: identifier.toLowerCase(),
          identifier,
          freshness: { interval: 1, unit: 'HOUR' as const },
          refreshStatus: 'ACTIVATED' as const,
          options: {},
          createdAt: '2026-01-01T00:00:00.000Z',
        })),
    },
    jobs: { lastSuccesses: async () => new Map() },
  });
  const textOf = async (metrics: GatewayMetrics) => {
    const { segments } = await metrics.exposition();
    const text = Buffer.concat(segments.map((s) => s.bytes)).toString();
    assert.equal(gunzipSync(gzipBody(segments)).toString(), text, 'the gzip body holds the same text');
    return text;
  };

  it('counts a refresh state it does not know (BLOCKED) by its name, and times it as it ran', async () => {
    const metrics = new GatewayMetrics(catalog(['default.main.t']));
    metrics.observeRefresh(ended('default.main.t', 'BLOCKED', 'FULL'));
    metrics.observeRefresh(ended('default.main.t', 'SUCCEEDED', 'FULL'));
    metrics.observeRefresh(ended('default.main.t', 'SKIPPED'));
    const m = parseExposition(await textOf(metrics));
    const total = (status: string) => sampleValue(m, 'freshet_refresh_total', { table: 'default.main.t', status });
    assert.deepEqual([total('BLOCKED'), total('SUCCEEDED'), total('SKIPPED')], [1, 1, 1]);
    const count = sampleValue(m, 'freshet_refresh_duration_seconds_count', { table: 'default.main.t', action: 'FULL' });
    assert.equal(count, 2, 'the blocked refresh and the successful one ran; the skipped one did not');
    const buckets = samplesOf(m, 'freshet_refresh_duration_seconds_bucket', { action: 'FULL' });
    assert.deepEqual(
      buckets.map((s) => [s.labels.le, s.value]),
      [
        ['0.1', 0],
        ['0.5', 0],
        ['1', 0],
        ['5', 2],
        ['10', 2],
        ['30', 2],
        ['60', 2],
        ['300', 2],
        ['900', 2],
        ['3600', 2],
        ['+Inf', 2],
      ],
    );
    assert.equal(
      sampleValue(m, 'freshet_refresh_rows_total', { op: 'inserted' }),
      3,
      'rows of the successful one only',
    );
  });

  it('escapes label values, and keeps blocks of many tables in step as they change', async () => {
    const odd = 'default.main."q\\uote\nd"';
    const many = Array.from({ length: 150 }, (_, i) => `default.main.t${String(i).padStart(3, '0')}`);
    const metrics = new GatewayMetrics(catalog([odd, ...many]));
    metrics.observeRefresh(ended(odd, 'FAILED'));
    for (const table of many) metrics.observeRefresh(ended(table, 'SUCCEEDED', 'FULL'));
    await textOf(metrics);
    for (const table of many.filter((_, i) => i % 70 === 0)) metrics.observeRefresh(ended(table, 'FAILED'));
    const text = await textOf(metrics);
    assertFamiliesWhole(text);
    const m = parseExposition(text);
    assert.equal(sampleValue(m, 'freshet_refresh_total', { table: 'default.main.\\"q\\\\uote\\nd\\"' }), 1);
    for (const [i, table] of many.entries()) {
      const failed = samplesOf(m, 'freshet_refresh_total', { table, status: 'FAILED' }).map((s) => s.value);
      assert.deepEqual(failed, i % 70 === 0 ? [1] : [], table);
    }
    assert.equal(samplesOf(m, 'freshet_dynamic_table_freshness_state', { state: 'UNKNOWN' }).length, 151);
  });
});
