// Browser tests of the viewer: headless Chromium (Debian's /usr/bin/chromium, WebGL through
// SwiftShader) driven by playwright-core, against a running tailings-tileserver.
//   node viewer.test.mjs BASE_URL SCREENSHOT_DIR
// psql reaches the server's database through the PG* environment (edits made during the test).
// Prints TAP-like lines and "N passed, N failed"; exits 1 on any failure.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.argv[2];
const shots = process.argv[3];
if (!base || !shots) {
  console.error('usage: node viewer.test.mjs BASE_URL SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

let passed = 0, failed = 0;
function check(desc, cond, detail = '') {
  if (cond) { passed++; console.log(`ok - ${desc}`); }
  else { failed++; console.log(`not ok - ${desc}${detail ? ` (${detail})` : ''}`); }
}
const sql = q => execFileSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-F', '\t', '-c', q], { encoding: 'utf8' }).trim();
const getJSON = async path => (await fetch(base + path)).json();

// the key pond: 干坝塘, with its drawn boundary; a point element of it that nothing else covers
const KEY_POND = 1;
const pond = (await getJSON('/api/ponds')).find(p => p.id === KEY_POND);
const [elId, elKind, elLabel, elName, elLon, elLat] = sql(`
  SELECT e.id, e.kind, tailings.label(e.kind, 'zh'), e.name, ST_X(e.geom), ST_Y(e.geom)
    FROM tailings.element e
   WHERE e.pond_id = ${KEY_POND} AND GeometryType(e.geom) = 'POINT' AND e.kind::text = 'gw_monitoring_well'
   ORDER BY e.id LIMIT 1`).split('\t');
const rules = await getJSON(`/api/ponds/${KEY_POND}/completeness`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-quic'],
});
const errors = [];
const tileRequests = [];
let exitCode = 1;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  // MapLibre cancels the requests of tiles that leave the view: those are not errors
  page.on('requestfailed', r => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', r => { if (r.url().includes('/tiles/all/')) tileRequests.push(r.url()); });

  // the map settles: style loaded, every visible tile loaded and drawn
  const settle = () => page.waitForFunction(() => {
    const v = window.tailingsViewer;
    return v && v.map.loaded() && v.map.areTilesLoaded() && !v.map.isMoving();
  }, null, { timeout: 30000 }).then(() => page.waitForTimeout(300));
  // share of the map's pixels that are not the plain background, and how many distinct colours
  // the map canvas as the user sees it (a screenshot, decoded in the page): { width, height, px }
  await page.addInitScript(() => {
    window.testPixels = async data => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      return { width: c.width, height: c.height, px: g.getImageData(0, 0, c.width, c.height).data };
    };
  });
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
  check('the overview counts the 40 ponds', (await page.locator('[data-count="total"] b').textContent()) === '40');
  check('the overview counts 8 level-2 and 32 level-3 ponds',
    (await page.locator('[data-count="level-2"] b').textContent()) === '8' &&
    (await page.locator('[data-count="level-3"] b').textContent()) === '32');
  check('the overview counts 14 complete maps', (await page.locator('[data-count="complete"] b').textContent()) === '14/40');

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
  await page.locator('#ponds th[data-sort="score"]').click();   // already by score ascending: now descending
  const scores = await page.locator('#ponds tbody td[data-score]').evaluateAll(tds => tds.map(td => Number(td.dataset.score)));
  check('the pond list sorts by score', scores.length === 40 && scores.every((s, i) => i === 0 || scores[i - 1] >= s),
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
  check(`the filter 510421 keeps the ${want} ponds of 米易县`, rows === want && want > 0 && want < 40, `${rows} rows`);
  await page.locator('#filter').fill('');
  check('... and clearing it shows all 40', (await page.locator('#ponds tbody tr').count()) === 40);

  // --- back to the key pond; the date control shows the map as it was
  await page.evaluate(([lon, lat]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom: 15 }), [pond.lon, pond.lat]);
  await settle();
  const before = tileRequests.length;
  const drawnNow = await rendered('groundwater');
  // the day before the sample was loaded: nothing had been drawn yet
  const loaded = sql(`SELECT min(changed_at)::date - 1 FROM tailings.change_log`);
  await page.locator('#date').fill(loaded);
  const atResponse = page.waitForResponse(r => r.url().includes('/tiles/all/') && r.url().includes('at='), { timeout: 15000 });
  await page.locator('#date').dispatchEvent('change');
  await atResponse.catch(() => {});
  await settle();
  const atRequests = tileRequests.slice(before).filter(u => u.includes('at='));
  check('the date control requests tiles with at=', atRequests.length > 0, `${atRequests.length} of ${tileRequests.length - before}`);
  check(`on ${loaded} the key pond's elements were not drawn yet`, drawnNow > 0 && (await rendered('groundwater')) === 0 &&
    (await rendered('site')) === 0);
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
  await settle();
  await clickLngLat(Number(elLon) + 0.0003, elLat);
  await popup.waitFor({ timeout: 5000 }).catch(() => {});
  check('the moved element is clicked at its new place', (await popup.count()) > 0 && (await popup.textContent()).includes(name));

  // --- English
  await page.locator('#lang').click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  check('the English switch translates the interface', (await page.title()) === 'Tailings One-Map' &&
    (await page.locator('#legend h2').textContent()) === 'Legend');
  check('... and the legend', (await page.locator('#legend-categories').textContent()).includes('Groundwater monitoring'));
  await page.locator('#ponds tbody tr[data-pond="1"]').click();
  const english = await page.waitForFunction(() => {
    const t = document.querySelector('#panel .rules')?.textContent || '';
    return /required/.test(t) && t;
  }, null, { timeout: 10000 }).then(h => h.jsonValue()).catch(() => '');
  check('... and the completeness messages', english.includes('required') && !/要求/.test(english), english.slice(0, 120));
  await settle();
  await page.screenshot({ path: join(shots, 'viewer-en.png') });
  await page.locator('#lang').click();

  // --- on a phone: the map takes the screen, the overview slides in, a pond's file covers the map
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  phone.on('console', m => { if (m.type() === 'error') errors.push(`phone: ${m.text()}`); });
  phone.on('pageerror', e => errors.push(`phone: ${e}`));
  await phone.goto(`${base}/#14/${pond.lat}/${pond.lon}`);
  await phone.waitForFunction(() => {
    const v = window.tailingsViewer;
    return v && v.map.loaded() && v.map.areTilesLoaded();
  }, null, { timeout: 30000 });
  const mapBox = await phone.locator('#map').boundingBox();
  check('on a phone the map takes the width', mapBox.width >= 380, JSON.stringify(mapBox));
  const sideBox = () => phone.locator('#side').boundingBox();
  check('... the overview is out of sight', (await sideBox()).x + (await sideBox()).width <= 1);
  await phone.locator('#menu').click();
  await phone.waitForTimeout(400);
  check('... ☰ slides it in', (await sideBox()).x >= 0 && (await phone.locator('#menu').getAttribute('aria-expanded')) === 'true');
  await phone.locator(`#ponds tbody tr[data-pond="${KEY_POND}"]`).click();
  await phone.waitForSelector('#panel .rules tr');
  await phone.waitForTimeout(400);
  const panelBox = await phone.locator('#panel').boundingBox();
  check('... a pond from the list closes it and opens the file over the map',
    (await sideBox()).x + (await sideBox()).width <= 1 && panelBox.width >= 380);
  await phone.screenshot({ path: join(shots, 'viewer-phone.png') });
  await phone.close();

  check('no console errors in the whole session', errors.length === 0, errors.join(' | '));
  exitCode = failed ? 1 : 0;
} catch (e) {
  failed++;
  console.log(`not ok - the session ran to its end (${e.stack || e})`);
} finally {
  await browser.close();
  // the element's name back, for whoever looks at the database afterwards
  try { sql(`UPDATE tailings.element SET name = '${elName}', geom = ST_Translate(geom, -0.0003, 0) WHERE id = ${elId} AND name <> '${elName}'`); } catch { }
}
console.log(`# screenshots in ${shots}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : exitCode);
