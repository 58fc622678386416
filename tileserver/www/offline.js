// Offline in the field (离线图包): a package made by `tailings-tileserver export --with-files` — a
// PMTiles archive of an area and, beside it, the ponds' files (ID.json, ID.en.json, index.json) —
// chosen by the inspector (the archive and the JSON files, or the folder that holds them) and read
// in the browser: the map's tiles come from the archive through the pmtiles package's FileSource
// and its MapLibre protocol, and the ponds' list and files from the JSON, answered in place of the
// server (auth.js's local answers: GET /api/ponds, /api/ponds/{id}, /api/ponds/{id}/file), so the
// map, a pond's panel and its file open with no network.  The viewer must have been opened once
// while online: its service worker (sw.js, registered by keepForOffline) then keeps the viewer's own
// files, so that the page also opens again with no network, and says so (noNetwork).  While a
// package is open the map is the moment of the export: no past days, no reloads from the change
// stream; 返回在线地图 reloads the page.
import { FileSource, PMTiles, Protocol } from './vendor/pmtiles.mjs';
import { setLocalAnswers } from './auth.js';

const TEXT = {
  zh: {
    title: '离线图包',
    help: '在有网络时用 tailings-tileserver export --with-files 导出图包；在现场选择图包（.pmtiles）及其档案（.json），或选择存放它们的文件夹。地图与档案都从本机读取，不需要网络。',
    files: '选择文件', folder: '选择文件夹',
    noArchive: '没有选择图包（.pmtiles 文件）', notArchive: name => `${name} 不是可读的矢量图包`,
    opening: name => `正在打开 ${name}…`,
    opened: (name, n, files) => `已打开 ${name}：${n} 座尾矿库，${files} 份档案`,
    note: (name, title, at) => `离线图包 ${name}（${title}，导出于 ${at}）：地图与档案来自本机，不联网`,
    noNetwork: '没有网络：在线地图不可用，请选择离线图包。',
    online: '返回在线地图', notInPackage: '这座尾矿库不在离线图包中', badJson: name => `${name} 不是档案文件，已略过`,
  },
  en: {
    title: 'Offline package',
    help: 'Export a package while online with tailings-tileserver export --with-files; in the field choose the archive (.pmtiles) and its pond files (.json), or the folder that holds them. The map and the files are read from this device: no network needed.',
    files: 'Choose files', folder: 'Choose a folder',
    noArchive: 'No archive (.pmtiles file) chosen', notArchive: name => `${name} is not a vector tile archive this viewer can read`,
    opening: name => `Opening ${name}…`,
    opened: (name, n, files) => `${name} open: ${n} ponds, ${files} pond files`,
    note: (name, title, at) => `Offline package ${name} (${title}, exported ${at}): the map and the files come from this device, no network`,
    noNetwork: 'No network: the live map cannot load. Choose an offline package.',
    online: 'Back to the live map', notInPackage: 'This pond is not in the offline package', badJson: name => `${name} is not a pond file: left out`,
  },
};
const $ = id => document.getElementById(id);
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const PMTILES_MVT = 1;

// a pond as GET /api/ponds lists it, from its file's basic information
function summaryOf(basic) {
  return {
    id: basic.id, code: basic.code, name: basic.name, enterprise: basic.enterprise, county_code: basic.county_code,
    level: basic.supervision_level, status: basic.status, score: basic.score, rules: basic.rules,
    errors_failed: basic.errors_failed, warnings_failed: basic.warnings_failed, elements: basic.elements,
    lon: basic.lon, lat: basic.lat,
  };
}

// a pond as GET /api/ponds/{id} gives it (the panel's basic information, its elements by category,
// its completeness and recent changes), from its file
function pondOf(file, kinds) {
  const b = file.basic;
  const elements = {};
  for (const f of file.facilities || []) {
    const cat = f.category ?? kinds.get(f.kind)?.category ?? 'other';
    (elements[cat] ||= []).push({
      id: f.id, kind: f.kind, label: f.kind_label, name: f.name, source: f.source, verified_on: f.verified_on,
      attrs: f.attrs, lon: f.lon, lat: f.lat,
    });
  }
  return {
    id: b.id, code: b.code, name: b.name, enterprise: b.enterprise, county_code: b.county_code,
    level: b.supervision_level, status: b.status, gw_flow_azimuth: b.gw_flow_azimuth, lon: b.lon, lat: b.lat,
    attrs: b.attrs, score: b.score, elements, completeness: file.completeness || [],
    recent_changes: (file.changes || []).slice(0, 20), offline: true,
  };
}

