// 图斑: the filtered list (batch, township, type, judgement, farmland area,
// 百亩大图斑) on a table and a map, and one 图斑 with its attributes, history
// across batches, image chips and judgement reasons.
import { h, fill, mu, fmtTime, fmtCoord, badge, select, table, qs, dlLink } from '../ui.js';
import { get } from '../api.js';
import { session, scoped } from '../state.js';
import { createMap } from '../map.js';
import { imageryBatch, issuedRows, sourceBadge, foundText } from './source.js';

const pageSize = 100;

export async function tubansPage(el, { params }) {
  const v = session.vocab;
  const f = {
    batch: params.get('batch') || '', township: params.get('township') || '', tblx: params.get('tblx') || '', judgement: params.get('judgement') || '',
    min_farmland_mu: params.get('min_farmland_mu') || '', big: params.get('big') === 'true', offset: Number(params.get('offset') || 0), view: params.get('view') || 'list',
    source: params.get('source') || '',
  };
  const go = (ch) => {
    const n = { ...f, offset: 0, ...ch };
    location.hash = '#/tubans' + qs({ ...n, offset: n.offset || '', view: n.view === 'list' ? '' : n.view });
  };
  const batches = scoped() ? { items: [] } : await get('/batches?limit=200');
  const query = { batch: f.batch, township: f.township, tblx: f.tblx, judgement: f.judgement, min_farmland_mu: f.min_farmland_mu, big: f.big, source: f.source };
  const l = await get('/tubans' + qs({ ...query, limit: pageSize, offset: f.offset }));
  const filters = h('form.filters', {
    onsubmit: (e) => {
      e.preventDefault();
      go({ township: e.target.township.value.trim(), min_farmland_mu: e.target.min_farmland_mu.value.trim() });
    },
  },
  scoped() ? null : select('batch', [['', '全部批次'], ...batches.items.map((b) => [b.id, `${b.spec.kind === 'xiafa' ? '【' + b.spec.source + '下发】' : ''}${b.spec.name}（${b.id}）`])], f.batch, { onchange: (e) => go({ batch: e.target.value }), 'aria-label': '批次' }),
  select('source', [['', '全部来源'], ...(v.sources || []).map((x) => [x.code, x.label])], f.source, { onchange: (e) => go({ source: e.target.value }), 'aria-label': '来源' }),
  h('input', { name: 'township', placeholder: '乡镇名称或代码', value: f.township, 'aria-label': '乡镇' }),
  select('tblx', [['', '全部变化类型'], ...v.tblx.map((x) => [x.code, x.label])], f.tblx, { onchange: (e) => go({ tblx: e.target.value }), 'aria-label': '变化类型' }),
  select('judgement', [['', '全部初判'], ...v.judgements.map((x) => [x.code, x.label])], f.judgement, { onchange: (e) => go({ judgement: e.target.value }), 'aria-label': '初判' }),
  h('input', { name: 'min_farmland_mu', type: 'number', min: 0, step: 'any', placeholder: '耕地面积 ≥（亩）', value: f.min_farmland_mu, 'aria-label': '耕地面积下限（亩）' }),
  h('label.chk', h('input', { type: 'checkbox', checked: f.big, onchange: (e) => go({ big: e.target.checked }) }), `百亩大图斑（耕地 ≥ ${v.big_tuban_mu} 亩）`),
  h('button', { type: 'submit' }, '筛选'));
  const t = l.totals;
  const byJ = Object.entries(t.by_judgement || {}).map(([k, n]) => `${k} ${n}`).join('，');
  const summary = h('p.totals', `共 ${t.count} 个图斑（${byJ || '—'}）；监测面积 ${mu(t.jcmj.mu)} 亩，耕地 ${mu(t.jcgdmj.mu)} 亩，永久基本农田 ${mu(t.yjjbntmj.mu)} 亩`);
  const exportLink = dlLink('导出 GeoJSON', '/tubans' + qs({ ...query, format: 'geojson', limit: 1000 }), { name: '图斑.geojson' });
  const viewSeg = h('div.seg', ['list', 'map'].map((m) => h('button', { type: 'button', class: f.view === m ? 'on' : null, onclick: () => go({ view: m, offset: f.offset }) }, m === 'list' ? '列表' : '地图')));
  const body = h('div');
  fill(el, h('div.page-head', h('h1', '图斑'), viewSeg), filters, h('div.row', summary, exportLink), body);
  if (f.view === 'map') {
    const fc = await get('/tubans' + qs({ ...query, format: 'geojson', limit: 1000 }));
    const m = createMap({ batch: f.batch, tubans: fc, onFeature: (p) => { location.hash = '#/tubans/' + encodeURIComponent(p.id); } });
    fill(body, m.el, t.count > 1000 ? h('p.hint', '地图最多显示 1000 个图斑，请缩小筛选范围。') : null);
    return () => m.destroy();
  }
  const pager = h('div.pager',
    f.offset > 0 ? h('button', { type: 'button', onclick: () => go({ offset: Math.max(0, f.offset - pageSize) }) }, '上一页') : null,
    h('span', `${t.count ? f.offset + 1 : 0}–${Math.min(f.offset + pageSize, t.count)} / ${t.count}`),
    f.offset + pageSize < t.count ? h('button', { type: 'button', onclick: () => go({ offset: f.offset + pageSize }) }, '下一页') : null);
  fill(body, table([
    { head: '监测编号', cell: (x) => h('a', { href: '#/tubans/' + encodeURIComponent(x.id) }, x.jcbh) },
    { head: '来源', cell: sourceCell },
    { head: '乡镇', cell: (x) => x.xzqmc || x.xzqdm || '—' },
    { head: '变化类型', cell: (x) => x.tblx.label },
    { head: '初判', cell: (x) => h('span', { class: 'j-' + x.judgement.code }, x.judgement.label) },
    { head: '监测面积(亩)', cell: (x) => mu(x.areas.jcmj.mu), class: 'num' },
    { head: '耕地(亩)', cell: (x) => mu(x.areas.jcgdmj.mu), class: 'num' },
    { head: '永久基本农田(亩)', cell: (x) => mu(x.areas.yjjbntmj.mu), class: 'num' },
    { head: '巡查组', cell: (x) => x.team || '—' },
    { head: '核查任务', cell: (x) => (x.task_id ? h('a', { href: '#/tasks/' + encodeURIComponent(x.task_id) }, '查看') : '—') },
    { head: '巡查对账', cell: (x) => x.patrol?.outcome || '—' },
  ], l.items, { empty: '没有符合条件的图斑' }), pager);
  return null;
}

