// Browser tests of identify and history in the viewer (issue 10, defects 7 and 8): headless
// Chromium driven by playwright-core against a running tailings-tileserver on a private copy of
// the sample, which this test edits through psql (the PG* environment).
//   node history.test.mjs BASE_URL SCREENSHOT_DIR
// Prints TAP-like lines and "N passed, N failed"; exits 1 on any failure.
import { join } from 'node:path';
import { addTestPixels, args, check, finish, KEY_POND_NAME, launch, sql, settle as settleMap } from './lib.mjs';

const { base, shots } = args('history.test.mjs');

const rows = q => sql(q).split('\n').filter(Boolean).map(l => l.split('\t'));
const getJSON = async path => (await fetch(base + path)).json();
const sleep = ms => new Promise(r => setTimeout(r, ms));
// metres between two lon/lat points (a sphere is exact enough over a few hundred metres)
function metres([x1, y1], [x2, y2]) {
  const r = Math.PI / 180, R = 6371008.8;
  const dx = (x2 - x1) * r * Math.cos((y1 + y2) / 2 * r), dy = (y2 - y1) * r;
  return R * Math.hypot(dx, dy);
}
// a moment of the database's clock, rounded up to a whole second, once that second has passed:
// the compare inputs take seconds, and every change before (after) it is before (after) it
async function moment() {
  const s = Number(sql('SELECT ceil(extract(epoch FROM clock_timestamp()))'));
  while (Number(sql('SELECT extract(epoch FROM clock_timestamp())')) < s + 0.05) await sleep(100);
  return s;
}

const pond = (await getJSON('/api/ponds')).find(p => p.name === KEY_POND_NAME);
if (!pond) { console.error(`no pond named ${KEY_POND_NAME} in /api/ponds`); process.exit(1); }
const KEY_POND = pond.id;
// the element clicked: a point of the key pond inside two or more of its areas (1#溢洪塔, the
// spillway tower, in the pond, its liner and its closure cover)
const [clickId, clickLabel, clickName, clickLon, clickLat] = rows(`
  SELECT e.id, tailings.label(e.kind, 'zh'), e.name, ST_X(e.geom), ST_Y(e.geom)
    FROM tailings.element e
   WHERE e.pond_id = ${KEY_POND} AND GeometryType(e.geom) = 'POINT'
     AND (SELECT count(*) FROM tailings.element p WHERE p.pond_id = e.pond_id
           AND GeometryType(p.geom) IN ('POLYGON', 'MULTIPOLYGON') AND ST_Intersects(p.geom, e.geom)) >= 2
   ORDER BY e.id LIMIT 1`)[0];
const clickAt = [Number(clickLon), Number(clickLat)];
// a well with a depth, alone where it stands: 1#排渗井 below the dam
const [wellId, wellLabel, wellName, wellLon, wellLat, wellDepth] = rows(`
  SELECT e.id, tailings.label(e.kind, 'zh'), e.name, ST_X(e.geom), ST_Y(e.geom), e.attrs->>'depth_m'
    FROM tailings.element e
   WHERE e.pond_id = ${KEY_POND} AND e.kind::text = 'seepage_well' AND e.attrs ? 'depth_m' ORDER BY e.id LIMIT 1`)[0];
// what any fair identify must list there: the polygons of the pond that contain the point
const containing = rows(`
  SELECT p.id FROM tailings.element p, tailings.element e
   WHERE e.id = ${clickId} AND p.pond_id = e.pond_id AND p.id <> e.id
     AND GeometryType(p.geom) IN ('POLYGON', 'MULTIPOLYGON') AND ST_Intersects(p.geom, e.geom)`).map(r => Number(r[0]));
const labels = new Map(rows(`SELECT e.id, tailings.label(e.kind, 'zh'), coalesce(e.name, '') FROM tailings.element e
  WHERE e.pond_id = ${KEY_POND}`).map(([id, l, n]) => [Number(id), { label: l, name: n }]));
const elementAt = id => rows(`SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM tailings.element WHERE id = ${id}`)[0].map(Number);

