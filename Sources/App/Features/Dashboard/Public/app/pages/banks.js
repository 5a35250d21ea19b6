// Banks: Plaid connections: sync, repair, unlink, link (Plaid's Hosted Link page, or the sandbox's test logins).
import { h } from '../dom.js';
import { api } from '../api.js';
import * as fmt from '../format.js';
import { plural, select, input, field, alertBox, notice, loading, showError, clearErrors, form, submit, button, pair, onLive, accountsMap, muted,
  actions, fill, check } from './common.js';

const BANKS = [['ins_109508', 'First Platypus Bank'], ['ins_109509', 'First Gingham Credit Union'], ['ins_109511', 'Tartan Bank']];
const counts = (r) => `${plural(r.added || 0, 'transaction')} added, ${r.modified || 0} modified, ${r.removed || 0} removed`;
// A link token names Plaid's environment: link-sandbox-…, link-production-…
const sandbox = (t) => t.link_token.startsWith('link-sandbox-');
// Hosted Link: Plaid's own page runs Link (this page loads no code of Plaid's), then sends the person back
// to /banks?link=done; the session to finish waits in sessionStorage meanwhile.
const PENDING = 'fd.hostedLink';
function toPlaid(t, connectionID) {
  sessionStorage.setItem(PENDING, JSON.stringify({ link_token: t.link_token, state: t.state, connection_id: connectionID }));
  location.assign(t.hosted_link_url);
}
const plaidButton = (t, label, connectionID) => t.hosted_link_url && button(label, () => toPlaid(t, connectionID), { 'data-act': 'hosted-link' });

