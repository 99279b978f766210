import assert from 'node:assert/strict';
import { assertValidationError } from './helpers/assertions';
import {
  deduceRefreshMode,
  defaultFreshness,
  describeFreshness,
  formatFreshness,
  freshnessFromSeconds,
  freshnessToSeconds,
  parseDurationSeconds,
  validateFreshness,
} from '../src/freshness';
import type { LogicalRefreshMode } from '../src/freshness';
import type { Freshness, FreshnessUnit } from '../src/sql/statements';

const f = (interval: number, unit: FreshnessUnit): Freshness => ({ interval, unit });

describe('freshness', () => {
  describe('freshnessToSeconds', () => {
    const cases: Array<[Freshness, number]> = [
      [f(30, 'SECOND'), 30],
      [f(5, 'MINUTE'), 300],
      [f(2, 'HOUR'), 7200],
      [f(3, 'DAY'), 259200],
    ];
    for (const [freshness, seconds] of cases) {
      it(`${formatFreshness(freshness)} is ${seconds} s`, () => assert.equal(freshnessToSeconds(freshness), seconds));
    }

    for (const interval of [0, -1, 1.5, Number.NaN]) {
      it(`rejects an interval of ${interval}`, () =>
        assertValidationError(
          () => freshnessToSeconds(f(interval, 'MINUTE')),
          `The freshness interval currently only supports positive integer type values. But was: ${interval}`,
        ));
    }

    it('rejects an unknown unit', () =>
      assertValidationError(
        () => validateFreshness({ interval: 1, unit: 'WEEK' as FreshnessUnit }),
        'Dynamic table freshness only supports SECOND, MINUTE, HOUR, DAY as the time unit. But was: WEEK',
      ));
  });

  describe('formatting', () => {
    const cases: Array<[Freshness, string, string]> = [
      [f(5, 'MINUTE'), "INTERVAL '5' MINUTE", '5 minutes'],
      [f(1, 'HOUR'), "INTERVAL '1' HOUR", '1 hour'],
      [f(30, 'SECOND'), "INTERVAL '30' SECOND", '30 seconds'],
      [f(1, 'DAY'), "INTERVAL '1' DAY", '1 day'],
      [f(2, 'DAY'), "INTERVAL '2' DAY", '2 days'],
    ];
    for (const [freshness, sql, human] of cases) {
      it(`${sql} reads "${human}"`, () => {
        assert.equal(formatFreshness(freshness), sql);
        assert.equal(describeFreshness(freshness), human);
      });
    }
  });

  describe('freshnessFromSeconds picks the largest whole unit', () => {
    const cases: Array<[number, Freshness]> = [
      [1, f(1, 'SECOND')],
      [60, f(1, 'MINUTE')],
      [90, f(90, 'SECOND')],
      [180, f(3, 'MINUTE')],
      [1800, f(30, 'MINUTE')],
      [3600, f(1, 'HOUR')],
      [5400, f(90, 'MINUTE')],
      [86400, f(1, 'DAY')],
      [172800, f(2, 'DAY')],
      [90000, f(25, 'HOUR')],
    ];
    for (const [seconds, freshness] of cases) {
      it(`${seconds} s → ${formatFreshness(freshness)}`, () =>
        assert.deepEqual(freshnessFromSeconds(seconds), freshness));
    }
    for (const seconds of [0, -60, 1.5]) {
      it(`rejects ${seconds} s`, () =>
        assertValidationError(() => freshnessFromSeconds(seconds), /positive whole number/));
    }
  });

  describe('deduceRefreshMode', () => {
    const threshold = 30 * 60;
    const cases: Array<[LogicalRefreshMode, Freshness, 'FULL' | 'CONTINUOUS']> = [
      ['AUTOMATIC', f(29, 'MINUTE'), 'CONTINUOUS'],
      ['AUTOMATIC', f(1799, 'SECOND'), 'CONTINUOUS'],
      ['AUTOMATIC', f(30, 'MINUTE'), 'FULL'], // exactly the threshold is FULL (strict <)
      ['AUTOMATIC', f(1800, 'SECOND'), 'FULL'],
      ['AUTOMATIC', f(31, 'MINUTE'), 'FULL'],
      ['AUTOMATIC', f(1, 'HOUR'), 'FULL'],
      ['AUTOMATIC', f(1, 'DAY'), 'FULL'],
      ['AUTOMATIC', f(30, 'SECOND'), 'CONTINUOUS'],
      ['FULL', f(30, 'SECOND'), 'FULL'],
      ['FULL', f(30, 'MINUTE'), 'FULL'],
      ['FULL', f(1, 'DAY'), 'FULL'],
      ['CONTINUOUS', f(30, 'DAY'), 'CONTINUOUS'],
      ['CONTINUOUS', f(30, 'MINUTE'), 'CONTINUOUS'],
      ['CONTINUOUS', f(5, 'SECOND'), 'CONTINUOUS'],
    ];
    for (const [logical, freshness, expected] of cases) {
      it(`${logical} with ${formatFreshness(freshness)} → ${expected}`, () =>
        assert.equal(deduceRefreshMode(logical, freshness, threshold), expected));
    }

    it('follows the threshold it is given', () => {
      assert.equal(deduceRefreshMode('AUTOMATIC', f(30, 'MINUTE'), 3600), 'CONTINUOUS');
      assert.equal(deduceRefreshMode('AUTOMATIC', f(1, 'HOUR'), 3600), 'FULL');
      assert.equal(deduceRefreshMode('AUTOMATIC', f(1, 'SECOND'), 1), 'FULL');
    });
  });

  describe('defaultFreshness', () => {
    const defaults = { continuousSeconds: 180, fullSeconds: 3600 };
    it('is 3 minutes for AUTOMATIC', () => assert.deepEqual(defaultFreshness('AUTOMATIC', defaults), f(3, 'MINUTE')));
    it('is 3 minutes for CONTINUOUS', () => assert.deepEqual(defaultFreshness('CONTINUOUS', defaults), f(3, 'MINUTE')));
    it('is 1 hour for FULL', () => assert.deepEqual(defaultFreshness('FULL', defaults), f(1, 'HOUR')));
    it('uses configured defaults', () => {
      const custom = { continuousSeconds: 30, fullSeconds: 86400 };
      assert.deepEqual(defaultFreshness('AUTOMATIC', custom), f(30, 'SECOND'));
      assert.deepEqual(defaultFreshness('FULL', custom), f(1, 'DAY'));
    });
    it('AUTOMATIC with the default freshness deduces CONTINUOUS under the default threshold', () =>
      assert.equal(deduceRefreshMode('AUTOMATIC', defaultFreshness('AUTOMATIC', defaults), 1800), 'CONTINUOUS'));
  });
});

