// History: where the change log begins (/api/history) in the date control, a message for a day
// before it, the pond file's change entries named by kind and element, and a compare mode
// (两期对比) that marks what differs between two moments (/api/compare): added (green +), removed
// (red ×), moved (old place → new place, along an arrow line) and changed (orange ✎).

const TEXT = {
  zh: {
    starts: d => `历史记录始于 ${d}`,
    before: (d, s) => `${d} 早于历史记录的起点（${s}）：此前的变更没有记录，无法显示当日的状态`,
    compare: '两期对比', from: '前期', to: '后期', run: '对比', exit: '退出对比', onlyPond: n => `仅 ${n}`,
    added: '新增', removed: '删除', moved: '移动', changed: '修改',
    summary: (n, parts) => n ? `共 ${n} 处变化：${parts}` : '两期之间没有变化',
    fromBefore: s => `前期早于历史记录的起点（${s}）：那之前已有的要素不会显示为新增`,
    badRange: '前期须早于后期', failed: '对比失败', working: '正在对比…',
    legend: { added: '新增', removed: '删除', moved: '移动：原位置 → 新位置', changed: '属性修改' },
    metres: m => `${m} 米`,
    op: { I: '新增', U: '修改', D: '删除' }, via: r => `经由 ${r}`,
    pondRecord: '尾矿库信息', movedBy: m => `移动 ${m} 米`,
    columns: { geom: '位置', name: '名称', kind: '类型', source: '数据来源', accuracy_m: '精度', surveyed_on: '测量日期',
      verified_on: '核实日期', attrs: '属性', pond_id: '所属尾矿库', status: '状态', level: '监管等级',
      enterprise: '企业', location: '登记点位', code: '编码', county_code: '区县' },
  },
  en: {
    starts: d => `History begins on ${d}`,
    before: (d, s) => `${d} is before history begins (${s}): no changes were recorded then, so that day's state is unknown`,
    compare: 'Compare', from: 'From', to: 'To', run: 'Compare', exit: 'Leave compare', onlyPond: n => `only ${n}`,
    added: 'added', removed: 'removed', moved: 'moved', changed: 'changed',
    summary: (n, parts) => n ? `${n} differences: ${parts}` : 'No differences between the two moments',
    fromBefore: s => `"From" is before history begins (${s}): elements that existed before are not shown as added`,
    badRange: '"From" must come before "to"', failed: 'Compare failed', working: 'Comparing…',
    legend: { added: 'added', removed: 'removed', moved: 'moved: old place → new place', changed: 'attributes changed' },
    metres: m => `${m} m`,
    op: { I: 'added', U: 'edited', D: 'deleted' }, via: r => `via ${r}`,
    pondRecord: 'pond record', movedBy: m => `moved ${m} m`,
    columns: { geom: 'position', name: 'name', kind: 'kind', source: 'source', accuracy_m: 'accuracy', surveyed_on: 'surveyed',
      verified_on: 'verified', attrs: 'attributes', pond_id: 'pond', status: 'status', level: 'level',
      enterprise: 'enterprise', location: 'registry point', code: 'code', county_code: 'county' },
  },
};
const tx = (state, key) => TEXT[state.lang]?.[key] ?? TEXT.zh[key];
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const $ = id => document.getElementById(id);
const localDay = iso => new Date(iso).toLocaleDateString('sv');
// an ISO time as the value of <input type="datetime-local" step="1">, in the browser's time zone
const localInput = iso => new Date(iso).toLocaleString('sv').replace(' ', 'T').slice(0, 19);
export const COLOURS = { added: '#2f9e44', removed: '#e03131', moved: '#1971c2', changed: '#e8590c' };
const GLYPHS = { added: '+', removed: '×', moved: '→', changed: '✎' };

// the note for a past day before the change log begins (null otherwise)
export function beforeHistory(state) {
  const start = state.history?.start;
  if (!state.at || !start || state.at >= localDay(start)) return null;
  return tx(state, 'before')(state.at, localDay(start));
}

