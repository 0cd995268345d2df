// Where to go after signing in, and how to get back there.

// safeNext returns raw when it is a path on this site ("/app/reports/x?y=1"), otherwise
// fallback. It refuses anything that a browser could read as another origin: "//evil.example",
// "/\evil.example", "https://…", "javascript:…", and control characters, which some URL
// parsers drop ("/\t/evil.example"). This keeps /login?next= from being an open redirect.
export function safeNext(raw, fallback = '/app') {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return fallback;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return fallback;
  let url;
  try {
    url = new URL(raw, window.location.origin);
  } catch {
    return fallback;
  }
  if (url.origin !== window.location.origin) return fallback;
  return url.pathname + url.search + url.hash;
}

// nextFromQuery reads ?next= of the current page, made safe.
export function nextFromQuery(fallback = '/app') {
  return safeNext(new URLSearchParams(window.location.search).get('next'), fallback);
}

// loginURL is the sign-in page that brings the visitor back to path afterwards.
export function loginURL(path = window.location.pathname + window.location.search) {
  return `/login?next=${encodeURIComponent(safeNext(path))}`;
}
