// "Choose what to report on" for a connected integration: the GA4 property, the Search Console
// site, the GitHub repositories. The lists come from the provider, through the API.
//
// The endpoint (docs/API.md, added by the integrations work):
//   GET /api/integrations/choices?provider=P
//       → {provider, kind, max, choices: [{id, label, group?}], selected: [{id, label, group?}]}
//   PUT /api/integrations/choices {provider, selected: [id]} → the same shape
// A 404 means the provider has nothing to choose (Stripe reports on the whole account).

import { get, put } from './api.js';
import { h, notice } from './dom.js';
import { onSubmit } from './forms.js';

const nouns = {
  ga4_property: ['Property', 'The Google Analytics property to report on.'],
  search_console_site: ['Site', 'The Search Console property (site or domain) to report on.'],
  github_repos: ['Repositories', 'The repositories whose activity goes into your reports.'],
  demo_site: ['Demo site', 'The sandbox site whose synthetic numbers go into your reports.'],
};

// chooser resolves to a form element, or null when there is nothing to choose. onSaved gets
// the new selection ([{id, label}]).
export async function chooser(provider, name, onSaved = () => {}) {
  let c;
  try {
    c = await get(`/api/integrations/choices?provider=${encodeURIComponent(provider)}`);
  } catch (err) {
    if (err.status === 404) return null;
    return h('div', { class: 'choose' }, notice('error', err.message));
  }
  const options = (c && c.choices) || [];
  if (!Array.isArray(options) || options.length === 0) {
    return h('div', { class: 'choose' }, notice('warn', `${name} has nothing Metriqs can report on yet.`));
  }
  const multiple = c.max > 1;
  let [noun, hint] = nouns[c.kind] || ['Report on', `What Metriqs reads from ${name}.`];
  if (multiple) hint += ` Choose up to ${c.max}.`;
  const selected = new Set((c.selected || []).map((x) => (typeof x === 'string' ? x : x.id)));
  const fid = `choose-${provider}`;
  const status = h('span', { role: 'status', class: 'small muted' });
  const control = multiple
    ? h('fieldset', null,
      h('legend', null, noun),
      h('p', { class: 'hint' }, hint),
      h('div', { class: 'repo-list' }, options.map((o) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'selected', value: o.id, checked: selected.has(o.id) }),
        h('span', null, o.label || o.id)))))
    : h('div', { class: 'field' },
      h('label', { for: fid }, noun),
      h('select', { id: fid, name: 'selected', 'aria-describedby': `${fid}-hint` },
        options.map((o) => h('option', { value: o.id, selected: selected.has(o.id) }, o.group ? `${o.label || o.id} (${o.group})` : o.label || o.id))),
      h('p', { class: 'hint', id: `${fid}-hint` }, hint));
  const form = h('form', { class: 'choose form-grid', 'aria-label': `What to report on from ${name}` },
    control,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-small' }, 'Save choice'), status));
  onSubmit(form, 'Saving…', async () => {
    const chosen = Array.from(form.elements.namedItem('selected') instanceof RadioNodeList
      ? form.elements.namedItem('selected')
      : [form.elements.namedItem('selected')])
      .filter((el) => (el.type === 'checkbox' ? el.checked : true))
      .map((el) => el.value);
    const res = await put('/api/integrations/choices', { provider, selected: chosen });
    status.textContent = 'Saved.';
    onSaved((res && res.selected) || []);
  });
  return form;
}
