import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatDurationMs,
  isDurationTooLong,
  parseDurationMs,
  parseFraction,
  parseRatePerSec,
  parseSizeBytes,
} from '../../src/core/units.js';

describe('parseDurationMs', () => {
  test('reads every single-unit form into milliseconds', () => {
    assert.equal(parseDurationMs('500ms'), 500);
    assert.equal(parseDurationMs('30s'), 30_000);
    assert.equal(parseDurationMs('2m'), 120_000);
    assert.equal(parseDurationMs('1h'), 3_600_000);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('250us'), 0.25);
    assert.equal(parseDurationMs('250µs'), 0.25);
  });

  test('reads compound durations, with or without spaces', () => {
    assert.equal(parseDurationMs('1m30s'), 90_000);
    assert.equal(parseDurationMs('1m 30s'), 90_000);
    assert.equal(parseDurationMs('2h30m'), 9_000_000);
    assert.equal(parseDurationMs('1s500ms'), 1500);
    assert.equal(parseDurationMs(' 30 s '), 30_000);
  });

  test('reads min as minutes, alone and in compounds, as k6 users and people write them', () => {
    assert.equal(parseDurationMs('2min'), 120_000);
    assert.equal(parseDurationMs('90min'), 5_400_000);
    assert.equal(parseDurationMs('1h30m'), 5_400_000);
    assert.equal(parseDurationMs('1h30min'), 5_400_000);
    assert.equal(parseDurationMs('1h 30min 15s'), 5_415_000);
    assert.equal(parseDurationMs('2 min'), 120_000);
    assert.equal(parseDurationMs('1min30s'), 90_000);
    assert.equal(parseDurationMs('1ms'), 1, 'ms stays milliseconds');
    for (const bad of ['2mins', '2minutes', '1hr', 'min'])
      assert.equal(parseDurationMs(bad), undefined, `"${bad}" must not parse`);
  });

  test('a duration longer than a timer can wait is refused, and only such a one counts as too long', () => {
    assert.equal(parseDurationMs('24d'), undefined, 'no day unit');
    assert.equal(parseDurationMs('596h'), 596 * 3_600_000, 'just under 24.8 days');
    assert.equal(parseDurationMs('597h'), undefined);
    assert.equal(isDurationTooLong('597h'), true);
    assert.equal(isDurationTooLong('99999999999999999999999999999999999999999h'), true);
    for (const notTooLong of ['2min', '1h', '1h30m', '2mins', '30', 'soon', ''])
      assert.equal(isDurationTooLong(notTooLong), false, notTooLong);
  });

  test('refuses bare numbers, so "timeout: 30" is never silently 30 ms', () => {
    assert.equal(parseDurationMs('30'), undefined);
    assert.equal(parseDurationMs('0'), undefined);
    assert.equal(parseDurationMs('1.5'), undefined);
  });

  test('refuses text that is not a duration', () => {
    for (const bad of [
      '10 parsecs',
      '',
      '   ',
      'ms',
      's30',
      '-5s',
      '.5s',
      '1e3ms',
      '5 seconds',
      '30s!',
      'thirty seconds',
    ]) {
      assert.equal(parseDurationMs(bad), undefined, `"${bad}" must not parse`);
    }
  });
});

describe('parseRatePerSec', () => {
  test('reads per-second, per-minute and per-N-seconds rates', () => {
    assert.equal(parseRatePerSec('5/s'), 5);
    assert.equal(parseRatePerSec('300/m'), 5);
    assert.equal(parseRatePerSec('10/2s'), 5);
    assert.equal(parseRatePerSec('5 / s'), 5);
    assert.equal(parseRatePerSec('5/sec'), 5);
    assert.equal(parseRatePerSec('60/min'), 1);
    assert.equal(parseRatePerSec('3600/h'), 1);
    assert.equal(parseRatePerSec('1/ms'), 1000);
    assert.equal(parseRatePerSec('0.5/s'), 0.5);
    assert.equal(parseRatePerSec('0/s'), 0);
  });

  test('refuses bare numbers, unknown units, negative rates and a zero period', () => {
    for (const bad of ['5', '5/x', '5/parsec', '-5/s', '', '/s', '5/0s', 'five/s']) {
      assert.equal(parseRatePerSec(bad), undefined, `"${bad}" must not parse`);
    }
  });
});

describe('parseFraction and parseSizeBytes', () => {
  test('a percentage and a plain fraction mean the same', () => {
    assert.equal(parseFraction('10%'), 0.1);
    assert.equal(parseFraction('0.1'), 0.1);
    assert.equal(parseFraction('150%'), 1.5);
    assert.equal(parseFraction('ten percent'), undefined);
    assert.equal(parseFraction('-1%'), undefined);
  });

  test('sizes use binary units for KiB/MiB and decimal ones for kb/MB', () => {
    assert.equal(parseSizeBytes('64KiB'), 65_536);
    assert.equal(parseSizeBytes('1MiB'), 1_048_576);
    assert.equal(parseSizeBytes('2048'), 2048);
    assert.equal(parseSizeBytes('1.5kb'), 1500);
    assert.equal(parseSizeBytes('10 GB'), 10_000_000_000);
    assert.equal(parseSizeBytes('2 bananas'), undefined);
  });
});

describe('formatDurationMs', () => {
  test('sub-millisecond values are shown in µs', () => {
    assert.equal(formatDurationMs(0.85), '850µs');
    assert.equal(formatDurationMs(0.001), '1µs');
  });

  test('milliseconds: two decimals under 10, one under 100, none under 1000', () => {
    assert.equal(formatDurationMs(1), '1.00ms');
    assert.equal(formatDurationMs(5.5), '5.50ms');
    assert.equal(formatDurationMs(12.34), '12.3ms');
    assert.equal(formatDurationMs(100), '100ms');
    assert.equal(formatDurationMs(850.4), '850ms');
  });

  test('seconds with two decimals under a minute, then minutes and zero-padded seconds', () => {
    assert.equal(formatDurationMs(1000), '1.00s');
    assert.equal(formatDurationMs(4200), '4.20s');
    assert.equal(formatDurationMs(59_000), '59.00s');
    assert.equal(formatDurationMs(60_000), '1m00s');
    assert.equal(formatDurationMs(125_000), '2m05s');
    assert.equal(formatDurationMs(3_600_000), '60m00s');
  });

  test('non-finite values are shown as such, not as garbage', () => {
    assert.equal(formatDurationMs(Infinity), 'Infinity');
    assert.equal(formatDurationMs(Number.NaN), 'NaN');
  });

  test('rounding carries into the next unit (no "1m60s")', () => {
    assert.equal(formatDurationMs(119_600), '2m00s');
    assert.equal(formatDurationMs(59_999), '1m00s');
    assert.equal(formatDurationMs(999.6), '1.00s');
  });
});
