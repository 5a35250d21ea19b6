import { h } from '../dom.js';
import { session } from '../api.js';
import { alertBox, field, input, form, submit, invalid } from './common.js';

export default async function render(ctx) {
  const alert = alertBox(), next = ctx.query.get('next');
  const f = form('auth-form', 'Sign in', [
    field('Email', input('email', 'email', { autocomplete: 'username', required: true, spellcheck: 'false' })),
    field('Password', input('password', 'password', { autocomplete: 'current-password', required: true })),
    submit('Sign in')],
  async (v) => {
    invalid(Object.fromEntries([['email', !v.email && 'is required'], ['password', !v.password && 'is required']].filter((x) => x[1])));
    await session.signIn(v.email, f.elements.password.value).catch((err) => { f.elements.password.select(); throw err; }); // main.js moves on
  }, alert);
  ctx.root.append(h('div', { class: 'auth' }, h('div', { class: 'card' },
    h('h1', { text: 'Sign in' }),
    ctx.query.get('reason') === 'expired' && h('p', { class: 'muted', text: 'Your session ended. Please sign in again.' }),
    alert, f,
    h('p', { class: 'muted small' }, 'New here? ', h('a', { attrs: { href: '/register' + (next ? '?next=' + encodeURIComponent(next) : '') } }, 'Create an account'), '.'))));
}
