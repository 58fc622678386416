// Inspection mode (三级核查 on the ground, design §8; issue 13 item 10), for a county, city or
// province inspector signed in on a phone:
//  - the pond file gets 现场巡查: start an inspection (POST /api/ponds/{id}/inspections, with a
//    campaign), or go on with one of the member's level still running;
//  - the panel (on a phone the sheet over the lower part of the map) shows the inspection: the
//    checklist in walking order (GET /api/ponds/{id}/checklist, the server's seq order), the
//    point to walk to next with the distance and direction to it from the device's position
//    (navigator.geolocation.watchPosition; the distance on the CGCS2000 ellipsoid, as PostGIS
//    measures the visits' offsets), four large buttons that record the visit with the state
//    found (正常 / 异常 / 停用 / 未找到) and the note, where the device stands
//    (PUT /api/inspections/{iid}/visits/{element_id}), skipping a point, and a hazard at the spot
//    (POST /api/ponds/{id}/hazards with the device's position and the element);
//  - the map shows the numbered points, the walking line from the registry point through them in
//    order, each point's state, the device's position (its accuracy as a disc) and a line to the
//    next point; a tap on a point makes it the next one;
//  - finishing lists the points not visited (遗漏点位) for a confirmation; once finished
//    (PATCH /api/inspections/{iid}), the server's coverage (GET /api/inspections/{iid}) shows the
//    missed points and the positions to correct (found more than 30 m from where they are mapped).
// Through a short loss of network the inspector goes on: every write goes through the outbox
// (outbox.js: localStorage, sent in order when the network is back), shown as 待发送 (queued)
// until the server has it; the inspection itself and its checklist are kept in localStorage too,
// so that a reload returns to it.  A write the server refuses (4xx) is dropped and said so.
import { apiCall as call } from './auth.js';
import { geodesic, circle } from './geo.js';
import { Outbox } from './outbox.js';

const TEXT = {
  zh: {
    section: '现场巡查', campaign: '检查任务（可选，如 2025年汛前检查）', begin: '开始巡查', resume: '继续巡查',
    running: '进行中的巡查', startedOn: d => `${d} 开始`, by: '检查人', starting: '正在创建巡查并读取点位清单…',
    needNetwork: '开始巡查需要网络：请在有信号处开始，之后短时断网不影响记录',
    title: '巡查', backToFile: '档案', viewWalk: '全程', viewMe: '我的位置', close: '关闭巡查', resumeButton: n => `巡查中 #${n}`,
    progress: (v, n) => `已查 ${v}/${n}`, queued: n => `待发送 ${n}`, allSent: '已全部发送', sending: '发送中…',
    offline: '离线：记录保存在本机，联网后自动发送',
    gpsWaiting: '正在定位…', gpsAccuracy: m => `定位 ±${m} m`, gpsDenied: '无法定位：未允许使用位置（记录将不含位置）',
    gpsUnavailable: '无法定位：暂无卫星或网络定位信号', gpsUnsupported: '此浏览器不支持定位',
    next: '下一点', allVisited: '全部点位已检查，可以完成巡查', distance: '距离', here: '已到达附近',
    noFix: '尚无定位', bearing: ['北', '东北', '东', '东南', '南', '西南', '西', '西北'],
    note: '备注（可选，先填写再选择状态）', prev: '‹ 上一点', skip: '跳过 ›', hazard: '⚠ 记录隐患',
    states: { normal: '正常', abnormal: '异常', out_of_service: '停用', not_found: '未找到' },
    sync: { queued: '待发送', sending: '发送中', sent: '已发送', refused: '被拒绝' },
    pending: '未查', missed: '遗漏', toCorrect: m => `位置偏差 ${m} m，需校核`, offset: m => `偏差 ${m} m`,
    recorded: (seq, name, st) => `#${seq} ${name}：${st}`,
    finish: '完成巡查', finishTitle: '完成巡查？', finishMissed: n => `以下 ${n} 个点位尚未检查，完成后将记为遗漏点位：`,
    finishNone: n => `${n} 个点位均已检查。`, finishQueued: n => `另有 ${n} 条记录待发送，将在联网后按顺序发送。`,
    finishConfirm: '确认完成', finishCancel: '返回继续检查', finishing: '正在完成…（待发送）',
    finished: d => `已于 ${d} 完成`, summary: (v, n, m, c) => `已查 ${v}/${n}，遗漏 ${m}，需校核位置 ${c}`,
    coverageLoading: '正在读取核查结果…', coverageFailed: '未能读取核查结果，联网后重试',
    key: { pending: '未查', target: '下一点', normal: '正常', abnormal: '异常', out_of_service: '停用', not_found: '未找到', missed: '遗漏', queued: '待发送', correct: '需校核' },
    hazardTitle: '记录隐患', hazardAt: '位置', hazardElement: '关联要素', hazardNoElement: '不关联要素（仅记录位置）',
    hazardDescription: '隐患描述（必填）', hazardSeverity: '等级', severity: { general: '一般', major: '重大' },
    hazardDeadline: '整改期限（可选）', hazardSave: '保存', hazardCancel: '取消', hazardNeedText: '请填写隐患描述',
    hazardNoFix: '尚无定位：隐患将记在所选要素的位置', hazardQueued: '隐患已记录（待发送）', hazardSent: id => `隐患 #${id} 已记录`,
    hazards: '本次记录的隐患',
    refused: (what, msg) => `${what} 被服务器拒绝：${msg}`, dismiss: '知道了',
    what: { visit: (seq, name) => `#${seq} ${name} 的检查记录`, hazard: '隐患记录', finish: '完成巡查' },
    err: { 0: '无法连接服务器', 401: '登录已失效，请重新登录', 403: '无权执行此操作', 404: '未找到：不存在或不在您的权限范围内', 409: '数据冲突，请稍后重试', 422: m => `不符合规则：${m}`, other: (s, m) => `HTTP ${s}：${m}` },
    loadFailed: '加载失败',
  },
  en: {
    section: 'Inspection on the ground', campaign: 'Campaign (optional, e.g. 2025 pre-flood inspection)', begin: 'Start an inspection', resume: 'Go on',
    running: 'Inspections under way', startedOn: d => `started ${d}`, by: 'by', starting: 'Starting the inspection and reading the checklist…',
    needNetwork: 'Starting an inspection needs the network: start where there is a signal; a short loss of it later does not stop you',
    title: 'Inspection', backToFile: 'Pond file', viewWalk: 'Whole walk', viewMe: 'Me', close: 'Close the inspection', resumeButton: n => `Inspection #${n}`,
    progress: (v, n) => `${v}/${n} visited`, queued: n => `${n} queued`, allSent: 'all sent', sending: 'sending…',
    offline: 'Offline: records are kept on this device and sent when the network is back',
    gpsWaiting: 'Finding your position…', gpsAccuracy: m => `position ±${m} m`, gpsDenied: 'No position: location access not allowed (visits go without one)',
    gpsUnavailable: 'No position: no satellite or network fix', gpsUnsupported: 'This browser cannot give a position',
    next: 'Next point', allVisited: 'Every point visited: you may finish', distance: 'Distance', here: 'you are there',
    noFix: 'no position yet', bearing: ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'],
    note: 'Note (optional: write it, then choose the state)', prev: '‹ Previous', skip: 'Skip ›', hazard: '⚠ Record a hazard',
    states: { normal: 'Normal', abnormal: 'Abnormal', out_of_service: 'Out of service', not_found: 'Not found' },
    sync: { queued: 'queued', sending: 'sending', sent: 'sent', refused: 'refused' },
    pending: 'not visited', missed: 'missed', toCorrect: m => `${m} m off: position to correct`, offset: m => `${m} m off`,
    recorded: (seq, name, st) => `#${seq} ${name}: ${st}`,
    finish: 'Finish the inspection', finishTitle: 'Finish the inspection?', finishMissed: n => `These ${n} points were not visited; they will be recorded as missed:`,
    finishNone: n => `All ${n} points visited.`, finishQueued: n => `${n} records are still queued; they are sent in order when the network is back.`,
    finishConfirm: 'Finish', finishCancel: 'Back to the walk', finishing: 'Finishing… (queued)',
    finished: d => `Finished on ${d}`, summary: (v, n, m, c) => `${v}/${n} visited, ${m} missed, ${c} positions to correct`,
    coverageLoading: 'Reading the coverage…', coverageFailed: 'Could not read the coverage: tried again when online',
    key: { pending: 'to visit', target: 'next', normal: 'normal', abnormal: 'abnormal', out_of_service: 'out of service', not_found: 'not found', missed: 'missed', queued: 'queued', correct: 'to correct' },
    hazardTitle: 'Record a hazard', hazardAt: 'Position', hazardElement: 'Element', hazardNoElement: 'No element (the position only)',
    hazardDescription: 'What is wrong (required)', hazardSeverity: 'Severity', severity: { general: 'General', major: 'Major' },
    hazardDeadline: 'Deadline (optional)', hazardSave: 'Save', hazardCancel: 'Cancel', hazardNeedText: 'Describe the hazard first',
    hazardNoFix: 'No position yet: the hazard is put at the chosen element', hazardQueued: 'Hazard recorded (queued)', hazardSent: id => `Hazard #${id} recorded`,
    hazards: 'Hazards recorded here',
    refused: (what, msg) => `${what} was refused by the server: ${msg}`, dismiss: 'OK',
    what: { visit: (seq, name) => `The visit of #${seq} ${name}`, hazard: 'A hazard', finish: 'Finishing the inspection' },
    err: { 0: 'Could not reach the server', 401: 'Your session ended: sign in again', 403: 'Not allowed', 404: 'Not found, or outside your scope', 409: 'A conflict: try again later', 422: m => `Breaks a rule: ${m}`, other: (s, m) => `HTTP ${s}: ${m}` },
    loadFailed: 'Could not load',
  },
};
const STATES = ['normal', 'abnormal', 'out_of_service', 'not_found'];
// the points' colours on the map and in the list
export const COLOURS = {
  pending: '#ffffff', target: '#fab005', normal: '#2f9e44', abnormal: '#e8590c', out_of_service: '#868e96',
  not_found: '#5f3dc4', missed: '#e03131', queued: '#1971c2', correct: '#d6336c', me: '#1971c2', walk: '#1f3b4d', hazard: '#c92a2a',
};
const BUREAUS = ['county', 'city', 'province'];
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const $ = id => document.getElementById(id);
const today = () => new Date().toLocaleDateString('sv');
const phone = () => matchMedia('(max-width: 700px)').matches;
const reduced = () => matchMedia('(prefers-reduced-motion: reduce)').matches;
const EMPTY = { type: 'FeatureCollection', features: [] };
const LAYERS = ['inspect-me-accuracy', 'inspect-walk', 'inspect-to-target', 'inspect-correct', 'inspect-queued', 'inspect-point',
  'inspect-label', 'inspect-hazard', 'inspect-hazard-label', 'inspect-me'];

