// The dashboard's only way to the bridge: the admin API, typed from bridge/openapi.json
// (`npm run types` writes schema.d.ts from it). A change repeats the session's CSRF token.
import type { components } from './schema'

type Schemas = components['schemas']
export type Tenant = Schemas['Tenant']
export type Service = Schemas['Service']
export type Provider = Schemas['Provider']
export type Weekly = Schemas['Weekly']
export type Interval = Schemas['Interval']
export type Override = Schemas['Override']
export type User = Schemas['User']
export type SignedIn = Schemas['SignedIn']
export type SignUp = Schemas['SignUp']
export type SessionView = Schemas['SessionView']
export type NewUser = Schemas['NewUser']
export type NewKey = Schemas['NewKey']
export type ErrorBody = Schemas['Error']
export type Onboarding = Schemas['Onboarding']
export type Invited = Schemas['Invited']
export type InviteView = Schemas['InviteView']
export type NewInvite = Schemas['NewInvite']
export type StripeAccount = Schemas['StripeAccount']
export type SenderRegistration = Schemas['SenderRegistration']
export type TemplateEntry = Schemas['TemplateEntry']

/** A refused or failed call: the HTTP status, the API's code and its field errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message)
  }
}

let csrf = ''

/** Remembers the session's CSRF token from a sign-in answer. */
export function signedIn(answer: SignedIn): SignedIn {
  csrf = answer.csrf
  return answer
}

/** Called when a call finds the session gone (the app sends the user to sign in). */
export let onSessionEnded: () => void = () => {}
export function whenSessionEnds(f: () => void) {
  onSessionEnded = f
}

