// Where a 图斑 comes from: the county's own detection (自主监测) or a 下发
// batch of the ministry, province or city, with what the issuer said and
// whether the county had found it itself (its detection or its patrol).
import { h, badge, mu } from '../ui.js';

const patrolFound = '巡查已发现';

// sourceBadge shows 自主监测, 部下发, 省下发 or 市下发.
export function sourceBadge(tb) {
  if (!tb.source || tb.source === '自主监测') return badge('自主监测', 'todo');
  return h('span.badge.badge-issued', { dataset: { source: tb.source } }, tb.source + '下发');
}

// foundText says whether the county's detection or patrol had found an
// issued 图斑 ('' for its own).
export function foundText(tb) {
  if (!tb.issued) return '';
  const parts = [];
  if (tb.own_detection) parts.push('自主监测已发现' + (tb.alt_jcbh?.length ? `（${tb.alt_jcbh.join('、')}）` : ''));
  if (tb.patrol?.outcome === patrolFound) parts.push('巡查已发现');
  return parts.length ? parts.join('；') : '自主监测与巡查均未发现';
}

// issuedRows are the dt/dd pairs of an issued 图斑's 下发 attributes.
export function issuedRows(tb) {
  const is = tb.issued;
  if (!is) return [h('dt', '来源'), h('dd', sourceBadge(tb), ' 县级自主监测')];
  return [
    h('dt', '来源'), h('dd', sourceBadge(tb), ' ', is.batch_name ? h('a', { href: '#/tubans?batch=' + encodeURIComponent(is.batch) }, is.batch_name) : null),
    h('dt', '下发监测编号'), h('dd', h('span.jcbh', is.jcbh)),
    h('dt', '下发图斑类型 TBLX'), h('dd', [is.tblx.code, is.tblx.label].filter(Boolean).join(' ') || '—'),
    h('dt', '下发时间 XFSJ'), h('dd', is.xfsj || '—'),
    h('dt', '县级上报截止 XJJZSJ'), h('dd', is.xjjzsj ? h('b', is.xjjzsj) : '未给出（按核查期限）'),
    h('dt', '下发监测面积'), h('dd', is.jcmj.m2 ? `${mu(is.jcmj.mu)} 亩（${mu(is.jcmj.m2)} 平方米）` : '—'),
    h('dt', '县里是否已发现'), h('dd', { class: tb.own_detection || tb.patrol?.outcome === patrolFound ? 'ok' : 'tag-red' }, foundText(tb)),
  ];
}

// imageryBatch is the batch whose imagery shows a 图斑: the last detection
// batch that saw it (a 下发 batch brings outlines, not imagery); '' when
// only the issuer saw it.
export function imageryBatch(tb) {
  const own = (tb.history || []).filter((o) => !tb.issued || o.batch_id !== tb.issued.batch);
  return own.length ? own[own.length - 1].batch_id : tb.issued ? '' : tb.last_batch;
}
