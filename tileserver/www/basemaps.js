// Base maps: the ones the server was started with (--basemap), listed in the style's metadata
// "tailings:basemaps".  A raster one is already in the style (source and layer "basemap-N", above
// the background) and is shown or hidden; a "style" one (a MapLibre style URL) is fetched and its
// sources and layers are put under the first layer of the one map's own data, with ids prefixed
// by the base map's id, and taken out again when another is chosen.  The choice is remembered.

const KEY = 'tailings.basemap';

export class Basemaps {
  constructor(map, style, labels) {
    this.map = map;
    this.list = Array.isArray(style.metadata?.['tailings:basemaps']) ? style.metadata['tailings:basemaps'] : [];
    this.labels = labels;             // () => { title, none }
    this.font = style.layers.find(l => l.id === 'ponds-label')?.layout?.['text-font'];
    this.added = { sources: [], layers: [] };
    this.current = 'none';
    this.seq = 0;
  }

  // the remembered choice, else the first configured base map (the style shows it at first)
  initial() {
    const saved = localStorage.getItem(KEY);
    if (saved === 'none' || this.list.some(b => b.id === saved)) return saved;
    return this.list[0]?.id ?? 'none';
  }

  // the switcher, a MapLibre control: a labelled <select>
  onAdd() {
    const div = document.createElement('div');
    div.className = 'maplibregl-ctrl maplibregl-ctrl-group basemap-ctrl';
    div.innerHTML = '<label><span class="basemap-title"></span><select id="basemap"></select></label>';
    this.select = div.querySelector('select');
    this.select.addEventListener('change', () => this.set(this.select.value, true));
    this.container = div;
    this.render();
    if (!this.list.length) div.hidden = true;   // nothing configured: nothing to switch
    return div;
  }
  onRemove() { this.container.remove(); }

  render() {
    if (!this.select) return;
    const { title, none } = this.labels();
    this.container.querySelector('.basemap-title').textContent = title;
    this.select.innerHTML = [`<option value="none">${esc(none)}</option>`]
      .concat(this.list.map(b => `<option value="${esc(b.id)}">${esc(b.name || b.id)}</option>`)).join('');
    this.select.value = this.current;
  }

  // the first layer drawn from the one map's own data: base maps go under it
  firstOwnLayer() {
    return this.map.getStyle().layers.find(l => l.source && l.source !== 'background' && !l.id.startsWith('basemap-'))?.id;
  }

  async set(id, remember = false) {
    if (!this.list.some(b => b.id === id)) id = 'none';
    if (remember) localStorage.setItem(KEY, id);
    this.current = id;
    if (this.select) this.select.value = id;
    const seq = ++this.seq;
    this.removeStyleLayers();
    for (const b of this.list)
      if (b.type !== 'style' && this.map.getLayer(b.id))
        this.map.setLayoutProperty(b.id, 'visibility', b.id === id ? 'visible' : 'none');
    const b = this.list.find(x => x.id === id);
    if (b?.type === 'style') await this.addStyle(b, seq);
  }

  async addStyle(b, seq) {
    let s;
    try {
      const r = await fetch(b.url);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      s = await r.json();
    } catch (e) {
      console.warn(`base map ${b.id}: ${b.url}: ${e.message}`);
      return;
    }
    if (seq !== this.seq) return;   // another base map was chosen meanwhile
    const p = `${b.id}:`;
    const base = new URL(b.url, location.href);
    const abs = u => (typeof u === 'string' ? new URL(u, base).href : u);
    for (const [name, src] of Object.entries(s.sources || {})) {
      const own = { ...src };
      if (own.url) own.url = abs(own.url);
      if (Array.isArray(own.tiles)) own.tiles = own.tiles.map(abs);
      if (typeof own.data === 'string') own.data = abs(own.data);
      if (!own.attribution && b.attribution) own.attribution = b.attribution;
      this.map.addSource(p + name, own);
      this.added.sources.push(p + name);
    }
    // its icons as a sprite of their own ("id:icon"); its labels in the one map's font, the
    // only glyphs this server has
    const sprite = typeof s.sprite === 'string' ? s.sprite : null;
    if (sprite && this.map.addSprite) {
      try { this.map.addSprite(b.id, abs(sprite)); this.added.sprite = b.id; } catch { /* already there */ }
    }
    const before = this.firstOwnLayer();
    for (const l of s.layers || []) {
      if (l.type === 'background') continue;
      const own = { ...l, id: p + l.id, source: l.source ? p + l.source : undefined };
      if (own.layout) {
        own.layout = { ...own.layout };
        if (own.layout['text-font'] && this.font) own.layout['text-font'] = this.font;
        const icon = own.layout['icon-image'];
        if (icon != null) own.layout['icon-image'] = sprite ? (typeof icon === 'string' ? `${b.id}:${icon}` : ['concat', `${b.id}:`, icon]) : undefined;
        if (own.layout['icon-image'] === undefined) delete own.layout['icon-image'];
      }
      try {
        this.map.addLayer(own, before);
        this.added.layers.push(own.id);
      } catch (e) {
        console.warn(`base map ${b.id}: layer ${l.id}: ${e.message}`);
      }
    }
  }

  removeStyleLayers() {
    for (const id of this.added.layers) if (this.map.getLayer(id)) this.map.removeLayer(id);
    for (const id of this.added.sources) if (this.map.getSource(id)) this.map.removeSource(id);
    if (this.added.sprite && this.map.removeSprite) this.map.removeSprite(this.added.sprite);
    this.added = { sources: [], layers: [] };
  }
}

const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
