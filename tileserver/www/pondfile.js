// The pond's file (一库一档, design §8) in words and charts, for the viewer's panel (filepanel.js)
// and for the printed sheet (sheet.js): pure functions from tailings.pond_file()'s JSON
// (GET /api/ponds/{id}/file) to HTML and SVG text.  Nothing here fetches or listens.
//   - the ledger: a table by year and a chart drawn here in SVG (produced, stored and reused as
//     bars on the left axis, the stock as a line on the right axis);
//   - the papers with their expiry (expired in red, expiring within 90 days marked);
//   - the facilities with their latest inspected state;
//   - the hazards with their status, deadline (overdue emphasised) and checks;
//   - the inspections with their coverage (missed points, positions to correct);
//   - the monitoring: the latest value of each parameter at each well against its class III limit
//     and the background well, and a chart per well of one parameter over time against the class
//     III line and the background well's values.
// The charts carry what they show as data attributes (data-year, data-value, data-date), and their
// axes' ticks their values (data-value, at their y), so that a test can read them back.

export const TEXT = {
  zh: {
    file: '尾矿库档案（一库一档）', contents: '目录', colon: '：', sep: '、',
    basic: '基本信息', ledger: '年度尾矿台账', documents: '建设项目与环境管理文件', facilities: '设施及核查状态',
    hazards: '隐患排查治理', inspections: '现场核查', monitoring: '地下水监测',
    year: '年度', produced_t: '产生量', stored_t: '入库量', reused_t: '综合利用量', stock_t: '年末存量',
    return_water_m3: '回水量', discharged_m3: '外排水量', leachate_m3: '渗滤液产生量', leachate_treated_m3: '渗滤液处理量',
    stockKey: '年末存量', reported_on: '报送日期', late: '逾期报送', tonnes: '吨', tonnesShort: 't', m3: '立方米', noLedger: '尚无台账',
    balanceOff: (d, tol) => `年末存量与上年存量＋入库－利用相差 ${d} 吨（允许 ${tol} 吨）`,
    chartTitle: '产生、入库、利用（柱，左轴）与年末存量（线，右轴）', chartUnit: '吨',
    docKind: {
      eia_approval: '环评批复', env_acceptance: '环保验收', discharge_permit: '排污许可证', emergency_plan: '突发环境事件应急预案',
      monitoring_plan: '自行监测方案', closure_design: '闭库设计', closure_acceptance: '闭库验收',
    },
    paper: '文件', number: '文号', issued: '发布/批准', validUntil: '有效期至', issuer: '发证/批准机关', reviewedOn: '最近评估',
    noExpiry: '长期有效', expired: d => `已过期 ${d} 天`, expiresIn: d => d === 0 ? '今日到期' : `${d} 天后到期`,
    noDocuments: '尚无文件', superseded: '已由新版取代',
    state: { normal: '正常', abnormal: '异常', out_of_service: '停用', not_found: '未找到' },
    notInspected: '未核查', inspectedOn: '核查于', offset: m => `偏差 ${m} 米`, toCorrect: '位置待修正',
    noFacilities: '尚无设施',
    status: { open: '待整改', rectifying: '整改中', rectified: '已整改待核查', closed: '已销号' },
    severity: { general: '一般', major: '重大' },
    level: { enterprise: '企业自查', county: '区县', city: '市', province: '省', ministry: '部' },
    foundOn: '发现', by: '发现人', campaign: '专项', deadline: '整改期限', noDeadline: '未定期限',
    overdue: d => `逾期 ${d} 天`, rectification: '整改措施', rectifiedOn: '整改完成',
    checks: '核查记录', passed: '通过', failed: '未通过', noHazards: '尚无隐患记录', closedN: n => `已销号 ${n} 项`,
    counts: c => `待整改 ${c.open} · 整改中 ${c.rectifying} · 待核查 ${c.rectified} · 已销号 ${c.closed}${c.overdue ? ` · 逾期 ${c.overdue}` : ''}`,
    position: '位置', atElement: '要素',
    inspectionOf: l => `${l}核查`, started: '开始', finished: '完成', unfinished: '进行中', visited: (v, n) => `已到 ${v}/${n} 个点位`,
    missed: n => `遗漏 ${n} 个点位`, missedList: '遗漏点位', noInspections: '尚无现场核查记录', inspector: '核查人',
    toCorrectN: n => `${n} 处位置偏差超过 30 米`,
    well: '监测井', parameter: '指标', latest: '最新值', limit: 'III类限值', backgroundWell: '本底井', ratio: '与本底之比',
    exceeds: '超标', ok: '达标', noLimit: '无限值', noSamples: '尚无监测数据', noWells: '尚无地下水监测井',
    limitLine: v => `III类限值 ${v}`, bgSeries: '本底井', chartParam: '图示指标', sampledOn: '采样日期',
    wellKind: { gw_background_well: '本底井', gw_monitoring_well: '监测井', gw_diffusion_well: '扩散井', gw_outlet_well: '出水井' },
    unitless: '无量纲',
  },
  en: {
    file: 'The pond’s file', contents: 'Contents', colon: ': ', sep: ', ',
    basic: 'Basic information', ledger: 'Annual tailings ledger', documents: 'Project and environmental papers',
    facilities: 'Facilities and their inspected state', hazards: 'Hazards and their rectification', inspections: 'Inspections on the ground',
    monitoring: 'Groundwater monitoring',
    year: 'Year', produced_t: 'Produced', stored_t: 'Stored', reused_t: 'Reused', stock_t: 'Stock at year end',
    return_water_m3: 'Water returned', discharged_m3: 'Water discharged', leachate_m3: 'Leachate', leachate_treated_m3: 'Leachate treated',
    stockKey: 'Stock', reported_on: 'Reported', late: 'late', tonnes: 't', tonnesShort: 't', m3: 'm³', noLedger: 'No ledger reported',
    balanceOff: (d, tol) => `The stock differs from last year’s stock + stored − reused by ${d} t (tolerance ${tol} t)`,
    chartTitle: 'Produced, stored, reused (bars, left axis) and stock (line, right axis)', chartUnit: 't',
    docKind: {
      eia_approval: 'EIA approval', env_acceptance: 'Environmental acceptance', discharge_permit: 'Discharge permit',
      emergency_plan: 'Emergency plan', monitoring_plan: 'Self-monitoring plan', closure_design: 'Closure design',
      closure_acceptance: 'Closure acceptance',
    },
    paper: 'Paper', number: 'Number', issued: 'Issued', validUntil: 'Valid until', issuer: 'Issuer', reviewedOn: 'Last reviewed',
    noExpiry: 'does not expire', expired: d => `expired ${d} days ago`, expiresIn: d => d === 0 ? 'expires today' : `expires in ${d} days`,
    noDocuments: 'No papers on file', superseded: 'superseded by a newer one',
    state: { normal: 'normal', abnormal: 'abnormal', out_of_service: 'out of service', not_found: 'not found' },
    notInspected: 'not inspected', inspectedOn: 'inspected', offset: m => `${m} m off`, toCorrect: 'position to correct',
    noFacilities: 'No facilities',
    status: { open: 'open', rectifying: 'rectifying', rectified: 'rectified, to check', closed: 'closed' },
    severity: { general: 'general', major: 'major' },
    level: { enterprise: 'self-check', county: 'county', city: 'city', province: 'province', ministry: 'ministry' },
    foundOn: 'Found', by: 'By', campaign: 'Campaign', deadline: 'Deadline', noDeadline: 'no deadline',
    overdue: d => `${d} days overdue`, rectification: 'Rectification', rectifiedOn: 'Rectified',
    checks: 'Checks', passed: 'passed', failed: 'failed', noHazards: 'No hazards recorded', closedN: n => `${n} closed`,
    counts: c => `open ${c.open} · rectifying ${c.rectifying} · to check ${c.rectified} · closed ${c.closed}${c.overdue ? ` · overdue ${c.overdue}` : ''}`,
    position: 'Position', atElement: 'Element',
    inspectionOf: l => `${l} inspection`, started: 'Started', finished: 'Finished', unfinished: 'under way', visited: (v, n) => `${v} of ${n} points visited`,
    missed: n => `${n} points missed`, missedList: 'Missed points', noInspections: 'No inspections recorded', inspector: 'Inspector',
    toCorrectN: n => `${n} positions more than 30 m off`,
    well: 'Well', parameter: 'Parameter', latest: 'Latest', limit: 'Class III', backgroundWell: 'Background well', ratio: 'Ratio to background',
    exceeds: 'exceeds', ok: 'within', noLimit: 'no limit', noSamples: 'No samples', noWells: 'No groundwater wells',
    limitLine: v => `class III ${v}`, bgSeries: 'background well', chartParam: 'Parameter shown', sampledOn: 'Sampled',
    wellKind: { gw_background_well: 'background well', gw_monitoring_well: 'monitoring well', gw_diffusion_well: 'diffusion well', gw_outlet_well: 'outlet well' },
    unitless: 'no unit',
  },
};

