import { describe, expect, it } from 'vitest'
import { currencyFor, keywordFrom, markDone, resumeAt, simpleWeek } from '../../src/setup'

describe('the setup wizard', () => {
  it('resumes at the first step not saved, whatever order they were saved in', () => {
    expect(resumeAt(undefined)).toBe('business')
    expect(resumeAt({ done: ['business', 'services'] })).toBe('whatsapp')
    expect(resumeAt({ done: ['try_it', 'payments', 'messages', 'staff', 'services', 'whatsapp', 'business'] })).toBe('try_it')
  })
  it('keeps saved steps once each, in the wizard order, and keeps the kind', () => {
    const p = markDone(markDone({ kind: 'clinic', done: ['services'] }, 'business'), 'services')
    expect(p).toEqual({ kind: 'clinic', done: ['business', 'services'] })
  })
  it('offers a plain keyword from the business name', () => {
    expect(keywordFrom('Clínica São João da Madeira')).toBe('clinica-sao-joao')
    expect(keywordFrom('美容院')).toBe('')
  })
  it('guesses the currency from the time zone', () => {
    expect(currencyFor('America/Sao_Paulo')).toBe('BRL')
    expect(currencyFor('America/Mexico_City')).toBe('MXN')
    expect(currencyFor('Europe/Lisbon')).toBe('EUR')
    expect(currencyFor('America/Chicago')).toBe('USD')
    expect(currencyFor('Europe/London')).toBe('GBP')
  })
  it('makes a week of the same hours, with a break when one fits inside them', () => {
    const w = simpleWeek(['mon', 'tue'], '09:00', '18:00', '13:00', '14:00')
    expect(w.mon).toEqual([{ start: '09:00', end: '13:00' }, { start: '14:00', end: '18:00' }])
    expect(w.wed).toEqual([])
    expect(simpleWeek(['sat'], '10:00', '14:00', '15:00', '16:00').sat).toEqual([{ start: '10:00', end: '14:00' }])
  })
})
