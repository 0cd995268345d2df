// The shell of every signed-in page (/app…): find out who is signed in, or send the visitor to
// /login and back; show the account in the header; sign out.

import { get, post, whenSignedOut } from './api.js';
import { $, $$, h, replace, notice } from './dom.js';
import { loginURL } from './nav.js';
import { setTimeZone } from './format.js';

let leaving = false;

function toLogin() {
  if (leaving) return;
  leaving = true;
  window.location.replace(loginURL());
}

// startApp resolves to the signed-in user, after filling the header. A signed-out visitor is
// sent to /login?next=<this page> and the promise never resolves, so page code after it does
// not run.
export async function startApp() {
  whenSignedOut(toLogin);
  markCurrentNav();
  $('[data-sign-out]')?.addEventListener('click', signOut);
  let user;
  try {
    ({ user } = await get('/api/me'));
  } catch (err) {
    // Signed out: toLogin is on its way. Anything else (Metriqs unreachable, 503): say so
    // in place of the page. Either way the page's own code must not run.
    if (err.status !== 401) {
      replace($('main'), h('div', { class: 'container' }, notice('error', err.message, ' ', h('a', { href: window.location.pathname + window.location.search }, 'Try again'))));
    }
    return new Promise(() => {});
  }
  setTimeZone(user.timezone);
  for (const el of $$('[data-user-email]')) el.textContent = user.email;
  document.body.classList.add('signed-in');
  showAddressBanner(user);
  return user;
}

// showAddressBanner tells, on every app page, that the address is not confirmed yet (with a
// button that mails a new link) or that mail to it bounced. It arrives with /api/me, after
// the page has painted, so it goes at the end of the page, after the footer (which .app main
// keeps below the fold), and sticks to the bottom of the screen (site.css .address-banner):
// put above the content it pushed every page down, a layout shift of 0.13 on a phone.
function showAddressBanner(user) {
  let box = null;
  if (user.email_bounced) {
    box = notice('warn', `Mail to ${user.email_bounced} bounced: we cannot reach you there. Change your address in `, h('a', { href: '/app/settings' }, 'Settings'), '.');
  } else if (!user.email_verified) {
    const resend = h('button', { type: 'button', class: 'btn btn-small', id: 'resend-verification' }, 'Resend the link');
    box = notice('info', `Please confirm your address, ${user.email}: we sent you a link. `, resend);
    resend.addEventListener('click', async () => {
      resend.disabled = true;
      try {
        await post('/api/account/verify-email');
        replace(box, 'A new link is on its way. Check your inbox (and spam folder).');
      } catch (err) {
        replace(box, err.message);
      }
    });
  }
  if (box) {
    box.id = 'address-banner';
    document.body.append(h('aside', { class: 'address-banner', 'aria-label': 'Your e-mail address' }, h('div', { class: 'container' }, box)));
  }
}

async function signOut(ev) {
  const button = ev.currentTarget;
  button.disabled = true;
  try {
    await post('/api/auth/logout');
  } finally {
    leaving = true;
    window.location.assign('/login?signed_out=1');
  }
}

// markCurrentNav sets aria-current on the header link of this section of the app.
function markCurrentNav() {
  const path = window.location.pathname.replace(/\/$/, '') || '/';
  for (const a of $$('.main-nav a')) {
    const href = a.getAttribute('href');
    const current = href === path || (href === '/app' && path.startsWith('/app/reports'));
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
