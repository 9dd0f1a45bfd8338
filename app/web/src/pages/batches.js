// 监测批次: submit a batch from registered imagery and watch it (tiles done,
// ETA, failures); one batch with its outputs, re-judging after a zone
// import, and its imagery and 图斑 on the map.
import { h, fill, fmtTime, fmtDuration, errorBox, field, select, table, progress, toast, qs } from '../ui.js';
import { get, post } from '../api.js';
import { can, label } from '../state.js';
import { createMap } from '../map.js';

const terminal = ['done', 'failed', 'cancelled'];

function stateBadge(b) {
  const kind = { done: 'ok', failed: 'danger', cancelled: 'todo' }[b.state] || 'doing';
  return h('span.badge', { class: 'badge-' + kind, dataset: { state: b.state } }, label('batch_states', b.state));
}

// eta estimates the time left from the tiles done since detection started.
function eta(b) {
  if (b.state !== 'detecting' || !b.tiles_done || !b.started_at) return '';
  const el = Date.now() - new Date(b.started_at).getTime();
  return fmtDuration((el / b.tiles_done) * (b.tiles_total - b.tiles_done));
}

function progressCell(b) {
  if (b.spec.kind === 'xiafa') {
    return h('div.prog', h('small', h('span.badge.badge-issued', `${b.spec.source}下发`), ` ${b.patch_count} 个图斑`, b.spec.file ? `（${b.spec.file}）` : ''));
  }
  const left = eta(b);
  return h('div.prog',
    progress(b.state === 'done' ? b.tiles_total || 1 : b.tiles_done, b.tiles_total || (b.state === 'done' ? 1 : 0), b.tiles_failed),
    h('small', `${b.tiles_done}/${b.tiles_total} 瓦片`, b.tiles_failed ? h('span.tag-red', `，失败 ${b.tiles_failed}`) : '', left ? `，预计剩余 ${left}` : '',
      b.state === 'done' ? `，${b.patch_count} 个变化图斑` : ''));
}

function submitForm(imagery, onSubmitted) {
  const opts = [['', '请选择已登记影像'], ...imagery.map((i) => [i.id, `${i.name}${i.acquired ? '（' + i.acquired + '）' : ''}`])];
  const name = h('input', { name: 'name', required: true, placeholder: '如 2026年二季度卫片' });
  const region = h('input', { name: 'region', placeholder: '6 位行政区代码（可选）', inputmode: 'numeric', pattern: '[0-9]{6}' });
  const before = select('before', opts, imagery[0]?.id || '', { required: true });
  const after = select('after', opts, imagery[1]?.id || '', { required: true });
  const mmu = h('input', { name: 'mmu_m2', type: 'number', min: 0, step: 'any', placeholder: '默认 200' });
  const msg = h('div.msg');
  const button = h('button.primary', { type: 'submit' }, '提交批次');
  const form = h('form.card.submit-batch', {
    onsubmit: async (e) => {
      e.preventDefault();
      fill(msg);
      if (before.value === after.value) {
        fill(msg, errorBox('前时相与后时相不能是同一景影像'));
        return;
      }
      button.disabled = true;
      try {
        const res = await post('/batches', { name: name.value.trim(), region: region.value.trim(), before: before.value, after: after.value, mmu_m2: Number(mmu.value) || 0 });
        toast(res.created ? '批次已提交' : '相同影像的批次已存在', 'ok');
        onSubmitted(res.batch);
      } catch (err) {
        fill(msg, errorBox(err));
        button.disabled = false;
      }
    },
  },
  h('h2', '提交监测批次'),
  imagery.length < 2 ? h('p.hint', '需要至少两景已登记影像（weipian imagery add，或由遥感人员在分布式模式下登记对象存储影像）。') : null,
  h('div.form-grid', field('批次名称', name), field('行政区代码', region), field('前时相影像', before), field('后时相影像', after), field('最小图斑面积（平方米）', mmu)),
  msg, button);
  return form;
}

export async function batchesPage(el) {
  const imagery = can('batch.submit') ? await get('/imagery') : [];
  const listEl = h('div');
  let timer = null;
  const load = async () => {
    const l = await get('/batches?limit=50');
    fill(listEl, table([
      { head: '批次', cell: (b) => h('a', { href: '#/batches/' + encodeURIComponent(b.id), dataset: { batch: b.id } }, b.spec.name, h('br'), h('small.muted', b.id)) },
      { head: '状态', cell: (b) => stateBadge(b) },
      { head: '进度', cell: (b) => progressCell(b) },
      { head: '行政区', cell: (b) => b.spec.region || '—' },
      { head: '提交时间', cell: (b) => fmtTime(b.created_at) },
      { head: '说明', cell: (b) => b.error || '' },
    ], l.items, { empty: '还没有批次' }));
    clearTimeout(timer);
    if (l.items.some((b) => !terminal.includes(b.state))) timer = setTimeout(() => load().catch(() => {}), 2000);
  };
  fill(el, h('div.page-head', h('h1', '监测批次')),
    can('batch.submit') ? submitForm(imagery, (b) => { location.hash = '#/batches/' + encodeURIComponent(b.id); }) : null,
    h('section.card', h('h2', '批次列表'), listEl));
  await load();
  return () => clearTimeout(timer);
}

