// Transactions: filters kept in the URL, totals, endless list, inline and bulk edits, import, export.
import { h, clear } from '../dom.js';
import { api } from '../api.js';
import * as fmt from '../format.js';
import { plural, catOptions, select, input, decimal, check, field, alertBox, notice, showError, clearErrors, button, thead, num, scroller,
  empty, download, onLive, debounce, signCls, accountsMap, AMOUNT_RE, BAD_AMOUNT, td, actions, options, fill, loading, busy, failed } from './common.js';

const TX = '/api/v1/transactions';
const LISTS = ['account_id', 'category'], TEXTS = ['q', 'from', 'to', 'min_amount', 'max_amount', 'pending'];

export default async function render(ctx) {
  const F = {};
  for (const k of LISTS) F[k] = ctx.query.getAll(k);
  for (const k of TEXTS) F[k] = ctx.query.get(k) || '';
  const query = () => Object.fromEntries(Object.entries(F).filter(([, v]) => v.length));
  // A text or amount filter makes the server sum every matching row: then the totals come by a request of their own.
  const costly = () => !!(F.q || F.min_amount || F.max_amount);
  const pageOf = (limit, cursor) => api.get(TX, { ...query(), limit, cursor, totals: costly() ? 'never' : 'auto' });
  // Rows and accounts asked for at once; rows drawn as soon as they come.
  const firstPage = pageOf(50), accounts = accountsMap();

  const root = ctx.root, alert = alertBox(), note = notice();
  let accs = new Map();
  const checks = (name, legend) => {
    const sum = h('summary'), box = h('fieldset', { class: 'tx-checks' }), d = h('details', { class: 'tx-multi' }, sum, box);
    d.set = (opts) => fill(box, h('legend', { class: 'visually-hidden', text: legend }),
      opts.map(([v, l]) => h('label', {}, h('input', { attrs: { type: 'checkbox', name, value: v }, checked: F[name].includes(v) }), l)));
    (d.sync = () => { sum.textContent = `${legend}: ${F[name].length || 'All'}`; })();
    return d;
  };
  const accountChecks = checks('account_id', 'Accounts'), catChecks = checks('category', 'Categories'), dets = [accountChecks, catChecks];
  catChecks.set(catOptions());
  const filters = h('form', { class: 'tx-filters', attrs: { role: 'search', 'aria-label': 'Filter transactions', novalidate: true } },
    field('Search', input('q', 'search', { placeholder: 'Description or merchant', maxlength: 200 }, F.q), { cls: 'tx-q' }), dets,
    field('From', input('from', 'date', {}, F.from)), field('To', input('to', 'date', {}, F.to)),
    field('Min amount', decimal('min_amount', {}, F.min_amount)), field('Max amount', decimal('max_amount', {}, F.max_amount)),
    field('Status', select('pending', [['', 'Any'], ['true', 'Pending'], ['false', 'Posted']], F.pending)),
    h('div', { class: 'tx-factions' }, h('button', { class: 'btn primary', attrs: { type: 'submit' }, text: 'Apply' }),
      button('Clear', () => { for (const el of filters.elements) el.type === 'checkbox' ? (el.checked = false) : el.name && (el.value = ''); apply(); }, {}, 'btn')));
  function apply() {
    clearErrors(filters, alert);
    const next = {}, bad = {};
    for (const k of LISTS) next[k] = [...filters.querySelectorAll(`[name=${k}]:checked`)].map((c) => c.value);
    for (const k of TEXTS) if ((next[k] = filters.elements[k].value.trim()) && k.endsWith('amount') && !AMOUNT_RE.test(next[k])) bad[k] = BAD_AMOUNT;
    if (Object.keys(bad).length) return showError(alert, { message: 'Check the highlighted filters.', fields: bad }, filters);
    Object.assign(F, next);
    dets.forEach((d) => d.sync());
    ctx.setQuery(query());
    load(true);
  }
  const applySoon = debounce(apply, 400);
  filters.addEventListener('submit', (e) => { e.preventDefault(); applySoon.cancel(); apply(); });
  filters.addEventListener('change', (e) => e.target.name !== 'q' && apply());
  filters.elements.q.addEventListener('input', applySoon);

  const totalsEl = h('div', { class: 'tx-totals', attrs: { 'aria-live': 'polite' } });
  function renderTotals(totals) {
    const n = totals?.reduce((s, t) => s + t.count, 0);
    fill(totalsEl, h('p', { class: 'tx-count' }, h('strong', { attrs: { 'data-testid': 'tx-count' }, text: totals ? n.toLocaleString() : 'Counting…' }),
      totals && (n === 1 ? ' transaction' : ' transactions')), (totals || []).map((t) => h('dl', { class: 'tx-sum' },
      [['In', t.money_in, 'pos'], ['Out', t.money_out, 'neg'], ['Net', fmt.dec.add(t.money_in, t.money_out)]]
        .map(([k, v, c]) => h('div', {}, h('dt', { text: `${k} (${t.currency})` }), h('dd', { class: c, text: fmt.money(v, t.currency) }))))));
  }
  const countAll = (my) => busy(totalsEl, async () => {
    renderTotals(null);
    try {
      const { totals } = await api.get(TX, { ...query(), limit: 1, totals: 'always' });
      if (my === gen) renderTotals(totals);
    } catch (err) { if (my === gen) showError(alert, err); }
  }, () => my === gen);

  let items = [], cursor = null, loadingMore = false, gen = 0, left = false;
  const sel = new Set(), tbody = h('tbody');
  const allBox = h('input', { attrs: { type: 'checkbox', 'aria-label': 'Select all loaded transactions' }, on: { change: () => {
    for (const t of items) allBox.checked ? sel.add(t.id) : sel.delete(t.id);
    for (const cb of tbody.querySelectorAll('.tx-sel input')) cb.checked = allBox.checked;
    syncBulk();
  } } });
  const table = h('table', { class: 'tx-table' }, h('caption', { class: 'visually-hidden', text: 'Transactions, newest first' }),
    thead([{ node: h('label', { class: 'tx-all' }, allBox, h('span', { text: 'Select all' })), cls: 'tx-sel' }, 'Date', 'Description', 'Account', 'Category', num('Amount')]), tbody);
  const more = h('button', { class: 'btn tx-more', attrs: { type: 'button' }, text: 'Load more', hidden: true, on: { click: () => load(false) } });
  const sentinel = h('div', { class: 'tx-sentinel' });
  const io = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && load(false), { rootMargin: '400px' });

  function row(t) {
    const label = `${t.description} on ${fmt.date(t.date)}`, name = t.merchant_name || t.description;
    const cat = select('category', catOptions(), t.category, { 'aria-label': `Category for ${label}`, 'data-testid': 'tx-category' });
    cat.addEventListener('change', async () => {
      cat.setAttribute('aria-busy', 'true');
      try {
        Object.assign(t, await api.patch(`${TX}/${t.id}`, { category: cat.value }));
        note.textContent = `Category of “${t.description}” set to ${fmt.label(t.category)}.`;
        clearErrors(null, alert);
      } catch (err) { cat.value = t.category; showError(alert, err); }
      cat.removeAttribute('aria-busy');
    });
    return h('tr', { class: t.pending ? 'tx-pending' : '', attrs: { 'data-testid': 'tx-row', 'data-id': t.id } },
      h('td', { class: 'tx-sel' }, h('input', { attrs: { type: 'checkbox', 'aria-label': `Select ${label}` }, checked: sel.has(t.id),
        on: { change: (e) => { e.target.checked ? sel.add(t.id) : sel.delete(t.id); syncBulk(); } } })),
      td('tx-date', fmt.date(t.date)),
      h('td', { class: 'tx-desc' }, h('span', { class: 'tx-name', text: name }), t.pending && h('span', { class: 'badge', text: 'Pending' }),
        name !== t.description && h('small', { text: t.description }), t.notes && h('small', { class: 'tx-notes', text: t.notes })),
      h('td', { class: 'tx-acct', attrs: { 'data-account': t.account_id }, text: accs.get(t.account_id)?.name || '' }),
      h('td', { class: 'tx-cat' }, cat),
      td('num tx-amt ' + signCls(t.amount), fmt.money(t.amount, t.currency)));
  }
  function renderRows(list, append) {
    const a = document.activeElement, tr = a?.closest('tr[data-id]'), key = tr && tbody.contains(tr) && `tr[data-id="${tr.dataset.id}"] ${a.matches('select') ? 'select' : 'input'}`;
    if (!append) clear(tbody);
    tbody.append(...(items.length ? list.map(row) : [empty(6, 'No transactions match these filters.')]));
    if (key) tbody.querySelector(key)?.focus();
    allBox.checked = items.length > 0 && items.every((t) => sel.has(t.id));
  }
  async function load(reset, limit = 50, request) {
    if (!reset && (loadingMore || !cursor)) return;
    const my = reset ? ++gen : gen;
    if (reset && costly()) countAll(my);
    loadingMore = more.disabled = true;
    table.setAttribute('aria-busy', 'true');
    try {
      const page = await (request || pageOf(limit, reset ? null : cursor));
      if (my !== gen) return;
      if (reset) {
        items = page.items;
        if (page.totals) renderTotals(page.totals); else if (!costly()) countAll(my);
        for (const id of sel) if (!items.some((t) => t.id === id)) sel.delete(id);
      } else items.push(...page.items);
      cursor = page.next_cursor;
      renderRows(reset ? items : page.items, !reset);
      syncBulk();
    } catch (err) {
      if (my === gen) showError(alert, err, filters);
    } finally {
      if (my === gen) {
        loadingMore = more.disabled = false;
        more.hidden = !cursor;
        table.removeAttribute('aria-busy');
        if (cursor && !left) { io.unobserve(sentinel); io.observe(sentinel); } // fires again if still in view
      }
    }
  }
  // After a change elsewhere: as many rows as were shown, page by page (500 at most each), so a long
  // scrolled list keeps its length and the reader their place.
  async function refresh() {
    const shown = items.length;
    await load(true, Math.min(500, Math.max(50, shown)));
    while (!left && cursor && items.length < shown) await load(false, Math.min(500, shown - items.length));
  }

  const count = h('strong');
  const bulkCat = select('bulk_category', catOptions('Choose a category…'), '', { 'aria-label': 'Category for the selected transactions' });
  const bulkNotes = input('bulk_notes', 'text', { 'aria-label': 'Notes for the selected transactions', placeholder: 'Notes', maxlength: 10000 });
  const bulk = async (body, what) => {
    try {
      const r = await api.post(`${TX}/bulk-update`, { ids: [...sel].slice(0, 1000), ...body });
      note.textContent = `${what} of ${plural(r.updated, 'transaction')} updated.`;
      clearErrors(null, alert);
      sel.clear();
      await refresh();
    } catch (err) { showError(alert, err); }
  };
  const bulkBar = h('div', { class: 'tx-bulk', attrs: { role: 'region', 'aria-label': 'Edit the selected transactions' }, hidden: true },
    h('span', {}, count, ' selected'), bulkCat,
    button('Set category', () => (bulkCat.value ? bulk({ category: bulkCat.value }, 'Category') : showError(alert, { message: 'Choose a category first.' }))),
    bulkNotes, button('Set notes', () => bulk({ notes: bulkNotes.value }, 'Notes')),
    button('Clear selection', () => { sel.clear(); renderRows(items); syncBulk(); }, {}, 'btn'));
  function syncBulk() { bulkBar.hidden = !sel.size; count.textContent = sel.size.toLocaleString(); }

  const exportBtn = button('Export CSV', async () => {
    try {
      download(await api.blob(`${TX}/export.csv`, query()), `transactions-${fmt.todayISO()}.csv`);
      note.textContent = 'Export downloaded.';
    } catch (err) { showError(alert, err); }
  }, {}, 'btn');

  // ---- import ----
  const impBody = h('div', {}, loading()), impAlert = alertBox(), impOut = h('div', { class: 'tx-impout', attrs: { 'aria-live': 'polite' } });
  const impAcc = select('import_account', [], null, { 'data-testid': 'import-account' });
  const fileIn = input('file', 'file', { accept: '.ofx,.qfx,.csv,text/csv' });
  const csvBox = h('fieldset', { class: 'tx-csv', hidden: true });
  let file = null;
  fileIn.addEventListener('change', () => fileIn.files[0] && pick(fileIn.files[0]));
  const drop = h('div', { class: 'tx-drop', attrs: { 'data-testid': 'import-drop' } },
    h('p', { text: 'Drop an OFX, QFX or CSV file here, or' }), field('Choose a file', fileIn));
  const over = (on) => (e) => { e.preventDefault(); drop.classList.toggle('tx-over', on); };
  for (const [ev, on] of [['dragenter', 1], ['dragover', 1], ['dragleave', 0]]) drop.addEventListener(ev, over(on));
  drop.addEventListener('drop', (e) => { over(0)(e); if (e.dataTransfer.files[0]) pick(e.dataTransfer.files[0]); });
  // a file dropped beside the zone must not replace the app
  const stray = (e) => e.dataTransfer?.types?.includes('Files') && !drop.contains(e.target) && e.preventDefault();
  for (const ev of ['dragover', 'drop']) { addEventListener(ev, stray); ctx.onCleanup(() => removeEventListener(ev, stray)); }

  async function pick(f) {
    resetImport(f);
    const text = await f.text(), csv = /\.csv$/i.test(f.name) || !/^\s*(OFXHEADER|<\?xml|<OFX)/i.test(text);
    csvBox.hidden = !csv;
    impOut.append(h('p', { text: f.name }));
    if (!csv) return preview();
    // CSV: the columns, guessed from the header
    const line = text.split(/\r?\n/, 1)[0], delim = [',', ';', '\t'].sort((a, b) => line.split(b).length - line.split(a).length)[0];
    const cols = line.split(delim).map((c) => c.trim().replace(/^"|"$/g, '')).filter(Boolean);
    const col = (name, label, re, req) => field(label, select(name, [['', req ? 'Choose…' : '—'], ...cols], cols.find((c) => re.test(c)) || ''));
    fill(csvBox, h('legend', { text: 'CSV columns' }),
      col('date_column', 'Date', /date/i, 1), col('description_column', 'Description', /desc|memo|payee|narrat|detail|text/i, 1),
      col('amount_column', 'Amount', /amount|betrag|value/i), col('debit_column', 'Debit (money out)', /debit|withdraw/i),
      col('credit_column', 'Credit (money in)', /credit|deposit/i),
      field('Date format', select('date_format', [['iso', '2024-01-31'], ['dmy', '31/01/2024'], ['mdy', '01/31/2024']])),
      field('Decimal separator', select('decimal_separator', [['point', '1,234.56'], ['comma', '1.234,56']])),
      check('negate_amounts', 'Money out is written as positive numbers'));
    impOut.append(button('Preview', preview));
  }
  async function send(preview) {
    const acc = accs.get(impAcc.value), q = { preview };
    if (!csvBox.hidden) {
      q.format = 'csv';
      for (const el of csvBox.querySelectorAll('[name]')) q[el.name] = el.type === 'checkbox' ? el.checked : el.value;
    }
    return [acc, await api.upload(`/api/v1/accounts/${acc.id}/imports`, file, 'application/octet-stream', { query: q })];
  }
  async function preview() {
    clearErrors(csvBox, impAlert);
    try {
      const [acc, r] = await send(true);
      const go = button(`Import ${plural(r.added, 'transaction')}`, confirm, { disabled: !r.added, 'data-testid': 'import-confirm' });
      fill(impOut, h('p', { text: `${file.name}: ${plural(r.parsed, 'transaction')} found; ${r.added} new, ${r.skipped_duplicates} already imported.` }),
        r.transactions.length && scroller('Preview of the import', h('table', {}, thead(['Line', 'Date', 'Description', num('Amount')]),
          h('tbody', {}, r.transactions.map((t) => h('tr', {}, td('', t.line), td('', fmt.date(t.date)), td('', t.description),
            td('num ' + signCls(t.amount), fmt.money(t.amount, acc.currency)))))), 'tx-prevwrap'),
        actions(go, button('Cancel', () => resetImport(null), {}, 'btn')));
      go.focus();
    } catch (err) { showError(impAlert, err, csvBox); }
  }
  async function confirm() {
    try {
      const [acc, r] = await send(false);
      resetImport(null);
      impOut.append(h('p', { class: 'success', attrs: { 'data-testid': 'import-result' }, text: `Imported into ${acc.name}: ${r.added} added, ${plural(r.skipped_duplicates, 'duplicate')} skipped.` }));
      await refresh();
    } catch (err) { showError(impAlert, err, csvBox); }
  }
  function resetImport(keep) { file = keep; if (!keep) fileIn.value = ''; csvBox.hidden = true; clear(impOut); clearErrors(csvBox, impAlert); }

  root.append(h('div', { class: 'page-head' }, h('h1', { text: 'Transactions' }), exportBtn), alert, note,
    h('section', { class: 'card tx-import', attrs: { 'aria-labelledby': 'tx-imp' } }, h('h2', { id: 'tx-imp', text: 'Import a bank file' }), impBody),
    h('details', { class: 'card tx-fbox', open: Object.keys(query()).length > 0 || matchMedia('(min-width: 700px)').matches }, h('summary', { text: 'Filters' }), filters),
    totalsEl, bulkBar, scroller('Transactions', table, 'tx-wrap'), sentinel, actions(more));
  io.observe(sentinel);
  ctx.onCleanup(() => { left = true; io.disconnect(); });
  onLive(ctx, ['transactions.changed', 'rules.applied'], refresh, 500);

  // Accounts: names in the rows, the account filter, the import.
  const withAccounts = busy(impBody, async () => {
    try { accs = await accounts; } catch (err) { return fill(impBody, failed('Accounts', err)); }
    for (const cell of tbody.querySelectorAll('[data-account]')) cell.textContent = accs.get(cell.dataset.account)?.name || '';
    accountChecks.set([...accs.values()].map((a) => [a.id, a.name]));
    const manual = [...accs.values()].filter((a) => a.is_manual && !a.is_closed);
    fill(impAcc, options(manual.map((a) => [a.id, `${a.name} (${a.currency})`])));
    fill(impBody, manual.length ? [h('div', { class: 'tx-improw' }, field('Account', impAcc), drop), csvBox, impAlert, impOut]
      : h('p', {}, 'Files import into manual accounts. ', h('a', { attrs: { href: '/accounts' }, text: 'Add a manual account' }), ' first.'));
  });
  await Promise.all([load(true, 50, firstPage), withAccounts]);
}