// one entry of a pond file's recent changes: when, what (the kind's label and the element's
// name, from the logged row), and who as recorded: the actor, and the login when it differs
export function changeEntry(c, state) {
  const lang = state.lang;
  const when = new Date(c.changed_at).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
  const cols = tx(state, 'columns');
  const what = c.op === 'U' && c.changed?.length ? ` (${c.changed.map(x => cols[x] || x).join(lang === 'zh' ? '、' : ', ')})` : '';
  const moved = c.moved_m != null ? ` · ${tx(state, 'movedBy')(Math.round(c.moved_m * 10) / 10)}` : '';
  const table = c.table?.replace(/^tailings\./, '');
  let subject;
  if (c.label || c.name) {
    const label = c.label ?? (c.kind && state.kinds.get(c.kind)?.[`label_${lang}`]) ?? '';
    subject = `<span class="chg-kind">${esc(label)}</span>${c.name && c.name !== label
      ? `<span class="chg-name">${lang === 'zh' ? `「${esc(c.name)}」` : ` “${esc(c.name)}”`}</span>` : ''}`;
  } else if (table === 'pond') {
    subject = `<span class="chg-kind">${esc(tx(state, 'pondRecord'))}</span>`;
  } else {
    subject = `<span class="chg-kind">${esc(table)} #${esc(c.row_id)}</span>`;
  }
  const role = c.session_role && c.session_role !== c.actor ? ` <small class="chg-role">(${esc(tx(state, 'via')(c.session_role))})</small>` : '';
  return `<li data-change="${esc(c.id)}" data-op="${esc(c.op)}" data-row="${esc(c.row_id)}">
    <span class="chg-when">${esc(when)}</span> · <span class="chg-op op-${esc(c.op)}">${esc(tx(state, 'op')[c.op] || c.op)}</span>
    ${subject}${esc(what)}${esc(moved)} · <span class="chg-actor">${esc(c.actor)}</span>${role}</li>`;
}

// the compare marks, drawn once per map: a coloured disc with a white glyph, 2x for sharp screens
function addIcons(map) {
  const size = 44;
  for (const [change, colour] of Object.entries(COLOURS)) {
    if (map.hasImage(`compare-${change}`)) continue;
    const c = document.createElement('canvas');
    c.width = c.height = size;
    const g = c.getContext('2d');
    g.beginPath();
    g.arc(size / 2, size / 2, size / 2 - 3, 0, 2 * Math.PI);
    g.fillStyle = colour;
    g.fill();
    g.lineWidth = 3;
    g.strokeStyle = '#fff';
    g.stroke();
    g.strokeStyle = '#fff';
    g.lineWidth = 5;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    const m = size / 2, r = 9;
    g.beginPath();
    if (change === 'added') { g.moveTo(m - r, m); g.lineTo(m + r, m); g.moveTo(m, m - r); g.lineTo(m, m + r); }
    if (change === 'removed') { g.moveTo(m - 7, m - 7); g.lineTo(m + 7, m + 7); g.moveTo(m + 7, m - 7); g.lineTo(m - 7, m + 7); }
    // pointing +x: the layer turns it the way the element moved
    if (change === 'moved') { g.moveTo(m - r, m); g.lineTo(m, m); }
    if (change === 'changed') { g.moveTo(m - 7, m + 7); g.lineTo(m + 6, m - 6); g.moveTo(m - 8, m + 8); g.lineTo(m - 5, m + 8); }
    g.stroke();
    if (change === 'moved') {   // a filled head
      g.beginPath();
      g.moveTo(m + 11, m); g.lineTo(m - 2, m - 8); g.lineTo(m - 2, m + 8); g.closePath();
      g.fillStyle = '#fff';
      g.fill();
    }
    map.addImage(`compare-${change}`, g.getImageData(0, 0, size, size), { pixelRatio: 2 });
  }
}

// the direction from a to b (lon/lat), degrees clockwise from east, on the map (Web Mercator keeps
// angles: over a few hundred metres the local east/north scale is cos(lat))
function screenAngle(a, b) {
  const dx = (b[0] - a[0]) * Math.cos((a[1] + b[1]) / 2 * Math.PI / 180);
  const dy = b[1] - a[1];
  return -Math.atan2(dy, dx) * 180 / Math.PI;
}
// a point of a geometry, when the server gave none
function somePoint(g) {
  let c = g?.coordinates;
  while (Array.isArray(c) && Array.isArray(c[0])) c = c[0];
  return Array.isArray(c) ? c : null;
}

const LAYERS = ['compare-fill', 'compare-outline', 'compare-move-casing', 'compare-move-line', 'compare-old', 'compare-mark'];

