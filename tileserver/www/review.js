// Drawings and their review (design §7 and §9, 企业初绘、三级核查) for a signed-in member:
//  - the pond file gets a section 图件报送: download the pond's map as a drawing (GeoJSON,
//    /api/ponds/{id}/geojson?for=drawing), upload a drawing (POST /api/ponds/{id}/submissions),
//    and the pond's drawings;
//  - the side lists the drawings the member sees (a reviewer's queue: the submitted ones of its
//    scope, the oldest first; an enterprise's own), and the bar's button brings the list into
//    sight (a reviewer's shows how many wait);
//  - one drawing is shown in the right panel, instead of a pond's file: its differences from the
//    map drawn on the map (added green, removed red dashed, moved: the old place a grey dashed
//    ring or outline and an arrow from it to the new place, changed orange) and listed, the
//    template check of the map it would make (failed rules first), its status, the reviewer and
//    the note; and the moves the member may make: its author submits or withdraws it, a reviewer
//    (county or above, not its author) approves it, or rejects it with a note.
// The database decides (403, 409, 422, with its message); the viewer says what the server answered
// in words.  Every request carries the member's token (auth.js).
import { authFetch, apiCall as call } from './auth.js';
import { COLOURS } from './history.js';

const TEXT = {
  zh: {
    drawings: '图件报送', queue: '审核', queueTitle: '审核队列', mine: '我的报送', refresh: '刷新', pondFile: '尾矿库档案',
    download: '下载图件（GeoJSON）', upload: '上传图件…', uploading: '正在上传并校验图件…',
    uploaded: id => `已生成草稿 #${id}：请核对差异与模板检查，然后提交审核`,
    none: '暂无报送', pondNone: '本库暂无报送', waiting: n => `待审核 ${n} 件`, others: '其他报送',
    loading: '正在读取…', by: '报送人', created: '生成', submittedAt: '提交', reviewedAt: '审核',
    reviewer: '审核人', note: '审核意见', features: n => `${n} 个要素`,
    status: { draft: '草稿', submitted: '待审核', approved: '已批准', rejected: '已退回', withdrawn: '已撤回' },
    op: { add: '新增', remove: '删除', move: '移动', change: '修改', same: '未变' },
    key: { add: '新增（绿色）', remove: '删除（红色虚线）', move: '移动：原位置 → 新位置', change: '属性修改' },
    diff: '与现状地图的差异', noDiff: '与现状地图相同，没有差异', applied: '已批准：图件已成为现状地图',
    summary: parts => parts, metres: m => `${m} 米`, columns: { geom: '位置', name: '名称', kind: '类型', source: '数据来源',
      accuracy_m: '精度', surveyed_on: '测量日期', verified_on: '核实日期', attrs: '属性' },
    check: '模板检查（提交后的地图）', failedN: n => n ? `${n} 项未通过` : '全部通过', passedN: n => `通过的 ${n} 项`,
    passed: '通过', failed: '未通过', warning: '提示',
    submit: '提交审核', withdraw: '撤回', approve: '批准', reject: '退回', notePlaceholder: '审核意见（退回时必填）',
    noteRequired: '退回须填写审核意见，说明需要修改之处', confirmWithdraw: '撤回后此报送不能再提交，确定撤回？',
    done: { submitted: '已提交审核', withdrawn: '已撤回', approved: '已批准，地图已按图件更新', rejected: '已退回，意见已送达报送单位' },
    err: {
      401: '登录已失效，请重新登录',
      403: m => `无权执行此操作（数据库拒绝）：${m}`,
      404: '未找到：不存在，或不在您的权限范围内',
      409: '地图在此图件生成后已有变更，不能批准（图件已过时）',
      413: '文件太大，超过服务器允许的上限',
      415: '文件类型不对：须为 GeoJSON',
      feature: (i, m) => `第 ${i + 1} 个要素（features[${i}]）有误：${m}`,
      422: m => `图件或操作不符合规则：${m}`,
      400: m => `文件不是有效的 GeoJSON/JSON：${m}`,
      other: (s, m) => `服务器错误（HTTP ${s}）：${m}`,
      network: '无法连接服务器',
      notJson: '文件不是 JSON：无法读取',
    },
    detail: '详情', hint: '提示',
  },
  en: {
    drawings: 'Drawings', queue: 'Review', queueTitle: 'Review queue', mine: 'My drawings', refresh: 'Refresh', pondFile: 'pond file',
    download: 'Download the drawing (GeoJSON)', upload: 'Upload a drawing…', uploading: 'Uploading and checking the drawing…',
    uploaded: id => `Draft #${id} made: check its differences and the template check, then submit it`,
    none: 'No drawings', pondNone: 'No drawings of this pond', waiting: n => `${n} waiting for review`, others: 'Other drawings',
    loading: 'Loading…', by: 'By', created: 'Made', submittedAt: 'Submitted', reviewedAt: 'Reviewed',
    reviewer: 'Reviewer', note: 'Reviewer’s note', features: n => `${n} features`,
    status: { draft: 'draft', submitted: 'submitted', approved: 'approved', rejected: 'rejected', withdrawn: 'withdrawn' },
    op: { add: 'added', remove: 'removed', move: 'moved', change: 'changed', same: 'unchanged' },
    key: { add: 'added (green)', remove: 'removed (red dashed)', move: 'moved: old place → new place', change: 'attributes changed' },
    diff: 'Differences from the map', noDiff: 'The same as the map: no differences', applied: 'Approved: the drawing is now the map',
    summary: parts => parts, metres: m => `${m} m`, columns: { geom: 'position', name: 'name', kind: 'kind', source: 'source',
      accuracy_m: 'accuracy', surveyed_on: 'surveyed', verified_on: 'verified', attrs: 'attributes' },
    check: 'Template check (the map it would make)', failedN: n => n ? `${n} failed` : 'all passed', passedN: n => `${n} passed`,
    passed: 'pass', failed: 'fail', warning: 'warning',
    submit: 'Submit for review', withdraw: 'Withdraw', approve: 'Approve', reject: 'Reject', notePlaceholder: 'Note (required to reject)',
    noteRequired: 'A rejection needs a note saying what to correct', confirmWithdraw: 'A withdrawn drawing cannot be submitted again. Withdraw it?',
    done: { submitted: 'Submitted for review', withdrawn: 'Withdrawn', approved: 'Approved: the map now follows the drawing', rejected: 'Rejected: the note goes to the enterprise' },
    err: {
      401: 'Your session ended: please sign in again',
      403: m => `Not allowed (refused by the database): ${m}`,
      404: 'Not found: it does not exist or is outside your scope',
      409: 'The map changed after this drawing was made: it cannot be approved (stale)',
      413: 'The file is too large for the server',
      415: 'Wrong file type: it must be GeoJSON',
      feature: (i, m) => `Feature ${i + 1} (features[${i}]) is wrong: ${m}`,
      422: m => `The drawing or the step breaks a rule: ${m}`,
      400: m => `Not valid GeoJSON/JSON: ${m}`,
      other: (s, m) => `Server error (HTTP ${s}): ${m}`,
      network: 'Could not reach the server',
      notJson: 'The file is not JSON: it cannot be read',
    },
    detail: 'Detail', hint: 'Hint',
  },
};
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const $ = id => document.getElementById(id);
const REVIEWERS = ['county', 'city', 'province'];
// the colours of the differences: those of the compare mode (history.js)
export const OP_COLOURS = { add: COLOURS.added, remove: COLOURS.removed, move: COLOURS.moved, change: COLOURS.changed, old: '#868e96' };
const OP_ORDER = { remove: 0, add: 1, move: 2, change: 3, same: 4 };
const LAYERS = ['review-fill', 'review-casing', 'review-line', 'review-arrow-casing', 'review-arrow', 'review-point', 'review-arrow-head'];

