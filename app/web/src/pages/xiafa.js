// 下发图斑: the 图斑 the ministry (部), province (省) or city (市) issue to the
// county. Remote-sensing staff and the office import a 下发 package (a
// Shapefile's files or a .zip, GeoPackage, GeoJSON; POST /xiafa), see every
// problem of a refused package feature by feature, follow each 下发 batch's
// verification (GET /xiafa) and download its 核查成果 package (GET
// /xiafa/{id}/export) in the shape the provincial platform takes back.
import { h, fill, mu, fmtTime, errorBox, field, select, table, progress, badge, dlLink, qs } from '../ui.js';
import { get, upload } from '../api.js';
import { session, can } from '../state.js';

const accept = '.zip,.shp,.shx,.dbf,.prj,.cpg,.sbn,.sbx,.qix,.xml,.gpkg,.geojson,.json';

export async function xiafaPage(el) {
  const v = session.vocab;
  const listEl = h('div');
  const exportEl = h('div');
  const load = async () => {
    const l = await get('/xiafa');
    const card = l.length ? exportCard(v, l) : null;
    fill(listEl, batchTable(l, (id) => card.pick(id)));
    fill(exportEl, card);
  };
  fill(el, h('div.page-head', h('h1', '下发图斑')),
    can('xiafa.import') ? importForm(v, load) : null,
    h('section.card.xiafa-list', h('h2', '下发批次'),
      h('p.hint', '部、省、市下发的批次与核查进度。"县里已发现"为下发前自主监测或巡查已发现的图斑；核查成果包按省级平台的格式导出（矢量、Excel、举证照片、清单与校验和）。'),
      listEl),
    exportEl);
  await load();
}

function importForm(v, onImported) {
  const files = h('input', { type: 'file', name: 'files', multiple: true, required: true, accept });
  const chosen = h('small.hint.chosen');
  files.addEventListener('change', () => {
    // A Shapefile's parts read as one name with their extensions.
    const byStem = new Map();
    for (const f of files.files) {
      const i = f.name.lastIndexOf('.');
      const stem = i > 0 ? f.name.slice(0, i) : f.name;
      byStem.set(stem, [...(byStem.get(stem) || []), i > 0 ? f.name.slice(i) : '']);
    }
    const parts = [...byStem].map(([stem, exts]) => (exts.length > 1 ? `${stem}（${exts.join(' ')}）` : stem + exts[0]));
    chosen.textContent = files.files.length ? `已选 ${files.files.length} 个文件：${parts.join('、')}` : '';
  });
  const source = select('source', v.xiafa_sources.map((s) => [s.code, s.label]), '省', { required: true });
  const name = h('input', { name: 'batch_name', placeholder: '如 2026年第5批省级下发（默认为文件名）', maxlength: 100 });
  const map = h('input', { name: 'map', placeholder: '如 监测图斑号=JCBH,图斑类型=TBLX（可选）' });
  const enc = h('input', { name: 'encoding', placeholder: '如 GBK（.dbf 无 .cpg 时）' });
  const codes = h('input', { name: 'tblx_codes', placeholder: '如 GY=光伏用地=其他变化（可选）' });
  const dry = h('input', { type: 'checkbox', name: 'dry_run' });
  const msg = h('div.msg.xiafa-result');
  const button = h('button.primary', { type: 'submit' }, '导入');
  const form = h('form.card.xiafa-import', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (!files.files.length) return;
      const fd = new FormData();
      fd.append('source', source.value);
      fd.append('batch_name', name.value.trim());
      fd.append('map', map.value.trim());
      fd.append('encoding', enc.value.trim());
      fd.append('tblx_codes', codes.value.trim());
      fd.append('dry_run', dry.checked ? 'true' : 'false');
      for (const f of files.files) fd.append('files', f, f.name);
      button.disabled = true;
      fill(msg, h('p', dry.checked ? '正在检查…' : '正在导入…'));
      try {
        const res = await upload('/xiafa', fd);
        fill(msg, resultOf(res));
        if (res.imported) await onImported();
      } catch (err) {
        const ps = err.body?.problems || [];
        fill(msg, errorBox(err), ps.length ? problemTable(ps) : null);
      } finally {
        button.disabled = false;
      }
    },
  },
  h('h2', '导入下发包'),
  h('p.hint', 'Shapefile 请同时选择 .shp、.shx、.dbf、.prj（及 .cpg），或打包为 .zip；也可为 GeoPackage、GeoJSON 或打包的 File Geodatabase。坐标系任意（CGCS2000 经纬度或高斯投影均可），须有 .prj。有一处错误则整包不导入，并逐条列出问题。'),
  h('div.form-grid', field('下发包文件', h('div', files, chosen)), field('下发来源', source), field('批次名称', name), field('字段映射', map), field('编码', enc),
    field('补充图斑类型代码', codes)),
  h('div.row', h('label.chk', dry, '只检查，不导入')), button, msg);
  return form;
}

function resultOf(res) {
  const b = res.batch;
  if (!res.imported && !b) {
    return h('p.ok', `检查通过：${res.patches} 个图斑，可以导入（未导入）。`);
  }
  if (!res.imported) {
    return h('div', h('p.ok', `该下发包已导入过（批次 ${b.spec.name}，${b.id}），没有改动。`), links(b));
  }
  return h('div',
    h('p.ok', `已导入「${b.spec.name}」：${res.patches} 个图斑，其中 ${res.linked} 个与自主监测图斑为同一地块（已关联，不重复），生成核查任务 ${res.tasks} 个。`),
    links(b));
}

