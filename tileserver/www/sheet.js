// The pond's one-map sheet (一张图) for its paper file: /sheet/{id}, printed A3 landscape.
// Everything comes from this server: the pond's elements from /api/ponds/{id}/geojson, its file
// (completeness) from /api/ponds/{id}, the kinds' labels and flow directions from /api/catalog,
// their colours, widths and dashes from /style.json and the point icons from the sprite.  The map
// is SVG in millimetres (vector in print), Web Mercator with north up, at a round scale 1:N that
// is true on paper when the sheet is printed at its size.  body[data-ready="1"] once it is built.
import { countyName } from '/counties.js';
import { evaluate } from '/expr.js';
import { authFetch } from '/auth.js';
import {
  TEXT as FILE_TEXT, esc, ledgerChart, ledgerTable, documentsTable, facilitiesList, hazardsHtml, inspectionsHtml,
  monitoringTable, wellCharts, parametersOf, paramLabels, defaultParameter, wellsOf,
} from '/pondfile.js';

const lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';
const TEXT = {
  zh: {
    sheet: '尾矿库环境监管要素一张图', code: '编码', enterprise: '企业', county: '区县', level: '监管等级',
    levelN: n => `${['', '一', '二', '三'][n] || n}级`, status: '状态',
    statuses: { in_use: '在用', suspended: '停用', closed: '闭库' },
    dataAsOf: '数据截至', printed: '打印时间', legend: '图例', rules: '完整性检查',
    score: (s, failed, warned) => `图件完整度 ${Math.round(s * 100)}%；未通过 ${failed} 项，警告 ${warned} 项`,
    rule: '规则', result: '结果', message: '说明', pass: '通过', fail: '未通过', warn: '警告',
    elements: '要素一览', kind: '类型', name: '名称', lon: '经度', lat: '纬度', source: '来源',
    accuracy: '精度(米)', surveyed: '测量日期', verified: '核实日期', unverified: '未核实', noElements: '尚无标绘要素',
    sources: { satellite: '卫星遥感', drone: '无人机航测', ground: '实地测量' },
    north: '北', gwFlow: a => `地下水流向 ${a}°`, gwFlowLegend: '地下水流向',
    scale: n => `比例尺 1:${n}`, metres: '米', km: '千米',
    insetTitle: '库区放大图', insetScale: n => `放大图 1:${n}`,
    verifiedRing: '已实地核实（点要素的圈）', unverifiedRing: '未实地核实',
    registry: '尾矿库登记点位',
    mapNote: n => `坐标系：CGCS2000 经纬度；投影：Web 墨卡托，北向上。按 A3 原尺寸打印时比例尺为 1:${n}。`,
    tableNote: '坐标为 CGCS2000 经纬度（度，6 位小数）；线、面要素的坐标为其上的一点。',
    title: name => `${name} — 一张图`,
    badPath: '地址应为 /sheet/{尾矿库编号}', loadFailed: '加载失败',
  },
  en: {
    sheet: 'Tailings pond one-map sheet', code: 'Code', enterprise: 'Enterprise', county: 'County', level: 'Supervision',
    levelN: n => `level ${n}`, status: 'Status',
    statuses: { in_use: 'in use', suspended: 'suspended', closed: 'closed' },
    dataAsOf: 'Data as of', printed: 'Printed', legend: 'Legend', rules: 'Completeness check',
    score: (s, failed, warned) => `Element maps ${Math.round(s * 100)}% complete; ${failed} failed, ${warned} warnings`,
    rule: 'Rule', result: 'Result', message: 'Message', pass: 'pass', fail: 'fail', warn: 'warning',
    elements: 'Elements', kind: 'Kind', name: 'Name', lon: 'Longitude', lat: 'Latitude', source: 'Source',
    accuracy: 'Accuracy (m)', surveyed: 'Surveyed', verified: 'Verified', unverified: 'not verified', noElements: 'No elements drawn yet',
    sources: { satellite: 'satellite', drone: 'drone survey', ground: 'ground survey' },
    north: 'N', gwFlow: a => `Groundwater flow ${a}°`, gwFlowLegend: 'Groundwater flow',
    scale: n => `Scale 1:${n}`, metres: 'm', km: 'km',
    insetTitle: 'The pond enlarged', insetScale: n => `Enlarged 1:${n}`,
    verifiedRing: 'ground-verified (ring of a point)', unverifiedRing: 'not ground-verified',
    registry: 'Registered pond location',
    mapNote: n => `CGCS2000 longitude/latitude; Web Mercator, north up. The scale is 1:${n} when printed at A3 size.`,
    tableNote: 'Coordinates: CGCS2000 longitude/latitude in degrees; for a line or an area, a point on it.',
    title: name => `${name} — one-map sheet`,
    badPath: 'The address is /sheet/{pond id}', loadFailed: 'Could not load',
  },
};
const T = TEXT[lang];

const SVG = 'http://www.w3.org/2000/svg';
const MM_PER_PX = 25.4 / 96;           // a CSS pixel (a style's pixel) in millimetres
const R = 6378137;                     // Web Mercator's sphere
const LABEL_PT = 7;                    // element labels, in points
const PT_MM = 25.4 / 72;

const $ = id => document.getElementById(id);
const h = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
};
const s = (tag, attrs = {}, parent) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) e.setAttribute(k, typeof v === 'number' ? round(v) : v);
  if (parent) parent.appendChild(e);
  return e;
};
const round = v => Math.round(v * 1000) / 1000;
// with the token of the viewer that opened the sheet (sessionStorage is copied to the tab it opens)
const getJSON = async path => {
  const r = await authFetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
};
const merc = ([lon, lat]) => [R * lon * Math.PI / 180, R * Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360))];
const pad2 = n => String(n).padStart(2, '0');
const dateTime = d => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;

// a paint or layout property of a style layer for a feature; def when the layer or property is absent
const prop = (layer, group, name, props, zoom, def) => {
  const v = layer?.[group]?.[name];
  if (v == null) return def;
  const r = evaluate(v, props, zoom);
  return r == null ? def : r;
};

