// Investments: portfolios, performance (TWR, MWR, chart), holdings, allocation, trades.
import { h } from '../dom.js';
import { api } from '../api.js';
import * as fmt from '../format.js';
import { lineChart, donutChart } from '../charts.js';
import { select, input, decimal, field, alertBox, notice, loading, showError, form, submit, card, pair, thead, num, scroller, empty, onLive,
  signCls, td, muted, busy, options, fill, seg, CURRENCIES } from './common.js';

const P = '/api/v1/portfolios/', PERIODS = ['1M', '3M', 'YTD', '1Y', '3Y', 'ALL'];
// The fields each activity takes: i investment, q quantity, p price, a amount, f fees.
const SHOW = { buy: 'iqpaf', sell: 'iqpaf', dividend: 'ia', interest: 'a', fee: 'a', split: 'iq', transfer_in: 'iqpa', transfer_out: 'iqa' };
const qty = new Intl.NumberFormat(undefined, { maximumFractionDigits: 8 });
// ComputedAmount / ComputedRatio: the figure, or a dash and the reason.
const why = (c) => ['—', c?.reason && h('small', { class: 'inv-why', text: c.reason })];
const amt = (c, cur) => (c?.value != null ? fmt.money(c.value, cur) : why(c));
const ratio = (c) => (c?.value != null ? fmt.percent(c.value) : why(c));
const gain = (v) => signCls(typeof v === 'object' ? v?.value : v);

