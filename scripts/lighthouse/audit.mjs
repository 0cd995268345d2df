// The Lighthouse run behind scripts/lighthouse.sh: seeds the local server over its API (a
// user, the demo integration, a ready report), audits every page in the Chromium already
// listening on DEBUG_PORT, prints one table and exits 1 when a page misses a budget.
// Environment: APP (the server's base URL), DEBUG_PORT, LIGHTHOUSE_MODULE (core/index.js of
// the pinned Lighthouse), LIGHTHOUSE_OUT (optional: keep each page's JSON report there).

import { writeFileSync, mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const app = process.env.APP;
const port = Number(process.env.DEBUG_PORT);
const { default: lighthouse } = await import(pathToFileURL(process.env.LIGHTHOUSE_MODULE).href);

// Budgets (docs/performance.md): every category at least 95 on a phone, layout shift < 0.1.
const minScore = 95;
const maxCLS = 0.1;
const categories = ['performance', 'accessibility', 'best-practices', 'seo'];

const jar = new Map();

// call makes an API request as the seeded user, keeping its cookies like a browser.
async function call(method, path, body, form) {
  const headers = { Origin: app, Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
  if (body !== undefined) headers['Content-Type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
  const res = await fetch(new URL(path, app), {
    method, headers, redirect: 'manual',
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
  });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i), pair.slice(i + 1));
  }
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { res, text, json: () => JSON.parse(text) };
}

// seed signs a user up, connects the sandbox through its consent page and returns the id of
// a ready report.
async function seed() {
  await call('POST', '/api/auth/signup', { email: `lighthouse-${Date.now()}@example.com`, password: 'lighthouse audit password 1', name: 'Lighthouse' });
  const { json } = await call('POST', '/api/integrations/connect', { provider: 'demo' });
  const consent = (await call('GET', json().authorize_url)).text;
  const form = new URLSearchParams({ request: consent.match(/name="request" value="([^"]+)"/)[1], decision: 'allow' });
  for (const [, scope] of consent.matchAll(/name="scope" value="([^"]+)"/g)) form.append('scope', scope);
  const decided = await call('POST', '/api/sandbox/authorize', form.toString(), true);
  await call('GET', decided.res.headers.get('location'));
  const { id } = (await call('POST', '/api/reports', { period: 'last_28_days' })).json();
  for (let i = 0; i < 150; i++) {
    const { status } = (await call('GET', `/api/reports/${id}`)).json();
    if (status === 'ready' || status === 'partial') return id;
    if (status === 'failed') throw new Error(`report ${id} failed`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`report ${id} not ready after 30 s`);
}

// pages lists what is audited: every public page, then the signed-in ones.
function pages(reportID) {
  const open = ['/', '/signup', '/login', '/security'];
  const tokens = ['/forgot-password', '/reset-password', '/verify-email', '/confirm-email']; // noindex
  const signedIn = ['/app', `/app/reports/${reportID}`, '/app/integrations', '/app/schedules', '/app/settings'];
  return [...open.map((path) => ({ path })), ...tokens.map((path) => ({ path, noindex: true })), ...signedIn.map((path) => ({ path, signedIn: true }))];
}

// seoWithout is the SEO score with one audit left out (weights as Lighthouse's).
function seoWithout(lhr, id) {
  const refs = lhr.categories.seo.auditRefs.filter((r) => r.id !== id && r.weight > 0);
  const total = refs.reduce((n, r) => n + r.weight, 0);
  return refs.reduce((n, r) => n + r.weight * (lhr.audits[r.id].score ?? 1), 0) / total;
}

async function audit(page) {
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const flags = { port, output: 'json', logLevel: 'error', onlyCategories: categories };
  if (page.signedIn) flags.extraHeaders = { Cookie: cookie };
  let { lhr, report } = await lighthouse(new URL(page.path, app).href, flags);
  if (lhr.runtimeError) { // a lost trace (NO_NAVSTART) happens on a busy machine: once more
    ({ lhr, report } = await lighthouse(new URL(page.path, app).href, flags));
  }
  if (lhr.runtimeError) throw new Error(`${page.path}: ${lhr.runtimeError.message}`);
  if (process.env.LIGHTHOUSE_OUT) {
    mkdirSync(process.env.LIGHTHOUSE_OUT, { recursive: true });
    writeFileSync(`${process.env.LIGHTHOUSE_OUT}/${page.path.replace(/[^a-z0-9]+/gi, '_') || 'root'}.json`, report);
  }
  // The token pages send noindex on purpose (a reset link must never be indexed), which is all
  // that SEO's is-crawlable audit holds against them: their SEO budget is the other audits.
  const noindex = lhr.audits['is-crawlable'].score === 0 && page.noindex;
  const scores = categories.map((c) => Math.round(lhr.categories[c].score * 100));
  if (noindex) scores[3] = Math.round(100 * seoWithout(lhr, 'is-crawlable'));
  const cls = lhr.audits['cumulative-layout-shift'].numericValue;
  const failing = Object.values(lhr.audits).filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative'
    && a.scoreDisplayMode !== 'manual' && a.scoreDisplayMode !== 'notApplicable').map((a) => a.id);
  return { path: page.signedIn ? page.path.replace(reportID, '{id}') : page.path, scores, cls, failing,
    ok: scores.every((s) => s >= minScore) && cls < maxCLS };
}

let reportID;
const rows = [];
try {
  reportID = await seed();
  for (const page of pages(reportID)) rows.push(await audit(page));
} catch (err) {
  console.error('lighthouse:', err.message);
  process.exit(1);
}

console.log(`\n| page | performance | accessibility | best practices | SEO | CLS | |`);
console.log(`|---|---:|---:|---:|---:|---:|---|`);
for (const r of rows) {
  console.log(`| ${r.path} | ${r.scores.join(' | ')} | ${r.cls.toFixed(3)} | ${r.ok ? 'ok' : 'MISS: ' + r.failing.join(', ')} |`);
}
const missed = rows.filter((r) => !r.ok);
if (missed.length) {
  console.error(`\n${missed.length} page(s) below ${minScore} in a category or with CLS >= ${maxCLS}`);
  process.exit(1);
}
console.log(`\nevery page >= ${minScore} in each category, CLS < ${maxCLS}`);
