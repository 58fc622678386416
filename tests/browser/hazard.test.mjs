// The closed loop of a hazard in the viewer (issue 13, "Done means"; items 8 and 9), in a real
// browser: headless Chromium driven by playwright-core against a tailings-tileserver with --auth
// token on a private copy of the sample (tests/sh/viewer_hazard.sh makes the members and tokens).
//   node hazard.test.mjs BASE_URL SCREENSHOT_DIR
// Three browsers, one per member: the enterprise of pond 8, the county 510411 and the city 5104.
//   - the enterprise opens its pond's file: the ledger's chart (bars in year order, heights in
//     proportion to the values, read against the chart's own axis), the papers (an expired one in
//     red, one expiring within 90 days marked), the monitoring charts (the class III line at the
//     limit's value on the chart's axis, the samples where their values put them);
//   - it records a self-check hazard at an element, moves it to rectifying, then rectified; the
//     county's check fails it with a note (the panel shows rectifying and the note, in the
//     enterprise's browser too, through the change stream); the enterprise rectifies it again; the
//     city's check passes it and it is closed.  At each step: the status shown in the panel, the
//     status in the database, and the colour of the hazard's point on the map (the layer's paint
//     for the feature MapLibre rendered, and the pixels at that point);
//   - an overdue hazard is emphasised on the map (bigger, in a red halo) and in the file;
//   - the city's board lists the open hazards by county and enterprise, and its CSV (fetched with
//     the token, saved from a Blob) has the hazard's row.
// Env: TOKEN_ENT8, TOKEN_COUNTY, TOKEN_CITY.  PGDATABASE: the server's database (psql reads and
// writes fixtures as a superuser).  Prints TAP-like lines and "N passed, N failed"; exits 1 on any
// failure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addTestPixels, args, check, finish, launch, settle, sql } from './lib.mjs';

