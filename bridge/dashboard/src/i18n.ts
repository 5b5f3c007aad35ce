// The dashboard's words in English, Spanish and Portuguese, and dates and money in the
// business's locale and time zone.
import { ref } from 'vue'

export type Locale = 'en' | 'es' | 'pt'
export const LOCALES: Locale[] = ['en', 'es', 'pt']
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', es: 'Español', pt: 'Português' }

const en = {
  'app.name': 'Slotline',
  'nav.home': 'Overview',
  'nav.profile': 'Business profile',
  'nav.services': 'Services',
  'nav.users': 'Users and roles',
  'nav.keys': 'API keys',
  'nav.security': 'Sign-in and sessions',
  'nav.menu': 'Menu',
  'nav.signout': 'Sign out',
  'nav.language': 'Language',
  'login.title': 'Sign in to Slotline',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.new': 'New here? Sign your business up',
  'signup.title': 'Put your business on WhatsApp',
  'signup.lead': 'Customers book, move and cancel in WhatsApp. Start in a few minutes.',
  'signup.business': 'Business name',
  'signup.name': 'Your name',
  'signup.zone': 'Time zone',
  'signup.language': "Your customers' language",
  'signup.phone': 'Your WhatsApp number (for password resets)',
  'signup.phone_hint': 'International form, such as +34600111222. Optional.',
  'signup.password_hint': 'At least 10 characters.',
  'signup.submit': 'Create my business',
  'signup.have': 'Already have an account? Sign in',
  'home.title': 'Welcome, {name}',
  'home.lead': 'Set up {business} step by step. Each step saves on its own.',
  'home.step.profile': 'Business profile: name, address, time zone, languages',
  'home.step.services': 'Services: what customers can book',
  'home.step.users': 'Users: invite your staff',
  'home.staff': 'You are signed in as staff of {business}. Settings are managed by an owner.',
  'profile.title': 'Business profile',
  'profile.name': 'Business name',
  'profile.zone': 'Time zone',
  'profile.languages': 'Languages customers are answered in',
  'profile.address': 'Street address',
  'profile.maps': 'Map link (https)',
  'profile.logo': 'Logo link (https)',
  'profile.greeting': 'Greeting',
  'profile.legal': 'Legal name (printed on receipts)',
  'profile.legal_address': 'Legal address',
  'profile.tax_id': 'Tax id',
  'common.save': 'Save',
  'common.saved': 'Saved.',
  'common.cancel': 'Cancel',
  'common.add': 'Add',
  'common.edit': 'Edit',
  'common.delete': 'Delete',
  'common.loading': 'Loading…',
  'common.fix': 'Please correct the fields marked below.',
  'common.optional': 'optional',
  'services.title': 'Services',
  'services.empty': 'No services yet. Add the first one.',
  'services.name': 'Name',
  'services.description': 'Description',
  'services.duration': 'Duration (minutes)',
  'services.price': 'Price',
  'services.deposit': 'Deposit',
  'services.buffer_after': 'Break after (minutes)',
  'services.add': 'Add a service',
  'services.edit': 'Edit {name}',
  'services.minutes': '{n} min',
  'users.title': 'Users and roles',
  'users.add': 'Add a user',
  'users.role': 'Role',
  'users.owner': 'Owner',
  'users.staff': 'Staff',
  'users.first_password': 'First password',
  'keys.title': 'API keys',
  'keys.lead': 'Programs reach the admin API with this business\'s key. A new key stops the old one at once.',
  'keys.rotate': 'Make a new key',
  'keys.shown_once': 'Copy it now: it is shown only once.',
  'security.title': 'Sign-in and sessions',
  'security.lead': 'Browsers signed in to your account. Sign out any you do not recognise.',
  'security.current': 'this browser',
  'security.end': 'Sign out',
  'security.since': 'Since {when}, last used {last}',
  'forbidden.title': 'Only owners can open this page',
  'forbidden.lead': 'Ask an owner of {business} to change it.',
  'notfound.title': 'Page not found',
  'error.network': 'The server did not answer. Check your connection and try again.',
  'error.session': 'Your session has ended. Sign in again.',
} as const

export type Key = keyof typeof en
type Messages = Record<Key, string>

