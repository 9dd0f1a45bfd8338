// 核查任务: the list (phone first: cards sorted by deadline and priority,
// overdue marked, also on a map) and one task: navigation to it, its
// imagery, evidence photos straight from the camera with their check, the
// verdict and the life-cycle steps.
import { h, fill, mu, fmtTime, fmtCoord, badge, stateBadge, errorBox, field, select, table, toast, qs, dlLink } from '../ui.js';
import { get, post, put, upload } from '../api.js';
import { session, can, scoped, label } from '../state.js';
import { createMap } from '../map.js';
import { imageryBatch, issuedRows, sourceBadge } from './source.js';

// dueOf is the deadline that applies to a task's state.
function dueOf(t) {
  switch (t.state.code) {
    case 'pending':
    case 'verifying':
      return t.due_verify;
    case 'verified':
      return t.verdict && t.verdict.code === 'illegal' ? t.due_stop : '';
    case 'stopped':
      return t.due_report;
  }
  return '';
}

function dueLabel(t) {
  return { pending: '核查期限', verifying: '核查期限', verified: '制止期限', stopped: '上报期限' }[t.state.code] || '期限';
}

const closedStates = ['closed'];

// sortTasks orders open tasks by deadline then priority rank; closed last.
export function sortTasks(items, by) {
  const key = (t) => [closedStates.includes(t.state.code) ? 1 : 0, by === 'priority' ? '' : dueOf(t) || '9999', t.rank || 1e9];
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] < kb[i]) return -1;
      if (ka[i] > kb[i]) return 1;
    }
    return 0;
  });
}

function taskCard(t) {
  const due = dueOf(t);
  return h('a.card.task-card', { href: '#/tasks/' + encodeURIComponent(t.id), class: t.overdue ? 'overdue' : null, dataset: { task: t.id, team: t.team } },
    h('div.card-head', h('b.jcbh', t.jcbh), stateBadge(t.state), t.overdue ? badge('已逾期', 'danger') : null),
    h('div.card-body',
      h('div', due ? `${dueLabel(t)} ${due}` : '—', h('span.sep', '·'), `优先第 ${t.rank || '—'} 位`),
      h('div.muted', t.priority_reason || ''),
      h('div', `监测面积 ${mu(t.areas.jcmj.mu)} 亩`, h('span.sep', '·'), `耕地 ${mu(t.areas.jcgdmj.mu)} 亩`, t.areas.yjjbntmj.mu > 0 ? h('span.tag-red', ` 永农 ${mu(t.areas.yjjbntmj.mu)} 亩`) : null),
      h('div.muted', [t.zone, t.grade?.label, scoped() ? null : t.team].filter(Boolean).join(' · '))));
}

