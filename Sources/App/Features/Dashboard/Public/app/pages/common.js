// Helpers shared by the pages: one per job.
import { h, clear } from '../dom.js';
import { api } from '../api.js';
import { money, dec, label } from '../format.js';

const CATS = ('INCOME TRANSFER_IN TRANSFER_OUT LOAN_PAYMENTS LOAN_DISBURSEMENTS BANK_FEES ENTERTAINMENT FOOD_AND_DRINK ' +
  'GENERAL_MERCHANDISE HOME_IMPROVEMENT MEDICAL PERSONAL_CARE GENERAL_SERVICES GOVERNMENT_AND_NON_PROFIT TRANSPORTATION TRAVEL ' +
  'RENT_AND_UTILITIES OTHER UNCATEGORIZED').split(' ');
// The API's CurrencyCode list.
export const CURRENCIES = ('AEDAFNALLAMDANGAOAARSAUDAWGAZNBAMBBDBDTBGNBHDBIFBMDBNDBOBBOVBRLBSDBTNBWPBYNBZDCADCDFCHECHFCHWCLFCLPCNYCOPCOUCRCCUPCVECZK' +
  'DJFDKKDOPDZDEGPERNETBEURFJDFKPGBPGELGHSGIPGMDGNFGTQGYDHKDHNLHTGHUFIDRILSINRIQDIRRISKJMDJODJPYKESKGSKHRKMFKPWKRWKWDKYDKZT' +
  'LAKLBPLKRLRDLSLLYDMADMDLMGAMKDMMKMNTMOPMRUMURMVRMWKMXNMXVMYRMZNNADNGNNIONOKNPRNZDOMRPABPENPGKPHPPKRPLNPYGQARRONRSDRUBRWF' +
  'SARSBDSCRSDGSEKSGDSHPSLESOSSRDSSPSTNSVCSYPSZLTHBTJSTMTTNDTOPTRYTTDTWDTZSUAHUGXUSDUSNUYIUYUUYWUZSVEDVESVNDVUVWSTXAFXCDXCG' +
  'XOFXPFYERZARZMWZWG').match(/.../g);
export const AMOUNT_RE = /^-?[0-9]{1,14}(\.[0-9]{1,4})?$/;
export const BAD_AMOUNT = 'is not a plain amount such as -12.50';
export const LIVE_TYPES = ['transactions.changed', 'balances.changed', 'accounts.changed', 'rates.changed', 'portfolios.changed',
  'prices.changed', 'profile.changed', 'import.completed', 'sync.completed', 'rules.applied', 'data.changed'];

export const plural = (n, w) => `${n.toLocaleString()} ${w}${n === 1 ? '' : 's'}`;
let seq = 0;
const uid = () => `pg-${++seq}`;

