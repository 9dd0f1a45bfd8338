// The logged-in user and the vocabulary, shared by the pages.

export const session = { me: null, vocab: null };

export function can(action) {
  return !!session.me && session.me.can.includes(action);
}

// scoped reports whether the user is a patrol member limited to a team.
export function scoped() {
  const roles = (session.me?.roles || []).map((r) => r.code);
  return roles.includes('patrol') && !roles.some((r) => ['admin', 'reviewer', 'remote_sensing', 'viewer'].includes(r));
}

// afterLogin goes where the user was going before the login page.
export function afterLogin() {
  session.me = null;
  const next = sessionStorage.getItem('weipian.next');
  sessionStorage.removeItem('weipian.next');
  location.hash = next && !next.startsWith('#/login') ? next : '#/';
}

// label returns the zh-CN label of a code in a vocabulary list.
export function label(list, code) {
  const x = (session.vocab?.[list] || []).find((v) => v.code === code || v.label === code);
  return x ? x.label : code;
}
