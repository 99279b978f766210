import assert from 'node:assert/strict';
import { assertValidationError } from './helpers/assertions';
import { SCHEDULE_TIME_FORMATS, formatScheduleTime, isValidTimeZone, parseScheduleTime } from '../src/freshness';

describe('schedule time', () => {
  describe('parseScheduleTime accepts', () => {
    const cases: Array<[string, string, string]> = [
      ['2024-01-01 00:00:00', 'UTC', '2024-01-01T00:00:00.000Z'],
      ['2024-01-01 00:00:00', 'Asia/Shanghai', '2023-12-31T16:00:00.000Z'],
      ['2024-07-01 12:30:45', 'Europe/Berlin', '2024-07-01T10:30:45.000Z'],
      ['2024-01-01 12:30:45', 'Europe/Berlin', '2024-01-01T11:30:45.000Z'],
      ['2024-01-01T00:00:00', 'Asia/Shanghai', '2023-12-31T16:00:00.000Z'],
      ['2024-01-01T00:00:00.250', 'UTC', '2024-01-01T00:00:00.250Z'],
      ['2024-01-01 00:00:00.5', 'UTC', '2024-01-01T00:00:00.500Z'],
      ['2024-01-01T00:00:00.123456789', 'UTC', '2024-01-01T00:00:00.123Z'],
      ['2024-01-01T00:00:00Z', 'Asia/Shanghai', '2024-01-01T00:00:00.000Z'],
      ['2024-01-01T00:00:00.750Z', 'UTC', '2024-01-01T00:00:00.750Z'],
      ['2024-01-01T08:00:00+08:00', 'America/New_York', '2024-01-01T00:00:00.000Z'],
      ['2024-01-01T08:00:00+0800', 'UTC', '2024-01-01T00:00:00.000Z'],
      ['2024-01-01T03:00:00-05', 'UTC', '2024-01-01T08:00:00.000Z'],
      ['2024-01-01 05:30:00+05:30', 'UTC', '2024-01-01T00:00:00.000Z'],
      ['  2024-01-01 00:00:00\n', 'UTC', '2024-01-01T00:00:00.000Z'],
      ['2024-02-29 23:59:59', 'UTC', '2024-02-29T23:59:59.000Z'],
      ['2024-01-01 08:00:00', 'UTC+8', '2024-01-01T00:00:00.000Z'],
    ];
    for (const [text, zone, iso] of cases) {
      it(`${JSON.stringify(text)} in ${zone} → ${iso}`, () =>
        assert.equal(parseScheduleTime(text, zone).toISOString(), iso));
    }
  });

  describe('daylight saving time', () => {
    it('a local time in the spring-forward gap does not crash and lands after the gap', () => {
      // New York skips 02:00–03:00 on 2024-03-10.
      const parsed = parseScheduleTime('2024-03-10 02:30:00', 'America/New_York');
      assert.equal(parsed.toISOString(), '2024-03-10T07:30:00.000Z');
      assert.equal(formatScheduleTime(parsed, 'America/New_York'), '2024-03-10 03:30:00');
    });

    it('a repeated local time in the fall-back overlap resolves to one of its two instants', () => {
      const parsed = parseScheduleTime('2024-11-03 01:30:00', 'America/New_York').toISOString();
      assert.ok(['2024-11-03T05:30:00.000Z', '2024-11-03T06:30:00.000Z'].includes(parsed), parsed);
    });
  });

  describe('parseScheduleTime rejects, quoting the input and listing the formats', () => {
    const rejected = [
      '2024-01-01',
      '2024/01/01 00:00:00',
      '2024-01-01 00:00',
      '01-01-2024 00:00:00',
      '2024-13-01 00:00:00',
      '2024-02-30 00:00:00',
      '2023-02-29 00:00:00',
      '2024-01-01 24:00:00',
      '2024-01-01 23:60:00',
      '2024-01-01 00:00:00 UTC',
      '1704067200',
      'yesterday',
      '',
    ];
    for (const text of rejected) {
      it(JSON.stringify(text), () =>
        assertValidationError(
          () => parseScheduleTime(text, 'UTC'),
          (message) => {
            assert.ok(message.startsWith(`Invalid schedule time '${text}'`), message);
            for (const format of SCHEDULE_TIME_FORMATS) assert.ok(message.includes(format), message);
          },
        ),
      );
    }
  });

  it('names an unknown time zone', () =>
    assertValidationError(
      () => parseScheduleTime('2024-01-01 00:00:00', 'Mars/Olympus'),
      (message) => assert.match(message, /Unknown time zone 'Mars\/Olympus'/),
    ));

  it("lists Flink's own format first", () => assert.match(SCHEDULE_TIME_FORMATS[0] ?? '', /^yyyy-MM-dd HH:mm:ss/));

  describe('formatScheduleTime', () => {
    const cases: Array<[string, string, string]> = [
      ['2023-12-31T16:00:00.000Z', 'Asia/Shanghai', '2024-01-01 00:00:00'],
      ['2024-01-01T00:00:00.999Z', 'UTC', '2024-01-01 00:00:00'],
      ['2024-07-01T10:30:45Z', 'Europe/Berlin', '2024-07-01 12:30:45'],
    ];
    for (const [iso, zone, text] of cases) {
      it(`${iso} in ${zone} → "${text}"`, () => assert.equal(formatScheduleTime(new Date(iso), zone), text));
    }

    it('round-trips with parseScheduleTime', () => {
      for (const zone of ['UTC', 'Asia/Shanghai', 'America/Los_Angeles', 'Asia/Kolkata']) {
        const text = '2024-06-15 13:45:10';
        assert.equal(formatScheduleTime(parseScheduleTime(text, zone), zone), text);
      }
    });

    it('names an unknown time zone', () =>
      assertValidationError(
        () => formatScheduleTime(new Date(), 'Nowhere/Special'),
        (message) => assert.match(message, /'Nowhere\/Special'/),
      ));
  });

  describe('isValidTimeZone', () => {
    for (const zone of ['UTC', 'Asia/Shanghai', 'America/New_York', 'Etc/GMT-8', 'UTC+8', 'UTC-05:30']) {
      it(`accepts ${zone}`, () => assert.equal(isValidTimeZone(zone), true));
    }
    for (const zone of ['', 'Mars/Olympus', '+08:00', 'local', 'GMT+8']) {
      it(`rejects ${JSON.stringify(zone)}`, () => assert.equal(isValidTimeZone(zone), false));
    }
  });
});
