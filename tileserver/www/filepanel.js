// The pond's file (一库一档) in the viewer's panel: when a pond's panel is drawn (app.js's
// tailings:pond event), its file (GET /api/ponds/{id}/file, tailings.pond_file()) adds the
// ledger with its chart, the papers with their expiry, the facilities with their inspected state,
// the hazards with their status and deadline, the inspections with their coverage and the
// groundwater monitoring with a chart per well (drawn by pondfile.js, which the printed sheet
// shares).  A signed-in member gets the moves its role allows on the hazards (the database
// decides; what it refuses is said in words):
//   - any member: record a hazard (an enterprise's self-check) at an element of the pond;
//   - the pond's enterprise: open -> rectifying, rectifying -> rectified (what was done, when);
//   - a county, city or province: a check, passed (a rectified hazard only) or failed with a note.
// Every request carries the member's token (auth.js).
import { apiCall as call } from './auth.js';
import {
  TEXT as FILE_TEXT, esc, todayIso, ledgerChart, ledgerTable, documentsTable, facilitiesList, hazardsHtml,
  inspectionsHtml, monitoringTable, wellCharts, defaultParameter, wellsOf, paramLabels, parametersOf,
} from './pondfile.js';

const TEXT = {
  zh: {
    loading: '正在读取档案…', failed: '档案读取失败',
    newHazard: '登记隐患', newSelfCheck: '登记自查隐患', element: '所在要素', noElement: '（不指定要素）',
    description: '隐患描述', severity: '隐患等级', deadline: '整改期限', campaign: '专项名称', save: '登记',
    cancel: '取消', startRectifying: '开始整改', rectification: '整改措施', rectifiedOn: '完成日期', markRectified: '整改完成，申请核查',
    check: '核查', checkPassed: '通过（销号）', checkFailed: '未通过（退回整改）', checkNote: '核查意见（未通过时必填）', checkedOn: '核查日期',
    recordCheck: '记录核查', passedOnlyRectified: '只有已整改的隐患才能核查通过',
    noteRequired: '核查未通过须填写意见，说明仍存在的问题', descriptionRequired: '请填写隐患描述',
    rectificationRequired: '请填写整改措施',
    done: {
      created: id => `已登记隐患 #${id}`, rectifying: '已转入整改', rectified: '已整改，等待核查',
      passed: '核查通过，隐患已销号', failed: '核查未通过，已退回整改',
    },
    err: {
      0: '无法连接服务器', 400: m => `请求有误：${m}`, 401: '登录已失效，请重新登录',
      403: m => `无权执行此操作（数据库拒绝）：${m}`, 404: '未找到：不存在，或不在您的权限范围内',
      409: '另一项操作正在进行，请稍后重试', 422: m => `不符合规则：${m}`, other: (s, m) => `服务器错误（HTTP ${s}）：${m}`,
    },
    detail: '详情', hint: '提示',
  },
  en: {
    loading: 'Reading the file…', failed: 'Could not read the file',
    newHazard: 'Record a hazard', newSelfCheck: 'Record a self-check hazard', element: 'At element', noElement: '(no element)',
    description: 'What is wrong', severity: 'Severity', deadline: 'Deadline', campaign: 'Campaign', save: 'Record',
    cancel: 'Cancel', startRectifying: 'Start rectifying', rectification: 'Rectification', rectifiedOn: 'Done on', markRectified: 'Rectified: ask for a check',
    check: 'Check', checkPassed: 'Passed (close it)', checkFailed: 'Failed (back to rectifying)', checkNote: 'Note (required when failed)', checkedOn: 'Checked on',
    recordCheck: 'Record the check', passedOnlyRectified: 'Only a rectified hazard can pass a check',
    noteRequired: 'A failed check needs a note saying what is still wrong', descriptionRequired: 'Say what is wrong',
    rectificationRequired: 'Say what was done',
    done: {
      created: id => `Hazard #${id} recorded`, rectifying: 'Now rectifying', rectified: 'Rectified, waiting for a check',
      passed: 'Check passed: the hazard is closed', failed: 'Check failed: back to rectifying',
    },
    err: {
      0: 'Could not reach the server', 400: m => `Bad request: ${m}`, 401: 'Your session ended: please sign in again',
      403: m => `Not allowed (refused by the database): ${m}`, 404: 'Not found: it does not exist or is outside your scope',
      409: 'Another step is under way: try again', 422: m => `Refused by the rules: ${m}`, other: (s, m) => `Server error (HTTP ${s}): ${m}`,
    },
    detail: 'Detail', hint: 'Hint',
  },
};
const BUREAUS = ['county', 'city', 'province'];
const $ = id => document.getElementById(id);

