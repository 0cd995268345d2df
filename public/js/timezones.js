// The time-zone pickers' list: the canonical IANA zones the API accepts (tzdata.js, which
// cmd/tzgen generates with lib/tz's list), not the browser's Intl list, which includes
// deprecated links such as Asia/Calcutta and Europe/Kiev.
import { zones, links } from './tzdata.js';

// timeZones lists the canonical zones, with UTC first.
export function timeZones() {
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

// canonicalZone maps a link to its zone (Chromium reports India as Asia/Calcutta).
export function canonicalZone(z) {
  return links[z] || z;
}

// browserTimeZone is the zone this device is set to, under its canonical name.
export function browserTimeZone() {
  try { return canonicalZone(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'); } catch { return 'UTC'; }
}
