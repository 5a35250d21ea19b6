// SVG charts, CSP-safe. Geometry uses Numbers; values shown are the exact strings, formatted.
import { h, svg as S, clear } from './dom.js';
import { money, moneyCompact, percent, date as fdate, dec } from './format.js';

const { max, min, round, floor } = Math, DAY = 864e5, MAXROWS = 60, TAU = 2 * Math.PI;
let uid = 0, ctx, font = 'sans-serif';
const num = (v) => dec.toNumber(String(v));
const r1 = (v) => round(v * 10) / 10;
const cc = (i) => 'series-' + ((i % 8) + 1);
const clamp = (v, a, b) => max(a, min(b, v));
const fmts = {};
const dtf = (k, o) => (fmts[k] ||= new Intl.DateTimeFormat(undefined, { ...o, timeZone: 'UTC' }));
const dnum = (s) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +(s.slice(8, 10) || 1)) / DAY;
const dobj = (d) => new Date(d * DAY);
const txt = (a, s) => S('text', a, String(s)), C = 'currentColor';
const el = (t, c, ...k) => h(t, { class: c }, ...k);
const size = (e, w, hh) => { e.setAttribute('viewBox', `0 0 ${w} ${hh}`); e.setAttribute('width', w); e.setAttribute('height', hh); };

// Text width in px at the chart's font.
function tw(s, px = 11, bold) {
  ctx ||= document.createElement('canvas').getContext('2d');
  ctx.font = `${bold ? '600 ' : ''}${px}px ${font}`;
  return ctx.measureText(String(s)).width;
}
function fit(s, max, px = 11) {
  s = String(s);
  if (tw(s, px) <= max) return s;
  while (s.length > 1 && tw(s + '…', px) > max) s = s.slice(0, -1);
  return s + '…';
}
const sample = (a, n = MAXROWS) => (a.length <= n ? a
  : [...new Set(Array.from({ length: n }, (_, k) => round((k * (a.length - 1)) / (n - 1))))].map((i) => a[i]));

// Nice ticks: step 1/2/5 × 10^n; each tick also kept as an exact decimal string.
function yTicks(lo, hi, n, zero) {
  if (zero) { lo = min(lo, 0); hi = max(hi, 0); }
  if (!(hi > lo)) { if (lo > 0) lo = 0; else if (hi < 0) hi = 0; else hi = 1; }
  const raw = (hi - lo) / max(1, n), p = 10 ** floor(Math.log10(raw)), m = raw / p;
  const step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  const dp = max(0, -floor(Math.log10(step) + 1e-9));
  const a = floor(lo / step + 1e-9), b = Math.ceil(hi / step - 1e-9), t = [];
  for (let i = a; i <= b; i++) { const s = (i * step).toFixed(dp); t.push({ v: +s, s }); }
  return { lo: t[0].v, hi: t[t.length - 1].v, t };
}
function yLabels(t, currency) { // compact, or exact when compact ones would repeat
  const l = t.map((x) => moneyCompact(x.s, currency));
  return new Set(l).size === l.length ? l : t.map((x) => money(x.s, currency));
}

