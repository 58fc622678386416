// Identify: a click lists every feature under it (the pond and the elements within a few pixels),
// highlights the one chosen and shows its attributes, with the coordinates the database holds
// (CGCS2000) from the pond's file (/api/ponds/{id}).  An element row of the pond file zooms to the
// element and flashes it.
import * as maplibregl from './vendor/maplibre-gl.mjs';
import { spriteIcon } from './legend.js';

const TEXT = {
  zh: {
    here: n => `此处有 ${n} 个要素`, pond: '尾矿库', pondOf: '所属尾矿库', name: '名称', kind: '类型',
    coords: '坐标（CGCS2000）', onIt: '要素上一点', lon: '经度', lat: '纬度',
    surveyed: '测量日期', source: '数据来源', accuracy: '精度', verified: '实地核实',
    isVerified: '已核实', notVerified: '未核实', openFile: '查看档案', loading: '正在读取属性…',
    gone: '该要素现已不存在（地图为历史时点）', asOfNow: '属性为当前数据', metres: m => `±${m} 米`,
    satellite: '卫星遥感', drone: '无人机航测', ground: '实地测量', yes: '是', no: '否',
    status: { in_use: '在用', suspended: '停用', closed: '闭库' }, levelN: n => `${['', '一', '二', '三'][n] || n}级`,
    code: '编码', statusLabel: '状态', level: '监管等级',
    attrs: {
      depth_m: '深度（米）', volume_m3: '容积（立方米）', height_m: '高度（米）', liner: '防渗材料',
      flowmeter: '流量计', video: '视频监控', length_m: '长度（米）', diameter_mm: '管径（毫米）',
      pump_kw: '水泵功率（千瓦）',
    },
  },
  en: {
    here: n => `${n} features here`, pond: 'Pond', pondOf: 'Pond', name: 'Name', kind: 'Kind',
    coords: 'Coordinates (CGCS2000)', onIt: 'a point on it', lon: 'lon', lat: 'lat',
    surveyed: 'Surveyed', source: 'Source', accuracy: 'Accuracy', verified: 'Ground-verified',
    isVerified: 'verified', notVerified: 'not verified', openFile: 'Open the pond file', loading: 'Reading the attributes…',
    gone: 'This element no longer exists (the map shows a past moment)', asOfNow: 'attributes as of today',
    metres: m => `±${m} m`,
    satellite: 'Satellite', drone: 'Drone survey', ground: 'Ground survey', yes: 'yes', no: 'no',
    status: { in_use: 'In use', suspended: 'Suspended', closed: 'Closed' }, levelN: n => `Level ${n}`,
    code: 'Code', statusLabel: 'Status', level: 'Supervision',
    attrs: {
      depth_m: 'Depth (m)', volume_m3: 'Volume (m³)', height_m: 'Height (m)', liner: 'Liner',
      flowmeter: 'Flow meter', video: 'Video surveillance', length_m: 'Length (m)', diameter_mm: 'Diameter (mm)',
      pump_kw: 'Pump power (kW)',
    },
  },
};

const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const GEOM_RANK = { Point: 0, MultiPoint: 0, LineString: 1, MultiLineString: 1, Polygon: 2, MultiPolygon: 2 };
const HL = 'identify-hl';
const HL_LAYERS = [`${HL}-fill`, `${HL}-casing`, `${HL}-line`, `${HL}-point`];
const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

// The kind's symbol as the map draws it: the sprite's icon of a point kind (named by the kind's
// code; the sprite app.js loaded, drawn by legend.js's spriteIcon), at most 18 px in a row of text,
// else a swatch of its category's colour shaped like its geometry.
export function makeSymbols(state) {
  return (kind, colour, geometry) => {
    const i = state.sprite?.index?.[kind];
    if (i) {
      const r = i.pixelRatio || state.sprite.ratio;
      return spriteIcon(state.sprite, kind, Math.min(1, 18 / Math.max(i.width / r, i.height / r)), 'id-sym')
        .replace('<span ', `<span data-kind="${esc(kind)}" `);
    }
    const g = /point/i.test(geometry) ? 'point' : /line/i.test(geometry) ? 'line' : 'polygon';
    return `<span class="id-sym ${g}" data-kind="${esc(kind)}" style="--c:${esc(colour || '#495057')}"></span>`;
  };
}