// the colours of the hazards' statuses, on the map (hazards.js) and in the file
export const HAZARD_COLOURS = { open: '#e03131', rectifying: '#f08c00', rectified: '#1971c2', closed: '#2f9e44' };
export const HAZARD_STATUSES = ['open', 'rectifying', 'rectified', 'closed'];
const LEDGER_COLOURS = { produced_t: '#4263eb', stored_t: '#f59f00', reused_t: '#37b24d', stock_t: '#862e9c' };

export const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const r2 = v => Math.round(v * 100) / 100;

// days from today (YYYY-MM-DD, the browser's calendar) to a day; negative when it is past
export function daysUntil(day, today) {
  if (!day) return null;
  const a = Date.UTC(...today.split('-').map((x, i) => Number(x) - (i === 1 ? 1 : 0)));
  const b = Date.UTC(...String(day).slice(0, 10).split('-').map((x, i) => Number(x) - (i === 1 ? 1 : 0)));
  return Math.round((b - a) / 86400000);
}
export const todayIso = () => new Date().toLocaleDateString('sv');

// a number as people read it: thousands separated; large amounts in 万 (zh) or k/M (en) on axes
export function fmtNumber(v, lang, digits = 2) {
  if (v == null || v === '') return '';
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  return n.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { maximumFractionDigits: digits });
}
function fmtAxis(v, lang) {
  const a = Math.abs(v);
  if (lang === 'zh') {
    if (a >= 1e8) return `${r2(v / 1e8)}亿`;
    if (a >= 1e4) return `${r2(v / 1e4)}万`;
  } else {
    if (a >= 1e6) return `${r2(v / 1e6)}M`;
    if (a >= 1e3) return `${r2(v / 1e3)}k`;
  }
  return String(r2(v));
}