export function installInspect({ map, state, openPond, identify }) {
  const who = state.who;
  const stub = { enabled: false, show: async () => {}, start: async () => {}, leave: () => {} };
  if (!who?.signedIn || !BUREAUS.includes(who.level)) return stub;
  const T = () => TEXT[state.lang] || TEXT.zh;
  const KEY = `tailings.inspect.${who.role}`;
  const kindLabel = code => state.kinds.get(code)?.[`label_${state.lang}`] ?? code;
  const I = state.inspect = { active: load(), shown: false, fix: null, geo: 'waiting', watch: null, errors: [], flash: '', mapReady: false };

  // ---- the inspection under way, kept in localStorage (a reload, or a walk out of the network)
  function load() {
    try {
      const v = JSON.parse(localStorage.getItem(KEY) || 'null');
      return v && v.iid && Array.isArray(v.checklist) ? v : null;
    } catch { return null; }
  }
  function save() {
    try {
      if (I.active) localStorage.setItem(KEY, JSON.stringify(I.active)); else localStorage.removeItem(KEY);
    } catch { /* full: kept in this page */ }
  }

  // ---- requests
  const json = (method, body) => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  function errorText(res) {
    const e = T().err;
    const m = res?.body?.error || res?.error || '';
    const s = res?.status ?? 0;
    const v = e[s];
    return typeof v === 'function' ? v(m) : v ? (m && s !== 0 ? `${v}（${m}）` : v) : e.other(s, m);
  }

  // the outbox: one per member; a hazard whose POST may have reached the server is looked for
  // there first (the same description and place, found today), so that it is not made twice
  const outbox = new Outbox(`tailings.outbox.${who.role}`, async item => {
    if (item.kind === 'hazard' && item.uncertain) {
      const seen = await call(`/api/ponds/${item.meta.pond_id}/hazards`);
      if (!seen.ok) return seen;
      const b = item.body;
      const same = (seen.body || []).find(h => h.description === b.description && (h.element_id ?? null) === (b.element_id ?? null) &&
        h.found_on === item.meta.found_on && (b.lon == null || (Math.abs(h.lon - b.lon) < 1e-7 && Math.abs(h.lat - b.lat) < 1e-7)));
      if (same) return { ok: true, status: 200, body: same };
    }
    return call(item.path, json(item.method, item.body));
  });
  outbox.addEventListener('change', () => { if (I.shown) renderSync(); renderList(); });
  outbox.addEventListener('sent', e => sent(e.detail.item, e.detail.body));
  outbox.addEventListener('dropped', e => dropped(e.detail.item, { status: e.detail.status, body: e.detail.body }));
  outbox.addEventListener('held', () => { if (I.shown) renderSync(); });
  window.addEventListener('online', () => { if (I.shown) renderSync(); if (I.active?.finished_on && !I.active.coverage) loadCoverage(); });
  window.addEventListener('offline', () => { if (I.shown) renderSync(); });

  function sent(item, body) {
    const a = I.active;
    if (!a || item.meta.iid !== a.iid) return;
    if (item.kind === 'visit') {
      const rec = a.visits[item.meta.element_id];
      if (rec && rec.visited_at === item.body.visited_at) {
        rec.sent = true;
        rec.id = body?.id ?? rec.id;
        rec.offset_m = body?.offset_m ?? null;
      }
    } else if (item.kind === 'hazard') {
      const h = a.hazards.find(x => x.key === item.id);
      if (h) { h.id = body?.id ?? null; h.lon = body?.lon ?? h.lon; h.lat = body?.lat ?? h.lat; }
      say(T().hazardSent(body?.id ?? ''));
    } else if (item.kind === 'finish') {
      a.finished_on = body?.finished_on ?? item.body.finished_on;
      a.finishing = false;
      save();
      loadCoverage();
    }
    save();
    render();
  }
  function dropped(item, res) {
    const a = I.active;
    const t = T();
    let what = t.what[item.kind];
    if (item.kind === 'visit') {
      const p = a?.checklist.find(x => x.element_id === item.meta.element_id);
      what = t.what.visit(p?.seq ?? item.meta.seq, p?.name ?? item.meta.name ?? '');
    }
    say('');
    I.errors.push({ id: item.id, kind: item.kind, status: res.status, text: t.refused(what, errorText(res)), element_id: item.meta.element_id ?? null });
    if (a && item.meta.iid === a.iid) {
      if (item.kind === 'visit') {
        // the point is to visit again: nothing of it is on the server
        const rec = a.visits[item.meta.element_id];
        if (rec && rec.visited_at === item.body.visited_at && !rec.sent) delete a.visits[item.meta.element_id];
      } else if (item.kind === 'hazard') {
        a.hazards = a.hazards.filter(h => h.key !== item.id);
      } else if (item.kind === 'finish') {
        a.finishing = false;
      }
      save();
    }
    render();
  }

  // ---- the device's position
  function watchPosition() {
    if (I.watch != null) return;
    if (!navigator.geolocation) { I.geo = 'unsupported'; return; }
    I.geo = I.fix ? 'ok' : 'waiting';
    I.watch = navigator.geolocation.watchPosition(p => {
      const first = !I.fix;
      I.fix = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy, at: p.timestamp };
      I.geo = 'ok';
      if (first) renderReturn();
      drawMe();
      renderTarget();
      renderGps();
      showLeg();
    }, err => {
      I.geo = err.code === 1 ? 'denied' : 'unavailable';
      renderGps();
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 60000 });
  }
  function stopWatching() {
    if (I.watch != null) navigator.geolocation.clearWatch(I.watch);
    I.watch = null;
  }

  // ---- what the points are: visited (and its state), queued, missed, to correct
  const visitPath = (a, eid) => `/api/inspections/${a.iid}/visits/${eid}`;
  function syncOf(a, eid) {
    const path = visitPath(a, eid);
    const item = outbox.items().find(x => x.path === path);
    if (item) return outbox.isSending(item.id) ? 'sending' : 'queued';
    return a.visits[eid]?.sent ? 'sent' : null;
  }
  // once finished, the server's coverage says what was visited (what this phone sent is there by
  // then: the end of the inspection was sent after its visits)
  function statusOf(a, p) {
    const rec = a.visits[p.element_id];
    const cov = a.coverage?.find(c => c.element_id === p.element_id);
    if (cov) return cov.visited ? cov.state : 'missed';
    if (rec) return rec.state;
    if (a.finished_on || a.finishing) return 'missed';
    return 'pending';
  }
  function correctOf(a, p) {
    const cov = a.coverage?.find(c => c.element_id === p.element_id);
    if (cov) return cov.to_correct ? cov.offset_m : null;
    const rec = a.visits[p.element_id];
    return rec && rec.state !== 'not_found' && rec.offset_m > 30 ? rec.offset_m : null;
  }
  const visitedCount = a => a.checklist.filter(p => !['pending', 'missed'].includes(statusOf(a, p))).length;
  const missedPoints = a => a.checklist.filter(p => !a.visits[p.element_id]);
  // the next point to walk to: the one chosen, else the first unvisited after the last visited
  function target(a) {
    if (a.finished_on || a.finishing) return null;
    const chosen = a.checklist.find(p => p.element_id === a.target);
    if (chosen) return chosen;
    return a.checklist.find(p => !a.visits[p.element_id]) || null;
  }
  function advance(a, from) {
    const i = a.checklist.findIndex(p => p.element_id === from);
    const after = a.checklist.slice(i + 1).find(p => !a.visits[p.element_id]);
    const next = after || a.checklist.find(p => !a.visits[p.element_id] && p.element_id !== from) || null;
    a.target = next?.element_id ?? null;
  }

  // ---- the pond file: start or go on
  document.addEventListener('tailings:pond', e => decoratePond(e.detail));
  async function decoratePond(file) {
    if (I.shown) leave({ reopen: false });
    const head = document.querySelector('#panel-body .sub') || document.querySelector('#panel-body h2');
    if (!head || $('inspect-start')) return;
    const t = T();
    const sec = document.createElement('section');
    sec.id = 'inspect-start';
    sec.dataset.pond = String(file.id);
    const mine = I.active && I.active.pond_id === file.id ? I.active : null;
    sec.innerHTML = `<h3>${esc(t.section)}</h3>
      ${mine ? `<button type="button" class="inspect-big primary" id="inspect-resume-local" data-resume="${mine.iid}">▶ ${esc(t.resume)} #${mine.iid}${mine.campaign ? ` · ${esc(mine.campaign)}` : ''}</button>` : ''}
      <form id="inspect-new">
        <input type="text" id="inspect-campaign" placeholder="${esc(t.campaign)}" aria-label="${esc(t.campaign)}" autocomplete="off">
        <button type="submit" class="inspect-big ${mine ? '' : 'primary'}" id="inspect-begin">${esc(t.begin)}</button>
      </form>
      <p class="inspect-error" id="inspect-start-error" role="alert" hidden></p>
      <p class="inspect-note" id="inspect-start-status" role="status"></p>
      <ul class="inspect-running" id="inspect-running"></ul>`;
    head.after(sec);
    $('inspect-new').addEventListener('submit', ev => {
      ev.preventDefault();
      start(file.id, $('inspect-campaign').value.trim() || null);
    });
    sec.addEventListener('click', ev => {
      const iid = ev.target.closest('[data-resume]')?.dataset.resume;
      if (iid) resume(Number(iid), file.id);
    });
    // the member's level's inspections of this pond still running (another device's, a lost one)
    const res = await call(`/api/ponds/${file.id}/inspections`);
    if (!res.ok || !$('inspect-running') || sec.dataset.pond !== String(file.id)) return;
    const running = (res.body || []).filter(x => !x.finished_on && x.level === who.level && x.id !== mine?.iid);
    if (!running.length) return;
    $('inspect-running').innerHTML = `<li class="inspect-sub">${esc(t.running)}</li>` + running.map(x => `
      <li><button type="button" class="inspect-big" data-resume="${x.id}">▶ ${esc(t.resume)} #${x.id} · ${esc(t.startedOn(x.started_on))}
        ${x.campaign ? ` · ${esc(x.campaign)}` : ''}<small>${esc(t.by)} ${esc(x.inspector)} · ${esc(t.progress(x.visited ?? 0, x.elements ?? '?'))}</small></button></li>`).join('');
  }
  function startError(res, text) {
    const el = $('inspect-start-error');
    if (!el) return;
    el.hidden = !res && !text;
    el.textContent = text || (res ? errorText(res) : '');
  }
  const startStatus = text => { if ($('inspect-start-status')) $('inspect-start-status').textContent = text || ''; };

  async function start(pondId, campaign) {
    const t = T();
    startError(null);
    if (navigator.onLine === false) { startError(null, t.needNetwork); return; }
    startStatus(t.starting);
    $('inspect-begin').disabled = true;
    try {
      const list = await call(`/api/ponds/${pondId}/checklist`);
      if (!list.ok) { startError(list); return; }
      const res = await call(`/api/ponds/${pondId}/inspections`, json('POST', campaign ? { campaign } : {}));
      if (!res.ok) { startError(res); return; }
      const x = res.body;
      I.active = {
        iid: x.id, pond_id: pondId, level: x.level, campaign: x.campaign, inspector: x.inspector, started_on: x.started_on,
        finished_on: x.finished_on ?? null, checklist: list.body, visits: {}, hazards: [], target: null, coverage: null,
      };
      save();
      show();
    } finally {
      if ($('inspect-begin')) $('inspect-begin').disabled = false;
      startStatus('');
    }
  }
  // an inspection of the server (another device's, or after this one's storage was cleared), or
  // the one kept here
  async function resume(iid, pondId) {
    if (I.active?.iid === iid) { show(); return; }
    startError(null);
    startStatus(T().starting);
    const [insp, list] = await Promise.all([call(`/api/inspections/${iid}`), call(`/api/ponds/${pondId}/checklist`)]);
    startStatus('');
    if (!insp.ok || !list.ok) { startError(insp.ok ? list : insp); return; }
    const x = insp.body;
    const visits = {};
    for (const v of x.visits || [])
      if (v.element_id != null) visits[v.element_id] = { state: v.state, note: v.note, lon: v.lon, lat: v.lat, visited_at: v.visited_at, sent: true, id: v.id, offset_m: v.offset_m };
    I.active = {
      iid: x.id, pond_id: x.pond_id, level: x.level, campaign: x.campaign, inspector: x.inspector, started_on: x.started_on,
      finished_on: x.finished_on ?? null, checklist: list.body, visits, hazards: [], target: null,
      coverage: x.finished_on ? x.coverage : null,
    };
    save();
    show();
  }

  // ---- the panel: the inspection instead of the pond's file
  const panel = document.createElement('div');
  panel.id = 'inspect-panel';
  panel.hidden = true;
  $('panel-body').after(panel);
  bindOnce();
  // on the map, top left: back to the inspection under way (when its panel is not shown); while
  // it is shown, the whole walk in view, and the device's position in view
  const mapBar = document.createElement('div');
  mapBar.id = 'inspect-mapbar';
  mapBar.innerHTML = `<button type="button" id="inspect-return" hidden></button>
    <button type="button" id="inspect-view-walk" hidden></button><button type="button" id="inspect-view-me" hidden></button>`;
  $('map').append(mapBar);
  const resumeButton = mapBar.querySelector('#inspect-return');
  resumeButton.addEventListener('click', () => show());
  mapBar.querySelector('#inspect-view-walk').addEventListener('click', () => { I.follow = false; fitWalk(); });
  mapBar.querySelector('#inspect-view-me').addEventListener('click', () => { I.follow = true; showLeg({ force: true }); });
  // the map follows the walk (the device and the next point kept in view) until the inspector
  // moves it by hand; ⌖ follows again
  for (const ev of ['dragstart', 'zoomstart', 'rotatestart', 'pitchstart'])
    map.on(ev, e => { if (I.shown && e.originalEvent) I.follow = false; });

  function takePanel() {
    const wasHidden = $('panel').hidden;
    state.panelPond = null;   // no pond file is shown: the live refresh leaves the panel alone
    for (const tr of document.querySelectorAll('#ponds tbody tr.selected')) tr.classList.remove('selected');
    $('panel-body').hidden = true;
    if ($('review-panel')) $('review-panel').hidden = true;
    panel.hidden = false;
    $('panel').hidden = false;
    $('panel').classList.add('inspecting');
    document.body.classList.add('inspecting');
    if (wasHidden) map.resize();
    $('panel').scrollTop = 0;
  }
  // the mode left (the panel closed, a pond's file opened): the inspection stays, to go on with
  function leave({ reopen = true } = {}) {
    if (!I.shown) return;
    I.shown = false;
    stopWatching();
    panel.hidden = true;
    $('panel-body').hidden = false;
    $('panel').classList.remove('inspecting');
    document.body.classList.remove('inspecting');
    for (const id of LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
    map.setPadding({ top: 0, left: 0, right: 0, bottom: 0 });
    const pond = I.active?.pond_id;
    renderReturn();
    if (reopen && pond != null) openPond(pond);
    else map.resize();
  }
  document.addEventListener('tailings:panel-closed', () => leave({ reopen: false }));
  document.addEventListener('tailings:open-pond', () => leave({ reopen: false }));
  // while inspecting, a tap on the map chooses a point to walk to (identify.js asks first)
  identify?.claim?.(e => {
    if (!I.shown) return false;
    const hit = map.queryRenderedFeatures([[e.point.x - 14, e.point.y - 14], [e.point.x + 14, e.point.y + 14]], { layers: ['inspect-point'] })[0];
    if (hit && I.active && !I.active.finished_on) choose(Number(hit.properties.element_id), { fly: false });
    return true;
  });

  async function show() {
    if (!I.active) return;
    await mapLoaded;
    I.shown = true;
    takePanel();
    addLayers();
    for (const id of LAYERS) map.setLayoutProperty(id, 'visibility', 'visible');
    panel.innerHTML = skeleton();
    bindPanel();
    watchPosition();
    render();
    drawMe();
    sheetPadding();
    fitWalk();
    I.follow = false;   // the whole walk first; the first step (or ⌖) follows
    renderReturn();
    if (I.active.finished_on && !I.active.coverage) loadCoverage();
    outbox.flush();
  }
  function renderReturn() {
    const t = T();
    resumeButton.hidden = !I.active || I.shown;
    resumeButton.textContent = I.active ? `${t.resumeButton(I.active.iid)} ›` : '';
    const walkButton = $('inspect-view-walk'), meButton = $('inspect-view-me');
    walkButton.hidden = meButton.hidden = !I.shown;
    walkButton.textContent = t.viewWalk;
    meButton.textContent = `⌖ ${t.viewMe}`;
    meButton.disabled = !I.fix;
  }

  function skeleton() {
    const t = T();
    const key = ['pending', 'target', 'normal', 'abnormal', 'out_of_service', 'not_found', 'queued', 'missed', 'correct'];
    return `<div class="inspect-head">
        <h2 id="inspect-title"></h2>
        <button type="button" class="inspect-link" id="inspect-to-file">${esc(t.backToFile)}</button>
      </div>
      <p class="inspect-status"><span id="inspect-campaign-name"></span><span id="inspect-progress"></span><span id="inspect-sync" role="status"></span><span id="inspect-gps"></span></p>
      <div id="inspect-errors" role="alert"></div>
      <p id="inspect-flash" class="inspect-flash" role="status"></p>
      <section id="inspect-current"></section>
      <section id="inspect-done" hidden></section>
      <ol id="inspect-list" class="inspect-list"></ol>
      <ul id="inspect-hazards" class="inspect-hazards"></ul>
      <div class="inspect-foot"><button type="button" class="inspect-big primary" id="inspect-finish"></button></div>
      <ul class="inspect-key">${key.map(k => `<li><span class="inspect-dot ${k}"></span>${esc(t.key[k])}</li>`).join('')}</ul>
      <dialog id="inspect-finish-dialog" class="inspect-dialog"></dialog>
      <dialog id="inspect-hazard-dialog" class="inspect-dialog"></dialog>`;
  }
  function bindPanel() {
    $('inspect-to-file').addEventListener('click', () => leave());
    $('inspect-finish').addEventListener('click', () => (I.active?.finished_on ? closeInspection() : askFinish()));
  }
  // (once: the panel stays, its content is made again at each show)
  function bindOnce() {
    panel.addEventListener('click', e => {
      const st = e.target.closest('[data-state]')?.dataset.state;
      if (st && e.target.closest('#inspect-current')) { record(st); return; }
      if (e.target.closest('#inspect-skip')) { skip(1); return; }
      if (e.target.closest('#inspect-prev')) { skip(-1); return; }
      if (e.target.closest('#inspect-hazard')) { askHazard(); return; }
      const dismiss = e.target.closest('[data-dismiss]')?.dataset.dismiss;
      if (dismiss) { I.errors = I.errors.filter(x => x.id !== dismiss); renderErrors(); return; }
      const li = e.target.closest('#inspect-list li[data-element]');
      if (li) choose(Number(li.dataset.element), { fly: true });
    });
    panel.addEventListener('keydown', e => {
      const li = e.target.closest('#inspect-list li[data-element]');
      if (li && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); choose(Number(li.dataset.element), { fly: true }); }
    });
  }

  // ---- rendering
  function render() {
    if (!I.shown || !I.active) return;
    const a = I.active;
    const t = T();
    const pond = state.pondById.get(a.pond_id);
    $('inspect-title').textContent = `${t.title} #${a.iid} · ${pond?.name ?? `#${a.pond_id}`}`;
    $('inspect-title').title = $('inspect-title').textContent;
    $('inspect-campaign-name').textContent = a.campaign || '';
    $('inspect-progress').textContent = t.progress(visitedCount(a), a.checklist.length);
    renderSync();
    renderGps();
    renderErrors();
    renderTarget();
    renderList();
    renderHazards();
    renderDone();
    const fin = $('inspect-finish');
    fin.textContent = a.finished_on ? t.close : a.finishing ? t.finishing : `✔ ${t.finish}`;
    fin.disabled = !!a.finishing && !a.finished_on;
    fin.classList.toggle('primary', !a.finished_on);
    drawPoints();
    renderReturn();
  }
  function renderSync() {
    if (!I.shown) return;
    const t = T();
    const n = outbox.items().filter(x => x.meta?.iid === I.active?.iid || !I.active).length;
    const el = $('inspect-sync');
    const off = navigator.onLine === false;
    el.textContent = off ? `${t.queued(n)} · ${t.offline}` : n ? (outbox.sending ? `${t.queued(n)} · ${t.sending}` : t.queued(n)) : t.allSent;
    el.dataset.queued = String(n);
    el.dataset.offline = String(off);
    el.className = off ? 'off' : n ? 'queued' : 'sent';
  }
  function renderGps() {
    if (!I.shown) return;
    const t = T();
    const el = $('inspect-gps');
    const text = I.geo === 'ok' && I.fix ? t.gpsAccuracy(Math.round(I.fix.accuracy)) : I.geo === 'denied' ? t.gpsDenied
      : I.geo === 'unavailable' ? t.gpsUnavailable : I.geo === 'unsupported' ? t.gpsUnsupported : t.gpsWaiting;
    el.textContent = text;
    el.dataset.geo = I.geo;
  }
  function renderErrors() {
    if (!I.shown) return;
    const t = T();
    $('inspect-errors').innerHTML = I.errors.map(x => `<p class="inspect-error" data-error="${esc(x.id)}" data-status="${x.status}"
      ${x.element_id != null ? `data-element="${x.element_id}"` : ''}>${esc(x.text)}
      <button type="button" data-dismiss="${esc(x.id)}">${esc(t.dismiss)}</button></p>`).join('');
  }
  function say(text) {
    I.flash = text;
    if (I.shown) $('inspect-flash').textContent = text;
  }
  function renderTarget() {
    if (!I.shown || !I.active) return;
    const a = I.active;
    const t = T();
    const el = $('inspect-current');
    el.hidden = !!(a.finished_on || a.finishing);
    if (el.hidden) { drawToTarget(null); return; }
    const p = target(a);
    if (!p) {
      el.innerHTML = `<p class="inspect-all" id="inspect-all-visited">${esc(t.allVisited)}</p>
        <div class="inspect-nav"><button type="button" class="inspect-big" id="inspect-hazard">${esc(t.hazard)}</button></div>`;
      el.dataset.element = '';
      drawToTarget(null);
      return;
    }
    const d = I.fix ? geodesic([I.fix.lon, I.fix.lat], [p.lon, p.lat]) : null;
    const rec = a.visits[p.element_id];
    const dir = d && d.distance >= 1 ? t.bearing[Math.round(d.bearing / 45) % 8] : '';
    const near = d && d.distance <= Math.max(15, I.fix.accuracy || 0);
    // the note field is kept as it is while the position moves (it is being typed)
    if (el.dataset.element !== String(p.element_id) || !$('inspect-note')) {
      el.dataset.element = String(p.element_id);
      el.innerHTML = `<div class="inspect-target">
          <span class="inspect-seq" id="inspect-target-seq"></span>
          <div><b id="inspect-target-name"></b><small id="inspect-target-kind"></small></div>
        </div>
        <p class="inspect-distance"><span id="inspect-distance"></span><span id="inspect-arrow" aria-hidden="true">↑</span><span id="inspect-direction"></span></p>
        <textarea id="inspect-note" rows="1"></textarea>
        <div class="inspect-states">${STATES.map(s => `<button type="button" class="inspect-big state-${s}" data-state="${s}" id="inspect-state-${s}"></button>`).join('')}</div>
        <div class="inspect-nav">
          <button type="button" class="inspect-big" id="inspect-prev"></button>
          <button type="button" class="inspect-big" id="inspect-skip"></button>
          <button type="button" class="inspect-big hazard" id="inspect-hazard"></button>
        </div>`;
      $('inspect-note').value = rec?.note ?? '';
    }
    $('inspect-target-seq').textContent = String(p.seq);
    $('inspect-target-name').textContent = p.name || kindLabel(p.kind);
    $('inspect-target-kind').textContent = `${t.next} · ${kindLabel(p.kind)}${rec ? ` · ${t.states[rec.state]}` : ''}`;
    $('inspect-note').placeholder = t.note;
    $('inspect-note').setAttribute('aria-label', t.note);
    for (const s of STATES) {
      const b = $(`inspect-state-${s}`);
      b.textContent = t.states[s];
      b.setAttribute('aria-pressed', String(rec?.state === s));
    }
    $('inspect-prev').textContent = t.prev;
    $('inspect-skip').textContent = t.skip;
    $('inspect-hazard').textContent = t.hazard;
    const dist = $('inspect-distance');
    dist.textContent = d ? `${t.distance} ${Math.round(d.distance)} m${near ? ` · ${t.here}` : ''}` : t.noFix;
    dist.dataset.m = d ? String(d.distance) : '';
    $('inspect-arrow').style.transform = d ? `rotate(${d.bearing - (map.getBearing?.() || 0)}deg)` : '';
    $('inspect-arrow').hidden = !dir;
    $('inspect-direction').textContent = dir;
    el.classList.toggle('near', !!near);
    drawToTarget(p);
  }
  function rowStatus(a, p) {
    const st = statusOf(a, p);
    const sync = a.visits[p.element_id] ? syncOf(a, p.element_id) : null;
    return { st, sync, correct: correctOf(a, p) };
  }
  function renderList() {
    if (!I.shown || !I.active) return;
    const a = I.active;
    const t = T();
    const tgt = target(a)?.element_id;
    $('inspect-list').innerHTML = a.checklist.map(p => {
      const { st, sync, correct } = rowStatus(a, p);
      const rec = a.visits[p.element_id];
      const chips = [];
      if (st === 'pending') chips.push(`<span class="chip pending">${esc(t.pending)}</span>`);
      else if (st === 'missed') chips.push(`<span class="chip missed">${esc(t.missed)}</span>`);
      else chips.push(`<span class="chip ${esc(st)}">${esc(t.states[st] ?? st)}</span>`);
      if (sync === 'queued' || sync === 'sending') chips.push(`<span class="chip queued" data-sync="${sync}">${esc(t.sync[sync])}</span>`);
      if (correct != null) chips.push(`<span class="chip correct" data-correct="${Math.round(correct)}">${esc(t.toCorrect(Math.round(correct)))}</span>`);
      else if (rec?.offset_m != null && sync === 'sent') chips.push(`<small class="offset">${esc(t.offset(Math.round(rec.offset_m)))}</small>`);
      return `<li data-element="${p.element_id}" data-seq="${p.seq}" data-status="${esc(st)}" data-sync="${sync ?? ''}"
          ${correct != null ? 'data-to-correct="true"' : ''} class="${p.element_id === tgt ? 'target' : ''}" tabindex="0" role="button">
        <span class="inspect-seq s-${esc(st)}">${p.seq}</span>
        <span class="inspect-what"><b>${esc(p.name || kindLabel(p.kind))}</b><small>${esc(kindLabel(p.kind))}${rec?.note ? ` · ${esc(rec.note)}` : ''}</small></span>
        <span class="inspect-chips">${chips.join('')}</span></li>`;
    }).join('');
    drawPoints();
  }
  function renderHazards() {
    const a = I.active;
    const t = T();
    const el = $('inspect-hazards');
    if (!a.hazards.length) { el.innerHTML = ''; return; }
    el.innerHTML = `<li class="inspect-sub">${esc(t.hazards)}</li>` + a.hazards.map(h => {
      const queued = outbox.items().some(x => x.id === h.key);
      const p = a.checklist.find(x => x.element_id === h.element_id);
      return `<li data-hazard="${h.id ?? ''}" data-sync="${queued ? 'queued' : 'sent'}">⚠ ${h.id ? `#${h.id} ` : ''}${esc(h.description)}
        <small>${p ? `#${p.seq} ${esc(p.name)} · ` : ''}${esc(t.severity[h.severity])}${queued ? ` · <span class="chip queued">${esc(t.sync.queued)}</span>` : ''}</small></li>`;
    }).join('');
  }
  function renderDone() {
    const a = I.active;
    const t = T();
    const el = $('inspect-done');
    el.hidden = !a.finished_on && !a.finishing;
    if (el.hidden) return;
    if (!a.finished_on) { el.innerHTML = `<p>${esc(t.finishing)}</p>`; return; }
    if (!a.coverage) { el.innerHTML = `<p>${esc(t.finished(a.finished_on))} · ${esc(I.coverageError ? t.coverageFailed : t.coverageLoading)}</p>`; return; }
    const cov = a.coverage;
    const visited = cov.filter(c => c.visited).length, missed = cov.filter(c => !c.visited).length, correct = cov.filter(c => c.to_correct).length;
    el.innerHTML = `<p class="inspect-summary" id="inspect-summary" data-visited="${visited}" data-missed="${missed}" data-to-correct="${correct}">
      <b>${esc(t.finished(a.finished_on))}</b><br>${esc(t.summary(visited, cov.length, missed, correct))}</p>`;
  }

  // ---- the map
  let mapLoadedResolve;
  const mapLoaded = new Promise(r => { mapLoadedResolve = r; });
  if (map.isStyleLoaded()) mapLoadedResolve(); else map.once('load', () => mapLoadedResolve());
  function addLayers() {
    if (map.getSource('inspect-points')) return;
    const font = map.getStyle().layers.find(l => l.layout?.['text-font'])?.layout['text-font'] ?? ['Noto Sans CJK SC Regular'];
    for (const s of ['inspect-walk', 'inspect-points', 'inspect-me', 'inspect-target', 'inspect-hazards'])
      map.addSource(s, { type: 'geojson', data: EMPTY });
    const st = ['get', 'status'];
    const fill = ['match', st, 'target', COLOURS.target, 'normal', COLOURS.normal, 'abnormal', COLOURS.abnormal,
      'out_of_service', COLOURS.out_of_service, 'not_found', COLOURS.not_found, 'missed', COLOURS.missed, COLOURS.pending];
    map.addLayer({ id: 'inspect-me-accuracy', type: 'fill', source: 'inspect-me', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': COLOURS.me, 'fill-opacity': 0.12, 'fill-outline-color': COLOURS.me } });
    map.addLayer({ id: 'inspect-walk', type: 'line', source: 'inspect-walk',
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': COLOURS.walk, 'line-width': 2.5, 'line-dasharray': [2, 1.5], 'line-opacity': 0.85 } });
    map.addLayer({ id: 'inspect-to-target', type: 'line', source: 'inspect-target',
      paint: { 'line-color': COLOURS.me, 'line-width': 3, 'line-dasharray': [0.5, 1.5] }, layout: { 'line-cap': 'round' } });
    map.addLayer({ id: 'inspect-correct', type: 'circle', source: 'inspect-points', filter: ['==', ['get', 'to_correct'], true],
      paint: { 'circle-radius': 19, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': COLOURS.correct, 'circle-stroke-width': 4 } });
    map.addLayer({ id: 'inspect-queued', type: 'circle', source: 'inspect-points', filter: ['==', ['get', 'queued'], true],
      paint: { 'circle-radius': 16, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': COLOURS.queued, 'circle-stroke-width': 3 } });
    map.addLayer({ id: 'inspect-point', type: 'circle', source: 'inspect-points',
      paint: { 'circle-radius': ['case', ['==', st, 'target'], 14, 12], 'circle-color': fill,
        'circle-stroke-color': ['case', ['==', st, 'target'], '#212529', ['==', st, 'pending'], COLOURS.walk, '#ffffff'],
        'circle-stroke-width': ['case', ['==', st, 'target'], 3, 2] } });
    map.addLayer({ id: 'inspect-label', type: 'symbol', source: 'inspect-points',
      layout: { 'text-field': ['to-string', ['get', 'seq']], 'text-font': font, 'text-size': 13, 'text-allow-overlap': true, 'text-ignore-placement': true },
      paint: { 'text-color': ['match', st, ['pending', 'target'], '#212529', '#ffffff'] } });
    map.addLayer({ id: 'inspect-hazard', type: 'circle', source: 'inspect-hazards',
      paint: { 'circle-radius': 9, 'circle-color': COLOURS.hazard, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2, 'circle-translate': [14, -14] } });
    map.addLayer({ id: 'inspect-hazard-label', type: 'symbol', source: 'inspect-hazards',
      layout: { 'text-field': '!', 'text-font': font, 'text-size': 13, 'text-allow-overlap': true, 'text-ignore-placement': true, 'text-offset': [1.08, -1.08] },
      paint: { 'text-color': '#fff' } });
    map.addLayer({ id: 'inspect-me', type: 'circle', source: 'inspect-me', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 8, 'circle-color': COLOURS.me, 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } });
  }
  function drawPoints() {
    const a = I.active;
    if (!I.shown || !a || !map.getSource('inspect-points')) return;
    const tgt = target(a)?.element_id;
    const pond = state.pondById.get(a.pond_id);
    const pts = a.checklist.map(p => {
      const { st, sync, correct } = rowStatus(a, p);
      return { type: 'Feature', id: p.element_id, geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
        properties: { element_id: p.element_id, seq: p.seq, name: p.name, status: p.element_id === tgt && st === 'pending' ? 'target' : st,
          state: st, queued: sync === 'queued' || sync === 'sending', to_correct: correct != null } };
    });
    // drawn last the first: the low numbers over the high ones where they crowd
    map.getSource('inspect-points').setData({ type: 'FeatureCollection', features: pts.reverse() });
    const walk = (pond ? [[pond.lon, pond.lat]] : []).concat(a.checklist.map(p => [p.lon, p.lat]));
    map.getSource('inspect-walk').setData({ type: 'FeatureCollection', features: walk.length > 1
      ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: walk } }] : [] });
    map.getSource('inspect-hazards').setData({ type: 'FeatureCollection', features: a.hazards.filter(h => h.lon != null).map(h => ({
      type: 'Feature', properties: { key: h.key, id: h.id ?? null }, geometry: { type: 'Point', coordinates: [h.lon, h.lat] } })) });
  }
  function drawMe() {
    if (!I.shown || !map.getSource('inspect-me')) return;
    const f = I.fix;
    map.getSource('inspect-me').setData({ type: 'FeatureCollection', features: f ? [
      { type: 'Feature', properties: { accuracy: f.accuracy }, geometry: circle([f.lon, f.lat], Math.max(f.accuracy || 0, 1), 64) },
      { type: 'Feature', properties: { accuracy: f.accuracy }, geometry: { type: 'Point', coordinates: [f.lon, f.lat] } }] : [] });
  }
  function drawToTarget(p) {
    if (!map.getSource('inspect-target')) return;
    map.getSource('inspect-target').setData({ type: 'FeatureCollection', features: p && I.fix
      ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [[I.fix.lon, I.fix.lat], [p.lon, p.lat]] } }] : [] });
  }
  // on a phone the sheet covers the lower part of the map: the map's padding keeps what is aimed
  // at (the walk, a point) above it; flights and fits add their own margin to it
  function sheetPadding() {
    map.setPadding({ top: 0, left: 0, right: 0, bottom: phone() ? $('panel').offsetHeight : 0 });
  }
  // clear of the buttons on the map (全程 and ⌖ top left, the zoom buttons top right)
  const padding = () => ({ top: 66, left: 30, right: 66, bottom: 30 });
  function fitWalk() {
    const a = I.active;
    const pond = state.pondById.get(a.pond_id);
    const pts = a.checklist.map(p => [p.lon, p.lat]).concat(pond ? [[pond.lon, pond.lat]] : []);
    if (!pts.length) return;
    const lon = pts.map(p => p[0]), lat = pts.map(p => p[1]);
    map.fitBounds([[Math.min(...lon), Math.min(...lat)], [Math.max(...lon), Math.max(...lat)]],
      { padding: padding(), maxZoom: 17, duration: reduced() ? 0 : 600 });
  }

  // the way to the next point in view (the device and the point, above the sheet), unless it is
  // already, close enough to walk by
  function showLeg({ force = false } = {}) {
    if (!I.shown || (!force && !I.follow)) return;
    const p = I.active && target(I.active);
    const pts = (p ? [[p.lon, p.lat]] : []).concat(I.fix ? [[I.fix.lon, I.fix.lat]] : []);
    if (!pts.length) return;
    const c = map.getContainer();
    const bottom = c.clientHeight - (map.getPadding().bottom || 0);
    const inView = pts.every(pt => {
      const q = map.project(pt);
      return q.x >= 24 && q.y >= 24 && q.x <= c.clientWidth - 24 && q.y <= bottom - 24;
    });
    if (inView && map.getZoom() >= 15 && !force) return;
    const lon = pts.map(x => x[0]), lat = pts.map(x => x[1]);
    map.fitBounds([[Math.min(...lon), Math.min(...lat)], [Math.max(...lon), Math.max(...lat)]],
      { padding: padding(), maxZoom: 17, duration: reduced() ? 0 : 500 });
  }

  // ---- the inspector's moves
  function choose(eid, { fly }) {
    const a = I.active;
    if (!a || a.finished_on) return;
    a.target = eid;
    save();
    renderTarget();
    renderList();
    const p = a.checklist.find(x => x.element_id === eid);
    if (fly && p) map.easeTo({ center: [p.lon, p.lat], zoom: Math.max(map.getZoom(), 16), duration: reduced() ? 0 : 500 });
    if (phone()) $('inspect-current')?.scrollIntoView({ block: 'nearest' });
  }
  function skip(step) {
    const a = I.active;
    const p = target(a);
    if (!p) return;
    const i = a.checklist.indexOf(p);
    const n = a.checklist.length;
    const next = a.checklist[(i + step + n) % n];
    choose(next.element_id, { fly: false });
    I.follow = true;
    showLeg();
  }
  function record(st) {
    const a = I.active;
    const p = target(a);
    if (!a || !p || a.finished_on || a.finishing) return;
    const note = $('inspect-note').value.trim() || null;
    const fix = I.fix;
    const rec = { state: st, note, visited_at: new Date().toISOString(), lon: fix?.lon ?? null, lat: fix?.lat ?? null, accuracy: fix?.accuracy ?? null, sent: false, offset_m: null };
    a.visits[p.element_id] = rec;
    const body = { visited_at: rec.visited_at, state: st, note };
    if (fix) { body.lon = fix.lon; body.lat = fix.lat; }
    a.lastVisited = p.element_id;
    advance(a, p.element_id);
    save();
    outbox.add({ kind: 'visit', method: 'PUT', path: visitPath(a, p.element_id), body, replaces: true,
      meta: { iid: a.iid, pond_id: a.pond_id, element_id: p.element_id, seq: p.seq, name: p.name } });
    say(T().recorded(p.seq, p.name || kindLabel(p.kind), T().states[st]));
    $('inspect-current').dataset.element = '';   // a new point: a new note
    render();
    I.follow = true;
    showLeg();
  }

  function askFinish() {
    const a = I.active;
    const t = T();
    const missed = missedPoints(a);
    const queued = outbox.items().filter(x => x.meta?.iid === a.iid).length;
    const d = $('inspect-finish-dialog');
    d.innerHTML = `<form method="dialog">
      <h3>${esc(t.finishTitle)}</h3>
      ${missed.length ? `<p>${esc(t.finishMissed(missed.length))}</p>
        <ul id="inspect-missed-list" class="inspect-missed">${missed.map(p => `<li data-element="${p.element_id}" data-seq="${p.seq}">
          <span class="inspect-seq s-missed">${p.seq}</span> ${esc(p.name || kindLabel(p.kind))} <small>${esc(kindLabel(p.kind))}</small></li>`).join('')}</ul>`
        : `<p id="inspect-missed-none">${esc(t.finishNone(a.checklist.length))}</p>`}
      ${queued ? `<p class="inspect-note">${esc(t.finishQueued(queued))}</p>` : ''}
      <div class="inspect-nav">
        <button type="submit" class="inspect-big" value="cancel" id="inspect-finish-cancel">${esc(t.finishCancel)}</button>
        <button type="submit" class="inspect-big primary" value="finish" id="inspect-finish-confirm">${esc(t.finishConfirm)}</button>
      </div></form>`;
    d.onclose = () => { if (d.returnValue === 'finish') finish(); };
    d.returnValue = '';
    d.showModal();
  }
  function finish() {
    const a = I.active;
    if (!a || a.finished_on || a.finishing) return;
    a.finishing = true;
    a.target = null;
    save();
    // after the visits, in the outbox's order: the server counts what it has when it is finished
    outbox.add({ kind: 'finish', method: 'PATCH', path: `/api/inspections/${a.iid}`, body: { finished_on: today() },
      meta: { iid: a.iid, pond_id: a.pond_id } });
    render();
  }
  async function loadCoverage() {
    const a = I.active;
    if (!a?.finished_on) return;
    I.coverageError = false;
    const res = await call(`/api/inspections/${a.iid}`);
    if (I.active !== a) return;
    if (!res.ok) { I.coverageError = true; render(); return; }
    a.coverage = res.body.coverage || [];
    for (const v of res.body.visits || []) {
      const rec = a.visits[v.element_id];
      if (rec) rec.offset_m = v.offset_m;
    }
    save();
    render();
  }
  function closeInspection() {
    const pond = I.active?.pond_id;
    leave({ reopen: false });
    I.active = null;
    save();
    renderReturn();
    if (pond != null) openPond(pond);
  }

  function askHazard() {
    const a = I.active;
    const t = T();
    const p = target(a) || a.checklist.find(x => x.element_id === a.lastVisited);
    const d = $('inspect-hazard-dialog');
    const fix = I.fix;
    d.innerHTML = `<form method="dialog" id="inspect-hazard-form">
      <h3>${esc(t.hazardTitle)}</h3>
      <p class="inspect-note" id="inspect-hazard-where">${esc(t.hazardAt)}：${fix
        ? `${fix.lon.toFixed(6)}, ${fix.lat.toFixed(6)} (±${Math.round(fix.accuracy)} m)` : esc(t.hazardNoFix)}</p>
      <label>${esc(t.hazardElement)}
        <select id="inspect-hazard-element">
          <option value="">${esc(t.hazardNoElement)}</option>
          ${a.checklist.map(x => `<option value="${x.element_id}" ${x.element_id === p?.element_id ? 'selected' : ''}>#${x.seq} ${esc(x.name || kindLabel(x.kind))}</option>`).join('')}
        </select></label>
      <label>${esc(t.hazardDescription)}<textarea id="inspect-hazard-text" rows="3" required></textarea></label>
      <fieldset class="inspect-severity"><legend>${esc(t.hazardSeverity)}</legend>
        <label><input type="radio" name="severity" value="general" checked> ${esc(t.severity.general)}</label>
        <label><input type="radio" name="severity" value="major"> ${esc(t.severity.major)}</label></fieldset>
      <label>${esc(t.hazardDeadline)}<input type="date" id="inspect-hazard-deadline" min="${today()}"></label>
      <p class="inspect-error" id="inspect-hazard-error" hidden></p>
      <div class="inspect-nav">
        <button type="submit" class="inspect-big" value="cancel" id="inspect-hazard-cancel" formnovalidate>${esc(t.hazardCancel)}</button>
        <button type="submit" class="inspect-big primary" value="save" id="inspect-hazard-save">${esc(t.hazardSave)}</button>
      </div></form>`;
    const form = $('inspect-hazard-form');
    form.addEventListener('submit', e => {
      if (e.submitter?.value !== 'save') return;
      const text = $('inspect-hazard-text').value.trim();
      const eid = Number($('inspect-hazard-element').value) || null;
      if (!text) { e.preventDefault(); $('inspect-hazard-error').hidden = false; $('inspect-hazard-error').textContent = t.hazardNeedText; return; }
      const severity = form.querySelector('input[name="severity"]:checked')?.value || 'general';
      const deadline = $('inspect-hazard-deadline').value || null;
      recordHazard({ element_id: eid, description: text, severity, deadline });
    });
    d.showModal();
    $('inspect-hazard-text').focus();
  }
  function recordHazard({ element_id, description, severity, deadline }) {
    const a = I.active;
    const fix = I.fix;
    const body = { description, severity };
    if (element_id) body.element_id = element_id;
    if (fix) { body.lon = fix.lon; body.lat = fix.lat; }
    if (a.campaign) body.campaign = a.campaign;
    if (deadline) body.deadline = deadline;
    const p = a.checklist.find(x => x.element_id === element_id);
    const item = outbox.add({ kind: 'hazard', method: 'POST', path: `/api/ponds/${a.pond_id}/hazards`, body,
      meta: { iid: a.iid, pond_id: a.pond_id, element_id, found_on: today() } });
    // (the outbox may have sent it already: the hazard is then known by its id)
    if (!a.hazards.some(h => h.key === item.id))
      a.hazards.push({ key: item.id, id: null, element_id, description, severity, lon: fix?.lon ?? p?.lon ?? null, lat: fix?.lat ?? p?.lat ?? null });
    save();
    say(T().hazardQueued);
    render();
  }

  document.addEventListener('tailings:lang', () => {
    if (!I.shown) { renderReturn(); return; }
    panel.innerHTML = skeleton();
    bindPanel();
    render();
  });
  map.on('rotate', () => { if (I.shown) renderTarget(); });

  // what was left queued by this member (a reload, a closed tab) goes out now; an inspection left
  // under way comes back on screen
  outbox.flush();
  mapLoaded.then(() => {
    I.mapReady = true;
    renderReturn();
    if (I.active && !I.active.closed) show();
  });
  return {
    enabled: true, show, start, resume, leave, outbox, state: I,
    record, skip, finish, choose, target: () => (I.active ? target(I.active) : null),
  };
}