export async function tasksPage(el, { params }) {
  const v = session.vocab;
  const f = {
    state: params.get('state') || '', team: params.get('team') || '', overdue: params.get('overdue') === 'true',
    jcbh: params.get('jcbh') || '', sort: params.get('sort') || 'deadline', view: params.get('view') || 'list', batch: params.get('batch') || '',
  };
  const go = (ch) => {
    location.hash = '#/tasks' + qs({ ...f, ...ch, sort: (ch.sort ?? f.sort) === 'deadline' ? '' : ch.sort ?? f.sort, view: (ch.view ?? f.view) === 'list' ? '' : ch.view ?? f.view });
  };
  const teams = scoped() ? [] : await get('/teams');
  const list = await get('/tasks' + qs({ state: f.state, team: f.team, overdue: f.overdue, jcbh: f.jcbh, batch: f.batch, limit: 1000 }));
  const items = sortTasks(list.items, f.sort);
  const tot = list.totals;
  const title = scoped() ? `我的任务（${session.me.team}）` : '核查任务';
  const batchNote = f.batch ? h('p.hint', '只列出批次 ', h('b', f.batch), ' 的任务。', h('a', { href: '#/tasks' + qs({ ...f, batch: '', sort: '', view: '' }) }, '显示全部')) : null;
  const filters = h('form.filters', { onsubmit: (e) => { e.preventDefault(); go({ jcbh: e.target.jcbh.value.trim() }); } },
    select('state', [['', '全部状态'], ...v.task_states.map((s) => [s.code, s.label])], f.state, { onchange: (e) => go({ state: e.target.value }), 'aria-label': '状态' }),
    scoped() ? null : select('team', [['', '全部巡查组'], ...teams.map((t) => [t, t])], f.team, { onchange: (e) => go({ team: e.target.value }), 'aria-label': '巡查组' }),
    select('sort', [['deadline', '按期限排序'], ['priority', '按优先级排序']], f.sort, { onchange: (e) => go({ sort: e.target.value }), 'aria-label': '排序' }),
    h('label.chk', h('input', { type: 'checkbox', checked: f.overdue, onchange: (e) => go({ overdue: e.target.checked }) }), '只看逾期'),
    h('input', { name: 'jcbh', placeholder: '监测编号', value: f.jcbh, 'aria-label': '监测编号', inputmode: 'numeric' }));
  const viewSeg = h('div.seg', ['list', 'map'].map((m) => h('button', { type: 'button', class: f.view === m ? 'on' : null, onclick: () => go({ view: m }) }, m === 'list' ? '列表' : '地图')));
  const exports = exportMenu(v, { team: f.team, state: f.state, batch: f.batch });
  const summary = h('p.totals', `共 ${tot.count} 个任务`, tot.overdue ? h('span.tag-red', `，逾期 ${tot.overdue} 个`) : '',
    `；监测面积 ${mu(tot.jcmj.mu)} 亩，耕地 ${mu(tot.jcgdmj.mu)} 亩，永久基本农田 ${mu(tot.yjjbntmj.mu)} 亩`);
  const body = h('div');
  fill(el, h('div.page-head', h('h1', title), viewSeg), filters, batchNote, h('div.row', summary, exports), body);
  if (f.view === 'map') {
    const fc = await get('/tubans' + qs({ format: 'geojson', team: f.team, batch: f.batch, limit: 1000 }));
    const ids = new Set(items.map((t) => t.id));
    fc.features = fc.features.filter((x) => ids.has(x.properties.task_id));
    const m = createMap({ tubans: fc, onFeature: (p) => { if (p.task_id) location.hash = '#/tasks/' + encodeURIComponent(p.task_id); } });
    fill(body, m.el, h('p.hint', '点击图斑打开任务。'));
    return () => m.destroy();
  }
  fill(body, items.length ? h('div.task-list', items.map(taskCard)) : h('p.empty', '没有符合条件的任务'));
  return null;
}

// crsFormats are the export formats whose coordinates may be CGCS2000
// longitude/latitude or Gauss–Krüger (KML, KMZ and GPX are WGS84 by their
// specifications).
const crsFormats = ['zip', 'geojson', 'shp'];

// exportMenu offers the task export in every format, for the tasks a
// filter selects (team, state, batch), with the coordinate system.
export function exportMenu(v, filter) {
  const crs = select('crs', v.crs.map((c) => [c.code, c.label]), v.crs[0]?.code || '', { 'aria-label': '坐标系' });
  const links = h('div.export-links');
  const draw = () => fill(links, v.export_formats.map((x) => dlLink(x.label, '/export/tasks' + qs({ format: x.code, ...filter, crs: crsFormats.includes(x.code) && crs.value !== '4490' ? crs.value : '' }))));
  crs.addEventListener('change', draw);
  draw();
  return h('details.exports', h('summary', '导出'), h('div', field('坐标系（GeoJSON、Shapefile、外业包）', crs), links));
}

// navLinks opens the 图斑 in the phone's map apps. Coordinates are WGS84:
// the apps are told so (高德 coordinate=wgs84, 百度 coord_type=wgs84),
// since Chinese maps use GCJ-02 and would otherwise be off by hundreds of
// metres.
function navLinks(lon, lat, name) {
  const n = encodeURIComponent(name);
  return h('div.nav-links',
    h('a.btn.primary', { href: `geo:${lat},${lon}?q=${lat},${lon}(${n})` }, '导航（手机地图）'),
    h('a.btn', { href: `https://uri.amap.com/marker?position=${lon},${lat}&name=${n}&coordinate=wgs84&callnative=1`, target: '_blank', rel: 'noopener' }, '高德地图'),
    h('a.btn', { href: `baidumap://map/marker?location=${lat},${lon}&title=${n}&content=${n}&coord_type=wgs84&src=weipian` }, '百度地图'),
    h('button.btn', { type: 'button', onclick: async () => { try { await navigator.clipboard.writeText(`${lat.toFixed(6)},${lon.toFixed(6)}`); toast('坐标已复制'); } catch (e) { toast(`${lat.toFixed(6)},${lon.toFixed(6)}`); } } }, '复制坐标'));
}

