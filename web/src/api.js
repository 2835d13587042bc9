// The HTTP API of `netpolgen serve` (README "HTTP API"). The bearer token comes from the page's
// `#token=` fragment (never sent to the server as part of a URL) or, after a 401, from a prompt;
// it is kept in sessionStorage for this tab only and sent as `Authorization: Bearer`, never as a
// cookie.

const TOKEN_KEY = 'netpolgen.token';

export function tokenFromFragment(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  return params.get('token') || '';
}

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

class RawBody {
  constructor(text) { this.text = text; }
}

export class Api {
  constructor() {
    const fromFragment = tokenFromFragment(location.hash);
    if (fromFragment) {
      sessionStorage.setItem(TOKEN_KEY, fromFragment);
      // The token should not stay in the address bar (screenshots, history).
      const params = new URLSearchParams(location.hash.replace(/^#/, ''));
      params.delete('token');
      history.replaceState(null, '', location.pathname + location.search +
        (params.toString() ? '#' + params.toString() : ''));
    }
    this.token = sessionStorage.getItem(TOKEN_KEY) || '';
  }

  // `body`: an object sent as JSON, or text sent as written (postText) (so the server's errors name
  // the lines the user typed).
  async call(method, path, body) {
    for (let attempt = 0; ; attempt++) {
      const headers = { Accept: 'application/json' };
      if (this.token) headers.Authorization = `Bearer ${this.token}`;
      // serve refuses a POST or PUT without a JSON or YAML type (415, its CSRF check), even empty.
      if (body !== undefined || method === 'POST' || method === 'PUT') headers['Content-Type'] = 'application/json';
      const res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : (body instanceof RawBody ? body.text : JSON.stringify(body)),
        credentials: 'omit',
        cache: 'no-store',
      });
      const text = await res.text();
      let json = null;
      try { json = text ? JSON.parse(text) : null; } catch { json = null; }
      if (res.status === 401 && attempt === 0) {
        const token = window.prompt('This server needs an access token (netpolgen serve --token-file):');
        if (token) {
          this.token = token.trim();
          sessionStorage.setItem(TOKEN_KEY, this.token);
          continue;
        }
      }
      if (!res.ok) {
        throw new ApiError(res.status, (json && json.error) || `HTTP ${res.status}`, json);
      }
      return json;
    }
  }

  get(path) { return this.call('GET', path); }
  post(path, body) { return this.call('POST', path, body); }
  postText(path, text) { return this.call('POST', path, new RawBody(text)); }
  putText(path, text) { return this.call('PUT', path, new RawBody(text)); }
  delete(path) { return this.call('DELETE', path); }
}

// Query strings without empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
