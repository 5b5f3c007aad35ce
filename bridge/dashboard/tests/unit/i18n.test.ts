import { describe, expect, it } from 'vitest'
import { decimal, formatLocale, money, parseMoney, pickLocale, t, locale } from '../../src/i18n'

describe('money in the business locale', () => {
  it('writes reais the Brazilian way for a São Paulo business', () => {
    expect(money(22000, 'BRL', 'pt', 'America/Sao_Paulo').replace(/\s/g, ' ')).toBe('R$ 220,00')
  })
  it('writes euros the Spanish way in Madrid', () => {
    expect(money(4550, 'EUR', 'es', 'Europe/Madrid').replace(/\s/g, ' ')).toBe('45,50 €')
  })
  it('knows currencies without cents', () => {
    expect(money(1500, 'JPY', 'en')).toContain('1,500')
  })
  it('reads what an owner types, comma or point', () => {
    expect(parseMoney('22,50', 'EUR')).toBe(2250)
    expect(parseMoney(' 22.5 ', 'EUR')).toBe(2250)
    expect(parseMoney('30', 'EUR')).toBe(3000)
    expect(parseMoney('1500', 'JPY')).toBe(1500)
    for (const bad of ['', 'abc', '22,505', '-3', '1.2.3', '12,5']) {
      if (bad === '12,5') expect(parseMoney(bad, 'EUR')).toBe(1250)
      else expect(parseMoney(bad, 'EUR'), bad).toBeNull()
    }
    expect(parseMoney('15.5', 'JPY')).toBeNull()
  })
  it('picks pt-BR and es-MX by the zone, Europe otherwise', () => {
    expect(formatLocale('pt', 'America/Sao_Paulo')).toBe('pt-BR')
    expect(formatLocale('pt', 'Europe/Lisbon')).toBe('pt-PT')
    expect(formatLocale('es', 'America/Mexico_City')).toBe('es-MX')
  })
})

describe('amounts as an owner types them', () => {
  it('writes minor units plainly and reads them back', () => {
    expect(decimal(123450, 'EUR')).toBe('1234.50')
    expect(decimal(27000, 'CLP')).toBe('27000')
    expect(parseMoney(decimal(6000, 'BRL'), 'BRL')).toBe(6000)
  })
})

describe('the dashboard language', () => {
  it('is the first of the browser languages it speaks', () => {
    expect(pickLocale(['fr-FR', 'pt-BR', 'en'])).toBe('pt')
    expect(pickLocale(['de'])).toBe('en')
  })
  it('fills placeholders and falls back to English', () => {
    locale.value = 'es'
    expect(t('home.title', { name: 'Rafaela' })).toBe('Hola, Rafaela')
    locale.value = 'en'
    expect(t('services.minutes', { n: 45 })).toBe('45 min')
  })
})