const es: Messages = {
  'app.name': 'Slotline',
  'nav.home': 'Resumen',
  'nav.profile': 'Perfil del negocio',
  'nav.services': 'Servicios',
  'nav.users': 'Usuarios y roles',
  'nav.keys': 'Claves de API',
  'nav.security': 'Acceso y sesiones',
  'nav.menu': 'Menú',
  'nav.signout': 'Cerrar sesión',
  'nav.language': 'Idioma',
  'login.title': 'Entra en Slotline',
  'login.email': 'Correo electrónico',
  'login.password': 'Contraseña',
  'login.submit': 'Entrar',
  'login.new': '¿Eres nuevo? Da de alta tu negocio',
  'signup.title': 'Lleva tu negocio a WhatsApp',
  'signup.lead': 'Tus clientes reservan, cambian y cancelan en WhatsApp. Empieza en unos minutos.',
  'signup.business': 'Nombre del negocio',
  'signup.name': 'Tu nombre',
  'signup.zone': 'Zona horaria',
  'signup.language': 'Idioma de tus clientes',
  'signup.phone': 'Tu número de WhatsApp (para recuperar la contraseña)',
  'signup.phone_hint': 'En formato internacional, como +34600111222. Opcional.',
  'signup.password_hint': 'Al menos 10 caracteres.',
  'signup.submit': 'Crear mi negocio',
  'signup.have': '¿Ya tienes cuenta? Entra',
  'home.title': 'Hola, {name}',
  'home.lead': 'Configura {business} paso a paso. Cada paso se guarda por separado.',
  'home.step.profile': 'Perfil: nombre, dirección, zona horaria, idiomas',
  'home.step.services': 'Servicios: lo que tus clientes pueden reservar',
  'home.step.users': 'Usuarios: invita a tu equipo',
  'home.staff': 'Has entrado como miembro del equipo de {business}. La configuración la gestiona un propietario.',
  'profile.title': 'Perfil del negocio',
  'profile.name': 'Nombre del negocio',
  'profile.zone': 'Zona horaria',
  'profile.languages': 'Idiomas en que se responde a los clientes',
  'profile.address': 'Dirección',
  'profile.maps': 'Enlace al mapa (https)',
  'profile.logo': 'Enlace al logotipo (https)',
  'profile.greeting': 'Saludo',
  'profile.legal': 'Razón social (en los recibos)',
  'profile.legal_address': 'Domicilio fiscal',
  'profile.tax_id': 'NIF',
  'common.save': 'Guardar',
  'common.saved': 'Guardado.',
  'common.cancel': 'Cancelar',
  'common.add': 'Añadir',
  'common.edit': 'Editar',
  'common.delete': 'Borrar',
  'common.loading': 'Cargando…',
  'common.fix': 'Corrige los campos señalados.',
  'common.optional': 'opcional',
  'services.title': 'Servicios',
  'services.empty': 'Aún no hay servicios. Añade el primero.',
  'services.name': 'Nombre',
  'services.description': 'Descripción',
  'services.duration': 'Duración (minutos)',
  'services.price': 'Precio',
  'services.deposit': 'Señal',
  'services.buffer_after': 'Pausa después (minutos)',
  'services.add': 'Añadir un servicio',
  'services.edit': 'Editar {name}',
  'services.minutes': '{n} min',
  'users.title': 'Usuarios y roles',
  'users.add': 'Añadir un usuario',
  'users.role': 'Rol',
  'users.owner': 'Propietario',
  'users.staff': 'Equipo',
  'users.first_password': 'Primera contraseña',
  'keys.title': 'Claves de API',
  'keys.lead': 'Los programas usan la clave de este negocio. Una clave nueva anula la anterior al instante.',
  'keys.rotate': 'Crear una clave nueva',
  'keys.shown_once': 'Cópiala ahora: solo se muestra una vez.',
  'security.title': 'Acceso y sesiones',
  'security.lead': 'Navegadores con tu sesión abierta. Cierra los que no reconozcas.',
  'security.current': 'este navegador',
  'security.end': 'Cerrar',
  'security.since': 'Desde {when}, último uso {last}',
  'forbidden.title': 'Solo los propietarios pueden abrir esta página',
  'forbidden.lead': 'Pide a un propietario de {business} que lo cambie.',
  'notfound.title': 'Página no encontrada',
  'error.network': 'El servidor no responde. Revisa tu conexión y vuelve a intentarlo.',
  'error.session': 'Tu sesión ha terminado. Vuelve a entrar.',
}