export function installIdentify({ map, state, getJSON, openPond }) {
  const tx = key => TEXT[state.lang]?.[key] ?? TEXT.zh[key];
  const kindLabel = code => state.kinds.get(code)?.[`label_${state.lang}`] ?? code;
  const catColour = code => state.catalog.categories.find(c => c.code === state.kinds.get(code)?.category)?.colour;
  const symbols = makeSymbols(state);
  const symbol = (kind, geometry) => symbols(kind, catColour(kind), geometry);
  let popup = null;
  let flashTimer = null;
  const pondFiles = new Map();   // pond id → its file, for the revision of the map it was read at

  // ---- the pond files the attributes come from (the tiles carry only id, kind, name, source)
  async function pondFile(id) {
    const key = `${id}:${state.lang}`;
    const hit = pondFiles.get(key);
    if (hit && hit.rev === state.rev) return hit.file;
    const file = await getJSON(`/api/ponds/${id}?lang=${state.lang}`);
    pondFiles.set(key, { rev: state.rev, file });
    return file;
  }
  document.addEventListener('tailings:pond', e => {
    pondFiles.set(`${e.detail.id}:${state.lang}`, { rev: state.rev, file: e.detail });
    decoratePondFile(e.detail);
  });
  const elementOf = (file, id) => Object.values(file.elements || {}).flat().find(x => x.id === id);

  // ---- highlight: the chosen feature, whole (every tile piece of it), over everything else
  function ensureLayers() {
    if (map.getSource(HL)) return;
    map.addSource(HL, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    const poly = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
    const notPoint = ['!', ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false]];
    map.addLayer({ id: `${HL}-fill`, type: 'fill', source: HL, filter: poly, paint: { 'fill-color': '#fcc419', 'fill-opacity': 0.25 } });
    map.addLayer({ id: `${HL}-casing`, type: 'line', source: HL, filter: notPoint,
      layout: { 'line-join': 'round', 'line-cap': 'round' }, paint: { 'line-color': '#212529', 'line-width': 8, 'line-opacity': 0.55 } });
    map.addLayer({ id: `${HL}-line`, type: 'line', source: HL, filter: notPoint,
      layout: { 'line-join': 'round', 'line-cap': 'round' }, paint: { 'line-color': '#fcc419', 'line-width': 4 } });
    map.addLayer({ id: `${HL}-point`, type: 'circle', source: HL, filter: ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false],
      paint: { 'circle-radius': 14, 'circle-color': 'rgba(252,196,25,0.25)', 'circle-stroke-color': '#fcc419', 'circle-stroke-width': 4 } });
  }
  // every piece of a feature in the loaded tiles: an element by its id in its category's layer,
  // a pond by its id in the ponds layer (its boundary and its registry point)
  function pieces(entry) {
    const sourceLayer = entry.type === 'pond' ? 'ponds' : state.kinds.get(entry.kind)?.category;
    if (!sourceLayer) return [];
    const fs = map.querySourceFeatures('tailings', { sourceLayer, filter: ['==', ['id'], entry.id] });
    const out = [];
    const seen = new Set();
    for (const f of fs) {
      if (entry.type === 'pond' && f.properties.anchor === true && fs.some(g => g.geometry.type !== 'Point')) continue;
      const key = JSON.stringify(f.geometry.coordinates);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ type: 'Feature', properties: { id: entry.id }, geometry: f.geometry });
    }
    return out;
  }
  function highlight(entry, fallback) {
    ensureLayers();
    let fs = pieces(entry);
    if (!fs.length && fallback) fs = [{ type: 'Feature', properties: { id: entry.id }, geometry: fallback }];
    map.getSource(HL).setData({ type: 'FeatureCollection', features: fs });
    state.highlighted = { type: entry.type, id: entry.id, pieces: fs.length };
    for (const id of HL_LAYERS) map.moveLayer(id);   // above layers added since
  }
  function clearHighlight() {
    stopFlash();
    if (map.getSource(HL)) map.getSource(HL).setData({ type: 'FeatureCollection', features: [] });
    state.highlighted = null;
  }
  // a short pulse of the highlight (three beats); a still highlight for prefers-reduced-motion
  function stopFlash() {
    if (flashTimer) cancelAnimationFrame(flashTimer);
    flashTimer = null;
    if (map.getLayer(`${HL}-point`)) {
      map.setPaintProperty(`${HL}-point`, 'circle-radius', 14);
      map.setPaintProperty(`${HL}-line`, 'line-width', 4);
      map.setPaintProperty(`${HL}-casing`, 'line-width', 8);
    }
  }
  function flash() {
    stopFlash();
    state.flashes = (state.flashes || 0) + 1;
    if (reducedMotion()) return;
    const t0 = performance.now(), period = 500, beats = 3;
    const step = now => {
      const k = (now - t0) / period;
      if (k >= beats) { stopFlash(); return; }
      const s = Math.sin(Math.PI * (k % 1));   // 0 → 1 → 0 each beat
      map.setPaintProperty(`${HL}-point`, 'circle-radius', 14 + 12 * s);
      map.setPaintProperty(`${HL}-line`, 'line-width', 4 + 6 * s);
      map.setPaintProperty(`${HL}-casing`, 'line-width', 8 + 8 * s);
      flashTimer = requestAnimationFrame(step);
    };
    flashTimer = requestAnimationFrame(step);
  }

  // ---- what is under a click
  function queryLayers() {
    return map.getStyle().layers.filter(l => (l.source === 'tailings' || l.source === 'pond-names') &&
      map.getLayoutProperty(l.id, 'visibility') !== 'none').map(l => l.id);
  }
  function entriesAt(point, r = 5) {
    const fs = map.queryRenderedFeatures([[point.x - r, point.y - r], [point.x + r, point.y + r]], { layers: queryLayers() });
    const entries = new Map();
    fs.forEach((f, order) => {
      const isPond = f.sourceLayer === 'ponds' || f.source === 'pond-names';
      const id = Number(isPond ? (f.properties.id ?? f.properties.pond_id ?? f.id) : f.id);
      if (!Number.isFinite(id)) return;
      const key = `${isPond ? 'pond' : 'element'}:${id}`;
      const rank = isPond ? 9 : GEOM_RANK[f.geometry.type] ?? 3;
      const had = entries.get(key);
      if (had) { had.rank = Math.min(had.rank, rank); return; }
      entries.set(key, isPond
        ? { type: 'pond', id, rank, order, name: f.properties.name ?? state.pondById.get(id)?.name, geometry: f.geometry.type }
        : { type: 'element', id, rank, order, kind: f.properties.kind, name: f.properties.name,
          pond_id: Number(f.properties.pond_id), source: f.properties.source, verified: f.properties.verified,
          geometry: f.geometry.type });
    });
    // points over lines over areas, the pond last; then as drawn, the top first
    return [...entries.values()].sort((a, b) => a.rank - b.rank || a.order - b.order);
  }

  function onClick(e) {
    if (state.mapClickTaken?.(e)) return;   // another mode has the map's taps (inspect.js)
    const entries = entriesAt(e.point);
    if (!entries.length) { close(); clearHighlight(); return; }
    const ponds = entries.filter(x => x.type === 'pond');
    // only the pond itself (its area, its boundary element, its name): its file
    const onlyPond = entries.every(x => x.type === 'pond' ? x.id === entries.find(y => y.type === 'pond')?.id
      : x.kind === 'pond_boundary' && ponds.some(p => p.id === x.pond_id));
    const pondId = ponds[0]?.id ?? entries[0].pond_id;
    if (onlyPond && pondId != null) {
      close();
      highlight({ type: 'pond', id: pondId });
      openPond(pondId);
      return;
    }
    show(entries, 0, e.lngLat);
  }

  // ---- the popup: the list (when several) and the chosen one's attributes
  function listHtml(entries, chosen) {
    if (entries.length < 2) return '';
    return `<p class="id-count">${esc(tx('here')(entries.length))}</p>
      <ul class="id-list" role="listbox" aria-label="${esc(tx('here')(entries.length))}">${entries.map((x, i) => `
        <li role="option" aria-selected="${i === chosen}" tabindex="0" data-pick="${i}" data-type="${x.type}" data-id="${x.id}"
          class="${i === chosen ? 'chosen' : ''}">${x.type === 'pond'
            ? `<span class="id-sym pond"></span><span class="id-kind">${esc(tx('pond'))}</span>`
            : `${symbol(x.kind, x.geometry)}<span class="id-kind">${esc(kindLabel(x.kind))}</span>`}
          <span class="id-name">${esc(x.name ?? '')}</span></li>`).join('')}
      </ul>`;
  }
  const row = (k, v, attr = '') => v == null || v === '' ? '' : `<dt>${esc(k)}</dt><dd ${attr}>${v}</dd>`;
  function attrValue(v) {
    if (v === true) return tx('yes');
    if (v === false) return tx('no');
    return typeof v === 'object' ? JSON.stringify(v) : v;
  }
  function detailHtml(x, file) {
    if (x.type === 'pond') {
      const p = file || state.pondById.get(x.id) || {};
      return `<div class="popup id-detail" data-pond="${x.id}">
        <h4>${esc(tx('pond'))}</h4>
        <dl>${row(tx('name'), esc(p.name ?? x.name))}${row(tx('code'), esc(p.code))}
          ${row(tx('statusLabel'), esc(tx('status')[p.status] ?? p.status))}${row(tx('level'), p.level ? esc(tx('levelN')(p.level)) : '')}
          ${p.lon != null ? row(tx('coords'), coords(p.lon, p.lat), 'class="id-coords"') : ''}</dl>
        <a data-open-pond="${x.id}" href="#" role="button">${esc(tx('openFile'))}</a></div>`;
    }
    const pond = state.pondById.get(x.pond_id);
    const e = file ? elementOf(file, x.id) : null;
    const attrs = e ? Object.entries(e.attrs || {}).map(([k, v]) =>
      row(tx('attrs')[k] || k, esc(attrValue(v)), `data-attr="${esc(k)}"`)).join('') : '';
    const verified = e ? (e.verified_on ? `${esc(tx('isVerified'))} ${esc(e.verified_on)}` : esc(tx('notVerified')))
      : esc(x.verified ? tx('isVerified') : tx('notVerified'));
    return `<div class="popup id-detail" data-element="${x.id}">
      <h4>${esc(kindLabel(x.kind))}</h4>
      <dl>
        ${row(tx('name'), esc(e?.name ?? x.name))}
        ${row(tx('pondOf'), esc(pond ? pond.name : x.pond_id))}
        ${attrs}
        ${e && e.lon != null ? row(tx('coords'), `${coords(e.lon, e.lat)}${e.geometry_type && !/point/i.test(e.geometry_type)
          ? ` <small>(${esc(tx('onIt'))})</small>` : ''}`, 'class="id-coords"') : ''}
        ${row(tx('surveyed'), esc(e?.surveyed_on))}
        ${row(tx('source'), esc(tx(e?.source ?? x.source) ?? ''))}
        ${row(tx('accuracy'), e?.accuracy_m != null ? esc(tx('metres')(e.accuracy_m)) : '')}
        ${row(tx('verified'), verified)}
      </dl>
      ${file && !e ? `<p class="id-note">${esc(tx('gone'))}</p>` : ''}
      ${!file ? `<p class="id-note" data-loading>${esc(tx('loading'))}</p>` : ''}
      ${file && e && state.at ? `<p class="id-note">${esc(tx('asOfNow'))}</p>` : ''}
      <a data-open-pond="${x.pond_id}" href="#" role="button">${esc(tx('openFile'))}</a></div>`;
  }
  function coords(lon, lat) {
    return `<span data-lon="${lon}" data-lat="${lat}">${esc(tx('lon'))} ${Number(lon).toFixed(6)}, ${esc(tx('lat'))} ${Number(lat).toFixed(6)}</span>`;
  }

  let current = null;   // { entries, chosen, lngLat }
  function show(entries, chosen, lngLat) {
    current = { entries, chosen, lngLat };
    const x = entries[chosen];
    highlight(x);
    const render = file => `<div class="identify">${listHtml(entries, chosen)}${detailHtml(x, file)}</div>`;
    if (!popup || !popup.isOpen()) {
      // closed by its × or by a click elsewhere (onClick), not by MapLibre's own click handler,
      // which would run after onClick and close the popup onClick has just filled
      popup = new maplibregl.Popup({ maxWidth: '340px', className: 'identify-popup', closeOnClick: false })
        .setLngLat(lngLat).setHTML(render(null)).addTo(map);
      popup.on('close', clearHighlight);
      wire(popup.getElement());
    } else {
      popup.setLngLat(lngLat).setHTML(render(null));
    }
    const pondId = x.type === 'pond' ? x.id : x.pond_id;
    if (pondId == null) return;
    const mine = current;
    pondFile(pondId).then(file => {
      if (current !== mine || !popup?.isOpen()) return;
      const focused = document.activeElement?.dataset?.pick;
      popup.setHTML(render(file));
      if (focused != null) popup.getElement().querySelector(`[data-pick="${focused}"]`)?.focus();
    }).catch(() => {});
  }
  function wire(el) {
    const pick = target => {
      const li = target.closest('[data-pick]');
      if (li && current) show(current.entries, Number(li.dataset.pick), current.lngLat);
      return !!li;
    };
    el.addEventListener('click', ev => {
      const a = ev.target.closest('[data-open-pond]');
      if (a) {
        ev.preventDefault();
        openPond(Number(a.dataset.openPond));
        return;
      }
      if (pick(ev.target)) ev.stopPropagation();
    });
    el.addEventListener('keydown', ev => {
      if ((ev.key === 'Enter' || ev.key === ' ') && pick(ev.target)) ev.preventDefault();
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        const li = ev.target.closest('[data-pick]');
        const next = li && (ev.key === 'ArrowDown' ? li.nextElementSibling : li.previousElementSibling);
        if (next) { next.focus(); ev.preventDefault(); }
      }
    });
  }
  function close() {
    if (!popup) return false;
    const open = popup.isOpen();
    popup.remove();
    popup = null;
    current = null;
    return open;
  }

  // ---- the pond file: each element row zooms to its element and flashes it
  function decoratePondFile(file) {
    for (const li of document.querySelectorAll('#panel-body li[data-element]')) {
      li.tabIndex = 0;
      li.setAttribute('role', 'button');
      li.classList.add('id-goto');
      const e = elementOf(file, Number(li.dataset.element));
      if (e?.lon != null) li.dataset.lon = e.lon, li.dataset.lat = e.lat;
    }
  }
  async function zoomToElement(id, pondId) {
    const file = await pondFile(pondId);
    const e = elementOf(file, id);
    if (!e) return;
    const at = e.lon != null ? [e.lon, e.lat] : [file.lon, file.lat];
    const zoom = Math.max(map.getZoom(), /point/i.test(e.geometry_type || 'point') ? 17 : 16);
    close();
    const entry = { type: 'element', id, kind: e.kind };
    const done = () => {
      highlight(entry, { type: 'Point', coordinates: at });
      flash();
    };
    if (reducedMotion()) map.jumpTo({ center: at, zoom });
    else map.flyTo({ center: at, zoom, duration: 1200, essential: true });
    // the pieces of the element are known once the tiles of the new view are in
    map.once('idle', done);
  }
  const panelBody = document.getElementById('panel-body');
  const goto = ev => {
    const li = ev.target.closest('li[data-element]');
    if (!li || ev.target.closest('a, button')) return false;
    const pondId = state.panelPond;
    if (pondId == null) return false;
    for (const x of panelBody.querySelectorAll('li.id-current')) x.classList.remove('id-current');
    li.classList.add('id-current');
    zoomToElement(Number(li.dataset.element), pondId);
    return true;
  };
  panelBody.addEventListener('click', goto);
  panelBody.addEventListener('keydown', ev => { if ((ev.key === 'Enter' || ev.key === ' ') && goto(ev)) ev.preventDefault(); });

  map.on('click', onClick);
  // another day: what was identified or flashed belongs to the map that was
  document.addEventListener('tailings:date', () => { close(); clearHighlight(); });
  document.addEventListener('tailings:lang', () => {
    if (current && popup?.isOpen()) show(current.entries, current.chosen, current.lngLat);
  });
  return { close, highlight, clearHighlight, flash, zoomToElement, entriesAt, symbol };
}
