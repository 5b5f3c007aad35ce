// What an audit entry changed, field by field, in a line an owner can read.
export interface Change {
  field: string
  before: string
  after: string
}

const shown = (v: unknown) => {
  if (v === undefined || v === null) return '—'
  const text = typeof v === 'string' ? v : JSON.stringify(v)
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}

/** The top-level fields whose values differ between `before` and `after`. */
export function changes(before: unknown, after: unknown): Change[] {
  const b = (before ?? {}) as Record<string, unknown>
  const a = (after ?? {}) as Record<string, unknown>
  if (typeof b !== 'object' || typeof a !== 'object') return []
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()
  return fields
    .filter((f) => JSON.stringify(b[f]) !== JSON.stringify(a[f]))
    .map((field) => ({ field, before: shown(b[field]), after: shown(a[field]) }))
}