export default async function render(ctx) {
  const root = ctx.root, alert = alertBox(), note = notice(), list = h('div', { class: 'bk-list', attrs: { 'aria-busy': 'true' } }, loading());
  note.className = 'visually-hidden'; // cards show progress
  const progress = new Map(); // connection id -> {text, busy, bad}
  // Banks this page has just linked: their first sync is reported from the link's answer, and its
  // live event (which may arrive before or after that answer) updates the card without a second announcement.
  const linked = new Set();
  let conns = [], accs = new Map();
  const say = (id, p) => {
    progress.set(id, p);
    note.textContent = `${conns.find((c) => c.id === id)?.institution_name || 'Bank'}: ${p.text}`;
  };

  const linkAlert = alertBox(), linkBox = h('div', { class: 'bk-link', hidden: true });
  const linkBtn = button('Link a bank', async () => {
    fill(linkBox, linkAlert);
    clearErrors(null, linkAlert);
    linkBox.hidden = false;
    let t;
    try { t = await api.post('/api/v1/plaid/link-token', undefined, { query: { hosted: true } }); } catch (err) {
      if (err.code !== 'plaid_not_configured') return showError(linkAlert, err);
      return linkBox.append(h('p', { text: 'No Plaid is configured on this server.' }));
    }
    const hosted = plaidButton(t, 'Continue to Plaid to choose your bank');
    if (!sandbox(t)) return linkBox.append(hosted || h('p', { text: 'Plaid did not offer a page to link a bank on.' }));
    if (hosted) linkBox.append(actions(hosted));
    const f = form('bk-sandbox', 'Link a sandbox bank', [
      muted('This server runs against the Plaid sandbox: choose a test bank and its test login.'),
      field('Bank', select('institution_id', BANKS)),
      field('Username', input('username', 'text', { autocomplete: 'off', maxlength: 100 }, 'user_good')),
      field('Password', input('password', 'text', { autocomplete: 'off', maxlength: 100 }, 'pass_good'), { hint: 'error_<CODE> makes the link fail with that Plaid code.' }),
      submit('Link bank',
        button('Cancel', () => { linkBox.hidden = true; linkBtn.focus(); }, {}, 'btn'))],
    async (v) => {
      const pub = await api.post('/api/v1/plaid/sandbox/public-token', v);
      const r = await api.post('/api/v1/plaid/exchange', { public_token: pub.public_token });
      progress.set(r.connection.id, { text: `Linked: ${plural(r.accounts, 'account')}, ${counts(r)}, ${plural(r.holdings, 'holding')}.` });
      linked.add(r.connection.id);
      linkBox.hidden = true;
      await load();
      note.textContent = `${r.connection.institution_name || 'Bank'} linked.`;
    }, linkAlert);
    linkBox.append(f);
    f.elements.institution_id.focus();
  });

  function card(c) {
    const name = c.institution_name || c.institution_id || 'Bank', pr = progress.get(c.id) || {};
    const names = c.account_ids.map((id) => accs.get(id)?.name).filter(Boolean);
    const keepBox = check('keep', 'Keep its accounts and transactions (as manual accounts)', true), keep = keepBox.firstChild;
    const unlink = h('div', { class: 'bk-unlink', hidden: true }, keepBox,
      actions(
        button(`Unlink ${name}`, async () => {
          try {
            await api.del('/api/v1/connections/' + c.id, { query: { keep_history: keep.checked } });
            await load();
            note.textContent = `${name} unlinked.`;
          } catch (err) { showError(alert, err); }
        }, {}, 'btn danger'),
        button('Cancel', () => { unlink.hidden = true; el.querySelector('[data-act=unlink]').focus(); }, {}, 'btn')));
    const el = h('article', { class: 'card bk-conn', attrs: { 'data-id': c.id, 'aria-labelledby': 'bk-' + c.id, 'aria-busy': pr.busy && 'true' } },
      h('div', { class: 'bk-top' }, h('h2', { id: 'bk-' + c.id, text: name }), h('span', { class: 'badge bk-' + c.status, text: fmt.label(c.status) })),
      h('dl', { class: 'pg-stats' }, pair('Last synced', fmt.dateTime(c.last_synced_at)), pair('Last attempt', fmt.dateTime(c.last_attempted_at)),
        pair('Accounts', c.account_ids.length.toLocaleString())),
      names.length > 0 && muted(names.join(' · ')),
      (c.error_code || c.error_message) && h('p', { class: 'neg', text: [c.error_code, c.error_message].filter(Boolean).join(': ') }),
      c.status === 'login_required' && h('p', { text: 'The bank wants you to log in again: update the login, then sync.' }),
      c.new_accounts_available && h('p', { text: 'The bank has accounts you have not shared yet.' }),
      h('p', { class: 'bk-progress' + (pr.bad ? ' neg' : ''), text: pr.busy ? 'Syncing…' : pr.text }),
      actions(
        button('Sync now', () => sync(c), { 'data-act': 'sync', disabled: c.status === 'disabled' || pr.busy }),
        c.status !== 'disabled' && button('Update login', () => repair(c), { 'data-act': 'repair' }, 'btn'),
        button('Unlink', () => { unlink.hidden = false; keep.focus(); }, { 'data-act': 'unlink' }, 'btn')),
      unlink);
    return el;
  }
  async function sync(c) {
    progress.set(c.id, { busy: true });
    draw();
    try {
      say(c.id, { text: `Synced ${fmt.dateTime(new Date())}: ${counts(await api.post(`/api/v1/connections/${c.id}/sync`))}.` });
    } catch (err) { say(c.id, { text: `Sync failed: ${err.message}`, bad: true }); }
    await load();
  }
  // Update mode: Plaid's page takes the login again; back here, the session is finished and synced.
  async function repair(c) {
    try {
      const t = await api.post('/api/v1/plaid/link-token', undefined, { query: { connection_id: c.id, hosted: true } });
      if (t.hosted_link_url) return toPlaid(t, c.id);
      say(c.id, { text: 'Plaid did not offer a page to log in again on.', bad: true });
      draw();
    } catch (err) { showError(alert, err); }
  }
  // Back from Plaid's page: finish its session (new banks are exchanged and synced, a repair is synced).
  async function finishHostedLink() {
    const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
    ctx.setQuery({});
    if (!pending) return;
    try {
      const { results } = await api.post('/api/v1/plaid/hosted-link/complete', pending);
      sessionStorage.removeItem(PENDING); // kept until then: a session not finished yet can be finished later
      for (const r of results) {
        progress.set(r.connection.id, { text: `Linked: ${plural(r.accounts, 'account')}, ${counts(r)}, ${plural(r.holdings, 'holding')}.` });
        linked.add(r.connection.id);
      }
      note.textContent = results.length ? `${results.map((r) => r.connection.institution_name || 'Bank').join(', ')} linked.` : 'Nothing was linked.';
    } catch (err) {
      if (err.code !== 'link_not_finished') sessionStorage.removeItem(PENDING);
      showError(alert, err);
    }
  }
  function draw() {
    const a = document.activeElement, host = a?.closest('[data-id]'), key = host && list.contains(host) && a.dataset.act && `[data-id="${host.dataset.id}"] [data-act=${a.dataset.act}]`;
    fill(list, ...(conns.length ? conns.map(card) : [muted('No banks linked yet.')]));
    list.removeAttribute('aria-busy');
    if (key) list.querySelector(key)?.focus();
  }
  async function load() {
    try {
      [conns, accs] = await Promise.all([api.get('/api/v1/connections').then((r) => r.items), accountsMap()]);
      draw();
    } catch (err) { showError(alert, err); list.removeAttribute('aria-busy'); }
  }

  fill(root, h('div', { class: 'page-head' }, h('h1', { text: 'Banks' }), linkBtn), alert, note, linkBox, list);
  const off = ctx.live.on(['sync.completed', 'sync.failed'], ({ type, data: d = {}, occurred_at: at }) => {
    if (!d.connection_id || progress.get(d.connection_id)?.busy) return; // our own sync: reported from its answer
    const p = type === 'sync.completed' ? { text: `Synced ${fmt.dateTime(at)}: ${counts(d)}.` } : { text: `Sync failed${d.error_code ? ': ' + d.error_code : ''}.`, bad: true };
    if (linked.delete(d.connection_id)) progress.set(d.connection_id, p); else say(d.connection_id, p);
    draw();
  });
  if (off) ctx.onCleanup(off);
  onLive(ctx, ['connections.changed', 'accounts.changed', 'sync.completed', 'sync.failed'], load);
  if (ctx.query.get('link') === 'done') await finishHostedLink();
  await load();
}
