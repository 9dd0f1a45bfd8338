// weipian 卫片执法 web console: a hash-routed single page over the HTTP API.
import './style.css';
import { h, fill, errorBox } from './ui.js';
import { get, logout, setUnauthenticatedHandler, ApiError } from './api.js';
import { loginPage, accountPage } from './pages/login.js';
import { tasksPage, taskPage } from './pages/tasks.js';
import { tubansPage, tubanPage } from './pages/tubans.js';
import { batchesPage, batchPage } from './pages/batches.js';
import { zonesPage } from './pages/zones.js';
import { reconcilePage } from './pages/reconcile.js';
import { reportsPage } from './pages/reports.js';
import { xiafaPage } from './pages/xiafa.js';
import { session, can, scoped } from './state.js';
import { usersPage, auditPage } from './pages/admin.js';

const routes = [
  { re: /^\/login$/, page: loginPage, bare: true },
  { re: /^\/tasks$/, page: tasksPage, nav: 'tasks' },
  { re: /^\/tasks\/([^/]+)$/, page: taskPage, nav: 'tasks' },
  { re: /^\/tubans$/, page: tubansPage, nav: 'tubans' },
  { re: /^\/tubans\/([^/]+)$/, page: tubanPage, nav: 'tubans' },
  { re: /^\/batches$/, page: batchesPage, nav: 'batches' },
  { re: /^\/batches\/([^/]+)$/, page: batchPage, nav: 'batches' },
  { re: /^\/zones$/, page: zonesPage, nav: 'zones' },
  { re: /^\/xiafa$/, page: xiafaPage, nav: 'xiafa' },
  { re: /^\/reconcile$/, page: reconcilePage, nav: 'reconcile' },
  { re: /^\/reports$/, page: reportsPage, nav: 'reports' },
  { re: /^\/admin\/users$/, page: usersPage, nav: 'users' },
  { re: /^\/admin\/audit$/, page: auditPage, nav: 'audit' },
  { re: /^\/account$/, page: accountPage, nav: 'account' },
];

function navItems() {
  const items = [];
  if (can('task.read')) items.push(['tasks', scoped() ? '我的任务' : '核查任务', '#/tasks']);
  if (can('tuban.read')) items.push(['tubans', '图斑', '#/tubans']);
  if (can('batch.read')) items.push(['batches', '监测批次', '#/batches']);
  if (can('batch.read') && !scoped()) items.push(['xiafa', '下发图斑', '#/xiafa']);
  if (can('zone.read') && !scoped()) items.push(['zones', '图层', '#/zones']);
  if (can('reconcile')) items.push(['reconcile', '巡查对账', '#/reconcile']);
  if (can('report.read')) items.push(['reports', '统计报表', '#/reports']);
  if (can('user.admin')) items.push(['users', '用户与巡查组', '#/admin/users']);
  if (can('audit.read')) items.push(['audit', '审计日志', '#/admin/audit']);
  return items;
}

function home() {
  if (scoped() || !can('batch.read')) return '#/tasks';
  const roles = session.me.roles.map((r) => r.code);
  if (roles.includes('remote_sensing') || roles.includes('admin')) return '#/batches';
  if (roles.includes('reviewer')) return '#/tasks';
  return '#/tubans';
}

const root = document.getElementById('app');
let current = null; // the page's cleanup

function layout(active) {
  const me = session.me;
  const teamNote = me.team ? ' · ' + me.team : '';
  const nav = h('nav.nav', { 'aria-label': '主菜单' }, navItems().map(([k, label, href]) => h('a', { href, class: k === active ? 'on' : null, dataset: { nav: k } }, label)));
  const header = h('header.top',
    h('a.brand', { href: home() }, h('span.logo', '卫'), h('span', '卫片执法')),
    nav,
    h('div.user',
      h('a.who', { href: '#/account', title: '账号' }, me.display || me.user, h('small', me.roles.map((r) => r.label).join('、') + teamNote)),
      h('button.link', { type: 'button', onclick: async () => { await logout(); session.me = null; location.hash = '#/login'; } }, '退出')));
  const main = h('main.page');
  fill(root, header, main);
  return main;
}

async function loadSession() {
  if (session.me) return true;
  try {
    session.me = await get('/auth/me', { quiet401: true });
    session.vocab = await get('/console/vocabulary');
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return false;
    throw e;
  }
}

async function route() {
  const path = (location.hash.replace(/^#/, '') || '/').split('?')[0];
  if (current) {
    try {
      current();
    } catch (e) {
      // ignore cleanup errors
    }
    current = null;
  }
  let ok;
  try {
    ok = await loadSession();
  } catch (e) {
    fill(root, h('main.page', errorBox(e)));
    return;
  }
  if (!ok && path !== '/login') {
    sessionStorage.setItem('weipian.next', location.hash);
    location.hash = '#/login';
    return;
  }
  if (path === '/' || path === '') {
    location.hash = ok ? home() : '#/login';
    return;
  }
  const r = routes.find((x) => x.re.test(path));
  if (!r) {
    fill(layout(''), h('h1', '页面不存在'), h('p', h('a', { href: home() }, '回到首页')));
    return;
  }
  const args = path.match(r.re).slice(1).map(decodeURIComponent);
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const el = r.bare ? fill(root, h('main.page.bare')).firstChild : layout(r.nav);
  document.title = '卫片执法';
  try {
    current = (await r.page(el, { args, params, home: home() })) || null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      fill(el, h('div.denied', h('h1', '无权限'), h('p', e.message), h('p', h('a', { href: home() }, '回到首页'))));
    } else if (e instanceof ApiError && e.status === 404) {
      fill(el, h('div.denied', h('h1', '未找到'), h('p', e.message), h('p', h('a', { href: home() }, '回到首页'))));
    } else {
      fill(el, errorBox(e));
    }
  }
}

setUnauthenticatedHandler(() => {
  session.me = null;
  if (!location.hash.startsWith('#/login')) {
    sessionStorage.setItem('weipian.next', location.hash);
    location.hash = '#/login';
  }
});

window.addEventListener('hashchange', route);
route();
