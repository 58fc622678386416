// Browser test of the inspection mode on a phone (issue 13, item 10): headless Chromium with a
// phone's screen (390 x 844, touch) and a mocked position (the Geolocation API: the context's
// permission and setGeolocation), against a tailings-tileserver with --auth token on a private copy
// of the sample (tests/sh/viewer_inspect.sh makes the members and their tokens).
//   node inspect.test.mjs BASE_URL SCREENSHOT_DIR
// The county's inspector opens pond 8, starts an inspection and walks its checklist: the list on
// screen in the server's walking order, numbered on the map along the walking line from the
// registry point; at each point the distance shown to it is the ellipsoid's (PostGIS) within a
// metre, and the visit is recorded with the state chosen, the note and the device's position; two
// visits are made offline (queued, kept over a reload while the server cannot be reached, not in
// the database until the network is back, then there exactly once, in order); one point is
// visited from 40 m away (a position to correct); a hazard is recorded at a point with the
// device's position; two points are skipped, the finish dialog lists exactly those two, and once
// finished the map and the list show them missed as the database's inspection_coverage does.
// Then a visit the server refuses (its element removed meanwhile: 404) is dropped with a visible
// error and not sent again; an enterprise member gets no inspection mode.
// Env: TOKEN_COUNTY, TOKEN_ENT8, ROLE_COUNTY.
// Prints TAP-like lines and "N passed, N failed"; exits 1 on any failure.
import { join } from 'node:path';
import { addTestPixels, args, check, finish, launch, settle, sql } from './lib.mjs';

const { base, shots } = args('inspect.test.mjs');
const env = name => {
  const v = process.env[name];
  if (!v) { console.error(`${name} is not set`); process.exit(2); }
  return v;
};
const TOKEN_COUNTY = env('TOKEN_COUNTY'), TOKEN_ENT8 = env('TOKEN_ENT8'), ROLE_COUNTY = env('ROLE_COUNTY');
const POND = 8;          // a level 2 pond of the county 510411, 42 elements
const SMALL_POND = 15;   // one of 5 elements, for the refused visit
const rows = q => sql(q).split('\n').filter(Boolean).map(l => l.split('\t'));
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'zh-CN',
  reducedMotion: 'reduce' };   // (the map's moves at once: what is shown is where it ends)
const RED = [0xe0, 0x31, 0x31];

const errors = [];

// ---------------------------------------------------------------------------------------------
async function newPhone(at) {
  const ctx = await browser.newContext({ ...PHONE, permissions: ['geolocation'], geolocation: { longitude: at[0], latitude: at[1], accuracy: 5 } });
  const page = await ctx.newPage();
  page.on('pageerror', e => errors.push(String(e)));
  // what the console says is an error, but the requests that failed while the phone was offline
  // (MapLibre logs its tiles' as error objects: their message is read from the page)
  page.on('console', async m => {
    if (m.type() !== 'error') return;
    let t = m.text();
    if (m.args().length) t += ` ${await m.args()[0].evaluate(e => (e instanceof Error ? `${e.message} ${e.url ?? ''}` : '')).catch(() => '')}`;
    if (!/status of (4\d\d)|ERR_INTERNET_DISCONNECTED|net::ERR_FAILED|Failed to fetch/.test(t)) errors.push(`${t} ${JSON.stringify(m.location())}`);
  });
  await addTestPixels(page);
  return page;
}
async function ready(page) {
  await page.waitForFunction(() => window.tailingsViewer && (window.tailingsViewer.map || window.tailingsViewer.signInRequired),
    null, { timeout: 30000 });
  if (await page.evaluate(() => !!window.tailingsViewer.map)) await settle(page);
}
// on a phone the sign-in is a button: pressed, its field opens under the bar
async function signIn(page, token) {
  await page.click('#signin-go');
  await page.fill('#token', token);
  await Promise.all([page.waitForEvent('load'), page.click('#signin-go')]);
  await ready(page);
}
const text = async (page, sel) => (await page.locator(sel).count()) ? (await page.locator(sel).first().textContent()).replace(/\s+/g, ' ').trim() : '';
const visible = async (page, sel) => (await page.locator(sel).count()) > 0 && page.locator(sel).first().isVisible();
// the device at [lon, lat]: the page has the new fix (watchPosition) before anything is pressed
async function moveTo(page, at, accuracy = 5) {
  await page.context().setGeolocation({ longitude: at[0], latitude: at[1], accuracy });
  await page.waitForFunction(([lon, lat]) => {
    const f = window.tailingsViewer.inspect.state.fix;
    return f && Math.abs(f.lon - lon) < 1e-11 && Math.abs(f.lat - lat) < 1e-11;
  }, at, { timeout: 10000, polling: 20 });
}
const listRows = page => page.locator('#inspect-list li[data-element]').evaluateAll(lis => lis.map(li => ({
  element: Number(li.dataset.element), seq: Number(li.dataset.seq), status: li.dataset.status, sync: li.dataset.sync,
  correct: li.dataset.toCorrect === 'true', text: li.textContent.replace(/\s+/g, ' ').trim() })));
