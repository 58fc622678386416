// The legend and the list's symbols, drawn from what the map itself draws: the layers of
// /style.json (found by id and metadata, never by a copy of their colours) and the icons of the
// style's sprite (cropped from the same PNG the map uses, @2x on HiDPI screens).

import { evaluate } from './expr.js';

export { evaluate };

// ---------------------------------------------------------------------------
// the sprite: its index and image at the screen's pixel ratio
export async function loadSprite(style) {
  let base = Array.isArray(style.sprite) ? style.sprite.find(s => s.id === 'default')?.url ?? style.sprite[0]?.url : style.sprite;
  if (!base) return null;
  base = new URL(base, location.href).pathname;   // the same origin the page came from
  const hidpi = (window.devicePixelRatio || 1) > 1;
  const suffix = hidpi ? '@2x' : '';
  try {
    const index = await (await fetch(`${base}${suffix}.json`)).json();
    const url = `${base}${suffix}.png`;
    const img = new Image();
    img.src = url;
    await img.decode();
    return { index, url, img, width: img.naturalWidth, height: img.naturalHeight, ratio: hidpi ? 2 : 1 };
  } catch {
    return null;
  }
}

// an icon of the sprite as an element, scaled by `scale` (the layer's icon-size)
export function spriteIcon(sprite, name, scale = 1, cls = '') {
  const i = sprite?.index?.[name];
  if (!i) return null;
  const r = (i.pixelRatio || sprite.ratio) / scale;
  return `<span class="icon ${cls}" data-icon="${esc(name)}" style="display:inline-block;flex:none;` +
    `width:${i.width / r}px;height:${i.height / r}px;background-image:url(${sprite.url});` +
    `background-position:${-i.x / r}px ${-i.y / r}px;background-size:${sprite.width / r}px ${sprite.height / r}px;` +
    `background-repeat:no-repeat"></span>`;
}

const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

// ---------------------------------------------------------------------------
// the layers that draw one kind, by geometry: { point: [...], line: [...], polygon: [...] }
export function kindLayers(style, code) {
  const out = { point: [], line: [], polygon: [] };
  for (const l of style.layers) {
    const meta = l.metadata?.['tailings:kind'];
    if (meta !== code && !l.id.startsWith(`${code}-`)) continue;
    if (l.id.endsWith('-label') || (l.type === 'symbol' && l.layout?.['text-field'] && !l.layout?.['icon-image'])) continue;
    const f = JSON.stringify(l.filter || '');
    const geom = f.includes('"Polygon"') ? 'polygon' : f.includes('"LineString"') ? 'line' : f.includes('"Point"') ? 'point'
      : l.type === 'fill' ? 'polygon' : l.type === 'line' ? 'line' : 'point';
    out[geom].push(l);
  }
  return out;
}

// the layers among `layers` that draw a feature of these properties ($type: its geometry type)
export function drawing(layers, props) {
  return layers.filter(l => (l.filter ? Boolean(evaluate(l.filter, props)) : true) &&
    l.layout?.visibility !== 'none');
}

const num = (v, d) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

// a circle layer as SVG drawn into a box of `size` px, for the properties `props`
function circleSvg(layer, props, size) {
  const p = layer.paint || {};
  const r = Math.min(num(evaluate(p['circle-radius'], props), 5), size / 2 - 2);
  const sw = num(evaluate(p['circle-stroke-width'], props), 0);
  const fill = evaluate(p['circle-color'], props) ?? '#000';
  const fo = num(evaluate(p['circle-opacity'], props), 1);
  const stroke = evaluate(p['circle-stroke-color'], props) ?? '#000';
  const so = num(evaluate(p['circle-stroke-opacity'], props), 1);
  const c = size / 2;
  return `<circle cx="${c}" cy="${c}" r="${r}" fill="${esc(fill)}" fill-opacity="${fo}"` +
    (sw > 0 ? ` stroke="${esc(stroke)}" stroke-opacity="${so}" stroke-width="${sw}"` : '') + '/>';
}

// the point symbol of a kind: the circle layers (the verified ring) under the icon, as on the map
export function pointSymbol(layers, sprite, props = { verified: true }) {
  const size = 28;
  props = { ...props, $type: 'Point' };
  layers = drawing(layers, props);
  const circles = layers.filter(l => l.type === 'circle');
  const icons = layers.filter(l => l.type === 'symbol' && typeof evaluate(l.layout?.['icon-image'], props) === 'string');
  const svg = circles.length
    ? `<svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" aria-hidden="true">${circles.map(l => circleSvg(l, props, size)).join('')}</svg>` : '';
  const icon = icons.map(l => spriteIcon(sprite, evaluate(l.layout['icon-image'], props), num(evaluate(l.layout['icon-size'], props), 1), 'over')).filter(Boolean).join('');
  return `<span class="sym point-sym" style="width:${size}px;height:${size}px">${svg}${icon}</span>`;
}

