import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { h } from 'vue'
import Field from '../../src/components/Field.vue'

describe('a form field', () => {
  it('labels its input and ties its error to it', () => {
    const w = mount(Field, {
      props: { label: 'Email', error: 'an email address', hint: 'We never share it' },
      slots: { default: (p: { id: string; described?: string }) => h('input', { id: p.id, 'aria-describedby': p.described }) },
    })
    const input = w.get('input')
    const label = w.get('label')
    expect(label.attributes('for')).toBe(input.attributes('id'))
    const described = input.attributes('aria-describedby')!.split(' ')
    expect(described).toHaveLength(2)
    expect(w.get(`#${described[1]}`).text()).toBe('an email address')
    expect(w.get('[role=alert]').text()).toBe('an email address')
  })
  it('shows no error when there is none', () => {
    const w = mount(Field, { props: { label: 'Name' }, slots: { default: () => h('input') } })
    expect(w.find('[role=alert]').exists()).toBe(false)
  })
})