export default async function render(ctx) {
  const root = ctx.root, alert = alertBox(), note = notice();
  root.append(h('h1', { text: 'Investments' }), alert, loading());
  let summary, ports, secs;
  const fetchAll = async () => {
    [summary, ports, secs] = await Promise.all(['/api/v1/investments/summary', '/api/v1/portfolios', '/api/v1/investments'].map((u) => api.get(u)));
    ports = ports.items;
    secs = new Map(secs.items.map((s) => [s.id, s]));
  };
  try { await fetchAll(); } catch (err) { root.querySelector('.loading').remove(); return showError(alert, err); }
  const q = ctx.query, st = { pid: q.get('portfolio'), period: PERIODS.includes(q.get('period')) ? q.get('period') : '1Y', by: q.get('by') || 'type' };
  const port = () => ports.find((p) => p.id === st.pid);
  if (!port()) st.pid = ports[0]?.id;
  const save = () => ctx.setQuery({ portfolio: st.pid, period: st.period, by: st.by });
  const choose = (id) => { st.pid = id; save(); drawSummary(); loadPortfolio(); };

  const sumBody = h('div'), sumBox = card('inv-sum', 'Portfolios', sumBody);
  function drawSummary() {
    const b = summary.base_currency;
    fill(sumBody, h('p', { class: 'inv-total' }, 'Total value ', h('strong', {}, amt(summary.total, b)), ` (${b}, ${fmt.date(summary.as_of)})`),
      scroller('Portfolio values', h('table', { class: 'inv-table' }, thead(['Portfolio', ...['Value', 'Cost basis', 'Unrealized gain', `Value in ${b}`].map(num)]),
        h('tbody', {}, summary.portfolios.length ? summary.portfolios.map((p) => h('tr', { class: p.portfolio_id === st.pid ? 'pg-current' : '' },
          h('td', {}, h('button', { class: 'pg-link', attrs: { type: 'button', 'aria-pressed': String(p.portfolio_id === st.pid) }, text: p.name,
            on: { click: () => choose(p.portfolio_id) } })),
          td('num', amt(p.value, p.currency)), td('num', fmt.money(p.cost_basis, p.currency)),
          td('num ' + gain(p.unrealized_gain), amt(p.unrealized_gain, p.currency)), td('num', amt(p.value_in_base, b))))
          : empty(5, 'No portfolios yet.')))));
  }

  const periods = seg('Period', PERIODS.map((p) => [p, p]), st.period, (p) => { st.period = p; save(); loadPerf(); });
  const perfBox = h('div'), holdBox = h('div'), allocBox = h('div', { class: 'inv-alloc' });
  const bySel = select('by', [['type', 'Type'], ['security', 'Security'], ['currency', 'Currency']], st.by);
  bySel.addEventListener('change', () => { st.by = bySel.value; save(); loadAlloc(); });

  const loadPerf = () => busy(perfBox, async () => {
    const p = port(), id = p.id;
    fill(perfBox, loading());
    try {
      const [perf, items] = await Promise.all([api.get(P + id + '/performance', { period: st.period }), api.get(P + id + '/items')]);
      if (id !== st.pid) return;
      const c = perf.currency, pts = perf.series.filter((x) => x.value != null).map((x) => ({ x: x.date, y: x.value }));
      fill(perfBox, muted(`${fmt.date(perf.from)} – ${fmt.date(perf.to)}${perf.annualized ? ' · returns are annual rates' : ''}`),
        h('dl', { class: 'pg-stats' },
          pair('Time-weighted return', ratio(perf.time_weighted_return), gain(perf.time_weighted_return)),
          pair('Money-weighted return', ratio(perf.money_weighted_return), gain(perf.money_weighted_return)),
          pair('Start value', amt(perf.start_value, c)), pair('End value', amt(perf.end_value, c)),
          pair('Unrealized gain', amt(perf.unrealized_gain, c), gain(perf.unrealized_gain)),
          pair('Realized gain', fmt.money(perf.realized_gain, c), gain(perf.realized_gain)),
          pair('Income', fmt.money(perf.income, c)), pair('Fees', fmt.money(perf.fees, c)),
          pair('Net money in', amt(perf.net_flows, c)), pair('Cash', fmt.money(perf.cash, c))),
        pts.length ? lineChart({ series: [{ name: 'Value', points: pts, area: true }], currency: c,
          ariaLabel: `Value of ${p.name} from ${fmt.date(perf.from)} to ${fmt.date(perf.to)}` }) : muted('No values in this period.'));
      // holdings: /items, priced by the performance
      const live = new Map(perf.holdings.map((x) => [x.investment_id, x])), ic = items.currency;
      fill(holdBox, scroller('Holdings table', h('table', { class: 'inv-table' },
        thead(['Security', ...['Quantity', 'Price', 'Market value', 'Cost basis', 'Unrealized gain'].map(num)]),
        h('tbody', {}, items.items.length ? items.items.map((it) => {
          const x = live.get(it.investment_id) || {}, s = secs.get(it.investment_id) || {};
          return h('tr', {}, h('th', { attrs: { scope: 'row' } }, x.name || s.name || 'Unknown security', h('small', { text: x.symbol || s.symbol })),
            td('num', qty.format(it.quantity)),
            td('num', x.price ? fmt.money(x.price, s.currency || ic) : '—'),
            td('num', x.market_value ? fmt.money(x.market_value, ic) : x.unavailable_reason || '—'),
            td('num', fmt.money(it.cost_basis, ic)),
            td('num ' + gain(x.unrealized_gain), fmt.money(x.unrealized_gain, ic)));
        }) : empty(6, 'No holdings.')))));
    } catch (err) { fill(perfBox); showError(alert, err); }
  });

  const loadAlloc = () => busy(allocBox, async () => {
    const id = st.pid;
    fill(allocBox, loading());
    try {
      const a = await api.get(P + id + '/allocation', { by: st.by });
      if (id !== st.pid) return;
      fill(allocBox, a.unavailable_reason ? muted(a.unavailable_reason)
        : a.slices.length ? donutChart({ slices: a.slices.map((s) => ({ label: st.by === 'type' ? fmt.label(s.label || s.key).replace('Etf', 'ETF') : s.label || s.key, value: s.value })),
          currency: a.currency, ariaLabel: `Allocation of ${port().name} by ${st.by}`, centerLabel: fmt.money(a.total, a.currency) })
          : muted('Nothing to allocate yet.'));
    } catch (err) { fill(allocBox); showError(alert, err); }
  });

  const tAlert = alertBox(), act = select('activity', Object.keys(SHOW).map((a) => [a, fmt.label(a)]), 'buy');
  const secOpts = () => [['', 'Choose a security…'], ...[...secs.values()].map((s) => [s.id, (s.symbol ? s.symbol + ' · ' : '') + s.name])];
  const iSel = select('investment_id', secOpts());
  const f = { i: field('Security', iSel), q: field('Quantity', decimal('quantity'), { hint: ' ' }),
    p: field('Price per unit', decimal('price')), a: field('Amount', decimal('amount'), { hint: 'Buy/sell: instead of the price.' }),
    f: field('Fees', decimal('fees')) };
  const trade = form('inv-trade', 'Record an investment transaction', [field('Date', input('date', 'date', {}, fmt.todayISO())), field('Activity', act),
    ...Object.values(f), field('Currency', select('currency', [['', 'Default'], ...CURRENCIES])), field('Notes', input('notes', 'text', { maxlength: 2000 })), submit('Record')],
  async (v, fm) => {
    const t = await api.post(P + st.pid + '/transactions', v);
    note.textContent = `Recorded: ${fmt.label(t.activity)} on ${fmt.date(t.date)}.`;
    for (const k of ['quantity', 'price', 'amount', 'fees', 'notes']) fm.elements[k].value = '';
    await reloadAll();
  }, tAlert);
  const syncAct = () => {
    const a = act.value;
    for (const [k, el] of Object.entries(f)) el.hidden = !SHOW[a].includes(k);
    f.q.querySelector('.hint').textContent = a === 'split' ? 'New units per old unit (2 for a 2-for-1 split).' : 'Units or shares.';
  };
  act.addEventListener('change', syncAct);
  syncAct();

  // By hand, without a linked brokerage: a portfolio, and the securities its trades name.
  const aAlert = alertBox(), base = ctx.user?.base_currency || 'USD';
  const newPortfolio = form('inv-new', 'New portfolio', [field('Name', input('name', 'text', { maxlength: 200, required: true })),
    field('Currency', select('currency', CURRENCIES, base)),
    field('Cost basis', select('cost_basis_method', [['fifo', 'First in, first out'], ['average', 'Average cost']])), submit('Add portfolio')],
  async (v, fm) => {
    const p = await api.post(P.slice(0, -1), v);
    fm.elements.name.value = '';
    note.textContent = `Portfolio ${p.name} added.`;
    st.pid = p.id;
    save();
    await reloadAll();
  }, aAlert);
  const newSecurity = form('inv-new', 'New security', [field('Symbol', input('symbol', 'text', { maxlength: 32 })),
    field('Name', input('name', 'text', { maxlength: 200, required: true })),
    field('Type', select('type', ['stock', 'etf', 'mutual_fund', 'bond', 'crypto', 'cash', 'option', 'other'].map((t) => [t, fmt.label(t)]))),
    field('Currency', select('currency', CURRENCIES, base)), submit('Add security')],
  async (v, fm) => {
    const sec = await api.post('/api/v1/investments', v);
    for (const k of ['symbol', 'name']) fm.elements[k].value = '';
    note.textContent = `Security ${sec.name} added.`;
    await reloadAll();
    iSel.value = sec.id;
  }, aAlert);
  const addBox = card('inv-add', 'Add by hand', aAlert, newPortfolio, newSecurity);

  const loadPortfolio = () => st.pid && Promise.all([loadPerf(), loadAlloc()]);
  async function reloadAll() {
    const had = ports.length;
    try { await fetchAll(); } catch (err) { return showError(alert, err); }
    if (!had !== !ports.length) return ctx.navigate(location.pathname + location.search); // draw the page anew
    if (!port()) st.pid = ports[0].id;
    const keep = iSel.value;
    fill(iSel, options(secOpts()));
    iSel.value = keep;
    drawSummary();
    await loadPortfolio();
  }

  drawSummary();
  fill(root, h('h1', { text: 'Investments' }), alert, note, sumBox, ...(ports.length ? [
    card('inv-perf', 'Performance', periods, perfBox), card('inv-hold', 'Holdings', holdBox),
    card('inv-alloc', 'Allocation', field('Split by', bySel, { cls: 'inv-by' }), allocBox),
    card('inv-trade', 'Record a trade', tAlert, trade), addBox]
    : [muted('No portfolios yet: link a brokerage on the Banks page, or add one here.'), addBox]));
  onLive(ctx, ['portfolios.changed', 'prices.changed', 'rates.changed', 'profile.changed'], reloadAll, 600);
  await loadPortfolio();
}
