// The dashboard's pages. Signed-out visitors reach only sign-in and sign-up; settings are
// for owners (staff see why not, and the API refuses them anyway).
import { createRouter, createWebHistory } from 'vue-router'
import { check, isOwner, session } from './session'

export const router = createRouter({
  history: createWebHistory('/app/'),
  routes: [
    { path: '/login', component: () => import('./pages/Login.vue'), meta: { public: true } },
    { path: '/signup', component: () => import('./pages/SignUp.vue'), meta: { public: true } },
    { path: '/join/:token', component: () => import('./pages/Join.vue'), meta: { public: true } },
    { path: '/reset', component: () => import('./pages/Reset.vue'), meta: { public: true } },
    { path: '/', component: () => import('./pages/Home.vue') },
    { path: '/setup', component: () => import('./pages/Setup.vue'), meta: { owner: true } },
    { path: '/settings/profile', component: () => import('./pages/Profile.vue'), meta: { owner: true } },
    { path: '/settings/services', component: () => import('./pages/Services.vue'), meta: { owner: true } },
    { path: '/settings/whatsapp', component: () => import('./pages/WhatsApp.vue'), meta: { owner: true } },
    { path: '/settings/staff', component: () => import('./pages/Staff.vue'), meta: { owner: true } },
    { path: '/settings/policy', component: () => import('./pages/Policy.vue'), meta: { owner: true } },
    { path: '/settings/reminders', component: () => import('./pages/Reminders.vue'), meta: { owner: true } },
    { path: '/settings/payments', component: () => import('./pages/Payments.vue'), meta: { owner: true } },
    { path: '/settings/templates', component: () => import('./pages/Templates.vue'), meta: { owner: true } },
    { path: '/settings/users', component: () => import('./pages/Users.vue'), meta: { owner: true } },
    { path: '/settings/audit', component: () => import('./pages/Audit.vue'), meta: { owner: true } },
    { path: '/settings/keys', component: () => import('./pages/Keys.vue'), meta: { owner: true } },
    { path: '/try', component: () => import('./pages/TryIt.vue') },
    { path: '/account/security', component: () => import('./pages/Security.vue') },
    { path: '/forbidden', component: () => import('./pages/Forbidden.vue') },
    { path: '/:rest(.*)*', component: () => import('./pages/NotFound.vue'), meta: { public: true } },
  ],
})

router.beforeEach(async (to) => {
  await check()
  if (!to.meta.public && !session.user) return { path: '/login', query: { next: to.fullPath } }
  if ((to.path === '/login' || to.path === '/signup' || to.path === '/reset') && session.user) return '/'
  if (to.meta.owner && !isOwner()) return '/forbidden'
  return true
})
