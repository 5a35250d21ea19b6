import { h } from '../dom.js';
import { api } from '../api.js';
import { money, date, dec, todayISO, addMonths, startOfMonth, startOfYear, label } from '../format.js';
import { failed, busy, loading, fill, charts, signed, LIVE_TYPES, card, stat, link, onLive, seg, thead, num, emptyNote, groupRow, accountCell } from './common.js';

const RANGES = [['1M', '1 month'], ['3M', '3 months'], ['YTD', 'Year to date'], ['1Y', '1 year'], ['5Y', '5 years'], ['ALL', 'All time']];
const dayDiff = (a, b) => Math.round((Date.parse(b) - Date.parse(a)) / 864e5);
function rangeQuery(key, today = todayISO()) {
  const from = { '1M': addMonths(today, -1), '3M': addMonths(today, -3), YTD: startOfYear(today), '5Y': addMonths(today, -60),
    ALL: addMonths(startOfMonth(today), -599) /* the API allows 50 years */ }[key] || addMonths(today, -12);
  const days = dayDiff(from, today);
  return { from, interval: days <= 100 ? 'day' : days <= 400 ? 'week' : 'month', all: key === 'ALL' };
}

// A range's history, from where the figures start ("All": at an interval that suits the span).
async function loadHistory(key, extra, pick) {
  const q = rangeQuery(key);
  const get = (from, interval) => api.get('/api/v1/balances/history', { from, interval, ...extra });
  const trim = (hist) => {
    const first = hist.points.findIndex((p) => p.unconverted?.length || (pick(p) != null && dec.sign(pick(p)) !== 0));
    return { ...hist, first, points: first < 0 ? hist.points.slice(-1) : hist.points.slice(first) };
  };
  const hist = trim(await get(q.from, q.interval));
  if (!q.all || hist.first < 0) return hist;
  const from = startOfMonth(hist.points[0].date), span = dayDiff(from, todayISO());
  return span <= 730 ? trim(await get(from, span <= 100 ? 'day' : 'week')) : hist;
}

// A history chart card with range buttons (kept in ?range=). o: {id, title, extra, pick(point), name(), currency(hist), note}
export function historyCard(ctx, o) {
  let range = RANGES.some(([k]) => k === ctx.query.get('range')) ? ctx.query.get('range') : '1Y', seq = 0;
  const area = h('div', { class: 'chart-area' }, loading()), note = h('div');
  const ranges = seg('Time range', RANGES.map(([key, text]) => [key, key === 'ALL' ? 'All' : key, text]), range, (key) => {
    range = key;
    ctx.setQuery(key === '1Y' ? {} : { range: key });
    load();
  });
  const draw = async (my) => {
    try {
      const [hist, c] = await Promise.all([loadHistory(range, o.extra, o.pick), charts()]);
      if (my !== seq || ctx.signal.aborted) return;
      const cur = o.currency(hist), points = hist.points.filter((p) => o.pick(p) != null).map((p) => ({ x: p.date, y: o.pick(p) }));
      const missing = [...new Set(hist.points.flatMap((p) => p.unconverted || []))];
      fill(area, points.length
        ? c.lineChart({ series: [{ name: o.name(), points, area: true }], currency: cur, ariaLabel: `${o.name()}, ${RANGES.find(([k]) => k === range)[1]}, in ${cur}` })
        : emptyNote('No balance history for this period yet.'));
      fill(note, o.note && missing.length && h('p', { class: 'note small', attrs: { role: 'note' },
        text: `Days with balances in ${missing.join(', ')} are left out: there is no exchange rate into ${cur} for them.` }));
    } catch (err) {
      if (my === seq && !ctx.signal.aborted) fill(area, failed('The history', err));
    }
  };
  const load = () => { const my = ++seq; return busy(area, () => draw(my), () => my === seq); };
  const el = h('section', { class: 'card', attrs: { 'aria-labelledby': o.id } },
    h('div', { class: 'card-head' }, h('h2', { id: o.id, text: o.title }), ranges), area, note);
  return { el, load };
}

