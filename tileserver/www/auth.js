// Signing in (design §9, --auth token): a member's API token, given once by
// tailings.create_token(), is typed into the bar and kept in sessionStorage only (this tab, until
// it is closed; never localStorage, never the URL).  Every request of the viewer to its own server
// carries it as "Authorization: Bearer TOKEN": the JSON API through authFetch(), the tiles through
// MapLibre's transformRequest, the change stream through stream.js.  /api/whoami says whom the
// server takes the request for: the member's name, level and scope shown in the bar.  A token the
// server refuses (401) is said so and not kept.  With --auth none there is nothing to sign in to
// and the form is not shown; with --auth token and no --anonymous-role, nothing is shown but the
// form until a member signs in.  Signing in or out reloads the page, so that nothing read as one
// member (tiles, lists, the pond file, the change stream) is left on screen for the next.
import { countyName } from './counties.js';

const KEY = 'tailings.token';
const NOTE = 'tailings.authNote';   // a message for the page reloaded after a sign-out
const TEXT = {
  zh: {
    token: '访问令牌', signIn: '登录', signOut: '退出', checking: '正在验证令牌…',
    badToken: '令牌无效、已过期或已被吊销，未登录。请向管理员索取新的令牌。',
    expired: '登录已失效（令牌过期或被吊销），已退出，请重新登录。',
    required: '此服务器需要登录：请输入访问令牌。', unreachable: '无法验证令牌：服务器无响应',
    empty: '请先输入访问令牌', signedInAs: '当前用户', anonymous: '未登录（公开地图）',
    levels: { enterprise: '企业', county: '区县', city: '市', province: '省' },
    noMember: '非成员角色',
  },
  en: {
    token: 'Access token', signIn: 'Sign in', signOut: 'Sign out', checking: 'Checking the token…',
    badToken: 'The token is unknown, expired or revoked: not signed in. Ask your administrator for a new one.',
    expired: 'Your session ended (the token expired or was revoked): signed out. Please sign in again.',
    required: 'This server needs you to sign in: enter your access token.', unreachable: 'Could not check the token: no answer from the server',
    empty: 'Enter an access token first', signedInAs: 'Signed in as', anonymous: 'Not signed in (public map)',
    levels: { enterprise: 'Enterprise', county: 'County', city: 'City', province: 'Province' },
    noMember: 'not a member',
  },
};
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

// ---------------------------------------------------------------------------
// the token, and requests that carry it
export function token() {
  try { return sessionStorage.getItem(KEY) || null; } catch { return null; }
}
function setToken(t) {
  try {
    if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY);
  } catch { /* storage refused: the token is not kept, the member signs in again */ }
}
// the token goes to this server only: never to a base map's host or any other origin
function ours(url) {
  try { return new URL(url, location.href).origin === location.origin; } catch { return false; }
}
export function authHeaders(url = location.href, given = undefined) {
  const h = new Headers(given || {});
  const t = token();
  if (t && ours(url)) h.set('Authorization', `Bearer ${t}`);
  return h;
}
// answers made in the page instead of the server's (offline.js: the ponds of an offline package):
// fn(url, init) gives a Response, or null to ask the server
let localAnswers = null;
export function setLocalAnswers(fn) { localAnswers = fn; }
// fetch() with the token for this server's URLs; a 401 to a request that carried one (the token
// expired or was revoked meanwhile) signs the member out
export async function authFetch(url, init = {}) {
  const local = localAnswers?.(url, init);
  if (local) return local;
  const sent = token() && ours(url);
  const r = await fetch(url, { ...init, headers: authHeaders(url, init.headers) });
  if (r.status === 401 && sent && token()) document.dispatchEvent(new CustomEvent('tailings:unauthorized'));
  return r;
}
// MapLibre's transformRequest: the tiles and TileJSON of this server with the token
// A call of the server's JSON API with the member's token, never answered from the HTTP cache:
// { ok, status, body }. A failed call's body always has its status (0: no network) and, when
// the answer was not JSON, its status text as error; a successful answer that is not JSON has
// a null body.
export async function apiCall(path, init = {}) {
  let r;
  try {
    r = await authFetch(path, { cache: 'no-store', ...init });
  } catch {
    return { ok: false, status: 0, body: { status: 0 } };
  }
  let body = null;
  try { body = await r.json(); } catch { body = r.ok ? null : { error: r.statusText }; }
  return { ok: r.ok, status: r.status, body: r.ok ? body : { status: r.status, ...(body || {}) } };
}

export function transformRequest(url) {
  const t = token();
  return t && ours(url) ? { url, headers: { Authorization: `Bearer ${t}` } } : undefined;
}

// the member's scope in words: its level and, for a county or city, the place's name
export function scopeLabel(who, lang) {
  const T = TEXT[lang] || TEXT.zh;
  if (!who?.level) return '';
  const place = who.level === 'county' ? `${countyName(who.scope, lang)}${lang === 'zh' ? `（${who.scope}）` : ` (${who.scope})`}` : who.scope;
  return `${T.levels[who.level] ?? who.level} ${place}`;
}