export async function batchPage(el, { args }) {
  const id = args[0];
  let timer = null;
  let m = null;
  const statusEl = h('div');
  const extra = h('div');
  let shownDone = false;
  const load = async () => {
    const st = await get('/batches/' + encodeURIComponent(id));
    const b = st.batch;
    fill(statusEl,
      h('div.row', stateBadge(b), h('span.muted', `提交于 ${fmtTime(b.created_at)}`), b.finished_at ? h('span.muted', `，完成于 ${fmtTime(b.finished_at)}`) : null),
      progressCell(b),
      b.error ? errorBox(b.error) : null,
      st.failed_tiles.length ? h('details', h('summary', `失败瓦片 ${st.failed_tiles.length} 个`),
        table([{ head: '瓦片', cell: (t) => t.key || t.id || '' }, { head: '原因', cell: (t) => t.error || '' }], st.failed_tiles)) : null,
      h('dl.kv',
        h('dt', '前时相'), h('dd', (b.spec.before || '—').split('/').pop()),
        h('dt', '后时相'), h('dd', (b.spec.after || '—').split('/').pop()),
        h('dt', '行政区'), h('dd', b.spec.region || '—')));
    clearTimeout(timer);
    if (!terminal.includes(b.state)) timer = setTimeout(() => load().catch((e) => fill(statusEl, errorBox(e))), 1500);
    if (b.state === 'done' && !shownDone) {
      shownDone = true;
      await showDone(b);
    }
    if (b.scene_id && !m) showMap(b);
  };
  const showMap = (b) => {
    m = createMap({ batch: b.id, onFeature: (p) => { location.hash = '#/tubans/' + encodeURIComponent(p.id); } });
    extra.append(h('section.card.map-card', h('h2', '影像与图斑'), m.el, mapNote));
    if (b.state === 'done') loadTubans();
  };
  // The map holds at most 1000 图斑: with more, the ones that matter
  // (疑似违法, then 已有用地手续) are shown and the rest counted.
  const mapNote = h('p.hint');
  const loadTubans = async () => {
    if (!m) return;
    let fc = await get('/tubans' + qs({ batch: id, format: 'geojson', limit: 1000 }));
    fill(mapNote);
    if (fc.features.length >= 1000) {
      const sus = await get('/tubans' + qs({ batch: id, judgement: 'suspected', format: 'geojson', limit: 1000 }));
      const app = await get('/tubans' + qs({ batch: id, judgement: 'approved', format: 'geojson', limit: 1000 }));
      fc = { type: 'FeatureCollection', features: [...sus.features, ...app.features] };
      fill(mapNote, `地图只显示疑似违法与已有用地手续的图斑（${fc.features.length} 个）；全部图斑见"查看图斑"。`);
    }
    m.setTubans(fc);
  };
  const showDone = async (b) => {
    if (b.spec.kind === 'xiafa') {
      extra.prepend(h('section.card', h('h2', '下发批次'),
        h('p', `${b.spec.source}下发，${b.patch_count} 个图斑，来自 ${b.spec.file || '—'}。`),
        h('div.row', h('a.btn.primary', { href: '#/tubans' + qs({ batch: b.id }) }, `查看图斑（${b.patch_count}）`),
          h('a.btn', { href: '#/tasks' + qs({ batch: b.id }) }, '核查任务'), h('a.btn', { href: '#/xiafa' }, '核查进度与核查成果'))));
      return;
    }
    const judgeMsg = h('div.msg');
    const outputs = ['patches.geojson', 'patches.gpkg', 'summary.json', 'nonconcern.geojson', 'nonconcern.gpkg'];
    extra.prepend(h('section.card',
      h('h2', '成果'),
      h('div.row', h('a.btn.primary', { href: '#/tubans' + qs({ batch: b.id }) }, `查看图斑（${b.patch_count}）`),
        h('a.btn', { href: '#/tasks' + qs({}) }, '核查任务'),
        outputs.map((n) => h('a.btn', { href: `/batches/${encodeURIComponent(b.id)}/outputs/${n}`, download: n }, n))),
      can('tuban.judge') ? h('div',
        h('p.hint', '导入新的耕地、永久基本农田、巡查区或批准用地图层后，可对本批次重新研判。'),
        h('button', {
          type: 'button',
          onclick: async (e) => {
            e.target.disabled = true;
            fill(judgeMsg, '正在重新研判…');
            try {
              const s = await post(`/batches/${encodeURIComponent(b.id)}/judge`);
              fill(judgeMsg, h('p.ok', `已重新研判：${s.tubans} 个图斑，新增 ${s.new}，疑似违法 ${s.suspected}，已有用地手续 ${s.approved}，非关注变化 ${s.not_of_interest}，核查任务 ${s.tasks}。`));
              await loadTubans();
            } catch (err) {
              fill(judgeMsg, errorBox(err));
            } finally {
              e.target.disabled = false;
            }
          },
        }, '重新研判'), judgeMsg) : null));
    await loadTubans();
  };
  fill(el, h('div.page-head', h('div', h('a.back', { href: '#/batches' }, '‹ 批次列表'), h('h1', '监测批次 ', h('span.jcbh', id)))),
    h('section.card', h('h2', '进度'), statusEl), extra);
  await load();
  return () => {
    clearTimeout(timer);
    if (m) m.destroy();
  };
}


