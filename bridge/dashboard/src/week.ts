// Weekly hours as the staff page edits them: seven days of intervals, copied between days
// and staff without sharing (an edit to one day never changes another).
import type { Interval, Weekly } from './api/client'

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Day = (typeof DAYS)[number]
export type Week = Record<Day, Interval[]>

export function fromWeekly(w: Weekly | null | undefined): Week {
  const week = {} as Week
  for (const d of DAYS) week[d] = (w?.[d] ?? []).map((i) => ({ start: i.start, end: i.end }))
  return week
}

/** Monday's hours on every day of the week (the weekend included: owners clear it after). */
export function copyMondayToAll(week: Week): Week {
  const out = {} as Week
  for (const d of DAYS) out[d] = week.mon.map((i) => ({ ...i }))
  return out
}

/** The problems an owner can see before saving: an end before its start, or overlaps. */
export function weekProblems(week: Week): Partial<Record<Day, string>> {
  const problems: Partial<Record<Day, string>> = {}
  for (const d of DAYS) {
    const sorted = [...week[d]].sort((a, b) => a.start.localeCompare(b.start))
    for (let i = 0; i < sorted.length; i++) {
      const cur = sorted[i]!
      if (!(cur.start < cur.end)) problems[d] = `${cur.start}–${cur.end} ends before it starts`
      const next = sorted[i + 1]
      if (next && next.start < cur.end) problems[d] = `${cur.start}–${cur.end} overlaps ${next.start}–${next.end}`
    }
  }
  return problems
}
