import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dayTypeClassifier, dayTypeOf, dayTypes, localTimeOf, slotOfDay, slotsOfDay, ZoneClock } from './day-type.js';
import { series } from './series.js';

const hour = 3_600_000;
const utc = (iso: string): number => Date.parse(`${iso}Z`);

// Expected local times checked against Python's zoneinfo (IANA tzdata).
describe('localTimeOf(epochMs, timeZone) across daylight-saving changes', () => {
  const cases: [string, string, string, number][] = [
    ['Europe/Berlin', '2026-03-29T00:59', '2026-03-29T01:59', 60],
    ['Europe/Berlin', '2026-03-29T01:00', '2026-03-29T03:00', 120],
    ['Europe/Berlin', '2026-10-25T00:59', '2026-10-25T02:59', 120],
    ['Europe/Berlin', '2026-10-25T01:00', '2026-10-25T02:00', 60],
    ['America/New_York', '2026-03-08T06:59', '2026-03-08T01:59', -300],
    ['America/New_York', '2026-03-08T07:00', '2026-03-08T03:00', -240],
    ['America/New_York', '2026-11-01T05:59', '2026-11-01T01:59', -240],
    ['America/New_York', '2026-11-01T06:00', '2026-11-01T01:00', -300],
    ['Australia/Lord_Howe', '2026-04-04T14:59', '2026-04-05T01:59', 660],
    ['Australia/Lord_Howe', '2026-04-04T15:00', '2026-04-05T01:30', 630],
    ['Australia/Adelaide', '2026-04-04T16:29', '2026-04-05T02:59', 630],
    ['Australia/Adelaide', '2026-04-04T16:30', '2026-04-05T02:00', 570],
    ['Asia/Kathmandu', '2026-06-01T00:00', '2026-06-01T05:45', 345],
  ];
  for (const [zone, at, local, offset] of cases) {
    it(`${zone}: ${at}Z is ${local} local (UTC${offset >= 0 ? '+' : ''}${offset / 60})`, () => {
      const lt = localTimeOf(utc(at), zone);
      const [date, time] = local.split('T');
      const [h, m] = time.split(':').map(Number);
      expect(lt.date).toBe(date);
      expect(lt.msOfDay).toBe((h * 60 + m) * 60_000);
      expect(lt.offsetMinutes).toBe(offset);
    });
  }

  it('property: the per-day cache agrees with a direct Intl look-up at every instant', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Shanghai', 'America/Santiago', 'Pacific/Chatham'];
    const direct = new Map(zones.map((z) => [z, new Intl.DateTimeFormat('en-CA', { timeZone: z, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })]));
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: utc('2000-01-01T00:00') / 60_000, max: utc('2040-01-01T00:00') / 60_000 }), (zone, minutes) => {
        const t = minutes * 60_000;
        const parts = Object.fromEntries(direct.get(zone)!.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
        const lt = localTimeOf(t, zone);
        expect(lt.date).toBe(`${parts.year}-${parts.month}-${parts.day}`);
        expect(lt.msOfDay).toBe((Number(parts.hour) * 60 + Number(parts.minute)) * 60_000);
      }),
      { numRuns: 300 },
    );
  });
});

describe('slotOfDay and slotsOfDay: wall-clock slots', () => {
  it('Berlin spring-forward day: hourly slot 2 never occurs', () => {
    // Local midnight 2026-03-29 is 2026-03-28T23:00Z; the local day has 23 hours.
    const day = series(utc('2026-03-28T23:00'), hour, new Array(23).fill(0));
    expect(Array.from(slotsOfDay(day, 'Europe/Berlin'))).toEqual([0, 1, ...Array.from({ length: 21 }, (_, i) => i + 3)]);
  });

  it('New York fall-back day: hourly slot 1 occurs twice', () => {
    // Local midnight 2026-11-01 is 04:00Z (EDT); the local day has 25 hours.
    const day = series(utc('2026-11-01T04:00'), hour, new Array(25).fill(0));
    expect(Array.from(slotsOfDay(day, 'America/New_York'))).toEqual([0, 1, 1, ...Array.from({ length: 22 }, (_, i) => i + 2)]);
  });

  it('slots of a custom length', () => {
    expect(slotOfDay(utc('2026-06-01T10:47'), 15 * 60_000, 'UTC')).toBe(43);
    expect(slotOfDay(utc('2026-06-01T10:47'), 15 * 60_000, 'Asia/Shanghai')).toBe(75);
    expect(() => slotOfDay(0, 0)).toThrow(/slotMs/);
  });
});