// ---------------------------------------------------------------------------
// the sprite's icons, each cut out to a PNG of its own (one <symbol> per icon in the SVG)
async function loadSprite() {
  try {
    const [index, blob] = await Promise.all([getJSON('/sprite@2x.json'),
      fetch('/sprite@2x.png').then(r => { if (!r.ok) throw new Error('sprite'); return r.blob(); })]);
    const bitmap = await createImageBitmap(blob);
    return { index, bitmap, cut: new Map(), decoded: [] };
  } catch {
    return null;
  }
}

function spriteIcon(sprite, defs, name) {
  const e = sprite?.index?.[name];
  if (!e) return null;
  if (!sprite.cut.has(name)) {
    const c = document.createElement('canvas');
    c.width = e.width;
    c.height = e.height;
    c.getContext('2d').drawImage(sprite.bitmap, e.x, e.y, e.width, e.height, 0, 0, e.width, e.height);
    const id = `icon-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const url = c.toDataURL('image/png');
    const sym = s('symbol', { id, viewBox: `0 0 ${e.width} ${e.height}` }, defs);
    s('image', { href: url, width: e.width, height: e.height }, sym);
    const img = new Image();
    img.src = url;
    sprite.decoded.push(img.decode().catch(() => {}));
    // its size as the map draws it at 1x, in millimetres
    sprite.cut.set(name, { id, w: e.width / (e.pixelRatio || 2) * MM_PER_PX, h: e.height / (e.pixelRatio || 2) * MM_PER_PX });
  }
  return sprite.cut.get(name);
}

// ---------------------------------------------------------------------------
// a kind's symbol from the style's layers {kind}-fill, -line, -arrows, -point, -ring, -label
function symbology(style, catalog, zoom) {
  const layers = new Map((style.layers || []).map(l => [l.id, l]));
  const kinds = new Map();
  for (const c of catalog.categories)
    for (const k of c.kinds)
      kinds.set(k.code, { ...k, category: c, label: lang === 'en' ? k.label_en : k.label_zh });
  return code => {
    const k = kinds.get(code) || { code, label: code, directed: false, category: { colour: '#555', code: '' } };
    const colour = k.category.colour;
    const L = suffix => layers.get(`${code}-${suffix}`);
    const fill = L('fill'), line = L('line'), point = L('point'), ring = L('ring'), label = L('label');
    return {
      kind: k,
      directed: k.directed ?? Boolean(L('arrows')),
      polygon: props => ({
        fill: prop(fill, 'paint', 'fill-color', props, zoom, colour),
        fillOpacity: prop(fill, 'paint', 'fill-opacity', props, zoom, 0.2),
        stroke: prop(fill, 'paint', 'fill-outline-color', props, zoom, prop(fill, 'paint', 'fill-color', props, zoom, colour)),
      }),
      line: props => {
        const width = prop(line, 'paint', 'line-width', props, zoom, 2.5);
        const dash = prop(line, 'paint', 'line-dasharray', props, zoom, null);
        return {
          stroke: prop(line, 'paint', 'line-color', props, zoom, colour),
          opacity: prop(line, 'paint', 'line-opacity', props, zoom, 1),
          width: width * MM_PER_PX,
          // MapLibre's dashes are in line widths
          dash: Array.isArray(dash) && dash.length ? dash.map(d => round(d * width * MM_PER_PX)).join(' ') : null,
          cap: prop(line, 'layout', 'line-cap', props, zoom, 'butt'),
        };
      },
      point: props => ({
        type: point?.type === 'symbol' ? 'icon' : 'circle',
        icon: prop(point, 'layout', 'icon-image', props, zoom, code),
        iconSize: prop(point, 'layout', 'icon-size', props, zoom, 1),
        radius: prop(point, 'paint', 'circle-radius', props, zoom, 5) * MM_PER_PX,
        fill: prop(point, 'paint', 'circle-color', props, zoom, colour),
        stroke: prop(point, 'paint', 'circle-stroke-color', props, zoom, '#fff'),
        strokeWidth: prop(point, 'paint', 'circle-stroke-width', props, zoom, 1.5) * MM_PER_PX,
        ring: ring ? {
          radius: prop(ring, 'paint', 'circle-radius', props, zoom, 9) * MM_PER_PX,
          fill: prop(ring, 'paint', 'circle-color', props, zoom, '#fff'),
          fillOpacity: prop(ring, 'paint', 'circle-opacity', props, zoom, 1),
          stroke: prop(ring, 'paint', 'circle-stroke-color', props, zoom, '#212529'),
          strokeWidth: prop(ring, 'paint', 'circle-stroke-width', props, zoom, 1.5) * MM_PER_PX,
          strokeOpacity: prop(ring, 'paint', 'circle-stroke-opacity', props, zoom, 1),
        } : null,
      }),
      label: props => ({
        fill: prop(label, 'paint', 'text-color', props, zoom, colour),
        halo: prop(label, 'paint', 'text-halo-color', props, zoom, '#fff'),
      }),
      hasRing: Boolean(ring),
    };
  };
}

// ---------------------------------------------------------------------------
// drawing: each function draws into an SVG group in millimetres
function drawPolygon(g, rings, st, attrs) {
  const d = rings.map(r => `M${r.map(([x, y]) => `${round(x)},${round(y)}`).join('L')}Z`).join('');
  return s('path', { d, fill: st.fill, 'fill-opacity': st.fillOpacity, stroke: st.stroke, 'stroke-width': 0.3,
    'fill-rule': 'evenodd', ...attrs }, g);
}

function drawLine(g, pts, st, attrs) {
  return s('polyline', { points: pts.map(([x, y]) => `${round(x)},${round(y)}`).join(' '), fill: 'none',
    stroke: st.stroke, 'stroke-width': st.width, 'stroke-opacity': st.opacity, 'stroke-dasharray': st.dash,
    'stroke-linecap': st.cap, 'stroke-linejoin': 'round', ...attrs }, g);
}

// an arrowhead pointing along +x at the origin (its apex ahead of its centre), turned by deg
function drawArrow(g, x, y, deg, colour, size, attrs) {
  const a = s('path', { d: `M${1.9 * size},0L${-1.3 * size},${-1.25 * size}L${-1.3 * size},${1.25 * size}Z`,
    transform: `translate(${round(x)} ${round(y)}) rotate(${round(deg)})`, fill: colour, stroke: '#fff',
    'stroke-width': 0.3, 'paint-order': 'stroke', 'stroke-linejoin': 'round', ...attrs }, g);
  return a;
}

// arrows along a line (paper coordinates), every `every` mm, the first half a step in; one at the
// middle of a short line; each on the segment it falls on, pointing from the first vertex to the last
function arrowsAlong(pts, every) {
  const seg = [];
  let total = 0;
  for (let i = 1; i < pts.length; i++) {
    const len = Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]);
    seg.push(len);
    total += len;
  }
  if (total < 1e-6) return [];
  const n = Math.max(1, Math.floor(total / every));
  const out = [];
  for (let j = 0; j < n; j++) {
    let at = total * (j + 0.5) / n;
    for (let i = 0; i < seg.length; i++) {
      if (at <= seg[i] || i === seg.length - 1) {
        if (seg[i] === 0) continue;
        const f = Math.min(1, at / seg[i]);
        const [x0, y0] = pts[i], [x1, y1] = pts[i + 1];
        out.push({ x: x0 + f * (x1 - x0), y: y0 + f * (y1 - y0), deg: Math.atan2(y1 - y0, x1 - x0) * 180 / Math.PI });
        break;
      }
      at -= seg[i];
    }
  }
  return out;
}

function drawPoint(g, defs, sprite, st, size = 1) {
  if (st.ring) {
    s('circle', { r: st.ring.radius * size, fill: st.ring.fill, 'fill-opacity': st.ring.fillOpacity,
      stroke: st.ring.stroke, 'stroke-width': st.ring.strokeWidth, 'stroke-opacity': st.ring.strokeOpacity }, g);
  }
  const icon = st.type === 'icon' ? spriteIcon(sprite, defs, st.icon) : null;
  if (icon) {
    const w = icon.w * st.iconSize * size, hh = icon.h * st.iconSize * size;
    s('use', { href: `#${icon.id}`, x: -w / 2, y: -hh / 2, width: w, height: hh }, g);
    return Math.max(w, hh) / 2;
  }
  // no icon of this kind in the sprite: the style's circle (or a circle in the category's colour)
  s('circle', { r: st.radius * size, fill: st.fill, stroke: st.stroke, 'stroke-width': st.strokeWidth }, g);
  return st.radius * size + st.strokeWidth / 2;
}