export function installHistory({ map, state, getJSON, identify, renderHistoryNote }) {
  const t = key => tx(state, key);
  state.history = null;
  state.compare = null;

  // ---- where history begins
  const hint = document.createElement('span');
  hint.id = 'history-start';
  hint.hidden = true;
  $('now').after(hint);
  function renderStart() {
    const start = state.history?.start;
    hint.hidden = !start;
    if (!start) return;
    hint.textContent = t('starts')(localDay(start));
    $('date').min = localDay(start);
    $('date').title = hint.textContent;
    $('date').setAttribute('aria-describedby', 'history-start');
  }
  const loaded = getJSON('/api/history').then(h => {
    state.history = h;
    renderStart();
    renderHistoryNote();
    if (!$('compare-from').value) $('compare-from').value = defaultFrom();
  }).catch(() => {});

  // ---- compare mode: a toggle by the date control, a box of its own over the map
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.id = 'compare-toggle';
  toggle.setAttribute('aria-pressed', 'false');
  toggle.setAttribute('aria-controls', 'compare');
  hint.before(toggle);

  const box = document.createElement('div');
  box.id = 'compare';
  box.className = 'maplibregl-ctrl compare-box';
  box.hidden = true;
  box.setAttribute('role', 'region');
  box.innerHTML = `
    <form id="compare-form">
      <h3 id="compare-title"></h3>
      <div class="compare-when">
        <label><span data-t="from"></span><input type="datetime-local" step="1" id="compare-from" required></label>
        <label><span data-t="to"></span><input type="datetime-local" step="1" id="compare-to" required></label>
      </div>
      <label class="compare-pond" hidden><input type="checkbox" id="compare-pond"> <span></span></label>
      <div class="compare-buttons"><button type="submit" data-t="run"></button>
        <button type="button" id="compare-exit" data-t="exit"></button></div>
    </form>
    <p class="compare-note" id="compare-note" role="status"></p>
    <ul class="compare-key"></ul>
    <ul class="compare-list" id="compare-list"></ul>`;
  map.addControl({ onAdd: () => box, onRemove: () => box.remove() }, 'top-left');

  function renderTexts() {
    // on a phone the short label (对比): the bar has room for no more
    toggle.innerHTML = `<span class="long">${esc(t('compare'))}</span><span class="short">${esc(t('run'))}</span>`;
    toggle.setAttribute('aria-label', t('compare'));
    $('compare-title').textContent = t('compare');
    for (const el of box.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    box.setAttribute('aria-label', t('compare'));
    box.querySelector('.compare-key').innerHTML = Object.keys(COLOURS).map(ch =>
      `<li><span class="cmp-sym ${ch}">${GLYPHS[ch]}</span>${esc(t('legend')[ch])}</li>`).join('');
    renderPondChoice();
    renderStart();
    if (state.compare?.result) renderResult();
  }
  function renderPondChoice() {
    const p = state.pondById.get(state.panelPond);
    const label = box.querySelector('.compare-pond');
    label.hidden = !p;
    if (!p) $('compare-pond').checked = false;
    else label.querySelector('span').textContent = t('onlyPond')(p.name);
  }

  // a week ago, or the first whole second after the first recorded change when history is younger
  // (the changes of that first moment, typically the initial load, are not differences)
  function defaultFrom() {
    const week = Date.now() - 7 * 86400e3;
    const start = state.history?.start ? Math.floor(Date.parse(state.history.start) / 1000) * 1000 + 1000 : null;
    return localInput(new Date(start && start > week ? start : week).toISOString());
  }
  function open() {
    box.hidden = false;
    toggle.setAttribute('aria-pressed', 'true');
    toggle.classList.add('on');
    if (!$('compare-to').value) $('compare-to').value = localInput(new Date().toISOString());
    if (!$('compare-from').value) $('compare-from').value = defaultFrom();
    renderPondChoice();
    $('compare-from').focus();
  }
  function exit() {
    box.hidden = true;
    toggle.setAttribute('aria-pressed', 'false');
    toggle.classList.remove('on');
    state.compare = null;
    for (const id of LAYERS) if (map.getLayer(id)) map.removeLayer(id);
    for (const id of ['compare-geom', 'compare-marks', 'compare-moves']) if (map.getSource(id)) map.removeSource(id);
    $('compare-list').innerHTML = '';
    $('compare-note').textContent = '';
    identify.clearHighlight();
  }
  toggle.addEventListener('click', () => (box.hidden ? open() : exit()));
  $('compare-exit').addEventListener('click', exit);
  $('compare-form').addEventListener('submit', e => {
    e.preventDefault();
    run();
  });

  // ---- the comparison
  async function run() {
    const fromV = $('compare-from').value, toV = $('compare-to').value;
    const from = new Date(fromV), to = new Date(toV);
    if (!fromV || !toV || Number.isNaN(+from) || Number.isNaN(+to) || from >= to) {
      $('compare-note').textContent = t('badRange');
      return;
    }
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), lang: state.lang });
    if ($('compare-pond').checked && state.panelPond != null) q.set('pond', String(state.panelPond));
    $('compare-note').textContent = t('working');
    const mine = state.compare = { from: q.get('from'), to: q.get('to'), pond: q.get('pond'), result: null };
    let result;
    try {
      result = await getJSON(`/api/compare?${q}`);
    } catch (err) {
      if (state.compare === mine) $('compare-note').textContent = `${t('failed')}: ${err.message}`;
      return;
    }
    if (state.compare !== mine) return;
    mine.result = result;
    draw(result);
    renderResult();
    fit(result);
  }

  // each difference as the map marks it; ids of the features are the element ids
  function marks(result) {
    const geoms = [], points = [], moves = [];
    for (const f of result.features) {
      const p = f.properties;
      const id = f.id ?? p.id;
      geoms.push({ type: 'Feature', id, properties: { id, change: p.change }, geometry: f.geometry });
      const at = (p.change === 'removed' ? p.old_point : p.new_point) ?? p.new_point ?? p.old_point ?? somePoint(f.geometry);
      if (!at) continue;
      let rotate = 0;
      if (p.change === 'moved' && p.old_point && p.new_point) {
        rotate = screenAngle(p.old_point, p.new_point);
        moves.push({ type: 'Feature', id, properties: { id, moved_m: p.moved_m },
          geometry: { type: 'LineString', coordinates: [p.old_point, p.new_point] } });
        points.push({ type: 'Feature', id, properties: { id, change: p.change, role: 'old' },
          geometry: { type: 'Point', coordinates: p.old_point } });
      }
      points.push({ type: 'Feature', id, properties: { id, change: p.change, role: 'mark', rotate },
        geometry: { type: 'Point', coordinates: at } });
    }
    const fc = features => ({ type: 'FeatureCollection', features });
    return { geoms: fc(geoms), points: fc(points), moves: fc(moves) };
  }
  function draw(result) {
    const d = marks(result);
    addIcons(map);
    const set = (id, data) => map.getSource(id) ? map.getSource(id).setData(data) : map.addSource(id, { type: 'geojson', data });
    set('compare-geom', d.geoms);
    set('compare-marks', d.points);
    set('compare-moves', d.moves);
    state.compare.marks = d;
    const colour = ['match', ['get', 'change'], ...Object.entries(COLOURS).flat(), '#495057'];
    const isPoly = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
    const isPoint = ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false];
    const add = layer => { if (!map.getLayer(layer.id)) map.addLayer(layer); else map.moveLayer(layer.id); };
    add({ id: 'compare-fill', type: 'fill', source: 'compare-geom', filter: isPoly, paint: { 'fill-color': colour, 'fill-opacity': 0.18 } });
    // the element's own line or outline in the colour of its change; a removed one dashed
    add({ id: 'compare-outline', type: 'line', source: 'compare-geom', filter: ['!', isPoint],
      layout: { 'line-join': 'round' },
      paint: { 'line-color': colour, 'line-width': 3, 'line-dasharray': ['case', ['==', ['get', 'change'], 'removed'], ['literal', [2, 1.5]], ['literal', [1, 0]]] } });
    add({ id: 'compare-move-casing', type: 'line', source: 'compare-moves', layout: { 'line-cap': 'round' },
      paint: { 'line-color': '#fff', 'line-width': 6 } });
    add({ id: 'compare-move-line', type: 'line', source: 'compare-moves', layout: { 'line-cap': 'round' },
      paint: { 'line-color': COLOURS.moved, 'line-width': 3, 'line-dasharray': [2, 1] } });
    // the old place of a moved element: a hollow ring
    add({ id: 'compare-old', type: 'circle', source: 'compare-marks', filter: ['==', ['get', 'role'], 'old'],
      paint: { 'circle-radius': 7, 'circle-color': '#fff', 'circle-stroke-color': COLOURS.moved, 'circle-stroke-width': 3 } });
    add({ id: 'compare-mark', type: 'symbol', source: 'compare-marks', filter: ['==', ['get', 'role'], 'mark'],
      layout: { 'icon-image': ['concat', 'compare-', ['get', 'change']], 'icon-rotate': ['get', 'rotate'],
        'icon-rotation-alignment': 'map', 'icon-allow-overlap': true, 'icon-ignore-placement': true } });
  }
  // room around what is fitted in view: the box's side of the map stays clear of it
  function padding(p) {
    const pad = { top: p, bottom: p, left: p, right: p };
    if (box.hidden) return pad;
    const b = box.getBoundingClientRect(), m = map.getContainer().getBoundingClientRect();
    if (m.width - b.width > 320) pad.left = Math.max(p, b.right - m.left + 20);
    else pad.top = Math.min(Math.max(p, b.bottom - m.top + 20), m.height / 2);
    return pad;
  }
  function fit(result) {
    const pts = [];
    for (const f of result.features) for (const k of ['old_point', 'new_point']) if (f.properties[k]) pts.push(f.properties[k]);
    if (!pts.length) return;
    const xs = pts.map(p => p[0]), ys = pts.map(p => p[1]);
    map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]],
      { padding: padding(80), maxZoom: 17, duration: matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 800 });
  }
  function renderResult() {
    const result = state.compare.result;
    const fs = result.features;
    const by = {};
    for (const f of fs) by[f.properties.change] = (by[f.properties.change] || 0) + 1;
    const parts = Object.keys(COLOURS).filter(c => by[c]).map(c => `${t(c)} ${by[c]}`).join(state.lang === 'zh' ? '，' : ', ');
    const start = result.history_start ?? state.history?.start;
    const early = start && new Date(result.from) < new Date(start) ? ` ${t('fromBefore')(localDay(start))}` : '';
    $('compare-note').textContent = early ? `${t('summary')(fs.length, parts)}${state.lang === 'zh' ? '。' : '. '}${early.trim()}`
      : t('summary')(fs.length, parts);
    const order = { removed: 0, added: 1, moved: 2, changed: 3 };
    const sorted = [...fs].sort((a, b) => order[a.properties.change] - order[b.properties.change] ||
      String(a.properties.pond_name).localeCompare(String(b.properties.pond_name)) || (a.id - b.id));
    $('compare-list').innerHTML = sorted.map(f => {
      const p = f.properties, id = f.id ?? p.id;
      const name = p.name && p.name !== p.label ? (state.lang === 'zh' ? `「${esc(p.name)}」` : ` “${esc(p.name)}”`) : '';
      return `<li tabindex="0" role="button" data-id="${esc(id)}" data-change="${esc(p.change)}">
        <span class="cmp-sym ${esc(p.change)}">${GLYPHS[p.change] ?? '?'}</span>
        <span class="cmp-what"><b>${esc(t(p.change))}</b> ${esc(p.label ?? p.kind)}${name}
        <small>${esc(p.pond_name ?? '')}${p.moved_m != null ? ` · ${esc(t('metres')(Math.round(p.moved_m * 10) / 10))}` : ''}</small></span></li>`;
    }).join('');
  }
  // a row of the list: the map to the difference (both places of a move), the element highlighted
  function goTo(li) {
    const f = state.compare?.result?.features.find(x => String(x.id ?? x.properties.id) === li.dataset.id);
    if (!f) return;
    for (const x of $('compare-list').querySelectorAll('li.current')) x.classList.remove('current');
    li.classList.add('current');
    const p = f.properties;
    const pts = [p.old_point, p.new_point].filter(Boolean);
    if (!pts.length && somePoint(f.geometry)) pts.push(somePoint(f.geometry));
    const xs = pts.map(q => q[0]), ys = pts.map(q => q[1]);
    const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
    map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]],
      { padding: padding(120), maxZoom: 17, duration: reduce ? 0 : 800 });
    map.once('idle', () => {
      // a removed element is no longer in the tiles: its geometry from the comparison
      identify.highlight({ type: 'element', id: Number(f.id ?? p.id), kind: p.kind },
        p.change === 'removed' ? f.geometry : null);
      identify.flash();
    });
  }
  $('compare-list').addEventListener('click', e => { const li = e.target.closest('li[data-id]'); if (li) goTo(li); });
  $('compare-list').addEventListener('keydown', e => {
    const li = e.target.closest('li[data-id]');
    if (li && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); goTo(li); }
  });

  // a mark on the map: its row in the list, in view (identify shows what is there now)
  const markClick = e => {
    const id = e.features?.[0]?.properties.id;
    const li = id != null && $('compare-list').querySelector(`li[data-id="${id}"]`);
    if (!li) return;
    for (const x of $('compare-list').querySelectorAll('li.current')) x.classList.remove('current');
    li.classList.add('current');
    li.scrollIntoView({ block: 'nearest' });
  };
  map.on('click', 'compare-mark', markClick);
  map.on('click', 'compare-old', markClick);

  document.addEventListener('tailings:lang', () => {
    renderTexts();
    if (state.compare?.result) run();   // the labels in the other language
  });
  document.addEventListener('tailings:pond', renderPondChoice);
  renderTexts();
  return { open, exit, run, loaded };
}
