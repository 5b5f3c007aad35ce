// Time zones to pick from: the browser's own list, the browser's zone first.
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

export function zones(): string[] {
  const all: string[] =
    typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC']
  const own = browserZone()
  return [own, ...all.filter((z) => z !== own)]
}
