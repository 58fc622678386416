// The viewer's service worker (离线图包): it keeps a copy of the viewer's own public files, so that
// the page opens again with no network — reloaded in a valley, or opened from the phone's home
// screen — and an inspector can then choose an offline package (offline.js).
//
// What it keeps: same-origin GETs without a token of the viewer's files (the page, its modules and
// CSS, the vendored MapLibre and pmtiles), the style, the sprite, the glyphs and the catalog: the
// server's public routes.  Never: tiles and TileJSON (a role's), the JSON API but the catalog (a
// member's data, and answers that must be current), the change stream, /health, /metrics, anything
// asked with an Authorization header, and any answer that is not a 200 or says no-store or private.
//
// How: the network first, always (online the page is exactly what the server serves, and each
// answer refreshes the copy); the copy only when the network fails or is silent for 4 s.  A navigation with no network
// gets the kept page whatever its query.  The page sends the list of what it loaded before this
// worker controlled it ({type: 'keep', urls}), which is then kept the same way.
const CACHE = 'tailings-viewer-1';
const PUBLIC_API = new Set(['/api/catalog']);
const NEVER = /^\/(tiles|api|events|health|metrics)(\/|$)/;

function keepable(url, headers) {
  if (url.origin !== self.location.origin) return false;
  if (headers && headers.has('Authorization')) return false;
  return PUBLIC_API.has(url.pathname) || !NEVER.test(url.pathname);
}

function storable(response) {
  if (!response || response.status !== 200 || response.type !== 'basic') return false;
  const cc = (response.headers.get('Cache-Control') || '').toLowerCase();
  return !/\b(no-store|private)\b/.test(cc);
}

// keep a copy of a network answer under key, when it may be kept; returns the answer, unread
async function store(cache, key, response) {
  if (storable(response)) await cache.put(key, response.clone());
  return response;
}

// a navigation is kept under the page's path alone (?pond=8 and #map views are the same page)
function keyOf(request) {
  if (request.mode !== 'navigate') return request;
  const url = new URL(request.url);
  return new Request(url.origin + url.pathname);
}

// the network, or the copy when the network fails or takes longer than WAIT_MS (a weak signal that
// neither answers nor fails); the network's late answer still refreshes the copy
const WAIT_MS = 4000;
async function networkFirst(event, request) {
  const cache = await caches.open(CACHE);
  const fromNetwork = fetch(request).then(response => store(cache, keyOf(request), response));
  event.waitUntil(fromNetwork.catch(() => null));
  let timer;
  const late = new Promise(resolve => { timer = setTimeout(resolve, WAIT_MS, null); });
  try {
    const first = await Promise.race([fromNetwork, late]);
    if (first) return first;
    return (await cache.match(keyOf(request))) || await fromNetwork;
  } catch (err) {
    const kept = await cache.match(keyOf(request));
    if (kept) return kept;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function keep(urls) {
  const cache = await caches.open(CACHE);
  await Promise.all((urls || []).map(async u => {
    let url;
    try { url = new URL(u, self.location.href); } catch { return; }
    if (!keepable(url, null)) return;
    url.hash = '';
    try {
      await store(cache, url.href, await fetch(url.href, { credentials: 'same-origin' }));
    } catch { /* the network went: kept next time */ }
  }));
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', event => event.waitUntil((async () => {
  for (const name of await caches.keys()) if (name.startsWith('tailings-viewer-') && name !== CACHE) await caches.delete(name);
  await self.clients.claim();
})()));
self.addEventListener('message', event => {
  if (event.data?.type === 'keep') event.waitUntil(keep(event.data.urls).then(() => event.source?.postMessage({ type: 'kept' })));
});
self.addEventListener('fetch', event => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (!keepable(url, request.headers)) return;
  event.respondWith(networkFirst(event, request));
});
