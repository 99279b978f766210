import assert from 'node:assert/strict';
import { assertValidationError } from './helpers/assertions';
import { checkPartitionValues, countTicks, freshnessToQuartzCron, ticksBetween, windowTicks } from '../src/freshness';
import type { HistoryFilter } from '../src/catalog/job-store';
import type { DynamicTableRecord, HistoryRecord } from '../src/catalog/records';
import { CatchUp } from '../src/manager/catch-up';
import type { Freshness } from '../src/sql/statements';

const HOUR: Freshness = { interval: 1, unit: 'HOUR' };
const HOURLY = freshnessToQuartzCron(HOUR);
const at = (iso: string) => new Date(`${iso}Z`);
const isos = (dates: readonly Date[]) => dates.map((d) => d.toISOString().slice(0, 16));

describe('window ticks', () => {
  it('lists the ticks whose window lies within [from, to), oldest first', () =>
    assert.deepEqual(
      isos(windowTicks(HOURLY, HOUR, { from: at('2024-01-01T01:00'), to: at('2024-01-01T04:00') }, 'UTC', 1000)),
      ['2024-01-01T02:00', '2024-01-01T03:00', '2024-01-01T04:00'],
    ));

  it('leaves out a window that starts before FROM or ends after TO', () =>
    assert.deepEqual(
      isos(windowTicks(HOURLY, HOUR, { from: at('2024-01-01T01:30'), to: at('2024-01-01T03:59') }, 'UTC', 1000)),
      ['2024-01-01T03:00'],
    ));

  it('stops one past the limit', () =>
    assert.equal(
      windowTicks(HOURLY, HOUR, { from: at('2024-01-01T00:00'), to: at('2024-02-01T00:00') }, 'UTC', 5).length,
      6,
    ));

  it('reads the schedule in the time zone', () => {
    const day: Freshness = { interval: 1, unit: 'DAY' };
    const ticks = windowTicks(
      freshnessToQuartzCron(day),
      day,
      { from: at('2023-12-31T16:00'), to: at('2024-01-03T16:00') },
      'Asia/Shanghai',
      10,
    );
    // Midnight in Shanghai is 16:00 UTC the day before.
    assert.deepEqual(isos(ticks), ['2024-01-01T16:00', '2024-01-02T16:00', '2024-01-03T16:00']);
  });

  it('lists the newest ticks strictly between two instants', () => {
    assert.deepEqual(isos(ticksBetween(HOURLY, at('2024-01-01T01:00'), at('2024-01-01T05:00'), 'UTC', 10)), [
      '2024-01-01T02:00',
      '2024-01-01T03:00',
      '2024-01-01T04:00',
    ]);
    assert.deepEqual(isos(ticksBetween(HOURLY, at('2024-01-01T01:00'), at('2024-01-01T05:00'), 'UTC', 2)), [
      '2024-01-01T03:00',
      '2024-01-01T04:00',
    ]);
    assert.deepEqual(ticksBetween(HOURLY, at('2024-01-01T04:00'), at('2024-01-01T05:00'), 'UTC', 10), []);
  });

  it('counts ticks exactly up to a cap, and estimates beyond it', () => {
    const span = { after: at('2024-01-01T00:00'), before: at('2024-01-02T00:00') };
    assert.deepEqual(countTicks(HOURLY, HOUR, span, 'UTC'), { count: 23, exact: true });
    assert.deepEqual(countTicks(HOURLY, HOUR, span, 'UTC', 10), { count: 23, exact: false });
  });
});

