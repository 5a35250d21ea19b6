// Formatting in the browser's locale, and exact decimal arithmetic on money strings (BigInt).
const cache = new Map();
const nf = (key, opts) => cache.get(key) || cache.set(key, new Intl.NumberFormat(undefined, opts)).get(key);
const none = (v) => v === null || v === undefined || v === '';

// Exact: Intl formats a decimal string without going through a float.
export function money(amount, currency) {
  if (none(amount)) return '—';
  try { return nf('m' + currency, { style: 'currency', currency }).format(String(amount)); } catch { return `${amount} ${currency || ''}`.trim(); }
}
export function moneyCompact(amount, currency) {
  if (none(amount)) return '—';
  const n = Number(amount);
  try { return nf('c' + currency, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }).format(n); } catch { return String(n); }
}
export function percent(ratio, digits = 2) {
  return none(ratio) ? '—' : nf('p' + digits, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(String(ratio));
}

// "YYYY-MM-DD" is a local calendar day (not UTC midnight).
function localDate(iso) {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(String(iso));
  return m ? new Date(+m[1], +m[2] - 1, +m[3]) : new Date(iso);
}
const df = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dtf = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fmt = (f, d, iso) => (!iso ? '—' : isNaN(d) ? String(iso) : f.format(d));
export const date = (iso) => fmt(df, localDate(iso), iso);
export const dateTime = (iso) => fmt(dtf, new Date(iso), iso);

// ---- exact decimals: {v: BigInt, s: scale} ----
function parse(str) {
  const m = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(String(str ?? '0').trim());
  if (!m || (m[2] === '' && !m[3])) throw new Error(`not a decimal: ${str}`);
  const frac = m[3] || '', v = BigInt((m[2] || '0') + frac);
  return { v: m[1] === '-' ? -v : v, s: frac.length };
}
const scaled = (p, s) => p.v * 10n ** BigInt(s - p.s);
function toStr(v, s) {
  let digits = (v < 0n ? -v : v).toString();
  if (s > 0) { digits = digits.padStart(s + 1, '0'); digits = digits.slice(0, -s) + '.' + digits.slice(-s); }
  return (v < 0n ? '-' : '') + digits;
}
function op(a, b, f) {
  const pa = parse(a), pb = parse(b), s = Math.max(pa.s, pb.s);
  return f(scaled(pa, s), scaled(pb, s), s);
}
const sgn = (v) => (v < 0n ? -1 : v > 0n ? 1 : 0);

export const dec = {
  parse,
  add: (a, b) => op(a, b, (x, y, s) => toStr(x + y, s)),
  cmp: (a, b) => op(a, b, (x, y) => sgn(x - y)),
  sign: (a) => sgn(parse(a).v),
  abs: (a) => { const p = parse(a); return toStr(p.v < 0n ? -p.v : p.v, p.s); },
  sum: (arr) => (arr || []).reduce((acc, x) => (none(x) ? acc : dec.add(acc, x)), '0'),
  toNumber: (a) => Number(String(a)),
};

// ---- local calendar days, "YYYY-MM-DD" ----
const pad = (n) => String(n).padStart(2, '0');
const iso = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
export const todayISO = () => iso(new Date());
export const startOfMonth = (s) => s.slice(0, 8) + '01';
export const startOfYear = (s) => s.slice(0, 5) + '01-01';
export function addMonths(s, n) {
  const d = localDate(s), t = new Date(d.getFullYear(), d.getMonth() + n, 1);
  t.setDate(Math.min(d.getDate(), new Date(t.getFullYear(), t.getMonth() + 1, 0).getDate()));
  return iso(t);
}

// "FOOD_AND_DRINK" -> "Food and drink"
export function label(value) {
  const s = String(value || '').toLowerCase().replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
