// The setup wizard's rules, kept apart from its page so they can be tested: the order of
// the steps, where a resumed setup starts, and the first guesses it offers.
import type { Onboarding } from './api/client'
import { idFrom } from './api/client'
import type { Week } from './week'
import { DAYS } from './week'

export const STEPS = ['business', 'whatsapp', 'services', 'staff', 'messages', 'payments', 'try_it'] as const
export type Step = (typeof STEPS)[number]

/** Where a setup resumes: the first step not yet saved (the last one when all are). */
export function resumeAt(progress: Onboarding | undefined): Step {
  const done = new Set(progress?.done ?? [])
  return STEPS.find((s) => !done.has(s)) ?? 'try_it'
}

/** The progress with `step` saved, in the wizard's order. */
export function markDone(progress: Onboarding | undefined, step: Step): Onboarding {
  const done = new Set([...(progress?.done ?? []), step])
  return { ...(progress ?? {}), done: STEPS.filter((s) => done.has(s)) }
}

/** The keyword a business is found by on a shared number: its name, short and plain. */
export function keywordFrom(name: string): string {
  const id = idFrom(name)
  // Nothing Latin to keep (idFrom's stand-in): the owner types one.
  if (id === 'item' && !/item/i.test(name)) return ''
  return id.split('-').slice(0, 3).join('-').slice(0, 40)
}

/** The currency a business in `zone` most likely prices in. */
export function currencyFor(zone: string): string {
  if (zone === 'America/Sao_Paulo' || zone.startsWith('America/Bahia') || zone.startsWith('America/Recife')) return 'BRL'
  if (zone.startsWith('America/Mexico') || zone === 'America/Monterrey' || zone === 'America/Cancun') return 'MXN'
  if (zone === 'America/Bogota') return 'COP'
  if (zone === 'America/Lima') return 'PEN'
  if (zone === 'America/Santiago') return 'CLP'
  if (zone.startsWith('America/Argentina')) return 'ARS'
  if (zone === 'Europe/London') return 'GBP'
  if (zone === 'Europe/Zurich') return 'CHF'
  if (zone.startsWith('Australia/')) return 'AUD'
  if (zone === 'Pacific/Auckland') return 'NZD'
  if (zone === 'America/Toronto' || zone === 'America/Vancouver') return 'CAD'
  if (zone.startsWith('America/')) return 'USD'
  return 'EUR'
}

/** The same hours on the chosen days, nothing on the others. */
export function simpleWeek(days: readonly string[], start: string, end: string, breakStart = '', breakEnd = ''): Week {
  const week = {} as Week
  const split = breakStart && breakEnd && start < breakStart && breakStart < breakEnd && breakEnd < end
  for (const d of DAYS) {
    week[d] = !days.includes(d)
      ? []
      : split
        ? [
            { start, end: breakStart },
            { start: breakEnd, end },
          ]
        : [{ start, end }]
  }
  return week
}
