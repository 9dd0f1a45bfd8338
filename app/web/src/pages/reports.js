// 统计报表: the monthly, quarterly and annual 卫片执法 statistics of GET
// /reports. The office picks the period (年报, 季报, 月报), the region and the
// batches; the report shows as the server renders it (the HTML with its six
// tables and inline-SVG charts, in a sandboxed frame: no script, nothing
// loaded from outside), and downloads as XLSX, PDF and HTML.
import { h, fill, errorBox, field, select, dlLink } from '../ui.js';
import { api, get } from '../api.js';

// townships are the county's townships [code, name], kept from the last
// report over every region (they fill the region choice).
let townships = [];

// parsePeriod splits 2026, 2026-Q2 or 2026-05.
function parsePeriod(p) {
  let m = /^(\d{4})-Q([1-4])$/.exec(p);
  if (m) return { kind: 'quarter', year: m[1], q: m[2], m: '1' };
  m = /^(\d{4})-(\d{2})$/.exec(p);
  if (m) return { kind: 'month', year: m[1], q: '1', m: String(Number(m[2])) };
  m = /^(\d{4})$/.exec(p);
  return { kind: 'year', year: m ? m[1] : String(new Date().getFullYear()), q: '1', m: '1' };
}

function periodOf(kind, year, q, m) {
  if (kind === 'quarter') return `${year}-Q${q}`;
  if (kind === 'month') return `${year}-${String(m).padStart(2, '0')}`;
  return String(year);
}

// reportURL is the API's URL of the report in a format.
function reportURL(f, format) {
  const u = new URLSearchParams();
  u.set('period', f.period);
  if (f.region) u.set('region', f.region);
  for (const b of f.batches) u.append('batch', b);
  if (f.as_of) u.set('as_of', f.as_of);
  if (format) u.set('format', format);
  return '/reports?' + u.toString();
}

// hashOf is the console's address of a report.
function hashOf(f) {
  const u = new URLSearchParams();
  u.set('period', f.period);
  if (f.region) u.set('region', f.region);
  if (f.batches.length) u.set('batch', f.batches.join(','));
  if (f.as_of) u.set('as_of', f.as_of);
  return '#/reports?' + u.toString();
}

export async function reportsPage(el, { params }) {
  const f = {
    period: params.get('period') || String(new Date().getFullYear()),
    region: params.get('region') || '',
    batches: (params.get('batch') || '').split(',').filter(Boolean),
    as_of: params.get('as_of') || '',
  };
  const p = parsePeriod(f.period);
  const batches = await get('/batches?limit=200');

  const kind = select('kind', [['year', '年报'], ['quarter', '季报'], ['month', '月报']], p.kind, { 'aria-label': '报表类型' });
  const year = h('input', { name: 'year', type: 'number', min: 2000, max: 2100, step: 1, value: p.year, required: true, inputmode: 'numeric' });
  const quarter = select('quarter', [1, 2, 3, 4].map((n) => [String(n), `第${'一二三四'[n - 1]}季度`]), p.q);
  const monthSel = select('month', Array.from({ length: 12 }, (_, i) => [String(i + 1), `${i + 1}月`]), p.m);
  const qField = field('季度', quarter);
  const mField = field('月份', monthSel);
  const sync = () => {
    qField.hidden = kind.value !== 'quarter';
    mField.hidden = kind.value !== 'month';
  };
  kind.addEventListener('change', sync);
  sync();
  const regionList = h('datalist#report-regions', townships.map(([c, n]) => h('option', { value: c }, n)));
  const region = h('input', { name: 'region', value: f.region, list: 'report-regions', placeholder: '全部；或县、乡镇代码', inputmode: 'numeric', pattern: '[0-9]{6,12}' });
  const asOf = h('input', { name: 'as_of', type: 'date', value: f.as_of });
  const batchBoxes = batches.items.filter((b) => b.state === 'done').map((b) => h('label.chk', h('input', { type: 'checkbox', value: b.id, checked: f.batches.includes(b.id) }),
    b.spec.name || b.id, b.spec.kind === 'xiafa' ? h('small.muted', `（${b.spec.source}下发）`) : null));
  const picked = () => batchBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
  const batchSummary = h('summary', f.batches.length ? `已选 ${f.batches.length} 个批次` : '全部批次');
  const batchPick = h('details.pick', batchSummary, h('div', batchBoxes.length ? batchBoxes : h('p.empty', '还没有已完成的批次')));
  batchPick.addEventListener('change', () => {
    const n = picked().length;
    batchSummary.textContent = n ? `已选 ${n} 个批次` : '全部批次';
  });
  const form = h('form.card.report-form', {
    onsubmit: (e) => {
      e.preventDefault();
      location.hash = hashOf({ period: periodOf(kind.value, year.value, quarter.value, monthSel.value), region: region.value.trim(), batches: picked(), as_of: asOf.value });
    },
  },
  regionList,
  h('div.form-grid.compact', field('报表', kind), field('年份', year), qField, mField, field('统计范围（行政区代码）', region),
    field('监测批次', batchPick), field('数据截至', asOf)),
  h('div.row', h('button.primary', { type: 'submit' }, '生成报表'),
    h('small.hint', '统计范围留空为全县；不选批次为全部批次；数据截至默认为统计期末（统计期未结束时为今天）。')));

  const head = h('section.card.report-head', h('p.muted', '正在生成报表…'));
  const view = h('section.card.report-view');
  fill(el, h('div.page-head', h('h1', '统计报表')), form, head, view);

  let cleanup = null;
  try {
    const [data, res] = await Promise.all([get(reportURL(f, 'json')), api('GET', reportURL(f, 'html'), undefined, { raw: true })]);
    const html = await res.text();
    if (!f.region) townships = data.report.Townships.filter((t) => t.XZQDM).map((t) => [t.XZQDM, t.Township]);
    fill(regionList, townships.map(([c, n]) => h('option', { value: c }, n)));
    const m = data.meta;
    const tot = data.report.Total;
    fill(head,
      h('h2.report-title', data.title),
      h('p.muted', [m.Region || '全部', m.Batches && m.Batches.length ? '批次：' + m.Batches.join('、') : '全部批次',
        `纳入统计图斑 ${tot.Total.N} 个（其中下发 ${tot.Issued.N} 个），违法 ${tot.Illegal.N} 个`].join('；')),
      h('div.row.report-downloads',
        dlLink('下载 XLSX', reportURL(f, 'xlsx'), { primary: true }),
        dlLink('下载 PDF', reportURL(f, 'pdf'), { primary: true }),
        dlLink('下载 HTML', reportURL(f, 'html'))),
      h('p.hint', 'XLSX 为 A4 横向、合并表头、合计行；PDF 由报表页打印（含中文字体）；HTML 为单文件，离线可看。'));
    const frame = h('iframe.report-frame', { title: data.title, sandbox: 'allow-same-origin', referrerpolicy: 'no-referrer', srcdoc: html });
    const fit = () => {
      const d = frame.contentDocument;
      if (d && d.documentElement) frame.style.height = d.documentElement.scrollHeight + 'px';
    };
    frame.addEventListener('load', () => {
      fit();
      frame.dataset.loaded = 'true';
    });
    window.addEventListener('resize', fit);
    cleanup = () => window.removeEventListener('resize', fit);
    fill(view, h('p.hint.phone-only', '报表按 A4 横向排版：可左右滑动查看，或下载 PDF。'), h('div.report-frame-wrap', frame));
  } catch (err) {
    fill(head, errorBox(err));
    view.remove();
  }
  return cleanup;
}
