// 图层: the versions of each zone layer (耕地, 永久基本农田, 生态保护红线,
// 行政区, 巡查区, 批准用地) and the import of a new version; after an import
// the batches can be judged again (监测批次 → 重新研判).
import { h, fill, fmtTime, badge, errorBox, field, select, table } from '../ui.js';
import { get, upload } from '../api.js';
import { session, can } from '../state.js';

export async function zonesPage(el) {
  const v = session.vocab;
  const layers = await get('/zones');
  const msg = h('div.msg');
  const kind = select('kind', v.zone_kinds.map((k) => [k.code, k.label]), 'cultivated');
  const file = h('input', { type: 'file', name: 'file', required: true, accept: '.zip,.gpkg,.geojson,.json,.shp,.kml,.kmz' });
  const name = h('input', { name: 'name', placeholder: '版本名称（可选）' });
  const map = h('input', { name: 'map', placeholder: "字段映射，如 ZRR=责任人,DJ=等级（可选）" });
  const enc = h('input', { name: 'encoding', placeholder: '编码，如 GBK（.dbf 无 .cpg 时）' });
  const skip = h('input', { type: 'checkbox', name: 'skip_invalid' });
  const dry = h('input', { type: 'checkbox', name: 'dry_run' });
  const button = h('button.primary', { type: 'submit' }, '导入');
  const form = can('zone.import') ? h('form.card', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (!file.files.length) return;
      const fd = new FormData();
      fd.append('name', name.value.trim());
      fd.append('map', map.value.trim());
      fd.append('encoding', enc.value.trim());
      fd.append('skip_invalid', skip.checked ? 'true' : 'false');
      fd.append('dry_run', dry.checked ? 'true' : 'false');
      fd.append('file', file.files[0], file.files[0].name);
      button.disabled = true;
      fill(msg, '正在导入…');
      try {
        const res = await upload('/zones/' + kind.value, fd);
        fill(msg, h('p.ok', res.imported ? `已导入 ${res.layer.kind.label} 第 ${res.layer.version} 版：${res.layer.features} 个要素。可在监测批次页面"重新研判"。` : `检查通过：${res.layer.features} 个要素（未导入）。`),
          problems(res.problems));
        if (res.imported) setTimeout(() => zonesPage(el), 1500);
      } catch (err) {
        fill(msg, errorBox(err), problems(err.body?.problems || []));
      } finally {
        button.disabled = false;
      }
    },
  }, h('h2', '导入图层'),
  h('div.form-grid', field('类型', kind), field('文件', file, 'Shapefile 请打包为 .zip；任意坐标系'), field('名称', name), field('字段映射', map), field('编码', enc)),
  h('div.row', h('label.chk', skip, '跳过有错误的要素'), h('label.chk', dry, '只检查，不导入')), msg, button) : null;
  fill(el, h('div.page-head', h('h1', '图层')), form,
    h('section.card', h('h2', '图层版本'), table([
      { head: '类型', cell: (l) => l.kind.label },
      { head: '版本', cell: (l) => 'v' + l.version },
      { head: '名称', cell: (l) => l.name },
      { head: '要素', cell: (l) => l.features, class: 'num' },
      { head: '状态', cell: (l) => (l.active ? badge('使用中', 'ok') : badge('历史版本')) },
      { head: '导入时间', cell: (l) => fmtTime(l.imported_at) },
      { head: '来源', cell: (l) => l.source },
      { head: '问题', cell: (l) => (l.skipped || l.warnings ? `跳过 ${l.skipped}，警告 ${l.warnings}` : '—') },
    ], layers, { empty: '尚未导入图层（weipian zones import）' })));
}

function problems(ps) {
  if (!ps.length) return null;
  return h('details', { open: ps.length < 20 }, h('summary', `问题 ${ps.length} 个`), table([
    { head: '要素', cell: (p) => p.feature_id },
    { head: '字段', cell: (p) => p.field || '—' },
    { head: '值', cell: (p) => p.value || '—' },
    { head: '问题', cell: (p) => p.problem },
    { head: '', cell: (p) => (p.warning ? '警告' : '错误') },
  ], ps));
}
