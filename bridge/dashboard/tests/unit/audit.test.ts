import { describe, expect, it } from 'vitest'
import { changes } from '../../src/audit'

describe('an audit entry', () => {
  it('lists only the fields that changed', () => {
    const c = changes({ name: 'Limpeza', price_minor: 18000, active: true }, { name: 'Limpeza', price_minor: 22000, active: true })
    expect(c).toEqual([{ field: 'price_minor', before: '18000', after: '22000' }])
  })
  it('shows nested records and missing sides', () => {
    const c = changes(undefined, { mon: [{ start: '09:00', end: '13:00' }] })
    expect(c[0]).toEqual({ field: 'mon', before: '—', after: '[{"start":"09:00","end":"13:00"}]' })
    expect(changes({ a: 'x'.repeat(100) }, {})[0]!.before).toHaveLength(58)
  })
})