// axis ticks: a nice step (1, 2, 2.5 or 5 times a power of ten) giving about n intervals from lo
// to at least hi; { lo, hi, step, ticks }
export function niceTicks(lo, hi, n = 4) {
  if (!(hi > lo)) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1 || 1);
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map(m => m * p).find(s => s >= raw - 1e-12);
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const ticks = [];
  for (let v = a; v <= b + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { lo: a, hi: b, step, ticks };
}

// ---------------------------------------------------------------------------------------------
// the ledger: a chart by year
//   rows: [{ year, produced_t, stored_t, reused_t, stock_t }] in any order
export function ledgerChart(rows, lang, { width = 372, height = 200 } = {}) {
  const T = TEXT[lang] || TEXT.zh;
  const years = [...rows].filter(r => r.year != null).sort((a, b) => a.year - b.year);
  if (!years.length) return '';
  const flows = ['produced_t', 'stored_t', 'reused_t'];
  const num = v => (v == null || v === '' ? null : Number(v));
  const maxFlow = Math.max(0, ...years.flatMap(r => flows.map(k => num(r[k]) ?? 0)));
  const maxStock = Math.max(0, ...years.map(r => num(r.stock_t) ?? 0));
  const hasStock = years.some(r => num(r.stock_t) != null);
  // whole tonnes on the axes, also when every amount is 0 (a closed pond produces none)
  const L = niceTicks(0, Math.max(maxFlow, 4)), R = niceTicks(0, Math.max(maxStock, 4));
  const m = { l: 46, r: hasStock ? 50 : 12, t: 8, b: 40 };
  const pw = width - m.l - m.r, ph = height - m.t - m.b;
  const base = m.t + ph;
  const yL = v => base - (v - L.lo) / (L.hi - L.lo) * ph;
  const yR = v => base - (v - R.lo) / (R.hi - R.lo) * ph;
  const slot = pw / years.length;
  const bw = Math.min(18, slot * 0.8 / flows.length);
  const out = [];
  out.push(`<svg class="chart ledger-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"
    role="img" aria-label="${esc(T.chartTitle)}" data-baseline="${r2(base)}">`);
  out.push(`<title>${esc(T.chartTitle)}</title>`);
  // left axis: the flows
  for (const v of L.ticks) {
    const y = r2(yL(v));
    out.push(`<g class="tick y-left" data-value="${v}" data-y="${y}"><line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#e9ecef"/>
      <text x="${m.l - 4}" y="${y + 3.5}" text-anchor="end" font-size="10" fill="#495057">${esc(fmtAxis(v, lang))}</text></g>`);
  }
  if (hasStock)
    for (const v of R.ticks) {
      const y = r2(yR(v));
      out.push(`<g class="tick y-right" data-value="${v}" data-y="${y}"><line x1="${m.l + pw}" x2="${m.l + pw + 3}" y1="${y}" y2="${y}" stroke="${LEDGER_COLOURS.stock_t}"/>
        <text x="${m.l + pw + 5}" y="${y + 3.5}" font-size="10" fill="${LEDGER_COLOURS.stock_t}">${esc(fmtAxis(v, lang))}</text></g>`);
    }
  out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${r2(base)}" y2="${r2(base)}" stroke="#495057"/>`);
  out.push(`<text x="${m.l - 30}" y="${r2(m.t + ph / 2)}" text-anchor="middle" font-size="9.5" fill="#495057"
    transform="rotate(-90 ${m.l - 30} ${r2(m.t + ph / 2)})">${esc(T.chartUnit)}</text>`);
  // the bars, by year, left to right
  years.forEach((r, i) => {
    const cx = m.l + slot * (i + 0.5);
    flows.forEach((k, j) => {
      const v = num(r[k]);
      if (v == null) return;
      const x = r2(cx + (j - flows.length / 2) * bw);
      const y = r2(yL(v));
      out.push(`<rect class="ledger-bar" data-year="${r.year}" data-series="${k}" data-value="${v}" x="${x}" y="${y}" width="${r2(bw - 1)}"
        height="${r2(base - y)}" fill="${LEDGER_COLOURS[k]}"><title>${r.year} ${esc(T[k])} ${esc(fmtNumber(v, lang))} ${esc(T.tonnes)}</title></rect>`);
    });
    out.push(`<text class="year" data-year="${r.year}" x="${r2(cx)}" y="${r2(base + 13)}" text-anchor="middle" font-size="10.5" fill="#212529">${r.year}</text>`);
  });
  // the stock: a line over the years that have one
  if (hasStock) {
    const pts = years.map((r, i) => ({ r, x: m.l + slot * (i + 0.5), v: num(r.stock_t) })).filter(p => p.v != null);
    out.push(`<polyline class="stock-line" fill="none" stroke="${LEDGER_COLOURS.stock_t}" stroke-width="2"
      points="${pts.map(p => `${r2(p.x)},${r2(yR(p.v))}`).join(' ')}"/>`);
    for (const p of pts)
      out.push(`<circle class="stock" data-year="${p.r.year}" data-value="${p.v}" cx="${r2(p.x)}" cy="${r2(yR(p.v))}" r="3.2"
        fill="#fff" stroke="${LEDGER_COLOURS.stock_t}" stroke-width="1.8"><title>${p.r.year} ${esc(T.stock_t)} ${esc(fmtNumber(p.v, lang))} ${esc(T.tonnes)}</title></circle>`);
  }
  // the key
  const keys = [...flows, ...(hasStock ? ['stock_t'] : [])];
  const kw = width / keys.length;
  keys.forEach((k, i) => {
    const x = r2(i * kw + 6), y = height - 9;
    out.push(k === 'stock_t'
      ? `<line x1="${x}" x2="${x + 12}" y1="${y - 3}" y2="${y - 3}" stroke="${LEDGER_COLOURS[k]}" stroke-width="2"/><circle cx="${x + 6}" cy="${y - 3}" r="2.6" fill="#fff" stroke="${LEDGER_COLOURS[k]}" stroke-width="1.6"/>`
      : `<rect x="${x + 1}" y="${y - 8}" width="10" height="10" fill="${LEDGER_COLOURS[k]}"/>`);
    out.push(`<text x="${x + 15}" y="${y + 1}" font-size="10" fill="#212529">${esc(k === 'stock_t' ? T.stockKey : T[k])}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

export function ledgerTable(rows, lang, balance = []) {
  const T = TEXT[lang] || TEXT.zh;
  if (!rows?.length) return `<p class="file-empty">${esc(T.noLedger)}</p>`;
  const cols = ['produced_t', 'stored_t', 'reused_t', 'stock_t', 'return_water_m3', 'discharged_m3', 'leachate_m3', 'leachate_treated_m3']
    .filter(k => rows.some(r => r[k] != null));
  const bal = new Map((balance || []).map(b => [Number(b.year), b]));
  const sorted = [...rows].sort((a, b) => b.year - a.year);
  return `<div class="table-scroll"><table class="file-table ledger-table">
    <thead><tr><th>${esc(T.year)}</th>${cols.map(k => `<th class="num">${esc(T[k])}<small>${esc(k.endsWith('_t') ? T.tonnes : T.m3)}</small></th>`).join('')}
      <th>${esc(T.reported_on)}</th></tr></thead>
    <tbody>${sorted.map(r => {
      const b = bal.get(Number(r.year)) ?? (r.consistent != null ? r : null);
      const off = b && b.consistent === false;
      return `<tr data-year="${r.year}"${off ? ' class="warn"' : ''}><td>${r.year}</td>${cols.map(k =>
        `<td class="num" data-col="${k}">${esc(fmtNumber(r[k], lang))}</td>`).join('')}
        <td>${esc(r.reported_on ?? '')}${r.late ? ` <small class="warn" data-late="true">${esc(T.late)}</small>` : ''}${off ? `<br><small class="warn" data-balance="off">⚠ ${esc(T.balanceOff(fmtNumber(b.difference_t, lang), fmtNumber(b.tolerance_t, lang)))}</small>` : ''}</td></tr>`;
    }).join('')}</tbody></table></div>`;
}

// ---------------------------------------------------------------------------------------------
// the papers: expired in red, expiring within 90 days marked
export function documentState(d, today) {
  const left = daysUntil(d.valid_until, today);
  if (d.superseded) return { state: 'superseded', left };
  if (left == null) return { state: 'valid', left: null };
  if (left < 0) return { state: 'expired', left };
  if (left <= 90) return { state: 'expiring', left };
  return { state: 'valid', left };
}
export function documentsTable(docs, lang, today = todayIso()) {
  const T = TEXT[lang] || TEXT.zh;
  if (!docs?.length) return `<p class="file-empty">${esc(T.noDocuments)}</p>`;
  const order = Object.keys(T.docKind);
  const sorted = [...docs].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) ||
    String(b.issued_on ?? '').localeCompare(String(a.issued_on ?? '')));
  return `<table class="file-table documents-table">
    <thead><tr><th>${esc(T.paper)}</th><th>${esc(T.number)}</th><th>${esc(T.issued)}</th><th>${esc(T.validUntil)}</th></tr></thead>
    <tbody>${sorted.map(d => {
      const s = documentState(d, today);
      const note = s.state === 'expired' ? T.expired(-s.left) : s.state === 'expiring' ? T.expiresIn(s.left) : '';
      const reviewed = d.reviewed_on ?? d.attrs?.reviewed_on;
      return `<tr data-document="${esc(d.id)}" data-kind="${esc(d.kind)}" data-state="${s.state}" class="doc-${s.state}">
        <td>${esc(d.kind_label ?? T.docKind[d.kind] ?? d.kind)}${d.issuer ? `<br><small>${esc(d.issuer)}</small>` : ''}</td>
        <td>${esc(d.number ?? '')}</td>
        <td>${esc(d.issued_on ?? '')}${reviewed ? `<br><small>${esc(T.reviewedOn)} ${esc(reviewed)}</small>` : ''}</td>
        <td class="expiry">${d.valid_until ? esc(d.valid_until) : `<small>${esc(T.noExpiry)}</small>`}${note
          ? `<br><b class="doc-note">${s.state === 'expired' ? '✘' : '⚠'} ${esc(note)}</b>` : ''}${s.state === 'superseded'
          ? `<br><small class="doc-note">${esc(T.superseded)}</small>` : ''}</td></tr>`;
    }).join('')}</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------
// the facilities: each element with its latest inspected state
export function facilitiesList(facilities, lang, kindLabel = k => k) {
  const T = TEXT[lang] || TEXT.zh;
  if (!facilities?.length) return `<p class="file-empty">${esc(T.noFacilities)}</p>`;
  return `<table class="file-table facilities-table"><tbody>${facilities.map(f => {
    const v = f.last_visit ?? null;
    const st = v?.state ?? null;
    const off = v?.offset_m != null ? Math.round(Number(v.offset_m)) : null;
    const toCorrect = st && st !== 'not_found' && off != null && Number(v.offset_m) > 30;
    return `<tr data-facility="${esc(f.id)}" data-state="${esc(st ?? 'none')}">
      <td>${esc(f.kind_label ?? kindLabel(f.kind))}${f.name ? `<br><small>${esc(f.name)}</small>` : ''}</td>
      <td class="state ${st ? `state-${esc(st)}` : 'state-none'}">${esc(st ? v.state_label ?? T.state[st] ?? st : T.notInspected)}${v?.visited_at
        ? `<br><small>${esc(String(v.visited_at).slice(0, 10))}${v.level ? ` · ${esc(v.level_label ?? T.level[v.level] ?? v.level)}` : ''}</small>` : ''}${
        v?.note ? `<br><small>${esc(v.note)}</small>` : ''}${
        toCorrect ? `<br><small class="warn">⚠ ${esc(T.toCorrect)} (${esc(T.offset(off))})</small>` : ''}</td></tr>`;
  }).join('')}</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------
// hazards
export function hazardCounts(hazards) {
  const c = { open: 0, rectifying: 0, rectified: 0, closed: 0, overdue: 0 };
  for (const h of hazards || []) {
    c[h.status] = (c[h.status] || 0) + 1;
    if (h.overdue) c.overdue++;
  }
  return c;
}
export function hazardBadge(h, lang) {
  const T = TEXT[lang] || TEXT.zh;
  return `<span class="hz-status" data-status="${esc(h.status)}" style="--c:${HAZARD_COLOURS[h.status] || '#868e96'}">${esc(T.status[h.status] ?? h.status)}</span>`;
}
export function deadlineHtml(h, lang) {
  const T = TEXT[lang] || TEXT.zh;
  if (!h.deadline) return `<span class="hz-deadline none">${esc(T.noDeadline)}</span>`;
  return `<span class="hz-deadline${h.overdue ? ' overdue' : ''}">${esc(T.deadline)} ${esc(h.deadline)}${h.overdue
    ? ` <b class="hz-overdue" data-days="${esc(h.days_overdue ?? '')}">${esc(T.overdue(h.days_overdue ?? '?'))}</b>` : ''}</span>`;
}
export function checksList(checks, lang) {
  const T = TEXT[lang] || TEXT.zh;
  if (!checks?.length) return '';
  return `<ul class="hz-checks">${checks.map(c => `<li data-check="${esc(c.id)}" data-passed="${c.passed}">
    <span class="${c.passed ? 'ok' : 'fail'}">${c.passed ? '✔' : '✘'} ${esc(c.passed ? T.passed : T.failed)}</span>
    ${esc(c.checked_on ?? '')} · ${esc(T.level[c.level] ?? c.level ?? '')} ${esc(c.checked_by ?? '')}${c.note
      ? `<br><span class="hz-note">${esc(c.note)}</span>` : ''}</li>`).join('')}</ul>`;
}
// one hazard, with what it says and its checks; actions (HTML) go after it
export function hazardItem(h, lang, actions = '') {
  const T = TEXT[lang] || TEXT.zh;
  const where = h.element_name ? `${esc(T.atElement)}${T.colon}${esc(h.element_name)}`
    : h.lon != null ? `${esc(T.position)} ${Number(h.lon).toFixed(6)}, ${Number(h.lat).toFixed(6)}` : '';
  return `<li class="hazard${h.overdue ? ' overdue' : ''}" data-hazard="${esc(h.id)}" data-status="${esc(h.status)}"
      data-overdue="${h.overdue ? 'true' : 'false'}">
    <div class="hz-head">${hazardBadge(h, lang)}${h.severity === 'major' ? `<span class="hz-major">${esc(T.severity.major)}</span>` : ''}
      <span class="hz-desc">${esc(h.description)}</span></div>
    <div class="hz-meta">${where ? `${where} · ` : ''}${esc(T.foundOn)} ${esc(h.found_on ?? '')} · ${esc(T.level[h.found_level] ?? h.found_level ?? '')}
      ${esc(h.found_by ?? '')}${h.campaign ? ` · ${esc(h.campaign)}` : ''}</div>
    <div class="hz-meta">${h.status === 'closed' ? '' : deadlineHtml(h, lang)}${h.rectification
      ? `<div class="hz-rect"><b>${esc(T.rectification)}${T.colon}</b>${esc(h.rectification)}${h.rectified_on ? ` <small>(${esc(T.rectifiedOn)} ${esc(h.rectified_on)})</small>` : ''}</div>` : ''}</div>
    ${checksList(h.checks, lang)}${actions}</li>`;
}
// the not-closed hazards first (overdue first, then by deadline), the closed ones folded
export function sortHazards(hazards) {
  const rank = h => (h.status === 'closed' ? 2 : h.overdue ? 0 : 1);
  return [...(hazards || [])].sort((a, b) => rank(a) - rank(b) ||
    String(a.deadline ?? '9999').localeCompare(String(b.deadline ?? '9999')) || b.id - a.id);
}
export function hazardsHtml(hazards, lang, actionsOf = () => '', { foldClosed = true } = {}) {
  const T = TEXT[lang] || TEXT.zh;
  if (!hazards?.length) return `<p class="file-empty">${esc(T.noHazards)}</p>`;
  const sorted = sortHazards(hazards);
  const live = sorted.filter(h => h.status !== 'closed'), closed = sorted.filter(h => h.status === 'closed');
  const c = hazardCounts(hazards);
  return `<p class="hz-counts" data-counts='${esc(JSON.stringify(c))}'>${esc(T.counts(c))}</p>
    <ul class="hazards">${live.map(h => hazardItem(h, lang, actionsOf(h))).join('')}</ul>
    ${closed.length ? (foldClosed
      ? `<details class="hz-closed"><summary>${esc(T.closedN(closed.length))}</summary><ul class="hazards">${closed.map(h => hazardItem(h, lang, actionsOf(h))).join('')}</ul></details>`
      : `<ul class="hazards">${closed.map(h => hazardItem(h, lang)).join('')}</ul>`) : ''}`;
}

// ---------------------------------------------------------------------------------------------
// inspections and their coverage
export function inspectionsHtml(inspections, lang, kindLabel = k => k) {
  const T = TEXT[lang] || TEXT.zh;
  if (!inspections?.length) return `<p class="file-empty">${esc(T.noInspections)}</p>`;
  const point = c => `<span data-element-id="${esc(c.element_id)}">${esc(c.name || c.kind_label || kindLabel(c.kind))}${
    c.offset_m != null ? ` (${esc(T.offset(Math.round(Number(c.offset_m))))})` : ''}</span>`;
  return `<ul class="inspections">${inspections.map(i => {
    const nAll = Number(i.elements ?? 0), nVisited = Number(i.visited ?? 0), nMissed = Number(i.missed ?? 0);
    const toCorrect = Number(i.to_correct ?? 0);
    const missed = i.missed_points || [], off = i.positions_to_correct || [];
    return `<li data-inspection="${esc(i.id)}" data-missed="${nMissed}">
      <b>${esc(T.inspectionOf(i.level_label ?? T.level[i.level] ?? i.level ?? ''))}</b>${i.campaign ? ` · ${esc(i.campaign)}` : ''}
      <small>${esc(T.started)} ${esc(i.started_on ?? '')} · ${i.finished_on ? `${esc(T.finished)} ${esc(i.finished_on)}` : esc(T.unfinished)}${
        i.inspector ? ` · ${esc(T.inspector)} ${esc(i.inspector)}` : ''}</small>
      <div class="coverage"><span class="cov-bar" role="img" aria-label="${esc(T.visited(nVisited, nAll))}"><i style="width:${nAll ? r2(100 * nVisited / nAll) : 0}%"></i></span>
        ${esc(T.visited(nVisited, nAll))}${nMissed ? ` · <b class="missed">${esc(T.missed(nMissed))}</b>` : ''}${toCorrect
          ? ` · <span class="warn">${esc(T.toCorrectN(toCorrect))}</span>` : ''}</div>
      ${missed.length ? `<small class="missed-list">${esc(T.missedList)}${T.colon}${missed.map(point).join(T.sep)}</small>` : ''}
      ${off.length ? `<small class="to-correct-list warn">${esc(T.toCorrect)}${T.colon}${off.map(point).join(T.sep)}</small>` : ''}</li>`;
  }).join('')}</ul>`;
}

// ---------------------------------------------------------------------------------------------
// monitoring
//   assessment: monitoring_assessment rows [{ element_id, kind, name, parameter, sampled_on, value,
//     limit_max, limit_min, exceeds, background, ratio_to_background, unit }]
//   samples: [{ element_id, sampled_on, parameter, value, unit }] (the values in the limit's unit)
export function wellsOf(assessment) {
  const wells = new Map();
  for (const r of assessment || []) {
    if (!wells.has(r.element_id)) wells.set(r.element_id, { id: r.element_id, kind: r.kind, kind_label: r.kind_label, name: r.name, rows: [] });
    if (r.parameter) wells.get(r.element_id).rows.push(r);
  }
  // the background well first (the reference), then by id
  return [...wells.values()].sort((a, b) => (a.kind === 'gw_background_well' ? 0 : 1) - (b.kind === 'gw_background_well' ? 0 : 1) || a.id - b.id);
}
// the parameter a chart shows by default: one that exceeds somewhere, else manganese, else the first
// with a limit
export function defaultParameter(assessment) {
  const rows = (Array.isArray(assessment) ? assessment : assessment?.assessment || []).filter(r => r.parameter);
  return rows.find(r => r.exceeds)?.parameter ?? rows.find(r => r.parameter === 'manganese')?.parameter ??
    rows.find(r => r.limit_max != null)?.parameter ?? rows[0]?.parameter ?? null;
}
export function monitoringTable(monitoring, lang) {
  const T = TEXT[lang] || TEXT.zh;
  const paramLabel = paramLabels(monitoring);
  const wells = wellsOf(monitoring?.assessment);
  if (!wells.length) return `<p class="file-empty">${esc(T.noWells)}</p>`;
  return `<table class="file-table monitoring-table"><thead><tr><th>${esc(T.well)}</th><th>${esc(T.parameter)}</th>
    <th class="num">${esc(T.latest)}</th><th class="num">${esc(T.limit)}</th><th class="num">${esc(T.ratio)}</th></tr></thead>
    <tbody>${wells.map(w => {
      const head = `<td rowspan="${Math.max(1, w.rows.length)}" class="well">${esc(w.name || w.kind_label || w.kind)}<br><small>${esc(w.kind_label ?? T.wellKind[w.kind] ?? w.kind)}</small></td>`;
      if (!w.rows.length) return `<tr data-well="${w.id}">${head}<td colspan="4"><small>${esc(T.noSamples)}</small></td></tr>`;
      return w.rows.map((r, i) => {
        const lim = r.limit_min != null ? `${fmtNumber(r.limit_min, lang, 3)}–${fmtNumber(r.limit_max, lang, 3)}` : r.limit_max != null ? `≤ ${fmtNumber(r.limit_max, lang, 3)}` : T.noLimit;
        return `<tr data-well="${w.id}" data-parameter="${esc(r.parameter)}" data-exceeds="${r.exceeds === true}" class="${r.exceeds ? 'exceeds' : ''}">
          ${i === 0 ? head : ''}<td>${esc(paramLabel(r.parameter))}<br><small>${esc(r.sampled_on ?? '')}</small></td>
          <td class="num">${esc(fmtNumber(r.value, lang, 4))}${r.exceeds ? ` <b class="exceeds-mark">${esc(T.exceeds)}</b>` : ''}<br><small>${esc(unitLabel(r.unit, lang))}</small></td>
          <td class="num">${esc(lim)}</td>
          <td class="num">${r.ratio_to_background != null ? `${esc(fmtNumber(r.ratio_to_background, lang, 2))}×` : ''}</td></tr>`;
      }).join('');
    }).join('')}</tbody></table>`;
}
const unitLabel = (u, lang) => (u == null || u === '' || u === '无量纲' || u === 'dimensionless' ? (TEXT[lang] || TEXT.zh).unitless : u);

// one well's chart of one parameter over time: its values (a line and dots, red above the limit),
// the background well's values (a grey dashed line), the class III line(s) (red dashed)
//   series: [{ sampled_on, value }] of the well; background: the same of the background well (or
//   null when this is the background well); limit: { max, min, unit }
export function wellChart({ well, parameter, paramLabel = parameter, series, background, limit, lang, width = 372, height = 150 }) {
  const T = TEXT[lang] || TEXT.zh;
  const pts = (series || []).filter(s => s.value != null).map(s => ({ d: String(s.sampled_on).slice(0, 10), v: Number(s.value) }))
    .sort((a, b) => a.d.localeCompare(b.d));
  const bg = (background || []).filter(s => s.value != null).map(s => ({ d: String(s.sampled_on).slice(0, 10), v: Number(s.value) }))
    .sort((a, b) => a.d.localeCompare(b.d));
  const lmax = limit?.max != null ? Number(limit.max) : null, lmin = limit?.min != null ? Number(limit.min) : null;
  const all = [...pts, ...bg].map(p => p.v);
  const title = `${well.name || well.kind_label || T.wellKind[well.kind] || ''} · ${paramLabel}`;
  const head = `<svg class="chart well-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"
    role="img" aria-label="${esc(title)}" data-well="${esc(well.id)}" data-parameter="${esc(parameter)}"${lmax != null ? ` data-limit="${lmax}"` : ''}>
    <title>${esc(title)}</title>`;
  if (!pts.length)
    return `<p class="well-nodata" data-well="${esc(well.id)}">${esc(well.name || well.kind_label || '')}${T.colon}${esc(T.noSamples)}</p>`;
  let lo = lmin != null ? Math.min(lmin, ...all) : 0;
  let hi = Math.max(...all, lmax ?? -Infinity);
  if (lmin != null) { const pad = (hi - lo) * 0.1 || 0.5; lo -= pad; hi += pad; } else hi *= 1.12;
  const Y = niceTicks(lo, hi, 4);
  const days = [...pts, ...bg].map(p => Date.parse(p.d));
  let d0 = Math.min(...days), d1 = Math.max(...days);
  if (d1 - d0 < 86400000 * 20) { d0 -= 86400000 * 30; d1 += 86400000 * 30; }
  const m = { l: 42, r: 10, t: 16, b: 22 };
  const pw = width - m.l - m.r, ph = height - m.t - m.b;
  const x = d => r2(m.l + (Date.parse(d) - d0) / (d1 - d0) * pw);
  const y = v => r2(m.t + ph - (v - Y.lo) / (Y.hi - Y.lo) * ph);
  const out = [head];
  out.push(`<text x="${m.l}" y="11" font-size="10.5" font-weight="600" fill="#212529">${esc(title)}</text>`);
  for (const v of Y.ticks) {
    const yy = y(v);
    out.push(`<g class="tick y" data-value="${v}" data-y="${yy}"><line x1="${m.l}" x2="${m.l + pw}" y1="${yy}" y2="${yy}" stroke="#eef0f2"/>
      <text x="${m.l - 4}" y="${yy + 3.5}" text-anchor="end" font-size="9.5" fill="#495057">${esc(String(v))}</text></g>`);
  }
  // the years (or the dates when one year) along the bottom
  const y0 = new Date(d0).getUTCFullYear(), y1 = new Date(d1).getUTCFullYear();
  for (let yr = y0; yr <= y1 + 1; yr++) {
    const t = Date.UTC(yr, 0, 1);
    if (t < d0 || t > d1) continue;
    const xx = x(`${yr}-01-01`);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${m.t}" y2="${m.t + ph}" stroke="#dee2e6" stroke-dasharray="2 2"/>
      <text x="${xx + 2}" y="${m.t + ph - 3}" font-size="9" fill="#adb5bd">${yr}</text>`);
  }
  out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#495057"/>`);
  // the first and the last day sampled, at the ends of the time axis
  const first = [...pts, ...bg].reduce((a, p) => (p.d < a ? p.d : a), '9999'), last = [...pts, ...bg].reduce((a, p) => (p.d > a ? p.d : a), '');
  out.push(`<text class="x-first" x="${x(first)}" y="${height - 8}" font-size="9" fill="#868e96" text-anchor="start">${first.slice(0, 7)}</text>`);
  if (last !== first) out.push(`<text class="x-last" x="${x(last)}" y="${height - 8}" font-size="9" fill="#868e96" text-anchor="end">${last.slice(0, 7)}</text>`);
  // the class III limit(s)
  for (const [v, cls] of [[lmax, 'max'], [lmin, 'min']]) {
    if (v == null) continue;
    const yy = y(v);
    out.push(`<line class="limit-line" data-bound="${cls}" data-value="${v}" x1="${m.l}" x2="${m.l + pw}" y1="${yy}" y2="${yy}"
      stroke="#c92a2a" stroke-width="1.4" stroke-dasharray="6 3"/>
      <text x="${m.l + pw - 2}" y="${r2(yy - 3)}" text-anchor="end" font-size="9.5" fill="#c92a2a">${esc(T.limitLine(v))}</text>`);
  }
  const path = (ps, cls, stroke, dash) => ps.length > 1
    ? `<polyline class="${cls}" fill="none" stroke="${stroke}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ''}
        points="${ps.map(p => `${x(p.d)},${y(p.v)}`).join(' ')}"/>` : '';
  // the background well's values
  if (bg.length) {
    out.push(path(bg, 'bg-line', '#868e96', '4 3'));
    for (const p of bg) out.push(`<circle class="bg-sample" data-date="${p.d}" data-value="${p.v}" cx="${x(p.d)}" cy="${y(p.v)}" r="2.4" fill="#868e96"/>`);
  }
  out.push(path(pts, 'well-line', '#1971c2'));
  for (const p of pts) {
    const over = (lmax != null && p.v > lmax) || (lmin != null && p.v < lmin);
    out.push(`<circle class="sample${over ? ' over' : ''}" data-date="${p.d}" data-value="${p.v}" cx="${x(p.d)}" cy="${y(p.v)}" r="3.2"
      fill="${over ? '#c92a2a' : '#1971c2'}" stroke="#fff" stroke-width="1"><title>${p.d} ${p.v}</title></circle>`);
  }
  // the key: this well, the background well
  if (bg.length)
    out.push(`<line x1="${m.l + 4}" x2="${m.l + 18}" y1="${m.t + 6}" y2="${m.t + 6}" stroke="#868e96" stroke-width="1.8" stroke-dasharray="4 3"/>
      <text x="${m.l + 21}" y="${m.t + 9.5}" font-size="9.5" fill="#495057">${esc(T.bgSeries)}</text>`);
  out.push('</svg>');
  return out.join('');
}

// the labels of the parameters, as the file gives them (parameter_label, in its language)
export function paramLabels(monitoring) {
  const m = new Map();
  for (const r of [...(monitoring?.assessment || []), ...(monitoring?.series || [])])
    if (r.parameter && r.parameter_label && !m.has(r.parameter)) m.set(r.parameter, r.parameter_label);
  return p => m.get(p) ?? p;
}
// the parameters of the pond's samples, those with a limit first
export function parametersOf(monitoring) {
  const seen = new Map();
  for (const r of [...(monitoring?.assessment || []), ...(monitoring?.series || [])])
    if (r.parameter) seen.set(r.parameter, (seen.get(r.parameter) || false) || r.limit_max != null || r.limit_min != null);
  return [...seen.entries()].sort((a, b) => Number(b[1]) - Number(a[1])).map(([p]) => p);
}
// every well's chart of one parameter: the well's series (pond_file's monitoring.series), the
// background well's series of the same parameter, the class III limit
//   monitoring: { assessment, series: [{ element_id, kind, name, parameter, unit, limit_max, limit_min, series: [{ sampled_on, value }] }] }
export function wellCharts(monitoring, parameter, lang, opts = {}) {
  const assessment = monitoring?.assessment || [];
  const label = paramLabels(monitoring);
  const wells = wellsOf(assessment);
  const lim = assessment.find(r => r.parameter === parameter && (r.limit_max != null || r.limit_min != null));
  const unit = lim?.unit ?? assessment.find(r => r.parameter === parameter)?.unit;
  // a well's series of the parameter, in the limit's unit when it has one
  const seriesOf = id => {
    const all = (monitoring?.series || []).filter(x => x.element_id === id && x.parameter === parameter);
    return all.find(x => x.unit === unit) ?? all[0] ?? null;
  };
  const bgWell = wells.find(w => w.kind === 'gw_background_well');
  const bgSeries = bgWell ? seriesOf(bgWell.id) : null;
  return wells.map(w => {
    const own = seriesOf(w.id);
    // no history: the latest value the assessment knows
    const series = own?.series ?? w.rows.filter(r => r.parameter === parameter && r.value != null);
    const limit = lim ? { max: lim.limit_max, min: lim.limit_min }
      : own && (own.limit_max != null || own.limit_min != null) ? { max: own.limit_max, min: own.limit_min } : null;
    const bg = bgWell && bgWell.id !== w.id && bgSeries && bgSeries.unit === own?.unit ? bgSeries.series : null;
    return wellChart({ well: w, parameter, paramLabel: `${label(parameter)}${own?.unit ? ` (${unitLabel(own.unit, lang)})` : ''}`,
      series, background: bg, limit, lang, ...opts });
  }).join('');
}
