import assert from 'node:assert/strict';
import { assertValidationError } from './helpers/assertions';
import {
  formatFreshness,
  freshnessToQuartzCron,
  nextFireTime,
  previousFireTime,
  quartzToCronParser,
  quartzToUnixCron,
} from '../src/freshness';
import type { Freshness, FreshnessUnit } from '../src/sql/statements';

const f = (interval: number, unit: FreshnessUnit): Freshness => ({ interval, unit });

const SIXTY_DIVISORS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const TWENTY_FOUR_DIVISORS = [1, 2, 3, 4, 6, 8, 12];

/** Every schedule FULL mode allows, with its Quartz and Unix cron. */
const ALLOWED: Array<[Freshness, string, string | null]> = [
  ...SIXTY_DIVISORS.map((n): [Freshness, string, null] => [f(n, 'SECOND'), `0/${n} * * * * ? *`, null]),
  ...SIXTY_DIVISORS.map((n): [Freshness, string, string] => [
    f(n, 'MINUTE'),
    `0 0/${n} * * * ? *`,
    n === 1 ? '* * * * *' : `*/${n} * * * *`,
  ]),
  ...TWENTY_FOUR_DIVISORS.map((n): [Freshness, string, string] => [
    f(n, 'HOUR'),
    `0 0 0/${n} * * ? *`,
    n === 1 ? '0 * * * *' : `0 */${n} * * *`,
  ]),
  [f(1, 'DAY'), '0 0 0 * * ? *', '0 0 * * *'],
];

const LESS_THAN = (bound: number, unit: string) =>
  `In full refresh mode, freshness must be less than ${bound} when the time unit is ${unit}.`;
const FACTORS = (bound: number, unit: string) =>
  `In full refresh mode, only freshness that are factors of ${bound} are currently supported when the time unit is ${unit}.`;
const POSITIVE = (v: number) =>
  `The freshness interval currently only supports positive integer type values. But was: ${v}`;

const REJECTED: Array<[Freshness, string]> = [
  [f(60, 'SECOND'), LESS_THAN(60, 'SECOND')],
  [f(90, 'SECOND'), LESS_THAN(60, 'SECOND')],
  [f(32, 'SECOND'), FACTORS(60, 'SECOND')],
  [f(7, 'SECOND'), FACTORS(60, 'SECOND')],
  [f(45, 'SECOND'), FACTORS(60, 'SECOND')],
  [f(60, 'MINUTE'), LESS_THAN(60, 'MINUTE')],
  [f(90, 'MINUTE'), LESS_THAN(60, 'MINUTE')],
  [f(32, 'MINUTE'), FACTORS(60, 'MINUTE')],
  [f(40, 'MINUTE'), FACTORS(60, 'MINUTE')],
  [f(24, 'HOUR'), LESS_THAN(24, 'HOUR')],
  [f(48, 'HOUR'), LESS_THAN(24, 'HOUR')],
  [f(14, 'HOUR'), FACTORS(24, 'HOUR')],
  [f(5, 'HOUR'), FACTORS(24, 'HOUR')],
  [f(2, 'DAY'), 'In full refresh mode, freshness must be 1 when the time unit is DAY.'],
  [f(30, 'DAY'), 'In full refresh mode, freshness must be 1 when the time unit is DAY.'],
  [f(0, 'MINUTE'), POSITIVE(0)],
  [f(-1, 'HOUR'), POSITIVE(-1)],
  [f(1.5, 'SECOND'), POSITIVE(1.5)],
  [f(0, 'DAY'), POSITIVE(0)],
  [
    { interval: 1, unit: 'WEEK' as FreshnessUnit },
    'Dynamic table freshness only supports SECOND, MINUTE, HOUR, DAY as the time unit. But was: WEEK',
  ],
];

describe('freshness → cron', () => {
  describe('every allowed FULL-mode freshness', () => {
    for (const [freshness, quartz, unix] of ALLOWED) {
      it(`${formatFreshness(freshness)} → '${quartz}' / ${unix === null ? 'no Unix cron' : `'${unix}'`}`, () => {
        assert.equal(freshnessToQuartzCron(freshness), quartz);
        assert.equal(quartzToUnixCron(quartz), unix);
      });
    }
  });

  describe('rejections (Flink wording)', () => {
    for (const [freshness, message] of REJECTED) {
      it(`${formatFreshness(freshness)}: ${message}`, () =>
        assertValidationError(() => freshnessToQuartzCron(freshness), message));
    }
  });

  describe('quartzToUnixCron', () => {
    it('accepts the Quartz form without a year field', () =>
      assert.equal(quartzToUnixCron('0 0/15 * * * ?'), '*/15 * * * *'));
    for (const quartz of [
      '0 30 2 * * ? *',
      '0 0/5 * * * ? 2025',
      '*/5 * * * *',
      '0 0/5 * * MON ? *',
      'nonsense',
      '0 0/60 * * * ? *',
    ]) {
      it(`rejects '${quartz}'`, () =>
        assertValidationError(() => quartzToUnixCron(quartz), /Cannot translate the Quartz cron/));
    }
  });

  describe('quartzToCronParser', () => {
    const cases: Array<[string, string]> = [
      ['0 0/5 * * * ? *', '0 0/5 * * * ?'],
      ['0 0 0 * * ? *', '0 0 0 * * ?'],
      ['0/30 * * * * ?', '0/30 * * * * ?'],
    ];
    for (const [quartz, expected] of cases) {
      it(`'${quartz}' → '${expected}'`, () => assert.equal(quartzToCronParser(quartz), expected));
    }
    it('rejects a specific year', () => assertValidationError(() => quartzToCronParser('0 0 0 * * ? 2030'), /year/));
    it('rejects a 5-field Unix cron', () =>
      assertValidationError(() => quartzToCronParser('*/5 * * * *'), /6 or 7 fields/));
    it('rejects an out-of-range field', () =>
      assertValidationError(() => quartzToCronParser('0 61 * * * ?'), /^Invalid Quartz cron '0 61 \* \* \* \?': .*61/));
  });
});

