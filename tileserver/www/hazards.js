// Hazards on the map and the city's hazard board (design §8, issue 13 item 9):
//  - a layer of the hazards that have a position, from /api/hazards?format=geojson: a point
//    coloured by its status (待整改 red, 整改中 orange, 待核查 blue, 已销号 green), an overdue one
//    bigger and in a red halo; a legend entry (with a switch), a popup, and the data read again
//    when the change stream reports a change of a hazard or of a check (or when this viewer made
//    one);
//  - the board (隐患督办): the hazards of the member's scope that are not closed, by county and
//    enterprise: who must fix what by when, overdue first; filters (status, overdue, county,
//    severity, campaign) and a CSV of the same rows (/api/hazards?format=csv with the same
//    filters; with a token it is fetched with the Authorization header and saved from a Blob).
// The map shows today's hazards: on the map of a past day the layer is hidden.
import * as maplibregl from './vendor/maplibre-gl.mjs';
import { authFetch, token } from './auth.js';
import { countyName } from './counties.js';
import { TEXT as FILE_TEXT, HAZARD_COLOURS, HAZARD_STATUSES, esc, deadlineHtml, hazardBadge } from './pondfile.js';

const TEXT = {
  zh: {
    layer: '隐患', overdueKey: '逾期未整改（放大、红色光圈）', board: '隐患督办', boardTitle: '隐患督办台账',
    notClosed: '未销号', all: '全部', overdueOnly: '只看逾期', allCounties: '全部区县', allSeverities: '全部等级',
    allCampaigns: '全部专项', csv: '导出 CSV', refresh: '刷新', loading: '正在读取…',
    summary: (n, o) => `共 ${n} 项${o ? `，逾期 ${o} 项` : ''}`, none: '没有符合条件的隐患',
    who: '责任单位', what: '隐患', when: '整改期限', pond: '尾矿库', openFile: '查看档案', lastCheck: '最近核查',
    failedCheck: '未通过', passedCheck: '通过', csvFailed: s => `导出失败（HTTP ${s}）`,
  },
  en: {
    layer: 'Hazards', overdueKey: 'overdue (bigger, red halo)', board: 'Hazard board', boardTitle: 'Hazard board',
    notClosed: 'Not closed', all: 'All', overdueOnly: 'Overdue only', allCounties: 'All counties', allSeverities: 'All severities',
    allCampaigns: 'All campaigns', csv: 'CSV', refresh: 'Refresh', loading: 'Loading…',
    summary: (n, o) => `${n} hazards${o ? `, ${o} overdue` : ''}`, none: 'No hazards match',
    who: 'Who', what: 'What', when: 'By when', pond: 'Pond', openFile: 'Open the pond file', lastCheck: 'Last check',
    failedCheck: 'failed', passedCheck: 'passed', csvFailed: s => `The export failed (HTTP ${s})`,
  },
};
const $ = id => document.getElementById(id);
const SOURCE = 'hazards';
export const HAZARD_LAYERS = ['hazards-halo', 'hazards-point'];
const EMPTY = { type: 'FeatureCollection', features: [] };
// the sizes the layer draws from zoom 13 on: a hazard's point, an overdue one's, and the halo around
// it; 0.6 of that at the city's zoom (11 and less), where they sit on the ponds' own symbols
export const HAZARD_RADIUS = { normal: 6, overdue: 9, halo: 17 };
const byZoom = r => ['interpolate', ['linear'], ['zoom'], 11, r * 0.6, 13, r];

