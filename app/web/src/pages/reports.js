// 统计报表: the monthly, quarterly and annual 卫片执法 statistics. The
// reports are made by the reports use case (GET /reports…); until the
// server offers it, this page says so. The charts, tables and the XLSX and
// PDF downloads are to be filled in here when /reports exists.
import { h, fill, errorBox, field, qs } from '../ui.js';
import { get } from '../api.js';

export async function reportsPage(el, { params }) {
  const year = new Date().getFullYear();
  const period = params.get('period') || String(year);
  const body = h('div.report-body');
  const input = h('input', { name: 'period', value: period, placeholder: '2026、2026-Q2 或 2026-05', pattern: '\\d{4}(-Q[1-4]|-\\d{2})?' });
  fill(el, h('div.page-head', h('h1', '统计报表')),
    h('form.filters', { onsubmit: (e) => { e.preventDefault(); location.hash = '#/reports' + qs({ period: input.value.trim() }); } },
      field('统计期间', input), h('button', { type: 'submit' }, '查看')),
    body);
  try {
    const res = await get('/reports' + qs({ period }), { raw: true });
    const ct = res.headers.get('Content-Type') || '';
    const data = ct.includes('json') ? await res.json() : null;
    fill(body, h('section.card', h('h2', `报表（${period}）`), data ? h('pre.json', JSON.stringify(data, null, 2)) : h('p', '报表已生成。')));
  } catch (err) {
    if (err.status === 404) {
      fill(body, h('section.card.placeholder', { dataset: { reports: 'missing' } },
        h('h2', '报表尚未生成'),
        h('p', '服务器尚未提供统计报表（卫片图斑核查情况一览表、违法线索统计表、违法占用耕地面积比例、执法指标、巡查考核、违法图斑清单）。'),
        h('p.muted', '报表功能完成后，将在此查看图表并下载 XLSX 与 PDF。')));
      return;
    }
    fill(body, errorBox(err));
  }
}
