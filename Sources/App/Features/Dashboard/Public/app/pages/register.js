import { h } from '../dom.js';
import { session } from '../api.js';
import { alertBox, field, input, form, submit, invalid } from './common.js';
import { currencyInput, badCurrency } from './accounts.js';

export default async function render(ctx) {
  const alert = alertBox(), [currency, codes] = currencyInput('base_currency', 'USD');
  const f = form('auth-form', 'Create an account', [
    field('Full name', input('full_name', 'text', { autocomplete: 'name', required: true, maxlength: 200 })),
    field('Email', input('email', 'email', { autocomplete: 'email', required: true, spellcheck: 'false' })),
    field('Password', input('password', 'password', { autocomplete: 'new-password', required: true, minlength: 10, maxlength: 128 }),
      { hint: '10 to 128 characters, not your email address.' }),
    field('Base currency', currency, { hint: 'Totals and net worth are shown in this currency.' }), codes,
    submit('Create account')],
  async (v) => {
    const pw = f.elements.password.value, cur = (v.base_currency || '').toUpperCase();
    invalid(Object.fromEntries([['full_name', !v.full_name && 'is required'], ['email', !/^[^\s@]+@[^\s@]+$/.test(v.email || '') && 'is not an email address'],
      ['password', pw.length < 10 || pw.length > 128 ? 'must be 10 to 128 characters' : pw.toLowerCase() === (v.email || '').toLowerCase() && 'must not be your email address'],
      ['base_currency', badCurrency(cur)]].filter((x) => x[1])));
    await session.register(v.email, pw, v.full_name, cur); // main.js moves on once signed in
  }, alert);
  ctx.root.append(h('div', { class: 'auth' }, h('div', { class: 'card' },
    h('h1', { text: 'Create an account' }), alert, f,
    h('p', { class: 'muted small' }, 'Already have an account? ', h('a', { attrs: { href: '/signin' } }, 'Sign in'), '.'))));
}
