// A plan limit shown before the user hits it: "2 of 3 schedules", and at the limit a link to
// Settings › Billing and the way to add more disabled (the API would answer 402). Used by the
// schedules page, the integrations page and the report page's Share panel.

import { get } from './api.js';
import { h, replace } from './dom.js';

// planLimit reads GET /api/billing's usage and limit for key ("schedules", "integrations",
// "share_links"): {used, max, full, planName}, or null when it cannot be known. The API still
// enforces the limit, so the hint is a courtesy and a failed read shows nothing.
export async function planLimit(key) {
  let b;
  try {
    b = await get('/api/billing');
  } catch {
    return null;
  }
  const used = b.usage?.[key];
  const max = b.limits?.[key];
  if (used === undefined || max === undefined) return null;
  return { used, max, full: used >= max, planName: b.plan_name };
}

// limitNote fills (or makes) the #limit-KEY status line: "2 of 2 integrations on the Free
// plan — upgrade in Settings › Billing to add more."
export function limitNote(key, noun, l) {
  const el = document.getElementById(`limit-${key}`) || h('p', { class: 'hint', id: `limit-${key}`, role: 'status' });
  el.dataset.full = String(l.full);
  replace(el, `${l.used} of ${l.max} ${noun} on the ${l.planName} plan`, l.full
    ? h('span', null, ' — upgrade in ', h('a', { href: '/app/settings#billing' }, 'Settings › Billing'), ' to add more.')
    : '.');
  return el;
}

// showLimit puts the note above form's actions and disables its submit button at the limit.
export async function showLimit(form, key, noun) {
  const l = await planLimit(key);
  if (!l) return;
  const button = form.querySelector('button[type=submit]');
  const el = limitNote(key, noun, l);
  if (!el.isConnected) (form.querySelector('.form-actions') || button.parentElement).before(el);
  button.disabled = l.full;
}
