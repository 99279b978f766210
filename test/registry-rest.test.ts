import { strict as assert } from 'node:assert';
import type { ConfigInput } from '../src/config/config';
import { createDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';

interface Backend {
  readonly name: string;
  config(): Promise<{ overrides: ConfigInput; drop: () => Promise<void> }>;
}

const BACKENDS: readonly Backend[] = [
  { name: 'SQLite catalog', config: async () => ({ overrides: {}, drop: async () => undefined }) },
  {
    name: 'PostgreSQL catalog',
    config: async () => {
      const catalog = await createDatabase('postgres');
      return { overrides: { catalog: { url: catalog.url } }, drop: () => catalog.drop() };
    },
  },
];

const DAY1 = '2026-01-01T00:00:00.000Z';
const DAY2 = '2026-01-02T00:00:00.000Z';
const DAY3 = '2026-01-03T00:00:00.000Z';

for (const backend of BACKENDS) {
  describe(`source registry over REST (${backend.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      const { overrides, drop: dropIt } = await backend.config();
      drop = dropIt;
      gw = await TestGateway.start(overrides);
    });
    afterEach(async () => {
      await gw.close();
      await drop();
    });

    async function source(name: string, extra: Record<string, unknown> = {}): Promise<string> {
      const res = await gw.request('POST', '/v3/sources', { name, owner: 'ada@example.com', ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await provider(name, 'loader', res.body.accessToken);
      return res.body.accessToken;
    }

    async function provider(sourceName: string, name: string, accessToken: string) {
      const res = await gw.request('POST', '/v3/providers', { name, source: sourceName, accessToken });
      assert.ok(res.status === 201 || res.status === 200, JSON.stringify(res.body));
    }

    function partition(name: string, token: string, body: Record<string, unknown>) {
      return gw.request('POST', `/v3/sources/${name}/partitions`, { provider: 'loader', ...body }, auth(token));
    }

    function readiness(name: string, start: string, end: string) {
      return gw.request(
        'GET',
        `/v3/sources/${name}/readiness?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`,
      );
    }

    it('registers a source once, showing its token only then, and stores availability.time_column', async () => {
      const body = {
        name: 'public.orders',
        owner: 'ada@example.com',
        catalog: 'default',
        table: 'orders',
        options: { 'availability.time_column': 'created_at' },
      };
      const first = await gw.request('POST', '/v3/sources', body);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.name, 'public.orders');
      assert.equal(typeof first.body.accessToken, 'string');
      assert.ok(first.body.accessToken.length >= 20);
      assert.deepEqual(first.body.options, { 'availability.time_column': 'created_at' });
      const again = await gw.request('POST', '/v3/sources', body);
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'ALREADY_EXISTS');
      assert.equal(JSON.stringify(again.body).includes(first.body.accessToken), false);
      assert.equal(again.body.accessToken, undefined);
      const shown = await gw.request('GET', '/v3/sources/public.orders');
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.options, { 'availability.time_column': 'created_at' });
      assert.equal(JSON.stringify(shown.body).includes(first.body.accessToken), false);
    });

    it('refuses a bad source with 400 naming the field', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ owner: 'ada' }, /name/],
        [{ name: 'has space', owner: 'ada' }, /name/],
        [{ name: 'x', owner: 'ada', timeZone: 'Mars/Base' }, /timeZone/],
        [{ name: 'x', owner: 'ada', options: { 'availability.colum': 'c' } }, /options: unknown source option/],
      ];
      for (const [body, message] of cases) {
        const res = await gw.request('POST', '/v3/sources', body);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.match(res.body.error.message, message);
      }
    });

    it('registers providers with the source token: 201, then 200; wrong token 403; unknown source 404', async () => {
      const created = await gw.request('POST', '/v3/sources', { name: 's1', owner: 'ada' });
      const token = created.body.accessToken;
      const first = await gw.request('POST', '/v3/providers', { name: 'dag.load', source: 's1', accessToken: token });
      assert.equal(first.status, 201);
      assert.deepEqual([first.body.source, first.body.name], ['s1', 'dag.load']);
      const again = await gw.request('POST', '/v3/providers', { name: 'dag.load', source: 's1' }, auth(token));
      assert.equal(again.status, 200);
      const wrong = await gw.request('POST', '/v3/providers', { name: 'p', source: 's1', accessToken: 'nope' });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.error.code, 'FORBIDDEN');
      const none = await gw.request('POST', '/v3/providers', { name: 'p', source: 's1' });
      assert.equal(none.status, 403);
      assert.match(none.body.error.message, /access token/);
      const unknown = await gw.request('POST', '/v3/providers', { name: 'p', source: 'nope', accessToken: token });
      assert.equal(unknown.status, 404);
    });

    it('registers partitions idempotently, with the token as bearer or in the body', async () => {
      const token = await source('s2');
      const first = await partition('s2', token, { start: DAY1, end: DAY2 });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.deepEqual(
        [first.body.source, first.body.provider, first.body.start, first.body.end, first.body.state],
        ['s2', 'loader', DAY1, DAY2, 'REGISTERED'],
      );
      const again = await gw.request('POST', '/v3/sources/s2/partitions', {
        provider: 'loader',
        start: '2026-01-01T01:00:00+01:00',
        end: DAY2,
        accessToken: token,
      });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      const noToken = await gw.request('POST', '/v3/sources/s2/partitions', {
        provider: 'loader',
        start: DAY1,
        end: DAY2,
      });
      assert.equal(noToken.status, 403);
      const wrong = await partition('s2', 'wrong', { start: DAY1, end: DAY2 });
      assert.equal(wrong.status, 403);
      const otherProvider = await partition('s2', token, { provider: 'stranger', start: DAY1, end: DAY2 });
      assert.equal(otherProvider.status, 404);
      assert.match(otherProvider.body.error.message, /Provider stranger is not registered/);
    });

    it('refuses bad start, end and names with 400 saying which and why', async () => {
      const token = await source('s3');
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ start: 'yesterday', end: DAY2 }, /^start: 'yesterday' is not an ISO-8601 date-time/],
        [{ start: DAY1, end: '2026-13-01T00:00:00Z' }, /^end: /],
        [{ start: DAY2, end: DAY1 }, /^end: must be after start/],
        [{ start: DAY1, end: DAY1 }, /^end: must be after start/],
        [{ start: '10000-01-01T00:00:00Z', end: DAY2 }, /^start: /],
        [{ provider: 'two words', start: DAY1, end: DAY2 }, /provider/],
        [{ start: DAY1 }, /end/],
        [{ start: DAY1, end: DAY2, state: 'open' }, /state: expected locked or ready/],
      ];
      for (const [body, message] of cases) {
        const res = await partition('s3', token, body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
        assert.match(res.body.error.message, message, JSON.stringify(body));
      }
    });

    it('locks and unlocks partitions, and readiness follows the latest event', async () => {
      const token = await source('s4');
      assert.equal((await partition('s4', token, { start: DAY1, end: DAY2, state: 'locked' })).status, 201);
      let answer = await readiness('s4', DAY1, DAY2);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.ready, false);
      assert.equal(answer.body.locked.length, 1);
      assert.equal(answer.body.locked[0].provider, 'loader');
      const key = { provider: 'loader', start: DAY1, end: DAY2 };
      const unlocked = await gw.request('POST', '/v3/sources/s4/partitions/unlock', key, auth(token));
      assert.equal(unlocked.status, 200, JSON.stringify(unlocked.body));
      assert.deepEqual([unlocked.body.state, unlocked.body.event], ['READY', 'UNLOCK']);
      answer = await readiness('s4', DAY1, DAY2);
      assert.deepEqual(
        [answer.body.ready, answer.body.gaps, answer.body.covered, answer.body.readyThrough],
        [true, [], [{ start: DAY1, end: DAY2 }], DAY2],
      );
      answer = await readiness('s4', DAY1, DAY3);
      assert.deepEqual([answer.body.ready, answer.body.gaps], [false, [{ start: DAY2, end: DAY3 }]]);
      const locked = await gw.request('POST', '/v3/sources/s4/partitions/lock', { ...key, accessToken: token });
      assert.equal(locked.status, 200);
      assert.equal((await readiness('s4', DAY1, DAY2)).body.ready, false);
      const unknown = await gw.request('POST', '/v3/sources/s4/partitions/lock', { ...key, end: DAY3 }, auth(token));
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.error.message, /is not registered; register it first/);
      const events = (await gw.request('GET', '/v3/sources/s4')).body.latestEvents;
      assert.deepEqual(
        events.map((e: any) => e.event),
        ['LOCK', 'UNLOCK', 'LOCK'],
      );
    });

    it("counts a partition inside the interval and a short one after a long one (the seed's two bugs)", async () => {
      const token = await source('s5');
      await partition('s5', token, { start: '2026-01-01T10:00:00Z', end: '2026-01-01T11:00:00Z', state: 'ready' });
      const inside = await readiness('s5', '2026-01-01T09:00:00Z', '2026-01-01T12:00:00Z');
      assert.deepEqual(inside.body.covered, [{ start: '2026-01-01T10:00:00.000Z', end: '2026-01-01T11:00:00.000Z' }]);
      assert.equal(inside.body.gaps.length, 2);
      const token2 = await source('s6');
      await partition('s6', token2, { start: DAY1, end: DAY3, state: 'ready' });
      await partition('s6', token2, { start: '2026-01-01T06:00:00Z', end: '2026-01-01T07:00:00Z', state: 'ready' });
      const answer = await readiness('s6', DAY1, DAY3);
      assert.deepEqual([answer.body.ready, answer.body.gaps], [true, []]);
      assert.equal(answer.body.readyThrough, DAY3);
    });

    it('takes names with dots, URL-encoded or not', async () => {
      for (const name of ['public.orders', 'default.main.t']) {
        const token = await source(name);
        const encoded = encodeURIComponent(name).replace(/\./g, '%2E');
        const registered = await partition(encoded, token, { start: DAY1, end: DAY2, state: 'ready' });
        assert.equal(registered.status, 201, JSON.stringify(registered.body));
        assert.equal(registered.body.source, name);
        for (const written of [name, encoded]) {
          const answer = await readiness(written, DAY1, DAY2);
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          assert.deepEqual([answer.body.source, answer.body.ready], [name, true]);
          const detail = await gw.request('GET', `/v3/sources/${written}`);
          assert.equal(detail.body.name, name);
          assert.equal(detail.body.partitions.total, 1);
        }
        const lock = await gw.request(
          'POST',
          `/v3/sources/${encoded}/partitions/lock`,
          { provider: 'loader', start: DAY1, end: DAY2 },
          auth(token),
        );
        assert.equal(lock.status, 200);
      }
    });

    it('lists sources, pages partitions, and deletes providers and sources', async () => {
      const token = await source('s7');
      for (let day = 1; day <= 5; day++) {
        const start = `2026-01-0${day}T00:00:00Z`;
        const end = `2026-01-0${day + 1}T00:00:00Z`;
        assert.equal((await partition('s7', token, { start, end, state: 'ready' })).status, 201);
      }
      await source('s8');
      const list = await gw.request('GET', '/v3/sources');
      assert.deepEqual(
        list.body.sources.map((s: any) => [s.name, s.partitions, s.providers, s.readyThrough]),
        [
          ['s7', 5, 1, '2026-01-06T00:00:00.000Z'],
          ['s8', 0, 1, null],
        ],
      );
      const page = await gw.request('GET', '/v3/sources/s7?limit=2&offset=1');
      assert.deepEqual(
        page.body.partitions.items.map((p: any) => p.start),
        ['2026-01-04T00:00:00.000Z', '2026-01-03T00:00:00.000Z'],
      );
      assert.deepEqual([page.body.partitions.total, page.body.partitions.nextOffset], [5, 3]);
      assert.deepEqual(
        page.body.providers.map((p: any) => p.name),
        ['loader'],
      );
      assert.equal((await gw.request('GET', '/v3/sources/s7?limit=x')).status, 400);
      const removed = await gw.request('DELETE', '/v3/sources/s7/providers/loader');
      assert.equal(removed.status, 200);
      assert.equal((await gw.request('GET', '/v3/sources/s7')).body.partitions.total, 0);
      assert.equal((await readiness('s7', DAY1, DAY2)).body.ready, false);
      assert.equal((await gw.request('DELETE', '/v3/sources/s7/providers/loader')).status, 404);
      assert.equal((await gw.request('DELETE', '/v3/sources/s7')).status, 200);
      assert.equal((await gw.request('GET', '/v3/sources/s7')).status, 404);
      assert.equal((await readiness('s7', DAY1, DAY2)).status, 404);
      assert.equal((await gw.request('DELETE', '/v3/sources/s7')).status, 404);
    });

    it('answers readiness with 400 for a bad interval and 404 for an unknown source', async () => {
      await source('s9');
      const missing = await gw.request('GET', `/v3/sources/s9/readiness?start=${DAY1}`);
      assert.equal(missing.status, 400);
      assert.match(missing.body.error.message, /end/);
      const backwards = await readiness('s9', DAY2, DAY1);
      assert.equal(backwards.status, 400);
      assert.match(backwards.body.error.message, /^end: must be after start/);
      assert.equal((await readiness('nope', DAY1, DAY2)).status, 404);
    });
  });
}

export function auth(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
