// /shared#<token>: a report someone shared, for a visitor with no account and no cookie. The
// token is in the fragment, which the browser never sends anywhere; the page posts it to
// /api/shared (a POST, so it is in no URL the server logs either). A protected link asks for
// its password; a revoked, expired or deleted one says it no longer works.

import { post } from '../api.js';
import { $, h, replace, notice } from '../dom.js';
import { onSubmit } from '../forms.js';
import { compareLabel, dateTime, statusLabel } from '../format.js';
import { reportBody, days } from '../report-view.js';

const root = $('#report');
const token = decodeURIComponent(window.location.hash.slice(1));

if (!token) replace(root, gone());
else await open();

async function open(password) {
  const body = { token };
  if (password !== undefined) body.password = password;
  let report;
  try {
    report = await post('/api/shared', body);
  } catch (err) {
    if (err.code === 'password_required') return replace(root, passwordForm());
    if (password !== undefined) throw err; // shown in the password form
    replace(root, err.status === 404 ? gone() : notice('error', err.message));
    return;
  }
  render(report);
}

function render(r) {
  const title = r.title || 'Report';
  document.title = `${title} · Metriqs`;
  const p = r.period || {};
  const head = h('div', { class: 'page-head' }, h('div', null,
    h('h1', null, title),
    h('p', { class: 'report-meta' },
      h('span', { class: `badge status-${r.status}` }, statusLabel(r.status)),
      p.start ? h('span', null, `${days(p.start, p.end)} days`) : null,
      p.previous_start ? h('span', null, compareLabel(p)) : null,
      r.completed_at ? h('span', null, `Made ${dateTime(r.completed_at)}`) : null,
    )));
  replace(root, head, ...reportBody(r, { viewer: true }));
}

function passwordForm() {
  const form = h('form', { id: 'share-unlock', class: 'card', novalidate: true },
    h('h1', null, 'This report is protected'),
    h('p', null, 'Type the password you were given with the link.'),
    h('div', { class: 'field' }, h('label', { for: 'share-password' }, 'Password'),
      h('input', { id: 'share-password', name: 'password', type: 'password', autocomplete: 'off', required: true })),
    h('p', null, h('button', { type: 'submit', class: 'btn btn-primary' }, 'See the report')));
  onSubmit(form, 'Checking…', (v) => open(v.password));
  return form;
}

function gone() {
  return h('div', { class: 'empty', id: 'share-gone' },
    h('h1', null, 'This link no longer works'),
    h('p', null, 'It may have expired or been revoked, or the report was deleted. Ask whoever sent it for a new one.'),
  );
}
