// The dashboard in a real browser against a real bridge: `node e2e/run.mjs <scenario>`.
//
// Run by the Rust harness (tests/dashboard), which starts the bridge and sets
//   SLOTLINE_URL        the bridge's base URL
//   SLOTLINE_SHORT_URL  a second bridge whose sessions end after a few seconds idle
//   SLOTLINE_SHOTS      where screenshots go
//   CHROMIUM            the browser (Debian's chromium)
//   SLOTLINE_TWILIO     the Twilio stand-in the main bridge sends through
// Every scenario makes its own businesses with their own names, zones and languages; it
// exits 0 when everything it checked held, 1 with the reason otherwise.
import { chromium } from 'playwright-core'
import axe from 'axe-core'
import { mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'

const BASE = process.env.SLOTLINE_URL
const SHORT = process.env.SLOTLINE_SHORT_URL
const SHOTS = process.env.SLOTLINE_SHOTS ?? 'target/dashboard-screenshots'
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
/** The platform's shared number the harness gives the main bridge. */
const SHARED = process.env.SLOTLINE_SHARED ?? '+14155550100'
/** The Twilio stand-in the main bridge sends through (password-reset codes). */
const TWILIO = process.env.SLOTLINE_TWILIO
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message)
}

const unique = () => randomBytes(4).toString('hex')

/** A business nobody else in this run has, of a kind, in a language and a zone. */
function business(kind) {
  const n = unique()
  const kinds = {
    barber: { business_name: `Barbearia Dom ${n}`, name: 'Pedro Alves', time_zone: 'America/Sao_Paulo', language: 'pt-BR', locale: 'pt-BR' },
    dental: { business_name: `Aurora Dental ${n}`, name: 'Grace Hill', time_zone: 'Europe/London', language: 'en', locale: 'en-GB' },
    spa: { business_name: `Spa Mar Azul ${n}`, name: 'Lucía Romero', time_zone: 'America/Mexico_City', language: 'es', locale: 'es-MX' },
    tutor: { business_name: `Kumar Tutoring ${n}`, name: 'Anil Kumar', time_zone: 'Asia/Kolkata', language: 'en', locale: 'en-IN' },
    physio: { business_name: `Fisio Lisboa ${n}`, name: 'Rita Sousa', time_zone: 'Europe/Lisbon', language: 'pt', locale: 'pt-PT' },
  }
  const b = kinds[kind]
  return { ...b, email: `owner-${n}@${kind}.example`, password: `pass-${n}-long-enough` }
}