// ---------------------------------------------------------------------------
// the map: fitted to its frame at a round scale
const NICE = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8];
function niceScaleAtLeast(n) {
  const e = 10 ** Math.floor(Math.log10(n));
  for (const m of NICE) if (m * e >= n - 1e-9) return Math.round(m * e);
  return Math.round(10 * e);
}
function niceLengthAtMost(x) {
  const e = 10 ** Math.floor(Math.log10(x));
  for (const m of [5, 2, 1]) if (m * e <= x) return m * e;
  return e;
}

function coordsOf(geom) {
  switch (geom.type) {
    case 'Point': return [geom.coordinates];
    case 'LineString': case 'MultiPoint': return geom.coordinates;
    case 'Polygon': case 'MultiLineString': return geom.coordinates.flat();
    case 'MultiPolygon': return geom.coordinates.flat(2);
    default: return [];
  }
}

// a Web Mercator frame: paper mm per Mercator metre at 1:N and the latitude, centred on (cx, cy) at (ox, oy)
function frame(N, lat, cx, cy, ox, oy) {
  const mm = Math.cos(lat * Math.PI / 180) * 1000 / N;
  return {
    N,
    project: c => { const [x, y] = merc(c); return [ox + (x - cx) * mm, oy - (y - cy) * mm]; },
    unproject: (px, py) => {
      const x = cx + (px - ox) / mm, y = cy - (py - oy) / mm;
      return [x / R * 180 / Math.PI, (2 * Math.atan(Math.exp(y / R)) - Math.PI / 2) * 180 / Math.PI];
    },
  };
}

// the Mercator box of some coordinates: [x0, y0, x1, y1]
function mercBox(coords) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of coords.map(merc)) { b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y); }
  return b;
}

// the round scale 1:N at which the box fits w x h mm at the latitude (1:500 at the largest)
function fitScale(b, lat, w, h) {
  const dx = Math.max(b[2] - b[0], 1e-9), dy = Math.max(b[3] - b[1], 1e-9);
  return niceScaleAtLeast(Math.max(500, Math.cos(lat * Math.PI / 180) * 1000 / Math.min(w / dx, h / dy)));
}

// the features in a group: areas (largest underneath), lines and their flow arrows, points; what to label
function drawFeatures(root, feats, project, kindStyle, defs, sprite) {
  const gPoly = s('g', { class: 'polygons' }, root), gLine = s('g', { class: 'lines' }, root);
  const gArrow = s('g', { class: 'arrows' }, root), gPoint = s('g', { class: 'points' }, root);
  const jobs = [], obstacles = [];
  const typeOf = f => f.geometry.type.replace(/^Multi/, '');
  const polys = feats.filter(f => typeOf(f) === 'Polygon').map(f => {
    const parts = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    const rings = parts.flat().map(r => r.map(project));
    const area = Math.abs(rings[0].reduce((a, [x, y], i, r) => a + x * r[(i + 1) % r.length][1] - r[(i + 1) % r.length][0] * y, 0)) / 2;
    return { f, rings, area };
  }).sort((a, b) => b.area - a.area);
  for (const { f, rings } of polys) {
    const st = kindStyle(f.properties.kind);
    drawPolygon(gPoly, rings, st.polygon({ ...f.properties, $type: 'Polygon' }),
      { class: 'feature polygon', 'data-id': f.id, 'data-kind': f.properties.kind });
    const at = f.properties.lon != null ? project([Number(f.properties.lon), Number(f.properties.lat)]) : rings[0][0];
    jobs.push({ f, kind: 'polygon', at, st });
  }
  for (const f of feats.filter(f => typeOf(f) === 'LineString')) {
    const st = kindStyle(f.properties.kind);
    const lst = st.line({ ...f.properties, $type: 'LineString' });
    const parts = f.geometry.type === 'LineString' ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const part of parts) {
      const pts = part.map(project);
      drawLine(gLine, pts, lst, { class: 'feature line', 'data-id': f.id, 'data-kind': f.properties.kind,
        'data-directed': st.directed ? '1' : '0' });
      if (st.directed)
        for (const a of arrowsAlong(pts, 28))
          drawArrow(gArrow, a.x, a.y, a.deg, lst.stroke, Math.max(1, lst.width / 0.6), { class: 'flow-arrow', 'data-id': f.id });
      jobs.push({ f, kind: 'line', pts, at: pointAlong(pts, 0.5), st });
    }
  }
  for (const f of feats.filter(f => typeOf(f) === 'Point')) {
    const st = kindStyle(f.properties.kind);
    const coords = f.geometry.type === 'Point' ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const c of coords) {
      const [x, y] = project(c);
      const g = s('g', { class: 'feature point', 'data-id': f.id, 'data-kind': f.properties.kind,
        transform: `translate(${round(x)} ${round(y)})` }, gPoint);
      const r = drawPoint(g, defs, sprite, st.point({ ...f.properties, $type: 'Point' }));
      obstacles.push({ x0: x - r, y0: y - r, x1: x + r, y1: y + r });
      jobs.push({ f, kind: 'point', at: [x, y], r, st });
    }
  }
  return { jobs, obstacles, gPoint };
}