export function installHazards({ map, state, openPond, files, identify }) {
  const T = () => TEXT[state.lang] || TEXT.zh;
  const F = () => FILE_TEXT[state.lang] || FILE_TEXT.zh;
  const H = state.hazards = { data: EMPTY, available: false, shown: !JSON.parse(localStorage.getItem('tailings.hazardsHidden') || 'false'),
    board: null, boardOpen: false, loads: 0 };
  let popup = null;

  // ---- the layer
  const overdue = ['==', ['get', 'overdue'], true];
  function addLayers() {
    if (map.getSource(SOURCE)) return;
    map.addSource(SOURCE, { type: 'geojson', data: H.data, promoteId: 'id' });
    // over the map's features, under the ponds' names
    const before = map.getLayer('pond-names') ? 'pond-names' : undefined;
    map.addLayer({ id: 'hazards-halo', type: 'circle', source: SOURCE, filter: overdue,
      paint: { 'circle-radius': byZoom(HAZARD_RADIUS.halo), 'circle-color': 'rgba(224,49,49,0.28)', 'circle-stroke-color': '#c92a2a',
        'circle-stroke-width': 2, 'circle-blur': 0.15 } }, before);
    map.addLayer({ id: 'hazards-point', type: 'circle', source: SOURCE,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, ['case', overdue, HAZARD_RADIUS.overdue * 0.6, HAZARD_RADIUS.normal * 0.6],
          13, ['case', overdue, HAZARD_RADIUS.overdue, HAZARD_RADIUS.normal]],
        'circle-color': ['match', ['get', 'status'], ...HAZARD_STATUSES.flatMap(s => [s, HAZARD_COLOURS[s]]), '#868e96'],
        'circle-stroke-color': '#fff', 'circle-stroke-width': ['case', overdue, 2.5, 1.5],
      } }, before);
    applyVisibility();
    state.refilter?.();
  }
  function applyVisibility() {
    const v = H.shown && !state.at ? 'visible' : 'none';
    for (const id of HAZARD_LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', v);
  }
  async function load() {
    const mine = ++H.loads;
    let r;
    try { r = await authFetch('/api/hazards?format=geojson', { cache: 'no-store' }); } catch { return; }
    if (!r.ok) { H.available = false; renderLegend(); return; }
    const data = await r.json().catch(() => null);
    if (mine !== H.loads || !data) return;
    H.data = data;
    H.available = true;
    map.getSource(SOURCE)?.setData(data);
    renderLegend();
    toggle.hidden = false;
    sideButton.hidden = false;
    document.dispatchEvent(new CustomEvent('tailings:hazards-loaded', { detail: { count: data.features?.length ?? 0 } }));
  }
  let pending = null;
  function reload() {
    clearTimeout(pending);
    pending = setTimeout(() => {
      load();
      if (H.boardOpen) loadBoard();
    }, 150);
  }

  // ---- the legend: the statuses and the overdue mark, a switch for the layer
  const legend = document.createElement('div');
  legend.id = 'legend-hazards';
  legend.className = 'legend-cat';
  $('legend-categories').before(legend);
  const dot = (colour, r, halo) => `<svg width="28" height="28" aria-hidden="true">${halo
    ? `<circle cx="14" cy="14" r="${HAZARD_RADIUS.halo * 0.75}" fill="rgba(224,49,49,0.28)" stroke="#c92a2a" stroke-width="1.5"/>` : ''}
    <circle cx="14" cy="14" r="${r}" fill="${colour}" stroke="#fff" stroke-width="1.5"/></svg>`;
  function renderLegend() {
    const t = T(), f = F();
    legend.hidden = !H.available;
    legend.innerHTML = `<label><input type="checkbox" id="hazards-shown" ${H.shown ? 'checked' : ''}>
        <span class="sym swatch" style="background:${HAZARD_COLOURS.open}55;border-color:${HAZARD_COLOURS.open}"></span>${esc(t.layer)}</label>
      <ul>${HAZARD_STATUSES.map(s => `<li data-hazard-status="${s}"><span class="syms"><span class="sym point-sym">${dot(HAZARD_COLOURS[s], HAZARD_RADIUS.normal)}</span></span>
        <span>${esc(f.status[s])}</span></li>`).join('')}
        <li data-hazard-status="overdue"><span class="syms"><span class="sym point-sym">${dot(HAZARD_COLOURS.open, HAZARD_RADIUS.overdue * 0.8, true)}</span></span>
        <span>${esc(t.overdueKey)}</span></li></ul>`;
  }
  legend.addEventListener('change', e => {
    if (e.target.id !== 'hazards-shown') return;
    H.shown = e.target.checked;
    localStorage.setItem('tailings.hazardsHidden', JSON.stringify(!H.shown));
    applyVisibility();
  });

  // ---- the popup
  const pondName = id => state.pondById.get(Number(id))?.name ?? `#${id}`;
  function popupHtml(p) {
    const f = F(), t = T(), lang = state.lang;
    return `<div class="popup hazard-popup" data-hazard="${esc(p.id)}">
      <h4>${esc(t.layer)} #${esc(p.id)} ${hazardBadge(p, lang)}${p.severity === 'major' ? ` <span class="hz-major">${esc(f.severity.major)}</span>` : ''}</h4>
      <p class="hz-desc">${esc(p.description)}</p>
      <dl><dt>${esc(t.pond)}</dt><dd>${esc(p.pond_name ?? pondName(p.pond_id))}</dd>
        ${p.element_name ? `<dt>${esc(f.atElement)}</dt><dd>${esc(p.element_name)}</dd>` : ''}
        <dt>${esc(f.foundOn)}</dt><dd>${esc(p.found_on ?? '')} · ${esc(f.level[p.found_level] ?? p.found_level ?? '')} ${esc(p.found_by ?? '')}</dd>
        ${p.status !== 'closed' ? `<dt>${esc(f.deadline)}</dt><dd>${deadlineHtml(p, lang)}</dd>` : ''}</dl>
      <a href="#" data-open-hazard="${esc(p.id)}" data-pond="${esc(p.pond_id)}" role="button">${esc(t.openFile)}</a></div>`;
  }
  // MapLibre turns nested values of GeoJSON properties into strings: read them back
  const props = f => {
    const p = { ...f.properties };
    for (const k of ['overdue']) if (typeof p[k] === 'string') p[k] = p[k] === 'true';
    return p;
  };
  function hazardsAt(point, r = 6) {
    if (!map.getLayer('hazards-point') || map.getLayoutProperty('hazards-point', 'visibility') === 'none') return [];
    return map.queryRenderedFeatures([[point.x - r, point.y - r], [point.x + r, point.y + r]], { layers: ['hazards-point'] });
  }
  // a click on a hazard is the hazard's (identify.js leaves it alone)
  identify?.claim?.(e => hazardsAt(e.point).length > 0);
  map.on('click', e => {
    const hit = hazardsAt(e.point);
    if (!hit.length) return;
    const p = props(hit[0]);
    identify?.close?.();
    popup?.remove();
    popup = new maplibregl.Popup({ maxWidth: '320px', className: 'hazard-popup-wrap' })
      .setLngLat(hit[0].geometry.coordinates).setHTML(popupHtml(p)).addTo(map);
    popup.getElement().addEventListener('click', ev => {
      const a = ev.target.closest('[data-open-hazard]');
      if (!a) return;
      ev.preventDefault();
      popup?.remove();
      files.showHazard(Number(a.dataset.pond), Number(a.dataset.openHazard));
    });
  });
  map.on('mousemove', e => { if (hazardsAt(e.point).length) map.getCanvas().style.cursor = 'pointer'; });

  // ---- the board, in the right panel (instead of a pond's file)
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.id = 'board-toggle';
  toggle.hidden = true;
  (document.getElementById('auth') ?? $('lang')).before(toggle);
  // on a phone the bar has no room for it: a button at the head of the drawer (☰) instead
  const sideButton = document.createElement('button');
  sideButton.type = 'button';
  sideButton.id = 'board-side-toggle';
  sideButton.hidden = true;
  $('overview').before(sideButton);
  sideButton.addEventListener('click', () => {
    if (document.body.classList.contains('side-open')) $('menu').click();
    openBoard();
  });
  const board = document.createElement('div');
  board.id = 'board-panel';
  board.hidden = true;
  $('panel-body').after(board);
  const B = H.filters = { status: 'open,rectifying,rectified', overdue: false, county: '', severity: '', campaign: '' };
  function query(extra = {}) {
    const q = new URLSearchParams();
    if (B.status) q.set('status', B.status);
    if (B.overdue) q.set('overdue', '1');
    if (B.county) q.set('county', B.county);
    if (B.severity) q.set('severity', B.severity);
    if (B.campaign) q.set('campaign', B.campaign);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q;
  }
  function openBoard() {
    // the panel is the board's: the pond file (and a drawing) leave it
    document.dispatchEvent(new CustomEvent('tailings:open-pond', { detail: null }));
    state.panelPond = null;
    for (const tr of document.querySelectorAll('#ponds tbody tr.selected')) tr.classList.remove('selected');
    $('panel-body').hidden = true;
    const rp = $('review-panel');
    if (rp) rp.hidden = true;
    board.hidden = false;
    H.boardOpen = true;
    $('panel').classList.add('wide');
    $('panel').hidden = false;
    map.resize();
    toggle.setAttribute('aria-pressed', 'true');
    renderBoard();
    return loadBoard();
  }
  // the board leaves the panel: to a pond's file (shown again), a drawing (review.js: taken), or
  // with the panel closed
  function leaveBoard(e) {
    if (!H.boardOpen) return;
    H.boardOpen = false;
    board.hidden = true;
    if (e?.type !== 'tailings:panel-taken') $('panel-body').hidden = false;
    $('panel').classList.remove('wide');
    toggle.setAttribute('aria-pressed', 'false');
    map.resize();
  }
  toggle.addEventListener('click', () => (H.boardOpen ? $('panel-close').click() : openBoard()));
  document.addEventListener('tailings:pond', leaveBoard);
  document.addEventListener('tailings:panel-closed', leaveBoard);
  document.addEventListener('tailings:panel-taken', leaveBoard);
  document.addEventListener('tailings:open-pond', e => { if (e.detail != null) leaveBoard(e); });
  async function loadBoard() {
    const q = query();
    const mine = (H.boardLoads = (H.boardLoads || 0) + 1);
    let r;
    try { r = await authFetch(`/api/hazards?${q}`, { cache: 'no-store' }); } catch { return; }
    if (mine !== H.boardLoads) return;
    H.board = r.ok ? await r.json() : { error: r.status };
    renderBoard();
  }
  function renderBoard() {
    const t = T(), f = F(), lang = state.lang;
    toggle.textContent = sideButton.textContent = t.board;
    const rows = Array.isArray(H.board) ? H.board : [];
    const counties = [...new Set(state.ponds.map(p => p.county_code))].sort();
    const campaigns = [...new Set([...(H.data.features || []).map(x => x.properties.campaign), ...rows.map(h => h.campaign)].filter(Boolean))].sort();
    const opt = (v, label, cur) => `<option value="${esc(v)}"${v === cur ? ' selected' : ''}>${esc(label)}</option>`;
    // by county, then enterprise (who must fix it); within, overdue first then by deadline (the API's order)
    const groups = new Map();
    for (const h of rows) {
      const c = h.county_code ?? '';
      if (!groups.has(c)) groups.set(c, new Map());
      const g = groups.get(c);
      const who = h.enterprise ?? '';
      if (!g.has(who)) g.set(who, []);
      g.get(who).push(h);
    }
    const overdueN = rows.filter(h => h.overdue).length;
    const lastCheck = c => c ? `<small class="${c.passed ? 'ok' : 'fail'}">${esc(t.lastCheck)} ${esc(c.checked_on ?? '')} ${esc(c.passed ? t.passedCheck : t.failedCheck)}${c.note ? `${f.colon}${esc(c.note)}` : ''}</small>` : '';
    board.innerHTML = `<h2>${esc(t.boardTitle)}</h2>
      <form id="board-filters" class="board-filters">
        <select id="board-status" aria-label="${esc(f.status.open)}">
          ${opt('open,rectifying,rectified', t.notClosed, B.status)}${HAZARD_STATUSES.map(s => opt(s, f.status[s], B.status)).join('')}${opt('', t.all, B.status)}</select>
        <select id="board-county" aria-label="${esc(t.allCounties)}">${opt('', t.allCounties, B.county)}${counties.map(c => opt(c, countyName(c, lang), B.county)).join('')}</select>
        <select id="board-severity" aria-label="${esc(t.allSeverities)}">${opt('', t.allSeverities, B.severity)}${['major', 'general'].map(s => opt(s, f.severity[s], B.severity)).join('')}</select>
        <select id="board-campaign" aria-label="${esc(t.allCampaigns)}">${opt('', t.allCampaigns, B.campaign)}${campaigns.map(c => opt(c, c, B.campaign)).join('')}</select>
        <label class="board-overdue"><input type="checkbox" id="board-overdue"${B.overdue ? ' checked' : ''}> ${esc(t.overdueOnly)}</label>
      </form>
      <p class="board-summary"><span id="board-count" data-count="${rows.length}" data-overdue="${overdueN}">${H.board == null ? esc(t.loading)
        : H.board.error ? esc(`HTTP ${H.board.error}`) : esc(t.summary(rows.length, overdueN))}</span>
        <a class="button" id="board-csv" href="/api/hazards?${query({ format: 'csv' })}" download="hazards.csv">⬇ ${esc(t.csv)}</a>
        <span id="board-csv-error" class="file-error" role="alert" hidden></span></p>
      ${rows.length ? [...groups.entries()].map(([c, g]) => `<section class="board-county" data-county="${esc(c)}">
        <h3>${esc(countyName(c, lang))} <small>${[...g.values()].reduce((n, l) => n + l.length, 0)}</small></h3>
        ${[...g.entries()].map(([who, list]) => `<div class="board-enterprise"><h4>${esc(who)}</h4>
          <table class="board-table"><tbody>${list.map(h => `<tr data-hazard="${esc(h.id)}" data-pond="${esc(h.pond_id)}" data-status="${esc(h.status)}"
              data-overdue="${h.overdue ? 'true' : 'false'}" class="${h.overdue ? 'overdue' : ''}" tabindex="0">
            <td class="b-status">${hazardBadge(h, lang)}${h.severity === 'major' ? `<br><span class="hz-major">${esc(f.severity.major)}</span>` : ''}</td>
            <td class="b-what"><b>${esc(h.description)}</b><small>${esc(h.pond_name ?? pondName(h.pond_id))}${h.element_name ? ` · ${esc(h.element_name)}` : ''}${h.campaign ? ` · ${esc(h.campaign)}` : ''}</small>${lastCheck(h.last_check)}</td>
            <td class="b-when">${deadlineHtml(h, lang)}</td></tr>`).join('')}</tbody></table></div>`).join('')}</section>`).join('')
        : H.board == null ? '' : `<p class="file-empty">${esc(t.none)}</p>`}`;
  }
  board.addEventListener('change', e => {
    const id = e.target.id;
    if (id === 'board-status') B.status = e.target.value;
    else if (id === 'board-county') B.county = e.target.value;
    else if (id === 'board-severity') B.severity = e.target.value;
    else if (id === 'board-campaign') B.campaign = e.target.value;
    else if (id === 'board-overdue') B.overdue = e.target.checked;
    else return;
    renderBoard();
    loadBoard();
  });
  // a row: that hazard in its pond's file, and on the map
  const choose = e => {
    const tr = e.target.closest('tr[data-hazard]');
    if (!tr) return;
    const id = Number(tr.dataset.hazard), pond = Number(tr.dataset.pond);
    const ft = (H.data.features || []).find(x => Number(x.properties.id) === id);
    files.showHazard(pond, id);
    if (ft) map.flyTo({ center: ft.geometry.coordinates, zoom: Math.max(map.getZoom(), 16), essential: true });
  };
  board.addEventListener('click', e => {
    const a = e.target.closest('#board-csv');
    if (a) { csv(e, a); return; }
    choose(e);
  });
  board.addEventListener('keydown', e => { if (e.key === 'Enter') choose(e); });
  // the CSV: a plain link without a token; with one, fetched with the header and saved from a Blob
  async function csv(e, a) {
    if (!token()) return;   // the link itself downloads it
    e.preventDefault();
    const err = $('board-csv-error');
    let r;
    try { r = await authFetch(a.getAttribute('href'), { cache: 'no-store' }); } catch { r = { ok: false, status: 0 }; }
    if (!r.ok) { err.hidden = false; err.textContent = T().csvFailed(r.status); return; }
    err.hidden = true;
    const name = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '')?.[1] || 'hazards.csv';
    const url = URL.createObjectURL(await r.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---- keeping up: the change stream, the viewer's own moves, another day, the language
  document.addEventListener('tailings:change', e => {
    if (/(^|\.)hazard(_check)?$/.test(e.detail?.table ?? '')) reload();
  });
  document.addEventListener('tailings:resync', reload);
  document.addEventListener('tailings:date', applyVisibility);
  document.addEventListener('tailings:lang', () => {
    renderLegend();
    toggle.textContent = sideButton.textContent = T().board;
    if (H.boardOpen) renderBoard();
  });
  toggle.textContent = sideButton.textContent = T().board;
  renderLegend();
  if (map.loaded()) addLayers(); else map.once('load', addLayers);
  load();
  return { reload, load, openBoard, closeBoard: leaveBoard, layers: HAZARD_LAYERS, hazardsAt };
}