// sourceCell shows where a listed 图斑 comes from and, for an issued one,
// its deadline, its issued type and whether the county had found it.
function sourceCell(x) {
  if (!x.issued) return sourceBadge(x);
  const found = x.own_detection || x.patrol?.outcome === '巡查已发现';
  return h('div.source-cell', sourceBadge(x),
    h('small', `${x.issued.tblx.code} ${x.issued.tblx.label}`),
    x.issued.xjjzsj ? h('small', '截止 ', h('b', x.issued.xjjzsj)) : null,
    h('small', { class: found ? 'ok' : 'tag-red' }, foundText(x)));
}

export async function tubanPage(el, { args }) {
  const tb = await get('/tubans/' + encodeURIComponent(args[0]));
  const chip = (date, lbl, day) => h('figure.chip',
    h('img', { src: `/tubans/${encodeURIComponent(tb.id)}/chips/${date}.png`, alt: `${tb.jcbh} ${lbl}`, loading: 'lazy', onerror: (e) => { e.target.replaceWith(h('div.chip-missing', '无影像切片')); } }),
    h('figcaption', h('b', lbl), ` ${day || ''}`, h('br'), `监测编号 ${tb.jcbh}`, h('br'), fmtCoord(tb.center_lon, tb.center_lat)));
  const m = createMap({ batch: imageryBatch(tb), focus: tb.geometry, focusLabel: tb.jcbh });
  fill(el,
    h('div.page-head', h('div', h('a.back', { href: '#/tubans' }, '‹ 图斑列表'), h('h1', '图斑 ', h('span.jcbh', tb.jcbh))),
      h('div.head-badges', sourceBadge(tb), badge(tb.judgement.label, tb.judgement.code === 'suspected' ? 'danger' : 'todo'), badge(tb.tblx.label))),
    h('div.grid2',
      h('section.card',
        h('h2', '属性'),
        h('dl.kv',
          h('dt', '监测编号 JCBH'), h('dd', tb.jcbh),
          issuedRows(tb),
          h('dt', '行政区 XZQDM'), h('dd', `${tb.xzqmc || '—'}（${tb.xzqdm || '—'}）`),
          h('dt', '监测面积 JCMJ'), h('dd', `${mu(tb.areas.jcmj.mu)} 亩（${mu(tb.areas.jcmj.m2)} 平方米）`),
          h('dt', '耕地面积 JCGDMJ'), h('dd', `${mu(tb.areas.jcgdmj.mu)} 亩`),
          h('dt', '永久基本农田 YJJBNTMJ'), h('dd', `${mu(tb.areas.yjjbntmj.mu)} 亩`),
          h('dt', '生态保护红线'), h('dd', `${mu(tb.areas.sthxmj.mu)} 亩`),
          h('dt', '批准用地内'), h('dd', `${mu(tb.areas.pzmj.mu)} 亩`, tb.approval_nos.length ? `（${tb.approval_nos.join('、')}）` : ''),
          h('dt', '前时相 QSX'), h('dd', tb.qsx || '—'),
          h('dt', '后时相 HSX'), h('dd', tb.hsx || '—'),
          h('dt', '中心坐标'), h('dd', fmtCoord(tb.center_lon, tb.center_lat)),
          h('dt', '巡查区'), h('dd', [tb.patrol_zone, tb.grade?.label, tb.team].filter(Boolean).join(' · ') || '—'),
          h('dt', '核查任务'), h('dd', tb.task_id ? h('a', { href: '#/tasks/' + encodeURIComponent(tb.task_id) }, '打开核查任务') : '无（非疑似违法）'),
          h('dt', '巡查对账'), h('dd', tb.patrol ? `${tb.patrol.outcome}：${tb.patrol.detail}` : '尚未对账'))),
      h('section.card',
        h('h2', '研判理由'),
        h('dl.kv',
          h('dt', '变化类型 TBLX'), h('dd', tb.tblx.label, tb.tblx_confidence ? `（置信度 ${tb.tblx_confidence}）` : ''),
          h('dt', '类型依据'), h('dd', tb.tblx_reason || '—'),
          h('dt', '初判'), h('dd', tb.judgement.label),
          h('dt', '初判理由'), h('dd', tb.judgement_reason || '—'),
          h('dt', '研判所用图层'), h('dd', Object.entries(tb.zone_versions).map(([k, ver]) => `${k} v${ver}`).join('，') || '—')),
        h('div.chips', chip('before', '前时相', tb.qsx), chip('after', '后时相', tb.hsx)))),
    h('section.card.map-card', h('h2', '影像对比'), m.el),
    h('section.card', h('h2', '历次监测'),
      table([
        { head: '批次', cell: (x) => h('a', { href: '#/batches/' + encodeURIComponent(x.batch_id) }, x.batch_id) },
        { head: '前时相', cell: (x) => x.qsx },
        { head: '后时相', cell: (x) => x.hsx },
        { head: '监测面积(亩)', cell: (x) => mu(x.area_m2 / 666.6667), class: 'num' },
        { head: '变化类型', cell: (x) => x.tblx },
        { head: '记录时间', cell: (x) => fmtTime(x.at) },
      ], tb.history, { empty: '只在一个批次中出现' })));
  return () => m.destroy();
}

