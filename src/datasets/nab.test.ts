import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nabCorpusForTests } from './test/nab-corpus.js';
import { parseNabCsv, parseNabTimestamp, readNabCsv, readNabLabels, windowMask } from './nab.js';

const { dir: nabRoot, present: haveNab } = nabCorpusForTests('the NAB corpus tests');

describe('parseNabTimestamp(text)', () => {
  it('reads NAB stamps as UTC, with or without fractions or a zone', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10T07:15:00.250+02:00')).toBe(Date.UTC(2014, 3, 10, 5, 15, 0, 250));
    expect(parseNabTimestamp('10/04/2014')).toBeNaN();
  });
});

describe('parseNabCsv(text)', () => {
  it('puts rows on the most common step, leaves missing slots NaN and counts off-grid rows', () => {
    const text = [
      'timestamp,value',
      '2014-01-01 00:00:00,1',
      '2014-01-01 00:05:00,2',
      '2014-01-01 00:15:00,4', // 00:10 is missing
      '2014-01-01 00:17:00,9', // off the 5-minute grid
      '2014-01-01 00:20:00,',
      '2014-01-01 00:25:00,6.5',
      '',
    ].join('\n');
    const { series, timestamps, rowValues, offGrid } = parseNabCsv(text);
    expect(series.start).toBe(Date.UTC(2014, 0, 1));
    expect(series.step).toBe(300_000);
    expect(Array.from(series.values)).toEqual([1, 2, NaN, 4, NaN, 6.5]);
    expect(offGrid).toBe(1);
    expect(timestamps).toHaveLength(6);
    expect(Array.from(rowValues)).toEqual([1, 2, 4, 9, NaN, 6.5]);
  });

  it('throws naming the line for a malformed timestamp, and for a file without rows', () => {
    expect(() => parseNabCsv('timestamp,value\n2014-01-01 00:00:00,1\nyesterday,2\n', 'x.csv')).toThrow('x.csv:3: malformed timestamp "yesterday"');
    expect(() => parseNabCsv('timestamp,value\n', 'empty.csv')).toThrow('empty.csv: no data rows');
  });
});

describe('windowMask(series, windows)', () => {
  it('marks the points inside each window, both ends included', () => {
    const s = { start: 0, step: 10, values: new Float64Array(6) };
    expect(Array.from(windowMask(s, [{ start: 10, end: 25 }, { start: 50, end: 500 }]))).toEqual([0, 1, 1, 0, 0, 1]);
  });
});

describe.skipIf(!haveNab)('the NAB corpus', () => {
  it('readNabCsv reads nyc_taxi.csv: 10 320 half-hourly points, first 10 844, last 26 288 (known values)', async () => {
    const { series, timestamps, offGrid } = await readNabCsv(path.join(nabRoot, 'data', 'realKnownCause', 'nyc_taxi.csv'));
    expect(series.step).toBe(30 * 60_000);
    expect(series.values).toHaveLength(10_320);
    expect(timestamps).toHaveLength(10_320);
    expect(offGrid).toBe(0);
    expect(series.values[0]).toBe(10844);
    expect(series.values[1]).toBe(8127);
    expect(series.values[10_319]).toBe(26288);
    expect(series.start).toBe(Date.UTC(2014, 6, 1));
  });

  it('readNabLabels reads the windows of all 58 files; nyc_taxi has 5 windows that cover its 5 labeled anomalies', async () => {
    const windows = await readNabLabels(path.join(nabRoot, 'labels', 'combined_windows.json'));
    const points = await readNabLabels(path.join(nabRoot, 'labels', 'combined_labels.json'));
    expect(windows.size).toBe(58);
    const taxiWindows = windows.get('realKnownCause/nyc_taxi.csv')!;
    expect(taxiWindows).toHaveLength(5);
    expect(taxiWindows[0]).toEqual({ start: Date.UTC(2014, 9, 30, 15, 30), end: Date.UTC(2014, 10, 3, 22, 30) });
    const taxiPoints = points.get('realKnownCause/nyc_taxi.csv')!;
    expect(taxiPoints).toHaveLength(5);
    taxiPoints.forEach((p, i) => expect(p.start >= taxiWindows[i]!.start && p.end <= taxiWindows[i]!.end).toBe(true));
    expect(windows.get('artificialNoAnomaly/art_flatline.csv')).toEqual([]);
    const { series } = await readNabCsv(path.join(nabRoot, 'data', 'realKnownCause', 'nyc_taxi.csv'));
    const mask = windowMask(series, taxiWindows);
    // Each window spans 4 days 7 hours = 206 half hours, ends included: 5 × 207 points.
    expect(mask.reduce((s, v) => s + v, 0)).toBe(5 * 207);
  });
});
