// The shell: sign-in gate, nav, History API router, page lifecycle, live status.
import { h, clear } from './dom.js';
import { api, session, params } from './api.js';
import { live } from './events.js';
import { alertBox } from './pages/common.js';

const APP = 'FinanceDashboard';
const route = (path, page, title, pub) => ({ path, page, title, pub });
const ROUTES = [
  route('/', 'overview', 'Overview'), route('/signin', 'signin', 'Sign in', true), route('/register', 'register', 'Create an account', true),
  route('/accounts', 'accounts', 'Accounts'), route(/^\/accounts\/([^/]+)$/, 'account', 'Account'),
  route('/transactions', 'transactions', 'Transactions'), route('/investments', 'investments', 'Investments'),
  route('/banks', 'banks', 'Banks'), route('/rules', 'rules', 'Rules'), route('/settings', 'settings', 'Settings'),
];
const $ = (id) => document.getElementById(id);
const main = $('app'), header = document.querySelector('.site-header'), navWrap = $('site-nav');
const menuBtn = $('menu-toggle'), statusEl = $('live-status'), signOutBtn = $('sign-out');

let current = null, seq = 0, firstRender = true, booted = false, signingOut = false;

function match(pathname) {
  const p = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  for (const r of ROUTES) {
    if (r.path === p) return { route: r, params: {} };
    const m = r.path instanceof RegExp && r.path.exec(p);
    if (m) { try { return { route: r, params: { id: decodeURIComponent(m[1]) } }; } catch { return null; } }
  }
  return null;
}

const setTitle = (t) => { document.title = t ? `${t} · ${APP}` : APP; };
const here = () => location.pathname + location.search;
const safeNext = (v) => (v && /^\/(?!\/)/.test(v) && !/^\/(signin|register)/.test(v) ? v : '/');
const load = (route) => import(`./pages/${route.page}.js`);

export function navigate(path, { replace = false } = {}) {
  if (path !== here()) {
    history[replace ? 'replaceState' : 'pushState'](null, '', path);
    if (!replace) scrollTo(0, 0);
  }
  render();
}

function leave() {
  if (!current) return;
  current.controller.abort();
  for (const fn of current.cleanups.reverse()) { try { fn(); } catch (e) { console.error(e); } }
  current = null;
}

