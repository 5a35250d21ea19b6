// Settings: profile, exchange rates, password, sessions.
import { h } from '../dom.js';
import { api } from '../api.js';
import * as fmt from '../format.js';
import { select, input, decimal, field, alertBox, notice, showError, form, submit, button, card, thead, scroller, empty, onLive, invalid,
  CURRENCIES, td, muted, actions, busy, fill } from './common.js';

export default async function render(ctx) {
  const note = notice(), me = ctx.user;

  const pAlert = alertBox();
  const profile = form('st-profile', 'Profile', [h('p', {}, 'Email: ', h('strong', { text: me.email })),
    field('Full name', input('full_name', 'text', { autocomplete: 'name', maxlength: 200 }, me.full_name)),
    field('Base currency', select('base_currency', CURRENCIES, me.base_currency), { hint: 'Totals, net worth and analytics are shown in it.' }),
    submit('Save profile')],
  async (v) => {
    await api.patch('/api/v1/users/me', { full_name: v.full_name || '', base_currency: v.base_currency });
    await ctx.refreshUser(); // the shell takes the new base currency
    note.textContent = 'Profile saved.';
  }, pAlert);

  const rAlert = alertBox(), rBody = h('tbody'), rCap = h('caption', { class: 'muted' });
  const rTable = h('table', {}, rCap, thead(['Date', 'Rate']), rBody);
  const loadRates = () => busy(rTable, async () => {
    try {
      // The last year's rates (the API answers at most 10,000, oldest first): the newest 100 of them.
      const items = (await api.get('/api/v1/fx-rates', { from: fmt.addMonths(fmt.todayISO(), -12) })).items;
      rCap.textContent = items.length > 100 ? `The latest 100 of the last year's ${items.length.toLocaleString()}` : '';
      fill(rBody, ...(items.length ? items.slice(-100).reverse().map((r) => h('tr', {},
        td('', fmt.date(r.date)), td('', `1 ${r.base} = ${r.rate} ${r.quote}`))) : [empty(2, 'No exchange rates in the last year.')]));
    } catch (err) { showError(rAlert, err); }
  });
  const rateForm = form('st-rate', 'Add an exchange rate', [field('Date', input('date', 'date', {}, fmt.todayISO())),
    field('Base', select('base', CURRENCIES, me.base_currency === 'EUR' ? 'USD' : 'EUR')), field('Quote', select('quote', CURRENCIES, me.base_currency)),
    field('Rate', decimal('rate', { placeholder: '1.0842' }), { hint: 'How much of the quote currency one base buys.' }), submit('Save rate')],
  async (v, f) => {
    invalid(/^[0-9]{1,8}(\.[0-9]{1,10})?$/.test(v.rate || '') ? {} : { rate: 'must be a positive decimal such as 1.0842' });
    const r = await api.post('/api/v1/fx-rates', { rates: [{ date: v.date, base: v.base, quote: v.quote, rate: v.rate }] });
    note.textContent = `${r.saved} rate saved.`;
    f.elements.rate.value = '';
    await loadRates();
  }, rAlert);

  const wAlert = alertBox(), pw = (name, ac) => input(name, 'password', { autocomplete: ac, maxlength: 128 });
  const pwForm = form('st-pw', 'Change password', [field('Current password', pw('current_password', 'current-password')),
    field('New password', pw('new_password', 'new-password'), { hint: '10 to 128 characters.' }),
    field('Repeat the new password', pw('repeat', 'new-password')), submit('Change password')],
  async (v, f) => {
    invalid(Object.fromEntries([['current_password', !v.current_password && 'is required'],
      ['new_password', (v.new_password || '').length < 10 && 'must be at least 10 characters'],
      ['repeat', v.new_password !== v.repeat && 'does not match the new password']].filter((x) => x[1])));
    await api.post('/api/v1/users/me/password', { current_password: v.current_password, new_password: v.new_password });
    f.reset();
    note.textContent = 'Password changed. Every other session was signed out.';
  }, wAlert);

  const sAlert = alertBox();
  const signOut = () => ctx.signOut({ everywhere: true }).catch((err) => showError(sAlert, err));

  ctx.root.append(h('h1', { text: 'Settings' }), note, card('st-p', 'Profile', pAlert, profile),
    card('st-r', 'Exchange rates', rAlert, rateForm, scroller('Saved rates', rTable, 'st-wrap')),
    card('st-w', 'Password', wAlert, pwForm),
    card('st-s', 'Sessions', sAlert, muted('Ends every session of yours, on every device, this one included.'),
      actions(button('Sign out everywhere', signOut, {}, 'btn danger'))));
  onLive(ctx, ['rates.changed'], loadRates);
  onLive(ctx, ['profile.changed'], () => api.get('/api/v1/users/me').then((u) => {
    for (const k of ['full_name', 'base_currency']) profile.elements[k].value = u[k];
  }, () => {}));
  await loadRates();
}
