// The live events stream: the events URL upgraded to a WebSocket, opened with a single-use ticket and
// resumed with `since`. A WebSocket rather than an EventSource: a browser keeps at most six HTTP/1.1
// connections per server, and an EventSource holds one for good, so a seventh tab would wait forever.
import { api, ApiError } from './api.js';

const handlers = new Set(), statusFns = new Set();
let socket = null, running = false, lastId = null, timer = null, backoff = 1000, generation = 0;

function setStatus(s) {
  if (live.status === s) return;
  live.status = s;
  for (const fn of statusFns) { try { fn(s); } catch (e) { console.error(e); } }
}

function dispatch(ev) {
  for (const hd of handlers) {
    if (hd.all || hd.types.has(ev.type) || ev.type === 'resync') { try { hd.fn(ev); } catch (e) { console.error(e); } }
  }
}

function closeStream() {
  if (socket) { socket.onopen = socket.onmessage = socket.onclose = null; socket.close(); socket = null; }
}

function schedule(delay) {
  clearTimeout(timer);
  if (running) timer = setTimeout(connect, delay);
}

// Ended or failed: a fresh ticket each time, backing off 1 s .. 30 s.
function retryLater() {
  closeStream();
  if (!running) return;
  setStatus(backoff > 1000 || navigator.onLine === false ? 'offline' : 'connecting');
  schedule(backoff);
  backoff = Math.min(backoff * 2, 30000);
}

async function connect() {
  clearTimeout(timer);
  if (!running) return;
  const gen = ++generation;
  closeStream();
  setStatus('connecting');
  let ticket;
  try {
    ({ ticket } = await api.post('/api/v1/events/tickets'));
  } catch (err) {
    if (gen !== generation || !running) return;
    // A 401 after a failed refresh: the session is over (api.js told the shell).
    if (err instanceof ApiError && err.status === 401) live.stop(); else retryLater();
    return;
  }
  if (gen !== generation || !running) return;
  const q = new URLSearchParams({ ticket });
  if (lastId !== null) q.set('since', String(lastId));
  socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/events?${q}`);
  socket.onopen = () => { backoff = 1000; setStatus('live'); };
  socket.onmessage = (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch { return; }
    if (ev.id != null) lastId = ev.id;
    dispatch(ev);
    // Reconnect now: if our session ended, the ticket fails and the shell signs out.
    if (ev.type === 'session.ended') { closeStream(); schedule(0); }
  };
  // Closed by the server (token expired: 4001, session ended: 4003, too slow: 4008, shutting down) or
  // by the network: reconnect with a fresh ticket; an ended session fails there and signs out.
  socket.onclose = () => { if (gen === generation) retryLater(); };
}

function onOnline() { if (running && live.status !== 'live') { backoff = 1000; connect(); } }
function onOffline() { if (running) setStatus('offline'); }

export const live = {
  status: 'offline',
  start() {
    if (running) return;
    running = true;
    backoff = 1000;
    addEventListener('online', onOnline);
    addEventListener('offline', onOffline);
    connect();
  },
  stop() {
    running = false;
    generation++;
    clearTimeout(timer);
    closeStream();
    lastId = null;
    removeEventListener('online', onOnline);
    removeEventListener('offline', onOffline);
    setStatus('offline');
  },
  on(types, fn) {
    const list = [].concat(types);
    const hd = { all: list.includes('*'), types: new Set(list), fn };
    handlers.add(hd);
    return () => handlers.delete(hd);
  },
  onStatus(fn) { statusFns.add(fn); return () => statusFns.delete(fn); },
};

addEventListener('pagehide', () => { generation++; clearTimeout(timer); closeStream(); });
addEventListener('pageshow', (e) => { if (e.persisted && running) connect(); });