describe('parseDurationSeconds', () => {
  const cases: Array<[string | number, number]> = [
    [90, 90],
    ['90', 90],
    ['90s', 90],
    ['90 seconds', 90],
    ['1 second', 1],
    ['30m', 1800],
    ['30 min', 1800],
    ['30 minute', 1800],
    ['30 minutes', 1800],
    ['30 MINUTES', 1800],
    ['1h', 3600],
    ['2 hours', 7200],
    ['1d', 86400],
    ['2 days', 172800],
    ['PT30M', 1800],
    ['pt30m', 1800],
    ['PT1H30M', 5400],
    ['P1D', 86400],
    ['  5m  ', 300],
  ];
  for (const [value, seconds] of cases) {
    it(`${JSON.stringify(value)} → ${seconds}`, () => assert.equal(parseDurationSeconds(value), seconds));
  }

  const rejected: Array<string | number> = [
    0,
    -5,
    1.5,
    '',
    '0s',
    'abc',
    '5 weeks',
    '1.5h',
    'P1M',
    'PT0.5S',
    'PT',
    '-5m',
  ];
  for (const value of rejected) {
    it(`rejects ${JSON.stringify(value)} and lists the accepted forms`, () =>
      assert.throws(
        () => parseDurationSeconds(value),
        (error: unknown) =>
          error instanceof Error &&
          /Invalid duration/.test(error.message) &&
          /30m/.test(error.message) &&
          /PT30M/.test(error.message),
      ));
  }
});
