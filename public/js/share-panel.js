// The report page's "Share" panel: create a read-only link (an expiry, a password, both
// optional), see the report's links with their views, revoke one. A link's address holds its
// token and is shown once, right after it is made: Metriqs keeps only a hash of it.

import { get, post, del } from './api.js';
import { h, replace, notice, copyText, confirmDialog } from './dom.js';
import { onSubmit } from './forms.js';
import { dateTime } from './format.js';
import { showLimit } from './plan-limit.js';

const EXPIRIES = [['', 'Never'], ['1', 'In 1 day'], ['7', 'In 7 days'], ['30', 'In 30 days'], ['90', 'In 90 days']];

// sharePanel returns the panel for the report; it fills its list by itself.
export function sharePanel(reportId) {
  const list = h('div', { id: 'share-list' });
  const created = h('div', { id: 'share-created', 'aria-live': 'polite' });
  const form = h('form', { id: 'share-form', class: 'no-print', novalidate: true },
    h('div', { class: 'form-row' },
      h('div', { class: 'field' }, h('label', { for: 'share-expires' }, 'Link expires'),
        h('select', { id: 'share-expires', name: 'expires' }, EXPIRIES.map(([v, label]) => h('option', { value: v }, label)))),
      h('div', { class: 'field' }, h('label', { for: 'share-password' }, 'Password (optional)'),
        h('input', { id: 'share-password', name: 'password', type: 'password', autocomplete: 'new-password', minlength: 8, 'aria-describedby': 'share-password-hint' }),
        h('p', { class: 'small muted', id: 'share-password-hint' }, 'At least 8 characters. Viewers must type it to see the report.')),
    ),
    h('p', null, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create link')));
  onSubmit(form, 'Creating…', async (v) => {
    const body = { report_id: reportId };
    if (v.expires) body.expires_at = new Date(Date.now() + Number(v.expires) * 86_400_000).toISOString();
    if (v.password) body.password = v.password;
    let link;
    try {
      link = await post('/api/shares', body);
    } catch (err) {
      // A 402 means the page's count was stale (a link made elsewhere): show the message
      // (onSubmit does) and the limit as it is now.
      if (err.code === 'plan_limit') refresh();
      throw err;
    }
    form.reset();
    replace(created, createdBox(link));
    refresh(); // not awaited: onSubmit re-enables the button when this handler returns
  });
  // refresh reloads the links and the "N of M share links" note; a revoke calls it too.
  const refresh = () => loadList(reportId, list, refresh).then(() => showLimit(form, 'share_links', 'share links'));
  refresh();
  return h('section', { class: 'section share-panel no-print', 'aria-labelledby': 'share-heading' },
    h('div', { class: 'section-head' }, h('h2', { id: 'share-heading' }, 'Share')),
    h('p', { class: 'muted' }, 'Anyone with a link sees this report, read-only, without an account — failed sections included. Revoke a link to end it at once.'),
    form, created, list);
}

// createdBox shows a new link's address, once.
function createdBox(link) {
  const input = h('input', { id: 'share-url', type: 'text', readonly: true, value: link.url, 'aria-label': 'Share link' });
  const status = h('span', { class: 'small muted', role: 'status' });
  return notice('success',
    h('p', null, h('strong', null, 'Link created. '), 'Copy it now: it is shown only once.'),
    h('p', { class: 'share-url' }, input, ' ',
      h('button', { type: 'button', class: 'btn btn-small', onclick: async () => {
        input.select();
        status.textContent = (await copyText(link.url)) ? 'Copied.' : 'Select the link and copy it.';
      } }, 'Copy'), ' ', status));
}

async function loadList(reportId, box, refresh) {
  let shares;
  try {
    ({ shares } = await get(`/api/shares?report_id=${encodeURIComponent(reportId)}`));
  } catch (err) {
    replace(box, notice('error', err.message));
    return;
  }
  if (!shares.length) {
    replace(box, h('p', { class: 'muted', id: 'share-none' }, 'No share links yet.'));
    return;
  }
  replace(box, h('div', { class: 'card table-card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'stack-sm' },
    h('caption', { class: 'visually-hidden' }, 'Share links of this report'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Expires'),
      h('th', { scope: 'col' }, 'Password'), h('th', { scope: 'col', class: 'num' }, 'Views'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    h('tbody', null, shares.map((s) => h('tr', { dataset: { share: s.id } },
      h('th', { scope: 'row' }, dateTime(s.created_at)),
      h('td', { 'data-label': 'Expires' }, s.expired ? h('span', { class: 'badge status-failed' }, 'Expired') : s.expires_at ? dateTime(s.expires_at) : 'Never'),
      h('td', { 'data-label': 'Password' }, s.has_password ? 'Yes' : 'No'),
      h('td', { 'data-label': 'Views', class: 'num', dataset: { views: s.views } }, String(s.views)),
      h('td', { class: 'actions' }, h('button', {
        type: 'button', class: 'btn btn-small btn-quiet btn-danger-quiet', 'aria-label': `Revoke the link created ${dateTime(s.created_at)}`,
        dataset: { action: 'revoke' }, onclick: () => revoke(s, box, refresh),
      }, 'Revoke'))))),
  ))));
}

async function revoke(s, box, refresh) {
  const ok = await confirmDialog({ title: 'Revoke this link?', body: 'Anyone who has it will no longer see the report. This cannot be undone.', confirm: 'Revoke link', danger: true });
  if (!ok) return;
  try {
    await del(`/api/shares?id=${encodeURIComponent(s.id)}`);
  } catch (err) {
    box.prepend(notice('error', err.message));
    return;
  }
  await refresh();
}
