// The "one map" viewer of tailings-tileserver: MapLibre GL JS over this server's style, tiles,
// JSON API and change stream.  Everything it shows comes from the server: the symbology from
// /style.json, the labels of kinds and categories from /api/catalog, the ponds from /api/ponds.
import * as maplibregl from './vendor/maplibre-gl.mjs';
import { installIdentify } from './identify.js';
import { installHistory, changeEntry, beforeHistory } from './history.js';
import { bandOf, bandSymbol, bandsOf, evaluate, kindLayers, lineSymbol, loadSprite, pointSymbol, polygonSymbol, spriteIcon } from './legend.js';
import { Basemaps } from './basemaps.js';
import { circle } from './geo.js';
import { PondSearch } from './search.js';
import { COUNTIES, countyName as countyNameIn } from './counties.js';
import { authFetch, installAuth, token, transformRequest } from './auth.js';
import { AuthEventSource } from './stream.js';
import { installReview } from './review.js';
import { installFilePanel } from './filepanel.js';
import { installHazards } from './hazards.js';
import { installInspect } from './inspect.js';
import { installOffline, keepForOffline } from './offline.js';

const TEXT = {
  zh: {
    title: '尾矿库环境监管要素一张图', menu: '全市概览与图例', filter: '搜索：区县、企业、名称、要素或经纬度', asOf: '时点', now: '现在', live: '实时', offline: '未连接',
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
    historyNote: d => `地图显示 ${d} 当日结束时的状态；列表与档案为当前数据`,
    allCounties: '全部区县', allLevels: '全部等级', allStatuses: '全部状态', pondCol: '尾矿库', failedCol: '未通过',
    failedN: n => `${n}项未通过`, noMatch: q => `没有与“${q}”匹配的尾矿库、区县、企业或要素`,
    searching: '正在检索要素名称…', found: n => `找到${n}座尾矿库`, viaElement: '要素',
    nearest: (q, n) => `距 ${q} 最近的${n}座尾矿库`, km: m => `${(m / 1000).toFixed(1)} 公里`,
    filtered: (n, all) => `显示 ${n}/${all} 座`, clear: '清除筛选',
    basemap: '底图', noBasemap: '无底图', print: '打印',
    bands: '完整度（颜色与形状）', pointPond: '点：登记位置', statusFill: '填色：运行状态',
    ringVerified: '外环实线：已实地核实', ringUnverified: '外环：未核实', gwFlowArrow: '地下水流向',
    ring5km: '所选尾矿库5公里范围（完整性规则）', flowArrow: '箭头：流向',
    loadFailed: '加载失败', lastChange: '最近一次变更',
    azimuth: a => `${a}°`,
    signInFirst: '请先登录：在右上角输入访问令牌。此服务器不向未登录的访问者提供地图。',
  },
  en: {
    title: 'Tailings One-Map', menu: 'Overview and legend', filter: 'Search: county, enterprise, name, element or lon/lat', asOf: 'As of', now: 'Now', live: 'Live', offline: 'Offline',
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
    historyNote: d => `The map shows the end of ${d}; the list and pond files show today's data`,
    allCounties: 'All counties', allLevels: 'All levels', allStatuses: 'All statuses', pondCol: 'Pond', failedCol: 'Failed',
    failedN: n => `${n} failed`, noMatch: q => `Nothing matches “${q}”: no pond, county, enterprise or element`,
    searching: 'Searching element names…', found: n => `${n} ponds found`, viaElement: 'element',
    nearest: (q, n) => `The ${n} ponds nearest to ${q}`, km: m => `${(m / 1000).toFixed(1)} km`,
    filtered: (n, all) => `${n} of ${all} shown`, clear: 'Clear filters',
    basemap: 'Base map', noBasemap: 'None', print: 'Print',
    bands: 'Completeness (colour and shape)', pointPond: 'point: registry location', statusFill: 'Fill: status',
    ringVerified: 'Solid ring: ground-verified', ringUnverified: 'Ring: not verified', gwFlowArrow: 'Groundwater flow',
    ring5km: '5 km of the selected pond (completeness rule)', flowArrow: 'arrow: direction of flow',
    loadFailed: 'Could not load', lastChange: 'Last change',
    azimuth: a => `${a}°`,
    signInFirst: 'Sign in first: enter your access token at the top right. This server shows no map to visitors who have not signed in.',
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
  // the list's and the map's filters: county code, level, status, complete maps only
  facets: { county: '', level: '', status: '', complete: false },
  style: null, sprite: null, bands: null, found: null,
  catalog: null, kinds: new Map(), ponds: [], pondById: new Map(),
  panelPond: null, rev: 0, changes: 0, lastChange: null, live: false, lastChangeId: 0, tileVersion: '0',
};
const t = key => TEXT[state.lang][key] ?? key;
const $ = id => document.getElementById(id);
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
// the viewer's own events, for identify.js, history.js and review.js: tailings:pond (a pond file
// was drawn), tailings:open-pond (one is being opened), tailings:panel-closed, tailings:date
// (another day on the map), tailings:lang (the language changed), tailings:refreshed (the list and
// tiles reloaded after changes came down the change stream), tailings:change (one change of the
// stream, as it came: table, pond_id, ...), tailings:resync (changes may have been missed)
const emit = (name, detail) => document.dispatchEvent(new CustomEvent(`tailings:${name}`, { detail }));
const pct = s => `${Math.round((s ?? 0) * 100)}%`;
let map;
let styleColours;
let basemaps;
let searchMarker;
const phone = () => window.matchMedia('(max-width: 700px)').matches;

// a JSON answer of this server, asked with the member's token when one is signed in (auth.js)
async function getJSON(path) {
  const r = await authFetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

// ---------------------------------------------------------------------------
// tiles: the URL carries ?at= for the map as it was, and v=: the id of the last change this viewer
// was told of, so that after an edit its tiles are asked anew, under the same URLs for every viewer
// (a shared cache in front of several tile servers, docker/nginx.conf, then sends all but the first
// from its store; README, "Scaling out"); after a resync, a v= of this viewer's own
function tileUrl() {
  const q = new URLSearchParams();
  if (state.at) q.set('at', endOfDay(state.at));
  q.set('v', state.tileVersion);
  return `${location.origin}/tiles/all/{z}/{x}/{y}.mvt?${q}`;
}
// the end of a calendar day in the browser's time zone, as an ISO 8601 time
function endOfDay(d) {
  return new Date(`${d}T23:59:59.999`).toISOString();
}
function reloadTiles() {
  if (state.offline) return;   // an offline package's map is the moment of its export (offline.js)
  state.rev++;
  map.getSource('tailings').setTiles([tileUrl()]);
}

// ---------------------------------------------------------------------------
// the legend: the very symbols of the map, read from the style's layers and the sprite
function coloursFromStyle(style) {
  const layer = id => style.layers.find(l => l.id === id);
  const status = {};
  for (const s of ['in_use', 'suspended', 'closed']) status[s] = evaluate(layer('ponds-fill')?.paint?.['fill-color'], { status: s });
  return { status };
}

function renderLegend() {
  const { style, sprite } = state;
  const lang = state.lang;
  const li = (sym, label, extra = '') => `<li ${extra}><span class="syms">${sym}</span><span>${esc(label)}</span></li>`;
  const pondLayers = style.layers.filter(l => l['source-layer'] === 'ponds' && l.id !== 'ponds-label');
  const fill = pondLayers.find(l => l.id === 'ponds-fill');
  // bands: the point symbol and the boundary (outline and hatching) of each, as the map draws them
  const bands = state.bands || [{ code: 'complete', floor: 1, label_zh: t('complete'), label_en: t('complete') },
    { code: 'incomplete', floor: 0, label_zh: t('incomplete'), label_en: t('incomplete') }];
  const bandRows = bands.map(b => {
    const props = { score: b.floor, status: 'in_use', anchor: false, failed: b.floor >= 1 ? 0 : 1 };
    return li(`${pointSymbol(pondLayers.filter(l => l.id !== 'ponds-gw-flow'), sprite, props)}${polygonSymbol(pondLayers.filter(l => l !== fill), sprite, props)}`,
      b[`label_${lang}`] ?? b.code, `data-band="${esc(b.code)}"`);
  }).join('');
  const statusRows = Object.keys(styleColours.status).map(s =>
    li(polygonSymbol([{ type: 'fill', paint: { 'fill-color': styleColours.status[s], 'fill-opacity': fill?.paint?.['fill-opacity'] ?? 0.25 } }], sprite, {}), t(s),
      `data-status="${esc(s)}"`)).join('');
  // the verified ring, as the first point kind with a ring draws it
  const ringKind = [...state.kinds.values()].find(k => k.geometry.includes('point'));
  const ringLayers = ringKind ? kindLayers(style, ringKind.code).point : [];
  const ring = style.metadata?.['tailings:ring'];
  const flow = style.layers.find(l => l.id === 'ponds-gw-flow');
  const flowIcon = flow && spriteIcon(sprite, evaluate(flow.layout?.['icon-image'], { gw_flow_azimuth: 0 }), evaluate(flow.layout?.['icon-size'], {}) ?? 1, 'over');
  $('legend-ponds').innerHTML = `<div class="legend-cat"><label>${esc(t('ponds'))}</label>
    <h3 class="legend-sub">${esc(t('bands'))}</h3><ul class="bands">${bandRows}</ul>
    <h3 class="legend-sub">${esc(t('statusFill'))}</h3><ul>${statusRows}</ul>
    <ul>
      ${flowIcon ? li(`<span class="sym point-sym">${flowIcon}</span>`, t('gwFlowArrow'), 'data-legend="gw-flow"') : ''}
      ${li(`<span class="sym line-sym"><svg width="44" height="16" aria-hidden="true"><line x1="3" y1="8" x2="41" y2="8" stroke="${RING_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/></svg></span>`, t('ring5km'), 'data-legend="ring5km"')}
      ${ringLayers.length ? li(pointSymbol(ringLayers, sprite, { kind: ringKind.code, verified: true }), ring?.verified?.[`label_${lang}`] ?? t('ringVerified'), 'data-legend="verified"') +
        li(pointSymbol(ringLayers, sprite, { kind: ringKind.code, verified: false }), ring?.unverified?.[`label_${lang}`] ?? t('ringUnverified'), 'data-legend="unverified"') : ''}
    </ul></div>`;
  $('legend-categories').innerHTML = state.catalog.categories.map(cat => `
    <div class="legend-cat" data-category="${esc(cat.code)}">
      <label><input type="checkbox" data-category="${esc(cat.code)}" ${state.hidden.has(cat.code) ? '' : 'checked'}>
        <span class="sym swatch" style="background:${cat.colour}55;border-color:${cat.colour}"></span>
        ${esc(cat[`label_${lang}`])}</label>
      <ul>${cat.kinds.map(k => {
        const layers = kindLayers(style, k.code);
        const props = { kind: k.code, verified: true };
        const syms = [
          layers.point.length ? pointSymbol(layers.point, sprite, props) : '',
          layers.line.length ? lineSymbol(layers.line, sprite, k.directed, props) : '',
          layers.polygon.length ? polygonSymbol(layers.polygon, sprite, props) : '',
        ].join('');
        return `<li data-kind="${esc(k.code)}"><span class="syms">${syms}</span><span>${esc(k[`label_${lang}`])}</span></li>`;
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
// the city overview: summary cards (which are filters), filters, the search and the list
const countyName = code => countyNameIn(code, state.lang);
const countyNames = code => [COUNTIES[code]?.zh, COUNTIES[code]?.en, code].filter(Boolean);
const search = new PondSearch();

// the ponds the cards and filters let through (the search aside)
function facetMatch(p) {
  const f = state.facets;
  return (!f.county || p.county_code === f.county) && (!f.level || String(p.level) === f.level) &&
    (!f.status || p.status === f.status) && (!f.complete || p.score >= 1);
}
const anyFacet = () => Object.values(state.facets).some(Boolean);

// the search: a text query lists the ponds it finds; coordinates list the nearest ponds
function runSearch() {
  const q = state.filter.trim();
  state.found = search.find(q, state.ponds, countyNames);
  // a text that finds no pond by its own fields: look into the element names, once fetched
  if (state.found.kind === 'text' && !search.loaded() && state.found.ponds.length === 0) {
    search.load(state.ponds).then(() => { if (state.filter.trim() === q) { runSearch(); renderOverview(); } });
  }
}

function shownPonds() {
  const f = state.found;
  if (!f || f.kind === 'all') return state.ponds.filter(facetMatch).map(p => ({ pond: p }));
  return f.ponds.filter(h => facetMatch(h.pond));
}

function renderOverview() {
  const ps = state.ponds;
  const by = f => ps.reduce((m, p) => (m[f(p)] = (m[f(p)] || 0) + 1, m), {});
  const levels = by(p => p.level), statuses = by(p => p.status), counties = by(p => p.county_code);
  const complete = ps.filter(p => p.score >= 1).length;
  const F = state.facets;
  const card = (label, n, count, pressed) =>
    `<button type="button" data-count="${count}" aria-pressed="${pressed}"><b>${n}</b>${esc(label)}</button>`;
  $('counts').innerHTML = `<div class="counts">
      ${card(t('total'), ps.length, 'total', !anyFacet())}
      ${Object.keys(levels).sort().map(l => card(t('levelN')(Number(l)), levels[l], `level-${l}`, F.level === l)).join('')}
    </div><div class="counts">
      ${['in_use', 'suspended', 'closed'].map(s => card(t(s), statuses[s] || 0, s, F.status === s)).join('')}
    </div><div class="counts">
      ${card(t('completeMaps'), `${complete}/${ps.length}`, 'complete', F.complete)}
    </div>`;
  const option = (v, label, cur) => `<option value="${esc(v)}"${v === cur ? ' selected' : ''}>${esc(label)}</option>`;
  $('f-county').innerHTML = option('', t('allCounties'), F.county) +
    Object.keys(counties).sort().map(c => option(c, `${countyName(c)} (${counties[c]})`, F.county)).join('');
  $('f-level').innerHTML = option('', t('allLevels'), F.level) +
    Object.keys(levels).sort().map(l => option(l, t('levelN')(Number(l)), F.level)).join('');
  $('f-status').innerHTML = option('', t('allStatuses'), F.status) +
    ['in_use', 'suspended', 'closed'].map(s => option(s, t(s), F.status)).join('');

  const { key, dir } = state.sort;
  const hits = shownPonds();
  const found = state.found;
  const byDistance = found?.kind === 'coords';
  const sorted = byDistance ? hits : [...hits].sort((a, b) => {
    const x = a.pond[key] ?? '', y = b.pond[key] ?? '';
    return (x < y ? -1 : x > y ? 1 : 0) * dir || a.pond.code.localeCompare(b.pond.code);
  });
  for (const th of document.querySelectorAll('#ponds th[data-sort]')) {
    const on = th.dataset.sort === key && !byDistance;
    th.className = on ? (dir > 0 ? 'asc' : 'desc') : '';
    th.setAttribute('aria-sort', on ? (dir > 0 ? 'ascending' : 'descending') : 'none');
  }
  document.querySelector('#ponds tbody').innerHTML = sorted.map(({ pond: p, m, elements }) => {
    const band = bandOf(state.bands, p.score);
    const failed = p.errors_failed ?? p.failed ?? 0;
    const extra = m != null ? ` · ${esc(t('km')(m))}`
      : elements?.length ? ` · ${esc(t('viaElement'))}：${elements.slice(0, 3).map(e => esc(e.name)).join('、')}` : '';
    return `
    <tr data-pond="${p.id}" data-county="${esc(p.county_code)}" tabindex="0" class="${p.id === state.panelPond ? 'selected' : ''}">
      <td><span class="pname">${esc(p.name)}</span><small>${esc(p.code)} · <span data-county-name>${esc(countyName(p.county_code))}</span>${extra}</small></td>
      <td><span class="status" style="background:${styleColours.status[p.status] || '#999'}"></span>${esc(t(p.status))}</td>
      <td data-score="${p.score}" data-band="${band ? esc(band.code) : ''}" title="${band ? esc(band[`label_${state.lang}`]) : ''}">
        ${state.bands ? bandSymbol(band, state.sprite) : `<span class="bar"><i class="${p.score >= 1 ? 'full' : ''}" style="width:${pct(p.score)}"></i></span>`}${pct(p.score)}</td>
      <td data-failed="${failed}" class="${failed ? 'has-failed' : ''}" title="${esc(t('failedN')(failed))}">${failed}</td>
    </tr>`;
  }).join('');
  // what the search found, or that it found nothing
  const q = state.filter.trim();
  let note = '';
  if (found?.kind === 'coords') note = t('nearest')(q, hits.length);
  else if (found?.kind === 'text' && hits.length === 0)
    note = found.elementsSearched || search.loaded() ? t('noMatch')(q) : t('searching');
  else if (found?.kind === 'text') note = t('found')(hits.length);
  if (anyFacet() || found?.kind === 'text') note = `${note}${note ? ' · ' : ''}${t('filtered')(hits.length, ps.length)}`;
  $('search-note').textContent = note;
  $('search-note').dataset.empty = String(found?.kind === 'text' && hits.length === 0 && search.loaded());
  $('clear-filters').hidden = !anyFacet() && !q;
  applyMapFilter(byDistance ? state.ponds.filter(facetMatch) : hits.map(h => h.pond));
}

// the map shows the ponds the list shows, and only their elements
let baseFilters = null;   // each pond and element layer's own filter, from the style
let mapReady = false;     // the style has loaded ('load'): filters can be set from then on, even
                          // while tiles load (isStyleLoaded() is false then, and a filter skipped
                          // for it left the map filtered after the list was not: a real bug)
let filteredPonds = null; // the ponds the map shows (applyMapFilter), for layers added later
function applyMapFilter(ponds) {
  filteredPonds = ponds;
  if (!mapReady) return;  // the 'load' handler renders the overview, and so filters, once ready
  // the ponds' and elements' layers, the ponds' names, and the hazards (at their pond_id)
  const layers = map.getStyle().layers.filter(l => l.source === 'tailings' || l.source === 'hazards' || l.id === 'pond-names');
  baseFilters ??= new Map(layers.map(l => [l.id, l.filter ?? null]));
  const all = ponds.length === state.ponds.length;
  const ids = ['literal', ponds.map(p => p.id)];
  for (const l of layers) {
    if (!baseFilters.has(l.id)) baseFilters.set(l.id, l.filter ?? null);
    const own = baseFilters.get(l.id);
    const pondOf = l['source-layer'] && l['source-layer'] !== 'ponds' ? ['get', 'pond_id'] : ['coalesce', ['get', 'pond_id'], ['get', 'id'], ['id']];
    const mine = ['in', pondOf, ids];
    map.setFilter(l.id, all ? own : own ? ['all', own, mine] : mine);
  }
}

async function loadPonds() {
  state.ponds = await getJSON('/api/ponds');
  state.pondById = new Map(state.ponds.map(p => [p.id, p]));
  runSearch();
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

// the bounds of every pond's registry point (the TileJSON's bounds without ponds)
function pondBounds(tilejson) {
  const ps = state.ponds;
  if (!ps.length) return tilejson.bounds ? [[tilejson.bounds[0], tilejson.bounds[1]], [tilejson.bounds[2], tilejson.bounds[3]]] : undefined;
  const lon = ps.map(p => p.lon), lat = ps.map(p => p.lat);
  return [[Math.min(...lon), Math.min(...lat)], [Math.max(...lon), Math.max(...lat)]];
}

// Enter in the search: coordinates fly there and are marked; one pond found opens its file
function goToFound() {
  const f = state.found;
  searchMarker?.remove();
  if (f?.kind === 'coords') {
    searchMarker = new maplibregl.Marker({ color: '#c92a2a' }).setLngLat(f.point).addTo(map);
    map.flyTo({ center: f.point, zoom: Math.max(map.getZoom(), 13), essential: true, padding: sheetPadding() });
  } else if (f?.kind === 'text') {
    const hits = shownPonds();
    if (hits.length === 1) {
      const h = hits[0];
      const el = h.elements?.find(e => e.lon != null);
      setDrawer(false);
      openPond(h.pond.id);
      if (el) map.flyTo({ center: [el.lon, el.lat], zoom: Math.max(map.getZoom(), 16), essential: true, padding: sheetPadding() });
      else flyToPond(h.pond.id);
    } else if (hits.length > 1) {
      const lon = hits.map(h => h.pond.lon), lat = hits.map(h => h.pond.lat);
      map.fitBounds([[Math.min(...lon), Math.min(...lat)], [Math.max(...lon), Math.max(...lat)]],
        { padding: 48, maxZoom: 14, essential: true });
    }
  }
}

// ---------------------------------------------------------------------------
// the selected pond's 5 km ring: the distance the completeness rule within_5km allows between a
// pond's registry point and its elements, measured on the same sphere
const RING_COLOUR = '#862e9c';
const RING_M = 5000;
function addPondRing() {
  map.addSource('pond-ring', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'pond-ring', type: 'line', source: 'pond-ring',
    paint: { 'line-color': RING_COLOUR, 'line-width': 2, 'line-dasharray': [3, 2], 'line-opacity': 0.9 } });
}
function showPondRing(id) {
  const p = id != null ? state.pondById.get(id) : null;
  map?.getSource('pond-ring')?.setData({ type: 'FeatureCollection', features: p
    ? [{ type: 'Feature', id: p.id, properties: { pond_id: p.id, radius_m: RING_M }, geometry: circle([p.lon, p.lat], RING_M) }] : [] });
}

// on a phone the pond file is a sheet over the lower part of the map: flights aim above it
function sheetPadding() {
  return phone() && !$('panel').hidden ? { top: 0, bottom: $('panel').offsetHeight, left: 0, right: 0 } : undefined;
}

// ---------------------------------------------------------------------------
// one pond's file
function flyToPond(id) {
  const p = state.pondById.get(id);
  if (p) map.flyTo({ center: [p.lon, p.lat], zoom: Math.max(map.getZoom(), 14.5), essential: true, padding: sheetPadding() });
}

async function openPond(id) {
  state.panelPond = id;
  emit('open-pond', id);   // the panel is the pond's again (review.js shows a drawing there)
  if ($('panel').hidden) {
    $('panel').hidden = false;
    map.resize();   // before any flight to the pond, so that it ends where it should
  }
  for (const tr of document.querySelectorAll('#ponds tbody tr'))
    tr.classList.toggle('selected', Number(tr.dataset.pond) === id);
  showPondRing(id);
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
    <a id="print" class="button" href="/sheet/${encodeURIComponent(f.id)}" target="_blank" rel="opener">🖨 ${esc(t('print'))}</a>
    <p class="sub">${esc(f.code)} · ${esc(t('levelN')(f.level))} · ${esc(t(f.status))} · ${esc(t('score'))} ${pct(f.score)}</p>
    <h3>${esc(t('basic'))}</h3>
    <dl class="info">
      <dt>${esc(t('enterprise'))}</dt><dd>${esc(f.enterprise)}</dd>
      <dt>${esc(t('county'))}</dt><dd>${esc(countyName(f.county_code))}</dd>
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
  showPondRing(null);
  map.resize();
  emit('panel-closed');
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
  if (state.offline) return;
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
let pendingResync = false;          // changes may have been missed
const changedPonds = new Set();

function setLive(on) {
  state.live = on;
  $('live').className = `live ${on ? 'on' : 'off'}`;
  $('live-text').textContent = t(on ? 'live' : 'offline');
  $('live').title = state.lastChange ? `${t('lastChange')}: ${state.lastChange.toLocaleTimeString()}` : '';
}

function refresh(all, resync = false) {
  clearTimeout(pending);
  pendingAll ||= all;
  pendingResync ||= resync;
  pending = setTimeout(async () => {
    const ponds = new Set(changedPonds);
    all = pendingAll;
    state.tileVersion = pendingResync ? `${state.lastChangeId}-${Date.now().toString(36)}` : String(state.lastChangeId);
    changedPonds.clear();
    pendingAll = false;
    pendingResync = false;
    if (!state.at) reloadTiles();   // the map of a past day does not change
    search.invalidate();
    await loadPonds().catch(() => {});
    if (state.panelPond != null && (all || ponds.has(state.panelPond))) openPond(state.panelPond);
    emit('refreshed', { ponds: [...ponds], all });
  }, 200);
}

function connectEvents() {
  // a member's stream carries its token, which EventSource cannot send (stream.js)
  const es = token() ? new AuthEventSource('/events') : new EventSource('/events');
  let hellos = 0;
  es.addEventListener('hello', () => {
    setLive(true);
    if (hellos++ > 0) { refresh(true, true); emit('resync'); }   // reconnected: changes may have been missed
  });
  es.addEventListener('change', e => {
    const c = JSON.parse(e.data);
    state.changes++;
    state.lastChange = new Date();
    if (Number(c.id) > state.lastChangeId) state.lastChangeId = Number(c.id);
    if (c.pond_id != null) changedPonds.add(Number(c.pond_id));
    setLive(true);
    refresh(c.pond_id == null);
    emit('change', c);
  });
  es.addEventListener('resync', () => { refresh(true, true); emit('resync'); });
  es.onerror = () => setLive(false);
}

// ---------------------------------------------------------------------------
// language
function applyLanguage() {
  basemaps?.render();
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  // on a phone the short label (EN, 中): the bar has room for no more
  $('lang').innerHTML = state.lang === 'zh' ? '<span class="long">English</span><span class="short">EN</span>'
    : '<span class="long">中文</span><span class="short">中</span>';
  setLive(state.live);
  renderLegend();
  renderOverview();
  renderHistoryNote();
  emit('lang', state.lang);
  if (state.panelPond != null) openPond(state.panelPond);
}

// ---------------------------------------------------------------------------
async function main() {
  // who this page is for (auth.js): with --auth token and no anonymous role, no one until a
  // member signs in, and nothing else can be read
  const who = await installAuth({ state });
  if (who.required) {
    signInFirst();
    return;
  }
  // with no network the style, the catalog and the viewer's files come from the service worker's
  // copy (sw.js), the TileJSON and the ponds from nowhere: the map starts empty and says so, and an
  // offline package brings them (offline.js)
  let noNetwork = false;
  const orNothing = e => {
    if (!(e instanceof TypeError)) throw e;   // fetch's network failure; an HTTP error is one
    noNetwork = true;
    return null;
  };
  const [style, tilejson, catalog] = await Promise.all([
    getJSON('/style.json'), getJSON('/tiles/all.json').catch(orNothing), getJSON('/api/catalog'),
  ]);
  state.catalog = catalog;
  for (const c of catalog.categories)
    for (const k of c.kinds) state.kinds.set(k.code, { ...k, category: c.code });
  styleColours = coloursFromStyle(style);
  state.style = style;
  state.bands = bandsOf(style);
  state.sprite = await loadSprite(style);
  // a base map's attribution, from the metadata when its source has none
  for (const b of style.metadata?.['tailings:basemaps'] || [])
    if (style.sources[b.id] && !style.sources[b.id].attribution && b.attribution) style.sources[b.id].attribution = b.attribution;
  // tiles listed directly, not through the TileJSON url, so that setTiles() can change them; not
  // clipped to the TileJSON's bounds, which are those of the ponds' registry points (elements lie
  // around them, receptors kilometres away: a member who sees one pond would get one tile)
  style.sources.tailings = {
    type: 'vector', tiles: [tileUrl()], minzoom: tilejson?.minzoom ?? 0, maxzoom: 16,
    attribution: tilejson?.attribution,
  };
  elementLayers = style.layers.filter(l => l['source-layer'] && l['source-layer'] !== 'ponds').map(l => l.id);
  await loadPonds().catch(e => {
    orNothing(e);
    state.ponds = [];
  });

  // the first view, without a view in the URL, shows every pond: the map is made with their
  // bounds (a fitBounds() after the map is made would come after the hash of the default view);
  // a member who sees one pond (an enterprise) sees that pond
  const only = state.ponds.length === 1 ? state.ponds[0] : null;
  const first = location.hash ? {} : only ? { center: [only.lon, only.lat], zoom: 14.5 }
    : !tilejson ? {}
    : { bounds: pondBounds(tilejson), fitBoundsOptions: { padding: phone() ? 24 : 48 } };
  map = new maplibregl.Map({
    container: 'map', style, hash: true, maxZoom: 20,
    center: tilejson?.center ? tilejson.center.slice(0, 2) : [101.7, 26.6], zoom: tilejson?.center ? tilejson.center[2] : 9,
    ...first,
    localIdeographFontFamily: '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    transformRequest,   // this server's tiles with the member's token
    attributionControl: { compact: phone() },
  });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  basemaps = new Basemaps(map, style, () => ({ title: t('basemap'), none: t('noBasemap') }));
  map.addControl(basemaps, 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-left');
  map.on('load', () => {
    mapReady = true;
    addPondNames();
    addPondRing();
    applyVisibility();
    basemaps.set(basemaps.initial());
    renderOverview();
  });
  const identify = installIdentify({ map, state, getJSON, openPond });
  const past = installHistory({ map, state, getJSON, identify, renderHistoryNote });
  const review = installReview({ map, state, getJSON, openPond, compare: past });
  // the inspection mode first: while inspecting, a tap on the map is its own (identify.js's claims)
  const inspect = installInspect({ map, state, openPond, identify });
  let hazards = null;
  const files = installFilePanel({ state, openPond, onHazardsChanged: () => hazards?.reload() });
  // (the hazards' layers, added when they load, take the overview's filters then)
  state.refilter = () => { if (filteredPonds) applyMapFilter(filteredPonds); };
  hazards = installHazards({ map, state, openPond, files, identify });
  const offline = installOffline({ map, maplibregl, state, loadPonds, openPond, closePanel, emit });
  if (noNetwork) offline.noNetwork();
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
    const key = e.target.closest('[data-sort]')?.dataset.sort;
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
      if (!$('panel').hidden) closePanel();   // a pond's file, or a drawing (review.js)
    }
  });
  $('panel-close').addEventListener('click', closePanel);
  $('filter').addEventListener('input', () => {
    state.filter = $('filter').value;
    runSearch();
    renderOverview();
  });
  // Enter: coordinates fly there; a single pond found opens it
  $('filter').addEventListener('keydown', e => {
    if (e.key !== 'Enter') return;
    state.filter = $('filter').value;
    runSearch();
    renderOverview();
    goToFound();
  });
  $('counts').addEventListener('click', e => {
    const c = e.target.closest('[data-count]')?.dataset.count;
    if (!c) return;
    const F = state.facets;
    if (c === 'total') state.facets = { county: '', level: '', status: '', complete: false };
    else if (c === 'complete') F.complete = !F.complete;
    else if (c.startsWith('level-')) F.level = F.level === c.slice(6) ? '' : c.slice(6);
    else F.status = F.status === c ? '' : c;
    renderOverview();
  });
  for (const [id, facet] of [['f-county', 'county'], ['f-level', 'level'], ['f-status', 'status']])
    $(id).addEventListener('change', () => { state.facets[facet] = $(id).value; renderOverview(); });
  $('clear-filters').addEventListener('click', () => {
    state.facets = { county: '', level: '', status: '', complete: false };
    state.filter = $('filter').value = '';
    runSearch();
    searchMarker?.remove();
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
  window.tailingsViewer = { map, state, openPond, setDate, identify, history: past, basemaps, search, review, files, hazards, inspect, offline };
}

// --auth token without an anonymous role, no one signed in: the form in the bar, and a word where
// the map would be
function signInFirst() {
  const say = () => {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('title');
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    $('lang').innerHTML = state.lang === 'zh' ? '<span class="long">English</span><span class="short">EN</span>'
      : '<span class="long">中文</span><span class="short">中</span>';
    $('map').innerHTML = `<p class="sign-in-first" id="sign-in-first">${esc(t('signInFirst'))}</p>`;
  };
  $('lang').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('tailings.lang', state.lang);
    say();
    emit('lang', state.lang);
  });
  document.body.classList.add('sign-in-required');   // no map, list, date or stream to show
  say();
  window.tailingsViewer = { state, signInRequired: true };
}

// what the page loads before its service worker controls it is listed for the worker (offline.js)
performance.setResourceTimingBufferSize?.(2000);
main().then(() => {
  if (window.tailingsViewer) window.tailingsViewer.kept = keepForOffline();
}).catch(e => {
  console.error(e);
  document.body.insertAdjacentHTML('afterbegin', `<p style="background:#ffe3e3;margin:0;padding:6px">${esc(t('loadFailed'))}: ${esc(e.message)}</p>`);
});
