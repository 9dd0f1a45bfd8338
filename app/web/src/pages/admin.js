// 用户与巡查组 (admins): users, their roles and teams, disabling and
// passwords; 审计日志: who did what, when and from where.
import { h, fill, fmtTime, badge, errorBox, field, table, toast, qs } from '../ui.js';
import { get, post, patch } from '../api.js';
import { session } from '../state.js';

export async function usersPage(el) {
  const v = session.vocab;
  const [users, teams] = await Promise.all([get('/users'), get('/teams')]);
  const teamList = h('datalist#teams', teams.map((t) => h('option', { value: t })));
  const reload = () => usersPage(el);
  const roleBoxes = (checked = []) => h('div.roles', v.roles.map((r) => h('label.chk', h('input', { type: 'checkbox', value: r.code, checked: checked.includes(r.code) }), r.label)));
  const picked = (box) => [...box.querySelectorAll('input:checked')].map((i) => i.value);

  const name = h('input', { name: 'name', required: true, autocapitalize: 'off' });
  const display = h('input', { name: 'display', placeholder: '姓名' });
  const pw = h('input', { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' });
  const team = h('input', { name: 'team', list: 'teams', placeholder: '巡查组成员必填' });
  const roles = roleBoxes(['patrol']);
  const msg = h('div.msg');
  const addForm = h('form.card', {
    onsubmit: async (e) => {
      e.preventDefault();
      fill(msg);
      try {
        await post('/users', { name: name.value.trim(), display: display.value.trim(), password: pw.value, roles: picked(roles), team: team.value.trim() });
        toast('已添加用户 ' + name.value.trim(), 'ok');
        reload();
      } catch (err) {
        fill(msg, errorBox(err));
      }
    },
  }, h('h2', '添加用户'), teamList,
  h('div.form-grid', field('用户名', name), field('姓名', display), field('初始密码', pw, '至少 8 个字符'), field('巡查组', team)),
  field('角色', roles), msg, h('button.primary', { type: 'submit' }, '添加'));

  const edit = (u) => {
    const box = roleBoxes(u.roles);
    const t = h('input', { value: u.team, list: 'teams' });
    const d = h('input', { value: u.display });
    const p = h('input', { type: 'password', placeholder: '不修改请留空', minlength: 8, autocomplete: 'new-password' });
    const m = h('div.msg');
    const form = h('form.card.edit-user', {
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { roles: picked(box), team: t.value.trim(), display: d.value.trim() };
        if (p.value) body.password = p.value;
        try {
          await patch('/users/' + encodeURIComponent(u.name), body);
          toast('已保存 ' + u.name, 'ok');
          reload();
        } catch (err) {
          fill(m, errorBox(err));
        }
      },
    }, h('h3', '修改 ' + u.name), h('div.form-grid', field('姓名', d), field('巡查组', t), field('新密码', p)), field('角色', box), m,
    h('div.row', h('button.primary', { type: 'submit' }, '保存'), h('button', { type: 'button', onclick: () => form.remove() }, '取消')));
    return form;
  };
  const editArea = h('div');
  const toggle = async (u) => {
    try {
      await patch('/users/' + encodeURIComponent(u.name), { disabled: !u.disabled });
      toast((u.disabled ? '已启用 ' : '已停用 ') + u.name, 'ok');
      reload();
    } catch (err) {
      toast(err.message, 'error');
    }
  };
  const byTeam = {};
  for (const u of users) if (u.team) (byTeam[u.team] ||= []).push(u.display || u.name);
  fill(el, h('div.page-head', h('h1', '用户与巡查组')), addForm, editArea,
    h('section.card', h('h2', `用户（${users.length}）`), table([
      { head: '用户名', cell: (u) => u.name },
      { head: '姓名', cell: (u) => u.display || '—' },
      { head: '角色', cell: (u) => u.roles.map((r) => v.roles.find((x) => x.code === r)?.label || r).join('、') },
      { head: '巡查组', cell: (u) => u.team || '—' },
      { head: '状态', cell: (u) => (u.disabled ? badge('已停用', 'danger') : badge('正常', 'ok')) },
      { head: '创建时间', cell: (u) => fmtTime(u.created_at) },
      { head: '', cell: (u) => h('div.row', h('button', { type: 'button', onclick: () => fill(editArea, edit(u)) }, '修改'),
        u.name === session.me.user ? null : h('button', { type: 'button', onclick: () => toggle(u) }, u.disabled ? '启用' : '停用')) },
    ], users)),
    h('section.card', h('h2', '巡查组'), table([
      { head: '巡查组', cell: (t) => t },
      { head: '成员', cell: (t) => (byTeam[t] || []).join('、') || '—' },
      { head: '任务', cell: (t) => h('a', { href: '#/tasks' + qs({ team: t }) }, '查看任务') },
    ], teams, { empty: '巡查组来自巡查区图层和任务' })));
}

export async function auditPage(el, { params }) {
  const f = { actor: params.get('actor') || '', action: params.get('action') || '', offset: Number(params.get('offset') || 0) };
  const go = (ch) => { location.hash = '#/admin/audit' + qs({ ...f, offset: '', ...ch }); };
  const l = await get('/audit' + qs({ actor: f.actor, action: f.action, limit: 100, offset: f.offset }));
  fill(el, h('div.page-head', h('h1', '审计日志')),
    h('form.filters', { onsubmit: (e) => { e.preventDefault(); go({ actor: e.target.actor.value.trim(), action: e.target.action.value.trim() }); } },
      h('input', { name: 'actor', placeholder: '用户', value: f.actor }), h('input', { name: 'action', placeholder: '操作，如 task.transition', value: f.action }), h('button', { type: 'submit' }, '筛选')),
    table([
      { head: '时间', cell: (r) => fmtTime(r.at) },
      { head: '用户', cell: (r) => r.actor },
      { head: '来源', cell: (r) => `${r.source} ${r.addr || ''}` },
      { head: '操作', cell: (r) => r.action },
      { head: '对象', cell: (r) => r.target },
      { head: '结果', cell: (r) => (r.outcome === 'ok' ? badge('成功', 'ok') : badge(r.outcome, 'danger')) },
      { head: '详情', cell: (r) => r.detail },
    ], l.items),
    h('div.pager', f.offset > 0 ? h('button', { type: 'button', onclick: () => go({ offset: Math.max(0, f.offset - 100) }) }, '上一页') : null,
      l.items.length === 100 ? h('button', { type: 'button', onclick: () => go({ offset: f.offset + 100 }) }, '下一页') : null));
}


