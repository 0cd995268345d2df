// /app/integrations: every provider with its status and the access it asks for, in words;
// connect (or reconnect when access stopped working), choose what to report on, disconnect.
// After the provider's consent screen the API sends the browser back here with
// ?connected=PROVIDER or ?error=CODE.

import { startApp } from '../app.js';
import { get, post, isMissingEndpoint } from '../api.js';
import { $, h, replace, notice, confirmDialog } from '../dom.js';
import { dateTime, statusLabel, providerName, providerMark } from '../format.js';
import { chooser } from '../choices.js';
import { planLimit, limitNote } from '../plan-limit.js';

await startApp();

const list = $('#integrations');
const flash = $('#flash');

// What each provider's section of a report holds (docs/metrics.md).
const provides = {
  'google-analytics': 'Active and new users, sessions, page views, engagement rate, and your top pages.',
  'search-console': 'Clicks, impressions, click-through rate, average position, and top search queries.',
  stripe: 'Gross and net volume, refunds, fees, new customers and monthly recurring revenue, per currency.',
  github: 'Stars, forks, issues opened and closed, and pull requests merged, for the repositories you choose.',
  demo: 'Synthetic visitors, sign-ups, orders and revenue, so you can try Metriqs without connecting a real account.',
};

// Scopes in plain words. Unknown scopes are shown as they are.
const scopeWords = {
  'https://www.googleapis.com/auth/analytics.readonly': 'See your Google Analytics reports. Read-only: Metriqs cannot change anything.',
  'analytics.readonly': 'See your Google Analytics reports. Read-only: Metriqs cannot change anything.',
  'https://www.googleapis.com/auth/webmasters.readonly': 'See your Search Console performance data. Read-only: Metriqs cannot change anything.',
  'webmasters.readonly': 'See your Search Console performance data. Read-only: Metriqs cannot change anything.',
  read_only: 'Read your Stripe payments, customers and subscriptions. Read-only: Metriqs cannot move money or change settings.',
  openid: 'Know which account you connected.',
  email: 'See the e-mail address of the account you connected.',
  profile: 'See the name of the account you connected.',
  'read:user': 'See your public GitHub profile.',
  balance_read: 'Read balance transactions: gross volume, refunds, fees and net volume.',
  customer_read: 'Read customers: how many new customers you gained.',
  subscription_read: 'Read active subscriptions: monthly recurring revenue.',
  'metadata:read': 'See your repositories’ names, stars and forks.',
  'issues:read': 'Read issues: how many were opened and closed.',
  'pull_requests:read': 'Read pull requests: how many were merged.',
  'sites.read': 'List the sandbox’s demo sites.',
  'metrics.read': 'Read the sandbox’s synthetic daily metrics.',
};

// scopeText puts a scope in words: the API may send a name, or {name, reason}.
function scopeText(sc) {
  if (typeof sc === 'string') return scopeWords[sc] || sc;
  return sc.reason || scopeWords[sc.name] || sc.name;
}

showRedirectOutcome();
await load();

async function load() {
  // The count is asked for beside the list and drawn with it: added after, it pushed the
  // list down (a layout shift Lighthouse counted).
  const limit = planLimit('integrations');
  let integrations;
  try {
    ({ integrations } = await get('/api/integrations'));
  } catch (err) {
    replace(list, isMissingEndpoint(err)
      ? notice('info', 'Integrations are not available on this server yet.')
      : notice('error', err.message));
    return;
  }
  if (!integrations || integrations.length === 0) {
    replace(list, h('div', { class: 'empty' }, h('h3', null, 'No integrations are available'), h('p', null, 'This server has no provider configured.')));
    return;
  }
  const l = await limit;
  replace(list, l && limitNote('integrations', 'integrations', l), h('ul', { class: 'integration-list' }, integrations.map(card)));
  showIntegrationsLimit(l);
}

// showIntegrationsLimit says "N of M integrations" above the list and, at the limit, disables
// the connect buttons of providers not connected yet. Reconnect stays: the provider's record
// exists, so the API counts it as a reconnect, and a broken one must stay fixable. l is the
// limit already read, or undefined to read it now.
async function showIntegrationsLimit(l) {
  if (l === undefined) l = await planLimit('integrations');
  if (!l) return;
  const el = limitNote('integrations', 'integrations', l);
  if (!el.isConnected) list.before(el);
  const buttons = list.querySelectorAll('[data-status]:not([data-status="needs_reauth"]) [data-action^="connect"]');
  for (const b of buttons) b.disabled = l.full;
}