function links(b) {
  return h('div.row',
    h('a.btn.primary', { href: '#/tubans' + qs({ batch: b.id }) }, '查看图斑'),
    h('a.btn', { href: '#/tasks' + qs({ batch: b.id }) }, '核查任务'));
}

// problemTable lists the problems of a refused package.
function problemTable(ps) {
  return h('div.xiafa-problems', h('h3', `问题 ${ps.length} 处（整包未导入）`), table([
    { head: '要素', cell: (p) => (p.feature_id > 0 ? `第 ${p.feature_id} 个` : '—'), class: 'num' },
    { head: '监测编号 JCBH', cell: (p) => p.jcbh || '（空）' },
    { head: '字段', cell: (p) => p.field || '—' },
    { head: '值', cell: (p) => p.value || '—' },
    { head: '问题', cell: (p) => p.problem },
  ], ps));
}

// exportCard offers a 下发 batch's downloads: the 核查成果 package in the
// format and CRS chosen (the office returns it), and the batch's tasks and
// 图斑 in the formats that exist for them. pick(id) selects a batch.
function exportCard(v, items) {
  const batch = select('batch', items.map((x) => [x.batch.id, `${x.batch.spec.name}（${x.source}下发）`]), items[0]?.batch.id || '', { 'aria-label': '下发批次' });
  const fmt = select('format', v.xiafa_formats.map((x) => [x.code, x.label]), 'shp', { 'aria-label': '核查成果格式' });
  const crs = select('crs', v.crs.map((x) => [x.code, x.label]), '4490', { 'aria-label': '坐标系' });
  const links = h('div.row.export-links');
  const draw = () => {
    const x = items.find((i) => i.batch.id === batch.value);
    if (!x) return fill(links);
    const id = x.batch.id;
    return fill(links,
      can('xiafa.export') ? dlLink('下载核查成果包', `/xiafa/${encodeURIComponent(id)}/export` + qs({ format: fmt.value, crs: crs.value }), { primary: true }) : null,
      dlLink('任务 Excel', '/export/tasks' + qs({ format: 'xlsx', batch: id })),
      dlLink('外业包 ZIP', '/export/tasks' + qs({ format: 'zip', batch: id, crs: crs.value === '4490' ? '' : crs.value })),
      dlLink('任务 Shapefile', '/export/tasks' + qs({ format: 'shp', batch: id, crs: crs.value === '4490' ? '' : crs.value })),
      dlLink('图斑 GeoJSON', '/tubans' + qs({ batch: id, format: 'geojson', limit: 1000 }), { name: `${x.batch.spec.name}_图斑.geojson` }));
  };
  for (const s of [batch, fmt, crs]) s.addEventListener('change', draw);
  draw();
  const card = h('section.card.xiafa-export', h('h2', '核查成果与导出'),
    h('p.hint', can('xiafa.export')
      ? '核查成果包：矢量（核查字段 JZLX、PDJG、WFLX、WFMJ、核实认定意见等）、Excel 表、按监测编号分的人工/无人机举证照片、清单与校验和。'
      : '核查成果包由执法审核人员导出上报；这里可导出批次的任务与图斑。'),
    h('div.form-grid', field('下发批次', batch), can('xiafa.export') ? field('核查成果格式', fmt) : null, field('坐标系', crs)), links);
  card.pick = (id) => {
    batch.value = id;
    draw();
    card.scrollIntoView({ block: 'center', behavior: 'smooth' });
  };
  return card;
}

function batchTable(items, onExport) {
  return table([
    { head: '批次', cell: (x) => h('div', h('a', { href: '#/tubans' + qs({ batch: x.batch.id }), dataset: { xiafa: x.batch.id } }, x.batch.spec.name),
      h('br'), h('small.muted', `${x.batch.id} · ${x.batch.spec.file || ''}`)) },
    { head: '来源', cell: (x) => h('span.badge.badge-issued', x.source + '下发') },
    { head: '导入时间', cell: (x) => fmtTime(x.batch.created_at) },
    { head: '图斑', cell: (x) => h('span', { dataset: { count: x.tubans } }, `${x.tubans} 个`, h('br'), h('small.muted', `${mu(x.jcmj.mu)} 亩`)), class: 'num' },
    { head: '县里已发现', cell: (x) => h('span', `自主监测 ${x.own_found}`, h('br'), `巡查 ${x.patrol_found}`), class: 'num' },
    { head: '核查进度', cell: (x) => h('div.prog', progress(x.verified, x.tasks),
      h('small', `已核查 ${x.verified}/${x.tasks}，已填报 ${x.findings}，照片 ${x.photos} 张`)) },
    { head: '截止', cell: (x) => h('span', x.deadline || '—', x.overdue ? h('div', badge(`逾期 ${x.overdue}`, 'danger')) : null) },
    { head: '', cell: (x) => h('div.row', h('a.btn', { href: '#/tasks' + qs({ batch: x.batch.id }) }, '任务'),
      h('button', { type: 'button', class: 'export-batch', onclick: () => onExport(x.batch.id) }, '导出…')) },
  ], items, { empty: '还没有下发批次' });
}