describe('dayTypeOf(epochMs, options)', () => {
  it('uses the local date, not the UTC date', () => {
    // Sunday 23:00 in New York is already Monday in UTC.
    expect(dayTypeOf(utc('2026-03-09T03:00'), { timeZone: 'America/New_York' })).toBe('weekend');
    expect(dayTypeOf(utc('2026-03-09T03:00'), { timeZone: 'UTC' })).toBe('weekday');
    // Friday 17:00 UTC is Saturday 01:00 in Shanghai.
    expect(dayTypeOf(utc('2026-10-09T17:00'), { timeZone: 'Asia/Shanghai' })).toBe('weekend');
  });

  it('holidays beat the day of the week; listed make-up workdays count as weekdays', () => {
    const options = { timeZone: 'Asia/Shanghai', holidays: ['2026-10-01'], workdays: ['2026-10-10'] };
    expect(dayTypeOf(utc('2026-09-30T16:00'), options)).toBe('holiday'); // 00:00 on Oct 1 local
    expect(dayTypeOf(utc('2026-09-30T15:59'), options)).toBe('weekday');
    expect(dayTypeOf(utc('2026-10-10T04:00'), options)).toBe('weekday'); // a Saturday
    expect(dayTypeOf(utc('2026-10-11T04:00'), options)).toBe('weekend');
  });

  it('a custom weekend (Friday and Saturday)', () => {
    const classify = dayTypeClassifier({ timeZone: 'Asia/Riyadh', weekend: [5, 6] });
    expect(classify(utc('2026-10-09T12:00'))).toBe('weekend'); // Friday
    expect(classify(utc('2026-10-11T12:00'))).toBe('weekday'); // Sunday
  });

  it('dayTypes labels every point of a series across a DST weekend', () => {
    // Hourly from Friday 2026-03-27 22:00 to Monday 2026-03-30 02:00 Berlin time.
    const s = series(utc('2026-03-27T21:00'), hour, new Array(75).fill(1));
    const types = dayTypes(s, { timeZone: 'Europe/Berlin' });
    expect(types.slice(0, 2)).toEqual(['weekday', 'weekday']);
    expect(types[2]).toBe('weekend');
    // Saturday has 24 hours and Sunday 23, so 47 weekend points.
    expect(types.filter((t) => t === 'weekend').length).toBe(47);
    expect(types.slice(49)).toEqual(new Array(26).fill('weekday'));
  });

  it('rejects an unknown zone or a malformed holiday, naming the field', () => {
    expect(() => dayTypeOf(0, { timeZone: 'Mars/Olympus' })).toThrow(/timeZone: unknown IANA time zone/);
    expect(() => dayTypeOf(0, { holidays: ['1 Oct 2026'] })).toThrow(/holidays\.0/);
    expect(() => dayTypeOf(0, { weekend: [7] })).toThrow(/weekend\.0/);
  });

  it('property: dayTypes agrees with dayTypeOf point by point; slots stay within the day', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: utc('2020-01-01T00:00') / 60_000, max: utc('2035-01-01T00:00') / 60_000 }),
        fc.constantFrom(5, 15, 60, 240),
        fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Shanghai'),
        (startMinute, stepMinutes, timeZone) => {
          const step = stepMinutes * 60_000;
          const s = series(startMinute * 60_000, step, new Array(200).fill(0));
          const options = { timeZone, holidays: [new Date(s.start + 50 * step).toISOString().slice(0, 10)] };
          const types = dayTypes(s, options);
          const slots = slotsOfDay(s, timeZone);
          for (let i = 0; i < 200; i += 19) {
            expect(types[i]).toBe(dayTypeOf(s.start + i * step, options));
            expect(slots[i]).toBe(slotOfDay(s.start + i * step, step, timeZone));
            expect(slots[i] >= 0 && slots[i] < Math.ceil(86_400_000 / step)).toBe(true);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('a ZoneClock answers without the shared cache too', () => {
    const clock = new ZoneClock('Europe/Berlin');
    expect(clock.offsetMinutes(utc('2026-07-01T00:00'))).toBe(120);
    expect(clock.offsetMinutes(utc('2026-01-01T00:00'))).toBe(60);
  });
});