function buildMap(svg, gj, kindStyle0, sprite) {
  const box = svg.getBoundingClientRect();
  const W = box.width * MM_PER_PX, H = box.height * MM_PER_PX;
  svg.setAttribute('viewBox', `0 0 ${round(W)} ${round(H)}`);
  const defs = s('defs', {}, svg);
  s('rect', { x: 0, y: 0, width: W, height: H }, s('clipPath', { id: 'frame' }, defs));

  const feats = gj.features.filter(f => f.geometry);
  const all = feats.flatMap(f => coordsOf(f.geometry)).concat(gj.pond?.location ? [gj.pond.location.coordinates] : []);
  const lats = all.map(c => c[1]);
  const lat = lats.length ? (Math.min(...lats) + Math.max(...lats)) / 2 : 0;
  // room for the graticule's labels, the north arrow and the scale bar
  const margin = { l: 14, r: 24, t: 14, b: 20 };
  const fitW = W - margin.l - margin.r, fitH = H - margin.t - margin.b;
  const b = all.length ? mercBox(all) : [0, 0, 0, 0];
  const N = all.length ? fitScale(b, lat, fitW, fitH) : 5000;
  const main = frame(N, lat, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, margin.l + fitW / 2, margin.t + fitH / 2);
  // the zoom whose pixels are this scale's: for the style's zoom-dependent paint
  const zoomAt = n => Math.log2(156543.03392804097 * Math.cos(lat * Math.PI / 180) / (n * MM_PER_PX / 1000));
  const kindStyle = kindStyle0(zoomAt(N));

  s('rect', { x: 0, y: 0, width: W, height: H, fill: '#fbfaf7' }, svg);
  const world = s('g', { 'clip-path': 'url(#frame)', id: 'features' }, svg);
  const drawn = drawFeatures(world, feats, main.project, kindStyle, defs, sprite);
  const hasBoundary = feats.some(f => f.properties.kind === 'pond_boundary');
  if (!hasBoundary && gj.pond?.location) {
    const [x, y] = main.project(gj.pond.location.coordinates);
    drawRegistry(s('g', { id: 'registry-point', transform: `translate(${round(x)} ${round(y)})` }, drawn.gPoint));
    drawn.obstacles.push({ x0: x - 2, y0: y - 2, x1: x + 2, y1: y + 2 });
  }
  drawTicks(svg, W, H, main.unproject, main.project);
  const inset = buildInset(svg, defs, gj, feats, main, lat, W, H, kindStyle0, zoomAt, sprite);
  // names inside the detail's extent are read in the detail
  const labelled = inset ? drawn.jobs.filter(j => !inside(j.at, inset.extent)) : drawn.jobs;
  const furnitureBoxes = [{ x0: W - 28, y0: 0, x1: W, y1: 45 }, { x0: 0, y0: H - 18, x1: 62, y1: H }];
  placeLabels(s('g', { class: 'labels' }, world), labelled,
    drawn.obstacles.concat(inset ? [inset.box, inset.extent] : [], furnitureBoxes), W, H);
  const furniture = s('g', { id: 'furniture' }, svg);
  // the north arrow top right, the scale bar bottom left: beside the detail when it is there
  const nx = inset && inset.box.x1 > W - 30 && inset.box.y0 < 50 ? inset.box.x0 - 13 : W - 13;
  const sx = inset && inset.box.x0 < 70 && inset.box.y1 > H - 20 ? inset.box.x1 + 6 : 6;
  drawNorth(furniture, nx, 8);
  if (gj.pond?.gw_flow_azimuth != null) drawGwFlow(furniture, nx, 33, gj.pond.gw_flow_azimuth, true);
  drawScaleBar(furniture, sx, H - 7, N, 'scalebar', T.scale(N));
  return { N, inset: inset?.N, kinds: new Set(feats.map(f => f.properties.kind)), hasBoundary, kindStyle, defs };
}

const inside = ([x, y], r) => x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1;

/*
 * The pond's own area enlarged, when the map's scale leaves it crowded (receptors kilometres away):
 * the boundary's box and a margin at a round scale at least 1.5 times larger, in the map's corner
 * that covers the fewest features, its extent outlined on the map.
 */