function flagText(flags) {
  return flags.map((c) => label('evidence_flags', c)).join('；');
}

function kindBadge(k) {
  const code = k?.code || 'manual';
  return h('span.badge', { class: code === 'drone' ? 'badge-drone' : 'badge-todo', dataset: { kind: code } }, k?.label || '人工举证照片');
}

function photoItem(taskID, e) {
  return h('li.photo', { dataset: { sha: e.sha256, ok: String(e.ok), kind: e.kind?.code || 'manual' } },
    h('a', { href: `/tasks/${encodeURIComponent(taskID)}/evidence/${e.sha256}`, target: '_blank', rel: 'noopener' },
      h('img', { src: `/tasks/${encodeURIComponent(taskID)}/evidence/${e.sha256}`, alt: e.name, loading: 'lazy' })),
    h('div.photo-info',
      h('div', h('b', e.name), ' ', e.ok ? badge('合格', 'ok') : badge('不合格', 'danger'), ' ', kindBadge(e.kind)),
      e.ok ? null : h('div.tag-red', flagText(e.flags)),
      h('div.muted', '拍摄时间 ', e.taken_at ? fmtTime(e.taken_at) : '无'),
      h('div.muted', e.has_gps ? `位置 ${fmtCoord(e.lon, e.lat)}，距图斑 ${Math.round(e.distance_m)} 米` : '无定位信息'),
      h('div.muted', e.has_direction ? `拍摄方向 ${Math.round(e.direction_deg)}°` : '无拍摄方向'),
      h('div.muted', `${e.added_by} 上传于 ${fmtTime(e.added_at)}`)));
}

function stepForm(t, step, onDone) {
  const v = session.vocab;
  const form = h('form.step-form.card');
  const msg = h('div.msg');
  const parts = [];
  let verdict;
  let vtype;
  let approval;
  let rect;
  let caseNo;
  if (step.needs === 'verdict') {
    verdict = select('verdict', [['', '请选择判定'], ...v.verdicts.map((x) => [x.code, x.label])], '', { required: true });
    vtype = select('violation_type', [['', '请选择违法类型'], ...v.violation_types.map((x) => [x.code, x.label])], '');
    approval = h('input', { name: 'approval_no', placeholder: '如 鄂政地〔2026〕1号' });
    const vtField = field('违法类型', vtype);
    const apField = field('批准文号', approval);
    const note = h('small.hint');
    const sync = () => {
      vtField.hidden = verdict.value !== 'illegal';
      apField.hidden = verdict.value !== 'legal';
      const review = v.review_verdicts.includes(verdict.value);
      note.textContent = review && !can('task.review') ? '此判定需要一张合格的现场照片（有定位、在图斑附近），或由执法审核人员办理。' : '';
    };
    verdict.addEventListener('change', sync);
    parts.push(field('判定', verdict), vtField, apField, note);
    setTimeout(sync);
  } else if (step.needs === 'rectification') {
    rect = select('rectification', [['', '请选择整改方式'], ...v.rectifications.map((x) => [x.code, x.label])], '', { required: true });
    parts.push(field('整改方式', rect));
  } else if (step.needs === 'case_no') {
    caseNo = h('input', { name: 'case_no', placeholder: '立案编号' });
    parts.push(field('立案编号', caseNo));
  }
  const reason = h('textarea', { name: 'reason', rows: 2, required: step.needs === 'reason', placeholder: step.needs === 'reason' ? '重新核查的原因' : '说明（可选）' });
  parts.push(field(step.needs === 'reason' ? '原因' : '说明', reason));
  const submit = h('button.primary', { type: 'submit' }, '确认：' + step.action);
  fill(form, h('h3', `${step.action}（${step.from.label} → ${step.to.label}）`), parts, msg, h('div.row', submit, h('button', { type: 'button', onclick: () => form.remove() }, '取消')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    fill(msg);
    try {
      await post(`/tasks/${encodeURIComponent(t.id)}/transitions`, {
        to: step.to.code, from: t.state.code, reason: reason.value.trim(), verdict: verdict?.value || '',
        violation_type: verdict?.value === 'illegal' ? vtype.value : '', approval_no: verdict?.value === 'legal' ? approval.value.trim() : '',
        rectification: rect?.value || '', case_no: caseNo?.value.trim() || '',
      });
      toast(`已${step.action}：${step.to.label}`, 'ok');
      onDone();
    } catch (err) {
      fill(msg, errorBox(err));
      submit.disabled = false;
    }
  });
  return form;
}