// an error answer of the write API ({ error, status, sqlstate, detail, hint, feature_index }) in words
export function describeError(T, res) {
  const e = T.err;
  const m = res.error || '';
  let text;
  if (res.status === 0) text = e.network;
  // the database's message names the feature as features[i]: said once, in words
  else if (res.status === 422 && Number.isInteger(res.feature_index))
    text = e.feature(res.feature_index, m.replace(new RegExp(`^features\\[${res.feature_index}\\]:?\\s*`), ''));
  else if (typeof e[res.status] === 'function') text = e[res.status](m);
  else if (e[res.status]) text = e[res.status];
  else text = e.other(res.status, m);
  return { text, detail: res.detail || '', hint: res.hint || '' };
}

// a point that stands for a geometry: a point itself, the mean of a line's vertices, of a
// polygon's outer ring (its closing vertex once); used for the arrow of a move
export function centre(g) {
  if (!g) return null;
  const pts = [];
  const walk = (c, depth) => { if (depth === 0) pts.push(c); else for (const x of c) walk(x, depth - 1); };
  switch (g.type) {
    case 'Point': return g.coordinates.slice(0, 2);
    case 'MultiPoint': case 'LineString': walk(g.coordinates, 1); break;
    case 'MultiLineString': walk(g.coordinates, 2); break;
    case 'Polygon': walk(g.coordinates[0].slice(0, -1), 1); break;
    case 'MultiPolygon': for (const p of g.coordinates) walk(p[0].slice(0, -1), 1); break;
    default: return null;
  }
  if (!pts.length) return null;
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}
// the direction from a to b (lon/lat) on the map, degrees clockwise from east (icon-rotate of an
// icon drawn pointing +x; Web Mercator keeps angles, and locally a degree of longitude is cos(lat)
// of one of latitude)
export function screenAngle(a, b) {
  const dx = (b[0] - a[0]) * Math.cos((a[1] + b[1]) / 2 * Math.PI / 180);
  const dy = b[1] - a[1];
  return -Math.atan2(dy, dx) * 180 / Math.PI;
}
function bbox(geoms) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const add = c => {
    if (typeof c[0] === 'number') { x0 = Math.min(x0, c[0]); y0 = Math.min(y0, c[1]); x1 = Math.max(x1, c[0]); y1 = Math.max(y1, c[1]); }
    else for (const x of c) add(x);
  };
  for (const g of geoms) if (g?.coordinates) add(g.coordinates);
  return x0 <= x1 ? [[x0, y0], [x1, y1]] : null;
}