// ---- the page: every part asks at once, drawn as its answer comes ----
export default async function render(ctx) {
  let seq = 0;

  const asOf = h('p', { class: 'muted small' });
  const notes = h('div');
  const [heroNet, heroAssets, heroLiab] = [1, 2, 3].map(() => h('div', { class: 'card' }, loading()));
  const chart = historyCard(ctx, { id: 'nw-h', title: 'Net worth over time', pick: (p) => p.net_worth, name: () => 'Net worth',
    currency: (hist) => hist.base_currency, note: true });
  const [accountsBody, spendingBody, cashflowBody, recurringBody] = [1, 2, 3, 4].map(() => h('div', {}, loading()));

  ctx.root.append(
    h('div', { class: 'page-head' }, h('h1', { text: 'Overview' }), asOf),
    notes,
    h('div', { class: 'hero' }, heroNet, heroAssets, heroLiab),
    chart.el,
    h('div', { class: 'grid' },
      card('sp-h', 'Spending this month', spendingBody),
      card('cf-h', 'Income and expenses', cashflowBody),
      card('acc-h', 'Accounts', accountsBody),
      card('rc-h', 'Upcoming recurring charges', recurringBody)));

  function drawOverview(ov) {
    const base = ov.base_currency;
    asOf.textContent = `As of ${date(ov.as_of)}`;
    fill(notes, ov.unconverted?.length && h('p', { class: 'note', attrs: { role: 'note' } },
      `Totals can't be shown: there is no exchange rate from ${ov.unconverted.join(', ')} to ${base}. `, link('/settings', 'Add exchange rates in Settings'), '.'));
    const list = h('ul', { class: 'changes', attrs: { 'aria-label': 'Change in net worth' } });
    for (const [d, text] of [[1, '1 day'], [30, '30 days'], [365, '1 year']]) {
      const c = ov.changes?.find((x) => x.days === d);
      list.append(h('li', {}, h('span', { class: 'muted', text: text + ':' }),
        c?.change != null ? signed(c.change, base) : h('span', { class: 'muted', text: '—' }),
        c?.since && h('span', { class: 'muted small', text: `since ${date(c.since)}` })));
    }
    fill(heroNet, stat(`Net worth (${base})`, money(ov.net_worth, base), true, 'net-worth'), list);
    fill(heroAssets, stat('Assets', money(ov.assets, base), false, 'assets'));
    fill(heroLiab, stat('Liabilities', money(ov.liabilities, base), false, 'liabilities'));

    // By type, assets first; a base-currency column when currencies differ.
    const accounts = (ov.accounts || []).filter((a) => a.in_totals !== false);
    if (!accounts.length) return fill(accountsBody, h('p', { class: 'empty' }, 'No accounts yet. ', link('/accounts', 'Add an account'), ' or ', link('/banks', 'link a bank'), '.'));
    const mixed = accounts.some((a) => a.currency !== base);
    const tbody = h('tbody');
    for (const t of [...(ov.by_type || [])].sort((a, b) => a.is_liability - b.is_liability)) {
      const rows = accounts.filter((a) => a.type === t.type);
      if (!rows.length) continue;
      tbody.append(groupRow(label(t.type), t.is_liability, money(t.total, base), mixed ? 2 : 1),
      ...rows.map((a) => h('tr', {}, accountCell(a),
        h('td', { class: 'num', text: money(a.balance, a.currency) }),
        mixed && h('td', { class: 'num' + (a.currency === base ? ' muted' : ''), text: a.balance_in_base != null ? money(a.balance_in_base, base) : 'No rate' }))));
    }
    fill(accountsBody, h('div', { class: 'table-wrap' }, h('table', {},
      thead(['Account', num(mixed ? 'Balance' : `Balance (${base})`), ...(mixed ? [num(`In ${base}`)] : [])]), tbody)),
    h('p', { class: 'small' }, link('/accounts', 'All accounts')));
  }

  const leftOut = (list, what) => list?.length && h('p', { class: 'note small', attrs: { role: 'note' } },
    `Left out of ${what} (no exchange rate): ${list.map((t) => money(dec.abs(t.money_out), t.currency)).join(', ')}.`);

  function loadAll() {
    const my = ++seq, today = todayISO(), month0 = startOfMonth(today);
    const part = (els, what, path, query, draw, withCharts) => busy(els, async () => {
      try {
        const [data, c] = await Promise.all([api.get(path, query), withCharts && charts()]);
        if (my === seq && !ctx.signal.aborted) draw(data, c);
      } catch (err) {
        if (my === seq && !ctx.signal.aborted) els.forEach((el, i) => fill(el, i < 2 && failed(what, err)));
      }
    }, () => my === seq);

    return Promise.all([
      part([heroNet, accountsBody, heroAssets, heroLiab], 'Net worth', '/api/v1/balances/overview', {}, drawOverview),
      part([spendingBody], 'Spending', '/api/v1/analytics/spending', { from: month0, to: today, group_by: 'category' }, (s, c) => {
        const cur = s.base_currency, total = money(s.total, cur);
        fill(spendingBody, s.groups.length
          ? [c.donutChart({ slices: s.groups.map((g) => ({ label: label(g.key), value: g.total })), currency: cur,
            ariaLabel: `Spending by category from ${date(s.from)} to ${date(s.to)}, total ${total}`, centerLabel: total }),
          h('p', { class: 'small muted' }, `Total ${total} in ${s.count} transactions. `, link(`/transactions?from=${s.from}&to=${s.to}`, 'See transactions'))]
          : emptyNote('No spending recorded this month yet.'),
        leftOut(s.unconverted, 'spending'));
      }, true),
      part([cashflowBody], 'Income and expenses', '/api/v1/analytics/cashflow', { from: addMonths(month0, -11), to: today, interval: 'month' }, (cf, c) => {
        const cur = cf.base_currency, ps = cf.periods, last = ps[ps.length - 1];
        fill(cashflowBody, ps.length
          ? c.barChart({ categories: ps.map((p) => p.start.slice(0, 7)), stacked: false, currency: cur,
            series: [{ name: 'Income', values: ps.map((p) => p.income) }, { name: 'Expenses', values: ps.map((p) => p.expenses) }],
            ariaLabel: `Income and expenses by month, last ${ps.length} months, in ${cur}` })
          : emptyNote('No income or expenses yet.'),
        last && h('p', { class: 'small' }, h('span', { class: 'muted', text: 'This month: net ' }), signed(last.net, cur)),
        leftOut(cf.unconverted, 'these figures'));
      }, true),
      part([recurringBody], 'Recurring charges', '/api/v1/analytics/recurring', {}, (r) => {
        const items = r.items.slice(0, 8);
        fill(recurringBody, items.length ? h('ul', { class: 'list' }, items.map((x) => h('li', {},
          h('span', { class: 'grow' }, h('strong', { text: x.merchant }), h('br'),
            h('span', { class: 'muted small', text: `${label(x.cadence)} · ${x.next_expected_date < today ? 'was due' : 'next'} ${date(x.next_expected_date)}` })),
          h('span', { class: 'num', text: money(dec.abs(x.typical_amount), x.currency) }))))
          : emptyNote('No recurring charges found.'));
      }),
    ]);
  }

  onLive(ctx, LIVE_TYPES, () => { loadAll(); chart.load(); }, 300);
  await Promise.all([loadAll(), chart.load()]);
}
