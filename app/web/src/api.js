// The console talks to weipian's HTTP API with the session cookie
// (HttpOnly, SameSite=Strict) set at login; unsafe requests carry the
// session's CSRF token, which the login answer gives and which is kept in
// localStorage so that other tabs and reloads can use it.

const CSRF_KEY = 'weipian.csrf';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(f) {
  onUnauthenticated = f;
}

function csrfHeaders(method) {
  const headers = {};
  if (method !== 'GET' && method !== 'HEAD') {
    const c = localStorage.getItem(CSRF_KEY);
    if (c) headers['X-CSRF-Token'] = c;
  }
  return headers;
}

async function failure(res) {
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    // not JSON
  }
  const code = (body && body.error && body.error.code) || 'http_' + res.status;
  let message = (body && body.error && body.error.message) || `请求失败（HTTP ${res.status}）`;
  if (res.status === 403 && code === 'forbidden' && !message.includes('无权限') && !message.includes('CSRF')) {
    message = '无权限：' + message;
  }
  return new ApiError(res.status, code, message);
}

// api calls the API and returns the parsed JSON (or the Response with raw).
export async function api(method, path, body, { raw = false, quiet401 = false } = {}) {
  const headers = csrfHeaders(method);
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', '无法连接服务器，请检查网络后重试');
  }
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401 && !quiet401) onUnauthenticated();
    throw err;
  }
  if (raw) return res;
  const ct = res.headers.get('Content-Type') || '';
  return ct.includes('json') ? res.json() : res;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);

export async function login(name, password) {
  const se = await api('POST', '/auth/login', { name, password }, { quiet401: true });
  localStorage.setItem(CSRF_KEY, se.csrf_token);
  return se;
}

export async function logout() {
  try {
    await api('POST', '/auth/logout', undefined, { quiet401: true });
  } finally {
    localStorage.removeItem(CSRF_KEY);
  }
}

// upload posts a multipart form with upload progress (0–1) reported to
// onProgress; it resolves to the parsed JSON answer.
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [k, v] of Object.entries(csrfHeaders('POST'))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', '上传失败：无法连接服务器'));
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      if (xhr.status === 401) onUnauthenticated();
      const err = new ApiError(xhr.status, body?.error?.code || 'http_' + xhr.status, body?.error?.message || `上传失败（HTTP ${xhr.status}）`);
      err.body = body;
      reject(err);
    };
    xhr.send(form);
  });
}