// The service worker (sw.js) that keeps the viewer's own files for a start with no network, and
// what this page loaded before the worker controlled it, sent to the worker to keep as well.  A
// promise of true once kept; false where there is no service worker (a page not on https or
// localhost, or a browser without one).
export async function keepForOffline() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return false;
  try {
    await navigator.serviceWorker.register('sw.js');
    const reg = await navigator.serviceWorker.ready;
    // from when it controls this page every request passes through it: what came before is listed
    if (!navigator.serviceWorker.controller)
      await new Promise(resolve => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    const urls = [location.origin + location.pathname,
      ...performance.getEntriesByType('resource').map(e => e.name).filter(u => u.startsWith(location.origin))];
    return await new Promise(resolve => {
      const channel = e => {
        if (e.data?.type !== 'kept') return;
        navigator.serviceWorker.removeEventListener('message', channel);
        resolve(true);
      };
      navigator.serviceWorker.addEventListener('message', channel);
      reg.active.postMessage({ type: 'keep', urls });
    });
  } catch {
    return false;
  }
}

const answer = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

export function installOffline({ map, maplibregl, state, loadPonds, openPond, closePanel, emit }) {
  const T = () => TEXT[state.lang] || TEXT.zh;
  let protocol = null;

  function render() {
    const t = T();
    $('offline').innerHTML = `<h2>${esc(t.title)}</h2>
      <p class="offline-help">${esc(t.help)}</p>
      <div class="offline-buttons">
        <label class="button">${esc(t.files)}<input type="file" id="offline-files" accept=".pmtiles,.json,application/json" multiple></label>
        <label class="button">${esc(t.folder)}<input type="file" id="offline-folder" webkitdirectory></label>
      </div>
      <p id="offline-status" role="status" aria-live="polite"></p>`;
    for (const id of ['offline-files', 'offline-folder'])
      $(id).addEventListener('change', e => { if (e.target.files.length) open(e.target.files); });
    renderNote();
  }
  function say(text, error = false) {
    const el = $('offline-status');
    el.textContent = text;
    el.classList.toggle('error', error);
  }
  function renderNote() {
    const o = state.offline;
    const note = $('offline-note');
    note.hidden = !o;
    if (!o) return;
    const at = o.meta?.tailings?.exported_at ? new Date(o.meta.tailings.exported_at).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }) : '?';
    const title = (o.meta?.name || o.name).replace(/^Tailings One-Map: /, '');
    note.innerHTML = `<span>${esc(T().note(o.name, title, at))}</span> <button type="button" id="offline-online">${esc(T().online)}</button>`;
    $('offline-online').addEventListener('click', () => location.reload());
  }

  // the answers to the viewer's reads of the ponds while a package is open (auth.js)
  setLocalAnswers((url, init) => {
    const o = state.offline;
    if (!o || (init?.method && init.method.toUpperCase() !== 'GET')) return null;
    const u = new URL(url, location.href);
    if (u.origin !== location.origin) return null;
    const lang = u.searchParams.get('lang') || state.lang;
    const file = id => o.files.get(id)?.[lang] ?? o.files.get(id)?.zh ?? o.files.get(id)?.en;
    let m;
    if (u.pathname === '/api/ponds') return answer(200, o.ponds);
    if ((m = /^\/api\/ponds\/(\d+)(\/file)?$/.exec(u.pathname))) {
      const f = file(Number(m[1]));
      if (!f) return answer(404, { status: 404, error: T().notInPackage });
      return answer(200, m[2] ? f : pondOf(f, state.kinds));
    }
    return null;
  });

  // the tailings source from the archive: its layers taken off, the source replaced, the layers put
  // back where they were (with their filters and visibility as they are now)
  function useArchive(url, header, meta) {
    const style = map.getStyle();
    const order = style.layers.map(l => l.id);
    const using = style.layers.filter(l => l.source === 'tailings');
    for (const l of using) map.removeLayer(l.id);
    map.removeSource('tailings');
    map.addSource('tailings', {
      type: 'vector', tiles: [url], minzoom: header.minZoom, maxzoom: header.maxZoom,
      bounds: [header.minLon, header.minLat, header.maxLon, header.maxLat], attribution: meta?.attribution,
    });
    for (const l of using) {
      const before = order.slice(order.indexOf(l.id) + 1).find(id => map.getLayer(id));
      map.addLayer(l, before);
    }
  }

  async function open(list) {
    const t = T();
    const files = [...list];
    const archive = files.find(f => /\.pmtiles$/i.test(f.name));
    if (!archive) { say(t.noArchive, true); return false; }
    say(t.opening(archive.name));
    const pmtiles = new PMTiles(new FileSource(archive));
    let header, meta;
    try {
      header = await pmtiles.getHeader();
      meta = await pmtiles.getMetadata();
      if (header.tileType !== PMTILES_MVT) throw new Error('not MVT');
    } catch {
      say(t.notArchive(archive.name), true);
      return false;
    }
    // the pond files (ID.json, ID.en.json) and the index, read whole; anything else is left out
    const pondFiles = new Map();
    let index = null;
    const skipped = [];
    for (const f of files.filter(x => /\.json$/i.test(x.name))) {
      let d;
      try { d = JSON.parse(await f.text()); } catch { skipped.push(f.name); continue; }
      if (Array.isArray(d?.ponds) && d.archive) { index = d; continue; }
      if (d?.basic?.id == null) { skipped.push(f.name); continue; }
      const lang = /\.en\.json$/i.test(f.name) ? 'en' : 'zh';
      const id = Number(d.basic.id);
      pondFiles.set(id, { ...pondFiles.get(id), [lang]: d });
    }
    const ponds = index?.ponds?.length ? index.ponds
      : [...pondFiles.values()].map(v => summaryOf((v.zh || v.en).basic)).sort((a, b) => a.code.localeCompare(b.code));
    if (!protocol) {
      protocol = new Protocol();
      maplibregl.addProtocol('pmtiles', protocol.tile);
    }
    protocol.add(pmtiles);
    state.offline = { name: archive.name, header, meta, index, files: pondFiles, ponds };
    useArchive(`pmtiles://${pmtiles.source.getKey()}/{z}/{x}/{y}`, header, meta);
    // what needs the server is put away: the day and the comparison of two, the live dot, the hazards
    // board, the inspection mode, the printed sheet (app.css: body.offline-package)
    $('date').disabled = $('now').disabled = true;
    document.body.classList.add('offline-package');
    renderNote();
    if (!$('panel').hidden) closePanel();
    await loadPonds();
    // a package of one pond opens its file; the map fits the area beside it (above it, on a phone)
    if (ponds.length === 1) await openPond(ponds[0].id);
    const sheet = window.matchMedia('(max-width: 700px)').matches && !$('panel').hidden ? $('panel').offsetHeight : 0;
    const cam = map.cameraForBounds([[header.minLon, header.minLat], [header.maxLon, header.maxLat]],
      { padding: { top: 40, left: 40, right: 40, bottom: 40 + sheet }, maxZoom: 16 });
    // one pond: at its registry point, close enough to see its elements (drawn from zoom 12) even
    // on a phone's small map above the sheet (as app.js's flights to a pond)
    if (cam && ponds.length === 1)
      map.jumpTo({ center: [ponds[0].lon, ponds[0].lat], zoom: Math.max(cam.zoom, 13),
        padding: sheet ? { top: 0, bottom: sheet, left: 0, right: 0 } : undefined });
    else if (cam) map.jumpTo(cam);
    say(`${t.opened(archive.name, ponds.length, pondFiles.size)}${skipped.length ? ` · ${skipped.map(t.badJson).join('；')}` : ''}`);
    emit('offline', { name: archive.name, ponds: ponds.map(p => p.id) });
    return true;
  }

  render();
  document.addEventListener('tailings:lang', () => {
    const status = $('offline-status')?.textContent;
    render();
    if (status) $('offline-status').textContent = status;
  });
  // the page started with no network (app.js): the live map is not there, a package can be
  function noNetwork() {
    say(T().noNetwork, true);
    $('offline').scrollIntoView?.({ block: 'nearest' });
  }
  return { open, opened: () => state.offline, noNetwork };
}
