import { describe, expect, it } from 'vitest'
import { monthGrid, shiftMonth } from '../../src/month'
import { fromWeekly } from '../../src/week'

const week = fromWeekly({
  mon: [{ start: '09:00', end: '13:00' }, { start: '14:00', end: '18:00' }],
  tue: [{ start: '09:00', end: '18:00' }],
  sat: [{ start: '10:00', end: '14:00' }],
})

describe('the month view', () => {
  it('lays a month out in weeks from Monday', () => {
    // March 2026 starts on a Sunday: six blanks, then the 1st.
    const weeks = monthGrid(2026, 3, week, [])
    expect(weeks[0]!.slice(0, 6).every((c) => c.date === null)).toBe(true)
    expect(weeks[0]![6]!.date).toBe('2026-03-01')
    expect(weeks.flat().filter((c) => c.date).length).toBe(31)
    expect(weeks.every((w) => w.length === 7)).toBe(true)
    // February 2027 (28 days, starts on a Monday) fills exactly four weeks.
    expect(monthGrid(2027, 2, week, []).length).toBe(4)
  })
  it('shows each day open by the weekly hours, unless a date says otherwise', () => {
    const days = monthGrid(2026, 3, week, [
      { date: '2026-03-02', intervals: [], note: 'Holiday' },
      { date: '2026-03-04', intervals: [{ start: '15:00', end: '19:00' }] },
    ]).flat()
    const day = (d: string) => days.find((c) => c.date === d)!
    expect(day('2026-03-02')).toMatchObject({ kind: 'off', note: 'Holiday' })
    expect(day('2026-03-03')).toMatchObject({ kind: 'open', hours: '09:00–18:00' })
    expect(day('2026-03-04')).toMatchObject({ kind: 'special', hours: '15:00–19:00' })
    expect(day('2026-03-05').kind).toBe('closed')
    expect(day('2026-03-09').hours).toBe('09:00–13:00, 14:00–18:00')
  })
  it('moves across years', () => {
    expect(shiftMonth(2026, 12, 1)).toEqual([2027, 1])
    expect(shiftMonth(2026, 1, -1)).toEqual([2025, 12])
  })
})
