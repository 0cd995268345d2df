// A plan limit shown before the user hits it: "2 of 3 schedules", and at the limit a link to
// Settings › Billing and the form's submit button disabled (the API would answer 402).

import { get } from './api.js';
import { h, replace } from './dom.js';

export async function showLimit(form, key, noun) {
  let b;
  try {
    b = await get('/api/billing');
  } catch {
    return; // the API still enforces the limit; the hint is a courtesy
  }
  const used = b.usage[key];
  const max = b.limits[key];
  if (used === undefined || max === undefined) return;
  let el = document.getElementById(`limit-${key}`);
  if (!el) {
    el = h('p', { class: 'hint', id: `limit-${key}`, role: 'status' });
    form.querySelector('.form-actions').before(el);
  }
  const full = used >= max;
  replace(el, `${used} of ${max} ${noun} on the ${b.plan_name} plan`,
    full ? h('span', null, ' — ', h('a', { href: '/app/settings#billing' }, 'upgrade'), ' to add more.') : '.');
  form.querySelector('button[type=submit]').disabled = full;
}