describe('checkPartitionValues', () => {
  const formatters = { ds: 'yyyy-MM-dd', hr: 'HH', stamp: "yyyyMMdd'T'HHmm", md: 'MM-dd' };
  for (const [column, value] of [
    ['ds', '2024-01-05'],
    ['ds', '2024-02-29'],
    ['DS', '2024-12-31'],
    ['hr', '23'],
    ['stamp', '20240105T0730'],
    ['md', '02-29'],
    ['other', 'anything at all'],
  ] as const) {
    it(`accepts ${column} = '${value}'`, () =>
      assert.doesNotThrow(() => checkPartitionValues({ [column]: value }, formatters)));
  }
  for (const [column, value] of [
    ['ds', '2024-13-45'],
    ['ds', '2024-1-5'],
    ['ds', '2023-02-29'],
    ['ds', 'yesterday'],
    ['ds', '2024-01-05 '],
    ['hr', '24'],
    ['stamp', '20240105T2460'],
  ] as const) {
    it(`refuses ${column} = '${value}', naming the column, the value, the pattern and an example`, () =>
      assertValidationError(
        () => checkPartitionValues({ [column]: value }, formatters),
        (message) => {
          for (const part of [`'${value}'`, `column ${column}`, `'${formatters[column]}'`, "such as '"]) {
            assert.ok(message.includes(part), `${message} should name ${part}`);
          }
        },
      ));
  }

  it('gives an example the pattern writes', () =>
    assertValidationError(() => checkPartitionValues({ ds: 'x' }, formatters), /such as '2024-03-05'/));
});

describe('CatchUp', () => {
  const table = {
    key: 'default.main.hourly',
    identifier: 'default.main.hourly',
    cron: HOURLY,
    freshness: HOUR,
    options: { 'partition.fields.hr.date-formatter': 'yyyy-MM-dd HH' },
    updatedAt: '2024-01-01T00:30:00.000Z',
  } as unknown as DynamicTableRecord;
  const succeeded = (iso: string, trigger = 'SCHEDULED') => ({ scheduleTime: `${iso}:00.000Z`, trigger });
  const catchUp = (rows: Array<{ scheduleTime: string; trigger: string }>, max: number) => {
    const warnings: Array<Record<string, unknown>> = [];
    const history = {
      historyPage: async (filter: HistoryFilter) =>
        rows.filter((r) => r.scheduleTime >= (filter.since ?? '')) as unknown as HistoryRecord[],
    };
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_: string, fields?: Record<string, unknown>) => warnings.push(fields ?? {}),
    };
    return { catchUp: new CatchUp(history, max, 'UTC', logger), warnings };
  };

  it('owes the ticks after the last successful scheduled refresh, not those a manual refresh covered', async () => {
    const { catchUp: c, warnings } = catchUp(
      [succeeded('2024-01-01T02:00'), succeeded('2024-01-01T04:00', 'MANUAL')],
      24,
    );
    assert.deepEqual(isos(await c.missedTicks(table, at('2024-01-01T06:00'))), [
      '2024-01-01T03:00',
      '2024-01-01T04:00',
      '2024-01-01T05:00',
    ]);
    assert.deepEqual(warnings, []);
  });

  it('owes nothing before the table last changed, nor when the previous tick succeeded', async () => {
    assert.deepEqual(isos(await catchUp([], 24).catchUp.missedTicks(table, at('2024-01-01T03:00'))), [
      '2024-01-01T01:00',
      '2024-01-01T02:00',
    ]);
    const { catchUp: c } = catchUp([succeeded('2024-01-01T05:00')], 24);
    assert.deepEqual(await c.missedTicks(table, at('2024-01-01T06:00')), []);
  });

  it('keeps the newest windows and warns how many were left out', async () => {
    const { catchUp: c, warnings } = catchUp([succeeded('2024-01-01T02:00')], 2);
    assert.deepEqual(isos(await c.missedTicks(table, at('2024-01-01T08:00'))), [
      '2024-01-01T06:00',
      '2024-01-01T07:00',
    ]);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.leftOut, 3);
    assert.match(
      String(warnings[0]?.hint),
      /maxCatchUpWindows is 2; ALTER DYNAMIC TABLE default\.main\.hourly BACKFILL/,
    );
  });

  it('owes nothing when turned off or for a table without a date formatter', async () => {
    assert.deepEqual(await catchUp([], 0).catchUp.missedTicks(table, at('2024-01-01T08:00')), []);
    const whole = { ...table, options: {} } as DynamicTableRecord;
    assert.deepEqual(await catchUp([], 24).catchUp.missedTicks(whole, at('2024-01-01T08:00')), []);
  });
});