function buildInset(svg, defs, gj, feats, main, lat, W, H, kindStyle0, zoomAt, sprite) {
  const boundary = feats.find(f => f.properties.kind === 'pond_boundary');
  if (!boundary) return null;
  // the boundary's box, and the elements near it (wells and pools below the dam)
  const bb = mercBox(coordsOf(boundary.geometry));
  const near = Math.max(bb[2] - bb[0], bb[3] - bb[1]) * 0.6;
  const core = [...bb];
  for (const f of feats) {
    const fb = mercBox(coordsOf(f.geometry));
    if (fb[0] >= bb[0] - near && fb[2] <= bb[2] + near && fb[1] >= bb[1] - near && fb[3] <= bb[3] + near)
      [core[0], core[1], core[2], core[3]] = [Math.min(core[0], fb[0]), Math.min(core[1], fb[1]), Math.max(core[2], fb[2]), Math.max(core[3], fb[3])];
  }
  const grow = Math.max(core[2] - core[0], core[3] - core[1]) * 0.08;
  const ext = [core[0] - grow, core[1] - grow, core[2] + grow, core[3] + grow];
  const unm = (x, y) => [x / R * 180 / Math.PI, (2 * Math.atan(Math.exp(y / R)) - Math.PI / 2) * 180 / Math.PI];
  const p0 = main.project(unm(ext[0], ext[3])), p1 = main.project(unm(ext[2], ext[1]));
  const extent = { x0: p0[0], y0: p0[1], x1: p1[0], y1: p1[1] };
  // what the detail must not cover: the map's features, sampled every 2 mm, and the extent itself
  const samples = [];
  for (const f of feats) {
    const parts = f.geometry.type === 'Point' ? [[f.geometry.coordinates]] : f.geometry.type === 'LineString'
      ? [f.geometry.coordinates] : f.geometry.type === 'Polygon' ? f.geometry.coordinates : [coordsOf(f.geometry)];
    for (const part of parts) {
      const pts = part.map(main.project);
      samples.push(pts[0]);
      for (let i = 1; i < pts.length; i++) {
        const n = Math.ceil(Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]) / 2);
        for (let j = 1; j <= n; j++) samples.push([pts[i - 1][0] + (pts[i][0] - pts[i - 1][0]) * j / n, pts[i - 1][1] + (pts[i][1] - pts[i - 1][1]) * j / n]);
      }
    }
  }
  const overlaps = (a, c) => a.x0 < c.x1 && c.x0 < a.x1 && a.y0 < c.y1 && c.y0 < a.y1;
  // the largest detail that a corner has room for
  let best = null;
  for (const share of [0.8, 0.7, 0.6, 0.5, 0.42]) {
    const N2 = fitScale(ext, lat, W * share - 8, H * share - 14);
    if (N2 * 1.5 > main.N) break;
    const mm = Math.cos(lat * Math.PI / 180) * 1000 / N2;
    const iw = Math.min(W * share, (ext[2] - ext[0]) * mm + 8), ih = Math.min(H * share, (ext[3] - ext[1]) * mm + 14);
    for (const [x, y] of [[W - iw - 3, 3], [3, 3], [W - iw - 3, H - ih - 3], [3, H - ih - 3]]) {
      const r = { x0: x, y0: y, x1: x + iw, y1: y + ih };
      const cost = samples.filter(p => inside(p, r)).length + (overlaps(r, extent) ? 1e6 : 0);
      if (!best || cost < best.cost) best = { r, N2, iw, ih, cost };
    }
    if (best?.cost === 0) break;
  }
  if (!best || best.cost >= 1e6) return null;
  const { r, N2, iw, ih } = best;
  s('rect', { x: extent.x0, y: extent.y0, width: extent.x1 - extent.x0, height: extent.y1 - extent.y0, fill: 'none',
    stroke: '#1f2328', 'stroke-width': 0.35, 'stroke-dasharray': '1.5 1', id: 'inset-extent' }, svg);
  const g = s('g', { id: 'inset', transform: `translate(${round(r.x0)} ${round(r.y0)})` }, svg);
  s('rect', { x: 0, y: 0, width: iw, height: ih, fill: '#fff', stroke: '#1f2328', 'stroke-width': 0.45 }, g);
  s('rect', { x: 0, y: 0, width: iw, height: ih }, s('clipPath', { id: 'inset-clip' }, defs));
  const f2 = frame(N2, lat, (ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2, iw / 2, (ih - 8) / 2 + 5);
  const body = s('g', { 'clip-path': 'url(#inset-clip)', id: 'inset-features' }, g);
  s('rect', { x: 0, y: 0, width: iw, height: ih, fill: '#fbfaf7' }, body);
  const drawn = drawFeatures(body, feats, f2.project, kindStyle0(zoomAt(N2)), defs, sprite);
  const jobs = drawn.jobs.filter(j => inside(j.at, { x0: 0, y0: 0, x1: iw, y1: ih }));
  const titleBox = { x0: 0, y0: 0, x1: iw, y1: 5 }, barBox = { x0: 0, y0: ih - 12, x1: 62, y1: ih };
  placeLabels(s('g', { class: 'labels' }, body), jobs, drawn.obstacles.concat([titleBox, barBox]), iw, ih);
  s('rect', { x: 0, y: 0, width: iw, height: 5, fill: '#1f2328' }, g);
  s('text', { x: 2, y: 3.6, 'font-size': 2.9, fill: '#fff', 'font-weight': 700 }, g).textContent = T.insetTitle;
  drawScaleBar(g, 4, ih - 4, N2, 'inset-scalebar', T.insetScale(N2), 0.6);
  return { N: N2, extent, box: { x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1 } };
}

function drawRegistry(g) {
  s('circle', { r: 1.8, fill: '#fff', stroke: '#1f2328', 'stroke-width': 0.4 }, g);
  s('circle', { r: 0.6, fill: '#1f2328' }, g);
}

// labels: the first free place of a few around each feature; where none is free, the least crowded
function placeLabels(g, jobs, obstacles, W, H) {
  const fs = LABEL_PT * PT_MM;
  const placed = [...obstacles];
  const overlap = (a, b) => Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const order = { point: 0, line: 1, polygon: 2 };
  jobs.sort((a, b) => order[a.kind] - order[b.kind]);
  for (const job of jobs) {
    const name = job.f.properties.name;
    if (!name) continue;
    const st = job.st.label(job.f.properties);
    const t = s('text', { class: 'label', 'font-size': round(fs), fill: st.fill, stroke: st.halo, 'stroke-width': 0.6,
      'data-id': job.f.id }, g);
    t.textContent = name;
    const w = t.getComputedTextLength(), asc = fs * 0.8, desc = fs * 0.22;
    const cands = [];
    if (job.kind === 'point') {
      const [x, y] = job.at, d = job.r + 0.8;
      cands.push([x + d, y + fs * 0.35, 'start'], [x - d, y + fs * 0.35, 'end'], [x, y - d - desc, 'middle'],
        [x, y + d + asc, 'middle'], [x + d * 0.7, y - d * 0.7 - desc, 'start'], [x + d * 0.7, y + d * 0.7 + asc, 'start'],
        [x - d * 0.7, y - d * 0.7 - desc, 'end'], [x - d * 0.7, y + d * 0.7 + asc, 'end']);
    } else if (job.kind === 'line') {
      for (const f of [0.5, 0.3, 0.7]) {
        const [x, y] = pointAlong(job.pts, f);
        cands.push([x, y - 1.2 - desc, 'middle'], [x, y + 1.2 + asc, 'middle']);
      }
    } else {
      const [x, y] = job.at;
      for (const dy of [0, -1, 1, -2, 2, -3, 3, -4, 4]) cands.push([x, y + fs * (0.35 + dy * 1.15), 'middle']);
      for (const dy of [0, -1, 1]) cands.push([x + fs, y + fs * (0.35 + dy * 1.15), 'start'], [x - fs, y + fs * (0.35 + dy * 1.15), 'end']);
    }
    let best = null;
    for (const [x, y, anchor] of cands) {
      const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
      const b = { x0: x0 - 0.3, y0: y - asc - 0.3, x1: x0 + w + 0.3, y1: y + desc + 0.3 };
      const out = b.x0 < 1 || b.y0 < 1 || b.x1 > W - 1 || b.y1 > H - 1 ? 1e6 : 0;
      const cost = out + placed.reduce((a, p) => a + overlap(b, p), 0);
      if (!best || cost < best.cost) best = { x, y, anchor, b, cost };
      if (cost === 0) break;
    }
    t.setAttribute('x', round(best.x));
    t.setAttribute('y', round(best.y));
    t.setAttribute('text-anchor', best.anchor);
    placed.push(best.b);
  }
}

