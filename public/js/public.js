// Small behaviour shared by the public sign-up and sign-in pages.

import { $$ } from './dom.js';
import { nextFromQuery } from './nav.js';

// keepNext carries a ?next= destination across the links between /login and /signup, so a
// visitor sent to sign in who creates an account instead still lands where they were going.
export function keepNext() {
  const next = nextFromQuery('');
  if (!next) return;
  for (const a of $$('a[data-keep-next]')) {
    const url = new URL(a.getAttribute('href'), window.location.origin);
    url.searchParams.set('next', next);
    a.setAttribute('href', url.pathname + url.search);
  }
}
