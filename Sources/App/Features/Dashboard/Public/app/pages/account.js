import { h } from '../dom.js';
import { api } from '../api.js';
import { money, date, dateTime, label, dec } from '../format.js';
import { historyCard } from './overview.js';
import { LIABILITY_TYPES } from './accounts.js';
import { alertBox, failed, thead, num, debounce, LIVE_TYPES, fill, loading, card, stat, link, busy, field, input, decimal, check, form, submit,
  invalid, button, showError, AMOUNT_RE, BAD_AMOUNT, emptyNote } from './common.js';

export default async function render(ctx) {
  const id = ctx.params.id;
  const path = `/api/v1/accounts/${encodeURIComponent(id)}`;
  let account = null, seq = 0;
  const live = () => !ctx.signal.aborted;

  const head = h('div', { class: 'page-head' }, h('h1', { text: 'Account' }));
  const summary = h('div', {}, loading());
  const chart = historyCard(ctx, { id: 'bh-h', title: 'Balance history', extra: { account_id: id }, pick: (p) => p.balance,
    name: () => account?.name || 'Balance', currency: (hist) => hist.account_currency || account?.currency || hist.base_currency });
  const txBody = h('div', {}, loading());
  const editBox = h('div', { class: 'stack' });
  const body = h('div', { class: 'stack', hidden: true },
    chart.el,
    h('section', { class: 'card', attrs: { 'aria-labelledby': 'tx-h' } },
      h('div', { class: 'card-head' }, h('h2', { id: 'tx-h', text: 'Recent transactions' }), link(`/transactions?account_id=${encodeURIComponent(id)}`, 'All transactions')),
      txBody),
    editBox);
  ctx.root.append(head, summary, body);

  function load() {
    const my = ++seq;
    return busy(summary, () => fetchAccount(my), () => my === seq);
  }
  async function fetchAccount(my) {
    let a;
    try {
      a = await api.get(path);
    } catch (err) {
      if (my !== seq || !live()) return;
      if (err.status !== 404 && err.status !== 400) return fill(summary, failed('The account', err));
      ctx.setTitle('Account not found');
      fill(head, h('h1', { text: 'Account not found' }));
      fill(summary, h('p', {}, 'This account does not exist, or it was deleted. ', link('/accounts', 'Back to accounts'), '.'));
      body.hidden = true;
      return;
    }
    if (my !== seq || !live()) return;
    account = a;
    ctx.setTitle(a.name);
    fill(head, h('div', {}, h('h1', { text: a.name }),
      h('p', { class: 'muted small' }, [label(a.type), a.subtype && a.subtype !== a.type && label(a.subtype), a.institution_name, a.mask && `••${a.mask}`].filter(Boolean).join(' · '), ' ',
        [a.is_closed && 'Closed', a.is_hidden && 'Hidden', a.is_manual ? 'Manual' : 'Linked'].filter(Boolean).map((b) => h('span', { class: 'badge', text: b })))),
    link('/accounts', 'All accounts'));
    fill(summary, h('div', { class: 'hero' },
      h('div', { class: 'card' }, stat(a.is_liability ? 'Owed' : 'Balance', money(a.current_balance, a.currency), true, 'account-balance')),
      a.available_balance != null && h('div', { class: 'card' }, stat('Available', money(a.available_balance, a.currency))),
      a.credit_limit != null && h('div', { class: 'card' }, stat('Credit limit', money(a.credit_limit, a.currency)))),
    a.balance_updated_at && h('p', { class: 'muted small', text: `Updated ${dateTime(a.balance_updated_at)}` }));
    body.hidden = false;
    if (!editBox.firstChild) renderEdit();
    await Promise.all([loadTransactions(), chart.load()]);
  }

  const loadTransactions = () => busy(txBody, async () => {
    try {
      const { items } = await api.get('/api/v1/transactions', { account_id: id, limit: 10, totals: 'never' });
      if (!live()) return;
      fill(txBody, items.length ? h('div', { class: 'table-wrap' }, h('table', {},
        thead(['Date', 'Description', { text: 'Category', cls: 'wide-only' }, num('Amount')]),
        h('tbody', {}, items.map((t) => h('tr', {},
          h('td', { class: 'small nowrap', text: date(t.date) }),
          h('th', { attrs: { scope: 'row' } }, t.merchant_name || t.description, t.pending && [' ', h('span', { class: 'badge', text: 'Pending' })]),
          h('td', { class: 'small muted wide-only', text: label(t.category) }),
          h('td', { class: 'num' + (t.amount.startsWith('-') ? '' : ' pos'), text: money(t.amount, t.currency) }))))))
        : emptyNote('No transactions yet.'));
    } catch (err) {
      if (live()) fill(txBody, failed('Transactions', err));
    }
  });

  const save = async (patch) => {
    account = await api.patch(path, patch);
    if (live()) load();
  };

  function renderEdit() {
    const a = account, alert = alertBox(), status = h('p', { class: 'small', attrs: { role: 'status' } });
    const amounts = ['opening_balance', 'credit_limit'];
    const edit = form('acc-edit', 'Edit account', [
      field('Name', input('name', 'text', { required: true, maxlength: 200, autocomplete: 'off' }, a.name)),
      field('Institution', input('institution_name', 'text', { maxlength: 200, autocomplete: 'off' }, a.institution_name)),
      field('Last 4 digits', input('mask', 'text', { maxlength: 4, inputmode: 'numeric', autocomplete: 'off' }, a.mask)),
      a.is_manual && field('Opening balance', decimal('opening_balance', {}, a.opening_balance)),
      LIABILITY_TYPES.has(a.type) && field('Credit limit', decimal('credit_limit', {}, a.credit_limit)),
      check('is_hidden', 'Hide from totals and lists', a.is_hidden),
      submit('Save changes', status)],
    async (v, f) => {
      status.textContent = '';
      const patch = {}, bad = {};
      for (const k of ['name', 'institution_name', 'mask', ...amounts]) {
        if (!f.elements[k]) continue;
        const amount = amounts.includes(k), val = amount ? (v[k] || '').replace(/,/g, '') : v[k] || '';
        if (amount && AMOUNT_RE.test(val) && account[k] != null ? !dec.cmp(val, account[k]) : val === (account[k] || '')) continue;
        if (!val) bad[k] = k === 'name' ? 'is required' : 'cannot be emptied once set';
        else if (amount && !AMOUNT_RE.test(val)) bad[k] = BAD_AMOUNT;
        patch[k] = val;
      }
      invalid(bad);
      if (v.is_hidden !== account.is_hidden) patch.is_hidden = v.is_hidden;
      if (!Object.keys(patch).length) { status.textContent = 'Nothing to save.'; return; }
      await save(patch);
      status.textContent = 'Saved.';
    }, alert);

    // Close (kept, left out of totals) or reopen; delete after an in-page confirmation.
    const manageAlert = alertBox();
    const closeText = () => (account.is_closed ? 'Reopen account' : 'Close account');
    const closeBtn = button(closeText(), async () => {
      try { await save({ is_closed: !account.is_closed }); closeBtn.textContent = closeText(); } catch (err) { showError(manageAlert, err); }
    }, {}, 'btn');
    const delBtn = button('Delete account…', () => {
      confirmBox.hidden = false; delBtn.setAttribute('aria-expanded', 'true'); confirmBox.querySelector('button').focus();
    }, { 'aria-expanded': 'false' }, 'btn danger');
    const confirmBox = h('div', { class: 'note', hidden: true, attrs: { role: 'group', 'aria-labelledby': 'del-q' } },
      h('p', { id: 'del-q', text: `Delete “${a.name}” with all its transactions and balance history? This cannot be undone.` }),
      h('div', { class: 'row' },
        button('Delete permanently', async () => {
          try {
            await api.del(path);
            if (live()) ctx.navigate('/accounts');
          } catch (err) { showError(manageAlert, err); }
        }, {}, 'btn danger solid'),
        button('Cancel', () => { confirmBox.hidden = true; delBtn.setAttribute('aria-expanded', 'false'); delBtn.focus(); }, {}, 'btn')));

    fill(editBox, card('edit-h', 'Edit account', alert, edit),
      card('manage-h', 'Close or delete',
        h('p', { class: 'muted small', text: 'A closed account keeps its history but is left out of totals. Deleting removes it and everything in it.' }),
        manageAlert, h('div', { class: 'row' }, closeBtn, delBtn), confirmBox));
  }

  const reload = debounce(load, 300);
  ctx.onCleanup(ctx.live.on(LIVE_TYPES, (ev) => {
    const ids = ev.data?.accounts;
    if (!Array.isArray(ids) || ids.some((x) => String(x).toLowerCase() === id.toLowerCase())) reload();
  }));
  ctx.onCleanup(reload.cancel);
  await load();
}