/** One call; its JSON answer, or an ApiError. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(0, 'network', 'network')
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    throw new ApiError(response.status, 'bad_answer', text.slice(0, 200))
  }
  if (!response.ok) {
    const e = (json ?? {}) as Partial<ErrorBody>
    const error = new ApiError(response.status, e.error ?? 'unknown', e.message ?? '', e.fields ?? {})
    // A sign-in page asking who is signed in expects 401s; elsewhere one means the session ended.
    if (response.status === 401 && !path.startsWith('/auth/')) onSessionEnded()
    throw error
  }
  return json as T
}

const tenantPath = (id: string) => `/admin/tenants/${encodeURIComponent(id)}`

export const api = {
  me: () => call<SignedIn>('GET', '/auth/me').then(signedIn),
  login: (email: string, password: string) =>
    call<SignedIn>('POST', '/auth/login', { email, password }).then(signedIn),
  signUp: (form: SignUp) => call<SignedIn>('POST', '/auth/signup', form).then(signedIn),
  logout: () => call<void>('POST', '/auth/logout'),
  sessions: () => call<SessionView[]>('GET', '/auth/sessions'),
  endSession: (id: string) => call<void>('DELETE', `/auth/sessions/${encodeURIComponent(id)}`),
  tenant: (id: string) => call<Tenant>('GET', tenantPath(id)),
  saveTenant: (tenant: Tenant) => call<Tenant>('PUT', tenantPath(tenant.id), tenant),
  services: (id: string) => call<Service[]>('GET', `${tenantPath(id)}/services`),
  addService: (id: string, s: Service) => call<Service>('POST', `${tenantPath(id)}/services`, s),
  saveService: (id: string, s: Service) =>
    call<Service>('PUT', `${tenantPath(id)}/services/${encodeURIComponent(s.id)}`, s),
  deleteService: (id: string, service: string) =>
    call<void>('DELETE', `${tenantPath(id)}/services/${encodeURIComponent(service)}`),
  providers: (id: string) => call<Provider[]>('GET', `${tenantPath(id)}/providers`),
  addProvider: (id: string, p: Provider) => call<Provider>('POST', `${tenantPath(id)}/providers`, p),
  saveProvider: (id: string, p: Provider) =>
    call<Provider>('PUT', `${tenantPath(id)}/providers/${encodeURIComponent(p.id)}`, p),
  deleteProvider: (id: string, provider: string) =>
    call<void>('DELETE', `${tenantPath(id)}/providers/${encodeURIComponent(provider)}`),
  weekly: (id: string, provider: string) =>
    call<Weekly>('GET', `${tenantPath(id)}/providers/${encodeURIComponent(provider)}/availability`),
  saveWeekly: (id: string, provider: string, w: Weekly) =>
    call<Weekly>('PUT', `${tenantPath(id)}/providers/${encodeURIComponent(provider)}/availability`, w),
  overrides: (id: string, provider: string) =>
    call<Override[]>('GET', `${tenantPath(id)}/providers/${encodeURIComponent(provider)}/overrides`),
  addOverride: (id: string, provider: string, o: Override) =>
    call<Override>('POST', `${tenantPath(id)}/providers/${encodeURIComponent(provider)}/overrides`, o),
  deleteOverride: (id: string, provider: string, date: string) =>
    call<void>('DELETE', `${tenantPath(id)}/providers/${encodeURIComponent(provider)}/overrides/${date}`),
  users: (id: string) => call<User[]>('GET', `${tenantPath(id)}/users`),
  addUser: (id: string, u: NewUser) => call<User>('POST', `${tenantPath(id)}/users`, u),
  rotateKey: (id: string) => call<NewKey>('POST', `${tenantPath(id)}/api-key`),
  invites: (id: string) => call<Invited[]>('GET', `${tenantPath(id)}/invites`),
  invite: (id: string, i: NewInvite) => call<Invited>('POST', `${tenantPath(id)}/invites`, i),
  withdrawInvite: (id: string, invite: string) =>
    call<void>('DELETE', `${tenantPath(id)}/invites/${encodeURIComponent(invite)}`),
  showInvite: (token: string) => call<InviteView>('GET', `/auth/invites/${encodeURIComponent(token)}`),
  acceptInvite: (token: string, form: { name: string; password: string; phone?: string }) =>
    call<SignedIn>('POST', `/auth/invites/${encodeURIComponent(token)}/accept`, form).then(signedIn),
  askReset: (email: string) =>
    call<{ message: string; expires_in_min: number }>('POST', '/auth/password-reset', { email }),
  confirmReset: (email: string, code: string, password: string) =>
    call<SignedIn>('POST', '/auth/password-reset/confirm', { email, code, password }).then(signedIn),
  templates: (kind: string, languages: string[], currency: string) =>
    call<Service[]>(
      'GET',
      `/admin/service-templates?kind=${encodeURIComponent(kind)}&languages=${encodeURIComponent(languages.join(','))}&currency=${encodeURIComponent(currency)}`,
    ),
  senders: (id: string, all = false) =>
    call<SenderRegistration[]>('GET', `${tenantPath(id)}/senders${all ? '?refresh=all' : ''}`),
  registerSender: (id: string, number: string) =>
    call<SenderRegistration>('POST', `${tenantPath(id)}/senders`, { number }),
  verifySender: (id: string, sid: string, code: string) =>
    call<SenderRegistration>('POST', `${tenantPath(id)}/senders/${encodeURIComponent(sid)}/verify`, { code }),
  messageTemplates: (id: string) => call<TemplateEntry[]>('GET', `${tenantPath(id)}/message-templates`),
  submitTemplate: (id: string, stage: string, lang: string) =>
    call<unknown>('POST', `${tenantPath(id)}/message-templates/${encodeURIComponent(stage)}/${encodeURIComponent(lang)}`),
  platform: () =>
    call<{ signup_open: boolean; shared_numbers: string[]; payments: boolean; whatsapp_setup: boolean }>('GET', '/auth/platform'),
  saveOnboarding: (id: string, o: Onboarding) => call<Tenant>('PUT', `${tenantPath(id)}/onboarding`, o),
  stripeAccount: (id: string) => call<StripeAccount>('GET', `${tenantPath(id)}/payments/account`),
  connectStripe: (id: string, back: string) =>
    call<StripeAccount>('POST', `${tenantPath(id)}/payments/account`, { return_url: back, refresh_url: back }),
}

/** An id for a new record from its name: what the API accepts (a-z, 0-9, -). */
export function idFrom(name: string): string {
  const id = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
  return id || 'item'
}
