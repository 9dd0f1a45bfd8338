// DOM helpers, formatting and small widgets shared by the pages.
import { api } from './api.js';

// h builds an element: h('div.card#id', {onclick, class, ...attrs}, ...children).
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement(m[1] || 'div');
  for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// clear empties an element and appends children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function mu(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  return Number(v).toFixed(2);
}

// fmtTime shows a time in China time (UTC+8), whatever the device's zone.
export function fmtTime(s) {
  if (!s || s.startsWith('0001')) return '—';
  const t = new Date(s);
  if (Number.isNaN(t.getTime())) return s;
  const d = new Date(t.getTime() + 8 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

export function fmtDuration(ms) {
  if (!(ms > 0)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} 秒`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} 分 ${s % 60} 秒`;
  return `${Math.floor(m / 60)} 小时 ${m % 60} 分`;
}

export function fmtCoord(lon, lat) {
  return `${Math.abs(lat).toFixed(6)}°${lat >= 0 ? 'N' : 'S'}, ${Math.abs(lon).toFixed(6)}°${lon >= 0 ? 'E' : 'W'}`;
}

// badge shows a state or flag.
export function badge(text, kind) {
  return h('span.badge', { class: kind ? 'badge-' + kind : null }, text);
}

const stateKinds = {
  pending: 'todo', verifying: 'doing', verified: 'done', stopped: 'warn', filed: 'warn', rectifying: 'warn', closed: 'ok',
};
export function stateBadge(state) {
  return h('span.badge', { class: 'badge-' + (stateKinds[state.code] || 'todo'), dataset: { state: state.code } }, state.label);
}

let toastTimer;
export function toast(message, kind = 'info') {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div#toast', { role: 'status', 'aria-live': 'polite' });
    document.body.append(el);
  }
  el.className = 'toast-' + kind + ' show';
  el.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
}

// errorBox shows an error message in a page.
export function errorBox(err) {
  return h('div.error', { role: 'alert' }, err && err.message ? err.message : String(err));
}

// field wraps a label and an input.
export function field(label, input, hint) {
  return h('label.field', h('span.label', label), input, hint ? h('small.hint', hint) : null);
}

export function select(name, options, value, attrs = {}) {
  return h('select', { name, ...attrs },
    options.map((o) => {
      const [v, l] = Array.isArray(o) ? o : [o.code ?? o, o.label ?? o];
      return h('option', { value: v, selected: v === value ? true : null }, l);
    }));
}

// table builds a table from column definitions [{head, cell(row), class}].
export function table(cols, rows, { empty = '没有记录', rowAttrs } = {}) {
  if (!rows.length) return h('p.empty', empty);
  return h('div.table-wrap',
    h('table',
      h('thead', h('tr', cols.map((c) => h('th', { class: c.class }, c.head)))),
      h('tbody', rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : null, cols.map((c) => h('td', { class: c.class, 'data-head': c.head }, c.cell(r))))))));
}

// progress draws a bar of done/total.
export function progress(done, total, failed = 0) {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  const fpct = total > 0 ? Math.min(100 - pct, (100 * failed) / total) : 0;
  return h('div.progress', { role: 'progressbar', 'aria-valuenow': Math.round(pct), 'aria-valuemin': 0, 'aria-valuemax': 100 },
    h('div.bar', { style: `width:${pct}%` }), fpct > 0 ? h('div.bar.failed', { style: `width:${fpct}%` }) : null);
}

// saveBlob saves a blob as a file of the given name.
export async function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) u.set(k, v === true ? 'true' : v);
  }
  const s = u.toString();
  return s ? '?' + s : '';
}

// filenameOf reads the file name of a download from its
// Content-Disposition (RFC 6266: filename*=UTF-8''… first).
export function filenameOf(res) {
  const cd = res.headers.get('Content-Disposition') || '';
  let m = /filename\*=utf-8''([^;]+)/i.exec(cd);
  if (m) {
    try {
      return decodeURIComponent(m[1]);
    } catch (e) {
      // fall through
    }
  }
  m = /filename="?([^";]+)"?/i.exec(cd);
  return m ? m[1] : '';
}

// download fetches a URL with the session (POST allowed) and saves the
// answer under the server's file name; an error answer is thrown (an
// ApiError with the server's message), never saved as the file.
export async function download(url, { method = 'GET', body, name } = {}) {
  const res = await api(method, url, body, { raw: true });
  const blob = await res.blob();
  const file = name || filenameOf(res) || url.split('?')[0].split('/').pop();
  await saveBlob(blob, file);
  return file;
}

// dlLink is a download link: a plain link (href, for copying and for
// tests) that downloads through fetch, so that the button says when the
// server is still making the file and shows its error message instead of
// saving it.
export function dlLink(label, url, { primary = false, name, onError } = {}) {
  const a = h('a.btn', { href: url, class: primary ? 'primary' : null, download: name || '', dataset: { dl: url } }, label);
  a.addEventListener('click', async (e) => {
    e.preventDefault();
    if (a.classList.contains('busy')) return;
    a.classList.add('busy');
    a.setAttribute('aria-busy', 'true');
    const text = a.textContent;
    a.textContent = '正在生成…';
    try {
      const file = await download(url, { name });
      toast('已下载 ' + file, 'ok');
    } catch (err) {
      if (onError) onError(err);
      else toast(err.message, 'error');
    } finally {
      a.textContent = text;
      a.classList.remove('busy');
      a.removeAttribute('aria-busy');
    }
  });
  return a;
}
