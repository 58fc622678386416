// Browser tests of the viewer: headless Chromium (Debian's /usr/bin/chromium, WebGL through
// SwiftShader) driven by playwright-core, against a running tailings-tileserver.
//   node viewer.test.mjs BASE_URL SCREENSHOT_DIR
// psql reaches the server's database through the PG* environment (edits made during the test).
// Prints TAP-like lines and "N passed, N failed"; exits 1 on any failure.
import { createServer } from 'node:http';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { addTestPixels, args, check, finish, KEY_POND_NAME, launch, sql, settle as settleMap } from './lib.mjs';

const { base, shots } = args('viewer.test.mjs');

const getJSON = async path => (await fetch(base + path)).json();

// the key pond: 干坝塘, with its drawn boundary (found by name); a point element of it that nothing else covers
const ponds = await getJSON('/api/ponds');
const pond = ponds.find(p => p.name === KEY_POND_NAME);
if (!pond) { console.error(`no pond named ${KEY_POND_NAME} in /api/ponds`); process.exit(1); }
const KEY_POND = pond.id;
// the overview's counts, from the database
const [N_PONDS, N_LEVEL2, N_LEVEL3, N_COMPLETE] = sql(`SELECT count(*), count(*) FILTER (WHERE supervision_level = 2),
  count(*) FILTER (WHERE supervision_level = 3), count(*) FILTER (WHERE tailings.completeness(id) >= 1) FROM tailings.pond`)
  .split('\t').map(Number);
const [elId, elKind, elLabel, elName, elLon, elLat] = sql(`
  SELECT e.id, e.kind, tailings.label(e.kind, 'zh'), e.name, ST_X(e.geom), ST_Y(e.geom)
    FROM tailings.element e
   WHERE e.pond_id = ${KEY_POND} AND GeometryType(e.geom) = 'POINT' AND e.kind::text = 'gw_monitoring_well'
   ORDER BY e.id LIMIT 1`).split('\t');
const rules = await getJSON(`/api/ponds/${KEY_POND}/completeness`);