const queueLength = page => page.evaluate(() => window.tailingsViewer.inspect.outbox.items().length);
const waitSent = page => page.waitForFunction(() => window.tailingsViewer.inspect.outbox.items().length === 0 &&
  !window.tailingsViewer.inspect.outbox.flushing, null, { timeout: 15000, polling: 20 });
// pixels of a colour (each channel within tol) within r px of a point of the map, as the user sees it
async function pixelsNear(page, pt, rgb, r = 10, tol = 40) {
  const data = (await page.locator('#map').screenshot()).toString('base64');
  return page.evaluate(async ([d, p, c, rr, tl, dpr]) => {
    const { width, height, px } = await window.testPixels(d);
    const s = width / window.tailingsViewer.map.getContainer().clientWidth;   // the screenshot's pixels per CSS pixel
    let n = 0;
    for (let y = Math.max(0, Math.round((p.y - rr) * s)); y <= Math.min(height - 1, (p.y + rr) * s); y++)
      for (let x = Math.max(0, Math.round((p.x - rr) * s)); x <= Math.min(width - 1, (p.x + rr) * s); x++) {
        const i = (y * width + x) * 4;
        if (Math.abs(px[i] - c[0]) <= tl && Math.abs(px[i + 1] - c[1]) <= tl && Math.abs(px[i + 2] - c[2]) <= tl) n++;
      }
    return n / (s * s);
  }, [data, pt, rgb, r, tol]);
}

