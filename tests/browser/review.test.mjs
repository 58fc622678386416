// Browser tests of signing in and of the drawings and their review in the viewer (issue 12, item 8):
// headless Chromium driven by playwright-core against a tailings-tileserver with --auth token on a
// private copy of the sample (tests/sh/viewer_review.sh makes the members and their tokens).
//   node review.test.mjs BASE_URL SCREENSHOT_DIR MODE
// MODE token: the server has no anonymous role; the whole flow with two browsers (an enterprise
//   and the county): sign in, download the pond's drawing, upload an edited one (an element moved,
//   one added, one removed), its differences on the map and its template check, submit; the county's
//   queue, the same differences, approve with a note; the enterprise sees it approved with the note
//   and the new element on its map; a second enterprise sees none of it; then a reject path (a
//   stale drawing refused with 409, a note required) and the errors an upload meets (422 with the
//   feature, not JSON, 403).
// MODE anon: the server serves visitors as a reader (--anonymous-role): the public map, a bad
//   token, a kept token that no longer works, signing in and out.
// MODE none: --auth none: no sign-in at all.
// Env: TOKEN_ENT8, TOKEN_ENT9, TOKEN_COUNTY (and ROLE_ENT8, ROLE_COUNTY, the roles' names).
// Prints TAP-like lines and "N passed, N failed"; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addTestPixels, args, check, finish, launch, settle, sql } from './lib.mjs';

const { base, shots } = args('review.test.mjs');
const mode = process.argv[4] || 'token';
const env = name => {
  const v = process.env[name];
  if (!v && mode !== 'none') { console.error(`${name} is not set`); process.exit(2); }
  return v;
};
const TOKEN_A = env('TOKEN_ENT8'), TOKEN_B = env('TOKEN_ENT9'), TOKEN_COUNTY = env('TOKEN_COUNTY');
const ROLE_A = process.env.ROLE_ENT8, ROLE_COUNTY = process.env.ROLE_COUNTY;
const POND = 8, POND_B = 9;   // enterprise A's pond and enterprise B's (both in the county 510411)
const rows = q => sql(q).split('\n').filter(Boolean).map(l => l.split('\t'));
const near = (a, b, tol = 2e-6) => a && b && Math.abs(a[0] - b[0]) <= tol && Math.abs(a[1] - b[1]) <= tol;
const fmt = p => p ? `[${p.map(v => Number(v).toFixed(6)).join(', ')}]` : String(p);

const browser = await launch();
let ranToEnd = false;
const errorsOf = new Map();
async function newPage(label) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await ctx.newPage();
  const errors = [];
  errorsOf.set(page, errors);
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) errors.push(m.text()); });
  await addTestPixels(page);
  page.label = label;
  return page;
}
// the page after a load or a reload: its map drawn (or the word that one must sign in first)
async function ready(page) {
  await page.waitForFunction(() => window.tailingsViewer && (window.tailingsViewer.map || window.tailingsViewer.signInRequired),
    null, { timeout: 30000 });
  if (await page.evaluate(() => !!window.tailingsViewer.map)) await settle(page);
}
async function signIn(page, token) {
  await page.fill('#token', token);
  await Promise.all([page.waitForEvent('load'), page.click('#signin-go')]);
  await ready(page);
}
const text = async (page, sel) => (await page.locator(sel).count()) ? (await page.locator(sel).first().textContent()).replace(/\s+/g, ' ').trim() : '';
const visible = async (page, sel) => (await page.locator(sel).count()) > 0 && page.locator(sel).first().isVisible();
const pondIds = page => page.evaluate(() => window.tailingsViewer.state.ponds.map(p => p.id));
// pixels of a colour (each channel within tol) within r px of a point of the map, as the user sees it
async function pixelsNear(page, pt, rgb, r = 12, tol = 45) {
  const data = (await page.locator('#map').screenshot()).toString('base64');
  return page.evaluate(async ([d, p, c, rr, tl]) => {
    const { width, height, px } = await window.testPixels(d);
    let n = 0;
    for (let y = Math.max(0, Math.round(p.y - rr)); y <= Math.min(height - 1, p.y + rr); y++)
      for (let x = Math.max(0, Math.round(p.x - rr)); x <= Math.min(width - 1, p.x + rr); x++) {
        const i = (y * width + x) * 4;
        if (Math.abs(px[i] - c[0]) <= tl && Math.abs(px[i + 1] - c[1]) <= tl && Math.abs(px[i + 2] - c[2]) <= tl) n++;
      }
    return n;
  }, [data, pt, rgb, r, tol]);
}
// how wide a colour runs across a line at a point of it (px), the line's direction a unit vector
async function acrossArrow(page, at, dir, rgb, half = 20, tol = 45) {
  const data = (await page.locator('#map').screenshot()).toString('base64');
  return page.evaluate(async ([d, p, u, c, h, tl]) => {
    const { width, px } = await window.testPixels(d);
    let n = 0;
    for (let k = -h; k <= h; k++) {
      const x = Math.round(p.x - u.y * k), y = Math.round(p.y + u.x * k);
      const i = (y * width + x) * 4;
      if (Math.abs(px[i] - c[0]) <= tl && Math.abs(px[i + 1] - c[1]) <= tl && Math.abs(px[i + 2] - c[2]) <= tl) n++;
    }
    return n;
  }, [data, at, dir, rgb, half, tol]);
}
const GREEN = [0x2f, 0x9e, 0x44], RED = [0xe0, 0x31, 0x31], BLUE = [0x19, 0x71, 0xc2];
// the features drawn in the review's layers, with the style values they are drawn with (the
// layers' own expressions evaluated for each feature by the viewer's expr.js)
const reviewRendered = page => page.evaluate(async () => {
  const { evaluate } = await import('/expr.js');
  const m = window.tailingsViewer.map;
  const layers = ['review-fill', 'review-line', 'review-arrow', 'review-point', 'review-arrow-head'].filter(l => m.getLayer(l));
  const paint = { 'review-fill': ['fill-color'], 'review-line': ['line-color', 'line-dasharray'], 'review-arrow': ['line-color'] };
  const layout = { 'review-point': ['icon-image'], 'review-arrow-head': ['icon-image', 'icon-rotate'] };
  return m.queryRenderedFeatures({ layers }).map(f => {
    const props = { ...f.properties, $type: f.geometry.type };
    const style = {};
    for (const k of paint[f.layer.id] || []) style[k] = evaluate(m.getPaintProperty(f.layer.id, k), props);
    for (const k of layout[f.layer.id] || []) style[k] = evaluate(m.getLayoutProperty(f.layer.id, k), props);
    return { layer: f.layer.id, props: f.properties, type: f.geometry.type, coords: f.geometry.coordinates, style };
  });
});