const { base, shots } = args('hazard.test.mjs');
const env = name => {
  const v = process.env[name];
  if (!v) { console.error(`${name} is not set`); process.exit(2); }
  return v;
};
const TOKEN_ENT = env('TOKEN_ENT8'), TOKEN_COUNTY = env('TOKEN_COUNTY'), TOKEN_CITY = env('TOKEN_CITY');
const POND = 8;   // the enterprise's pond, in the county 510411 and the city 5104
const rows = q => sql(q).split('\n').filter(Boolean).map(l => l.split('\t'));
const one = q => rows(q)[0] || [];
// the colours of the statuses, as the viewer's layer paints them (hazards.js, pondfile.js)
const COLOUR = { open: '#e03131', rectifying: '#f08c00', rectified: '#1971c2', closed: '#2f9e44' };
const rgb = hex => [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
const today = sql('SELECT current_date');
const browser = await launch();
let ranToEnd = false;
const errors = [];

async function newPage(label) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await ctx.newPage();
  page.on('pageerror', e => errors.push(`${label}: ${e}`));
  // before signing in, /api/whoami says 401 (the server has no anonymous role): that one is expected
  const expected = url => /\/api\/whoami$/.test(url);
  page.on('console', m => {
    if (m.type() === 'error' && !(/status of 401/.test(m.text()) && expected(m.location()?.url ?? ''))) errors.push(`${label}: ${m.text()}`);
  });
  page.on('response', r => { if (r.status() >= 400 && !(r.status() === 401 && expected(r.url()))) errors.push(`${label}: HTTP ${r.status()} ${r.url()}`); });
  await addTestPixels(page);
  return page;
}
async function signIn(page, token) {
  await page.goto(`${base}/`);
  await page.waitForSelector('#token');
  await page.fill('#token', token);
  await Promise.all([page.waitForEvent('load'), page.click('#signin-go')]);
  await page.waitForFunction(() => window.tailingsViewer?.map, null, { timeout: 30000 });
  await settle(page);
}
// the pond's file open in the panel, with its parts
async function openFile(page) {
  await page.click(`#ponds tbody tr[data-pond="${POND}"]`);
  await page.waitForSelector('#pond-file #file-hazards', { timeout: 15000 });
}
const hz = id => `#pond-file li.hazard[data-hazard="${id}"]`;
async function panelStatus(page, id, want, timeout = 15000) {
  await page.waitForFunction(([sel, w]) => document.querySelector(sel)?.dataset.status === w, [hz(id), want], { timeout }).catch(() => {});
  return page.evaluate(sel => {
    const li = document.querySelector(sel);
    return li ? { status: li.dataset.status, label: li.querySelector('.hz-status')?.textContent.trim(), text: li.textContent.replace(/\s+/g, ' ') } : null;
  }, hz(id));
}
const dbStatus = id => sql(`SELECT status FROM tailings.hazard WHERE id = ${id}`);
// the hazard's point as the map draws it: the layer's paint evaluated for the rendered feature,
// where it is on the screen, and the pixels of its colour there
async function pointOnMap(page, id, want) {
  const [lon, lat] = one(`SELECT ST_X(location), ST_Y(location) FROM tailings.hazard WHERE id = ${id}`).map(Number);
  await page.evaluate(([x, y]) => window.tailingsViewer.map.jumpTo({ center: [x, y], zoom: 16 }), [lon, lat]);
  await settle(page);
  // the layer follows the data (a write of this viewer, or the change stream): wait for the status
  await page.waitForFunction(([hid, w]) => {
    const m = window.tailingsViewer.map;
    return m.queryRenderedFeatures({ layers: ['hazards-point'] }).some(f => Number(f.properties.id) === hid && f.properties.status === w);
  }, [id, want], { timeout: 15000 }).catch(() => {});
  await settle(page);
  const f = await page.evaluate(async hid => {
    const { evaluate } = await import('/expr.js');
    const m = window.tailingsViewer.map;
    const hits = m.queryRenderedFeatures({ layers: ['hazards-point', 'hazards-halo'] }).filter(x => Number(x.properties.id) === hid);
    const point = hits.find(x => x.layer.id === 'hazards-point');
    if (!point) return null;
    const props = point.properties;
    const paint = k => evaluate(m.getPaintProperty('hazards-point', k), props, m.getZoom());
    const at = m.project(point.geometry.coordinates);
    return { status: props.status, overdue: props.overdue, colour: paint('circle-color'), radius: paint('circle-radius'),
      halo: hits.some(x => x.layer.id === 'hazards-halo'), at: { x: at.x, y: at.y } };
  }, id);
  if (f) f.pixels = await pixelsNear(page, f.at, rgb(f.colour), 4);
  return f;
}
// pixels of a colour (each channel within tol) within r px of a point of the map, as the user sees it
async function pixelsNear(page, pt, colour, r = 6, tol = 40) {
  const data = (await page.locator('#map').screenshot()).toString('base64');
  return page.evaluate(async ([d, p, c, rr, tl]) => {
    const { width, height, px } = await window.testPixels(d);
    let n = 0;
    for (let y = Math.max(0, Math.round(p.y - rr)); y <= Math.min(height - 1, Math.round(p.y + rr)); y++)
      for (let x = Math.max(0, Math.round(p.x - rr)); x <= Math.min(width - 1, Math.round(p.x + rr)); x++) {
        const i = (y * width + x) * 4;
        if (Math.abs(px[i] - c[0]) <= tl && Math.abs(px[i + 1] - c[1]) <= tl && Math.abs(px[i + 2] - c[2]) <= tl) n++;
      }
    return n;
  }, [data, pt, colour, r, tol]);
}
async function expectStep(page, who, id, want, label) {
  const p = await panelStatus(page, id, want);
  check(`${label}: the ${who}'s panel shows ${want} (${p?.label ?? 'nothing'})`, p?.status === want, JSON.stringify(p));
  check(`${label}: the database has it ${want}`, dbStatus(id) === want, dbStatus(id));
  const f = await pointOnMap(page, id, want);
  check(`${label}: the hazard's point on the ${who}'s map is painted ${COLOUR[want]} (${want})`,
    f?.status === want && f.colour === COLOUR[want], JSON.stringify(f));
  check(`${label}: and drawn in that colour (${f?.pixels ?? 0} pixels)`, (f?.pixels ?? 0) >= 12, JSON.stringify(f));
  return p;
}

try {
  await fixtures();
  await run();
  ranToEnd = true;
} catch (e) {
  check('the closed loop ran to its end', false, e.stack);
} finally {
  await browser.close();
}
check('no console errors, failed requests or page errors in the three browsers', errors.length === 0, errors.join(' | '));
finish(ranToEnd);

