// A settings page that edits part of the business record: load it, let the page change it,
// save it whole with PUT, and show the API's verdict (saved, or an error per field).
import { onMounted, ref } from 'vue'
import { api, type Tenant } from './api/client'
import { formErrors, noErrors } from './errors'
import { session } from './session'

export function useTenantForm(options: {
  loaded?: (t: Tenant) => void
  prepare?: (t: Tenant) => Tenant
} = {}) {
  const tenant = ref<Tenant | null>(null)
  const errors = ref(noErrors())
  const saved = ref(false)
  const busy = ref(false)

  onMounted(async () => {
    try {
      const t = await api.tenant(session.user!.tenant!)
      tenant.value = t
      options.loaded?.(t)
    } catch (e) {
      errors.value = formErrors(e)
    }
  })

  async function save() {
    if (!tenant.value) return
    busy.value = true
    saved.value = false
    errors.value = noErrors()
    try {
      const next = options.prepare ? options.prepare(JSON.parse(JSON.stringify(tenant.value)) as Tenant) : tenant.value
      tenant.value = await api.saveTenant(next)
      session.tenant = tenant.value
      options.loaded?.(tenant.value)
      saved.value = true
    } catch (e) {
      errors.value = formErrors(e)
    } finally {
      busy.value = false
    }
  }

  return { tenant, errors, saved, busy, save }
}