// Centres of labels kept inside [0, W]; null if neighbours would overlap.
function place(xs, ls, W, gap = 10) {
  const out = [];
  for (let i = 0; i < xs.length; i++) {
    const w = tw(ls[i]), x = clamp(xs[i], w / 2 + 1, W - w / 2 - 1);
    if (i && x - w / 2 < out[i - 1].x + out[i - 1].w / 2 + gap) return null;
    out.push({ x, w, s: ls[i] });
  }
  return out;
}
const md = (t) => dtf('md', { month: 'short', day: 'numeric' }).format(t);
const monthLabel = (t, withYear) => withYear ? dtf('my', { month: 'short', year: 'numeric' }).format(t) : dtf('m', { month: 'short' }).format(t);
const UNITS = 'd1 d2 d7 d14 m1 m2 m3 m6 y1 y2 y5 y10 y25 y50 y100'.split(' ');
function dateTicks(d0, d1, X, W) {
  if (d1 <= d0) return place([X(d0)], [dtf('full', { dateStyle: 'medium' }).format(dobj(d0))], W) || [];
  for (const un of UNITS) {
    const u = un[0], n = +un.slice(1);
    if ((d1 - d0) / (n * (u === 'd' ? 1 : u === 'm' ? 30 : 365)) > W / 20) continue;
    const ds = [];
    if (u === 'd') { for (let d = n < 7 ? d0 : d0 + ((((4 - d0) % 7) + 7) % 7); d <= d1; d += n) ds.push(d); }
    else if (u === 'm') {
      const t = dobj(d0);
      for (let m = t.getUTCFullYear() * 12 + t.getUTCMonth() + (t.getUTCDate() > 1), d; (d = Date.UTC(floor(m / 12), m % 12, 1) / DAY) <= d1; m++) if (m % n === 0) ds.push(d);
    } else {
      let y = dobj(d0).getUTCFullYear();
      if (Date.UTC(y, 0, 1) / DAY < d0) y++;
      for (let d; (d = Date.UTC(y, 0, 1) / DAY) <= d1; y++) if (y % n === 0) ds.push(d);
    }
    let py;
    const ls = ds.map((d) => {
      const t = dobj(d), y = t.getUTCFullYear(), s = u === 'y' ? y : u === 'd' ? md(t) : monthLabel(t, y !== py);
      return (py = y), String(s);
    });
    const r = place(ds.map(X), ls, W);
    if (r) return r;
  }
  return [];
}

// Grid, y labels, x labels (xticks(ml, pw) -> [{x, s}]); returns the plot box and y scale.
function axes(root, W, H, Yt, currency, xticks, base) {
  const labels = yLabels(Yt.t, currency);
  const ml = Math.ceil(max(...labels.map((l) => tw(l)))) + 12, mt = 8, mb = 24, pw = max(20, W - ml - 10), ph = H - mt - mb;
  const Y = (v) => r1(mt + ph - ((v - Yt.lo) / (Yt.hi - Yt.lo)) * ph);
  size(root, W, H);
  const g = S('g', { class: 'chart-axes' });
  Yt.t.forEach((t, i) => {
    const y = Y(t.v), zero = t.v === 0 && (base || (Yt.lo < 0 && Yt.hi > 0));
    g.append(S('line', { class: zero ? 'chart-zero' : 'chart-grid', x1: ml, x2: ml + pw, y1: y, y2: y, stroke: C }),
      txt({ x: ml - 8, y, dy: '0.32em', 'text-anchor': 'end' }, labels[i]));
  });
  for (const t of xticks(ml, pw)) g.append(txt({ x: r1(t.x), y: H - 7, 'text-anchor': 'middle' }, t.s));
  root.append(g);
  return { ml, mt, pw, ph, Y };
}

const swatch = (i) => h('span', { class: 'chart-swatch ' + cc(i), attrs: { 'aria-hidden': 'true' } });
const legend = (names) => names.some(Boolean) ? el('ul', 'chart-legend', names.map((n, i) => h('li', {}, swatch(i), n))) : null;
const tipNodes = (title, rows) => [el('div', 'chart-tip-title', title),
  ...rows.map(([i, name, v]) => el('div', 'chart-tip-row', i === null ? null : swatch(i), el('span', 'chart-tip-name', name), ' ', el('span', 'chart-tip-val', v)))];
function table(caption, head, rows) {
  return el('div', 'visually-hidden', h('table', {}, h('caption', {}, caption || ''),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, sample(rows).map((r) => h('tr', {}, r.map((c, i) => (i ? h('td', {}, c) : h('th', { scope: 'row' }, c))))))));
}
const empty = (kind, label) => h('figure', { class: `chart chart-${kind} chart-is-empty` },
  el('p', 'chart-empty', label ? el('span', 'visually-hidden', label + ': ') : null, 'No data'));