// ---------------------------------------------------------------------------------------------
// what the sample may lack for these checks (a superuser writes it, as a DBA would load it)
async function fixtures() {
  if (Number(sql(`SELECT count(*) FROM tailings.ledger WHERE pond_id = ${POND}`)) < 2) {
    console.log('# the sample has no ledger of pond 8: the test reports three years');
    sql(`INSERT INTO tailings.ledger (pond_id, year, produced_t, stored_t, reused_t, stock_t) VALUES
      (${POND}, 2022, 820000, 760000, 60000, 5200000), (${POND}, 2023, 860000, 790000, 70000, 5920000),
      (${POND}, 2024, 905000, 815000, 90000, 6645000) ON CONFLICT DO NOTHING`);
  }
  // a paper that expired ten days ago and one that expires in 30 days, each the latest of its kind
  // (an older paper a newer one replaced is not flagged, whatever its date)
  sql(`INSERT INTO tailings.document (pond_id, kind, number, issued_on, valid_until, issuer) VALUES
    (${POND}, 'monitoring_plan', 'TEST-EXPIRED-1', current_date - 11, current_date - 10, '测试'),
    (${POND}, 'discharge_permit', 'TEST-EXPIRING-1', current_date - 3, current_date + 30, '测试'),
    (${POND}, 'discharge_permit', 'TEST-REPLACED-1', current_date - 800, current_date - 20, '测试')`);
  if (Number(sql(`SELECT count(*) FROM tailings.sample s JOIN tailings.element e ON e.id = s.element_id
                   WHERE e.pond_id = ${POND} AND s.parameter = 'manganese'`)) < 4) {
    console.log('# the sample has no manganese series at pond 8: the test records one');
    sql(`INSERT INTO tailings.sample (element_id, sampled_on, parameter, value)
      SELECT e.id, current_date - 91 * k, 'manganese', CASE WHEN e.kind = 'gw_background_well' THEN 0.03 ELSE 0.05 + 0.02 * (3 - k) END
        FROM tailings.element e, generate_series(0, 3) k
       WHERE e.pond_id = ${POND} AND e.kind IN ('gw_background_well', 'gw_diffusion_well')`);
  }
  // an overdue hazard with a position in the city's scope (the sample's, else one the test records)
  if (!sql(`SELECT id FROM tailings.hazard_overdue o JOIN tailings.hazard h USING (id) WHERE h.location IS NOT NULL LIMIT 1`)) {
    console.log('# the sample has no overdue hazard with a position: the test records one at pond 9');
    sql(`INSERT INTO tailings.hazard (pond_id, element_id, found_on, found_by, found_level, description, deadline)
      SELECT 9, min(id), current_date - 40, '东区生态环境局 测试', 'county', '测试：逾期未整改的隐患', current_date - 12
        FROM tailings.element WHERE pond_id = 9 AND GeometryType(geom) = 'POINT'`);
  }
}

