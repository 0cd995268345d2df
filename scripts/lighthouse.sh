#!/usr/bin/env bash
# Lighthouse on every page, as a phone sees it, with budgets: performance, accessibility,
# best practices and SEO each >= 95 and cumulative layout shift < 0.1 (docs/performance.md).
#
#   scripts/lighthouse.sh           audits the pages, prints a table, exits 1 on a miss
#   LIGHTHOUSE_OUT=DIR scripts/...  also keeps each page's full JSON report in DIR
#
# It builds the local server (cmd/dev, embedded Redis and QStash: nothing outside is touched),
# starts it on a free port, signs a user up over the API, connects the demo integration
# through the sandbox's consent page, waits for a ready report, and audits the public and the
# signed-in pages (those with the session cookie, as Lighthouse's extra headers) against one
# Chromium — Debian's, never a downloaded one — and one server for all of them.
#
# Lighthouse is pinned (LIGHTHOUSE_VERSION) and installed from npm into
# ${LIGHTHOUSE_CACHE:-$HOME/.cache/metriqs-lighthouse}; a warm run is the audits alone. 12.2.3
# because 13 wants Node 22 and Debian's is 20. Lighthouse's default settings are the mobile
# form factor (a Moto G Power's screen) with simulated slow-4G throttling: what we budget for.
set -euo pipefail

LIGHTHOUSE_VERSION=12.2.3
CACHE=${LIGHTHOUSE_CACHE:-$HOME/.cache/metriqs-lighthouse}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/metriqs-lighthouse.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$scratch"
}
trap cleanup EXIT

if [[ $(node -p "try{require('$CACHE/node_modules/lighthouse/package.json').version}catch{''}") != "$LIGHTHOUSE_VERSION" ]]; then
	mkdir -p "$CACHE"
	[[ -f $CACHE/package.json ]] || echo '{"private": true}' >"$CACHE/package.json"
	(cd "$CACHE" && npm install --no-audit --no-fund --save-exact "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null)
fi

freeport() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

(cd "$root" && go build -o "$scratch/dev" ./cmd/dev)
port=$(freeport)
# The server's own environment: development on its own embedded services, whatever the shell has.
env -u REDIS_URL -u QSTASH_URL -u QSTASH_TOKEN -u APP_URL METRIQS_ENV=development \
	"$scratch/dev" -addr "127.0.0.1:$port" >"$scratch/dev.log" 2>&1 &
pids+=($!)

debug=$(freeport)
"$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --disable-extensions \
	--user-data-dir="$scratch/profile" --remote-debugging-address=127.0.0.1 --remote-debugging-port="$debug" \
	about:blank >"$scratch/chromium.log" 2>&1 &
pids+=($!)

for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 &&
		curl -fsS "http://127.0.0.1:$debug/json/version" >/dev/null 2>&1 && break
	sleep 0.2
done

if ! LIGHTHOUSE_MODULE="$CACHE/node_modules/lighthouse/core/index.js" APP="http://127.0.0.1:$port" DEBUG_PORT="$debug" \
	node "$root/scripts/lighthouse/audit.mjs"; then
	echo "--- server log (tail)"; tail -20 "$scratch/dev.log"
	exit 1
fi