// svg + parts + tooltip, redrawn to its width. draw(root, W) -> {n, at(x, y) -> i|-1, hover(i) -> {x, y, dx, tip, text}}
function frame(kind, ariaLabel, parts, draw) {
  const root = S('svg', { class: 'chart-svg', role: 'img', 'aria-label': ariaLabel || 'Chart', tabindex: '0' });
  const tip = el('div', 'chart-tip'), live = h('div', { class: 'visually-hidden', attrs: { 'aria-live': 'polite' } });
  tip.hidden = true;
  const fig = el('figure', 'chart chart-' + kind, root, parts, tip, live);
  let g = null, cur = -1, W = 0, timer = 0;
  const vbw = () => root.viewBox.baseVal.width || W;
  const hide = () => { cur = -1; tip.hidden = true; if (g) g.hover(-1); };
  const show = (i, kbd) => { // kbd: announce it too
    if (!g || !g.n || i < 0) return hide();
    cur = i = clamp(i, 0, g.n - 1);
    const r = g.hover(i) || {};
    if (kbd) live.textContent = r.text || (r.tip || []).map((n) => n.textContent).join('; ');
    if (!r.tip) { tip.hidden = true; return; }
    clear(tip).append(...r.tip);
    tip.hidden = false;
    const fr = fig.getBoundingClientRect(), sr = root.getBoundingClientRect(), k = sr.width / vbw() || 1;
    const px = sr.left - fr.left + r.x * k, py = sr.top - fr.top + r.y * k, dx = (r.dx || 0) * k + 12;
    const w = tip.offsetWidth, th = tip.offsetHeight, fw = fig.clientWidth;
    let left = px + dx, top = py - th / 2;
    if (left + w > fw) left = px - dx - w;
    if (left < 0) { // no room beside: centre above (or below) the point
      left = clamp(px - w / 2, 0, max(0, fw - w));
      top = py - th - 14 < 0 ? py + 14 : py - th - 14;
    }
    tip.style.left = round(left) + 'px';
    tip.style.top = round(clamp(top, 0, max(0, sr.bottom - fr.top - th))) + 'px';
  };
  const render = () => {
    const w = floor(fig.clientWidth);
    if (!w || w === W) return;
    W = w;
    font = getComputedStyle(root).fontFamily || font;
    hide();
    clear(root);
    g = draw(root, W);
  };
  new ResizeObserver(() => {
    clearTimeout(timer);
    if (!W) render(); else timer = setTimeout(render, 120);
  }).observe(fig);
  const at = (e) => {
    const r = root.getBoundingClientRect(), k = vbw() / r.width;
    return g && r.width ? g.at((e.clientX - r.left) * k, (e.clientY - r.top) * k) : -1;
  };
  const on = (t, f) => root.addEventListener(t, f);
  on('pointermove', (e) => show(at(e)));
  on('pointerdown', (e) => show(at(e)));
  on('pointerleave', (e) => { if (e.pointerType === 'mouse') hide(); });
  on('focus', () => { if (g && g.n && root.matches(':focus-visible')) show(cur < 0 ? g.n - 1 : cur, true); });
  on('blur', hide);
  on('keydown', (e) => {
    if (!g || !g.n) return;
    const j = { ArrowRight: cur < 0 ? 0 : cur + 1, ArrowLeft: cur < 0 ? g.n - 1 : max(0, cur - 1), Home: 0, End: g.n - 1, Escape: -1 }[e.key];
    if (j === undefined) return;
    e.preventDefault();
    show(j, true);
  });
  return { fig, show, hide };
}

const nearest = (a, v) => a.reduce((b, d, k) => (Math.abs(d - v) < Math.abs(a[b] - v) ? k : b), 0);

