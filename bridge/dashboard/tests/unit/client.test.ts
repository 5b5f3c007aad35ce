import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, call, idFrom, signedIn } from '../../src/api/client'
import { formErrors } from '../../src/errors'

afterEach(() => vi.unstubAllGlobals())

function answer(status: number, body: unknown) {
  return vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status }))
}

describe('the API client', () => {
  it('repeats the CSRF token on changes, never on reads', async () => {
    const fetch = answer(200, {})
    vi.stubGlobal('fetch', fetch)
    signedIn({ csrf: 'tok123', session: 's', user: { id: 'u', email: 'a@b.co', name: 'A', role: 'owner', created_at: '' } })
    await call('GET', '/admin/tenants/x')
    await call('PUT', '/admin/tenants/x', { name: 'X' })
    const headers = fetch.mock.calls.map((c) => (c as unknown as [string, RequestInit])[1].headers as Record<string, string>)
    expect(headers[0]?.['x-csrf-token']).toBeUndefined()
    expect(headers[1]?.['x-csrf-token']).toBe('tok123')
  })
  it('turns field errors into messages beside the fields', async () => {
    vi.stubGlobal('fetch', answer(422, { error: 'invalid', message: 'some fields are invalid', fields: { email: 'an email address' } }))
    const e = await call('POST', '/auth/signup', {}).catch((x) => x)
    expect(e).toBeInstanceOf(ApiError)
    const shown = formErrors(e)
    expect(shown.fields.email).toBe('an email address')
    expect(shown.message).not.toBe('')
  })
  it('says the server did not answer when the network fails', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('failed') }))
    const e = await call('GET', '/auth/me').catch((x) => x)
    expect((e as ApiError).code).toBe('network')
    expect(formErrors(e).message).toMatch(/server did not answer/)
  })
  it('makes ids the API accepts from any name', () => {
    expect(idFrom('Avaliação de fisioterapia')).toBe('avaliacao-de-fisioterapia')
    expect(idFrom('  !!! ')).toBe('item')
    expect(idFrom('x'.repeat(90))).toHaveLength(64)
  })
})