function pointAlong(pts, f) {
  let total = 0;
  for (let i = 1; i < pts.length; i++) total += Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]);
  let at = total * f;
  for (let i = 1; i < pts.length; i++) {
    const len = Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]);
    if (at <= len && len > 0) return [pts[i - 1][0] + (pts[i][0] - pts[i - 1][0]) * at / len, pts[i - 1][1] + (pts[i][1] - pts[i - 1][1]) * at / len];
    at -= len;
  }
  return pts[pts.length - 1];
}

// longitude and latitude ticks along the frame, inside it, at a round step
function drawTicks(svg, W, H, unproject, project) {
  const g = s('g', { id: 'graticule', 'font-size': 2.2, fill: '#59636e' }, svg);
  const [lonA, latA] = unproject(0, H), [lonB, latB] = unproject(W, 0);
  const step = span => { const raw = span / 4; const e = 10 ** Math.floor(Math.log10(raw)); return [1, 2, 5, 10].map(m => m * e).find(v => v >= raw); };
  const sl = step(lonB - lonA), sa = step(latB - latA);
  const digits = st => Math.max(0, -Math.floor(Math.log10(st) + 1e-9));
  for (let lon = Math.ceil(lonA / sl) * sl; lon < lonB; lon += sl) {
    const [x] = project([lon, latA]);
    if (x < 20 || x > W - 30) continue;
    s('line', { x1: x, y1: 0, x2: x, y2: 2, stroke: '#59636e', 'stroke-width': 0.25 }, g);
    s('line', { x1: x, y1: H, x2: x, y2: H - 2, stroke: '#59636e', 'stroke-width': 0.25 }, g);
    s('text', { x, y: 4.4, 'text-anchor': 'middle' }, g).textContent = `${lon.toFixed(digits(sl))}°E`;
  }
  for (let lat = Math.ceil(latA / sa) * sa; lat < latB; lat += sa) {
    const [, y] = project([lonA, lat]);
    if (y < 30 || y > H - 20) continue;
    s('line', { x1: 0, y1: y, x2: 2, y2: y, stroke: '#59636e', 'stroke-width': 0.25 }, g);
    s('line', { x1: W, y1: y, x2: W - 2, y2: y, stroke: '#59636e', 'stroke-width': 0.25 }, g);
    s('text', { x: 2.8, y: y + 0.8 }, g).textContent = `${lat.toFixed(digits(sa))}°N`;
  }
}

function drawNorth(g, x, y) {
  const n = s('g', { id: 'north-arrow', transform: `translate(${x} ${y})` }, g);
  s('text', { x: 0, y: 3, 'text-anchor': 'middle', 'font-size': 4, 'font-weight': 700, fill: '#1f2328' }, n).textContent = T.north;
  s('path', { d: 'M0,5L3.6,17L0,14.2Z', fill: '#1f2328' }, n);
  s('path', { d: 'M0,5L-3.6,17L0,14.2Z', fill: '#fff', stroke: '#1f2328', 'stroke-width': 0.35, 'stroke-linejoin': 'round' }, n);
}

// the groundwater flow: an arrow turned by the azimuth (clockwise from north, north up)
function drawGwFlow(g, x, y, azimuth, caption) {
  const w = s('g', { id: caption ? 'gw-flow' : null, transform: `translate(${x} ${y})` }, g);
  s('circle', { r: 5.2, fill: '#fff', stroke: '#1c7ed6', 'stroke-width': 0.3 }, w);
  s('path', { d: 'M0,-4.2L2.4,0.4L0.8,0.4L0.8,4L-0.8,4L-0.8,0.4L-2.4,0.4Z', fill: '#1c7ed6', transform: `rotate(${azimuth})` }, w);
  if (caption) s('text', { x: 0, y: 9, 'text-anchor': 'middle', 'font-size': 2.5, fill: '#1c7ed6' }, w).textContent = T.gwFlow(azimuth);
}

// the scale bar: a round ground length (about 50 mm of paper, times rel), its segments, the numeric scale
function drawScaleBar(g, x, y, N, id, caption, rel = 1) {
  const groundPerMm = N / 1000;                       // metres of ground per millimetre of paper
  const L = niceLengthAtMost(50 * rel * groundPerMm);
  const len = L / groundPerMm;                         // mm
  const lead = Number(String(L)[0]);
  const parts = lead === 2 ? 4 : 5;
  const fmt = m => (L >= 1000 ? `${round(m / 1000)}` : `${round(m)}`);
  const unit = L >= 1000 ? T.km : T.metres;
  const bar = s('g', { id, 'data-metres': L, transform: `translate(${x} ${y})` }, g);
  s('rect', { x: -2, y: -8.5, width: Math.max(len + 14, 48), height: 13, fill: '#fff', 'fill-opacity': 0.85 }, bar);
  const segs = s('g', { id: `${id}-bar` }, bar);
  for (let i = 0; i < parts; i++)
    s('rect', { x: (len * i) / parts, y: -1.2, width: len / parts, height: 1.2, fill: i % 2 ? '#fff' : '#1f2328',
      stroke: '#1f2328', 'stroke-width': 0.2 }, segs);
  const tick = m => {
    const t = s('text', { x: (m / L) * len, y: -2.2, 'text-anchor': 'middle', 'font-size': 2.4, fill: '#1f2328' }, bar);
    t.textContent = m === L ? `${fmt(m)} ${unit}` : fmt(m);
  };
  tick(0);
  tick(L / 2);
  tick(L);
  const t = s('text', { id: `${id}-text`, x: 0, y: 3.6, 'font-size': 2.8, 'font-weight': 700, fill: '#1f2328' }, bar);
  t.textContent = caption;
}