// the marks of the points and the arrow's head, drawn once per map at 2x (32 px on the map): a
// ring around an element's own symbol, or a disc where the map has none
function addIcons(map) {
  const size = 64, m = size / 2;
  const draw = (name, paint) => {
    if (map.hasImage(name)) return;
    const c = document.createElement('canvas');
    c.width = c.height = size;
    const g = c.getContext('2d');
    g.lineCap = 'round';
    g.lineJoin = 'round';
    paint(g);
    map.addImage(name, g.getImageData(0, 0, size, size), { pixelRatio: 2 });
  };
  const disc = (g, r, fill, stroke, width, dash) => {
    g.beginPath();
    g.arc(m, m, r, 0, 2 * Math.PI);
    if (fill) { g.fillStyle = fill; g.fill(); }
    g.setLineDash(dash || []);
    g.lineWidth = width;
    g.strokeStyle = stroke;
    g.stroke();
    g.setLineDash([]);
  };
  const cross = (g, r, colour, width) => {
    g.strokeStyle = colour; g.lineWidth = width; g.beginPath();
    g.moveTo(m - r, m - r); g.lineTo(m + r, m + r); g.moveTo(m + r, m - r); g.lineTo(m - r, m + r); g.stroke();
  };
  // added: a green disc with a white +
  draw('review-add', g => {
    disc(g, 24, OP_COLOURS.add, '#fff', 4);
    g.strokeStyle = '#fff'; g.lineWidth = 6; g.beginPath();
    g.moveTo(m - 12, m); g.lineTo(m + 12, m); g.moveTo(m, m - 12); g.lineTo(m, m + 12); g.stroke();
  });
  // removed: a red dashed ring around the element, a red × over it
  draw('review-remove', g => {
    disc(g, 27, 'rgba(255,255,255,0.55)', '#fff', 9);
    disc(g, 27, null, OP_COLOURS.remove, 5, [9, 6]);
    cross(g, 11, '#fff', 9);
    cross(g, 11, OP_COLOURS.remove, 5);
  });
  // moved, the new place: a blue disc with a white centre
  draw('review-move', g => {
    disc(g, 21, OP_COLOURS.move, '#fff', 4);
    g.beginPath(); g.arc(m, m, 7, 0, 2 * Math.PI); g.fillStyle = '#fff'; g.fill();
  });
  // moved, the old place: a grey dashed ring around the element still drawn there
  draw('review-old', g => {
    disc(g, 27, null, '#fff', 8);
    disc(g, 27, null, OP_COLOURS.old, 4, [7, 6]);
  });
  // changed: an orange ring around the element
  draw('review-change', g => {
    disc(g, 27, null, '#fff', 8);
    disc(g, 27, null, OP_COLOURS.change, 5);
  });
  // the arrow's head, pointing +x (the layer turns it from the old place to the new)
  draw('review-head', g => {
    g.beginPath();
    g.moveTo(m + 22, m); g.lineTo(m - 22, m - 22); g.lineTo(m - 10, m); g.lineTo(m - 22, m + 22); g.closePath();
    g.lineWidth = 4; g.strokeStyle = '#fff'; g.stroke();
    g.fillStyle = OP_COLOURS.move; g.fill();
  });
}

