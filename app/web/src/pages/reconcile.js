// 巡查对账: a batch's 图斑 against the patrol ledgers and tracks, per patrol
// zone for a month, with the 巡查应发现而未发现 list; ledger and track import.
import { h, fill, errorBox, field, select, table, saveBlob, badge } from '../ui.js';
import { get, post, upload, api } from '../api.js';
import { can } from '../state.js';

function pct(v) {
  return v < 0 ? '—' : (v * 100).toFixed(1) + '%';
}

export async function reconcilePage(el) {
  const batches = await get('/batches?limit=200');
  const done = batches.items.filter((b) => b.state === 'done');
  const batch = select('batch', done.map((b) => [b.id, `${b.spec.name}（${b.id}）`]), done[0]?.id || '');
  const period = h('input', { name: 'period', type: 'month', placeholder: 'YYYY-MM' });
  const out = h('div');
  const msg = h('div.msg');
  const run = async (e) => {
    e.preventDefault();
    fill(msg, '正在对账…');
    try {
      const v = await post('/reconcile/view', { batch: batch.value, period: period.value });
      fill(msg);
      show(v);
    } catch (err) {
      fill(msg, errorBox(err));
    }
  };
  const show = (v) => {
    const download = (name) => async () => {
      try {
        const res = await api('POST', '/reconcile?file=' + encodeURIComponent(name), { batch: v.batch, period: period.value }, { raw: true });
        await saveBlob(await res.blob(), name);
      } catch (err) {
        fill(msg, errorBox(err));
      }
    };
    fill(out,
      h('section.card', h('h2', `对账结果（${v.period}）`),
        h('p.totals', `共 ${v.tubans} 个图斑：`, Object.entries(v.counts).map(([k, n]) => `${k} ${n}`).join('，') || '—'),
        h('div.row', v.files.map((f) => h('button', { type: 'button', onclick: download(f) }, '下载 ' + f)))),
      h('section.card', h('h2', '各巡查区'), table([
        { head: '巡查区', cell: (z) => z.name || z.zone_id },
        { head: '巡查组', cell: (z) => z.team || '—' },
        { head: '等级', cell: (z) => z.grade },
        { head: '巡查天数/应巡查', cell: (z) => `${z.patrol_days}/${z.required_days}`, class: 'num' },
        { head: '频次', cell: (z) => (z.frequency_met ? badge('达标', 'ok') : badge('未达标', 'danger')) },
        { head: '单人巡查', cell: (z) => z.solo_patrols, class: 'num' },
        { head: '疑似违法', cell: (z) => z.suspected, class: 'num' },
        { head: '巡查已发现', cell: (z) => z.found, class: 'num' },
        { head: '应发现而未发现', cell: (z) => (z.should_have_found ? h('b.tag-red', z.should_have_found) : 0), class: 'num' },
        { head: '未巡查覆盖', cell: (z) => z.not_covered, class: 'num' },
        { head: '发现率', cell: (z) => pct(z.discovery_rate), class: 'num' },
        { head: '制止/上报超期', cell: (z) => `${z.stop_late + z.stop_missing}/${z.report_late + z.report_missing}`, class: 'num' },
      ], v.zones, { empty: '没有巡查区图层' })),
      h('section.card', h('h2', `巡查应发现而未发现（${v.missed.length}）`), table([
        { head: '监测编号', cell: (m) => h('a', { href: '#/tubans/' + encodeURIComponent(m.tuban_id) }, m.jcbh) },
        { head: '巡查区', cell: (m) => m.zone_id || '—' },
        { head: '经过', cell: (m) => (m.pass_ref ? `${m.pass_time} ${m.pass_ref}` : '—') },
        { head: '距离(米)', cell: (m) => (m.pass_ref ? Math.round(m.distance_m) : '—'), class: 'num' },
        { head: '说明', cell: (m) => m.detail },
      ], v.missed, { empty: '没有巡查应发现而未发现的图斑' })));
  };
  const ledgerForm = can('ledger.import') ? ledgerImport() : null;
  fill(el, h('div.page-head', h('h1', '巡查对账')),
    h('form.card', { onsubmit: run }, h('h2', '对账'),
      done.length ? null : h('p.hint', '还没有已完成的批次。'),
      h('div.form-grid', field('批次', batch), field('考核月份', period, '默认为批次完成的月份')), msg, h('button.primary', { type: 'submit', disabled: !done.length }, '对账')),
    out, ledgerForm);
}

function ledgerImport() {
  const files = h('input', { type: 'file', name: 'files', multiple: true, required: true, accept: '.xlsx,.csv,.gpx,.kml,.kmz,.geojson,.json' });
  const enc = h('input', { name: 'encoding', placeholder: '如 gb18030（CSV）' });
  const map = h('input', { name: 'map', placeholder: '列名映射，如 检查时间=巡查时间' });
  const msg = h('div.msg');
  return h('form.card', {
    onsubmit: async (e) => {
      e.preventDefault();
      const fd = new FormData();
      fd.append('encoding', enc.value.trim());
      fd.append('map', map.value.trim());
      for (const f of files.files) fd.append('files', f, f.name);
      fill(msg, '正在导入…');
      try {
        const res = await upload('/ledger', fd);
        fill(msg, table([
          { head: '文件', cell: (r) => r.file },
          { head: '类型', cell: (r) => (r.kind === 'track' ? `轨迹 ${r.tracks} 条` : '台帐') },
          { head: '有效/无效', cell: (r) => `${r.valid}/${r.invalid}`, class: 'num' },
          { head: '新增/更新/未变', cell: (r) => `${r.added}/${r.replaced}/${r.unchanged}`, class: 'num' },
          { head: '问题', cell: (r) => (r.problems.length ? h('details', h('summary', `${r.problems.length} 个`), h('ul', r.problems.map((p) => h('li', p)))) : '—') },
        ], res));
      } catch (err) {
        fill(msg, errorBox(err));
      }
    },
  }, h('h2', '导入巡查台帐与轨迹'), h('div.form-grid', field('文件', files, 'XLSX/CSV 台帐，GPX/KML/GeoJSON 轨迹'), field('编码', enc), field('列名映射', map)), msg, h('button', { type: 'submit' }, '导入'));
}
