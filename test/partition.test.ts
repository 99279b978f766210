import assert from 'node:assert/strict';
import { assertValidationError } from './helpers/assertions';
import { parseScheduleTime, partitionFormatters, periodicPartition, validateDateFormatter } from '../src/freshness';
import type { Freshness, FreshnessUnit } from '../src/sql/statements';

const f = (interval: number, unit: FreshnessUnit): Freshness => ({ interval, unit });

const DAY = { day: 'yyyy-MM-dd' };
const DAY_HOUR = { day: 'yyyy-MM-dd', hour: 'HH' };
const DAY_HOUR_MINUTE = { day: 'yyyy-MM-dd', hour: 'HH', minute: 'mm' };

/** Flink's MaterializedTableManagerTest#testGetPeriodRefreshPartition, in UTC. */
const FLINK_CASES: Array<[string, Freshness, Record<string, string>, Record<string, string>]> = [
  ['2024-01-01 00:00:00', f(1, 'DAY'), DAY, { day: '2023-12-31' }],
  ['2024-01-02 00:00:00', f(1, 'DAY'), DAY, { day: '2024-01-01' }],
  ['2024-01-02 00:00:00', f(1, 'HOUR'), DAY_HOUR, { day: '2024-01-01', hour: '23' }],
  ['2024-01-02 01:00:00', f(1, 'HOUR'), DAY_HOUR, { day: '2024-01-02', hour: '00' }],
  ['2024-01-01 00:00:00', f(2, 'HOUR'), DAY_HOUR, { day: '2023-12-31', hour: '22' }],
  ['2024-01-01 00:00:00', f(4, 'HOUR'), DAY_HOUR, { day: '2023-12-31', hour: '20' }],
  ['2024-01-01 00:00:00', f(8, 'HOUR'), DAY_HOUR, { day: '2023-12-31', hour: '16' }],
  ['2024-01-01 00:00:00', f(12, 'HOUR'), DAY_HOUR, { day: '2023-12-31', hour: '12' }],
  ['2024-01-01 12:00:00', f(12, 'HOUR'), DAY_HOUR, { day: '2024-01-01', hour: '00' }],
  ...(
    [
      [1, '59'],
      [2, '58'],
      [4, '56'],
      [5, '55'],
      [6, '54'],
      [10, '50'],
      [12, '48'],
      [15, '45'],
      [30, '30'],
    ] as const
  ).map(([n, minute]): [string, Freshness, Record<string, string>, Record<string, string>] => [
    '2024-01-01 00:00:00',
    f(n, 'MINUTE'),
    DAY_HOUR_MINUTE,
    { day: '2023-12-31', hour: '23', minute },
  ]),
  ['2024-01-01 00:30:00', f(30, 'MINUTE'), DAY_HOUR_MINUTE, { day: '2024-01-01', hour: '00', minute: '00' }],
  ['2024-01-01 00:00:00', f(1, 'DAY'), DAY_HOUR, { day: '2023-12-31', hour: '00' }],
  ['2024-01-01 00:00:00', f(1, 'DAY'), DAY_HOUR_MINUTE, { day: '2023-12-31', hour: '00', minute: '00' }],
  ['2024-01-01 01:00:00', f(1, 'HOUR'), DAY_HOUR_MINUTE, { day: '2024-01-01', hour: '00', minute: '00' }],
  ['2024-01-01 02:00:00', f(2, 'HOUR'), DAY, { day: '2024-01-01' }],
  ['2024-01-01 00:01:00', f(1, 'MINUTE'), DAY, { day: '2024-01-01' }],
];