// ---------------------------------------------------------------------------
// the form in the bar and who is signed in
//   installAuth({ state }) → Promise of who:
//     { auth: 'none'|'token', role, level, scope, display_name, signedIn, required }
//   required: --auth token without an anonymous role and no one signed in (nothing else can load)
export async function installAuth({ state }) {
  const T = () => TEXT[state.lang] || TEXT.zh;
  const box = document.createElement('div');
  box.id = 'auth';
  box.hidden = true;
  box.innerHTML = `
    <form id="signin" autocomplete="off">
      <input type="password" id="token" name="token" spellcheck="false" autocomplete="off">
      <button type="submit" id="signin-go"></button>
    </form>
    <span id="who" hidden><span id="who-name"></span><small id="who-scope"></small>
      <button type="button" id="signout"></button></span>`;
  document.getElementById('lang').before(box);
  // on a phone the bar has no room for the name: it heads the drawer (☰) instead
  const whoSide = document.createElement('p');
  whoSide.id = 'who-side';
  whoSide.hidden = true;
  document.getElementById('side').prepend(whoSide);
  const note = document.createElement('div');
  note.id = 'auth-note';
  note.setAttribute('role', 'alert');
  note.hidden = true;
  document.getElementById('bar').after(note);
  const $ = id => document.getElementById(id);
  let who = null;
  let message = null;   // a key of TEXT, or a function of T
  // the page again as someone else: the first view theirs (the view in the URL was the last
  // person's, who may have seen other ponds)
  const reload = () => {
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    location.reload();
  };

  function say(key) {
    message = key;
    render();
  }
  function render() {
    const t = T();
    $('token').placeholder = t.token;
    $('token').setAttribute('aria-label', t.token);
    $('signin-go').textContent = t.signIn;
    $('signout').textContent = t.signOut;
    const text = typeof message === 'function' ? message(t) : message ? t[message] : '';
    note.textContent = text || '';
    note.hidden = !text;
    note.dataset.kind = message === 'checking' || message === 'required' ? 'info' : 'error';
    if (!who) return;
    box.hidden = who.auth !== 'token';
    $('signin').hidden = who.signedIn;
    $('who').hidden = !who.signedIn;
    if (who.signedIn) {
      $('who-name').textContent = who.display_name || who.role;
      $('who-scope').textContent = who.level ? scopeLabel(who, state.lang) : `${who.role} · ${t.noMember}`;
      $('who').title = `${t.signedInAs}: ${who.display_name || who.role} (${who.role})`;
      whoSide.textContent = `${t.signedInAs}: ${who.display_name || who.role} · ${$('who-scope').textContent}`;
    }
    whoSide.hidden = !who.signedIn;
    box.dataset.state = who.signedIn ? 'signed-in' : who.required ? 'required' : 'anonymous';
  }

  // whoami with the given token (or none): { status, body }
  async function whoami(t) {
    const headers = t ? { Authorization: `Bearer ${t}` } : {};
    const r = await fetch('/api/whoami', { headers, cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch { /* no JSON */ }
    return { status: r.status, body };
  }

  $('signin').addEventListener('submit', async e => {
    e.preventDefault();
    // on a phone the bar has room for the button alone: the first press opens the field under it
    if (!$('token').offsetParent) {
      box.classList.add('open');
      $('token').focus();
      return;
    }
    const t = $('token').value.trim();
    if (!t) { say('empty'); return; }
    say('checking');
    $('signin-go').disabled = true;
    let res;
    try {
      res = await whoami(t);
    } catch {
      $('signin-go').disabled = false;
      say('unreachable');
      return;
    }
    $('signin-go').disabled = false;
    if (res.status === 200 && res.body?.auth === 'token') {
      setToken(t);
      $('token').value = '';
      reload();
      return;
    }
    $('token').value = '';
    say(res.status === 401 ? 'badToken' : 'unreachable');
    $('token').focus();
  });
  $('signout').addEventListener('click', () => {
    setToken(null);
    reload();
  });
  // the server refused the token while it was in use: signed out, the page reloaded as no one,
  // and told so
  document.addEventListener('tailings:unauthorized', () => {
    if (!token()) return;
    setToken(null);
    try { sessionStorage.setItem(NOTE, 'expired'); } catch { /* the reload still signs out */ }
    reload();
  });
  document.addEventListener('tailings:lang', render);

  // who this page is for: the kept token's member, else the anonymous role, else no one
  let t = token();
  let res;
  try {
    message = sessionStorage.getItem(NOTE) === 'expired' ? 'expired' : null;
    sessionStorage.removeItem(NOTE);
  } catch { /* no storage */ }
  try {
    res = await whoami(t);
    if (res.status === 401 && t) {   // kept from before, and since expired or revoked
      setToken(null);
      t = null;
      message = 'expired';
      res = await whoami(null);
    }
  } catch {
    res = { status: 0, body: null };
  }
  if (res.status === 200 && res.body) {
    who = { ...res.body, signedIn: !!t && res.body.auth === 'token', required: false };
  } else if (res.status === 401) {
    who = { auth: 'token', role: null, level: null, scope: null, display_name: null, signedIn: false, required: true };
    message ??= 'required';
  } else {
    // an old server without /api/whoami, or none at all: no sign-in (the map says what failed)
    who = { auth: 'none', role: null, level: null, scope: null, display_name: null, signedIn: false, required: false };
  }
  render();
  if (who.required) $('token').focus();
  state.who = who;
  return who;
}
