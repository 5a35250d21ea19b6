// JSON API client and the web session. The access token lives in memory only;
// the refresh token is an HttpOnly cookie set by /api/v1/auth/web/*.
export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message || `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'error';
    this.fields = fields || {};
  }
}

let token = null, refreshing = null, renewTimer = null;
const listeners = new Set();
// A hint (not a secret) that this browser holds a session cookie: a first visit asks nothing.
const HINT = 'fd.session';
const hint = (on) => { try { if (on) localStorage.setItem(HINT, '1'); else localStorage.removeItem(HINT); } catch { /* private mode */ } };
const hinted = () => { try { return localStorage.getItem(HINT) === '1'; } catch { return true; } };

// Query parameters from an object: null, undefined and '' left out, arrays repeated.
export function params(obj, q = new URLSearchParams()) {
  for (const [k, v] of Object.entries(obj || {})) for (const x of [].concat(v)) if (x != null && x !== '') q.append(k, x);
  return q;
}
// '/accounts' = '/api/v1/accounts'.
function url(path, query) {
  const u = path.startsWith('/api/') ? path : '/api/v1' + (path.startsWith('/') ? '' : '/') + path;
  const qs = params(query).toString();
  return qs ? u + (u.includes('?') ? '&' : '?') + qs : u;
}

async function errorFrom(res) {
  let e = null;
  try { e = (await res.json()).error; } catch { /* not JSON */ }
  return new ApiError(res.status, e?.code, e?.message || `${res.status} ${res.statusText}`.trim(), e?.fields);
}

async function raw(method, path, { query, body, contentType, accept = 'application/json', headers = {}, signal, auth = true } = {}) {
  const hd = { Accept: accept, ...headers };
  if (body !== undefined && contentType) hd['Content-Type'] = contentType;
  if (auth && token) hd.Authorization = `Bearer ${token}`;
  try {
    return await fetch(url(path, query), { method, headers: hd, body, signal, credentials: 'same-origin' });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
}

async function request(method, path, opts = {}, asBlob = false) {
  const sent = token;
  let res = await raw(method, path, opts);
  // On a 401: another call may have refreshed already; else refresh once (shared) and retry.
  if (res.status === 401 && opts.auth !== false && ((token && token !== sent) || await session.refresh())) res = await raw(method, path, opts);
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return null;
  if (asBlob) return res.blob(); // a large export stays out of JavaScript strings
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

const withBody = (method) => (path, body, options = {}) =>
  request(method, path, { ...options, body: body === undefined ? undefined : JSON.stringify(body), contentType: 'application/json' });

export const api = {
  get: (path, query, options = {}) => request('GET', path, { ...options, query: { ...options.query, ...query } }),
  post: withBody('POST'),
  patch: withBody('PATCH'),
  del: (path, options = {}) => request('DELETE', path, options),
  upload: (path, blob, contentType, options = {}) =>
    request('POST', path, { ...options, body: blob, contentType: contentType || blob.type || 'application/octet-stream' }),
  blob: (path, query, options = {}) => request('GET', path, { accept: 'text/csv, */*', ...options, query: { ...options.query, ...query } }, true),
};

function setUser(u) {
  const changed = (session.user?.id || null) !== (u?.id || null);
  session.user = u;
  if (changed) emit();
}
function emit() { for (const fn of listeners) { try { fn(session.user); } catch (e) { console.error(e); } } }

async function takeToken(res) {
  if (!res.ok) throw await errorFrom(res);
  const data = await res.json();
  token = data.access_token;
  hint(true);
  // Renew before expiry, so neither requests nor the events stream meet a stale token.
  clearTimeout(renewTimer);
  const secs = Number(data.expires_in) || 0;
  if (secs > 60) renewTimer = setTimeout(() => { if (token) session.refresh(); }, (secs - 45) * 1000);
}
function dropToken() { token = null; clearTimeout(renewTimer); hint(false); }
const me = () => api.get('/api/v1/users/me');

export const session = {
  user: null,

  // One refresh at a time, across this browser's tabs too (they share the cookie, and a refresh token
  // works once: two at once would look like a stolen copy and end the session). Web Locks queue them,
  // so each tab refreshes with the cookie the one before it left.
  refresh() {
    const call = () => raw('POST', '/api/v1/auth/web/refresh', { auth: false });
    refreshing ||= (async () => {
      try {
        await takeToken(await (navigator.locks ? navigator.locks.request('finance-refresh', call) : call()));
        return true;
      } catch (err) {
        if (err && err.status === 0) return false; // offline: the session may still be good
        dropToken();
        if (session.user) setUser(null);
        return false;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  },

  async restore() {
    if (!hinted() || !(await session.refresh())) return false;
    try { setUser(await me()); return true; } catch { dropToken(); setUser(null); return false; }
  },

  async signIn(email, password) {
    await takeToken(await raw('POST', '/api/v1/auth/web/login', { auth: false, body: JSON.stringify({ email, password }), contentType: 'application/json' }));
    setUser(await me());
    return session.user;
  },

  async register(email, password, fullName, baseCurrency) {
    await api.post('/api/v1/auth/register', { email, password, full_name: fullName, base_currency: baseCurrency || undefined }, { auth: false });
    return session.signIn(email, password);
  },

  async signOut() {
    try { await raw('POST', '/api/v1/auth/web/logout'); } catch { /* signed out here regardless */ }
    dropToken();
    setUser(null);
  },

  async reloadUser() {
    session.user = await me();
    emit();
    return session.user;
  },

  onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
};