const browser = await launch();
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('requestfailed', r => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  await addTestPixels(page);
  const settle = () => settleMap(page);
  const project = ll => page.evaluate(p => window.tailingsViewer.map.project(p), ll);
  const mapBox = async () => page.locator('#map').boundingBox();
  // the map canvas as the user sees it (popups and controls included), decoded in the page
  const mapShot = async () => (await page.locator('#map').screenshot()).toString('base64');
  // pixels of a colour (each channel within tol) within r px of a point of the map
  const pixelsNear = async (pt, rgb, r = 14, tol = 40) => page.evaluate(async ([data, p, c, rr, tl]) => {
    const { width, px } = await window.testPixels(data);
    let n = 0;
    for (let y = Math.round(p.y - rr); y <= p.y + rr; y++)
      for (let x = Math.round(p.x - rr); x <= p.x + rr; x++) {
        const i = (y * width + x) * 4;
        if (Math.abs(px[i] - c[0]) <= tl && Math.abs(px[i + 1] - c[1]) <= tl && Math.abs(px[i + 2] - c[2]) <= tl) n++;
      }
    return n;
  }, [await mapShot(), pt, rgb, r, tol]);
  const center = () => page.evaluate(() => window.tailingsViewer.map.getCenter().toArray());

  // ------------------------------------------------------------------------------------------
  // identify: a click where several features are lists them all
  await page.goto(`${base}/#17/${clickAt[1]}/${clickAt[0]}`);
  await settle();
  check('the page loads with no console errors', errors.length === 0, errors.join(' | '));
  const at = await project(clickAt);
  const box = await mapBox();
  await page.mouse.click(box.x + at.x, box.y + at.y);
  const popup = page.locator('.maplibregl-popup');
  await page.locator('.maplibregl-popup .id-list li').first().waitFor({ timeout: 5000 }).catch(() => {});
  const listed = await page.locator('.maplibregl-popup .id-list li').evaluateAll(lis =>
    lis.map(li => ({ type: li.dataset.type, id: Number(li.dataset.id), text: li.textContent.replace(/\s+/g, ' ').trim(),
      symbol: !!li.querySelector('.id-sym') })));
  const listedElements = listed.filter(x => x.type === 'element').map(x => x.id);
  check(`a click on ${clickName} lists several features`, listed.length >= 3, JSON.stringify(listed));
  check('... the well itself first (points over areas)', listed[0]?.type === 'element' && listed[0]?.id === Number(clickId),
    JSON.stringify(listed[0]));
  check(`... every polygon that contains it (${containing.join(', ')})`, containing.length > 0 &&
    containing.every(id => listedElements.includes(id)), `listed ${listedElements.join(', ')}`);
  check('... and the pond', listed.some(x => x.type === 'pond' && x.id === KEY_POND));
  const near = rows(`SELECT p.id FROM tailings.element p, tailings.element e WHERE e.id = ${clickId}
    AND ST_DWithin(p.geom::geography, e.geom::geography, 12)`).map(r => Number(r[0]));
  check('... and nothing that is not within a few metres', listedElements.every(id => near.includes(id)),
    `listed ${listedElements.join(', ')}; within 12 m: ${near.join(', ')}`);
  check('... each row with its kind\'s symbol, label and name', listed.length > 0 && listed.every(x => x.symbol) &&
    listed.filter(x => x.type === 'element').every(x => x.text.includes(labels.get(x.id).label) && x.text.includes(labels.get(x.id).name)),
    listed.map(x => x.text).join(' | '));
  await page.screenshot({ path: join(shots, 'history-identify-list.png') });

  // the chosen one's attributes, with the database's CGCS2000 coordinates
  await page.locator(`.maplibregl-popup .id-list li[data-type="element"][data-id="${clickId}"]`).click();
  await page.waitForFunction(id => document.querySelector(`.maplibregl-popup .id-detail[data-element="${id}"] .id-coords`),
    Number(clickId), { timeout: 5000 }).catch(() => {});
  const detail = page.locator('.maplibregl-popup .id-detail');
  const detailText = (await detail.count()) ? (await detail.textContent()).replace(/\s+/g, ' ') : '';
  check(`choosing ${clickName} shows its kind ${clickLabel}`, (await detail.locator('h4').count()) === 1 &&
    (await detail.locator('h4').textContent()) === clickLabel, detailText);
  const coordText = `经度 ${clickAt[0].toFixed(6)}, 纬度 ${clickAt[1].toFixed(6)}`;
  check(`... its CGCS2000 coordinates as the database has them (${coordText})`, detailText.includes(coordText) &&
    detailText.includes('CGCS2000'), detailText);
  const [surveyed, source, accuracy, verified] = rows(`SELECT surveyed_on, source, accuracy_m, coalesce(verified_on::text, '')
    FROM tailings.element WHERE id = ${clickId}`)[0];
  check('... its survey date and source, accuracy and verification date', detailText.includes(surveyed) &&
    detailText.includes({ ground: '实地测量', drone: '无人机航测', satellite: '卫星遥感' }[source]) &&
    detailText.includes(`±${Number(accuracy)} 米`) && (!verified || detailText.includes(verified)) && detailText.includes(pond.name),
    detailText);
  const hl = () => page.evaluate(() => window.tailingsViewer.state.highlighted);
  check('... and highlights it on the map', (await hl())?.id === Number(clickId) && (await hl())?.pieces > 0, JSON.stringify(await hl()));
  // the highlight is drawn: its yellow ring around the well (none there before choosing)
  const ring = await pixelsNear(at, [0xfc, 0xc4, 0x19], 22, 30);
  check('... drawn in yellow around it', ring > 20, `${ring} yellow pixels`);
  // another row: that one is highlighted instead
  const other = containing[0];
  await page.locator(`.maplibregl-popup .id-list li[data-type="element"][data-id="${other}"]`).click();
  await page.waitForFunction(id => document.querySelector(`.maplibregl-popup .id-detail[data-element="${id}"]`), other, { timeout: 5000 }).catch(() => {});
  check(`choosing ${labels.get(other).label} highlights that one instead`, (await hl())?.id === other &&
    (await page.locator('.maplibregl-popup .id-detail h4').textContent()) === labels.get(other).label);
  await page.keyboard.press('Escape');
  check('Escape closes the list and the highlight', (await popup.count()) === 0 && (await hl()) === null);

  // a click on a feature alone: its attributes straight away, with its depth
  const wellAt = [Number(wellLon), Number(wellLat)];
  await page.evaluate(ll => window.tailingsViewer.map.jumpTo({ center: ll, zoom: 17 }), wellAt);
  await settle();
  const wp = await project(wellAt);
  await page.mouse.click(box.x + wp.x, box.y + wp.y);
  await page.waitForFunction(id => document.querySelector(`.maplibregl-popup .id-detail[data-element="${id}"] .id-coords`),
    Number(wellId), { timeout: 5000 }).catch(() => {});
  const wellText = (await popup.count()) ? (await popup.textContent()).replace(/\s+/g, ' ') : '';
  check(`a click on ${wellName}, alone there, shows its attributes: depth ${wellDepth} m and coordinates`,
    (await page.locator('.maplibregl-popup .id-list').count()) === 0 && wellText.includes(wellLabel) &&
    wellText.includes(`深度（米）${wellDepth}`) &&
    wellText.includes(`经度 ${wellAt[0].toFixed(6)}, 纬度 ${wellAt[1].toFixed(6)}`), wellText);
  await page.keyboard.press('Escape');

  // ------------------------------------------------------------------------------------------
  // an element row of the pond file zooms to the element and flashes it
  await page.evaluate(id => window.tailingsViewer.openPond(id), KEY_POND);
  await page.locator('#panel .elements li[data-element]').first().waitFor({ timeout: 10000 });
  const [rowId] = rows(`SELECT id FROM tailings.element WHERE pond_id = ${KEY_POND} AND kind::text = 'gw_outlet_well' ORDER BY id LIMIT 1`)[0];
  const rowAt = elementAt(rowId);
  await page.evaluate(() => window.tailingsViewer.map.jumpTo({ zoom: 14 }));
  await settle();
  const flashes0 = await page.evaluate(() => window.tailingsViewer.state.flashes || 0);
  await page.locator(`#panel .elements li[data-element="${rowId}"]`).click();
  await page.waitForFunction(([id, n]) => (window.tailingsViewer.state.flashes || 0) > n &&
    window.tailingsViewer.state.highlighted?.id === id, [Number(rowId), flashes0], { timeout: 15000 }).catch(() => {});
  const c1 = await center();
  check(`the pond file's row ${labels.get(Number(rowId)).name} zooms to it (map centre within 3 m)`,
    metres(c1, rowAt) < 3 && (await page.evaluate(() => window.tailingsViewer.map.getZoom())) >= 16.9,
    `centre ${c1.map(v => v.toFixed(6))}, element ${rowAt.map(v => v.toFixed(6))}: ${metres(c1, rowAt).toFixed(1)} m`);
  // the pulse: the highlight ring grows and shrinks back
  const radii = [];
  for (let i = 0; i < 8; i++) {
    radii.push(await page.evaluate(() => window.tailingsViewer.map.getPaintProperty('identify-hl-point', 'circle-radius')));
    await page.waitForTimeout(60);
  }
  check('... and flashes it (the highlight pulses)', (await hl())?.id === Number(rowId) && Math.max(...radii) > 16, radii.join(','));
  await page.waitForTimeout(1600);
  check('... for a moment only', (await page.evaluate(() => window.tailingsViewer.map.getPaintProperty('identify-hl-point', 'circle-radius'))) === 14);
  // with prefers-reduced-motion: straight there, a still highlight
  await page.emulateMedia({ reducedMotion: 'reduce' });
  const [row2] = rows(`SELECT id FROM tailings.element WHERE pond_id = ${KEY_POND} AND kind::text = 'gw_background_well' ORDER BY id LIMIT 1`)[0];
  const row2At = elementAt(row2);
  await page.locator(`#panel .elements li[data-element="${row2}"]`).click();
  await page.waitForFunction(id => window.tailingsViewer.state.highlighted?.id === id, Number(row2), { timeout: 15000 }).catch(() => {});
  const radii2 = [];
  for (let i = 0; i < 6; i++) {
    radii2.push(await page.evaluate(() => window.tailingsViewer.map.getPaintProperty('identify-hl-point', 'circle-radius')));
    await page.waitForTimeout(60);
  }
  const c2 = await center();
  check('with reduced motion the row jumps to its element and the highlight stays still', metres(c2, row2At) < 3 &&
    radii2.every(r => r === 14), `${metres(c2, row2At).toFixed(1)} m; radii ${radii2.join(',')}`);
  await page.emulateMedia({ reducedMotion: 'no-preference' });
  await page.locator('#panel-close').click();

  // ------------------------------------------------------------------------------------------
  // history: where it begins, and a day before that
  // the first change's day in the browser's time zone
  const startIso = sql(`SELECT to_json(min(changed_at))#>>'{}' FROM tailings.change_log`);
  const [startDay, dayBefore, tz] = await page.evaluate(iso => {
    const d = new Date(iso);
    const before = new Date(d.getFullYear(), d.getMonth(), d.getDate() - 1);
    return [d.toLocaleDateString('sv'), before.toLocaleDateString('sv'), Intl.DateTimeFormat().resolvedOptions().timeZone];
  }, startIso);
  await page.waitForFunction(() => !document.getElementById('history-start').hidden, null, { timeout: 5000 }).catch(() => {});
  const startText = await page.locator('#history-start').textContent();
  check(`the date control says when history begins (历史记录始于 ${startDay}, browser in ${tz})`,
    startText === `历史记录始于 ${startDay}` && (await page.locator('#date').getAttribute('min')) === startDay &&
    await page.locator('#history-start').isVisible(), `${startText}; min=${await page.locator('#date').getAttribute('min')}`);
  await page.evaluate(d => window.tailingsViewer.setDate(d), dayBefore);
  await settle();
  check('another day clears the highlight', (await hl()) === null, JSON.stringify(await hl()));
  const note = page.locator('#history-note');
  check(`a day before it (${dayBefore}) says that history begins later, not just a blank map`,
    await note.isVisible() && (await note.getAttribute('class'))?.includes('before-start') &&
    (await note.textContent()).includes(`早于历史记录的起点（${startDay}）`), await note.textContent());
  await page.screenshot({ path: join(shots, 'history-before-start.png') });
  if (startDay < await page.evaluate(() => new Date().toLocaleDateString('sv'))) {
    await page.evaluate(d => window.tailingsViewer.setDate(d), startDay);
    check('... and its first day does not', !(await note.getAttribute('class'))?.includes('before-start'));
  }
  await page.locator('#now').click();
  await settle();
  check('现在 hides the note', await note.isHidden());

  // ------------------------------------------------------------------------------------------
  // compare: this test changes the database between two moments it records
  const ACTOR = '测试员王工';
  const removeId = Number(rows(`SELECT id FROM tailings.element WHERE pond_id = ${KEY_POND} AND kind::text = 'leak_detection' ORDER BY id LIMIT 1`)[0][0]);
  const removed = { ...labels.get(removeId), at: elementAt(removeId) };
  const moveId = Number(rows(`SELECT id FROM tailings.element WHERE pond_id = ${KEY_POND} AND kind::text = 'gw_monitoring_well' ORDER BY id DESC LIMIT 1`)[0][0]);
  const moveFrom = elementAt(moveId);
  const MOVE_M = 40, MOVE_BEARING = 45;   // 40 m to the north-east
  const added = { label: sql(`SELECT tailings.label('gw_monitoring_well'::tailings.element_kind, 'zh')`), name: `对比测试井 ${process.pid}`,
    at: [pond.lon + 0.004, pond.lat - 0.002] };
  const from = await moment();
  const addedId = Number(sql(`BEGIN;
    SET LOCAL tailings.actor = '${ACTOR}';
    DELETE FROM tailings.element WHERE id = ${removeId};
    UPDATE tailings.element SET geom = ST_SetSRID(ST_Project(geom::geography, ${MOVE_M}, radians(${MOVE_BEARING}))::geometry, 4490)
     WHERE id = ${moveId};
    INSERT INTO tailings.element (pond_id, kind, geom, name, source, accuracy_m, surveyed_on)
    VALUES (${KEY_POND}, 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(${added.at[0]}, ${added.at[1]}), 4490), '${added.name}', 'ground', 1, '2025-06-01')
    RETURNING id;
    COMMIT;`).split('\n').find(l => /^\d+$/.test(l)));
  const to = await moment();
  const moveTo = elementAt(moveId);
  check(`the test moved element ${moveId} by ${MOVE_M} m`, Math.abs(metres(moveFrom, moveTo) - MOVE_M) < 0.5,
    `${metres(moveFrom, moveTo).toFixed(2)} m`);

  // change entries in the pond file: the kind's label, the element's name, the actor as recorded
  await page.evaluate(id => window.tailingsViewer.openPond(id), KEY_POND);
  await page.locator(`#panel .changes li[data-row="${addedId}"]`).waitFor({ timeout: 10000 }).catch(() => {});
  const entry = async (row, op) => {
    const li = page.locator(`#panel .changes li[data-row="${row}"][data-op="${op}"]`).first();
    return (await li.count()) ? (await li.textContent()).replace(/\s+/g, ' ').trim() : '';
  };
  const eAdd = await entry(addedId, 'I'), eDel = await entry(removeId, 'D'), eMove = await entry(moveId, 'U');
  check('the pond file\'s change entry of the insert names the kind and the element, and the actor',
    eAdd.includes(`新增 ${added.label}「${added.name}」`) && eAdd.includes(ACTOR) && eAdd.includes('经由 postgres') &&
    !/element #/.test(eAdd), eAdd);
  check('... of the delete', eDel.includes(`删除 ${removed.label}`) && eDel.includes(removed.name) && eDel.includes(ACTOR), eDel);
  check('... of the move, with the distance', eMove.includes(`修改 ${labels.get(moveId).label}「${labels.get(moveId).name}」`) &&
    /移动 (39\.\d|40(\.\d)?) 米/.test(eMove) && eMove.includes(ACTOR), eMove);
  await page.locator('#panel-close').click();

  // compare mode between the two moments
  await page.locator('#compare-toggle').click();
  check('两期对比 opens the compare box', await page.locator('#compare').isVisible() &&
    (await page.locator('#compare-toggle').getAttribute('aria-pressed')) === 'true');
  const local = await page.evaluate(([a, b]) => [a, b].map(s => new Date(s * 1000).toLocaleString('sv').replace(' ', 'T')), [from, to]);
  // (fill() refuses a time at :00 seconds, which Chromium shows without them)
  for (const [sel, v] of [['#compare-from', local[0]], ['#compare-to', local[1]]])
    await page.locator(sel).evaluate((el, value) => { el.value = value; el.dispatchEvent(new Event('input', { bubbles: true })); }, v);
  const answer = page.waitForResponse(r => r.url().includes('/api/compare'), { timeout: 15000 });
  await page.locator('#compare-form button[type="submit"]').click();
  const compareUrl = new URL((await answer).url());
  check('it asks /api/compare for the two moments', compareUrl.searchParams.get('from') === new Date(from * 1000).toISOString() &&
    compareUrl.searchParams.get('to') === new Date(to * 1000).toISOString(), compareUrl.search);
  await page.waitForFunction(() => window.tailingsViewer.state.compare?.result, null, { timeout: 10000 }).catch(() => {});
  await page.waitForTimeout(1200);   // the fit to the differences
  await settle();
  const list = await page.locator('#compare-list li').evaluateAll(lis => lis.map(li => ({
    id: Number(li.dataset.id), change: li.dataset.change, text: li.textContent.replace(/\s+/g, ' ').trim() })));
  const want = [{ id: removeId, change: 'removed' }, { id: addedId, change: 'added' }, { id: moveId, change: 'moved' }];
  check('the list holds the three differences, no more', list.length === 3 &&
    want.every(w => list.some(x => x.id === w.id && x.change === w.change)), JSON.stringify(list));
  check('... by kind and name', list.find(x => x.id === addedId)?.text.includes(`${added.label}「${added.name}」`) &&
    list.find(x => x.id === removeId)?.text.includes(removed.label) &&
    /40(\.0)? 米|39\.\d 米/.test(list.find(x => x.id === moveId)?.text || ''), list.map(x => x.text).join(' | '));
  check('... summed up', (await page.locator('#compare-note').textContent()).includes('共 3 处变化'),
    await page.locator('#compare-note').textContent());

  // the marks where the database says: rendered there, in their colours
  const markAt = async ll => page.evaluate(p => {
    const m = window.tailingsViewer.map;
    const q = m.project(p);
    return m.queryRenderedFeatures([[q.x - 3, q.y - 3], [q.x + 3, q.y + 3]], { layers: ['compare-mark', 'compare-old'] })
      .map(f => ({ layer: f.layer.id, id: f.properties.id, change: f.properties.change, rotate: f.properties.rotate }));
  }, ll);
  const colourCheck = async (ll, rgb) => pixelsNear(await project(ll), rgb, 8, 45);
  const mAdd = await markAt(added.at), mDel = await markAt(removed.at), mNew = await markAt(moveTo), mOld = await markAt(moveFrom);
  check('a green + where the element was added', mAdd.some(f => f.layer === 'compare-mark' && f.id === addedId && f.change === 'added') &&
    (await colourCheck(added.at, [0x2f, 0x9e, 0x44])) > 40, JSON.stringify(mAdd));
  check('a red × where the element was removed', mDel.some(f => f.layer === 'compare-mark' && f.id === removeId && f.change === 'removed') &&
    (await colourCheck(removed.at, [0xe0, 0x31, 0x31])) > 40, JSON.stringify(mDel));
  check('the moved element: a ring at its old place, the arrow mark at its new place',
    mOld.some(f => f.layer === 'compare-old' && f.id === moveId) && !mOld.some(f => f.layer === 'compare-mark') &&
    mNew.some(f => f.layer === 'compare-mark' && f.id === moveId && f.change === 'moved') &&
    (await colourCheck(moveTo, [0x19, 0x71, 0xc2])) > 40, `old ${JSON.stringify(mOld)} new ${JSON.stringify(mNew)}`);
  // the line runs from the old place to the new one
  const line = await page.evaluate(id =>
    window.tailingsViewer.state.compare.marks.moves.features.find(x => x.id === id)?.geometry.coordinates ?? null, moveId);
  check('the move line starts at the old place and ends at the new one', line && line.length === 2 &&
    metres(line[0], moveFrom) < 0.5 && metres(line[1], moveTo) < 0.5, JSON.stringify(line));
  const oldPx = await project(moveFrom), newPx = await project(moveTo);
  const mid = { x: (oldPx.x + newPx.x) / 2, y: (oldPx.y + newPx.y) / 2 };
  check('... drawn between them', (await pixelsNear(mid, [0x19, 0x71, 0xc2], 4, 45)) > 2);
  // the arrow in the mark points from the old place to the new (north-east here): the white glyph
  // inside the blue disc leans towards its head.  The disc's centre: the middle of its blue pixels'
  // extent (the glyph is inside, the white rim outside)
  const lean = await page.evaluate(async ([data, p]) => {
    const { width, px } = await window.testPixels(data);
    const at = (x, y) => { const i = (y * width + x) * 4; return [px[i], px[i + 1], px[i + 2]]; };
    const blue = ([r, g, b]) => Math.abs(r - 0x19) < 50 && Math.abs(g - 0x71) < 50 && Math.abs(b - 0xc2) < 50;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let y = Math.round(p.y) - 14; y <= Math.round(p.y) + 14; y++)
      for (let x = Math.round(p.x) - 14; x <= Math.round(p.x) + 14; x++)
        if (blue(at(x, y)) && Math.hypot(x - p.x, y - p.y) < 13) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, r = (x1 - x0) / 2 - 1.5;
    let sx = 0, sy = 0, n = 0;
    for (let y = Math.floor(cy - r); y <= cy + r; y++)
      for (let x = Math.floor(cx - r); x <= cx + r; x++) {
        if (Math.hypot(x - cx, y - cy) > r) continue;
        const [R, G, B] = at(x, y);
        if (R > 200 && G > 200 && B > 200) { sx += x - cx; sy += y - cy; n++; }
      }
    return { n, dx: sx / n, dy: sy / n, disc: [cx, cy, r] };
  }, [await mapShot(), newPx]);
  const want_dx = newPx.x - oldPx.x, want_dy = newPx.y - oldPx.y;
  const cos = (lean.dx * want_dx + lean.dy * want_dy) / (Math.hypot(lean.dx, lean.dy) * Math.hypot(want_dx, want_dy));
  check('... and the arrow in its mark points from the old place to the new', lean.n > 5 && cos > 0.8,
    `${JSON.stringify(lean)}, old→new (${want_dx.toFixed(1)}, ${want_dy.toFixed(1)}), cos ${cos.toFixed(2)}`);
  await page.screenshot({ path: join(shots, 'history-compare.png') });

  // a row of the list goes to its difference; leaving compare mode clears the marks
  await page.locator(`#compare-list li[data-id="${removeId}"]`).click();
  await page.waitForFunction(id => window.tailingsViewer.state.highlighted?.id === id, removeId, { timeout: 10000 }).catch(() => {});
  await settle();
  const seen = await project(removed.at), cmpBox = await page.locator('#compare').boundingBox(), mb = await mapBox();
  const sx = mb.x + seen.x, sy = mb.y + seen.y;
  check('a row of the list brings its difference into view, clear of the box, and highlights it (a removed element too)',
    seen.x > 20 && seen.y > 20 && seen.x < mb.width - 20 && seen.y < mb.height - 20 &&
    !(sx > cmpBox.x && sx < cmpBox.x + cmpBox.width && sy > cmpBox.y && sy < cmpBox.y + cmpBox.height) &&
    (await hl())?.id === removeId && (await hl())?.pieces > 0, `${JSON.stringify(seen)}; ${JSON.stringify(await hl())}`);
  // only the open pond's differences
  await page.evaluate(id => window.tailingsViewer.openPond(id), KEY_POND);
  await page.locator('#compare .compare-pond').waitFor({ state: 'visible', timeout: 10000 }).catch(() => {});
  check(`with ${pond.name}'s file open the box offers it alone`, await page.locator('#compare .compare-pond').isVisible() &&
    (await page.locator('#compare .compare-pond').textContent()).includes(pond.name));
  await page.locator('#compare-pond').check();
  const pondAnswer = page.waitForResponse(r => r.url().includes('/api/compare'), { timeout: 15000 });
  await page.locator('#compare-form button[type="submit"]').click();
  const pondUrl = new URL((await pondAnswer).url());
  await page.waitForFunction(() => window.tailingsViewer.state.compare?.result, null, { timeout: 10000 }).catch(() => {});
  check('... and asks for that pond only', pondUrl.searchParams.get('pond') === String(KEY_POND) &&
    (await page.evaluate(() => window.tailingsViewer.state.compare.result.features.length)) === 3, pondUrl.search);
  await page.locator('#panel-close').click();
  await page.locator('#compare-exit').click();
  check('退出对比 removes the marks', await page.evaluate(() => !window.tailingsViewer.map.getLayer('compare-mark') &&
    !window.tailingsViewer.map.getSource('compare-marks')) && await page.locator('#compare').isHidden());

  check('no console errors in the whole session', errors.length === 0, errors.join(' | '));
} catch (e) {
  check('the session ran to its end', false, e.stack || e);
} finally {
  await browser.close();
}
console.log(`# screenshots in ${shots}`);
finish();
