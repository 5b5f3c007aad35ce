// A page's one action at a time: busy while it runs, and the API's errors when it fails
// (a message on top and one per field).
import { ref } from 'vue'
import { formErrors, noErrors } from './errors'

export function useAction() {
  const errors = ref(noErrors())
  const busy = ref(false)

  async function run(work: () => Promise<void>) {
    busy.value = true
    errors.value = noErrors()
    try {
      await work()
    } catch (e) {
      errors.value = formErrors(e)
    } finally {
      busy.value = false
    }
  }

  return { errors, busy, run }
}
