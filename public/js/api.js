// The one way pages talk to the API (docs/API.md). JSON in and out, the session cookie sent
// by the browser, and every failure turned into an ApiError carrying the API's own code,
// message and, when it names one, the field at fault.

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || '';
    this.retryAfter = retryAfter || '';
  }
}

const fallbackMessages = {
  0: 'Metriqs could not be reached. Check your connection and try again.',
  401: 'Your session has ended. Please sign in again.',
  404: 'This was not found.',
  429: 'Too many attempts. Please wait a moment and try again.',
  500: 'Something went wrong on our side. Please try again.',
  503: 'Metriqs is briefly unavailable. Please try again in a moment.',
};

let onUnauthenticated = null;

// whenSignedOut sets what happens when any call answers 401 unauthenticated (the app pages
// send the visitor to /login and back).
export function whenSignedOut(fn) { onUnauthenticated = fn; }

// api sends one request. body, when given, is sent as JSON. It resolves to the decoded JSON
// answer (null for 202/204 without a body) or rejects with an ApiError.
export async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', fallbackMessages[0]);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.ok) return data;
  const e = (data && data.error) || {};
  const err = new ApiError(res.status, e.code || `http_${res.status}`,
    e.message || fallbackMessages[res.status] || `The request failed (${res.status}).`,
    e.field, res.headers.get('Retry-After'));
  if (res.status === 401 && err.code === 'unauthenticated' && onUnauthenticated) onUnauthenticated(err);
  throw err;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path, body) => api('DELETE', path, body);

// isMissingEndpoint tells a 404 from a collection endpoint apart: it means no function serves
// the path yet. Pages use it to leave out features whose API is
// still being built instead of showing an error.
export function isMissingEndpoint(err) {
  return err instanceof ApiError && err.status === 404;
}