export function lineChart({ series = [], currency, ariaLabel = '', height = 260 } = {}) {
  const ss = series.map((s, i) => {
    const pts = (s.points || []).filter((p) => p && /^\d{4}-\d\d-\d\d/.test(p.x) && p.y != null && p.y !== '')
      .map((p) => ({ x: p.x.slice(0, 10), d: dnum(p.x), y: String(p.y), v: num(p.y) })).sort((a, b) => a.d - b.d);
    return { name: s.name || '', area: !!s.area, i, pts, by: new Map(pts.map((p) => [p.x, p])) };
  });
  const xs = [...new Set(ss.flatMap((s) => s.pts.map((p) => p.x)))].sort();
  if (!xs.length) return empty('line', ariaLabel);
  const ds = xs.map(dnum), d0 = ds[0], d1 = ds[ds.length - 1], gid = 'chart' + ++uid;
  const vals = ss.flatMap((s) => s.pts.map((p) => p.v)), lo = min(...vals), hi = max(...vals);
  const tbl = table(ariaLabel, ['Date', ...ss.map((s) => s.name || 'Value')],
    xs.map((x) => [fdate(x), ...ss.map((s) => (s.by.has(x) ? money(s.by.get(x).y, currency) : '—'))]));
  return frame('line', ariaLabel, [legend(ss.length > 1 ? ss.map((s) => s.name) : []), tbl], (root, W) => {
    const H = height, Yt = yTicks(lo, hi, max(2, round((H - 40) / 48)));
    let X;
    const { ml, mt, pw, ph, Y } = axes(root, W, H, Yt, currency, (ml, pw) => {
      X = (d) => r1(ml + (d1 > d0 ? ((d - d0) / (d1 - d0)) * pw : pw / 2));
      return dateTicks(d0, d1, X, W);
    });
    const base = Y(clamp(0, Yt.lo, Yt.hi));
    for (const s of ss) {
      if (!s.pts.length) continue;
      const g = S('g', { class: cc(s.i) }), P = s.pts, line = P.map((p, k) => `${k ? 'L' : 'M'}${X(p.d)} ${Y(p.v)}`).join('');
      if (s.area && P[1]) {
        const id = `${gid}-${s.i}`, up = P.every((p) => p.v <= 0); // below zero: strongest at the line
        g.append(S('defs', {}, S('linearGradient', { id, x1: 0, y1: +up, x2: 0, y2: +!up },
          S('stop', { offset: 0, 'stop-color': C, 'stop-opacity': 0.32 }), S('stop', { offset: 1, 'stop-color': C, 'stop-opacity': 0.03 }))),
        S('path', { class: 'chart-fill', d: `${line}L${X(P[P.length - 1].d)} ${base}L${X(P[0].d)} ${base}Z`, fill: `url(#${id})` }));
      }
      g.append(P[1] ? S('path', { class: 'chart-line', d: line, fill: 'none', stroke: C, 'stroke-width': 2 })
        : S('circle', { class: 'chart-point', cx: X(P[0].d), cy: Y(P[0].v), r: 4, fill: C }));
      root.append(g);
    }
    const hov = S('g', { class: 'chart-hover' });
    root.append(hov);
    return {
      n: xs.length,
      at: (x) => (x < ml - 10 || x > ml + pw + 10 ? -1 : nearest(ds, d0 + ((x - ml) / pw) * (d1 - d0))),
      hover(i) {
        clear(hov);
        if (i < 0) return null;
        const x = X(ds[i]), rows = [];
        let top = mt + ph;
        hov.append(S('line', { class: 'chart-guide', x1: x, x2: x, y1: mt, y2: mt + ph, stroke: C }));
        for (const s of ss) {
          const p = s.by.get(xs[i]);
          if (!p) continue;
          const y = Y(p.v);
          top = min(top, y);
          hov.append(S('circle', { class: 'chart-dot ' + cc(s.i), cx: x, cy: y, r: 4.5, fill: C }));
          rows.push([s.i, s.name, money(p.y, currency)]);
        }
        return { x, y: top, tip: tipNodes(fdate(xs[i]), rows) };
      },
    };
  }).fig;
}

const isMonth = (c) => /^\d{4}-\d\d$/.test(c), isDay = (c) => /^\d{4}-\d\d-\d\d$/.test(c);
const catLong = (c) => isMonth(c) ? dtf('ML', { month: 'long', year: 'numeric' }).format(dobj(dnum(c))) : isDay(c) ? fdate(c) : c;

