// /signup: create the account (the API signs it in at once) and go to the app.

import { post } from '../api.js';
import { $, h } from '../dom.js';
import { onSubmit } from '../forms.js';
import { nextFromQuery } from '../nav.js';
import { keepNext } from '../public.js';

keepNext();

onSubmit($('#signup-form'), 'Creating your account…', async (v) => {
  const body = { email: v.email, password: v.password };
  if (v.name) body.name = v.name;
  try {
    await post('/api/auth/signup', body);
  } catch (err) {
    // The address has an account: the way on is signing in, so the message links there
    // (keeping ?next=, so the sign-in lands where signing up would have).
    if (err.code === 'email_taken') {
      err.content = ['An account with this e-mail address already exists. ', h('a', { href: `/login${window.location.search}` }, 'Sign in'), ' instead.'];
    }
    throw err;
  }
  window.location.assign(nextFromQuery());
});
