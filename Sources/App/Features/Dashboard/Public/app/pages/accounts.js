import { h } from '../dom.js';
import { api } from '../api.js';
import { money, dec, label } from '../format.js';
import { alertBox, failed, thead, num, fill, loading, link, busy, onLive, field, input, decimal, select, form, submit, invalid, options,
  AMOUNT_RE, BAD_AMOUNT, CURRENCIES, emptyNote, groupRow, accountCell } from './common.js';

const ACCOUNT_TYPES = ['checking', 'savings', 'money_market', 'certificate_of_deposit', 'cash', 'credit_card', 'line_of_credit',
  'loan', 'mortgage', 'investment', 'retirement', 'crypto', 'property', 'other'];
export const LIABILITY_TYPES = new Set(['credit_card', 'line_of_credit', 'loan', 'mortgage']);
// A currency code typed with suggestions; checked as three letters.
export const currencyInput = (name, value) => [input(name, 'text', { autocomplete: 'off', maxlength: 3, list: 'currency-codes', required: true }, value),
  h('datalist', { id: 'currency-codes' }, options(CURRENCIES))];
export const badCurrency = (v) => (/^[A-Z]{3}$/.test(v || '') ? null : 'must be a three-letter code such as USD');

export default async function render(ctx) {
  const base = ctx.user?.base_currency || 'USD';
  const listBox = h('div', {}, loading()), status = h('p', { attrs: { role: 'status' }, class: 'small' });
  let seq = 0;

  const [currency, codes] = currencyInput('currency', base);
  const formAlert = alertBox();
  const add = form('acc-new', 'Add a manual account', [
    field('Name', input('name', 'text', { required: true, maxlength: 200, autocomplete: 'off' })),
    field('Type', select('type', ACCOUNT_TYPES.map((t) => [t, label(t) + (LIABILITY_TYPES.has(t) ? ' (owed)' : '')]))),
    field('Currency', currency), codes,
    field('Opening balance', decimal('opening_balance', { placeholder: '0.00' }), { hint: 'For a card or loan, the amount owed.' }),
    field('Institution (optional)', input('institution_name', 'text', { maxlength: 200, autocomplete: 'off' })),
    submit('Add account', status)],
  async (v, f) => {
    v.currency = (v.currency || '').toUpperCase();
    if (v.opening_balance) v.opening_balance = v.opening_balance.replace(/,/g, '');
    invalid(Object.fromEntries([['name', !v.name && 'is required'], ['currency', badCurrency(v.currency)],
      ['opening_balance', v.opening_balance && !AMOUNT_RE.test(v.opening_balance) && BAD_AMOUNT]].filter((x) => x[1])));
    const acc = await api.post('/api/v1/accounts', v);
    if (ctx.signal.aborted) return;
    f.reset();
    currency.value = base;
    fill(status, `Added “${acc.name}”. `, link(`/accounts/${acc.id}`, 'Open it'), '.');
    load();
  }, formAlert);
  add.addEventListener('submit', () => { status.textContent = ''; });

  ctx.root.append(
    h('div', { class: 'page-head' }, h('h1', { text: 'Accounts' }), h('a', { class: 'btn', attrs: { href: '#add-h' }, text: 'Add a manual account' })),
    h('section', { class: 'card', attrs: { 'aria-label': 'Your accounts' } }, listBox),
    h('section', { class: 'card', attrs: { 'aria-labelledby': 'add-h' } },
      h('h2', { id: 'add-h', attrs: { tabindex: '-1' }, text: 'Add a manual account' }),
      h('p', { class: 'muted small', text: 'A manual account is kept by hand: its balance follows the transactions you record or import. To link a bank, go to Banks.' }),
      formAlert, add));

  function load() {
    const my = ++seq;
    return busy(listBox, async () => {
      try {
        const { items } = await api.get('/api/v1/accounts', { include_hidden: true, include_closed: true });
        if (my === seq && !ctx.signal.aborted) fill(listBox, renderList(items));
      } catch (err) {
        if (my === seq && !ctx.signal.aborted) fill(listBox, failed('Accounts', err));
      }
    }, () => my === seq);
  }

  function renderList(items) {
    if (!items.length) return emptyNote('No accounts yet. Add one below, or link a bank on the Banks page.');
    const open = items.filter((a) => !a.is_closed), closed = items.filter((a) => a.is_closed);
    const groups = ACCOUNT_TYPES.map((t) => [label(t), open.filter((a) => a.type === t), LIABILITY_TYPES.has(t)]).filter((g) => g[1].length);
    if (closed.length) groups.push(['Closed', closed, false, true]);
    const tbody = h('tbody');
    for (const [name, rows, owed, isClosed] of groups) {
      const curs = new Set(rows.map((a) => a.currency));
      tbody.append(groupRow(name, owed, !isClosed && curs.size === 1 ? money(dec.sum(rows.map((a) => a.current_balance)), rows[0].currency) : ''),
      ...rows.map((a) => h('tr', {},
        accountCell(a, a.is_hidden && [' ', h('span', { class: 'badge', text: 'Hidden' })],
          h('br'), h('span', { class: 'muted small', text: [a.institution_name, a.mask && `••${a.mask}`, a.is_manual ? 'Manual' : 'Linked'].filter(Boolean).join(' · ') })),
        h('td', { class: 'num', text: money(a.current_balance, a.currency) }))));
    }
    return h('div', { class: 'table-wrap' }, h('table', {}, thead(['Account', num('Balance')]), tbody));
  }

  onLive(ctx, ['accounts.changed', 'balances.changed', 'transactions.changed', 'sync.completed', 'import.completed'], load, 300);
  await load();
}
