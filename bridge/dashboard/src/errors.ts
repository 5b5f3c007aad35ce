// Turns an API failure into what a form shows: a message on top and one per field.
import { ApiError } from './api/client'
import { t } from './i18n'

export interface FormErrors {
  message: string
  fields: Record<string, string>
}

export function formErrors(e: unknown): FormErrors {
  if (e instanceof ApiError) {
    if (e.code === 'network') return { message: t('error.network'), fields: {} }
    if (e.code === 'invalid') return { message: t('common.fix'), fields: e.fields }
    return { message: e.message || `HTTP ${e.status}`, fields: {} }
  }
  return { message: String(e), fields: {} }
}

export const noErrors = (): FormErrors => ({ message: '', fields: {} })
