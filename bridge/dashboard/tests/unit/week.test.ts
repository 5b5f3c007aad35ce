import { describe, expect, it } from 'vitest'
import { copyMondayToAll, fromWeekly, weekProblems } from '../../src/week'

describe('weekly hours', () => {
  it('copies Monday to every day without sharing the intervals', () => {
    const week = fromWeekly({ mon: [{ start: '09:00', end: '13:00' }, { start: '14:00', end: '18:00' }] })
    const all = copyMondayToAll(week)
    expect(all.sun).toEqual(week.mon)
    all.tue[0]!.start = '10:00'
    expect(all.wed[0]!.start).toBe('09:00')
    expect(week.mon[0]!.start).toBe('09:00')
  })
  it('finds an interval ending before it starts, and overlaps', () => {
    const week = fromWeekly({
      mon: [{ start: '13:00', end: '09:00' }],
      tue: [{ start: '09:00', end: '13:00' }, { start: '12:30', end: '18:00' }],
      wed: [{ start: '14:00', end: '18:00' }, { start: '09:00', end: '13:00' }],
    })
    const p = weekProblems(week)
    expect(p.mon).toMatch(/ends before/)
    expect(p.tue).toMatch(/overlaps/)
    expect(p.wed).toBeUndefined()
  })
})