async function flow() {
  const displayName = sql(`SELECT display_name FROM tailings.member WHERE role_name = '${ROLE_COUNTY}'`);
  const registry = rows(`SELECT ST_X(location), ST_Y(location) FROM tailings.pond WHERE id = ${POND}`)[0].map(Number);
  const checklist = rows(`SELECT seq, element_id, kind, coalesce(name, ''), lon, lat FROM tailings.inspection_checklist(${POND}) ORDER BY seq`)
    .map(([seq, eid, kind, name, lon, lat]) => ({ seq: Number(seq), element: Number(eid), kind, name, at: [Number(lon), Number(lat)] }));
  const n = checklist.length;
  const bySeq = s => checklist[s - 1];

  // ---- the county's inspector on a phone, standing at the pond's registry point
  const page = await newPhone(registry);
  await page.goto(`${base}/`);
  await ready(page);
  await signIn(page, TOKEN_COUNTY);
  check('the county inspector signed in on a phone (390 x 844)', await page.evaluate(() => window.tailingsViewer.state.who?.level) === 'county');
  await page.click('#menu');
  await page.click(`#ponds tbody tr[data-pond="${POND}"]`);
  await page.locator('#inspect-start #inspect-begin').waitFor({ timeout: 15000 });
  const beginBox = await page.locator('#inspect-begin').boundingBox();
  check('the pond file offers 开始巡查, a button large enough for a thumb (at least 44 px high)',
    (await text(page, '#inspect-start h3')) === '现场巡查' && beginBox.height >= 44, JSON.stringify(beginBox));
  await page.screenshot({ path: join(shots, 'inspect-01-start.png') });

  // ---- start: an inspection of the county's level, its checklist on screen in the server's order
  const CAMPAIGN = '2026年汛前检查（浏览器测试）';
  await page.fill('#inspect-campaign', CAMPAIGN);
  await page.click('#inspect-begin');
  await page.locator('#inspect-list li[data-element]').first().waitFor({ timeout: 15000 });
  await settle(page);
  const iid = Number(sql(`SELECT max(id) FROM tailings.inspection WHERE pond_id = ${POND}`));
  const insp = rows(`SELECT level, inspector, campaign, finished_on IS NULL FROM tailings.inspection WHERE id = ${iid}`)[0];
  check(`started: inspection #${iid} in the database, of the county level, by ${displayName}, with its campaign, running`,
    insp[0] === 'county' && insp[1] === displayName && insp[2] === CAMPAIGN && insp[3] === 't', insp.join(' | '));
  check('... the panel names it and its campaign', (await text(page, '#inspect-title')).includes(`#${iid}`) &&
    (await text(page, '#inspect-campaign-name')) === CAMPAIGN);
  let list = await listRows(page);
  check(`... the checklist on screen: the ${n} elements in the server's walking order (seq 1..${n})`,
    list.length === n && list.every((r, i) => r.element === checklist[i].element && r.seq === i + 1),
    JSON.stringify(list.map(r => r.element).slice(0, 8)));
  check('... each row with the element\'s name, all not visited yet', list.every((r, i) => r.text.includes(checklist[i].name) && r.status === 'pending'));
  // drawn: what the map rendered (in view, above or under the sheet); where: the layer's data
  const mapped = await page.evaluate(() => {
    const m = window.tailingsViewer.map;
    const drawn = m.queryRenderedFeatures({ layers: ['inspect-point'] }).map(f => f.properties.element_id);
    const labels = m.queryRenderedFeatures({ layers: ['inspect-label'] }).map(f => [f.properties.element_id, f.properties.seq]);
    const data = m.getSource('inspect-points').serialize().data.features.map(f => ({ element: f.properties.element_id, seq: f.properties.seq, at: f.geometry.coordinates }));
    return { drawn, labels, data, walk: m.getSource('inspect-walk').serialize().data.features[0]?.geometry.coordinates };
  });
  const drawnIds = new Set(mapped.drawn);
  const badPoints = checklist.filter(c => !drawnIds.has(c.element) || !mapped.labels.some(([e, s]) => e === c.element && s === c.seq) ||
    !mapped.data.some(p => p.element === c.element && p.seq === c.seq && p.at[0] === c.at[0] && p.at[1] === c.at[1]));
  check(`... on the map: every point drawn where the checklist says, labelled with its seq (${drawnIds.size} of ${n} drawn)`,
    drawnIds.size === n && badPoints.length === 0, JSON.stringify(badPoints.slice(0, 3)));
  const walk = mapped.walk || [];
  check('... the walking line from the registry point through the points in seq order',
    walk.length === n + 1 && walk[0][0] === registry[0] && walk[0][1] === registry[1] &&
    checklist.every((c, i) => walk[i + 1][0] === c.at[0] && walk[i + 1][1] === c.at[1]), `${walk.length} vertices`);
  const me = await page.evaluate(() => window.tailingsViewer.map.queryRenderedFeatures({ layers: ['inspect-me'] }).map(f => f.geometry.coordinates));
  check('... the device\'s position drawn (a dot where the phone is)', me.length === 1 &&
    Math.abs(me[0][0] - registry[0]) < 1e-6 && Math.abs(me[0][1] - registry[1]) < 1e-6, JSON.stringify(me));
  await page.screenshot({ path: join(shots, 'inspect-02-walk.png') });

  // ---- the walk: the plan of what happens at each point
  const SKIP = [7, 12];                 // skipped: missed
  const OFFLINE = [9, 10];              // visited while offline
  // the first point element after the first few: visited from 40 m away
  const FAR = checklist.find(c => c.seq > 12 && rows(`SELECT GeometryType(geom) FROM tailings.element WHERE id = ${c.element}`)[0][0] === 'POINT').seq;
  const HAZARD = 4;                     // a hazard recorded here before its visit
  const LEAVE = 6;                      // the pond file looked at here, then back to the walk (a skip next)
  const STATE = { 3: ['abnormal', '进口处有淤积，需清理'], 5: ['out_of_service', '停用待拆除'], 6: ['not_found', null], 9: ['abnormal', '离线记录：管道渗漏'] };
  const recorded = new Map();           // element → { state, note, at }
  // where the phone stands at each point, on the ellipsoid (PostGIS): on the way (40 m to 2 km off,
  // and PostGIS's distance from there to the point: at a kilometre the sphere is metres out), and
  // there (3 m off; 40 m for the far one)
  const plan = new Map(rows(`WITH c AS (SELECT seq, ST_SetSRID(ST_MakePoint(lon, lat), 4490)::geography AS g
      FROM tailings.inspection_checklist(${POND})),
    p AS (SELECT seq, g, ST_Project(g, 40 + (seq * 137) % 1960, radians((seq * 53) % 360)) AS away,
                 ST_Project(g, CASE WHEN seq = ${FAR} THEN 40 ELSE 3 END, radians(CASE WHEN seq = ${FAR} THEN 0 ELSE (seq * 71) % 360 END)) AS there
            FROM c)
    SELECT seq, ST_X(away::geometry), ST_Y(away::geometry), ST_Distance(away, g), ST_X(there::geometry), ST_Y(there::geometry) FROM p ORDER BY seq`)
    .map(([seq, ax, ay, d, tx, ty]) => [Number(seq), { away: [Number(ax), Number(ay)], want: Number(d), there: [Number(tx), Number(ty)] }]));
  let distancesOk = 0;
  const distanceErrors = [];
  const t0 = Date.now();
  for (let s = 1; s <= n; s++) {
    const c = bySeq(s);
    const tick = label => { if (process.env.INSPECT_TIMING) console.log(`# seq ${s} ${label} at ${((Date.now() - t0) / 1000).toFixed(2)} s`); };
    tick('begin');
    // the point shown as next: this one (the first not visited after the last one visited)
    const shown = Number(await page.locator('#inspect-current').getAttribute('data-element'));
    if (shown !== c.element) {
      check(`at seq ${s}: the next point shown is #${s} ${c.name}`, false, `shown element ${shown}`);
      return;
    }
    if (SKIP.includes(s)) {
      await page.click('#inspect-skip');
      await page.waitForFunction(e => document.getElementById('inspect-current').dataset.element !== String(e), c.element, { timeout: 5000 });
      continue;
    }
    if (s === OFFLINE[0]) await page.context().setOffline(true);
    // on the way: the distance shown is PostGIS's on the ellipsoid within a metre
    const { away, want, there } = plan.get(s);
    await moveTo(page, away);
    tick('away');
    const shownM = await page.evaluate(() => {
      const el = document.getElementById('inspect-distance');
      return { m: Number(el.dataset.m), text: el.textContent };
    });
    const textM = Number(/(\d+) m/.exec(shownM.text)?.[1]);
    if (Math.abs(shownM.m - want) <= 1 && Math.abs(textM - want) <= 1) distancesOk++;
    else distanceErrors.push(`#${s}: shown ${shownM.text} (${shownM.m}), PostGIS ${want.toFixed(2)}`);
    if (s === 2) await page.screenshot({ path: join(shots, 'inspect-03-on-the-way.png') });
    // there: 3 m from it, or 40 m for the far one
    const at = there;
    await moveTo(page, at);
    tick('there');
    if (s === HAZARD) await recordHazard(page, c, at, iid, CAMPAIGN);
    if (s === LEAVE) await leaveAndReturn(page, c);
    const [state, note] = STATE[s] || ['normal', null];
    if (note) await page.fill('#inspect-note', note);
    await page.click(`#inspect-state-${state}`);
    tick('clicked');
    recorded.set(c.element, { state, note, at, seq: s });
    if (OFFLINE.includes(s)) {
      if (s === OFFLINE[OFFLINE.length - 1]) await offlineVisits(page, iid, OFFLINE.map(bySeq), recorded);
    } else {
      await waitSent(page);
    }
    if (s === FAR) await farVisit(page, iid, c);
  }
  check(`at each of the ${n - SKIP.length} points visited, the distance shown to it is PostGIS's (ellipsoid) within a metre`,
    distancesOk === n - SKIP.length && distanceErrors.length === 0, distanceErrors.slice(0, 4).join('; '));

  // every visit in the database as it was recorded: its state, note and the device's position
  const db = new Map(rows(`SELECT element_id, state, coalesce(note, ''), ST_X(position), ST_Y(position) FROM tailings.inspection_visit
    WHERE inspection_id = ${iid}`).map(([e, st, nt, x, y]) => [Number(e), { state: st, note: nt, at: [Number(x), Number(y)] }]));
  const wrong = [...recorded].filter(([e, r]) => { const d = db.get(e); return !d || d.state !== r.state || d.note !== (r.note ?? '') ||
    Math.abs(d.at[0] - r.at[0]) > 1e-9 || Math.abs(d.at[1] - r.at[1]) > 1e-9; });
  check(`the ${recorded.size} visits in the database: each with the state and note chosen, at the device's position`,
    db.size === recorded.size && wrong.length === 0, wrong.slice(0, 3).map(([e]) => `${e}: ${JSON.stringify(db.get(e))} vs ${JSON.stringify(recorded.get(e))}`).join('; '));
  const twice = sql(`SELECT count(*) FROM tailings.change_log WHERE table_name = 'tailings.inspection_visit' AND op = 'U'
    AND (new_row ->> 'inspection_id')::bigint = ${iid}`);
  check('... each sent once (no visit updated by a replay)', twice === '0', `${twice} updates`);

  // ---- finishing: the two skipped points listed, exactly
  const after = Number(await page.locator('#inspect-current').getAttribute('data-element'));
  check(`after the last point, the next shown is the first skipped one (#${SKIP[0]}): nothing is forgotten`, after === bySeq(SKIP[0]).element, String(after));
  await page.click('#inspect-finish');
  await page.locator('#inspect-finish-dialog[open]').waitFor({ timeout: 5000 });
  const missedListed = await page.locator('#inspect-missed-list li').evaluateAll(lis => lis.map(li => Number(li.dataset.element)));
  const missedText = await text(page, '#inspect-missed-list');
  check(`the finish dialog lists exactly the two points skipped (#${SKIP.join(', #')}), by number and name`,
    JSON.stringify(missedListed) === JSON.stringify(SKIP.map(s => bySeq(s).element)) &&
    SKIP.every(s => missedText.includes(bySeq(s).name) && missedText.includes(String(s))), `${JSON.stringify(missedListed)} ${missedText}`);
  await page.screenshot({ path: join(shots, 'inspect-07-finish-dialog.png') });
  check('... and the inspection is not finished yet (asked first)', sql(`SELECT finished_on IS NULL FROM tailings.inspection WHERE id = ${iid}`) === 't');
  await page.click('#inspect-finish-confirm');
  await page.locator('#inspect-summary').waitFor({ timeout: 15000 });
  await settle(page);
  const today = await page.evaluate(() => new Date().toLocaleDateString('sv'));
  check(`finished: the inspection's finished_on is today (${today}) in the database`,
    sql(`SELECT finished_on FROM tailings.inspection WHERE id = ${iid}`) === today);
  const cov = rows(`SELECT element_id, visited, to_correct, round(offset_m::numeric, 1) FROM tailings.inspection_coverage(${iid})`)
    .map(([e, v, c, o]) => ({ element: Number(e), visited: v === 't', correct: c === 't', offset: Number(o) }));
  const dbMissed = cov.filter(x => !x.visited).map(x => x.element).sort();
  const dbCorrect = cov.filter(x => x.correct).map(x => x.element);
  list = await listRows(page);
  const uiMissed = list.filter(r => r.status === 'missed').map(r => r.element).sort();
  const uiCorrect = list.filter(r => r.correct).map(r => r.element);
  check(`the database's coverage: the two skipped points missed, the far one (#${FAR}) a position to correct`,
    JSON.stringify(dbMissed) === JSON.stringify(SKIP.map(s => bySeq(s).element).sort()) &&
    JSON.stringify(dbCorrect) === JSON.stringify([bySeq(FAR).element]), `${dbMissed} / ${dbCorrect}`);
  check('... the list agrees: those two 遗漏 (missed), the far one 需校核 (to correct), every other visited',
    JSON.stringify(uiMissed) === JSON.stringify(dbMissed) && JSON.stringify(uiCorrect) === JSON.stringify(dbCorrect) &&
    list.filter(r => r.status === 'missed').every(r => r.text.includes('遗漏')) &&
    list.filter(r => r.status !== 'missed').length === n - 2, JSON.stringify({ uiMissed, uiCorrect }));
  const summary = await page.locator('#inspect-summary').evaluate(el => ({ ...el.dataset, text: el.textContent }));
  check('... the summary: visited, missed and to correct as the database counts them',
    Number(summary.visited) === n - 2 && Number(summary.missed) === 2 && Number(summary.toCorrect) === 1 &&
    summary.text.includes(`遗漏 2`), JSON.stringify(summary));
  const mapMissed = await page.evaluate(() => window.tailingsViewer.map.getSource('inspect-points').serialize().data.features
    .filter(f => f.properties.status === 'missed').map(f => f.properties.element_id).sort());
  check('... the map agrees: those two drawn as missed, no other', JSON.stringify(mapMissed) === JSON.stringify(dbMissed), JSON.stringify(mapMissed));
  // as the user sees it: red at each missed point, close up
  for (const s of SKIP) {
    const c = bySeq(s);
    await page.evaluate(([at, pad]) => window.tailingsViewer.map.jumpTo({ center: at, zoom: 17.5, padding: pad }), [c.at,
      { top: 0, left: 0, right: 0, bottom: await page.evaluate(() => document.getElementById('panel').offsetHeight) }]);
    await settle(page);
    const pt = await page.evaluate(at => window.tailingsViewer.map.project(at), c.at);
    const red = await pixelsNear(page, pt, RED, 11);
    // the same place without the inspection's marks: the red is the mark's, not the map's
    await page.evaluate(() => { for (const l of ['inspect-point', 'inspect-label']) window.tailingsViewer.map.setLayoutProperty(l, 'visibility', 'none'); });
    await settle(page);
    const redWithout = await pixelsNear(page, pt, RED, 11);
    await page.evaluate(() => { for (const l of ['inspect-point', 'inspect-label']) window.tailingsViewer.map.setLayoutProperty(l, 'visibility', 'visible'); });
    await settle(page);
    check(`... #${s} ${c.name}: red (missed) on the map where it is`, red - redWithout > 60, `${red.toFixed(0)} red pixels, ${redWithout.toFixed(0)} without the marks`);
    if (s === SKIP[1]) await page.screenshot({ path: join(shots, 'inspect-08-missed-close.png') });
  }
  await page.evaluate(() => window.tailingsViewer.inspect.show());
  await settle(page);
  await page.screenshot({ path: join(shots, 'inspect-09-finished.png') });
  await page.locator('#inspect-list').scrollIntoViewIfNeeded();
  await page.locator(`#inspect-list li[data-element="${bySeq(SKIP[0]).element}"]`).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'inspect-10-finished-list.png') });

  // ---- touch: every button of the mode at least 44 px high
  const small = await page.locator('#inspect-panel button:visible').evaluateAll(bs => bs.filter(b => b.getBoundingClientRect().height < 44)
    .map(b => `${b.id || b.textContent}: ${b.getBoundingClientRect().height}`));
  check('every button of the inspection panel is at least 44 px high (a thumb\'s)', small.length === 0, small.join(', '));
  await page.click('#inspect-finish');   // 关闭巡查: back to the pond file
  await page.locator('#panel-body #inspect-start').waitFor({ timeout: 10000 });
  check('closing the finished inspection returns to the pond file, with nothing left running',
    await page.evaluate(() => !localStorage.getItem(`tailings.inspect.${window.tailingsViewer.state.who.role}`)));

  await refusedVisit(page);
  await page.context().close();

  // ---- an enterprise member: no inspection mode (the database would refuse it: 42501)
  const ent = await newPhone(registry);
  await ent.goto(`${base}/`);
  await ready(ent);
  await signIn(ent, TOKEN_ENT8);
  await ent.evaluate(id => window.tailingsViewer.openPond(id), POND);
  await ent.locator('#panel-body h2').waitFor({ timeout: 10000 });
  await ent.waitForTimeout(500);
  check('an enterprise member\'s pond file has no 开始巡查 (inspections are the bureaus\')', !(await visible(ent, '#inspect-start')));
  await ent.context().close();
  check('no script errors in the pages', errors.length === 0, errors.slice(0, 3).join(' | '));
}