// the line symbol of a kind: each line layer as an SVG stroke (colour, width, dashes), and the
// flow arrow of the sprite along it when the kind is directed
export function lineSymbol(layers, sprite, directed, props = {}) {
  const w = 44, h = 16;
  props = { ...props, $type: 'LineString' };
  layers = drawing(layers, props);
  const strokes = layers.filter(l => l.type === 'line').map(l => {
    const p = l.paint || {};
    const width = num(evaluate(p['line-width'], props), 1);
    const dash = evaluate(p['line-dasharray'], props);
    const cap = evaluate(l.layout?.['line-cap'], props) || 'butt';
    return `<line x1="3" y1="${h / 2}" x2="${w - 3}" y2="${h / 2}" stroke="${esc(evaluate(p['line-color'], props) ?? '#000')}"` +
      ` stroke-width="${width}" stroke-opacity="${num(evaluate(p['line-opacity'], props), 1)}" stroke-linecap="${esc(cap)}"` +
      (Array.isArray(dash) ? ` stroke-dasharray="${dash.map(d => d * width).join(' ')}"` : '') + '/>';
  }).join('');
  const arrowLayer = layers.find(l => l.type === 'symbol' && l.layout?.['icon-image']);
  const arrow = directed && arrowLayer
    ? spriteIcon(sprite, evaluate(arrowLayer.layout['icon-image'], props), num(evaluate(arrowLayer.layout['icon-size'], props), 1), 'over') : '';
  return `<span class="sym line-sym" data-directed="${directed ? 'true' : 'false'}" style="width:${w}px;height:${h}px">` +
    `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" aria-hidden="true">${strokes}</svg>${arrow || ''}</span>`;
}

// the polygon symbol of a kind: fill (colour, opacity or the sprite's pattern) and outline
export function polygonSymbol(layers, sprite, props = {}) {
  props = { ...props, $type: 'Polygon' };
  layers = drawing(layers, props);
  let bg = '', border = 'transparent', borderWidth = 1.5, pattern = '';
  for (const l of layers) {
    const p = l.paint || {};
    if (l.type === 'fill') {
      const pat = evaluate(p['fill-pattern'], props);
      if (pat && sprite?.index?.[pat]) pattern = pat;
      const c = evaluate(p['fill-color'], props);
      if (c && !p['fill-pattern']) bg = `background-color:${rgba(c, num(evaluate(p['fill-opacity'], props), 1))};`;
      const o = evaluate(p['fill-outline-color'], props);
      if (o) border = o;
    } else if (l.type === 'line') {
      border = evaluate(p['line-color'], props) ?? border;
      borderWidth = Math.min(num(evaluate(p['line-width'], props), 1.5), 3);
    }
  }
  const pat = pattern ? patternStyle(sprite, pattern) : '';
  return `<span class="sym polygon-sym" style="${bg}${pat}border:${borderWidth}px solid ${esc(border)}"></span>`;
}

// a repeating fill pattern of the sprite as a CSS background: its one tile, cut out of the
// sprite image through a canvas, repeated
function patternStyle(sprite, name) {
  const i = sprite.index[name];
  const r = i.pixelRatio || sprite.ratio;
  const c = document.createElement('canvas');
  c.width = i.width; c.height = i.height;
  c.getContext('2d').drawImage(sprite.img, i.x, i.y, i.width, i.height, 0, 0, i.width, i.height);
  return `background-image:url(${c.toDataURL()});background-size:${i.width / r}px ${i.height / r}px;`;
}

// #rgb / #rrggbb with an opacity as rgba(); other colour strings as they are
export function rgba(c, a) {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
  if (!m) return c;
  const h = m[1].length === 3 ? m[1].replace(/./g, x => x + x) : m[1];
  const n = parseInt(h, 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
}

// ---------------------------------------------------------------------------
// the completeness bands (style metadata "tailings:bands", best first) and a score's band
export function bandsOf(style) {
  const b = style.metadata?.['tailings:bands'];
  return Array.isArray(b) && b.length ? [...b].sort((x, y) => y.floor - x.floor) : null;
}
export function bandOf(bands, score) {
  if (!bands || score == null) return null;
  return bands.find(b => score >= b.floor) || bands[bands.length - 1];
}

// the band's symbol as the map draws a pond point: the sprite's pond-{code} icon; without it (a
// sprite before the band icons) the same shapes drawn in SVG
const BAND_SHAPES = {
  complete: c => `<circle cx="9" cy="9" r="7.5" fill="${c}" stroke="#fff" stroke-width="1.5"/><path d="M5 9.5l3 3 5-6" fill="none" stroke="#fff" stroke-width="2"/>`,
  minor: c => `<circle cx="9" cy="9" r="7.5" fill="#fff" stroke="${c}" stroke-width="1.5"/><path d="M9 9V1.5A7.5 7.5 0 1 0 16.5 9z" fill="${c}"/>`,
  major: c => `<path d="M9 1L17 9 9 17 1 9z" fill="#fff" stroke="${c}" stroke-width="1.5"/><path d="M9 1L1 9 9 17z" fill="${c}"/>`,
  severe: c => `<rect x="1.5" y="1.5" width="15" height="15" fill="${c}" stroke="#fff" stroke-width="1"/><path d="M5 5l8 8M13 5l-8 8" stroke="#fff" stroke-width="2"/>`,
};
export function bandSymbol(band, sprite) {
  if (!band) return '<span class="sym band-sym"></span>';
  const icon = spriteIcon(sprite, band.icon || `pond-${band.code}`, 1, 'band-icon');
  if (icon) return `<span class="sym band-sym" data-band="${esc(band.code)}">${icon}</span>`;
  const shape = BAND_SHAPES[band.code] || BAND_SHAPES.severe;
  return `<span class="sym band-sym" data-band="${esc(band.code)}"><svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">${shape(esc(band.colour))}</svg></span>`;
}