// ---------------------------------------------------------------------------
// the legend: the kinds present, drawn with the map's own symbols
function buildLegend(ul, catalog, kinds, map, sprite, pond) {
  const order = catalog.categories.flatMap(c => c.kinds.map(k => k.code));
  const present = order.filter(k => map.kinds.has(k)).concat([...map.kinds].filter(k => !order.includes(k)));
  const swatch = () => {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 11 5.6');
    return svg;
  };
  for (const code of present) {
    const st = map.kindStyle(code);
    const li = h('li', { 'data-kind': code });
    const svg = swatch();
    const props = { kind: code, verified: true };
    const geoms = st.kind.geometry || [];
    const type = geoms.includes('point') && kinds.get(code)?.has('Point') ? 'point'
      : kinds.get(code)?.has('LineString') ? 'line' : kinds.get(code)?.has('Polygon') ? 'polygon' : geoms[0];
    if (type === 'polygon') {
      drawPolygon(svg, [[[0.6, 0.6], [10.4, 0.6], [10.4, 5], [0.6, 5]]], st.polygon({ ...props, $type: 'Polygon' }), {});
    } else if (type === 'line') {
      const lst = st.line({ ...props, $type: 'LineString' });
      drawLine(svg, [[0.5, 2.8], [10.5, 2.8]], lst, {});
      if (st.directed) drawArrow(svg, 5.5, 2.8, 0, lst.stroke, Math.max(1, lst.width / 0.6), { class: 'legend-arrow' });
    } else {
      const g = s('g', { transform: 'translate(5.5 2.8)' }, svg);
      drawPoint(g, map.defs, sprite, st.point({ ...props, $type: 'Point' }));
    }
    li.append(svg, h('span', {}, st.kind.label));
    ul.appendChild(li);
  }
  // the ring of points: verified or not, as the style draws it
  const pointKind = present.find(k => kinds.get(k)?.has('Point') && map.kindStyle(k).hasRing);
  if (pointKind) {
    for (const verified of [true, false]) {
      const st = map.kindStyle(pointKind).point({ kind: pointKind, verified, $type: 'Point' });
      const li = h('li', { class: 'wide ring' });
      const svg = swatch();
      const g = s('g', { transform: 'translate(5.5 2.8)' }, svg);
      s('circle', { r: st.ring.radius * 0.8, fill: st.ring.fill, 'fill-opacity': st.ring.fillOpacity, stroke: st.ring.stroke,
        'stroke-width': st.ring.strokeWidth, 'stroke-opacity': st.ring.strokeOpacity }, g);
      li.append(svg, h('span', {}, verified ? T.verifiedRing : T.unverifiedRing));
      ul.appendChild(li);
    }
  }
  if (!map.hasBoundary && pond.location) {
    const li = h('li', { class: 'registry' });
    const svg = swatch();
    drawRegistry(s('g', { transform: 'translate(5.5 2.8)' }, svg));
    li.append(svg, h('span', {}, T.registry));
    ul.appendChild(li);
  }
  if (pond.gw_flow_azimuth != null) {
    const li = h('li', { class: 'gw-flow' });
    const svg = swatch();
    const g = s('g', { transform: 'translate(5.5 2.8) scale(0.5)' }, svg);
    drawGwFlow(g, 0, 0, 90, false);
    li.append(svg, h('span', {}, T.gwFlowLegend));
    ul.appendChild(li);
  }
}

// ---------------------------------------------------------------------------
function buildRules(file) {
  const rows = file.completeness || [];
  $('rules-title').textContent = T.rules;
  const failed = rows.filter(r => !r.passed && r.severity === 'error').length;
  const warned = rows.filter(r => !r.passed && r.severity !== 'error').length;
  $('rules-summary').textContent = T.score(file.score ?? 0, failed, warned);
  const hr = h('tr');
  $('rules').tHead.appendChild(hr);
  hr.append(h('th', {}, T.rule), h('th', {}, T.result), h('th', {}, T.message));
  for (const r of rows) {
    const res = r.passed ? 'pass' : r.severity === 'error' ? 'fail' : 'warn';
    const tr = h('tr', { 'data-rule': r.rule });
    tr.append(h('td', { class: 'rule' }, r.rule), h('td', { class: `result ${res}` }, T[res]), h('td', { class: 'message' }, r.message));
    $('rules').tBodies[0].appendChild(tr);
  }
}