/** Signs a business up through the API, as a script would; its id and the owner. */
async function signUpByApi(base, b) {
  const { locale, ...form } = b
  const r = await fetch(`${base}/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(form),
  })
  const text = await r.text()
  check(r.status === 201, `sign-up by API answered ${r.status}: ${text}`)
  const body = JSON.parse(text)
  return { tenant: body.tenant.id, cookie: r.headers.get('set-cookie').split(';')[0], csrf: body.csrf }
}

async function browserFor(fn) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  try {
    return await fn(browser)
  } catch (e) {
    // What each page showed when the check failed, for whoever reads the failure.
    mkdirSync(SHOTS, { recursive: true })
    let n = 0
    for (const context of browser.contexts()) {
      for (const page of context.pages()) {
        await page.screenshot({ path: `${SHOTS}/failed-${process.argv[2]}-${n++}.png`, fullPage: true }).catch(() => {})
      }
    }
    throw e
  } finally {
    await browser.close()
  }
}

async function newPage(browser, { locale = 'en-GB', viewport = PHONE } = {}) {
  const context = await browser.newContext({ locale, viewport })
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  const problems = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    // 401/403/422 answers the test provokes are logged by the browser as failed loads.
    if (m.type() === 'error' && !/status of (401|403|404|422|429)/.test(m.text())) problems.push(`console: ${m.text()}`)
  })
  page.problems = problems
  return { context, page }
}

async function signUpInBrowser(page, base, b) {
  await page.goto(`${base}/app/`)
  await page.waitForURL(/\/app\/login/)
  await page.locator('a[href="/app/signup"]').click()
  await page.waitForURL(/\/app\/signup/)
  await page.fill('input[name=business_name]', b.business_name)
  await page.fill('input[name=name]', b.name)
  await page.fill('input[name=email]', b.email)
  await page.fill('input[name=password]', b.password)
  await page.selectOption('select[name=time_zone]', b.time_zone)
  await page.selectOption('select[name=language]', b.language)
  await page.click('button[type=submit]')
  // A new owner lands in the setup wizard.
  await page.waitForURL((u) => u.pathname === '/app/setup')
  return 7
}

async function signIn(page, base, email, password) {
  await page.goto(`${base}/app/login`)
  await page.fill('input[name=email]', email)
  await page.fill('input[name=password]', password)
  await page.click('button[type=submit]')
}

/** The error shown beside the field named `name`. */
async function fieldError(page, name) {
  const input = page.locator(`[name="${name}"]`)
  // The API's answer may still be on its way: wait for the field to be tied to an error.
  await page
    .waitForFunction((n) => (document.querySelector(`[name="${n}"]`)?.getAttribute('aria-describedby') ?? '').includes('-error'), name, { timeout: 5_000 })
    .catch(() => {})
  const described = (await input.getAttribute('aria-describedby')) ?? ''
  const id = described.split(' ').find((d) => d.endsWith('-error'))
  check(id, `no error is tied to ${name} (aria-describedby=${described})`)
  return (await page.locator(`[id="${id}"]`).innerText()).trim()
}

/** What the page's own session may call, as the dashboard calls it. */
async function fromPage(page, method, path, body, { csrf = true } = {}) {
  return page.evaluate(
    async ({ method, path, body, csrf }) => {
      const headers = { 'content-type': 'application/json' }
      if (csrf) {
        const me = await (await fetch('/auth/me')).json()
        headers['x-csrf-token'] = me.csrf
      }
      const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
      return { status: r.status, body: await r.text() }
    },
    { method, path, body, csrf },
  )
}

async function axeCheck(page, label) {
  await page.evaluate(axe.source)
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    window.axe.run(document, { resultTypes: ['violations'] }),
  )
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  check(
    bad.length === 0,
    `${label}: accessibility violations: ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`,
  )
  return result.violations.length
}

const scenarios = {
  /** A first-time owner signs up (fixing what they got wrong) and edits the profile. */
  async sign_up_and_profile() {
    await browserFor(async (browser) => {
      const b = business('barber')
      const { page } = await newPage(browser, { locale: b.locale })
      await page.goto(`${BASE}/app/signup`)
      // Wrong first: a bad email and a short password, each explained beside its field.
      await page.fill('input[name=business_name]', b.business_name)
      await page.fill('input[name=name]', b.name)
      await page.fill('input[name=email]', 'pedro@barbearia')
      await page.fill('input[name=password]', 'curta')
      await page.selectOption('select[name=time_zone]', b.time_zone)
      await page.selectOption('select[name=language]', b.language)
      await page.click('button[type=submit]')
      await page.locator('[data-test=form-error]').waitFor()
      check((await fieldError(page, 'email')).includes('email'), 'email error')
      check((await fieldError(page, 'password')).includes('10'), 'password error names the minimum')
      check(page.url().endsWith('/app/signup'), 'stays on sign-up')
      await page.fill('input[name=email]', b.email)
      await page.fill('input[name=password]', b.password)
      await page.click('button[type=submit]')
      await page.waitForURL((u) => u.pathname === '/app/setup')
      await page.locator('h1', { hasText: b.business_name }).waitFor()
      const heading = await page.locator('h1').innerText()
      check(heading === `Configurar ${b.business_name}`, `a Brazilian browser is set up in Portuguese: ${heading}`)
      await page.goto(`${BASE}/app/`)
      await page.locator('[data-test=resume-setup]').waitFor()
      // The same email again is refused beside the field, in a fresh browser.
      const other = await newPage(browser, { locale: 'en-GB' })
      await other.page.goto(`${BASE}/app/signup`)
      await other.page.fill('input[name=business_name]', 'Another shop')
      await other.page.fill('input[name=name]', 'Someone')
      await other.page.fill('input[name=email]', b.email.toUpperCase())
      await other.page.fill('input[name=password]', 'another-long-password')
      await other.page.click('button[type=submit]')
      await other.page.locator('[data-test=form-error]').waitFor()
      check((await fieldError(other.page, 'email')).includes('sign in'), 'a taken email says to sign in')
      // The profile: a plain-http map link is refused beside its field, then fixed.
      await page.goto(`${BASE}/app/settings/profile`)
      await page.locator('input[name=name]').waitFor()
      check((await page.inputValue('input[name=name]')) === b.business_name, 'profile shows the name')
      await page.fill('textarea[name=address]', 'Rua Augusta 1200\nSão Paulo')
      await page.fill('input[name=maps_url]', 'http://maps.example/augusta')
      await page.fill('input[name=legal_name]', `Dom ${b.business_name} Ltda`)
      await page.fill('textarea[name=legal_address]', 'Rua Augusta 1200, São Paulo - SP')
      await page.fill('input[name=tax_id]', '12.345.678/0001-90')
      await page.check('input[name=lang-en]')
      await page.click('button[type=submit]')
      await page.locator('[data-test=form-error]').waitFor()
      check((await fieldError(page, 'maps_url')).includes('https'), 'the map link must be https')
      await page.fill('input[name=maps_url]', 'https://maps.example/augusta')
      await page.click('button[type=submit]')
      await page.locator('[data-test=saved]').waitFor()
      await page.reload()
      await page.locator('input[name=name]').waitFor()
      check((await page.inputValue('textarea[name=address]')) === 'Rua Augusta 1200\nSão Paulo', 'address kept')
      check(await page.isChecked('input[name=lang-en]'), 'English added')
      const me = JSON.parse((await fromPage(page, 'GET', '/auth/me', undefined, { csrf: false })).body)
      const stored = JSON.parse((await fromPage(page, 'GET', `/admin/tenants/${me.tenant.id}`, undefined, { csrf: false })).body)
      check(stored.billing?.tax_id === '12.345.678/0001-90', `billing stored: ${JSON.stringify(stored.billing)}`)
      check(JSON.stringify(stored.languages) === '["pt-BR","en"]', `languages stored: ${stored.languages}`)
      check(stored.zone === 'America/Sao_Paulo', 'zone stored')
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /** Services are added, shown in the business's money, edited, refused when wrong, removed. */
  async services_round_trip() {
    await browserFor(async (browser) => {
      for (const kind of ['dental', 'spa']) {
        const b = business(kind)
        const { page } = await newPage(browser, { locale: b.locale, viewport: DESKTOP })
        await signUpInBrowser(page, BASE, b)
        await page.goto(`${BASE}/app/settings/services`)
        await page.locator('[data-test=services]').waitFor({ state: 'attached' })
        const add = async (name, duration, price, deposit) => {
          await page.locator('main button', { hasText: /Add a service|Añadir un servicio/ }).click()
          await page.fill('input[name=service_name]', name)
          await page.fill('input[name=duration]', duration)
          await page.fill('input[name=price]', price)
          if (deposit) await page.fill('input[name=deposit]', deposit)
          await page.click('form button[type=submit]')
        }
        const currency = kind === 'dental' ? 'GBP' : 'MXN'
        check((await page.locator('select[name=currency]').count()) === 0, 'no form open yet')
        await add(kind === 'dental' ? 'Check-up' : 'Masaje relajante', '30', '45.50', '10')
        await page.locator('[data-test=services] li').first().waitFor()
        const listed = (await page.locator('[data-test=services]').innerText()).replace(/\s/g, ' ')
        const price = kind === 'dental' ? '£45.50' : '$45.50'
        check(listed.includes(price), `${kind}: ${currency} shown as ${price}: ${listed}`)
        // A zero-minute service is the API's to refuse; its message lands beside the field.
        await add('Broken', '0', '10', '')
        await page.locator('form [data-test=form-error]').waitFor()
        check((await fieldError(page, 'duration')).length > 0, 'duration refused beside its field')
        await page.locator('form button.secondary').click()
        // Edit the price.
        await page.locator('[data-test=services] li button').first().click()
        await page.fill('input[name=price]', '50')
        await page.click('form button[type=submit]')
        await page.locator('[data-test=services] li', { hasText: kind === 'dental' ? '£50.00' : '$50.00' }).waitFor()
        const me = JSON.parse((await fromPage(page, 'GET', '/auth/me', undefined, { csrf: false })).body)
        const stored = JSON.parse((await fromPage(page, 'GET', `/admin/tenants/${me.tenant.id}/services`, undefined, { csrf: false })).body)
        check(stored.length === 1 && stored[0].price_minor === 5000 && stored[0].deposit_minor === 1000 && stored[0].currency === currency,
          `${kind}: stored ${JSON.stringify(stored)}`)
        await page.locator('[data-test=services] li button.danger').first().click()
        await page.locator('[data-test=services] li').waitFor({ state: 'detached' })
        check(page.problems.length === 0, page.problems.join('\n'))
      }
    })
  },

  /** Wrong passwords are refused, five in a row lock the account, the right one waits. */
  async wrong_password_and_lockout() {
    const b = business('tutor')
    await signUpByApi(BASE, b)
    await browserFor(async (browser) => {
      const { page } = await newPage(browser)
      // By keyboard alone: type, Tab, type, Enter.
      await page.goto(`${BASE}/app/login`)
      await page.locator('input[name=email]').focus()
      await page.keyboard.type(b.email)
      await page.keyboard.press('Tab')
      await page.keyboard.type('not-the-password')
      await page.keyboard.press('Enter')
      await page.locator('[data-test=form-error]').waitFor()
      check((await page.locator('[data-test=form-error]').innerText()).includes('wrong email or password'), 'wrong password said')
      for (let i = 2; i <= 5; i++) {
        await page.fill('input[name=password]', `wrong-${i}`)
        await page.click('button[type=submit]')
        await page.locator('[data-test=form-error]', { hasText: i < 5 ? 'wrong email or password' : 'locked' }).waitFor()
      }
      await page.fill('input[name=password]', b.password)
      await page.click('button[type=submit]')
      await page.locator('[data-test=form-error]', { hasText: 'locked' }).waitFor()
      check(page.url().includes('/app/login'), 'the right password does not open a locked account')
      const r = await fetch(`${BASE}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: b.email, password: b.password }) })
      check(r.status === 429 && Number(r.headers.get('retry-after')) > 800, `locked: ${r.status} retry-after ${r.headers.get('retry-after')}`)
      // An unknown email gets the same answer as a wrong password.
      const unknown = await fetch(`${BASE}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `nobody-${unique()}@x.example`, password: 'whatever-it-is' }) })
      check(unknown.status === 401 && (await unknown.json()).message === 'wrong email or password', 'unknown email')
    })
  },

  /** A session unused past its idle time is gone; the app sends the owner to sign in. */
  async expired_session() {
    const b = business('physio')
    await signUpByApi(SHORT, b)
    await browserFor(async (browser) => {
      const { page } = await newPage(browser, { locale: b.locale })
      await signIn(page, SHORT, b.email, b.password)
      await page.waitForURL((u) => u.pathname === '/app/')
      await page.waitForTimeout(7_000)
      await page.goto(`${SHORT}/app/settings/profile`)
      await page.waitForURL(/\/app\/login/)
      const r = await fromPage(page, 'GET', '/auth/me', undefined, { csrf: false })
      check(r.status === 401 && r.body.includes('sign in'), `expired: ${r.status} ${r.body}`)
    })
  },

  /** A change made with the cookie but without the CSRF token is refused. */
  async csrf_required() {
    await browserFor(async (browser) => {
      const b = business('spa')
      const { context, page } = await newPage(browser, { locale: b.locale })
      await signUpInBrowser(page, BASE, b)
      const cookies = await context.cookies()
      const session = cookies.find((c) => c.name === 'slotline_session')
      check(session && session.httpOnly && session.sameSite === 'Strict', `cookie flags: ${JSON.stringify(session)}`)
      check(!(await page.evaluate(() => document.cookie)).includes('slotline_session'), 'scripts cannot read the cookie')
      const me = JSON.parse((await fromPage(page, 'GET', '/auth/me', undefined, { csrf: false })).body)
      const path = `/admin/tenants/${me.tenant.id}`
      const changed = { ...me.tenant, name: 'Forged name' }
      const forged = await fromPage(page, 'PUT', path, changed, { csrf: false })
      check(forged.status === 403 && forged.body.includes('X-CSRF-Token'), `no token: ${forged.status} ${forged.body}`)
      const wrong = await page.evaluate(async ({ path, changed }) => {
        const r = await fetch(path, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-csrf-token': 'guessed' }, body: JSON.stringify(changed) })
        return r.status
      }, { path, changed })
      check(wrong === 403, `a wrong token: ${wrong}`)
      const after = JSON.parse((await fromPage(page, 'GET', path, undefined, { csrf: false })).body)
      check(after.name === b.business_name, 'nothing changed')
      const good = await fromPage(page, 'PUT', path, { ...me.tenant, name: `${b.business_name} Centro` })
      check(good.status === 200, `with the token: ${good.status} ${good.body}`)
      const logout = await fromPage(page, 'POST', '/auth/logout', undefined, { csrf: false })
      check(logout.status === 403, 'signing out needs the token too')
    })
  },

  /** Staff sign in, see their overview and cannot open or change settings. */
  async staff_cannot_open_settings() {
    await browserFor(async (browser) => {
      const b = business('dental')
      const owner = await newPage(browser, { viewport: DESKTOP })
      await signUpInBrowser(owner.page, BASE, b)
      await owner.page.goto(`${BASE}/app/settings/users`)
      await owner.page.locator('main button', { hasText: 'with a first password' }).click()
      const staff = { name: 'Tom Reed', email: `tom-${unique()}@dental.example`, password: 'tom-first-password' }
      await owner.page.fill('input[name=user_name]', staff.name)
      await owner.page.fill('input[name=user_email]', staff.email)
      await owner.page.selectOption('select[name=role]', 'staff')
      await owner.page.fill('input[name=user_password]', staff.password)
      await owner.page.click('[data-test=add-user-form] button[type=submit]')
      await owner.page.locator('[data-test=users] li', { hasText: staff.email }).waitFor()
      const s = await newPage(browser)
      await signIn(s.page, BASE, staff.email, staff.password)
      await s.page.locator('[data-test=staff-home]').waitFor()
      check((await s.page.locator('nav a[href="/app/settings/profile"]').count()) === 0, 'no settings in the staff menu')
      for (const path of ['settings/profile', 'settings/services', 'settings/staff', 'settings/whatsapp', 'settings/policy', 'settings/reminders', 'settings/users', 'settings/keys', 'settings/audit']) {
        await s.page.goto(`${BASE}/app/${path}`)
        await s.page.locator('[data-test=forbidden]').waitFor()
      }
      const me = JSON.parse((await fromPage(s.page, 'GET', '/auth/me', undefined, { csrf: false })).body)
      const t = me.tenant.id
      const put = await fromPage(s.page, 'PUT', `/admin/tenants/${t}`, { ...me.tenant, name: 'Staff rename' })
      check(put.status === 403 && put.body.includes('staff'), `staff PUT tenant: ${put.status} ${put.body}`)
      for (const [method, path] of [['GET', `/admin/tenants/${t}/users`], ['POST', `/admin/tenants/${t}/api-key`], ['GET', `/admin/tenants/${t}/revenue`], ['GET', `/admin/tenants/${t}/outbox`], ['GET', `/admin/tenants/${t}/audit`]]) {
        const r = await fromPage(s.page, method, path)
        check(r.status === 403, `staff ${method} ${path}: ${r.status}`)
      }
      for (const path of [`/admin/tenants/${t}/bookings`, `/admin/tenants/${t}/customers`, `/admin/tenants/${t}/services`]) {
        const r = await fromPage(s.page, 'GET', path, undefined, { csrf: false })
        check(r.status === 200, `staff reads ${path}: ${r.status}`)
      }
      await s.page.goto(`${BASE}/app/`)
      await axeCheck(s.page, 'staff home')
      await s.page.screenshot({ path: `${SHOTS}/staff-home-phone.png`, fullPage: true })
      await s.page.goto(`${BASE}/app/settings/profile`)
      await s.page.locator('[data-test=forbidden]').waitFor()
      await axeCheck(s.page, 'forbidden')
      await s.page.screenshot({ path: `${SHOTS}/forbidden-phone.png`, fullPage: true })
    })
  },

  /** One business's user cannot reach another's, by the app's URLs nor the API's. */
  async tenant_isolation() {
    const a = business('barber')
    const bb = business('tutor')
    const other = await signUpByApi(BASE, bb)
    await browserFor(async (browser) => {
      const { page } = await newPage(browser, { locale: a.locale })
      await signUpInBrowser(page, BASE, a)
      for (const path of ['', '/services', '/providers', '/bookings', '/customers', '/users', '/revenue']) {
        const r = await fromPage(page, 'GET', `/admin/tenants/${other.tenant}${path}`, undefined, { csrf: false })
        check(r.status === 404, `A reading B${path}: ${r.status} ${r.body}`)
      }
      const put = await fromPage(page, 'PUT', `/admin/tenants/${other.tenant}`, { id: other.tenant, name: 'Taken over', zone: 'UTC' })
      check(put.status === 404, `A changing B: ${put.status}`)
      await page.goto(`${BASE}/admin/tenants/${other.tenant}`)
      check((await page.locator('body').innerText()).includes('not_found'), 'B by URL in the browser is not found')
      const list = JSON.parse((await fromPage(page, 'GET', '/admin/tenants', undefined, { csrf: false })).body)
      check(list.length === 1 && list[0].id !== other.tenant, `A lists only itself: ${list.map((t) => t.id)}`)
      // B is untouched.
      const r = await fetch(`${BASE}/admin/tenants/${other.tenant}`, { headers: { cookie: other.cookie } })
      check((await r.json()).name === bb.business_name, 'B unchanged')
    })
  },

  /** Sessions are listed and one browser signs another out. */
  async sessions_revocable() {
    const b = business('spa')
    await signUpByApi(BASE, b)
    await browserFor(async (browser) => {
      const first = await newPage(browser, { locale: b.locale })
      const second = await newPage(browser, { locale: b.locale })
      await signIn(first.page, BASE, b.email, b.password)
      await first.page.waitForURL((u) => u.pathname === '/app/')
      await signIn(second.page, BASE, b.email, b.password)
      await second.page.waitForURL((u) => u.pathname === '/app/')
      await first.page.goto(`${BASE}/app/account/security`)
      await first.page.locator('[data-test=sessions] li').nth(2).waitFor()
      const count = await first.page.locator('[data-test=sessions] li').count()
      check(count === 3, `sign-up, then two sign-ins: ${count} sessions`)
      check((await first.page.locator('[data-test=sessions] li .tag').count()) === 1, 'one marked as this browser')
      // End the newest other session (the second browser's).
      await first.page.locator('[data-test=sessions] li').filter({ hasNot: first.page.locator('.tag') }).first().locator('button').click()
      // The list is read again after the sign-out: wait for it to change, then count.
      await first.page.waitForFunction(() => document.querySelectorAll('[data-test=sessions] li').length < 3).catch(() => {})
      check((await first.page.locator('[data-test=sessions] li').count()) === 2, 'one fewer')
      await second.page.goto(`${BASE}/app/settings/profile`)
      await second.page.waitForURL(/\/app\/login/)
      await first.page.goto(`${BASE}/app/settings/profile`)
      await first.page.locator('input[name=name]').waitFor()
    })
  },

  /** A new key is shown once; the old one stops at once. */
  async api_key_rotation() {
    await browserFor(async (browser) => {
      const b = business('physio')
      const { page } = await newPage(browser, { locale: b.locale })
      await signUpInBrowser(page, BASE, b)
      const me = JSON.parse((await fromPage(page, 'GET', '/auth/me', undefined, { csrf: false })).body)
      await page.goto(`${BASE}/app/settings/keys`)
      await page.locator('main button').click()
      const first = (await page.locator('[data-test=api-key]').innerText()).trim()
      await page.locator('main button').click()
      await page.locator('[data-test=api-key]', { hasNotText: first }).waitFor()
      const second = (await page.locator('[data-test=api-key]').innerText()).trim()
      const as = (key) => fetch(`${BASE}/admin/tenants/${me.tenant.id}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status)
      check((await as(first)) === 401, 'the replaced key is refused')
      check((await as(second)) === 200, 'the new key works')
    })
  },

  /** WhatsApp numbers, booking rules, reminders: each saved, refused when wrong, kept. */
  async settings_round_trips() {
    await browserFor(async (browser) => {
      const b = business('physio')
      const { page } = await newPage(browser, { locale: b.locale, viewport: DESKTOP })
      await signUpInBrowser(page, BASE, b)
      const stored = async () => {
        const me = JSON.parse((await fromPage(page, 'GET', '/auth/me', undefined, { csrf: false })).body)
        return JSON.parse((await fromPage(page, 'GET', `/admin/tenants/${me.tenant.id}`, undefined, { csrf: false })).body)
      }
      // WhatsApp: a number that is not one is refused; then a number written with spaces.
      const number = `+3519${String(Date.now()).slice(-8)}`
      await page.goto(`${BASE}/app/settings/whatsapp`)
      await page.locator('textarea[name=numbers]').waitFor()
      await page.fill('textarea[name=numbers]', '912345')
      await page.fill('input[name=keywords]', 'fisio, lisboa')
      await page.click('button[type=submit]')
      await page.locator('[data-test=form-error]').waitFor()
      check((await fieldError(page, 'numbers')).length > 0, 'a bad number is refused beside the field')
      await page.fill('textarea[name=numbers]', number.replace(/(\d{3})(\d{3})(\d{3})$/, ' $1 $2 $3'))
      await page.click('button[type=submit]')
      await page.locator('[data-test=saved]').waitFor()
      let t = await stored()
      check(JSON.stringify(t.numbers) === JSON.stringify([number]) && JSON.stringify(t.keywords) === '["fisio","lisboa"]',
        `numbers and keywords stored: ${t.numbers} ${t.keywords}`)
      // Booking rules.
      await page.goto(`${BASE}/app/settings/policy`)
      await page.locator('input[name=min_notice_min]').waitFor()
      await page.fill('input[name=slot_step_min]', '0')
      await page.click('button[type=submit]')
      await page.locator('[data-test=form-error]').waitFor()
      check((await fieldError(page, 'slot_step_min')).length > 0, 'a zero slot step is refused beside its field')
      await page.fill('input[name=slot_step_min]', '15')
      await page.fill('input[name=min_notice_min]', '120')
      await page.fill('input[name=window_days]', '45')
      await page.click('button[type=submit]')
      await page.locator('[data-test=saved]').waitFor()
      await page.reload()
      await page.locator('input[name=min_notice_min]').waitFor()
      check((await page.inputValue('input[name=window_days]')) === '45', 'window kept')
      t = await stored()
      check(t.policy.slot_step_min === 15 && t.policy.min_notice_min === 120, `policy stored: ${JSON.stringify(t.policy)}`)
      // Reminders and quiet hours.
      await page.goto(`${BASE}/app/settings/reminders`)
      await page.locator('input[name=follow_up]').waitFor()
      await page.uncheck('input[name=follow_up]')
      await page.fill('input[name=shortly_before_min]', '60')
      await page.fill('input[name=day_before_at]', '19:30')
      await page.fill('input[name=quiet_from]', '22:00')
      await page.fill('input[name=quiet_to]', '08:00')
      await page.click('button[type=submit]')
      await page.locator('[data-test=saved]').waitFor()
      t = await stored()
      const r = t.reminders
      check(r.follow_up === false && r.shortly_before_min === 60 && r.day_before_at === '19:30' &&
        r.quiet_hours?.from === '22:00' && r.quiet_hours?.to === '08:00', `reminders stored: ${JSON.stringify(r)}`)
      await page.reload()
      await page.locator('input[name=follow_up]').waitFor()
      check(!(await page.isChecked('input[name=follow_up]')) && (await page.inputValue('input[name=quiet_from]')) === '22:00', 'reminders shown as saved')
      await page.uncheck('input[name=quiet]')
      await page.click('button[type=submit]')
      await page.locator('[data-test=saved]').waitFor()
      check((await stored()).reminders.quiet_hours == null, 'quiet hours turned off')
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /** Staff with their services, weekly hours copied across days and staff, and a day off. */
  async staff_and_hours() {
    await browserFor(async (browser) => {
      const b = business('barber')
      const { page } = await newPage(browser, { locale: 'en-GB', viewport: PHONE })
      await signUpInBrowser(page, BASE, b)
      const me = JSON.parse((await fromPage(page, 'GET', '/auth/me', undefined, { csrf: false })).body)
      const tid = me.tenant.id
      for (const [id, name] of [['corte', 'Corte masculino'], ['barba', 'Barba']]) {
        const r = await fromPage(page, 'POST', `/admin/tenants/${tid}/services`, { id, name, duration_min: 30, price_minor: 6000, currency: 'BRL' })
        check(r.status === 201, `service ${id}: ${r.status} ${r.body}`)
      }
      await page.goto(`${BASE}/app/settings/staff`)
      const addStaff = async (name, services) => {
        await page.locator('main > section > button', { hasText: 'Add a staff member' }).click()
        await page.fill('input[name=staff_name]', name)
        for (const s of ['corte', 'barba']) {
          if (services.includes(s)) await page.check(`input[name=staff-service-${s}]`)
          else await page.uncheck(`input[name=staff-service-${s}]`)
        }
        await page.fill('input[name=max_per_day]', '8')
        await page.click('form.panel button[type=submit]')
        await page.locator('[data-test=staff] li', { hasText: name }).waitFor()
      }
      await addStaff('João Batista', ['corte', 'barba'])
      await page.locator('[data-test=hours]').waitFor()
      // Monday 09–13 and 14–19, copied to every day, Sunday cleared.
      await page.click('button[name=add-mon]')
      await page.fill('input[name=mon-0-start]', '09:00')
      await page.fill('input[name=mon-0-end]', '13:00')
      await page.click('button[name=add-mon]')
      await page.fill('input[name=mon-1-start]', '14:00')
      await page.fill('input[name=mon-1-end]', '19:00')
      await page.click('button[name=copy-days]')
      await page.locator('fieldset[data-day=sun] button.danger').first().click()
      await page.locator('fieldset[data-day=sun] button.danger').first().click()
      // An overlap is caught before saving.
      await page.fill('input[name=tue-1-start]', '12:00')
      check(await page.isDisabled('button[name=save-hours]'), 'overlapping hours cannot be saved')
      await page.fill('input[name=tue-1-start]', '14:00')
      await page.click('button[name=save-hours]')
      await page.locator('[data-test=hours-saved]').waitFor()
      const weekly = JSON.parse((await fromPage(page, 'GET', `/admin/tenants/${tid}/providers/joao-batista/availability`, undefined, { csrf: false })).body)
      check(weekly.sat?.length === 2 && (weekly.sun ?? []).length === 0 && weekly.mon[1].end === '19:00', `hours stored: ${JSON.stringify(weekly)}`)
      // A day off, picked on the month view (next month's 10th, whatever today is).
      const next = new Date()
      next.setUTCDate(1)
      next.setUTCMonth(next.getUTCMonth() + 1)
      const day = `${next.toISOString().slice(0, 8)}10`
      await page.click('button[name=month-next]')
      await page.click(`[data-test=month] button[data-date="${day}"]`)
      check((await page.inputValue('input[name=override_date]')) === day, 'choosing a day fills the date')
      await page.fill('input[name=override_note]', 'Feriado')
      await page.click('[data-test=hours] form button[type=submit]')
      await page.locator('[data-test=overrides] li', { hasText: day }).waitFor()
      const cell = page.locator(`[data-test=month] button[data-date="${day}"]`)
      await page.waitForFunction((d) => document.querySelector(`[data-test=month] button[data-date="${d}"]`)?.classList.contains('off'), day)
      check((await cell.getAttribute('aria-label')).includes('Feriado'), 'the month view says the day is off, and why')
      await axeCheck(page, 'staff with the month view')
      // A second barber gets the same hours in one click.
      await addStaff('Caio', ['corte'])
      await page.locator('[data-test=staff] li', { hasText: 'João' }).locator('button').nth(1).click()
      await page.locator('input[name=mon-0-start]').waitFor()
      await page.click('button[name=copy-staff]')
      await page.locator('[data-test=hours-saved]').waitFor()
      const caio = JSON.parse((await fromPage(page, 'GET', `/admin/tenants/${tid}/providers/caio/availability`, undefined, { csrf: false })).body)
      check(JSON.stringify(caio.wed) === JSON.stringify(weekly.wed), `copied to all staff: ${JSON.stringify(caio)}`)
      const staff = JSON.parse((await fromPage(page, 'GET', `/admin/tenants/${tid}/providers`, undefined, { csrf: false })).body)
      const caioRecord = staff.find((p) => p.id === 'caio')
      check(JSON.stringify(caioRecord.services) === '["corte"]' && caioRecord.max_per_day === 8, `staff stored: ${JSON.stringify(staff)}`)
      // The owner reads back who changed what.
      await page.goto(`${BASE}/app/settings/audit`)
      await page.locator('[data-test=audit] > li').first().waitFor()
      const log = await page.locator('[data-test=audit]').innerText()
      for (const expected of ['hours.update', 'time_off.set', 'provider.create', 'service.create', b.name, 'caio']) {
        check(log.includes(expected), `the change log shows ${expected}: ${log.slice(0, 400)}`)
      }
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /** A new business starts at once on the platform's shared number, and tries it. */
  async shared_number_and_try_it() {
    await browserFor(async (browser) => {
      const b = business('spa')
      const { page } = await newPage(browser, { locale: b.locale })
      await signUpInBrowser(page, BASE, b)
      await page.goto(`${BASE}/app/try`)
      await page.locator('main a[href="/app/settings/whatsapp"]').waitFor()
      await page.goto(`${BASE}/app/settings/whatsapp`)
      await page.locator('[data-test=shared] button').click()
      check((await page.inputValue('textarea[name=numbers]')) === SHARED, 'the shared number is added')
      const keyword = `spa${unique()}`
      await page.fill('input[name=keywords]', keyword)
      await page.click('form button[type=submit]')
      await page.locator('[data-test=saved]').waitFor()
      await page.goto(`${BASE}/app/try`)
      const link = page.locator('[data-test=wa-link]')
      await link.waitFor()
      const url = await link.getAttribute('href')
      check(url === `https://wa.me/${SHARED.slice(1)}?text=${keyword}`, `the link opens a chat with the keyword: ${url}`)
      const qr = page.locator('[data-test=try-it] img')
      check((await qr.getAttribute('alt')).includes(SHARED), 'the QR code is described')
      check(await qr.evaluate((img) => img.complete && img.naturalWidth >= 220), 'the QR code renders')
      // Another business cannot take the same keyword on the shared number.
      const other = await signUpByApi(BASE, business('tutor'))
      const r = await fetch(`${BASE}/admin/tenants/${other.tenant}`, { headers: { cookie: other.cookie } })
      const t = await r.json()
      const put = await fetch(`${BASE}/admin/tenants/${other.tenant}`, {
        method: 'PUT',
        headers: { cookie: other.cookie, 'x-csrf-token': other.csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ ...t, numbers: [SHARED], keywords: [keyword.toUpperCase()] }),
      })
      check(put.status === 409, `the keyword is taken on the shared number: ${put.status}`)
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /** An owner invites a member of staff, who joins by the link once; a spent link says so. */
  async invite_and_join() {
    const b = business('tutor')
    await signUpByApi(BASE, b)
    await browserFor(async (browser) => {
      const { page } = await newPage(browser, { locale: b.locale })
      await signIn(page, BASE, b.email, b.password)
      await page.waitForURL((u) => u.pathname === '/app/')
      await page.goto(`${BASE}/app/settings/users`)
      const form = page.locator('[data-test=invite-form]')
      await form.locator('input[name=invite_name]').fill('Meera Shah')
      await form.locator('input[name=invite_email]').fill('meera@')
      await form.locator('button[type=submit]').click()
      check((await fieldError(page, 'invite_email')).includes('email'), 'a bad email is refused beside its field')
      const email = `meera-${unique()}@tutor.example`
      await form.locator('input[name=invite_email]').fill(email)
      await form.locator('button[type=submit]').click()
      const link = (await page.locator('[data-test=invite-link]').innerText()).trim()
      check(link.startsWith(`${BASE}/app/join/inv_`), `the link to send: ${link}`)
      await page.locator('[data-test=invites] li').first().waitFor()
      check((await page.locator('[data-test=invites]').innerText()).includes(email), 'the invitation waits in the list')
      // Meera, on her own phone, opens it.
      const meera = await newPage(browser, { locale: 'en-IN' })
      await meera.page.goto(link)
      const lead = await meera.page.locator('[data-test=join-lead]').innerText()
      check(lead.includes(email) && lead.includes('Staff'), `the page says who is invited as what: ${lead}`)
      check((await meera.page.locator('h1').innerText()).includes(b.business_name), 'and to which business')
      await axeCheck(meera.page, 'join')
      await meera.page.screenshot({ path: `${SHOTS}/join-phone.png`, fullPage: true })
      await meera.page.fill('input[name=password]', 'short')
      await meera.page.click('button[type=submit]')
      check((await fieldError(meera.page, 'password')).includes('10'), 'a short password is refused')
      await meera.page.fill('input[name=password]', 'algebra and tea 2026')
      await meera.page.click('button[type=submit]')
      await meera.page.waitForURL((u) => u.pathname === '/app/')
      await meera.page.locator('[data-test=staff-home]').waitFor()
      // The link is spent; the owner's list no longer shows it, the users list does.
      const later = await newPage(browser, { locale: 'en-GB' })
      await later.page.goto(link)
      await later.page.locator('[data-test=join-gone]').waitFor()
      await page.reload()
      await page.locator('[data-test=users] li').nth(1).waitFor()
      check((await page.locator('[data-test=users]').innerText()).includes('Meera Shah'), 'she is a user now')
      check((await page.locator('[data-test=invites]').count()) === 0, 'no invitation waits')
      check(meera.page.problems.length === 0 && page.problems.length === 0, [...meera.page.problems, ...page.problems].join('\n'))
    })
  },

  /** A forgotten password: a code over WhatsApp (the Twilio stand-in), a wrong code, then in. */
  async password_reset() {
    check(TWILIO, 'SLOTLINE_TWILIO is not set')
    const b = { ...business('spa'), phone: `+5255${Math.floor(10_000_000 + Math.random() * 89_999_999)}` }
    await signUpByApi(BASE, b)
    await browserFor(async (browser) => {
      const { page } = await newPage(browser, { locale: b.locale })
      await page.goto(`${BASE}/app/login`)
      await page.locator('a[href="/app/reset"]').click()
      // The sign-in page has an email field too: wait for the reset page's own form.
      await page.waitForURL(/\/app\/reset/)
      await page.locator('form button[type=submit]', { hasText: /código|code/ }).waitFor()
      await page.fill('input[name=email]', b.email)
      await page.click('button[type=submit]')
      await page.locator('[data-test=reset-sent]').waitFor()
      await axeCheck(page, 'reset code')
      let code = null
      for (let i = 0; i < 50 && !code; i++) {
        const sent = await (await fetch(`${TWILIO}/_standin/messages`)).json()
        const mine = sent.filter((m) => m.to === `whatsapp:${b.phone}`)
        code = mine.length ? (mine.at(-1).body ?? '').match(/\b(\d{6})\b/)?.[1] : null
        if (!code) await new Promise((r) => setTimeout(r, 100))
      }
      check(code, 'a six-digit code reached the owner on WhatsApp')
      const wrong = code === '000000' ? '111111' : '000000'
      await page.fill('input[name=code]', wrong)
      await page.fill('input[name=new_password]', 'un nuevo comienzo 2026')
      await page.click('button[type=submit]')
      check((await fieldError(page, 'code')).includes('4 tries left'), 'a wrong code says how many tries are left')
      await page.fill('input[name=code]', code)
      await page.click('button[type=submit]')
      await page.waitForURL((u) => u.pathname === '/app/')
      // The old password no longer signs in; the new one does.
      const other = await newPage(browser, { locale: b.locale })
      await signIn(other.page, BASE, b.email, b.password)
      await other.page.locator('[data-test=form-error]').waitFor()
      await signIn(other.page, BASE, b.email, 'un nuevo comienzo 2026')
      await other.page.waitForURL((u) => u.pathname === '/app/')
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /** An own number registered from the wizard: the code WhatsApp sends, then online. */
  async own_number_registration() {
    check(TWILIO, 'SLOTLINE_TWILIO is not set')
    const b = business('dental')
    await signUpByApi(BASE, b)
    const number = `+4420${Math.floor(10_000_000 + Math.random() * 89_999_999)}`
    await browserFor(async (browser) => {
      const { page } = await newPage(browser, { locale: b.locale })
      await signIn(page, BASE, b.email, b.password)
      await page.waitForURL((u) => u.pathname === '/app/')
      await page.goto(`${BASE}/app/setup`)
      await page.click('[data-test=skip]')
      await page.locator('[data-test=step-whatsapp]').waitFor()
      await page.check('input[name=mode][value=own]')
      await page.fill('input[name=own_number]', SHARED)
      await page.click('[data-test=register-number]')
      check((await fieldError(page, 'own_number')).includes('shared'), "the platform's shared number is refused beside the field")
      await page.fill('input[name=own_number]', number)
      await page.click('[data-test=register-number]')
      await page.locator('[data-test=sender-status]').waitFor()
      await page.click('[data-test=check-senders]')
      await page.locator('input[name=sender_code]').waitFor()
      await axeCheck(page, 'own number: code')
      const senders = await (await fetch(`${TWILIO}/_standin/senders`)).json()
      const code = senders.find((s) => s.sender_id === `whatsapp:${number}`)?.code
      check(code, 'the stand-in has a code for the number')
      await page.fill('input[name=sender_code]', code === '000000' ? '111111' : '000000')
      await page.click('[data-test=own-number] form button[type=submit]')
      check((await fieldError(page, 'sender_code')).includes('incorrect'), 'a wrong code is refused beside its field')
      await page.fill('input[name=sender_code]', code)
      await page.click('[data-test=own-number] form button[type=submit]')
      // Verifying, then online on the next look (which the page takes at once).
      await page.locator('input[name=sender_code]').waitFor({ state: 'detached' })
      await page.click('[data-test=check-senders]')
      await page.waitForFunction(() => document.querySelector('[data-test=sender-status]')?.textContent === 'Online')
      // Online: the number is the business's own now, on the WhatsApp page too.
      await page.goto(`${BASE}/app/settings/whatsapp`)
      await page.locator('textarea[name=numbers]').waitFor()
      check((await page.inputValue('textarea[name=numbers]')).includes(number), 'the registered number is one of the business\'s')
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /** Deposit rules: the payment window and refund tiers, each refused beside its field. */
  async payments_settings() {
    const b = business('physio')
    const owner = await signUpByApi(BASE, b)
    await browserFor(async (browser) => {
      const { page } = await newPage(browser, { locale: 'en-GB' })
      await signIn(page, BASE, b.email, b.password)
      await page.waitForURL((u) => u.pathname === '/app/')
      await page.goto(`${BASE}/app/settings/payments`)
      // This bridge has no Stripe key: the page says deposits are not available yet.
      await page.locator('[data-test=payments-off]').waitFor()
      await page.fill('input[name=window_min]', '20')
      await page.click('form button[type=submit]')
      check((await fieldError(page, 'window_min')).includes('30'), 'a window under Stripe\'s 30 minutes is refused')
      await page.fill('input[name=window_min]', '45')
      await page.fill('input[name=cancellation_notice_hours]', '48')
      await page.click('button[name=add-tier]')
      await page.fill('input[name=tier-0-hours]', '60')
      await page.fill('input[name=tier-0-percent]', '50')
      await page.click('form button[type=submit]')
      await page.locator('[data-test=tiers-error]').waitFor()
      await page.fill('input[name=tier-0-hours]', '24')
      await page.click('form button[type=submit]')
      await page.locator('[data-test=saved]').waitFor()
      const t = JSON.parse((await fromPage(page, 'GET', `/admin/tenants/${owner.tenant}`, undefined, { csrf: false })).body)
      check(t.payments.window_min === 45 && t.policy.cancellation_notice_hours === 48 && JSON.stringify(t.policy.partial_refunds) === '[{"min_hours":24,"percent":50}]', `stored: ${JSON.stringify([t.payments, t.policy])}`)
      await axeCheck(page, 'payments')
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /** Reminder templates per language go to WhatsApp for approval and come back approved. */
  async message_templates() {
    const b = business('spa')
    await signUpByApi(BASE, b)
    await browserFor(async (browser) => {
      const { page } = await newPage(browser, { locale: b.locale })
      await signIn(page, BASE, b.email, b.password)
      await page.waitForURL((u) => u.pathname === '/app/')
      await page.goto(`${BASE}/app/settings/templates`)
      const submit = page.locator('[data-test=submit-day_before-es]')
      await submit.waitFor()
      const card = page.locator('[data-test=templates-day_before] li').first()
      check((await card.innerText()).includes(b.business_name), 'the example names the business')
      check((await card.locator('[data-test=template-status]').innerText()) === 'Sin enviar', 'not submitted yet, in Spanish')
      await submit.click()
      // The list is read again at once, and WhatsApp's review has moved on by then.
      await page.waitForFunction(() => ['Enviada', 'En revisión'].includes(document.querySelector('[data-test=templates-day_before] [data-test=template-status]')?.textContent))
      check((await page.locator('[data-test=submit-day_before-es]').count()) === 0, 'no second submission while in review')
      await axeCheck(page, 'templates')
      await page.screenshot({ path: `${SHOTS}/settings-templates-phone.png`, fullPage: true })
      // WhatsApp's review moves on each time the page asks.
      for (let i = 0; i < 2 && (await page.locator('[data-test=templates-day_before] [data-test=template-status]').innerText()) !== 'Aprobada'; i++) {
        await page.reload()
        await page.locator('[data-test=templates-day_before] [data-test=template-status]').waitFor()
      }
      check((await page.locator('[data-test=templates-day_before] [data-test=template-status]').innerText()) === 'Aprobada', 'approved after WhatsApp\'s review')
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /** The setup wizard saves each step: closed half-way, it resumes where the owner was. */
  async setup_wizard_resumes() {
    await browserFor(async (browser) => {
      const b = business('physio')
      const { page } = await newPage(browser, { locale: b.locale })
      await signUpInBrowser(page, BASE, b)
      await page.locator('[data-test=step-business]').waitFor()
      await page.selectOption('select[name=kind]', 'clinic')
      await page.fill('input[name=address]', 'Rua do Ouro 10, Lisboa')
      await page.fill('input[name=maps_url]', 'http://maps.example/ouro')
      await page.click('[data-test=step-business] button[type=submit]')
      check((await fieldError(page, 'maps_url')).includes('https'), 'a plain-http map link is refused beside its field')
      await page.fill('input[name=maps_url]', '')
      await page.click('[data-test=step-business] button[type=submit]')
      await page.locator('[data-test=step-whatsapp]').waitFor()
      // Closed and opened again: the wizard is at WhatsApp, the address kept.
      await page.goto(`${BASE}/app/`)
      await page.locator('[data-test=resume-setup] a').click()
      await page.locator('[data-test=step-whatsapp]').waitFor()
      check((await page.inputValue('input[name=keyword]')).startsWith('fisio-lisboa'), 'a keyword is offered from the name')
      await page.click('[data-test=skip]')
      // Services start from the clinic's list, in Portuguese, priced in euros.
      await page.locator('[data-test=step-services]').waitFor()
      await page.locator('input[name=name0]').waitFor()
      check((await page.inputValue('input[name=name0]')) === 'Consulta', 'the clinic starts with a consultation')
      check((await page.inputValue('input[name=price0]')) === '60.00', 'priced in euros')
      await axeCheck(page, 'setup: services')
      await page.screenshot({ path: `${SHOTS}/setup-services-phone.png`, fullPage: true })
      await page.fill('input[name=price1]', 'abc')
      await page.click('[data-test=step-services] button[type=submit]')
      await page.locator('[data-test=form-error]').waitFor()
      check((await page.inputValue('input[name=price1]')) === 'abc', 'a bad price stays for correcting')
      await page.fill('input[name=price1]', '45')
      // The rest of a service is there too: the physiotherapy's deposit, a description.
      await page.locator('[data-test=service-rows] li').nth(2).locator('summary').click()
      check((await page.inputValue('input[name=deposit2]')) === '20', 'the template brings its deposit')
      await page.locator('[data-test=service-rows] li').nth(0).locator('summary').click()
      await page.fill('input[name=description0]', 'Primeira consulta com avaliação completa')
      await page.click('[data-test=step-services] button[type=submit]')
      await page.locator('[data-test=step-staff]').waitFor()
      const me = JSON.parse((await fromPage(page, 'GET', '/auth/me')).body)
      const t = await fromPage(page, 'GET', `/admin/tenants/${me.tenant.id}/services`)
      const services = JSON.parse(t.body)
      check(services.length === 4 && services[1].price_minor === 4500, `four services saved, the corrected price kept: ${t.body.slice(0, 300)}`)
      check(services[0].description === 'Primeira consulta com avaliação completa' && services[2].deposit_percent === 20, `details kept: ${t.body.slice(0, 400)}`)
      await page.reload()
      await page.locator('[data-test=step-staff]').waitFor()
      await page.locator('input[name=staff_services]').first().waitFor()
      await axeCheck(page, 'setup: staff')
      await page.screenshot({ path: `${SHOTS}/setup-staff-phone.png`, fullPage: true })
      check(page.problems.length === 0, page.problems.join('\n'))
    })
  },

  /**
   * The measured first run: sign-up to a business live on the shared number, every step
   * of the wizard done the way a new owner would. Prints the fields filled and the wall
   * time (the script types instantly, so no typing delay is in it) as one ONBOARDED line
   * for the end-to-end test, which then books as a customer on WhatsApp.
   */
  async onboarding_run() {
    let fields = 0
    const fill = async (page, selector, value) => { fields++; await page.fill(selector, value) }
    const select = async (page, selector, value) => { fields++; await page.selectOption(selector, value) }
    const tick = async (page, selector) => { fields++; await page.click(selector) }
    const started = Date.now()
    const n = unique()
    const b = { business_name: `Clínica Tejo ${n}`, name: 'Marta Lopes', email: `marta-${n}@tejo.example`, password: `tejo-${n}-palavra`, time_zone: 'Europe/Lisbon', language: 'pt' }
    let out = null
    await browserFor(async (browser) => {
      const { page } = await newPage(browser, { locale: 'pt-PT' })
      await page.goto(`${BASE}/app/signup`)
      await fill(page, 'input[name=business_name]', b.business_name)
      await fill(page, 'input[name=name]', b.name)
      await fill(page, 'input[name=email]', b.email)
      await fill(page, 'input[name=password]', b.password)
      await select(page, 'select[name=time_zone]', b.time_zone)
      await select(page, 'select[name=language]', b.language)
      await page.click('button[type=submit]')
      await page.locator('[data-test=step-business]').waitFor()
      await select(page, 'select[name=kind]', 'clinic')
      await fill(page, 'input[name=legal_name]', `Clínica Tejo ${n}, Lda.`)
      await fill(page, 'input[name=address]', 'Avenida da Liberdade 100, Lisboa')
      await page.click('[data-test=step-business] button[type=submit]')
      await page.locator('[data-test=step-whatsapp]').waitFor()
      const keyword = `tejo${n}`
      await fill(page, 'input[name=keyword]', keyword)
      await page.click('[data-test=step-whatsapp] button[type=submit]')
      await page.locator('[data-test=step-services]').waitFor()
      await page.locator('input[name=name1]').waitFor()
      // A consultation and physiotherapy, not the follow-up or the cleaning.
      await tick(page, 'input[name=keep1]')
      await tick(page, 'input[name=keep3]')
      await fill(page, 'input[name=price0]', '55')
      await page.click('[data-test=step-services] button[type=submit]')
      await page.locator('[data-test=step-staff]').waitFor()
      await page.locator('input[name=staff_services]').first().waitFor()
      check((await page.inputValue('input[name=staff_name]')) === b.name, 'the owner is offered as the first staff member')
      await tick(page, 'input[name=days][value=sat]')
      await tick(page, 'input[name=days][value=sun]')
      await fill(page, 'input[name=break_from]', '13:00')
      await fill(page, 'input[name=break_to]', '14:00')
      await page.click('[data-test=step-staff] button[type=submit]')
      await page.locator('[data-test=step-messages]').waitFor()
      await page.click('[data-test=step-messages] button[type=submit]')
      await page.locator('[data-test=step-payments]').waitFor()
      const connect = page.locator('[data-test=connect-stripe]')
      if (await connect.count()) {
        await connect.click()
        await page.locator('[data-test=stripe-status]').waitFor()
      }
      await page.click('[data-test=step-payments] button[type=submit]')
      await page.locator('[data-test=step-try_it]').waitFor()
      const link = page.locator('[data-test=step-try_it] [data-test=wa-link]')
      await link.waitFor()
      const url = await link.getAttribute('href')
      check(url === `https://wa.me/${SHARED.slice(1)}?text=${keyword}`, `the try-it link opens the shared number with the keyword: ${url}`)
      await page.click('[data-test=finish]')
      await page.waitForURL((u) => u.pathname === '/app/try')
      const me = JSON.parse((await fromPage(page, 'GET', '/auth/me')).body)
      check(me.tenant.onboarding.finished_at, 'the setup is recorded as finished')
      check(page.problems.length === 0, page.problems.join('\n'))
      out = { tenant: me.tenant.id, keyword, number: SHARED, fields, wall_ms: Date.now() - started }
    })
    console.log(`ONBOARDED ${JSON.stringify(out)}`)
  },

  /** Every page at phone and desktop width: no serious accessibility violation; a screenshot. */
  async accessibility_and_screenshots() {
    mkdirSync(SHOTS, { recursive: true })
    const b = business('dental')
    await signUpByApi(BASE, b)
    let pages = 0
    let minor = 0
    await browserFor(async (browser) => {
      for (const [width, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
        const { page } = await newPage(browser, { viewport })
        for (const path of ['login', 'signup', 'reset']) {
          await page.goto(`${BASE}/app/${path}`)
          await page.locator('form').waitFor()
          minor += await axeCheck(page, `${path} (${width})`)
          await page.screenshot({ path: `${SHOTS}/${path}-${width}.png`, fullPage: true })
          pages++
        }
        await signIn(page, BASE, b.email, b.password)
        await page.waitForURL((u) => u.pathname === '/app/')
        for (const [path, ready] of [['', 'ol'], ['setup', '[data-test=step-business]'], ['settings/profile', 'form'], ['settings/whatsapp', 'form'], ['settings/staff', 'main button'], ['settings/policy', 'form'], ['settings/reminders', 'form'], ['settings/services', 'main button'], ['settings/payments', 'form'], ['settings/templates', '[data-test=templates-day_before] li'], ['settings/users', '[data-test=users] li'], ['settings/keys', 'main button'], ['settings/audit', 'h1'], ['try', 'h1'], ['account/security', '[data-test=sessions] li']]) {
          await page.goto(`${BASE}/app/${path}`)
          await page.locator(ready).first().waitFor()
          if (width === 'phone' && path === '') {
            // The menu opens from its button on a phone, and is checked open.
            await page.locator('button.menu').click()
            await page.locator('nav.open').waitFor()
          }
          minor += await axeCheck(page, `${path || 'home'} (${width})`)
          await page.screenshot({ path: `${SHOTS}/${(path || 'home').replace('/', '-')}-${width}.png`, fullPage: true })
          pages++
        }
        check(page.problems.length === 0, page.problems.join('\n'))
      }
    })
    console.log(`checked ${pages} page views with axe-core: no serious or critical violation (${minor} minor or moderate); screenshots in ${SHOTS}`)
  },
}

const name = process.argv[2]
const scenario = scenarios[name]
if (!scenario) {
  console.error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}
const started = Date.now()
try {
  await scenario()
  console.log(`${name}: ok in ${((Date.now() - started) / 1000).toFixed(1)} s`)
} catch (e) {
  console.error(`${name}: ${e instanceof Failure ? e.message : e.stack}`)
  process.exit(1)
}
