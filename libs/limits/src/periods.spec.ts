import { utcPeriods } from './periods';

describe('utcPeriods', () => {
  it('gives the UTC day and month, at the edges of a day, a month and a year, in any order of asking', () => {
    const at = (iso: string) => utcPeriods(Date.parse(iso));
    expect(at('2026-11-30T23:59:59.999Z')).toEqual({ day: '2026-11-30', month: '2026-11' });
    expect(at('2026-12-01T00:00:00.000Z')).toEqual({ day: '2026-12-01', month: '2026-12' });
    // Back to the day before (a clock that went back): not the day cached last.
    expect(at('2026-11-30T00:00:00.000Z')).toEqual({ day: '2026-11-30', month: '2026-11' });
    expect(at('2026-11-30T12:00:00.000Z')).toEqual({ day: '2026-11-30', month: '2026-11' });
    expect(at('2026-12-31T23:59:59.999Z')).toEqual({ day: '2026-12-31', month: '2026-12' });
    expect(at('2027-01-01T00:00:00.001Z')).toEqual({ day: '2027-01-01', month: '2027-01' });
    expect(at('1969-12-31T23:00:00.000Z')).toEqual({ day: '1969-12-31', month: '1969-12' });
    expect(at('1969-12-31T23:59:59.999Z')).toEqual({ day: '1969-12-31', month: '1969-12' });
    expect(at('1970-01-01T00:00:00.000Z')).toEqual({ day: '1970-01-01', month: '1970-01' });
  });
});