export function installFilePanel({ state, openPond, onHazardsChanged = () => {} }) {
  const T = () => TEXT[state.lang] || TEXT.zh;
  const F = () => FILE_TEXT[state.lang] || FILE_TEXT.zh;
  const who = state.who || {};
  const member = who.signedIn && who.level;
  const enterprise = member && who.level === 'enterprise';
  const bureau = member && BUREAUS.includes(who.level);
  const kindLabel = code => state.kinds.get(code)?.[`label_${state.lang}`] ?? code;
  const S = state.file = { pond: null, file: null, pondInfo: null, busy: false, param: null, focus: null, message: null, error: null,
    ui: { values: {}, open: new Set(), forms: new Set() } };
  const cache = new Map();   // `${pond}:${lang}` → file

  const send = (method, path, body) => call(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  function errorText(res) {
    const e = T().err;
    const m = res.error || '';
    const f = e[res.status];
    return typeof f === 'function' ? f(m) : f || e.other(res.status, m);
  }

  // ---- the pond's panel was drawn: the file's sections go under its basic information
  document.addEventListener('tailings:pond', e => {
    const f = e.detail;
    const again = S.pond === f.id;
    if (!again) {
      S.message = null; S.error = null; S.param = null; S.focus = null;
      S.ui = { values: {}, open: new Set(), forms: new Set() };
    }
    S.pond = f.id;
    S.pondInfo = f;
    const hit = cache.get(`${f.id}:${state.lang}`);
    mount(hit ?? null);
    load(f.id);
  });
  document.addEventListener('tailings:panel-closed', () => { S.pond = null; });

  async function load(id) {
    const lang = state.lang;
    const res = await call(`/api/ponds/${id}/file?lang=${lang}`);
    if (S.pond !== id || state.lang !== lang) return;
    if (!res.ok) {
      if (!cache.has(`${id}:${lang}`)) {
        const box = $('pond-file');
        if (box) box.innerHTML = `<p class="file-error" role="alert">${esc(T().failed)}: ${esc(errorText(res.body))}</p>`;
      }
      return;
    }
    cache.set(`${id}:${lang}`, res.body);
    mount(res.body);
  }

  // the sections, drawn anew: what the member is typing, the folds opened and the forms shown are
  // kept in S.ui (the panel is drawn anew by app.js on every change to the pond, the stream's too)
  function mount(file) {
    const body = $('panel-body');
    const info = body?.querySelector('dl.info');
    if (!info) return;
    let box = $('pond-file');
    if (!box || box.dataset.pond !== String(S.pond)) {
      box?.remove();
      $('file-toc')?.remove();
      box = document.createElement('div');
      box.id = 'pond-file';
      box.dataset.pond = String(S.pond);
      info.after(box);
      box.addEventListener('click', onClick);
      box.addEventListener('change', onChange);
      box.addEventListener('input', remember);
      box.addEventListener('toggle', e => {
        const d = e.target;
        if (d.dataset?.fold) { if (d.open) S.ui.open.add(d.dataset.fold); else S.ui.open.delete(d.dataset.fold); }
      }, true);
      box.addEventListener('submit', e => e.preventDefault());
    }
    if (!file) {
      if (!box.innerHTML) box.innerHTML = `<p class="file-loading">${esc(T().loading)}</p>`;
      return;
    }
    S.file = file;
    const focused = document.activeElement?.dataset?.keep && box.contains(document.activeElement) ? document.activeElement.dataset.keep : null;
    box.innerHTML = render(file);
    if (!$('file-toc')) {
      const nav = document.createElement('nav');
      nav.id = 'file-toc';
      body.querySelector('.sub')?.after(nav);
    }
    const t = F();
    $('file-toc').innerHTML = ['ledger', 'documents', 'facilities', 'hazards', 'inspections', 'monitoring']
      .map(k => `<a href="#file-${k}" data-goto="file-${k}">${esc(t[k])}</a>`).join('');
    $('file-toc').onclick = ev => {
      const a = ev.target.closest('[data-goto]');
      if (!a) return;
      ev.preventDefault();
      $(a.dataset.goto)?.scrollIntoView({ block: 'start' });
    };
    restore(box, focused);
    if (S.focus != null) focusHazard(S.focus);
  }
  function remember(e) {
    const el = e.target;
    if (!el.dataset?.keep) return;
    if (el.type === 'radio') { if (el.checked) S.ui.values[el.dataset.keep] = el.value; } else S.ui.values[el.dataset.keep] = el.value;
  }
  function restore(box, focused) {
    for (const el of box.querySelectorAll('[data-keep]')) {
      const v = S.ui.values[el.dataset.keep];
      if (v == null) continue;
      if (el.type === 'radio') { if (!el.disabled) el.checked = el.value === v; } else el.value = v;
    }
    for (const d of box.querySelectorAll('details[data-fold]')) if (S.ui.open.has(d.dataset.fold)) d.open = true;
    for (const f of box.querySelectorAll('form[data-form]')) if (S.ui.forms.has(f.dataset.form)) f.hidden = false;
    if (focused) box.querySelector(`[data-keep="${focused}"]`)?.focus({ preventScroll: true });
  }

  function render(file) {
    const t = F(), lang = state.lang;
    const monitoring = file.monitoring || { assessment: [], series: [] };
    const assessment = monitoring.assessment || [];
    const params = parametersOf(monitoring);
    if (!S.param || !params.includes(S.param)) S.param = defaultParameter(assessment) ?? params[0] ?? null;
    const paramLabel = paramLabels(monitoring);
    const facilities = file.facilities || [];
    const sec = (key, inner) => `<section class="file-part" id="file-${key}" data-part="${key}"><h3>${esc(t[key])}</h3>${inner}</section>`;
    return [
      sec('ledger', `${ledgerChart(file.ledger || [], lang)}${ledgerTable(file.ledger || [], lang)}`),
      sec('documents', documentsTable(file.documents || [], lang, todayIso())),
      sec('facilities', `<details data-fold="facilities"><summary>${esc(summaryFacilities(facilities))}</summary>
        ${facilitiesList(facilities, lang, kindLabel)}</details>`),
      sec('hazards', `${status()}${newHazardForm()}${hazardsHtml(file.hazards || [], lang, actionsOf)}`),
      sec('inspections', inspectionsHtml(file.inspections || [], lang, kindLabel)),
      sec('monitoring', wellsOf(assessment).length ? `
        ${params.length > 1 ? `<label class="file-param">${esc(t.chartParam)}
          <select id="gw-param">${params.map(p => `<option value="${esc(p)}"${p === S.param ? ' selected' : ''}>${esc(paramLabel(p))}</option>`).join('')}</select></label>` : ''}
        <div class="well-charts" data-parameter="${esc(S.param ?? '')}">${S.param ? wellCharts(monitoring, S.param, lang) : ''}</div>
        <details data-fold="monitoring"><summary>${esc(t.latest)} · ${esc(t.limit)}</summary>${monitoringTable(monitoring, lang)}</details>`
        : monitoringTable(monitoring, lang)),
    ].join('');
  }
  function summaryFacilities(list) {
    const t = F();
    const n = s => list.filter(f => (f.last_visit?.state ?? null) === s).length;
    const none = list.filter(f => !f.last_visit?.state).length;
    const parts = ['normal', 'abnormal', 'out_of_service', 'not_found'].filter(s => n(s)).map(s => `${t.state[s]} ${n(s)}`);
    if (none) parts.push(`${t.notInspected} ${none}`);
    return `${list.length} · ${parts.join(' · ')}`;
  }
  function status() {
    return `<p class="file-status" id="hz-status" role="status">${esc(S.message ?? '')}</p>
      <p class="file-error" id="hz-error" role="alert"${S.error ? '' : ' hidden'}>${S.error ?? ''}</p>`;
  }

  // ---- the moves a member may make
  function elementOptions() {
    const els = Object.values(S.pondInfo?.elements || {}).flat();
    return `<option value="">${esc(T().noElement)}</option>` + els.map(e =>
      `<option value="${e.id}">${esc(kindLabel(e.kind))}${e.name ? `${F().colon}${esc(e.name)}` : ''}</option>`).join('');
  }
  function newHazardForm() {
    if (!member) return '';
    const t = T(), f = F();
    const label = enterprise ? t.newSelfCheck : t.newHazard;
    return `<button type="button" class="button" id="hz-new-toggle" data-act="toggle-new" aria-controls="hz-new">＋ ${esc(label)}</button>
      <form class="hz-form" id="hz-new" data-form="new" hidden>
        <label>${esc(t.element)}<select name="element_id" data-keep="new-element">${elementOptions()}</select></label>
        <label>${esc(t.description)}<textarea name="description" rows="2" data-keep="new-description" required></textarea></label>
        <div class="hz-row"><label>${esc(t.severity)}<select name="severity" data-keep="new-severity">
            <option value="general">${esc(f.severity.general)}</option><option value="major">${esc(f.severity.major)}</option></select></label>
          <label>${esc(t.deadline)}<input type="date" name="deadline" data-keep="new-deadline" min="${todayIso()}"></label></div>
        <label>${esc(t.campaign)}<input type="text" name="campaign" data-keep="new-campaign" list="hz-campaigns" autocomplete="off"></label>
        <datalist id="hz-campaigns">${[...new Set((S.file?.hazards || []).map(h => h.campaign).filter(Boolean))].map(c => `<option value="${esc(c)}">`).join('')}</datalist>
        <div class="hz-actions"><button type="button" class="primary" data-act="create">${esc(t.save)}</button>
          <button type="button" data-act="toggle-new">${esc(t.cancel)}</button></div>
      </form>`;
  }
  function actionsOf(h) {
    if (!member || h.status === 'closed') return '';
    const t = T();
    const id = h.id;
    if (enterprise && h.status === 'open')
      return `<div class="hz-actions"><button type="button" class="primary" data-act="rectifying" data-id="${id}">${esc(t.startRectifying)}</button></div>`;
    if (enterprise && h.status === 'rectifying')
      return `<form class="hz-form hz-rectify" data-form="rectify-${id}">
        <label>${esc(t.rectification)}<textarea name="rectification" rows="2" data-keep="rect-${id}">${esc(h.rectification ?? '')}</textarea></label>
        <div class="hz-row"><label>${esc(t.rectifiedOn)}<input type="date" name="rectified_on" data-keep="rect-on-${id}" value="${todayIso()}" max="${todayIso()}"></label>
          <button type="button" class="primary" data-act="rectified" data-id="${id}">${esc(t.markRectified)}</button></div></form>`;
    if (bureau)
      return `<form class="hz-form hz-check" data-form="check-${id}">
        <fieldset><legend>${esc(t.check)}</legend>
          <label class="radio"><input type="radio" name="passed-${id}" value="true" data-keep="check-${id}"${h.status === 'rectified' ? ' checked' : ' disabled'}>${esc(t.checkPassed)}</label>
          <label class="radio"><input type="radio" name="passed-${id}" value="false" data-keep="check-${id}"${h.status === 'rectified' ? '' : ' checked'}>${esc(t.checkFailed)}</label>
          ${h.status === 'rectified' ? '' : `<small class="hz-hint">${esc(t.passedOnlyRectified)}</small>`}</fieldset>
        <label>${esc(t.checkNote)}<textarea name="note" rows="2" data-keep="note-${id}"></textarea></label>
        <div class="hz-row"><label>${esc(t.checkedOn)}<input type="date" name="checked_on" data-keep="check-on-${id}" value="${todayIso()}" max="${todayIso()}"></label>
          <button type="button" class="primary" data-act="check" data-id="${id}">${esc(t.recordCheck)}</button></div></form>`;
    return '';
  }

  function say(message, error = null) {
    S.message = message;
    S.error = error;
    if ($('hz-status')) $('hz-status').textContent = message ?? '';
    if ($('hz-error')) { $('hz-error').hidden = !error; $('hz-error').innerHTML = error ?? ''; }
  }
  const errorHtml = res => `<b>${esc(errorText(res))}</b>${res.detail ? `<br><small>${esc(T().detail)}${F().colon}${esc(res.detail)}</small>` : ''}${
    res.hint ? `<br><small>${esc(T().hint)}${F().colon}${esc(res.hint)}</small>` : ''}`;

  function onChange(e) {
    if (e.target.id === 'gw-param') {
      S.param = e.target.value;
      mount(S.file);
    }
  }
  async function onClick(e) {
    const b = e.target.closest('[data-act]');
    if (!b) return;
    const act = b.dataset.act;
    if (act === 'toggle-new') {
      const form = $('hz-new');
      form.hidden = !form.hidden;
      if (form.hidden) S.ui.forms.delete('new'); else S.ui.forms.add('new');
      if (!form.hidden) form.querySelector('select, textarea')?.focus();
      return;
    }
    if (S.busy) return;
    const id = Number(b.dataset.id);
    const form = b.closest('form');
    const t = T();
    const val = name => form?.querySelector(`[name="${name}"]`)?.value?.trim() ?? '';
    let req = null, done = null;
    if (act === 'create') {
      const body = { description: val('description'), severity: val('severity') || 'general' };
      if (!body.description) { say(null, `<b>${esc(t.descriptionRequired)}</b>`); return; }
      if (val('element_id')) body.element_id = Number(val('element_id'));
      if (val('deadline')) body.deadline = val('deadline');
      if (val('campaign')) body.campaign = val('campaign');
      req = () => send('POST', `/api/ponds/${S.pond}/hazards`, body);
      done = res => {
        form.reset();
        form.hidden = true;
        S.ui.forms.delete('new');
        for (const k of Object.keys(S.ui.values)) if (k.startsWith('new-')) delete S.ui.values[k];
        S.focus = res.body.id;
        return t.done.created(res.body.id);
      };
    } else if (act === 'rectifying') {
      req = () => send('PATCH', `/api/hazards/${id}`, { status: 'rectifying' });
      done = () => t.done.rectifying;
    } else if (act === 'rectified') {
      const rectification = val('rectification');
      if (!rectification) { say(null, `<b>${esc(t.rectificationRequired)}</b>`); return; }
      req = () => send('PATCH', `/api/hazards/${id}`, { status: 'rectified', rectification, rectified_on: val('rectified_on') || todayIso() });
      done = () => t.done.rectified;
    } else if (act === 'check') {
      const passed = form.querySelector(`input[name="passed-${id}"]:checked`)?.value === 'true';
      const note = val('note');
      if (!passed && !note) { say(null, `<b>${esc(t.noteRequired)}</b>`); form.querySelector('[name="note"]')?.focus(); return; }
      const body = { passed, checked_on: val('checked_on') || todayIso() };
      if (note) body.note = note;
      req = () => send('POST', `/api/hazards/${id}/checks`, body);
      done = res => (res.body.hazard_status === 'closed' ? t.done.passed : passed ? t.done.passed : t.done.failed);
    }
    if (!req) return;
    S.busy = true;
    for (const x of $('pond-file').querySelectorAll('[data-act]')) x.disabled = true;
    say(null);
    const res = await req();
    S.busy = false;
    if (!res.ok) {
      for (const x of $('pond-file')?.querySelectorAll('[data-act]') ?? []) x.disabled = false;
      say(null, errorHtml(res.body));
      return;
    }
    if (act !== 'create') S.focus = id;
    // the typed text of a move made is not kept for the next one
    if (form && act !== 'create') for (const el of form.querySelectorAll('[data-keep]')) delete S.ui.values[el.dataset.keep];
    const message = done(res);
    say(message);
    onHazardsChanged();
    await load(S.pond);
    say(message);
  }

  // a hazard in view in the open file, marked (from the board or the map's popup)
  function focusHazard(id) {
    S.focus = id;
    const li = document.querySelector(`#pond-file li[data-hazard="${id}"]`);
    if (!li) return false;
    const fold = li.closest('details');
    if (fold) fold.open = true;
    for (const x of document.querySelectorAll('#pond-file li.hazard.focus')) x.classList.remove('focus');
    li.classList.add('focus');
    li.scrollIntoView({ block: 'nearest' });
    return true;
  }
  async function showHazard(pondId, hazardId) {
    S.focus = hazardId;
    if (S.pond === pondId && focusHazard(hazardId)) return;
    await openPond(pondId);
  }
  return { reload: () => (S.pond != null ? load(S.pond) : null), showHazard, focusHazard, file: () => S.file };
}
