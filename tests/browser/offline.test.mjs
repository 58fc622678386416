// The viewer offline (离线图包), in headless Chromium: a package exported by tests/sh/viewer_offline.sh
// (`tailings-tileserver export --pond ID --with-files`) is opened after the page has loaded and the
// network is cut (context.setOffline): the map draws the pond's elements from the archive — the
// very features it drew from the server at the same view — and the pond's panel and file open from
// the JSON files.  Then the same from a chosen folder.
// Last, the server is stopped (SERVER_PID, SIGTERM) and the page opened anew: it comes from the
// viewer's service worker (sw.js), says that there is no network, and opens the package.
//   node offline.test.mjs BASE_URL SCREENSHOT_DIR PACKAGE_DIR POND_ID SERVER_PID
// PACKAGE_DIR holds pond<ID>.pmtiles and pond<ID>.files/ (ID.json, ID.en.json, index.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { args, check, finish, launch, settle } from './lib.mjs';

const { base, shots } = args('offline.test.mjs');
const [pkg, pondArg, serverPid] = process.argv.slice(4);
if (!pkg || !pondArg || !serverPid) { console.error('usage: node offline.test.mjs BASE_URL SCREENSHOT_DIR PACKAGE_DIR POND_ID SERVER_PID'); process.exit(2); }
const POND = Number(pondArg);
const archive = join(pkg, `pond${POND}.pmtiles`);
const filesDir = join(pkg, `pond${POND}.files`);
const chosen = [archive, join(filesDir, `${POND}.json`), join(filesDir, `${POND}.en.json`), join(filesDir, 'index.json')];
const fileZh = JSON.parse(readFileSync(join(filesDir, `${POND}.json`), 'utf8'));
const fileEn = JSON.parse(readFileSync(join(filesDir, `${POND}.en.json`), 'utf8'));
const pond = fileZh.basic;