// a hazard at the point c, where the device is
async function recordHazard(page, c, at, iid, campaign) {
  const before = Number(sql(`SELECT coalesce(max(id), 0) FROM tailings.hazard`));
  await page.click('#inspect-hazard');
  await page.locator('#inspect-hazard-dialog[open]').waitFor({ timeout: 5000 });
  check(`the hazard form: at #${c.seq} ${c.name}, the device's position`,
    Number(await page.locator('#inspect-hazard-element').inputValue()) === c.element &&
    (await text(page, '#inspect-hazard-where')).includes(at[0].toFixed(6)), await text(page, '#inspect-hazard-where'));
  const DESC = '进水口被漂浮物堵塞（浏览器测试）';
  await page.fill('#inspect-hazard-text', DESC);
  await page.check('#inspect-hazard-dialog input[name="severity"][value="major"]');
  await page.screenshot({ path: join(shots, 'inspect-04-hazard.png') });
  await page.click('#inspect-hazard-save');
  await waitSent(page);
  const h = rows(`SELECT id, element_id, ST_X(location), ST_Y(location), severity, found_level, found_by, coalesce(campaign, ''), status
    FROM tailings.hazard WHERE id > ${before} AND description = '${DESC}'`);
  check('... the hazard in the database once: its element, the device\'s position, major, found by the county inspector, in the campaign',
    h.length === 1 && Number(h[0][1]) === c.element && Math.abs(Number(h[0][2]) - at[0]) < 1e-9 && Math.abs(Number(h[0][3]) - at[1]) < 1e-9 &&
    h[0][4] === 'major' && h[0][5] === 'county' && h[0][7] === campaign && h[0][8] === 'open', JSON.stringify(h));
  await page.locator(`#inspect-hazards li[data-hazard="${h[0]?.[0]}"]`).waitFor({ timeout: 5000 }).catch(() => {});
  check('... and in the panel with its number', (await text(page, `#inspect-hazards li[data-hazard="${h[0]?.[0]}"]`)).includes(DESC));
}