try {
  if (mode === 'token') await tokenFlow();
  else if (mode === 'anon') await anonFlow();
  else if (mode === 'none') await noneFlow();
  else throw new Error(`unknown mode ${mode}`);
  ranToEnd = true;
} catch (e) {
  check(`the ${mode} flow ran to its end`, false, e.stack);
} finally {
  await browser.close();
}
finish(ranToEnd);

// ---------------------------------------------------------------------------------------------
async function tokenFlow() {
  // ---- no one signed in, and no anonymous role: nothing but the form
  const anon = await newPage('anonymous');
  await anon.goto(`${base}/`);
  await ready(anon);
  check('without a token on a server with no anonymous role: the sign-in form and a word instead of the map',
    await visible(anon, '#signin') && await visible(anon, '#sign-in-first') && !(await visible(anon, '#who')) &&
    (await text(anon, '#auth-note')).includes('需要登录'), await text(anon, '#auth-note'));
  await anon.screenshot({ path: join(shots, 'review-01-sign-in-required.png') });
  await anon.fill('#token', 'tl_not_a_token_at_all');
  await anon.click('#signin-go');
  await anon.waitForFunction(() => /令牌无效/.test(document.getElementById('auth-note').textContent), null, { timeout: 10000 }).catch(() => {});
  check('a bad token: said so in words, and still signed out (nothing kept)',
    (await text(anon, '#auth-note')).includes('令牌无效') && await visible(anon, '#signin') &&
    (await anon.evaluate(() => sessionStorage.getItem('tailings.token'))) === null, await text(anon, '#auth-note'));
  await anon.screenshot({ path: join(shots, 'review-02-bad-token.png') });
  await anon.context().close();

  // ---- enterprise A signs in
  const ent = await newPage('enterprise A');
  const sentWith = { api: [], apiWithout: [] };
  ent.on('request', r => {
    const u = new URL(r.url());
    if (u.origin !== new URL(base).origin || !/^\/(api|tiles|events)\b/.test(u.pathname) || u.pathname === '/api/whoami') return;
    (r.headers().authorization === `Bearer ${TOKEN_A}` ? sentWith.api : sentWith.apiWithout).push(u.pathname);
  });
  await ent.goto(`${base}/`);
  await ready(ent);
  await signIn(ent, TOKEN_A);
  const name = rows(`SELECT display_name, scope FROM tailings.member WHERE role_name = '${ROLE_A}'`)[0];
  check(`enterprise A signed in: its name (${name[0]}) and scope (${name[1]}) in the bar`,
    (await text(ent, '#who-name')) === name[0] && (await text(ent, '#who-scope')).includes(name[1]) &&
    (await text(ent, '#who-scope')).includes('企业') && !(await visible(ent, '#signin')), `${await text(ent, '#who')}`);
  const kept = await ent.evaluate(() => ({ session: sessionStorage.getItem('tailings.token'),
    local: Object.keys(localStorage).map(k => localStorage.getItem(k)).join(' ') }));
  check('... the token kept for this tab only (sessionStorage, not localStorage)', kept.session === TOKEN_A && !kept.local.includes(TOKEN_A));
  check('... its scope: its own pond alone in the list', JSON.stringify(await pondIds(ent)) === `[${POND}]`, JSON.stringify(await pondIds(ent)));
  const tileFeatures = await ent.evaluate(() => {
    const m = window.tailingsViewer.map;
    const ids = new Set();
    for (const l of ['site', 'groundwater', 'emergency', 'ponds'])
      for (const f of m.querySourceFeatures('tailings', { sourceLayer: l })) ids.add(Number(f.properties.pond_id ?? f.properties.id));
    return [...ids];
  });
  check('... the map\'s tiles, asked with the token (the server serves no one without), hold its pond and no other',
    tileFeatures.includes(POND) && tileFeatures.every(id => id === POND), JSON.stringify(tileFeatures));
  check('... every API, tile and event request carried the token', sentWith.api.length > 3 && sentWith.apiWithout.length === 0,
    `with: ${sentWith.api.length}; without: ${sentWith.apiWithout.join(', ')}`);
  // its first view: its pond, every element in sight drawn (not only those of the tile of the
  // pond's registry point: the TileJSON's bounds are the ponds' points, not the elements')
  const view = await ent.evaluate(() => {
    const m = window.tailingsViewer.map;
    const ids = new Set(m.queryRenderedFeatures().filter(f => f.source === 'tailings' && f.sourceLayer !== 'ponds').map(f => Number(f.id)));
    return { bounds: m.getBounds().toArray(), ids: [...ids], zoom: m.getZoom(), centre: m.getCenter().toArray() };
  });
  const inSight = rows(`SELECT id FROM tailings.element WHERE pond_id = ${POND} AND geom && ST_MakeEnvelope(${view.bounds.flat().join(', ')}, 4490)
    AND GeometryType(geom) = 'POINT'`).map(r => Number(r[0]));
  const pondAt = rows(`SELECT ST_X(location), ST_Y(location) FROM tailings.pond WHERE id = ${POND}`)[0].map(Number);
  check(`... its first view: its pond (zoom ${view.zoom.toFixed(1)}), each of the ${inSight.length} point elements in sight drawn`,
    near(view.centre, pondAt, 1e-4) && view.zoom > 14 && inSight.length > 10 && inSight.every(id => view.ids.includes(id)),
    `missing ${inSight.filter(id => !view.ids.includes(id)).join(', ')}`);
  await ent.waitForFunction(() => document.getElementById('live').classList.contains('on'), null, { timeout: 10000 }).catch(() => {});
  check('... the change stream is open with the token (实时)', await ent.evaluate(() => document.getElementById('live').classList.contains('on')));

  // ---- the pond file: download the drawing
  await ent.locator(`#ponds tbody tr[data-pond="${POND}"]`).click();
  await ent.locator('#drawing #drawing-download').waitFor({ timeout: 10000 });
  await settle(ent);
  const [download] = await Promise.all([ent.waitForEvent('download', { timeout: 10000 }), ent.click('#drawing-download')]);
  const drawing = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const nElements = Number(sql(`SELECT count(*) FROM tailings.element WHERE pond_id = ${POND}`));
  check(`the pond file's download: pond-${POND}.geojson, a FeatureCollection of its ${nElements} elements with their ids`,
    download.suggestedFilename() === `pond-${POND}.geojson` && drawing.type === 'FeatureCollection' &&
    drawing.features.length === nElements && drawing.features.every(f => Number.isInteger(f.properties.id)),
    `${download.suggestedFilename()}: ${drawing.features?.length} features`);
  await ent.screenshot({ path: join(shots, 'review-03-enterprise-pond-file.png') });

  // ---- edit it: JC2 moved north-east, the interception dam removed, a video camera added
  const [wellId, wellName, wellLon, wellLat] = rows(`SELECT id, name, ST_X(geom), ST_Y(geom) FROM tailings.element
    WHERE pond_id = ${POND} AND name LIKE '%JC2%'`)[0];
  const [damId, damName] = rows(`SELECT id, name FROM tailings.element WHERE pond_id = ${POND} AND kind::text = 'interception_dam'`)[0];
  const damCoords = JSON.parse(sql(`SELECT ST_AsGeoJSON(geom) FROM tailings.element WHERE id = ${damId}`)).coordinates;
  const oldWell = [Number(wellLon), Number(wellLat)];
  const newWell = [oldWell[0] + 0.0006, oldWell[1] + 0.0004];
  const added = [101.7893, 26.4702];
  const NEW_NAME = '库尾视频监控';
  const edited = structuredClone(drawing);
  edited.features.find(f => f.properties.id === Number(wellId)).geometry.coordinates = newWell;
  edited.features = edited.features.filter(f => f.properties.id !== Number(damId));
  edited.features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: added },
    properties: { kind: 'video_monitor', name: NEW_NAME, source: 'ground' } });
  const addedIndex = edited.features.length - 1;

  await ent.setInputFiles('#drawing-file', { name: 'pond8-edited.geojson', mimeType: 'application/geo+json',
    buffer: Buffer.from(JSON.stringify(edited)) });
  await ent.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'draft', null, { timeout: 15000 }).catch(() => {});
  const s1 = Number(sql(`SELECT max(id) FROM tailings.submission WHERE pond_id = ${POND}`));
  check(`the upload made draft #${s1}, shown in the box`, s1 > 0 && (await text(ent, '#review-detail .sub-title')).includes(`#${s1}`) &&
    (await ent.locator('#review-state').getAttribute('data-status')) === 'draft', await text(ent, '#review-detail .sub-title'));
  await settle(ent);
  const diffRows = await ent.locator('#review-diff li[data-op]').evaluateAll(lis => lis.map(li =>
    ({ op: li.dataset.op, element: li.dataset.element ? Number(li.dataset.element) : null, feature: li.dataset.feature ? Number(li.dataset.feature) : null,
      text: li.textContent.replace(/\s+/g, ' ').trim() })));
  check('... its differences listed: the dam removed, the camera added, the well moved (and nothing else)',
    diffRows.length === 3 && diffRows.some(r => r.op === 'remove' && r.element === Number(damId) && r.text.includes(damName)) &&
    diffRows.some(r => r.op === 'add' && r.feature === addedIndex && r.text.includes(NEW_NAME)) &&
    diffRows.some(r => r.op === 'move' && r.element === Number(wellId) && /\d+(\.\d)? 米/.test(r.text)), JSON.stringify(diffRows));

  // the differences on the map, each in its style
  const drawn = await reviewRendered(ent);
  const pointOf = (op, role) => drawn.find(f => f.layer === 'review-point' && f.props.op === op && f.props.role === role);
  const addMark = pointOf('add', 'new');
  check(`... on the map: the added camera at ${fmt(added)}, drawn green (review-add)`,
    addMark && near(addMark.coords, added) && addMark.style['icon-image'] === 'review-add',
    JSON.stringify(addMark));
  const damLines = drawn.filter(f => f.layer === 'review-line' && f.props.op === 'remove');
  check(`... the removed ${damName}: its line where it was, red and dashed`,
    damLines.length > 0 && damLines.every(f => f.style['line-color'] === '#e03131' && JSON.stringify(f.style['line-dasharray']) === '[2,1.5]') &&
    damLines.some(f => (f.type === 'LineString' ? f.coords : f.coords.flat()).some(c => damCoords.some(d => near(c, d, 1e-5)))),
    JSON.stringify(damLines.map(f => [f.style, f.coords.slice(0, 2)])));
  const otherLines = drawn.filter(f => f.layer === 'review-line' && f.props.op !== 'remove');
  check('... and no line that is not removed drawn dashed red', otherLines.every(f => f.style['line-color'] !== '#e03131' &&
    JSON.stringify(f.style['line-dasharray']) !== '[2,1.5]' || f.props.role === 'old'), JSON.stringify(otherLines.map(f => f.props)));
  const oldMark = pointOf('move', 'old'), newMark = pointOf('move', 'new');
  check(`... the moved well: a grey ring at its old place ${fmt(oldWell)}, its mark at the new place ${fmt(newWell)}`,
    oldMark && newMark && near(oldMark.coords, oldWell) && near(newMark.coords, newWell) &&
    oldMark.style['icon-image'] === 'review-old' && newMark.style['icon-image'] === 'review-move',
    JSON.stringify([oldMark, newMark]));
  const arrow = drawn.find(f => f.layer === 'review-arrow');
  const head = drawn.find(f => f.layer === 'review-arrow-head');
  check('... an arrow from the old place to the new one (the line starts at the old place and ends at the new)',
    arrow && near(arrow.coords[0], oldWell) && near(arrow.coords[arrow.coords.length - 1], newWell),
    JSON.stringify(arrow?.coords));
  const [po, pn] = await ent.evaluate(([a, b]) => [window.tailingsViewer.map.project(a), window.tailingsViewer.map.project(b)], [oldWell, newWell]);
  const screenBearing = Math.atan2(pn.y - po.y, pn.x - po.x) * 180 / Math.PI;   // clockwise from east, on screen
  const turned = ((head?.style['icon-rotate'] - screenBearing) % 360 + 540) % 360 - 180;
  check(`... its head at the new place, pointing from old to new (${screenBearing.toFixed(1)}° on screen, north-east: up and right)`,
    head && near(head.coords, newWell) && Math.abs(turned) < 2 && screenBearing < -10 && screenBearing > -80,
    `head ${JSON.stringify(head?.coords)} turned ${head?.style['icon-rotate']}°; the move is ${screenBearing.toFixed(1)}°`);
  // the pixels: green at the camera, red on the dam, blue at the head (just behind the new place)
  const pa = await ent.evaluate(p => window.tailingsViewer.map.project(p), added);
  const damMid = damCoords[Math.floor(damCoords.length / 2)];
  const pd = await ent.evaluate(p => window.tailingsViewer.map.project(p), damMid);
  const len = Math.hypot(pn.x - po.x, pn.y - po.y);
  const behind = { x: pn.x - (pn.x - po.x) / len * 16, y: pn.y - (pn.y - po.y) / len * 16 };
  const px = { green: await pixelsNear(ent, pa, GREEN), red: await pixelsNear(ent, pd, RED, 10), blue: await pixelsNear(ent, behind, BLUE, 8) };
  check('... as the user sees them: green pixels at the camera, red on the dam, blue at the arrow\'s head',
    px.green > 30 && px.red > 5 && px.blue > 15, JSON.stringify(px));
  await ent.screenshot({ path: join(shots, 'review-04-enterprise-draft-diff.png') });
  // a row of the list brings its difference into view: the move, close up
  await ent.click(`#review-diff li[data-op="move"]`);
  await ent.waitForTimeout(800);
  await settle(ent);
  const [co, cn] = await ent.evaluate(([a, b]) => [window.tailingsViewer.map.project(a), window.tailingsViewer.map.project(b)], [oldWell, newWell]);
  const mapSize = await ent.evaluate(() => [window.tailingsViewer.map.getContainer().clientWidth, window.tailingsViewer.map.getContainer().clientHeight]);
  const inside = p => p.x > 0 && p.y > 0 && p.x < mapSize[0] && p.y < mapSize[1];
  check('... its row in the list brings the move close (both places in view, far enough apart to see the arrow)',
    inside(co) && inside(cn) && Math.hypot(cn.x - co.x, cn.y - co.y) > 80, JSON.stringify([co, cn, mapSize]));
  const cl = Math.hypot(cn.x - co.x, cn.y - co.y);
  const mid = { x: (co.x + cn.x) / 2, y: (co.y + cn.y) / 2 };
  const tail = { x: co.x + (cn.x - co.x) / cl * 24, y: co.y + (cn.y - co.y) / cl * 24 };
  const headAt = { x: cn.x - (cn.x - co.x) / cl * 28, y: cn.y - (cn.y - co.y) / cl * 28 };
  const across = at => acrossArrow(ent, at, { x: (cn.x - co.x) / cl, y: (cn.y - co.y) / cl }, BLUE);
  const px2 = { line: await pixelsNear(ent, mid, BLUE, 4), head: await across(headAt), tail: await across(tail) };
  check('... the arrow drawn between them, its head (wide) at the new end, the shaft (narrow) at the old',
    px2.line > 3 && px2.head >= 12 && px2.tail <= 7 && px2.tail >= 2, JSON.stringify(px2));
  await ent.screenshot({ path: join(shots, 'review-04b-enterprise-draft-move.png') });

  // the template check of the map it would make: failed ones first, as the database says
  const checkRows = await ent.locator('#review-check tr').evaluateAll(trs => trs.map(tr => ({ rule: tr.dataset.rule, passed: tr.dataset.passed === 'true' })));
  const dbFailed = rows(`SELECT rule FROM tailings.check_submission(${s1}) WHERE NOT passed ORDER BY severity = 'error' DESC, rule`).map(r => r[0]);
  check(`... its template check: the failed rules first (${dbFailed.join(', ')}), the removed dam failing interception_dam`,
    dbFailed.includes('interception_dam') && checkRows.length === dbFailed.length && checkRows.every(r => !r.passed) &&
    dbFailed.every(r => checkRows.some(c => c.rule === r)) && checkRows[0].rule === 'interception_dam' &&
    (await text(ent, '#review-check-title')).includes(`${dbFailed.length} 项未通过`),
    `${JSON.stringify(checkRows)} vs ${dbFailed}`);
  check('... the rules passed folded below', Number((await text(ent, '.check-passed summary')).match(/\d+/)?.[0]) ===
    Number(sql(`SELECT count(*) FROM tailings.check_submission(${s1}) WHERE passed`)));

  // submit
  await ent.click('#review-detail [data-step="submit"]');
  await ent.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'submitted', null, { timeout: 10000 }).catch(() => {});
  check(`submitted: #${s1} is 待审核 in the database and in the box`, sql(`SELECT status FROM tailings.submission WHERE id = ${s1}`) === 'submitted' &&
    (await text(ent, '#review-state')) === '待审核' && (await text(ent, '#review-status')).includes('已提交审核'));
  check('... its author may still withdraw it, not approve it', await visible(ent, '#review-detail [data-step="withdraw"]') &&
    !(await visible(ent, '#review-detail [data-step="approve"]')));
  // 403: the author approving its own drawing (the box offers no such button: asked all the same)
  await ent.evaluate(() => window.tailingsViewer.review.step('approve'));
  await ent.waitForFunction(() => !document.getElementById('review-error').hidden, null, { timeout: 10000 }).catch(() => {});
  check('... an approval by its author refused (403), said in words with the database\'s message',
    (await ent.locator('#review-error').getAttribute('data-status')) === '403' && (await text(ent, '#review-error')).includes('无权执行此操作') &&
    (await text(ent, '#review-error')).includes('reviewer'), await text(ent, '#review-error'));

  // ---- the county's queue
  const county = await newPage('county');
  await county.goto(`${base}/`);
  await ready(county);
  await signIn(county, TOKEN_COUNTY);
  check('the county signed in: its name and its county in the bar', (await text(county, '#who-scope')).includes('仁和区') &&
    (await text(county, '#who-name')) === sql(`SELECT display_name FROM tailings.member WHERE role_name = '${ROLE_COUNTY}'`));
  await county.waitForFunction(() => document.querySelector('#review-toggle .badge'), null, { timeout: 10000 }).catch(() => {});
  check('... the bar says a drawing waits for review', (await text(county, '#review-toggle .badge')) === '1', await text(county, '#review-toggle'));
  await county.click('#review-toggle');
  await county.locator(`#review-queue li[data-submission="${s1}"]`).waitFor({ timeout: 10000 }).catch(() => {});
  check(`... its queue: #${s1} of ${POND}, submitted by ${ROLE_A}`, (await county.locator('#review-queue li').count()) === 1 &&
    (await text(county, `#review-queue li[data-submission="${s1}"]`)).includes(ROLE_A), await text(county, '#review-list'));
  await county.screenshot({ path: join(shots, 'review-05-county-queue.png') });
  await county.click(`#review-queue li[data-submission="${s1}"]`);
  await county.waitForFunction(() => document.querySelector('#review-form'), null, { timeout: 10000 }).catch(() => {});
  await settle(county);
  const countyDrawn = await reviewRendered(county);
  const cHead = countyDrawn.find(f => f.layer === 'review-arrow-head');
  check('... the same differences on its map (added, removed, moved with its arrow)',
    countyDrawn.some(f => f.props.op === 'add' && near(f.coords, added)) && countyDrawn.some(f => f.props.op === 'remove') &&
    cHead && near(cHead.coords, newWell), JSON.stringify(countyDrawn.map(f => [f.layer, f.props.op, f.props.role])));
  check('... and the approve and reject buttons, a note field', await visible(county, '#review-detail [data-step="approve"]') &&
    await visible(county, '#review-detail [data-step="reject"]') && await visible(county, '#review-note-input'));
  await county.screenshot({ path: join(shots, 'review-06-county-detail.png') });
  const NOTE = '核实无误，同意更新；拦截坝已拆除改建';
  await county.fill('#review-note-input', NOTE);
  await county.click('#review-detail [data-step="approve"]');
  await county.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'approved', null, { timeout: 15000 }).catch(() => {});
  check('the county approves with a note: approved, by the county, with the note, in the database',
    sql(`SELECT concat_ws('|', status, reviewed_by, review_note) FROM tailings.submission WHERE id = ${s1}`) === `approved|${ROLE_COUNTY}|${NOTE}`);
  check('... the map changed as drawn (the camera added, the dam gone, the well moved)',
    sql(`SELECT count(*) FROM tailings.element WHERE pond_id = ${POND} AND name = '${NEW_NAME}'`) === '1' &&
    sql(`SELECT count(*) FROM tailings.element WHERE id = ${damId}`) === '0' &&
    sql(`SELECT ST_DWithin(geom, ST_SetSRID(ST_MakePoint(${newWell[0]}, ${newWell[1]}), 4490), 1e-7) FROM tailings.element WHERE id = ${wellId}`) === 't');
  check('... the box says approved', (await text(county, '#review-state')) === '已批准' && (await text(county, '#review-status')).includes('已批准'));

  // ---- the enterprise sees it approved with the note, and the new element on its map (live)
  await ent.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'approved', null, { timeout: 20000 }).catch(() => {});
  check('the enterprise\'s box turns to approved by itself (the change stream), with the reviewer and the note',
    (await text(ent, '#review-state')) === '已批准' && (await text(ent, '#review-note .note-text')) === NOTE &&
    (await ent.locator('#review-note').getAttribute('data-reviewer')) === ROLE_COUNTY, await text(ent, '#review-detail'));
  await ent.evaluate(ll => window.tailingsViewer.map.jumpTo({ center: ll, zoom: 16 }), added);
  await ent.waitForFunction(n => window.tailingsViewer.map.querySourceFeatures('tailings', { sourceLayer: 'emergency' })
    .some(f => f.properties.name === n), NEW_NAME, { timeout: 20000 }).catch(() => {});
  await settle(ent);
  const onMap = await ent.evaluate(n => window.tailingsViewer.map.queryRenderedFeatures()
    .filter(f => f.source === 'tailings' && f.properties.name === n).map(f => f.geometry.coordinates), NEW_NAME);
  check(`... and its map shows the new ${NEW_NAME} at ${fmt(added)}`, onMap.some(c => near(c, added, 1e-5)), JSON.stringify(onMap));
  check('... the approved drawing no longer marks differences (it is the map)', (await reviewRendered(ent)).length === 0 &&
    (await text(ent, '#review-detail')).includes('已批准：图件已成为现状地图'));
  await ent.locator(`#review-list li[data-submission="${s1}"][data-status="approved"]`).waitFor({ timeout: 10000 }).catch(() => {});
  check('... its list: approved, with the note', (await ent.locator(`#review-list li[data-submission="${s1}"]`).getAttribute('data-status')) === 'approved' &&
    (await text(ent, `#review-list li[data-submission="${s1}"]`)).includes(NOTE));
  await ent.screenshot({ path: join(shots, 'review-07-enterprise-approved.png') });

  // ---- enterprise B sees none of it
  const entB = await newPage('enterprise B');
  await entB.goto(`${base}/`);
  await ready(entB);
  await signIn(entB, TOKEN_B);
  check('enterprise B signed in: only its own pond in the list', JSON.stringify(await pondIds(entB)) === `[${POND_B}]`, JSON.stringify(await pondIds(entB)));
  await entB.evaluate(ll => window.tailingsViewer.map.jumpTo({ center: ll, zoom: 15 }), added);
  await settle(entB);
  const bSees = await entB.evaluate(() => {
    const m = window.tailingsViewer.map;
    return m.queryRenderedFeatures().filter(f => f.source === 'tailings').map(f => Number(f.properties.pond_id ?? f.properties.id));
  });
  check(`... pond ${POND} is not on its map (looking right at it)`, !bSees.includes(POND), JSON.stringify([...new Set(bSees)]));
  await entB.click('#review-toggle');
  await entB.locator('#review-list .review-empty').waitFor({ timeout: 10000 }).catch(() => {});
  check('... its drawings: none', (await text(entB, '#review-list')) === '暂无报送' && (await entB.locator('#review-list li').count()) === 0,
    await text(entB, '#review-list'));
  await entB.evaluate(id => window.tailingsViewer.review.show(id), s1);
  await entB.waitForFunction(() => !document.getElementById('review-error').hidden, null, { timeout: 10000 }).catch(() => {});
  check(`... submission #${s1} asked for directly: not found (404), no difference drawn`,
    (await entB.locator('#review-error').getAttribute('data-status')) === '404' && (await reviewRendered(entB)).length === 0,
    await text(entB, '#review-error'));
  await entB.evaluate(id => window.tailingsViewer.openPond(id), POND);
  await entB.waitForFunction(() => /加载失败/.test(document.getElementById('panel-body').textContent), null, { timeout: 10000 }).catch(() => {});
  check(`... pond ${POND}'s file: not given`, (await text(entB, '#panel-body')).includes('404') && !(await visible(entB, '#drawing')));
  await entB.screenshot({ path: join(shots, 'review-08-enterprise-b-sees-nothing.png') });
  await entB.context().close();

  // ---- the reject path: two drawings from the same map; one approved makes the other stale (409)
  await ent.click('#review-detail [data-open-pond]');   // back to the pond's file from the drawing
  await ent.locator('#drawing #drawing-download').waitFor({ state: 'visible', timeout: 10000 });
  const [download2] = await Promise.all([ent.waitForEvent('download', { timeout: 10000 }), ent.click('#drawing-download')]);
  const map2 = JSON.parse(readFileSync(await download2.path(), 'utf8'));
  check('a new download has the approved map (the camera in it)', map2.features.some(f => f.properties.name === NEW_NAME));
  const [tspId] = rows(`SELECT id FROM tailings.element WHERE pond_id = ${POND} AND kind::text = 'tsp_monitor'`)[0];
  const [seepId, seepName] = rows(`SELECT id, name FROM tailings.element WHERE pond_id = ${POND} AND kind::text = 'seepage_well'`)[0];
  const moved2 = structuredClone(map2);
  const tsp = moved2.features.find(f => f.properties.id === Number(tspId));
  const tspOld = [...tsp.geometry.coordinates];
  tsp.geometry.coordinates = [tspOld[0] - 0.0003, tspOld[1]];   // 30 m west
  const renamed = structuredClone(map2);
  renamed.features.find(f => f.properties.id === Number(seepId)).properties.name = `${seepName}（改）`;
  const uploadDrawing = async (d, file) => {
    await ent.setInputFiles('#drawing-file', { name: file, mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(d)) });
    await ent.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'draft', null, { timeout: 15000 }).catch(() => {});
    return Number((await text(ent, '#review-detail .sub-title')).match(/#(\d+)/)?.[1]);
  };
  const s2 = await uploadDrawing(moved2, 'moved.geojson');
  await settle(ent);
  const d2 = await reviewRendered(ent);
  const head2 = d2.find(f => f.layer === 'review-arrow-head');
  const [qo, qn] = await ent.evaluate(([a, b]) => [window.tailingsViewer.map.project(a), window.tailingsViewer.map.project(b)], [tspOld, tsp.geometry.coordinates]);
  const west = Math.atan2(qn.y - qo.y, qn.x - qo.x) * 180 / Math.PI;
  check(`a second drawing #${s2}: the monitor moved west, its arrow's head turned west (${head2?.style['icon-rotate']?.toFixed(1)}°)`,
    head2 && Math.abs(Math.abs(head2.style['icon-rotate']) - 180) < 2 && Math.abs(Math.abs(west) - 180) < 2,
    `${head2?.style['icon-rotate']} vs ${west}`);
  await ent.click('#review-detail [data-step="submit"]');
  await ent.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'submitted', null, { timeout: 10000 });
  await ent.click('#review-detail [data-open-pond]');
  await ent.locator('#drawing #drawing-download').waitFor({ state: 'visible', timeout: 10000 });
  await ent.locator(`#drawing-list li[data-submission="${s2}"]`).waitFor({ timeout: 10000 }).catch(() => {});
  check(`... the pond's file lists its drawings: #${s2} submitted, #${s1} approved`,
    JSON.stringify(await ent.locator('#drawing-list li[data-submission]').evaluateAll(lis => lis.map(li => [Number(li.dataset.submission), li.dataset.status]))) ===
    JSON.stringify([[s2, 'submitted'], [s1, 'approved']]), await text(ent, '#drawing-list'));
  const s3 = await uploadDrawing(renamed, 'renamed.geojson');
  const d3 = await ent.locator('#review-diff li[data-op]').evaluateAll(lis => lis.map(li => li.dataset.op + ':' + li.textContent.replace(/\s+/g, ' ')));
  check(`a third drawing #${s3} from the same map: one change, the well's name`, d3.length === 1 && d3[0].startsWith('change:') && d3[0].includes('名称'), JSON.stringify(d3));
  await ent.click('#review-detail [data-step="submit"]');
  await ent.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'submitted', null, { timeout: 10000 });

  await county.click('#review-refresh');
  await county.locator(`#review-queue li[data-submission="${s3}"]`).waitFor({ timeout: 10000 }).catch(() => {});
  check(`the county's queue: #${s2} and #${s3}, the older first`,
    JSON.stringify(await county.locator('#review-queue li').evaluateAll(lis => lis.map(li => Number(li.dataset.submission)))) === `[${s2},${s3}]`);
  await county.click(`#review-queue li[data-submission="${s2}"]`);
  await county.waitForFunction(() => document.querySelector('#review-form'), null, { timeout: 10000 });
  await county.click('#review-detail [data-step="approve"]');
  await county.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'approved', null, { timeout: 15000 }).catch(() => {});
  check(`... #${s2} approved without a note`, sql(`SELECT status || coalesce(review_note, '-') FROM tailings.submission WHERE id = ${s2}`) === 'approved-');
  await county.locator(`#review-queue li[data-submission="${s3}"]`).click();
  await county.waitForFunction(() => document.querySelector('#review-form'), null, { timeout: 10000 });
  await county.click('#review-detail [data-step="approve"]');
  await county.waitForFunction(() => !document.getElementById('review-error').hidden, null, { timeout: 10000 }).catch(() => {});
  const stale = await text(county, '#review-error');
  check(`... #${s3}, now stale: approval refused (409), said in words, naming what changed`,
    (await county.locator('#review-error').getAttribute('data-status')) === '409' && stale.includes('已有变更') && stale.includes('Changed since'),
    stale);
  await county.screenshot({ path: join(shots, 'review-09-county-stale-409.png') });
  await county.click('#review-detail [data-step="reject"]');
  check('... a rejection without a note: asked for one, nothing sent', (await text(county, '#review-error')).includes('须填写审核意见') &&
    sql(`SELECT status FROM tailings.submission WHERE id = ${s3}`) === 'submitted');
  const NOTE2 = '图件生成后地图已更新，请基于最新地图重新绘制';
  await county.fill('#review-note-input', NOTE2);
  await county.click('#review-detail [data-step="reject"]');
  await county.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'rejected', null, { timeout: 10000 }).catch(() => {});
  check(`... rejected with the note`, sql(`SELECT status || '|' || review_note FROM tailings.submission WHERE id = ${s3}`) === `rejected|${NOTE2}` &&
    (await text(county, '#review-state')) === '已退回');
  // the enterprise: a rejection changes no element, so no change stream: its refresh shows it
  await ent.click('#review-refresh');
  await ent.waitForFunction(() => document.querySelector('#review-state')?.dataset.status === 'rejected', null, { timeout: 10000 }).catch(() => {});
  check('the enterprise refreshes: rejected, with the county\'s note', (await text(ent, '#review-state')) === '已退回' &&
    (await text(ent, '#review-note .note-text')) === NOTE2, await text(ent, '#review-detail'));
  check('... and no step left for it on a rejected drawing', (await ent.locator('#review-detail [data-step]').count()) === 0);
  await ent.screenshot({ path: join(shots, 'review-10-enterprise-rejected.png') });

  // ---- uploads the server refuses, in words
  await ent.click('#review-detail [data-open-pond]');
  await ent.locator('#drawing #drawing-download').waitFor({ state: 'visible', timeout: 10000 });
  const bad = structuredClone(map2);
  bad.features[5].properties.kind = 'gw_monitoring_wel';
  await ent.setInputFiles('#drawing-file', { name: 'bad.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(bad)) });
  await ent.waitForFunction(() => !document.getElementById('drawing-error').hidden, null, { timeout: 10000 }).catch(() => {});
  const badText = await text(ent, '#drawing-error');
  check('an unknown kind in features[5]: 422, the feature named in words (第 6 个要素), the database\'s message and hint',
    (await ent.locator('#drawing-error').getAttribute('data-status')) === '422' && badText.includes('第 6 个要素（features[5]）') &&
    badText.includes('gw_monitoring_wel') && badText.includes('gw_monitoring_well'), badText);
  await ent.screenshot({ path: join(shots, 'review-11-upload-422.png') });
  await ent.setInputFiles('#drawing-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a drawing') });
  await ent.waitForFunction(() => /JSON/.test(document.getElementById('drawing-error').textContent), null, { timeout: 10000 }).catch(() => {});
  check('a file that is not JSON: said so, nothing sent', (await text(ent, '#drawing-error')).includes('不是 JSON') &&
    Number(sql(`SELECT count(*) FROM tailings.submission WHERE pond_id = ${POND}`)) === 3);

  // ---- the sheet opened from the pond file carries the sign-in (this server serves no one without)
  const [sheet] = await Promise.all([ent.context().waitForEvent('page'), ent.click('#print')]);
  await sheet.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 }).catch(() => {});
  check('the pond file\'s 打印 opens the sheet, signed in as the enterprise', (await sheet.evaluate(() => document.body.dataset.ready)) === '1',
    await sheet.evaluate(() => document.getElementById('error')?.textContent));
  await sheet.close();

  // ---- signing out: the token gone, the form back, the map not shown
  await Promise.all([ent.waitForEvent('load'), ent.click('#signout')]);
  await ready(ent);
  check('signing out forgets the token and shows nothing but the form again',
    (await ent.evaluate(() => sessionStorage.getItem('tailings.token'))) === null && await visible(ent, '#signin') &&
    await visible(ent, '#sign-in-first'));
  for (const [page, errors] of errorsOf) if (!page.isClosed()) check(`no script errors in the ${page.label}'s page`, errors.length === 0, errors.join(' | '));
}

