// Small DOM helpers. Everything a page shows from the API goes through textContent (never
// innerHTML), so a name or a table cell can never become markup. Styling is done with
// classes only: the CSP forbids inline styles.

// h builds an element: h('p', {class: 'muted'}, 'text', child, ...). Attributes whose value is
// false, null or undefined are left out; true gives an empty attribute; `on*` functions
// become listeners; children may be strings, nodes, arrays or null.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}

const SVG = 'http://www.w3.org/2000/svg';

// s is h for SVG elements.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  return fill(el, attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'style') {
      throw new Error('inline styles are not allowed by the CSP; use a class');
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// $ and $$ query within root (the document by default).
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// replace empties el and puts children in it.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// loading returns a polite "Loading…" status line.
export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, text);
}

// notice returns a message box; kind is info, success, warn or error.
export function notice(kind, ...children) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

// download saves text as a file through a blob: URL, which the CSP allows for downloads.
export function download(filename, text, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename, class: 'visually-hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// copyText puts text on the clipboard; it resolves to whether it worked.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

// confirmDialog asks a yes/no question in a modal <dialog> and resolves to the answer. The
// dialog traps focus and Escape cancels, as the browser does for modal dialogs.
export function confirmDialog({ title, body, confirm = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dlg = h('dialog', { 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      typeof body === 'string' ? h('p', null, body) : body,
      h('form', { method: 'dialog', class: 'form-actions' },
        h('button', { class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, value: 'yes', type: 'submit' }, confirm),
        h('button', { class: 'btn', value: 'no', type: 'submit', autofocus: true }, 'Cancel'),
      ),
    );
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'yes');
      dlg.remove();
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}
