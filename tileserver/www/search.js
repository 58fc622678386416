// The search of the pond list: a pond is found by its code, name, enterprise, its county (by
// name in either language, or code) and the names of its elements; a pair of coordinates finds the
// nearest ponds.  Element names come from the ponds' files (/api/ponds/{id}), fetched once, the
// first time a search finds no pond by its own fields, and kept until the data changes.
import { distance, parseCoordinates } from './geo.js';
import { authFetch } from './auth.js';

const norm = s => String(s ?? '').toLowerCase().replace(/\s+/g, '');

export class PondSearch {
  constructor() {
    this.elements = null;      // Map pond id -> [{ id, name, kind, lon, lat }], once loaded
    this.loading = null;
  }

  // the data changed: element names are fetched again when next needed
  invalidate() {
    this.elements = null;
    this.loading = null;
  }

  loaded() { return this.elements !== null; }

  load(ponds) {
    this.loading ??= (async () => {
      const out = new Map();
      const queue = [...ponds];
      const worker = async () => {
        for (let p; (p = queue.shift());) {
          try {
            const r = await authFetch(`/api/ponds/${p.id}`);
            if (!r.ok) continue;
            const f = await r.json();
            out.set(p.id, Object.values(f.elements || {}).flat().map(e => ({
              id: e.id, name: e.name, kind: e.kind, label: e.label, lon: e.lon, lat: e.lat })));
          } catch { /* a pond that cannot be read is not searched by its elements */ }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      this.elements = out;
    })();
    return this.loading;
  }

  // { kind: 'coords', point, ponds: [{pond, m}] } | { kind: 'text', ponds: [{pond, why, elements}] }
  // | { kind: 'all' } for an empty query.  `counties` maps county codes to names (both languages).
  find(query, ponds, counties, nearest = 5) {
    const q = query.trim();
    if (!q) return { kind: 'all' };
    const point = parseCoordinates(q);
    if (point) {
      const near = ponds.map(p => ({ pond: p, m: distance(point, [p.lon, p.lat]) })).sort((a, b) => a.m - b.m);
      return { kind: 'coords', point, ponds: near.slice(0, nearest) };
    }
    const n = norm(q);
    const hits = [];
    for (const p of ponds) {
      const names = counties(p.county_code);
      let why = null;
      if ([p.code, p.name, p.enterprise].some(v => norm(v).includes(n))) why = 'pond';
      else if (names.some(c => norm(c).includes(n) || norm(c.replace(/(县|区|市|County|District)$/i, '')) === n)) why = 'county';
      const els = this.elements?.get(p.id)?.filter(e => norm(e.name).includes(n)) ?? [];
      if (why || els.length) hits.push({ pond: p, why: why || 'element', elements: els });
    }
    return { kind: 'text', ponds: hits, elementsSearched: this.loaded() };
  }
}