// ---------------------------------------------------------------------------
// a local XYZ raster base map: every tile one distinctive colour (served when viewer.sh started
// the tile server with --basemap http://127.0.0.1:$BASEMAP_PORT/{z}/{x}/{y}.png)
const BASEMAP_RGB = [0xff, 0x00, 0xd4];
function solidPng(w, h, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = buf => { let c = 0xffffffff; for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const row = Buffer.alloc(1 + 3 * w);
  for (let x = 0; x < w; x++) row.set([r, g, b], 1 + 3 * x);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
let basemapServer = null;
const basemapRequests = [];
if (process.env.BASEMAP_PORT) {
  const tile = solidPng(256, 256, BASEMAP_RGB);
  basemapServer = createServer((req, res) => {
    basemapRequests.push(req.url);
    if (!/^\/\d+\/\d+\/\d+\.png$/.test(req.url)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': 'image/png', 'Access-Control-Allow-Origin': '*' });
    res.end(tile);
  });
  await new Promise(r => basemapServer.listen(Number(process.env.BASEMAP_PORT), '127.0.0.1', r));
}

const browser = await launch();
const errors = [];
const tileRequests = [];
let ranToEnd = false;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  // the base map is chosen where the base map is tested: until then none, as in a remembered choice
  await context.addInitScript(() => {
    if (!localStorage.getItem('tailings.basemap')) localStorage.setItem('tailings.basemap', 'none');
  });
  const page = await context.newPage();
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  // MapLibre cancels the requests of tiles that leave the view: those are not errors
  page.on('requestfailed', r => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', r => { if (r.url().includes('/tiles/all/')) tileRequests.push(r.url()); });

  // the map settles: style loaded, every visible tile loaded and drawn
  const settle = () => settleMap(page);
  // share of the map's pixels that are not the plain background, and how many distinct colours
  // the map canvas as the user sees it (a screenshot, decoded in the page): { width, height, px }
  await addTestPixels(page);
  const mapShot = async () => (await page.locator('#map canvas').screenshot()).toString('base64');
  const inked = async () => {
    const png = await mapShot();
    return page.evaluate(async data => {
      const { px } = await window.testPixels(data);
      const bg = [0xf4, 0xf1, 0xea];
      let ink = 0;
      const colours = new Set();
      for (let i = 0; i < px.length; i += 4) {
        if (Math.abs(px[i] - bg[0]) + Math.abs(px[i + 1] - bg[1]) + Math.abs(px[i + 2] - bg[2]) > 24) ink++;
        colours.add((px[i] >> 4) << 8 | (px[i + 1] >> 4) << 4 | (px[i + 2] >> 4));
      }
      return { share: ink / (px.length / 4), colours: colours.size };
    }, png);
  };
  const rendered = layer => page.evaluate(l => {
    const m = window.tailingsViewer.map;
    return m.queryRenderedFeatures({ layers: m.getStyle().layers.filter(x => x['source-layer'] === l).map(x => x.id) }).length;
  }, layer);
  const clickLngLat = async (lon, lat) => {
    const p = await page.evaluate(([x, y]) => window.tailingsViewer.map.project([x, y]), [Number(lon), Number(lat)]);
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + p.x, box.y + p.y);
  };

  // --- the page loads at the key pond
  await page.goto(`${base}/#15/${pond.lat}/${pond.lon}`);
  await settle();
  await page.screenshot({ path: join(shots, 'viewer-pond.png') });
  check('the page loads with no console errors', errors.length === 0, errors.join(' | '));
  check('the title is Chinese', (await page.title()) === '尾矿库环境监管要素一张图');
  // index.html preloads exactly the modules the page imports (a stale list would fetch one for
  // nothing, or leave one to be found only when its importer is read)
  const modules = await page.evaluate(() => ({
    loaded: performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)
      .filter(p => /\.m?js$/.test(p) && !p.includes('worker')).sort(),
    preloaded: [...document.querySelectorAll('link[rel=modulepreload]')].map(l => new URL(l.href).pathname).sort(),
  }));
  check('index.html preloads exactly the modules the page loads', JSON.stringify(modules.loaded) === JSON.stringify(modules.preloaded),
    JSON.stringify(modules));
  check('tiles are requested', tileRequests.length > 0, `${tileRequests.length} requests`);
  const ink = await inked();
  check('the map at the key pond is drawn (not blank)', ink.share > 0.05 && ink.colours > 8,
    `${(ink.share * 100).toFixed(1)}% inked, ${ink.colours} colours`);
  check('the pond boundary is drawn', (await rendered('ponds')) > 0);
  const groundwater = await rendered('groundwater');
  check('groundwater monitoring wells are drawn', groundwater > 0, `${groundwater}`);
  check('the URL keeps the view (#zoom/lat/lon)', /^#15(\.\d+)?\/26\.6\d*\/101\.7\d*/.test(new URL(page.url()).hash), page.url());
  check('a scale bar is shown', await page.locator('.maplibregl-ctrl-scale').isVisible());
  check('the legend lists the 9 categories', (await page.locator('#legend-categories .legend-cat').count()) === 9);
  check(`the overview counts the ${N_PONDS} ponds`, (await page.locator('[data-count="total"] b').textContent()) === `${N_PONDS}`);
  check(`the overview counts ${N_LEVEL2} level-2 and ${N_LEVEL3} level-3 ponds`,
    (await page.locator('[data-count="level-2"] b').textContent()) === `${N_LEVEL2}` &&
    (await page.locator('[data-count="level-3"] b').textContent()) === `${N_LEVEL3}`);
  check(`the overview counts ${N_COMPLETE} complete maps`,
    (await page.locator('[data-count="complete"] b').textContent()) === `${N_COMPLETE}/${N_PONDS}`);

  // --- flow arrows point the way the line runs (the flow): one arrow of the server's sprite on a
  // known line, far from the data, read back from the pixels
  const arrowPointsEast = async (coords) => {
    await page.evaluate(c => {
      const m = window.tailingsViewer.map;
      if (m.getLayer('arrow-test')) m.removeLayer('arrow-test');
      if (m.getSource('arrow-test')) m.removeSource('arrow-test');
      m.addSource('arrow-test', { type: 'geojson', data: { type: 'Feature', properties: {},
        geometry: { type: 'LineString', coordinates: c } } });
      m.addLayer({ id: 'arrow-test', type: 'symbol', source: 'arrow-test', layout: {
        'symbol-placement': 'line-center', 'icon-image': 'arrow', 'icon-size': 3, 'icon-allow-overlap': true } });
      m.jumpTo({ center: [(c[0][0] + c[1][0]) / 2, c[0][1]], zoom: 15 });
    }, coords);
    await settle();
    const png = await mapShot();
    return page.evaluate(async data => {
      const cv = await window.testPixels(data);
      const px = cv.px;
      // the chevron's dark core: its rows near the middle reach further along its direction than its arms
      // only around the line's middle, where the one arrow is (not the controls or the scale bar)
      const dark = [];
      const cx = Math.round(cv.width / 2), cy = Math.round(cv.height / 2), r = 80;
      for (let y = cy - r; y < cy + r; y++)
        for (let x = cx - r; x < cx + r; x++) {
          const i = (y * cv.width + x) * 4;
          if (px[i] + px[i + 1] + px[i + 2] < 200) dark.push([x, y]);
        }
      if (dark.length < 20) return { found: dark.length };
      const ys = dark.map(d => d[1]);
      const top = Math.min(...ys), bottom = Math.max(...ys), mid = (top + bottom) / 2, h = bottom - top;
      const meanX = sel => { const xs = dark.filter(sel).map(d => d[0]); return xs.reduce((a, b) => a + b, 0) / xs.length; };
      const middle = meanX(d => Math.abs(d[1] - mid) < h * 0.1);
      const arms = meanX(d => Math.abs(d[1] - mid) > h * 0.35);
      return { found: dark.length, east: middle > arms, middle, arms };
    }, png);
  };
  const east = await arrowPointsEast([[100.0, 30.0], [100.01, 30.0]]);
  check('an arrow on a line drawn west to east points east', east.found >= 20 && east.east === true, JSON.stringify(east));
  const west = await arrowPointsEast([[100.01, 30.0], [100.0, 30.0]]);
  check('... and on one drawn east to west, west', west.found >= 20 && west.east === false, JSON.stringify(west));
  await page.evaluate(() => {
    const m = window.tailingsViewer.map;
    m.removeLayer('arrow-test');
    m.removeSource('arrow-test');
  });

  // --- labels keep their Latin letters and digits ("JC1", "DN250"): drawn from the server's glyphs.
  // A label of Latin letters and digits only, in the style's label font, pure red, far from the data:
  // with empty glyph ranges nothing of it is drawn; with a Chinese prefix only that prefix would be.
  const redLabelPixels = async text => {
    await page.evaluate(t => {
      const m = window.tailingsViewer.map;
      if (m.getLayer('label-test')) m.removeLayer('label-test');
      if (m.getSource('label-test')) m.removeSource('label-test');
      m.addSource('label-test', { type: 'geojson', data: { type: 'Feature', properties: {},
        geometry: { type: 'Point', coordinates: [100.0, 30.0] } } });
      const font = m.getStyle().metadata['tailings:font'];
      m.addLayer({ id: 'label-test', type: 'symbol', source: 'label-test', layout: {
        'text-field': t, 'text-font': [font], 'text-size': 40, 'text-allow-overlap': true },
        paint: { 'text-color': '#ff0000' } });
      m.jumpTo({ center: [100.0, 30.0], zoom: 15 });
    }, text);
    await settle();
    const png = await mapShot();
    return page.evaluate(async data => {
      const { px } = await window.testPixels(data);
      let red = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] > 200 && px[i + 1] < 60 && px[i + 2] < 60) red++;
      return red;
    }, png);
  };
  const latin = await redLabelPixels('JC1 DN250');
  check('a label of Latin letters and digits is drawn ("JC1 DN250")', latin > 400, `${latin} red px`);
  const longer = await redLabelPixels('JC1 DN250 JC1 DN250');
  check('... every character of it: twice the text, about twice the ink', longer > latin * 1.6 && longer < latin * 2.4,
    `${latin} vs ${longer}`);
  await page.evaluate(() => {
    const m = window.tailingsViewer.map;
    m.removeLayer('label-test');
    m.removeSource('label-test');
  });
  // an element label with Latin letters and digits at zoom 17: the sample's wells are named "… JC1"
  await page.goto(`${base}/#17/${elLat}/${elLon}`);
  await settle();
  // (symbols are placed a frame or more after the tiles are drawn: look again for up to 10 s)
  let wellLabels = [];
  for (let t0 = Date.now(); Date.now() - t0 < 10000 && !wellLabels.includes(elName);) {
    wellLabels = await page.evaluate(() => {
      const m = window.tailingsViewer.map;
      const ids = m.getStyle().layers.filter(l => l.id.endsWith('-label') && l.id !== 'ponds-label').map(l => l.id);
      return m.queryRenderedFeatures({ layers: ids }).map(f => f.properties.name);
    });
    if (!wellLabels.includes(elName)) await new Promise(r => setTimeout(r, 250));
  }
  check(`the monitoring well's label is placed at zoom 17 ("${elName}")`, wellLabels.includes(elName),
    JSON.stringify(wellLabels.slice(0, 8)));
  await page.goto(`${base}/#15/${pond.lat}/${pond.lon}`);
  await settle();

  // --- a legend switch hides its layer
  const inkBefore = await inked();
  await page.locator('#legend-categories input[data-category="groundwater"]').uncheck();
  await settle();
  check('unticking 地下水监测 hides its features', (await rendered('groundwater')) === 0);
  const inkAfter = await inked();
  check('... and the drawing changes', inkAfter.share < inkBefore.share,
    `${(inkBefore.share * 100).toFixed(2)}% → ${(inkAfter.share * 100).toFixed(2)}%`);
  await page.locator('#legend-categories input[data-category="groundwater"]').check();
  await settle();
  check('ticking it again shows them', (await rendered('groundwater')) === groundwater);

  // --- clicking a known element opens its popup with the Chinese label
  await clickLngLat(elLon, elLat);
  const popup = page.locator('.maplibregl-popup');
  await popup.waitFor({ timeout: 5000 }).catch(() => {});
  const popupText = (await popup.count()) ? await popup.textContent() : '';
  check(`clicking element ${elId} (${elKind}) opens a popup titled ${elLabel}`,
    (await popup.locator('h4').count()) > 0 && (await popup.locator('h4').textContent()) === elLabel, popupText);
  check('the popup names the element, its pond, source and verification',
    popupText.includes(elName) && popupText.includes(pond.name) && /卫星遥感|无人机航测|实地测量/.test(popupText) &&
    /已核实|未核实/.test(popupText), popupText);

  // --- the pond panel lists the completeness rules
  await popup.locator('a[data-open-pond]').click();
  await page.locator('#panel .rules tr').first().waitFor({ timeout: 10000 });
  const ruleRows = await page.locator('#panel .rules tr[data-rule]').count();
  check(`the pond panel lists the ${rules.length} completeness rules`, ruleRows === rules.length, `${ruleRows} rows`);
  const failedRules = rules.filter(r => !r.passed).length;
  check('... with pass or fail as the check says',
    (await page.locator('#panel .rules tr[data-passed="false"]').count()) === failedRules);
  check('... each with its message', (await page.locator('#panel .rules').textContent()).includes(rules[0].message));
  check('the panel shows the basic information', (await page.locator('#panel h2').textContent()) === pond.name &&
    (await page.locator('#panel').textContent()).includes(pond.enterprise));
  await page.screenshot({ path: join(shots, 'viewer-panel.png') });

  // --- a click on the pond itself, where nothing else is drawn, opens its file
  await page.locator('#panel-close').click();
  await settle();
  const bare = await page.evaluate(() => {
    const m = window.tailingsViewer.map;
    const { width, height } = m.getCanvas().getBoundingClientRect();
    for (let y = 20; y < height - 20; y += 3)
      for (let x = 20; x < width - 20; x += 3) {
        const fs = m.queryRenderedFeatures([[x - 2, y - 2], [x + 2, y + 2]]);
        if (fs.length && fs.every(f => f.layer.id === 'ponds-fill' || f.layer.id === 'pond_boundary-fill')) return { x, y };
      }
    return null;
  });
  check('the key pond has a bare spot to click', bare !== null);
  if (bare) {
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + bare.x, box.y + bare.y);
    const opened = await page.waitForFunction(id => window.tailingsViewer.state.panelPond === id &&
      document.querySelector('#panel h2')?.textContent, KEY_POND, { timeout: 10000 }).then(h => h.jsonValue()).catch(() => null);
    check('a click on the pond opens its file', opened === pond.name, String(opened));
  }

  // --- the overview list sorts by score and flies to a pond
  await page.locator('#ponds th[data-sort="score"] button').click();   // already by score ascending: now descending
  const scores = await page.locator('#ponds tbody td[data-score]').evaluateAll(tds => tds.map(td => Number(td.dataset.score)));
  check('the pond list sorts by score', scores.length === N_PONDS && scores.every((s, i) => i === 0 || scores[i - 1] >= s),
    scores.join(','));
  const other = (await getJSON('/api/ponds')).find(p => p.code === '510421-001') || (await getJSON('/api/ponds'))[10];
  await page.locator(`#ponds tbody tr[data-pond="${other.id}"]`).click();
  await page.waitForFunction(id => {
    const h = document.querySelector('#panel h2');
    return h && window.tailingsViewer.state.panelPond === id && !window.tailingsViewer.map.isMoving();
  }, other.id, { timeout: 15000 });
  const centre = await page.evaluate(() => window.tailingsViewer.map.getCenter());
  check('a click in the list flies to the pond', Math.abs(centre.lng - other.lon) < 0.001 && Math.abs(centre.lat - other.lat) < 0.001,
    `${centre.lng},${centre.lat} vs ${other.lon},${other.lat}`);
  check('... and opens its file', (await page.locator('#panel h2').textContent()) === other.name);

  // --- the keyboard: Escape closes the file, Enter on a row opens one
  await page.keyboard.press('Escape');
  check('Escape closes the pond file', await page.locator('#panel').isHidden());
  await page.locator(`#ponds tbody tr[data-pond="${KEY_POND}"]`).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(id => window.tailingsViewer.state.panelPond === id, KEY_POND, { timeout: 5000 }).catch(() => {});
  check('Enter on a row of the list opens its file', await page.locator('#panel').isVisible() &&
    (await page.evaluate(() => window.tailingsViewer.state.panelPond)) === KEY_POND);

  // --- the list filters by code, name or enterprise
  const all = await getJSON('/api/ponds');
  const want = all.filter(p => [p.code, p.name, p.enterprise].some(v => v.includes('510421'))).length;
  await page.locator('#filter').fill('510421');
  const rows = await page.locator('#ponds tbody tr').count();
  check(`the filter 510421 keeps the ${want} ponds of 米易县`, rows === want && want > 0 && want < N_PONDS, `${rows} rows`);
  await page.locator('#filter').fill('');
  check(`... and clearing it shows all ${N_PONDS}`, (await page.locator('#ponds tbody tr').count()) === N_PONDS);
  // ... on the map too, even when the map was busy loading tiles as the search changed (the map
  // kept the 12 ponds' filter while the list showed all 40)
  check('... and lifts the map\'s filter on every pond and element layer', await page.evaluate(() => {
    const m = window.tailingsViewer.map;
    return m.getStyle().layers.filter(l => l.source === 'tailings')
      .every(l => !JSON.stringify(m.getFilter(l.id) ?? null).includes('"pond_id"]'));
  }));

  // --- back to the key pond; the date control shows the map as it was
  await page.evaluate(([lon, lat]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom: 15 }), [pond.lon, pond.lat]);
  // (the filters lifted just before are drawn a frame or more later: look again for up to 10 s)
  let drawnNow = 0;
  for (let t0 = Date.now(); drawnNow === 0 && Date.now() - t0 < 10000;) {
    await settle();
    drawnNow = await rendered('groundwater');
    if (drawnNow === 0) await new Promise(r => setTimeout(r, 250));
  }
  const before = tileRequests.length;
  // the day before the sample was loaded: nothing had been drawn yet
  const loaded = sql(`SELECT min(changed_at)::date - 1 FROM tailings.change_log`);
  await page.locator('#date').fill(loaded);
  const atResponse = page.waitForResponse(r => r.url().includes('/tiles/all/') && r.url().includes('at='), { timeout: 15000 });
  await page.locator('#date').dispatchEvent('change');
  await atResponse.catch(() => {});
  await settle();
  const atRequests = tileRequests.slice(before).filter(u => u.includes('at='));
  check('the date control requests tiles with at=', atRequests.length > 0, `${atRequests.length} of ${tileRequests.length - before}`);
  // the tiles of today may stay on screen until those of that day have replaced them: wait for
  // the map to show that day (up to 15 s), then judge
  let thenDrawn = -1;
  for (let t0 = Date.now(); Date.now() - t0 < 15000;) {
    thenDrawn = (await rendered('groundwater')) + (await rendered('site'));
    if (thenDrawn === 0) break;
    await new Promise(r => setTimeout(r, 250));
    await settle();
  }
  const why = drawnNow > 0 ? '' : await page.evaluate(() => {
    const m = window.tailingsViewer.map;
    const l = m.getStyle().layers.find(x => x['source-layer'] === 'groundwater');
    return JSON.stringify({ zoom: m.getZoom(), centre: m.getCenter(), layer: l?.id, visibility: l && m.getLayoutProperty(l.id, 'visibility'),
      filter: l && m.getFilter(l.id), source: m.querySourceFeatures('tailings', { sourceLayer: 'groundwater' }).length,
      at: window.tailingsViewer.state.at });
  });
  check(`on ${loaded} the key pond's elements were not drawn yet`, drawnNow > 0 && thenDrawn === 0,
    `${drawnNow} now, ${thenDrawn} then ${why}`);
  check('the URL keeps the date', new URL(page.url()).searchParams.get('at') === loaded);
  check('... no pond is drawn: none was registered yet', await page.evaluate(() =>
    window.tailingsViewer.map.queryRenderedFeatures({ layers: ['ponds-fill', 'ponds-outline', 'ponds-point'] }).length === 0));
  check('... and no names from today\'s registry', await page.evaluate(() =>
    window.tailingsViewer.map.getLayoutProperty('pond-names', 'visibility') === 'none'));
  await page.screenshot({ path: join(shots, 'viewer-history.png') });
  const nowResponse = page.waitForResponse(r => r.url().includes('/tiles/all/') && !r.url().includes('at='), { timeout: 15000 });
  await page.locator('#now').click();
  await nowResponse.catch(() => {});
  await settle();
  check('现在 (now) brings the elements back', (await rendered('groundwater')) === drawnNow);
  check('... and the names', await page.evaluate(() =>
    window.tailingsViewer.map.getLayoutProperty('pond-names', 'visibility') === 'visible'));
  // today (or a later day) is the live map: its tiles go without at=, since the end of today is
  // still to come and a tile of it could change after it was served
  const today = await page.evaluate(() => new Date().toLocaleDateString('sv'));
  const beforeToday = tileRequests.length;
  await page.locator('#date').fill(today);
  const todayResponse = page.waitForResponse(r => r.url().includes('/tiles/all/'), { timeout: 15000 });
  await page.locator('#date').dispatchEvent('change');
  await todayResponse.catch(() => {});
  await settle();
  const todayRequests = tileRequests.slice(beforeToday);
  check(`choosing today (${today}) requests tiles without at=`, todayRequests.length > 0 &&
    todayRequests.every(u => !new URL(u).searchParams.has('at')),
    `${todayRequests.filter(u => new URL(u).searchParams.has('at')).length} of ${todayRequests.length} with at=`);
  check('... shows the live map: the elements and the names, no history note, no at= in the URL',
    (await rendered('groundwater')) === drawnNow && await page.evaluate(() =>
      window.tailingsViewer.map.getLayoutProperty('pond-names', 'visibility') === 'visible' &&
      document.getElementById('history-note').hidden && window.tailingsViewer.state.at === null) &&
    !new URL(page.url()).searchParams.has('at'));
  const beforeLater = tileRequests.length;
  await page.evaluate(() => window.tailingsViewer.setDate(
    new Date(Date.now() + 3 * 86400e3).toLocaleDateString('sv')));
  await settle();
  const laterRequests = tileRequests.slice(beforeLater);
  check('a later day (3 days ahead) requests tiles without at= too', laterRequests.length > 0 &&
    laterRequests.every(u => !new URL(u).searchParams.has('at')), `${laterRequests.length} requests`);

  // --- an UPDATE made now shows up without a reload
  await page.evaluate(() => { window.notReloaded = true; });
  const name = `监测井-改名-${process.pid}`;
  const nameOf = () => page.evaluate(([id]) => {
    const m = window.tailingsViewer.map;
    const f = m.querySourceFeatures('tailings', { sourceLayer: 'groundwater' }).find(x => x.id === id);
    return f ? f.properties.name : null;
  }, [Number(elId)]);
  check('the element is on the map with its old name', (await nameOf()) === elName);
  const t0 = Date.now();
  sql(`UPDATE tailings.element SET name = '${name}', geom = ST_Translate(geom, 0.0003, 0) WHERE id = ${elId}`);
  let seen = null;
  for (let i = 0; i < 100 && seen !== name; i++) {
    await page.waitForTimeout(100);
    seen = await nameOf();
  }
  const secs = (Date.now() - t0) / 1000;
  check('an UPDATE in the database shows up in the open viewer', seen === name, `after ${secs.toFixed(1)} s: ${seen}`);
  console.log(`# the edit appeared after ${secs.toFixed(1)} s`);
  check('... without a reload', await page.evaluate(() => window.notReloaded === true));
  check('... announced by the change stream', await page.evaluate(() => window.tailingsViewer.state.changes) > 0);
  // the tiles asked again after it name the change: v=<its id in the change log>, the same URL for
  // every viewer told of it (a shared cache in front of several servers: README, "Scaling out")
  const changeId = sql(`SELECT max(id) FROM tailings.change_log`).trim();
  const lastV = tileRequests.length ? new URL(tileRequests.at(-1)).searchParams.get('v') : null;
  check(`... its tiles asked again with v= the change's id (${changeId})`, lastV === changeId, `last tile request's v=${lastV}`);
  // the source has the edit; its symbols may be drawn a frame or more later: click again (for up
  // to 10 s) until the click finds it
  let clickedNew = false;
  for (let t0 = Date.now(); !clickedNew && Date.now() - t0 < 10000;) {
    await settle();
    await clickLngLat(Number(elLon) + 0.0003, elLat);
    await popup.waitFor({ timeout: 2000 }).catch(() => {});
    clickedNew = (await popup.count()) > 0 && (await popup.textContent()).includes(name);
  }
  check('the moved element is clicked at its new place', clickedNew);

  // --- English
  await page.locator('#lang').click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  check('the English switch translates the interface', (await page.title()) === 'Tailings One-Map' &&
    (await page.locator('#legend h2').textContent()) === 'Legend');
  check('... and the legend', (await page.locator('#legend-categories').textContent()).includes('Groundwater monitoring'));
  await page.locator(`#ponds tbody tr[data-pond="${KEY_POND}"]`).click();
  const english = await page.waitForFunction(() => {
    const t = document.querySelector('#panel .rules')?.textContent || '';
    return /required/.test(t) && t;
  }, null, { timeout: 10000 }).then(h => h.jsonValue()).catch(() => '');
  check('... and the completeness messages', english.includes('required') && !/要求/.test(english), english.slice(0, 120));
  await settle();
  await page.screenshot({ path: join(shots, 'viewer-en.png') });
  await page.locator('#lang').click();

  // =========================================================================
  // issue 10: legend, search, filters, base map, 5 km ring, print, accessibility
  await page.keyboard.press('Escape');
  const rowsShown = () => page.locator('#ponds tbody tr').count();
  const rowIds = () => page.locator('#ponds tbody tr').evaluateAll(trs => trs.map(tr => Number(tr.dataset.pond)));
  const search = async (text, enter = false) => {
    await page.locator('#filter').fill(text);
    if (enter) await page.locator('#filter').press('Enter');
  };

  // --- the legend draws the map's own symbols: the four groundwater wells differ
  const wells = ['gw_background_well', 'gw_monitoring_well', 'gw_diffusion_well', 'gw_outlet_well'];
  const wellIcons = await page.evaluate(ws => {
    const st = window.tailingsViewer.map.getStyle();
    return ws.map(w => {
      const l = st.layers.find(x => x.id === `${w}-point`);
      return { kind: w, type: l?.type, icon: l?.layout?.['icon-image'] ?? null,
        legend: document.querySelector(`#legend li[data-kind="${w}"] [data-icon]`)?.dataset.icon ?? null };
    });
  }, wells);
  check('the four wells are drawn by icons of their own kind (style: icon-image = kind code)',
    wellIcons.every(w => w.type === 'symbol' && w.icon === w.kind), JSON.stringify(wellIcons));
  check('... and the legend shows those very icons', wellIcons.every(w => w.legend === w.icon && w.legend), JSON.stringify(wellIcons));
  const wellPixels = [];
  for (const w of wells) {
    await page.locator(`#legend li[data-kind="${w}"]`).scrollIntoViewIfNeeded();
    wellPixels.push((await page.locator(`#legend li[data-kind="${w}"] .syms`).screenshot()).toString('base64'));
  }
  const wellDiff = await page.evaluate(async shots => {
    const imgs = await Promise.all(shots.map(s => window.testPixels(s)));
    const out = [];
    for (let i = 0; i < imgs.length; i++)
      for (let j = i + 1; j < imgs.length; j++) {
        let d = 0;
        const a = imgs[i].px, b = imgs[j].px;
        for (let k = 0; k < Math.min(a.length, b.length); k += 4)
          if (Math.abs(a[k] - b[k]) + Math.abs(a[k + 1] - b[k + 1]) + Math.abs(a[k + 2] - b[k + 2]) > 60) d++;
        out.push(d);
      }
    return out;
  }, wellPixels);
  check('the four wells\' legend symbols differ pairwise (≥ 12 pixels each)', wellDiff.every(d => d >= 12), wellDiff.join(','));
  const arrowsOf = code => page.locator(`#legend li[data-kind="${code}"] .line-sym .icon`).count();
  check('the legend draws a flow arrow on a leachate pipe and on the flood tunnel, none on a dam',
    (await arrowsOf('leachate_pipe')) === 1 && (await arrowsOf('flood_tunnel')) === 1 && (await arrowsOf('dam')) === 0);
  const dash = await page.evaluate(() => {
    const l = window.tailingsViewer.map.getStyle().layers.find(x => x.id === 'flood_tunnel-line');
    return { style: l?.paint?.['line-dasharray'] ?? null,
      legend: [...document.querySelectorAll('#legend li[data-kind="flood_tunnel"] line')].map(x => x.getAttribute('stroke-dasharray')).find(Boolean) ?? null };
  });
  check('the flood tunnel is dashed on the map and in the legend', Array.isArray(dash.style) && !!dash.legend, JSON.stringify(dash));
  check('the legend explains the verified and unverified ring',
    (await page.locator('#legend [data-legend="verified"]').count()) === 1 && (await page.locator('#legend [data-legend="unverified"]').count()) === 1);
  const bandsMeta = await page.evaluate(() => window.tailingsViewer.map.getStyle().metadata?.['tailings:bands'] ?? null);
  check('the legend shows the style\'s completeness bands', Array.isArray(bandsMeta) && bandsMeta.length === 4 &&
    (await page.locator('#legend ul.bands li[data-band]').count()) === 4, JSON.stringify(bandsMeta));

  // --- the list: county, failed rules, band symbol
  const first = ponds.find(p => p.errors_failed > 0);
  const firstRow = page.locator(`#ponds tbody tr[data-pond="${first.id}"]`);
  check(`the list names the county of ${first.name} and its ${first.errors_failed} failed rules`,
    (await firstRow.locator('[data-county-name]').textContent()) === { 510402: '东区', 510403: '西区', 510411: '仁和区', 510421: '米易县', 510422: '盐边县' }[first.county_code] &&
    Number(await firstRow.locator('td[data-failed]').getAttribute('data-failed')) === first.errors_failed);
  if (bandsMeta) {
    const bandOfScore = s => [...bandsMeta].sort((a, b) => b.floor - a.floor).find(b => s >= b.floor).code;
    const rowBands = await page.locator('#ponds tbody td[data-band]').evaluateAll(tds => tds.map(td =>
      [Number(td.closest('tr').dataset.pond), td.dataset.band, td.querySelector('[data-band]')?.dataset.band]));
    check('each row carries its band\'s symbol, the band the map uses', rowBands.length === N_PONDS &&
      rowBands.every(([id, b, sym]) => b === bandOfScore(ponds.find(p => p.id === id).score) && sym === b), JSON.stringify(rowBands.slice(0, 3)));
  } else check('each row carries its band\'s symbol (the style has no tailings:bands metadata)', false);

  // --- the search: a county by its name finds all its ponds
  const miyi = ponds.filter(p => p.county_code === '510421');
  await search('米易');
  const miyiRows = await rowIds();
  check(`searching 米易 lists exactly the ${miyi.length} ponds of 米易县 (510421)`, miyi.length === 12 &&
    miyiRows.length === 12 && miyi.every(p => miyiRows.includes(p.id)), `${miyiRows.length} rows`);
  check('... including 万年沟 and 烂坝山 (whose enterprises are not named after the county)',
    ['万年沟', '烂坝山'].every(n => miyi.some(p => p.name.includes(n) && miyiRows.includes(p.id))));
  await settle();
  const mapPondIds = async () => page.evaluate(() => {
    const m = window.tailingsViewer.map;
    return [...new Set(m.queryRenderedFeatures({ layers: m.getStyle().layers.filter(l => l['source-layer'] === 'ponds' || l.id === 'pond-names').map(l => l.id) })
      .map(f => Number(f.properties.pond_id ?? f.properties.id ?? f.id)))];
  });
  await page.evaluate(() => window.tailingsViewer.map.jumpTo({ center: [101.83, 26.70], zoom: 8.6 }));
  await settle();
  const miyiOnMap = await mapPondIds();
  check('... and the map shows only those ponds', miyiOnMap.length > 0 && miyiOnMap.every(id => miyi.some(p => p.id === id)),
    JSON.stringify(miyiOnMap));
  // an enterprise, an element's name
  const ent = ponds.find(p => p.id === KEY_POND).enterprise;
  await search(ent);
  check(`searching an enterprise (${ent}) finds its pond`, (await rowIds()).includes(KEY_POND));
  await search(name);   // the well's name as renamed above
  await page.waitForFunction(() => document.querySelectorAll('#ponds tbody tr').length > 0, null, { timeout: 20000 }).catch(() => {});
  check(`searching an element's name (${name}) finds its pond`, (await rowIds()).includes(KEY_POND), `${await rowIds()}`);
  // nothing: said so
  await search('无此尾矿库zz');
  await page.waitForFunction(() => document.getElementById('search-note').dataset.empty === 'true', null, { timeout: 20000 }).catch(() => {});
  check('a search that finds nothing says so', (await rowsShown()) === 0 &&
    (await page.locator('#search-note').textContent()).includes('没有') && await page.locator('#search-note').isVisible(),
    await page.locator('#search-note').textContent());
  // coordinates, both orders: fly there and list the nearest ponds
  const R = 6371008.7714, rad = d => d * Math.PI / 180;
  const dist = (a, b) => 2 * R * Math.asin(Math.sqrt(Math.sin(rad(b[1] - a[1]) / 2) ** 2 +
    Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(rad(b[0] - a[0]) / 2) ** 2));
  const nearest = [...ponds].sort((a, b) => dist([102.03, 26.84], [a.lon, a.lat]) - dist([102.03, 26.84], [b.lon, b.lat]));
  for (const q of ['26.84, 102.03', '102.03 26.84']) {
    await search(q, true);
    await page.waitForTimeout(300);
    await settle();
    const c = await page.evaluate(() => window.tailingsViewer.map.getCenter());
    const ids = await rowIds();
    check(`searching "${q}" flies there`, Math.abs(c.lng - 102.03) < 0.002 && Math.abs(c.lat - 26.84) < 0.002, `${c.lng},${c.lat}`);
    check(`... and lists the nearest ponds, nearest first (${nearest[0].name})`, ids.length >= 3 &&
      ids.every((id, i) => id === nearest[i].id), JSON.stringify(ids));
  }
  await search('');

  // --- filters: a county filters the list and the map (ponds and elements)
  const yanbian = ponds.filter(p => p.county_code === '510422');
  await page.locator('#f-county').selectOption('510422');
  check(`the county filter (盐边县) lists its ${yanbian.length} ponds`, (await rowsShown()) === yanbian.length &&
    (await rowIds()).every(id => yanbian.some(p => p.id === id)));
  await page.evaluate(() => window.tailingsViewer.map.jumpTo({ center: [101.83, 26.70], zoom: 8.6 }));
  await settle();
  const ybMap = await mapPondIds();
  check('... and the map draws only its ponds', ybMap.length > 0 && ybMap.every(id => yanbian.some(p => p.id === id)), JSON.stringify(ybMap));
  await page.evaluate(([lon, lat]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom: 15 }), [pond.lon, pond.lat]);
  await settle();
  check('... and none of the elements of the key pond (东区)', (await rendered('groundwater')) === 0 && (await rendered('site')) === 0);
  await page.locator('#f-county').selectOption('');
  await settle();
  check('all counties: the key pond\'s elements are back', (await rendered('groundwater')) === groundwater);
  await page.locator('#f-status').selectOption('in_use');
  check('the status filter lists the ponds in use', (await rowsShown()) === ponds.filter(p => p.status === 'in_use').length);
  await page.locator('#f-status').selectOption('');

  // --- summary cards are filters
  const level2 = page.locator('[data-count="level-2"]');
  await level2.click();
  check('the card 二级 filters the list to the 8 level-2 ponds', (await rowsShown()) === 8 &&
    (await level2.getAttribute('aria-pressed')) === 'true' && (await page.locator('#f-level').inputValue()) === '2');
  await page.locator('[data-count="complete"]').click();
  check('... and 图件完整 narrows it to the complete ones', (await rowsShown()) === ponds.filter(p => p.level === 2 && p.score >= 1).length);
  await page.locator('[data-count="complete"]').click();
  await level2.click();
  check('a second click lifts the filter', (await rowsShown()) === N_PONDS && (await level2.getAttribute('aria-pressed')) === 'false' &&
    (await page.locator('[data-count="total"]').getAttribute('aria-pressed')) === 'true');

  // --- sort headers: buttons, operable by keyboard, with aria-sort
  await page.locator('#ponds th[data-sort="errors_failed"] button').focus();
  await page.keyboard.press('Enter');
  const failedSorted = await page.locator('#ponds tbody td[data-failed]').evaluateAll(tds => tds.map(td => Number(td.dataset.failed)));
  check('a sort header is a button: Enter sorts by it and aria-sort says how',
    (await page.locator('#ponds th[data-sort="errors_failed"]').getAttribute('aria-sort')) === 'ascending' &&
    failedSorted.every((v, i) => i === 0 || failedSorted[i - 1] <= v) &&
    (await page.locator('#ponds th[data-sort="score"]').getAttribute('aria-sort')) === 'none');

  // --- contrast and size of text
  const a11y = await page.evaluate(() => {
    const lum = c => {
      const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
        .map(v => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const bgOf = el => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor; if (!/rgba\(.*, 0\)|transparent/.test(c)) return c; } return 'rgb(255, 255, 255)'; };
    const probe = cls => {
      const t = document.createElement('table'); t.className = 'rules';
      t.innerHTML = `<tr><td class="${cls}">x</td></tr>`;
      document.getElementById('panel-body').append(t);
      const td = t.querySelector('td');
      const r = ratio(getComputedStyle(td).color, bgOf(td));
      t.remove();
      return r;
    };
    const row = document.querySelector('#ponds tbody tr');
    row.focus();
    const cs = getComputedStyle(row);
    const focusRing = Math.max(cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2 ? ratio(cs.outlineColor, bgOf(row.parentElement)) : 0,
      ratio(cs.backgroundColor === 'rgba(0, 0, 0, 0)' ? bgOf(row.parentElement) : cs.backgroundColor, bgOf(row.parentElement)));
    return { ok: probe('ok'), warn: probe('warn'), fail: probe('fail'), focusRing,
      listPx: parseFloat(getComputedStyle(row.querySelector('td')).fontSize) };
  });
  check('the pass, warning and fail texts of the pond file have contrast ≥ 4.5:1',
    a11y.ok >= 4.5 && a11y.warn >= 4.5 && a11y.fail >= 4.5, JSON.stringify(a11y));
  check('the focused row\'s highlight has contrast ≥ 3:1', a11y.focusRing >= 3, a11y.focusRing.toFixed(2));
  check('list text is at least 14 px', a11y.listPx >= 14, `${a11y.listPx}px`);

  // --- a pond selected: its 5 km ring (the within_5km rule's distance, on the same sphere)
  await page.locator(`#ponds tbody tr[data-pond="${KEY_POND}"]`).click();
  await page.locator('#panel .rules tr').first().waitFor({ timeout: 10000 });
  await page.evaluate(([lon, lat]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom: 11 }), [pond.lon, pond.lat]);
  await settle();
  const ring = await page.evaluate(() => {
    const m = window.tailingsViewer.map;
    const f = m.queryRenderedFeatures({ layers: ['pond-ring'] });
    const g = m.getSource('pond-ring')?.serialize().data;
    return { rendered: f.length, coords: g?.features?.[0]?.geometry?.coordinates?.[0] ?? [] };
  });
  const radii = ring.coords.map(c => dist([pond.lon, pond.lat], c));
  check('selecting a pond draws its 5 km ring', ring.rendered > 0 && radii.length >= 64 &&
    radii.every(r => Math.abs(r - 5000) < 1), `${ring.rendered} rendered, radii ${Math.min(...radii).toFixed(1)}–${Math.max(...radii).toFixed(1)} m`);
  // --- the print button opens the pond's sheet in a new tab
  const [sheet] = await Promise.all([context.waitForEvent('page', { timeout: 10000 }), page.locator('#panel #print').click()]);
  await sheet.waitForURL(u => String(u).includes('/sheet/'), { timeout: 10000 }).catch(() => {});
  check('打印 opens /sheet/{id} in a new tab', sheet.url().startsWith(`${base}/sheet/${KEY_POND}`) &&
    (await page.locator('#panel #print').textContent()).includes('打印'), sheet.url());
  await sheet.close();
  await page.keyboard.press('Escape');
  await settle();
  check('... closing the file removes the ring', await page.evaluate(() =>
    window.tailingsViewer.map.queryRenderedFeatures({ layers: ['pond-ring'] }).length === 0));

  // --- the key pond at three zooms, for a person to look at
  for (const z of [13, 15, 17]) {
    await page.evaluate(([lon, lat, zoom]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom }), [pond.lon, pond.lat, z]);
    await settle();
    await page.screenshot({ path: join(shots, `viewer-key-z${z}.png`) });
  }

  // --- the base map: under the elements, none takes it away
  const basemaps = await page.evaluate(() => window.tailingsViewer.map.getStyle().metadata?.['tailings:basemaps'] ?? []);
  const local = basemaps.find(b => process.env.BASEMAP_PORT && String(b.url).includes(`127.0.0.1:${process.env.BASEMAP_PORT}`));
  check('the style lists the --basemap of the server (tailings:basemaps)', !!local, JSON.stringify(basemaps));
  if (local) {
    const magenta = async () => {
      const png = await mapShot();
      return page.evaluate(async ([data, rgb]) => {
        const { px } = await window.testPixels(data);
        let n = 0;
        for (let i = 0; i < px.length; i += 4)
          if (Math.abs(px[i] - rgb[0]) + Math.abs(px[i + 1] - rgb[1]) + Math.abs(px[i + 2] - rgb[2]) < 12) n++;
        return n / (px.length / 4);
      }, [png, BASEMAP_RGB]);
    };
    await page.evaluate(([lon, lat]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom: 15 }), [pond.lon, pond.lat]);
    await settle();
    check('with no base map chosen, none is drawn', (await magenta()) === 0);
    await page.locator('#basemap').selectOption(local.id);
    await settle();
    const share = await magenta();
    check('choosing the base map draws it', share > 0.3, `${(share * 100).toFixed(1)}% of the map`);
    check('... under the elements: they are still drawn, and not covered', share < 0.97 && (await rendered('groundwater')) === groundwater);
    const wellPx = await page.evaluate(([lon, lat]) => window.tailingsViewer.map.project([lon, lat]), [Number(elLon) + 0.0003, Number(elLat)]);
    const png = await mapShot();
    const atWell = await page.evaluate(async ([data, p]) => {
      const { px, width } = await window.testPixels(data);
      const i = (Math.round(p.y) * width + Math.round(p.x)) * 4;
      return [px[i], px[i + 1], px[i + 2]];
    }, [png, wellPx]);
    check('... a well is drawn over it', Math.abs(atWell[0] - BASEMAP_RGB[0]) + Math.abs(atWell[1] - BASEMAP_RGB[1]) + Math.abs(atWell[2] - BASEMAP_RGB[2]) > 60,
      JSON.stringify(atWell));
    check('... with its attribution', (await page.locator('.maplibregl-ctrl-attrib').textContent()).includes(local.attribution || '\u0000'),
      await page.locator('.maplibregl-ctrl-attrib').textContent());
    await page.screenshot({ path: join(shots, 'viewer-basemap.png') });
    check('the choice is remembered', await page.evaluate(() => localStorage.getItem('tailings.basemap')) === local.id);
    await page.locator('#basemap').selectOption('none');
    await settle();
    check('none takes it away', (await magenta()) === 0);
  }

  // --- the first view, without a view in the URL: every pond, and every pond's name (desktop)
  const desk = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  await desk.goto(`${base}/`);
  await desk.waitForFunction(() => {
    const v = window.tailingsViewer;
    return v && v.map.loaded() && v.map.areTilesLoaded() && !v.map.isMoving();
  }, null, { timeout: 30000 });
  await desk.waitForTimeout(500);
  const firstView = await desk.evaluate(() => {
    const m = window.tailingsViewer.map;
    const { width, height } = m.getCanvas().getBoundingClientRect();
    const out = window.tailingsViewer.state.ponds.filter(p => {
      const q = m.project([p.lon, p.lat]);
      return !(q.x >= 0 && q.y >= 0 && q.x <= width && q.y <= height);
    }).map(p => p.name);
    const labels = ['ponds-label', 'pond-names'].filter(id => m.getLayer(id) && m.getLayoutProperty(id, 'visibility') !== 'none');
    const names = new Set(m.queryRenderedFeatures({ layers: labels }).map(f => f.properties.name));
    return { out, names: names.size, hash: location.hash };
  });
  check(`the first view shows all ${N_PONDS} ponds`, firstView.out.length === 0, `outside: ${firstView.out.join(', ')}`);
  check('... and the URL then keeps that view', /^#\d/.test(firstView.hash), firstView.hash);
  check(`at the city view (1280x800) all ${N_PONDS} pond names are drawn`, firstView.names === N_PONDS, `${firstView.names} names`);
  await desk.screenshot({ path: join(shots, 'viewer-city.png') });
  await desk.close();

  // --- on a phone: the map takes the screen, the overview slides in, a pond's file is a sheet
  // over the lower part of the map
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const phone = await phoneCtx.newPage();
  phone.on('console', m => { if (m.type() === 'error') errors.push(`phone: ${m.text()}`); });
  phone.on('pageerror', e => errors.push(`phone: ${e}`));
  await phone.goto(`${base}/#14/${pond.lat}/${pond.lon}`);
  await phone.waitForFunction(() => {
    const v = window.tailingsViewer;
    return v && v.map.loaded() && v.map.areTilesLoaded();
  }, null, { timeout: 30000 });
  const mapBox = await phone.locator('#map').boundingBox();
  check('on a phone the map takes the width', mapBox.width >= 380, JSON.stringify(mapBox));
  // tap targets: everything to tap on the map screen
  const small = async sel => phone.evaluate(s => [...document.querySelectorAll(s)].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (r.width < 44 || r.height < 44);
  }).map(el => `${el.id || el.className || el.tagName}:${Math.round(el.getBoundingClientRect().width)}x${Math.round(el.getBoundingClientRect().height)}`), sel);
  const mapTargets = await small('#bar button, #bar input, .maplibregl-ctrl button, .maplibregl-ctrl select');
  check('... every tap target of the map screen is at least 44x44 px', mapTargets.length === 0, mapTargets.join(' '));
  // a past day: its note does not cover the date field or 现在
  const yesterday = await phone.evaluate(() => new Date(Date.now() - 86400e3).toLocaleDateString('sv'));
  await phone.evaluate(d => window.tailingsViewer.setDate(d), yesterday);
  await phone.locator('#history-note').waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
  const overlap = (a, b) => a && b && a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  const note = await phone.locator('#history-note').boundingBox();
  const nowBox = await phone.locator('#now').boundingBox(), dateBox = await phone.locator('#date').boundingBox();
  check('... the note of a past day covers neither 现在 nor the date field', !!note && !overlap(note, nowBox) && !overlap(note, dateBox),
    JSON.stringify({ note, nowBox, dateBox }));
  await phone.screenshot({ path: join(shots, 'viewer-phone-history.png') });
  await phone.locator('#now').click();
  const sideBox = () => phone.locator('#side').boundingBox();
  check('... the overview is out of sight', (await sideBox()).x + (await sideBox()).width <= 1);
  await phone.locator('#menu').click();
  await phone.waitForTimeout(400);
  check('... ☰ slides it in', (await sideBox()).x >= 0 && (await phone.locator('#menu').getAttribute('aria-expanded')) === 'true');
  const sideTargets = await small('#side button, #side select, #side input[type="search"], #ponds tbody tr, .legend-cat > label');
  check('... every tap target of the overview is at least 44 px high and wide', sideTargets.length === 0, sideTargets.slice(0, 8).join(' '));
  await phone.locator(`#ponds tbody tr[data-pond="${KEY_POND}"]`).click();
  await phone.waitForSelector('#panel .rules tr');
  await phone.waitForTimeout(1500);
  const panelBox = await phone.locator('#panel').boundingBox();
  const viewport = phone.viewportSize();
  const mapShown = panelBox.y - mapBox.y;
  check('... a pond from the list closes it and opens the file as a sheet that leaves ≥ 40 % of the screen to the map',
    (await sideBox()).x + (await sideBox()).width <= 1 && panelBox.width >= 380 && mapShown >= 0.4 * viewport.height &&
    Math.abs(panelBox.y + panelBox.height - viewport.height) < 2, `map ${Math.round(mapShown)} of ${viewport.height} px`);
  const keyAt = await phone.evaluate(([lon, lat]) => window.tailingsViewer.map.project([lon, lat]), [pond.lon, pond.lat]);
  check('... with the pond in sight above it', keyAt.y > 0 && keyAt.y < mapShown && keyAt.x > 0 && keyAt.x < mapBox.width, JSON.stringify(keyAt));
  const sheetTargets = await small('#panel-close, #panel #print');
  check('... its close and print buttons are at least 44x44 px', sheetTargets.length === 0, sheetTargets.join(' '));
  await phone.screenshot({ path: join(shots, 'viewer-phone.png') });
  await phoneCtx.close();

  check('no console errors in the whole session', errors.length === 0, errors.join(' | '));
  ranToEnd = true;
} catch (e) {
  check('the session ran to its end', false, e.stack || e);
} finally {
  await browser.close();
  basemapServer?.close();
  // the element's name back, for whoever looks at the database afterwards
  try { sql(`UPDATE tailings.element SET name = '${elName}', geom = ST_Translate(geom, -0.0003, 0) WHERE id = ${elId} AND name <> '${elName}'`); } catch { }
}
console.log(`# screenshots in ${shots}`);
finish(ranToEnd);
