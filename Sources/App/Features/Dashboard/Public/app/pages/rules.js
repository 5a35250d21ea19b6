// Rules: list, create, delete, apply to the ledger.
import { h } from '../dom.js';
import { api } from '../api.js';
import * as fmt from '../format.js';
import { catOptions, select, input, decimal, field, alertBox, notice, loading, showError, clearErrors, form, submit, button, card, thead, num,
  scroller, empty, onLive, invalid, accountsMap, busy, options, fill, AMOUNT_RE, BAD_AMOUNT, td, muted } from './common.js';

const KINDS = [['contains', 'contains'], ['equals', 'equals'], ['starts_with', 'starts with']];

export default async function render(ctx) {
  const root = ctx.root, alert = alertBox(), note = notice(), tbody = h('tbody', {}, h('tr', {}, h('td', { attrs: { colspan: 4 } }, loading())));
  const table = h('table', { class: 'rl-table' }, thead([num('Priority'), 'Conditions', 'Category', num('Actions')]), tbody);
  let accs = new Map(), rules = [];

  function conditions(r) {
    const cur = accs.get(r.account_id)?.currency || ctx.user?.base_currency || 'USD', m = (a) => fmt.money(a, cur), p = [];
    if (r.match_field) p.push(`${fmt.label(r.match_field)} ${fmt.label(r.match_kind).toLowerCase()} “${r.match_value}”`);
    if (r.min_amount != null || r.max_amount != null) p.push(['amount', r.min_amount != null && 'from ' + m(r.min_amount), r.max_amount != null && 'up to ' + m(r.max_amount)].filter(Boolean).join(' '));
    if (r.account_id) p.push(`account is ${accs.get(r.account_id)?.name || 'a removed account'}`);
    return p.join(' and ') || 'Every transaction';
  }
  const draw = () => fill(tbody, ...(rules.length ? rules.map((r) => h('tr', {},
    td('num', r.priority), td('', conditions(r)),
    h('td', {}, fmt.label(r.category), r.detailed_category && h('small', { text: r.detailed_category })),
    h('td', {}, button('Delete', async () => {
      try {
        await api.del('/api/v1/rules/' + r.id);
        note.textContent = 'Rule deleted.';
        await load();
        applyBtn.focus();
      } catch (err) { showError(alert, err); }
    }, { 'aria-label': `Delete the rule: ${conditions(r)} → ${fmt.label(r.category)}` }, 'btn danger small')))) : [empty(4, 'No rules yet.')]));
  const acct = select('account_id', [['', 'Any account']]);
  const load = () => busy(table, async () => {
    try {
      [rules, accs] = await Promise.all([api.get('/api/v1/rules').then((r) => r.items), accountsMap()]);
      draw();
      const keep = acct.value;
      fill(acct, options([['', 'Any account'], ...[...accs.values()].map((a) => [a.id, a.name])]));
      acct.value = keep;
    } catch (err) { showError(alert, err); }
  });

  const applyBtn = button('Apply rules now', async () => {
    clearErrors(null, alert);
    note.textContent = 'Applying the rules…';
    try {
      const r = await api.post('/api/v1/rules/apply');
      note.textContent = `Rules applied: ${r.examined.toLocaleString()} transactions examined, ${r.changed.toLocaleString()} changed category.`;
    } catch (err) { note.textContent = ''; showError(alert, err); }
  });

  const fAlert = alertBox();
  const ruleForm = form('rl-form', 'New rule', [
    h('fieldset', {}, h('legend', { text: 'Text' }),
      field('Field', select('match_field', [['', 'No text condition'], ['description', 'Description'], ['merchant', 'Merchant']])),
      field('Match', select('match_kind', KINDS)), field('Text', input('match_value', 'text', { maxlength: 200 }))),
    field('Min amount', decimal('min_amount', { placeholder: '-100.00' }), { hint: 'Signed: money out is negative.' }),
    field('Max amount', decimal('max_amount', { placeholder: '-5.00' })),
    field('Account', acct), field('Category', select('category', catOptions('Choose…'))),
    field('Detailed category', input('detailed_category', 'text', { maxlength: 100, placeholder: 'Optional' })),
    field('Priority', input('priority', 'number', { min: 0, max: 10000, value: 100 }), { hint: 'Lower runs first.' }), submit('Add rule')],
  async (v, f) => {
    if (!v.match_field) delete v.match_kind;
    const bad = {};
    for (const k of ['min_amount', 'max_amount']) if (v[k] && !AMOUNT_RE.test(v[k])) bad[k] = BAD_AMOUNT;
    if (v.match_field && !v.match_value) bad.match_value = 'is required with a text condition';
    if (!v.match_field && v.match_value) bad.match_field = 'is required with a text';
    if (!v.category) bad.category = 'is required';
    invalid(bad);
    if (v.priority) v.priority = Number(v.priority);
    await api.post('/api/v1/rules', v);
    f.reset();
    await load();
    note.textContent = 'Rule added. Apply the rules to recategorize existing transactions.';
  }, fAlert);

  fill(root, h('div', { class: 'page-head' }, h('h1', { text: 'Rules' }), applyBtn),
    muted('The first match by priority sets the category; categories set by hand stay.'),
    alert, note, card('rl-list', 'Your rules', scroller('Rules', table)),
    card('rl-new', 'New rule', fAlert, ruleForm));
  onLive(ctx, ['rules.changed', 'accounts.changed'], load);
  await load();
}
