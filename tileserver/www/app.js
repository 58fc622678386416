// The "one map" viewer of tailings-tileserver: MapLibre GL JS over this server's style, tiles,
// JSON API and change stream.  Everything it shows comes from the server: the symbology from
// /style.json, the labels of kinds and categories from /api/catalog, the ponds from /api/ponds.
import * as maplibregl from './vendor/maplibre-gl.mjs';
import { installIdentify } from './identify.js';
import { installHistory, changeEntry, beforeHistory } from './history.js';

const TEXT = {
  zh: {
    title: '尾矿库环境监管要素一张图', menu: '全市概览与图例', filter: '按编码、名称、企业筛选', asOf: '时点', now: '现在', live: '实时', offline: '未连接',
    overview: '全市概览', legend: '图例', code: '编码', name: '名称', status: '状态', score: '完整度',
    ponds: '尾矿库', level: '级', levelN: n => `${['', '一', '二', '三'][n] || n}级`,
    completeMaps: '图件完整', total: '总数',
    in_use: '在用', suspended: '停用', closed: '闭库',
    fillByStatus: '填色：运行状态', outline: '边线：要素图件', complete: '完整', incomplete: '缺项',
    registryPoint: '仅有登记点位',
    satellite: '卫星遥感', drone: '无人机航测', ground: '实地测量',
    kind: '类型', element: '要素', pond: '所属尾矿库', source: '数据来源', verified: '实地核实',
    yes: '已核实', no: '未核实', openFile: '查看档案',
    basic: '基本信息', enterprise: '企业', county: '区县', supervision: '监管等级', gwFlow: '地下水流向',
    elements: '环境监管要素', rules: '完整性检查', recent: '最近变更', noChanges: '暂无变更记录',
    passed: '通过', failed: '未通过', warning: '提示', present: '已标绘', required: '要求',
    attrs: {
      ore: '矿种', basin: '流域', list_year: '列入年份', pond_type: '库型', dam_height_m: '坝高（米）',
      safety_grade: '安全等级', capacity_10k_m3: '库容（万立方米）',
    },
    counties: { 510402: '东区', 510403: '西区', 510411: '仁和区', 510421: '米易县', 510422: '盐边县' },
    historyNote: d => `地图显示 ${d} 当日结束时的状态；列表与档案为当前数据`,
    loadFailed: '加载失败', lastChange: '最近一次变更',
    azimuth: a => `${a}°`,
  },
  en: {
    title: 'Tailings One-Map', menu: 'Overview and legend', filter: 'Filter by code, name or enterprise', asOf: 'As of', now: 'Now', live: 'Live', offline: 'Offline',
    overview: 'City overview', legend: 'Legend', code: 'Code', name: 'Name', status: 'Status', score: 'Complete',
    ponds: 'Ponds', level: 'Level', levelN: n => `Level ${n}`,
    completeMaps: 'Complete maps', total: 'Total',
    in_use: 'In use', suspended: 'Suspended', closed: 'Closed',
    fillByStatus: 'Fill: status', outline: 'Outline: element maps', complete: 'complete', incomplete: 'incomplete',
    registryPoint: 'registry point only',
    satellite: 'Satellite', drone: 'Drone survey', ground: 'Ground survey',
    kind: 'Kind', element: 'Element', pond: 'Pond', source: 'Source', verified: 'Ground-verified',
    yes: 'yes', no: 'no', openFile: 'Open the pond file',
    basic: 'Basic information', enterprise: 'Enterprise', county: 'County', supervision: 'Supervision',
    gwFlow: 'Groundwater flow',
    elements: 'Supervision elements', rules: 'Completeness check', recent: 'Recent changes', noChanges: 'No changes recorded',
    passed: 'pass', failed: 'fail', warning: 'warning', present: 'drawn', required: 'required',
    attrs: {
      ore: 'Ore', basin: 'Basin', list_year: 'Listed in', pond_type: 'Type', dam_height_m: 'Dam height (m)',
      safety_grade: 'Safety grade', capacity_10k_m3: 'Capacity (10⁴ m³)',
    },
    counties: { 510402: 'Dong District', 510403: 'Xi District', 510411: 'Renhe District', 510421: 'Miyi County', 510422: 'Yanbian County' },
    historyNote: d => `The map shows the end of ${d}; the list and pond files show today's data`,
    loadFailed: 'Could not load', lastChange: 'Last change',
    azimuth: a => `${a}°`,
  },
};

