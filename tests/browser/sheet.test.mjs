// The pond's one-map sheet in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven
// by playwright-core against a running tailings-tileserver.
//   node sheet.test.mjs BASE_URL OUT_DIR KEY_POND_ID EMPTY_POND_ID
// Opens /sheet/{id}, waits until the page says it is ready, checks the map against the data (the
// projection and scale are found from the drawn points, not read from the page), prints it to PDF
// (A3 landscape, checked with pdfinfo and pdftotext) and leaves sheet.png and sheet.pdf in OUT_DIR.
// Prints TAP-like lines and "N passed, N failed"; exits 1 on any failure.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, finish, launch } from './lib.mjs';

const [base, out, keyArg, emptyArg] = process.argv.slice(2);
if (!base || !out || !keyArg || !emptyArg) {
  console.error('usage: node sheet.test.mjs BASE_URL OUT_DIR KEY_POND_ID EMPTY_POND_ID');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const KEY = Number(keyArg), EMPTY = Number(emptyArg);

const getJSON = async path => (await fetch(base + path)).json();
const squash = t => t.replace(/\s+/g, '');
const PX_MM = 25.4 / 96;
const R = 6378137;
const merc = ([lon, lat]) => [R * lon * Math.PI / 180, R * Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360))];

const gj = await getJSON(`/api/ponds/${KEY}/geojson`);
const file = await getJSON(`/api/ponds/${KEY}`);
const pondFile = await getJSON(`/api/ponds/${KEY}/file`);
const catalog = await getJSON('/api/catalog');
const directed = new Map(catalog.categories.flatMap(c => c.kinds.map(k => [k.code, k.directed])));
const kindsPresent = [...new Set(gj.features.map(f => f.properties.kind))].sort();