// the pond file in the panel for a moment, then back to the walk by the map's button: the same
// point next, and one press records one visit (the next iteration checks which point is next)
async function leaveAndReturn(page, c) {
  await page.click('#inspect-to-file');
  await page.locator('#panel-body #inspect-start #inspect-resume-local').waitFor({ timeout: 10000 });
  check('the walk left for the pond file: the file offers to go on, and so does a button on the map',
    await visible(page, '#inspect-return') && !(await visible(page, '#inspect-panel')), await text(page, '#inspect-return'));
  await page.click('#inspect-return');
  await page.locator('#inspect-current').waitFor({ timeout: 10000 });
  check(`... back to the walk: #${c.seq} ${c.name} still next`, Number(await page.locator('#inspect-current').getAttribute('data-element')) === c.element);
}

// two visits made offline: queued on screen, not in the database, kept over a reload while the
// server cannot be reached, then sent in order, once
async function offlineVisits(page, iid, points, recorded) {
  const [a, b] = points;
  const ids = `${a.element}, ${b.element}`;
  await page.waitForTimeout(300);
  let list = await listRows(page);
  const q = list.filter(r => r.element === a.element || r.element === b.element);
  check(`offline: the two visits (#${a.seq}, #${b.seq}) are shown queued (待发送) with their state`,
    q.length === 2 && q.every(r => r.sync === 'queued' && r.text.includes('待发送') && r.status === recorded.get(r.element).state),
    JSON.stringify(q));
  check('... the panel says so (2 queued, offline)', (await text(page, '#inspect-sync')).includes('待发送 2') &&
    (await text(page, '#inspect-sync')).includes('离线'), await text(page, '#inspect-sync'));
  check('... they are NOT in the database (the visits before them are)',
    sql(`SELECT count(*) FROM tailings.inspection_visit WHERE inspection_id = ${iid} AND element_id IN (${ids})`) === '0' &&
    Number(sql(`SELECT count(*) FROM tailings.inspection_visit WHERE inspection_id = ${iid}`)) >= 4);
  await page.screenshot({ path: join(shots, 'inspect-05-offline-queued.png') });
  // the network back, but the server out of reach for the visits (a network error): kept
  const block = r => r.abort('internetdisconnected');
  await page.context().route(/\/api\/inspections\/\d+\/visits\//, block);
  await page.context().setOffline(false);
  await page.waitForFunction(() => window.tailingsViewer.inspect.outbox.items().some(x => x.tries > 0), null, { timeout: 10000 }).catch(() => {});
  check('... the server out of reach when the network returns: still queued (a network error keeps them)',
    await queueLength(page) === 2 && sql(`SELECT count(*) FROM tailings.inspection_visit WHERE inspection_id = ${iid} AND element_id IN (${ids})`) === '0');
  // a reload: the inspection comes back by itself, the two still queued
  await page.reload();
  await ready(page);
  await page.locator('#inspect-list li[data-element]').first().waitFor({ timeout: 15000 });
  list = await listRows(page);
  check('... after a reload: the inspection back on screen, the two still queued',
    await queueLength(page) === 2 && list.filter(r => r.sync === 'queued').map(r => r.element).join() === `${a.element},${b.element}`,
    JSON.stringify(list.filter(r => r.sync)));
  await page.context().unroute(/\/api\/inspections\/\d+\/visits\//, block);
  // the phone's network drops and comes back: the `online` event sends them
  await page.context().setOffline(true);
  await page.context().setOffline(false);
  await waitSent(page);
  const got = rows(`SELECT element_id, state, count(*) OVER () FROM tailings.inspection_visit WHERE inspection_id = ${iid} AND element_id IN (${ids})
    ORDER BY id`);
  check('back online: both arrive, in the order they were made', got.length === 2 && Number(got[0][0]) === a.element &&
    Number(got[1][0]) === b.element && got.every(r => r[1] === recorded.get(Number(r[0])).state), JSON.stringify(got));
  const logged = sql(`SELECT string_agg(op, '' ORDER BY id) FROM tailings.change_log WHERE table_name = 'tailings.inspection_visit'
    AND (new_row ->> 'inspection_id')::bigint = ${iid} AND (new_row ->> 'element_id')::bigint IN (${ids})`);
  check('... exactly once each (one insert each in the change log, no replayed update)', logged === 'II', logged);
  list = await listRows(page);
  check('... no longer shown queued', list.every(r => r.sync !== 'queued') && (await text(page, '#inspect-sync')) === '已全部发送',
    await text(page, '#inspect-sync'));
  // the reload brought the view back to the whole walk: the next point is still the next one
  await moveTo(page, recorded.get(b.element).at);
}

// the point visited from 40 m away: its offset from the server, a position to correct
async function farVisit(page, iid, c) {
  const offset = Number(sql(`SELECT round(offset_m::numeric, 2) FROM tailings.inspection_coverage(${iid}) WHERE element_id = ${c.element}`));
  const row = (await listRows(page)).find(r => r.element === c.element);
  check(`#${c.seq} ${c.name} visited from 40 m away: the database's offset ${offset} m, shown as a position to correct`,
    Math.abs(offset - 40) < 0.5 && row?.correct && row.text.includes('位置偏差 40 m'), JSON.stringify(row));
  await page.locator(`#inspect-list li[data-element="${c.element}"]`).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'inspect-06-to-correct.png') });
  await page.locator('#inspect-current').scrollIntoViewIfNeeded();
}