const params = new URLSearchParams(location.search);
// today in the browser's time zone, YYYY-MM-DD
const today = () => new Date().toLocaleDateString('sv');
// d when it is a day (YYYY-MM-DD) strictly before today, else null: the map of today or a later
// day is the live map, asked for without ?at= (the end of today is a moment still to come, whose
// tile could change after it was served)
function pastDay(d) {
  return /^\d{4}-\d{2}-\d{2}$/.test(d || '') && d < today() ? d : null;
}
const state = {
  lang: params.get('lang') === 'en' || params.get('lang') === 'zh' ? params.get('lang')
    : (localStorage.getItem('tailings.lang') || 'zh'),
  at: pastDay(params.get('at')),
  hidden: new Set(JSON.parse(localStorage.getItem('tailings.hidden') || '[]')),
  sort: { key: 'score', dir: 1 }, filter: '',
  catalog: null, kinds: new Map(), ponds: [], pondById: new Map(),
  panelPond: null, rev: 0, changes: 0, lastChange: null, live: false,
};
const t = key => TEXT[state.lang][key] ?? key;
const $ = id => document.getElementById(id);
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
// the viewer's own events, for identify.js and history.js: tailings:pond (a pond file was drawn),
// tailings:date (another day on the map), tailings:lang (the language changed)
const emit = (name, detail) => document.dispatchEvent(new CustomEvent(`tailings:${name}`, { detail }));
const pct = s => `${Math.round((s ?? 0) * 100)}%`;
let map;
let styleColours;