function buildElements(gj, catalog) {
  $('elements-title').textContent = T.elements;
  const table = $('elements');
  const head = h('tr');
  head.append(h('th', { class: 'num' }, '#'), h('th', {}, T.kind), h('th', {}, T.name), h('th', { class: 'num' }, T.lon),
    h('th', { class: 'num' }, T.lat), h('th', {}, T.source), h('th', { class: 'num' }, T.accuracy), h('th', {}, T.surveyed),
    h('th', {}, T.verified));
  table.tHead.appendChild(head);
  const body = table.tBodies[0];
  const cats = new Map(catalog.categories.map(c => [c.code, c]));
  let last = null, n = 0;
  for (const f of gj.features) {
    const p = f.properties;
    if (p.category !== last) {
      last = p.category;
      const c = cats.get(p.category);
      const tr = h('tr', { class: 'category' });
      const td = h('td', { colspan: 9 });
      td.append(h('span', { class: 'swatch', style: `background:${c?.colour || '#888'}` }),
        document.createTextNode(c ? (lang === 'en' ? c.label_en : c.label_zh) : p.category));
      tr.appendChild(td);
      body.appendChild(tr);
    }
    const pt = f.geometry?.type === 'Point' ? f.geometry.coordinates : [p.lon, p.lat];
    const tr = h('tr', { 'data-id': f.id });
    tr.append(h('td', { class: 'num' }, String(++n)), h('td', {}, p.label), h('td', { class: 'name' }, p.name ?? ''),
      h('td', { class: 'num coord' }, pt[0] != null ? Number(pt[0]).toFixed(6) : ''),
      h('td', { class: 'num coord' }, pt[1] != null ? Number(pt[1]).toFixed(6) : ''),
      h('td', {}, T.sources[p.source] ?? p.source ?? ''),
      h('td', { class: 'num' }, p.accuracy_m != null ? String(p.accuracy_m) : ''),
      h('td', {}, p.surveyed_on ?? ''),
      p.verified_on ? h('td', {}, p.verified_on) : h('td', { class: 'unverified' }, T.unverified));
    body.appendChild(tr);
  }
  if (!gj.features.length) {
    const tr = h('tr');
    tr.appendChild(h('td', { colspan: 9 }, T.noElements));
    body.appendChild(tr);
  }
  $('elements-note').textContent = T.tableNote;
}

// ---------------------------------------------------------------------------
// the pond's file: its parts on pages of their own, in three columns; the monitoring charts of the
// parameters that exceed somewhere (else the one the viewer shows first)
function buildFile(file, printedOn) {
  const t = FILE_TEXT[lang];
  const part = (key, inner) => `<section class="file-part" id="file-${key}" data-part="${key}"><h2>${esc(t[key])}</h2>${inner}</section>`;
  const monitoring = file.monitoring || { assessment: [], series: [] };
  const assessment = monitoring.assessment || [];
  const exceeding = [...new Set(assessment.filter(r => r.exceeds).map(r => r.parameter))];
  const params = exceeding.length ? exceeding : [defaultParameter(assessment) ?? parametersOf(monitoring)[0]].filter(Boolean);
  const label = paramLabels(monitoring);
  // three columns: the ledger and papers; the hazards and inspections; the facilities and monitoring
  const col = parts => `<div class="file-col">${parts.join('')}</div>`;
  $('file-parts').innerHTML = [
    col([part('ledger', `${ledgerChart(file.ledger || [], lang)}${ledgerTable(file.ledger || [], lang)}`),
      part('documents', documentsTable(file.documents || [], lang, printedOn))]),
    col([part('hazards', hazardsHtml(file.hazards || [], lang, () => '', { foldClosed: false })),
      part('inspections', inspectionsHtml(file.inspections || [], lang))]),
    col([part('monitoring', wellsOf(assessment).length
      ? `${params.map(p => `<div class="well-charts" data-parameter="${esc(p)}"><h3>${esc(label(p))}</h3><div class="chart-grid">${wellCharts(monitoring, p, lang, { width: 250, height: 130 })}</div></div>`).join('')}
         ${monitoringTable(monitoring, lang)}`
      : monitoringTable(monitoring, lang)),
      part('facilities', facilitiesList(file.facilities || [], lang))]),
  ].join('');
  $('page-file').hidden = false;
}

// ---------------------------------------------------------------------------
async function main() {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  const m = location.pathname.match(/^\/sheet\/(\d+)\/?$/);
  if (!m) throw new Error(T.badPath);
  const id = m[1];
  const q = lang === 'en' ? '?lang=en' : '';
  const [gj, file, catalog, style, sprite, pondFile] = await Promise.all([getJSON(`/api/ponds/${id}/geojson${q}`),
    getJSON(`/api/ponds/${id}${q}`), getJSON('/api/catalog'), getJSON('/style.json'), loadSprite(),
    getJSON(`/api/ponds/${id}/file?lang=${lang}`)]);
  const pond = gj.pond;
  const printed = new Date();
  const dataAsOf = gj.updated_at ? new Date(gj.updated_at) : printed;

  document.title = T.title(pond.name);
  $('pond-name').textContent = pond.name;
  $('pond-name-2').textContent = `${pond.name}（${pond.code}）`;
  $('pond-name-3').textContent = `${pond.name}（${pond.code}）· ${FILE_TEXT[lang].file}`;
  const facts = [[T.code, pond.code], [T.enterprise, pond.enterprise], [T.county, countyName(pond.county_code, lang)],
    [T.level, T.levelN(pond.level)], [T.status, T.statuses[pond.status] ?? pond.status]];
  const sep = lang === 'en' ? ': ' : '：';
  for (const [k, v] of facts) if (v) $('pond-facts').appendChild(h('span', {}, `${k}${sep}${v}`));
  $('sheet-kind').textContent = T.sheet;
  for (const el of [$('dates'), $('dates-2'), $('dates-3')])
    el.append(h('span', {}, `${T.dataAsOf} ${dateTime(dataAsOf)}`), h('span', {}, `${T.printed} ${dateTime(printed)}`));
  $('legend-title').textContent = T.legend;

  await document.fonts.ready;
  const kindStyle = zoom => symbology(style, catalog, zoom);
  const map = buildMap($('map'), gj, kindStyle, sprite);
  const kinds = new Map();
  for (const f of gj.features)
    if (f.geometry) {
      if (!kinds.has(f.properties.kind)) kinds.set(f.properties.kind, new Set());
      kinds.get(f.properties.kind).add(f.geometry.type.replace(/^Multi/, ''));
    }
  buildLegend($('legend'), catalog, kinds, map, sprite, pond);
  buildRules(file);
  buildElements(gj, catalog);
  buildFile(pondFile, printed.toLocaleDateString('sv'));
  $('notes').textContent = T.mapNote(map.N);
  // the completeness table goes over the page with the elements when the map's page has no room for it
  const side = $('side');
  if (side.scrollHeight > side.clientHeight + 1) $('moved-rules').appendChild($('rules-block'));
  // every icon decoded before the page says it is ready
  await Promise.all(sprite?.decoded ?? []);
  await new Promise(requestAnimationFrame);
  document.body.dataset.ready = '1';
}

main().catch(e => {
  const el = $('error');
  el.hidden = false;
  el.textContent = `${T.loadFailed}: ${e.message}`;
  document.body.dataset.ready = 'error';
  console.error(e);
});