export function barChart({ categories = [], series = [], stacked = false, currency, ariaLabel = '', height = 240 } = {}) {
  const cats = categories.map(String), n = cats.length;
  const ss = series.map((s, i) => ({ name: s.name || '', i,
    vals: cats.map((_, j) => { const y = s.values && s.values[j]; return y == null || y === '' ? null : String(y); }) }));
  if (!n || !ss.some((s) => s.vals.some((v) => v !== null))) return empty('bar', ariaLabel);
  const m = ss.length, nv = ss.map((s) => s.vals.map((v) => (v === null ? 0 : num(v))));
  const total = (j) => dec.sum(ss.map((s) => s.vals[j]));
  const withTotal = stacked && m > 1;
  let lo = 0, hi = 0;
  for (let j = 0; j < n; j++) {
    let p = 0, q = 0;
    for (const a of nv) { const v = a[j]; if (!stacked) p = q = 0; if (v > 0) p += v; else q += v; lo = min(lo, q); hi = max(hi, p); }
  }
  const tot = (j) => (withTotal ? [money(total(j), currency)] : []);
  const tbl = table(ariaLabel, [isMonth(cats[0]) ? 'Month' : 'Category', ...ss.map((s) => s.name || 'Value'), ...(withTotal ? ['Total'] : [])],
    cats.map((c, j) => [catLong(c), ...ss.map((s) => money(s.vals[j], currency)), ...tot(j)]));
  return frame('bar', ariaLabel, [legend(m > 1 ? ss.map((s) => s.name) : []), tbl], (root, W) => {
    const H = height, Yt = yTicks(lo, hi, max(2, round((H - 40) / 48)), true);
    let bw;
    const { ml, mt, pw, ph, Y } = axes(root, W, H, Yt, currency, (ml, pw) => {
      bw = pw / n;
      for (let k = 1; k <= n; k++) {
        let py;
        const idx = cats.map((_, j) => j).filter((j) => j % k === 0);
        const ls = idx.map((j) => {
          const c = cats[j];
          if (isDay(c)) return md(dobj(dnum(c)));
          if (!isMonth(c)) return fit(c, max(40, min(110, k * bw - 10)));
          const y = c.slice(0, 4), s = monthLabel(dobj(dnum(c)), y !== py);
          py = y;
          return s;
        });
        const r = place(idx.map((j) => ml + (j + 0.5) * bw), ls, W, 8);
        if (r) return r;
      }
      return [];
    });
    const band = S('rect', { class: 'chart-band', x: 0, y: mt, width: r1(bw), height: ph, visibility: 'hidden' });
    root.append(band);
    const gw = stacked ? min(bw * 0.7, 56) : min(bw * 0.8, m * 40), w = stacked ? gw : gw / m, gap = !stacked && m > 1 ? min(2, w * 0.15) : 0;
    const pos = new Array(n).fill(0), neg = new Array(n).fill(0);
    ss.forEach((s, i) => {
      const g = S('g', { class: cc(i) });
      for (let j = 0; j < n; j++) {
        const v = nv[i][j];
        if (s.vals[j] === null || !v) continue;
        let a = 0, b = v;
        if (stacked) { if (v > 0) { a = pos[j]; b = pos[j] += v; } else { a = neg[j]; b = neg[j] += v; } }
        const ya = Y(a), yb = Y(b);
        g.append(S('rect', { class: 'chart-bar', x: r1(ml + j * bw + (bw - gw) / 2 + (stacked ? 0 : i * w)), y: min(ya, yb),
          width: r1(max(0.5, w - gap)), height: r1(max(1, Math.abs(yb - ya))), fill: C }));
      }
      root.append(g);
    });
    return {
      n,
      at: (x) => (x < ml || x > ml + pw ? -1 : clamp(floor((x - ml) / bw), 0, n - 1)),
      hover(j) {
        if (j < 0) { band.setAttribute('visibility', 'hidden'); return null; }
        band.setAttribute('x', r1(ml + j * bw));
        band.setAttribute('visibility', 'visible');
        const rows = ss.map((s) => [s.i, s.name || 'Value', money(s.vals[j], currency)]);
        for (const t of tot(j)) rows.push([null, 'Total', t]);
        return { x: ml + (j + 0.5) * bw, y: mt + ph / 2, dx: bw / 2, tip: tipNodes(catLong(cats[j]), rows) };
      },
    };
  }).fig;
}