function focusHeading(root) {
  const h1 = root.querySelector('h1');
  if (h1 && !h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
  (h1 || main).focus();
}

async function render() {
  const token = ++seq;
  leave();
  closeMenu();
  const m = match(location.pathname);
  const signedIn = !!session.user;
  if (m && !m.route.pub && !signedIn) return navigate(here() === '/' ? '/signin' : '/signin?next=' + encodeURIComponent(here()), { replace: true });
  if (m && m.route.pub && signedIn) return navigate(safeNext(new URLSearchParams(location.search).get('next')), { replace: true });

  for (const a of navWrap.querySelectorAll('a')) {
    const href = a.getAttribute('href'), p = location.pathname;
    if (href === '/' ? p === '/' : p === href || p.startsWith(href + '/')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const controller = new AbortController();
  const cleanups = [];
  current = { cleanups, controller };
  const root = h('section', { class: 'page', attrs: { 'aria-busy': 'true' } });
  clear(main).append(root);
  const focus = !firstRender;
  firstRender = false;
  const done = () => {
    root.removeAttribute('aria-busy');
    if (token === seq && focus) focusHeading(root);
  };

  if (!m) {
    setTitle('Page not found');
    root.append(h('h1', { text: 'Page not found' }), h('p', {}, 'There is no page at this address. ', h('a', { attrs: { href: '/' } }, 'Go to the overview'), '.'));
    return done();
  }
  const title = m.route.title;
  setTitle(title);
  root.append(h('p', { class: 'loading', text: 'Loading…' }));
  let mod;
  try {
    mod = await load(m.route);
  } catch (err) {
    if (token !== seq) return done();
    clear(root).append(h('h1', { text: title }), alertBox(`This page could not be loaded. ${err?.message || ''}`.trim()));
    return done();
  }
  if (token !== seq) return;
  clear(root);

  const query = new URLSearchParams(location.search);
  const ctx = {
    root, query, live, setTitle,
    params: m.params,
    user: session.user,
    signal: controller.signal,
    navigate: (path) => navigate(path),
    refreshUser: () => session.reloadUser(),
    signOut,
    setQuery(obj) {
      if (controller.signal.aborted) return;
      for (const k of [...query.keys()]) query.delete(k);
      const qs = params(obj, query).toString();
      history.replaceState(null, '', location.pathname + (qs ? '?' + qs : ''));
    },
    onCleanup(fn) { if (controller.signal.aborted) fn(); else cleanups.push(fn); },
  };
  try {
    await mod.default(ctx);
  } catch (err) {
    if (token !== seq) return done();
    console.error(err);
    if (!root.querySelector('h1')) root.prepend(h('h1', { text: title }));
    root.append(alertBox(`Something went wrong: ${err?.message || err}`));
  }
  done();
}

function closeMenu() {
  header.classList.remove('open');
  menuBtn.setAttribute('aria-expanded', 'false');
}
function updateShell() {
  navWrap.hidden = menuBtn.hidden = statusEl.hidden = !session.user;
  if (!session.user) closeMenu();
}
const LABELS = { live: ['Live', 'Live updates are on'], connecting: ['Connecting…', 'Connecting to live updates'], offline: ['Offline', 'Live updates are off'] };
function showStatus(s) {
  const [text, title] = LABELS[s] || [s, s];
  statusEl.dataset.state = s;
  statusEl.title = title;
  statusEl.querySelector('.live-label').textContent = text;
}

menuBtn.addEventListener('click', () => {
  const open = header.classList.toggle('open');
  menuBtn.setAttribute('aria-expanded', String(open));
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && header.classList.contains('open')) { closeMenu(); menuBtn.focus(); }
});
// Signs out (everywhere: every session first); not read as an expiry.
async function signOut({ everywhere = false } = {}) {
  signOutBtn.disabled = signingOut = true;
  live.stop();
  try {
    if (everywhere) await api.post('/api/v1/auth/logout-all');
    await session.signOut();
  } catch (err) {
    if (session.user) live.start();
    throw err;
  } finally { signOutBtn.disabled = signingOut = false; }
}
signOutBtn.addEventListener('click', () => signOut().catch(() => {}));

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest?.('a[href]');
  if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
  const u = new URL(a.href, location.href);
  if (u.origin !== location.origin || !match(u.pathname)) return;
  if (u.pathname === location.pathname && u.search === location.search && u.hash) return; // in-page anchor
  e.preventDefault();
  navigate(u.pathname + u.search);
});
addEventListener('popstate', () => render());

live.onStatus(showStatus);
live.on(['profile.changed'], (ev) => { if (ev.type !== 'resync' && session.user) session.reloadUser().catch(() => {}); });
showStatus(live.status);

let shownUser = null;
session.onChange((user) => {
  const same = user && shownUser === user.id;
  shownUser = user?.id || null;
  if (!booted) return;
  updateShell();
  if (same) return; // a profile re-read: pages follow profile.changed
  if (user) {
    live.start();
    if (match(location.pathname)?.route.pub) navigate(safeNext(new URLSearchParams(location.search).get('next')), { replace: true });
    else render();
  } else {
    live.stop();
    // Ended elsewhere: come back here after signing in.
    const m = match(location.pathname);
    navigate(signingOut || !m || m.route.pub || here() === '/' ? '/signin' : '/signin?reason=expired&next=' + encodeURIComponent(here()), { replace: true });
  }
});

(async function boot() {
  const m = match(location.pathname);
  if (m) load(m.route).catch(() => {}); // fetched while the session is restored
  const ok = await session.restore().catch(() => false);
  booted = true;
  shownUser = session.user?.id || null;
  updateShell();
  if (ok) live.start();
  render();
})();