const browser = await launch();
let ranToEnd = false;
try {
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1700, height: 1200 }, locale: 'zh-CN' });
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  const open = async path => {
    await page.goto(base + path);
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
    return page.evaluate(() => document.body.dataset.ready);
  };

  // --- the key pond's sheet
  check(`/sheet/${KEY} gets ready`, (await open(`/sheet/${KEY}`)) === '1', await page.locator('#error').textContent());
  check('no console errors', errors.length === 0, errors.join(' | '));
  const head = await page.locator('.sheet-head').first().innerText();
  check('the title names the pond, its code and enterprise', head.includes(gj.pond.name) && head.includes(gj.pond.code) &&
    head.includes(gj.pond.enterprise), head);
  check('the title names the county by name, the level and the status', head.includes('东区') &&
    head.includes('二级') && head.includes('闭库'), head);
  check('the title gives the date of the data and of printing', /数据截至 \d{4}-\d\d-\d\d \d\d:\d\d/.test(head) &&
    /打印时间 \d{4}-\d\d-\d\d \d\d:\d\d/.test(head), head);

  // the map, read back: every element drawn once; each point where its coordinates project
  const drawn = await page.evaluate(() => {
    const screen = el => { const m = el.getScreenCTM(); return [m.e, m.f]; };
    return {
      ids: [...document.querySelectorAll('#features .feature')].map(e => Number(e.dataset.id)),
      points: [...document.querySelectorAll('#features .feature.point')].map(e => ({ id: Number(e.dataset.id), at: screen(e) })),
    };
  });
  check('every element of the pond is drawn on the map once',
    JSON.stringify([...drawn.ids].sort((a, b) => a - b)) === JSON.stringify(gj.features.map(f => f.id).sort((a, b) => a - b)),
    `${drawn.ids.length} drawn, ${gj.features.length} elements`);
  // fit screen = a * Mercator + offset, the same a on both axes and y flipped (north up, conformal)
  const byId = new Map(gj.features.map(f => [f.id, f]));
  const P = drawn.points.map(p => ({ id: p.id, m: merc(byId.get(p.id).geometry.coordinates), s: p.at }));
  const mean = (arr, f) => arr.reduce((a, x) => a + f(x), 0) / arr.length;
  const mx = mean(P, p => p.m[0]), my = mean(P, p => p.m[1]), sx = mean(P, p => p.s[0]), sy = mean(P, p => p.s[1]);
  const a = P.reduce((acc, p) => acc + (p.m[0] - mx) * (p.s[0] - sx) - (p.m[1] - my) * (p.s[1] - sy), 0) /
    P.reduce((acc, p) => acc + (p.m[0] - mx) ** 2 + (p.m[1] - my) ** 2, 0);
  const toScreen = c => { const [x, y] = merc(c); return [sx + a * (x - mx), sy - a * (y - my)]; };
  const resid = Math.max(...P.map(p => Math.hypot(toScreen(byId.get(p.id).geometry.coordinates)[0] - p.s[0],
    toScreen(byId.get(p.id).geometry.coordinates)[1] - p.s[1])));
  check('the points lie where Web Mercator, north up, puts them (within 0.05 mm)', P.length >= 3 && resid * PX_MM < 0.05,
    `${P.length} points, worst ${(resid * PX_MM).toFixed(3)} mm`);
  // the true scale on paper at the pond's latitude: ground metres per paper metre
  const flat = c => (typeof c[0] === 'number' ? [c] : c.flatMap(flat));
  const lats = gj.features.flatMap(f => flat(f.geometry.coordinates)).concat([gj.pond.location.coordinates]).map(c => c[1]);
  const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2;
  const trueN = Math.cos(lat0 * Math.PI / 180) / (a * PX_MM / 1000);
  const scaleText = await page.locator('#scalebar-text').textContent();
  const statedN = Number(scaleText.match(/1:(\d+)/)?.[1]);
  check(`the stated scale ${scaleText} is the map's scale on A3 paper (within 0.5%)`,
    statedN > 0 && Math.abs(trueN / statedN - 1) < 0.005, `measured 1:${trueN.toFixed(0)}`);
  const mantissa = statedN / 10 ** Math.floor(Math.log10(statedN));
  check('the stated scale is a round one', [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8].some(m => Math.abs(m - mantissa) < 1e-9), String(statedN));
  // the scale bar: its length in mm is its ground length at 1:N, and on the map's own measure
  const bar = await page.evaluate(() => {
    const g = document.getElementById('scalebar');
    const r = document.getElementById('scalebar-bar').getBoundingClientRect();
    return { metres: Number(g.dataset.metres), px: r.width, text: g.textContent };
  });
  const barMm = bar.px * PX_MM;
  check(`the scale bar (${bar.metres} m) is ${(bar.metres * 1000 / statedN).toFixed(2)} mm long at 1:${statedN}`,
    bar.metres > 0 && Math.abs(barMm - bar.metres * 1000 / statedN) < 0.1, `${barMm.toFixed(2)} mm`);
  check('the scale bar measures its ground length on the map (within 0.5%)',
    Math.abs((bar.px / a) * Math.cos(lat0 * Math.PI / 180) / bar.metres - 1) < 0.005,
    `${((bar.px / a) * Math.cos(lat0 * Math.PI / 180)).toFixed(1)} m`);
  check('the scale bar is labelled with its length', bar.text.includes(bar.metres >= 1000 ? `${bar.metres / 1000} 千米` : `${bar.metres} 米`), bar.text);
  const north = await page.evaluate(() => {
    const n = document.getElementById('north-arrow');
    const b = n.querySelector('text').getBoundingClientRect(), p = n.querySelector('path').getBoundingClientRect();
    return { text: n.textContent, letterAbove: b.bottom <= p.top + 1 };
  });
  check('a north arrow points up (北 above the needle)', north.text === '北' && north.letterAbove);

  // flow arrows, on the map and in the pond's detail: on every directed line, on the line, pointing
  // from its first vertex towards its last; the detail's own scale is found from its points too
  const lines = gj.features.filter(f => f.geometry.type === 'LineString');
  const directedLines = lines.filter(f => directed.get(f.properties.kind));
  check('the sample pond has directed and undirected lines', directedLines.length >= 3 && lines.length > directedLines.length);
  const hasInset = await page.evaluate(() => Boolean(document.getElementById('inset-features')));
  check('the crowded pond gets an enlarged detail', hasInset);
  for (const [sel, what] of [['#features', 'the map'], ['#inset-features', 'the detail']]) {
    if (sel === '#inset-features' && !hasInset) continue;
    const pts = await page.evaluate(s => [...document.querySelectorAll(`${s} .feature.point`)].map(e => {
      const m = e.getScreenCTM();
      return { id: Number(e.dataset.id), at: [m.e, m.f] };
    }), sel);
    const Q = pts.map(p => ({ id: p.id, m: merc(byId.get(p.id).geometry.coordinates), s: p.at }));
    const qx = mean(Q, p => p.m[0]), qy = mean(Q, p => p.m[1]), rx = mean(Q, p => p.s[0]), ry = mean(Q, p => p.s[1]);
    const qa = Q.reduce((acc, p) => acc + (p.m[0] - qx) * (p.s[0] - rx) - (p.m[1] - qy) * (p.s[1] - ry), 0) /
      Q.reduce((acc, p) => acc + (p.m[0] - qx) ** 2 + (p.m[1] - qy) ** 2, 0);
    const proj = c => { const [x, y] = merc(c); return [rx + qa * (x - qx), ry - qa * (y - qy)]; };
    const worst = Math.max(...Q.map(p => Math.hypot(proj(byId.get(p.id).geometry.coordinates)[0] - p.s[0], proj(byId.get(p.id).geometry.coordinates)[1] - p.s[1])));
    check(`${what}: the points lie where Web Mercator, north up, puts them`, worst * PX_MM < 0.05, `${(worst * PX_MM).toFixed(3)} mm`);
    if (sel === '#inset-features') {
      const t = await page.locator('#inset-scalebar-text').textContent();
      const n2 = Number(t.match(/1:(\d+)/)?.[1]);
      const true2 = Math.cos(lat0 * Math.PI / 180) / (qa * PX_MM / 1000);
      check(`the detail's stated scale ${t} is its scale on paper, larger than the map's`, Math.abs(true2 / n2 - 1) < 0.005 && n2 < statedN,
        `measured 1:${true2.toFixed(0)}`);
      const ib = await page.evaluate(() => ({ m: Number(document.getElementById('inset-scalebar').dataset.metres),
        px: document.getElementById('inset-scalebar-bar').getBoundingClientRect().width }));
      check('the detail\'s scale bar measures its ground length', Math.abs(ib.px / qa * Math.cos(lat0 * Math.PI / 180) / ib.m - 1) < 0.005);
    }
    const arrows = await page.evaluate(s => [...document.querySelectorAll(`${s} .flow-arrow`)].map(p => {
      const m = p.getScreenCTM(), len = p.getTotalLength(), pts = [];
      for (let i = 0; i < 60; i++) {
        const q = p.getPointAtLength((len * i) / 60);
        pts.push([m.a * q.x + m.c * q.y + m.e, m.b * q.x + m.d * q.y + m.f]);
      }
      return { id: Number(p.dataset.id), pts };
    }), sel);
    const arrowFaults = [];
    for (const f of lines) {
      const mine = arrows.filter(x => x.id === f.id);
      if (!directed.get(f.properties.kind)) {
        if (mine.length) arrowFaults.push(`${f.properties.name} (${f.properties.kind}) is not directed but has ${mine.length} arrows`);
        continue;
      }
      if (!mine.length) arrowFaults.push(`${f.properties.name}: no arrow`);
      const v = f.geometry.coordinates.map(proj);
      for (const ar of mine) {
        // the arrowhead's centre, and its apex: its outline's point farthest from the centre
        const c = [mean(ar.pts, p => p[0]), mean(ar.pts, p => p[1])];
        const apex = ar.pts.reduce((b, p) => (Math.hypot(p[0] - c[0], p[1] - c[1]) > Math.hypot(b[0] - c[0], b[1] - c[1]) ? p : b));
        const dir = [apex[0] - c[0], apex[1] - c[1]], dl = Math.hypot(...dir);
        let best = { d: Infinity };
        for (let i = 1; i < v.length; i++) {
          const [x0, y0] = v[i - 1], [x1, y1] = v[i], L2 = (x1 - x0) ** 2 + (y1 - y0) ** 2;
          const t = Math.max(0, Math.min(1, ((c[0] - x0) * (x1 - x0) + (c[1] - y0) * (y1 - y0)) / L2));
          const d = Math.hypot(x0 + t * (x1 - x0) - c[0], y0 + t * (y1 - y0) - c[1]);
          if (d < best.d) best = { d, seg: [(x1 - x0) / Math.sqrt(L2), (y1 - y0) / Math.sqrt(L2)] };
        }
        const cos = (dir[0] * best.seg[0] + dir[1] * best.seg[1]) / dl;
        if (best.d * PX_MM > 1) arrowFaults.push(`${f.properties.name}: an arrow ${(best.d * PX_MM).toFixed(2)} mm off the line`);
        if (!(cos > 0.97)) arrowFaults.push(`${f.properties.name}: an arrow points ${(Math.acos(Math.max(-1, Math.min(1, cos))) * 180 / Math.PI).toFixed(0)}° off the way the line runs`);
      }
    }
    check(`${what}: every directed line's arrows lie on it and point from its first to its last vertex (${arrows.length} arrows)`,
      arrowFaults.length === 0 && arrows.length >= directedLines.length, arrowFaults.join('; '));
  }

  // the legend: exactly the kinds present, each once, with its symbol
  const legend = await page.evaluate(() => [...document.querySelectorAll('#legend li[data-kind]')].map(li => ({
    kind: li.dataset.kind, text: li.innerText.trim(), shapes: li.querySelectorAll('svg *').length,
    arrow: li.querySelectorAll('.legend-arrow').length })));
  check('the legend lists exactly the kinds present, once each',
    JSON.stringify(legend.map(l => l.kind).sort()) === JSON.stringify(kindsPresent), legend.map(l => l.kind).join(','));
  const labelOf = new Map(gj.features.map(f => [f.properties.kind, f.properties.label]));
  check('each legend entry has its symbol and its kind\'s label', legend.every(l => l.shapes > 0 && l.text === labelOf.get(l.kind)));
  check('the legend shows a flow arrow for the directed line kinds only', legend.every(l =>
    (l.arrow > 0) === (directed.get(l.kind) === true && lines.some(f => f.properties.kind === l.kind))));

  // labels and tables
  const labels = await page.evaluate(() => [...document.querySelectorAll('#map text.label')].map(t => t.textContent));
  check('every element is labelled by name on the map', gj.features.every(f => !f.properties.name || labels.includes(f.properties.name)));
  const ruleRows = await page.evaluate(() => [...document.querySelectorAll('#rules tbody tr')].map(tr =>
    [...tr.cells].map(td => td.textContent)));
  const want = file.completeness.map(r => [r.rule, r.passed ? '通过' : r.severity === 'error' ? '未通过' : '警告', r.message]);
  check('the completeness table: every rule, its result (通过/未通过/警告) and message',
    JSON.stringify(ruleRows) === JSON.stringify(want), JSON.stringify(ruleRows.slice(0, 2)));
  check('the sample pond has a rule that warns', want.some(r => r[1] === '警告'));
  const elRows = await page.evaluate(() => [...document.querySelectorAll('#elements tbody tr[data-id]')].map(tr =>
    ({ id: Number(tr.dataset.id), cells: [...tr.cells].map(td => td.textContent) })));
  check('the element table: every element once', elRows.length === gj.features.length &&
    new Set(elRows.map(r => r.id)).size === gj.features.length);
  const pointRowsOk = elRows.every(r => {
    const f = byId.get(r.id);
    const [lon, lat] = f.geometry.type === 'Point' ? f.geometry.coordinates : [f.properties.lon, f.properties.lat];
    return r.cells[1] === f.properties.label && r.cells[2] === (f.properties.name ?? '') &&
      r.cells[3] === Number(lon).toFixed(6) && r.cells[4] === Number(lat).toFixed(6) &&
      r.cells[6] === String(f.properties.accuracy_m) && r.cells[8] === (f.properties.verified_on ?? '未核实');
  });
  check('the element table: kind, name, CGCS2000 lon/lat to 6 decimals, accuracy, verification date', pointRowsOk,
    JSON.stringify(elRows[0]));

  // the pond's file (一库一档) after the tables: every part, with what the database holds
  const fileParts = await page.evaluate(() => ({
    visible: !document.getElementById('page-file').hidden,
    parts: [...document.querySelectorAll('#file-parts .file-part')].map(s => s.dataset.part),
    bars: document.querySelectorAll('#file-ledger rect.ledger-bar').length,
    ledgerRows: [...document.querySelectorAll('#file-ledger tr[data-year]')].map(tr => Number(tr.dataset.year)),
    documents: [...document.querySelectorAll('#file-documents tr[data-document]')].map(tr => Number(tr.dataset.document)),
    hazards: [...document.querySelectorAll('#file-hazards li.hazard')].map(li => [Number(li.dataset.hazard), li.dataset.status]),
    inspections: [...document.querySelectorAll('#file-inspections li[data-inspection]')].map(li => Number(li.dataset.inspection)),
    facilities: [...document.querySelectorAll('#file-facilities tr[data-facility]')].map(tr => Number(tr.dataset.facility)),
    wells: [...document.querySelectorAll('#file-monitoring tr[data-well]')].map(e => Number(e.dataset.well)),
    charts: [...document.querySelectorAll('#file-monitoring svg.well-chart')].map(e => [Number(e.dataset.well), e.dataset.parameter]),
  }));
  check('the sheet has the pond\'s file: ledger, papers, hazards, inspections, monitoring, facilities',
    fileParts.visible && JSON.stringify(fileParts.parts) === JSON.stringify(['ledger', 'documents', 'hazards', 'inspections', 'monitoring', 'facilities']),
    JSON.stringify(fileParts.parts));
  const amounts = pondFile.ledger.reduce((n, r) => n + ['produced_t', 'stored_t', 'reused_t'].filter(k => r[k] != null).length, 0);
  check(`the file's ledger: a row per year (${pondFile.ledger.length}) and a bar per amount (${amounts})`,
    JSON.stringify([...fileParts.ledgerRows].sort()) === JSON.stringify(pondFile.ledger.map(r => r.year).sort()) && fileParts.bars === amounts);
  check(`the file's papers (${pondFile.documents.length}), hazards (${pondFile.hazards.length}, closed ones too) and inspections (${pondFile.inspections.length}), each once`,
    JSON.stringify([...fileParts.documents].sort()) === JSON.stringify(pondFile.documents.map(d => d.id).sort()) &&
    JSON.stringify([...fileParts.hazards].sort()) === JSON.stringify(pondFile.hazards.map(h => [h.id, h.status]).sort()) &&
    JSON.stringify([...fileParts.inspections].sort()) === JSON.stringify(pondFile.inspections.map(i => i.id).sort()));
  check(`the file's facilities: every element (${gj.features.length})`, fileParts.facilities.length === gj.features.length &&
    new Set(fileParts.facilities).size === gj.features.length);
  const wellIds = [...new Set(pondFile.monitoring.assessment.map(r => r.element_id))];
  check(`the file's monitoring: each groundwater well (${wellIds.length}) in the table`,
    wellIds.length > 0 && wellIds.every(w => fileParts.wells.includes(w)), JSON.stringify(fileParts.wells));
  const exceeding = pondFile.monitoring.assessment.filter(r => r.exceeds);
  check(`the file's monitoring: a chart of each parameter exceeding at each well sampled (${exceeding.length})`,
    exceeding.every(r => fileParts.charts.some(([w, p]) => w === r.element_id && p === r.parameter)), JSON.stringify(fileParts.charts));

  // print: what is on the A3 pages
  await page.emulateMedia({ media: 'print' });
  const mapPage = await page.evaluate(() => {
    const r = document.getElementById('page-map').getBoundingClientRect();
    const side = document.getElementById('side');
    return { w: r.width, h: r.height, clipped: side.scrollHeight > side.clientHeight + 1 };
  });
  check('the map page fits the A3 page inside its 10 mm margins', mapPage.w * PX_MM <= 400.5 && mapPage.h * PX_MM <= 277.5,
    `${(mapPage.w * PX_MM).toFixed(1)} x ${(mapPage.h * PX_MM).toFixed(1)} mm`);
  check('nothing beside the map is cut off', !mapPage.clipped);
  await page.emulateMedia({ media: null });
  await page.screenshot({ path: join(out, 'sheet.png'), fullPage: true });
  const pdf = join(out, 'sheet.pdf');
  await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
  const info = execFileSync('pdfinfo', ['-f', '1', '-l', '99', pdf], { encoding: 'utf8' });
  const pages = Number(info.match(/^Pages:\s+(\d+)/m)?.[1]);
  const sizes = [...info.matchAll(/^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/gm)].map(m => [Number(m[1]), Number(m[2])]);
  // the map and its tables on the first page; the 28 elements on the second; the file from the third
  check('the PDF has the map, the elements and the file on pages of their own (3 or more)', pages >= 3, `${pages} pages`);
  const page3 = squash(execFileSync('pdftotext', ['-enc', 'UTF-8', '-f', '3', '-l', '3', pdf, '-'], { encoding: 'utf8' }));
  check('the third page begins the pond\'s file (一库一档) with its ledger', page3.includes('尾矿库档案（一库一档）') && page3.includes('年度尾矿台账'),
    page3.slice(0, 120));
  check('every page is A3 landscape (1191 x 842 pt)', sizes.length === pages &&
    sizes.every(([w, hh]) => Math.abs(w - 1191) <= 1 && Math.abs(hh - 842) <= 1), JSON.stringify(sizes));
  const text = squash(execFileSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' }));
  check('the PDF names the pond', text.includes(gj.pond.name));
  const missingMsg = file.completeness.filter(r => !text.includes(squash(r.message)));
  check('the PDF has every completeness rule\'s message', missingMsg.length === 0, missingMsg.map(r => r.rule).join(','));
  const missingName = gj.features.filter(f => f.properties.name && !text.includes(squash(f.properties.name)));
  check('the PDF has every element\'s name', missingName.length === 0, missingName.map(f => f.properties.name).join(','));
  check(`the PDF states the scale 1:${statedN}`, text.includes(`1:${statedN}`));
  const missingFile = [...pondFile.hazards.map(h => h.description), ...pondFile.documents.map(d => d.number).filter(Boolean)]
    .filter(x => !text.includes(squash(x)));
  check('the PDF has every hazard\'s description and every paper\'s number', missingFile.length === 0, missingFile.join(','));
  const page1 = squash(execFileSync('pdftotext', ['-enc', 'UTF-8', '-f', '1', '-l', '1', pdf, '-'], { encoding: 'utf8' }));
  check('the first page has the map, the legend and the completeness table',
    page1.includes(`1:${statedN}`) && page1.includes('图例') && page1.includes(squash(file.completeness[0].message)));

  // in English
  errors.length = 0;
  check(`/sheet/${KEY}?lang=en gets ready`, (await open(`/sheet/${KEY}?lang=en`)) === '1');
  const en = await getJSON(`/api/ponds/${KEY}/geojson?lang=en`);
  const enHead = await page.locator('.sheet-head').first().innerText();
  check('in English: the title', enHead.includes('Dong District') && enHead.includes('level 2') && enHead.includes('closed'), enHead);
  const enKinds = await page.evaluate(() => [...document.querySelectorAll('#elements tbody tr[data-id]')].map(tr => tr.cells[1].textContent));
  check('in English: the element table\'s kinds', JSON.stringify(enKinds) === JSON.stringify(en.features.map(f => f.properties.label)));
  check('in English: the scale', /^Scale 1:\d+$/.test(await page.locator('#scalebar-text').textContent()));
  check('in English: no console errors', errors.length === 0, errors.join(' | '));

  // a pond with nothing drawn: the page is still a sheet, centred on the registry point
  check('the sheet of a pond with nothing drawn gets ready', (await open(`/sheet/${EMPTY}`)) === '1');
  const empty = await page.evaluate(() => ({
    legendKinds: document.querySelectorAll('#legend li[data-kind]').length,
    registry: Boolean(document.getElementById('registry-point')),
    table: document.querySelector('#elements tbody').textContent,
    scale: document.getElementById('scalebar-text').textContent,
  }));
  check('an empty pond: its registry point, no kinds in the legend, "尚无标绘要素", a scale',
    empty.registry && empty.legendKinds === 0 && empty.table.includes('尚无标绘要素') && /1:\d+/.test(empty.scale), JSON.stringify(empty));
  ranToEnd = true;
} catch (e) {
  check('the browser test ran', false, e.stack);
} finally {
  await browser.close();
}
finish(ranToEnd);