function card(it) {
  if (it.configured === false && it.enable_with) return unconfiguredCard(it);
  const name = it.name || providerName(it.provider);
  const hid = `int-${it.provider}`;
  const connected = it.status === 'connected';
  const reauth = it.status === 'needs_reauth';
  const actions = h('div', { class: 'page-actions' });
  if (!connected) {
    actions.append(h('button', {
      type: 'button', class: 'btn btn-primary', dataset: { action: 'connect' },
      // A test-mode install reconnects in test mode: its key is the test one.
      onclick: (ev) => connect(it, name, ev.currentTarget, reauth ? it.mode : undefined),
    }, reauth ? `Reconnect ${name}` : `Connect ${name}`));
    if (it.test_mode && !reauth) {
      actions.append(h('button', {
        type: 'button', class: 'btn btn-quiet', dataset: { action: 'connect-test' },
        onclick: (ev) => connect(it, name, ev.currentTarget, 'test'),
      }, 'Connect in test mode'));
    }
  }
  if (connected || reauth) {
    actions.append(h('button', {
      type: 'button', class: 'btn btn-quiet btn-danger-quiet', dataset: { action: 'disconnect' },
      onclick: () => disconnect(it, name),
    }, 'Disconnect'));
  }
  const scopes = (it.scopes || []).filter(Boolean);
  const el = h('li', { class: 'card integration', dataset: { provider: it.provider, status: it.status }, 'aria-labelledby': hid },
    h('div', { class: 'integration-head' },
      h('span', { class: 'provider-mark', 'aria-hidden': 'true' }, providerMark(it.provider)),
      h('h2', { id: hid }, name),
      h('span', { class: `badge status-${it.status}` }, statusLabel(it.status)),
      actions,
    ),
    reauth ? notice('warn', `Metriqs can no longer read ${name}: access was revoked or expired. Reconnect to include it in reports again.`) : null,
    provides[it.provider] ? h('p', { class: 'muted' }, provides[it.provider]) : null,
    connected || reauth ? h('dl', null,
      it.account ? [h('dt', null, 'Account'), h('dd', null, it.account)] : null,
      it.connected_at ? [h('dt', null, 'Connected'), h('dd', null, dateTime(it.connected_at))] : null,
      it.selected && it.selected.length ? [h('dt', null, 'Reporting on'), h('dd', { 'data-selected': '' }, it.selected.map((c) => c.label || c.id).join(', '))] : null,
    ) : null,
    scopes.length ? h('div', null,
      h('p', { class: 'small', id: `${hid}-scopes` }, h('strong', null, 'Metriqs asks for permission to:')),
      h('ul', { class: 'scope-list', 'aria-labelledby': `${hid}-scopes` }, scopes.map((sc) => h('li', null, scopeText(sc)))),
    ) : null,
  );
  const showSelected = (sel) => {
    const dd = el.querySelector('[data-selected]');
    if (dd) dd.textContent = sel.map((c) => c.label || c.id).join(', ');
  };
  if (connected && it.chooses !== '') chooser(it.provider, name, showSelected).then((c) => { if (c) el.append(c); });
  return el;
}

// unconfiguredCard is a provider the local server has no OAuth client for (the API names the
// variables only in development): what to set, instead of a Connect button that would fail.
function unconfiguredCard(it) {
  const name = it.name || providerName(it.provider);
  const hid = `int-${it.provider}`;
  const vars = it.enable_with.flatMap((v, i) => [i ? ' and ' : '', h('code', null, v)]);
  return h('li', { class: 'card integration', dataset: { provider: it.provider, status: 'not_configured' }, 'aria-labelledby': hid },
    h('div', { class: 'integration-head' },
      h('span', { class: 'provider-mark', 'aria-hidden': 'true' }, providerMark(it.provider)),
      h('h2', { id: hid }, name),
      h('span', { class: 'badge status-not-configured' }, 'Not configured here'),
    ),
    provides[it.provider] ? h('p', { class: 'muted' }, provides[it.provider]) : null,
    h('p', { 'data-enable-with': '' }, 'To try it on this local server, set ', vars, ' in its environment and restart it (see .env.example).'),
  );
}

async function connect(it, name, button, mode) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = 'Opening…';
  try {
    const body = mode ? { provider: it.provider, mode } : { provider: it.provider };
    const { authorize_url: url } = await post('/api/integrations/connect', body);
    window.location.assign(url);
  } catch (err) {
    button.disabled = false;
    button.textContent = label;
    replace(flash, notice('error', err.message));
    // The page's count was stale (connected elsewhere): show the limit as it is now.
    if (err.code === 'plan_limit') showIntegrationsLimit();
  }
}

async function disconnect(it, name) {
  const ok = await confirmDialog({
    title: `Disconnect ${name}?`,
    body: `Metriqs will revoke its access at ${name} and delete the stored tokens now. Reports will leave ${name} out until you connect it again.`,
    confirm: 'Disconnect',
    danger: true,
  });
  if (!ok) return;
  try {
    await post('/api/integrations/disconnect', { provider: it.provider });
  } catch (err) {
    replace(flash, notice('error', err.message));
    return;
  }
  replace(flash, notice('success', `${name} is disconnected and its access revoked.`));
  await load();
}

// showRedirectOutcome reads ?connected= or ?error= from the OAuth callback's redirect, says
// what happened, and tidies the address bar so a reload does not repeat the message.
function showRedirectOutcome() {
  const q = new URLSearchParams(window.location.search);
  const connected = q.get('connected');
  const error = q.get('error');
  if (!connected && !error) return;
  if (connected) {
    replace(flash, notice('success', `${providerName(connected)} is connected. Its numbers will be in your next report.`));
  } else {
    const who = q.get('provider') ? providerName(q.get('provider')) : 'the provider';
    // The callback's codes (lib/integration/callback.go).
    const messages = {
      access_denied: `You cancelled at ${who}, so nothing was connected.`,
      session_required: 'You were signed out while connecting. Please connect again.',
      invalid_state: 'The connection expired or was started in another tab. Please try again.',
      provider_error: `${who[0].toUpperCase()}${who.slice(1)} reported an error, so nothing was connected. Please try again.`,
      invalid_request: 'The provider sent back an incomplete answer. Please try again.',
      provider_not_configured: 'This integration is no longer set up on this server.',
      exchange_failed: `${who[0].toUpperCase()}${who.slice(1)} refused to finish the connection. Please try again.`,
      insufficient_scope: 'Metriqs needs every read-only permission it asked for. Please connect again and leave them all ticked.',
      unavailable: 'Metriqs or the provider did not answer in time. Please try again in a moment.',
      plan_limit: 'Your plan\'s connected integrations are all in use, so nothing was connected. Disconnect one, or upgrade in Settings › Billing.',
    };
    replace(flash, notice('error', messages[error] || `The connection did not complete (${error}). Please try again.`));
  }
  window.history.replaceState(null, '', window.location.pathname);
}
