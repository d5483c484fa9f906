/** Sizes as scenarios write them, and as reports print them. */
import { describe, expect, it } from 'vitest';
import { formatCount, formatGigabytes, formatSize, parseSize, sizePattern } from '../../src/scenario/size.js';

describe('parseSize', () => {
  it('reads binary and decimal units, with or without a space', () => {
    expect(parseSize('12TiB')).toBe(12 * 1024 ** 4);
    expect(parseSize('500 GB')).toBe(500e9);
    expect(parseSize('1.5TB')).toBe(1.5e12);
    expect(parseSize('800MiB')).toBe(800 * 1024 ** 2);
    expect(parseSize('1.25KiB')).toBe(1280);
    expect(parseSize('2kB')).toBe(2000);
    expect(parseSize('2KB')).toBe(2000);
    expect(parseSize('3gib')).toBeUndefined();
    expect(parseSize('1PiB')).toBe(1024 ** 5);
    expect(parseSize('4096B')).toBe(4096);
    expect(parseSize('0B')).toBe(0);
  });

  it('rounds to a whole byte', () => {
    expect(parseSize('1.0005kB')).toBe(1001);
    expect(parseSize('0.5B')).toBe(1);
  });

  it('refuses what is not a size, and sizes beyond a safe integer', () => {
    for (const text of ['', '12', 'TiB', '12 Gb', '12tib', '12  GB', ' 12GB', '12GB ', '-1GB', '1e3B', '1,5TB', '.5GB', '12 TiB s', '1ZB']) {
      expect({ text, bytes: parseSize(text) }).toEqual({ text, bytes: undefined });
    }
    expect(parseSize('99999EiB')).toBeUndefined();
  });

  it('agrees with the pattern the JSON Schema publishes', () => {
    for (const text of ['12TiB', '500 GB', '1.5TB', '7B']) expect(sizePattern.test(text)).toBe(true);
    for (const text of ['12', '12 Gb', 'GB']) expect(sizePattern.test(text)).toBe(false);
  });
});

describe('formatting for reports', () => {
  it('sizes in binary units, about three significant digits', () => {
    expect([0, 512, 1024, 1536, 1_288_490_189, 12 * 1024 ** 4, 89_128_960, 10 * 1024 ** 2, 150.4 * 1024].map(formatSize)).toEqual([
      '0 B', '512 B', '1 KiB', '1.5 KiB', '1.2 GiB', '12 TiB', '85 MiB', '10 MiB', '150 KiB',
    ]);
  });

  it('gigabytes (10^9 bytes) and counts with separators', () => {
    expect(formatGigabytes(12 * 1024 ** 4)).toBe('13,194.14 GB');
    expect(formatGigabytes(5e8)).toBe('0.5 GB');
    expect(formatCount(3012)).toBe('3,012');
  });
});