// chinaToday is today's date in China (YYYY-MM-DD).
function chinaToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

const muOf = (m2) => (Number(m2) > 0 ? `${mu(Number(m2) / (10000 / 15))} 亩` : '');

// findingsSection is the 核查填报 form of a task (PUT /tasks/{id}/findings):
// what the patrol found on site, as the provincial return table carries it
// (核实认定意见, 现场核查描述, 项目名称/主体, 建设时间, 批准机关/时间/面积,
// 违法面积, 核查人员/时间). It shows the filled form, and the form to fill
// or change it once the task is being verified.
function findingsSection(t, onSaved) {
  const v = session.vocab;
  const fd = t.findings;
  const editable = can('task.transition') && t.state.code !== 'pending' && (t.state.code !== 'closed' || can('task.review'));
  const area = (m2) => (m2 > 0 ? `${mu(m2)} 平方米（${muOf(m2)}）` : '—');
  const shown = fd ? h('dl.kv.findings-view',
    h('dt', '核实认定意见'), h('dd', h('b', fd.opinion || '—')),
    h('dt', '现场核查描述'), h('dd.pre', fd.description || '—'),
    h('dt', '项目名称'), h('dd', fd.project_name || '—'),
    h('dt', '项目主体'), h('dd', fd.project_owner || '—'),
    h('dt', '建设时间'), h('dd', fd.built_at || '—'),
    h('dt', '批准机关'), h('dd', fd.approval_authority || '—'),
    h('dt', '批准时间'), h('dd', fd.approval_date || '—'),
    h('dt', '批准面积'), h('dd', area(fd.approved_area_m2)),
    h('dt', '违法面积 WFMJ'), h('dd', area(fd.illegal_area_m2)),
    h('dt', '核查人员'), h('dd', fd.inspectors || '—'),
    h('dt', '核查时间'), h('dd', fd.inspected_at || '—'),
    h('dt', '填报人'), h('dd.muted', fd.updated_by || '—')) : h('p.empty', '尚未填报');
  const area2 = h('div');
  const section = h('section.card.findings', { dataset: { filled: String(!!fd) } },
    h('div.card-title', h('h2', '核查填报'), editable ? h('button', { type: 'button', class: fd ? null : 'primary', onclick: () => fill(area2, form()) }, fd ? '修改' : '填写核查情况') : null),
    t.state.code === 'pending' && can('task.transition') ? h('p.hint', '请先"开始核查"，再填写核查情况。') : null,
    shown, area2);

  const form = () => {
    const cur = fd || {};
    const known = v.opinions.includes(cur.opinion);
    const opinion = select('opinion', [['', '请选择'], ...v.opinions.map((o) => [o, o]), ['__own', '自行填写…']], cur.opinion ? (known ? cur.opinion : '__own') : '', { required: true });
    const own = h('input', { name: 'opinion_text', value: known ? '' : cur.opinion || '', placeholder: '核实认定意见', maxlength: 200 });
    const ownField = field('自行填写的意见', own);
    const syncOwn = () => { ownField.hidden = opinion.value !== '__own'; own.required = opinion.value === '__own'; };
    opinion.addEventListener('change', syncOwn);
    syncOwn();
    const text = (name, value, attrs = {}) => h('input', { name, value: value || '', ...attrs });
    const desc = h('textarea', { name: 'description', rows: 3, placeholder: '现场情况：地类、建设内容、进度、四至等' });
    desc.value = cur.description || '';
    const areaInput = (name, value) => {
      const inp = h('input', { name, type: 'number', min: 0, step: 'any', value: value > 0 ? value : '', inputmode: 'decimal', placeholder: '平方米' });
      const hint = h('small.hint', muOf(value));
      inp.addEventListener('input', () => { hint.textContent = muOf(inp.value); });
      return [inp, hint];
    };
    const [approvedArea, approvedHint] = areaInput('approved_area_m2', cur.approved_area_m2);
    const [illegalArea, illegalHint] = areaInput('illegal_area_m2', cur.illegal_area_m2);
    const fields = {
      project_name: text('project_name', cur.project_name, { maxlength: 200 }),
      project_owner: text('project_owner', cur.project_owner, { maxlength: 200, placeholder: '单位或个人' }),
      built_at: text('built_at', cur.built_at, { placeholder: '如 2026-03 或 2026-03-15', pattern: '\\d{4}-\\d{2}(-\\d{2})?' }),
      approval_authority: text('approval_authority', cur.approval_authority, { maxlength: 200, placeholder: '如 某某县人民政府' }),
      approval_date: text('approval_date', cur.approval_date, { type: 'date' }),
      inspectors: text('inspectors', cur.inspectors || session.me.display || session.me.user, { maxlength: 200, placeholder: '两人以上，用顿号分隔' }),
      inspected_at: text('inspected_at', cur.inspected_at || chinaToday(), { type: 'date' }),
    };
    const msg = h('div.msg');
    const submit = h('button.primary', { type: 'submit' }, '保存核查情况');
    const f = h('form.card.findings-form', {
      onsubmit: async (e) => {
        e.preventDefault();
        submit.disabled = true;
        fill(msg);
        const num = (inp) => (inp.value.trim() === '' ? 0 : Number(inp.value));
        const body = { opinion: opinion.value === '__own' ? own.value.trim() : opinion.value, description: desc.value.trim(),
          approved_area_m2: num(approvedArea), illegal_area_m2: num(illegalArea) };
        for (const [k, inp] of Object.entries(fields)) body[k] = inp.value.trim();
        try {
          await put(`/tasks/${encodeURIComponent(t.id)}/findings`, body);
          toast('核查情况已保存', 'ok');
          onSaved();
        } catch (err) {
          fill(msg, errorBox(err));
          submit.disabled = false;
        }
      },
    },
    h('h3', '核查填报'),
    h('div.form-grid', field('核实认定意见', opinion), ownField, field('项目名称', fields.project_name), field('项目主体', fields.project_owner),
      field('建设时间', fields.built_at)),
    field('现场核查描述', desc),
    h('h3', '用地手续（合法图斑填写）'),
    h('div.form-grid', field('批准机关', fields.approval_authority), field('批准时间', fields.approval_date), field('批准面积（平方米）', approvedArea, approvedHint)),
    h('h3', '违法情况'),
    h('div.form-grid', field('违法面积 WFMJ（平方米）', illegalArea, illegalHint)),
    h('p.hint', '违法面积不填时，核查成果按监测面积上报。批准文号在"核查与处置"中随判定填写。'),
    h('div.form-grid', field('核查人员', fields.inspectors), field('核查时间', fields.inspected_at)),
    msg, h('div.row', submit, h('button', { type: 'button', onclick: () => f.remove() }, '取消')));
    return f;
  };
  return section;
}

