// /signup: create the account (the API signs it in at once) and go to the app.

import { post } from '../api.js';
import { $ } from '../dom.js';
import { onSubmit } from '../forms.js';
import { nextFromQuery } from '../nav.js';
import { keepNext } from '../public.js';

keepNext();

onSubmit($('#signup-form'), 'Creating your account…', async (v) => {
  const body = { email: v.email, password: v.password };
  if (v.name) body.name = v.name;
  await post('/api/auth/signup', body);
  window.location.assign(nextFromQuery());
});