export function debounce(fn, ms) {
  let t;
  const d = (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}
// A debounced live subscription, dropped when the page is left.
export function onLive(ctx, types, fn, ms = 400) {
  const d = debounce(fn, ms);
  ctx.onCleanup(ctx.live.on(types, d));
  ctx.onCleanup(d.cancel);
}

// aria-busy on the parts while fn runs; `mine()` says whether this run is still the latest.
export async function busy(els, fn, mine = () => true) {
  els = [].concat(els);
  for (const el of els) el.setAttribute('aria-busy', 'true');
  try { return await fn(); } finally { if (mine()) for (const el of els) el.removeAttribute('aria-busy'); }
}
export const loading = () => h('p', { class: 'loading', text: 'Loading…' });
export const notice = () => h('p', { class: 'success pg-note', attrs: { role: 'status' } });
export const alertBox = (text) => h('div', { class: 'error', attrs: { role: 'alert' }, hidden: !text }, text);
export const errText = (err) => err?.message || 'Something went wrong.';
export const fill = (el, ...kids) => { clear(el).append(...kids.flat(9).filter(Boolean)); };
let chartsMod = null;
export const charts = () => (chartsMod ||= import('../charts.js').catch((e) => { chartsMod = null; throw e; }));

// Toggle buttons, one pressed: list of [value, text, aria-label].
export function seg(label, list, current, pick) {
  const g = h('div', { class: 'seg', attrs: { role: 'group', 'aria-label': label } }, list.map(([value, text, name]) => h('button', {
    attrs: { type: 'button', 'aria-pressed': String(value === current), 'aria-label': name }, text,
    on: { click: (e) => { for (const b of g.children) b.setAttribute('aria-pressed', String(b === e.currentTarget)); pick(value); } } })));
  return g;
}
export const failed = (what, err) => alertBox(`${what} could not be loaded: ${errText(err)}`);
export const link = (href, text) => h('a', { attrs: { href }, text });
export const muted = (text) => h('p', { class: 'muted', text });
export const emptyNote = (text) => h('p', { class: 'empty', text });
export const card = (id, title, ...kids) => h('section', { class: 'card', attrs: { 'aria-labelledby': id } }, h('h2', { id, text: title }), ...kids);
export const pair = (k, v, cls) => h('div', {}, h('dt', { text: k }), h('dd', { class: cls }, v));
export const stat = (text, value, big, testid) => [h('p', { class: 'stat-label', text }),
  h('p', { class: 'stat-value' + (big ? ' big' : ''), attrs: { 'data-testid': testid }, text: value })];
export const signCls = (a) => (a == null ? '' : ['neg', '', 'pos'][dec.sign(a) + 1]);
export const signed = (amount, currency) =>
  h('span', { class: 'num ' + signCls(amount) }, (dec.sign(amount) > 0 ? '+' : '') + money(amount, currency));
// Rows of an accounts table: a group's head (name, total), an account's name cell.
export const groupRow = (name, owed, total, colspan) => h('tr', { class: 'group-head' },
  h('th', { attrs: { scope: 'rowgroup', colspan } }, name, owed && h('span', { class: 'muted small', text: ' · owed' })), h('td', { class: 'num', text: total }));
export const accountCell = (a, ...more) => h('th', { attrs: { scope: 'row' } }, link(`/accounts/${a.id}`, a.name), ...more);
export const accountsMap = async () =>
  new Map((await api.get('/api/v1/accounts', { include_hidden: true, include_closed: true })).items.map((a) => [a.id, a]));

// Options from [value, label] pairs or strings.
export const options = (list) => list.map((o) => (Array.isArray(o) ? h('option', { value: o[0], text: o[1] }) : h('option', { value: o, text: o })));
export function select(name, list, value, attrs = {}) {
  const s = h('select', { attrs: { name, ...attrs } }, options(list));
  if (value != null) s.value = value;
  return s;
}
export const catOptions = (first) => [...(first ? [['', first]] : []), ...CATS.map((c) => [c, label(c)])];
export const input = (name, type = 'text', attrs = {}, value) => h('input', { attrs: { name, type, ...attrs }, value });
export const decimal = (name, attrs = {}, value) => input(name, 'text', { inputmode: 'decimal', autocomplete: 'off', ...attrs }, value);
export const check = (name, text, checked) => h('label', { class: 'field check' }, h('input', { attrs: { type: 'checkbox', name }, checked }), text);

// A labelled control with a slot for its error; showError() finds it by name.
export function field(text, control, { name, hint, cls } = {}) {
  const id = control.id || (control.id = uid()), err = h('span', { class: 'field-error', id: id + 'e' });
  control.setAttribute('aria-describedby', (hint ? id + 'h ' : '') + err.id);
  return h('div', { class: 'field' + (cls ? ' ' + cls : ''), attrs: { 'data-field': name || control.name } },
    h('label', { attrs: { for: id }, text }), control, hint && h('small', { id: id + 'h', class: 'hint', text: hint }), err);
}

export function clearErrors(scope, alertEl) {
  if (alertEl) { alertEl.hidden = true; clear(alertEl); }
  for (const e of scope ? scope.querySelectorAll('.field-error') : []) e.textContent = '';
  for (const e of scope ? scope.querySelectorAll('[aria-invalid]') : []) e.removeAttribute('aria-invalid');
}

// The message in the alert, each field's problem beside its field (else in the alert).
export function showError(alertEl, err, scope) {
  clearErrors(scope, alertEl);
  const rest = [];
  for (const [k, v] of Object.entries(err?.fields || {})) {
    const f = scope && [k, k.replace(/^.*[.\]]/, '')].map((n) => scope.querySelector(`.field[data-field="${CSS.escape(n)}"]`))
      .find((x) => x?.querySelector('.field-error'));
    if (!f) { rest.push(`${k}: ${v}`); continue; }
    f.querySelector('.field-error').textContent = v;
    f.querySelector('input,select')?.setAttribute('aria-invalid', 'true');
  }
  alertEl.append(h('p', { text: errText(err) }));
  if (rest.length) alertEl.append(h('ul', {}, rest.map((r) => h('li', { text: r }))));
  alertEl.hidden = false;
  scope?.querySelector('[aria-invalid]')?.focus();
  if (err instanceof Error && err.name !== 'ApiError') console.warn(err);
}
export const invalid = (fields) => { if (Object.keys(fields).length) throw { message: 'Some fields are not valid.', fields }; };

// Named controls -> object (no empty or hidden ones; checkboxes as booleans).
function values(form) {
  const o = {};
  for (const el of form.elements) {
    if (!el.name || el.closest('[hidden]')) continue;
    if (el.type === 'checkbox') o[el.name] = el.checked;
    else if (el.value.trim()) o[el.name] = el.value.trim();
  }
  return o;
}

// A button that stays disabled while its async action runs.
export function button(text, action, attrs = {}, cls = 'btn primary') {
  const b = h('button', { class: cls, attrs: { type: 'button', ...attrs }, text });
  b.addEventListener('click', async (e) => {
    if (b.disabled) return;
    b.disabled = true;
    try { await action(e); } finally { b.disabled = false; }
  });
  return b;
}
export const actions = (...kids) => h('div', { class: 'form-actions' }, ...kids);
export const submit = (text, ...more) => actions(h('button', { class: 'btn primary', attrs: { type: 'submit' }, text }), ...more);

// A form whose submit runs onSubmit(values, form); errors shown.
export function form(cls, label, children, onSubmit, alertEl) {
  const f = h('form', { class: 'pg-form form-grid ' + cls, attrs: { 'aria-label': label, novalidate: true } }, children);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const b = f.querySelector('[type=submit]');
    if (b.disabled) return;
    b.disabled = true;
    clearErrors(f, alertEl);
    try { await onSubmit(values(f), f); } catch (err) { showError(alertEl, err, f); } finally { b.disabled = false; }
  });
  return f;
}

export const thead = (cols) => h('thead', {}, h('tr', {}, cols.map((c) => h('th', { attrs: { scope: 'col' }, class: c.cls }, c.node || c.text || c))));
export const num = (t) => ({ text: t, cls: 'num' });
export const td = (cls, ...kids) => h('td', { class: cls }, ...kids);
// A wide table scrolls inside its own focusable region.
export const scroller = (label, table, cls = '') => h('div', { class: 'table-wrap ' + cls, attrs: { role: 'region', 'aria-label': label, tabindex: '0' } }, table);
export const empty = (cols, text) => h('tr', {}, h('td', { class: 'empty', attrs: { colspan: cols }, text }));

// Saves text or a Blob as a file.
export function download(data, name) {
  const url = URL.createObjectURL(new Blob([data], { type: 'text/csv' })), a = h('a', { attrs: { href: url, download: name }, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
