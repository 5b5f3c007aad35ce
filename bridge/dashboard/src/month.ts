// A month of a staff member's days as the month view shows them: weeks from Monday, each
// day open by the weekly hours, closed, off, or on special hours by a date override.
import type { Override } from './api/client'
import { DAYS, type Week } from './week'

export type DayKind = 'open' | 'closed' | 'off' | 'special'

export interface Cell {
  /** `YYYY-MM-DD`, or null for the days before the 1st and after the last. */
  date: string | null
  day: number
  kind: DayKind
  /** The hours that day, as `09:00–13:00, 14:00–18:00`. */
  hours: string
  note: string
}

const pad = (n: number) => String(n).padStart(2, '0')

/** The month's weeks, Monday first; `month` is 1–12. */
export function monthGrid(year: number, month: number, week: Week, overrides: Override[]): Cell[][] {
  const byDate = new Map(overrides.map((o) => [o.date, o]))
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate()
  // getUTCDay: 0 is Sunday; the grid starts on Monday.
  const lead = (new Date(Date.UTC(year, month - 1, 1)).getUTCDay() + 6) % 7
  const cells: Cell[] = Array.from({ length: lead }, () => ({ date: null, day: 0, kind: 'closed', hours: '', note: '' }))
  for (let d = 1; d <= days; d++) {
    const date = `${year}-${pad(month)}-${pad(d)}`
    const weekday = DAYS[(lead + d - 1) % 7]!
    const o = byDate.get(date)
    const intervals = o ? (o.intervals ?? []) : week[weekday]
    const kind: DayKind = o ? (intervals.length ? 'special' : 'off') : intervals.length ? 'open' : 'closed'
    cells.push({ date, day: d, kind, hours: intervals.map((i) => `${i.start}–${i.end}`).join(', '), note: o?.note ?? '' })
  }
  while (cells.length % 7) cells.push({ date: null, day: 0, kind: 'closed', hours: '', note: '' })
  const weeks: Cell[][] = []
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7))
  return weeks
}

/** The month after (`+1`) or before (`-1`) `year`-`month`. */
export function shiftMonth(year: number, month: number, by: number): [number, number] {
  const index = year * 12 + (month - 1) + by
  return [Math.floor(index / 12), (index % 12) + 1]
}