async function run() {
  // ---- the enterprise: its pond's file
  const ent = await newPage('enterprise');
  await signIn(ent, TOKEN_ENT);
  await openFile(ent);
  await ent.screenshot({ path: join(shots, 'hazard-01-enterprise-file.png') });

  // the ledger's chart: one bar per year and amount, left to right by year, each as tall as its value
  // on the chart's own left axis, from one baseline
  const ledger = await ent.evaluate(() => {
    const svg = document.querySelector('#file-ledger svg.ledger-chart');
    if (!svg) return null;
    const num = (el, a) => Number(el.getAttribute(a));
    return {
      bars: [...svg.querySelectorAll('rect.ledger-bar')].map(r => ({ year: num(r, 'data-year'), series: r.dataset.series,
        value: num(r, 'data-value'), x: num(r, 'x'), y: num(r, 'y'), h: num(r, 'height') })),
      ticks: [...svg.querySelectorAll('.tick.y-left')].map(t => ({ v: Number(t.dataset.value), y: Number(t.dataset.y) })),
      years: [...svg.querySelectorAll('text.year')].map(t => ({ year: Number(t.dataset.year), x: Number(t.getAttribute('x')) })),
    };
  });
  const dbLedger = rows(`SELECT year, produced_t, stored_t, reused_t FROM tailings.ledger WHERE pond_id = ${POND} ORDER BY year`);
  check('the ledger chart is drawn', !!ledger && ledger.bars.length > 0, JSON.stringify(ledger)?.slice(0, 200));
  if (ledger?.bars.length) {
    const want = dbLedger.flatMap(([y, p, s, r]) => [['produced_t', p], ['stored_t', s], ['reused_t', r]]
      .filter(([, v]) => v !== '').map(([k, v]) => `${y}:${k}:${Number(v)}`)).sort();
    const got = ledger.bars.map(b => `${b.year}:${b.series}:${b.value}`).sort();
    check('the ledger chart has a bar for every amount of every year of the database, no other',
      JSON.stringify(got) === JSON.stringify(want), `${got} vs ${want}`);
    const xs = ledger.years.map(y => y.x), ys = ledger.years.map(y => y.year);
    let ordered = xs.every((x, i) => i === 0 || x > xs[i - 1]) && ys.every((y, i) => i === 0 || y > ys[i - 1]);
    for (const s of ['produced_t', 'stored_t', 'reused_t']) {
      const b = ledger.bars.filter(x => x.series === s);
      ordered &&= b.every((x, i) => i === 0 || (x.x > b[i - 1].x) === (x.year > b[i - 1].year));
    }
    check('the years run left to right in order, and so do each amount\'s bars', ordered, JSON.stringify(ledger.years));
    // the axis: value = a + b * y from its ticks; each bar's top at its value, its foot at zero
    const [t0, t1] = [ledger.ticks[0], ledger.ticks[ledger.ticks.length - 1]];
    const valueAt = y => t0.v + (y - t0.y) * (t1.v - t0.v) / (t1.y - t0.y);
    const span = t1.v - t0.v;
    const worstTop = Math.max(...ledger.bars.map(b => Math.abs(valueAt(b.y) - b.value) / span));
    const worstFoot = Math.max(...ledger.bars.map(b => Math.abs(valueAt(b.y + b.h)) / span));
    check('each bar\'s top sits at its value on the left axis and its foot at zero (within 0.5% of the axis)',
      worstTop < 0.005 && worstFoot < 0.005, `top ${worstTop}, foot ${worstFoot}`);
    const ratios = ledger.bars.filter(b => b.value > 0).map(b => b.h / b.value);
    const spread = (Math.max(...ratios) - Math.min(...ratios)) / Math.max(...ratios);
    check('the bars\' heights are in proportion to their values (one height per tonne, within 0.5%)', spread < 0.005, String(spread));
  }

  // the papers: expired in red, expiring within 90 days marked
  const docs = await ent.evaluate(() => [...document.querySelectorAll('#file-documents tr[data-document]')].map(tr => ({
    number: tr.children[1].textContent.trim(), state: tr.dataset.state, note: tr.querySelector('.doc-note')?.textContent.trim() ?? '',
    colour: getComputedStyle(tr.querySelector('td.expiry')).color })));
  const expired = docs.find(d => d.number === 'TEST-EXPIRED-1'), expiring = docs.find(d => d.number === 'TEST-EXPIRING-1');
  check('a paper expired ten days ago: marked expired, in red', expired?.state === 'expired' && /已过期 10 天/.test(expired.note) &&
    expired.colour === 'rgb(201, 42, 42)', JSON.stringify(expired));
  check('a paper expiring in 30 days: marked as expiring, not red', expiring?.state === 'expiring' && /30 天后到期/.test(expiring.note) &&
    expiring.colour !== 'rgb(201, 42, 42)', JSON.stringify(expiring));
  const replaced = docs.find(d => d.number === 'TEST-REPLACED-1');
  check('an expired paper a newer one of its kind replaced: marked replaced, not red', replaced?.state === 'superseded' &&
    /已由新版取代/.test(replaced.note) && replaced.colour !== 'rgb(201, 42, 42)', JSON.stringify(replaced));
  const valid = docs.filter(d => d.state === 'valid');
  check('papers valid beyond 90 days or without expiry carry no mark', valid.every(d => !d.note), JSON.stringify(valid));

  // the monitoring charts: the class III line at the limit's value, the samples at theirs
  const mon = await ent.evaluate(() => [...document.querySelectorAll('#file-monitoring svg.well-chart')].map(svg => ({
    well: Number(svg.dataset.well), parameter: svg.dataset.parameter,
    limit: [...svg.querySelectorAll('line.limit-line')].map(l => ({ v: Number(l.dataset.value), y: Number(l.getAttribute('y1')) })),
    ticks: [...svg.querySelectorAll('.tick.y')].map(t => ({ v: Number(t.dataset.value), y: Number(t.dataset.y) })),
    samples: [...svg.querySelectorAll('circle.sample')].map(c => ({ d: c.dataset.date, v: Number(c.dataset.value), y: Number(c.getAttribute('cy')), over: c.classList.contains('over') })),
    bg: svg.querySelectorAll('circle.bg-sample').length,
  })));
  const shown = mon[0]?.parameter;
  const limit = shown ? Number(sql(`SELECT max_value FROM tailings.gw_limit WHERE parameter = '${shown}'`)) : NaN;
  check('the monitoring section has a chart per well with samples', mon.length > 0 && mon.every(c => c.samples.length > 0), JSON.stringify(mon).slice(0, 300));
  const lineAt = c => {
    const [a, b] = [c.ticks[0], c.ticks[c.ticks.length - 1]];
    const at = y => a.v + (y - a.y) * (b.v - a.v) / (b.y - a.y);
    const l = c.limit.find(x => x.v === limit) ?? c.limit[0];
    return { line: l ? at(l.y) : null, span: b.v - a.v, samples: c.samples.map(s => Math.abs(at(s.y) - s.v) / (b.v - a.v)) };
  };
  const read = mon.map(lineAt);
  check(`the class III line of ${shown} sits at the limit's value ${limit} on each chart's axis (within 0.5%)`,
    mon.length > 0 && read.every(r => r.line != null && Math.abs(r.line - limit) / r.span < 0.005),
    JSON.stringify(read.map(r => r.line)));
  check('each sample sits at its value on the axis', read.every(r => r.samples.every(e => e < 0.005)), JSON.stringify(read.map(r => Math.max(...r.samples))));
  const dbSeries = rows(`SELECT s.element_id, s.sampled_on, s.value FROM tailings.sample s JOIN tailings.element e ON e.id = s.element_id
                          WHERE e.pond_id = ${POND} AND s.parameter = '${shown}' ORDER BY 1, 2`);
  const got = mon.flatMap(c => c.samples.map(s => `${c.well}:${s.d}:${s.v}`)).sort();
  const want = dbSeries.map(([w, d, v]) => `${w}:${d}:${Number(v)}`).sort();
  check('the charts show every sample of the parameter at its well and date', JSON.stringify(got) === JSON.stringify(want), `${got.length} vs ${want.length}`);
  check('the samples above the limit are marked', mon.every(c => c.samples.every(s => s.over === (s.v > limit))));
  const bgWell = sql(`SELECT id FROM tailings.element WHERE pond_id = ${POND} AND kind = 'gw_background_well' LIMIT 1`);
  check('the other wells\' charts carry the background well\'s values', mon.filter(c => String(c.well) !== bgWell).every(c => c.bg > 0),
    JSON.stringify(mon.map(c => [c.well, c.bg])));
  await ent.evaluate(() => document.getElementById('file-monitoring').scrollIntoView());
  await ent.locator('#panel').screenshot({ path: join(shots, 'hazard-02-monitoring.png') });

  // ---- the enterprise's self-check finds a hazard at an element
  check('the enterprise gets no check form (an enterprise does not check its own hazards)',
    (await ent.locator('#pond-file form.hz-check').count()) === 0);
  const [elId, elName] = one(`SELECT id, name FROM tailings.element WHERE pond_id = ${POND} AND kind = 'leak_detection' ORDER BY id LIMIT 1`);
  const desc = `浏览器测试：${elName}附近渗漏 ${Date.now()}`;
  await ent.click('#hz-new-toggle');
  await ent.selectOption('#hz-new select[name="element_id"]', elId);
  await ent.fill('#hz-new textarea[name="description"]', desc);
  await ent.fill('#hz-new input[name="deadline"]', sql('SELECT current_date + 15'));
  await ent.click('#hz-new [data-act="create"]');
  await ent.waitForFunction(() => /已登记隐患/.test(document.getElementById('hz-status')?.textContent), null, { timeout: 15000 }).catch(() => {});
  const [hid, level, el, foundBy] = one(`SELECT id, found_level, element_id, found_by FROM tailings.hazard WHERE description = '${desc}'`);
  check('the hazard is recorded: a self-check of the enterprise at the element', !!hid && level === 'enterprise' && el === elId &&
    foundBy === '龙佰 安全员', `${hid} ${level} ${el} ${foundBy}`);
  const id = Number(hid);
  check('the panel says so', (await ent.textContent('#hz-status')).includes(`#${id}`), await ent.textContent('#hz-status'));
  await expectStep(ent, 'enterprise', id, 'open', 'recorded');
  await ent.screenshot({ path: join(shots, 'hazard-03-open.png') });

  // ---- rectifying, then rectified
  await ent.click(`${hz(id)} [data-act="rectifying"]`);
  await expectStep(ent, 'enterprise', id, 'rectifying', 'the enterprise starts rectifying');
  await ent.fill(`${hz(id)} textarea[name="rectification"]`, '更换渗漏检测点周边防渗土工膜');
  await ent.click(`${hz(id)} [data-act="rectified"]`);
  await expectStep(ent, 'enterprise', id, 'rectified', 'the enterprise has rectified it');
  check('the database has what was done and when', sql(`SELECT rectification || '|' || rectified_on FROM tailings.hazard WHERE id = ${id}`) ===
    `更换渗漏检测点周边防渗土工膜|${today}`);
  await ent.screenshot({ path: join(shots, 'hazard-04-rectified.png') });

  // ---- the county's check fails it, with a note
  const county = await newPage('county');
  await signIn(county, TOKEN_COUNTY);
  await openFile(county);
  check('the county gets no rectification buttons, only the check', (await county.locator(`${hz(id)} [data-act="rectifying"], ${hz(id)} [data-act="rectified"]`).count()) === 0 &&
    (await county.locator(`${hz(id)} form.hz-check`).count()) === 1);
  await county.check(`${hz(id)} input[name="passed-${id}"][value="false"]`);
  await county.click(`${hz(id)} [data-act="check"]`);
  check('a failed check without a note is not sent: the panel asks for one', /须填写意见/.test(await county.textContent('#hz-error')) &&
    sql(`SELECT count(*) FROM tailings.hazard_check WHERE hazard_id = ${id}`) === '0');
  await county.fill(`${hz(id)} textarea[name="note"]`, '下游侧仍有渗水痕迹，需补做防渗');
  await county.click(`${hz(id)} [data-act="check"]`);
  const p5 = await expectStep(county, 'county', id, 'rectifying', 'the county\'s check fails it');
  check('the county\'s panel shows the failed check and its note', /未通过/.test(p5?.text) && p5?.text.includes('下游侧仍有渗水痕迹，需补做防渗'), p5?.text);
  check('the database has the county\'s failed check', sql(`SELECT level || '|' || passed || '|' || note FROM tailings.hazard_check WHERE hazard_id = ${id}`) ===
    'county|false|下游侧仍有渗水痕迹，需补做防渗');
  await county.screenshot({ path: join(shots, 'hazard-05-county-failed.png') });
  // the enterprise's browser follows through the change stream
  const live = await panelStatus(ent, id, 'rectifying', 20000);
  check('the enterprise\'s open file follows (change stream): rectifying, with the county\'s note', live?.status === 'rectifying' &&
    live.text.includes('下游侧仍有渗水痕迹'), JSON.stringify(live));
  const entPoint = await pointOnMap(ent, id, 'rectifying');
  check('and its map too: the point is orange again', entPoint?.colour === COLOUR.rectifying, JSON.stringify(entPoint));

  // ---- the county's board: who must fix what by when; its CSV has the row
  await county.click('#board-toggle');
  await county.waitForSelector(`#board-panel tr[data-hazard="${id}"]`, { timeout: 15000 }).catch(() => {});
  const row = await county.evaluate(hid => {
    const tr = document.querySelector(`#board-panel tr[data-hazard="${hid}"]`);
    return tr && { county: tr.closest('.board-county')?.dataset.county, who: tr.closest('.board-enterprise')?.querySelector('h4')?.textContent,
      text: tr.textContent.replace(/\s+/g, ' ') };
  }, id);
  const [entName, countyCode] = one(`SELECT enterprise, county_code FROM tailings.pond WHERE id = ${POND}`);
  check('the board lists the hazard under its county and enterprise, with what and by when', row?.county === countyCode &&
    row.who === entName && row.text.includes(desc) && row.text.includes(sql(`SELECT deadline FROM tailings.hazard WHERE id = ${id}`)),
    JSON.stringify(row));
  const order = await county.evaluate(() => [...document.querySelectorAll('#board-panel .board-enterprise')].map(g =>
    [...g.querySelectorAll('tr[data-hazard]')].map(tr => tr.dataset.overdue)));
  check('within an enterprise, the overdue hazards come first', order.every(g => g.indexOf('false') < 0 || g.lastIndexOf('true') < g.indexOf('false')),
    JSON.stringify(order));
  await county.screenshot({ path: join(shots, 'hazard-06-board.png') });
  const [download] = await Promise.all([county.waitForEvent('download', { timeout: 15000 }), county.click('#board-csv')]);
  const csv = readFileSync(await download.path());
  const text = csv.toString('utf8');
  check('the CSV is saved as hazards.csv', download.suggestedFilename() === 'hazards.csv', download.suggestedFilename());
  check('the CSV starts with a UTF-8 BOM and a header row', csv[0] === 0xef && csv[1] === 0xbb && csv[2] === 0xbf &&
    /^\uFEFF[a-z_]+(,[a-z_]+)+\r?\n/.test(text), text.slice(0, 80));
  const line = text.split(/\r?\n/).find(l => l.includes(desc));
  check('the CSV has the hazard\'s row, Chinese text intact, as the filters show it (not closed)', !!line && line.includes(entName) &&
    line.includes('rectifying'), line ?? text.slice(0, 300));

  // ---- the enterprise rectifies again; the city's check passes it: closed
  await ent.fill(`${hz(id)} textarea[name="rectification"]`, '补做下游侧防渗并复测');
  await ent.click(`${hz(id)} [data-act="rectified"]`);
  await expectStep(ent, 'enterprise', id, 'rectified', 'the enterprise rectifies it again');
  const city = await newPage('city');
  await signIn(city, TOKEN_CITY);
  await openFile(city);
  check('a rectified hazard: the city\'s check may pass it (the choice is there and chosen)',
    await city.isChecked(`${hz(id)} input[name="passed-${id}"][value="true"]`));
  await city.fill(`${hz(id)} textarea[name="note"]`, '复查合格，同意销号');
  await city.click(`${hz(id)} [data-act="check"]`);
  const p7 = await expectStep(city, 'city', id, 'closed', 'the city\'s check passes it');
  check('the city\'s panel says it is closed, with both checks', /已销号/.test(p7?.label) && p7?.text.includes('复查合格，同意销号') &&
    p7?.text.includes('下游侧仍有渗水痕迹'), JSON.stringify(p7));
  check('the database has the two checks, the city\'s passed', sql(`SELECT string_agg(level || ':' || passed, ',' ORDER BY id) FROM tailings.hazard_check WHERE hazard_id = ${id}`) ===
    'county:false,city:true');
  await city.screenshot({ path: join(shots, 'hazard-07-closed.png') });
  const endEnt = await pointOnMap(ent, id, 'closed');
  check('the enterprise\'s map follows: the point is green', endEnt?.colour === COLOUR.closed, JSON.stringify(endEnt));

  // ---- an overdue hazard of the city's scope is emphasised
  const [oid, days, opond] = one(`SELECT o.id, o.days_overdue, o.pond_id FROM tailings.hazard_overdue o JOIN tailings.hazard h USING (id)
                                   WHERE h.location IS NOT NULL ORDER BY o.days_overdue DESC, o.id LIMIT 1`);
  const over = await pointOnMap(city, Number(oid), sql(`SELECT status FROM tailings.hazard WHERE id = ${oid}`));
  // the halo's ring, #c92a2a, in the ring between the point and 19 px from its centre
  const ring = over ? await pixelsNear(city, over.at, [0xc9, 0x2a, 0x2a], 19, 45) - await pixelsNear(city, over.at, [0xc9, 0x2a, 0x2a], 11, 45) : 0;
  await city.screenshot({ path: join(shots, 'hazard-08-overdue-map.png') });
  const normal = await pointOnMap(city, id, 'closed');
  const noRing = normal ? await pixelsNear(city, normal.at, [0xc9, 0x2a, 0x2a], 19, 45) : -1;
  check(`an overdue hazard (#${oid}, ${days} days) is drawn bigger than a hazard on time`, over?.overdue === true &&
    over.radius > normal?.radius, `${JSON.stringify(over)} vs ${JSON.stringify(normal)}`);
  check('and in a red halo (the halo layer has it, its red ring on screen), which a hazard on time has not',
    over?.halo === true && normal?.halo === false && ring >= 20 && noRing < 5, `ring ${ring} px, on time ${noRing} px: ${JSON.stringify(over)}`);
  await city.evaluate(p => window.tailingsViewer.openPond(p), Number(opond));
  await city.waitForSelector(`#pond-file li.hazard[data-hazard="${oid}"]`, { timeout: 15000 }).catch(() => {});
  const oli = await city.evaluate(sel => {
    const li = document.querySelector(sel);
    return li && { overdue: li.classList.contains('overdue'), days: li.querySelector('.hz-overdue')?.dataset.days, text: li.querySelector('.hz-overdue')?.textContent };
  }, `#pond-file li.hazard[data-hazard="${oid}"]`);
  check(`its file marks it overdue by ${days} days`, oli?.overdue && oli.days === days && oli.text.includes(`逾期 ${days} 天`), JSON.stringify(oli));

  // ---- the overview's county filter takes the hazards with the ponds
  {
    const [x0, y0, x1, y1] = one(`SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
                                    FROM (SELECT ST_Extent(location) AS e FROM tailings.hazard) x`).map(Number);
    const county = sql(`SELECT p.county_code FROM tailings.pond p WHERE p.id = ${Number(opond)}`);
    const inCounty = new Set(rows(`SELECT id FROM tailings.pond WHERE county_code = '${county}'`).map(r => Number(r[0])));
    const drawn = async () => {
      await settle(city);
      return city.evaluate(() => [...new Set(window.tailingsViewer.map.queryRenderedFeatures({ layers: ['hazards-point'] })
        .map(f => Number(f.properties.pond_id)))]);
    };
    await city.evaluate(b => window.tailingsViewer.map.fitBounds(b, { padding: 40, animate: false }), [[x0, y0], [x1, y1]]);
    const before = await drawn();
    await city.locator('#f-county').selectOption(county);
    const filtered = await drawn();
    await city.screenshot({ path: join(shots, 'hazard-085-county-filter.png') });
    await city.locator('#f-county').selectOption('');
    const after = await drawn();
    check(`the map shows hazards of ponds in and out of county ${county} unfiltered`,
      before.some(p => inCounty.has(p)) && before.some(p => !inCounty.has(p)), JSON.stringify(before));
    check(`the county filter (${county}) leaves only its ponds' hazards on the map, as it leaves only its ponds`,
      filtered.length > 0 && filtered.every(p => inCounty.has(p)), JSON.stringify(filtered));
    check('cleared, the other counties\' hazards come back', after.length === before.length, `${JSON.stringify(after)} vs ${JSON.stringify(before)}`);
  }

  // ---- the city's board: closed ones on asking, and the CSV of that filter
  await city.click('#board-toggle');
  await city.selectOption('#board-status', 'closed');
  await city.waitForSelector(`#board-panel tr[data-hazard="${id}"]`, { timeout: 15000 }).catch(() => {});
  const csvHref = await city.getAttribute('#board-csv', 'href');
  check('the board\'s CSV link carries its filters', /format=csv/.test(csvHref) && /status=closed/.test(csvHref), csvHref);
  const [d2] = await Promise.all([city.waitForEvent('download', { timeout: 15000 }), city.click('#board-csv')]);
  const t2 = readFileSync(await d2.path(), 'utf8');
  const l2 = t2.split(/\r?\n/).filter(l => l.includes(desc));
  check('the closed filter\'s CSV has the hazard, closed, and no hazard that is not closed', l2.length === 1 && l2[0].includes('closed') &&
    !/,(open|rectifying|rectified),/.test(t2), t2.slice(0, 400));
  await city.screenshot({ path: join(shots, 'hazard-09-board-closed.png') });
}