// a visit the server refuses: queued offline, its element removed from the map meanwhile (404):
// dropped with a visible error, not sent again, the point to visit again
async function refusedVisit(page) {
  await page.evaluate(id => window.tailingsViewer.openPond(id), SMALL_POND);
  await page.locator('#inspect-begin').waitFor({ timeout: 10000 });
  await page.click('#inspect-begin');
  await page.locator('#inspect-list li[data-element]').first().waitFor({ timeout: 15000 });
  const iid = Number(sql(`SELECT max(id) FROM tailings.inspection WHERE pond_id = ${SMALL_POND}`));
  const first = Number(await page.locator('#inspect-current').getAttribute('data-element'));
  await page.context().setOffline(true);
  await page.click('#inspect-state-normal');
  await page.waitForFunction(() => window.tailingsViewer.inspect.outbox.items().length === 1, null, { timeout: 5000 });
  sql(`DELETE FROM tailings.element WHERE id = ${first}`);
  await page.context().setOffline(false);
  await page.locator('#inspect-errors .inspect-error').waitFor({ timeout: 15000 }).catch(() => {});
  const err = await page.locator('#inspect-errors .inspect-error').first().evaluate(el => ({ status: el.dataset.status, text: el.textContent })).catch(() => null);
  check('a visit the server refuses (its element removed meanwhile: 404) is dropped with a visible error naming the point',
    err?.status === '404' && err.text.includes('被服务器拒绝') && err.text.includes('#1') && await queueLength(page) === 0, JSON.stringify(err));
  const row = (await listRows(page)).find(r => r.element === first);
  check('... the point is shown not visited again, and nothing reached the database',
    row?.status === 'pending' && !row.sync && sql(`SELECT count(*) FROM tailings.inspection_visit WHERE inspection_id = ${iid}`) === '0',
    JSON.stringify(row));
  await page.screenshot({ path: join(shots, 'inspect-11-refused.png') });
  await page.click('#inspect-errors [data-dismiss]');
  check('... the error can be dismissed', (await page.locator('#inspect-errors .inspect-error').count()) === 0);
}

// ---------------------------------------------------------------------------------------------
const browser = await launch();
let ranToEnd = false;
try {
  await flow();
  ranToEnd = true;
} catch (e) {
  check('the inspection flow ran to its end', false, e.stack);
} finally {
  await browser.close();
}
finish(ranToEnd);
