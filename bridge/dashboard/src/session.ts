// Who is signed in, shared by every page.
import { reactive } from 'vue'
import { api, type SignedIn, type Tenant, type User } from './api/client'

export const session = reactive<{ user: User | null; tenant: Tenant | null; checked: boolean }>({
  user: null,
  tenant: null,
  checked: false,
})

export function remember(answer: SignedIn) {
  session.user = answer.user
  session.tenant = answer.tenant ?? null
  session.checked = true
}

export function forget() {
  session.user = null
  session.tenant = null
  session.checked = true
}

/** Asks the bridge once per page load whether this browser is signed in. */
export async function check(): Promise<void> {
  if (session.checked) return
  try {
    remember(await api.me())
  } catch {
    forget()
  }
}

export const isOwner = () => session.user?.role === 'owner' || session.user?.role === 'operator'