describe('fire times', () => {
  const at = (iso: string) => new Date(iso);

  it('next fire of an hourly schedule crosses the hour boundary', () => {
    const quartz = freshnessToQuartzCron(f(1, 'HOUR'));
    assert.equal(nextFireTime(quartz, at('2024-01-01T09:59:59Z'), 'UTC').toISOString(), '2024-01-01T10:00:00.000Z');
  });

  it('next fire is strictly after the given instant', () => {
    const quartz = freshnessToQuartzCron(f(15, 'MINUTE'));
    assert.equal(nextFireTime(quartz, at('2024-01-01T10:00:00Z'), 'UTC').toISOString(), '2024-01-01T10:15:00.000Z');
    assert.equal(nextFireTime(quartz, at('2024-01-01T10:59:00.500Z'), 'UTC').toISOString(), '2024-01-01T11:00:00.000Z');
  });

  it('previous fire counts a fire exactly at the given instant', () => {
    const quartz = freshnessToQuartzCron(f(1, 'HOUR'));
    assert.equal(
      previousFireTime(quartz, at('2024-01-01T10:00:00Z'), 'UTC')?.toISOString(),
      '2024-01-01T10:00:00.000Z',
    );
    assert.equal(
      previousFireTime(quartz, at('2024-01-01T09:59:59.999Z'), 'UTC')?.toISOString(),
      '2024-01-01T09:00:00.000Z',
    );
  });

  it('second-level schedules fire on the second grid', () => {
    const quartz = freshnessToQuartzCron(f(30, 'SECOND'));
    assert.equal(nextFireTime(quartz, at('2024-01-01T10:59:45Z'), 'UTC').toISOString(), '2024-01-01T11:00:00.000Z');
    assert.equal(
      previousFireTime(quartz, at('2024-01-01T11:00:29Z'), 'UTC')?.toISOString(),
      '2024-01-01T11:00:00.000Z',
    );
  });

  it('daily schedules fire at local midnight in a non-UTC zone', () => {
    const quartz = freshnessToQuartzCron(f(1, 'DAY'));
    // Midnight in Shanghai (UTC+8) is 16:00 UTC the day before.
    assert.equal(
      nextFireTime(quartz, at('2024-01-01T00:00:00Z'), 'Asia/Shanghai').toISOString(),
      '2024-01-01T16:00:00.000Z',
    );
    assert.equal(
      previousFireTime(quartz, at('2024-01-01T00:00:00Z'), 'Asia/Shanghai')?.toISOString(),
      '2023-12-31T16:00:00.000Z',
    );
  });

  it('multi-hour schedules follow the local wall clock, not UTC', () => {
    const quartz = freshnessToQuartzCron(f(4, 'HOUR'));
    // Kolkata is UTC+05:30: local 04:00 is 22:30 UTC the day before, local 08:00 is 02:30 UTC.
    assert.equal(
      nextFireTime(quartz, at('2024-01-01T00:00:00Z'), 'Asia/Kolkata').toISOString(),
      '2024-01-01T02:30:00.000Z',
    );
    assert.equal(
      previousFireTime(quartz, at('2024-01-01T00:00:00Z'), 'Asia/Kolkata')?.toISOString(),
      '2023-12-31T22:30:00.000Z',
    );
  });

  it('hourly schedules skip the missing hour of a DST spring-forward', () => {
    const quartz = freshnessToQuartzCron(f(1, 'HOUR'));
    // New York, 2024-03-10: 01:59:59 EST is followed by 03:00:00 EDT.
    const first = nextFireTime(quartz, at('2024-03-10T06:30:00Z'), 'America/New_York');
    assert.equal(first.toISOString(), '2024-03-10T07:00:00.000Z');
    assert.equal(nextFireTime(quartz, first, 'America/New_York').toISOString(), '2024-03-10T08:00:00.000Z');
  });

  it('accepts a fixed UTC offset zone', () =>
    assert.equal(
      nextFireTime(freshnessToQuartzCron(f(1, 'DAY')), at('2024-01-01T00:00:00Z'), 'UTC+8').toISOString(),
      '2024-01-01T16:00:00.000Z',
    ));

  it('rejects an unknown time zone, naming it', () =>
    assertValidationError(
      () => nextFireTime('0 0 0 * * ? *', at('2024-01-01T00:00:00Z'), 'Mars/Olympus'),
      /'Mars\/Olympus'/,
    ));
});