// ---------------------------------------------------------------------------------------------
async function anonFlow() {
  const page = await newPage('visitor');
  await page.goto(`${base}/`);
  await ready(page);
  const all = Number(sql('SELECT count(*) FROM tailings.pond'));
  check(`a visitor on a server with an anonymous role: the public map (${all} ponds) and the sign-in form`,
    (await pondIds(page)).length === all && await visible(page, '#signin') && !(await visible(page, '#who')) &&
    !(await visible(page, '#review-toggle')) && !(await visible(page, '#auth-note')));
  await page.fill('#token', 'tl_wrong');
  await page.click('#signin-go');
  await page.waitForFunction(() => /令牌无效/.test(document.getElementById('auth-note').textContent), null, { timeout: 10000 }).catch(() => {});
  check('a bad token: said so, the public map stays', (await text(page, '#auth-note')).includes('令牌无效') &&
    (await pondIds(page)).length === all && await visible(page, '#signin'));
  await page.screenshot({ path: join(shots, 'review-20-anon-bad-token.png') });
  await signIn(page, TOKEN_COUNTY);
  const county = rows(`SELECT count(*) FROM tailings.pond WHERE county_code LIKE '510411%'`)[0][0];
  check(`the county signed in: its ${county} ponds, its name, the review button`, (await pondIds(page)).length === Number(county) &&
    await visible(page, '#who') && await visible(page, '#review-toggle') && !(await visible(page, '#auth-note')));
  // the language switch: the bar in English
  await page.click('#lang');
  check('... in English: Sign out, Review, the county\'s name', (await text(page, '#signout')) === 'Sign out' &&
    (await text(page, '#review-toggle')).startsWith('Review') && (await text(page, '#who-scope')).includes('Renhe District'),
    `${await text(page, '#auth')}`);
  await page.screenshot({ path: join(shots, 'review-21-county-english.png') });
  await page.click('#lang');
  await Promise.all([page.waitForEvent('load'), page.click('#signout')]);
  await ready(page);
  check('signing out: the public map again, the token forgotten', (await pondIds(page)).length === all &&
    (await page.evaluate(() => sessionStorage.getItem('tailings.token'))) === null && await visible(page, '#signin'));
  // a token kept from before that no longer works (revoked, expired): dropped, and said so
  await page.evaluate(() => sessionStorage.setItem('tailings.token', 'tl_revoked_meanwhile'));
  await page.reload();
  await ready(page);
  check('a kept token the server no longer takes: dropped, said so, the public map',
    (await text(page, '#auth-note')).includes('登录已失效') && (await pondIds(page)).length === all &&
    (await page.evaluate(() => sessionStorage.getItem('tailings.token'))) === null, await text(page, '#auth-note'));
  // a token revoked while in use: the next request refused (401, once the server's 15 s of
  // keeping a resolution are over), the tab signed out, the public map, and said so
  const label = `revoked in the test ${Date.now()}`;
  const doomed = sql(`SELECT tailings.create_token('${process.env.ROLE_COUNTY}', '${label}', '1 day')`);
  await signIn(page, doomed);
  const signedIn = await visible(page, '#who');
  sql(`SELECT tailings.revoke_token('${process.env.ROLE_COUNTY}', '${label}')`);
  await page.waitForTimeout(16000);
  await Promise.all([page.waitForEvent('load', { timeout: 30000 }), page.click('#review-refresh')]);
  await ready(page);
  check('a token revoked while in use: the next request signs the tab out, back to the public map, and says so',
    signedIn && (await text(page, '#auth-note')).includes('登录已失效') && (await pondIds(page)).length === all &&
    (await page.evaluate(() => sessionStorage.getItem('tailings.token'))) === null && await visible(page, '#signin'),
    await text(page, '#auth-note'));

  // on a phone: the bar keeps its controls on one line; the drawer (☰) has the member and the list
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  const pp = await phone.newPage();
  await pp.goto(`${base}/`);
  await ready(pp);
  const barFits = () => pp.evaluate(() => {
    const b = document.getElementById('bar').getBoundingClientRect();
    const shown = [...document.querySelectorAll('#bar button, #bar input')].filter(e => e.offsetParent);
    const over = shown.filter(e => { const r = e.getBoundingClientRect(); return r.right > b.right - 2 || r.bottom > b.bottom + 1; }).map(e => e.id);
    const clipped = shown.filter(e => e.tagName === 'BUTTON' && e.scrollWidth > e.clientWidth + 1).map(e => e.id);
    return { height: Math.round(b.height), over, clipped };
  });
  const anonBar = await barFits();
  check('on a phone, not signed in: the bar on one line, no control past its edge or its words cut', anonBar.height < 60 &&
    anonBar.over.length === 0 && anonBar.clipped.length === 0, JSON.stringify(anonBar));
  const fieldHidden = !(await visible(pp, '#token'));
  await pp.click('#signin-go');
  check('on a phone, the bar has the sign-in button; pressed, the field opens', fieldHidden && await visible(pp, '#token'));
  await pp.screenshot({ path: join(shots, 'review-22-phone-sign-in.png') });
  await signIn(pp, TOKEN_COUNTY);
  const bar = await barFits();
  check('on a phone, signed in: the bar on one line, no control past its edge or its words cut', bar.height < 60 &&
    bar.over.length === 0 && bar.clipped.length === 0, JSON.stringify(bar));
  await pp.click('#menu');
  await pp.waitForTimeout(400);
  check('... the drawer (☰) opens with the member\'s name and scope, then the queue',
    await visible(pp, '#who-side') && (await text(pp, '#who-side')).includes('仁和区') && await visible(pp, '#review-side') &&
    await pp.evaluate(() => document.getElementById('who-side').getBoundingClientRect().bottom <= document.getElementById('review-side').getBoundingClientRect().top + 1),
    await text(pp, '#who-side'));
  await pp.screenshot({ path: join(shots, 'review-23-phone-queue.png') });
  await phone.close();
  const errors = errorsOf.get(page);
  check('no script errors', errors.length === 0, errors.join(' | '));
}

async function noneFlow() {
  const page = await newPage('viewer');
  await page.goto(`${base}/`);
  await ready(page);
  check('with --auth none: no sign-in, no drawings, the map as before', !(await visible(page, '#auth')) &&
    (await page.locator('#review-toggle').count()) === 0 && (await pondIds(page)).length === Number(sql('SELECT count(*) FROM tailings.pond')));
  await page.evaluate(id => window.tailingsViewer.openPond(id), POND);
  await page.locator('#panel-body h2').waitFor({ timeout: 10000 });
  check('... and the pond file without the drawing section', (await page.locator('#drawing').count()) === 0);
  const errors = errorsOf.get(page);
  check('no script errors', errors.length === 0, errors.join(' | '));
}