export async function taskPage(el, { args }) {
  const id = args[0];
  const d = await get('/tasks/' + encodeURIComponent(id));
  const t = d.task;
  const tb = d.tuban;
  const v = session.vocab;
  const cleanups = [];
  const reload = async () => {
    cleanups.splice(0).forEach((f) => f());
    try {
      cleanups.push(await taskPage(el, { args }));
    } catch (err) {
      fill(el, errorBox(err));
    }
  };

  // Evidence upload: the camera (capture) or the album, several photos at once.
  const results = h('div.upload-results', { 'aria-live': 'polite' });
  const bar = h('progress', { max: 1, value: 0, hidden: true });
  const kinds = v.evidence_kinds || [{ code: 'manual', label: '人工举证照片' }];
  const kindSeg = h('div.seg.kind-seg', { role: 'radiogroup', 'aria-label': '照片类型' }, kinds.map((k, i) => h('label', { class: i === 0 ? 'on' : null },
    h('input', { type: 'radio', name: 'evidence_kind', value: k.code, checked: i === 0, onchange: () => kindSeg.querySelectorAll('label').forEach((l) => l.classList.toggle('on', l.querySelector('input').checked)) }),
    k.label)));
  const pickedKind = () => kindSeg.querySelector('input:checked')?.value || 'manual';
  const sendPhotos = async (files) => {
    if (!files || !files.length) return;
    const form = new FormData();
    for (const f of files) form.append('photos', f, f.name);
    const kind = pickedKind();
    bar.hidden = false;
    fill(results, h('p', `正在上传 ${files.length} 张${label('evidence_kinds', kind)}…`));
    try {
      const res = await upload(`/tasks/${encodeURIComponent(t.id)}/evidence${kind === 'manual' ? '' : '?kind=' + encodeURIComponent(kind)}`, form, (p) => { bar.value = p; });
      bar.hidden = true;
      fill(results, h('div.check', h('h3', '照片核验结果'), h('ul', res.photos.map((p) => h('li', { class: p.ok ? 'ok' : 'bad', dataset: { ok: String(p.ok) } },
        p.ok ? badge('合格', 'ok') : badge('不合格', 'danger'), ' ', kindBadge(p.evidence.kind), ' ', h('b', p.name), '：', p.summary,
        p.evidence.has_gps ? h('span.muted', `（${fmtCoord(p.evidence.lon, p.evidence.lat)}${p.evidence.has_direction ? '，方向 ' + Math.round(p.evidence.direction_deg) + '°' : ''}${p.evidence.taken_at ? '，' + fmtTime(p.evidence.taken_at) : ''}）`) : null)))));
      toast('照片已上传并核验', 'ok');
      setTimeout(reload, 1200);
    } catch (err) {
      bar.hidden = true;
      fill(results, errorBox(err));
    }
  };
  const camera = h('input#photo-camera', { type: 'file', accept: 'image/jpeg', capture: 'environment', hidden: true, onchange: (e) => sendPhotos(e.target.files) });
  const album = h('input#photo-input', { type: 'file', accept: 'image/jpeg', multiple: true, hidden: true, onchange: (e) => sendPhotos(e.target.files) });
  const canEvidence = can('evidence.add') && !['pending', 'closed'].includes(t.state.code);
  const evidenceSection = h('section.card',
    h('h2', `举证照片（${t.evidence.length}）`),
    can('evidence.add') && !canEvidence ? h('p.hint', t.state.code === 'pending' ? '请先"开始核查"，再拍照上传。' : '任务已办结。') : null,
    canEvidence ? h('div.row', kindSeg) : null,
    canEvidence ? h('div.row', camera, album,
      h('button.primary', { type: 'button', onclick: () => camera.click() }, '拍照上传'),
      h('button', { type: 'button', onclick: () => album.click() }, '从相册选择')) : null,
    bar, results,
    t.evidence.length ? h('ul.photos', t.evidence.map((e) => photoItem(t.id, e))) : h('p.empty', '尚无照片'),
    h('p.hint', `照片须带 GPS 定位，拍摄位置距图斑不超过 ${v.max_photo_distance_m} 米；拍摄方向与时间一并核验。`));

  // Life-cycle steps.
  const steps = v.steps.filter((s) => s.from.code === t.state.code);
  const stepArea = h('div.steps-area');
  const stepSection = h('section.card',
    h('h2', '核查与处置'),
    h('div.row', h('span', '当前状态 '), stateBadge(t.state), t.verdict ? h('span', '判定：', h('b', t.verdict.label)) : null,
      t.violation_type ? h('span', ' · ', t.violation_type.label) : null, t.approval_no ? h('span', ' · 批准文号 ', t.approval_no) : null,
      t.case_no ? h('span', ' · 立案 ', t.case_no) : null, t.rectification ? h('span', ' · 整改 ', t.rectification.label) : null),
    can('task.transition') && steps.length ? h('div.row.steps', steps.map((s) => h('button', {
      type: 'button', class: 'step', dataset: { to: s.to.code },
      onclick: () => fill(stepArea, stepForm(t, s, reload)),
    }, s.action))) : null,
    stepArea,
    h('h3', '办理记录'),
    table([
      { head: '时间', cell: (x) => fmtTime(x.at) },
      { head: '环节', cell: (x) => `${x.from.label} → ${x.to.label}` },
      { head: '办理人', cell: (x) => x.actor },
      { head: '内容', cell: (x) => [x.verdict?.label, x.violation_type?.label, x.approval_no, x.rectification?.label, x.case_no, x.reason].filter(Boolean).join('；') || '—' },
    ], t.history, { empty: '尚无办理记录' }));

  const info = h('section.card',
    h('h2', '图斑信息'),
    h('dl.kv',
      h('dt', '监测编号'), h('dd', h('a', { href: '#/tubans/' + encodeURIComponent(tb.id) }, tb.jcbh)),
      issuedRows(tb),
      h('dt', '乡镇'), h('dd', `${tb.xzqmc || '—'}（${tb.xzqdm || '—'}）`),
      h('dt', '变化类型'), h('dd', tb.tblx.label, tb.tblx_confidence ? `（置信度 ${tb.tblx_confidence}）` : ''),
      h('dt', '初判'), h('dd', tb.judgement.label, tb.judgement_reason ? h('div.muted', tb.judgement_reason) : null),
      h('dt', '监测面积'), h('dd', `${mu(tb.areas.jcmj.mu)} 亩（${mu(tb.areas.jcmj.m2)} 平方米）`),
      h('dt', '耕地面积'), h('dd', `${mu(tb.areas.jcgdmj.mu)} 亩`),
      h('dt', '永久基本农田'), h('dd', { class: tb.areas.yjjbntmj.mu > 0 ? 'tag-red' : null }, `${mu(tb.areas.yjjbntmj.mu)} 亩`),
      h('dt', '前时相 / 后时相'), h('dd', `${tb.qsx || '—'} / ${tb.hsx || '—'}`),
      h('dt', '中心坐标'), h('dd', fmtCoord(tb.center_lon, tb.center_lat), h('small.muted', '（WGS84）')),
      h('dt', '巡查区'), h('dd', [tb.patrol_zone, tb.grade?.label, t.team].filter(Boolean).join(' · ') || '—'),
      h('dt', '责任人'), h('dd', [tb.person, tb.contact].filter(Boolean).join(' ') || '—'),
      h('dt', '优先'), h('dd', `本组第 ${t.rank || '—'} 位：${t.priority_reason || '—'}`),
      h('dt', '期限'), h('dd', `核查 ${t.due_verify || '—'}`, t.due_stop ? `；制止 ${t.due_stop}` : '', t.due_report ? `；上报 ${t.due_report}` : ''),
      t.patrol_check ? h('dt', '巡查对账') : null, t.patrol_check ? h('dd', t.patrol_check) : null));

  const m = createMap({ batch: imageryBatch(tb), focus: tb.geometry, focusLabel: tb.jcbh, photos: t.evidence });
  cleanups.push(() => m.destroy());
  fill(el,
    h('div.page-head', h('div', h('a.back', { href: '#/tasks' }, '‹ 任务列表'), h('h1', '核查任务 ', h('span.jcbh', t.jcbh))),
      h('div.head-badges', sourceBadge(tb), stateBadge(t.state), t.overdue ? badge('已逾期', 'danger') : null)),
    h('section.card', h('h2', '到现场'), navLinks(tb.center_lon, tb.center_lat, tb.jcbh), h('p.muted', fmtCoord(tb.center_lon, tb.center_lat), '（WGS84，已告知地图应用）')),
    h('section.card.map-card', h('h2', '影像对比（前时相 / 后时相）'), m.el),
    evidenceSection,
    findingsSection(t, reload),
    stepSection,
    info);
  return () => cleanups.forEach((f) => f());
}