const pt: Messages = {
  'app.name': 'Slotline',
  'nav.home': 'Resumo',
  'nav.profile': 'Perfil do negócio',
  'nav.services': 'Serviços',
  'nav.users': 'Utilizadores e funções',
  'nav.keys': 'Chaves de API',
  'nav.security': 'Acesso e sessões',
  'nav.menu': 'Menu',
  'nav.signout': 'Sair',
  'nav.language': 'Idioma',
  'login.title': 'Entrar no Slotline',
  'login.email': 'Email',
  'login.password': 'Palavra-passe',
  'login.submit': 'Entrar',
  'login.new': 'É novo? Registe o seu negócio',
  'signup.title': 'Leve o seu negócio para o WhatsApp',
  'signup.lead': 'Os clientes marcam, remarcam e cancelam no WhatsApp. Comece em poucos minutos.',
  'signup.business': 'Nome do negócio',
  'signup.name': 'O seu nome',
  'signup.zone': 'Fuso horário',
  'signup.language': 'Idioma dos seus clientes',
  'signup.phone': 'O seu número de WhatsApp (para recuperar a palavra-passe)',
  'signup.phone_hint': 'Em formato internacional, como +351912345678. Opcional.',
  'signup.password_hint': 'Pelo menos 10 caracteres.',
  'signup.submit': 'Criar o meu negócio',
  'signup.have': 'Já tem conta? Entre',
  'home.title': 'Olá, {name}',
  'home.lead': 'Configure {business} passo a passo. Cada passo é guardado por si.',
  'home.step.profile': 'Perfil: nome, morada, fuso horário, idiomas',
  'home.step.services': 'Serviços: o que os clientes podem marcar',
  'home.step.users': 'Utilizadores: convide a sua equipa',
  'home.staff': 'Entrou como membro da equipa de {business}. As definições são geridas por um proprietário.',
  'profile.title': 'Perfil do negócio',
  'profile.name': 'Nome do negócio',
  'profile.zone': 'Fuso horário',
  'profile.languages': 'Idiomas em que os clientes são atendidos',
  'profile.address': 'Morada',
  'profile.maps': 'Link do mapa (https)',
  'profile.logo': 'Link do logótipo (https)',
  'profile.greeting': 'Saudação',
  'profile.legal': 'Denominação legal (nos recibos)',
  'profile.legal_address': 'Morada fiscal',
  'profile.tax_id': 'NIF',
  'common.save': 'Guardar',
  'common.saved': 'Guardado.',
  'common.cancel': 'Cancelar',
  'common.add': 'Adicionar',
  'common.edit': 'Editar',
  'common.delete': 'Apagar',
  'common.loading': 'A carregar…',
  'common.fix': 'Corrija os campos assinalados.',
  'common.optional': 'opcional',
  'services.title': 'Serviços',
  'services.empty': 'Ainda não há serviços. Adicione o primeiro.',
  'services.name': 'Nome',
  'services.description': 'Descrição',
  'services.duration': 'Duração (minutos)',
  'services.price': 'Preço',
  'services.deposit': 'Sinal',
  'services.buffer_after': 'Pausa depois (minutos)',
  'services.add': 'Adicionar um serviço',
  'services.edit': 'Editar {name}',
  'services.minutes': '{n} min',
  'users.title': 'Utilizadores e funções',
  'users.add': 'Adicionar um utilizador',
  'users.role': 'Função',
  'users.owner': 'Proprietário',
  'users.staff': 'Equipa',
  'users.first_password': 'Primeira palavra-passe',
  'keys.title': 'Chaves de API',
  'keys.lead': 'Os programas usam a chave deste negócio. Uma chave nova anula a anterior de imediato.',
  'keys.rotate': 'Criar uma chave nova',
  'keys.shown_once': 'Copie-a agora: só é mostrada uma vez.',
  'security.title': 'Acesso e sessões',
  'security.lead': 'Navegadores com sessão aberta na sua conta. Termine as que não reconhece.',
  'security.current': 'este navegador',
  'security.end': 'Terminar',
  'security.since': 'Desde {when}, último uso {last}',
  'forbidden.title': 'Só os proprietários podem abrir esta página',
  'forbidden.lead': 'Peça a um proprietário de {business} que o altere.',
  'notfound.title': 'Página não encontrada',
  'error.network': 'O servidor não respondeu. Verifique a ligação e tente de novo.',
  'error.session': 'A sua sessão terminou. Entre de novo.',
}

const MESSAGES: Record<Locale, Messages> = { en, es, pt }

/** The dashboard's language, from the last choice or the browser's. */
export const locale = ref<Locale>(initialLocale())

function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem('slotline.locale')
  if (saved && (LOCALES as string[]).includes(saved)) return saved as Locale
  return pickLocale(globalThis.navigator?.languages ?? [])
}

/** The first of the browser's languages the dashboard speaks; English otherwise. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0]
    if (base && (LOCALES as string[]).includes(base)) return base as Locale
  }
  return 'en'
}

export function setLocale(next: Locale) {
  locale.value = next
  globalThis.localStorage?.setItem('slotline.locale', next)
  document.documentElement.lang = next
}

/** The text for `key` in the current language, `{name}` placeholders filled. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = MESSAGES[locale.value][key] ?? en[key]
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`))
}

/** The BCP 47 locale dates and money are written in: the business's country where the
 * language has several (pt-BR for a São Paulo business). */
export function formatLocale(lang: Locale, zone?: string): string {
  if (lang === 'pt' && zone?.startsWith('America/')) return 'pt-BR'
  if (lang === 'es' && zone?.startsWith('America/')) return 'es-MX'
  return { en: 'en-GB', es: 'es-ES', pt: 'pt-PT' }[lang]
}

/** An amount in minor units (cents) as the business's customers read it. */
export function money(minor: number, currency: string, lang: Locale, zone?: string): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits ?? 2
  return new Intl.NumberFormat(formatLocale(lang, zone), { style: 'currency', currency }).format(
    minor / 10 ** digits,
  )
}

/** Minor units from what an owner typed ("22,50" or "22.50"); null if it is not an amount. */
export function parseMoney(text: string, currency: string): number | null {
  const clean = text.trim().replace(/\s/g, '')
  if (!/^\d+([.,]\d{1,2})?$/.test(clean)) return null
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits ?? 2
  const [whole, fraction = ''] = clean.replace(',', '.').split('.')
  if (fraction.length > digits) return null
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0')
}

/** A moment on the business's clock. */
export function dateTime(iso: string, lang: Locale, zone: string): string {
  return new Intl.DateTimeFormat(formatLocale(lang, zone), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: zone,
  }).format(new Date(iso))
}