describe('periodic partition', () => {
  describe("Flink's partition table (UTC)", () => {
    for (const [scheduleTime, freshness, formatters, expected] of FLINK_CASES) {
      const label = `${scheduleTime} − ${freshness.interval} ${freshness.unit} with ${Object.keys(formatters).join(',')}`;
      it(`${label} → ${Object.values(expected).join(' / ')}`, () =>
        assert.deepEqual(
          periodicPartition(parseScheduleTime(scheduleTime, 'UTC'), freshness, formatters, 'UTC'),
          expected,
        ));
    }
  });

  it('formats in the configured time zone', () => {
    // 2024-01-01 00:00 in Shanghai is 2023-12-31 16:00 UTC; the closed hour is 23:00 Shanghai time.
    const scheduleTime = parseScheduleTime('2024-01-01 00:00:00', 'Asia/Shanghai');
    assert.deepEqual(periodicPartition(scheduleTime, f(1, 'HOUR'), DAY_HOUR, 'Asia/Shanghai'), {
      day: '2023-12-31',
      hour: '23',
    });
    assert.deepEqual(periodicPartition(scheduleTime, f(1, 'HOUR'), DAY_HOUR, 'UTC'), { day: '2023-12-31', hour: '15' });
  });

  it('passes literal text through', () => {
    const scheduleTime = parseScheduleTime('2024-03-05 07:08:09', 'UTC');
    assert.deepEqual(
      periodicPartition(
        scheduleTime,
        f(1, 'SECOND'),
        {
          iso: "yyyy-MM-dd'T'HH:mm:ss",
          bare: 'yyyy-MM-ddTHH',
          compact: 'yyyyMMdd',
          slash: 'yyyy/MM/dd HH',
          label: "'day='yyyy-MM-dd",
          short: 'yy-M-d H:m:s',
        },
        'UTC',
      ),
      {
        iso: '2024-03-05T07:08:08',
        bare: '2024-03-05T07',
        compact: '20240305',
        slash: '2024/03/05 07',
        label: 'day=2024-03-05',
        short: '24-3-5 7:8:8',
      },
    );
  });

  it('is empty for a table without formatters (the whole table is rewritten)', () =>
    assert.deepEqual(periodicPartition(new Date('2024-01-01T00:00:00Z'), f(1, 'DAY'), {}, 'UTC'), {}));

  it('rejects a bad formatter, naming its option', () =>
    assertValidationError(
      () => periodicPartition(new Date('2024-01-01T00:00:00Z'), f(1, 'DAY'), { ds: 'yyyy-MM-dd hh' }, 'UTC'),
      /'partition\.fields\.ds\.date-formatter'/,
    ));

  it('rejects an unknown time zone', () =>
    assertValidationError(() => periodicPartition(new Date(), f(1, 'DAY'), DAY, 'Mars/Olympus'), /'Mars\/Olympus'/));
});

describe('partitionFormatters', () => {
  it('collects the date-formatter options by column and ignores other options', () =>
    assert.deepEqual(
      partitionFormatters({
        connector: 'sqlite',
        'partition.fields.ds.date-formatter': 'yyyy-MM-dd',
        'partition.fields.hh.date-formatter': 'HH',
        'partition.fields.ds.other': 'x',
        'partition.fields..date-formatter': 'HH',
        'x.partition.fields.y.date-formatter': 'HH',
      }),
      { ds: 'yyyy-MM-dd', hh: 'HH' },
    ));
});

describe('validateDateFormatter', () => {
  const option = 'partition.fields.ds.date-formatter';
  for (const pattern of [
    'yyyy-MM-dd',
    'HH',
    'mm',
    'yyyy-MM-dd HH:mm:ss',
    "yyyy-MM-dd'T'HH",
    'yyyyMMddHH',
    "'it''s' yyyy",
  ]) {
    it(`accepts ${JSON.stringify(pattern)}`, () => assert.doesNotThrow(() => validateDateFormatter(option, pattern)));
  }
  const rejected: Array<[string, RegExp]> = [
    ['yyyy-MM-dd hh', /'hh' is not a supported pattern/],
    ['yyyyy', /'yyyyy' is not a supported pattern/],
    ['yyy', /'yyy' is not a supported pattern/],
    ['MMM dd', /'MMM' is not a supported pattern/],
    ['EEE', /'EEE' is not a supported pattern/],
    ['HH:mm:ss.SSS', /'SSS' is not a supported pattern/],
    ["yyyy 'open", /not closed/],
    ['', /no date or time field/],
    ['---', /no date or time field/],
  ];
  for (const [pattern, reason] of rejected) {
    it(`rejects ${JSON.stringify(pattern)} naming the option`, () =>
      assertValidationError(
        () => validateDateFormatter(option, pattern),
        new RegExp(`option 'partition\\.fields\\.ds\\.date-formatter': .*${reason.source}`),
      ));
  }
});
