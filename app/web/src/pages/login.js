import { h, fill, field, errorBox, toast } from '../ui.js';
import { login, post } from '../api.js';
import { afterLogin, session } from '../state.js';

export function loginPage(el) {
  const name = h('input', { name: 'name', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div.msg');
  const button = h('button.primary', { type: 'submit' }, '登录');
  const form = h('form.login-card', {
    onsubmit: async (e) => {
      e.preventDefault();
      button.disabled = true;
      fill(msg);
      try {
        await login(name.value.trim(), password.value);
        afterLogin();
      } catch (err) {
        fill(msg, errorBox(err));
      } finally {
        button.disabled = false;
      }
    },
  },
  h('div.login-brand', h('span.logo', '卫'), h('div', h('h1', '卫片执法'), h('p', '卫星遥感监测图斑 · 核查任务 · 巡查对账'))),
  field('用户名', name),
  field('密码', password),
  msg,
  button,
  h('p.hint', '账号由管理员开通（weipian users add）。'));
  fill(el, form);
  name.focus();
}

export function accountPage(el) {
  const me = session.me;
  const pw = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, required: true });
  const pw2 = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, required: true });
  const msg = h('div.msg');
  fill(el,
    h('h1', '我的账号'),
    h('dl.kv',
      h('dt', '用户名'), h('dd', me.user),
      h('dt', '姓名'), h('dd', me.display || '—'),
      h('dt', '角色'), h('dd', me.roles.map((r) => r.label).join('、')),
      h('dt', '巡查组'), h('dd', me.team || '—')),
    h('form.card', {
      onsubmit: async (e) => {
        e.preventDefault();
        fill(msg);
        if (pw.value !== pw2.value) {
          fill(msg, errorBox('两次输入的密码不一致'));
          return;
        }
        try {
          await post('/auth/password', { password: pw.value });
          toast('密码已修改，请重新登录', 'ok');
          location.hash = '#/login';
        } catch (err) {
          fill(msg, errorBox(err));
        }
      },
    }, h('h2', '修改密码'), field('新密码', pw, '至少 8 个字符；修改后所有登录都会退出'), field('再输入一次', pw2), msg, h('button.primary', { type: 'submit' }, '修改密码')));
}
