// Formatting of numbers, money, dates and times for people, in the browser's language.
// Units are those of docs/metrics.md: count, percent (0–100), position, currency:xyz (major
// units).

let timeZone; // the user's profile time zone, once known (app pages set it)

export function setTimeZone(tz) { timeZone = tz || undefined; }

// Formatters are made once per set of options and kept: making an Intl formatter costs far
// more than using one, and a report formats every day of every chart (Lighthouse counted the
// report's drawing as one long task, most of it here, on a phone's CPU).
const formatters = new Map();
function cached(kind, opts) {
  const key = kind.name + JSON.stringify(opts);
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new kind(undefined, opts)));
  return f;
}

const nf = (opts) => cached(Intl.NumberFormat, opts);

// metricValue formats a metric's value for a KPI card or a chart read-out.
export function metricValue(value, unit = 'count', { compact = false } = {}) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const u = String(unit || 'count');
  if (u.startsWith('currency:')) {
    const currency = u.slice(9).toUpperCase();
    try {
      return nf({ style: 'currency', currency, notation: compact ? 'compact' : 'standard', maximumFractionDigits: compact ? 1 : undefined }).format(value);
    } catch {
      return `${nf({ maximumFractionDigits: 2 }).format(value)} ${currency}`;
    }
  }
  switch (u) {
    case 'percent':
      return `${nf({ maximumFractionDigits: compact ? 0 : 1 }).format(value)}%`;
    case 'position':
      return nf({ minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
    default:
      if (compact) return nf({ notation: 'compact', maximumFractionDigits: 1 }).format(value);
      return nf({ maximumFractionDigits: Number.isInteger(value) ? 0 : 2 }).format(value);
  }
}

// changeDigits is how a change is rounded for people (docs/metrics.md): one decimal below
// 10, whole numbers from 10 on.
const changeDigits = (v) => (Math.abs(v) < 10 ? 1 : 0);

// change describes a metric's change for a badge: text, a tone (good, bad or neutral) and
// words for screen readers. A rate (unit percent) changes in percentage points (change_pp),
// anything else in percent (change_pct). A change that rounds to zero is "0 %" and neutral:
// "▼ 0 %" in red would claim a decline the figures do not show. Whether up is good comes from
// the metric (higher_is_better).
export function change(metric) {
  if (metric.snapshot) return { text: 'Snapshot', tone: 'neutral', words: 'current value, no comparison' };
  const points = metric.unit === 'percent' && Number.isFinite(metric.change_pp);
  const v = points ? metric.change_pp : metric.change_pct;
  if (v === null || v === undefined || !Number.isFinite(v)) {
    return { text: 'New', tone: 'neutral', words: 'no comparison: the previous period was zero' };
  }
  const unit = points ? ' pp' : ' %';
  const unitWords = points ? 'percentage points' : 'percent';
  const digits = changeDigits(v);
  const shown = Number(Math.abs(v).toFixed(digits));
  if (shown === 0) return { text: `0${unit}`, tone: 'neutral', words: 'no change' };
  const up = v > 0;
  const good = up === (metric.higher_is_better !== false);
  const amount = nf({ maximumFractionDigits: digits }).format(shown);
  return {
    text: `${up ? '▲' : '▼'} ${amount}${unit}`,
    tone: good ? 'good' : 'bad',
    words: `${up ? 'up' : 'down'} ${amount} ${unitWords}, ${good ? 'an improvement' : 'a decline'}`,
  };
}

// cell formats a top-list cell: a plain number ("12345", "0.5") gets the reader's
// thousands separators; text (a page path, a query) is left as it is.
export function cell(text) {
  const s = String(text ?? '');
  if (!/^-?\d+(\.\d+)?$/.test(s)) return s;
  const v = Number(s);
  return nf({ maximumFractionDigits: Number.isInteger(v) ? 0 : 2 }).format(v);
}

// compareLabel says in words what a period is compared with.
export function compareLabel(period) {
  if (!period || !period.previous_start) return '';
  const what = period.compare === 'previous_year' ? 'the same days a year earlier' : 'the period before';
  return `compared with ${what}, ${dayRange(period.previous_start, period.previous_end)}`;
}

// day turns "2026-11-03" into a Date at midnight UTC, so formatting never shifts it a day.
export function day(iso) {
  const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

const dayFmt = (opts) => cached(Intl.DateTimeFormat, { timeZone: 'UTC', ...opts });

// dayLabel: "3 Nov 2026" (or "3 Nov" with short).
export function dayLabel(iso, { short = false, weekday = false } = {}) {
  return dayFmt({ day: 'numeric', month: 'short', year: short ? undefined : 'numeric', weekday: weekday ? 'short' : undefined }).format(day(iso));
}

// dayRange: "1 – 7 Nov 2026".
export function dayRange(start, end) {
  if (!start || !end) return '';
  const f = dayFmt({ day: 'numeric', month: 'short', year: 'numeric' });
  return f.formatRange ? f.formatRange(day(start), day(end)) : `${f.format(day(start))} – ${f.format(day(end))}`;
}

// dateTime formats an RFC 3339 instant in the user's time zone (or in tz): "28 Nov 2026, 10:05".
export function dateTime(iso, tz = timeZone) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  try {
    return cached(Intl.DateTimeFormat, { dateStyle: 'medium', timeStyle: 'short', timeZone: tz }).format(d);
  } catch {
    return cached(Intl.DateTimeFormat, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
  }
}

// ago: "5 minutes ago", "in 3 days".
export function ago(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  const secs = Math.round((d.getTime() - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const abs = Math.abs(secs);
  if (abs < 45) return 'just now';
  if (abs < 3600) return rtf.format(Math.round(secs / 60), 'minute');
  if (abs < 2 * 86400) return rtf.format(Math.round(secs / 3600), 'hour');
  return rtf.format(Math.round(secs / 86400), 'day');
}

// periodLabel describes a report period as the list returns it: a preset name, {start, end},
// or the full period object of a report.
export function periodLabel(period) {
  const presets = { last_7_days: 'Last 7 days', last_28_days: 'Last 28 days', last_month: 'Last month' };
  if (!period) return '';
  if (typeof period === 'string') return presets[period] || period;
  if (period.preset && presets[period.preset]) return `${presets[period.preset]} (${dayRange(period.start, period.end)})`;
  return dayRange(period.start, period.end);
}

// statusLabel gives a report or integration status in words.
export function statusLabel(status) {
  return {
    queued: 'Queued',
    running: 'Running',
    ready: 'Ready',
    partial: 'Partly ready',
    failed: 'Failed',
    connected: 'Connected',
    disconnected: 'Not connected',
    needs_reauth: 'Needs reconnecting',
  }[status] || status;
}

// providerName is a provider id in words.
export function providerName(id) {
  return {
    'google-analytics': 'Google Analytics 4',
    'search-console': 'Search Console',
    stripe: 'Stripe',
    github: 'GitHub',
    demo: 'Demo data (sandbox)',
  }[id] || id;
}

// providerMark is the short badge shown beside a provider's name.
export function providerMark(id) {
  return { 'google-analytics': 'GA', 'search-console': 'SC', stripe: 'St', github: 'GH', demo: 'D' }[id]
    || String(id).slice(0, 2).toUpperCase();
}

// userAgent shortens a User-Agent header to "Chrome on Linux".
export function userAgent(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge'
    : /OPR\//.test(ua) ? 'Opera'
      : /Firefox\//.test(ua) ? 'Firefox'
        : /HeadlessChrome\//.test(ua) ? 'Headless Chrome'
          : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
            : /Safari\//.test(ua) ? 'Safari'
              : /curl\//i.test(ua) ? 'curl'
                : '';
  const os = /iPhone|iPad/.test(ua) ? 'iOS'
    : /Android/.test(ua) ? 'Android'
      : /Windows/.test(ua) ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
          : /CrOS/.test(ua) ? 'ChromeOS'
            : /Linux/.test(ua) ? 'Linux'
              : '';
  if (browser && os) return `${browser} on ${os}`;
  if (browser || os) return browser || os;
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}
