import assert from 'node:assert/strict';
import { assertValidationError } from './helpers/assertions';
import { checkPartitionValues, countTicks, freshnessToQuartzCron, ticksBetween, windowTicks } from '../src/freshness';
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