const browser = await launch();
let ranToEnd = false;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  await context.addInitScript(() => {
    if (!localStorage.getItem('tailings.basemap')) localStorage.setItem('tailings.basemap', 'none');
    localStorage.setItem('tailings.lang', 'zh');
  });
  const page = await context.newPage();
  const errors = [];
  let offline = false;
  const requests = { online: [], offline: [] };
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', r => requests[offline ? 'offline' : 'online'].push(r.url()));

  // the features of the tailings source drawn at the pond: layer and id of each, and the pond's elements' ids
  const drawn = () => page.evaluate(p => {
    const m = window.tailingsViewer.map;
    const fs = m.queryRenderedFeatures().filter(f => f.source === 'tailings');
    return {
      all: [...new Set(fs.map(f => `${f.sourceLayer}:${f.id ?? `anchor-${f.properties.pond_id}`}`))].sort(),
      elements: [...new Set(fs.filter(f => f.sourceLayer !== 'ponds' && f.properties.pond_id === p).map(f => f.id))].sort((a, b) => a - b),
      geometry: [...new Set(fs.filter(f => f.properties.pond_id === p).map(f => f.geometry.type.replace('Multi', '')))].sort(),
    };
  }, POND);
  const view = async () => {
    await page.evaluate(([lon, lat]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom: 14.5 }), [pond.lon, pond.lat]);
    await settle(page);
  };

  // --- online: the page, and what the server's tiles draw at the pond
  await page.goto(base);
  await page.waitForFunction(() => window.tailingsViewer?.offline && window.tailingsViewer.map.loaded(), null, { timeout: 30000 });
  // the service worker keeps the viewer's own files, and nothing of a role's or of the moment
  const kept = await page.evaluate(() => window.tailingsViewer.kept);
  check('the service worker has kept what the page loaded', kept === true, String(kept));
  await view();
  const online = await drawn();
  check(`online: the pond's elements are drawn from the server (${online.elements.length})`, online.elements.length >= 10,
    JSON.stringify(online.elements));

  // --- the network cut
  await context.setOffline(true);
  offline = true;
  const reach = await page.evaluate(() => fetch('/api/ponds', { cache: 'no-store' }).then(() => 'answered', () => 'failed'));
  check('offline: the server cannot be reached from the page', reach === 'failed', reach);

  // --- a choice without an archive is refused in words
  await page.setInputFiles('#offline-files', [join(filesDir, `${POND}.json`)]);
  await page.waitForFunction(() => document.getElementById('offline-status')?.classList.contains('error'), null, { timeout: 10000 });
  check('pond files without an archive: "no archive chosen"', (await page.textContent('#offline-status')).includes('没有选择图包'),
    await page.textContent('#offline-status'));

  // --- the archive and the pond files chosen
  await page.setInputFiles('#offline-files', chosen);
  await page.waitForFunction(() => window.tailingsViewer.state.offline && /已打开/.test(document.getElementById('offline-status').textContent),
    null, { timeout: 20000 });
  check('the package opens: status names the archive, 1 pond, 1 file', (await page.textContent('#offline-status')).includes(`pond${POND}.pmtiles：1 座尾矿库，1 份档案`),
    await page.textContent('#offline-status'));
  const source = await page.evaluate(() => {
    const s = window.tailingsViewer.map.getStyle().sources.tailings;
    return { tiles: s.tiles, minzoom: s.minzoom, maxzoom: s.maxzoom };
  });
  check('the map\'s tiles come from the archive (pmtiles://), its zooms', source.tiles?.[0] === `pmtiles://pond${POND}.pmtiles/{z}/{x}/{y}` &&
    source.minzoom === 8 && source.maxzoom === 16, JSON.stringify(source));
  check('a note says the map and the files come from the package', await page.isVisible('#offline-note') &&
    (await page.textContent('#offline-note')).includes(`离线图包 pond${POND}.pmtiles`), await page.textContent('#offline-note'));
  check('what needs the server is put away: the date (the package is one moment), the comparison, the live dot, the hazards board',
    !(await page.isVisible('#when')) && !(await page.isVisible('#compare-toggle')) && !(await page.isVisible('#live')) &&
    !(await page.isVisible('#board-toggle')) && await page.isDisabled('#date'));

  // --- the pond's panel and file, from the JSON (a package of one pond opens it)
  const panelShows = async (lang, file) => {
    await page.waitForFunction(id => document.querySelector(`#pond-file[data-pond="${id}"] section[data-part="facilities"]`), POND, { timeout: 10000 });
    return page.evaluate(([f, l]) => {
      const body = document.getElementById('panel-body');
      const text = body.textContent;
      return {
        visible: !document.getElementById('panel').hidden,
        title: body.querySelector('h2')?.textContent,
        parts: [...body.querySelectorAll('#pond-file section[data-part]')].map(s => s.dataset.part),
        ledgerRows: body.querySelectorAll('#pond-file .ledger-table tbody tr').length,
        hazards: body.querySelectorAll('#pond-file li.hazard').length,
        facilities: body.querySelector('#pond-file section[data-part="facilities"] summary')?.textContent,
        kinds: (f.facilities || []).map(x => x.kind_label).filter(k => !text.includes(k)),
        elements: body.querySelectorAll('ul.elements li[data-element]').length,
        lang: l,
      };
    }, [file, lang]);
  };
  const expectPanel = (what, p, file) => {
    check(`${what}: the panel shows the pond (${file.basic.name})`, p.visible && p.title === file.basic.name, JSON.stringify(p.title));
    check(`${what}: the file's six parts`, JSON.stringify(p.parts) === JSON.stringify(['ledger', 'documents', 'facilities', 'hazards', 'inspections', 'monitoring']),
      JSON.stringify(p.parts));
    check(`${what}: the ledger's ${file.ledger.length} years, the ${file.hazards.length} hazards, the ${file.facilities.length} facilities`,
      p.ledgerRows === file.ledger.length && p.hazards === file.hazards.length && p.facilities?.startsWith(`${file.facilities.length} ·`) &&
      p.elements === file.facilities.length, JSON.stringify(p));
    check(`${what}: every facility's kind in the file's words`, p.kinds.length === 0, JSON.stringify(p.kinds.slice(0, 5)));
  };
  expectPanel('opened with the package', await panelShows('zh', fileZh), fileZh);
  await page.screenshot({ path: join(shots, 'offline-pond.png') });
  await page.click('#panel-close');
  await page.waitForFunction(() => document.getElementById('panel').hidden, null, { timeout: 5000 });

  // --- the map from the archive, at the same view (the panel closed: the map as wide as online)
  await view();
  const fromArchive = await drawn();
  check(`offline: the pond's elements are drawn from the archive (${fromArchive.elements.length})`,
    fromArchive.elements.length === online.elements.length && fromArchive.elements.length >= 10, JSON.stringify(fromArchive.elements));
  check('offline: the very features drawn from the server, none missing, none more', JSON.stringify(fromArchive.all) === JSON.stringify(online.all),
    `online ${online.all.length}, archive ${fromArchive.all.length}: ${online.all.filter(x => !fromArchive.all.includes(x)).slice(0, 5)} / ${fromArchive.all.filter(x => !online.all.includes(x)).slice(0, 5)}`);
  check('points, lines and polygons of the pond are drawn', ['LineString', 'Point', 'Polygon'].every(g => fromArchive.geometry.includes(g)),
    JSON.stringify(fromArchive.geometry));
  const tileAsks = requests.offline.filter(u => u.includes('/tiles/'));
  check('no tile was asked of the server once offline', tileAsks.length === 0, tileAsks.slice(0, 3).join(' '));

  // chosen again from the list (what the panel showed is wiped first: it must be drawn again)
  await page.evaluate(() => { document.getElementById('panel-body').innerHTML = ''; });
  await page.click(`#ponds tbody tr[data-pond="${POND}"]`);
  await page.waitForFunction(() => !document.getElementById('panel').hidden, null, { timeout: 10000 });
  expectPanel('chosen from the list', await panelShows('zh', fileZh), fileZh);
  check('the list holds the package\'s pond', (await page.locator('#ponds tbody tr').count()) === 1);
  // English: the English file
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 5000 });
  await page.waitForFunction(k => document.getElementById('panel-body').textContent.includes(k), fileEn.facilities[0].kind_label, { timeout: 10000 });
  expectPanel('in English', await panelShows('en', fileEn), fileEn);
  await page.click('#lang');

  // --- a click on an element of the map: what it is, from the package
  const el = fileZh.facilities.find(f => f.kind === 'gw_monitoring_well') || fileZh.facilities[0];
  await page.click('#panel-close');
  await page.evaluate(([lon, lat]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom: 16 }), [el.lon, el.lat]);
  await settle(page);
  const pt = await page.evaluate(([lon, lat]) => window.tailingsViewer.map.project([lon, lat]), [el.lon, el.lat]);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await page.waitForTimeout(500);
  const popup = await page.locator('.maplibregl-popup').textContent().catch(() => '');
  check(`a click on ${el.name} names it (from the archive's features)`, popup.includes(el.name), popup.slice(0, 200));
  await page.screenshot({ path: join(shots, 'offline-click.png') });

  const unexpected = errors.filter(e => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|NetworkError|net::ERR|EventSource|events/.test(e));
  check('no errors but the network\'s', unexpected.length === 0, unexpected.slice(0, 5).join(' | '));

  // --- a folder chosen instead (a new page, loaded online, then offline)
  await context.setOffline(false);
  offline = false;
  const page2 = await context.newPage();
  await page2.goto(base);
  await page2.waitForFunction(() => window.tailingsViewer?.offline && window.tailingsViewer.map.loaded(), null, { timeout: 30000 });
  await context.setOffline(true);
  let folder = 'ok';
  try { await page2.setInputFiles('#offline-folder', pkg); } catch (e) { folder = String(e).split('\n')[0]; }
  if (folder === 'ok')
    await page2.waitForFunction(() => window.tailingsViewer.state.offline, null, { timeout: 20000 }).catch(e => { folder = String(e).split('\n')[0]; });
  const opened = folder === 'ok' && await page2.evaluate(() => ({
    name: window.tailingsViewer.state.offline?.name, files: window.tailingsViewer.state.offline?.files.size,
  }));
  check('a folder chosen: the archive and the pond files in it open', opened && opened.name === `pond${POND}.pmtiles` && opened.files === 1,
    folder === 'ok' ? JSON.stringify(opened) : folder);
  if (folder === 'ok') {
    await page2.waitForFunction(id => document.querySelector(`#pond-file[data-pond="${id}"] section[data-part="facilities"]`), POND, { timeout: 10000 })
      .catch(() => {});
    check('... and the pond\'s file opens from it', await page2.locator(`#pond-file[data-pond="${POND}"]`).count() === 1);
    await settle(page2);
    await page2.screenshot({ path: join(shots, 'offline-folder.png') });
  }

  // --- the server gone: the page opened anew comes from the service worker's copy
  const keys = await page2.evaluate(async () => {
    const c = await caches.open('tailings-viewer-1');
    return (await c.keys()).map(r => new URL(r.url).pathname + new URL(r.url).search);
  });
  const needed = ['/', '/app.js', '/offline.js', '/vendor/maplibre-gl.mjs', '/vendor/pmtiles.mjs', '/style.json', '/api/catalog', '/app.css'];
  check('the copy holds the page, its modules, the style and the catalog', needed.every(k => keys.includes(k)),
    JSON.stringify(needed.filter(k => !keys.includes(k))));
  check('... the sprite', keys.some(k => /^\/sprite(@2x)?\.(json|png)$/.test(k)), JSON.stringify(keys.filter(k => /sprite/.test(k))));
  check('... and no tile, TileJSON, pond list or other answer of the API', !keys.some(k => /^\/(tiles|events|health|metrics)\b|^\/api\/(?!catalog$)/.test(k)),
    JSON.stringify(keys.filter(k => /^\/(tiles|api|events)/.test(k))));
  await context.setOffline(false);
  process.kill(Number(serverPid), 'SIGTERM');
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    gone = await fetch(`${base}/style.json`).then(() => false, () => true);
    if (!gone) await new Promise(r => setTimeout(r, 100));
  }
  check('the server is stopped: nothing answers at its address', gone);
  const page3 = await context.newPage();
  const errors3 = [];
  page3.on('pageerror', e => errors3.push(String(e)));
  let loaded = 'ok';
  await page3.goto(base).catch(e => { loaded = String(e).split('\n')[0]; });
  check('the page opens with no server (from the service worker)', loaded === 'ok', loaded);
  if (loaded === 'ok') {
    await page3.waitForFunction(() => window.tailingsViewer?.offline && window.tailingsViewer.map.loaded(), null, { timeout: 30000 })
      .catch(e => { loaded = String(e).split('\n')[0]; });
    check('... the map starts (style, catalog and symbols from the copy)', loaded === 'ok', loaded);
    const status = await page3.textContent('#offline-status').catch(() => '');
    check('... and says that there is no network and a package can be chosen', status.includes('没有网络'), status);
  }
  if (loaded === 'ok') {
    await page3.setInputFiles('#offline-files', chosen);
    const opened3 = await page3.waitForFunction(() => window.tailingsViewer.state.offline && /已打开/.test(document.getElementById('offline-status').textContent),
      null, { timeout: 20000 }).then(() => true, () => false);
    check('the package opens in the page that came with no server', opened3, await page3.textContent('#offline-status').catch(() => ''));
    if (opened3) {
      await page3.waitForFunction(id => document.querySelector(`#pond-file[data-pond="${id}"] section[data-part="facilities"]`), POND, { timeout: 10000 })
        .catch(() => {});
      check('... the pond\'s file opens from it', await page3.locator(`#pond-file[data-pond="${POND}"]`).count() === 1);
      await page3.screenshot({ path: join(shots, 'offline-noserver.png') });
      await page3.click('#panel-close');   // the map as wide as online
      await page3.waitForFunction(() => document.getElementById('panel').hidden, null, { timeout: 5000 });
      await page3.evaluate(([lon, lat]) => window.tailingsViewer.map.jumpTo({ center: [lon, lat], zoom: 14.5 }), [pond.lon, pond.lat]);
      await settle(page3);
      const drawn3 = await page3.evaluate(p => [...new Set(window.tailingsViewer.map.queryRenderedFeatures()
        .filter(f => f.source === 'tailings' && f.sourceLayer !== 'ponds' && f.properties.pond_id === p).map(f => f.id))].sort((a, b) => a - b), POND);
      check(`... and the map draws the pond's elements from the archive, as online (${drawn3.length})`,
        JSON.stringify(drawn3) === JSON.stringify(online.elements), `${drawn3.length} against ${online.elements.length}`);
    }
  }
  check('no page errors with no server', errors3.length === 0, errors3.slice(0, 3).join(' | '));
  ranToEnd = true;
} catch (e) {
  console.log(`not ok - the test ran to its end (${String(e).split('\n')[0]})`);
} finally {
  await browser.close();
}
finish(ranToEnd);