async function getJSON(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

// ---------------------------------------------------------------------------
// tiles: the URL carries ?at= for the map as it was, and a revision that changes on every edit
function tileUrl() {
  const q = new URLSearchParams();
  if (state.at) q.set('at', endOfDay(state.at));
  q.set('v', String(state.rev));
  return `${location.origin}/tiles/all/{z}/{x}/{y}.mvt?${q}`;
}
// the end of a calendar day in the browser's time zone, as an ISO 8601 time
function endOfDay(d) {
  return new Date(`${d}T23:59:59.999`).toISOString();
}
function reloadTiles() {
  state.rev++;
  map.getSource('tailings').setTiles([tileUrl()]);
}

// ---------------------------------------------------------------------------
// the legend: colours and labels come from the style and the catalog
function coloursFromStyle(style) {
  const layer = id => style.layers.find(l => l.id === id);
  const fill = layer('ponds-fill').paint['fill-color'];     // ["match", ["get","status"], v1, c1, ..., fallback]
  const status = {};
  for (let i = 2; i + 1 < fill.length; i += 2) status[fill[i]] = fill[i + 1];
  const outline = layer('ponds-outline').paint['line-color']; // ["case", complete?, c1, c2]
  return { status, complete: outline[2], incomplete: outline[3] };
}

function renderLegend() {
  const c = styleColours;
  $('legend-ponds').innerHTML = `<div class="legend-cat"><label>${esc(t('ponds'))}</label><ul>
    ${Object.entries(c.status).map(([s, col]) =>
      `<li><span class="sym polygon" style="background:${col}55;border-color:${col}"></span>${esc(t(s))}</li>`).join('')}
    <li><span class="sym polygon" style="border-color:${c.complete};border-width:2.5px"></span>${esc(t('complete'))}</li>
    <li><span class="sym polygon" style="border-color:${c.incomplete};border-width:2.5px"></span>${esc(t('incomplete'))}</li>
    <li><span class="sym point" style="background:${c.status.in_use};border-color:${c.incomplete}"></span>${esc(t('registryPoint'))}</li>
  </ul></div>`;
  const lang = state.lang;
  $('legend-categories').innerHTML = state.catalog.categories.map(cat => `
    <div class="legend-cat" data-category="${esc(cat.code)}">
      <label><input type="checkbox" data-category="${esc(cat.code)}" ${state.hidden.has(cat.code) ? '' : 'checked'}>
        <span class="sym polygon" style="background:${cat.colour}55;border-color:${cat.colour}"></span>
        ${esc(cat[`label_${lang}`])}</label>
      <ul>${cat.kinds.map(k => {
        const g = k.geometry.includes('point') ? 'point' : k.geometry.includes('line') ? 'line' : 'polygon';
        const st = g === 'polygon' ? `background:${cat.colour}33;border-color:${cat.colour}` : `background:${cat.colour}`;
        return `<li><span class="sym ${g}" style="${st}"></span>${esc(k[`label_${lang}`])}</li>`;
      }).join('')}</ul>
    </div>`).join('');
}

function applyVisibility() {
  for (const layer of map.getStyle().layers) {
    const code = layer['source-layer'];
    if (code && code !== 'ponds')
      map.setLayoutProperty(layer.id, 'visibility', state.hidden.has(code) ? 'none' : 'visible');
  }
}

// ---------------------------------------------------------------------------
// the city overview
function renderOverview() {
  const ps = state.ponds;
  const by = f => ps.reduce((m, p) => (m[f(p)] = (m[f(p)] || 0) + 1, m), {});
  const levels = by(p => p.level), statuses = by(p => p.status);
  const complete = ps.filter(p => p.score >= 1).length;
  const cell = (label, n, extra = '') => `<div ${extra}><b>${n}</b>${esc(label)}</div>`;
  $('counts').innerHTML = `<div class="counts">
      ${cell(t('total'), ps.length, 'data-count="total"')}
      ${Object.keys(levels).sort().map(l => cell(t('levelN')(Number(l)), levels[l], `data-count="level-${l}"`)).join('')}
    </div><div class="counts">
      ${['in_use', 'suspended', 'closed'].map(s => cell(t(s), statuses[s] || 0, `data-count="${s}"`)).join('')}
    </div><div class="counts">
      ${cell(t('completeMaps'), `${complete}/${ps.length}`, 'data-count="complete"')}
    </div>`;
  const { key, dir } = state.sort;
  const f = state.filter.trim().toLowerCase();
  const shown = f ? ps.filter(p => [p.code, p.name, p.enterprise].some(v => String(v ?? '').toLowerCase().includes(f))) : ps;
  const sorted = [...shown].sort((a, b) => {
    const x = a[key] ?? '', y = b[key] ?? '';
    return (x < y ? -1 : x > y ? 1 : 0) * dir || a.code.localeCompare(b.code);
  });
  for (const th of document.querySelectorAll('#ponds th'))
    th.className = th.dataset.sort === key ? (dir > 0 ? 'asc' : 'desc') : '';
  document.querySelector('#ponds tbody').innerHTML = sorted.map(p => `
    <tr data-pond="${p.id}" tabindex="0" class="${p.id === state.panelPond ? 'selected' : ''}">
      <td>${esc(p.code)}</td><td>${esc(p.name)}</td>
      <td><span class="status" style="background:${styleColours.status[p.status] || '#999'}"></span>${esc(t(p.status))}</td>
      <td data-score="${p.score}"><span class="bar"><i class="${p.score >= 1 ? 'full' : ''}" style="width:${pct(p.score)}"></i></span>${pct(p.score)}</td>
    </tr>`).join('');
}

async function loadPonds() {
  state.ponds = await getJSON('/api/ponds');
  state.pondById = new Map(state.ponds.map(p => [p.id, p]));
  renderOverview();
  map?.getSource('pond-names')?.setData(pondNames());
}

// One name per pond, at its registry point.  The style's own label layer names every piece of a
// boundary that tiles cut, so a pond crossing a tile edge would be named twice.
function pondNames() {
  return {
    type: 'FeatureCollection',
    features: state.ponds.map(p => ({
      type: 'Feature', id: p.id, geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: { id: p.id, name: p.name, status: p.status, score: p.score },
    })),
  };
}
function addPondNames() {
  const { 'source-layer': _, ...own } = map.getStyle().layers.find(l => l.id === 'ponds-label');
  map.addSource('pond-names', { type: 'geojson', data: pondNames() });
  map.addLayer({ ...own, id: 'pond-names', source: 'pond-names' });
  applyPondNames();
}
// The map of a past day goes without names: they come from today's registry, which may differ.
// (Showing the tiles' own label layer instead would change a layer of the tile source while
// setTiles() reloads it, which leaves MapLibre 6 with stale tiles.)
function applyPondNames() {
  map.setLayoutProperty('ponds-label', 'visibility', 'none');
  map.setLayoutProperty('pond-names', 'visibility', state.at ? 'none' : 'visible');
}

// ---------------------------------------------------------------------------
// one pond's file
function flyToPond(id) {
  const p = state.pondById.get(id);
  if (p) map.flyTo({ center: [p.lon, p.lat], zoom: Math.max(map.getZoom(), 14.5), essential: true });
}

async function openPond(id) {
  state.panelPond = id;
  if ($('panel').hidden) {
    $('panel').hidden = false;
    map.resize();   // before any flight to the pond, so that it ends where it should
  }
  for (const tr of document.querySelectorAll('#ponds tbody tr'))
    tr.classList.toggle('selected', Number(tr.dataset.pond) === id);
  let f;
  try {
    f = await getJSON(`/api/ponds/${id}?lang=${state.lang}`);
  } catch (e) {
    $('panel-body').innerHTML = `<p>${esc(t('loadFailed'))}: ${esc(e.message)}</p>`;
    return;
  }
  if (state.panelPond !== id) return;   // another pond was opened meanwhile
  renderPond(f);
}

function renderPond(f) {
  const lang = state.lang;
  const catLabel = code => {
    const c = state.catalog.categories.find(x => x.code === code);
    return c ? c[`label_${lang}`] : code;
  };
  const kindLabel = code => state.kinds.get(code)?.[`label_${lang}`] ?? code;
  const attrs = Object.entries(f.attrs || {}).map(([k, v]) =>
    `<dt>${esc(t('attrs')[k] || k)}</dt><dd>${esc(v)}</dd>`).join('');
  const rules = (f.completeness || []).map(r => {
    const cls = r.passed ? 'ok' : r.severity === 'error' ? 'fail' : 'warn';
    const mark = r.passed ? `✔ ${t('passed')}` : r.severity === 'error' ? `✘ ${t('failed')}` : `! ${t('warning')}`;
    return `<tr data-rule="${esc(r.rule)}" data-passed="${r.passed}">
      <td class="${cls}">${esc(mark)}</td><td>${esc(r.message)}</td></tr>`;
  }).join('');
  const elements = Object.entries(f.elements || {}).map(([cat, items]) => `
    <li data-category="${esc(cat)}"><b>${esc(catLabel(cat))}</b> (${items.length})<ul>${items.map(e => `
      <li data-element="${e.id}">${esc(kindLabel(e.kind))}${e.name && e.name !== e.label ? `：${esc(e.name)}` : ''}
        <small>· ${esc(t(e.source))}${e.verified_on ? ` · ${esc(t('yes'))} ${esc(e.verified_on)}` : ''}</small></li>`).join('')}
    </ul></li>`).join('');
  const changes = (f.recent_changes || []).map(c => changeEntry(c, state)).join('');
  $('panel-body').innerHTML = `
    <h2>${esc(f.name)}</h2>
    <p class="sub">${esc(f.code)} · ${esc(t('levelN')(f.level))} · ${esc(t(f.status))} · ${esc(t('score'))} ${pct(f.score)}</p>
    <h3>${esc(t('basic'))}</h3>
    <dl class="info">
      <dt>${esc(t('enterprise'))}</dt><dd>${esc(f.enterprise)}</dd>
      <dt>${esc(t('county'))}</dt><dd>${esc(t('counties')[f.county_code] || f.county_code)}</dd>
      ${f.gw_flow_azimuth != null ? `<dt>${esc(t('gwFlow'))}</dt><dd>${esc(t('azimuth')(f.gw_flow_azimuth))}</dd>` : ''}
      ${attrs}
    </dl>
    <h3>${esc(t('rules'))}</h3>
    <table class="rules">${rules}</table>
    <h3>${esc(t('elements'))}</h3>
    <ul class="elements">${elements}</ul>
    <h3>${esc(t('recent'))}</h3>
    ${changes ? `<ul class="changes">${changes}</ul>` : `<p>${esc(t('noChanges'))}</p>`}`;
  emit('pond', f);
}

// on phones the overview and legend are a drawer over the map
function setDrawer(open) {
  document.body.classList.toggle('side-open', open);
  $('menu').setAttribute('aria-expanded', String(open));
}

function closePanel() {
  state.panelPond = null;
  $('panel').hidden = true;
  for (const tr of document.querySelectorAll('#ponds tbody tr.selected')) tr.classList.remove('selected');
  map.resize();
}

// ---------------------------------------------------------------------------
// clicks on the map: identify.js lists what is under them; a pond alone opens its file
let elementLayers = [];
const pondLayers = ['ponds-fill', 'ponds-outline', 'ponds-point', 'pond-names'];

function near(point, r = 4) {
  return [[point.x - r, point.y - r], [point.x + r, point.y + r]];
}

// ---------------------------------------------------------------------------
// the date control: the map as it was at the end of a past day; today or a later day is the
// live map (as 现在), which the change stream keeps current
function setDate(d) {
  d = pastDay(d);
  state.at = d;
  $('date').value = d || '';
  $('when').classList.toggle('history', !!d);
  const q = new URLSearchParams(location.search);
  if (d) q.set('at', d); else q.delete('at');
  history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}${location.hash}`);
  renderHistoryNote();
  reloadTiles();
  if (map.getLayer('pond-names')) applyPondNames();
  emit('date', d);
}
function renderHistoryNote() {
  const before = beforeHistory(state);   // a day before the change log begins: nothing is known of it
  $('history-note').hidden = !state.at;
  $('history-note').classList.toggle('before-start', !!before);
  $('history-note').textContent = before || (state.at ? t('historyNote')(state.at) : '');
}

// ---------------------------------------------------------------------------
// live: the server's change stream
let pending = null;
let pendingAll = false;             // a change of no one pond (a template rule), or a reconnect
const changedPonds = new Set();

function setLive(on) {
  state.live = on;
  $('live').className = `live ${on ? 'on' : 'off'}`;
  $('live-text').textContent = t(on ? 'live' : 'offline');
  $('live').title = state.lastChange ? `${t('lastChange')}: ${state.lastChange.toLocaleTimeString()}` : '';
}

function refresh(all) {
  clearTimeout(pending);
  pendingAll ||= all;
  pending = setTimeout(async () => {
    const ponds = new Set(changedPonds);
    all = pendingAll;
    changedPonds.clear();
    pendingAll = false;
    if (!state.at) reloadTiles();   // the map of a past day does not change
    await loadPonds().catch(() => {});
    if (state.panelPond != null && (all || ponds.has(state.panelPond))) openPond(state.panelPond);
  }, 200);
}

function connectEvents() {
  const es = new EventSource('/events');
  let hellos = 0;
  es.addEventListener('hello', () => {
    setLive(true);
    if (hellos++ > 0) refresh(true);   // reconnected: changes may have been missed
  });
  es.addEventListener('change', e => {
    const c = JSON.parse(e.data);
    state.changes++;
    state.lastChange = new Date();
    if (c.pond_id != null) changedPonds.add(Number(c.pond_id));
    setLive(true);
    refresh(c.pond_id == null);
  });
  es.addEventListener('resync', () => refresh(true));
  es.onerror = () => setLive(false);
}

// ---------------------------------------------------------------------------
// language
function applyLanguage() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  $('lang').textContent = state.lang === 'zh' ? 'English' : '中文';
  setLive(state.live);
  renderLegend();
  renderOverview();
  renderHistoryNote();
  emit('lang', state.lang);
  if (state.panelPond != null) openPond(state.panelPond);
}

// ---------------------------------------------------------------------------
async function main() {
  const [style, tilejson, catalog] = await Promise.all([
    getJSON('/style.json'), getJSON('/tiles/all.json'), getJSON('/api/catalog'),
  ]);
  state.catalog = catalog;
  for (const c of catalog.categories)
    for (const k of c.kinds) state.kinds.set(k.code, { ...k, category: c.code });
  styleColours = coloursFromStyle(style);
  // tiles listed directly, not through the TileJSON url, so that setTiles() can change them
  style.sources.tailings = {
    type: 'vector', tiles: [tileUrl()], minzoom: tilejson.minzoom, maxzoom: 16,
    bounds: tilejson.bounds, attribution: tilejson.attribution,
  };
  elementLayers = style.layers.filter(l => l['source-layer'] && l['source-layer'] !== 'ponds').map(l => l.id);
  await loadPonds();

  map = new maplibregl.Map({
    container: 'map', style, hash: true, maxZoom: 20,
    center: tilejson.center ? tilejson.center.slice(0, 2) : [101.7, 26.6], zoom: tilejson.center ? tilejson.center[2] : 9,
    localIdeographFontFamily: '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    attributionControl: { compact: true },
  });
  if (!location.hash && tilejson.bounds)
    map.fitBounds([[tilejson.bounds[0], tilejson.bounds[1]], [tilejson.bounds[2], tilejson.bounds[3]]], { padding: 40, animate: false });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-left');
  map.on('load', () => {
    addPondNames();
    applyVisibility();
  });
  const identify = installIdentify({ map, state, getJSON, openPond });
  const past = installHistory({ map, state, getJSON, identify, renderHistoryNote });
  map.on('mousemove', e => {
    const hit = map.queryRenderedFeatures(near(e.point), { layers: pondLayers.concat(elementLayers) }).length > 0;
    map.getCanvas().style.cursor = hit ? 'pointer' : '';
  });

  $('date').max = today();
  $('date').addEventListener('change', () => setDate($('date').value));
  $('now').addEventListener('click', () => setDate(null));
  $('lang').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('tailings.lang', state.lang);
    applyLanguage();
  });
  $('legend-categories').addEventListener('change', e => {
    const code = e.target.dataset.category;
    if (!code) return;
    if (e.target.checked) state.hidden.delete(code); else state.hidden.add(code);
    localStorage.setItem('tailings.hidden', JSON.stringify([...state.hidden]));
    applyVisibility();
  });
  document.querySelector('#ponds thead').addEventListener('click', e => {
    const key = e.target.dataset.sort;
    if (!key) return;
    state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
    renderOverview();
  });
  const choose = e => {
    const tr = e.target.closest('tr[data-pond]');
    if (!tr) return;
    setDrawer(false);
    openPond(Number(tr.dataset.pond));
    flyToPond(Number(tr.dataset.pond));
  };
  document.querySelector('#ponds tbody').addEventListener('click', choose);
  document.querySelector('#ponds tbody').addEventListener('keydown', e => { if (e.key === 'Enter') choose(e); });
  document.addEventListener('keydown', e => {
    if (e.key === 'Escape') {
      if (identify.close()) return;
      if (state.panelPond != null) closePanel();
    }
  });
  $('panel-close').addEventListener('click', closePanel);
  $('filter').addEventListener('input', () => {
    state.filter = $('filter').value;
    renderOverview();
  });
  $('menu').addEventListener('click', () => setDrawer(!document.body.classList.contains('side-open')));
  if (state.at) $('date').value = state.at, $('when').classList.add('history');
  else if (params.has('at')) {   // ?at= today, a later day or no day: the live map, and the URL says so
    params.delete('at');
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  }
  applyLanguage();
  connectEvents();
  // for the browser tests and for anyone at the console
  window.tailingsViewer = { map, state, openPond, setDate, identify, history: past };
}

main().catch(e => {
  console.error(e);
  document.body.insertAdjacentHTML('afterbegin', `<p style="background:#ffe3e3;margin:0;padding:6px">${esc(t('loadFailed'))}: ${esc(e.message)}</p>`);
});