// Largest first; beyond maxSlices the smallest are summed (exactly) into "Other".
export function donutChart({ slices = [], currency, ariaLabel = '', centerLabel, maxSlices = 8 } = {}) {
  const sl = slices.filter((s) => s && num(s.value) > 0) // the sign of a decimal's Number is exact
    .map((s) => ({ label: String(s.label ?? ''), value: String(s.value) })).sort((a, b) => dec.cmp(b.value, a.value));
  if (!sl.length) return empty('donut', ariaLabel);
  if (sl.length > max(2, maxSlices)) {
    const rest = sl.splice(max(2, maxSlices) - 1);
    sl.push({ label: `Other (${rest.length})`, value: dec.sum(rest.map((s) => s.value)) });
  }
  const total = dec.sum(sl.map((s) => s.value)), tn = num(total);
  let acc = 0;
  sl.forEach((s, i) => {
    s.i = i; s.v = num(s.value); s.a0 = (acc / tn) * TAU; acc += s.v; s.a1 = (acc / tn) * TAU;
    s.pct = percent((s.v / tn).toFixed(6), 1);
    s.money = money(s.value, currency);
  });
  const items = sl.map((s) => h('li', {}, swatch(s.i), el('span', 'chart-legend-label', s.label),
    el('span', 'chart-legend-val', s.money), el('span', 'chart-legend-pct', s.pct)));
  const tbl = table(ariaLabel, ['Category', 'Amount', 'Share'], sl.map((s) => [s.label, s.money, s.pct]));
  const c = frame('donut', ariaLabel, [el('ul', 'chart-legend chart-legend-donut', items), tbl], (root, W) => {
    const Z = min(W, 240), cx = Z / 2, R = Z / 2 - 6, r = r1(R * 0.62), pad = sl.length > 1 ? 2 / r : 0;
    size(root, Z, Z);
    const pt = (a, rr) => `${r1(cx + rr * Math.sin(a))} ${r1(cx - rr * Math.cos(a))}`;
    const arc = (s, RR) => {
      const ring = (q, w) => `M${cx - q} ${cx}A${q} ${q} 0 1 ${w} ${cx + q} ${cx}A${q} ${q} 0 1 ${w} ${cx - q} ${cx}Z`;
      if (sl.length === 1) return ring(RR, 1) + ring(r, 0);
      let a0 = s.a0 + pad / 2, a1 = s.a1 - pad / 2;
      if (a1 - a0 < 0.004) a0 = a1 = (s.a0 + s.a1) / 2, a0 -= 0.002, a1 += 0.002;
      const L = a1 - a0 > Math.PI ? 1 : 0;
      return `M${pt(a0, RR)}A${RR} ${RR} 0 ${L} 1 ${pt(a1, RR)}L${pt(a1, r)}A${r} ${r} 0 ${L} 0 ${pt(a0, r)}Z`;
    };
    const sg = S('g', { class: 'chart-slices' });
    const paths = sl.map((s) => S('path', { class: 'chart-slice ' + cc(s.i), fill: C }));
    sg.append(...paths);
    const cg = S('g', { class: 'chart-center', 'text-anchor': 'middle' });
    root.append(sg, cg);
    const center = (title, value) => {
      clear(cg);
      const max = 2 * r * 0.84, fs = r1(clamp((18 * max) / tw(value, 18, true), 9, 18));
      if (title) cg.append(txt({ class: 'chart-center-title', x: cx, y: cx - 6 }, fit(title, max * 0.95, 12)));
      cg.append(txt({ class: 'chart-center-value', x: cx, y: title ? cx + fs * 0.9 : cx, dy: title ? 0 : '0.35em', 'font-size': fs }, value));
    };
    const center0 = () => center(centerLabel ? '' : 'Total', centerLabel || money(total, currency));
    center0();
    const api = {
      n: sl.length,
      at(x, y) {
        const dx = x - cx, dy = y - cx, d = Math.hypot(dx, dy);
        if (d < r - 4 || d > R + 8) return -1;
        const a = (Math.atan2(dx, -dy) + TAU) % TAU;
        return max(0, sl.findIndex((s) => a < s.a1));
      },
      hover(i) {
        sl.forEach((s, k) => {
          paths[k].classList.toggle('active', k === i);
          paths[k].setAttribute('d', arc(s, k === i ? R + 5 : R));
          items[k].classList.toggle('active', k === i);
        });
        sg.classList.toggle('has-active', i >= 0);
        const s = sl[i];
        if (!s) return center0();
        center(`${s.label} · ${s.pct}`, s.money);
        return { text: `${s.label}: ${s.money}, ${s.pct}` };
      },
    };
    api.hover(-1);
    return api;
  });
  items.forEach((li, i) => {
    li.addEventListener('pointerenter', () => c.show(i));
    li.addEventListener('pointerleave', c.hide);
  });
  return c.fig;
}