export function installReview({ map, state, getJSON, openPond, compare }) {
  const who = state.who;
  const T = () => TEXT[state.lang] || TEXT.zh;
  const stub = { open: async () => {}, show: async () => {}, list: async () => [], close: () => {}, step: async () => {}, enabled: false };
  if (!who?.signedIn || !who.level) return stub;
  const reviewer = REVIEWERS.includes(who.level);
  const kindLabel = code => state.kinds.get(code)?.[`label_${state.lang}`] ?? code;
  const pondName = (id, fallback) => state.pondById.get(id)?.name ?? fallback ?? `#${id}`;
  const when = iso => iso ? new Date(iso).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }) : '';
  const R = state.review = { list: [], shown: null, busy: false };

  // ---- requests: JSON in and out, an error answer kept whole
  const post = (path, body, type = 'application/json') =>
    call(path, { method: 'POST', headers: { 'Content-Type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  // ---- where it shows: a button in the bar (a reviewer's count of drawings waiting), the list
  // at the top of the side (the queue, or the enterprise's own drawings), one drawing in the right
  // panel (instead of a pond's file)
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.id = 'review-toggle';
  toggle.setAttribute('aria-controls', 'review-side');
  $('auth').before(toggle);
  const side = document.createElement('section');
  side.id = 'review-side';
  side.innerHTML = `<h2><span id="review-title"></span><button type="button" id="review-refresh"></button></h2>
    <p id="review-list-error" class="review-error" role="alert" hidden></p>
    <div id="review-list"></div>`;
  $('overview').before(side);
  const panel = document.createElement('div');
  panel.id = 'review-panel';
  panel.hidden = true;
  panel.innerHTML = `<p id="review-status" class="review-status" role="status"></p>
    <p id="review-error" class="review-error" role="alert" hidden></p>
    <div id="review-detail"></div>`;
  $('panel-body').after(panel);

  function renderTexts() {
    const t = T();
    const waiting = R.list.filter(s => s.status === 'submitted').length;
    toggle.innerHTML = reviewer
      ? `${esc(t.queue)}${waiting ? ` <span class="badge" data-count="${waiting}">${waiting}</span>` : ''}`
      : esc(t.drawings);
    toggle.title = reviewer ? t.waiting(waiting) : t.mine;
    $('review-title').textContent = reviewer ? t.queueTitle : t.mine;
    $('review-refresh').textContent = t.refresh;
    side.setAttribute('aria-label', reviewer ? t.queueTitle : t.mine);
  }
  const errorHtml = res => {
    const d = describeError(T(), res);
    return `<b>${esc(d.text)}</b>${d.detail ? `<br><small>${esc(d.detail)}</small>` : ''}${d.hint ? `<br><small>${esc(T().hint)}：${esc(d.hint)}</small>` : ''}`;
  };
  function showError(el, res) {
    if (!el) return;
    el.hidden = !res;
    el.innerHTML = res ? errorHtml(res) : '';
    el.dataset.status = res ? String(res.status) : '';
  }
  const setError = res => showError($('review-error'), res);
  const setStatus = text => { $('review-status').textContent = text || ''; };

  // the bar's button: the list in sight (on a phone, the drawer it is in opened)
  function open() {
    if (matchMedia('(max-width: 700px)').matches && !document.body.classList.contains('side-open')) $('menu').click();
    $('side').scrollTop = 0;
    side.scrollIntoView({ block: 'start' });
    (side.querySelector('li[data-submission]') || $('review-refresh')).focus({ preventScroll: true });
    return refreshList();
  }
  toggle.addEventListener('click', open);
  $('review-refresh').addEventListener('click', async () => {
    await refreshList();
    if (R.shown) await show(R.shown.id, { quiet: true });
  });

  // ---- the list
  async function refreshList() {
    const res = await call('/api/submissions');
    showError($('review-list-error'), res.ok ? null : res.body);
    if (!res.ok) return R.list;
    R.list = res.body;
    renderTexts();
    renderList();
    // the drawing shown has moved on (a reviewer's step that changes no element, such as a
    // rejection, reaches the author this way): shown again, and the pond file's list too
    const now = R.list.find(x => x.id === R.shown?.id);
    if (now && R.shown.detail && now.status !== R.shown.detail.status) {
      show(R.shown.id, { quiet: true });
      refreshPond();
    }
    return R.list;
  }
  function row(s) {
    const t = T();
    const times = [s.submitted_at ? `${t.submittedAt} ${when(s.submitted_at)}` : `${t.created} ${when(s.created_at)}`,
      s.reviewed_at ? `${t.reviewedAt} ${when(s.reviewed_at)}` : ''].filter(Boolean).join(' · ');
    return `<li tabindex="0" role="button" data-submission="${s.id}" data-status="${esc(s.status)}"
        class="${R.shown?.id === s.id ? 'current' : ''}">
      <span class="sub-status ${esc(s.status)}">${esc(t.status[s.status] ?? s.status)}</span>
      <span class="sub-what"><b>#${s.id} ${esc(s.pond_name ?? pondName(s.pond_id))}</b>
        <small>${esc(t.by)} ${esc(s.created_by)} · ${esc(times)} · ${esc(t.features(s.feature_count))}</small>
        ${s.review_note ? `<small class="sub-note">${esc(t.note)}：${esc(s.review_note)}</small>` : ''}</span></li>`;
  }
  function renderList() {
    const t = T();
    const el = $('review-list');
    if (!R.list.length) { el.innerHTML = `<p class="review-empty">${esc(t.none)}</p>`; return; }
    if (reviewer) {
      const queue = R.list.filter(s => s.status === 'submitted').sort((a, b) => String(a.submitted_at).localeCompare(String(b.submitted_at)));
      const rest = R.list.filter(s => s.status !== 'submitted');
      el.innerHTML = `<h3 class="sub-heading">${esc(t.waiting(queue.length))}</h3><ul class="sub-list" id="review-queue">${queue.map(row).join('')}</ul>
        ${rest.length ? `<details class="sub-others"><summary>${esc(t.others)} (${rest.length})</summary><ul class="sub-list">${rest.map(row).join('')}</ul></details>` : ''}`;
    } else {
      el.innerHTML = `<ul class="sub-list">${R.list.map(row).join('')}</ul>`;
    }
  }
  // a row, in the side's list or in a pond's file: that drawing in the panel
  for (const ev of ['click', 'keydown'])
    document.addEventListener(ev, e => {
      const li = e.target.closest?.('#review-list li[data-submission], #drawing-list li[data-submission]');
      if (!li || (e.type === 'keydown' && e.key !== 'Enter' && e.key !== ' ')) return;
      e.preventDefault();
      if (matchMedia('(max-width: 700px)').matches && document.body.classList.contains('side-open')) $('menu').click();
      show(Number(li.dataset.submission));
    });

  // ---- the panel: a drawing instead of a pond's file
  function takePanel() {
    const wasHidden = $('panel').hidden;
    state.panelPond = null;   // no pond file is shown: the live refresh leaves the panel alone
    for (const tr of document.querySelectorAll('#ponds tbody tr.selected')) tr.classList.remove('selected');
    $('panel-body').hidden = true;
    document.dispatchEvent(new CustomEvent('tailings:panel-taken', { detail: 'review' }));
    panel.hidden = false;
    $('panel').hidden = false;
    if (wasHidden) map.resize();
    $('panel').scrollTop = 0;
  }
  function leavePanel() {
    R.shown = null;
    panel.hidden = true;
    $('panel-body').hidden = false;
    clearMarks();
    for (const li of document.querySelectorAll('#review-list li.current')) li.classList.remove('current');
  }
  // a pond's file shown again, or the panel closed: the drawing and its marks go
  document.addEventListener('tailings:pond', e => { if (R.shown) leavePanel(); decoratePond(e.detail); });
  for (const ev of ['tailings:panel-closed', 'tailings:open-pond']) document.addEventListener(ev, () => { if (R.shown) leavePanel(); });

  // ---- one drawing: its differences on the map and in words, its check, its moves
  //   quiet: drawn again as it changed (a refresh, a step), the view, status and error left alone
  async function show(id, { quiet = false } = {}) {
    if (compare && !$('compare')?.hidden) compare.exit();   // one set of marks on the map at a time
    if (!quiet) { setError(null); setStatus(T().loading); }
    takePanel();
    const prev = R.shown;
    const mine = R.shown = { id, detail: prev?.id === id ? prev.detail : null, current: null };
    for (const li of document.querySelectorAll('#review-list li[data-submission]')) li.classList.toggle('current', Number(li.dataset.submission) === id);
    const res = await call(`/api/submissions/${id}`);
    if (R.shown !== mine) return;
    if (!res.ok) {
      setStatus('');
      setError(res.body);
      clearMarks();
      $('review-detail').innerHTML = `<h4 class="sub-title">#${esc(id)}</h4>`;
      return;
    }
    const detail = res.body;
    let current = { features: [] };
    try { current = await getJSON(`/api/ponds/${detail.pond_id}/geojson?lang=${state.lang}`); } catch { /* no old places */ }
    if (R.shown !== mine) return;
    // drawn again with another status (a reviewer's step, seen through the change stream or a
    // refresh): what was said about the status before no longer holds
    if (quiet && prev?.id === id && prev.detail && prev.detail.status !== detail.status) { setError(null); setStatus(''); }
    mine.detail = detail;
    mine.current = current;
    if (!quiet) setStatus('');
    mine.marks = marks(detail, current);
    drawMarks(mine.marks);
    renderDetail();
    if (!quiet) fit(mine.marks);
  }
  $('review-detail').addEventListener('click', e => {
    const pond = e.target.closest('[data-open-pond]')?.dataset.openPond;
    if (pond) { e.preventDefault(); openPond(Number(pond)); return; }
    const step = e.target.closest('[data-step]')?.dataset.step;
    if (step) { runStep(step); return; }
    const li = e.target.closest('li[data-diff]');
    if (li) goTo(li.dataset.diff);
  });
  $('review-detail').addEventListener('keydown', e => {
    const li = e.target.closest('li[data-diff]');
    if (li && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); goTo(li.dataset.diff); }
  });

  // the map's marks of a drawing: GeoJSON features with op (add, remove, move, change) and role
  // (new: the drawing's geometry, old: the map's), the moves' arrows (old centre → new centre) and
  // their heads (at the new centre, turned the way the element moved)
  function marks(detail, current) {
    const drawing = detail.features?.features || [];
    const byId = new Map((current.features || []).map(f => [Number(f.id ?? f.properties?.id), f]));
    const shapes = [], arrows = [], heads = [], rows = [];
    for (const d of detail.diff || []) {
      if (d.op === 'same') continue;
      const key = d.feature_index != null ? `f${d.feature_index}` : `e${d.element_id}`;
      const props = { key, op: d.op, kind: d.kind, name: d.name ?? '', element_id: d.element_id, feature_index: d.feature_index };
      const drawn = d.feature_index != null ? drawing[d.feature_index]?.geometry : null;
      const was = d.element_id != null ? byId.get(Number(d.element_id))?.geometry : null;
      const row = { ...d, key, geoms: [] };
      const shape = (role, geometry) => {
        if (!geometry) return;
        shapes.push({ type: 'Feature', properties: { ...props, role }, geometry });
        row.geoms.push(geometry);
      };
      if (d.op === 'add' || d.op === 'change') shape('new', drawn);
      else if (d.op === 'remove') shape('old', was);
      else if (d.op === 'move') {
        shape('old', was);
        shape('new', drawn);
        const a = centre(was), b = centre(drawn);
        if (a && b) {
          arrows.push({ type: 'Feature', properties: { ...props }, geometry: { type: 'LineString', coordinates: [a, b] } });
          heads.push({ type: 'Feature', properties: { ...props, rotate: screenAngle(a, b) }, geometry: { type: 'Point', coordinates: b } });
        }
      }
      rows.push(row);
    }
    rows.sort((a, b) => OP_ORDER[a.op] - OP_ORDER[b.op] || (a.feature_index ?? 1e9) - (b.feature_index ?? 1e9) || a.element_id - b.element_id);
    const fc = features => ({ type: 'FeatureCollection', features });
    return { shapes: fc(shapes), arrows: fc(arrows), heads: fc(heads), rows };
  }
  function drawMarks(d) {
    addIcons(map);
    const set = (id, data) => map.getSource(id) ? map.getSource(id).setData(data) : map.addSource(id, { type: 'geojson', data });
    set('review-shapes', d.shapes);
    set('review-arrows', d.arrows);
    set('review-heads', d.heads);
    const isPoly = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
    const isPoint = ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false];
    const old = ['==', ['get', 'role'], 'old'];
    const colour = ['case', ['all', old, ['==', ['get', 'op'], 'move']], OP_COLOURS.old,
      ['match', ['get', 'op'], 'add', OP_COLOURS.add, 'remove', OP_COLOURS.remove, 'move', OP_COLOURS.move, 'change', OP_COLOURS.change, '#495057']];
    const add = layer => { if (!map.getLayer(layer.id)) map.addLayer(layer); else map.moveLayer(layer.id); };
    add({ id: 'review-fill', type: 'fill', source: 'review-shapes', filter: ['all', isPoly, ['!', old]],
      paint: { 'fill-color': colour, 'fill-opacity': 0.2 } });
    // lines and outlines in the colour of their difference: a removed one dashed red, the old place
    // of a moved one dashed grey, the others solid
    // a white casing under the dashed ones, so that the dashes read over the element's own symbol
    add({ id: 'review-casing', type: 'line', source: 'review-shapes', filter: ['all', ['!', isPoint], old],
      layout: { 'line-join': 'round' }, paint: { 'line-color': '#fff', 'line-width': 7, 'line-opacity': 0.9 } });
    add({ id: 'review-line', type: 'line', source: 'review-shapes', filter: ['!', isPoint],
      layout: { 'line-join': 'round' },
      paint: { 'line-color': colour, 'line-width': 3.5,
        'line-dasharray': ['case', old, ['literal', [2, 1.5]], ['literal', [1, 0]]] } });
    add({ id: 'review-arrow-casing', type: 'line', source: 'review-arrows', layout: { 'line-cap': 'round' },
      paint: { 'line-color': '#fff', 'line-width': 8 } });
    add({ id: 'review-arrow', type: 'line', source: 'review-arrows', layout: { 'line-cap': 'round' },
      paint: { 'line-color': OP_COLOURS.move, 'line-width': 4 } });
    add({ id: 'review-point', type: 'symbol', source: 'review-shapes', filter: isPoint,
      layout: { 'icon-image': ['case', ['all', old, ['==', ['get', 'op'], 'move']], 'review-old', ['concat', 'review-', ['get', 'op']]],
        'icon-allow-overlap': true, 'icon-ignore-placement': true } });
    // the head sits at the new place, drawn back along the arrow so that its tip touches the mark
    add({ id: 'review-arrow-head', type: 'symbol', source: 'review-heads',
      layout: { 'icon-image': 'review-head', 'icon-rotate': ['get', 'rotate'], 'icon-rotation-alignment': 'map',
        'icon-offset': [-22, 0], 'icon-allow-overlap': true, 'icon-ignore-placement': true } });
  }
  function clearMarks() {
    for (const id of LAYERS) if (map.getLayer(id)) map.removeLayer(id);
    for (const id of ['review-shapes', 'review-arrows', 'review-heads']) if (map.getSource(id)) map.removeSource(id);
  }
  const reduced = () => matchMedia('(prefers-reduced-motion: reduce)').matches;
  function fit(d) {
    const b = bbox(d.rows.flatMap(r => r.geoms));
    if (b) map.fitBounds(b, { padding: 60, maxZoom: 17, duration: reduced() ? 0 : 600 });
  }
  function goTo(key) {
    const r = R.shown?.marks?.rows.find(x => x.key === key);
    const b = r && bbox(r.geoms);
    for (const li of $('review-detail').querySelectorAll('li.current')) li.classList.remove('current');
    $('review-detail').querySelector(`li[data-diff="${key}"]`)?.classList.add('current');
    if (b) map.fitBounds(b, { padding: 100, maxZoom: 18, duration: reduced() ? 0 : 600 });
  }

  function renderDetail() {
    const t = T();
    const s = R.shown?.detail;
    if (!s) return;
    const rows = R.shown.marks.rows;
    const counts = {};
    for (const d of s.diff || []) counts[d.op] = (counts[d.op] || 0) + 1;
    const parts = ['add', 'remove', 'move', 'change', 'same'].filter(op => counts[op])
      .map(op => `<span class="diff-count" data-op="${op}">${esc(t.op[op])} ${counts[op]}</span>`).join(state.lang === 'zh' ? '，' : ', ');
    const cols = t.columns;
    const glyph = { add: '+', remove: '×', move: '→', change: '✎' };
    const cls = { add: 'added', remove: 'removed', move: 'moved', change: 'changed' };
    const diffRows = rows.map(r => `<li tabindex="0" role="button" data-diff="${esc(r.key)}" data-op="${esc(r.op)}"
        ${r.element_id != null ? `data-element="${r.element_id}"` : ''} ${r.feature_index != null ? `data-feature="${r.feature_index}"` : ''}>
        <span class="cmp-sym ${cls[r.op]}">${glyph[r.op]}</span>
        <span><b>${esc(t.op[r.op])}</b> ${esc(kindLabel(r.kind))}${r.name ? (state.lang === 'zh' ? `「${esc(r.name)}」` : ` “${esc(r.name)}”`) : ''}
        <small>${r.moved_m != null ? esc(t.metres(Math.round(r.moved_m * 10) / 10)) : ''}${r.op === 'change' && r.changed?.length
          ? esc(r.changed.map(c => cols[c] || c).join(state.lang === 'zh' ? '、' : ', ')) : ''}${r.feature_index != null ? ` · features[${r.feature_index}]` : ''}</small></span></li>`).join('');
    // the check: failed errors, failed warnings, then the rules passed (folded)
    const rank = c => (c.passed ? 2 : c.severity === 'error' ? 0 : 1);
    const check = [...(s.check || [])].sort((a, b) => rank(a) - rank(b));
    const failed = check.filter(c => !c.passed);
    const passedRows = check.filter(c => c.passed);
    const checkRow = c => {
      const k = c.passed ? 'ok' : c.severity === 'error' ? 'fail' : 'warn';
      const mark = c.passed ? `✔ ${t.passed}` : c.severity === 'error' ? `✘ ${t.failed}` : `! ${t.warning}`;
      return `<tr data-rule="${esc(c.rule)}" data-passed="${c.passed}" data-severity="${esc(c.severity)}"><td class="${k}">${esc(mark)}</td><td>${esc(c.message)}</td></tr>`;
    };
    const note = $('review-note-input')?.value ?? '';   // kept when the drawing is drawn again
    const isAuthor = s.created_by === who.role;
    const canReview = reviewer && !isAuthor && s.status === 'submitted';
    const actions = [];
    if (isAuthor && s.status === 'draft') actions.push(`<button type="button" class="primary" data-step="submit">${esc(t.submit)}</button>`);
    if (isAuthor && (s.status === 'draft' || s.status === 'submitted')) actions.push(`<button type="button" data-step="withdraw">${esc(t.withdraw)}</button>`);
    $('review-detail').innerHTML = `
      <h2 class="sub-title">#${s.id} ${esc(s.pond_name ?? pondName(s.pond_id))}
        <span class="sub-status ${esc(s.status)}" id="review-state" data-status="${esc(s.status)}">${esc(t.status[s.status] ?? s.status)}</span></h2>
      <p class="sub-meta">${esc(t.by)} ${esc(s.created_by)} · ${esc(t.created)} ${esc(when(s.created_at))}${s.submitted_at ? ` · ${esc(t.submittedAt)} ${esc(when(s.submitted_at))}` : ''}
        · ${esc(t.features(s.feature_count))} · <a href="#" data-open-pond="${s.pond_id}">${esc(t.pondFile)}</a></p>
      ${s.reviewed_by ? `<div class="sub-review" id="review-note" data-reviewer="${esc(s.reviewed_by)}"><b>${esc(t.reviewer)}</b> ${esc(s.reviewed_by)} · ${esc(when(s.reviewed_at))}
        ${s.review_note ? `<p><b>${esc(t.note)}：</b><span class="note-text">${esc(s.review_note)}</span></p>` : ''}</div>` : ''}
      ${canReview ? `<form class="review-form" id="review-form">
        <textarea id="review-note-input" rows="3" placeholder="${esc(t.notePlaceholder)}" aria-label="${esc(t.notePlaceholder)}"></textarea>
        <div class="review-actions"><button type="button" class="primary" data-step="approve">${esc(t.approve)}</button>
          <button type="button" class="danger" data-step="reject">${esc(t.reject)}</button></div></form>` : ''}
      ${actions.length ? `<div class="review-actions">${actions.join('')}</div>` : ''}
      <h3>${esc(t.diff)}</h3>
      ${s.status === 'approved' ? `<p class="review-empty">${esc(t.applied)}</p>` : rows.length ? `
        <ul class="compare-key">${['add', 'remove', 'move', 'change'].filter(op => counts[op]).map(op =>
          `<li><span class="cmp-sym ${cls[op]}">${glyph[op]}</span>${esc(t.key[op])}</li>`).join('')}</ul>
        <p class="diff-summary">${parts}</p>
        <ul class="compare-list diff-list" id="review-diff">${diffRows}</ul>` : `<p class="review-empty">${esc(t.noDiff)}</p>`}
      <h3 id="review-check-title">${esc(t.check)} · <span class="${failed.length ? 'check-failed' : 'check-ok'}">${esc(t.failedN(failed.length))}</span></h3>
      <table class="rules" id="review-check">${failed.map(checkRow).join('')}</table>
      ${passedRows.length ? `<details class="check-passed"><summary>${esc(t.passedN(passedRows.length))}</summary>
        <table class="rules">${passedRows.map(checkRow).join('')}</table></details>` : ''}`;
    if (note && $('review-note-input')) $('review-note-input').value = note;
  }

  async function runStep(step) {
    const t = T();
    const s = R.shown?.detail;
    if (!s || R.busy) return;
    setError(null);
    setStatus('');
    let body = {};
    if (step === 'approve' || step === 'reject') {
      const note = $('review-note-input')?.value.trim() ?? '';
      if (step === 'reject' && !note) {
        showError($('review-error'), null);
        $('review-error').hidden = false;
        $('review-error').dataset.status = 'note';
        $('review-error').innerHTML = `<b>${esc(t.noteRequired)}</b>`;
        $('review-note-input')?.focus();
        return;
      }
      if (note) body = { note };
    }
    if (step === 'withdraw' && !confirm(t.confirmWithdraw)) return;
    R.busy = true;
    for (const b of $('review-detail').querySelectorAll('[data-step]')) b.disabled = true;
    const res = await post(`/api/submissions/${s.id}/${step}`, body);
    R.busy = false;
    if (!res.ok) {
      for (const b of $('review-detail').querySelectorAll('[data-step]')) b.disabled = false;
      setError(res.body);
      return;
    }
    await show(s.id, { quiet: true });
    setStatus(t.done[res.body.status] ?? res.body.status);
    refreshList();
    refreshPond();
  }

  // ---- the pond file's section: download, upload, the pond's drawings
  async function refreshPond() {
    const sec = $('drawing');
    if (!sec) return;
    const res = await call(`/api/submissions?pond=${Number(sec.dataset.pond)}`);
    if ($('drawing') !== sec) return;
    $('drawing-list').innerHTML = res.ok
      ? res.body.length ? res.body.map(row).join('') : `<li class="review-empty">${esc(T().pondNone)}</li>`
      : '';
  }
  function decoratePond(file) {
    const t = T();
    const sub = document.querySelector('#panel-body .sub');
    if (!sub || $('drawing')) return;
    const sec = document.createElement('section');
    sec.id = 'drawing';
    sec.dataset.pond = String(file.id);
    sec.innerHTML = `<h3>${esc(t.drawings)}</h3>
      <div class="drawing-actions">
        <button type="button" class="button" id="drawing-download">⬇ ${esc(t.download)}</button>
        <label class="button" id="drawing-upload">⬆ ${esc(t.upload)}<input type="file" id="drawing-file"
          accept=".geojson,.json,application/geo+json,application/json"></label></div>
      <p class="review-error" id="drawing-error" role="alert" hidden></p>
      <p class="review-status" id="drawing-status" role="status"></p>
      <ul class="sub-list" id="drawing-list"></ul>`;
    sub.after(sec);
    $('drawing-download').addEventListener('click', () => download(file.id));
    $('drawing-file').addEventListener('change', e => {
      const f = e.target.files?.[0];
      e.target.value = '';
      if (f) upload(file.id, f);
    });
    refreshPond();
  }
  const pondError = res => showError($('drawing-error'), res);
  async function download(id) {
    pondError(null);
    let r;
    try { r = await authFetch(`/api/ponds/${id}/geojson?for=drawing`, { cache: 'no-store' }); } catch { pondError({ status: 0 }); return; }
    if (!r.ok) {
      let body = {};
      try { body = await r.json(); } catch { /* none */ }
      pondError({ status: r.status, ...body });
      return;
    }
    const name = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '')?.[1] || `pond-${id}.geojson`;
    const url = URL.createObjectURL(await r.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  async function upload(id, file) {
    const t = T();
    const say = text => { if ($('drawing-status')) $('drawing-status').textContent = text; };
    pondError(null);
    say(t.uploading);
    const text = await file.text();
    try { JSON.parse(text); } catch {
      say('');
      pondError({ status: 400, error: t.err.notJson });
      return;
    }
    const res = await post(`/api/ponds/${id}/submissions`, text, 'application/geo+json');
    say('');
    if (!res.ok) { pondError(res.body); return; }
    refreshList();
    await show(res.body.id);
    setStatus(t.uploaded(res.body.id));
  }

  // ---- keeping up: the language, the map's changes (an approval changes the map), a poll for
  // the moves that change no element (submitted, rejected, withdrawn)
  document.addEventListener('tailings:lang', () => {
    renderTexts();
    renderList();
    if (R.shown?.detail) renderDetail();
  });
  document.addEventListener('tailings:refreshed', () => {
    refreshList();
    if (R.shown?.detail) show(R.shown.id, { quiet: true });
  });
  setInterval(() => { if (!document.hidden && !R.busy) refreshList(); }, 30000);
  renderTexts();
  refreshList();
  return { open, show, close: () => { if (R.shown) leavePanel(); }, list: refreshList, step: runStep, download, upload,
    marks: () => R.shown?.marks, enabled: true };
}
