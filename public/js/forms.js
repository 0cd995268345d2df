// Form plumbing shared by every page: read values, show the API's error next to the field it
// names (or at the top of the form), and keep the submit button honest while a request runs.

import { h, $, $$ } from './dom.js';
import { ApiError } from './api.js';

// clearErrors removes every message and invalid mark that showError left in form.
export function clearErrors(form) {
  for (const el of $$('.field-error, .form-error', form)) el.remove();
  for (const el of $$('[aria-invalid="true"]', form)) {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => !id.endsWith('-error'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  }
}

// showError puts err's message beside the input named by err.field when the form has one,
// otherwise in an alert at the top of the form, and moves focus there so keyboard and screen
// reader users land on the problem.
export function showError(form, err) {
  clearErrors(form);
  // err.content, when a page set it, is the message with links in it (nodes and strings).
  const message = err && err.content ? err.content : err instanceof ApiError || err instanceof Error ? err.message : String(err);
  const input = err && err.field ? fieldFor(form, err.field) : null;
  if (input instanceof HTMLElement && !input.hidden && !input.closest('[hidden]')) {
    const id = `${input.id || input.name}-error`;
    const msg = h('p', { class: 'field-error', id }, message);
    const anchor = input.closest('.field, fieldset') || input.parentElement;
    anchor.append(msg);
    input.setAttribute('aria-invalid', 'true');
    const described = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    input.setAttribute('aria-describedby', [...described, id].join(' '));
    input.focus();
    return;
  }
  const box = h('div', { class: 'form-error', role: 'alert', tabindex: '-1' }, message);
  form.prepend(box);
  box.focus();
}

// fieldFor finds the control for an API field name: "start" or, for a nested field such as
// "period.start", its last part.
function fieldFor(form, field) {
  const el = form.elements.namedItem(field) || form.elements.namedItem(field.split('.').pop());
  return el instanceof RadioNodeList ? el[0] : el;
}

// values returns the form's named fields as an object of trimmed strings (passwords are left
// exactly as typed).
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.closest('[hidden]')) continue;
    if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) continue;
    out[el.name] = el.type === 'password' ? el.value : el.value.trim();
  }
  return out;
}

// onSubmit wires a form: the handler gets the values; while it runs the submit button is
// disabled and shows busyLabel; an error it throws is shown in the form.
export function onSubmit(form, busyLabel, handler) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = $('button[type="submit"], button:not([type])', form);
    const label = button ? button.textContent : '';
    clearErrors(form);
    if (button) {
      button.disabled = true;
      button.textContent = busyLabel;
    }
    form.setAttribute('aria-busy', 'true');
    try {
      await handler(values(form), form);
    } catch (err) {
      showError(form, err);
    } finally {
      form.removeAttribute('aria-busy');
      if (button && button.isConnected) {
        button.disabled = false;
        button.textContent = label;
      }
    }
  });
}
